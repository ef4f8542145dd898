"""The ready-to-copy GitHub workflows under examples/github/: each is parsed and checked for
what the README promises (OIDC, one apply at a time, the comment marker, the drift issue), and
every `run:` step that invokes `reconciler` is executed, in order (pull request, merge, nightly),
in a temporary checkout against the emulator and moto's S3 server holding the state. Steps that
only `uses:` an action (checkout, credentials, artifacts, comments) are GitHub's and not run.

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
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.render.github import CHECK_MARKER
from reconciler.render.plan_markdown import MARKER
from tests.commandserver import command_server
from tests.conftest import REPO
from tests.s3server import s3_client

EXAMPLES = REPO / "examples" / "github"
COMMAND = re.compile(r"^\s*reconciler\s", re.MULTILINE)
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
    assert apply["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert "--lock-timeout" in json.dumps(steps("reconciler-apply.yml"))
    drift = workflow("reconciler-drift.yml")
    assert drift["on"]["schedule"]
    opened = next(s for s in steps("reconciler-drift.yml") if s.get("name", "").startswith("Open"))
    assert opened["if"] == (
        "steps.check.outputs.exitcode == '3' || steps.check.outputs.exitcode == '5'"
    )
    assert "issues.update" in opened["with"]["script"]  # one issue, updated, never a new one


class Checkout:
    """A repository holding the example's manifests, the state on moto's S3, the emulator
    answering at once, and `reconciler` in `bin_dir`; `run` executes a workflow step as GitHub's
    runner would (bash -eo pipefail, the workflow's and the step's env, GITHUB_OUTPUT,
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
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = root.parent / "step-summary.md"

    def run(self, name: str, only: str | None = None, failing: str | None = None) -> list[str]:
        """Every step of the workflow `name` that runs reconciler (or just the step `only`);
        the names of the steps run. Each must succeed, but the step `failing`, which must fail
        (the runner goes on to the steps that run `always()`)."""
        flow = workflow(name)
        ran = []
        for step in steps(name):
            script = step.get("run")
            if not script or not COMMAND.search(script) or (only and step["name"] != only):
                continue
            assert not EXPRESSION.search(script), "run: scripts read env, not ${{ }}"
            output = self.root.parent / "github-output"
            output.write_text("")
            env = {
                **os.environ,
                **{k: str(v) for k, v in flow.get("env", {}).items()},
                **{k: str(v) for k, v in step.get("env", {}).items()},
                "RECONCILER_PROVIDER": "local",  # the emulator stands in for AWS here
                "PATH": self.path,
                "PYTHONPATH": str(REPO),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(self.summary),
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
            assert (done.returncode != 0) == (step["name"] == failing), said
            self.outputs[step.get("id", step["name"])] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
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

    reviewed = checkout.root / "reviewed"
    reviewed.mkdir()  # what "Fetch the reviewed plan" downloads from the pull request's run
    shutil.copy(checkout.root / "reconciler.plan", reviewed / "reconciler.plan")
    assert checkout.run("reconciler-apply.yml") == ["Apply", "Status"]
    assert "Apply incomplete" not in (checkout.root / "apply.err").read_text()
    assert "| `shop-eu/gdpr-2026-w46` |" in checkout.summary.read_text()  # status, recorded

    # The same reviewed plan again is stale (the state moved on): planned and applied afresh.
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]
    assert "Saved plan is stale" in (checkout.root / "apply.err").read_text()

    assert checkout.run("reconciler-drift.yml") == ["Check"]
    assert checkout.outputs["check"] == {"exitcode": "0"}  # every deletion COMPLETED
    assert (
        "check: converged (5 of 5 declared jobs COMPLETED)"
        in (checkout.root / "check.md").read_text()
    )
    assert CHECK_MARKER in checkout.summary.read_text()


def test_a_failed_deletion_makes_the_nightly_check_open_the_issue(checkout: Checkout) -> None:
    # Preflight reads every row, so a bad row never gets this far: the service's own limit on a
    # job's input, lower than preflight.maxInputBytes, FAILs this one (the older 50 MB limit)
    data = checkout.root / "example-data" / "s3" / "acme-privacy" / "shop-eu"
    (data / "2026-w46.csv").write_text("USER_ID\n" + "".join(f"eu-{n:05}\n" for n in range(60)))
    with (checkout.root / "example-data" / "emulator.yaml").open("a") as emulator:
        emulator.write("inputBytesLimit: 500\n")  # the other inputs hold less
    assert checkout.run("reconciler-pr.yml", only="Plan") == ["Plan"]
    (checkout.root / "reviewed").mkdir()
    shutil.copy(checkout.root / "reconciler.plan", checkout.root / "reviewed")
    assert checkout.run("reconciler-apply.yml", only="Apply") == ["Apply"]
    assert checkout.run("reconciler-drift.yml") == ["Check"]
    assert checkout.outputs["check"] == {"exitcode": "5"}  # the "Open or update" step's if
    assert "failed: shop-eu/gdpr-2026-w46" in (checkout.root / "check.md").read_text()


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
