"""A world for provider tests: the in-memory fake, or the emulator on a fake clock reached
in-process (`local`) or with boto3 over HTTP (`aws`)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.errors import ServiceError
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.service import EmulatorService
from reconciler.models import JobSpec
from reconciler.providers.aws import AwsProvider
from reconciler.providers.interface import Provider
from reconciler.providers.local import LocalProvider
from reconciler.settings import ProviderSettings
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PersonalizeDeletion"
DEFAULT_LOCATION = "s3://bucket/users.csv"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
INTERACTIONS = (
    '{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",'
    ' "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},'
    ' {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}'
)


def group_arn(name: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:personalize:{region}:{ACCOUNT}:dataset-group/{name}"


@dataclass
class World:
    provider: Provider
    service: EmulatorService | None  # None for the fake
    clock: FakeClock
    s3_root: Path
    url: str | None

    def create_group(self, name: str, region: str = "eu-west-1") -> str:
        """Create a dataset group through the API the provider uses."""
        if isinstance(self.provider, FakeProvider):
            return self.provider.add_group(name, region)
        if isinstance(self.provider, AwsProvider):
            response = self.provider.client(region).create_dataset_group(name=name)
            return str(response["datasetGroupArn"])
        assert self.service is not None
        body = self.service.handle("CreateDatasetGroup", {"name": name}, region=region)
        return str(body["datasetGroupArn"])

    def put_csv(self, key: str, text: str) -> str:
        """Write an object of the local 'S3' and return its s3:// location (the fake is told
        how many distinct users the file names)."""
        location = f"s3://bucket/{key}"
        if isinstance(self.provider, FakeProvider):
            rows = {line.strip() for line in text.splitlines()[1:] if line.strip()}
            self.provider.inputs[location] = len(rows)
            return location
        path = self.s3_root / "bucket" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return location

    def create_jobs(self, group: str, count: int) -> None:
        """`count` jobs named job-000…, five per clock step so the quota never stops them,
        created behind the provider's back (the setup of listing tests, not what they test)."""
        for i in range(count):
            if i and i % 5 == 0:
                self.clock.advance(11)  # past PENDING: the quota does not stop the setup
            spec = self.spec(f"job-{i:03d}", group)
            if self.service is None:
                self.provider.create_job(spec)
            else:
                self.service.handle(
                    "CreateDataDeletionJob",
                    {
                        "jobName": spec.job_name,
                        "datasetGroupArn": group,
                        "dataSource": {"dataLocation": spec.data_location},
                        "roleArn": spec.role_arn,
                    },
                    region=group.split(":")[3],
                )

    # what the erasure lifecycle reads, set up behind the provider's back (as `create_jobs`)

    def _handle(self, operation: str, params: dict[str, Any], arn: str) -> dict[str, Any]:
        assert self.service is not None
        return self.service.handle(operation, params, region=arn.split(":")[3])

    def add_solution(self, group: str, name: str, auto_training: str | None = None) -> str:
        """A solution of `group`, ACTIVE when this returns (the clock moves 30 s);
        `auto_training` is its schedule, None for one that does not train on its own."""
        if isinstance(self.provider, FakeProvider):
            arn = self.provider.add_solution(group, name, auto_training)
        else:
            params: dict[str, Any] = {"name": name, "datasetGroupArn": group, "recipeArn": RECIPE}
            params["performAutoTraining"] = auto_training is not None
            if auto_training is not None:
                schedule = {"schedulingExpression": auto_training}
                params["solutionConfig"] = {"autoTrainingConfig": schedule}
            arn = str(self._handle("CreateSolution", params, group)["solutionArn"])
        self.clock.advance(30)
        return arn

    def train(self, solution: str) -> str:
        """A solution version created now and ACTIVE when this returns (the clock moves 70 s)."""
        if isinstance(self.provider, FakeProvider):
            arn = self.provider.train(solution)
        else:
            body = self._handle("CreateSolutionVersion", {"solutionArn": solution}, solution)
            arn = str(body["solutionVersionArn"])
        self.clock.advance(70)
        return arn

    def deploy(self, name: str, version: str) -> str:
        """CreateCampaign serving `version` (CREATE PENDING now, ACTIVE 30 s later)."""
        if isinstance(self.provider, FakeProvider):
            return self.provider.deploy(name, version)
        params = {"name": name, "solutionVersionArn": version}
        return str(self._handle("CreateCampaign", params, version)["campaignArn"])

    def redeploy(self, campaign: str, version: str) -> None:
        """UpdateCampaign to `version` (ACTIVE 30 s later)."""
        if isinstance(self.provider, FakeProvider):
            self.provider.redeploy(campaign, version)
            return
        params = {"campaignArn": campaign, "solutionVersionArn": version}
        self._handle("UpdateCampaign", params, campaign)

    def add_import(self, group: str, name: str, mode: str = "FULL") -> str:
        """A dataset import job into the group's interactions dataset, created now (ACTIVE
        70 s later); the emulator's dataset is made first where missing (the clock moves 30 s
        before the import)."""
        if isinstance(self.provider, FakeProvider):
            return self.provider.add_import(group, name, mode)
        dataset = f"{group.replace('dataset-group/', 'dataset/')}/INTERACTIONS"
        try:
            self._handle("DescribeDataset", {"datasetArn": dataset}, group)
        except ServiceError:
            schema = f"schema-{group.rsplit('/', 1)[1]}"
            params = {"name": schema, "schema": INTERACTIONS}
            schema_arn = self._handle("CreateSchema", params, group)["schemaArn"]
            params = {
                "name": "interactions",
                "schemaArn": schema_arn,
                "datasetGroupArn": group,
                "datasetType": "Interactions",
            }
            self._handle("CreateDataset", params, group)
            self.clock.advance(30)
        params = {
            "jobName": name,
            "datasetArn": dataset,
            "dataSource": {"dataLocation": f"s3://bucket/{name}.csv"},
            "roleArn": ROLE,
            "importMode": mode,
        }
        return str(self._handle("CreateDatasetImportJob", params, group)["datasetImportJobArn"])

    def spec(self, name: str, group: str, location: str = DEFAULT_LOCATION, **tags: str) -> JobSpec:
        return job_spec(name, group, location, **tags)


def job_spec(name: str, group: str, location: str = DEFAULT_LOCATION, **tags: str) -> JobSpec:
    return JobSpec(
        dataset_group_arn=group, job_name=name, data_location=location, role_arn=ROLE, tags=tags
    )


def serve(service: EmulatorService) -> Iterator[str]:
    server = EmulatorServer(service, "127.0.0.1", 0, verbose=False)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def aws_provider(url: str, **settings: Any) -> AwsProvider:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    options = {"name": "aws", "endpoint_url": url, "max_attempts": 1, **settings}
    return AwsProvider(ProviderSettings(**options), session=session)


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Any]:
    stops: list[Iterator[str]] = []
    made = itertools.count()

    def _make(kind: str, **config: Any) -> World:
        clock = FakeClock()
        if kind == "fake":
            fake = FakeProvider(clock, pending_seconds=10, in_progress_seconds=20)
            return World(fake, None, clock, tmp_path / "s3", None)
        options = {
            "database": tmp_path / f"emulator-{next(made)}.sqlite3",
            "s3_root": tmp_path / "s3",
            "pending_seconds": 10,
            "in_progress_seconds": 20,
            **config,
        }
        service = EmulatorService(EmulatorConfig(**options), clock=clock, sleep=clock.sleep)
        if kind == "local":
            return World(LocalProvider(service), service, clock, tmp_path / "s3", None)
        server = serve(service)
        stops.append(server)
        url = next(server)
        return World(aws_provider(url), service, clock, tmp_path / "s3", url)

    yield _make
    for server in stops:
        next(server, None)


@pytest.fixture(params=["fake", "local", "aws"])
def world(request: pytest.FixtureRequest, make_world: Any) -> World:
    """The same world through each provider: the fake, the emulator in-process, and the
    emulator through boto3 over HTTP."""
    made: World = make_world(request.param)
    return made


@pytest.fixture(params=["local", "aws"])
def emulated(request: pytest.FixtureRequest, make_world: Any) -> World:
    """The emulator through both providers that reach it."""
    made: World = make_world(request.param)
    return made
