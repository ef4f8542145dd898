"""Child processes the tests start: each is killed and reaped at the end of its test, whatever
the test did, and one that outlives its timeout is killed before the test fails.

A child gets SIGINT and SIGTERM as a command a user starts does: a process inherits the signals
its parent ignores and blocks (a test run started in the background of a shell without job
control ignores SIGINT; a thread may start a child with signals blocked), and a signal test
would then wait forever."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_started: list[subprocess.Popen[str]] = []
_parents: dict[int, str] = {}  # pid -> how its parent handled the signals when it started it


# Run first in the child, then replaced by the command itself (same process, same PID): Ctrl-C
# and SIGTERM delivered as to a user's command. Not a `preexec_fn`, which may deadlock a child
# forked from a test run that has threads (moto's server, the emulator's).
_AS_A_TERMINAL_STARTS_IT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM}); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def _parent_signals() -> str:
    blocked = sorted(signal.pthread_sigmask(signal.SIG_BLOCK, set()) & _SIGNALS)
    return f"SIGINT handler {signal.getsignal(signal.SIGINT)!r}, blocked {blocked}"


def start(argv: Sequence[str], **options: Any) -> subprocess.Popen[str]:
    """`subprocess.Popen(argv, text=True, **options)`, reaped when the test ends."""
    launched = [sys.executable, "-c", _AS_A_TERMINAL_STARTS_IT, *argv]
    process: subprocess.Popen[str] = subprocess.Popen(launched, text=True, **options)
    _parents[process.pid] = _parent_signals()
    _started.append(process)
    return process


def finish(process: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Its stdout and stderr once it ends; past `timeout`, it is killed and reaped first."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        said = (
            f"\n--- stdout (end):\n{(out or '')[-3000:]}\n--- stderr (end):\n{(err or '')[-3000:]}"
        )
        parent = _parents.get(process.pid, "?")
        raise AssertionError(
            f"{process.args!r} did not end within {timeout} s: killed (its parent: {parent})" + said
        ) from None
    return out or "", err or ""


def first_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The first line the process writes on stdout, waited for `timeout` at most (killed and
    reaped past it)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        process.kill()
        process.communicate()
        raise AssertionError(f"{process.args!r} said nothing within {timeout} s: killed")
    return process.stdout.readline()


@pytest.fixture(autouse=True)
def reap_children() -> Iterator[None]:
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
        process.communicate()
        _parents.pop(process.pid, None)
