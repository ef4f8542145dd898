"""Executing a plan: import, forget, and create within the quota, in a constant number of writes.

Imports, forgets and statuses the service moved on call nothing: they are staged. Creates go in
waves: the intents of a whole wave (job names, no ARNs) are stored in one write, together with
whatever was staged; then the calls are made, `parallelism` at a time; their outcomes (ARNs,
refusals) are staged for the next write. Whatever stops the process before that write, the
next plan finds each name of the wave in the service and imports it, or finds nothing and creates
it: never two jobs, never an untracked one. A quota refusal or throttling puts the job back in
the queue; a name that already exists with the declared spec is imported. Queued creates are
submitted as their group's PENDING slots free up (`submit_queued`, called while tracking).

Just before a wave is sent, each create's input is identified again (`identities`: HeadObject,
or the listing of a prefix): a create is sent only while every object of its input is the
version its plan read and showed, and its record keeps that evidence and the run's provenance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from enum import StrEnum
from typing import Any

from reconciler.applying.records import adopted, created, intend, observe
from reconciler.applying.session import StateSession
from reconciler.models import (
    DatasetGroupRef,
    Frozen,
    InputIdentity,
    JobSpec,
    Provenance,
    ServiceJob,
    build_models,
    same_inputs,
)
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
    IMPORTED = "imported"
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
        identities: Callable[[str, str], tuple[InputIdentity, ...] | str] | None = None,
        provenance: Provenance | None = None,
    ) -> None:
        self.session = session
        self.provider = provider
        self.max_pending = max_pending
        self.parallelism = max(1, parallelism)
        self.checkpoint = checkpoint or (lambda point, address: None)  # where tests crash it
        # (location, region) -> which version each object of the input is now, or why that
        # cannot be told; None: the plan did not read the inputs (--skip-preflight)
        self.identities = identities
        self.provenance = provenance  # who approved and ran this run's creates

    def execute(self, plan: Plan) -> list[Outcome]:
        outcomes: list[Outcome] = []
        recorded: list[JobRecord] = []  # imported, and no-ops the service moved on
        forget: list[str] = []
        now = self.session.clock()
        for change in plan.changes:
            before = self.session.get(change.address)
            if change.action is Action.IMPORT and change.observed:
                recorded.append(self._adopted(change, change.observed, now))
                outcomes.append(_outcome(change, Result.IMPORTED, "recorded; nothing created"))
            elif change.action is Action.FORGET:
                forget.append(change.address)
                outcomes.append(_outcome(change, Result.FORGOTTEN, "no longer tracked"))
            elif change.action is Action.NOOP and before and change.observed:
                seen = observe(before, change.observed, now)
                if seen is not before:  # only what the service moved on
                    recorded.append(seen)
        self.session.stage(put=recorded, forget=forget)
        outcomes += [
            _outcome(
                c,
                Result.QUEUED,
                f"held: {c.held}; created once the group is quiet"
                if c.held
                else "waits for a free PENDING slot",
            )
            for c in plan.changes
            if c.creates and c.queued
        ]
        outcomes += self.create_wave([c for c in plan.changes if c.creates and not c.queued])
        return outcomes

    def submit_queued(
        self, queued: Sequence[Change], listed: Mapping[str, Sequence[ServiceJob]]
    ) -> tuple[list[Outcome], list[Change]]:
        """Create, in one wave, the queued jobs whose groups have free PENDING slots in `listed`
        (what a poll just saw); return the outcomes and what stays queued."""
        free = {group: free_slots(jobs, self.max_pending) for group, jobs in listed.items()}
        wave: list[Change] = []
        remaining: list[Change] = []
        for change in queued:
            group = change.dataset_group_arn
            if free.get(group, 0) > 0:
                free[group] -= 1
                wave.append(change.model_copy(update={"queued": False}))
            else:
                remaining.append(change)
        outcomes = self.create_wave(wave)
        again = {o.address for o in outcomes if o.result is Result.QUEUED}
        remaining += [c for c in queued if c.address in again]  # the service counts otherwise
        return outcomes, remaining

    def create_wave(self, changes: Sequence[Change]) -> list[Outcome]:
        """Create the jobs of these create or retry changes: every intent stored first, in one
        write; the outcomes staged."""
        changes, refused = self._preflighted(changes)
        if not changes:
            return refused
        now = self.session.clock()
        prepared = [self._intend(change, now) for change in changes]
        self.session.stage(put=[intent for _, _, intent in prepared])
        self.session.write()
        stop = threading.Event()  # set when the run is interrupted or a call blew up

        def call(item: tuple[Change, JobRecord | None, JobRecord]) -> Any:
            if stop.is_set():
                raise _Stopped()
            try:
                return self._create(*item)
            except BaseException:
                stop.set()
                raise

        build_models()  # before any worker validates a model (see build_models)
        pool = ThreadPoolExecutor(max_workers=self.parallelism)
        futures = [pool.submit(call, item) for item in prepared]
        try:
            results = [future.result() for future in futures]
        except BaseException:  # the calls under way end; the others never start...
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            for item, future in zip(prepared, futures, strict=True):  # ...and what ended counts
                if future.done() and not future.cancelled() and future.exception() is None:
                    self._keep(item, future.result())
            raise
        pool.shutdown(wait=True)
        for item, result in zip(prepared, results, strict=True):
            self._keep(item, result)
        return [*refused, *(outcome for outcome, _ in results)]

    def _preflighted(self, changes: Sequence[Change]) -> tuple[list[Change], list[Outcome]]:
        """The creates whose inputs are, just before they are sent, the versions their plan
        read (a saved plan's reviewers saw them; a queued create waited, and its input may have
        been replaced or removed), and the outcomes of the others: never sent, so no name is
        used up on an input nobody reviewed. Each location is identified once per wave."""
        if self.identities is None:
            return list(changes), []
        found: dict[str, tuple[InputIdentity, ...] | str] = {}
        kept: list[Change] = []
        refused: list[Outcome] = []
        for change in changes:
            assert change.desired is not None
            location = change.desired.data_location
            if location not in found:
                region = DatasetGroupRef.parse(change.dataset_group_arn).region
                found[location] = self.identities(location, region)
            why = _changed(change, found[location])
            if why:
                refused.append(
                    _outcome(change, Result.FAILED, f"not sent: {why}; nothing was created")
                )
            else:
                kept.append(change)
        return kept, refused

    def _keep(
        self,
        item: tuple[Change, JobRecord | None, JobRecord],
        result: tuple[Outcome, JobRecord | None],
    ) -> None:
        """Stage what a create came to: the record it leaves, or what was there before."""
        change, before, _ = item
        after = result[1]
        if after is not None:
            self.session.stage(put=[after])
        elif before is not None:
            self.session.stage(put=[before])
        else:
            self.session.stage(remove=[change.address])

    def _intend(self, change: Change, now: datetime) -> tuple[Change, JobRecord | None, JobRecord]:
        """The change, the record it had (what to put back if nothing is created), its intent."""
        assert change.desired is not None
        before = self.session.get(change.address)
        previous = change.previous
        if before is not None and previous is not None and before.job_name == previous.job_name:
            before = observe(before, previous, now)  # the attempt as it ended (FAILED, or a
            # COMPLETED one run again)
        intent = intend(
            before,
            address=change.address,
            spec=change.desired,
            job_name=change.job_name,
            source=change.source,
            now=now,
            inputs=change.inputs,
            provenance=self._provenance_of(change),
            rerun=change.rerun,
        )
        return change, before, intent

    def _provenance_of(self, change: Change) -> Provenance | None:
        """Who approved and runs `change`'s create: this run's provenance; for a create an
        earlier plan approved and left queued, that plan's approval (its id and digest, change
        reference and approvers: the approval of the decision, whatever later plan also shows
        the create), run by this run."""
        mine, earlier = self.provenance, change.approval
        if mine is None or earlier is None:
            return mine
        if not (earlier.plan_digest or earlier.approved_by or earlier.change_ref):
            return mine  # nothing to carry over
        return mine.model_copy(
            update={
                "plan_id": earlier.plan_id,
                "plan_digest": earlier.plan_digest,
                "change_ref": earlier.change_ref,
                "approved_by": earlier.approved_by,
            }
        )

    def _create(
        self, change: Change, before: JobRecord | None, intent: JobRecord
    ) -> tuple[Outcome, JobRecord | None]:
        """One create call (in a worker thread: no state written here). The record to keep:
        the intent turned into the created job, the intent as it is (nothing known), or None
        (nothing was created: the record goes back to `before`)."""
        assert change.desired is not None
        spec = change.desired.model_copy(update={"job_name": change.job_name})
        self.checkpoint("after_intent", change.address)
        try:
            arn = self.provider.create_job(spec)
        except QuotaExceeded:
            return _outcome(
                change, Result.QUEUED, "the service refused: PENDING quota reached"
            ), None
        except Throttled:
            message = "the service throttled it: it goes again when it can"
            return _outcome(change, Result.QUEUED, message), None
        except AlreadyExists:
            return self._take_over(change, spec, intent)
        except TransientError as exc:
            message = f"{exc}; the next apply finds out whether the service created it"
            return _outcome(change, Result.UNKNOWN, message), intent
        except ProviderError as exc:
            return _outcome(change, Result.FAILED, str(exc)), None
        self.checkpoint("after_create", change.address)
        return _outcome(change, Result.CREATED, arn), created(intent, arn, self.session.clock())

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
            earlier=change.earlier,
        )

    def _take_over(
        self, change: Change, spec: JobSpec, intent: JobRecord
    ) -> tuple[Outcome, JobRecord | None]:
        """The name exists: import the job if it has the declared spec (an earlier create whose
        answer was lost). Until the job can be read, the intent stays and the outcome is open."""
        try:
            listed = self.provider.list_jobs(
                spec.dataset_group_arn, until_seen=frozenset({spec.job_name})
            )
            found = next((j for j in listed if j.job_name == spec.job_name), None)
            described = self.provider.describe_job(found.arn) if found else None
        except ProviderError as exc:
            message = f"{exc}; the next look finds out whose job it is"
            return _outcome(change, Result.UNKNOWN, message), intent
        if described is not None and not service_differences(spec, described):
            said = "it already existed with this spec"
            if _before(described, intent):  # not this create's: what it was given is not known
                said += " (created before this run asked for it: recorded as recovered)"
                intent = intent.model_copy(
                    update={"inputs": (), "provenance": None, "recovered": True}
                )
            record = adopted(
                intent,
                address=change.address,
                spec=intent.spec,
                source=change.source,
                found=described,
                now=self.session.clock(),
            )
            return _outcome(change, Result.IMPORTED, said), record
        message = (
            f"the name {spec.job_name!r} is already used in this account and region by another "
            "job: rename the job in the manifest"
        )
        return _outcome(change, Result.FAILED, message), None


def _before(found: ServiceJob, intent: JobRecord) -> bool:
    """Whether the service created `found` before `intent` was decided: another run's or
    someone's job of the same name and spec, not an answer of this create that was lost."""
    return (
        found.created is not None
        and intent.intended is not None
        and found.created < intent.intended
    )


class _Stopped(Exception):
    """A create of a wave that was interrupted: it was never called."""


def _changed(change: Change, now: tuple[InputIdentity, ...] | str) -> str:
    """Why `change` may not be sent with its input as it is `now` ('' where it may)."""
    if not change.inputs:  # its plan did not read it (not an s3:// location)
        return ""
    if isinstance(now, str):
        return now
    if not now:
        return "its input is gone (no object at its location now); nothing to delete from"
    if same_inputs([e.identity for e in change.inputs], now):
        return ""
    planned = ", ".join(_shown(e.identity) for e in change.inputs if e.identity) or "nothing"
    return (
        f"its input changed since the plan was made (planned: {planned}; now: "
        f"{', '.join(_shown(i) for i in now)}): the plan showed, and its reviewers approved, "
        "another file; make a new plan"
    )


def _shown(identity: InputIdentity | None) -> str:
    if identity is None:
        return "unknown"
    return f"{identity.location} {identity.short()} ({identity.size} bytes)"


def _outcome(change: Change, result: Result, message: str) -> Outcome:
    return Outcome(
        address=change.address,
        action=change.action,
        result=result,
        job_name=change.job_name,
        message=message,
    )
