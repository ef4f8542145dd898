"""GitHub Actions workflow commands (`--format github`): each problem as an `::error` or
`::warning` annotation at its manifest `file:line:col`, so it shows inline on the pull request's
diff; and the Markdown of a check for the job's step summary.

Workflow commands are lines on stdout: `::error file=F,line=L,col=C,title=T::MESSAGE`, where the
message escapes `%`, CR and LF, and property values `:` and `,` as well
(`reconciler.render.escape`); a message's lines are the tool's, each value in them one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.models import Target
from reconciler.planning.attention import Attention, Concern
from reconciler.planning.model import Plan
from reconciler.render.escape import command_data, command_property, markdown

CHECK_MARKER = "<!-- reconciler-check -->"
FRESH_MARKER = "<!-- reconciler-fresh-plan -->"
FRESH_TITLE = "Not the reviewed plan"
REFUSED_TITLE = "Reviewed plan not applied"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def command(level: str, message: str, location: Location | None = None, title: str = "") -> str:
    """One workflow command line: `::LEVEL file=…,line=…,col=…,title=…::MESSAGE`."""
    properties = []
    if location is not None:
        properties += [
            f"file={command_property(location.file)}",
            f"line={location.line}",
            f"col={location.column}",
        ]
    if title:
        properties.append(f"title={command_property(title)}")
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    return f"{head}::{command_data(message)}"


def diagnostics_github(diagnostics: Sequence[Diagnostic]) -> str:
    """Each manifest problem as an annotation at its place."""
    lines = [
        command(_LEVEL[d.severity], printable(d.message), d.location, title="reconciler validate")
        for d in diagnostics
    ]
    return "".join(f"{line}\n" for line in lines)


def plan_github(plan: Plan) -> str:
    """The plan's errors and warnings at their jobs' manifest lines, and each job that needs a
    person (FAILED, no longer listed) as a warning at its own."""
    lines = _plan_problems(plan, "reconciler plan")
    lines += _attention(plan, plan.attention, "warning")
    return "".join(f"{line}\n" for line in lines)


def apply_github(
    plan: Plan, attention: Iterable[Attention] = (), failed: Iterable[tuple[str, str]] = ()
) -> str:
    """What keeps an apply of `plan` from completing, at each job's manifest line: the plan's
    errors and warnings (as `plan_github` has them); each declared job the run leaves needing a
    person (`attention`: the plan's, or those that ended FAILED or vanished while waiting) and
    each create that failed or was not confirmed (`failed`: address and the tool's line), as
    errors."""
    lines = _plan_problems(plan, "reconciler apply")
    lines += _attention(plan, attention, "error")
    sources = _sources(plan)
    lines += [
        command("error", printable(text), sources.get(address), f"reconciler apply: {address}")
        for address, text in failed
    ]
    return "".join(f"{line}\n" for line in lines)


def _sources(plan: Plan) -> dict[str, Location]:
    """Where each of the plan's jobs is declared."""
    return {c.address: c.source for c in plan.changes if c.source is not None}


def _plan_problems(plan: Plan, title: str) -> list[str]:
    """The plan's errors and warnings, titled `title` (and the job's address)."""
    return [
        command(
            _LEVEL[d.severity],
            "\n".join(filter(None, (printable(d.summary), d.detail))),
            d.source,
            title=f"{title}: {d.address}" if d.address else title,
        )
        for d in plan.diagnostics
        if d.severity is not Severity.INFO
    ]


def _attention(plan: Plan, items: Iterable[Attention], level: str) -> list[str]:
    """Each job that needs a person, at its place (a selector's is its address)."""
    sources = _sources(plan)
    return [
        command(
            level,
            printable(f"{item.detail}. Next: {item.next_step}"),
            Location.parse(item.address)
            if item.concern is Concern.UNMATCHED  # its address is the selector's place
            else sources.get(item.address),
            title=f"reconciler: {item.address} needs attention",
        )
        for item in items
    ]


def check_github(found: Iterable[tuple[ExitCode, str, Location | None]]) -> str:
    """What keeps a check from passing, each at its job's manifest line: failed and drifted
    jobs and errors as errors; jobs not applied or still running as warnings."""
    lines = [
        command(
            "error" if code in (ExitCode.ERROR, ExitCode.FAILED, ExitCode.DRIFT) else "warning",
            text,
            location,
            title="reconciler check",
        )
        for code, text, location in found
    ]
    return "".join(f"{line}\n" for line in lines)


def check_markdown(verdict: str, lines: Sequence[str], target: Target, ok: bool) -> str:
    """The check for a step summary or an issue: the verdict, the target, what keeps it red."""
    icon = "✅" if ok else "❌"
    shown = ["- " + markdown(line) for line in lines[:500]]
    if len(lines) > 500:
        shown.append(f"- … and {len(lines) - 500} more")
    body = [f"{icon} **{markdown(verdict)}**", "", f"**{markdown(target.line())}**", "", *shown]
    return "\n".join([*body, "", CHECK_MARKER]) + "\n"


def fresh_headline(reason: str, differences: Sequence[str] | None, applied: bool | None) -> str:
    """What `apply --reviewed` says of a fresh plan made instead of the reviewed one: before it
    runs (`applied` None), once it applied it, or once it applied nothing."""
    if differences is None:
        differ = "the reviewed plan could not be read to compare"
    else:
        count = len(differences)
        differ = f"{count} change{'s' if count != 1 else ''} differ{'s' if count == 1 else ''}"
    done = {
        None: "A fresh plan is applied, not the reviewed one",
        True: "Applied a fresh plan, not the reviewed one",
        False: "Made a fresh plan, not the reviewed one, and applied nothing",
    }[applied]
    return f"{done}: {differ} ({reason.rstrip('.')})"


def fresh_markdown(
    headline: str, differences: Sequence[str] | None, target: Target, run: str | None
) -> str:
    """The same for a step summary and the pull request: the headline, the target, each change
    that differs from the reviewed plan, and the run."""
    shown = ["- " + markdown(line) for line in (differences or ())[:200]]
    if differences and len(differences) > 200:
        shown.append(f"- … and {len(differences) - 200} more")
    body = [f"⚠️ **{markdown(headline)}**", "", f"**{markdown(target.line())}**"]
    if shown:
        body += ["", "How this plan differs from the reviewed one:", "", *shown]
    if run:
        body += ["", f"Run: {markdown(run)}"]
    return "\n".join([*body, "", FRESH_MARKER]) + "\n"
