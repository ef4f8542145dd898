"""make_plan: a pure function of (desired, stored, live, quota) -> Plan.

For each declared job the decision is a switch over (stored record, live job):

| stored record            | live job of that name        | action / diagnostic                  |
|--------------------------|------------------------------|--------------------------------------|
| none                     | none                         | create                               |
| none                     | same spec                    | adopt                                |
| none                     | other spec                   | error: name used by another spec     |
| spec digest differs      | any                          | error: spec changed (immutable)      |
| intent only (no ARN)     | same spec / none             | adopt / create (or retry) again      |
| ARN                      | none                         | no-op, health Missing, drift         |
| ARN, FAILED, retry asked | attempts left                | retry under NAME-rN                  |
| ARN                      | any other status             | no-op with that health               |

Recorded jobs no longer declared are forgotten. Creates and retries of a dataset group go now up
to the free PENDING slots (the quota minus jobs already PENDING there); the rest are queued.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.models import DesiredJob, JobStatus, JobSummary
from reconciler.planning.conflicts import live_differences, spec_differences
from reconciler.planning.model import (
    Action,
    Change,
    Drift,
    Health,
    LiveState,
    Plan,
    PlanDiagnostic,
    Refreshed,
    Severity,
)
from reconciler.planning.quota import allocate
from reconciler.refresh import LiveView
from reconciler.state.document import JobRecord, StateDocument


class _Planner:
    def __init__(self, live: LiveView) -> None:
        self.live = live
        self.changes: list[Change] = []
        self.diagnostics: list[PlanDiagnostic] = []
        self.drift: list[Drift] = []
        self.refreshed: list[Refreshed] = []

    def error(self, summary: str, detail: str, job: DesiredJob) -> None:
        self.diagnostics.append(
            PlanDiagnostic(
                severity=Severity.ERROR, summary=summary, detail=detail,
                address=job.address, source=str(job.source),
            )
        )  # fmt: skip

    def live_state(self, found: JobSummary) -> LiveState:
        detail = self.live.details.get(found.arn)
        return LiveState(
            arn=found.arn, job_name=found.job_name, status=found.status,
            failure_reason=found.failure_reason,
            num_deleted=detail.num_deleted if detail else None,
            created=found.created, last_updated=found.last_updated,
        )  # fmt: skip

    def change(
        self, job: DesiredJob, action: Action, reason: str, code: str, **fields: object
    ) -> None:
        self.changes.append(
            Change(
                address=job.address, action=action, reason=reason, reason_code=code,
                dataset_group_arn=job.spec.dataset_group_arn, spec=job.spec,
                source=str(job.source), **fields,
            )
        )  # fmt: skip

    def adopt_or_conflict(
        self,
        job: DesiredJob,
        found: JobSummary,
        conflict: str,
        reason: str,
        code: str,
        **fields: object,
    ) -> None:
        """Adopt the live job of the name if it has the declared spec; otherwise block."""
        detail = self.live.details.get(found.arn)
        differs = (
            live_differences(job.spec, detail) if detail else "the job's spec could not be read"
        )
        if differs:
            self.error(
                f"Job name {found.job_name!r} is already used by another job",
                f"{conflict}\n{differs}",
                job,
            )
            return
        self.change(
            job, Action.ADOPT, reason, code, job_name=found.job_name, arn=found.arn,
            live=self.live_state(found), health=Health.of(found.status), **fields,
        )  # fmt: skip

    def unrecorded(self, job: DesiredJob) -> None:
        found = self.live.find(job.spec.dataset_group_arn, job.spec.job_name)
        if found is None:
            self.change(
                job, Action.CREATE, "declared; no job of this name in the state or the service",
                "declared_not_found", job_name=job.spec.job_name,
            )  # fmt: skip
            return
        self.adopt_or_conflict(
            job, found,
            "A job of this name exists in the account and region with another spec, and names "
            "can never be reused: give the manifest's job a new jobName.",
            "a job of this name and spec exists in the service but not in the state: record "
            "it, create nothing", "exists_same_spec",
        )  # fmt: skip

    def recorded(self, job: DesiredJob, record: JobRecord) -> None:
        if record.spec_digest != job.spec.digest():
            self.error(
                "The spec of an existing job changed",
                "Deletion jobs cannot be changed once created: restore the manifest, or give "
                "the job a new jobName to create a new job.\n"
                + spec_differences(record.spec.model_dump(), job.spec.model_dump()),
                job,
            )
            return
        found = self.live.find(record.spec.dataset_group_arn, record.job_name)
        retrying = Action.RETRY if record.attempts else Action.CREATE
        if record.arn is None:
            if found is None:
                self.change(
                    job, retrying, "an earlier apply meant to create it and stopped before the "
                    "service had it", "interrupted_before_create", job_name=record.job_name,
                    attempt=record.attempt, before=record,
                )  # fmt: skip
                return
            self.adopt_or_conflict(
                job, found,
                "An earlier apply meant to create this name, and the service has a job of that "
                "name with another spec.",
                "an earlier apply created it and stopped before recording it: record it, create "
                "nothing", "interrupted_after_create", attempt=record.attempt, before=record,
            )  # fmt: skip
            return
        if found is None:
            self.drift.append(
                Drift(
                    address=job.address, kind="missing", before=record,
                    detail=f"{record.arn} is recorded but the service no longer lists it",
                )
            )  # fmt: skip
            self.change(
                job, Action.NOOP, "recorded, but missing from the service", "missing",
                job_name=record.job_name, arn=record.arn, attempt=record.attempt,
                before=record, health=Health.MISSING,
            )  # fmt: skip
            return
        if found.status != record.status:
            self.refreshed.append(
                Refreshed(address=job.address, before=record.status, after=found.status)
            )
        policy = job.retry
        if (
            found.status is JobStatus.FAILED
            and policy.on_failure == "retry"
            and record.attempt < policy.max_attempts
        ):
            attempt = record.attempt + 1
            name = job.spec.derived_name(attempt)
            taken = self.live.find(job.spec.dataset_group_arn, name)
            if taken is not None:
                self.error(
                    f"The retry name {name!r} is already used",
                    "A job of that name exists in the account and region; rename the job.",
                    job,
                )
                return
            self.change(
                job, Action.RETRY,
                f"{record.job_name} FAILED ({found.failure_reason or 'no reason given'}); "
                f"attempt {attempt} of {policy.max_attempts}", "retry_after_failure",
                job_name=name, attempt=attempt, before=record, live=self.live_state(found),
                health=Health.FAILED,
            )  # fmt: skip
            return
        self.change(
            job, Action.NOOP, _noop_reason(found, policy.on_failure), "up_to_date",
            job_name=record.job_name, arn=record.arn, attempt=record.attempt, before=record,
            live=self.live_state(found), health=Health.of(found.status),
        )  # fmt: skip


def _noop_reason(found: JobSummary, on_failure: str) -> str:
    if found.status is JobStatus.FAILED:
        if on_failure == "retry":
            return f"FAILED ({found.failure_reason or 'no reason given'}); no attempts left"
        return f"FAILED ({found.failure_reason or 'no reason given'}); onFailure is report"
    return f"{found.status.value}"


def make_plan(
    desired: Sequence[DesiredJob],
    state: StateDocument | None,
    live: LiveView,
    *,
    max_pending: int,
    provider: str,
    state_location: str,
    manifests_digest: str,
) -> Plan:
    planner = _Planner(live)
    records = state.jobs if state else {}
    missing_groups: dict[str, DesiredJob] = {}
    for job in desired:
        group = live.groups.get(job.spec.dataset_group_arn)
        if group is None or not group.exists:
            missing_groups.setdefault(job.spec.dataset_group_arn, job)
            continue
        record = records.get(job.address)
        if record is None:
            planner.unrecorded(job)
        else:
            planner.recorded(job, record)
    for arn, job in missing_groups.items():
        planner.error(
            "Dataset group not found",
            f"{arn} does not exist (or is not visible to these credentials): create it, or fix "
            "datasetGroupArn",
            job,
        )
    declared = {job.address for job in desired}
    for address, record in records.items():
        if address not in declared:
            planner.changes.append(
                Change(
                    address=address, action=Action.FORGET,
                    reason="no longer declared: stop tracking it; the job stays in Personalize "
                    "and in the state's history", reason_code="not_declared",
                    dataset_group_arn=record.spec.dataset_group_arn, job_name=record.job_name,
                    attempt=record.attempt, before=record,
                    health=Health.of(record.status),
                )
            )  # fmt: skip
    _unmanaged(planner, desired, records.values())
    changes, quotas = allocate(planner.changes, live, max_pending)
    return Plan(
        provider=provider, state_location=state_location,
        lineage=state.lineage if state else None, serial=state.serial if state else None,
        manifests_digest=manifests_digest, changes=tuple(changes), drift=tuple(planner.drift),
        refreshed=tuple(planner.refreshed), quotas=tuple(quotas),
        diagnostics=tuple(planner.diagnostics), api_calls=dict(live.api_calls),
    )  # fmt: skip


def _unmanaged(
    planner: _Planner, desired: Sequence[DesiredJob], records: Iterable[JobRecord]
) -> None:
    """Jobs in a managed group that nothing declares or records: say how to take them over."""
    known: set[str] = set()
    for record in records:
        known.add(record.job_name)
        known.update(a.job_name for a in record.attempts)
    known.update(job.spec.job_name for job in desired)
    for arn, group in sorted(planner.live.groups.items()):
        for job in group.jobs:
            if job.job_name not in known:
                planner.diagnostics.append(
                    PlanDiagnostic(
                        severity=Severity.INFO,
                        summary=f"Job {job.job_name!r} is not managed",
                        detail=f"It is in {arn} but no manifest declares it; declare it with "
                        "the same spec to adopt it.",
                    )
                )
