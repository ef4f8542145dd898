"""Faults the tool must survive with every invariant intact (see harness.py): kills and signals
at random moments, an emulator server killed and restarted, a throttling and failing service
that loses answers, and applies racing for the lock.

One seeded trial of each: the scenarios of real processes in the process lane (`pytest -m
process`), the one in process (throttling) in the default lane.
`RECONCILER_RELIABILITY=full pytest tests/reliability` runs the full set (at least 50 kill
trials): in full mode no scenario is marked `process`, so the default `-m "not process"` of
pyproject.toml selects them all (and `-m process` none).
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

import tests.commands.conftest as commands
from reconciler.emulator.config import load_config
from reconciler.emulator.service import EmulatorService
from reconciler.settings import Settings
from tests.fakes.clock import FakeClock
from tests.providers.conftest import aws_provider, serve
from tests.reliability.harness import FULL, Project

# Jobs take about a second each way and every call 50 ms: an apply --wait runs for seconds,
# with creates in flight at any moment a signal may land.
SLOW = "pendingSeconds: 0.5\ninProgressSeconds: 0.5\nfaults: {latencySeconds: 0.05}\n"
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}
EXITS = {signal.SIGKILL: -9, signal.SIGINT: 130, signal.SIGTERM: 143}
KILL_TRIALS = [(name, seed) for seed in range(17 if FULL else 1) for name in SIGNALS]

F = TypeVar("F", bound=Callable[..., None])


def process_lane(test: F) -> F:
    """A scenario of real processes started, signalled and killed: marked for the process lane,
    but in the full run (which the default `-m "not process"` must not hide)."""
    return test if FULL else pytest.mark.process(test)


def converge(project: Project) -> None:
    """Apply --wait in process (the emulator on a clock that moves as it sleeps) to the end."""
    inside = commands.Project(root=project.root, clock=FakeClock(time.time()))
    inside.faults = {"latency_seconds": 0}
    code = inside.apply(wait=True)
    project.outputs += [inside.out.getvalue(), inside.err.getvalue()]
    assert code == 0, inside.out.getvalue() + inside.err.getvalue()


@process_lane
@pytest.mark.parametrize(("name", "seed"), KILL_TRIALS)
def test_a_signal_at_a_random_moment_of_apply_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, seed: int
) -> None:
    project = Project.copy(tmp_path, emulator=SLOW)
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"{name}-{seed}")
    for _ in range(2):  # twice on the same project: a second signal lands on a resumed run
        process = project.start("apply", "--auto-approve", "--wait")
        project.wait_for_lock()
        time.sleep(rng.uniform(0, 1.5))
        sent = SIGNALS[name]
        process.send_signal(sent)
        code = project.finish(process)
        assert code in (EXITS[sent], 0, -sent), code  # 0: it had finished before the signal
        if code == -sent and sent is not signal.SIGKILL:  # the signal hit the interpreter's
            assert "Apply complete:" in project.outputs[-2]  # shutdown, after the run ended
        elif code != 0 and sent is not signal.SIGKILL:
            assert project.outputs[-1].endswith(("Interrupted.\n", "Terminated.\n"))
        project.check_lock(emptied=sent is not signal.SIGKILL)
    converge(project)
    project.check()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(key, value)
    yield


@process_lane
@pytest.mark.usefixtures("aws_credentials")
@pytest.mark.parametrize("seed", range(5 if FULL else 1))
def test_the_emulator_server_killed_mid_apply_and_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    project = Project.copy(tmp_path, emulator=SLOW)
    (tmp_path / "manifests" / "settings.yaml").write_text(  # quick to give up: one try, 0.2 s
        "apiVersion: reconciler/v1\nkind: Settings\nprovider: {name: local, maxAttempts: 1, "
        "emulatorConfig: example-data/emulator.yaml}\n"
        "polling: {intervalSeconds: 0.1, maxIntervalSeconds: 0.2}\n"
    )
    monkeypatch.chdir(tmp_path)
    rng = random.Random(seed)
    config = ("--config", "example-data/emulator.yaml", "--port", "0")
    server = project.start("emulator", "serve", *config)
    assert server.stdout is not None
    url = server.stdout.readline().split()[-1]
    aws = {"RECONCILER_PROVIDER": "aws", "RECONCILER_ENDPOINT_URL": url}
    apply = project.start("apply", "--auto-approve", "--wait", "--skip-preflight", **aws)
    project.wait_for_lock()
    time.sleep(rng.uniform(0, 1.0))
    server.kill()
    server.wait(timeout=30)
    assert project.finish(apply, timeout=60) == 1  # the service went away: an error, no hang
    assert "cannot reach the service" in project.outputs[-2] + project.outputs[-1]
    project.check_lock()
    server = project.start("emulator", "serve", *config)
    assert server.stdout is not None
    url = server.stdout.readline().split()[-1]
    try:
        aws["RECONCILER_ENDPOINT_URL"] = url
        again = project.run("apply", "--auto-approve", "--wait", "--skip-preflight", **aws)
        assert again == 0, project.outputs[-2:]
    finally:
        server.terminate()
        server.wait(timeout=30)
    project.check()


@pytest.mark.parametrize("seed", range(3 if FULL else 1))
def test_defect_08_a_throttling_failing_service_that_loses_answers_converges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """50 jobs in one group through boto3 over HTTP: 30 % of calls throttled, 5 % answered
    with HTTP 500, 5 % carried out with the answer lost. One apply --wait ends with exit 0."""
    project = Project.copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    jobs = "".join(
        f"  - jobName: bulk-{i:02d}\n"
        f"    dataSource: {{dataLocation: s3://acme-privacy/shop-eu/2026-w47.csv}}\n"
        for i in range(45)
    )
    (tmp_path / "manifests" / "bulk.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
        f"datasetGroupArn: {commands.GROUP_EU}\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n" + jobs
    )
    inside = commands.Project(root=tmp_path, clock=FakeClock())
    monkeypatch.setattr(time, "sleep", inside.clock.sleep)  # botocore's backoff on the clock
    servers: list[Iterator[str]] = []

    def over_http(settings: Settings) -> object:
        config = load_config(Path("example-data/emulator.yaml"))
        faults = {"throttle_fraction": 0.3, "error_fraction": 0.05, "drop_fraction": 0.05}
        config = config.model_copy(
            update={"faults": config.faults.model_copy(update={**faults, "seed": seed})}
        )
        servers.append(serve(EmulatorService(config, clock=inside.clock)))
        return aws_provider(next(servers[-1]), max_attempts=5)

    inside.provider = over_http  # type: ignore[assignment,method-assign]
    try:
        code = inside.apply("--parallelism", "1", "--skip-preflight", wait=True)  # S3: not here
    finally:
        for server in servers:
            next(server, None)
    project.outputs += [inside.out.getvalue(), inside.err.getvalue()]
    assert code == 0, inside.out.getvalue()[-2000:]
    assert "Apply complete: " in inside.out.getvalue()
    project.check()
    assert len(project.service().list_jobs(commands.GROUP_EU)) == 48  # 3 + 45, each once


@process_lane
def test_four_applies_at_once_three_are_refused_naming_the_one_that_holds_the_lock(
    tmp_path: Path,
) -> None:
    # Jobs stay PENDING: whichever apply takes the lock holds it (tracking) until it is stopped,
    # so the other three are refused however slowly a loaded machine starts them.
    project = Project.copy(tmp_path, emulator="pendingSeconds: 3600\n")
    processes = [project.start("apply", "--auto-approve", "--wait") for _ in range(4)]
    project.wait_for_lock()
    ended = wait_for_ended(processes, count=3)
    [holder] = [p for p in processes if p not in ended]
    for process in ended:
        assert project.finish(process) == 1
        err = project.outputs[-1]
        assert f"(apply, pid {holder.pid})" in err, err
        assert "no lock details were readable" not in err
    holder.send_signal(signal.SIGINT)
    assert project.finish(holder) == EXITS[signal.SIGINT]
    project.check_lock()
    project.check_serial()


@process_lane
def test_four_applies_at_once_with_a_lock_timeout_each_apply_in_turn(tmp_path: Path) -> None:
    project = Project.copy(tmp_path, emulator="faults: {latencySeconds: 0.02}\n")
    options = ["--lock-timeout", "2m"]
    processes = [project.start("apply", "--auto-approve", *options) for _ in range(4)]
    assert [project.finish(p) for p in processes] == [0, 0, 0, 0]
    project.check()


def wait_for_ended(
    processes: list[subprocess.Popen[str]], count: int, timeout: float = 120
) -> list[subprocess.Popen[str]]:
    """The first `count` of `processes` to end (waiting for them, never for a fixed time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ended = [p for p in processes if p.poll() is not None]
        if len(ended) >= count:
            return ended
        time.sleep(0.05)  # poll
    raise AssertionError(f"fewer than {count} processes ended within {timeout} s")
