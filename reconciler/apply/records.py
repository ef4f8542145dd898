"""State record transitions, as pure functions: each returns a new record.

The order of writes is what makes apply crash-safe: `intend` is saved before the create call,
`created` after it. A record with an intent but no ARN tells the next plan to look the name up
in the service and adopt what it finds (same spec) or create again (nothing there).
"""

from __future__ import annotations

from datetime import datetime

from reconciler.models import JobSpec, JobStatus, JobSummary
from reconciler.planning.model import Change, LiveState
from reconciler.state.document import Attempt, JobRecord, Transition


def intend(change: Change, spec: JobSpec, now: datetime) -> JobRecord:
    """The record saved before creating `change.job_name` (a first job or a retry)."""
    attempts: tuple[Attempt, ...] = ()
    before = change.before
    if before is not None:
        attempts = before.attempts
        if before.arn is not None:  # a retry: the failed job becomes an earlier attempt
            attempts = (*attempts, _attempt(before))
    return JobRecord(
        address=change.address,
        spec=spec,
        spec_digest=spec.digest(),
        manifest=change.source or (before.manifest if before else ""),
        job_name=change.job_name,
        intended=now,
        attempts=attempts,
    )


def _attempt(record: JobRecord) -> Attempt:
    return Attempt(
        job_name=record.job_name,
        arn=record.arn,
        status=record.status,
        failure_reason=record.failure_reason,
        created=record.created,
        last_updated=record.last_updated,
    )


def created(record: JobRecord, arn: str, now: datetime) -> JobRecord:
    """The service accepted the create: the job is PENDING from now."""
    return record.model_copy(
        update={
            "arn": arn,
            "status": JobStatus.PENDING,
            "created": now,
            "last_updated": now,
            "history": (*record.history, Transition(status=JobStatus.PENDING, seen=now)),
        }
    )


def adopted(change: Change, spec: JobSpec, found: LiveState, now: datetime) -> JobRecord:
    """A job found in the service with the declared spec, recorded as it is."""
    base = change.before or JobRecord(
        address=change.address,
        spec=spec,
        spec_digest=spec.digest(),
        manifest=change.source or "",
        job_name=found.job_name,
    )
    update = {
        "job_name": found.job_name,
        "arn": found.arn,
        "spec": spec,
        "spec_digest": spec.digest(),
    }
    return observe(base.model_copy(update=update), found, now)


def observe(record: JobRecord, found: JobSummary | LiveState, now: datetime) -> JobRecord:
    """What the service says now; a new status is appended to the history with when it was seen."""
    update: dict[str, object] = {"status": found.status, "failure_reason": found.failure_reason}
    if found.created is not None:
        update["created"] = found.created
    if found.last_updated is not None:
        update["last_updated"] = found.last_updated
    if found.status != record.status:
        update["history"] = (*record.history, Transition(status=found.status, seen=now))
    num_deleted = getattr(found, "num_deleted", None)
    if num_deleted is not None:
        update["num_deleted"] = num_deleted
    return record.model_copy(update=update)


def forgotten(record: JobRecord, now: datetime) -> JobRecord:
    return record.model_copy(update={"forgotten": now})
