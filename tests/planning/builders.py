"""Small builders of desired jobs, state records and live views for planning tests."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.models import (
    DesiredJob,
    JobDetail,
    JobSpec,
    JobStatus,
    JobSummary,
    RetryPolicy,
    SourceRef,
)
from reconciler.refresh import GroupLive, LiveView, name_key
from reconciler.state.document import Attempt, JobRecord, StateDocument

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/R"
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def group(name: str = "g", region: str = "eu-west-1") -> str:
    return f"arn:aws:personalize:{region}:{ACCOUNT}:dataset-group/{name}"


def job_arn(name: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:personalize:{region}:{ACCOUNT}:data-deletion-job/{name}"


def spec(name: str, grp: str | None = None, location: str | None = None) -> JobSpec:
    return JobSpec(
        dataset_group_arn=grp or group(), job_name=name,
        data_location=location or f"s3://b/{name}.csv", role_arn=ROLE,
    )  # fmt: skip


def desired(
    name: str, grp: str | None = None, location: str | None = None, **retry: object
) -> DesiredJob:
    s = spec(name, grp, location)
    group_name = s.dataset_group_arn.rsplit("/", 1)[1]
    return DesiredJob(
        address=f"{group_name}/{name}", spec=s, source=SourceRef(file="m.yaml", line=1, column=1),
        retry=RetryPolicy(**retry),  # type: ignore[arg-type]
    )  # fmt: skip


def record(
    job: DesiredJob,
    *,
    arn: bool = True,
    status: JobStatus | None = JobStatus.PENDING,
    attempts: int = 1,
    job_name: str | None = None,
    spec_override: JobSpec | None = None,
) -> JobRecord:
    s = spec_override or job.spec
    name = job_name or (job.spec.derived_name(attempts) if attempts > 1 else job.spec.job_name)
    earlier = tuple(
        Attempt(job_name=job.spec.derived_name(n) if n > 1 else job.spec.job_name,
                arn=job_arn(job.spec.job_name), status=JobStatus.FAILED)
        for n in range(1, attempts)
    )  # fmt: skip
    return JobRecord(
        address=job.address, spec=s, spec_digest=s.digest(), manifest="m.yaml:1:1",
        job_name=name, arn=job_arn(name) if arn else None, status=status if arn else None,
        attempts=earlier,
    )  # fmt: skip


def state(*records: JobRecord) -> StateDocument:
    return StateDocument(lineage="L", serial=3, jobs={r.address: r for r in records})


def summary(name: str, grp: str | None = None, status: JobStatus = JobStatus.PENDING,
            reason: str | None = None) -> JobSummary:  # fmt: skip
    return JobSummary(
        arn=job_arn(name), job_name=name, dataset_group_arn=grp or group(), status=status,
        created=T0, last_updated=T0, failure_reason=reason,
    )  # fmt: skip


def detail(s: JobSummary, location: str, num_deleted: int | None = None) -> JobDetail:
    return JobDetail(
        **s.model_dump(), data_location=location, role_arn=ROLE, num_deleted=num_deleted
    )


def live(
    jobs: list[JobSummary] = (),  # type: ignore[assignment]
    details: list[JobDetail] = (),  # type: ignore[assignment]
    groups: list[str] | None = None,
    missing: list[str] = (),  # type: ignore[assignment]
) -> LiveView:
    arns = set(groups or [group()]) | {j.dataset_group_arn for j in jobs}
    grouped = {
        arn: GroupLive(
            arn=arn, exists=True, jobs=tuple(j for j in jobs if j.dataset_group_arn == arn)
        )
        for arn in arns
    }
    for arn in missing:
        grouped[arn] = GroupLive(arn=arn, exists=False)
    return LiveView(
        groups=grouped, details={d.arn: d for d in details}, api_calls={},
        by_name={name_key(j.dataset_group_arn, j.job_name): j for j in jobs},
    )  # fmt: skip
