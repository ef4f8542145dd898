"""The status of recorded jobs: the target, a table (text or Markdown) or JSON, and the jobs that
need a person, each with its next step (the same words as the plan's).

The JSON is an object: `target` (where the jobs live), `jobs` (one flat record each, camelCase:
address, spec, specDigest, manifest, jobName, arn, intended, status, numDeleted, failureReason,
created, lastUpdated, history, attempts, forgotten), `attention` and `summary`. A job the
service no longer lists has the status MISSING (the state keeps what was seen last). Values from
the state and the service are escaped for each format (`printable`, `reconciler.render.escape`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel

from reconciler.durations import format_duration
from reconciler.escaping import printable
from reconciler.models import ServiceJob, Target
from reconciler.planning.attention import Attention
from reconciler.planning.attention import summary as attention_summary
from reconciler.render.diagnostics import plural
from reconciler.render.escape import code, json_text, markdown, prose
from reconciler.state.document import JobRecord

COLUMNS = ("ADDRESS", "JOB", "STATUS", "AGE", "DELETED", "FAILURE REASON")
MISSING = "MISSING"


@dataclass(frozen=True)
class StatusView:
    """What `status` shows: records sorted by address, the jobs the service no longer lists,
    and what needs a person."""

    records: Sequence[JobRecord]
    now: datetime
    target: Target | None = None  # None: nothing recorded, the service was not asked
    missing: frozenset[str] = frozenset()  # addresses
    attention: Sequence[Attention] = field(default_factory=tuple)

    def status_of(self, record: JobRecord) -> str | None:
        if record.address in self.missing and not record.forgotten:
            return MISSING
        return record.status.value if record.status else None


def _row(view: StatusView, record: JobRecord) -> tuple[str, ...]:
    seen = record.seen
    forgotten = " (forgotten)" if record.forgotten else ""
    if seen is None:
        return (record.address, record.job_name, "INTENDED" + forgotten, "-", "-", "")
    age = format_duration((view.now - seen.created).total_seconds())
    status = f"{view.status_of(record)}{forgotten}"
    deleted = str(seen.num_deleted) if seen.num_deleted is not None else "-"
    return (record.address, record.job_name, status, age, deleted, seen.failure_reason or "")


def _counts(view: StatusView) -> tuple[list[JobRecord], Counter[str], int]:
    tracked = [r for r in view.records if not r.forgotten]
    counts = Counter(view.status_of(r) or "INTENDED" for r in tracked)
    deleted = sum(r.seen.num_deleted or 0 for r in tracked if r.seen)
    return tracked, counts, deleted


def _summary(view: StatusView) -> str:
    tracked, counts, deleted = _counts(view)
    parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    return f"{plural(len(tracked), 'job')}: {parts or 'none'}; {plural(deleted, 'record')} deleted."


def _attention_lines(view: StatusView) -> list[str]:
    if not view.attention:
        return []
    return ["", attention_summary(view.attention), *(f"  {a.line()}" for a in view.attention)]


def render_status_text(view: StatusView) -> str:
    rows = [COLUMNS, *(tuple(map(printable, _row(view, r))) for r in view.records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    head = [printable(view.target.line()), ""] if view.target else []
    return "\n".join([*head, *lines, "", _summary(view), *_attention_lines(view)]) + "\n"


def render_status_markdown(view: StatusView) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for record in view.records:
        cells = [markdown(c) for c in _row(view, record)]
        if record.address in {a.address for a in view.attention}:
            cells[2] = f"⚠️ {cells[2]}"
        lines.append("| " + " | ".join(cells) + " |")
    head = [f"**{markdown(view.target.line())}**", ""] if view.target else []
    attention = [
        f"- ⚠️ {code(a.address)}: {markdown(a.detail)}. Next: {prose(a.next_step)}"
        for a in view.attention
    ]
    if attention:
        attention = ["", f"**{attention_summary(view.attention)}**", "", *attention]
    return "\n".join([*head, f"**{_summary(view)}**", "", *lines, *attention]) + "\n"


def render_status_json(view: StatusView) -> str:
    tracked, counts, deleted = _counts(view)
    target = None
    if view.target is not None:
        target = {
            **_camel(view.target.model_dump(mode="json")),
            "description": view.target.describe(),
        }
    document = {
        "target": target,
        "jobs": [
            {**record_json(r), "status": view.status_of(r)} if r.seen else record_json(r)
            for r in view.records
        ],
        "attention": [_camel(a.model_dump(mode="json")) for a in view.attention],
        "summary": {"jobs": len(tracked), "byStatus": dict(counts), "recordsDeleted": deleted},
    }
    return json_text(document)


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    return {to_camel(key): value for key, value in values.items()}


def _seen_json(seen: ServiceJob | None) -> dict[str, Any]:
    values = seen.model_dump(mode="json") if seen else {}
    return {
        to_camel(key): values.get(key)
        for key in ("arn", "status", "failure_reason", "created", "last_updated")
    }


def record_json(record: JobRecord) -> dict[str, Any]:
    """A record, flat, in camelCase (as `status --format json` and `state show` print it)."""
    values = record.model_dump(mode="json")
    seen = _seen_json(record.seen)
    return {
        "address": record.address,
        "spec": _camel(values["spec"]),
        "specDigest": record.spec_digest,
        "manifest": record.manifest,
        "jobName": record.job_name,
        "arn": seen["arn"],
        "intended": values["intended"],
        "status": seen["status"],
        "numDeleted": record.seen.num_deleted if record.seen else None,
        "failureReason": seen["failureReason"],
        "created": seen["created"],
        "lastUpdated": seen["lastUpdated"],
        "history": [_camel(h) for h in values["history"]],
        "attempts": [{"jobName": a.job_name, **_seen_json(a.seen)} for a in record.attempts],
        "forgotten": values["forgotten"],
    }
