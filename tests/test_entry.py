"""The process around the command line: what Ctrl-C, SIGTERM and the machine's errors become."""

from __future__ import annotations

import errno
import io

import pytest

import reconciler.cli
from reconciler.cli import main
from reconciler.entry import run
from reconciler.errors import Terminated
from reconciler.runtime import Runtime
from reconciler.settings import StateSettings
from reconciler.state.interface import StateBackend


@pytest.mark.parametrize(
    ("raised", "code", "said"),
    [(KeyboardInterrupt, 130, "Interrupted.\n"), (Terminated, 143, "Terminated.\n")],
)
def test_defect_04_a_signal_before_main_handles_it_is_a_clean_exit(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: type[BaseException],
    code: int,
    said: str,
) -> None:
    def starting() -> int:
        raise raised()

    monkeypatch.setattr(reconciler.cli, "main", starting)
    with pytest.raises(SystemExit) as info:
        run()
    assert info.value.code == code
    assert capsys.readouterr().err == said


def test_terminated_while_a_command_runs_exits_143(tmp_path: object) -> None:
    def terminated(settings: StateSettings) -> StateBackend:
        raise Terminated()

    err = io.StringIO()
    runtime = Runtime(environ={}, out=io.StringIO(), err=err, make_backend=terminated)
    assert main(["status", "-m", "nowhere"], runtime) == 143
    assert err.getvalue() == "Terminated.\n"


def test_defect_04_an_error_of_the_machine_is_one_line() -> None:
    def full(settings: StateSettings) -> StateBackend:
        raise OSError(errno.ENOSPC, "No space left on device", ".reconciler/state.json")

    err = io.StringIO()
    runtime = Runtime(environ={}, out=io.StringIO(), err=err, make_backend=full)
    assert main(["status", "-m", "nowhere"], runtime) == 1
    assert err.getvalue() == "Error: No space left on device: .reconciler/state.json\n"
