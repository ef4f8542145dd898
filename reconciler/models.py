"""Values shared by every part: dataset group references, job specs, desired jobs, and what the
service says of a job.

Pure data: no I/O, no boto3, no YAML. Models are frozen; a change makes a new value.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from reconciler.diagnostics import Location

MAX_JOB_NAME = 63
MAX_ATTEMPTS = 10  # jobs in all for one declared job: the first and its retries

# arn:PARTITION:personalize:REGION:ACCOUNT:dataset-group/NAME
DATASET_GROUP_ARN = re.compile(
    r"arn:(?P<partition>[a-z\d-]+):personalize:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):"
    r"(?P<account>\d{12}):dataset-group/(?P<name>[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62})"
)
_NAME = r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}"
_SCOPE = r"arn:[a-z\d-]+:personalize:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}"
# What a value read back (from the state or the service) must look like to be used.
GroupArn = Annotated[str, Field(pattern=f"^{_SCOPE}:dataset-group/{_NAME}$")]
JobArn = Annotated[str, Field(pattern=f"^{_SCOPE}:data-deletion-job/{_NAME}$")]


def _utc(value: datetime) -> datetime:
    """An aware time in UTC (botocore answers in the machine's zone); a naive one is UTC."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A time as the service says it, kept and shown in UTC whatever zone it was read in.
UtcTime = Annotated[datetime, AfterValidator(_utc)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def build_models() -> None:
    """Build now, on this thread, every model (`Frozen` subclass) loaded so far whose schema is
    still deferred: the first validation of a deferred model builds it, and pydantic 2.11 can
    build one wrongly when two threads do that at once (a worker then validates against the
    empty base model). Called before work is handed to threads."""
    waiting = list(Frozen.__subclasses__())
    while waiting:
        model = waiting.pop()
        waiting += model.__subclasses__()
        if not model.__pydantic_complete__:
            model.model_rebuild()


class DatasetGroupRef(Frozen):
    """Where a dataset group lives; job names are unique per (partition, region, account)."""

    partition: str
    region: str
    account: str
    name: str

    @classmethod
    def parse(cls, arn: str) -> DatasetGroupRef:
        return _parse_group(arn)

    @property
    def arn(self) -> str:
        return (
            f"arn:{self.partition}:personalize:{self.region}:{self.account}"
            f":dataset-group/{self.name}"
        )

    @property
    def scope(self) -> tuple[str, str, str]:
        """The scope in which job names must be unique."""
        return (self.partition, self.region, self.account)


@functools.lru_cache(maxsize=4096)  # a tree names few groups, each of them thousands of times
def _parse_group(arn: str) -> DatasetGroupRef:
    match = DATASET_GROUP_ARN.fullmatch(arn)
    if match is None:
        raise ValueError(
            "must look like arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME "
            "(ACCOUNT is 12 digits)"
        )
    return DatasetGroupRef(**match.groupdict())


class JobSpec(Frozen):
    """Everything CreateDataDeletionJob is called with, after manifest defaults are applied."""

    dataset_group_arn: GroupArn
    job_name: str
    data_location: str
    role_arn: str
    tags: dict[str, str] = {}

    def digest(self) -> str:
        """A stable digest of the spec: equal specs, equal digests."""
        canonical = json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def derived_name(self, attempt: int, turn: int = 0) -> str:
        """The job name of retry `attempt` (2, 3, ...): `NAME-rN` where that fits in 63
        characters. Where it does not, and at every later `turn` (each taken by another job),
        the name is cut and a hash of all of it (and of the turn) comes before `-rN`: two names
        never share a retry name, however long their common start."""
        suffix = f"-r{attempt}"
        if turn == 0 and len(self.job_name) + len(suffix) <= MAX_JOB_NAME:
            return self.job_name + suffix
        return hashed_name(self.job_name, MAX_JOB_NAME - len(suffix), turn) + suffix

    def candidate_names(self, attempt: int) -> Iterator[str]:
        """The names attempt `attempt` may be given, in the order they are tried: the job's name
        for the first; for a retry, one per turn (a name another job holds moves on to the
        next)."""
        if attempt == 1:
            yield self.job_name
            return
        for turn in range(NAME_TURNS):
            yield self.derived_name(attempt, turn)

    def legacy_name(self, attempt: int) -> str | None:
        """The name reconciler 0.2 gave retry `attempt` where `NAME-rN` did not fit (the name
        cut to make room: two long names could share it). Found in the service and in states it
        wrote; never given again."""
        suffix = f"-r{attempt}"
        if len(self.job_name) + len(suffix) <= MAX_JOB_NAME:
            return None
        return self.job_name[: MAX_JOB_NAME - len(suffix)] + suffix

    def is_attempt_name(self, name: str) -> bool:
        """Whether `name` is one any attempt at this job may have (looked up by its `-rN`)."""
        if name == self.job_name:
            return True
        head, dash_r, number = name.rpartition("-r")
        if not (head and dash_r and number.isdigit()) or not 2 <= int(number) <= MAX_ATTEMPTS:
            return False
        attempt = int(number)
        return name == self.legacy_name(attempt) or name in self.candidate_names(attempt)


NAME_TURNS = 8  # names a derived or retry name may move through when the ones before are taken
HASH_CHARS = 8
# A derived name (`{jobName}-{groupName}`) leaves room for a retry's `-rN` (up to -r10): a retry
# name cut to 63 characters would lose the end of the group's name.
DERIVED_LONGEST = MAX_JOB_NAME - len("-r10")


def hashed_name(name: str, longest: int, turn: int = 0) -> str:
    """`name` if it fits in `longest` characters at turn 0; else (and at every later turn) its
    start, `-`, and 8 hex characters of the SHA-256 of all of it (and of the turn), within
    `longest`: unique by construction, and the same at every plan."""
    if turn == 0 and len(name) <= longest:
        return name
    seed = name if turn == 0 else f"{name}\n{turn}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:HASH_CHARS]
    return f"{name[: longest - HASH_CHARS - 1].rstrip('-_')}-{digest}"


class InputIdentity(Frozen):
    """Which version of one input object: what S3 says of it (its VersionId where the bucket is
    versioned, its size and LastModified, its ETag), or the emulator's equivalent. Two reads of
    the same identity read the same bytes; a file replaced, even by one of the same size, has
    another.

    S3's ETag of an object uploaded in one part is the MD5 of its bytes: of a file of one user,
    it gives the user ID back to whoever guesses it. So `etag` lives only in the process that
    asked S3 (to read exactly that version, and to compare with a HeadObject made now); what is
    stored or shown is `tag`, its HMAC under the digest key (`evidence.digestKey`), where one is
    configured. Without a key, a stored identity is the VersionId, size and LastModified."""

    location: str  # s3://BUCKET/KEY of the object (each .csv under a prefix is one)
    etag: str | None = None  # S3's ETag, as read by this process; never stored or shown
    tag: str | None = None  # hex HMAC-SHA256 of the ETag under the digest key (first 32)
    key_id: str | None = None  # the digest key's fingerprint, where `tag` is set
    version_id: str | None = None
    size: int
    last_modified: UtcTime

    def same(self, other: InputIdentity) -> bool:
        """Whether `other` is this version of the object: the same size and LastModified, the
        same VersionId where both were read (a listing of a prefix does not give them), and the
        same ETag where both hold it, else the same keyed tag where both hold one made under
        the same key."""
        if (self.location, self.size, self.last_modified) != (
            other.location,
            other.size,
            other.last_modified,
        ):
            return False
        if None not in (self.version_id, other.version_id) and self.version_id != other.version_id:
            return False
        if self.etag is not None and other.etag is not None:
            return self.etag == other.etag
        if None not in (self.tag, other.tag) and self.key_id == other.key_id:
            return self.tag == other.tag  # tags under another key (rotated) tell nothing
        return True

    def short(self) -> str:
        """A short name of this version for people: its VersionId's first 8 characters, else
        its keyed tag's, else when it was last modified (never anything of the ETag)."""
        if self.version_id:
            return f"version {self.version_id[:8]}"
        if self.tag:
            return f"tag {self.tag[:8]}"
        return f"modified {self.last_modified.strftime('%Y-%m-%dT%H:%M:%SZ')}"


class InputEvidence(Frozen):
    """What one input object held when it was read whole: its identity (never its ETag: see
    `InputIdentity`), its user rows, and a keyed digest (HMAC-SHA256) where a digest key is
    configured. Never a plain hash of it: a file of a few users would give their IDs back to
    whoever guesses them."""

    location: str
    bytes: int
    rows: int  # non-blank lines after the USER_ID header
    read: UtcTime  # when it was read
    tag: str | None = None  # the keyed tag of its ETag (`InputIdentity.tag`)
    version_id: str | None = None
    last_modified: UtcTime | None = None  # None: recorded before 0.3 (state version 3)
    hmac: str | None = None  # hex HMAC-SHA256 of the bytes under the key `key_id` names
    key_id: str | None = None  # which key `tag` and `hmac` are under: a fingerprint, never the key

    @model_validator(mode="before")
    @classmethod
    def _no_etag(cls, data: Any) -> Any:
        """Drops the plain ETag an early 0.3.0 stored (gone from the state at its next write)."""
        if isinstance(data, dict) and "etag" in data:
            data = {k: v for k, v in data.items() if k != "etag"}
        return data

    @classmethod
    def of(
        cls,
        identity: InputIdentity,
        rows: int,
        read: datetime,
        hmac: str | None = None,
        key_id: str | None = None,
    ) -> InputEvidence:
        return cls(
            location=identity.location,
            bytes=identity.size,
            rows=rows,
            read=read,
            tag=identity.tag,
            version_id=identity.version_id,
            last_modified=identity.last_modified,
            hmac=hmac,
            key_id=key_id or identity.key_id,
        )

    @property
    def identity(self) -> InputIdentity | None:
        if self.last_modified is None:
            return None
        return InputIdentity(
            location=self.location,
            tag=self.tag,
            key_id=self.key_id if self.tag else None,
            version_id=self.version_id,
            size=self.bytes,
            last_modified=self.last_modified,
        )


class InputCheck(Frozen):
    """What preflight found reading one input object whole, kept by its identity so that an
    unchanged object is not read again: its evidence, and why the service would FAIL a job on
    it (a row number and what is wrong, never a value of the file)."""

    evidence: InputEvidence
    problem: str | None = None


def same_inputs(
    before: Sequence[InputIdentity | None], now: Sequence[InputIdentity | None]
) -> bool:
    """Whether two reads of a job's input found the same objects, each the same version (an
    identity not known, None, is never the same)."""
    if len(before) != len(now):
        return False
    ordered = sorted(before, key=_place), sorted(now, key=_place)
    return all(a is not None and b is not None and a.same(b) for a, b in zip(*ordered, strict=True))


def _place(identity: InputIdentity | None) -> str:
    return identity.location if identity is not None else ""


class RunInfo(Frozen):
    """The run that did something: a GitHub Actions run (from its GITHUB_* variables), or a
    host and user."""

    kind: Literal["github", "host"]
    url: str | None = None  # the GitHub run's page
    repository: str | None = None
    run_id: str | None = None
    run_attempt: str | None = None
    sha: str | None = None  # the commit the run checked out
    workflow: str | None = None
    actor: str | None = None  # who started the run
    host: str | None = None
    user: str | None = None

    def describe(self) -> str:
        if self.kind == "github":
            return f"GitHub run {self.url or self.run_id or 'unknown'}"
        return f"{self.user or 'unknown user'} on {self.host or 'unknown host'}"


class Provenance(Frozen):
    """Who approved a create and who ran it, recorded with the job when it is created."""

    principal: str | None  # the AWS principal (STS GetCallerIdentity ARN); None: not known
    run: RunInfo
    plan_id: str  # the plan applied
    plan_digest: str | None = None  # the saved plan's seal; None: planned in the same run
    change_ref: str | None = None  # `--change-ref`: the PR, ticket or change record
    approved_by: tuple[str, ...] = ()  # `--approved-by`, in the order given
    recorded: UtcTime


class SolutionModel(Frozen):
    """A custom solution of a dataset group and its latest ACTIVE solution version (the model
    recommendations come from), if any."""

    arn: str
    name: str
    version_arn: str | None = None
    version_created: UtcTime | None = None


class CampaignModel(Frozen):
    """A campaign of a dataset group and the solution version it serves (ListCampaigns,
    DescribeCampaign; the version's creation time from DescribeSolutionVersion): recommendations
    come from a model trained on the data as it was when that version was created."""

    arn: str
    name: str
    status: str  # as the service says it, e.g. ACTIVE
    solution_version_arn: str | None = None
    version_created: UtcTime | None = None
    solution_arn: str | None = None
    # the solution's automatic training (performAutoTraining): its schedule, e.g. "rate(7 days)"
    auto_training: str | None = None
    last_updated: UtcTime | None = None
    # campaignConfig.syncWithLatestSolutionVersion: the campaign deploys each new version itself
    # (auto-training then retrains and redeploys without anyone's update)
    follows_latest: bool = False
    # the version an UpdateCampaign in progress deploys (latestCampaignUpdate, pending or in
    # progress): until it is ACTIVE the campaign serves `solution_version_arn`
    updating_to: str | None = None


class DatasetImport(Frozen):
    """A dataset import job of one of a dataset group's datasets (ListDatasetImportJobs,
    DescribeDatasetImportJob): a FULL import replaces the dataset, and one that overlaps or
    follows a deletion can bring erased users back."""

    arn: str
    name: str
    status: str  # e.g. ACTIVE, CREATE IN_PROGRESS, CREATE FAILED
    mode: Literal["FULL", "INCREMENTAL"] | None = None  # importMode (None: not said)
    dataset_arn: str | None = None  # the dataset it imports into (its type ends the ARN)
    created: UtcTime
    completed: UtcTime | None = None  # when it became ACTIVE (lastUpdatedDateTime)


class Activity(Frozen):
    """Something that runs in a dataset group and that a deletion should not overlap: a dataset
    import, a solution version in training, a batch inference or batch segment job."""

    kind: str  # "dataset import job", "solution version", ...
    name: str
    status: str  # as the service says it, e.g. CREATE IN_PROGRESS

    def describe(self) -> str:
        return f"{self.kind} {self.name} is {self.status}"


def describe_activity(running: Sequence[Activity]) -> str:
    """What runs in a group, for a person: the first two, and how many more."""
    more = f" (and {len(running) - 2} more)" if len(running) > 2 else ""
    return "; ".join(a.describe() for a in running[:2]) + more


class RetryPolicy(Frozen):
    """What to do when a job ends FAILED: report it, or create a new attempt (a new name)."""

    on_failure: Literal["report", "retry"] = "report"
    max_attempts: int = 3


class DesiredJob(Frozen):
    """A job a manifest declares, under its stable address `GROUP/JOBNAME`."""

    address: str
    spec: JobSpec
    source: Location
    retry: RetryPolicy = RetryPolicy()
    # The jobName a document with `targets` declares: the job's name is derived from it and its
    # group's (`{jobName}-{groupName}`), and may move on to the next such name when taken.
    derived_from: str | None = None

    @property
    def dataset_group(self) -> DatasetGroupRef:
        return DatasetGroupRef.parse(self.spec.dataset_group_arn)

    def first_names(self) -> Iterator[str]:
        """The names the job's first attempt may be given, in the order they are tried: the
        name a person wrote, alone; or each derived name, turn after turn (see `hashed_name`)."""
        if self.derived_from is None:
            yield self.spec.job_name
            return
        whole = f"{self.derived_from}-{self.dataset_group.name}"
        for turn in range(NAME_TURNS):
            yield hashed_name(whole, DERIVED_LONGEST, turn)

    def named(self, job_name: str) -> DesiredJob:
        """This job under another of its names."""
        return self.model_copy(update={"spec": self.spec.model_copy(update={"job_name": job_name})})


class JobStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED)

    @property
    def step(self) -> int:
        """How far along a job is: 0 PENDING, 1 IN_PROGRESS, 2 COMPLETED or FAILED."""
        return {JobStatus.PENDING: 0, JobStatus.IN_PROGRESS: 1}.get(self, 2)


class ServiceJob(Frozen):
    """What the service says of a data deletion job: the one model for List and Describe answers,
    for the planner's view of the service, and for what the state last saw of a job.

    ListDataDeletionJobs leaves `data_location`, `role_arn` and `num_deleted` unset; Describe
    fills them (`num_deleted` once the job is COMPLETED).
    """

    arn: JobArn
    job_name: str
    dataset_group_arn: GroupArn
    status: JobStatus
    created: UtcTime
    last_updated: UtcTime
    failure_reason: str | None = None
    data_location: str | None = None
    role_arn: str | None = None
    num_deleted: int | None = None

    @property
    def described(self) -> bool:
        """Whether this came from Describe (List leaves out the data source and role)."""
        return self.data_location is not None

    def over(self, earlier: ServiceJob | None) -> ServiceJob:
        """This observation, keeping what an earlier one of the same job read with Describe and
        List does not repeat (the data source, the role, numDeleted)."""
        if earlier is None or earlier.arn != self.arn:
            return self
        kept = {
            field: getattr(earlier, field)
            for field in ("data_location", "role_arn", "num_deleted")
            if getattr(self, field) is None and getattr(earlier, field) is not None
        }
        return self.model_copy(update=kept) if kept else self


class Target(Frozen):
    """Where a run acts, as every output names it: AWS (an account, its regions, the profile),
    another endpoint that speaks the API, or the local emulator."""

    provider: str  # the provider's name: aws, local (or a test's fake)
    account: str | None = None
    account_checked: bool = False  # the account is the credentials' (STS), not the manifests'
    regions: tuple[str, ...] = ()
    profile: str | None = None
    endpoint: str | None = None  # an endpoint other than AWS's own, and where it was set
    emulator: str | None = None  # local: the emulator's database

    def describe(self) -> str:
        regions = " + ".join(self.regions) or "no region yet"
        if self.emulator is not None:
            return f"local emulator ({self.emulator}), {regions} — nothing is sent to AWS"
        account = f"account {self.account}" if self.account else "the credentials' account"
        if self.account and not self.account_checked:
            account += " (as the manifests name it)"
        profile = f" (profile {self.profile})" if self.profile else ""
        if self.endpoint is not None:
            return f"the endpoint {self.endpoint}, {account}, {regions}{profile} — not AWS itself"
        if self.provider != "aws":
            return f"the {self.provider} provider, {account}, {regions}"
        return f"AWS {account}, {regions}{profile}"

    def line(self) -> str:
        return f"Target: {self.describe()}"

    def same_place(self, other: Target) -> bool:
        """Whether `other` acts where this does (regions aside: a plan may add one)."""
        return (self.provider, self.account, self.endpoint, self.emulator) == (
            other.provider,
            other.account,
            other.endpoint,
            other.emulator,
        )
