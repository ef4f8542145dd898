"""`reconciler plan`: refresh, compare, and show what apply would do; optionally save it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.github import annotated, step_summary
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.files import check_output
from reconciler.formats import OutputFormat
from reconciler.planfile import save_plan
from reconciler.render.formats import PLAN
from reconciler.render.github import plan_github
from reconciler.render.plan_markdown import render_markdown
from reconciler.runtime import Runtime
from reconciler.workspace import open_workspace


@dataclass(frozen=True)
class PlanOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.TEXT  # GITHUB: text, annotations, step summary
    out_file: Path | None = None
    detailed_exitcode: bool = False
    retry: tuple[str, ...] = ()
    skip_preflight: bool = False
    ignore_activity: bool = False
    no_color: bool = False


def plan(options: PlanOptions, runtime: Runtime) -> int:
    github = options.output_format is OutputFormat.GITHUB
    with annotated(runtime, github):
        workspace = open_workspace(options.manifests_dir, runtime)
        protected = (workspace.settings.state.path,)  # and its backup, lock, lineage…
        if options.out_file is not None:  # refused before the service is read, not after
            check_output(options.out_file, "-out", protected, example="plan.json")
        result = workspace.plan(
            retry=options.retry,
            skip_preflight=options.skip_preflight,
            ignore_activity=options.ignore_activity,
        )
    color = runtime.color(options.no_color) and not github
    runtime.out.write(PLAN.render(result, options.output_format, color=color))
    if github:
        runtime.out.write(plan_github(result))
        step_summary(runtime, render_markdown(result))
    if result.errored:
        if options.out_file is not None:
            shown = printable(str(options.out_file))
            runtime.err.write(f"The plan was not saved to {shown}: it has errors.\n")
        return ExitCode.ERROR
    if options.out_file is not None:
        save_plan(options.out_file, result, now=runtime.clock(), protected=protected)
        runtime.err.write(f"Saved the plan to {printable(str(options.out_file))}.\n")
    if result.refused:  # the rest can be applied; the refused jobs are errors all the same
        return ExitCode.ERROR
    if options.detailed_exitcode and (result.has_changes or result.needs_attention):
        return ExitCode.CHANGES
    return ExitCode.OK
