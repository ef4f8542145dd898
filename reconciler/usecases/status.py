"""The `status` use case: the recorded jobs as the service reports them now.

It reads every dataset group of the recorded jobs (List pages; Describe only for a numDeleted
the state lacks), records what changed (status changes with their time, numDeleted of completed
jobs) and returns every job as the service has it: one it no longer lists is missing. FAILED and
missing jobs come with their next step, in the plan's words. `watch` polls as tracking does
until every job is COMPLETED or FAILED, emitting each poll's `Progress`, then `WatchEnded`
(and `StoppedWatching` when jobs are still running); `timeout` ends it. It never holds the state
lock while it waits: each write takes the lock briefly and merges what was seen into the state
as it is then; while another run holds the lock, the write waits for the next one (a note says
so) and what was seen is returned all the same.

It needs no valid manifests tree: the settings are read on their own, and a broken manifest is
a warning (what the manifests declare then only loses the retry advice of FAILED jobs).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from reconciler.applying.records import observe
from reconciler.applying.session import ObservingSession, flushed
from reconciler.applying.tracker import Tracker
from reconciler.errors import UsageError
from reconciler.escaping import printable
from reconciler.manifest.loader import ManifestSet
from reconciler.models import Target
from reconciler.planning import attention
from reconciler.planning.attention import Attention
from reconciler.providers.interface import Provider
from reconciler.refresh import refresh
from reconciler.runtime import Runtime
from reconciler.settings import Settings
from reconciler.state.document import JobRecord, StateDocument
from reconciler.state.interface import StateBackend
from reconciler.usecases.events import Emit, Note
from reconciler.usecases.opening import recovery, stored, take_lock
from reconciler.workspace import checked_target, recorded_job, recorded_state


@dataclass(frozen=True)
class StatusInputs:
    manifests_dir: Path
    watch: bool = False
    timeout: float | None = None  # of the watch
    show_forgotten: bool = False
    lock_timeout: float = 0  # each write's wait for another run's lock


class Watched(Enum):
    """How watching ended."""

    NOT_WATCHED = "not watched"
    ENDED = "every job COMPLETED or FAILED"
    RUNNING = "the timeout ran out with jobs still running"
    UNREACHABLE = "the service could not be read"


@dataclass(frozen=True)
class WatchEnded:
    """Watching stopped (normally or not): no `Progress` follows."""


@dataclass(frozen=True)
class StoppedWatching:
    """Watching stopped with jobs still running; `why` when the service could not be read."""

    why: str | None = None


@dataclass(frozen=True)
class Status:
    """The recorded jobs (sorted by address; the forgotten after them where asked for), the
    addresses the service no longer lists, what needs a person, and how watching ended."""

    records: tuple[JobRecord, ...]
    now: datetime
    target: Target | None  # None: nothing recorded, the service was not asked
    missing: frozenset[str]
    attention: tuple[Attention, ...]
    watched: Watched = Watched.NOT_WATCHED


def read_status(inputs: StatusInputs, runtime: Runtime, emit: Emit) -> Status | None:
    """The status of the recorded jobs; None when there is no state yet."""
    if inputs.timeout is not None and not inputs.watch:
        raise UsageError("--timeout limits --watch: give --watch too, or leave --timeout out")
    tree, backend = recovery(inputs.manifests_dir, runtime, emit)
    document = stored(backend, emit)  # without the lock: each write takes it briefly
    if document is None:
        return None
    stale_after = tree.settings.state.lock_stale_after
    session = _session(backend, document, inputs, stale_after, runtime, emit)
    target, missing, watched = None, frozenset[str](), Watched.NOT_WATCHED
    groups = {record.spec.dataset_group_arn for record in document.jobs.values()}
    if document.jobs:
        provider = runtime.make_provider(tree.settings)
        target = checked_target(provider, groups)
        with flushed(session, lambda text: emit(Note(printable(text) + "."))):
            if inputs.watch:
                watched = _watch(session, provider, tree.settings, inputs, runtime, emit)
            missing = _look(session, provider, runtime)
    records = sorted(session.document.jobs.values(), key=lambda r: r.address)
    if inputs.show_forgotten:
        records += sorted(session.document.forgotten, key=lambda r: r.address)
    needs = _attention(records, missing, tree.manifests, groups)
    return Status(tuple(records), runtime.clock(), target, missing, needs, watched)


def _session(
    backend: StateBackend,
    document: StateDocument,
    inputs: StatusInputs,
    stale_after: float,
    runtime: Runtime,
    emit: Emit,
) -> ObservingSession:
    """The state as status writes it: each write under the lock, taken briefly."""
    return ObservingSession(
        backend,
        document,
        runtime.clock,
        take_lock=lambda: take_lock(
            backend, "status", inputs.lock_timeout, stale_after, runtime, emit
        ),
        note=lambda text: emit(Note(printable(text) + ".")),
        monotonic=runtime.monotonic,
    )


def _attention(
    records: Sequence[JobRecord],
    missing: Collection[str],
    manifests: ManifestSet | None,
    groups: Collection[str],
) -> tuple[Attention, ...]:
    """The jobs that need a person, with the retry advice of the manifests where they are
    valid."""
    declared = {job.address: job for job in manifests.declared_in(groups)} if manifests else {}
    tracked = [recorded_job(r) for r in records if not r.forgotten]
    return tuple(attention.of_recorded(tracked, missing, declared))


def _watch(
    session: ObservingSession,
    provider: Provider,
    settings: Settings,
    inputs: StatusInputs,
    runtime: Runtime,
    emit: Emit,
) -> Watched:
    """Poll until every job is COMPLETED or FAILED, until the timeout, or until the service
    cannot be read."""
    tracker = Tracker(
        session,
        provider,
        intervals=settings.polling.intervals(provider.polling_defaults),
        monotonic=runtime.monotonic,
        sleep=runtime.sleep,
    )
    try:
        result = tracker.run([], timeout=inputs.timeout, report=emit)
    finally:
        emit(WatchEnded())
    if result.finished:
        return Watched.ENDED
    if result.unreachable:
        emit(StoppedWatching(printable(result.unreachable)))
        return Watched.UNREACHABLE
    emit(StoppedWatching())
    return Watched.RUNNING


def _look(session: ObservingSession, provider: Provider, runtime: Runtime) -> frozenset[str]:
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
    return frozenset(missing)
