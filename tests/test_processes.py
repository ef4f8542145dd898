"""The few things only a real process shows: the installed `reconciler` command end to end, a
lock held by another process, Ctrl-C (these are in the process lane: `pytest -m process`), and
what a command imports (a fresh interpreter, in the default lane). Everything else runs in
process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import children
from tests.commands.conftest import copy_example
from tests.conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy_example(tmp_path)
    return tmp_path


def fast(project: Path, pending: float = 0, running: float = 0) -> None:
    """Jobs finish as soon as they are looked at: nothing in the test waits in real time."""
    config = project / "example-data" / "emulator.yaml"
    text = config.read_text().replace("pendingSeconds: 2", f"pendingSeconds: {pending}")
    config.write_text(text.replace("inProgressSeconds: 3", f"inProgressSeconds: {running}"))


# The console script `pip install` made, where there is one (CI installs it); else the module.
SCRIPT = shutil.which("reconciler", path=os.path.dirname(sys.executable))
ENTRY = [SCRIPT] if SCRIPT else [sys.executable, "-m", "reconciler"]


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRY, *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def start(project: Path, *args: str) -> subprocess.Popen[str]:
    return children.start(
        [*ENTRY, *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},  # lines as said
    )


def read_until(process: subprocess.Popen[str], said: str, times: int) -> None:
    """Read the process's output until it has said `said` `times` times (it is then past the
    point the test needs); an end of output before that fails the test."""
    assert process.stdout is not None
    seen = 0
    while seen < times:
        line = process.stdout.readline()
        assert line, f"the process ended before saying {said!r} {times} times"
        seen += said in line


def wait_for_lock(project: Path) -> None:
    lock = project / ".reconciler" / "state.json.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text()):
        assert time.monotonic() < deadline, "no run took the lock"
        time.sleep(0.02)  # poll


@pytest.mark.process
def test_quick_start_flow(project: Path) -> None:
    fast(project)
    applied = run(project, "apply", "--auto-approve", "--wait")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 5 created, 0 imported, 0 forgotten." in applied.stdout
    assert applied.stdout.count("-> COMPLETED") == 5
    checked = run(project, "check")
    assert checked.returncode == 0
    assert "check: converged (5 of 5 declared jobs COMPLETED)" in checked.stdout


@pytest.mark.process
def test_a_second_apply_is_refused_while_the_first_runs(project: Path) -> None:
    fast(project, pending=3600)
    first = start(project, "apply", "--auto-approve", "--wait")
    try:
        wait_for_lock(project)
        second = run(project, "apply", "--auto-approve")
        assert second.returncode == 1
        assert f"(apply, pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait(timeout=30)
    assert run(project, "apply", "--auto-approve").returncode == 0  # a killed holder never blocks


@pytest.mark.process
@pytest.mark.parametrize(
    ("sent", "code", "said"),
    [(signal.SIGINT, 130, "Interrupted.\n"), (signal.SIGTERM, 143, "Terminated.\n")],
)
def test_ctrl_c_and_sigterm_end_cleanly_and_release_the_lock(
    project: Path, sent: signal.Signals, code: int, said: str
) -> None:
    fast(project, pending=3600)
    process = start(project, "apply", "--auto-approve", "--wait")
    read_until(process, ": created: ", 5)  # then it tracks them (PENDING for an hour)
    process.send_signal(sent)
    _, err = children.finish(process, timeout=60)
    assert process.returncode == code
    assert err.endswith(said)
    assert "Traceback" not in err
    assert (project / ".reconciler" / "state.json.lock").read_text() == ""  # released
    planned = run(project, "plan", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout  # every job it created was recorded


def test_validate_and_schema_load_neither_boto3_nor_botocore_nor_the_emulator() -> None:
    """Only the emulator's settings file reader, to check the files the example's settings name:
    not the service, its model, its store or its server."""
    code = (
        "import sys\n"
        "from reconciler.cli import main\n"
        "assert main(['validate']) == 0\n"
        "assert main(['schema']) == 0\n"
        "reader = ('reconciler.emulator', 'reconciler.emulator.config',\n"
        "          'reconciler.emulator.errors', 'reconciler.emulator.inputs')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'sqlite3')\n"
        "          or m.startswith('reconciler.emulator') and m not in reader]\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.stdout.splitlines()[-1] == "LOADED []"
