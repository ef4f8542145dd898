"""A job's attributes in the service's own field names, as every rendering shows them."""

from __future__ import annotations

from typing import Any

from reconciler.models import JobSpec
from reconciler.planning.model import Change, Plan
from reconciler.state.document import JobRecord

RESOURCE_TYPE = "personalize_data_deletion_job"


def spec_values(spec: JobSpec, job_name: str | None = None) -> dict[str, Any]:
    return {
        "datasetGroupArn": spec.dataset_group_arn,
        "jobName": job_name or spec.job_name,
        "dataSource": {"dataLocation": spec.data_location},
        "roleArn": spec.role_arn,
        "tags": dict(spec.tags),
    }


def record_values(record: JobRecord) -> dict[str, Any]:
    return {
        **spec_values(record.spec, record.job_name),
        "dataDeletionJobArn": record.arn,
        "status": record.status.value if record.status else None,
        "numDeleted": record.num_deleted,
        "failureReason": record.failure_reason,
    }


def after_values(change: Change) -> dict[str, Any] | None:
    """What the job will be once the change is applied (None for forget)."""
    if change.spec is None:
        return None
    values = spec_values(change.spec, change.job_name)
    live = (
        change.live if change.job_name == (change.live.job_name if change.live else None) else None
    )
    values["dataDeletionJobArn"] = change.arn if not change.creates else None
    values["status"] = live.status.value if live else None
    values["numDeleted"] = live.num_deleted if live else None
    values["failureReason"] = live.failure_reason if live else None
    return values


def short_group(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def summary_sentence(plan: Plan) -> str:
    """`5 to create (2 queued), 1 to adopt, 0 to retry, 0 to forget` (changes only)."""
    counts = plan.summary()
    queued = f" ({counts['queued']} queued)" if counts["queued"] else ""
    return (
        f"{counts['create']} to create{queued}, {counts['adopt']} to adopt, "
        f"{counts['retry']} to retry, {counts['forget']} to forget"
    )
