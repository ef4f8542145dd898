"""`reconciler check`: a read-only drift check for scheduled CI (`reconciler.usecases.check`):
the target, a line per finding and the verdict; with `--format github` the findings as
annotations and the verdict in the step summary. It exits with the code the check decided."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.events import shown
from reconciler.commands.github import annotated, step_summary
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.github import check_github, check_markdown
from reconciler.runtime import Runtime
from reconciler.usecases.check import Checked, CheckInputs, check_tree

VERDICTS = {
    ExitCode.OK: "converged",
    ExitCode.ERROR: "error",
    ExitCode.CHANGES: "changes not applied",
    ExitCode.DRIFT: "drift",
    ExitCode.RUNNING: "jobs still running",
    ExitCode.FAILED: "failed jobs",
    ExitCode.DUE_SOON: "requests due soon",
}


@dataclass(frozen=True)
class CheckOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.TEXT  # or GITHUB: annotations, step summary


def check(options: CheckOptions, runtime: Runtime) -> int:
    github = options.output_format is OutputFormat.GITHUB
    with annotated(runtime, github):
        checked = check_tree(CheckInputs(options.manifests_dir), runtime, shown(runtime))
    found = checked.findings
    runtime.out.write(printable(checked.plan.target.line()) + "\n")
    for finding in found:
        runtime.out.write(printable(finding.text) + "\n")
    for line in checked.open_requests:
        runtime.out.write(printable(line) + "\n")
    verdict = (
        f"check: {_verdict(checked)} "
        f"({checked.completed} of {checked.declared} declared jobs COMPLETED)"
    )
    runtime.out.write(verdict + "\n")
    if github:
        runtime.out.write(
            check_github(
                (f.code or ExitCode.RUNNING, f.text.removeprefix("warning: "), f.source)
                for f in found
            )
        )
        lines = [f.text for f in found] + checked.open_requests
        step_summary(runtime, check_markdown(verdict, lines, checked.plan.target, checked.passed))
    return checked.code


def _verdict(checked: Checked) -> str:
    """What the exit code says; 5 names what it is for: failed jobs, overdue requests or both."""
    return checked.failing if checked.code is ExitCode.FAILED else VERDICTS[checked.code]
