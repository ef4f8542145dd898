"""The `reconciler-validate` hook of .pre-commit-hooks.yaml, run by `pre-commit try-repo` as a
user's repository would run it: pre-commit builds the hook's environment from this repository
(offline, from the wheelhouse `.ci/run` builds: `pip wheel . -w .wheelhouse`), and the hook
refuses a broken manifest at its line, and a job name declared again in another file (it
validates the whole tree), and passes a good one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

WHEELHOUSE = Path(os.environ.get("RECONCILER_WHEELHOUSE", REPO / ".wheelhouse"))
GOOD = (REPO / "manifests" / "shop-us.yaml").read_text(encoding="utf-8")


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.skipif(
    not (WHEELHOUSE / "setuptools").exists() and not any(WHEELHOUSE.glob("setuptools-*.whl")),
    reason="no wheelhouse: build it with `pip wheel . -w .wheelhouse && pip download setuptools "
    "wheel -d .wheelhouse` (as .ci/run does)",
)
def test_the_hook_refuses_a_broken_manifest_at_its_line(tmp_path: Path) -> None:
    source = tmp_path / "reconciler"  # this repository as committed now, hook file included
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".wheelhouse", ".git"))
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "hook")
    user = tmp_path / "privacy"
    (user / "manifests").mkdir(parents=True)
    (user / "manifests" / "shop-us.yaml").write_text(GOOD.replace("jobName: ccpa", "jobName: c a"))
    git(user, "init", "-q")
    git(user, "add", "-A")
    env = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
    }

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(source),
                "reconciler-validate",
                "--all-files",
            ],
            cwd=user,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    done = hook()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "manifests/shop-us.yaml:10:14: jobs[0].jobName: 'c a-2026-w47' is not allowed" in (
        done.stdout
    ), done.stdout
    (user / "manifests" / "shop-us.yaml").write_text(GOOD)
    (user / "manifests" / "again.yaml").write_text(GOOD.replace("/shop-us", "/shop-us-2"))
    git(user, "add", "-A")
    done = hook()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "jobName 'ccpa-2026-w47' is already declared at" in done.stdout, done.stdout
    (user / "manifests" / "again.yaml").unlink()
    git(user, "add", "-A")
    done = hook()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciler validate" in done.stdout and "Passed" in done.stdout
