"""Tracking, the doing half: poll the service until every followed job is COMPLETED or FAILED,
save what changed, submit queued creates as PENDING slots free up, and sleep in between.

The decisions are `tracking`'s pure functions; this loop only talks to the provider, the state
session and the clock. Between polls it sleeps, backing off by half from the first interval to
the last. A poll writes the state at most once: with the intents of the creates it submits, or
else (observations only) at most every `session.WRITE_EVERY` seconds; the caller flushes the
rest when the run ends. Tracking resumes from the state in any later run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.applying.executor import Executor, Outcome, Result
from reconciler.applying.session import StateSession
from reconciler.applying.tracking import Transition, fold, needs_watching, to_describe, to_list
from reconciler.models import Activity, ServiceJob, describe_activity
from reconciler.planning.model import Change
from reconciler.planning.quota import free_slots
from reconciler.providers.interface import Provider, ProviderError
from reconciler.state.document import JobRecord

MAX_TRIES = 3  # creates sent per job in one run, when the answers do not come
MAX_FAILED_POLLS = 10  # polls in a row that could read nothing: the service is gone, stop


@dataclass
class Progress:
    """What a poll saw, for the display."""

    elapsed: float
    counts: Counter[str]
    transitions: list[Transition] = field(default_factory=list)
    submitted: list[Outcome] = field(default_factory=list)
    vanished: list[JobRecord] = field(default_factory=list)  # no longer listed: not followed
    error: str | None = None  # (part of) the poll failed (a service error): tried again next time
    blind: bool = False  # nothing at all could be read


@dataclass
class TrackResult:
    finished: bool  # every followed job is terminal and nothing is queued
    records: list[JobRecord]
    queued: list[Change]
    missing: set[str] = field(default_factory=set)  # followed jobs the service stopped listing
    outcomes: list[Outcome] = field(default_factory=list)  # of creates submitted while tracking
    unreachable: str | None = None  # why tracking gave up: the service could not be read


class Tracker:
    def __init__(
        self,
        session: StateSession,
        provider: Provider,
        *,
        intervals: tuple[float, float],
        executor: Executor | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        activity: Callable[[str], Sequence[Activity]] | None = None,
    ) -> None:
        self.session = session
        self.provider = provider
        self.first, self.ceiling = intervals
        self.executor = executor
        self.monotonic = monotonic
        self.sleep = sleep
        self.activity = activity  # what runs in a group: held creates wait for it to end
        self._misses: dict[str, int] = {}
        self.missing: set[str] = set()  # followed jobs the service stopped listing
        self.outcomes: list[Outcome] = []  # of every create submitted while tracking
        self.tries: Counter[str] = Counter()  # creates sent per address, not confirmed

    def _to_try_again(self, outcomes: list[Outcome], queued: list[Change]) -> list[Change]:
        """The creates that were not confirmed and have tries left."""
        changes = {c.address: c for c in queued}
        again = []
        for outcome in outcomes:
            if outcome.result is Result.UNKNOWN:
                self.tries[outcome.address] += 1
                if self.tries[outcome.address] < MAX_TRIES:
                    again.append(changes[outcome.address])
        return again

    def _released(
        self, queued: list[Change], listed: Mapping[str, Sequence[ServiceJob]], errors: list[str]
    ) -> tuple[list[Change], list[Change]]:
        """The queued creates that may go when slots free up, and those held: a create goes
        only while nothing runs in its group. Asked once a poll, for the groups of held creates
        and of queued ones a free PENDING slot would let go now (a group that began to import
        or train while they queued holds them too)."""
        if self.activity is None:
            return [c.model_copy(update={"held": None}) if c.held else c for c in queued], []
        limit = self.executor.max_pending if self.executor is not None else 0
        slots = {g for g, jobs in listed.items() if free_slots(jobs, limit) > 0}
        asked = {c.dataset_group_arn for c in queued if c.held or c.dataset_group_arn in slots}
        busy: dict[str, str] = {}
        for group in sorted(asked):
            try:
                running = self.activity(group)
            except ProviderError as exc:
                errors.append(str(exc))
                busy[group] = "what runs there could not be read"  # not known to be quiet
                continue
            if running:
                busy[group] = describe_activity(running)
        ready = [
            c.model_copy(update={"held": None}) if c.held else c
            for c in queued
            if c.dataset_group_arn not in busy
        ]
        held = [
            c.model_copy(update={"held": busy[c.dataset_group_arn]})
            for c in queued
            if c.dataset_group_arn in busy
        ]
        return ready, held

    def following(self, record: JobRecord) -> bool:
        return needs_watching(record) and record.address not in self.missing

    def poll(self, queued: list[Change], started: float) -> tuple[Progress, list[Change]]:
        """One look at the service: record what changed, submit what the quota now allows.

        A group whose listing fails, or a job whose Describe fails, is left for the next poll;
        what the rest of the poll saw is kept. A create that was not confirmed goes back into
        the queue (tried again at most `MAX_TRIES` times in all): resubmitting it can never make
        a second job, since the name is taken if the first one reached the service, and then
        the job is imported."""
        errors: list[str] = []
        watched = [r for r in self.session.document.jobs.values() if self.following(r)]
        groups = to_list(watched, (c.dataset_group_arn for c in queued))
        listed: dict[str, list[ServiceJob]] = {}
        for group, names in groups.items():
            try:
                listed[group] = self.provider.list_jobs(group, until_seen=names)
            except ProviderError as exc:
                errors.append(str(exc))
        looked_at = [r for r in watched if r.spec.dataset_group_arn in listed]
        described: dict[str, ServiceJob] = {}
        for arn in to_describe(looked_at, listed):
            try:
                described[arn] = self.provider.describe_job(arn)
            except ProviderError as exc:  # numDeleted is read at the next poll
                errors.append(str(exc))
        step = fold(looked_at, listed, described, self._misses, self.session.clock())
        unlisted = {r.address for r in watched if r.spec.dataset_group_arn not in listed}
        self._misses = {a: n for a, n in self._misses.items() if a in unlisted} | step.misses
        self.missing.update(r.address for r in step.vanished)
        self.session.stage(put=step.records)
        progress = Progress(
            elapsed=self.monotonic() - started,
            counts=Counter(),
            transitions=step.transitions,
            vanished=step.vanished,
            error="; ".join(errors) or None,
            blind=bool(groups) and not listed,
        )
        remaining = queued
        if queued and self.executor is not None:  # a wave writes (observations too)
            ready, waiting = self._released(queued, listed, errors)
            progress.submitted, remaining = self.executor.submit_queued(ready, listed)
            remaining += waiting + self._to_try_again(progress.submitted, ready)
        self.session.flush()  # at most once a poll, and observations alone every 20 s
        self.outcomes += progress.submitted
        for record in self.session.document.jobs.values():
            if record.seen is not None:
                progress.counts[record.seen.status.value] += 1
        if remaining:
            progress.counts["QUEUED"] = len(remaining)
        return progress, remaining

    def run(
        self,
        queued: list[Change],
        *,
        timeout: float | None,
        report: Callable[[Progress], None],
        once: bool = False,
        unconfirmed: Sequence[Change] = (),
    ) -> TrackResult:
        """Poll until every followed job is terminal and nothing waits to be created (or until
        `timeout`). `unconfirmed`: creates already sent once whose answer did not come."""
        for change in unconfirmed:
            self.tries[change.address] += 1
        queued = [*queued, *unconfirmed]
        started = self.monotonic()
        interval = self.first
        blind = 0  # polls in a row that read nothing
        while True:
            try:
                progress, queued = self.poll(queued, started)
            except ProviderError as exc:
                if once:
                    raise
                progress = Progress(
                    self.monotonic() - started, Counter(), error=str(exc), blind=True
                )
            report(progress)
            blind = blind + 1 if progress.blind else 0
            records = list(self.session.document.jobs.values())
            finished = not queued and not any(self.following(r) for r in records)
            result = TrackResult(finished, records, queued, set(self.missing), self.outcomes)
            if finished or once:
                return result
            if blind >= MAX_FAILED_POLLS:
                result.unreachable = (
                    f"the service could not be read for {blind} polls in a row ({progress.error})"
                )
                return result
            elapsed = self.monotonic() - started
            if timeout is not None and elapsed + interval > timeout:
                return result
            self.sleep(interval)
            interval = min(self.ceiling, interval * 1.5)
