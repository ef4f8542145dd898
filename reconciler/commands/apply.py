"""`reconciler apply [PLANFILE]`: the plan shown, the confirmation asked, the run's events and its
summary told (`--format github`: and annotations). The work (under the state lock: plan or saved
plan, execute, wait) and the exit code it comes to are `usecases.apply`'s."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import reconciler.applying.display as display
from reconciler.applying.verdict import Waited
from reconciler.commands.events import show
from reconciler.commands.github import annotated, step_summary
from reconciler.errors import Cancelled, ReconcilerError
from reconciler.escaping import printable, printable_lines
from reconciler.exitcodes import ExitCode
from reconciler.files import write_output
from reconciler.formats import OutputFormat
from reconciler.models import Target
from reconciler.render.escape import markdown
from reconciler.render.github import (
    FRESH_TITLE,
    REFUSED_TITLE,
    apply_github,
    command,
    fresh_headline,
    fresh_markdown,
)
from reconciler.render.plan_text import render_text
from reconciler.runtime import Runtime
from reconciler.usecases.apply import ApplyInputs, JobDone, Polled, execute, prepare
from reconciler.usecases.saved_plans import FreshInstead, InputReplaced, ReviewedPlanRequired


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
    shown = _Shown(runtime, github)
    with (
        annotated(runtime, github),
        _refusal_told(runtime, github),
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
                shown.fresh(shown.instead, plan.target, prepared.protected, started)
        told = display.summary(applied.results, applied.wait, applied.unfinished, applied.created)
        if github:
            told += apply_github(plan, applied.attention, display.failures(applied.outcomes))
        runtime.out.write(told)
        if applied.unsaved is not None:
            raise applied.unsaved
        return applied.exit_code


@contextmanager
def _refusal_told(runtime: Runtime, github: bool) -> Iterator[None]:
    """`--format github`: a reviewed plan not applied, and nothing else either (its input was
    replaced, or the settings require it), as an ::error and in the step summary too."""
    try:
        yield
    except (InputReplaced, ReviewedPlanRequired) as exc:
        if github:
            runtime.out.write(command("error", str(exc), title=REFUSED_TITLE) + "\n")
            step_summary(runtime, f"❌ **{markdown(str(exc))}**\n")
        raise


class _Shown:
    """Apply's events on the terminal: outcomes and progress on stdout, the rest on stderr."""

    def __init__(self, runtime: Runtime, github: bool = False) -> None:
        self.runtime, self.out, self.err = runtime, runtime.out, runtime.err
        self.progress = display.ProgressDisplay(runtime.out, tty=runtime.out_tty)
        self.github = github
        self.instead: FreshInstead | None = None

    def planned_fresh(self, instead: FreshInstead) -> None:
        """Before the plan is shown: it is a fresh plan, not the reviewed one, and how it
        differs."""
        headline = fresh_headline(instead.reason, instead.differences, None)
        lines = "".join(f"  {line}\n" for line in instead.differences or ())
        self.err.write(f"Warning: {printable(headline)}:\n{printable_lines(lines)}")

    def fresh(
        self, instead: FreshInstead, target: Target, protected: Sequence[Path], applied: bool
    ) -> None:
        """Once the run is over: a fresh plan was applied (or nothing was), not the reviewed
        one: with `--format github` a warning annotation and the step summary; `--fresh-note`."""
        headline = fresh_headline(instead.reason, instead.differences, applied)
        text = fresh_markdown(headline, instead.differences, target, instead.run)
        if self.github:
            self.out.write(command("warning", headline, title=FRESH_TITLE) + "\n")
            step_summary(self.runtime, text)
        if instead.note is not None:
            try:
                write_output(
                    instead.note, text.encode(), "--fresh-note", protected, example="fresh-plan.md"
                )
            except (OSError, ReconcilerError) as exc:
                why = exc.strerror or exc if isinstance(exc, OSError) else exc
                self.err.write(
                    f"Note: could not write {printable(str(instead.note))} (--fresh-note): "
                    f"{printable(str(why))}.\n"
                )

    def __call__(self, event: object) -> None:
        if isinstance(event, FreshInstead):
            self.instead = event  # and told again once the run is over
            self.planned_fresh(event)
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
