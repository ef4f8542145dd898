"""Executing a plan: adopt, forget, and create within the quota, recording each outcome at once.

Adopts, forgets and statuses the service moved on call nothing, so they are saved together in
one write (10,000 adopts are one write, not 10,000). A create is two writes around one call: the
intent (job name, no ARN) is saved, the service is asked, then the ARN is saved. Whatever stops
the process in between, the next plan finds the name in the service and adopts it, or finds
nothing and creates it: never two jobs, never an untracked one. A quota refusal puts the job
back in the queue; a name that already exists with the declared spec is adopted. Queued creates
are submitted as their group's PENDING slots free up (`submit_queued`, called while tracking).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from enum import StrEnum

from reconciler.applying.records import adopted, created, intend, observe
from reconciler.applying.session import StateSession
from reconciler.models import Frozen, JobSpec, ServiceJob
from reconciler.planning.conflicts import service_differences
from reconciler.planning.model import Action, Change, Plan
from reconciler.planning.quota import free_slots
from reconciler.providers.interface import (
    AlreadyExists,
    Provider,
    ProviderError,
    QuotaExceeded,
    Throttled,
    TransientError,
)
from reconciler.state.document import JobRecord

Checkpoint = Callable[[str, str], None]


class Result(StrEnum):
    CREATED = "created"
    ADOPTED = "adopted"
    FORGOTTEN = "forgotten"
    QUEUED = "queued"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the create may or may not have reached the service


class Outcome(Frozen):
    address: str
    action: Action
    result: Result
    job_name: str
    message: str = ""


class Executor:
    def __init__(
        self,
        session: StateSession,
        provider: Provider,
        *,
        max_pending: int,
        parallelism: int = 4,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.session = session
        self.provider = provider
        self.max_pending = max_pending
        self.parallelism = max(1, parallelism)
        self.checkpoint = checkpoint or (lambda point, address: None)  # where tests crash it

    def execute(self, plan: Plan) -> list[Outcome]:
        outcomes: list[Outcome] = []
        recorded: list[JobRecord] = []  # adopted, and no-ops the service moved on: one write
        forget: list[str] = []
        now = self.session.clock()
        for change in plan.changes:
            before = self.session.get(change.address)
            if change.action is Action.ADOPT and change.observed:
                recorded.append(self._adopted(change, change.observed, now))
                outcomes.append(_outcome(change, Result.ADOPTED, "recorded; nothing created"))
            elif change.action is Action.FORGET:
                forget.append(change.address)
                outcomes.append(_outcome(change, Result.FORGOTTEN, "no longer tracked"))
            elif change.action is Action.NOOP and before and change.observed:
                seen = observe(before, change.observed, now)
                if seen is not before:  # write only what the service moved on
                    recorded.append(seen)
        if recorded or forget:
            self.session.update(put=recorded, forget=forget)
        creates = [c for c in plan.changes if c.creates and not c.queued]
        outcomes += [
            _outcome(c, Result.QUEUED, "waits for a free PENDING slot")
            for c in plan.changes
            if c.creates and c.queued
        ]
        pool = ThreadPoolExecutor(max_workers=self.parallelism)
        try:
            outcomes += list(pool.map(self.create, creates))
        finally:  # interrupted: the creates under way end and record; the others never start
            pool.shutdown(wait=True, cancel_futures=True)
        return outcomes

    def submit_queued(
        self, queued: Sequence[Change], listed: Mapping[str, Sequence[ServiceJob]]
    ) -> tuple[list[Outcome], list[Change]]:
        """Create the queued jobs whose groups have free PENDING slots in `listed` (what a poll
        just saw); return the outcomes and what stays queued."""
        free = {group: free_slots(jobs, self.max_pending) for group, jobs in listed.items()}
        outcomes: list[Outcome] = []
        remaining: list[Change] = []
        for change in queued:
            group = change.dataset_group_arn
            if free.get(group, 0) <= 0:
                remaining.append(change)
                continue
            outcome = self.create(change.model_copy(update={"queued": False}))
            outcomes.append(outcome)
            if outcome.result is Result.QUEUED:  # the service counts otherwise: wait
                remaining.append(change)
                free[group] = 0
            else:
                free[group] -= 1
        return outcomes, remaining

    def create(self, change: Change) -> Outcome:
        """Create the job of a create or retry change, with the intent saved first."""
        assert change.desired is not None
        spec = change.desired.model_copy(update={"job_name": change.job_name})
        now = self.session.clock()
        before = self.session.get(change.address)
        previous = change.previous
        if before is not None and previous is not None and before.job_name == previous.job_name:
            before = observe(before, previous, now)  # the attempt as it ended: FAILED
        record = intend(
            before,
            address=change.address,
            spec=change.desired,
            job_name=change.job_name,
            source=change.source,
            now=now,
        )
        self.session.put(record)
        self.checkpoint("after_intent", change.address)
        try:
            arn = self.provider.create_job(spec)
        except QuotaExceeded:
            self.session.restore(change.address, before)
            return _outcome(change, Result.QUEUED, "the service refused: PENDING quota reached")
        except Throttled:
            self.session.restore(change.address, before)
            return _outcome(
                change, Result.QUEUED, "the service throttled it: it goes again when it can"
            )
        except AlreadyExists:
            return self._take_over(change, spec, before)
        except TransientError as exc:
            return _outcome(
                change,
                Result.UNKNOWN,
                f"{exc}; the next apply finds out whether the service created it",
            )
        except ProviderError as exc:
            self.session.restore(change.address, before)
            return _outcome(change, Result.FAILED, str(exc))
        self.checkpoint("after_create", change.address)
        self.session.put(created(record, arn, self.session.clock()))
        return _outcome(change, Result.CREATED, arn)

    def _adopted(self, change: Change, found: ServiceJob, now: datetime) -> JobRecord:
        """The record of `change`'s job as the service has it (what was recorded is kept)."""
        assert change.desired is not None
        return adopted(
            self.session.get(change.address),
            address=change.address,
            spec=change.desired,
            source=change.source,
            found=found,
            now=now,
        )

    def _take_over(self, change: Change, spec: JobSpec, before: JobRecord | None) -> Outcome:
        """The name exists: adopt the job if it has the declared spec (an earlier create whose
        answer was lost). Until the job can be read, the intent stays and the outcome is open."""
        try:
            listed = self.provider.list_jobs(
                spec.dataset_group_arn, until_seen=frozenset({spec.job_name})
            )
            found = next((j for j in listed if j.job_name == spec.job_name), None)
            described = self.provider.describe_job(found.arn) if found else None
        except ProviderError as exc:
            return _outcome(
                change, Result.UNKNOWN, f"{exc}; the next look finds out whose job it is"
            )
        if described is not None and not service_differences(spec, described):
            record = self._adopted(change, described, self.session.clock())
            self.session.put(record)
            return _outcome(change, Result.ADOPTED, "it already existed with this spec")
        self.session.restore(change.address, before)
        return _outcome(
            change,
            Result.FAILED,
            f"the name {spec.job_name!r} is already used in this account and region by another "
            "job: rename the job in the manifest",
        )


def _outcome(change: Change, result: Result, message: str) -> Outcome:
    return Outcome(
        address=change.address,
        action=change.action,
        result=result,
        job_name=change.job_name,
        message=message,
    )
