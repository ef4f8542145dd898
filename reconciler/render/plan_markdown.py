"""The plan as Markdown for a pull-request comment: one summary line, a table per dataset group,
problems, and the text plan collapsed in <details>."""

from __future__ import annotations

from itertools import groupby

from reconciler.diagnostics import Severity
from reconciler.planning.attention import summary as attention_summary
from reconciler.planning.model import Action, Change, Plan
from reconciler.render.plan_text import render_text
from reconciler.render.values import (
    checks_sentence,
    fanout_lines,
    import_sentence,
    short_group,
    summary_sentence,
)

_ICON = {
    Action.CREATE: "🆕 create",
    Action.IMPORT: "📥 import",
    Action.RETRY: "🔁 retry",
    Action.FORGET: "📤 forget",
    Action.NOOP: "no-op",
}


def render_markdown(plan: Plan) -> str:
    attention = attention_summary(plan.attention)
    if plan.errored:
        headline = "❌ **Plan failed**: fix the errors below; nothing can be applied."
    elif not plan.has_changes and plan.refused:
        headline = "❌ **Nothing to apply**: the jobs left to create are refused (see below)."
    elif not plan.has_changes and attention:
        headline = f"⚠️ **{attention}.** No changes to apply: see the next steps below."
    elif not plan.has_changes:
        headline = "✅ **No changes.** Every declared job is in the state and the service."
    else:
        headline = f"**Plan:** {summary_sentence(plan)}, {plan.summary()['no-op']} unchanged."
        imports = import_sentence(plan)
        if imports:
            headline += f" {imports}."
        if attention:
            headline += f" ⚠️ **{attention}.**"
    checks = checks_sentence(plan)
    if checks and not plan.errored:
        headline += f" {checks}."
    lines = ["### Reconciler plan", "", headline, "", f"**{plan.target.line()}**", ""]
    fanout = fanout_lines(plan)
    if fanout:
        lines += ["**Fan-out:**", "", *(f"- {_cell(line)}" for line in fanout), ""]
    if plan.attention:
        lines += ["#### ⚠️ Needs attention", "", "| Job | What the service says | Next step |"]
        lines.append("|---|---|---|")
        lines += [
            f"| `{item.address}` | {_cell(item.detail)} | {_cell(item.next_step)} |"
            for item in plan.attention
        ]
        lines.append("")
    flagged = {item.address for item in plan.attention}
    ordered = sorted(plan.changes, key=lambda c: c.dataset_group_arn)
    for group, changes in groupby(ordered, key=lambda c: c.dataset_group_arn):
        lines += [
            f"#### `{short_group(group)}`",
            "",
            "| Job | Action | Health | Why |",
            "|---|---|---|---|",
        ]
        lines += [_row(change, flagged) for change in changes]
        lines.append("")
    for diagnostic in plan.diagnostics:
        if diagnostic.severity is Severity.INFO:
            continue
        label = "Error" if diagnostic.severity is Severity.ERROR else "Warning"
        where = f" (`{diagnostic.source}`)" if diagnostic.source else ""
        lines.append(f"> **{label}:** {_cell(diagnostic.summary)}{where}")
        lines.extend(f"> {_cell(line)}" for line in diagnostic.detail.splitlines())
        lines.append("")
    lines += [
        "<details><summary>Full plan</summary>",
        "",
        "```text",
        render_text(plan, color=False).rstrip("\n"),
        "```",
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


def _row(change: Change, flagged: set[str]) -> str:
    action = _ICON[change.action] + (
        f" (held: {change.held})" if change.held else " (queued)" if change.queued else ""
    )
    name = change.job_name
    if change.desired is not None and change.desired.job_name != name:
        name = f"{change.desired.job_name} → {name}"
    health = ("⚠️ " if change.address in flagged else "") + change.health.value
    return f"| `{name}` | {action} | {health} | {_cell(change.detail)} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
