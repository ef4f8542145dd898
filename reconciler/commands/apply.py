"""`reconciler apply [PLANFILE]`: the plan shown, the confirmation asked, the run's events and its
summary told. The work (under the state lock: plan or saved plan, execute, wait) is
`usecases.apply`."""

from __future__ import annotations

from dataclasses import dataclass, fields

from reconciler.applying.display import (
    CREATED_NOT_DELETED,
    ProgressDisplay,
    outcome_line,
    summary_line,
    waited_lines,
)
from reconciler.applying.verdict import Waited
from reconciler.commands.events import show
from reconciler.errors import Cancelled, ReconcilerError
from reconciler.exitcodes import ExitCode
from reconciler.render.plan_text import render_text
from reconciler.runtime import Runtime
from reconciler.usecases.apply import ApplyInputs, JobDone, Polled, execute, prepare


class ApplyRefused(ReconcilerError):
    """Apply was not confirmed: nothing was done."""


@dataclass(frozen=True)
class ApplyOptions(ApplyInputs):
    """The use case's inputs, and what only the command line asks."""

    auto_approve: bool = False
    no_color: bool = False


def apply(options: ApplyOptions, runtime: Runtime) -> int:
    inputs = ApplyInputs(**{f.name: getattr(options, f.name) for f in fields(ApplyInputs)})
    shown = _Shown(runtime)
    with prepare(inputs, runtime, shown) as prepared:
        runtime.out.write(render_text(prepared.plan, color=runtime.color(options.no_color)))
        if prepared.plan.errored:
            return ExitCode.ERROR
        if prepared.asks and not options.auto_approve:
            _confirm(runtime)
        try:
            applied = execute(prepared, shown)
        finally:
            shown.display.close()
        summary = summary_line(applied.results, applied.wait, applied.ok, applied.unfinished)
        runtime.out.write(summary + "\n")
        if applied.created:
            runtime.out.write(CREATED_NOT_DELETED + "\n")
        if applied.unsaved is not None:
            raise applied.unsaved
        return ExitCode.OK if applied.ok else ExitCode.ERROR


class _Shown:
    """Apply's events on the terminal: outcomes and progress on stdout, the rest on stderr."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.out, self.err = runtime.out, runtime.err
        self.display = ProgressDisplay(runtime.out, tty=runtime.out_tty)

    def __call__(self, event: object) -> None:
        if isinstance(event, Polled):
            self.display(event.progress)
        elif isinstance(event, JobDone):
            self.out.write(outcome_line(event.outcome) + "\n")
        elif isinstance(event, Waited):
            self.display.close()
            self.err.write("".join(line + "\n" for line in waited_lines(event)))
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
