"""Refresh: read what the service says about every dataset group the plan concerns.

One paginated List per group (declared in a manifest or recorded in state). Describe is called
only where List cannot answer: a job of a declared name that the state does not know (to compare
its spec before adopting it), and a job that turned COMPLETED whose `numDeleted` the state lacks.
A group whose List is empty is described once to tell "empty" from "missing".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from reconciler.models import DatasetGroupRef, DesiredJob, Frozen, JobDetail, JobStatus, JobSummary
from reconciler.providers.interface import NotFound, Provider
from reconciler.state.document import StateDocument


class GroupLive(Frozen):
    arn: str
    exists: bool
    jobs: tuple[JobSummary, ...] = ()


class LiveView(Frozen):
    groups: dict[str, GroupLive]
    details: dict[str, JobDetail]  # by job ARN
    api_calls: dict[str, int]
    by_name: dict[str, JobSummary]  # by name_key(): names are unique per account and region

    def find(self, dataset_group_arn: str, job_name: str) -> JobSummary | None:
        """The job of that name in the group's account and region, wherever it was listed."""
        return self.by_name.get(name_key(dataset_group_arn, job_name))


def name_key(dataset_group_arn: str, job_name: str) -> str:
    partition, region, account = DatasetGroupRef.parse(dataset_group_arn).scope
    return f"{partition}:{region}:{account}:{job_name}"


def refresh(
    desired: Sequence[DesiredJob],
    declared_groups: Iterable[str],
    state: StateDocument | None,
    provider: Provider,
) -> LiveView:
    before = Counter(provider.calls)
    records = state.jobs if state else {}
    arns = sorted(set(declared_groups) | {r.spec.dataset_group_arn for r in records.values()})
    groups = {arn: _group(provider, arn) for arn in arns}
    by_name: dict[str, JobSummary] = {}
    for arn, group in groups.items():
        for job in group.jobs:
            by_name.setdefault(name_key(arn, job.job_name), job)

    def live(group: str, name: str) -> JobSummary | None:
        return by_name.get(name_key(group, name))

    wanted: dict[str, None] = {}
    for declared in desired:
        if declared.address not in records:
            found = live(declared.spec.dataset_group_arn, declared.spec.job_name)
            if found is not None:
                wanted[found.arn] = None
    for record in records.values():
        found = live(record.spec.dataset_group_arn, record.job_name)
        if found is None:
            continue
        unconfirmed = record.arn is None
        unread = found.status is JobStatus.COMPLETED and record.num_deleted is None
        if unconfirmed or unread:
            wanted[found.arn] = None
    details = {arn: provider.describe_job(arn) for arn in wanted}
    calls = Counter(provider.calls)
    calls.subtract(before)
    return LiveView(
        groups=groups,
        details=details,
        api_calls={k: v for k, v in calls.items() if v},
        by_name=by_name,
    )


def _group(provider: Provider, arn: str) -> GroupLive:
    try:
        jobs = provider.list_jobs(arn)
    except NotFound:
        return GroupLive(arn=arn, exists=False)
    if jobs:
        return GroupLive(arn=arn, exists=True, jobs=tuple(jobs))
    return GroupLive(arn=arn, exists=provider.describe_dataset_group(arn) is not None)
