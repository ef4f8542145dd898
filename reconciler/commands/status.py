"""`reconciler status [--watch]`: the recorded jobs as the service reports them now.

It polls as tracking does and records what it sees (status changes with their time, numDeleted
of completed jobs). It never holds the state lock while it waits: each write takes the lock
briefly and merges what was seen into the state as it is then; while another run holds the
lock, the write waits for the next one (a note says so) and what was seen is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.display import ProgressDisplay
from reconciler.applying.session import ObservingSession, flushed
from reconciler.applying.tracker import Progress, Tracker
from reconciler.exitcodes import ExitCode
from reconciler.render.status import (
    render_status_json,
    render_status_markdown,
    render_status_text,
)
from reconciler.runtime import Runtime
from reconciler.state.locking import acquire
from reconciler.workspace import load_settings, show_notices


@dataclass(frozen=True)
class StatusOptions:
    manifests_dir: Path
    output_format: str = "text"  # or json, markdown
    watch: bool = False
    timeout: float | None = None
    show_forgotten: bool = False
    lock_timeout: float = 0


def status(options: StatusOptions, runtime: Runtime) -> int:
    settings = load_settings(options.manifests_dir, runtime.environ)
    backend = runtime.make_backend(settings.state)
    document = backend.load()  # without the lock: each write takes it briefly
    show_notices(backend, runtime)
    if document is None:
        runtime.err.write("No state yet: nothing has been applied.\n")
        return ExitCode.OK
    session = ObservingSession(
        backend,
        document,
        runtime.clock,
        take_lock=lambda: acquire(
            backend,
            "status",
            timeout=options.lock_timeout,
            sleep=runtime.sleep,
            monotonic=runtime.monotonic,
        ),
        note=lambda text: runtime.err.write(f"Note: {text}.\n"),
        monotonic=runtime.monotonic,
    )
    if document.jobs:
        provider = runtime.make_provider(settings)
        tracker = Tracker(
            session,
            provider,
            intervals=settings.polling.intervals(provider.polling_defaults),
            monotonic=runtime.monotonic,
            sleep=runtime.sleep,
        )
        display = ProgressDisplay(runtime.err, tty=runtime.out_tty)
        report = display if options.watch else _quiet
        with flushed(session, lambda text: runtime.err.write(f"Note: {text}.\n")):
            try:
                result = tracker.run(
                    [], timeout=options.timeout, report=report, once=not options.watch
                )
            finally:
                display.close()
        if options.watch and not result.finished:
            why = f" ({result.unreachable})" if result.unreachable else ""
            runtime.err.write(f"Stopped watching{why}: some jobs are still running.\n")
    records = list(session.document.jobs.values())
    if options.show_forgotten:
        records += list(session.document.forgotten)
    now = runtime.clock()
    if options.output_format == "json":
        runtime.out.write(render_status_json(records))
    elif options.output_format == "markdown":
        runtime.out.write(render_status_markdown(records, now))
    else:
        runtime.out.write(render_status_text(records, now))
    return ExitCode.OK


def _quiet(progress: Progress) -> None:
    """Without --watch, one poll and only the table."""
