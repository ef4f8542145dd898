"""Stopping apply anywhere, then applying again, never duplicates or loses a job."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.models import JobStatus
from reconciler.planning.model import ActionReason
from tests.commands.conftest import DECLARED, Project
from tests.conftest import REPO
from tests.fakes.clock import FakeClock


class Crash(BaseException):
    """The process dying: nothing after it runs (not even `except Exception`)."""


def crash_at(point: str, nth: int):  # type: ignore[no-untyped-def]
    seen = []

    def checkpoint(where: str, address: str) -> None:
        if where == point:
            seen.append(address)
            if len(seen) == nth:
                raise Crash(f"{point} of {address}")

    return checkpoint


def assert_exactly_the_declared_jobs(project: Project) -> None:
    assert project.live_names() == DECLARED
    state = project.state()
    assert sorted(r.job_name for r in state.jobs.values()) == DECLARED
    assert all(r.arn is not None and r.arn.endswith("/" + r.job_name) for r in state.jobs.values())


@pytest.mark.parametrize("point", ["after_intent", "after_create"])
@pytest.mark.parametrize("nth", [1, 3, 5])
def test_crash_between_create_and_state_write(project: Project, point: str, nth: int) -> None:
    with pytest.raises(Crash):
        project.apply(checkpoint=crash_at(point, nth))
    assert len(project.live_names()) >= (nth if point == "after_create" else nth - 1)
    assert project.apply(wait=True) == 0
    assert_exactly_the_declared_jobs(project)
    assert all(r.status is JobStatus.COMPLETED for r in project.state().jobs.values())


def test_a_lost_create_answer_is_adopted_by_the_next_plan(project: Project) -> None:
    with pytest.raises(Crash):  # one create at a time: the first one's answer is lost
        project.apply("--parallelism", "1", checkpoint=crash_at("after_create", 1))
    plan = project.plan()
    after = [c for c in plan.changes if c.reason is ActionReason.INTERRUPTED_AFTER_CREATE]
    assert len(after) == 1 and after[0].action.value == "import"
    before = [c for c in plan.changes if c.reason is ActionReason.INTERRUPTED_BEFORE_CREATE]
    assert len(before) == 4 and {c.action.value for c in before} == {"create"}


def test_throttling_never_duplicates(project: Project) -> None:
    outcomes: list[int] = []
    for _ in range(60):  # a run makes about 10 calls before its creates: 5% of runs go through
        project.faults = {"throttle_fraction": 0.3, "seed": len(outcomes)}
        outcomes.append(project.apply())  # 1: a throttled refresh or create stopped the run
        project.faults = {}
        if outcomes[-1] == 0 and not project.plan().has_changes:
            break
    assert outcomes[-1] == 0
    assert 1 in outcomes  # throttling did stop some runs
    assert project.apply(wait=True) == 0
    assert_exactly_the_declared_jobs(project)


def _kill_when(root: Path, records: int) -> None:
    """Run apply in a real process and SIGKILL it once the state holds `records` records."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", "--parallelism", "2"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    state = root / ".reconciler" / "state.json"
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if len(json.loads(state.read_text())["jobs"]) >= records:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.005)  # poll
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.parametrize("kills", [(1,), (2, 4), (1, 3, 5)])
def test_killing_apply_at_any_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kills: tuple[int, ...]
) -> None:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copytree(REPO / "example-data", tmp_path / "example-data")
    config = tmp_path / "example-data" / "emulator.yaml"
    config.write_text(config.read_text() + "faults: {latencySeconds: 0.2}\n")
    for records in kills:
        _kill_when(tmp_path, records)
    monkeypatch.chdir(tmp_path)
    project = Project(root=tmp_path, clock=FakeClock(time.time()))
    project.faults = {"latency_seconds": 0}  # the last apply runs in process, at full speed
    assert project.apply() == 0, project.out.getvalue() + project.err.getvalue()
    assert_exactly_the_declared_jobs(project)
