"""Queueing creates behind the service's quota of PENDING jobs per dataset group."""

from __future__ import annotations

from collections import defaultdict

from reconciler.models import JobStatus
from reconciler.planning.model import Change, GroupQuota, Health
from reconciler.refresh import LiveView


def allocate(
    changes: list[Change], live: LiveView, max_pending: int
) -> tuple[list[Change], list[GroupQuota]]:
    """Mark the creates beyond each group's free PENDING slots as queued."""
    pending: dict[str, int] = {
        arn: sum(1 for j in group.jobs if j.status is JobStatus.PENDING)
        for arn, group in live.groups.items()
    }
    used: dict[str, int] = defaultdict(int)
    queued: dict[str, int] = defaultdict(int)
    result: list[Change] = []
    for change in changes:
        if not change.creates:
            result.append(change)
            continue
        group = change.dataset_group_arn
        if pending.get(group, 0) + used[group] < max_pending:
            used[group] += 1
            result.append(change)
        else:
            queued[group] += 1
            result.append(change.model_copy(update={"queued": True, "health": Health.QUEUED}))
    quotas = [
        GroupQuota(
            dataset_group_arn=arn, limit=max_pending, pending=pending.get(arn, 0),
            creates_now=used[arn], queued=queued[arn],
        )
        for arn in sorted(set(used) | set(queued))
    ]  # fmt: skip
    return result, quotas
