"""The plan as data: what apply would do to each job, and why, plus what blocks it.

A plan is a value: it is rendered (text, JSON, Markdown) and saved for `apply PLANFILE` without
being recomputed. Vocabulary (as in DESIGN.md):
- actions: `create` (declared, absent), `import` (exists with the same spec, not in state:
  record it, and the earlier attempts found, creating nothing), `retry` (FAILED and the manifest
  asks for another attempt, under a derived name), `forget` (in state, no longer declared: stop
  tracking), `no-op`;
- each action has a reason from a closed list (`ActionReason`), as Terraform's do;
- a change names its parts: what the state recorded (`recorded`, the planner's own view of a
  record, not the state's format), what the service shows of the job (`observed`), the failed
  attempt a retry replaces (`previous`), and what the job will be once applied (`after`);
- sync (is anything left to apply?) and health (what the service says) are kept apart.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import Field

from reconciler.diagnostics import Location, Severity
from reconciler.models import (
    Frozen,
    InputCheck,
    InputEvidence,
    InputIdentity,
    JobSpec,
    JobStatus,
    Provenance,
    ServiceJob,
    Target,
)
from reconciler.planning.attention import Attention
from reconciler.planning.deadlines import RequestProgress

# 1.5: each create's `reconciler.inputs[]` holds `etagHmac` (the ETag keyed) where 1.4 held
# `etag` (S3's ETag may be the MD5 of the file); 1.6: `requests[]`, the declared erasure
# requests with their due date and days left
FORMAT_VERSION = "1.6"


class Action(StrEnum):
    CREATE = "create"
    IMPORT = "import"
    RETRY = "retry"
    FORGET = "forget"
    NOOP = "no-op"


class ActionReason(StrEnum):
    """Why a change has its action: one value per row of the planner's decision table."""

    DECLARED_NOT_FOUND = "declared_not_found"  # create: nowhere to be found
    NEW_GROUP_SELECTED = "new_group_selected"  # create: a group a selector matches since
    EXISTS_SAME_SPEC = "exists_same_spec"  # import: made outside this tool, or a lost state
    INTERRUPTED_BEFORE_CREATE = "interrupted_before_create"  # create/retry again
    INTERRUPTED_AFTER_CREATE = "interrupted_after_create"  # import: the answer was lost
    RETRY_AFTER_FAILURE = "retry_after_failure"  # retry
    RERUN_ASKED = "rerun_asked"  # retry: a COMPLETED job run again (`--retry --reason`)
    UP_TO_DATE = "up_to_date"  # no-op
    MISSING = "missing"  # no-op: recorded, no longer listed (drift)
    NOT_DECLARED = "not_declared"  # forget


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


class PlanDiagnostic(Frozen):
    severity: Severity
    summary: str
    detail: str = ""
    address: str | None = None
    source: Location | None = None  # where the manifest declares the job
    blocking: bool = True  # an error that stops the whole plan; False: only its job is refused


class RecordedJob(Frozen):
    """What the state recorded of a job, as the planner reads it."""

    address: str
    spec: JobSpec  # as applied
    spec_digest: str
    job_name: str  # the current attempt's name
    seen: ServiceJob | None = None  # None: a create was intended and not confirmed
    earlier_names: tuple[str, ...] = ()  # the names of earlier attempts, oldest first
    # the version of each object of the current attempt's input, as its create got it (empty:
    # not known: created with --skip-preflight, by an older reconciler, or found in the service)
    inputs: tuple[InputIdentity, ...] = ()

    @property
    def arn(self) -> str | None:
        return self.seen.arn if self.seen else None

    @property
    def status(self) -> JobStatus | None:
        return self.seen.status if self.seen else None

    @property
    def attempt(self) -> int:
        return len(self.earlier_names) + 1


class RecordedState(Frozen):
    """The recorded jobs by address, and the state's identity that a saved plan is bound to."""

    lineage: str
    serial: int
    decisions: str = ""  # a digest of what the state decided (not of what it observed)
    jobs: dict[str, RecordedJob] = Field(default_factory=dict)


class Limits(Frozen):
    """The service quotas the plan queues behind."""

    max_pending: int = 5


class Origin(Frozen):
    """Where a plan comes from: it is refused when applied against another target, state or
    manifests."""

    target: Target
    state_location: str
    manifests_digest: str


class EarlierAttempt(Frozen):
    """An earlier attempt at a job found in the service (`seen` None: that name is not there)."""

    job_name: str
    seen: ServiceJob | None = None


class JobValues(Frozen):
    """A job as it is, or will be, once a change is applied."""

    spec: JobSpec  # with the job's own name (NAME-rN for a retry)
    arn: str | None = None  # None: known after apply
    status: JobStatus | None = None
    num_deleted: int | None = None
    failure_reason: str | None = None


class Change(Frozen):
    address: str
    action: Action
    reason: ActionReason
    detail: str  # the reason, for a person
    dataset_group_arn: str
    job_name: str  # the name the action concerns: to create, to import, or the current one
    attempt: int = 1
    source: Location | None = None  # where the manifest declares it (None: forget)
    desired: JobSpec | None = None  # the manifest's spec (None: forget)
    recorded: RecordedJob | None = None  # what the state recorded
    observed: ServiceJob | None = None  # what the service shows of `job_name`, where it exists
    previous: ServiceJob | None = None  # retry: the FAILED attempt it replaces
    earlier: tuple[EarlierAttempt, ...] = ()  # import: the attempts before the one imported
    after: JobValues | None = None  # the job once applied (None: forget)
    queued: bool = False
    held: str | None = None  # queued while its dataset group imports or trains: what runs there
    health: Health = Health.MISSING
    # create/retry: each object of its input as preflight read it; the create is sent only while
    # each is still this version (a saved plan is bound to them)
    inputs: tuple[InputEvidence, ...] = ()
    rerun: str | None = None  # a re-run of a COMPLETED job: why (`--reason`)
    # create: the approval of the earlier plan that decided it and left it queued (its plan,
    # change reference and approvers), carried over while the spec and the input are the same
    approval: Provenance | None = None

    @property
    def creates(self) -> bool:
        return self.action in (Action.CREATE, Action.RETRY)

    @property
    def in_sync(self) -> bool:
        return self.action is Action.NOOP


class Drift(Frozen):
    """Out-of-band change: a recorded job the service no longer lists."""

    address: str
    detail: str
    recorded: RecordedJob


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


class Expansion(Frozen):
    """How a fanned-out document's jobs were spread: over which groups, chosen how."""

    source: Location  # the document's targets
    how: str  # targets.datasetGroupArns, or the selector described
    groups: tuple[str, ...]  # ARNs
    new_groups: tuple[str, ...] = ()  # matched by a selector since the last apply
    jobs: int  # declared in the document; one per group each


class Plan(Frozen):
    format_version: str = FORMAT_VERSION
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))  # this plan, as provenance names it
    target: Target
    state_location: str
    lineage: str | None
    serial: int | None
    decisions: str | None = None  # of the recorded state: a saved plan is bound to it
    manifests_digest: str
    changes: tuple[Change, ...] = ()
    drift: tuple[Drift, ...] = ()
    refreshed: tuple[Refreshed, ...] = ()
    quotas: tuple[GroupQuota, ...] = ()
    fanout: tuple[Expansion, ...] = ()  # the documents with targets, and their groups
    diagnostics: tuple[PlanDiagnostic, ...] = ()
    attention: tuple[Attention, ...] = ()  # FAILED jobs nothing retries, jobs no longer listed
    retries: tuple[str, ...] = ()  # addresses asked to retry once (`--retry`)
    rerun_reason: str | None = None  # `--reason`: why a COMPLETED job asked to retry runs again
    preflight_skipped: bool = False  # `--skip-preflight`: the inputs were not read
    activity_ignored: bool = False  # `--ignore-activity`: creates go even while groups train
    api_calls: dict[str, int] = Field(default_factory=dict)
    checked: tuple[InputCheck, ...] = ()  # what preflight read whole, for the state to keep
    left_out: tuple[str, ...] = ()  # changes the manifests call for that this plan leaves out
    requests: tuple[RequestProgress, ...] = ()  # the declared erasure requests, on the plan's day

    @property
    def provider(self) -> str:
        return self.target.provider

    @property
    def errored(self) -> bool:
        """An error that stops the whole plan: nothing can be applied."""
        return any(d.severity is Severity.ERROR and d.blocking for d in self.diagnostics)

    @property
    def refused(self) -> tuple[PlanDiagnostic, ...]:
        """Jobs refused on their own (preflight): not created; the rest of the plan applies."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR and not d.blocking)

    def refusals(self) -> dict[str, int]:
        """The refused jobs by why: `preflight` (their input), `fan-out` (a name or address
        the job would take is another job's: a selector's job, or a name found taken late)."""
        counts = {"preflight": 0, "fan-out": 0}
        for refused in self.refused:
            counts["preflight" if refused.summary.startswith("Preflight:") else "fan-out"] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(not c.in_sync for c in self.changes)

    @property
    def needs_attention(self) -> bool:
        """A job a person must look at: FAILED and not retried, or no longer listed."""
        return bool(self.attention)

    @property
    def applyable(self) -> bool:
        return self.has_changes and not self.errored

    def summary(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        counts["queued"] = sum(1 for c in self.changes if c.queued and not c.held)
        counts["held"] = sum(1 for c in self.changes if c.held)
        counts["refused"] = len(self.refused)
        counts["left_out"] = len(self.left_out)
        return counts
