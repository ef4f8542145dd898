"""`reconciler show PLANFILE`: render a plan saved by `plan -out`, as it was made (text, JSON or
Markdown), without reading the state, the manifests or the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.planfile import load_saved
from reconciler.render.formats import PLAN
from reconciler.runtime import Runtime


@dataclass(frozen=True)
class ShowOptions:
    plan_file: Path
    output_format: OutputFormat = OutputFormat.TEXT
    no_color: bool = False


def show(options: ShowOptions, runtime: Runtime) -> int:
    plan, created, _ = load_saved(options.plan_file)
    runtime.out.write(
        PLAN.render(plan, options.output_format, color=runtime.color(options.no_color))
    )
    if options.output_format is OutputFormat.JSON:
        return ExitCode.OK
    serial = f"serial {plan.serial}" if plan.serial is not None else "no state yet"
    runtime.err.write(
        f"Saved plan {options.plan_file}: made {created} from {plan.state_location} ({serial}); "
        f"`reconciler apply {options.plan_file}` applies it while it is current.\n"
    )
    return ExitCode.OK
