"""`reconciler report`: the erasure evidence of each request (`usecases.report`), rendered as
Markdown, JSON or CSV, to stdout or to `--output` (written here, where it is rendered: the use
case checks the path before anything is read and names the state's files it must not replace).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.commands.events import shown
from reconciler.errors import ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.files import write_output
from reconciler.formats import OutputFormat
from reconciler.render.formats import METRICS, REPORT
from reconciler.runtime import Runtime
from reconciler.usecases.metrics import MetricsInputs, make_metrics
from reconciler.usecases.report import ReportInputs, make_report


@dataclass(frozen=True)
class ReportOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.MARKDOWN
    request: str | None = None
    since: datetime | None = None
    output: Path | None = None
    refresh: bool = False
    metrics: bool = False


def report(options: ReportOptions, runtime: Runtime) -> int:
    if options.metrics:
        return _metrics(options, runtime)
    inputs = ReportInputs(
        options.manifests_dir,
        request=options.request,
        since=options.since,
        refresh=options.refresh,
        output=options.output,
    )
    result = make_report(inputs, runtime, shown(runtime))
    text = REPORT.render(result.report, options.output_format)
    if options.output is None:
        runtime.out.write(text)
        return ExitCode.OK
    where = printable(str(options.output))
    try:
        write_output(
            options.output, text.encode(), "--output", result.protected, example="report.md"
        )
    except OSError as exc:
        raise ReconcilerError(
            f"could not write the report to {where}: {exc.strerror or exc}"
        ) from None
    requests = len(result.report.requests)
    runtime.err.write(f"Report of {requests} requests ({result.jobs} jobs) written to {where}.\n")
    return ExitCode.OK


def _metrics(options: ReportOptions, runtime: Runtime) -> int:
    """`report --metrics`: the figures per regime, to stdout (not with --request, --refresh or
    --output: the figures count every request, from the state as recorded)."""
    for flag, used in (
        ("--request", options.request is not None),
        ("--refresh", options.refresh),
        ("--output", options.output is not None),
    ):
        if used:
            raise UsageError(f"{flag} does not go with --metrics (the figures count every request)")
    since = options.since.date() if options.since else None
    found = make_metrics(MetricsInputs(options.manifests_dir, since), runtime, shown(runtime))
    runtime.out.write(METRICS.render(found, options.output_format))
    return ExitCode.OK
