"""`reconciler plan`: refresh, compare, and show what apply would do; optionally save it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.events import shown
from reconciler.commands.github import annotated, step_summary
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.formats import PLAN
from reconciler.render.github import plan_github
from reconciler.render.plan_markdown import render_markdown
from reconciler.runtime import Runtime
from reconciler.usecases.plan import PlanInputs, Planned, make_plan, not_saved, save


@dataclass(frozen=True)
class PlanOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.TEXT  # GITHUB: text, annotations, step summary
    out_file: Path | None = None
    detailed_exitcode: bool = False
    retry: tuple[str, ...] = ()
    reason: str | None = None
    skip_preflight: bool = False
    ignore_activity: bool = False
    no_color: bool = False


def plan(options: PlanOptions, runtime: Runtime) -> int:
    github = options.output_format is OutputFormat.GITHUB
    inputs = PlanInputs(
        manifests_dir=options.manifests_dir,
        out_file=options.out_file,
        retry=options.retry,
        reason=options.reason,
        skip_preflight=options.skip_preflight,
        ignore_activity=options.ignore_activity,
    )
    with annotated(runtime, github):
        planned = make_plan(inputs, runtime, shown(runtime))
    color = runtime.color(options.no_color) and not github
    runtime.out.write(PLAN.render(planned.plan, options.output_format, color=color))
    if github:
        runtime.out.write(plan_github(planned.plan))
        step_summary(runtime, render_markdown(planned.plan))
    return _kept(planned, options, runtime)


def _kept(planned: Planned, options: PlanOptions, runtime: Runtime) -> ExitCode:
    """Save the plan where `-out` asks (a plan with errors never is), and the exit code."""
    out_file = planned.out_file
    if planned.plan.errored:
        if out_file is not None:
            runtime.err.write(not_saved(out_file) + "\n")
        return ExitCode.ERROR
    if out_file is not None:
        save(planned, runtime)
        runtime.err.write(f"Saved the plan to {printable(str(out_file))}.\n")
    if planned.plan.refused:  # the rest can be applied; the refused jobs are errors all the same
        return ExitCode.ERROR
    if options.detailed_exitcode and planned.changes_or_attention():
        return ExitCode.CHANGES
    return ExitCode.OK
