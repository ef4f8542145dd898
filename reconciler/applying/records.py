"""State record transitions, as pure functions: each returns a new record.

The order of writes is what makes apply crash-safe: `intend` is saved before the create call,
`created` after it. A record with an intent but no ARN tells the next plan to look the name up
in the service and import what it finds (same spec) or create again (nothing there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reconciler.diagnostics import Location
from reconciler.models import InputEvidence, JobSpec, JobStatus, Provenance, ServiceJob
from reconciler.planning.model import EarlierAttempt
from reconciler.state.document import Attempt, JobRecord, Transition


def intend(
    before: JobRecord | None,
    *,
    address: str,
    spec: JobSpec,
    job_name: str,
    source: Location | None,
    now: datetime,
    inputs: tuple[InputEvidence, ...] = (),
    provenance: Provenance | None = None,
    rerun: str | None = None,
) -> JobRecord:
    """The record saved before creating `job_name` (a first job, or a retry of `before`), with
    what its input held (`inputs`), who approved and ran the create (`provenance`), and why a
    COMPLETED job runs again (`rerun`)."""
    attempts: tuple[Attempt, ...] = ()
    if before is not None:
        attempts = before.attempts
        if before.seen is not None:  # a retry: the failed job becomes an earlier attempt
            attempts = (*attempts, _earlier(before))
    return JobRecord(
        address=address,
        spec=spec,
        spec_digest=spec.digest(),
        manifest=str(source) if source else (before.manifest if before else ""),
        job_name=job_name,
        intended=now,
        attempts=attempts,
        inputs=inputs,
        provenance=provenance,
        rerun=rerun,
    )


def _earlier(record: JobRecord) -> Attempt:
    """The current attempt of `record`, as an earlier one once another is made."""
    return Attempt(
        job_name=record.job_name,
        seen=record.seen,
        inputs=record.inputs,
        provenance=record.provenance,
        recovered=record.recovered,
        rerun=record.rerun,
    )


def created(record: JobRecord, arn: str, now: datetime) -> JobRecord:
    """The service accepted the create: the job is PENDING from now."""
    seen = ServiceJob(
        arn=arn,
        job_name=record.job_name,
        dataset_group_arn=record.spec.dataset_group_arn,
        status=JobStatus.PENDING,
        created=now,
        last_updated=now,
    )
    return record.model_copy(
        update={
            "seen": seen,
            "history": (*record.history, Transition(status=JobStatus.PENDING, seen=now)),
        }
    )


def adopted(
    before: JobRecord | None,
    *,
    address: str,
    spec: JobSpec,
    source: Location | None,
    found: ServiceJob,
    now: datetime,
    earlier: Sequence[EarlierAttempt] = (),
) -> JobRecord:
    """A job found in the service with the declared spec, recorded as it is, with `earlier`
    attempts found in the service as its history. Over a record of an earlier attempt (a state
    restored from before a retry), that attempt and the `earlier` ones after it become the
    history of the one found. What only the service told is marked `recovered`: nothing was
    recorded of it at the time (its input, who approved it); a record's own intent (a create
    whose answer was lost) keeps what was recorded with it."""
    history = tuple(Attempt(job_name=e.job_name, seen=e.seen, recovered=True) for e in earlier)
    if before is None:
        base = JobRecord(
            address=address,
            spec=spec,
            spec_digest=spec.digest(),
            manifest=str(source) if source else "",
            job_name=found.job_name,
            attempts=history,
            recovered=True,
        )
    elif before.job_name != found.job_name:  # the job found is a later attempt than recorded
        done = (_earlier(before),) if before.seen is not None else ()
        base = before.model_copy(
            update={
                "attempts": (*before.attempts, *done, *history),
                "seen": None,
                "history": (),
                "inputs": (),
                "provenance": None,
                "recovered": True,
                "intended": None,
            }
        )
    else:
        base = before
    update = {"job_name": found.job_name, "spec": spec, "spec_digest": spec.digest()}
    return observe(base.model_copy(update=update), found, now)


def observe(record: JobRecord, found: ServiceJob, now: datetime) -> JobRecord:
    """What the service says now; a new status is appended to the history with when it was seen.
    What an earlier Describe read (numDeleted, the data source) is kept. A job only moves
    forward (PENDING > IN_PROGRESS > COMPLETED or FAILED), so an observation behind the one
    recorded (a slow `status` writing after an apply) changes nothing. Status order, not
    timestamps: the time a create was recorded comes from this machine's clock, not the
    service's."""
    last = record.seen
    if last is not None and last.arn == found.arn:
        behind = found.status.step < last.status.step
        if behind or (last.status.terminal and found.status != last.status):
            return record
    seen = found.over(record.seen)
    if seen == record.seen:
        return record
    update: dict[str, object] = {"seen": seen}
    if seen.status != record.status:
        update["history"] = (*record.history, Transition(status=seen.status, seen=now))
    return record.model_copy(update=update)


def forgotten(record: JobRecord, now: datetime) -> JobRecord:
    return record.model_copy(update={"forgotten": now})
