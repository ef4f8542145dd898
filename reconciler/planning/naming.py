"""Which name each attempt at a declared job has in the service, or is given now.

Job names are unique per account and region and used up for good, so a name is never given to
a second job, and a job is never told apart from its own attempts by a name:

- The first attempt of a job a person named has that name, whatever holds it (a job of another
  spec there is a conflict the planner reports). A derived name (`{jobName}-{groupName}`, see
  `DesiredJob.first_names`) and a retry's name (`JobSpec.candidate_names`) move on, turn after
  turn, past a name another declared or recorded job holds or the service has for another spec.
- A job the service has under one of the names with this job's spec is this job's attempt,
  whoever else claims the name in the manifests or the state, unless a job declared under that
  very name has the same spec (it is that job's own).
- A retry name reconciler 0.2 gave (`JobSpec.legacy_name`) is found, never given.

Refresh asks `candidate_jobs` which jobs to describe (List does not say their spec); the planner
asks `attempt_slot` and `found_attempts` once they are described. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from reconciler.models import MAX_ATTEMPTS, DesiredJob, JobSpec, ServiceJob
from reconciler.planning.conflicts import service_differences
from reconciler.planning.model import RecordedJob
from reconciler.planning.observed import Observed, name_key

Slot = tuple[str, ServiceJob | None]  # a name, and the job of this job's the service has under it


@dataclass(frozen=True)
class Holder:
    """A declared or recorded job that holds a name: its address, and its spec where the name
    is the one it is declared under."""

    address: str
    declared: JobSpec | None = None


Claims = Mapping[str, tuple[Holder, ...]]  # `name_key` -> the jobs that hold the name


def claimed_names(desired: Iterable[DesiredJob], records: Iterable[RecordedJob]) -> Claims:
    """The names declared and recorded jobs hold (a name is held in its account and region)."""
    claims: dict[str, tuple[Holder, ...]] = {}

    def hold(group: str, name: str, holder: Holder) -> None:
        key = name_key(group, name)
        claims[key] = (*claims.get(key, ()), holder)

    for job in desired:
        hold(job.spec.dataset_group_arn, job.spec.job_name, Holder(job.address, job.spec))
    for record in records:
        group = record.spec.dataset_group_arn
        for name in (record.job_name, *record.earlier_names):
            hold(group, name, Holder(record.address))
    return claims


def attempt_slot(job: DesiredJob, attempt: int, observed: Observed, claims: Claims) -> Slot | None:
    """The name attempt `attempt` at `job` has in the service (with that job), or is given now
    (with None); None when every name it may have is taken."""
    if attempt == 1 and job.derived_from is None:  # the name a person wrote: never passed by
        return job.spec.job_name, observed.find(job.spec.dataset_group_arn, job.spec.job_name)
    legacy = job.spec.legacy_name(attempt) if attempt > 1 else None
    if legacy is not None:
        seen = observed.find(job.spec.dataset_group_arn, legacy)
        if seen is not None and _mine(job, legacy, seen, observed, claims):
            return legacy, seen
    for name, seen in _walk(job, attempt, observed, claims):
        if seen is None and not _held(job, name, claims):
            return name, None
        if seen is not None and _mine(job, name, seen, observed, claims):
            return name, seen
    return None


def found_attempts(
    job: DesiredJob, observed: Observed, claims: Claims, *, after: int = 0
) -> list[Slot]:
    """What the service has of each attempt at `job` after the first `after`, up to the latest
    that exists: [] when none does. The retries are named after the first attempt's name."""
    found: list[Slot] = []
    for attempt in range(after + 1, MAX_ATTEMPTS + 1):
        slot = attempt_slot(job, attempt, observed, claims)
        if slot is None:
            break
        if attempt == 1 and slot[0] != job.spec.job_name:
            job = job.named(slot[0])
        found.append(slot)
    while found and found[-1][1] is None:
        found.pop()
    return found


def candidate_jobs(
    job: DesiredJob, observed: Observed, claims: Claims, *, after: int = 0
) -> list[ServiceJob]:
    """Every job the service has under a name an attempt at `job` after the first `after` may
    have (refresh describes them: whose they are depends on their spec)."""
    firsts = [job]
    found: list[ServiceJob] = []
    if after == 0:
        for name, seen in _walk(job, 1, observed, claims, every=True):
            if seen is not None:
                found.append(seen)
                firsts.append(job.named(name))
    for first in {each.spec.job_name: each for each in firsts}.values():
        for attempt in range(max(after + 1, 2), MAX_ATTEMPTS + 1):
            legacy = first.spec.legacy_name(attempt)
            if legacy is not None and (seen := observed.find(first.spec.dataset_group_arn, legacy)):
                found.append(seen)
            found += [seen for _, seen in _walk(first, attempt, observed, claims) if seen]
    return list({seen.arn: seen for seen in found}.values())


def _walk(
    job: DesiredJob, attempt: int, observed: Observed, claims: Claims, *, every: bool = False
) -> Iterator[Slot]:
    """The names attempt `attempt` may have, each with the service's job of that name, up to the
    first that nothing holds (all of them, `every`)."""
    names = job.first_names() if attempt == 1 else job.spec.candidate_names(attempt)
    group = job.spec.dataset_group_arn
    for name in names:
        seen = observed.find(group, name)
        yield name, seen
        if not every and seen is None and not _held(job, name, claims):
            return


def _held(job: DesiredJob, name: str, claims: Claims) -> bool:
    holders = claims.get(name_key(job.spec.dataset_group_arn, name), ())
    return any(holder.address != job.address for holder in holders)


def _mine(job: DesiredJob, name: str, seen: ServiceJob, observed: Observed, claims: Claims) -> bool:
    """Whether the service's job `seen` (named `name`) is an attempt at `job`: it has the job's
    spec, and no other job declared under that name has it too."""
    if not _same_spec(job.spec, seen, observed):
        return False
    holders = claims.get(name_key(job.spec.dataset_group_arn, name), ())
    return not any(
        holder.address != job.address
        and holder.declared is not None
        and _same_spec(holder.declared, seen, observed)
        for holder in holders
    )


def _same_spec(spec: JobSpec, job: ServiceJob, observed: Observed) -> bool:
    return not service_differences(spec, job, observed.tags.get(job.arn))


def free_name_refusal(job: DesiredJob, attempt: int) -> str:
    """Why attempt `attempt` at `job` is not made: every name it may have is taken."""
    names = job.first_names() if attempt == 1 else job.spec.candidate_names(attempt)
    return (
        f"Every name attempt {attempt} may have is another job's ({', '.join(names)}); a "
        "name of its own would need a new jobName. Check what the jobs of those names deleted "
        "before declaring one: the users they erased need no second job."
    )
