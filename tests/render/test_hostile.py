"""Values from outside (the service, S3, git, the state, the settings and the environment) through
every renderer: whatever they hold, each output shows them and nothing more. No exception, no
control character, no line of their own, no Markdown or HTML that acts, no mention, no workflow
command the tool did not write, the hidden marker once, and JSON that gives the value back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.evidence import (
    AttemptEvidence,
    Commit,
    GroupModels,
    JobEvidence,
    Report,
    RequestEvidence,
    Retrain,
    Verdict,
)
from reconciler.exitcodes import ExitCode
from reconciler.models import InputEvidence, JobStatus, Provenance, RunInfo, Target
from reconciler.planning import attention
from reconciler.planning.decide import make_plan
from reconciler.planning.model import (
    Expansion,
    Limits,
    Origin,
    Plan,
    PlanDiagnostic,
    RecordedJob,
    Refreshed,
)
from reconciler.render.diagnostics import diagnostics_text, validation_json
from reconciler.render.github import (
    CHECK_MARKER,
    apply_github,
    check_github,
    check_markdown,
    diagnostics_github,
    plan_github,
)
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import MARKER, render_markdown
from reconciler.render.plan_text import render_text
from reconciler.render.report import (
    render_report_csv,
    render_report_json,
    render_report_markdown,
)
from reconciler.render.status import (
    StatusView,
    render_status_json,
    render_status_markdown,
    render_status_text,
)
from reconciler.state.document import JobRecord
from reconciler.usecases.check import classify
from tests.planning.builders import (
    ACCOUNT,
    EMULATOR,
    T0,
    desired,
    group,
    live,
    record,
    spec,
    state,
    summary,
)
from tests.render.outputs import (
    controls,
    markdown_problems,
    markdown_shape,
    runner_commands,
    without_colours,
)

ATTACKS = (
    "two\nlines",
    "carriage\rreturn",
    "crlf\r\nx",
    "\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "::error::pwned",
    "x\n::error title=pwned::gotcha",
    "  ::add-mask::secret",
    "%0A::error::pwned%25",
    "a ##[error]pwned",
    "cell|break|",
    "<script>alert(1)</script>",
    "</details></summary></sub>",
    MARKER,
    CHECK_MARKER,
    "@team hi @org/reviewers (@x)",
    "`code` ``two`` ```fence",
    "\u202eevil\u202c \u2066isolate\u2069 zero\u200bwidth",
    "nul\x00byte",
    "*bold* _em_ [link](http://x) ~~strike~~ \\ back\\",
    "&amp; &#64;team &lt;b&gt;",
    "line\u2028sep\u2029para\x85next\x0bvt\x0cff",
    "lone \ud800 surrogate",
    " <b>padded</b> ",
    "",
)
PLAIN = "plain"
HOSTILE = st.one_of(
    st.sampled_from(ATTACKS),
    st.text(max_size=30),
    st.lists(st.sampled_from(ATTACKS), min_size=2, max_size=4).map("".join),
)


def hostile_plan(value: str) -> Plan:
    """A plan with `value` wherever an outside value reaches one: the target's profile and
    endpoint (settings, environment), the state's path and a recorded job's address (the
    state), failure reasons and what runs in a group (the service), a data location and a tag
    (manifests), an S3 key in a preflight refusal, a manifest's file name."""
    created = desired("created", location=f"s3://b/{value}")
    created = created.model_copy(
        update={"spec": created.spec.model_copy(update={"tags": {"request": value}})}
    )
    failed = desired("failed")
    retried = desired("retried", on_failure="retry")
    gone = record(desired("gone"), status=JobStatus.COMPLETED)
    gone = RecordedJob(**{**gone.model_dump(), "address": value})
    stored = state(
        record(failed, status=JobStatus.FAILED), record(retried, status=JobStatus.FAILED), gone
    )
    view = live(
        [
            summary("failed", status=JobStatus.FAILED, reason=value),
            summary("retried", status=JobStatus.FAILED, reason=value),
            summary("gone", status=JobStatus.COMPLETED),
        ]
    )
    target = Target(
        provider="aws",
        account=ACCOUNT,
        regions=("eu-west-1",),
        profile=value,
        endpoint=f"https://{value}",
    )
    origin = Origin(target=target, state_location=value, manifests_digest="sha256:abc")
    plan = make_plan([created, failed, retried], stored, view, Limits(max_pending=5), origin)
    read = InputEvidence(  # what S3 says of the object: its key and version are outside values
        location=f"s3://b/{value}", bytes=10, rows=1, read=T0, tag=value, version_id=value
    )
    changes = tuple(
        c.model_copy(
            update={
                "held": f"solution version {value} is CREATE IN_PROGRESS",
                "inputs": (read,),
            }
        )
        if c.address == created.address
        else c
        for c in plan.changes
    )
    refused = PlanDiagnostic(
        severity=Severity.ERROR,
        summary=f"Preflight: {value} is not created",
        detail=f"s3://b/{value!r}: the file is empty\nanother line",
        address=value,
        source=Location(value, 3, 5),
        blocking=False,
    )
    return plan.model_copy(
        update={
            "changes": changes,
            "diagnostics": (refused, *plan.diagnostics),
            "fanout": (
                Expansion(source=Location(value, 4, 3), how=value, groups=(group(),), jobs=1),
            ),
            "refreshed": (
                Refreshed(address=value, before=JobStatus.PENDING, after=JobStatus.COMPLETED),
            ),
        }
    )


def hostile_view(value: str) -> StatusView:
    job = desired("a")
    seen = summary("a", status=JobStatus.FAILED, reason=value)
    records = [
        JobRecord(
            address=value,
            spec=spec("a", location=f"s3://b/{value}"),
            spec_digest=job.spec.digest(),
            manifest=value,
            job_name=value,
            seen=seen,
        ),
        JobRecord(
            address=f"{value}-intended",
            spec=job.spec,
            spec_digest=job.spec.digest(),
            manifest="m.yaml:1:1",
            job_name=value,
        ),
    ]
    items = [
        attention.failed(value, job.spec, value, 1, value, Location(value, 1, 1)),
        attention.missing(value, value),
    ]
    target = EMULATOR.model_copy(update={"emulator": value})
    return StatusView(records, T0 + timedelta(hours=1), target, frozenset({value}), items)


def hostile_report(value: str) -> Report:
    """A report with `value` wherever an outside value reaches one: an input's location, S3
    identity, keyed digest and key id; the principal, the run (a GitHub run's URL and commit, a
    host and user), the change reference and the approvers; the job, its failure reason, git's
    commit, the solutions, the state's location and the notes."""
    digest = InputEvidence(
        location=value,
        hmac=f"h{value}",
        key_id=f"k{value}",
        tag=value,
        version_id=f"v{value}",
        last_modified=T0,
        rows=3,
        bytes=30,
        read=T0,
    )
    github = RunInfo(kind="github", url=value, run_id=value, sha=f"s{value}", actor=value)
    made = Provenance(
        principal=f"arn:{value}",
        run=github,
        plan_id=value,
        plan_digest=f"sha256:{value}",
        change_ref=f"PR {value}",
        approved_by=(value, value),
        recorded=T0,
    )
    on_host = made.model_copy(
        update={"run": RunInfo(kind="host", host=value, user=value), "plan_digest": None}
    )
    attempt = AttemptEvidence(
        attempt=2,
        job_name=value,
        job_arn=value,
        status=JobStatus.FAILED,
        created=T0,
        completed=T0,
        failure_reason=value,
        input_location=value,
        inputs=(digest,),
        provenance=made,
    )
    recovered = attempt.model_copy(
        update={"attempt": 1, "inputs": (), "provenance": None, "recovered": True}
    )
    on_laptop = attempt.model_copy(update={"attempt": 3, "provenance": on_host})
    commit = Commit(sha="a" * 40, author=value, author_email=value, time=T0, summary=value)
    job = JobEvidence(
        address=value,
        request=value,
        dataset_group_arn=group(),
        declared=f"{value}:1:1",
        commit=commit,
        attempts=(recovered, attempt, on_laptop),
    )
    retrain = Retrain(
        solution_arn=value, solution_name=value, version_arn=value, version_created=T0
    )
    return Report(
        generated=T0,
        target=f"Target: {value}",
        state_location=value,
        request=f"PRIV-{value}",
        requests=(RequestEvidence(request=value, verdict=Verdict.FAILED, jobs=(job,)),),
        models=(
            GroupModels(dataset_group_arn=group(), last_deletion=T0, note=f"{value} (denied)"),
            GroupModels(dataset_group_arn=group("h"), last_deletion=T0, retrain=(retrain,)),
        ),
        notes=(f"{value} was not digested: {value}",),
        state_started=T0,
    )


def check_lines(value: str) -> list[str]:
    """What `check` prints for the hostile plan, and where (the finding texts)."""
    return [finding.text for finding in classify(hostile_plan(value))[1]]


def hostile_diagnostics(value: str) -> list[Diagnostic]:
    return [
        Diagnostic(Location(value, 2, 7), f"jobs[0].tags.request: {value}"),
        Diagnostic(Location("m.yaml", 1, 1), value, Severity.WARNING),
    ]


TEXT: dict[str, Callable[[str], str]] = {
    "plan text": lambda v: render_text(hostile_plan(v)),
    "plan text in colour": lambda v: without_colours(render_text(hostile_plan(v), color=True)),
    "status text": lambda v: render_status_text(hostile_view(v)),
    "diagnostics text": lambda v: diagnostics_text(hostile_diagnostics(v)),
}
GITHUB: dict[str, Callable[[str], str]] = {
    "plan annotations": lambda v: plan_github(hostile_plan(v)),
    "apply annotations": lambda v: apply_github(
        hostile_plan(v), hostile_plan(v).attention, [(v, f"{v}: FAILED to create: {v}")]
    ),
    "check annotations": lambda v: check_github(
        (ExitCode.FAILED, text, Location(v, 1, 1)) for text in check_lines(v)
    ),
    "validate annotations": lambda v: diagnostics_github(hostile_diagnostics(v)),
}
MARKDOWN: dict[str, tuple[Callable[[str], str], str | None]] = {
    "plan comment": (lambda v: render_markdown(hostile_plan(v)), MARKER),
    "check summary": (
        lambda v: check_markdown(
            "check: failed jobs", check_lines(v), hostile_view(v).target, ok=False
        ),
        CHECK_MARKER,
    ),
    "status Markdown": (lambda v: render_status_markdown(hostile_view(v)), None),
    "report Markdown": (lambda v: render_report_markdown(hostile_report(v)), None),
}


def assert_json(value: str) -> None:
    plan = json.loads(render_json(hostile_plan(value)))
    assert plan["state"] == value
    assert {c["address"] for c in plan["resource_changes"]} >= {value}
    assert plan["attention"][0]["detail"] == f"failed FAILED ({value or 'no reason given'})"
    status = json.loads(render_status_json(hostile_view(value)))
    assert status["jobs"][0]["address"] == status["jobs"][0]["failureReason"] == value
    report = json.loads(render_report_json(hostile_report(value)))
    assert report["stateLocation"] == report["requests"][0]["jobs"][0]["commit"]["summary"]
    assert report["stateLocation"] == value
    attempts = report["requests"][0]["jobs"][0]["attempts"]
    assert [a["recovered"] for a in attempts] == [True, False, False]
    made = attempts[1]["provenance"]
    assert (made["principal"], made["changeRef"], made["approvedBy"]) == (
        f"arn:{value}",
        f"PR {value}",
        [value, value],
    )
    assert (made["run"]["url"], attempts[2]["provenance"]["run"]["user"]) == (value, value)
    assert attempts[1]["inputs"][0]["tag"] == value
    validation = json.loads(validation_json(hostile_diagnostics(value), {"files": 1}))
    assert validation["diagnostics"][0]["file"] == value
    for text in (
        render_json(hostile_plan(value)),
        render_status_json(hostile_view(value)),
        render_report_json(hostile_report(value)),
    ):
        assert not runner_commands(text) and not controls(text)


def assert_csv(value: str) -> None:
    text = render_report_csv(hostile_report(value))
    plain = render_report_csv(hostile_report(PLAIN))
    assert text.count("\n") == plain.count("\n")  # one line a row
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 4 and all(len(row) == len(rows[0]) for row in rows)
    assert all(cell[:1] not in ("=", "+", "-", "@") for row in rows[1:] for cell in row)
    assert not controls(text) and not runner_commands(text)


def problems(value: str) -> list[str]:
    found = []
    for name, render in TEXT.items():
        text, plain = render(value), render(PLAIN)
        if text.count("\n") != plain.count("\n"):
            found.append(f"{name}: a line of its own")
        found += [f"{name}: {c!r}" for c in controls(text)]
        found += [f"{name}: runs {c!r}" for c in runner_commands(text)]
    for name, render in GITHUB.items():
        text, plain = render(value), render(PLAIN)
        if text.count("\n") != plain.count("\n") or controls(text):
            found.append(f"{name}: lines {text!r}")
        for command in runner_commands(text):
            level, _, listed = command.partition(" ")
            properties = dict(p.split("=", 1) for p in listed.split(",") if "=" in p)
            if level not in ("error", "warning", "notice") or not set(properties) <= {
                "file",
                "line",
                "col",
                "title",
            }:
                found.append(f"{name}: runs {command!r}")
            elif not properties.get("title", "").startswith("reconciler"):
                found.append(f"{name}: titled {properties.get('title')!r}")
        if len(runner_commands(text)) != text.count("\n"):
            found.append(f"{name}: {len(runner_commands(text))} commands")
    for name, (render, marker) in MARKDOWN.items():
        text = render(value)
        found += [f"{name}: {p}" for p in markdown_problems(text, render(PLAIN))]
        if marker is not None and (text.count(marker) != 1 or not text.endswith(marker + "\n")):
            found.append(f"{name}: the marker {text.count(marker)} times")
    return found


@given(HOSTILE)
def test_hostile_values_through_every_renderer(value: str) -> None:
    assert problems(value) == []
    assert_json(value)
    assert_csv(value)


def test_every_attack_through_every_renderer() -> None:
    for value in ATTACKS:
        assert problems(value) == [], value
        assert_json(value)
        assert_csv(value)


def test_r2_06_outside_values_write_no_html_mention_or_marker_into_the_comment() -> None:
    value = "<img src=x onerror=alert(1)> @team </details> <!-- reconciler-plan --> a|b\nc `x`"
    comment = render_markdown(hostile_plan(value))
    assert comment.count(MARKER) == 1 and comment.endswith(f"\n{MARKER}\n")
    assert comment.count("</details>") == 1  # the renderer's own, after the unchanged jobs
    assert "<img" not in comment and "@team" not in comment
    assert "&lt;img src=x onerror=alert(1)&gt; @<!-- -->team &lt;/details&gt;" in comment
    rows = [line for line in comment.split("\n") if line.startswith("| ")]
    assert [markdown_shape(row)[0]["|"] for row in rows] == [7] * 4 + [4] * 2  # cells intact
    assert markdown_problems(comment, render_markdown(hostile_plan(PLAIN))) == []
    # The report's Markdown: commit summaries and authors from git, reasons from the service.
    report = render_report_markdown(hostile_report(value))
    assert "<img" not in report and "@team" not in report and "</details>" not in report
    assert "by &lt;img src=x onerror=alert(1)&gt; @<!-- -->team" in report
    assert markdown_problems(report, render_report_markdown(hostile_report(PLAIN))) == []
    summary = check_markdown("check: drift", check_lines(value), EMULATOR, ok=False)
    assert summary.count(CHECK_MARKER) == 1 and summary.endswith(f"\n{CHECK_MARKER}\n")


def test_r2_20_a_state_path_with_a_line_break_stays_on_its_line() -> None:
    path = ".reconciler\n# Injected heading\n/state.json"
    comment = render_markdown(hostile_plan(path))
    assert "# Injected heading" not in comment.split("\n")
    assert "state <code>.reconciler # Injected heading /state.json</code></sub>" in comment
    assert comment.count("\n") == render_markdown(hostile_plan(PLAIN)).count("\n")
    report = render_report_markdown(hostile_report(path))
    assert "State: <code>.reconciler # Injected heading /state.json</code> · generated" in report
    assert "# Injected heading" not in report.split("\n")


def test_a_very_long_value_still_leaves_one_marker_at_the_end_of_the_comment() -> None:
    value = f"{MARKER} @team </details>\n::error::x " * 4000
    comment = render_markdown(hostile_plan(value))
    assert len(comment) <= 65_536 and comment.count(MARKER) == 1
    assert comment.endswith(f"… cut; full plan in the job artifact\n{MARKER}\n")
    assert markdown_problems(comment, comment) == []
