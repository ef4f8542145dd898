"""Erasure requests with deadlines, on the emulator with a fake clock (2026-09-21 today): a
request due soon warns and fails `check` (6), an overdue one is attention and fails it (5), and
plan shows each open request's due date and days left."""

from __future__ import annotations

import json
from datetime import timedelta

from reconciler.exitcodes import ExitCode
from tests.commands.conftest import Project


def _request(project: Project, request: str, days_ago: int, regime: str = "gdpr") -> str:
    received = (project.clock.datetime() - timedelta(days=days_ago)).date()
    project.write_manifest(
        f"{request}.yaml",
        f"apiVersion: reconciler/v1\nkind: Request\nid: {request}\n"
        f"receivedAt: {received.isoformat()}\nregime: {regime}\n",
    )
    return received.isoformat()


def test_a_gdpr_request_received_25_days_ago_warns_and_fails_check(project: Project) -> None:
    _request(project, "PRIV-1234", 25)  # received 2026-08-27: due 2026-09-27
    assert project.apply() == 0
    assert project.check() == ExitCode.DUE_SOON  # wins over the jobs still running (4)
    out = project.out.getvalue()
    assert "due soon: PRIV-1234 (gdpr): due 2026-09-27, 6 days left, 0 of 1 jobs COMPLETED\n" in out
    assert out.endswith("check: requests due soon (0 of 5 declared jobs COMPLETED)\n")
    project.clock.advance(60)  # every job COMPLETED: the request is done, the check passes
    assert project.check() == ExitCode.OK


def test_a_request_received_40_days_ago_with_a_job_pending_is_attention(project: Project) -> None:
    _request(project, "PRIV-1234", 40)  # due 2026-09-12
    assert project.apply() == 0  # created, PENDING: an overdue request does not fail apply
    assert "PRIV-1234: request due 2026-09-12 (gdpr), overdue by 9 days" in project.err.getvalue()
    assert project.check() == ExitCode.FAILED
    out = project.out.getvalue()
    assert (
        "overdue: PRIV-1234: request due 2026-09-12 (gdpr), overdue by 9 days. Next: run "
        "`reconciler apply` for its jobs not created yet and look at any FAILED one "
        "(`reconciler status`; 0 of 1 COMPLETED); if the law allows, in a pull request set "
        "extendedUntil with a reason on its Request (and tell the requester)\n"
    ) in out
    assert project.run("plan", "--detailed-exitcode") == ExitCode.CHANGES
    assert "1 request overdue" in project.out.getvalue()


def test_check_github_names_the_request_and_its_days_left(project: Project) -> None:
    _request(project, "PRIV-1234", 25)
    _request(project, "PRIV-1240", 3, regime="ccpa")  # due 2026-11-02: 42 days left
    summary = project.root / "summary.md"
    project.environ["GITHUB_STEP_SUMMARY"] = str(summary)
    assert project.apply() == 0
    assert project.run("check", "--format", "github") == ExitCode.DUE_SOON
    out = project.out.getvalue()
    assert "::warning file=manifests/PRIV-1234.yaml,line=3,col=5" in out
    text = summary.read_text()
    assert "due soon: PRIV-1234 (gdpr): due 2026-09-27, 6 days left" in text
    assert "open request: PRIV-1240 (ccpa): due 2026-11-02, 42 days left" in text


def test_plan_shows_each_open_request_in_every_format(project: Project) -> None:
    _request(project, "PRIV-1234", 25)
    _request(project, "PRIV-9999", 1)  # no job carries it: open, with 0 jobs
    assert project.run("plan") == 0
    text = project.out.getvalue()
    assert "Erasure requests open:\n  PRIV-1234 (gdpr): due 2026-09-27, 6 days left" in text
    assert "PRIV-9999 (gdpr): due 2026-10-20, 29 days left, 0 of 0 jobs COMPLETED" in text
    # jobs tagged with a request no Request declares: a warning, once any request is declared
    assert "request 'PRIV-1201' is not declared" in text
    assert project.run("plan", "--format", "markdown") == 0
    assert "| `PRIV-1234` | gdpr | 2026-09-27 | ⚠️ 6 days left | 0 of 1 |" in project.out.getvalue()
    assert project.run("plan", "--format", "json") == 0
    requests = json.loads(project.out.getvalue())["requests"]
    assert [(r["id"], r["due"], r["days_left"], r["standing"]) for r in requests] == [
        ("PRIV-1234", "2026-09-27", 6, "due soon"),
        ("PRIV-9999", "2026-10-20", 29, "open"),
    ]


def test_without_requests_tags_stay_plain_tags(project: Project) -> None:
    assert project.run("plan") == 0
    assert "is not declared" not in project.out.getvalue()
    assert "Erasure requests" not in project.out.getvalue()
