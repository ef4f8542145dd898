"""Every command with the whole world injected: the in-memory provider and state backend, a
fake clock, string streams. Nothing here touches a socket, a database or a state file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.manifest.loader import load_manifests
from reconciler.models import JobSpec
from reconciler.providers.interface import InvalidInput, TransientError
from tests.commands.conftest import copy_example
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.runtime import fake_runtime
from tests.fakes.state import MemoryBackend


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.provider = FakeProvider(self.clock)
        self.backend = MemoryBackend()
        self.out, self.err = io.StringIO(), io.StringIO()
        for job in load_manifests([Path("manifests")]).jobs:
            group = job.dataset_group
            self.provider.groups[group.arn] = group.name
            self.provider.inputs[job.spec.data_location] = 10

    def run(self, *args: str) -> int:
        self.out, self.err = io.StringIO(), io.StringIO()
        runtime = fake_runtime(
            self.clock,
            out=self.out,
            err=self.err,
            make_provider=lambda settings: self.provider,
            make_backend=lambda settings: self.backend,
        )
        return main(list(args), runtime)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    copy_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    return World()


def test_validate_plan_apply_check_and_status(world: World) -> None:
    assert world.run("validate") == 0
    assert world.run("plan", "--detailed-exitcode") == 2
    assert "Plan: 5 to create" in world.out.getvalue()
    assert world.run("check") == 2
    assert world.run("apply", "--auto-approve") == 0
    assert world.run("check") == 4  # running
    assert world.run("apply", "--auto-approve", "--wait") == 0
    assert world.clock.slept  # it waited on the fake clock
    assert world.run("check") == 0
    assert world.run("plan", "--detailed-exitcode") == 0
    assert world.run("status", "--format", "json") == 0
    records = json.loads(world.out.getvalue())["jobs"]
    assert {(r["status"], r["numDeleted"]) for r in records} == {("COMPLETED", 10)}
    assert world.backend.held is None  # every lock was given back
    assert world.provider.calls["CreateDataDeletionJob"] == 5


def test_a_job_deleted_out_of_band_is_drift(world: World) -> None:
    assert world.run("apply", "--auto-approve") == 0
    world.provider.remove_job("ccpa-2026-w47")
    assert world.run("check") == 3
    assert "drift: shop-us/ccpa-2026-w47:" in world.out.getvalue()


TWELVE = (
    "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
    "datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/bulk\n"
    "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
    + "".join(
        f"  - jobName: bulk-{i:02d}\n    dataSource: {{dataLocation: s3://acme-bulk/bulk.csv}}\n"
        for i in range(12)
    )
)


def failing_creates(world: World, after: int, *, happened: bool) -> list[str]:
    """From the (after+1)th create on, the answer is a server error; with `happened`, the job
    was created all the same (the answer was lost), once per name."""
    create = world.provider.create_job
    failed: list[str] = []

    def answer(spec: JobSpec) -> str:
        calls = world.provider.calls["CreateDataDeletionJob"]
        if calls < after or (happened and spec.job_name in failed):
            return create(spec)
        failed.append(spec.job_name)
        if happened:
            create(spec)
        world.provider.calls["CreateDataDeletionJob"] += 1
        raise TransientError("CreateDataDeletionJob: InternalFailure: (500)")

    world.provider.create_job = answer  # type: ignore[method-assign]
    return failed


def test_defect_01_creates_that_keep_failing_while_waiting_make_apply_fail(world: World) -> None:
    Path("manifests/bulk.yaml").write_text(TWELVE)
    world.provider.add_group("bulk")
    world.provider.inputs["s3://acme-bulk/bulk.csv"] = 1
    failing_creates(world, after=10, happened=False)  # 5 of the example + 5 of bulk go
    assert world.run("apply", "--auto-approve", "--wait", "--parallelism", "1") == 1  # was 0
    out = world.out.getvalue()
    assert (
        "Apply incomplete: 10 created, 0 imported, 0 forgotten, 0 failed, 7 not confirmed." in out
    )
    assert world.run("check") == 2


def test_a_create_the_service_refuses_is_1_and_annotated_at_its_line(world: World) -> None:
    create = world.provider.create_job

    def refuse(spec: JobSpec) -> str:
        if spec.job_name == "gdpr-2026-w46":  # what the service says, hostile
            raise InvalidInput("CreateDataDeletionJob: 50% off\n::warning::gotcha")
        return create(spec)

    world.provider.create_job = refuse  # type: ignore[method-assign]
    assert world.run("apply", "--auto-approve", "--format", "github") == 1
    out = world.out.getvalue()
    assert "Apply incomplete: 4 created, 0 imported, 0 forgotten, 1 failed, 0 not confirmed." in out
    [annotation] = [line for line in out.splitlines() if line.startswith("::")]
    assert annotation == (
        "::error file=manifests/shop-eu.yaml,line=10,col=5,title=reconciler apply%3A "
        "shop-eu/gdpr-2026-w46::shop-eu/gdpr-2026-w46: FAILED to create: CreateDataDeletionJob: "
        "50%25 off\\n::warning::gotcha"
    )


def test_defect_02_lost_answers_while_waiting_are_adopted_and_counted_in_the_same_run(
    world: World,
) -> None:
    Path("manifests/bulk.yaml").write_text(TWELVE)
    world.provider.add_group("bulk")
    world.provider.inputs["s3://acme-bulk/bulk.csv"] = 1
    lost = failing_creates(world, after=8, happened=True)
    assert world.run("apply", "--auto-approve", "--wait", "--parallelism", "1") == 0
    assert len(lost) == 9
    out = world.out.getvalue()
    assert "Apply complete: 8 created, 9 imported, 0 forgotten." in out
    names = [job.spec.job_name for job in world.provider.jobs.values()]
    assert len(names) == len(set(names)) == 17  # every declared job, once
    assert world.run("check") == 0


def bulk(count: int) -> str:
    return (
        TWELVE.replace("bulk-", "many-").split("jobs:\n")[0]
        + "jobs:\n"
        + "".join(
            f"  - jobName: many-{i:03d}\n    dataSource: {{dataLocation: s3://acme-bulk/bulk.csv}}\n"
            for i in range(count)
        )
    )


@pytest.mark.parametrize("count", [5, 60])
def test_an_apply_writes_the_state_a_constant_number_of_times(world: World, count: int) -> None:
    Path("manifests/shop-eu.yaml").unlink()
    Path("manifests/shop-us.yaml").unlink()
    Path("manifests/bulk.yaml").write_text(bulk(count))
    with Path("manifests/settings.yaml").open("a") as settings:
        settings.write("quotas: {maxPendingJobsPerDatasetGroup: 100}\n")
    world.provider.add_group("bulk")
    world.provider.inputs["s3://acme-bulk/bulk.csv"] = 1
    world.provider.pending_limit = 100
    assert world.run("apply", "--auto-approve") == 0
    assert f"Apply complete: {count} created" in world.out.getvalue()
    assert world.backend.saves == 2  # every intent in one write, every ARN in one more


def test_tracking_writes_observations_at_most_every_20_seconds(world: World) -> None:
    assert world.run("apply", "--auto-approve") == 0
    saves = world.backend.saves
    world.provider.in_progress_seconds = 200  # a long wait: many polls, few changes
    assert world.run("apply", "--auto-approve", "--wait") == 0
    polls = len(world.clock.slept) + 1
    writes = world.backend.saves - saves
    elapsed = sum(world.clock.slept)
    assert polls > 40 and writes <= elapsed / 20 + 2  # not one write per poll
    assert world.run("check") == 0  # and nothing was lost


def test_credentials_of_another_account_are_refused_before_anything_is_read(world: World) -> None:
    assert world.run("apply", "--auto-approve") == 0
    world.provider.account = "999999999999"
    world.provider.calls.clear()
    for command in (["plan"], ["apply", "--auto-approve"], ["check"], ["status"]):
        assert world.run(*command) == 1, command
        said = world.err.getvalue()
        assert "the credentials are for AWS account 999999999999" in said, command
        assert "dataset groups of account 123456789012: shop-eu (123456789012)" in said
        assert "Traceback" not in said
    assert not world.provider.calls  # nothing listed, nothing created
