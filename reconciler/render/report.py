"""The erasure evidence (`reconciler report`) as Markdown for a ticket, JSON (a stable, documented
schema: `reportVersion` 2) and CSV (one row per attempt). Each attempt shows only what was
recorded at its create (its input's S3 identity, rows, bytes and keyed digest; whether that input
is the one of a reviewed saved plan; who approved it; which principal and run created it), or
says plainly that it was not recorded, or that the attempt was recovered from the service later.
Inputs appear as locations, identities, counts and keyed digests: never a line of a file, never
a plain hash of one.

Every value from the state, the service, S3, git or the environment (principals, run URLs,
change references, approvers, locations, reasons) is escaped for its format
(`reconciler.render.escape`): Markdown and HTML in the Markdown; in the CSV each cell is one line
with its controls shown as escapes (`\\n`), never a formula; the JSON holds the values as they
are.

Version 2 of the JSON dropped each input's `sha256` and `at` (version 1), and added
`stateStarted`, and per attempt `recovered`, `reviewed` and `provenance`, and per input its
identity (`tag`: its ETag keyed, never the ETag; `versionId`, `lastModified`, `identity`),
`hmac` and `keyId`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic.alias_generators import to_camel

from reconciler.evidence import (
    AttemptEvidence,
    JobEvidence,
    Report,
    RequestEvidence,
    Review,
    Verdict,
    from_service_only,
    lineage_note,
)
from reconciler.lifecycle import retrain_step
from reconciler.models import InputEvidence, Provenance
from reconciler.render.diagnostics import plural
from reconciler.render.escape import code, csv_cell, json_text, markdown
from reconciler.render.values import short_group

REPORT_VERSION = 2
_ICON = {Verdict.COMPLETED: "✅", Verdict.PENDING: "⏳", Verdict.FAILED: "❌"}
RECOVERED = "recovered: not recorded at the time"
NOT_RECORDED_INPUT = "input not recorded at the time"
NO_KEY = "no keyed digest: no digest key was configured"
OLDER = "no identity and no keyed digest (recorded by an older version)"
SAME_RUN = "planned and applied in the same run (no saved plan was reviewed)"
NO_APPROVAL = "approval not recorded"
CSV_COLUMNS = (
    "request",
    "request_verdict",
    "request_due",  # its `kind: Request`'s due date (empty: not declared)
    "request_standing",  # open, due soon, overdue, completed on time, completed late
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
    "recovered",
    "input_location",
    "input_objects",
    "input_rows",
    "input_bytes",
    "input_identity",
    "input_version_id",
    "input_hmac",
    "input_key_id",
    "reviewed",
    "approved_by",
    "change_ref",
    "principal",
    "run",
    "run_url",
    "declared",
    "commit",
    "commit_author",
    "commit_time",
    "commit_summary",
    "group_data_deleted",  # when the request's deletion COMPLETED in the job's group
    "group_models_retrained",  # campaigns there serving a model trained after it: "N of M"
    "group_brought_back",  # imports there that may have brought the users back
    "rerun",  # why this attempt runs a COMPLETED deletion again (apply --retry --reason)
    "note",
)


def report_document(report: Report) -> dict[str, Any]:
    """The JSON report: every model field in camelCase, plus each job's and request's verdict,
    each request's `numDeleted` total, `dataDeleted` and `modelsRetrained` (its `lifecycle`
    per group), each attempt's `reviewed` and each input's `identity`."""
    document: dict[str, Any] = _camel(report.model_dump(mode="json"))
    for request, shown in zip(report.requests, document["requests"], strict=True):
        shown["numDeleted"] = request.num_deleted
        retrained, campaigns = request.campaigns()
        shown["dataDeleted"] = request.data_deleted
        shown["modelsRetrained"] = {"retrained": retrained, "campaigns": campaigns}
        for job, job_shown in zip(request.jobs, shown["jobs"], strict=True):
            job_shown["verdict"] = job.verdict.value
            for attempt, attempt_shown in zip(job.attempts, job_shown["attempts"], strict=True):
                attempt_shown["reviewed"] = attempt.review.value
                for item, item_shown in zip(attempt.inputs, attempt_shown["inputs"], strict=True):
                    identity = item.identity
                    item_shown["identity"] = identity.short() if identity else None
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
    lineage = lineage_note(report.requests, report.state_started)
    for request in report.requests:
        for job in request.jobs:
            for attempt in job.attempts:
                writer.writerow(
                    csv_cell(value)
                    for value in (
                        request.request,
                        request.verdict.value,
                        request.deadline.spec.due.isoformat() if request.deadline else None,
                        request.deadline.standing.value if request.deadline else None,
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
                        RECOVERED if attempt.recovered else None,
                        attempt.input_location,
                        *_csv_inputs(attempt),
                        *_csv_provenance(attempt),
                        job.declared,
                        *_csv_commit(job),
                        *_csv_lifecycle(request, job.dataset_group_arn),
                        attempt.rerun,
                        lineage if from_service_only(attempt, report.state_started) else None,
                    )
                )
    return out.getvalue()


def _csv_lifecycle(request: RequestEvidence, group: str) -> tuple[object, ...]:
    """group_data_deleted, _models_retrained, _brought_back (empty: not examined)."""
    found = next((g for g in request.lifecycle if g.dataset_group_arn == group), None)
    if found is None:
        return (None, None, None)
    return (
        _time(found.deleted) or "not yet",
        None if found.note else f"{len(found.retrained)} of {found.campaigns}",
        found.note
        or _joined(f"{i.name} ({i.mode or 'mode not said'})" for i in found.brought_back),
    )


def _csv_inputs(attempt: AttemptEvidence) -> tuple[object, ...]:
    """input_objects, _rows, _bytes, _identity, _version_id, _hmac, _key_id."""
    inputs = attempt.inputs
    if not inputs:
        return (NOT_RECORDED_INPUT if _created(attempt) else None, *[None] * 6)
    return (
        _joined(i.location for i in inputs),
        sum(i.rows for i in inputs),
        sum(i.bytes for i in inputs),
        _joined(_short(i) for i in inputs) or OLDER,
        _joined(i.version_id for i in inputs),
        _joined(i.hmac for i in inputs) or _no_hmac(inputs),
        _joined(i.key_id for i in inputs),
    )


def _joined(values: Iterable[str | None]) -> str:
    """Each object's value, `;` between them; empty when none has one."""
    listed = [value or "" for value in values]
    return ";".join(listed) if any(listed) else ""


def _short(item: InputEvidence) -> str | None:
    identity = item.identity
    return identity.short() if identity is not None else None


def _csv_provenance(attempt: AttemptEvidence) -> tuple[object, ...]:
    """reviewed, approved_by, change_ref, principal, run, run_url."""
    made = attempt.provenance
    if made is None:
        said = "not recorded" if _created(attempt) else None
        return (said, NO_APPROVAL if said else None, None, said, said, None)
    return (
        _reviewed(attempt, str),
        "; ".join(made.approved_by) or NO_APPROVAL,
        made.change_ref,
        made.principal or "not known",
        made.run.describe(),
        made.run.url,
    )


def _csv_commit(job: JobEvidence) -> tuple[object, ...]:
    commit = job.commit
    if commit is None:
        return (None, None, None, None)
    return (
        commit.sha,
        f"{commit.author} <{commit.author_email}>",
        _time(commit.time),
        commit.summary,
    )


def _created(attempt: AttemptEvidence) -> bool:
    """Whether the attempt was created (or its create begun): what was recorded of it matters."""
    return attempt.status is not None or attempt.provenance is not None or bool(attempt.inputs)


def _no_hmac(inputs: tuple[InputEvidence, ...]) -> str:
    return OLDER if all(i.identity is None for i in inputs) else NO_KEY


def _reviewed(attempt: AttemptEvidence, quote: Callable[[str], str]) -> str:
    """Whether the attempt's input is the one reviewed, with the saved plan's digest `quote`d
    for the format."""
    made = attempt.provenance
    if attempt.review is Review.NOT_RECORDED or made is None:
        return "not recorded"
    if attempt.review is Review.SAME_RUN:
        return SAME_RUN
    digest = quote(_short_digest(made.plan_digest or ""))
    if attempt.review is Review.INPUT_NOT_BOUND:
        return (
            f"applied from the reviewed saved plan {digest}; its input was not bound to it (the "
            "plan did not read it: --skip-preflight, or not on S3)"
        )
    return (
        f"the input of the reviewed saved plan {digest}, checked unchanged just before the create"
    )


def _short_digest(digest: str) -> str:
    """A saved plan's seal (`sha256:HEX`) as its first 12 hex characters."""
    return digest.split(":", 1)[-1][:12]


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
        lines += _request(request, report.generated)
    lines += _models(report)
    for note in report.notes:
        lines += [f"> Note: {markdown(note)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _request(request: RequestEvidence, now: datetime) -> list[str]:
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
        *_deadline(request),
        "| Job | Attempt | Job name | Status | Created | Completed | Records deleted | Input |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for job in request.jobs:
        for attempt in job.attempts:
            status = attempt.status.value if attempt.status else "not created"
            if attempt.failure_reason:
                status += f" ({markdown(attempt.failure_reason)})"
            number = f"{attempt.attempt} (recovered)" if attempt.recovered else attempt.attempt
            lines.append(
                f"| {code(job.address)} | {number} | {code(attempt.job_name)} | {status} | "
                f"{_time(attempt.created) or '-'} | {_time(attempt.completed) or '-'} | "
                f"{attempt.num_deleted if attempt.num_deleted is not None else '-'} | "
                f"{code(attempt.input_location)}: {_input_cell(attempt)} |"
            )
    lines.append("")
    for job in request.jobs:
        lines += _job_lines(job)
    lines.append("")
    lines += _lifecycle(request, now)
    return lines


def _deadline(request: RequestEvidence) -> list[str]:
    """The request's due date and where it stands, where a `kind: Request` declares it."""
    found = request.deadline
    if found is None:
        return []
    return [f"Deadline: {markdown(found.line())}.", ""]


def _lifecycle(request: RequestEvidence, now: datetime) -> list[str]:
    """After the deletion: data deleted in each group, the campaigns retrained since (or the
    ones still serving older models, with the next step), the imports that may have brought
    the users back."""
    if not request.lifecycle:
        return []
    lines = []
    for group in request.lifecycle:
        name = code(short_group(group.dataset_group_arn))
        if group.deleted is None:
            lines.append(f"- {name}: ⏳ data not deleted yet")
            continue
        lines.append(f"- {name}: ✅ data deleted {_time(group.deleted)}")
        if group.note:
            lines.append(f"  - {markdown(group.note)}")
            continue
        said = f"models retrained: {len(group.retrained)} of {group.campaigns} campaigns"
        icon = "✅" if not group.stale else "⚠️"
        lines.append(f"  - {icon} {said}")
        for campaign in group.stale:
            trained = _time(campaign.version_created) or "at a time not known"
            lines.append(
                f"    - campaign {code(campaign.name)} serves a model trained {trained}, before "
                f"the deletion: {markdown(retrain_step(campaign, now))}"
            )
        for item in group.brought_back:
            lines.append(
                f"  - ⚠️ dataset import job {code(item.name)} "
                f"({markdown(item.mode or 'mode not said')}) completed {_time(item.completed)}: "
                "an import after the deletion may have brought erased users back; run the "
                "deletion again"
            )
    retrained, campaigns = request.campaigns()
    head = "data deleted in every group" if request.data_deleted else "data not deleted everywhere"
    return [
        f"After the deletion: {head}; models retrained: {retrained} of {campaigns} campaigns.",
        "",
        *lines,
        "",
    ]


def _input_cell(attempt: AttemptEvidence) -> str:
    if attempt.inputs:
        rows = plural(sum(i.rows for i in attempt.inputs), "user row")
        identities = [i.identity for i in attempt.inputs]
        shown = ", ".join(code(x.short()) for x in identities if x is not None)
        return f"{rows}, {shown}" if shown else rows
    if attempt.recovered:
        return RECOVERED
    return NOT_RECORDED_INPUT if _created(attempt) else "not created yet"


def _job_lines(job: JobEvidence) -> list[str]:
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
            f"  - declared at {declared}, last changed by commit {code(c.sha[:12])} by "
            f"{markdown(c.author)} &lt;{markdown(c.author_email)}&gt; on {_time(c.time)}: "
            f"{markdown(c.summary)}"
        )
    for attempt in job.attempts:
        lines += _attempt_lines(attempt)
    return lines


def _attempt_lines(attempt: AttemptEvidence) -> list[str]:
    """What was recorded at the attempt's create: its input, whether that is the one reviewed,
    who approved it, which principal and run created it."""
    head = f"  - attempt {attempt.attempt} {code(attempt.job_name)}"
    if not _created(attempt):
        return [f"{head}: not created yet"]
    if attempt.recovered and not attempt.inputs and attempt.provenance is None:
        return [f"{head}: {RECOVERED} (its input, review, approval and run are not known)"]
    lines = [f"{head}: {RECOVERED}" if attempt.recovered else head]
    if attempt.rerun:
        lines.append(f"    - run again on request (--retry --reason): {markdown(attempt.rerun)}")
    if not attempt.inputs:
        lines.append(f"    - {NOT_RECORDED_INPUT}")
    lines += [f"    - input {_input_md(item)}" for item in attempt.inputs]
    lines.append(f"    - reviewed: {_reviewed(attempt, code)}")
    made = attempt.provenance
    if made is None:
        return [*lines, f"    - {NO_APPROVAL}", "    - run not recorded"]
    return lines + [f"    - {line}" for line in _provenance_md(made)]


def _provenance_md(made: Provenance) -> list[str]:
    """Who approved a create, and which principal and run made it."""
    approval = (
        f"approved by {', '.join(markdown(name) for name in made.approved_by)}"
        if made.approved_by
        else NO_APPROVAL
    )
    if made.change_ref:
        approval += f" (change {markdown(made.change_ref)})"
    principal = code(made.principal) if made.principal else "a principal not known"
    run = markdown(made.run.describe())
    if made.run.sha:
        run += f" at commit {code(made.run.sha[:12])}"
    return [approval, f"created by {principal}, {run}, recorded {_time(made.recorded)}"]


def _input_md(item: InputEvidence) -> str:
    said = [f"{code(item.location)}: {item.bytes} bytes, {plural(item.rows, 'user row')}"]
    identity = item.identity
    if identity is None:
        said.append(OLDER)
    else:
        version = f" (VersionId {code(identity.version_id)})" if identity.version_id else ""
        said.append(f"identity {code(identity.short())}{version}")
        if item.hmac:
            key = f" (key {code(item.key_id)})" if item.key_id else ""
            said.append(f"HMAC-SHA256 {code(item.hmac)}{key}")
        else:
            said.append(NO_KEY)
    return ", ".join(said) + f", read {_time(item.read)}"


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
