"""Refresh: read what the service says about every dataset group the plan concerns.

One paginated List per group (declared in a manifest or recorded in state). Describe is called
only where List cannot answer: a job of a declared name (or of one of its retry names) that the
state does not know, or a later attempt of a recorded FAILED job (a state restored from before
a retry) (to compare its spec before importing it; ListTagsForResource too, since
Describe returns no tags), a recorded intent whose job the service has (the same), and a job
that turned COMPLETED whose `numDeleted` the state lacks. A group whose List is empty is
described once to tell "empty" from "missing". The described job replaces the listed one in the
planner's view.

Groups are read concurrently: at most `per_region` calls at once in each region (8 by default),
as many regions at once as there are. The calls made are the same as one after another; the
provider's retries and throttling handling are its own.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from reconciler.models import DesiredJob, JobStatus, ServiceJob, build_models
from reconciler.planning.model import RecordedState
from reconciler.planning.naming import candidate_jobs, claimed_names
from reconciler.planning.observed import Observed, ObservedGroup
from reconciler.providers.interface import NotFound, Provider

PER_REGION = 8  # calls in flight at once in one region

T = TypeVar("T")


def refresh(
    desired: Sequence[DesiredJob],
    declared_groups: Iterable[str],
    recorded: RecordedState | None,
    provider: Provider,
    *,
    per_region: int = PER_REGION,
) -> Observed:
    before = Counter(provider.calls)
    records = recorded.jobs if recorded else {}
    arns = sorted(set(declared_groups) | {r.spec.dataset_group_arn for r in records.values()})
    read = _concurrently(arns, _region, lambda arn: _group(provider, arn), per_region)
    listed = Observed(read)

    wanted: dict[str, None] = {}
    claims = claimed_names(desired, records.values())
    for declared in desired:
        record = records.get(declared.address)
        if record is None:  # its attempts are compared before an import
            for candidate in candidate_jobs(declared, listed, claims):
                wanted[candidate.arn] = None
            continue
        current = listed.find(record.spec.dataset_group_arn, record.job_name)
        if current is not None and current.status is JobStatus.FAILED:
            # a state restored from before a retry: the later attempts are imported, not made
            for later in candidate_jobs(declared, listed, claims, after=record.attempt):
                wanted[later.arn] = None
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
    described = _concurrently(list(wanted), _region, provider.describe_job, per_region)
    tags = _concurrently(list(importable), _region, provider.list_tags, per_region)
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


def _region(arn: str) -> str:
    """The region of a dataset group or job ARN (arn:PARTITION:personalize:REGION:…)."""
    return arn.split(":", 4)[3]


def _concurrently(
    keys: Sequence[str], region: Callable[[str], str], call: Callable[[str], T], per_region: int
) -> dict[str, T]:
    """`call(key)` for every key, at most `per_region` at once in each key's region, as a dict in
    the keys' order. The first error (in that order) is raised once the calls under way ended;
    the calls not started yet never start."""
    if per_region <= 1 or len(keys) <= 1:
        return {key: call(key) for key in keys}
    regions = {region(key) for key in keys}
    gates = {name: threading.BoundedSemaphore(per_region) for name in regions}

    def gated(key: str) -> T:
        with gates[region(key)]:
            return call(key)

    build_models()  # before any worker validates a model (see build_models)
    pool = ThreadPoolExecutor(max_workers=min(len(keys), per_region * len(regions)))
    futures: list[Future[T]] = [pool.submit(gated, key) for key in keys]
    try:
        results = {key: future.result() for key, future in zip(keys, futures, strict=True)}
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
