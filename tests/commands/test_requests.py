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
    assert out.endswith("check: overdue requests (0 of 5 declared jobs COMPLETED)\n")
    assert project.run("plan", "--detailed-exitcode") == ExitCode.CHANGES
    assert "1 request overdue" in project.out.getvalue()


def test_check_github_names_the_request_and_its_days_left(project: Project) -> None:
    _request(project, "PRIV-1234", 25)
    _request(project, "PRIV-1240", 3, regime="ccpa")  # due 2026-11-02: 42 days left
    summary = project.root / "summary.md"
    project.environ["GITHUB_STEP_SUMMARY"] = str(summary)
    assert project.run("check", "--format", "github") == ExitCode.DUE_SOON  # wins over 2
    assert "not applied: shop-eu/gdpr-2026-w46: create" in project.out.getvalue()
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


def _declare(project: Project, request: str, received: str, regime: str, extra: str = "") -> None:
    project.write_manifest(
        f"{request}.yaml",
        f"apiVersion: reconciler/v1\nkind: Request\nid: {request}\nreceivedAt: {received}\n"
        f"regime: {regime}\n{extra}",
    )


def test_metrics_over_a_mixed_set_of_requests_match_hand_computed_figures(
    project: Project,
) -> None:
    # every job COMPLETED on 2026-09-21 (the fake clock's day), as recorded by apply --wait
    _declare(project, "PRIV-1201", "2026-09-01", "gdpr")  # due 10-01: 20 days, on time
    _declare(project, "PRIV-1234", "2026-08-01", "gdpr")  # due 09-01: 51 days, late
    _declare(project, "PRIV-1240", "2026-08-10", "ccpa")  # due 09-24: 42 days, on time
    _declare(project, "PRIV-2000", "2026-09-20", "ccpa")  # no job: open
    _declare(project, "PRIV-3000", "2026-09-01", "custom", "dueDays: 10\n")  # no job: open
    _declare(project, "PRIV-0001", "2026-01-01", "gdpr")  # received before --since
    assert project.apply(wait=True) == 0
    assert project.run("report", "--metrics", "--since", "2026-02-01", "--format", "json") == 0
    document = json.loads(project.out.getvalue())
    assert document["regimes"] == [
        {
            "regime": "gdpr",
            "received": 2,
            "completed": 2,
            "onTime": 1,
            "late": 1,
            "open": 0,
            "medianDays": 35.5,
            "meanDays": 35.5,
        },
        {
            "regime": "ccpa",
            "received": 2,
            "completed": 1,
            "onTime": 1,
            "late": 0,
            "open": 1,
            "medianDays": 42.0,
            "meanDays": 42.0,
        },
        {
            "regime": "custom",
            "received": 1,
            "completed": 0,
            "onTime": 0,
            "late": 0,
            "open": 1,
            "medianDays": None,
            "meanDays": None,
        },
    ]
    assert [(r["id"], r["standing"], r["daysToComplete"]) for r in document["requests"]] == [
        ("PRIV-1201", "completed on time", 20),
        ("PRIV-1234", "completed late", 51),
        ("PRIV-1240", "completed on time", 42),
        ("PRIV-2000", "open", None),
        ("PRIV-3000", "overdue", None),
    ]
    assert project.run("report", "--metrics", "--since", "2026-02-01") == 0
    markdown = project.out.getvalue()
    assert "| gdpr | 2 | 2 | 1 | 1 | 0 | 35.5 | 35.5 |" in markdown
    assert "| ccpa | 2 | 1 | 1 | 0 | 1 | 42 | 42 |" in markdown
    assert project.run("report", "--metrics", "--format", "csv") == 0
    rows = project.out.getvalue().splitlines()
    assert rows[1] == "regime,gdpr,3,2,1,1,1,35.5,35.5,,,,,,"  # without --since: PRIV-0001 too
    assert (
        "request,gdpr,,,,,,,,PRIV-1234,2026-08-01,2026-09-01,completed late,2026-09-21,51" in rows
    )


def test_metrics_refuse_what_they_do_not_take(project: Project) -> None:
    assert project.run("report", "--metrics", "--request", "PRIV-1") == 1
    assert "--request does not go with --metrics" in project.err.getvalue()


def test_a_hostile_reason_stays_on_its_line_in_every_output(project: Project) -> None:
    # received 2026-07-01: due 2026-08-01, extended to 2026-09-25 (4 days left, due soon)
    _declare(
        project,
        "PRIV-1234",
        "2026-07-01",
        "gdpr",
        'extendedUntil: 2026-09-25\nreason: "late\\n::error::pwned <b>`x`</b>"\n',
    )
    summary = project.root / "summary.md"
    project.environ["GITHUB_STEP_SUMMARY"] = str(summary)
    assert project.apply() == 0
    assert project.run("check", "--format", "github") == ExitCode.DUE_SOON
    out = project.out.getvalue()
    assert not any(line.startswith("::error::pwned") for line in out.splitlines())
    assert (
        "due soon: PRIV-1234 (gdpr): due 2026-09-25 (extended: late\\n::error::pwned "
        "<b>`x`</b>), 4 days left" in out
    )
    assert "<b>" not in summary.read_text()  # Markdown and HTML escaped in the step summary
