"""The plan as data: what apply would do to each job, and why, plus what blocks it.

A plan is a value: it is rendered (text, JSON, Markdown) and saved for `apply PLANFILE` without
being recomputed. Vocabulary (as in DESIGN.md):
- actions: `create` (declared, absent), `adopt` (exists with the same spec, not in state: record
  it), `retry` (FAILED and the manifest asks for another attempt, under a derived name),
  `forget` (in state, no longer declared: stop tracking), `no-op`;
- sync (is anything left to apply?) and health (what the service says) are kept apart.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from reconciler.models import Frozen, JobSpec, JobStatus
from reconciler.state.document import JobRecord

FORMAT_VERSION = "1.2"


class Action(StrEnum):
    CREATE = "create"
    ADOPT = "adopt"
    RETRY = "retry"
    FORGET = "forget"
    NOOP = "no-op"


class Health(StrEnum):
    QUEUED = "Queued"
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    MISSING = "Missing"

    @classmethod
    def of(cls, status: JobStatus | None) -> Health:
        return {
            JobStatus.PENDING: cls.PENDING,
            JobStatus.IN_PROGRESS: cls.IN_PROGRESS,
            JobStatus.COMPLETED: cls.COMPLETED,
            JobStatus.FAILED: cls.FAILED,
            None: cls.MISSING,
        }[status]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class PlanDiagnostic(Frozen):
    severity: Severity
    summary: str
    detail: str = ""
    address: str | None = None
    source: str | None = None  # manifest file:line:col


class LiveState(Frozen):
    """What the service says of a job right now (from List, and Describe where it was read)."""

    arn: str
    job_name: str
    status: JobStatus
    failure_reason: str | None = None
    num_deleted: int | None = None
    created: datetime | None = None
    last_updated: datetime | None = None


class Change(Frozen):
    address: str
    action: Action
    reason: str
    reason_code: str
    dataset_group_arn: str
    job_name: str  # the name the action concerns: to create, to adopt, or the current one
    arn: str | None = None  # of the job concerned, where one exists
    attempt: int = 1
    spec: JobSpec | None = None  # desired; None for forget
    before: JobRecord | None = None  # stored
    live: LiveState | None = None
    queued: bool = False
    health: Health = Health.MISSING
    source: str | None = None

    @property
    def creates(self) -> bool:
        return self.action in (Action.CREATE, Action.RETRY)

    @property
    def in_sync(self) -> bool:
        return self.action is Action.NOOP


class Drift(Frozen):
    """Out-of-band change: what the state recorded no longer matches the service."""

    address: str
    kind: str  # "missing" | "moved"
    detail: str
    before: JobRecord


class Refreshed(Frozen):
    """A status the service moved on since the state recorded it (normal progress, not drift)."""

    address: str
    before: JobStatus | None
    after: JobStatus


class GroupQuota(Frozen):
    dataset_group_arn: str
    limit: int
    pending: int
    creates_now: int
    queued: int


class Plan(Frozen):
    format_version: str = FORMAT_VERSION
    provider: str
    state_location: str
    lineage: str | None
    serial: int | None
    manifests_digest: str
    changes: tuple[Change, ...] = ()
    drift: tuple[Drift, ...] = ()
    refreshed: tuple[Refreshed, ...] = ()
    quotas: tuple[GroupQuota, ...] = ()
    diagnostics: tuple[PlanDiagnostic, ...] = ()
    api_calls: dict[str, int] = Field(default_factory=dict)

    @property
    def errored(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def has_changes(self) -> bool:
        return any(not c.in_sync for c in self.changes)

    @property
    def applyable(self) -> bool:
        return self.has_changes and not self.errored

    def summary(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        counts["queued"] = sum(1 for c in self.changes if c.queued)
        return counts
