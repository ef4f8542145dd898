"""`reconciler status [--watch]`: the recorded jobs as the service reports them now.

It reads every dataset group of the recorded jobs (List pages; Describe only for a numDeleted
the state lacks), records what changed (status changes with their time, numDeleted of completed
jobs) and shows every job as the service has it: one it no longer lists is MISSING. FAILED and
MISSING jobs are listed with their next step, in the plan's words. `--watch` polls as tracking
does until every job is COMPLETED or FAILED; `--timeout` ends it with exit 4 (jobs still
running), as `check` says it. It never holds the state lock while it waits: each write takes
the lock briefly and merges what was seen into the state as it is then; while another run holds
the lock, the write waits for the next one (a note says so) and what was seen is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.display import ProgressDisplay
from reconciler.applying.records import observe
from reconciler.applying.session import ObservingSession, flushed
from reconciler.applying.tracker import Tracker
from reconciler.errors import UsageError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.planning import attention
from reconciler.providers.interface import Provider
from reconciler.refresh import refresh
from reconciler.render.status import (
    StatusView,
    render_status_json,
    render_status_markdown,
    render_status_text,
)
from reconciler.runtime import Runtime
from reconciler.settings import Settings
from reconciler.state.locking import acquire
from reconciler.workspace import (
    checked_target,
    recorded_job,
    recorded_state,
    recovery_tree,
    show_notices,
)


@dataclass(frozen=True)
class StatusOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.TEXT  # or JSON, MARKDOWN
    watch: bool = False
    timeout: float | None = None
    show_forgotten: bool = False
    lock_timeout: float = 0


def status(options: StatusOptions, runtime: Runtime) -> int:
    if options.timeout is not None and not options.watch:
        raise UsageError("--timeout limits --watch: give --watch too, or leave --timeout out")
    tree = recovery_tree(options.manifests_dir, runtime)
    manifests, settings = tree.manifests, tree.settings
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
        note=lambda text: runtime.err.write(f"Note: {printable(text)}.\n"),
        monotonic=runtime.monotonic,
    )
    code = ExitCode.OK
    target = None
    missing: set[str] = set()
    groups = {record.spec.dataset_group_arn for record in document.jobs.values()}
    if document.jobs:
        provider = runtime.make_provider(settings)
        target = checked_target(provider, groups)
        with flushed(session, lambda text: runtime.err.write(f"Note: {printable(text)}.\n")):
            if options.watch:
                code = _watch(session, provider, settings, options, runtime)
            missing = _look(session, provider, runtime)
    records = sorted(session.document.jobs.values(), key=lambda r: r.address)
    if options.show_forgotten:
        records += sorted(session.document.forgotten, key=lambda r: r.address)
    view = StatusView(
        records=records,
        now=runtime.clock(),
        target=target,
        missing=frozenset(missing),
        attention=attention.of_recorded(
            [recorded_job(r) for r in records if not r.forgotten],
            missing,
            {job.address: job for job in manifests.declared_in(groups)} if manifests else {},
        ),
    )
    render = {
        OutputFormat.JSON: render_status_json,
        OutputFormat.MARKDOWN: render_status_markdown,
        OutputFormat.TEXT: render_status_text,
    }[options.output_format]
    runtime.out.write(render(view))
    return code


def _watch(
    session: ObservingSession,
    provider: Provider,
    settings: Settings,
    options: StatusOptions,
    runtime: Runtime,
) -> ExitCode:
    """Poll until every job is COMPLETED or FAILED (0), until --timeout (4: still running), or
    until the service cannot be read (1)."""
    tracker = Tracker(
        session,
        provider,
        intervals=settings.polling.intervals(provider.polling_defaults),
        monotonic=runtime.monotonic,
        sleep=runtime.sleep,
    )
    display = ProgressDisplay(runtime.err, tty=runtime.out_tty)
    try:
        result = tracker.run([], timeout=options.timeout, report=display)
    finally:
        display.close()
    if result.finished:
        return ExitCode.OK
    why = f" ({printable(result.unreachable)})" if result.unreachable else ""
    runtime.err.write(f"Stopped watching{why}: some jobs are still running.\n")
    return ExitCode.ERROR if result.unreachable else ExitCode.RUNNING


def _look(session: ObservingSession, provider: Provider, runtime: Runtime) -> set[str]:
    """Read every group of the recorded jobs (List pages; Describe only for a numDeleted the
    state lacks), record what changed, and return the addresses the service no longer lists."""
    document = session.document
    confirmed = {a: r for a, r in document.jobs.items() if r.arn is not None}
    recorded = recorded_state(document.model_copy(update={"jobs": confirmed}))
    observed = refresh((), (), recorded, provider, per_region=provider.parallel_reads)
    missing: set[str] = set()
    now = runtime.clock()
    for record in document.jobs.values():
        if record.arn is None:
            continue  # an intent: the next plan looks for its job
        found = observed.find(record.spec.dataset_group_arn, record.job_name)
        if found is None or found.arn != record.arn:
            missing.add(record.address)
            continue
        seen = observe(record, found, now)
        if seen is not record:  # only what moved on is written (and takes the lock)
            session.stage(put=[seen])
    return missing
