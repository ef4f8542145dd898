"""`reconciler status [--watch]`: the recorded jobs as the service reports them now
(`reconciler.usecases.status`), as a table, Markdown or JSON; `--watch` shows the progress of
its polls on stderr as apply does. Exit 0, or with `--watch` 1 (the service could not be read)
or 4 (`--timeout` ran out with jobs still running, as `check` says it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.display import ProgressDisplay
from reconciler.applying.tracker import Progress
from reconciler.commands.events import show
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.formats import STATUS
from reconciler.render.status import StatusView
from reconciler.runtime import Runtime
from reconciler.usecases.status import (
    StatusInputs,
    StoppedWatching,
    Watched,
    WatchEnded,
    read_status,
)

CODES = {Watched.UNREACHABLE: ExitCode.ERROR, Watched.RUNNING: ExitCode.RUNNING}


@dataclass(frozen=True)
class StatusOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.TEXT  # or JSON, MARKDOWN
    watch: bool = False
    timeout: float | None = None
    show_forgotten: bool = False
    lock_timeout: float = 0


def status(options: StatusOptions, runtime: Runtime) -> int:
    display = ProgressDisplay(runtime.err, tty=runtime.out_tty)

    def emit(event: object) -> None:
        if isinstance(event, Progress):
            display(event)
        elif isinstance(event, WatchEnded):
            display.close()
        elif isinstance(event, StoppedWatching):
            why = f" ({event.why})" if event.why else ""
            runtime.err.write(f"Stopped watching{why}: some jobs are still running.\n")
        else:
            show(runtime, event)

    inputs = StatusInputs(
        manifests_dir=options.manifests_dir,
        watch=options.watch,
        timeout=options.timeout,
        show_forgotten=options.show_forgotten,
        lock_timeout=options.lock_timeout,
    )
    seen = read_status(inputs, runtime, emit)
    if seen is None:
        runtime.err.write("No state yet: nothing has been applied.\n")
        return ExitCode.OK
    view = StatusView(seen.records, seen.now, seen.target, seen.missing, seen.attention)
    runtime.out.write(STATUS.render(view, options.output_format))
    return CODES.get(seen.watched, ExitCode.OK)
