"""Tracking: follow recorded jobs until COMPLETED or FAILED, recording every status change.

Each poll lists each dataset group that has jobs to follow, once, stopping at the page where the
last of its followed names appeared (the newest jobs are on the first page), and describes a job
once, when it turns COMPLETED, to read `numDeleted`. Between polls it sleeps, backing off by half
from the first interval to the last. Queued creates are submitted as PENDING slots free up.
Everything is saved as it is seen, so tracking resumes from the state in any later run.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.apply.executor import Executor, Outcome, Result
from reconciler.apply.records import observe
from reconciler.apply.session import StateSession
from reconciler.models import JobStatus, JobSummary
from reconciler.planning.model import Change
from reconciler.providers.interface import Provider, ProviderError
from reconciler.state.document import JobRecord

MISSES_BEFORE_GIVING_UP = 3  # polls in a row; a new job may take a moment to be listed


@dataclass
class Progress:
    """What a poll saw, for the display."""

    elapsed: float
    counts: Counter[str]
    transitions: list[tuple[str, JobStatus | None, JobStatus]] = field(default_factory=list)
    submitted: list[Outcome] = field(default_factory=list)
    error: str | None = None  # the poll failed (a service error): it is tried again next time


@dataclass
class TrackResult:
    finished: bool  # every followed job is terminal and nothing is queued
    polls: int
    records: list[JobRecord]
    queued: list[Change]
    missing: set[str] = field(default_factory=set)  # followed jobs the service stopped listing


def needs_watching(record: JobRecord) -> bool:
    """A job not yet terminal, or COMPLETED without its numDeleted read."""
    if record.arn is None:
        return False
    if record.status is None or not record.status.terminal:
        return True
    return record.status is JobStatus.COMPLETED and record.num_deleted is None


class Tracker:
    def __init__(
        self,
        session: StateSession,
        provider: Provider,
        *,
        intervals: tuple[float, float],
        max_pending: int,
        executor: Executor | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.provider = provider
        self.first, self.ceiling = intervals
        self.max_pending = max_pending
        self.executor = executor
        self.monotonic = monotonic
        self.sleep = sleep
        self._misses: Counter[str] = Counter()
        self.missing: set[str] = set()  # followed jobs the service stopped listing

    def following(self, record: JobRecord) -> bool:
        return needs_watching(record) and record.address not in self.missing

    def poll(self, queued: list[Change], started: float) -> tuple[Progress, list[Change]]:
        """One look at the service: record what changed, submit what the quota now allows."""
        watched = [r for r in self.session.document.jobs.values() if self.following(r)]
        by_group: dict[str, set[str]] = defaultdict(set)
        for record in watched:
            by_group[record.spec.dataset_group_arn].add(record.job_name)
        for change in queued:
            by_group.setdefault(change.dataset_group_arn, set())
        listed: dict[str, list[JobSummary]] = {
            group: self.provider.list_jobs(group, until_seen=frozenset(names))
            for group, names in sorted(by_group.items())
        }
        progress = Progress(elapsed=self.monotonic() - started, counts=Counter())
        changed = self._observe(watched, listed, progress)
        if changed:
            self.session.put(*changed)
        remaining = self._submit(queued, listed, progress)
        for record in self.session.document.jobs.values():
            if record.arn is not None:
                progress.counts[record.status.value if record.status else "UNKNOWN"] += 1
        if remaining:
            progress.counts["QUEUED"] = len(remaining)
        return progress, remaining

    def _observe(
        self, watched: Iterable[JobRecord], listed: dict[str, list[JobSummary]], progress: Progress
    ) -> list[JobRecord]:
        now = self.session.clock()
        names = {(g, j.job_name): j for g, jobs in listed.items() for j in jobs}
        changed = []
        for record in watched:
            found = names.get((record.spec.dataset_group_arn, record.job_name))
            if found is None:  # every page was read: the service does not list it (yet?)
                self._misses[record.address] += 1
                if self._misses[record.address] >= MISSES_BEFORE_GIVING_UP:
                    self.missing.add(record.address)
                    progress.error = (
                        f"{record.address} ({record.arn}) is no longer listed by the service"
                    )
                continue
            self._misses.pop(record.address, None)
            seen: JobSummary = found
            if found.status is JobStatus.COMPLETED and record.num_deleted is None:
                seen = self.provider.describe_job(found.arn)
            updated = observe(record, seen, now)
            if updated != record:
                changed.append(updated)
                if updated.status != record.status:
                    progress.transitions.append((record.address, record.status, found.status))
        return changed

    def _submit(
        self, queued: list[Change], listed: dict[str, list[JobSummary]], progress: Progress
    ) -> list[Change]:
        if not queued or self.executor is None:
            return queued
        pending = {
            g: sum(1 for j in jobs if j.status is JobStatus.PENDING) for g, jobs in listed.items()
        }
        remaining = []
        for change in queued:
            group = change.dataset_group_arn
            if pending.get(group, 0) >= self.max_pending:
                remaining.append(change)
                continue
            outcome = self.executor.create(change.model_copy(update={"queued": False}))
            progress.submitted.append(outcome)
            if outcome.result is Result.QUEUED:
                remaining.append(change)
                pending[group] = self.max_pending
            else:
                pending[group] = pending.get(group, 0) + 1
        return remaining

    def run(
        self,
        queued: list[Change],
        *,
        timeout: float | None,
        report: Callable[[Progress], None],
        once: bool = False,
    ) -> TrackResult:
        started = self.monotonic()
        interval = self.first
        polls = 0
        while True:
            try:
                progress, queued = self.poll(queued, started)
            except ProviderError as exc:
                if once:
                    raise
                progress = Progress(self.monotonic() - started, Counter(), error=str(exc))
            report(progress)
            polls += 1
            records = list(self.session.document.jobs.values())
            finished = not queued and not any(self.following(r) for r in records)
            if finished or once:
                return TrackResult(finished, polls, records, queued, set(self.missing))
            elapsed = self.monotonic() - started
            if timeout is not None and elapsed + interval > timeout:
                return TrackResult(False, polls, records, queued, set(self.missing))
            self.sleep(interval)
            interval = min(self.ceiling, interval * 1.5)
