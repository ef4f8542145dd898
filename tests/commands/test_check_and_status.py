"""`check` exit codes in every state of the documented table, and `status`."""

from __future__ import annotations

import json

import pytest

from reconciler.exitcodes import ExitCode
from reconciler.state.local import LocalBackend
from tests.commands.conftest import GROUP_EU, STATE, Project

CONVERGED, ERROR, CHANGES = ExitCode.OK, ExitCode.ERROR, ExitCode.CHANGES
DRIFT, RUNNING, FAILED = ExitCode.DRIFT, ExitCode.RUNNING, ExitCode.FAILED
BROKEN = (
    f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
    "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
    "  - jobName: no-input\n    dataSource: {dataLocation: s3://acme-privacy/bad-rows.csv}\n"
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
    project.write_input("bad-rows.csv")
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply() == 0
    project.clock.advance(60)
    assert project.check() == FAILED
    assert (
        "failed: shop-eu/no-input: no-input FAILED (Input file s3://acme-privacy/bad-rows.csv: row "
        "2 has 2 columns; expected only USER_ID.). Next: fix the input and, in a pull request, "
        "add `onFailure: retry` to it at manifests/broken.yaml:6:5: the next apply retries it as "
        "no-input-r2; an operator can instead run `reconciler apply --retry shop-eu/no-input` "
        "once\n"
    ) in project.out.getvalue()


def test_drift_when_a_recorded_job_is_missing(project: Project) -> None:
    assert project.apply() == 0
    project.clock.advance(60)
    backend = LocalBackend(STATE)
    state = backend.load()
    assert state is not None
    record = state.jobs["shop-eu/gdpr-2026-w46"]
    assert record.seen is not None
    ghost_name = "gdpr-2026-w46-r2"  # a name its spec allows (a retry's), that nothing has
    ghost_job = record.seen.model_copy(
        update={"job_name": ghost_name, "arn": record.seen.arn.replace("gdpr-2026-w46", ghost_name)}
    )
    ghost = record.model_copy(update={"job_name": ghost_name, "seen": ghost_job})
    backend.save(state.model_copy(update={"jobs": {**state.jobs, ghost.address: ghost}}))
    assert project.check() == DRIFT
    assert (
        "drift: shop-eu/gdpr-2026-w46: gdpr-2026-w46-r2 is no longer listed by the service "
        "(drift). "
        "Next: check whether the job or its dataset group was deleted out of band; then, in a "
        "pull request, remove the job from the manifests (the apply forgets it) or declare it "
        "again with another jobName; an operator can instead run `reconciler state rm "
        "shop-eu/gdpr-2026-w46` so that the next plan creates it again"
    ) in project.out.getvalue()


def test_error_when_a_dataset_group_is_missing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write_manifest("gone.yaml", BROKEN.replace("shop-eu", "shop-gone"))
    assert project.check() == ERROR
    assert project.out.getvalue().endswith("check: error (0 of 6 declared jobs COMPLETED)\n")
    assert project.run("plan") == 1  # the emulator's, not "these credentials"
    assert "does not exist in the local emulator (.reconciler/emulator.sqlite3): add it" in (
        project.out.getvalue()
    )
    assert project.run("check", "--help") == 0
    helped = " ".join(capsys.readouterr().out.split())  # click prints help itself
    assert "exit 0 converged, 1 error, 2 changes not applied" in helped


def test_status_table_and_json(project: Project) -> None:
    assert project.apply() == 0
    project.clock.advance(3)
    assert project.status() == 0
    target, _, *table = project.out.getvalue().splitlines()
    assert target.startswith("Target: local emulator (.reconciler/emulator.sqlite3)")
    assert table[0].split() == ["ADDRESS", "JOB", "STATUS", "AGE", "DELETED", "FAILURE", "REASON"]
    addresses = [row.split()[0] for row in table[1:6]]
    assert addresses == sorted(addresses) and len(addresses) == 5  # rows sorted by address
    assert "shop-eu/closed-accounts-2026-11" in table[1] and "IN_PROGRESS" in table[1]
    assert "3s" in table[1]
    assert table[-1] == "5 jobs: IN_PROGRESS 5; 0 records deleted."
    project.clock.advance(60)
    assert project.status("--format", "json") == 0
    shown = json.loads(project.out.getvalue())
    assert shown["target"]["emulator"] == ".reconciler/emulator.sqlite3"
    records = shown["jobs"]
    assert {r["status"] for r in records} == {"COMPLETED"}
    assert sum(r["numDeleted"] for r in records) == 250
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
    assert project.status() == 0  # records what it saw
    recorded = project.state().serial
    held = backend.lock("apply")
    assert project.status() == 0  # nothing moved on: nothing to write, no lock wanted
    assert project.err.getvalue() == ""
    backend.unlock(held)
    assert project.state().serial == recorded


def test_status_without_state(project: Project) -> None:
    assert project.status() == 0
    assert "No state yet" in project.err.getvalue()


def test_the_readme_exit_code_table_is_the_codes(project: Project) -> None:
    from reconciler.exitcodes import by_command_table
    from tests.conftest import REPO

    assert by_command_table() in (REPO / "README.md").read_text(encoding="utf-8")
    assert project.apply(wait=True, timeout=2.0) == 1  # the rows hold: apply --timeout is 1
    assert project.status("--watch", "--timeout", "1s") == RUNNING  # status's is 4
    assert "Stopped watching: some jobs are still running." in project.err.getvalue()
    assert project.status("--timeout", "1s") == ERROR  # --timeout without --watch
    assert "--timeout limits --watch" in project.err.getvalue()
