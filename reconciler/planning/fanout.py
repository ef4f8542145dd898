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
    MAX_JOB_NAME,
    NAME_TURNS,
    DatasetGroupRef,
    DesiredJob,
    Frozen,
    JobSpec,
    RetryPolicy,
    hashed_name,
)
from reconciler.planning.observed import name_key

# Room for a retry's `-rN` (up to -r10): a retry name cut to 63 characters would lose the end
# of the group's name, and two groups' retries could then have one name.
LONGEST = MAX_JOB_NAME - len("-r10")


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


def around_recorded(
    jobs: Sequence[DesiredJob], holders: Mapping[str, tuple[str, str]]
) -> list[DesiredJob]:
    """`jobs`, where a derived name is held by another recorded job (`holders`: `name_key` ->
    the address and spec digest of the record that holds it), under the next of its names that
    none holds: a group created after another group's retry took `{jobName}-{groupName}` still
    gets its deletion. A name this job's own record holds is kept (its name never changes once
    created; a record of this very spec at another address is this job, moved). A name another
    of `jobs` declares is left as it is (the clash is refused at its line), and a jobName a
    person wrote is never changed."""
    if not holders:
        return list(jobs)
    declared: dict[str, set[str]] = {}
    for job in jobs:
        declared.setdefault(name_key(job.spec.dataset_group_arn, job.spec.job_name), set())
        declared[name_key(job.spec.dataset_group_arn, job.spec.job_name)].add(job.address)
    return [_around(job, holders, declared) for job in jobs]


def _around(
    job: DesiredJob, holders: Mapping[str, tuple[str, str]], declared: Mapping[str, set[str]]
) -> DesiredJob:
    group = job.dataset_group
    declared_name = job.address.split("/", 1)[1]
    names = [derived_name(declared_name, group.name, turn) for turn in range(NAME_TURNS)]
    if job.spec.job_name != names[0]:  # a name a person wrote, or one not derived
        return job
    keys = [name_key(group.arn, name) for name in names]
    chosen = next((n for n, k in zip(names, keys, strict=True) if _mine(job, holders.get(k))), None)
    for name, key in zip(names, keys, strict=True):
        if chosen is not None or declared.get(key, set()) - {job.address}:
            break  # another declared job's name: a clash refused at its line, not passed by
        if key not in holders:
            chosen = name
    if chosen is None or chosen == job.spec.job_name:
        return job
    return job.model_copy(update={"spec": job.spec.model_copy(update={"job_name": chosen})})


def _mine(job: DesiredJob, holder: tuple[str, str] | None) -> bool:
    if holder is None:
        return False
    address, digest = holder
    return address == job.address or digest == job.spec.digest()


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
