"""The erasure lifecycle after a deletion job COMPLETED, per dataset group a request touched:
whether the models recommendations come from were trained after it (each campaign, by the
creation time of the solution version it serves), and whether a dataset import may have brought
erased users back (a FULL import that completed after the deletion job was created, or any import
that overlapped it).

AWS's guidance this follows: a deletion removes the users' data from the datasets; a custom
solution keeps them until a new solution version is trained, and a campaign serves its version
until it is updated to a newer one (automatic training, `performAutoTraining`, trains one every
7 days by default); a dataset import that overlaps a deletion can keep the users, and a FULL import
replaces the dataset, so the deletion must run again.

Pure: the deletions, campaigns and imports are given (`usecases/report.py` and `check` read
them from the service).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from reconciler.models import CampaignModel, DatasetImport, Frozen

_RATE = re.compile(r"^\s*rate\(\s*(\d+)\s+(minute|hour|day|week)s?\s*\)\s*$", re.IGNORECASE)
_UNIT = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}


class Deletion(Frozen):
    """A request's deletion in one dataset group: when its first job was created, and when the
    last one COMPLETED (None: the data is not deleted yet)."""

    dataset_group_arn: str
    created: datetime | None
    completed: datetime | None


class GroupLifecycle(Frozen):
    """What became of a request's erasure in one dataset group after its deletion."""

    dataset_group_arn: str
    deleted: datetime | None  # when the data was deleted (None: not yet)
    retrained: tuple[CampaignModel, ...] = ()  # campaigns serving a model trained after it
    stale: tuple[CampaignModel, ...] = ()  # campaigns still serving an older model
    brought_back: tuple[DatasetImport, ...] = ()  # imports that may have brought users back
    note: str | None = None  # why the campaigns or imports could not be read

    @property
    def campaigns(self) -> int:
        return len(self.retrained) + len(self.stale)


def lifecycle(
    deletion: Deletion,
    campaigns: Sequence[CampaignModel] | None,
    imports: Sequence[DatasetImport] | None,
    note: str | None = None,
) -> GroupLifecycle:
    """The group's campaigns split by whether their model was trained after the deletion
    completed (before it completes, every campaign still serves the users' data), and the imports
    that may have brought the users back (None: not read, `note` says why)."""
    retrained: list[CampaignModel] = []
    stale: list[CampaignModel] = []
    for campaign in campaigns or ():
        newer = (
            deletion.completed is not None
            and campaign.version_created is not None
            and campaign.version_created > deletion.completed
        )
        (retrained if newer else stale).append(campaign)
    return GroupLifecycle(
        dataset_group_arn=deletion.dataset_group_arn,
        deleted=deletion.completed,
        retrained=tuple(retrained),
        stale=tuple(stale),
        brought_back=tuple(brought_back(deletion, imports or ())),
        note=note,
    )


def brought_back(deletion: Deletion, imports: Iterable[DatasetImport]) -> list[DatasetImport]:
    """The imports that may have brought erased users back: a FULL import that completed after
    the deletion job was created (it replaced the dataset, erased users and all), or any import
    that overlapped the deletion (created before it completed, completed after it was created)."""
    if deletion.created is None:
        return []
    found = []
    for item in imports:
        if item.completed is None or item.completed <= deletion.created:
            continue
        full = item.mode in ("FULL", None)  # FULL is the service's default importMode
        overlapped = deletion.completed is None or item.created < deletion.completed
        if full or overlapped:
            found.append(item)
    return sorted(found, key=lambda item: item.completed or item.created)


def next_training(campaign: CampaignModel, now: datetime) -> datetime | None:
    """When automatic training next trains a version for the campaign's solution, counted from
    the version it serves by its schedule (`rate(7 days)`); None without automatic training or
    with a schedule this does not read (a cron expression)."""
    if not campaign.auto_training or campaign.version_created is None:
        return None
    matched = _RATE.match(campaign.auto_training)
    if matched is None:
        return None
    every = timedelta(**{_UNIT[matched.group(2).lower()]: int(matched.group(1))})
    if every <= timedelta(0):
        return None
    due = campaign.version_created + every
    if due <= now:
        due += every * ((now - due) // every + 1)
    return due


def retrain_step(campaign: CampaignModel, now: datetime) -> str:
    """What brings the erasure to the campaign's recommendations."""
    solution = campaign.solution_arn.rsplit("/", 1)[-1] if campaign.solution_arn else "its solution"
    if campaign.updating_to is not None:
        return (
            "wait for its update in progress to become ACTIVE, then look again: it counts once "
            "the version it deploys was trained after the deletion"
        )
    then = (
        f"campaign {campaign.name} follows the latest version by itself"
        if campaign.follows_latest
        else f"then update campaign {campaign.name} to it (UpdateCampaign)"
    )
    step = f"train a new solution version of {solution} (CreateSolutionVersion), {then}"
    due = next_training(campaign, now)
    if due is not None:
        every = campaign.auto_training
        step += f"; or wait for its automatic training ({every}, next about {due:%Y-%m-%d})"
        if not campaign.follows_latest:
            step += " and update the campaign to that version"
    return step
