"""The state document: what this tool did and last saw, one record per managed job.

Persisted as JSON by a state backend:

    {
      "version": 1,
      "lineage": "5b0e…",          # set once when the state is created; never changes
      "serial": 7,                 # bumped by every write; a saved plan records the one it saw
      "jobs": {
        "shop-eu/gdpr-2026-w47": {
          "address": "shop-eu/gdpr-2026-w47",
          "spec": {"dataset_group_arn": …, "job_name": …, "data_location": …, "role_arn": …,
                   "tags": {…}},              # as applied; immutable in the service
          "spec_digest": "sha256:…",
          "manifest": "manifests/shop-eu.yaml:14:5",   # where it was declared
          "job_name": "gdpr-2026-w47",        # the current attempt's name (NAME-rN on retry)
          "arn": "arn:aws:personalize:…",     # null: create intended, not yet confirmed
          "intended": "2026-11-27T10:00:00Z", # when the create was decided
          "status": "COMPLETED",              # last status seen, null before the first
          "num_deleted": 412, "failure_reason": null,
          "created": "…", "last_updated": "…", # the service's timestamps
          "history": [{"status": "PENDING", "seen": "…"}, …],
          "attempts": [{…earlier attempts: job_name, arn, status, failure_reason, …}]
        }
      },
      "forgotten": [{…records no longer declared, kept for the audit trail, "forgotten": "…"}]
    }
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from reconciler.models import Frozen, JobSpec, JobStatus


class Transition(Frozen):
    status: JobStatus
    seen: datetime


class Attempt(Frozen):
    """An earlier attempt at a job that was retried under a new name."""

    job_name: str
    arn: str | None
    status: JobStatus | None
    failure_reason: str | None = None
    created: datetime | None = None
    last_updated: datetime | None = None


class JobRecord(Frozen):
    address: str
    spec: JobSpec
    spec_digest: str
    manifest: str
    job_name: str
    arn: str | None = None
    intended: datetime | None = None
    status: JobStatus | None = None
    num_deleted: int | None = None
    failure_reason: str | None = None
    created: datetime | None = None
    last_updated: datetime | None = None
    history: tuple[Transition, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    forgotten: datetime | None = None

    @property
    def attempt(self) -> int:
        """1 for the first job, 2 for the first retry, …"""
        return len(self.attempts) + 1


class StateDocument(Frozen):
    version: Literal[1] = 1
    lineage: str
    serial: int
    jobs: dict[str, JobRecord] = Field(default_factory=dict)
    forgotten: tuple[JobRecord, ...] = ()


def new_state() -> StateDocument:
    """An empty state with a new lineage; its first save makes it serial 1."""
    return StateDocument(lineage=str(uuid.uuid4()), serial=0)
