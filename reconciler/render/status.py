"""The status of recorded jobs as a table (text or Markdown) or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from reconciler.durations import format_duration
from reconciler.state.document import JobRecord

COLUMNS = ("ADDRESS", "JOB", "STATUS", "AGE", "DELETED", "FAILURE REASON")


def _row(record: JobRecord, now: datetime) -> tuple[str, ...]:
    age = format_duration((now - record.created).total_seconds()) if record.created else "-"
    status = record.status.value if record.status else ("INTENDED" if record.arn is None else "-")
    if record.forgotten:
        status += " (forgotten)"
    deleted = str(record.num_deleted) if record.num_deleted is not None else "-"
    return (record.address, record.job_name, status, age, deleted, record.failure_reason or "")


def _summary(records: Sequence[JobRecord]) -> str:
    tracked = [r for r in records if not r.forgotten]
    counts = Counter(r.status.value if r.status else "INTENDED" for r in tracked)
    parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    deleted = sum(r.num_deleted or 0 for r in tracked)
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
    return json.dumps([r.model_dump(mode="json") for r in records], indent=2) + "\n"
