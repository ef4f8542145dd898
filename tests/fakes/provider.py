"""An in-memory Personalize: dataset groups and data deletion jobs on a fake clock.

It keeps the service's contract as the reconciler relies on it (and as the provider contract
suite checks): names unique per account and region, at most `pending_limit` PENDING jobs per
group, List newest first in pages of `page_size`, Describe with the data source, role and
numDeleted, PENDING > IN_PROGRESS > COMPLETED or FAILED on the clock. A job's outcome is what
`inputs` says of its data location: a number of users deleted, or a failure reason; a location
it does not know fails as the service fails a missing input. `fail_next` injects errors.

What the erasure lifecycle reads, set up by tests: solutions (`add_solution`), their versions
(`train`: created now), campaigns (`deploy`, `redeploy`) and dataset imports (`add_import`). A
campaign or its update moves CREATE PENDING > CREATE IN_PROGRESS > ACTIVE in `pending_seconds`
and `in_progress_seconds`, an import in `pending_seconds` and `activity_seconds`, as the
emulator's do; the campaign serves its old version until its update is ACTIVE.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.models import (
    Activity,
    CampaignModel,
    DatasetImport,
    InputIdentity,
    JobSpec,
    JobStatus,
    ServiceJob,
    SolutionModel,
    Target,
)
from reconciler.providers.inputs import DigestKey, Feed, InputReader
from reconciler.providers.interface import (
    AlreadyExists,
    DatasetGroupInfo,
    NotFound,
    ProviderError,
    QuotaExceeded,
)
from tests.fakes.clock import FakeClock


@dataclass
class _Job:
    spec: JobSpec
    arn: str
    created: float


@dataclass
class _Campaign:
    arn: str
    name: str
    solution_arn: str
    version_arn: str
    created: float
    update: tuple[str, float] | None = None  # the version deployed next, and since when


@dataclass
class _Import:
    arn: str
    name: str
    dataset_arn: str
    mode: str
    created: float


CREATE = ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")


def _scope(arn: str) -> tuple[str, str, str]:
    _, partition, _, region, account, _ = arn.split(":", 5)
    return partition, region, account


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class FakeProvider:
    name = "fake"
    polling_defaults = (1.0, 5.0)
    parallel_reads = 8

    def __init__(
        self,
        clock: FakeClock,
        *,
        pending_seconds: float = 10,
        in_progress_seconds: float = 20,
        pending_limit: int = 5,
        page_size: int = 100,
        activity_seconds: float = 60,
    ) -> None:
        self.clock = clock
        self.pending_seconds = pending_seconds
        self.in_progress_seconds = in_progress_seconds
        self.pending_limit = pending_limit
        self.page_size = page_size
        self.activity_seconds = activity_seconds
        self.calls: Counter[str] = Counter()
        self.groups: dict[str, str] = {}  # ARN -> name
        self.jobs: dict[str, _Job] = {}  # ARN -> job, in creation order
        self._by_group: defaultdict[str, list[_Job]] = defaultdict(list)
        self.inputs: dict[str, int | str] = {}  # data location -> users deleted, or why it fails
        self.fail_next: defaultdict[str, list[ProviderError]] = defaultdict(list)
        self.account = "123456789012"  # whose the credentials are, as STS would say
        self.caller = f"arn:aws:iam::{self.account}:role/fake-deployer"  # who, as STS would say
        self.running: defaultdict[str, list[Activity]] = defaultdict(list)  # group -> activity
        self.models: defaultdict[str, list[SolutionModel]] = defaultdict(list)  # group -> them
        self.solution_groups: dict[str, tuple[str, str | None]] = {}  # ARN -> group, schedule
        self.versions: dict[str, float] = {}  # solution version ARN -> created
        self.deployed: dict[str, _Campaign] = {}  # campaign ARN -> campaign
        self.imported: defaultdict[str, list[_Import]] = defaultdict(list)  # group -> imports

    # what tests set up

    def add_group(self, name: str, region: str = "eu-west-1", account: str = "123456789012") -> str:
        arn = f"arn:aws:personalize:{region}:{account}:dataset-group/{name}"
        self.groups[arn] = name
        return arn

    def add_solution(self, group: str, name: str, auto_training: str | None = None) -> str:
        """A solution of `group`; `auto_training` is its schedule (None: no automatic
        training)."""
        arn = group.replace(group.split(":", 5)[5], f"solution/{name}")
        self.solution_groups[arn] = (group, auto_training)
        return arn

    def train(self, solution_arn: str) -> str:
        """A new ACTIVE version of the solution, created now."""
        arn = f"{solution_arn}/{len(self.versions):08x}"
        self.versions[arn] = self.clock.now
        return arn

    def deploy(self, name: str, version_arn: str) -> str:
        """A campaign serving `version_arn`, created now."""
        solution_arn = version_arn.rsplit("/", 1)[0]
        arn = solution_arn.replace(solution_arn.split(":", 5)[5], f"campaign/{name}")
        self.deployed[arn] = _Campaign(arn, name, solution_arn, version_arn, self.clock.now)
        return arn

    def redeploy(self, campaign_arn: str, version_arn: str) -> None:
        """UpdateCampaign to `version_arn`, from now."""
        self.deployed[campaign_arn].update = (version_arn, self.clock.now)

    def add_import(self, group: str, name: str, mode: str = "FULL") -> str:
        """A dataset import job into the group's interactions, created now."""
        _, region, account = _scope(group)
        arn = f"arn:aws:personalize:{region}:{account}:dataset-import-job/{name}"
        dataset = group.replace("dataset-group/", "dataset/") + "/INTERACTIONS"
        self.imported[group].append(_Import(arn, name, dataset, mode, self.clock.now))
        return arn

    def remove_job(self, job_name: str) -> None:
        """Someone deleted the job out of band."""
        gone = [job for job in self.jobs.values() if job.spec.job_name == job_name]
        for job in gone:
            del self.jobs[job.arn]
            self._by_group[job.spec.dataset_group_arn].remove(job)

    # the Provider protocol

    def list_jobs(
        self, dataset_group_arn: str, *, until_seen: frozenset[str] | None = None
    ) -> list[ServiceJob]:
        self._call("ListDataDeletionJobs")
        if dataset_group_arn not in self.groups:
            raise NotFound(f"ListDataDeletionJobs: ResourceNotFoundException: {dataset_group_arn}")
        newest_first = sorted(
            self._by_group[dataset_group_arn],
            key=lambda j: (j.created, j.arn),
            reverse=True,
        )
        missing = set(until_seen) if until_seen is not None else None
        listed: list[ServiceJob] = []
        for start in range(0, len(newest_first), self.page_size):
            if start:
                self._call("ListDataDeletionJobs")
            for job in newest_first[start : start + self.page_size]:
                listed.append(self._view(job, described=False))
                if missing is not None:
                    missing.discard(job.spec.job_name)
            if missing == set():
                break
        return listed

    def describe_job(self, job_arn: str) -> ServiceJob:
        self._call("DescribeDataDeletionJob")
        job = self.jobs.get(job_arn)
        if job is None:
            raise NotFound(f"DescribeDataDeletionJob: ResourceNotFoundException: {job_arn}")
        return self._view(job, described=True)

    def list_tags(self, job_arn: str) -> dict[str, str]:
        self._call("ListTagsForResource")
        job = self.jobs.get(job_arn)
        if job is None:
            raise NotFound(f"ListTagsForResource: ResourceNotFoundException: {job_arn}")
        return dict(job.spec.tags)

    def create_job(self, spec: JobSpec) -> str:
        self._call("CreateDataDeletionJob")
        if spec.dataset_group_arn not in self.groups:
            raise NotFound(
                f"CreateDataDeletionJob: ResourceNotFoundException: {spec.dataset_group_arn}"
            )
        partition, region, account = _scope(spec.dataset_group_arn)
        arn = f"arn:{partition}:personalize:{region}:{account}:data-deletion-job/{spec.job_name}"
        if arn in self.jobs:  # the ARN holds the name's scope: account and region
            raise AlreadyExists(
                f"CreateDataDeletionJob: ResourceAlreadyExistsException: {spec.job_name}"
            )
        group = self._by_group[spec.dataset_group_arn]
        pending = sum(1 for j in group if self._status(j)[0] is JobStatus.PENDING)
        if pending >= self.pending_limit:
            raise QuotaExceeded(f"CreateDataDeletionJob: LimitExceededException: {pending} PENDING")
        job = _Job(spec=spec, arn=arn, created=self.clock.now)
        self.jobs[arn] = job
        group.append(job)
        return arn

    def activity(self, dataset_group_arn: str) -> list[Activity]:
        self._call("ListDatasets")
        self._call("ListSolutions")
        return list(self.running[dataset_group_arn])

    def input_reader(self) -> InputReader:
        return _FakeInputs(self.inputs)

    def target(self, regions: Sequence[str]) -> Target:
        return Target(
            provider=self.name, account=self.account, account_checked=True, regions=tuple(regions)
        )

    def principal(self) -> str | None:
        return self.caller

    def describe_dataset_group(self, dataset_group_arn: str) -> DatasetGroupInfo | None:
        self._call("DescribeDatasetGroup")
        name = self.groups.get(dataset_group_arn)
        if name is None:
            return None
        return DatasetGroupInfo(arn=dataset_group_arn, name=name, status="ACTIVE")

    def solutions(self, dataset_group_arn: str) -> list[SolutionModel]:
        self._call("ListSolutions")
        return list(self.models[dataset_group_arn])

    def campaigns(self, dataset_group_arn: str) -> list[CampaignModel]:
        self._call("ListSolutions")
        found = []
        for campaign in self.deployed.values():
            group, schedule = self.solution_groups[campaign.solution_arn]
            if group != dataset_group_arn:
                continue
            self._call("DescribeCampaign")
            status, since = self._phase(campaign.created, self.in_progress_seconds)
            serving, updating = campaign.version_arn, None
            if campaign.update is not None:
                version, started = campaign.update
                phase, moved = self._phase(started, self.in_progress_seconds)
                if phase == "ACTIVE":
                    serving, since = version, moved
                else:
                    updating = version
            found.append(
                CampaignModel(
                    arn=campaign.arn,
                    name=campaign.name,
                    status=status,
                    solution_version_arn=serving,
                    version_created=_time(self.versions[serving]),
                    solution_arn=campaign.solution_arn,
                    auto_training=schedule,
                    updating_to=updating,
                    last_updated=_time(since),
                )
            )
        return found

    def imports(self, dataset_group_arn: str) -> list[DatasetImport]:
        self._call("ListDatasets")
        found = []
        for job in self.imported[dataset_group_arn]:
            status, since = self._phase(job.created, self.activity_seconds)
            found.append(
                DatasetImport(
                    arn=job.arn,
                    name=job.name,
                    status=status,
                    mode="FULL" if job.mode == "FULL" else "INCREMENTAL",
                    dataset_arn=job.dataset_arn,
                    created=_time(job.created),
                    completed=_time(since) if status == "ACTIVE" else None,
                )
            )
        return found

    def list_dataset_groups(self, region: str) -> list[DatasetGroupInfo]:
        self._call("ListDatasetGroups")
        return [
            DatasetGroupInfo(arn=arn, name=name, status="ACTIVE")
            for arn, name in sorted(self.groups.items())
            if _scope(arn)[1:] == (region, self.account)
        ]

    # inside

    def _call(self, operation: str) -> None:
        self.calls[operation] += 1
        if self.fail_next[operation]:
            raise self.fail_next[operation].pop(0)

    def _phase(self, created: float, running: float) -> tuple[str, float]:
        """CREATE PENDING, CREATE IN_PROGRESS or ACTIVE on the clock, and since when."""
        started = created + self.pending_seconds
        moves = (created, started, started + running)
        index = sum(1 for moved in moves[1:] if moved <= self.clock.now)
        return CREATE[index], moves[index]

    def _status(self, job: _Job) -> tuple[JobStatus, float, int | str | None]:
        started = job.created + self.pending_seconds
        finished = started + self.in_progress_seconds
        if self.clock.now < started:
            return JobStatus.PENDING, job.created, None
        if self.clock.now < finished:
            return JobStatus.IN_PROGRESS, started, None
        outcome = self.inputs.get(
            job.spec.data_location, f"Input data not found at {job.spec.data_location}."
        )
        if isinstance(outcome, int):
            return JobStatus.COMPLETED, finished, outcome
        return JobStatus.FAILED, finished, outcome

    def _view(self, job: _Job, *, described: bool) -> ServiceJob:
        status, since, outcome = self._status(job)
        return ServiceJob(
            arn=job.arn,
            job_name=job.spec.job_name,
            dataset_group_arn=job.spec.dataset_group_arn,
            status=status,
            created=_time(job.created),
            last_updated=_time(since),
            failure_reason=outcome if isinstance(outcome, str) else None,
            data_location=job.spec.data_location if described else None,
            role_arn=job.spec.role_arn if described else None,
            num_deleted=outcome if described and isinstance(outcome, int) else None,
        )


class _FakeInputs:
    """The fake's inputs: a location it knows (`inputs`) is a small CSV with its header; any
    other is missing. What the service does with one (`inputs`' failure reasons) is another
    matter: preflight only reads. No digest key."""

    CSV = b"USER_ID\nuser-1\nuser-2\n"
    MODIFIED = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, inputs: dict[str, int | str]) -> None:
        self.inputs = inputs

    def _identity(self, location: str) -> InputIdentity:
        return InputIdentity(  # as a reader with a digest key has it: its ETag keyed
            location=location,
            etag='"fake"',
            tag="fa4e",
            size=len(self.CSV),
            last_modified=self.MODIFIED,
        )

    def identity(self, bucket: str, key: str, region: str) -> InputIdentity | None:
        location = f"s3://{bucket}/{key}"
        return self._identity(location) if location in self.inputs else None

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputIdentity]:
        known = f"s3://{bucket}/{prefix}" in self.inputs
        return [self._identity(f"s3://{bucket}/{prefix}users.csv")] if known else []

    def stream(self, identity: InputIdentity, region: str, feed: Feed) -> None:
        feed(self.CSV)

    def digest_key(self, region: str) -> DigestKey | None:
        return None
