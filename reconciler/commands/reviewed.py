"""How `apply --reviewed` tells what became of the reviewed plan: a fresh plan made instead (a
warning before it runs; once it ran, an annotation and the step summary with `--format github`,
and `--fresh-note`), or the reviewed plan refused and nothing applied (an `::error` and the
step summary). The decision is `usecases.saved_plans.reviewed_or_fresh`'s."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from reconciler.commands.github import step_summary
from reconciler.errors import ReconcilerError
from reconciler.escaping import printable, printable_lines
from reconciler.files import write_output
from reconciler.models import Target
from reconciler.render.escape import markdown
from reconciler.render.github import (
    FRESH_TITLE,
    REFUSED_TITLE,
    command,
    fresh_headline,
    fresh_markdown,
)
from reconciler.runtime import Runtime
from reconciler.usecases.saved_plans import FreshInstead, InputReplaced, ReviewedPlanRequired


@contextmanager
def refusal_told(runtime: Runtime, github: bool) -> Iterator[None]:
    """`--format github`: a reviewed plan not applied, and nothing else either (its input was
    replaced, or the settings require it), as an ::error and in the step summary too."""
    try:
        yield
    except (InputReplaced, ReviewedPlanRequired) as exc:
        if github:
            runtime.out.write(command("error", str(exc), title=REFUSED_TITLE) + "\n")
            step_summary(runtime, f"❌ **{markdown(str(exc))}**\n")
        raise


def planned_fresh(runtime: Runtime, instead: FreshInstead) -> None:
    """Before the plan is shown: it is a fresh plan, not the reviewed one, and how it differs."""
    headline = fresh_headline(instead.reason, instead.differences, None)
    lines = "".join(f"  {line}\n" for line in instead.differences or ())
    runtime.err.write(f"Warning: {printable(headline)}:\n{printable_lines(lines)}")


def fresh_told(
    runtime: Runtime,
    github: bool,
    instead: FreshInstead,
    target: Target,
    protected: Sequence[Path],
    applied: bool,
) -> None:
    """Once the run is over: a fresh plan was applied (or nothing was), not the reviewed one:
    with `--format github` a warning annotation and the step summary; `--fresh-note`, never
    over the state's files."""
    headline = fresh_headline(instead.reason, instead.differences, applied)
    text = fresh_markdown(headline, instead.differences, target, instead.run)
    if github:
        runtime.out.write(command("warning", headline, title=FRESH_TITLE) + "\n")
        step_summary(runtime, text)
    if instead.note is None:
        return
    try:
        write_output(
            instead.note, text.encode(), "--fresh-note", protected, example="fresh-plan.md"
        )
    except (OSError, ReconcilerError) as exc:
        why = exc.strerror or exc if isinstance(exc, OSError) else exc
        runtime.err.write(
            f"Note: could not write {printable(str(instead.note))} (--fresh-note): "
            f"{printable(str(why))}.\n"
        )
