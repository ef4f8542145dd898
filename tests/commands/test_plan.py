"""`reconciler plan` end to end on the local emulator: real files, real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.emulator.config import EmulatorConfig, load_config
from reconciler.emulator.service import EmulatorService
from reconciler.manifest import load_manifests
from reconciler.planfile import load_plan
from reconciler.providers.local import LocalProvider
from reconciler.state.document import JobRecord, new_state
from reconciler.state.local import LocalBackend
from tests.conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped example: manifests, settings and the emulator's S3 data."""
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copytree(REPO / "example-data", tmp_path / "example-data")
    return tmp_path


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=project, capture_output=True,
        text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def emulator(project: Path) -> EmulatorService:
    config = load_config(project / "example-data" / "emulator.yaml")
    where = {"database": project / config.database, "s3_root": project / config.s3_root}
    return EmulatorService(config.model_copy(update=where))


def test_empty_emulator_plans_every_job_as_create(project: Path) -> None:
    result = run(project, "plan", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    assert "Plan: 5 to create, 0 to adopt, 0 to retry, 0 to forget." in result.stdout
    assert result.stdout.count("will be created") == 5
    assert "\x1b[" not in result.stdout  # not a terminal: no colours
    assert "eu-00001" not in result.stdout  # never the users' IDs


def test_json_plan_has_terraform_keys_and_create_actions(project: Path) -> None:
    result = run(project, "plan", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format_version"] == "1.2"
    assert document["applyable"] is True and document["errored"] is False
    assert [c["change"]["actions"] for c in document["resource_changes"]] == [["create"]] * 5
    assert {c["type"] for c in document["resource_changes"]} == {"personalize_data_deletion_job"}
    assert document["api_calls"] == {"DescribeDatasetGroup": 2, "ListDataDeletionJobs": 2}
    assert document["prior_state"]["values"]["root_module"]["resources"] == []


def test_markdown_plan(project: Path) -> None:
    result = run(project, "plan", "--format", "markdown")
    assert result.returncode == 0
    assert (
        "**Plan:** 5 to create, 0 to adopt, 0 to retry, 0 to forget, 0 unchanged." in result.stdout
    )
    assert "#### `shop-eu`" in result.stdout and "#### `shop-us`" in result.stdout


def test_saved_plan_round_trips(project: Path) -> None:
    result = run(project, "plan", "-out=plan.json")
    assert result.returncode == 0
    assert "Saved the plan to plan.json." in result.stderr
    saved = load_plan(project / "plan.json")
    assert saved.summary()["create"] == 5
    assert saved.manifests_digest == load_manifests([project / "manifests"]).digest
    assert saved.serial is None and saved.lineage is None


def test_jobs_already_in_the_service_are_adopted(project: Path) -> None:
    provider = LocalProvider(emulator(project))
    for job in load_manifests([project / "manifests"]).jobs:
        provider.create_job(job.spec)
    result = run(project, "plan", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    assert "Plan: 0 to create, 5 to adopt, 0 to retry, 0 to forget." in result.stdout
    document = json.loads(run(project, "plan", "--format", "json").stdout)
    assert document["api_calls"]["DescribeDataDeletionJob"] == 5
    assert all("importing" in c["change"] for c in document["resource_changes"])


def test_recorded_jobs_are_no_changes_and_exit_0(project: Path) -> None:
    provider = LocalProvider(emulator(project))
    records = {}
    for job in load_manifests([project / "manifests"]).jobs:
        arn = provider.create_job(job.spec)
        records[job.address] = JobRecord(
            address=job.address, spec=job.spec, spec_digest=job.spec.digest(),
            manifest=str(job.source), job_name=job.spec.job_name, arn=arn, status="PENDING",
        )  # fmt: skip
    LocalBackend(project / ".reconciler" / "state.json").save(
        new_state().model_copy(update={"jobs": records})
    )
    result = run(project, "plan", "--detailed-exitcode")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("No changes.")


def test_plan_with_errors_exits_1_and_saves_nothing(project: Path) -> None:
    shop_eu = project / "manifests" / "shop-eu.yaml"
    shop_eu.write_text(shop_eu.read_text().replace("shop-eu\n", "shop-gone\n", 1))
    result = run(project, "plan", "--detailed-exitcode", "-out", "plan.json")
    assert result.returncode == 1
    assert "Error: Dataset group not found" in result.stdout
    assert "The plan was not saved to plan.json: it has errors." in result.stderr
    assert not (project / "plan.json").exists()


def test_corrupt_state_is_reported_and_left_alone(project: Path) -> None:
    state = project / ".reconciler" / "state.json"
    state.parent.mkdir()
    state.write_text('{"version": 1, "lineage": "x", "ser')
    result = run(project, "plan")
    assert result.returncode == 1
    assert "is corrupt" in result.stderr and "state.json.backup" in result.stderr
    assert "Traceback" not in result.stderr
    assert state.read_text() == '{"version": 1, "lineage": "x", "ser'


def test_invalid_manifests_are_listed_not_traced(project: Path) -> None:
    (project / "manifests" / "bad.yaml").write_text("apiVersion: reconciler/v1\nkind: Nope\n")
    result = run(project, "plan")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "manifests/bad.yaml:2:7: kind: unknown kind 'Nope'; expected one of DeletionJobs, Settings",
        "1 problem in the manifests; nothing was changed.",
    ]


def test_state_lock_refusal_names_the_holder(project: Path) -> None:
    backend = LocalBackend(project / ".reconciler" / "state.json")
    held = backend.lock("apply")
    try:
        with pytest.raises(Exception, match=r"locked by .*\(apply, pid \d+\)"):
            LocalBackend(project / ".reconciler" / "state.json").lock("apply")
    finally:
        backend.unlock(held)


def test_plan_at_scale_lists_each_group_once_and_describes_nothing_unchanged(
    tmp_path: Path,
) -> None:
    """10,000 declared jobs in 100 dataset groups, all recorded: 100 List calls, 0 Describe."""
    from reconciler.planning.decide import make_plan
    from reconciler.refresh import refresh
    from tests.planning.builders import desired

    config = EmulatorConfig(
        database=tmp_path / "e.sqlite3", s3_root=tmp_path / "s3",
        pending_jobs_limit=10_000, pending_seconds=3600,
    )  # fmt: skip
    provider = LocalProvider(EmulatorService(config))
    jobs, records = [], {}
    for g in range(100):
        group = provider.service.handle(
            "CreateDatasetGroup", {"name": f"g{g:03d}"}, region="eu-west-1"
        )
        for j in range(100):
            job = desired(f"g{g:03d}-j{j:03d}", grp=group["datasetGroupArn"])
            arn = provider.create_job(job.spec)
            jobs.append(job)
            records[job.address] = JobRecord(
                address=job.address, spec=job.spec, spec_digest=job.spec.digest(), manifest="m",
                job_name=job.spec.job_name, arn=arn, status="PENDING",
            )  # fmt: skip
    stored = new_state().model_copy(update={"jobs": records})
    provider.calls.clear()
    live = refresh(jobs, sorted({j.spec.dataset_group_arn for j in jobs}), stored, provider)
    plan = make_plan(jobs, stored, live, max_pending=5, provider="local", state_location="s",
                     manifests_digest="d")  # fmt: skip
    assert live.api_calls == {"ListDataDeletionJobs": 100}
    assert plan.api_calls == {"ListDataDeletionJobs": 100}
    assert len(plan.changes) == 10_000
    assert not plan.has_changes and not plan.errored
