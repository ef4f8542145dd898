"""How the command line shows the events every use case may emit (`reconciler.usecases.events`),
each at once: `Said` as a line on stdout, `Note` and `Warned` on stderr as `Note: …` and
`Warning: …`, `LockWaiting` on stderr as `Waiting: …` (a line when the wait starts, then one
every 10 s). Each text is shown `printable` (use cases escape outside values where they enter a
text; doing it again changes nothing). A command whose use case emits events of its own handles
those first and hands the rest to `show`; an event of no kind known here is a programming error
(TypeError), never dropped.
"""

from __future__ import annotations

from functools import partial

from reconciler.escaping import printable
from reconciler.runtime import Runtime
from reconciler.usecases.events import Emit, LockWaiting, Note, Said, Warned


def show(runtime: Runtime, event: object) -> None:
    """Write `event` where it belongs."""
    if isinstance(event, Said):
        runtime.out.write(printable(event.text) + "\n")
    elif isinstance(event, Note):
        runtime.err.write(f"Note: {printable(event.text)}\n")
    elif isinstance(event, Warned):
        runtime.err.write(f"Warning: {printable(event.text)}\n")
    elif isinstance(event, LockWaiting):
        runtime.err.write(f"Waiting: {printable(event.text)}\n")
    else:
        raise TypeError(f"no way to show {event!r} on the command line")


def shown(runtime: Runtime) -> Emit:
    """An `Emit` that shows each event on the runtime's streams."""
    return partial(show, runtime)
