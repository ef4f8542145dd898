"""apply, status and check as a user runs them: real processes on a copy of the example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copytree(REPO / "example-data", tmp_path / "example-data")
    return tmp_path


def fast(project: Path, pending: float = 0, running: float = 0) -> None:
    """Jobs finish as soon as they are looked at: nothing in the test waits in real time."""
    settings = project / "example-data" / "emulator.yaml"
    text = settings.read_text().replace("pendingSeconds: 2", f"pendingSeconds: {pending}")
    settings.write_text(text.replace("inProgressSeconds: 3", f"inProgressSeconds: {running}"))


def run(
    project: Path, *args: str, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=project, capture_output=True, text=True,
        timeout=120, check=False, stdin=stdin,
    )  # fmt: skip


def test_quick_start_flow(project: Path) -> None:
    fast(project)
    applied = run(project, "apply", "--auto-approve", "--wait")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 5 created, 0 adopted, 0 forgotten." in applied.stdout
    assert applied.stdout.count("-> COMPLETED") == 5
    planned = run(project, "plan", "--detailed-exitcode")
    assert planned.returncode == 0
    assert planned.stdout.startswith("No changes.")
    checked = run(project, "check")
    assert checked.returncode == 0
    assert "check: converged (5 of 5 declared jobs COMPLETED)" in checked.stdout
    status = run(project, "status")
    assert "5 jobs: COMPLETED 5; 250 records deleted." in status.stdout


def test_without_terminal_or_auto_approve_nothing_happens(project: Path) -> None:
    result = run(project, "apply")
    assert result.returncode == 1
    assert "run again with --auto-approve" in result.stderr
    assert run(project, "check").returncode == 2  # still nothing applied


def test_a_second_apply_is_refused_while_the_first_runs(project: Path) -> None:
    fast(project, pending=3600)
    first = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", "--wait"], cwd=project,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
    )  # fmt: skip
    try:
        lock = project / ".reconciler" / "state.json.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        second = run(project, "apply", "--auto-approve")
        assert second.returncode == 1
        assert f"(apply, pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait(timeout=30)
    assert run(project, "apply", "--auto-approve").returncode == 0  # a killed holder never blocks


def test_bad_duration_is_a_clear_error(project: Path) -> None:
    result = run(project, "apply", "--auto-approve", "--wait", "--timeout", "soon")
    assert result.returncode == 1
    assert "'soon' is not a duration: use e.g. 90s, 10m, 2h or 1h30m" in result.stderr
