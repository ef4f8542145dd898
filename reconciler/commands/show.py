"""`reconciler show PLANFILE`: render a plan saved by `plan -out`, as it was made (text, JSON or
Markdown), without reading the state, the manifests or the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.exitcodes import ExitCode
from reconciler.planfile import load_saved
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text
from reconciler.runtime import Runtime


@dataclass(frozen=True)
class ShowOptions:
    plan_file: Path
    output_format: str = "text"  # or json, markdown
    no_color: bool = False


def show(options: ShowOptions, runtime: Runtime) -> int:
    plan, created = load_saved(options.plan_file)
    if options.output_format == "json":
        runtime.out.write(render_json(plan))
        return ExitCode.OK
    if options.output_format == "markdown":
        runtime.out.write(render_markdown(plan))
    else:
        runtime.out.write(render_text(plan, color=runtime.color(options.no_color)))
    serial = f"serial {plan.serial}" if plan.serial is not None else "no state yet"
    runtime.err.write(
        f"Saved plan {options.plan_file}: made {created} from {plan.state_location} ({serial}); "
        f"`reconciler apply {options.plan_file}` applies it while it is current.\n"
    )
    return ExitCode.OK
