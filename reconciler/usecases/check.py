"""The `check` use case: a read-only drift check for scheduled CI. It creates and records nothing.

What it finds decides its exit code (see `reconciler.exitcodes`): 0 converged, 1 error, 2
changes not yet applied, 3 drift, 4 jobs still running, 5 failed jobs, an erasure request past
its due date, or a deletion a dataset import may have undone since; 6 an open request due within
`deadlines.warnDays` (a warning that fails the check before the deadline is missed); when several
hold, the most urgent wins (1, then 5, 3, 6, 2, 4: a near deadline wins over changes not
applied, so the nightly issue opens for it). Each job or request that keeps the check from
passing is a `Finding`, worded for the log; so is a deletion that runs while its group imports
or trains, and a campaign still serving a model trained before a deletion (warnings, with no
code of their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.diagnostics import Location, Severity
from reconciler.evidence import request_of
from reconciler.exitcodes import CHECK_PRECEDENCE, ExitCode
from reconciler.lifecycle import Deletion, lifecycle, retrain_step
from reconciler.models import CampaignModel, DatasetImport, describe_activity
from reconciler.planning.attention import Concern
from reconciler.planning.deadlines import RequestProgress, Standing, days_phrase
from reconciler.planning.model import Action, Change, Health, Plan
from reconciler.providers.interface import Provider, ProviderError
from reconciler.runtime import Runtime
from reconciler.usecases.events import Emit
from reconciler.usecases.opening import loaded
from reconciler.workspace import open_tree


@dataclass(frozen=True)
class CheckInputs:
    manifests_dir: Path


@dataclass(frozen=True)
class Finding:
    """One thing that keeps the check from passing (or a warning: `code` None)."""

    code: ExitCode | None
    text: str
    source: Location | None = None


@dataclass(frozen=True)
class Checked:
    """What the check found: its exit code, the findings (warnings last), and how many of the
    declared jobs are COMPLETED."""

    plan: Plan
    code: ExitCode
    findings: tuple[Finding, ...]
    completed: int
    declared: int
    requests: tuple[RequestProgress, ...] = ()  # the declared erasure requests

    @property
    def failing(self) -> str:
        """What exit 5 is for: `failed jobs`, `overdue requests`, or both."""
        concerns = {item.concern for item in self.plan.attention}
        overdue = Concern.OVERDUE in concerns
        if overdue and Concern.FAILED not in concerns:
            return "overdue requests"
        return "failed jobs and overdue requests" if overdue else "failed jobs"

    @property
    def open_requests(self) -> list[str]:
        """A line per open request not already a finding (due soon or overdue ones are)."""
        return [f"open request: {r.line()}" for r in self.requests if r.standing is Standing.OPEN]

    @property
    def passed(self) -> bool:
        return self.code is ExitCode.OK


_CONCERNS = {
    Concern.FAILED: (ExitCode.FAILED, "failed"),
    Concern.MISSING: (ExitCode.DRIFT, "drift"),
    Concern.UNMATCHED: (ExitCode.CHANGES, "not applied"),
    Concern.OVERDUE: (ExitCode.FAILED, "overdue"),
}


def classify(plan: Plan) -> tuple[ExitCode, list[Finding]]:
    """The exit code and a finding per job that keeps the check from passing."""
    found = [*_errors(plan), *_attention(plan), *_due_soon(plan)]
    for refused in plan.refused:  # a selector's job whose name or address is taken
        text = f"not applied: {refused.address}: {refused.summary}"
        found.append(Finding(ExitCode.CHANGES, text, refused.source))
    for change in plan.changes:
        if change.action is not Action.NOOP:
            text = f"not applied: {change.address}: {change.action.value} ({change.detail})"
            found.append(Finding(ExitCode.CHANGES, text, change.source))
        elif change.health in (Health.PENDING, Health.IN_PROGRESS):
            text = f"running: {change.address}: {change.health.value}"
            found.append(Finding(ExitCode.RUNNING, text, change.source))
    codes = {f.code for f in found}
    code = next((code for code in CHECK_PRECEDENCE if code in codes), ExitCode.OK)
    return code, found


def _errors(plan: Plan) -> list[Finding]:
    if not plan.errored:
        return []
    return [
        Finding(ExitCode.ERROR, f"error: {d.summary} ({d.address or '-'})", d.source)
        for d in plan.diagnostics
        if d.severity is Severity.ERROR
    ]


def _due_soon(plan: Plan) -> list[Finding]:
    return [
        Finding(ExitCode.DUE_SOON, f"due soon: {item.line()}", item.spec.source)
        for item in plan.requests
        if item.standing is Standing.DUE_SOON
    ]


def _attention(plan: Plan) -> list[Finding]:
    sources = {c.address: c.source for c in plan.changes if c.source is not None}
    sources |= {r.spec.id: r.spec.source for r in plan.requests if r.spec.source is not None}
    found: list[Finding] = []
    for item in plan.attention:
        code, label = _CONCERNS[item.concern]
        where = sources.get(item.address)
        if item.concern is Concern.UNMATCHED:
            where = Location.parse(item.address)
        found.append(Finding(code, f"{label}: {item.line()}", where))
    return found


def overlaps(plan: Plan, provider: Provider) -> list[Finding]:
    """Warnings for deletions that run while their group imports or trains: AWS does not
    guarantee the deletion from the models then, and recommends another deletion job. Only the
    groups of deletions running now are asked (what ran and ended between two checks is not
    seen)."""
    running = [
        c for c in plan.changes if c.in_sync and c.health in (Health.PENDING, Health.IN_PROGRESS)
    ]
    found: list[Finding] = []
    for group in sorted({c.dataset_group_arn for c in running}):
        busy = provider.activity(group)
        if not busy:
            continue
        what = describe_activity(busy)
        for change in running:
            if change.dataset_group_arn == group:
                text = (
                    f"warning: {change.address}: {what} while the deletion runs: AWS does not "
                    "guarantee the deletion from models trained meanwhile; declare another "
                    "deletion job for the same users once both have ended"
                )
                found.append(Finding(None, text, change.source))
    return found


def after_deletion(
    plan: Plan,
    provider: Provider,
    now: datetime,
    models_retrained: bool = False,
    warn_days: int = 7,
) -> list[Finding]:
    """Per request and dataset group where its deletion COMPLETED: an import since that may have
    brought its users back (a person must run the deletion again: exit 5), and the campaigns
    still serving a model trained before it (a warning, with the next step; with
    `models_retrained`, the setting `deadlines.doneAt: modelsRetrained`, not done: exit 2)."""
    deleted: dict[tuple[str, str], list[Change]] = {}
    for change in plan.changes:
        if change.desired is None:
            continue
        key = (request_of(change.address, change.desired.tags), change.dataset_group_arn)
        deleted.setdefault(key, []).append(change)
    standing = {item.spec.id: item for item in plan.requests}
    read: dict[str, tuple[list[CampaignModel], list[DatasetImport]] | ProviderError] = {}
    found: list[Finding] = []
    for (request, group), changes in sorted(deleted.items()):
        if not all(
            c.in_sync and c.health is Health.COMPLETED and c.observed is not None for c in changes
        ):
            continue  # the deletion is not over in this group: nothing to examine yet
        observed = [c.observed for c in changes if c.observed is not None]
        deletion = Deletion(
            dataset_group_arn=group,
            created=min(o.created for o in observed),
            completed=max(o.last_updated for o in observed),
        )
        if group not in read:  # each group's read once, whatever its requests
            try:
                read[group] = (provider.campaigns(group), provider.imports(group))
            except ProviderError as exc:
                read[group] = exc
        got = read[group]
        if isinstance(got, ProviderError):
            text = f"warning: {request}: campaigns and imports not examined: {got}"
            found.append(Finding(None, text, changes[0].source))
            continue
        became = lifecycle(deletion, *got)
        where = changes[0].source
        name = group.rsplit("/", 1)[-1]
        for item in became.brought_back:
            found.append(
                Finding(
                    ExitCode.FAILED,
                    f"brought back: {request}: dataset import job {item.name} "
                    f"({item.mode or 'mode not said'}) completed {item.completed:%Y-%m-%d %H:%M} "
                    f"UTC in {name} after the deletion: it may have brought erased users back. "
                    "Next: in a pull request, declare the deletion again (a job with another "
                    "jobName on the same input)",
                    where,
                )
            )
        due = standing.get(request)
        if models_retrained and became.stale and due is not None and due.done:
            found += _not_done_in_time(due, warn_days)
        if became.stale:
            stale = "; ".join(f"campaign {c.name}: {retrain_step(c, now)}" for c in became.stale)
            found.append(
                Finding(
                    ExitCode.CHANGES if models_retrained else None,
                    f"{'not done' if models_retrained else 'warning'}: {request}: models "
                    f"retrained: {len(became.retrained)} of {became.campaigns} campaigns in "
                    f"{name}; {stale}",
                    where,
                )
            )
    return found


def _not_done_in_time(due: RequestProgress, warn_days: int) -> list[Finding]:
    """A request whose jobs COMPLETED but whose models are not retrained yet
    (`deadlines.doneAt: modelsRetrained`): due soon within `warn_days` (exit 6), overdue once
    its due date passed (exit 5)."""
    left = due.days_left
    if left > warn_days:
        return []
    code, label = (ExitCode.FAILED, "overdue") if left < 0 else (ExitCode.DUE_SOON, "due soon")
    text = (
        f"{label}: {due.spec.id}: due {due.spec.due.isoformat()} ({days_phrase(left)}), its "
        "models are not retrained yet (deadlines.doneAt: modelsRetrained)"
    )
    return [Finding(code, text, due.spec.source)]


def check_tree(inputs: CheckInputs, runtime: Runtime, emit: Emit) -> Checked:
    """Check the tree at `inputs.manifests_dir` against the state and the service."""
    workspace = loaded(open_tree(inputs.manifests_dir, runtime), emit)
    # Health only: a create not applied fails the check whatever preflight would say of it,
    # and a scheduled check needs neither S3 read access nor the activity List permissions.
    plan = workspace.plan(skip_preflight=True, ignore_activity=True)
    declared = len(workspace.jobs)  # a job with a plan error has no change
    code, found = classify(plan)
    retrained = workspace.settings.deadlines.done_at == "modelsRetrained"
    warn_days = workspace.settings.deadlines.warn_days
    later = after_deletion(plan, workspace.provider, runtime.clock(), retrained, warn_days)
    codes = {code, *(f.code for f in later if f.code is not None)}
    code = next((c for c in CHECK_PRECEDENCE if c in codes), ExitCode.OK)
    found += later
    found += overlaps(plan, workspace.provider)
    completed = sum(1 for c in plan.changes if c.health is Health.COMPLETED and c.in_sync)
    return Checked(plan, code, tuple(found), completed, declared, plan.requests)
