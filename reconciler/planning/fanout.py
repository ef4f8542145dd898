"""Fan-out: one declared job, one job in each dataset group a document targets.

A `DeletionJobs` document names one dataset group (`datasetGroupArn`), or its `targets`: a list
of groups, or a selector (an account, regions and a name pattern) resolved at plan time with
ListDatasetGroups. A job of a fanned-out document becomes one job per group, named
`{jobName}-{groupName}` (names are unique per account and region, so each group's job needs its
own) and addressed `GROUP/jobName`. A derived name is at most 59 characters, so that its
retries' `-rN` (up to `-r10`) never cut it: a longer one is cut and ends with a short hash of
the whole name, so it stays unique, and the same at every plan, retries included.

Pure: the groups a selector matches are given (the workspace lists them).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence

from pydantic import Field

from reconciler.diagnostics import Location
from reconciler.models import (
    DERIVED_LONGEST,
    DatasetGroupRef,
    DesiredJob,
    Frozen,
    JobSpec,
    RetryPolicy,
    hashed_name,
)

LONGEST = DERIVED_LONGEST


def derived_name(job_name: str, group_name: str, turn: int = 0) -> str:
    """The name of `job_name`'s job in the group `group_name`: `{jobName}-{groupName}`, or,
    when that is over 59 characters (and at every later `turn`: the names before are held by
    other jobs), its first characters and a hash of all of it."""
    return hashed_name(f"{job_name}-{group_name}", LONGEST, turn)


class Selector(Frozen):
    """The dataset groups of one account, in some regions, whose names match a pattern."""

    account: str
    regions: tuple[str, ...]
    name_pattern: str = "*"

    def matches(self, arn: str) -> bool:
        group = DatasetGroupRef.parse(arn)
        return (
            group.account == self.account
            and group.region in self.regions
            and fnmatch.fnmatchcase(group.name, self.name_pattern)
        )

    def describe(self) -> str:
        return (
            f"account {self.account}, {' + '.join(self.regions)}, names matching "
            f"{self.name_pattern!r}"
        )


class JobTemplate(Frozen):
    """A declared job with its document's defaults applied, before its dataset group is known."""

    job_name: str
    data_location: str
    role_arn: str
    tags: dict[str, str] = Field(default_factory=dict)
    retry: RetryPolicy = RetryPolicy()
    source: Location

    def for_group(self, group_arn: str, *, fanned_out: bool, qualified: bool = False) -> DesiredJob:
        """The job in `group_arn`, at `GROUP/jobName` (`GROUP@REGION/jobName` when `qualified`:
        the document reaches groups of this name in several regions)."""
        group = DatasetGroupRef.parse(group_arn)
        name = derived_name(self.job_name, group.name) if fanned_out else self.job_name
        where = f"{group.name}@{group.region}" if qualified else group.name
        spec = JobSpec(
            dataset_group_arn=group_arn,
            job_name=name,
            data_location=self.data_location,
            role_arn=self.role_arn,
            tags=self.tags,
        )
        return DesiredJob(
            address=f"{where}/{self.job_name}",
            spec=spec,
            source=self.source,
            retry=self.retry,
            derived_from=self.job_name if fanned_out else None,
        )


class JobsDocument(Frozen):
    """One `DeletionJobs` document: its jobs and where they go (one group, a list, a selector)."""

    source: Location  # where the document says where its jobs go
    groups: tuple[str, ...] = ()  # datasetGroupArn, or targets.datasetGroupArns
    selector: Selector | None = None  # targets.select: groups listed at plan time
    fanned_out: bool = False  # `targets`: names are derived per group
    jobs: tuple[JobTemplate, ...] = ()

    def expand(self, groups: Sequence[str] | None = None) -> list[DesiredJob]:
        """Every job in every group: the document's own, or `groups` (a selector's match).
        Groups of one name in several regions are told apart by region in the address."""
        chosen = self.groups if groups is None else groups
        regions: dict[str, set[str]] = {}
        for arn in chosen:
            ref = DatasetGroupRef.parse(arn)
            regions.setdefault(ref.name, set()).add(ref.region)
        return [
            template.for_group(
                group,
                fanned_out=self.fanned_out,
                qualified=len(regions[DatasetGroupRef.parse(group).name]) > 1,
            )
            for group in chosen
            for template in self.jobs
        ]

    def how(self) -> str:
        if self.selector is not None:
            return f"targets.select: {self.selector.describe()}"
        if self.fanned_out:
            return "targets.datasetGroupArns"
        return "datasetGroupArn"


def with_recorded_names(
    jobs: Sequence[DesiredJob], recorded: Mapping[str, str]
) -> list[DesiredJob]:
    """`jobs`, each derived one under the name its record has (`recorded`: address -> the name
    of the recorded spec) where that is one of its names: a derived name passed by once (another
    job held it when the job was made) stays the job's at every plan after."""
    kept = []
    for job in jobs:
        name = recorded.get(job.address)
        if name is None or name == job.spec.job_name or job.derived_from is None:
            kept.append(job)
        else:
            kept.append(job.named(name) if name in job.first_names() else job)
    return kept


def selected(selector: Selector, listed: Iterable[str]) -> tuple[str, ...]:
    """The groups, of those listed, that the selector matches, sorted (an ARN that is not a
    dataset group's is no group of the selector's)."""
    return tuple(sorted({arn for arn in listed if _is_group(arn) and selector.matches(arn)}))


def _is_group(arn: str) -> bool:
    try:
        DatasetGroupRef.parse(arn)
    except ValueError:
        return False
    return True


def new_groups(
    jobs: Iterable[DesiredJob], groups: Sequence[str], recorded: Iterable[str]
) -> tuple[str, ...]:
    """The groups a selector matches now that it did not at the last apply: none of its
    document's `jobs` (expanded over `groups`) is recorded there while one is recorded in some
    other group. (At the first apply every group is new, and none is called so.)"""
    addresses = set(recorded)
    known = {job.spec.dataset_group_arn for job in jobs if job.address in addresses}
    if not known:
        return ()
    return tuple(arn for arn in groups if arn not in known)


def addresses_in(jobs: Iterable[DesiredJob], groups: Iterable[str]) -> frozenset[str]:
    chosen = set(groups)
    return frozenset(job.address for job in jobs if job.spec.dataset_group_arn in chosen)


def expansions_by_source(
    documents: Sequence[JobsDocument], matched: Mapping[Location, Sequence[str]]
) -> list[tuple[JobsDocument, tuple[str, ...]]]:
    """Each fanned-out document with the groups it expands to (a selector's: `matched`)."""
    return [
        (doc, tuple(matched.get(doc.source, ())) if doc.selector else doc.groups)
        for doc in documents
        if doc.fanned_out
    ]
