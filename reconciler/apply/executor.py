"""Executing a plan: adopt, forget, and create within the quota, recording each outcome at once.

Adopts, forgets and statuses the service moved on call nothing, so they are saved together in
one write (10,000 adopts are one write, not 10,000). A create is two writes around one call: the
intent (job name, no ARN) is saved, the service is asked, then the ARN is saved. Whatever stops
the process in between, the next plan finds the name in the service and adopts it, or finds
nothing and creates it: never two jobs, never an untracked one. A quota refusal puts the job
back in the queue; a name that already exists with the declared spec is adopted.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum

from reconciler.apply.records import adopted, created, intend, observe
from reconciler.apply.session import StateSession
from reconciler.models import Frozen, JobSpec
from reconciler.planning.conflicts import live_differences
from reconciler.planning.model import Action, Change, LiveState, Plan
from reconciler.providers.interface import (
    AlreadyExists,
    Provider,
    ProviderError,
    QuotaExceeded,
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


def no_checkpoint(point: str, address: str) -> None:
    """Where tests inject a crash: `after_intent`, `after_create`."""


class Executor:
    def __init__(
        self,
        session: StateSession,
        provider: Provider,
        *,
        parallelism: int = 4,
        checkpoint: Checkpoint = no_checkpoint,
    ) -> None:
        self.session = session
        self.provider = provider
        self.parallelism = max(1, parallelism)
        self.checkpoint = checkpoint

    def execute(self, plan: Plan) -> list[Outcome]:
        outcomes: list[Outcome] = []
        recorded: list[JobRecord] = []  # adopted, and no-ops the service moved on: one write
        forget: list[str] = []
        now = self.session.clock()
        for change in plan.changes:
            if change.action is Action.ADOPT and change.live and change.spec:
                recorded.append(adopted(change, change.spec, change.live, now))
                outcomes.append(_outcome(change, Result.ADOPTED, "recorded; nothing created"))
            elif change.action is Action.FORGET:
                forget.append(change.address)
                outcomes.append(_outcome(change, Result.FORGOTTEN, "no longer tracked"))
            elif change.action is Action.NOOP and change.before and change.live:
                seen = observe(change.before, change.live, now)
                if seen != change.before:  # write only what the service moved on
                    recorded.append(seen)
        if recorded or forget:
            self.session.update(put=recorded, forget=forget)
        creates = [c for c in plan.changes if c.creates and not c.queued]
        outcomes += [
            _outcome(c, Result.QUEUED, "waits for a free PENDING slot")
            for c in plan.changes
            if c.creates and c.queued
        ]
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            outcomes += list(pool.map(self.create, creates))
        return outcomes

    def create(self, change: Change) -> Outcome:
        """Create the job of a create or retry change, with the intent saved first."""
        assert change.spec is not None
        spec = change.spec.model_copy(update={"job_name": change.job_name})
        record = intend(change, change.spec, self.session.clock())
        self.session.put(record)
        self.checkpoint("after_intent", change.address)
        try:
            arn = self.provider.create_job(spec)
        except QuotaExceeded:
            self._revert(change)
            return _outcome(change, Result.QUEUED, "the service refused: PENDING quota reached")
        except AlreadyExists:
            return self._take_over(change, spec)
        except TransientError as exc:
            return _outcome(
                change, Result.UNKNOWN,
                f"{exc}; the next apply finds out whether the service created it",
            )  # fmt: skip
        except ProviderError as exc:
            self._revert(change)
            return _outcome(change, Result.FAILED, str(exc))
        self.checkpoint("after_create", change.address)
        self.session.put(created(record, arn, self.session.clock()))
        return _outcome(change, Result.CREATED, arn)

    def _revert(self, change: Change) -> None:
        """Nothing was created: the record goes back to what it was before the intent."""
        if change.before is not None:
            self.session.put(change.before)
        else:
            self.session.remove(change.address)

    def _take_over(self, change: Change, spec: JobSpec) -> Outcome:
        """The name exists: adopt the job if it has the declared spec (an earlier, lost create)."""
        listed = self.provider.list_jobs(
            spec.dataset_group_arn, until_seen=frozenset({spec.job_name})
        )
        found = next((j for j in listed if j.job_name == spec.job_name), None)
        if found is not None:
            detail = self.provider.describe_job(found.arn)
            if not live_differences(spec, detail):
                live = LiveState(**detail.model_dump(include=set(LiveState.model_fields)))
                assert change.spec is not None
                self.session.put(adopted(change, change.spec, live, self.session.clock()))
                return _outcome(change, Result.ADOPTED, "it already existed with this spec")
        self._revert(change)
        return _outcome(
            change, Result.FAILED,
            f"the name {spec.job_name!r} is already used in this account and region by another "
            "job: rename the job in the manifest",
        )  # fmt: skip


def _outcome(change: Change, result: Result, message: str) -> Outcome:
    return Outcome(
        address=change.address, action=change.action, result=result,
        job_name=change.job_name, message=message,
    )  # fmt: skip
