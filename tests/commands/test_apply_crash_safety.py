"""Stopping apply anywhere, then applying again, never duplicates or loses a job.

Crashes are injected in process at each checkpoint; and apply really is killed (SIGKILL) in a
process of its own, once per state backend in the default lane (local, s3), and at more moments
in the process lane (`pytest -m process`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from reconciler.models import JobStatus
from reconciler.planning.model import ActionReason
from reconciler.settings import StateSettings
from reconciler.state.s3 import S3Backend
from tests.commands.conftest import DECLARED, Project
from tests.conftest import REPO
from tests.fakes.clock import FakeClock
from tests.s3server import s3_client


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


def _local_state(root: Path) -> Callable[[], bytes]:
    state = root / ".reconciler" / "state.json"
    return state.read_bytes


def _kill_when(root: Path, records: int, state: Callable[[], bytes] | None = None) -> int:
    """Run apply in a real process and SIGKILL it once the state (read by `state`: the local
    file by default) holds `records` records; its process ID."""
    read = state or _local_state(root)
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", "--parallelism", "2"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if len(json.loads(read())["jobs"]) >= records:
                break
        except (OSError, ValueError, KeyError, ClientError):
            pass
        time.sleep(0.005)  # poll
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return process.pid


def _slow_example(root: Path) -> None:
    """The example, each call of its emulator taking 0.2 s: a kill lands between calls."""
    shutil.copytree(REPO / "manifests", root / "manifests")
    shutil.copytree(REPO / "example-data", root / "example-data")
    config = root / "example-data" / "emulator.yaml"
    config.write_text(config.read_text() + "faults: {latencySeconds: 0.2}\n")


@pytest.mark.parametrize(
    "kills",
    [
        pytest.param((1,), marks=pytest.mark.process),
        pytest.param((2, 4), marks=pytest.mark.process),
        (1, 3, 5),  # the local backend's kill test of the default lane
    ],
)
def test_killing_apply_at_any_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kills: tuple[int, ...]
) -> None:
    _slow_example(tmp_path)
    for records in kills:
        _kill_when(tmp_path, records)
    monkeypatch.chdir(tmp_path)
    project = Project(root=tmp_path, clock=FakeClock(time.time()))
    project.faults = {"latency_seconds": 0}  # the last apply runs in process, at full speed
    assert project.apply() == 0, project.out.getvalue() + project.err.getvalue()
    assert_exactly_the_declared_jobs(project)


@pytest.mark.usefixtures("s3_credentials")
def test_killing_apply_with_the_state_in_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_settings: StateSettings, s3_endpoint: str
) -> None:
    """The s3 backend's kill test: the killed run's lock object stays (S3 has no process to
    notice it died) and names it; force-unlock removes it; the next apply leaves exactly the
    declared jobs, each recorded once."""
    _slow_example(tmp_path)
    settings = tmp_path / "manifests" / "settings.yaml"
    state = s3_settings.model_dump_json(by_alias=True, exclude_none=True)
    settings.write_text(settings.read_text() + f"state: {state}\n")
    bucket = s3_client(s3_endpoint)

    def stored() -> bytes:
        body = bucket.get_object(Bucket=s3_settings.bucket, Key=s3_settings.key)["Body"]
        data: bytes = body.read()
        return data

    killed = _kill_when(tmp_path, 3, stored)
    monkeypatch.chdir(tmp_path)
    project = Project(root=tmp_path, clock=FakeClock(time.time()))
    project.faults = {"latency_seconds": 0}  # the runs after it in process, at full speed
    assert project.apply() == 1
    stuck = S3Backend(s3_settings).holder()
    assert stuck is not None and stuck.pid == killed
    assert f"lock ID {stuck.id}" in project.err.getvalue()
    assert project.run("force-unlock", stuck.id, "--force") == 0
    assert project.apply() == 0, project.out.getvalue() + project.err.getvalue()
    assert project.live_names() == DECLARED
    recorded = S3Backend(s3_settings).load()
    assert recorded is not None
    assert sorted(r.job_name for r in recorded.jobs.values()) == DECLARED
    assert S3Backend(s3_settings).holder() is None
