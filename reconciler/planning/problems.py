"""The plan's diagnostics that are not one declared job's decision: a dataset group that does not
exist where the run acts, a `--retry` that cannot be done, jobs nothing manages."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from reconciler.diagnostics import Severity
from reconciler.models import MAX_ATTEMPTS, DesiredJob, JobStatus, Target
from reconciler.planning.model import Change, PlanDiagnostic, RecordedJob
from reconciler.planning.observed import Observed


def refused_retry(
    address: str,
    declared: Collection[str],
    records: Mapping[str, RecordedJob],
    observed: Observed,
    importing: Collection[str],
    rerun_reason: str | None = None,
) -> PlanDiagnostic:
    """Why `--retry ADDRESS` cannot be done: an error (nothing is applied)."""
    record = records.get(address)
    if address not in declared:
        why = "is not declared in the manifests (its address is GROUP/JOBNAME)"
    elif address in importing:
        why = "is not recorded yet: this plan imports it; ask for its retry in the next apply"
    elif record is None or record.arn is None:
        why = "has no job yet: apply creates it"
    else:
        found = observed.find(record.spec.dataset_group_arn, record.job_name)
        if found is None:
            why = f"{record.job_name} is no longer listed by the service"
        elif found.status is JobStatus.COMPLETED and not rerun_reason:
            why = (
                f"{record.job_name} is COMPLETED: to run its deletion again (an import brought "
                "users back), give the reason too: --reason TEXT"
            )
        elif found.status not in (JobStatus.FAILED, JobStatus.COMPLETED):
            why = f"{record.job_name} is {found.status.value}: it has not ended yet"
        else:
            why = f"has no attempts left ({MAX_ATTEMPTS} jobs): declare a job with a new jobName"
    return PlanDiagnostic(
        severity=Severity.ERROR,
        summary=f"--retry {address}: cannot retry",
        detail=f"{address} {why}",
        address=address,
    )


def missing_group(arn: str, target: Target) -> str:
    fix = "fix datasetGroupArn"
    if target.emulator is not None:
        return (
            f"{arn} does not exist in the local emulator ({target.emulator}): add it to the "
            f"emulator's datasetGroups (its settings file), or {fix}"
        )
    return (
        f"{arn} does not exist in {target.describe()} (or these credentials cannot see it): "
        f"create it, or {fix}"
    )


def unmanaged(
    observed: Observed,
    desired: Sequence[DesiredJob],
    records: Iterable[RecordedJob],
    changes: Iterable[Change] = (),
) -> list[PlanDiagnostic]:
    """Jobs in a managed group that nothing declares, records or imports (an earlier attempt
    included): say how to take them over."""
    known = {declared.spec.job_name for declared in desired}
    for record in records:
        known.add(record.job_name)
        known.update(record.earlier_names)
    for change in changes:
        known.add(change.job_name)
        known.update(earlier.job_name for earlier in change.earlier)
    return [
        PlanDiagnostic(
            severity=Severity.INFO,
            summary=f"Job {job.job_name!r} is not managed",
            detail=f"It is in {arn} but no manifest declares it; declare it with the same spec "
            "to import it.",
        )
        for arn, group in sorted(observed.groups.items())
        for job in group.jobs
        if job.job_name not in known
    ]
