"""`apply` end to end on the emulator with an injected clock, in process."""

from __future__ import annotations

import errno
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import reconciler.files
from reconciler.emulator.service import EmulatorService
from reconciler.models import JobStatus
from reconciler.planfile import save_plan, seal
from reconciler.providers.aws import AwsProvider
from reconciler.providers.local import emulator_config
from reconciler.settings import Settings
from reconciler.state.local import LocalBackend
from reconciler.workspace import load_settings
from tests.commands.conftest import DECLARED, GROUP_EU, STATE, Project
from tests.commands.test_preflight import importing
from tests.providers.conftest import aws_provider, serve

FIVE_EU = (
    f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
    "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
    + "".join(
        f"  - jobName: bulk-{i:02d}\n"
        "    dataSource: {dataLocation: s3://acme-privacy/shop-eu/2026-w47.csv}\n"
        for i in range(5)
    )
)


def test_apply_and_wait_until_completed_then_nothing_to_do(project: Project) -> None:
    assert project.apply(wait=True) == 0
    state = project.state()
    assert {r.job_name: (r.status, r.seen and r.seen.num_deleted) for r in state.jobs.values()} == {
        "gdpr-2026-w46": (JobStatus.COMPLETED, 79),
        "gdpr-2026-w47": (JobStatus.COMPLETED, 50),
        "closed-accounts-2026-11": (JobStatus.COMPLETED, 101),
        "ccpa-2026-w47": (JobStatus.COMPLETED, 12),
        "closed-accounts-us-2026-11": (JobStatus.COMPLETED, 8),
    }
    record = state.jobs["shop-eu/gdpr-2026-w46"]
    assert [t.status for t in record.history] == ["PENDING", "IN_PROGRESS", "COMPLETED"]
    assert record.manifest == "manifests/shop-eu.yaml:10:5"
    assert sum(project.clock.slept) < 30  # the fake clock moved; nothing waited for real
    assert "Apply complete: 5 created, 0 imported, 0 forgotten." in project.out.getvalue()
    plan = project.plan()
    assert not plan.has_changes and plan.api_calls == {"ListDataDeletionJobs": 2}
    assert project.live_names() == DECLARED
    assert project.run("plan", "--detailed-exitcode") == 0
    target, _, verdict, *_ = project.out.getvalue().splitlines()
    assert target.startswith("Target: local emulator (.reconciler/emulator.sqlite3), eu-west-1")
    assert verdict.startswith("No changes.")
    assert project.status() == 0
    assert "5 jobs: COMPLETED 5; 250 records deleted." in project.out.getvalue()


def test_without_a_terminal_apply_needs_auto_approve(project: Project) -> None:
    assert project.apply(auto_approve=False) == 1
    assert project.err.getvalue() == (
        "Error: apply needs a confirmation and there is no terminal to ask on: review the plan "
        "above and run again with --auto-approve.\n"
    )
    assert project.live_names() == []
    assert LocalBackend(STATE).load() is None
    LocalBackend(STATE).lock("test")  # the lock was released
    assert project.check() == 2  # still nothing applied


def test_bad_duration_is_a_clear_error(project: Project) -> None:
    assert project.apply("--timeout", "soon", wait=True) == 1
    assert project.err.getvalue() == (
        "Error: 'soon' is not a duration: use e.g. 90s, 10m, 2h or 1h30m\n"
    )


def test_terminal_confirmation(project: Project) -> None:
    project.answers = ["no"]
    assert project.apply(auto_approve=False, tty=True) == 1
    assert "Apply cancelled." in project.err.getvalue()
    assert project.live_names() == []
    project.answers = ["yes"]
    assert project.apply(auto_approve=False, tty=True) == 0
    assert project.live_names() == DECLARED


def test_twelve_jobs_in_one_group_respect_the_pending_quota(project: Project) -> None:
    jobs = "".join(
        f"  - jobName: bulk-{i:02d}\n    dataSource: {{dataLocation: s3://acme-privacy/shop-eu/2026-w47.csv}}\n"
        for i in range(12)
    )
    project.write_manifest(
        "bulk.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n" + jobs,
    )
    assert project.apply() == 0  # 3 shop-eu jobs + 12 bulk: 5 now in shop-eu, 10 queued
    out = project.out.getvalue()
    assert out.count(": created:") == 7  # 5 in shop-eu, 2 in shop-us
    assert out.endswith(  # created is not deleted: said, with how to follow them
        "10 queued for the next apply.\nCreated is not deleted yet: the jobs are PENDING; "
        "`reconciler status --watch` follows them to COMPLETED or FAILED (`reconciler check` "
        "says when all are).\n"
    )
    assert "10 queued for the next apply" in out
    assert project.apply() == 0  # still 5 PENDING: nothing more can go
    assert project.out.getvalue().count(": created:") == 0
    assert project.apply(wait=True) == 0
    assert "Apply complete: 10 created, 0 imported, 0 forgotten." in project.out.getvalue()
    state = project.state()
    assert len(state.jobs) == 17
    assert all(r.status is JobStatus.COMPLETED for r in state.jobs.values())
    assert len(project.live_names()) == 17


def test_saved_plan_is_refused_once_the_state_moved_on(project: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(plan_file, project.plan())
    assert project.apply() == 0  # another apply changes the state
    assert project.apply(plan_file=plan_file) == 1
    assert "Error: Saved plan is stale: the state changed" in project.err.getvalue()
    save_plan(plan_file, project.plan())
    project.write_manifest("extra.yaml", "# a new file changes the manifests\n")
    assert project.apply(plan_file=plan_file) == 1
    assert "the manifests changed" in project.err.getvalue()


def test_a_current_saved_plan_is_applied_as_saved(project: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(plan_file, project.plan())
    assert project.apply(plan_file=plan_file) == 0
    assert project.live_names() == DECLARED


def test_a_reviewed_saved_plan_applies_without_a_prompt_and_show_renders_it(
    project: Project, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    assert project.run("plan", "-out", str(plan_file)) == 0
    made = project.out.getvalue()
    assert project.run("show", str(plan_file), "--no-color") == 0
    assert project.out.getvalue() == made  # as it was made: the target first
    assert f"Saved plan {plan_file}: made " in project.err.getvalue()
    assert project.run("show", str(plan_file), "--format", "json") == 0
    assert json.loads(project.out.getvalue())["summary"]["create"] == 5
    assert project.run("show", str(plan_file), "--format", "markdown") == 0
    assert "**Plan: 5 to create" in project.out.getvalue()
    assert project.run("show", str(tmp_path / "none.json")) == 1
    assert "no such plan file" in project.err.getvalue()
    # no terminal and no --auto-approve: the review of the saved plan was the approval
    assert project.apply(plan_file=plan_file, auto_approve=False) == 0, project.err.getvalue()
    assert project.live_names() == DECLARED
    assert project.apply(auto_approve=False) == 0  # nothing to do: nothing to confirm
    project.write_manifest("five.yaml", FIVE_EU)
    assert project.apply(auto_approve=False) == 1  # a plan made now still needs a yes
    assert "run again with --auto-approve" in project.err.getvalue()
    assert project.apply("--timeout", "5m") == 1  # --timeout without --wait: said, not ignored
    assert "--timeout limits --wait" in project.err.getvalue()


def test_concurrent_apply_is_refused_by_the_lock(project: Project) -> None:
    backend = LocalBackend(STATE)
    held = backend.lock("apply")
    assert project.apply() == 1
    assert re.search(r"^Error: the state at .* is locked by .*\(apply, pid", project.err.getvalue())
    backend.unlock(held)
    assert project.live_names() == []


def test_failed_job_makes_apply_wait_exit_5_and_retry_recovers(project: Project) -> None:
    project.write_manifest(
        "retry.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
        "  - jobName: late-file\n    dataSource: {dataLocation: s3://acme-privacy/late.csv}\n"
        "    onFailure: retry\n    maxAttempts: 2\n",
    )
    project.write_input("late.csv")  # passes preflight, FAILS in the service
    assert project.apply(wait=True) == 5  # a declared job FAILED: the run is red at once
    assert (
        "Error: shop-eu/late-file: late-file FAILED (Input file s3://acme-privacy/late.csv: row 2 "
        "has 2 columns; expected only USER_ID.). Next: replace the file at its location with a "
        "fixed one: the next `reconciler apply` retries it as late-file-r2 (onFailure: retry, "
        "attempt 2 of 2; the same file is not retried)\n"
    ) in project.err.getvalue()
    out = project.out.getvalue()
    assert "Apply complete" not in out
    assert out.endswith("Apply incomplete: 6 created, 0 imported, 0 forgotten; 1 job FAILED.\n")
    Path("example-data/s3/acme-privacy/late.csv").write_text("USER_ID\neu-00001\n")
    assert project.apply(wait=True) == 0
    record = project.state().jobs["shop-eu/late-file"]
    assert (record.job_name, record.status) == ("late-file-r2", JobStatus.COMPLETED)
    assert [(a.job_name, a.seen and a.seen.status) for a in record.attempts] == [
        ("late-file", JobStatus.FAILED)
    ]
    assert project.check() == 0


def test_forgotten_jobs_leave_tracking_but_stay_in_the_history(project: Project) -> None:
    assert project.apply(wait=True) == 0
    (project.root / "manifests" / "shop-us.yaml").unlink()
    assert project.apply() == 0
    assert "shop-us/ccpa-2026-w47: forgotten" in project.out.getvalue()
    state = project.state()
    assert sorted(state.jobs) == [
        "shop-eu/closed-accounts-2026-11",
        "shop-eu/gdpr-2026-w46",
        "shop-eu/gdpr-2026-w47",
    ]
    assert sorted(r.address for r in state.forgotten) == [
        "shop-us/ccpa-2026-w47",
        "shop-us/closed-accounts-us-2026-11",
    ]
    assert all(r.forgotten is not None for r in state.forgotten)
    assert project.status("--all") == 0
    assert "COMPLETED (forgotten)" in project.out.getvalue()
    assert len(project.live_names()) == 5  # the jobs stay in Personalize


def test_wait_times_out_and_tracking_resumes_later(project: Project) -> None:
    assert project.apply(wait=True, timeout=2.0) == 1
    assert "Stopped waiting after 2s" in project.err.getvalue()
    assert any(r.status is not JobStatus.COMPLETED for r in project.state().jobs.values())
    assert project.status("--watch") == 0
    assert all(r.status is JobStatus.COMPLETED for r in project.state().jobs.values())


def test_aws_provider_rides_out_injected_throttling(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3 over HTTP with 30% of calls throttled: the standard retry mode absorbs them."""
    monkeypatch.setattr(time, "sleep", project.clock.sleep)  # botocore's backoff, on the fake clock
    servers: list[Iterator[str]] = []
    providers: list[AwsProvider] = []

    def over_http(settings: Settings) -> AwsProvider:
        emulator = emulator_config(settings.provider.emulator_config)
        faults = emulator.faults.model_copy(update={"throttle_fraction": 0.3, "seed": 3})
        config = emulator.model_copy(update={"faults": faults})
        servers.append(serve(EmulatorService(config, clock=project.clock)))
        providers.append(aws_provider(next(servers[-1]), max_attempts=8))
        return providers[-1]

    local = project.provider
    project.provider = over_http  # type: ignore[method-assign]
    try:
        assert project.apply("--skip-preflight", wait=True) == 0  # S3 is not emulated
    finally:
        project.provider = local  # type: ignore[method-assign]
        for server in servers:
            next(server, None)
    attempts = sum(sum(p.attempts.values()) for p in providers)
    calls = sum(sum(p.calls.values()) for p in providers)
    assert attempts > calls  # throttled calls were retried
    assert project.live_names() == DECLARED


def test_a_job_deleted_out_of_band_does_not_keep_wait_running(project: Project) -> None:
    import sqlite3

    assert project.apply() == 0
    with sqlite3.connect(".reconciler/emulator.sqlite3") as conn:  # someone removed it
        conn.execute("DELETE FROM jobs WHERE name = 'ccpa-2026-w47'")
    assert project.apply(wait=True) == 5  # a declared job vanished
    assert (
        "Error: shop-us/ccpa-2026-w47: ccpa-2026-w47 is no longer listed by the service (drift)."
        in project.err.getvalue()
    )
    assert project.out.getvalue().endswith("; 1 job no longer listed.\n")
    assert project.state().jobs["shop-eu/gdpr-2026-w46"].status is JobStatus.COMPLETED
    assert project.check() == 3


def test_defect_05_a_manifest_that_cannot_be_read_stops_apply_before_it_forgets(
    project: Project,
) -> None:
    assert project.apply() == 0
    serial = project.state().serial
    shop_us = project.root / "manifests" / "shop-us.yaml"
    shop_us.unlink()
    shop_us.symlink_to("moved-away.yaml")  # defect: the two jobs it declared were forgotten
    assert project.apply() == 1
    assert project.err.getvalue().splitlines() == [
        "manifests/shop-us.yaml:1:1: a symbolic link to moved-away.yaml, which does not exist",
        "1 problem found; nothing was changed.",
    ]
    assert project.state().serial == serial
    assert len(project.state().jobs) == 5


def test_defect_06_a_hand_edited_saved_plan_is_refused(project: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(plan_file, project.plan())
    document = json.loads(plan_file.read_text())
    change = document["plan"]["changes"][0]
    change["job_name"] = "not-declared"
    change["desired"]["job_name"] = "not-declared"
    change["desired"]["data_location"] = "s3://acme-privacy/someone-else.csv"
    document["digest"] = seal(document)  # even sealed again, apply checks what it would do
    plan_file.write_text(json.dumps(document))
    assert project.apply(plan_file=plan_file) == 1
    err = project.err.getvalue()
    assert "Saved plan is stale: it is not what the manifests, the state and the service" in err
    assert (
        "shop-eu/gdpr-2026-w46: the plan says create not-declared, now it is create "
        "gdpr-2026-w46" in err
    )
    assert project.live_names() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("activity_ignored", True),
        ("preflight_skipped", True),
        ("retries", ["shop-eu/gdpr-2026-w46"]),
    ],
)
def test_r2_07_a_saved_plan_with_a_flag_set_by_hand_is_refused(
    project: Project, field: str, value: object
) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    document = json.loads(Path("plan.json").read_text())
    assert document["plan"][field] != value
    document["plan"][field] = value
    Path("plan.json").write_text(json.dumps(document, indent=2))
    assert project.apply(plan_file=Path("plan.json")) == 1
    assert project.err.getvalue() == (
        "Error: plan.json: the saved plan was changed after it was saved (its digest does not "
        "match): apply only a plan as `reconciler plan -out` wrote it; make the plan again\n"
    )
    assert project.live_names() == []
    assert not STATE.exists()
    assert project.run("show", "plan.json") == 1  # show refuses it too


def test_r2_07_a_plan_saved_in_the_format_before_the_seal_is_made_again(
    project: Project,
) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    document = json.loads(Path("plan.json").read_text())
    assert document["format_version"] == 6 and document["digest"] == seal(document)
    del document["digest"]
    document["format_version"] = 4
    Path("plan.json").write_text(json.dumps(document))
    assert project.apply(plan_file=Path("plan.json")) == 1
    assert project.err.getvalue() == (
        "Error: plan.json: plan format 4 is not supported by this reconciler (it reads 6); "
        "make the plan again\n"
    )
    assert project.live_names() == []


def test_a_saved_plan_reformatted_but_not_changed_is_still_applied(project: Project) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    document = json.loads(Path("plan.json").read_text())
    Path("plan.json").write_text(json.dumps(document, indent=None, ensure_ascii=False))
    assert project.apply(plan_file=Path("plan.json")) == 0, project.err.getvalue()
    assert project.live_names() == DECLARED


def test_r2_18_an_apply_whose_state_was_not_saved_never_ends_complete(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    full: list[str] = []  # the disk fills up once the first job is created
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if full:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(reconciler.files.os, "fsync", fsync)
    assert project.apply(checkpoint=lambda point, address: full.append(point)) == 1
    assert full  # the creates ran
    out, err = project.out.getvalue(), project.err.getvalue()
    assert "Apply complete" not in out
    assert out.splitlines()[-1] == (
        "Apply incomplete: 5 created, 0 imported, 0 forgotten; the state was not saved: the "
        "next apply finds in the service what this one did."
    )
    assert "Created is not deleted yet" not in out  # `status` reads a state without them
    assert err.splitlines()[-1].startswith("Error: cannot write the state file")
    assert "No space left on device" in err and "Traceback" not in err
    assert project.state().serial == 1  # the intents, written before the creates
    full.clear()
    assert project.apply() == 0  # the next apply finds them
    assert project.out.getvalue().splitlines()[-1] == (
        "Apply complete: 0 created, 5 imported, 0 forgotten."
    )
    assert sorted(r.job_name for r in project.state().jobs.values()) == DECLARED
    assert project.live_names() == DECLARED


def test_what_status_records_does_not_make_a_saved_plan_stale(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    plan_file = tmp_path / "plan.json"
    project.write_manifest("more.yaml", FIVE_EU.replace("bulk-", "more-"))
    save_plan(plan_file, project.plan())
    serial = project.state().serial
    project.clock.advance(60)
    assert project.status() == 0  # records that the jobs COMPLETED
    assert project.state().serial > serial
    assert project.apply(plan_file=plan_file) == 0, project.err.getvalue()
    assert "Apply complete: 5 created" in project.out.getvalue()


def test_a_lost_state_is_rebuilt_from_the_service_retries_included(project: Project) -> None:
    project.write_manifest(
        "retry.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
        "  - jobName: late-file\n    dataSource: {dataLocation: s3://acme-privacy/late.csv}\n"
        "    onFailure: retry\n",
    )
    project.write_input("late.csv")
    assert project.apply(wait=True) == 5  # late-file FAILED
    Path("example-data/s3/acme-privacy/late.csv").write_text("USER_ID\neu-00001\n")
    assert project.apply(wait=True) == 0  # late-file-r2 COMPLETED
    before = sorted(project.live_names())
    for lost in Path(".reconciler").glob("state.json*"):
        lost.unlink()

    assert project.run("plan", "--detailed-exitcode") == 2
    out = project.out.getvalue()
    assert "State: 6 jobs to import from the service (no service change)." in out
    assert "late-file-r2" in out and "earlier         = late-file (FAILED)" in out
    assert project.apply() == 0
    assert "Apply complete: 0 created, 6 imported, 0 forgotten." in project.out.getvalue()
    assert sorted(project.live_names()) == before  # nothing was created
    record = project.state().jobs["shop-eu/late-file"]
    assert record.job_name == "late-file-r2"
    assert [a.job_name for a in record.attempts] == ["late-file"]
    assert project.run("plan", "--detailed-exitcode") == 0
    assert project.check() == 0


def test_a_plan_saved_with_ignore_activity_creates_its_queued_jobs_while_the_group_imports(
    project: Project, tmp_path: Path
) -> None:
    with (project.root / "manifests" / "settings.yaml").open("a") as settings:
        settings.write("quotas: {maxPendingJobsPerDatasetGroup: 1}\n")
    importing(project)
    saved = tmp_path / "reviewed.plan"
    assert project.run("plan", "--ignore-activity", "-out", str(saved)) == 0
    assert project.apply(plan_file=saved, wait=True) == 0
    assert "held" not in project.out.getvalue()
    assert len(project.live_names()) == 5
    emulator = project.provider(load_settings(Path("manifests"), {}))
    running = emulator.activity("arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu")
    assert [a.name for a in running] == ["import-42"]  # all made while it imports, as reviewed
