"""A saved plan (`plan -out`) taken up to be applied: applied only while it is current — made
from this state (lineage and decisions), these manifests, for this target, and saying what the
manifests, the state and the service call for now — else refused as stale (`StalePlan`)."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.planfile import Saved, differences, load_saved
from reconciler.planning.model import Plan
from reconciler.state.document import decisions_digest
from reconciler.workspace import Workspace

STALE = "Saved plan is stale: "


class StalePlan(ReconcilerError):
    """A saved plan made from a state or manifests that have moved on."""


def current_plan(workspace: Workspace, plan_file: Path) -> Saved:
    """The plan to apply for the saved `plan_file`: the plan made now, which carries the same
    decisions and reads the same inputs (StalePlan when it does not, or when the file was made
    elsewhere), with the saved file's id and digest (what provenance names)."""
    saved = load_saved(plan_file)
    plan = saved.plan
    _check_origin(workspace, plan)
    # The file is bound to its contents: what it says must be what the manifests, the
    # state and the service call for now (a hand-edited plan, or a job that failed since,
    # is refused). The plan made now carries those same decisions and is the one applied.
    fresh = workspace.plan(
        retry=plan.retries,
        skip_preflight=plan.preflight_skipped,
        ignore_activity=plan.activity_ignored,
    )
    found = differences(plan, fresh)
    if found and not fresh.errored:
        shown = "\n".join(found[:10])
        more = f"\n  … and {len(found) - 10} more" if len(found) > 10 else ""
        raise StalePlan(
            f"{STALE}it is not what the manifests, the state and the service call for "
            f"now:\n{shown}{more}\nMake a new plan."
        )
    return saved._replace(plan=fresh.model_copy(update={"id": plan.id}))


def _check_origin(workspace: Workspace, plan: Plan) -> None:
    """The plan was made from this state, these manifests, for this target."""
    stored = workspace.stored
    lineage = stored.lineage if stored else None
    decisions = decisions_digest(stored) if stored else None
    if plan.lineage and lineage and plan.lineage != lineage:
        raise StalePlan(
            f"{STALE}it was made from another state (lineage {plan.lineage}; now "
            f"{lineage}). Make a new plan."
        )
    if (plan.lineage, plan.decisions) != (lineage, decisions):
        raise StalePlan(
            f"{STALE}the state changed since the plan was made (another apply created, "
            f"retried, imported or forgot jobs; serial {plan.serial} then, "
            f"{stored.serial if stored else None} now). Make a new plan."
        )
    if plan.manifests_digest != workspace.manifests.digest:
        raise StalePlan(f"{STALE}the manifests changed since the plan was made. Make a new plan.")
    target = workspace.target()
    if not plan.target.same_place(target):
        raise StalePlan(
            f"{STALE}it was made for {plan.target.describe()}; this run acts on "
            f"{target.describe()}."
        )
