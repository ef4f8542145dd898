"""`reconciler check`: a read-only drift check for scheduled CI. It creates and records nothing.

| exit | meaning |
|------|---------|
| 0 | converged: every declared job is recorded and COMPLETED |
| 1 | error: invalid manifests, unreadable state, the service unreachable, a blocking plan error |
| 2 | changes not yet applied: a create, adopt, retry or forget is pending |
| 3 | out-of-band drift: a recorded job is missing from the service |
| 4 | jobs still running (PENDING or IN_PROGRESS) |
| 5 | failed: a declared job ended FAILED and no retry is left to plan |

When several hold, the most urgent wins: 1, then 5, 3, 2, 4.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.commands.common import Runtime
from reconciler.commands.plan import build_plan
from reconciler.planning.model import Action, Health, Plan, Severity

CONVERGED, ERROR, CHANGES, DRIFT, RUNNING, FAILED = 0, 1, 2, 3, 4, 5


def classify(plan: Plan) -> tuple[int, list[str]]:
    """The exit code and a line per job that keeps the check from passing."""
    lines: list[str] = []
    found: set[int] = set()
    if plan.errored:
        found.add(ERROR)
        lines += [f"error: {d.summary} ({d.address or '-'})" for d in plan.diagnostics
                  if d.severity is Severity.ERROR]  # fmt: skip
    for drift in plan.drift:
        found.add(DRIFT)
        lines.append(f"drift: {drift.address}: {drift.detail}")
    for change in plan.changes:
        if change.action is not Action.NOOP:
            found.add(CHANGES)
            lines.append(f"not applied: {change.address}: {change.action.value} ({change.reason})")
        elif change.health is Health.FAILED:
            found.add(FAILED)
            reason = change.live.failure_reason if change.live else None
            lines.append(f"failed: {change.address}: {reason or 'no reason given'}")
        elif change.health in (Health.PENDING, Health.IN_PROGRESS):
            found.add(RUNNING)
            lines.append(f"running: {change.address}: {change.health.value}")
    for code in (ERROR, FAILED, DRIFT, CHANGES, RUNNING):
        if code in found:
            return code, lines
    return CONVERGED, lines


def check(*, manifests_dir: Path, runtime: Runtime) -> int:
    plan = build_plan(manifests_dir, runtime.environ, make_provider=runtime.make_provider)
    code, lines = classify(plan)
    for line in lines:
        runtime.out.write(line + "\n")
    completed = sum(1 for c in plan.changes if c.health is Health.COMPLETED and c.in_sync)
    declared = sum(1 for c in plan.changes if c.action is not Action.FORGET)
    verdict = {
        CONVERGED: "converged", ERROR: "error", CHANGES: "changes not applied",
        DRIFT: "drift", RUNNING: "jobs still running", FAILED: "failed jobs",
    }[code]  # fmt: skip
    runtime.out.write(f"check: {verdict} ({completed} of {declared} declared jobs COMPLETED)\n")
    return code
