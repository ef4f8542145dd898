"""apply's exit code, decided from what a run's jobs came to and what it leaves undone: the
run's own error (1) wins over a declared job that needs a person (5), which wins over 0."""

from __future__ import annotations

import pytest

from reconciler.applying.executor import Result
from reconciler.applying.verdict import CODES, Undone, Unfinished, exit_code
from reconciler.exitcodes import ExitCode

ERROR, FAILED, OK = ExitCode.ERROR, ExitCode.FAILED, ExitCode.OK


def test_every_kind_of_undone_says_what_it_makes_of_the_exit_code() -> None:
    assert set(CODES) == set(Undone)
    needs_a_person = {u for u, code in CODES.items() if code is FAILED}
    assert needs_a_person == {Undone.ATTENTION, Undone.FAILED, Undone.MISSING}
    assert {u for u, code in CODES.items() if code is OK} == {Undone.HELD}


@pytest.mark.parametrize(
    ("results", "undone", "code"),
    [
        ([], [], OK),
        ([Result.CREATED, Result.IMPORTED, Result.FORGOTTEN], [], OK),
        ([Result.QUEUED], [Undone.HELD], OK),  # held for a busy group: the next apply
        ([], [Undone.ATTENTION], FAILED),  # the plan's FAILED, missing or unmatched
        ([Result.CREATED], [Undone.FAILED], FAILED),  # ended FAILED while waiting
        ([], [Undone.MISSING, Undone.HELD], FAILED),
        ([Result.FAILED], [], ERROR),  # a create that failed
        ([Result.UNKNOWN], [Undone.ATTENTION], ERROR),  # not confirmed: 1 wins over 5
        ([], [Undone.ATTENTION, Undone.PREFLIGHT], ERROR),
        ([], [Undone.FAILED, Undone.RUNNING], ERROR),  # --timeout, or the service unreadable
        ([], [Undone.FANOUT], ERROR),
        ([Result.CREATED], [Undone.MISSING, Undone.NOT_SAVED], ERROR),
    ],
)
def test_the_most_urgent_wins(results: list[Result], undone: list[Undone], code: ExitCode) -> None:
    assert exit_code(results, [Unfinished(u, 1) for u in undone]) is code
