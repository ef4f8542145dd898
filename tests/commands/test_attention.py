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
    "  - jobName: no-input\n    dataSource: {dataLocation: s3://acme-privacy/none.csv}\n"
)
FAILED_STEP = (
    "no-input FAILED (Input data not found at s3://acme-privacy/none.csv.). Next: fix the input, "
    "then `reconciler apply --retry shop-eu/no-input` creates one more attempt (no-input-r2)"
)
MISSING_STEP = (
    "ccpa-2026-w47 is no longer listed by the service (drift). Next: check whether the job or "
    "its dataset group was deleted out of band; `reconciler state rm shop-us/ccpa-2026-w47` "
    "stops tracking it"
)


def failed_and_missing(project: Project) -> None:
    """One job FAILED (onFailure: report), one COMPLETED job deleted behind the tool's back."""
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply(wait=True) == 1
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
    assert "⚠️ **Attention: 1 failed, 1 no longer listed.**" in markdown
    assert "| `no-input` | no-op | ⚠️ Failed |" in markdown
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
    project.write_manifest("broken.yaml", BROKEN)
    assert project.apply(wait=True) == 1
    assert project.apply("--retry", "shop-eu/gdpr-2026-w46") == 1  # COMPLETED: not retried
    assert "shop-eu/gdpr-2026-w46 gdpr-2026-w46 is COMPLETED: only a FAILED job is retried" in (
        project.out.getvalue()
    )
    assert project.apply("--retry", "shop-eu/nope") == 1
    assert "shop-eu/nope is not declared in the manifests" in project.out.getvalue()
    (project.root / "example-data/s3/acme-privacy/none.csv").write_text("USER_ID\neu-00001\n")
    assert project.run("plan", "--retry", "shop-eu/no-input", "--detailed-exitcode") == 2
    assert "will be retried as 'no-input-r2'" in project.out.getvalue()
    assert "attempt 2, asked with --retry" in project.out.getvalue()
    assert project.apply("--retry", "shop-eu/no-input", wait=True) == 0
    record = project.state().jobs["shop-eu/no-input"]
    assert (record.job_name, record.status) == ("no-input-r2", JobStatus.COMPLETED)
    assert project.run("plan", "--detailed-exitcode") == 0  # retried once: nothing left
    assert project.check() == 0
