"""`--format github` for validate, plan and check: GitHub Actions annotations at the manifest
lines, and the Markdown appended to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import io
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.cli import main
from reconciler.diagnostics import Location
from reconciler.render.github import command
from reconciler.runtime import Runtime
from tests.commands.conftest import GROUP_EU, Project
from tests.conftest import REPO

BROKEN = f"""apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: {GROUP_EU}
defaults: {{roleArn: 'arn:aws:iam::123456789012:role/R'}}
jobs:
  - jobName: bad name
    dataSource: {{dataLocation: s3://acme-privacy/x.csv}}
"""


def test_a_command_escapes_what_the_runner_would_read_as_syntax() -> None:
    line = command("error", "50% done\nnext: a, b", Location("dir/a:b.yaml", 3, 7), title="t,1")
    assert line == "::error file=dir/a%3Ab.yaml,line=3,col=7,title=t%2C1::50%25 done%0Anext: a, b"
    assert command("warning", "plain") == "::warning::plain"


def test_validate_annotates_each_problem_at_its_line(project: Project) -> None:
    project.write_manifest("broken.yaml", BROKEN)
    assert project.run("validate", "--format", "github") == 1
    out = project.out.getvalue()
    assert out.startswith(
        "::error file=manifests/broken.yaml,line=6,col=14,title=reconciler validate::"
        "jobs[0].jobName: 'bad name' is not allowed here"
    )
    assert "manifests/broken.yaml:6:14: jobs[0].jobName" in project.err.getvalue()  # and the log
    (project.root / "manifests" / "broken.yaml").unlink()
    assert project.run("validate", "--format", "github") == 0
    assert project.out.getvalue().startswith("Success: 3 files")


def test_plan_annotates_and_writes_the_step_summary(project: Project, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    project.environ["GITHUB_STEP_SUMMARY"] = str(summary)
    location = project.write_input("headerless.csv", "eu-00001\n")
    project.write_manifest(
        "refused.yaml",
        BROKEN.replace("bad name", "refused").replace("s3://acme-privacy/x.csv", location),
    )
    assert project.run("plan", "--format", "github") == 1
    out = project.out.getvalue()
    assert out.startswith("Target: local emulator")  # the text plan for the log
    assert (
        "::error file=manifests/refused.yaml,line=6,col=5,title=reconciler plan%3A "
        "shop-eu/refused::Preflight: shop-eu/refused is not created"
    ) in out
    assert "eu-00001" not in out + summary.read_text()  # never a user ID
    written = summary.read_text()
    assert written.startswith("**Plan: 5 to create") and "<!-- reconciler-plan -->" in written
    project.write_manifest("broken.yaml", BROKEN)
    assert project.run("plan", "--format", "github") == 1  # invalid manifests: annotated too
    assert "::error file=manifests/broken.yaml,line=6,col=14" in project.out.getvalue()


def test_check_annotates_failed_jobs_and_appends_its_verdict(
    project: Project, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    project.environ["GITHUB_STEP_SUMMARY"] = str(summary)
    location = project.write_input("fails.csv")  # the service FAILS it
    project.write_manifest(
        "fails.yaml",
        BROKEN.replace("bad name", "fails").replace("s3://acme-privacy/x.csv", location),
    )
    assert project.apply(wait=True) == 5  # `fails` FAILED
    assert project.run("check", "--format", "github") == 5
    out = project.out.getvalue()
    assert (
        "::error file=manifests/fails.yaml,line=6,col=5,title=reconciler check::failed: "
        "shop-eu/fails: fails FAILED"
    ) in out
    written = summary.read_text()
    assert written.startswith("❌ **check: failed jobs (5 of 6 declared jobs COMPLETED)**")
    assert written.rstrip().endswith("<!-- reconciler-check -->")


def test_version_names_the_python_it_runs_on_in_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--version"], Runtime(environ={}, out=io.StringIO(), err=io.StringIO())) == 0
    assert capsys.readouterr().out == (
        f"reconciler {__version__} (Python {platform.python_version()})\n"
    )


@pytest.mark.process
def test_version_names_the_python_it_runs_on() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=REPO,
    )
    assert done.stdout == f"reconciler {__version__} (Python {platform.python_version()})\n"
