"""Refresh: read what the service says about every dataset group the plan concerns.

One paginated List per group (declared in a manifest or recorded in state). Describe is called
only where List cannot answer: a job of a declared name (or of one of its retry names) that the
state does not know (to compare its spec before importing it; ListTagsForResource too, since
Describe returns no tags), a recorded intent whose job the service has (the same), and a job
that turned COMPLETED whose `numDeleted` the state lacks. A group whose List is empty is
described once to tell "empty" from "missing". The described job replaces the listed one in the
planner's view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from reconciler.models import DesiredJob, JobStatus, ServiceJob
from reconciler.planning.decide import claimed_names
from reconciler.planning.model import RecordedState
from reconciler.planning.observed import Observed, ObservedGroup, found_attempts
from reconciler.providers.interface import NotFound, Provider


def refresh(
    desired: Sequence[DesiredJob],
    declared_groups: Iterable[str],
    recorded: RecordedState | None,
    provider: Provider,
) -> Observed:
    before = Counter(provider.calls)
    records = recorded.jobs if recorded else {}
    arns = sorted(set(declared_groups) | {r.spec.dataset_group_arn for r in records.values()})
    listed = Observed({arn: _group(provider, arn) for arn in arns})

    wanted: dict[str, None] = {}
    claimed = claimed_names(desired, records.values())
    for declared in desired:
        if declared.address not in records:  # its attempts are compared before an import
            mine = claimed - {declared.spec.job_name}
            for _, found in found_attempts(declared.spec, listed, mine):
                if found is not None:
                    wanted[found.arn] = None
    importable = dict(wanted)  # jobs the plan may import: their tags are compared too
    for record in records.values():
        found = listed.find(record.spec.dataset_group_arn, record.job_name)
        if found is None:
            continue
        unconfirmed = record.arn is None
        known = record.seen.num_deleted if record.seen else None
        unread = found.status is JobStatus.COMPLETED and known is None
        if unconfirmed or unread:
            wanted[found.arn] = None
        if unconfirmed:
            importable[found.arn] = None
    described = {arn: provider.describe_job(arn) for arn in wanted}
    tags = {arn: provider.list_tags(arn) for arn in importable}
    calls = Counter(provider.calls)
    calls.subtract(before)
    return Observed(
        {arn: _with(group, described) for arn, group in listed.groups.items()},
        api_calls={k: v for k, v in calls.items() if v},
        tags=tags,
    )


def _group(provider: Provider, arn: str) -> ObservedGroup:
    try:
        jobs = provider.list_jobs(arn)
    except NotFound:
        return ObservedGroup(arn=arn, exists=False)
    if jobs:
        return ObservedGroup(arn=arn, exists=True, jobs=tuple(jobs))
    return ObservedGroup(arn=arn, exists=provider.describe_dataset_group(arn) is not None)


def _with(group: ObservedGroup, described: dict[str, ServiceJob]) -> ObservedGroup:
    if not described or not any(job.arn in described for job in group.jobs):
        return group
    jobs = tuple(described.get(job.arn, job) for job in group.jobs)
    return ObservedGroup(arn=group.arn, exists=group.exists, jobs=jobs)
