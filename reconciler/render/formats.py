"""Which renderings each kind of result offers, by `OutputFormat`: one registry for every
command that renders (a test holds each command's `--format` choices to it, so a command never
offers a format it cannot write).

- `Renderings[T]`: one kind of result's renderers, one per format it offers (a plan: text, JSON,
  Markdown; the report: Markdown, JSON, CSV; …). `github` is not a rendering of its own: the
  commands that offer it write the text rendering and, beside it, the workflow commands and the
  step summary (`render.github`).

Pure: values in, text out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from reconciler.evidence import Report
from reconciler.formats import OutputFormat
from reconciler.planning.deadlines import MetricsReport
from reconciler.planning.model import Plan
from reconciler.render.metrics import (
    render_metrics_csv,
    render_metrics_json,
    render_metrics_markdown,
)
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import render_markdown
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

T = TypeVar("T")


@dataclass(frozen=True)
class Renderings(Generic[T]):
    """The renderers of one kind of result, by format (`color`: ANSI colours where a terminal
    shows them; formats that have none ignore it)."""

    by_format: Mapping[OutputFormat, Callable[[T, bool], str]]

    @property
    def formats(self) -> tuple[OutputFormat, ...]:
        return tuple(self.by_format)

    def render(self, value: T, output: OutputFormat, *, color: bool = False) -> str:
        """`value` in `output`; GITHUB renders as TEXT (its annotations are written apart)."""
        chosen = OutputFormat.TEXT if output is OutputFormat.GITHUB else output
        return self.by_format[chosen](value, color)


PLAN: Renderings[Plan] = Renderings(
    {
        OutputFormat.TEXT: lambda plan, color: render_text(plan, color=color),
        OutputFormat.JSON: lambda plan, color: render_json(plan),
        OutputFormat.MARKDOWN: lambda plan, color: render_markdown(plan),
    }
)

STATUS: Renderings[StatusView] = Renderings(
    {
        OutputFormat.TEXT: lambda view, color: render_status_text(view),
        OutputFormat.JSON: lambda view, color: render_status_json(view),
        OutputFormat.MARKDOWN: lambda view, color: render_status_markdown(view),
    }
)

REPORT: Renderings[Report] = Renderings(
    {
        OutputFormat.MARKDOWN: lambda report, color: render_report_markdown(report),
        OutputFormat.JSON: lambda report, color: render_report_json(report),
        OutputFormat.CSV: lambda report, color: render_report_csv(report),
    }
)

METRICS: Renderings[MetricsReport] = Renderings(
    {
        OutputFormat.MARKDOWN: lambda value, color: render_metrics_markdown(value),
        OutputFormat.JSON: lambda value, color: render_metrics_json(value),
        OutputFormat.CSV: lambda value, color: render_metrics_csv(value),
    }
)
