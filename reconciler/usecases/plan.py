"""The `plan` use case: read the state and the service, decide what apply would do, and keep
the plan in a file when asked (`plan -out`).

Two steps, so the caller shows the plan between them: `make_plan` (a file to keep it in is
refused before the service is read, not after) and `save` (only a plan without errors is
kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.files import check_output
from reconciler.planfile import save_plan
from reconciler.planning.model import Plan
from reconciler.provenance import rerun_problem
from reconciler.runtime import Runtime
from reconciler.usecases.events import Emit
from reconciler.usecases.opening import loaded
from reconciler.workspace import open_tree


@dataclass(frozen=True)
class PlanInputs:
    manifests_dir: Path
    out_file: Path | None = None  # where to keep the plan (`-out`)
    retry: tuple[str, ...] = ()
    reason: str | None = None  # `--retry` of a COMPLETED job: why its deletion runs again
    skip_preflight: bool = False
    ignore_activity: bool = False


@dataclass(frozen=True)
class Planned:
    """A plan, and where it is to be kept (never over one of the `protected` state files)."""

    plan: Plan
    out_file: Path | None
    protected: tuple[Path, ...]

    def changes_or_attention(self) -> bool:
        """Something to apply, or a job that needs a person (`--detailed-exitcode` 2)."""
        return self.plan.has_changes or self.plan.needs_attention


def make_plan(inputs: PlanInputs, runtime: Runtime, emit: Emit) -> Planned:
    """The plan of the tree at `inputs.manifests_dir` (ManifestError when it is not valid)."""
    problem = rerun_problem(inputs.reason, inputs.retry)
    if problem is not None:
        raise UsageError(problem)
    tree = open_tree(inputs.manifests_dir, runtime)
    protected = tree.settings.state.protected_files()  # and their backup, lock…
    if inputs.out_file is not None:  # refused before the state or the service is read
        check_output(inputs.out_file, "-out", protected, example="plan.json")
    workspace = loaded(tree, emit)
    plan = workspace.plan(
        retry=inputs.retry,
        rerun_reason=inputs.reason,
        skip_preflight=inputs.skip_preflight,
        ignore_activity=inputs.ignore_activity,
    )
    return Planned(plan, inputs.out_file, protected)


def not_saved(out_file: Path) -> str:
    """Why a plan with errors is not kept in `out_file`."""
    return f"The plan was not saved to {printable(str(out_file))}: it has errors."


def save(planned: Planned, runtime: Runtime) -> None:
    """Keep the plan in its file: only a plan without errors is ever kept (the caller says so
    where it shows the plan; this refuses it all the same)."""
    assert planned.out_file is not None
    if planned.plan.errored:
        raise ReconcilerError(not_saved(planned.out_file))
    save_plan(planned.out_file, planned.plan, now=runtime.clock(), protected=planned.protected)
