"""`report --metrics` as Markdown, JSON and CSV: per regime, requests received, completed, on
time, late, open, and the median and mean days from receipt to completion (CCPA Regulations
§7102(a)'s figures); then each request counted. The JSON is `metricsVersion` 1:

    {"metricsVersion": 1, "generated": ISO-8601, "since": DATE|null, "state": "...",
     "regimes": [{"regime", "received", "completed", "onTime", "late", "open",
                  "medianDays", "meanDays"}],
     "requests": [{"id", "regime", "receivedAt", "due", "extendedUntil", "reason",
                   "standing", "daysLeft", "jobs", "completedJobs", "completed",
                   "daysToComplete", "source"}]}

The CSV has one row per regime (`kind` regime) then one per request (`kind` request). Request
ids and reasons come from the manifests: escaped for each format.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic.alias_generators import to_camel

from reconciler.planning.deadlines import MetricsReport, RegimeMetrics, RequestProgress
from reconciler.render.escape import code, csv_cell, json_text, markdown
from reconciler.render.values import request_values

METRICS_VERSION = 1
CSV_COLUMNS = (
    "kind",
    "regime",
    "received",
    "completed",
    "on_time",
    "late",
    "open",
    "median_days",
    "mean_days",
    "request",
    "received_at",
    "due",
    "standing",
    "completed_on",
    "days_to_complete",
)


def _regime(found: RegimeMetrics) -> dict[str, Any]:
    return {
        "regime": found.regime.value,
        "received": found.received,
        "completed": found.completed,
        "onTime": found.on_time,
        "late": found.late,
        "open": found.open,
        "medianDays": found.median_days,
        "meanDays": found.mean_days,
    }


def _request(found: RequestProgress) -> dict[str, Any]:
    return {to_camel(key): value for key, value in request_values(found).items()}


def metrics_document(value: MetricsReport) -> dict[str, Any]:
    return {
        "metricsVersion": METRICS_VERSION,
        "generated": value.generated.isoformat(),
        "since": value.since.isoformat() if value.since else None,
        "state": value.state_location,
        "regimes": [_regime(r) for r in value.regimes],
        "requests": [_request(r) for r in value.requests],
    }


def render_metrics_json(value: MetricsReport) -> str:
    return json_text(metrics_document(value))


def render_metrics_csv(value: MetricsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in value.regimes:
        row = ("regime", r.regime.value, r.received, r.completed, r.on_time, r.late, r.open)
        writer.writerow(csv_cell(v) for v in (*row, r.median_days, r.mean_days, *[None] * 6))
    for q in value.requests:
        writer.writerow(
            csv_cell(v)
            for v in (
                "request",
                q.spec.regime.value,
                *[None] * 7,
                q.spec.id,
                q.spec.received.isoformat(),
                q.spec.due.isoformat(),
                q.standing.value,
                q.completed.isoformat() if q.completed else None,
                q.days_to_complete,
            )
        )
    return out.getvalue()


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def render_metrics_markdown(value: MetricsReport) -> str:
    since = f" received since {value.since.isoformat()}" if value.since else ""
    lines = [
        f"# Erasure request metrics{since}",
        "",
        f"Generated {value.generated.isoformat()} from the state `{markdown(value.state_location)}`"
        " and the manifests' Request documents (CCPA Regulations §7102(a)'s figures).",
        "",
        "| Regime | Received | Completed | On time | Late | Open | Median days | Mean days |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.regime.value} | {r.received} | {r.completed} | {r.on_time} | {r.late} | {r.open} "
        f"| {_days(r.median_days)} | {_days(r.mean_days)} |"
        for r in value.regimes
    ]
    if value.requests:
        lines += [
            "",
            "| Request | Regime | Received | Due | Standing | Completed | Days |",
            "|---|---|---|---|---|---|---|",
        ]
        for q in value.requests:
            completed = q.completed.isoformat() if q.completed else "-"
            days = q.days_to_complete if q.days_to_complete is not None else "-"
            lines.append(
                f"| {code(q.spec.id)} | {q.spec.regime.value} | {q.spec.received.isoformat()} | "
                f"{q.spec.due.isoformat()} | {q.standing.value} | {completed} | {days} |"
            )
    return "\n".join(lines) + "\n"
