"""The service's quota of PENDING jobs per dataset group: how many creates may go now.

One rule for every part that submits creates: the planner marks the creates beyond the free
slots as queued, and the executor submits queued creates as slots free up while tracking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from reconciler.models import JobStatus, ServiceJob
from reconciler.planning.model import Change, GroupQuota, Health
from reconciler.planning.observed import Observed


def pending(jobs: Iterable[ServiceJob]) -> int:
    """The jobs that hold a PENDING slot, whoever made them."""
    return sum(1 for job in jobs if job.status is JobStatus.PENDING)


def free_slots(jobs: Iterable[ServiceJob], limit: int) -> int:
    """How many more jobs the group takes now."""
    return max(0, limit - pending(jobs))


def allocate(
    changes: list[Change], observed: Observed, limit: int, held: Mapping[str, str] | None = None
) -> tuple[list[Change], list[GroupQuota]]:
    """Mark the creates beyond each group's free PENDING slots as queued, and every create of a
    group `held` (dataset group -> what runs in it) as queued and held."""
    held = held or {}
    waiting = {arn: pending(group.jobs) for arn, group in observed.groups.items()}
    free = {arn: free_slots(group.jobs, limit) for arn, group in observed.groups.items()}
    used: dict[str, int] = defaultdict(int)
    queued: dict[str, int] = defaultdict(int)
    result: list[Change] = []
    for change in changes:
        if not change.creates:
            result.append(change)
            continue
        group = change.dataset_group_arn
        if group in held:  # not counted against the quota: it waits for the group, not a slot
            update = {"queued": True, "health": Health.QUEUED, "held": held[group]}
            result.append(change.model_copy(update=update))
        elif used[group] < free.get(group, limit):
            used[group] += 1
            result.append(change)
        else:
            queued[group] += 1
            result.append(change.model_copy(update={"queued": True, "health": Health.QUEUED}))
    quotas = [
        GroupQuota(
            dataset_group_arn=arn,
            limit=limit,
            pending=waiting.get(arn, 0),
            creates_now=used[arn],
            queued=queued[arn],
        )
        for arn in sorted(set(used) | set(queued))
    ]
    return result, quotas
