"""The plan as Markdown for a pull-request comment, in the style of Atlantis and tfcmt: the
verdict and counts on the first line, where it acts, a table of the changes only, the jobs that
need a person with their next steps, problems, and the unchanged jobs as a count (their names in
`<details>`, up to `UNCHANGED_NAMES`).

The whole comment always fits GitHub's limit (`COMMENT_LIMIT` characters): tables are cut with
"… and N more; full plan in the job artifact" where they must be. A hidden marker (`MARKER`) lets
CI find its own comment and update it in place: it is the comment's last line, and no value can
write it again (every value is escaped, `reconciler.render.escape`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reconciler import __version__
from reconciler.diagnostics import Severity
from reconciler.planning.attention import summary as attention_summary
from reconciler.planning.deadlines import Standing, days_phrase
from reconciler.planning.model import Change, Plan
from reconciler.render.diagnostics import plural
from reconciler.render.escape import code, markdown, prose
from reconciler.render.styles import STYLES
from reconciler.render.values import (
    checks_sentence,
    fanout_lines,
    import_sentence,
    short_group,
    summary_sentence,
)

MARKER = "<!-- reconciler-plan -->"
COMMENT_LIMIT = 65_536  # characters GitHub keeps in an issue or pull-request comment
UNCHANGED_NAMES = 300


@dataclass(frozen=True)
class _Caps:
    """How many rows of each long part are shown."""

    changes: int
    attention: int
    problems: int
    names: int
    fanout: int
    requests: int


def render_markdown(plan: Plan, *, limit: int = COMMENT_LIMIT) -> str:
    """The comment, cut to fit `limit` characters where the whole would not."""
    changing = [c for c in plan.changes if not c.in_sync]
    problems = [d for d in plan.diagnostics if d.severity is not Severity.INFO]
    requests = sum(1 for r in plan.requests if not r.done)
    caps = _Caps(
        len(changing),
        len(plan.attention),
        len(problems),
        UNCHANGED_NAMES,
        len(plan.fanout),
        requests,
    )
    text = _render(plan, caps)
    if len(text) <= limit:
        return text
    # Cut the long parts, the unchanged names first, then every list by the same share.
    caps = _Caps(caps.changes, caps.attention, caps.problems, 0, caps.fanout, caps.requests)
    low, high = 0, max(caps.changes, caps.attention, caps.problems, caps.fanout, caps.requests)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_render(plan, _capped(caps, middle))) <= limit:
            low = middle
        else:
            high = middle - 1
    text = _render(plan, _capped(caps, low))
    if len(text) <= limit:
        return text
    # Even the bare outline is too long (a very long target or headline): cut it whole, at the
    # end of a line (never inside an escape, a tag or a code span).
    tail = f"\n… cut; full plan in the job artifact\n{MARKER}\n"
    cut = text[: limit - len(tail)]
    return cut[: cut.rfind("\n") + 1] + tail


def _capped(caps: _Caps, rows: int) -> _Caps:
    return _Caps(
        min(caps.changes, rows),
        min(caps.attention, rows),
        min(caps.problems, rows),
        0,
        min(caps.fanout, rows),
        min(caps.requests, rows),
    )


def headline(plan: Plan) -> str:
    """The first line: the verdict and the counts."""
    attention = attention_summary(plan.attention)
    if plan.errored:
        return "❌ **Plan failed**: fix the errors below; nothing can be applied."
    checks = checks_sentence(plan)
    if not plan.has_changes and plan.refused:
        line = "❌ **Nothing to apply**: the jobs left to create are refused"
    elif not plan.has_changes and attention:
        line = f"⚠️ **No changes · {attention}**"
    elif not plan.has_changes and plan.left_out:
        line = (
            f"⚠️ **Nothing to apply in this plan**: {plural(len(plan.left_out), 'change')} the "
            "manifests call for left out"
        )
    elif not plan.has_changes:
        line = "✅ **No changes.** Every declared job is in the state and the service"
    else:
        line = f"**Plan: {summary_sentence(plan)}**"
        imports = import_sentence(plan)
        if imports:
            line += f" · {imports}"
        if attention:
            line += f" · ⚠️ **{attention}**"
    return line + (f" · {checks}" if checks else "")


def _render(plan: Plan, caps: _Caps) -> str:
    lines = [headline(plan), "", f"**{markdown(plan.target.line())}**", ""]
    fanout = fanout_lines(plan)
    if fanout:
        shown = [f"- {markdown(line)}" for line in fanout[: caps.fanout]]
        lines += ["**Fan-out:**", "", *shown, *_more(len(fanout) - caps.fanout, "documents"), ""]
    changing = [c for c in plan.changes if not c.in_sync]
    if changing:
        flagged = {item.address for item in plan.attention}
        lines += [
            "#### Changes",
            "",
            "| Action | Job | Job name | Dataset group | Input | Why |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_row(change, flagged) for change in changing[: caps.changes]]
        lines += _more(len(changing) - caps.changes)
        lines.append("")
    open_requests = [r for r in plan.requests if not r.done]
    if open_requests:
        lines += [
            "#### Erasure requests open",
            "",
            "| Request | Regime | Due | Days left | Jobs COMPLETED |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {code(r.spec.id)} | {r.spec.regime.value} | {r.spec.due.isoformat()}"
            f"{' (extended)' if r.spec.extended_until else ''} | "
            f"{'⚠️ ' if r.standing is not Standing.OPEN else ''}{days_phrase(r.days_left)} | "
            f"{r.completed_jobs} of {r.jobs} |"
            for r in open_requests[: caps.requests]
        ]
        lines += [*_more(len(open_requests) - caps.requests, "requests"), ""]
    if plan.attention:
        lines += ["#### ⚠️ Needs attention", "", "| Job | What the service says | Next step |"]
        lines.append("|---|---|---|")
        lines += [
            f"| {code(item.address)} | {markdown(item.detail)} | {prose(item.next_step)} |"
            for item in plan.attention[: caps.attention]
        ]
        lines += _more(len(plan.attention) - caps.attention)
        lines.append("")
    problems = [d for d in plan.diagnostics if d.severity is not Severity.INFO]
    for diagnostic in problems[: caps.problems]:
        label = "Error" if diagnostic.severity is Severity.ERROR else "Warning"
        where = f" ({code(str(diagnostic.source))})" if diagnostic.source else ""
        lines.append(f"> **{label}:** {markdown(diagnostic.summary)}{where}")
        if diagnostic.detail:
            lines.extend(f"> {markdown(line)}" for line in diagnostic.detail.split("\n"))
        lines.append("")
    if len(problems) > caps.problems:
        lines += [*_more(len(problems) - caps.problems, "problems"), ""]
    lines += _unchanged(plan, caps.names)
    calls = ", ".join(f"{name} {count}" for name, count in sorted(plan.api_calls.items()))
    lines.append(
        f"<sub>reconciler {__version__} · state {code(plan.state_location)}"
        + (f" · API calls: {calls}" if calls else "")
        + "</sub>"
    )
    lines.append(MARKER)
    return "\n".join(lines) + "\n"


def _unchanged(plan: Plan, names: int) -> list[str]:
    unchanged = [c for c in plan.changes if c.in_sync]
    if not unchanged:
        return []
    health = Counter(c.health.value for c in unchanged)
    shown = ", ".join(f"{name} {count}" for name, count in sorted(health.items()))
    summary = f"Unchanged: {plural(len(unchanged), 'job')} ({shown})"
    if names == 0:
        return [summary, ""]
    listed = ", ".join(code(c.address) for c in unchanged[:names])
    more = len(unchanged) - names
    tail = f", … and {more} more" if more > 0 else ""
    return [f"<details><summary>{summary}</summary>", "", listed + tail, "", "</details>", ""]


def _more(count: int, what: str = "rows") -> list[str]:
    if count <= 0:
        return []
    return ["", f"… and {count} more {what}; full plan in the job artifact"]


def _row(change: Change, flagged: set[str]) -> str:
    action = STYLES[change.action].label + (
        f" (held: {markdown(change.held)})" if change.held else " (queued)" if change.queued else ""
    )
    name = change.job_name
    if change.desired is not None and change.desired.job_name != name:
        name = f"{change.desired.job_name} → {name}"
    warn = "⚠️ " if change.address in flagged else ""
    return (
        f"| {action} | {warn}{code(change.address)} | {code(name)} | "
        f"{code(short_group(change.dataset_group_arn))} | {_input(change)} | "
        f"{markdown(change.detail)} |"
    )


def _input(change: Change) -> str:
    """A create's input: each object's location, size and short identity (the first two, and
    how many more)."""
    if not change.creates or change.desired is None:
        return ""
    if not change.inputs:
        return f"{code(change.desired.data_location)} (not read)"
    shown = [
        f"{code(e.location)} {e.bytes} bytes, {plural(e.rows, 'row')}"
        + (f", {code(e.identity.short())}" if e.identity is not None else "")
        for e in change.inputs[:2]
    ]
    more = len(change.inputs) - 2
    return "<br>".join(shown) + (f"<br>… and {more} more objects" if more > 0 else "")
