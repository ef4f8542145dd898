"""Small builders of desired jobs, recorded jobs and observed views for planning tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from reconciler.diagnostics import Location
from reconciler.models import DesiredJob, JobSpec, JobStatus, RetryPolicy, ServiceJob, Target
from reconciler.planning.model import RecordedJob, RecordedState
from reconciler.planning.observed import Observed, ObservedGroup

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/R"
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

EMULATOR = Target(
    provider="local", account="123456789012", regions=("eu-west-1",), emulator="emulator.sqlite3"
)


def group(name: str = "g", region: str = "eu-west-1") -> str:
    return f"arn:aws:personalize:{region}:{ACCOUNT}:dataset-group/{name}"


def job_arn(name: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:personalize:{region}:{ACCOUNT}:data-deletion-job/{name}"


def spec(name: str, grp: str | None = None, location: str | None = None) -> JobSpec:
    return JobSpec(
        dataset_group_arn=grp or group(),
        job_name=name,
        data_location=location or f"s3://b/{name}.csv",
        role_arn=ROLE,
    )


def desired(
    name: str, grp: str | None = None, location: str | None = None, **retry: object
) -> DesiredJob:
    s = spec(name, grp, location)
    group_name = s.dataset_group_arn.rsplit("/", 1)[1]
    return DesiredJob(
        address=f"{group_name}/{name}",
        spec=s,
        source=Location("m.yaml", 1, 1),
        retry=RetryPolicy(**retry),  # type: ignore[arg-type]
    )


def summary(
    name: str,
    grp: str | None = None,
    status: JobStatus = JobStatus.PENDING,
    reason: str | None = None,
) -> ServiceJob:
    """A job as List shows it."""
    return ServiceJob(
        arn=job_arn(name),
        job_name=name,
        dataset_group_arn=grp or group(),
        status=status,
        created=T0,
        last_updated=T0,
        failure_reason=reason,
    )


def detail(s: ServiceJob, location: str, num_deleted: int | None = None) -> ServiceJob:
    """The same job as Describe shows it."""
    return s.model_copy(
        update={"data_location": location, "role_arn": ROLE, "num_deleted": num_deleted}
    )


def record(
    job: DesiredJob,
    *,
    arn: bool = True,
    status: JobStatus | None = JobStatus.PENDING,
    attempts: int = 1,
    job_name: str | None = None,
    spec_override: JobSpec | None = None,
) -> RecordedJob:
    s = spec_override or job.spec
    name = job_name or (job.spec.derived_name(attempts) if attempts > 1 else job.spec.job_name)
    earlier = tuple(
        job.spec.derived_name(n) if n > 1 else job.spec.job_name for n in range(1, attempts)
    )
    seen = summary(name, s.dataset_group_arn, status or JobStatus.PENDING) if arn else None
    return RecordedJob(
        address=job.address,
        spec=s,
        spec_digest=s.digest(),
        job_name=name,
        seen=seen,
        earlier_names=earlier,
    )


def state(*records: RecordedJob) -> RecordedState:
    return RecordedState(lineage="L", serial=3, jobs={r.address: r for r in records})


def live(
    jobs: Sequence[ServiceJob] = (),
    details: Sequence[ServiceJob] = (),
    groups: list[str] | None = None,
    missing: Sequence[str] = (),
) -> Observed:
    """What refresh would have observed: `details` replace the listed jobs of their ARN."""
    described = {d.arn: d for d in details}
    arns = set(groups or [group()]) | {j.dataset_group_arn for j in jobs}
    grouped = {
        arn: ObservedGroup(
            arn=arn,
            exists=True,
            jobs=tuple(described.get(j.arn, j) for j in jobs if j.dataset_group_arn == arn),
        )
        for arn in arns
    }
    for arn in missing:
        grouped[arn] = ObservedGroup(arn=arn, exists=False)
    return Observed(grouped)
