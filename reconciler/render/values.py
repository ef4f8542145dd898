"""A job's attributes in the service's own field names, as every rendering shows them."""

from __future__ import annotations

from typing import Any

from reconciler.models import JobSpec
from reconciler.planning.model import JobValues, Plan, RecordedJob

RESOURCE_TYPE = "personalize_data_deletion_job"


def spec_values(spec: JobSpec, job_name: str | None = None) -> dict[str, Any]:
    return {
        "datasetGroupArn": spec.dataset_group_arn,
        "jobName": job_name or spec.job_name,
        "dataSource": {"dataLocation": spec.data_location},
        "roleArn": spec.role_arn,
        "tags": dict(spec.tags),
    }


def recorded_values(recorded: RecordedJob) -> dict[str, Any]:
    seen = recorded.seen
    return {
        **spec_values(recorded.spec, recorded.job_name),
        "dataDeletionJobArn": recorded.arn,
        "status": seen.status.value if seen else None,
        "numDeleted": seen.num_deleted if seen else None,
        "failureReason": seen.failure_reason if seen else None,
    }


def job_values(values: JobValues) -> dict[str, Any]:
    return {
        **spec_values(values.spec),
        "dataDeletionJobArn": values.arn,
        "status": values.status.value if values.status else None,
        "numDeleted": values.num_deleted,
        "failureReason": values.failure_reason,
    }


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
