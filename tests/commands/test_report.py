"""`reconciler report`: the evidence of each erasure request from the state (and the service),
against the emulator in process, in a real git checkout: completed, failed-then-retried and
pending jobs with their inputs' digests and counts, the commit that declared each, the models
trained before a deletion; and no user ID in any format."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler.providers.local import LocalProvider
from reconciler.workspace import load_settings
from tests.commands.conftest import GROUP_EU, Project, failing_rows

USERS = ("eu-secret-41", "eu-secret-42", "eu-secret-43")  # personal data: never in any output
GOOD = "USER_ID\n" + "\n".join(USERS) + "\n"
BAD = failing_rows("eu-secret-41", "eu-secret-42")  # a row the service FAILS the job for
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
MANIFEST = f"""apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: {GROUP_EU}
defaults: {{roleArn: 'arn:aws:iam::123456789012:role/R'}}
jobs:
  - jobName: done
    dataSource: {{dataLocation: s3://acme-privacy/done.csv}}
    tags: {{request: PRIV-7}}
  - jobName: retried
    dataSource: {{dataLocation: s3://acme-privacy/retried.csv}}
    tags: {{request: PRIV-7}}
    onFailure: retry
"""
LATER = """  - jobName: later
    dataSource: {dataLocation: s3://acme-privacy/done.csv}
    tags: {request: PRIV-8}
"""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Dana Protection", "-c", "user.email=dpo@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def handle(project: Project, operation: str, **params: Any) -> dict[str, Any]:
    emulator = project.provider(load_settings(Path("manifests"), {}))
    assert isinstance(emulator, LocalProvider)
    answer: dict[str, Any] = emulator.service.handle(operation, params, region="eu-west-1")
    return answer


@pytest.fixture
def history(project: Project) -> Project:
    """PRIV-7: `done` COMPLETED, `retried` FAILED then COMPLETED as retried-r2; PRIV-8: `later`
    created and still PENDING; a solution trained before the deletions, another after."""
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()  # the example's own jobs are not this story
    project.write_input("done.csv", GOOD)
    project.write_input("retried.csv", BAD)
    project.write_manifest("privacy.yaml", MANIFEST)
    git(project.root, "init", "-q")
    git(project.root, "add", "manifests")
    git(project.root, "commit", "-q", "-m", "PRIV-7: erase three users")
    old = handle(
        project, "CreateSolution", name="old-model", datasetGroupArn=GROUP_EU, recipeArn=RECIPE
    )
    project.clock.advance(60)
    handle(project, "CreateSolutionVersion", solutionArn=old["solutionArn"])
    project.clock.advance(120)  # trained, ACTIVE
    assert project.apply(wait=True) == 5  # `retried` FAILED (it will be retried)
    project.write_input("retried.csv", GOOD)  # the input fixed
    assert project.apply(wait=True) == 0  # retried-r2 COMPLETED
    fresh = handle(
        project, "CreateSolution", name="new-model", datasetGroupArn=GROUP_EU, recipeArn=RECIPE
    )
    project.clock.advance(60)
    handle(project, "CreateSolutionVersion", solutionArn=fresh["solutionArn"])
    project.clock.advance(120)  # trained after the deletions
    (project.root / "manifests" / "privacy.yaml").write_text(MANIFEST + LATER)
    git(project.root, "commit", "-q", "-am", "PRIV-8: one more")
    assert project.apply() == 0  # `later` PENDING
    return project


PLAIN = tuple(hashlib.sha256(text.encode()).hexdigest() for text in (GOOD, BAD))


def report(project: Project, *args: str) -> str:
    assert project.run("report", *args) == 0, project.err.getvalue()
    text = project.out.getvalue()
    for secret in USERS + PLAIN:  # a plain hash of a small file gives its users back
        assert secret not in text + project.err.getvalue()
    return text


def test_the_json_report_holds_each_requests_evidence(history: Project) -> None:
    document = json.loads(report(history, "--format", "json"))
    assert document["reportVersion"] == 2
    assert document["target"].startswith("Target: local emulator")
    requests = {r["request"]: r for r in document["requests"]}
    assert {name: r["verdict"] for name, r in requests.items()} == {
        "PRIV-7": "completed everywhere",
        "PRIV-8": "pending",
    }
    jobs = {job["address"]: job for job in requests["PRIV-7"]["jobs"]}
    retried = jobs["shop-eu/retried"]["attempts"]
    assert [(a["jobName"], a["status"]) for a in retried] == [
        ("retried", "FAILED"),
        ("retried-r2", "COMPLETED"),
    ]
    assert retried[0]["failureReason"] and retried[0]["numDeleted"] is None
    assert [a["inputs"][0]["rows"] for a in retried] == [1, 3]  # what each job was given
    assert [a["inputs"][0]["bytes"] for a in retried] == [len(BAD), len(GOOD)]
    assert not {"sha256", "at"} & {key for a in retried for key in a["inputs"][0]}
    assert [a["recovered"] for a in retried] == [False, False]
    assert document["stateStarted"] is None or isinstance(document["stateStarted"], str)
    done = jobs["shop-eu/done"]
    assert (
        done["attempts"][0]["numDeleted"] is not None and done["verdict"] == "completed everywhere"
    )
    first_commit = git(history.root, "rev-list", "--max-parents=0", "HEAD")
    assert done["commit"]["sha"] == first_commit
    assert done["commit"]["summary"] == "PRIV-7: erase three users"
    assert done["commit"]["author"] == "Dana Protection" and done["declared"] == (
        "manifests/privacy.yaml:6:5"
    )
    later = requests["PRIV-8"]["jobs"][0]
    assert later["attempts"][0]["status"] == "PENDING"
    assert later["commit"]["sha"] == git(history.root, "rev-parse", "HEAD")
    models = document["models"]
    assert [(m["datasetGroupArn"], [r["solutionName"] for r in m["retrain"]]) for m in models] == [
        (GROUP_EU, ["old-model"])  # new-model was trained after the last deletion
    ]


def test_one_request_as_markdown_gives_the_whole_answer(history: Project) -> None:
    text = report(history, "--request", "PRIV-7")
    assert text.startswith("# Erasure evidence\n\n**Target: local emulator")
    assert "## PRIV-7: ✅ completed everywhere" in text
    assert "PRIV-8" not in text
    assert "| `shop-eu/retried` | 1 | `retried` | FAILED (" in text
    assert "| `shop-eu/retried` | 2 | `retried-r2` | COMPLETED |" in text
    assert f"    - input `s3://acme-privacy/done.csv`: {len(GOOD)} bytes, 3 user rows, " in text
    assert "    - approval not recorded" in text  # apply was given no --approved-by
    assert "recovered" not in text
    assert "commit `" in text and "by Dana Protection &lt;dpo@example.com&gt;" in text
    assert "retrain to remove deleted users from these models" in text
    assert "solution `old-model`" in text and "new-model" not in text


def test_the_csv_report_has_a_row_per_attempt(history: Project) -> None:
    rows = list(csv.DictReader(io.StringIO(report(history, "--format", "csv"))))
    assert [(r["address"], r["attempt"], r["status"]) for r in rows] == [
        ("shop-eu/done", "1", "COMPLETED"),
        ("shop-eu/retried", "1", "FAILED"),
        ("shop-eu/retried", "2", "COMPLETED"),
        ("shop-eu/later", "1", "PENDING"),
    ]
    assert rows[0]["input_rows"] == "3" and rows[0]["input_bytes"] == str(len(GOOD))
    assert "input_sha256" not in rows[0] and rows[0]["approved_by"] == "approval not recorded"
    assert [r["recovered"] for r in rows] == [""] * 4


def test_refresh_reads_the_service_and_filters_by_date(history: Project) -> None:
    history.clock.advance(3600)  # `later` has COMPLETED in the service; the state does not know
    document = json.loads(report(history, "--format", "json", "--request", "PRIV-8"))
    assert document["requests"][0]["verdict"] == "pending"
    document = json.loads(report(history, "--format", "json", "--refresh", "--request", "PRIV-8"))
    assert document["requests"][0]["verdict"] == "completed everywhere"
    assert history.state().jobs["shop-eu/later"].status.value == "PENDING"  # nothing written
    assert (
        json.loads(report(history, "--format", "json", "--since", "2099-01-01"))["requests"] == []
    )
    later = report(history, "--request", "PRIV-7", "--since", "2099-01-01T00:00:00Z")
    assert "No deletion job matches." in later  # a known request, none of it that recent


def test_a_report_to_a_file_and_an_unknown_request(history: Project) -> None:
    assert history.run("report", "--output", "evidence.md") == 0
    assert "written to evidence.md" in history.err.getvalue()
    assert (history.root / "evidence.md").read_text().startswith("# Erasure evidence")
    assert history.run("report", "--request", "PRIV-9") == 1
    assert "no job carries the request 'PRIV-9'" in history.err.getvalue()
    assert "PRIV-7, PRIV-8" in history.err.getvalue()


def test_an_input_not_recorded_at_the_time_is_said_and_never_read_later(
    project: Project,
) -> None:
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()
    project.write_input("done.csv", GOOD)
    project.write_manifest("privacy.yaml", MANIFEST.split("  - jobName: retried")[0])
    assert project.apply() == 0
    state = project.root / ".reconciler" / "state.json"
    document = json.loads(state.read_text())
    for record in document["jobs"].values():  # as an older version recorded it: no input
        record.update(inputs=[], provenance=None)
    state.write_text(json.dumps(document))
    attempt = json.loads(report(project, "--format", "json"))["requests"][0]["jobs"][0]["attempts"][
        0
    ]
    assert attempt["inputs"] == [] and attempt["provenance"] is None  # the file is still there
    assert attempt["reviewed"] == "not recorded"
    text = report(project)
    assert "- input not recorded at the time" in text and "not in a git checkout" in text
    rows = list(csv.DictReader(io.StringIO(report(project, "--format", "csv"))))
    assert rows[0]["input_objects"] == "input not recorded at the time"


def test_a_job_forgotten_and_imported_again_is_one_job(project: Project) -> None:
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()
    project.write_input("done.csv", GOOD)
    one_job = MANIFEST.split("  - jobName: retried")[0]
    project.write_manifest("privacy.yaml", one_job)
    assert project.apply(wait=True) == 0
    project.write_manifest("privacy.yaml", one_job.split("jobs:")[0] + "jobs: []\n")
    assert project.apply() == 0  # forgotten: the job stays in Personalize
    assert project.run("report", "--format", "json") == 0
    job = json.loads(project.out.getvalue())["requests"][0]["jobs"][0]
    assert job["forgotten"] is True and job["commit"] is None
    project.write_manifest("privacy.yaml", one_job)
    assert project.apply() == 0  # imported back
    requests = json.loads(report(project, "--format", "json"))["requests"]
    assert [(j["address"], j["forgotten"]) for j in requests[0]["jobs"]] == [
        ("shop-eu/done", False)
    ]
    assert requests[0]["numDeleted"] == requests[0]["jobs"][0]["attempts"][0]["numDeleted"]


def test_the_report_never_replaces_the_state(project: Project) -> None:
    assert project.apply() == 0
    before = (project.root / ".reconciler" / "state.json").read_bytes()
    for path in (".reconciler/state.json", ".reconciler/state.json.backup", ""):
        assert project.run("report", "--output", path) == 1
        assert "Error:" in project.err.getvalue() and "Traceback" not in project.err.getvalue()
    assert (project.root / ".reconciler" / "state.json").read_bytes() == before


def test_r2_16_the_report_is_written_only_to_a_new_or_regular_file(project: Project) -> None:
    assert project.apply() == 0
    precious = project.root / "precious.txt"
    precious.write_text("keep me")
    Path("link.md").symlink_to(precious)
    Path("dangling.md").symlink_to("nowhere.md")
    os.mkfifo("pipe.md")
    Path("reports").mkdir()
    for path, why in (
        ("link.md", "link.md is not a regular file: give --output a new file name"),
        ("dangling.md", "dangling.md is not a regular file: give --output a new file name"),
        ("pipe.md", "pipe.md is not a regular file: give --output a new file name"),
    ):
        assert project.run("report", "--output", path) == 1, path
        assert project.err.getvalue() == f"Error: {why}\n"
    assert project.run("report", "--output", "reports") == 1  # the option's own check
    assert "'reports' is a directory" in project.err.getvalue()
    assert precious.read_text() == "keep me"
    assert Path("link.md").is_symlink() and Path("dangling.md").is_symlink()
    assert not Path("nowhere.md").exists()
    assert stat.S_ISFIFO(os.lstat("pipe.md").st_mode)
    assert list(Path("reports").iterdir()) == []
    Path("old.md").write_text("last week's")
    assert project.run("report", "--output", "old.md") == 0  # a regular file is replaced
    assert Path("old.md").read_text().startswith("# Erasure evidence")
    assert project.run("report", "--output", "new/evidence.md") == 0  # its directory is made
    assert Path("new/evidence.md").read_text().startswith("# Erasure evidence")


def test_r2_03_the_report_never_replaces_the_states_temporaries_or_lineage(
    project: Project,
) -> None:
    assert project.apply() == 0
    temporary = project.root / ".reconciler" / f".state.json.{'ab' * 16}.tmp"
    temporary.write_bytes(b"")
    Path("linked").symlink_to(".reconciler")
    for path in (
        f".reconciler/{temporary.name}",
        "linked/state.json.lineage",
        "./.reconciler/../.reconciler/state.json.lock",
    ):
        assert project.run("report", "--output", path) == 1, path
        assert "is one of the state's own files" in project.err.getvalue()
    assert temporary.read_bytes() == b""
    assert (project.root / ".reconciler" / "state.json.lineage").read_text().strip() == (
        project.state().lineage
    )


def test_the_verdict_is_of_every_job_of_the_request_whatever_since_lists() -> None:
    from datetime import UTC, datetime, timedelta

    from reconciler.evidence import AttemptEvidence, JobEvidence, by_request
    from reconciler.models import JobStatus

    old = datetime(2026, 11, 1, tzinfo=UTC)

    def job(group: str, status: JobStatus, created: datetime) -> JobEvidence:
        attempt = AttemptEvidence(
            attempt=1, job_name="j", status=status, created=created, input_location="s3://b/k"
        )
        return JobEvidence(
            address=f"{group}/j", request="PRIV-9", dataset_group_arn=group, attempts=(attempt,)
        )

    jobs = [job("eu", JobStatus.FAILED, old), job("us", JobStatus.COMPLETED, old + timedelta(3))]
    [request] = by_request(jobs, since=old + timedelta(days=2))
    assert request.verdict.value == "failed somewhere"  # the older failure still counts
    assert [j.address for j in request.jobs] == ["us/j"] and request.earlier == 1


def test_times_are_shown_in_utc_whatever_zone_they_were_read_in() -> None:
    from datetime import datetime, timedelta, timezone

    from reconciler.render.report import _time

    berlin = datetime(2026, 11, 28, 23, 13, 20, tzinfo=timezone(timedelta(hours=1)))
    assert _time(berlin) == "2026-11-28 22:13:20 UTC"
    from reconciler.providers.base import job_from_wire

    job = job_from_wire(
        {
            "dataDeletionJobArn": "arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/j",
            "jobName": "j",
            "datasetGroupArn": "arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",
            "status": "COMPLETED",
            "creationDateTime": berlin,
        }
    )
    assert job.created.isoformat() == "2026-11-28T22:13:20+00:00"  # kept in UTC in the state
