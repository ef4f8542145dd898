"""The erasure evidence (`reconciler report`) as Markdown for a ticket, JSON (a stable, documented
schema: `reportVersion` 1) and CSV (one row per attempt). Inputs appear as locations, SHA-256
digests and counts: never a line of a file.

Every value from the state, the service, S3 or git is escaped for its format
(`reconciler.render.escape`): Markdown and HTML in the Markdown; in the CSV each cell is one line
with its controls shown as escapes (`\\n`), never a formula; the JSON holds the values as they
are.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from pydantic.alias_generators import to_camel

from reconciler.evidence import JobEvidence, Report, RequestEvidence, Verdict
from reconciler.render.diagnostics import plural
from reconciler.render.escape import code, csv_cell, json_text, markdown
from reconciler.render.values import short_group

REPORT_VERSION = 1
_ICON = {Verdict.COMPLETED: "✅", Verdict.PENDING: "⏳", Verdict.FAILED: "❌"}
CSV_COLUMNS = (
    "request",
    "request_verdict",
    "address",
    "dataset_group_arn",
    "attempt",
    "job_name",
    "job_arn",
    "status",
    "created",
    "completed",
    "num_deleted",
    "failure_reason",
    "input_location",
    "input_objects",
    "input_hmac",
    "input_rows",
    "input_bytes",
    "input_etag",
    "declared",
    "commit",
    "commit_author",
    "commit_time",
    "commit_summary",
)


def report_document(report: Report) -> dict[str, Any]:
    """The JSON report: every model field in camelCase, plus each job's and request's verdict
    and each request's `numDeleted` total."""
    document: dict[str, Any] = _camel(report.model_dump(mode="json"))
    for request, shown in zip(report.requests, document["requests"], strict=True):
        shown["numDeleted"] = request.num_deleted
        for job, job_shown in zip(request.jobs, shown["jobs"], strict=True):
            job_shown["verdict"] = job.verdict.value
    return {"reportVersion": REPORT_VERSION, **document}


def render_report_json(report: Report) -> str:
    return json_text(report_document(report))


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(key): _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def render_report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for request in report.requests:
        for job in request.jobs:
            for attempt in job.attempts:
                commit = job.commit
                writer.writerow(
                    csv_cell(value)
                    for value in (
                        request.request,
                        request.verdict.value,
                        job.address,
                        job.dataset_group_arn,
                        attempt.attempt,
                        attempt.job_name,
                        attempt.job_arn,
                        attempt.status.value if attempt.status else "NOT_CREATED",
                        _time(attempt.created),
                        _time(attempt.completed),
                        attempt.num_deleted,
                        attempt.failure_reason,
                        attempt.input_location,
                        ";".join(d.location for d in attempt.inputs),
                        ";".join(d.hmac or "" for d in attempt.inputs),
                        sum(d.rows for d in attempt.inputs) if attempt.inputs else None,
                        sum(d.bytes for d in attempt.inputs) if attempt.inputs else None,
                        ";".join(d.etag or "" for d in attempt.inputs),
                        job.declared,
                        commit.sha if commit else None,
                        f"{commit.author} <{commit.author_email}>" if commit else None,
                        _time(commit.time) if commit else None,
                        commit.summary if commit else None,
                    )
                )
    return out.getvalue()


def _time(value: datetime | None) -> str | None:
    """UTC, whatever the zone the time was read in (botocore answers in the local one)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_report_markdown(report: Report) -> str:
    lines = ["# Erasure evidence", "", f"**{markdown(report.target)}**", ""]
    scope = []
    if report.request:
        scope.append(f"request {code(report.request)}")
    if report.since:
        scope.append(f"jobs created since {_time(report.since)}")
    seen = (
        "statuses as the service says now (--refresh)"
        if report.refreshed
        else "statuses as the state last saw them (`--refresh` asks the service)"
    )
    lines.append(
        f"State: {code(report.state_location)} · generated {_time(report.generated)} · {seen}"
        + (f" · {', '.join(scope)}" if scope else "")
    )
    lines.append("")
    if not report.requests:
        lines += ["No deletion job matches.", ""]
    for request in report.requests:
        lines += _request(request)
    lines += _models(report)
    for note in report.notes:
        lines += [f"> Note: {markdown(note)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _request(request: RequestEvidence) -> list[str]:
    groups = {job.dataset_group_arn for job in request.jobs}
    lines = [
        f"## {markdown(request.request)}: {_ICON[request.verdict]} {request.verdict.value}",
        "",
        f"{plural(len(request.jobs), 'job')} in {plural(len(groups), 'dataset group')}; "
        f"{plural(request.num_deleted, 'record')} deleted."
        + (
            f" The verdict counts {plural(request.earlier, 'earlier job')} too (before --since)."
            if request.earlier
            else ""
        ),
        "",
        "| Job | Attempt | Job name | Status | Created | Completed | Records deleted | Input |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for job in request.jobs:
        for attempt in job.attempts:
            status = attempt.status.value if attempt.status else "not created"
            if attempt.failure_reason:
                status += f" ({markdown(attempt.failure_reason)})"
            rows = sum(d.rows for d in attempt.inputs)
            shown = f"{plural(rows, 'user row')}" if attempt.inputs else "not read"
            lines.append(
                f"| {code(job.address)} | {attempt.attempt} | {code(attempt.job_name)} | "
                f"{status} | "
                f"{_time(attempt.created) or '-'} | {_time(attempt.completed) or '-'} | "
                f"{attempt.num_deleted if attempt.num_deleted is not None else '-'} | "
                f"{code(attempt.input_location)}: {shown} |"
            )
    lines.append("")
    for job in request.jobs:
        lines += _provenance(job)
    lines.append("")
    return lines


def _provenance(job: JobEvidence) -> list[str]:
    lines = [f"- {code(job.address)} in {code(job.dataset_group_arn)}"]
    if job.forgotten:
        lines.append("  - no longer declared (kept in the state's audit trail; not in the verdict)")
    declared = code(job.declared) if job.declared else "not known"
    if job.forgotten:
        lines.append(f"  - declared at {declared} when applied; no commit is named for it now")
    elif job.commit is None:
        lines.append(f"  - declared at {declared} (no git commit known)")
    elif not job.commit.committed:
        lines.append(f"  - declared at {declared}: not committed")
    else:
        c = job.commit
        lines.append(
            f"  - declared at {declared}, commit {code(c.sha[:12])} by {markdown(c.author)} "
            f"&lt;{markdown(c.author_email)}&gt; on {_time(c.time)}: {markdown(c.summary)}"
        )
    for attempt in job.attempts:
        for digest in attempt.inputs:
            lines.append(
                f"  - attempt {attempt.attempt} input {code(digest.location)}: "
                f"{plural(digest.rows, 'user row')}, {digest.bytes} bytes "
                f"(read {_time(digest.read)})"
            )
    return lines


def _models(report: Report) -> list[str]:
    if not report.models:
        return []
    lines = ["## Models after deletion", ""]
    for group in report.models:
        name = short_group(group.dataset_group_arn)
        if group.note:
            lines.append(f"- {code(name)}: not examined ({markdown(group.note)})")
        elif not group.retrain:
            lines.append(
                f"- {code(name)}: ✅ no custom solution's latest version predates its last "
                f"deletion ({_time(group.last_deletion)})"
            )
        else:
            lines.append(
                f"- {code(name)}: ⚠️ retrain to remove deleted users from these models (their "
                f"latest ACTIVE version predates the deletion of {_time(group.last_deletion)}):"
            )
            lines += [
                f"  - solution {code(r.solution_name)} ({code(r.solution_arn)}): version created "
                f"{_time(r.version_created)}"
                for r in group.retrain
            ]
    lines.append("")
    return lines
