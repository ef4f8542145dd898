"""Drift and failure are never "No changes": plan (text, Markdown, JSON, --detailed-exitcode),
status and check agree on every FAILED and no-longer-listed job and give the same next step;
`--retry ADDRESS` retries a failed job once."""

from __future__ import annotations

import json
import sqlite3

from reconciler.models import JobStatus
from tests.commands.conftest import GROUP_EU, Project

BROKEN = (
    f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
    "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
    "  - jobName: no-input\n    dataSource: {dataLocation: s3://acme-privacy/bad-rows.csv}\n"
)
FAILED_STEP = (
    "no-input FAILED (Input file s3://acme-privacy/bad-rows.csv: row 2 has 2 columns; expected "
    "only USER_ID.). Next: fix the input and, in a pull request, add `onFailure: retry` to it "
    "at manifests/broken.yaml:6:5: the next apply retries it as no-input-r2; an operator can "
    "instead run `reconciler apply --retry shop-eu/no-input` once"
)
MISSING_STEP = (
    "ccpa-2026-w47 is no longer listed by the service (drift). Next: check whether the job or "
    "its dataset group was deleted out of band; then, in a pull request, remove the job from "
    "the manifests (the apply forgets it) or declare it again with another jobName; an operator "
    "can instead run `reconciler state rm shop-us/ccpa-2026-w47` so that the next plan creates "
    "it again"
)


def failed_and_missing(project: Project) -> None:
    """One job FAILED (onFailure: report), one COMPLETED job deleted behind the tool's back."""
    project.write_input("bad-rows.csv")
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply(wait=True) == 5  # no-input FAILED
    with sqlite3.connect(".reconciler/emulator.sqlite3") as conn:
        conn.execute("DELETE FROM jobs WHERE name = 'ccpa-2026-w47'")


def test_plan_says_what_needs_attention_and_exits_2(project: Project) -> None:
    failed_and_missing(project)
    assert project.run("plan", "--detailed-exitcode") == 2  # was 0: "No changes"
    out = project.out.getvalue()
    assert "Attention: 1 failed, 1 no longer listed\n" in out
    assert f"  shop-eu/no-input: {FAILED_STEP}" in out
    assert f"  shop-us/ccpa-2026-w47: {MISSING_STEP}\n" in out
    assert "No changes to apply, but 2 jobs need attention." in out
    assert "No changes." not in out

    assert project.run("plan", "--format", "markdown") == 0
    markdown = project.out.getvalue()
    assert "✅" not in markdown
    assert markdown.startswith("⚠️ **No changes · Attention: 1 failed, 1 no longer listed**")
    assert "| `shop-eu/no-input` | no-input FAILED" in markdown
    assert "| `shop-us/ccpa-2026-w47` | ccpa-2026-w47 is no longer listed" in markdown

    assert project.run("plan", "--format", "json") == 0
    document = json.loads(project.out.getvalue())
    assert document["needs_attention"] is True
    assert [(a["address"], a["concern"]) for a in document["attention"]] == [
        ("shop-eu/no-input", "failed"),
        ("shop-us/ccpa-2026-w47", "missing"),
    ]
    for resource in document["resource_changes"]:  # a no-op's after is its before
        change = resource["change"]
        assert change["actions"] == ["no-op"]
        assert change["after"] == change["before"], resource["address"]


def test_status_and_check_agree_with_the_plan(project: Project) -> None:
    failed_and_missing(project)
    assert project.status() == 0
    out = project.out.getvalue()
    [row] = [line for line in out.splitlines() if line.startswith("shop-us/ccpa-2026-w47")]
    assert row.split()[2] == "MISSING"  # was COMPLETED: status asked only about running jobs
    assert f"  shop-us/ccpa-2026-w47: {MISSING_STEP}\n" in out
    assert f"  shop-eu/no-input: {FAILED_STEP}" in out
    assert project.status("--format", "json") == 0
    shown = json.loads(project.out.getvalue())
    statuses = {job["address"]: job["status"] for job in shown["jobs"]}
    assert (statuses["shop-us/ccpa-2026-w47"], statuses["shop-eu/no-input"]) == (
        "MISSING",
        "FAILED",
    )
    assert project.state().jobs["shop-us/ccpa-2026-w47"].status is JobStatus.COMPLETED  # kept

    assert project.check() == 5  # failed wins over drift
    out = project.out.getvalue()
    assert f"failed: shop-eu/no-input: {FAILED_STEP}" in out
    assert f"drift: shop-us/ccpa-2026-w47: {MISSING_STEP}\n" in out


def test_apply_retry_creates_one_more_attempt_of_a_failed_job(project: Project) -> None:
    project.write_input("bad-rows.csv")
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply(wait=True) == 5  # no-input FAILED
    assert project.apply("--retry", "shop-eu/gdpr-2026-w46") == 1  # COMPLETED: not retried
    assert "shop-eu/gdpr-2026-w46 gdpr-2026-w46 is COMPLETED: to run its deletion again" in (
        project.out.getvalue()
    )
    assert project.apply("--retry", "shop-eu/nope") == 1
    assert "shop-eu/nope is not declared in the manifests" in project.out.getvalue()
    project.write_input("bad-rows.csv", "USER_ID\neu-00001\n")  # fixed
    assert project.run("plan", "--retry", "shop-eu/no-input", "--detailed-exitcode") == 2
    assert "will be retried as 'no-input-r2'" in project.out.getvalue()
    assert "attempt 2, asked with --retry" in project.out.getvalue()
    assert project.apply("--retry", "shop-eu/no-input", wait=True) == 0
    record = project.state().jobs["shop-eu/no-input"]
    assert (record.job_name, record.status) == ("no-input-r2", JobStatus.COMPLETED)
    assert project.run("plan", "--detailed-exitcode") == 0  # retried once: nothing left
    assert project.check() == 0


def test_apply_never_says_complete_while_declared_jobs_need_attention(project: Project) -> None:
    failed_and_missing(project)
    assert project.apply() == 5  # nothing to create, and nothing will retry or restore them
    assert project.out.getvalue().endswith(
        "Apply incomplete: 0 created, 0 imported, 0 forgotten; 2 jobs need attention.\n"
    )
    assert f"Warning: shop-us/ccpa-2026-w47: {MISSING_STEP}\n" in project.err.getvalue()
    assert f"Warning: shop-eu/no-input: {FAILED_STEP}" in project.err.getvalue()
    assert project.apply(wait=True) == 5  # --wait: every declared job COMPLETED, or exit 5
    assert f"Error: shop-us/ccpa-2026-w47: {MISSING_STEP}\n" in project.err.getvalue()
    assert f"Error: shop-eu/no-input: {FAILED_STEP}" in project.err.getvalue()
    assert project.out.getvalue().endswith(
        "Apply incomplete: 0 created, 0 imported, 0 forgotten; 1 job FAILED; "
        "1 job no longer listed.\n"
    )


def test_status_gives_the_plans_next_step_for_a_job_its_manifest_retries(
    project: Project,
) -> None:
    project.write_input("bad-rows.csv")
    project.write_manifest("broken.yaml", BROKEN + "    onFailure: retry\n")
    assert project.apply(wait=True) == 5  # FAILED while waiting
    step = (
        "shop-eu/no-input: no-input FAILED (Input file s3://acme-privacy/bad-rows.csv: row 2 has 2 "
        "columns; expected only USER_ID.). "
        "Next: replace the file at its location with a fixed one: the next `reconciler apply` "
        "retries it as no-input-r2 (onFailure: retry, attempt 2 of 3; the same file is not "
        "retried)\n"
    )
    assert step in project.err.getvalue()
    assert project.status() == 0
    assert f"  {step}" in project.out.getvalue()  # as apply said it, not "add onFailure"
    assert project.check() == 2  # check reads no input: the retry is a change not applied
    assert "not applied: shop-eu/no-input: retry" in project.out.getvalue()
    assert project.apply() == 5  # which apply, reading the file, leaves to a person
    assert "the same file would fail again" in project.out.getvalue()


def test_a_queued_retry_says_it_must_be_asked_again(project: Project) -> None:
    project.write_input("bad-rows.csv")
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply(wait=True) == 5  # no-input FAILED
    with (project.root / "manifests" / "settings.yaml").open("a") as settings:
        settings.write("quotas: {maxPendingJobsPerDatasetGroup: 1}\n")
    project.write_manifest("a-first.yaml", BROKEN.replace("no-input", "first"))
    assert project.apply("--retry", "shop-eu/no-input") == 0  # `first` takes the one slot
    assert "shop-eu/no-input: queued" in project.out.getvalue()
    assert (
        "Note: the retry of shop-eu/no-input is queued (no free PENDING slot): only this run "
        "asked for it; run `reconciler apply --retry shop-eu/no-input` again later"
    ) in project.err.getvalue()
