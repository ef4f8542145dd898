"""The plan as Markdown for a pull-request comment: one summary line, a table per dataset group,
problems, and the text plan collapsed in <details>."""

from __future__ import annotations

from itertools import groupby

from reconciler.diagnostics import Severity
from reconciler.planning.model import Action, Change, Plan
from reconciler.render.plan_text import render_text
from reconciler.render.values import import_sentence, short_group, summary_sentence

_ICON = {
    Action.CREATE: "🆕 create",
    Action.IMPORT: "📥 import",
    Action.RETRY: "🔁 retry",
    Action.FORGET: "📤 forget",
    Action.NOOP: "no-op",
}


def render_markdown(plan: Plan) -> str:
    if plan.errored:
        headline = "❌ **Plan failed**: fix the errors below; nothing can be applied."
    elif not plan.has_changes:
        headline = "✅ **No changes.** Every declared job is in the state and the service."
    else:
        headline = f"**Plan:** {summary_sentence(plan)}, {plan.summary()['no-op']} unchanged."
        imports = import_sentence(plan)
        if imports:
            headline += f" {imports}."
    lines = ["### Reconciler plan", "", headline, ""]
    ordered = sorted(plan.changes, key=lambda c: c.dataset_group_arn)
    for group, changes in groupby(ordered, key=lambda c: c.dataset_group_arn):
        lines += [
            f"#### `{short_group(group)}`",
            "",
            "| Job | Action | Health | Why |",
            "|---|---|---|---|",
        ]
        lines += [_row(change) for change in changes]
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


def _row(change: Change) -> str:
    action = _ICON[change.action] + (" (queued)" if change.queued else "")
    name = change.job_name
    if change.desired is not None and change.desired.job_name != name:
        name = f"{change.desired.job_name} → {name}"
    return f"| `{name}` | {action} | {change.health.value} | {_cell(change.detail)} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
