"""`check` exit codes in every state of the documented table, and `status`."""

from __future__ import annotations

import json

from reconciler.exitcodes import ExitCode
from reconciler.state.local import LocalBackend
from tests.commands.conftest import GROUP_EU, STATE, Project

CONVERGED, ERROR, CHANGES = ExitCode.OK, ExitCode.ERROR, ExitCode.CHANGES
DRIFT, RUNNING, FAILED = ExitCode.DRIFT, ExitCode.RUNNING, ExitCode.FAILED
BROKEN = (
    f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
    "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
    "  - jobName: no-input\n    dataSource: {dataLocation: s3://acme-privacy/none.csv}\n"
)


def test_changes_then_running_then_converged(project: Project) -> None:
    assert project.check() == CHANGES
    assert "not applied: shop-eu/gdpr-2026-w46: create" in project.out.getvalue()
    assert project.apply() == 0
    assert project.check() == RUNNING
    assert "running: shop-eu/gdpr-2026-w46: Pending" in project.out.getvalue()
    project.clock.advance(60)
    assert project.check() == CONVERGED
    assert project.out.getvalue().endswith("check: converged (5 of 5 declared jobs COMPLETED)\n")


def test_failed_wins_over_running(project: Project) -> None:
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply() == 0
    project.clock.advance(60)
    assert project.check() == FAILED
    assert (
        "failed: shop-eu/no-input: Input data not found at s3://acme-privacy/none.csv."
        in project.out.getvalue()
    )


def test_drift_when_a_recorded_job_is_missing(project: Project) -> None:
    assert project.apply() == 0
    project.clock.advance(60)
    backend = LocalBackend(STATE)
    state = backend.load()
    assert state is not None
    record = state.jobs["shop-eu/gdpr-2026-w46"]
    assert record.seen is not None
    ghost_job = record.seen.model_copy(
        update={"job_name": "ghost", "arn": record.seen.arn.replace("gdpr-2026-w46", "ghost")}
    )
    ghost = record.model_copy(update={"job_name": "ghost", "seen": ghost_job})
    backend.save(state.model_copy(update={"jobs": {**state.jobs, ghost.address: ghost}}))
    assert project.check() == DRIFT
    assert "drift: shop-eu/gdpr-2026-w46:" in project.out.getvalue()


def test_error_when_a_dataset_group_is_missing(project: Project) -> None:
    project.write_manifest("gone.yaml", BROKEN.replace("shop-eu", "shop-gone"))
    assert project.check() == ERROR


def test_status_table_and_json(project: Project) -> None:
    assert project.apply() == 0
    project.clock.advance(3)
    assert project.status() == 0
    table = project.out.getvalue().splitlines()
    assert table[0].split() == ["ADDRESS", "JOB", "STATUS", "AGE", "DELETED", "FAILURE", "REASON"]
    assert "shop-eu/gdpr-2026-w46" in table[1] and "IN_PROGRESS" in table[1] and "3s" in table[1]
    assert table[-1] == "5 jobs: IN_PROGRESS 5; 0 records deleted."
    project.clock.advance(60)
    assert project.status("--format", "json") == 0
    records = json.loads(project.out.getvalue())
    assert {r["status"] for r in records} == {"COMPLETED"}
    assert sum(r["num_deleted"] for r in records) == 250
    state = project.state()  # status recorded what it saw
    assert [t.status for t in state.jobs["shop-us/ccpa-2026-w47"].history] == [
        "PENDING",
        "IN_PROGRESS",
        "COMPLETED",
    ]


def test_status_while_locked_shows_without_recording(project: Project) -> None:
    assert project.apply() == 0
    serial = project.state().serial
    backend = LocalBackend(STATE)
    held = backend.lock("apply")
    project.clock.advance(60)
    assert project.status("--format", "markdown") == 0
    assert "what status sees is shown, and recorded once it can be" in project.err.getvalue()
    assert "**5 jobs: COMPLETED 5; 250 records deleted.**" in project.out.getvalue()
    backend.unlock(held)
    assert project.state().serial == serial


def test_status_without_state(project: Project) -> None:
    assert project.status() == 0
    assert "No state yet" in project.err.getvalue()
