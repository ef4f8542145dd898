"""Tracking, the deciding half: what a poll of the service means for the recorded jobs.

Pure functions over values; `tracker.Tracker` does the listing, describing, saving and sleeping
around them. A poll lists each dataset group that has jobs to follow (or queued creates), once,
stopping at the page where the last of its followed names appeared (the newest jobs are on the
first page), and describes a job once, when it turns COMPLETED, to read `numDeleted`. A followed
job that a full listing does not show for `MISSES_BEFORE_GIVING_UP` polls in a row has vanished
(deleted out of band): it is no longer followed, and the run reports it as drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.applying.records import observe
from reconciler.models import JobStatus, ServiceJob
from reconciler.state.document import JobRecord

MISSES_BEFORE_GIVING_UP = 3  # polls in a row; a new job may take a moment to be listed

Transition = tuple[str, JobStatus | None, JobStatus]  # address, status before, status now


def needs_watching(record: JobRecord) -> bool:
    """A job not yet terminal, or COMPLETED without its numDeleted read."""
    seen = record.seen
    if seen is None:
        return False
    if not seen.status.terminal:
        return True
    return seen.status is JobStatus.COMPLETED and seen.num_deleted is None


def to_list(
    watched: Iterable[JobRecord], queued_groups: Iterable[str]
) -> dict[str, frozenset[str]]:
    """The groups a poll lists, each with the names to look for (none for a group that is only
    listed to count its PENDING jobs for queued creates)."""
    names: dict[str, set[str]] = {group: set() for group in queued_groups}
    for record in watched:
        names.setdefault(record.spec.dataset_group_arn, set()).add(record.job_name)
    return {group: frozenset(found) for group, found in sorted(names.items())}


def to_describe(
    watched: Iterable[JobRecord], listed: Mapping[str, Sequence[ServiceJob]]
) -> list[str]:
    """The ARNs to describe: followed jobs the poll saw COMPLETED, whose numDeleted is unknown."""
    by_arn = {job.arn: job for jobs in listed.values() for job in jobs}
    arns = []
    for record in watched:
        found = by_arn.get(record.arn or "")
        known = record.seen.num_deleted if record.seen else None
        if found is not None and found.status is JobStatus.COMPLETED and known is None:
            arns.append(found.arn)
    return arns


@dataclass(frozen=True)
class Step:
    """What one poll changed."""

    records: list[JobRecord] = field(default_factory=list)  # records to save
    transitions: list[Transition] = field(default_factory=list)
    vanished: list[JobRecord] = field(default_factory=list)  # followed no longer, from now on
    misses: dict[str, int] = field(default_factory=dict)  # polls in a row each was not listed


def fold(
    watched: Iterable[JobRecord],
    listed: Mapping[str, Sequence[ServiceJob]],
    described: Mapping[str, ServiceJob],
    misses: Mapping[str, int],
    now: datetime,
) -> Step:
    """The followed records with what the poll saw (`described` replaces what List said)."""
    by_name = {(group, job.job_name): job for group, jobs in listed.items() for job in jobs}
    step = Step()
    for record in watched:
        found = by_name.get((record.spec.dataset_group_arn, record.job_name))
        if found is None:  # every page was read: the service does not list it (yet?)
            count = misses.get(record.address, 0) + 1
            if count >= MISSES_BEFORE_GIVING_UP:
                step.vanished.append(record)
            else:
                step.misses[record.address] = count
            continue
        updated = observe(record, described.get(found.arn, found), now)
        if updated is not record:
            step.records.append(updated)
            if updated.status != record.status:
                step.transitions.append((record.address, record.status, found.status))
    return step
