"""A saved plan (`plan -out`) taken up to be applied: applied only while it is current — made
from this state (lineage and decisions), these manifests, for this target, and saying what the
manifests, the state and the service call for now — else refused as stale (`StalePlan`).

`reviewed_or_fresh` is `apply --reviewed`'s choice: the reviewed plan while it is current; else,
unless the settings require the reviewed plan, a plan made now, with why and how it differs
(`FreshInstead`). Never a fresh plan when an input was replaced after the review: that is a file
nobody reviewed (`InputReplaced`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.escaping import printable
from reconciler.planfile import (
    PlanFileMissing,
    PlanFileOutdated,
    Saved,
    differences,
    inputs_replaced,
    load_saved,
)
from reconciler.planning.model import Plan
from reconciler.state.document import decisions_digest
from reconciler.workspace import Workspace

STALE = "Saved plan is stale: "


class StalePlan(ReconcilerError):
    """A saved plan made from a state or manifests that have moved on."""


class InputReplaced(ReconcilerError):
    """An input of the reviewed plan was replaced since it was reviewed: nothing is applied."""


class ReviewedPlanRequired(ReconcilerError):
    """`apply.requireReviewedPlan`: the reviewed plan cannot be applied, and nothing else is."""


@dataclass(frozen=True)
class FreshInstead:
    """`apply --reviewed` applies a plan made now, not the reviewed one: why, and each change
    that differs from the reviewed plan (None: the reviewed plan could not be read)."""

    reason: str
    differences: tuple[str, ...] | None = None
    run: str | None = None  # the run that applies it, described
    note: Path | None = None  # `--fresh-note`: where the command writes what it says of it


def reviewed_or_fresh(
    workspace: Workspace, plan_file: Path, require: bool
) -> tuple[Plan, Saved | FreshInstead]:
    """The reviewed plan saved at `plan_file` while it is current (the plan, its Saved); else
    the plan made now, and why (the plan, FreshInstead). InputReplaced when an
    input of the reviewed plan was replaced since; ReviewedPlanRequired when `require` and the
    reviewed plan is not applied; a damaged or edited file is refused (PlanFileError)."""
    reviewed: Plan | None = None
    try:
        saved = load_saved(plan_file)
    except (PlanFileMissing, PlanFileOutdated) as exc:
        reason = str(exc)
    else:
        reviewed = saved.plan
        try:
            current = current_plan(workspace, plan_file, saved)
            return current.plan, current
        except StalePlan as exc:
            reason = (
                str(exc).removeprefix(STALE).split("\n", 1)[0].removesuffix(" Make a new plan.")
            )
    fresh = workspace.plan()
    replaced = inputs_replaced(reviewed, fresh) if reviewed is not None else []
    if replaced:
        shown = ", ".join(printable(a) for a in replaced[:5])
        more = f" and {len(replaced) - 5} more" if len(replaced) > 5 else ""
        raise InputReplaced(
            f"The reviewed plan was not applied, nor a fresh one: an input of {shown}{more} is "
            "not the file the reviewed plan read (replaced, added or removed since the review). "
            "Nothing was applied: have the new file reviewed in a new plan."
        )
    if require:
        raise ReviewedPlanRequired(
            f"The reviewed plan was not applied: {reason.rstrip('.')}. apply.requireReviewedPlan "
            "is true, so nothing was applied: make the plan again (re-run the pull request's "
            "plan), review it and apply that."
        )
    found = tuple(line.strip() for line in differences(reviewed, fresh)) if reviewed else None
    return fresh, FreshInstead(reason, found)


def current_plan(workspace: Workspace, plan_file: Path, saved: Saved | None = None) -> Saved:
    """The plan to apply for the saved `plan_file` (`saved`: as already read): the plan made
    now, which carries the same decisions and reads the same inputs (StalePlan when it does not,
    or when the file was made elsewhere), with the saved file's id and digest (what provenance
    names)."""
    saved = saved or load_saved(plan_file)
    plan = saved.plan
    _check_origin(workspace, plan)
    # The file is bound to its contents: what it says must be what the manifests, the
    # state and the service call for now (a hand-edited plan, or a job that failed since,
    # is refused). The plan made now carries those same decisions and is the one applied.
    fresh = workspace.plan(
        retry=plan.retries,
        rerun_reason=plan.rerun_reason,
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
            f"retried, imported or forgot jobs; {_serial(plan.serial)} then, "
            f"{_serial(stored.serial if stored else None)} now). Make a new plan."
        )
    if plan.manifests_digest != workspace.manifests.digest:
        raise StalePlan(f"{STALE}the manifests changed since the plan was made. Make a new plan.")
    target = workspace.target()
    if not plan.target.same_place(target):
        raise StalePlan(
            f"{STALE}it was made for {plan.target.describe()}; this run acts on "
            f"{target.describe()}."
        )


def _serial(serial: int | None) -> str:
    return "no state" if serial is None else f"serial {serial}"
