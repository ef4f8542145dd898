"""`apply --change-ref TEXT --approved-by NAME…` (and RECONCILER_CHANGE_REF /
RECONCILER_APPROVED_BY): the command line hands them to the apply use case, and refuses what
cannot be recorded with one message and exit 1, before anything is created."""

from __future__ import annotations

import pytest

from reconciler.usecases.apply import ApplyInputs
from tests.commands.conftest import Project, spy_on_apply


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[ApplyInputs]:
    """The inputs each apply prepared with, after their checks."""
    return spy_on_apply(monkeypatch)


def test_the_flags_reach_the_apply(project: Project, seen: list[ApplyInputs]) -> None:
    flags = ["--change-ref", "https://github.com/acme/privacy/pull/12"]
    flags += ["--approved-by", "alice", "--approved-by", "Jane Doe, DPO"]  # one name each
    assert project.apply(*flags) == 0, project.err.getvalue()
    assert [(i.change_ref, i.approved_by) for i in seen] == [
        ("https://github.com/acme/privacy/pull/12", ("alice", "Jane Doe, DPO"))
    ]


def test_the_environment_gives_them_for_ci(project: Project, seen: list[ApplyInputs]) -> None:
    project.environ.update(
        {"RECONCILER_CHANGE_REF": "CHG-42", "RECONCILER_APPROVED_BY": "alice,merged-by:bob"}
    )
    assert project.apply() == 0, project.err.getvalue()
    assert project.apply("--approved-by", "carol") == 0  # a flag wins over its variable
    assert [(i.change_ref, i.approved_by) for i in seen] == [
        ("CHG-42", ("alice", "merged-by:bob")),
        ("CHG-42", ("carol",)),
    ]


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--change-ref", "x" * 201], "--change-ref (or RECONCILER_CHANGE_REF) must be 1 to 200"),
        (["--approved-by", "ok", "--approved-by", "evil\n::error::x"], "approver 2: must be"),
        (
            [arg for i in range(21) for arg in ("--approved-by", f"a{i}")],
            "names 21 approvers: at most 20",
        ),
        (["--approved-by", "alice", "--approved-by", " "], "--approved-by was given no name"),
    ],
)
def test_what_cannot_be_recorded_is_refused_and_nothing_created(
    project: Project, flags: list[str], said: str
) -> None:
    assert project.apply(*flags) == 1
    assert said in project.err.getvalue()
    assert "::error::x" not in project.err.getvalue()
    assert project.live_names() == []
