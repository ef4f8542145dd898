"""`reconciler apply [PLANFILE]`: the plan shown, the confirmation asked, the run's events and its
summary told (`--format github`: and annotations). The work (under the state lock: plan or saved
plan, execute, wait) and the exit code it comes to are `usecases.apply`'s."""

from __future__ import annotations

from dataclasses import dataclass, fields

import reconciler.applying.display as display
from reconciler.applying.verdict import Waited
from reconciler.commands.events import show
from reconciler.commands.github import annotated
from reconciler.commands.reviewed import fresh_told, planned_fresh, refusal_told
from reconciler.errors import Cancelled, ReconcilerError
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.github import apply_github
from reconciler.render.plan_text import render_text
from reconciler.runtime import Runtime
from reconciler.usecases.apply import ApplyInputs, JobDone, Polled, execute, prepare
from reconciler.usecases.saved_plans import FreshInstead


class ApplyRefused(ReconcilerError):
    """Apply was not confirmed: nothing was done."""


@dataclass(frozen=True)
class ApplyOptions(ApplyInputs):
    """The use case's inputs, and what only the command line asks."""

    auto_approve: bool = False
    no_color: bool = False
    output_format: OutputFormat = OutputFormat.TEXT  # GITHUB: the text, and annotations


def apply(options: ApplyOptions, runtime: Runtime) -> int:
    inputs = ApplyInputs(**{f.name: getattr(options, f.name) for f in fields(ApplyInputs)})
    github = options.output_format is OutputFormat.GITHUB
    shown = _Shown(runtime)
    with (
        annotated(runtime, github),
        refusal_told(runtime, github),
        prepare(inputs, runtime, shown) as prepared,
    ):
        plan = prepared.plan
        runtime.out.write(render_text(plan, color=runtime.color(options.no_color) and not github))
        started = False
        try:
            if plan.errored:
                runtime.out.write(apply_github(plan) if github else "")
                return ExitCode.ERROR
            if prepared.asks and not options.auto_approve:
                _confirm(runtime)
            started = True
            try:
                applied = execute(prepared, shown)
            finally:
                shown.progress.close()
        finally:
            if shown.instead is not None:
                fresh_told(runtime, github, shown.instead, plan.target, prepared.protected, started)
        told = display.summary(applied.results, applied.wait, applied.unfinished, applied.created)
        if github:
            told += apply_github(plan, applied.attention, display.failures(applied.outcomes))
        runtime.out.write(told)
        if applied.unsaved is not None:
            raise applied.unsaved
        return applied.exit_code


class _Shown:
    """Apply's events on the terminal: outcomes and progress on stdout, the rest on stderr."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime, self.out, self.err = runtime, runtime.out, runtime.err
        self.progress = display.ProgressDisplay(runtime.out, tty=runtime.out_tty)
        self.instead: FreshInstead | None = None

    def __call__(self, event: object) -> None:
        if isinstance(event, FreshInstead):
            self.instead = event  # and told again once the run is over
            planned_fresh(self.runtime, event)
        elif isinstance(event, Polled):
            self.progress(event.progress)
        elif isinstance(event, JobDone):
            self.out.write(display.outcome_line(event.outcome) + "\n")
        elif isinstance(event, Waited):
            self.progress.close()
            self.err.write("".join(line + "\n" for line in display.waited_lines(event)))
        else:
            show(self.runtime, event)


def _confirm(runtime: Runtime) -> None:
    if not runtime.in_tty:
        raise ApplyRefused(
            "apply needs a confirmation and there is no terminal to ask on: review the "
            "plan above and run again with --auto-approve."
        )
    answer = runtime.ask("Do you want to perform these actions? Only 'yes' will be accepted: ")
    if answer.strip() != "yes":
        raise Cancelled("Apply cancelled.")
