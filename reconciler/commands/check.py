"""`reconciler check`: a read-only drift check for scheduled CI. It creates and records nothing.

It exits with what it found (see `reconciler.exitcodes`): 0 converged, 1 error, 2 changes not
yet applied, 3 drift, 4 jobs still running, 5 failed jobs; when several hold, the most urgent
wins (1, then 5, 3, 2, 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.diagnostics import Severity
from reconciler.exitcodes import CHECK_PRECEDENCE, ExitCode
from reconciler.planning.attention import Concern
from reconciler.planning.model import Action, Health, Plan
from reconciler.providers.interface import Provider
from reconciler.runtime import Runtime
from reconciler.workspace import open_workspace

VERDICTS = {
    ExitCode.OK: "converged",
    ExitCode.ERROR: "error",
    ExitCode.CHANGES: "changes not applied",
    ExitCode.DRIFT: "drift",
    ExitCode.RUNNING: "jobs still running",
    ExitCode.FAILED: "failed jobs",
}


@dataclass(frozen=True)
class CheckOptions:
    manifests_dir: Path


def classify(plan: Plan) -> tuple[ExitCode, list[str]]:
    """The exit code and a line per job that keeps the check from passing."""
    lines: list[str] = []
    found: set[ExitCode] = set()
    if plan.errored:
        found.add(ExitCode.ERROR)
        lines += [
            f"error: {d.summary} ({d.address or '-'})"
            for d in plan.diagnostics
            if d.severity is Severity.ERROR
        ]
    for item in plan.attention:
        found.add(ExitCode.FAILED if item.concern is Concern.FAILED else ExitCode.DRIFT)
        label = "failed" if item.concern is Concern.FAILED else "drift"
        lines.append(f"{label}: {item.line()}")
    for change in plan.changes:
        if change.action is not Action.NOOP:
            found.add(ExitCode.CHANGES)
            lines.append(f"not applied: {change.address}: {change.action.value} ({change.detail})")
        elif change.health in (Health.PENDING, Health.IN_PROGRESS):
            found.add(ExitCode.RUNNING)
            lines.append(f"running: {change.address}: {change.health.value}")
    code = next((code for code in CHECK_PRECEDENCE if code in found), ExitCode.OK)
    return code, lines


def overlaps(plan: Plan, provider: Provider) -> list[str]:
    """Warnings for deletions that run while their group imports or trains: AWS does not
    guarantee the deletion from the models then, and recommends another deletion job. Only the
    groups of deletions running now are asked (what ran and ended between two checks is not
    seen)."""
    running = [
        c for c in plan.changes if c.in_sync and c.health in (Health.PENDING, Health.IN_PROGRESS)
    ]
    found: list[str] = []
    for group in sorted({c.dataset_group_arn for c in running}):
        busy = provider.activity(group)
        if not busy:
            continue
        what = "; ".join(a.describe() for a in busy[:2])
        for change in running:
            if change.dataset_group_arn == group:
                found.append(
                    f"warning: {change.address}: {what} while the deletion runs: AWS does not "
                    "guarantee the deletion from models trained meanwhile; declare another "
                    "deletion job for the same users once both have ended"
                )
    return found


def check(options: CheckOptions, runtime: Runtime) -> int:
    workspace = open_workspace(options.manifests_dir, runtime)
    # Health only: a create not applied fails the check whatever preflight would say of it, and
    # a scheduled check needs neither S3 read access nor the activity List permissions.
    plan = workspace.plan(workspace.load_state(), skip_preflight=True, ignore_activity=True)
    code, lines = classify(plan)
    runtime.out.write(plan.target.line() + "\n")
    for line in lines + overlaps(plan, workspace.provider):
        runtime.out.write(line + "\n")
    completed = sum(1 for c in plan.changes if c.health is Health.COMPLETED and c.in_sync)
    declared = len(workspace.jobs)  # a job with a plan error has no change
    runtime.out.write(
        f"check: {VERDICTS[code]} ({completed} of {declared} declared jobs COMPLETED)\n"
    )
    return code
