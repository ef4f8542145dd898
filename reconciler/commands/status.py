"""`reconciler status [--watch]`: the recorded jobs as the service reports them now.

It polls as tracking does and records what it sees (status changes with their time, numDeleted
of completed jobs) when it can take the state lock; while another run holds the lock it shows
the same without recording it.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.display import ProgressDisplay
from reconciler.apply.session import StateSession
from reconciler.apply.tracking import Progress, Tracker
from reconciler.commands.common import Runtime, load_settings
from reconciler.render.status import (
    render_status_json,
    render_status_markdown,
    render_status_text,
)
from reconciler.state.interface import StateLocked
from reconciler.state.registry import make_backend


def status(
    *,
    manifests_dir: Path,
    output_format: str,
    watch: bool,
    timeout: float | None,
    show_forgotten: bool,
    runtime: Runtime,
) -> int:
    settings = load_settings(manifests_dir, runtime.environ)
    backend = make_backend(settings.state)
    try:
        lock = backend.lock("status")
    except StateLocked as exc:
        runtime.err.write(f"Note: {exc}; showing the service's view without recording it.\n")
        lock = None
    try:
        document = backend.load()
        if document is None:
            runtime.err.write("No state yet: nothing has been applied.\n")
            return 0
        session = StateSession(backend, document, runtime.clock, persist=lock is not None)
        if document.jobs:
            provider = runtime.make_provider(settings)
            tracker = Tracker(
                session, provider,
                intervals=settings.polling.intervals(provider.polling_defaults),
                max_pending=settings.quotas.max_pending_jobs_per_dataset_group,
                monotonic=runtime.monotonic, sleep=runtime.sleep,
            )  # fmt: skip
            display = ProgressDisplay(runtime.err, tty=runtime.out_tty)
            report = display if watch else _quiet
            result = tracker.run([], timeout=timeout, report=report, once=not watch)
            display.close()
            if watch and not result.finished:
                runtime.err.write("Stopped watching: some jobs are still running.\n")
    finally:
        if lock is not None:
            backend.unlock(lock)
    records = list(session.document.jobs.values())
    if show_forgotten:
        records += list(session.document.forgotten)
    now = runtime.clock()
    if output_format == "json":
        runtime.out.write(render_status_json(records))
    elif output_format == "markdown":
        runtime.out.write(render_status_markdown(records, now))
    else:
        runtime.out.write(render_status_text(records, now))
    return 0


def _quiet(progress: Progress) -> None:
    """Without --watch, one poll and only the table."""
