"""How the command line shows a use case's events as they happen: `Said` is a line of stdout,
`Note` and `Warned` are `Note: …` and `Warning: …` lines of stderr. The use case words (and
escapes) each text; this only places it."""

from __future__ import annotations

from reconciler.runtime import Runtime
from reconciler.usecases.events import Emit, Note, Said, Warned


def printer(runtime: Runtime) -> Emit:
    """An `Emit` that writes each event to the runtime's streams at once (an event it does not
    know is a programming error: TypeError)."""

    def emit(event: object) -> None:
        if isinstance(event, Said):
            runtime.out.write(f"{event.text}\n")
        elif isinstance(event, Note):
            runtime.err.write(f"Note: {event.text}\n")
        elif isinstance(event, Warned):
            runtime.err.write(f"Warning: {event.text}\n")
        else:
            raise TypeError(f"no way to show {event!r} on the command line")

    return emit
