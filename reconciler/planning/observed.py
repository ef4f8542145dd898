"""The service as the planner sees it: what refresh observed of each dataset group.

Refresh (which talks to the provider) fills it; the planner only reads it. Job names are unique
per partition, region and account, not per group, so a job is found by name in that scope,
wherever it was listed.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from reconciler.models import MAX_ATTEMPTS, DatasetGroupRef, DesiredJob, JobSpec, ServiceJob
from reconciler.planning.conflicts import service_differences
from reconciler.planning.model import RecordedJob


@dataclass(frozen=True)
class ObservedGroup:
    arn: str
    exists: bool
    jobs: tuple[ServiceJob, ...] = ()  # newest first; described where refresh had to


@dataclass(frozen=True)
class Observed:
    groups: Mapping[str, ObservedGroup]
    api_calls: Mapping[str, int] = field(default_factory=dict)
    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # job ARN -> its tags
    _by_name: dict[str, ServiceJob] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, ServiceJob] = {}
        for arn, group in sorted(self.groups.items()):
            for job in group.jobs:
                by_name.setdefault(name_key(arn, job.job_name), job)
        object.__setattr__(self, "_by_name", by_name)

    def find(self, dataset_group_arn: str, job_name: str) -> ServiceJob | None:
        """The job of that name in the group's account and region, wherever it was listed."""
        return self._by_name.get(name_key(dataset_group_arn, job_name))


def found_attempts(
    spec: JobSpec, observed: Observed, claimed: Collection[str] = (), *, after: int = 0
) -> list[tuple[str, ServiceJob | None]]:
    """What the service has of each attempt at `spec` after the first `after` (NAME, then each
    retry's name as `attempt_slot` finds it), up to the latest that exists: [] when none does.
    A name `claimed` by another declared or recorded job is not one of this job's retries."""
    found: list[tuple[str, ServiceJob | None]] = []
    for attempt in range(after + 1, MAX_ATTEMPTS + 1):
        slot = attempt_slot(spec, attempt, observed, claimed)
        if slot is None:
            break
        found.append(slot)
    while found and found[-1][1] is None:
        found.pop()
    return found


def attempt_slot(
    spec: JobSpec, attempt: int, observed: Observed, claimed: Collection[str] = ()
) -> tuple[str, ServiceJob | None] | None:
    """The name attempt `attempt` at `spec` has in the service, or is given now, with the job of
    that name if it is this one's. The first attempt has the job's own name (a job of another
    spec there is a conflict the planner reports). A retry has the first of its candidate names
    (`JobSpec.candidate_names`) that no other declared or recorded job holds (`claimed`) and
    that the service has not given to a job of another spec: a name someone else took never
    stops a retry, and a retry is never told apart from its job by a name. None when every
    candidate is taken."""
    for name, seen in _candidates(spec, attempt, observed, claimed):
        if seen is None or attempt == 1 or _same_spec(spec, seen, observed):
            return name, seen
    return None


def candidate_jobs(
    spec: JobSpec, observed: Observed, claimed: Collection[str] = (), *, after: int = 0
) -> list[ServiceJob]:
    """The jobs that may be attempts at `spec` after the first `after`, for refresh to describe
    (List does not say their spec): each attempt's candidates found in the service, up to the
    first free one."""
    return [
        seen
        for attempt in range(after + 1, MAX_ATTEMPTS + 1)
        for _, seen in _candidates(spec, attempt, observed, claimed)
        if seen is not None
    ]


def _candidates(
    spec: JobSpec, attempt: int, observed: Observed, claimed: Collection[str]
) -> Iterator[tuple[str, ServiceJob | None]]:
    """Attempt `attempt`'s candidate names not claimed by other jobs, each with the service's job
    of that name, up to the first that is free."""
    for name in spec.candidate_names(attempt):
        if attempt > 1 and name_key(spec.dataset_group_arn, name) in claimed:
            continue
        seen = observed.find(spec.dataset_group_arn, name)
        yield name, seen
        if seen is None:
            return


def _same_spec(spec: JobSpec, job: ServiceJob, observed: Observed) -> bool:
    return not service_differences(spec, job, observed.tags.get(job.arn))


def claimed_names(desired: Iterable[DesiredJob], records: Iterable[RecordedJob]) -> set[str]:
    """The names declared and recorded jobs hold, as `name_key`s (a name is held in its
    account and region): none of them is another job's attempt."""
    names = {name_key(job.spec.dataset_group_arn, job.spec.job_name) for job in desired}
    for record in records:
        group = record.spec.dataset_group_arn
        names.add(name_key(group, record.job_name))
        names.update(name_key(group, name) for name in record.earlier_names)
    return names


def name_key(dataset_group_arn: str, job_name: str) -> str:
    return f"{_scope(dataset_group_arn)}:{job_name}"


@functools.lru_cache(maxsize=4096)
def _scope(dataset_group_arn: str) -> str:
    """`partition:region:account` of a group: where its job names must be unique."""
    return ":".join(DatasetGroupRef.parse(dataset_group_arn).scope)
