"""Who ran a create and who approved it: the run read from a GitHub Actions environment (each
value checked, an unusable one left out) or the host and user, the approval's checks, and the
`Provenance` a create records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.models import RunInfo
from reconciler.provenance import (
    MAX_APPROVERS,
    approval_problem,
    approvers,
    provenance,
    run_info,
    split_approvers,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/privacy",
    "GITHUB_RUN_ID": "9876543210",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SHA": SHA,
    "GITHUB_WORKFLOW": "reconciler apply",
    "GITHUB_ACTOR": "octo-cat",
}


def test_a_github_actions_run_is_named_by_its_page() -> None:
    run = run_info(GITHUB, host="runner-1", user="runner")
    assert run == RunInfo(
        kind="github",
        url="https://github.com/acme/privacy/actions/runs/9876543210",
        repository="acme/privacy",
        run_id="9876543210",
        run_attempt="1",
        sha=SHA,
        workflow="reconciler apply",
        actor="octo-cat",
    )
    assert run.describe() == "GitHub run https://github.com/acme/privacy/actions/runs/9876543210"


def test_a_second_attempt_is_named_as_such() -> None:
    run = run_info({**GITHUB, "GITHUB_RUN_ATTEMPT": "3"}, host="h", user="u")
    assert run.url == "https://github.com/acme/privacy/actions/runs/9876543210/attempts/3"


def test_a_github_enterprise_server_and_a_bot_actor() -> None:
    environ = {
        **GITHUB,
        "GITHUB_SERVER_URL": "https://git.example.com:8443/",
        "GITHUB_ACTOR": "dependabot[bot]",
    }
    run = run_info(environ, host="h", user="u")
    assert run.url == "https://git.example.com:8443/acme/privacy/actions/runs/9876543210"
    assert run.actor == "dependabot[bot]"


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {**GITHUB, "GITHUB_ACTIONS": "false"},
        {**GITHUB, "GITHUB_ACTIONS": "1"},
        {k: v for k, v in GITHUB.items() if k != "GITHUB_RUN_ID"},
        {**GITHUB, "GITHUB_REPOSITORY": ""},
    ],
    ids=["no-ci", "actions-false", "actions-1", "no-run-id", "empty-repository"],
)
def test_anywhere_else_the_run_is_the_host_and_user(environ: dict[str, str]) -> None:
    run = run_info(environ, host="laptop.local", user="jane")
    assert run == RunInfo(kind="host", host="laptop.local", user="jane")
    assert run.describe() == "jane on laptop.local"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_SERVER_URL", "http://github.com"),  # not https
        ("GITHUB_SERVER_URL", "https://github.com/evil path"),
        ("GITHUB_SERVER_URL", "javascript:alert(1)"),
        ("GITHUB_REPOSITORY", "acme"),
        ("GITHUB_REPOSITORY", "acme/privacy/../x"),
        ("GITHUB_REPOSITORY", "acme/.."),
        ("GITHUB_REPOSITORY", "acme/privacy\n::error::x"),
        ("GITHUB_RUN_ID", "123abc"),
        ("GITHUB_RUN_ID", "1" * 21),
    ],
)
def test_an_unusable_part_of_the_runs_page_leaves_the_page_out(name: str, value: str) -> None:
    run = run_info({**GITHUB, name: value}, host="h", user="u")
    assert run.kind == "github" and run.url is None
    field = {"GITHUB_REPOSITORY": "repository", "GITHUB_RUN_ID": "run_id"}.get(name)
    if field is not None:
        assert getattr(run, field) is None  # left out, not recorded as given
    assert value not in run.model_dump_json()


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("GITHUB_SHA", "not-a-sha", "sha"),
        ("GITHUB_SHA", SHA[:39], "sha"),
        ("GITHUB_ACTOR", "octo cat", "actor"),
        ("GITHUB_ACTOR", "$(id)", "actor"),
        ("GITHUB_ACTOR", "a" * 40, "actor"),
        ("GITHUB_WORKFLOW", "apply\x1b[31m", "workflow"),
        ("GITHUB_WORKFLOW", "apply\u202eylppa", "workflow"),
        ("GITHUB_WORKFLOW", "w" * 201, "workflow"),
        ("GITHUB_RUN_ATTEMPT", "two", "run_attempt"),
    ],
)
def test_an_unusable_value_is_left_out_and_the_rest_kept(name: str, value: str, field: str) -> None:
    run = run_info({**GITHUB, name: value}, host="h", user="u")
    assert getattr(run, field) is None
    assert run.url is not None and run.url.startswith("https://github.com/acme/privacy/")


def test_a_sha256_repositorys_commit_is_kept() -> None:
    long_sha = "ab" * 32
    assert run_info({**GITHUB, "GITHUB_SHA": long_sha}, host="h", user="u").sha == long_sha


def test_a_host_or_user_with_control_characters_is_left_out() -> None:
    run = run_info({}, host="evil\nhost", user="x" * 201)
    assert run == RunInfo(kind="host", host=None, user=None)
    assert run.describe() == "unknown user on unknown host"


def test_approvers_are_kept_once_in_the_order_given() -> None:
    assert approvers([" alice ", "bob", "", "alice", "carol"]) == ("alice", "bob", "carol")
    assert split_approvers("alice, bob,,alice ,merged-by:carol") == (
        "alice",
        "bob",
        "merged-by:carol",
    )
    assert split_approvers(" , ") == ()


@pytest.mark.parametrize(
    ("change_ref", "approved_by", "expected"),
    [
        ("https://github.com/acme/privacy/pull/12", ("alice", "Jane Doe"), None),
        (None, (), None),
        ("x" * 200, ("y" * 200,), None),
        ("x" * 201, (), "--change-ref (or RECONCILER_CHANGE_REF) must be 1 to 200"),
        ("", (), "--change-ref (or RECONCILER_CHANGE_REF) must be 1 to 200"),
        ("PR 1\n::error::x", (), "--change-ref"),
        (None, ("alice", "bob\x1b[2J"), "approver 2: must be 1 to 200 printable characters"),
        (None, ("a\u202eb",), "approver 1"),
        (None, ("y" * 201,), "approver 1"),
        (None, tuple(f"a{i}" for i in range(MAX_APPROVERS)), None),
        (None, tuple(f"a{i}" for i in range(MAX_APPROVERS + 1)), "names 21 approvers: at most 20"),
    ],
)
def test_the_approval_is_checked(
    change_ref: str | None, approved_by: tuple[str, ...], expected: str | None
) -> None:
    problem = approval_problem(change_ref, approved_by)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem
        assert "::error" not in problem and "\x1b" not in problem  # never the value itself


def test_provenance_records_who_approved_and_who_ran_it() -> None:
    run = run_info(GITHUB, host="h", user="u")
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    made = provenance(
        principal="arn:aws:sts::123456789012:assumed-role/reconciler-apply/GitHubActions",
        run=run,
        plan_id="6f1c0d2e",
        plan_digest="sha256:abc",
        change_ref="https://github.com/acme/privacy/pull/12",
        approved_by=("alice", "merged-by:bob", "alice"),
        recorded=now,
    )
    assert made.principal == "arn:aws:sts::123456789012:assumed-role/reconciler-apply/GitHubActions"
    assert made.run == run and made.plan_id == "6f1c0d2e" and made.plan_digest == "sha256:abc"
    assert made.change_ref == "https://github.com/acme/privacy/pull/12"
    assert made.approved_by == ("alice", "merged-by:bob")
    assert made.recorded == now


def test_a_plan_made_in_the_same_run_without_an_approval() -> None:
    made = provenance(
        principal=None,
        run=run_info({}, host="h", user="u"),
        plan_id="p",
        plan_digest=None,
        change_ref=None,
        approved_by=(),
        recorded=datetime(2026, 11, 20, tzinfo=UTC),
    )
    assert (made.principal, made.plan_digest, made.change_ref, made.approved_by) == (
        None,
        None,
        None,
        (),
    )


def test_a_principal_that_is_not_a_printable_value_is_left_out() -> None:
    def made(principal: str) -> str | None:
        return provenance(
            principal=principal,
            run=run_info({}, host="h", user="u"),
            plan_id="p",
            plan_digest=None,
            change_ref=None,
            approved_by=(),
            recorded=datetime(2026, 11, 20, tzinfo=UTC),
        ).principal

    assert made("arn:aws:iam::1:user/x\n::error::y") is None
    assert made("arn:aws:iam::1:user/" + "x" * 3000) is None
    assert made("") is None
