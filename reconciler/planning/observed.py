"""The service as the planner sees it: what refresh observed of each dataset group.

Refresh (which talks to the provider) fills it; the planner only reads it. Job names are unique
per partition, region and account, not per group, so a job is found by name in that scope,
wherever it was listed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.models import DatasetGroupRef, ServiceJob


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


def name_key(dataset_group_arn: str, job_name: str) -> str:
    return f"{_scope(dataset_group_arn)}:{job_name}"


@functools.lru_cache(maxsize=4096)
def _scope(dataset_group_arn: str) -> str:
    """`partition:region:account` of a group: where its job names must be unique."""
    return ":".join(DatasetGroupRef.parse(dataset_group_arn).scope)
