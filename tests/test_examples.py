"""The ready-to-copy GitHub workflows under examples/github/: each is parsed and checked for
what the README promises (OIDC, one apply at a time, the comment marker, the drift issue), and
every `run:` step that invokes `reconciler` or reads GitHub with `gh api` is executed, in order
(pull request, merge, nightly), in a temporary checkout against the emulator, moto's S3 server
holding the state and a fake `gh` (tests/fakegh.py) answering for GitHub. Steps that only `uses:`
an action (checkout, credentials, artifacts, comments) are GitHub's and not run.

The steps run in bash as written. In the default lane each `reconciler` they call runs in this
process (tests/commandserver.py); the process lane (`pytest -m process`) runs one full pass
with the real command, a Python process per call."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.planning.deadlines import Regime, due_date
from reconciler.render.github import CHECK_MARKER, FRESH_MARKER
from reconciler.render.plan_markdown import MARKER
from reconciler.usecases.apply import ApplyInputs
from tests import fakegh
from tests.commands.conftest import spy_on_apply
from tests.commandserver import command_server
from tests.conftest import REPO
from tests.s3server import s3_client

EXAMPLES = REPO / "examples" / "github"
COMMAND = re.compile(r"^\s*reconciler\s", re.MULTILINE)
READS_GITHUB = re.compile(r"\bgh api\b")
REPOSITORY = "acme/privacy"
SHA = "5e1f" * 10  # the pushed commit
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads `on` as true
    return loaded


def steps(name: str) -> list[dict[str, Any]]:
    jobs = workflow(name)["jobs"]
    assert len(jobs) == 1
    found: list[dict[str, Any]] = next(iter(jobs.values()))["steps"]
    return found


def test_every_workflow_parses_and_keeps_its_promises() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.yml"))
    assert names == ["reconciler-apply.yml", "reconciler-drift.yml", "reconciler-pr.yml"]
    for name in names:
        flow = workflow(name)
        assert flow["permissions"]["id-token"] == "write"  # OIDC, no stored keys
        uses = [s.get("uses", "") for s in steps(name)]
        assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
        assert not any("AWS_SECRET_ACCESS_KEY" in json.dumps(s) for s in steps(name))
    pr = workflow("reconciler-pr.yml")
    assert pr["on"]["pull_request"]["paths"] == ["manifests/**"]
    comment = next(s for s in steps("reconciler-pr.yml") if "github-script" in s.get("uses", ""))
    assert MARKER in comment["with"]["script"]  # finds its own comment to update it in place
    apply = workflow("reconciler-apply.yml")
    assert apply["concurrency"] == {  # a merge's run is never the waiting one replaced
        "group": "reconciler-apply-${{ github.event_name == 'push' && github.sha || 'queued' }}",
        "cancel-in-progress": False,
    }
    assert "--lock-timeout" in json.dumps(steps("reconciler-apply.yml"))
    [applying] = [s for s in steps("reconciler-apply.yml") if s.get("name") == "Apply"]
    assert "continue-on-error" not in applying and "if" not in applying  # its failure shows
    joined = applying["run"].replace("\\\n", " ")  # one line per command
    applies = re.findall(r"^\s*reconciler apply .*$", joined, re.MULTILINE)
    assert len(applies) == 2 and all("--format github" in line for line in applies)
    assert '--reviewed "$RUNNER_TEMP/reviewed/reconciler.plan"' in applies[0]  # the merge
    assert "--queued-only" in applies[1]  # the hour: only what an apply queued
    assert "|| true" not in applying["run"]  # exit 5 (a FAILED job) fails the step
    for name in names:  # no failure is hidden: each fallback is said
        assert "|| true" not in (EXAMPLES / name).read_text(encoding="utf-8"), name
    drift = workflow("reconciler-drift.yml")
    assert drift["on"]["schedule"]
    opened = next(s for s in steps("reconciler-drift.yml") if s.get("name", "").startswith("Open"))
    assert opened["if"] == (
        "steps.check.outputs.exitcode == '3' || steps.check.outputs.exitcode == '5' || "
        "steps.check.outputs.exitcode == '6'"
    )
    assert "issues.update" in opened["with"]["script"]  # one issue, updated, never a new one


class Checkout:
    """A repository holding the example's manifests, the state on moto's S3, the emulator
    answering at once, and `reconciler` and a fake `gh` in `bin_dir` (`github`: what it answers
    for each API path); `run` executes a workflow step as GitHub's runner would (bash -eo
    pipefail, the workflow's and the step's env, the event's GITHUB_* variables, GITHUB_OUTPUT,
    GITHUB_STEP_SUMMARY)."""

    def __init__(self, root: Path, endpoint: str, bucket: str, bin_dir: Path) -> None:
        self.root = root
        shutil.copytree(REPO / "manifests", root / "manifests")
        shutil.copytree(REPO / "example-data", root / "example-data")
        emulator = root / "example-data" / "emulator.yaml"
        text = emulator.read_text(encoding="utf-8")
        text = re.sub(r"pendingSeconds: \S+", "pendingSeconds: 0", text)
        emulator.write_text(re.sub(r"inProgressSeconds: \S+", "inProgressSeconds: 0", text))
        with (root / "manifests" / "settings.yaml").open("a", encoding="utf-8") as settings:
            settings.write(
                f"state: {{backend: s3, bucket: {bucket}, key: personalize/state.json, "
                f"region: eu-west-1, endpointUrl: '{endpoint}'}}\n"
            )
        self.path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        fakegh.install(bin_dir)
        self.github: dict[str, Any] = {}  # API path -> the JSON GitHub answers
        self.event = "push"
        self.gh_calls = root.parent / "gh-calls"
        self.outputs: dict[str, dict[str, str]] = {}
        self.logs: dict[str, str] = {}  # each step's stdout, as the runner reads it
        self.said: dict[str, str] = {}  # step name -> what it printed (stdout, then stderr)
        self.summary = root.parent / "step-summary.md"
        self.temp = root.parent / "runner-temp"  # $RUNNER_TEMP: what steps hand each other
        self.temp.mkdir(exist_ok=True)

    def run(self, name: str, only: str | None = None, failing: str | None = None) -> list[str]:
        """Every step of the workflow `name` that runs reconciler or reads GitHub (or just the
        step `only`); the names of the steps run. Each must succeed, but the step `failing`,
        which must fail (the runner goes on to the steps that run `always()`)."""
        flow = workflow(name)
        ran = []
        for step in steps(name):
            script = step.get("run")
            runs = script and (COMMAND.search(script) or READS_GITHUB.search(script))
            if not runs or (only and step["name"] != only):
                continue
            assert not EXPRESSION.search(script), "run: scripts read env, not ${{ }}"
            output = self.root.parent / "github-output"
            output.write_text("")
            answers = self.root.parent / "github-answers.json"
            answers.write_text(json.dumps(self.github), encoding="utf-8")
            env = {
                **os.environ,
                **{k: str(v) for k, v in flow.get("env", {}).items()},
                **{k: str(v) for k, v in step.get("env", {}).items()},
                "RECONCILER_PROVIDER": "local",  # the emulator stands in for AWS here
                "PATH": self.path,
                "PYTHONPATH": str(REPO),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "RUNNER_TEMP": str(self.temp),
                "GITHUB_EVENT_NAME": self.event,
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": REPOSITORY,
                "GITHUB_SHA": SHA,
                "FAKE_GH_DATA": str(answers),
                "FAKE_GH_LOG": str(self.gh_calls),
            }
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            said = f"{name}: {step['name']}\n{done.stdout}\n{done.stderr}"
            self.said[step["name"]] = done.stdout + done.stderr
            assert (done.returncode != 0) == (step["name"] == failing), said
            self.outputs[step.get("id", step["name"])] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
            self.logs[step["name"]] = done.stdout
            ran.append(step["name"])
        return ran


def new_checkout(tmp_path: Path, s3_endpoint: str) -> Checkout:
    bucket = f"state-{tmp_path.name[-20:].lower().replace('_', '-')}".strip("-")[:40]
    client = s3_client(s3_endpoint)
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    root = tmp_path / "repo"
    root.mkdir()
    return Checkout(root, s3_endpoint, bucket, tmp_path / "bin")


@pytest.fixture
def checkout(tmp_path: Path, s3_endpoint: str, s3_credentials: None) -> Iterator[Checkout]:
    """A checkout whose `reconciler` runs each call in this process."""
    with command_server(tmp_path / "bin"):
        yield new_checkout(tmp_path, s3_endpoint)


@pytest.fixture
def process_checkout(tmp_path: Path, s3_endpoint: str, s3_credentials: None) -> Checkout:
    """A checkout whose `reconciler` is the real command: a Python process per call."""
    (tmp_path / "bin").mkdir()
    shim = tmp_path / "bin" / "reconciler"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return new_checkout(tmp_path, s3_endpoint)


@pytest.mark.process
def test_the_workflows_run_a_request_from_pull_request_to_nightly_check(
    process_checkout: Checkout,
) -> None:
    a_request_from_pull_request_to_nightly_check(process_checkout)


def test_the_workflows_run_a_request_from_pull_request_to_nightly_check_in_process(
    checkout: Checkout,
) -> None:
    a_request_from_pull_request_to_nightly_check(checkout)


def a_request_from_pull_request_to_nightly_check(checkout: Checkout) -> None:
    assert checkout.run("reconciler-pr.yml") == ["Validate", "Plan"]
    assert checkout.outputs["plan"] == {"exitcode": "2"}  # changes to apply
    comment = (checkout.root / "plan.md").read_text()
    assert comment.startswith("**Plan: 5 to create") and comment.rstrip().endswith(MARKER)
    assert json.loads((checkout.root / "plan.json").read_text())["summary"]["create"] == 5
    assert "**Plan: 5 to create" in checkout.summary.read_text()  # the step summary too

    reviewed = checkout.temp / "reviewed"
    reviewed.mkdir()  # what "Fetch the reviewed plan" downloads from the pull request's run
    shutil.copy(checkout.root / "reconciler.plan", reviewed / "reconciler.plan")
    steps_run = [
        "Fetch the reviewed plan",
        "Read the approval",
        "Apply",
        "Tell the pull request",
        "Status",
    ]
    assert checkout.run("reconciler-apply.yml") == steps_run
    assert "Apply incomplete" not in checkout.said["Apply"]
    assert "Not the reviewed plan" not in checkout.said["Apply"]  # the reviewed plan, applied
    assert "| `shop-eu/gdpr-2026-w46` |" in checkout.summary.read_text()  # status, recorded

    # The same reviewed plan again is stale (the state moved on): a fresh plan, and it says so.
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]
    assert (
        "::warning title=Not the reviewed plan::Applied a fresh plan, not the reviewed one: "
        "5 changes differ (the state changed since the plan was made"
    ) in checkout.said["Apply"]
    assert "Applied a fresh plan, not the reviewed one: 5 changes differ" in (
        checkout.summary.read_text()
    )

    assert checkout.run("reconciler-drift.yml") == ["Check"]
    assert checkout.outputs["check"] == {"exitcode": "0"}  # every deletion COMPLETED
    assert (
        "check: converged (5 of 5 declared jobs COMPLETED)"
        in (checkout.root / "check.md").read_text()
    )
    assert CHECK_MARKER in checkout.summary.read_text()


def failing_in_service(checkout: Checkout) -> None:
    """Preflight reads every row, so a bad row never gets this far: the service's own limit on a
    job's input, lower than preflight.maxInputBytes, FAILs w46 (the older 50 MB limit)."""
    data = checkout.root / "example-data" / "s3" / "acme-privacy" / "shop-eu"
    (data / "2026-w46.csv").write_text("USER_ID\n" + "".join(f"eu-{n:05}\n" for n in range(60)))
    with (checkout.root / "example-data" / "emulator.yaml").open("a") as emulator:
        emulator.write("inputBytesLimit: 500\n")  # the other inputs hold less


def planned_applied_and_checked(checkout: Checkout) -> None:
    """The pull request's plan, applied on merge as reviewed, then the nightly check."""
    assert checkout.run("reconciler-pr.yml", only="Plan") == ["Plan"]
    (checkout.temp / "reviewed").mkdir()
    shutil.copy(checkout.root / "reconciler.plan", checkout.temp / "reviewed")
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]
    assert checkout.run("reconciler-drift.yml") == ["Check"]


def test_a_failed_deletion_makes_the_nightly_check_open_the_issue(checkout: Checkout) -> None:
    failing_in_service(checkout)
    planned_applied_and_checked(checkout)
    assert checkout.outputs["check"] == {"exitcode": "5"}  # the "Open or update" step's if
    assert "failed: shop-eu/gdpr-2026-w46" in (checkout.root / "check.md").read_text()


def test_a_request_due_soon_makes_the_nightly_check_open_the_issue(checkout: Checkout) -> None:
    # received 25 days ago (the real clock: this checkout's): due the same day next month, so
    # 3 to 6 days from today, within deadlines.warnDays (7); no job carries it
    received = (datetime.now(UTC) - timedelta(days=25)).date()
    due = due_date(received, Regime.GDPR)
    (checkout.root / "manifests" / "request.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Request\nid: PRIV-9000\n"
        f"receivedAt: {received.isoformat()}\nregime: gdpr\n"
    )
    planned_applied_and_checked(checkout)
    assert checkout.outputs["check"] == {"exitcode": "6"}  # the "Open or update" step's if
    left = (due - datetime.now(UTC).date()).days
    assert (
        f"due soon: PRIV-9000 (gdpr): due {due.isoformat()}, {left} days left"
        in (checkout.root / "check.md").read_text()
    )


def test_a_failed_deletion_fails_the_hourly_apply_with_an_annotation(checkout: Checkout) -> None:
    failing_in_service(checkout)
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]  # created: exit 0
    steps = checkout.run("reconciler-apply.yml", failing="Apply")
    assert steps == [
        "Fetch the reviewed plan",
        "Read the approval",
        "Apply",
        "Tell the pull request",
        "Status",
    ]
    log = checkout.logs["Apply"]
    assert "Apply incomplete: 0 created, 0 imported, 0 forgotten; 1 job needs attention." in log
    assert (
        "::error file=manifests/shop-eu.yaml,line=10,col=5,title=reconciler%3A "
        "shop-eu/gdpr-2026-w46 needs attention::gdpr-2026-w46 FAILED ("
    ) in log


def test_a_broken_manifest_fails_the_pull_request_and_still_replaces_the_comment(
    checkout: Checkout,
) -> None:
    (checkout.root / "manifests" / "broken.yaml").write_text("apiVersion: reconciler/v1\n")
    assert checkout.run("reconciler-pr.yml", failing="Validate") == ["Validate", "Plan"]
    assert checkout.outputs["plan"] == {"exitcode": "1"}  # the "Fail on plan errors" step's if
    comment = (checkout.root / "plan.md").read_text()
    assert comment.startswith("❌ **reconciler plan failed** (exit 1)")
    assert comment.rstrip().endswith(MARKER)  # the old comment is replaced, not left standing
    assert checkout.run("reconciler-drift.yml") == ["Check"]  # the step itself never fails
    assert checkout.outputs["check"] == {"exitcode": "1"}  # "Fail unless converged" does


def applied_with(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch, reviewed: bool = False
) -> list[ApplyInputs]:
    """What each `reconciler apply` of the apply workflow's "Read the approval" and "Apply"
    steps was asked (after its checks), seen in this process (the command server runs it);
    `reviewed`: the pull request's saved plan was fetched."""
    if reviewed:
        saved_plan_of_the_pull_request(checkout)
    seen = spy_on_apply(monkeypatch)
    assert checkout.run("reconciler-apply.yml", only="Read the approval")
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]
    return seen


def saved_plan_of_the_pull_request(checkout: Checkout) -> None:
    """What "Fetch the reviewed plan" downloads: the PR workflow's saved plan."""
    assert checkout.run("reconciler-pr.yml", only="Plan") == ["Plan"]
    (checkout.temp / "reviewed").mkdir()
    shutil.copy(checkout.root / "reconciler.plan", checkout.temp / "reviewed")


def merged_pull_request(checkout: Checkout) -> None:
    """GitHub's answers for the pushed commit: pull request 12, approved by alice, merged."""
    pulls = f"repos/{REPOSITORY}"
    checkout.github = {
        f"{pulls}/commits/{SHA}/pulls": [
            {"number": 12, "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": SHA}
        ],
        f"{pulls}/pulls/12": {"number": 12, "merged_by": {"login": "merger-1"}},
        f"{pulls}/pulls/12/reviews": [review("alice", "APPROVED")],
    }


def review(login: str, state: str) -> dict[str, Any]:
    return {"user": {"login": login}, "state": state}


@pytest.mark.skipif(not fakegh.has_jq(), reason="the fake gh filters with jq")
def test_the_merged_pull_requests_reviewers_and_merger_reach_apply(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    pulls = f"repos/{REPOSITORY}"
    checkout.github = {
        f"{pulls}/commits/{SHA}/pulls": [
            {"number": 7, "merged_at": None, "merge_commit_sha": "0" * 40},  # open, has it too
            {"number": 12, "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": SHA},
        ],
        f"{pulls}/pulls/12": {"number": 12, "merged_by": {"login": "merger-1"}},
        f"{pulls}/pulls/12/reviews": [
            review("alice", "APPROVED"),
            review("bob", "APPROVED"),
            review("bob", "CHANGES_REQUESTED"),  # bob's last say: not an approval
            review("carol", "COMMENTED"),
            review("dave", "APPROVED"),
            review("dave", "DISMISSED"),
            review("$(touch pwned)", "APPROVED"),  # hostile: never run, never passed on
            review("eve;touch pwned", "APPROVED"),
            review("mallory\n--retry", "APPROVED"),
            review("renovate[bot]", "APPROVED"),
            review("alice", "COMMENTED"),  # a comment after approving takes nothing back
        ],
    }
    seen = applied_with(checkout, monkeypatch, reviewed=True)
    assert [(i.change_ref, i.approved_by) for i in seen] == [
        (
            f"https://github.com/{REPOSITORY}/pull/12",
            ("alice", "renovate[bot]", "merged-by:merger-1"),
        )
    ]
    assert seen[0].reviewed is not None  # the reviewed plan, applied: its approval goes with it
    assert not (checkout.root / "pwned").exists()
    said = checkout.said["Read the approval"]
    assert "::warning title=Approval::a login GitHub gave for pull request 12 is not a" in said
    assert "pwned" not in said and "mallory" not in said  # never echoed into the log
    calls = [json.loads(line) for line in checkout.gh_calls.read_text().splitlines()]
    assert [call[1] if call[1] != "--paginate" else call[2] for call in calls] == [
        f"{pulls}/commits/{SHA}/pulls",
        f"{pulls}/pulls/12",
        f"{pulls}/pulls/12/reviews",
    ]


@pytest.mark.skipif(not fakegh.has_jq(), reason="the fake gh filters with jq")
def test_a_direct_push_applies_without_an_approval_and_says_so(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout.github = {f"repos/{REPOSITORY}/commits/{SHA}/pulls": []}
    seen = applied_with(checkout, monkeypatch)
    assert [(i.change_ref, i.approved_by) for i in seen] == [(None, ())]
    assert (
        f"::notice title=Approval not recorded::no merged pull request for {SHA} (a direct push)"
        in checkout.said["Read the approval"]
    )


def test_the_hourly_run_applies_without_an_approval_and_says_so(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout.event = "schedule"
    seen = applied_with(checkout, monkeypatch)
    assert [(i.change_ref, i.approved_by) for i in seen] == [(None, ())]
    assert (
        "::notice title=Approval not recorded::a schedule run has no pull request"
        in checkout.said["Read the approval"]
    )
    assert not checkout.gh_calls.exists()  # GitHub is not asked


def test_a_github_that_does_not_answer_leaves_the_approval_out_and_warns(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = applied_with(checkout, monkeypatch)  # the fake answers 404 to everything
    assert [(i.change_ref, i.approved_by) for i in seen] == [(None, ())]
    assert (
        "::warning title=Approval not recorded::GitHub did not say which pull request"
        in (checkout.said["Read the approval"])
    )


@pytest.mark.skipif(not fakegh.has_jq(), reason="the fake gh filters with jq")
def test_a_fresh_plan_is_applied_with_its_change_but_not_its_reviewers_names(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged_pull_request(checkout)
    seen = applied_with(checkout, monkeypatch)  # the saved plan was not found
    assert [(i.change_ref, i.approved_by) for i in seen] == [
        (f"https://github.com/{REPOSITORY}/pull/12", ())
    ]
    assert (
        "::warning title=Not the reviewed plan::Applied a fresh plan, not the reviewed one: the "
        "reviewed plan could not be read to compare ("
    ) in checkout.said["Apply"]


@pytest.mark.skipif(not fakegh.has_jq(), reason="the fake gh filters with jq")
def test_a_stale_reviewed_plan_gives_way_to_a_fresh_one_said_on_the_pull_request(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged_pull_request(checkout)
    checkout.github[f"repos/{REPOSITORY}/issues/12/comments"] = {}
    saved_plan_of_the_pull_request(checkout)
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]  # applied: now stale
    seen = applied_with(checkout, monkeypatch)
    assert [(i.change_ref, i.approved_by) for i in seen] == [
        (f"https://github.com/{REPOSITORY}/pull/12", ())  # the change, not the names
    ]
    headline = "Applied a fresh plan, not the reviewed one: 5 changes differ"
    assert f"::warning title=Not the reviewed plan::{headline}" in checkout.said["Apply"]
    assert headline in checkout.summary.read_text()
    assert checkout.run("reconciler-apply.yml", only="Tell the pull request")
    calls = [json.loads(line) for line in checkout.gh_calls.read_text().splitlines()]
    [posted] = [call for call in calls if isinstance(call, dict)]
    assert (posted["method"], posted["path"]) == ("POST", f"repos/{REPOSITORY}/issues/12/comments")
    assert posted["fields"]["body"].startswith(f"⚠️ **{headline}")
    assert posted["fields"]["body"].rstrip().endswith(FRESH_MARKER)


@pytest.mark.skipif(not fakegh.has_jq(), reason="the fake gh filters with jq")
def test_a_stale_reviewed_plan_fails_the_run_when_the_settings_require_it(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged_pull_request(checkout)
    with (checkout.root / "manifests" / "settings.yaml").open("a", encoding="utf-8") as settings:
        settings.write("apply: {requireReviewedPlan: true}\n")
    saved_plan_of_the_pull_request(checkout)
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]  # applied: now stale
    assert checkout.run("reconciler-apply.yml", only="Apply", failing="Apply") == ["Apply"]
    said = checkout.said["Apply"]
    assert "::error title=Reviewed plan not applied::The reviewed plan was not applied" in said
    assert "apply.requireReviewedPlan is true, so nothing was applied" in said
    assert "The reviewed plan was not applied" in checkout.summary.read_text()
    assert checkout.run("reconciler-apply.yml", only="Tell the pull request")  # nothing to tell
    assert not (checkout.temp / "fresh-plan.md").exists()


@pytest.mark.skipif(not fakegh.has_jq(), reason="the fake gh filters with jq")
def test_an_input_replaced_after_the_review_fails_the_apply_and_creates_nothing(
    checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged_pull_request(checkout)
    saved_plan_of_the_pull_request(checkout)
    w47 = checkout.root / "example-data" / "s3" / "acme-privacy" / "shop-eu" / "2026-w47.csv"
    w47.write_text(w47.read_text().replace("eu-", "xx-"))  # same size, other users
    seen = spy_on_apply(monkeypatch)
    assert checkout.run("reconciler-apply.yml", only="Read the approval")
    assert checkout.run("reconciler-apply.yml", only="Apply", failing="Apply") == ["Apply"]
    assert seen == []  # the reviewed plan was refused, and no fresh plan applied after it
    assert (
        "::error title=Reviewed plan not applied::The reviewed plan was not applied, nor a fresh "
        "one: an input of shop-eu/gdpr-2026-w47 is not the file the reviewed plan read"
    ) in checkout.said["Apply"]
    checkout.event = "schedule"  # the next hour creates nothing no apply decided either
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]
    assert "gdpr-2026-w47: created" not in checkout.said["Apply"]
    assert checkout.run("reconciler-drift.yml") == ["Check"]
    assert checkout.outputs["check"]["exitcode"] == "2"  # nothing was created: not applied
