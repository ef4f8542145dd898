"""The status of recorded jobs as a table (text or Markdown) or JSON.

The JSON is a list of records, each flat (as the state's version 1 was): address, spec,
spec_digest, manifest, job_name, arn, intended, status, num_deleted, failure_reason, created,
last_updated, history, attempts (each with job_name, arn, status, failure_reason, created,
last_updated) and forgotten.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reconciler.durations import format_duration
from reconciler.models import ServiceJob
from reconciler.state.document import JobRecord

COLUMNS = ("ADDRESS", "JOB", "STATUS", "AGE", "DELETED", "FAILURE REASON")


def _row(record: JobRecord, now: datetime) -> tuple[str, ...]:
    seen = record.seen
    forgotten = " (forgotten)" if record.forgotten else ""
    if seen is None:
        return (record.address, record.job_name, "INTENDED" + forgotten, "-", "-", "")
    age = format_duration((now - seen.created).total_seconds())
    status = seen.status.value + forgotten
    deleted = str(seen.num_deleted) if seen.num_deleted is not None else "-"
    return (record.address, record.job_name, status, age, deleted, seen.failure_reason or "")


def _summary(records: Sequence[JobRecord]) -> str:
    tracked = [r for r in records if not r.forgotten]
    counts = Counter(r.status.value if r.status else "INTENDED" for r in tracked)
    parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    deleted = sum(r.seen.num_deleted or 0 for r in tracked if r.seen)
    return f"{len(tracked)} jobs: {parts or 'none'}; {deleted} records deleted."


def render_status_text(records: Sequence[JobRecord], now: datetime) -> str:
    rows = [COLUMNS, *(_row(r, now) for r in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join([*lines, "", _summary(records)]) + "\n"


def render_status_markdown(records: Sequence[JobRecord], now: datetime) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for record in records:
        cells = [c.replace("|", "\\|") for c in _row(record, now)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([f"**{_summary(records)}**", "", *lines]) + "\n"


def render_status_json(records: Sequence[JobRecord]) -> str:
    return json.dumps([record_json(r) for r in records], indent=2) + "\n"


def _seen_json(seen: ServiceJob | None) -> dict[str, Any]:
    values = seen.model_dump(mode="json") if seen else {}
    return {
        key: values.get(key)
        for key in ("arn", "status", "failure_reason", "created", "last_updated")
    }


def record_json(record: JobRecord) -> dict[str, Any]:
    values = record.model_dump(mode="json")
    seen = _seen_json(record.seen)
    return {
        "address": record.address,
        "spec": values["spec"],
        "spec_digest": record.spec_digest,
        "manifest": record.manifest,
        "job_name": record.job_name,
        "arn": seen["arn"],
        "intended": values["intended"],
        "status": seen["status"],
        "num_deleted": record.seen.num_deleted if record.seen else None,
        "failure_reason": seen["failure_reason"],
        "created": seen["created"],
        "last_updated": seen["last_updated"],
        "history": values["history"],
        "attempts": [{"job_name": a.job_name, **_seen_json(a.seen)} for a in record.attempts],
        "forgotten": values["forgotten"],
    }
