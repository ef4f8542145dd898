"""The plan as text, shaped like Terraform's: one block per job, then quota, problems, summary.

Symbols: `+` create, `<=` import (state only), `~>` retry (a new job), `-` forget. Colours only
when asked (the command asks on a TTY without NO_COLOR). CSV contents never appear: only
locations. Every value from outside is `printable` (a detail's lines are the tool's own).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from reconciler.diagnostics import Severity
from reconciler.escaping import printable, printable_lines
from reconciler.planning.attention import Concern
from reconciler.planning.attention import summary as attention_summary
from reconciler.planning.model import Action, Change, Plan, PlanDiagnostic
from reconciler.render.diagnostics import plural
from reconciler.render.styles import STYLES, ActionStyle
from reconciler.render.values import (
    checks_sentence,
    fanout_lines,
    import_sentence,
    input_text,
    job_values,
    short_group,
    summary_sentence,
)

_COLOR = {"error": "31", "warning": "33", "bold": "1"}  # an action's colour: STYLES
_FIELDS = ("datasetGroupArn", "jobName", "dataLocation", "roleArn", "tags")


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str | ActionStyle) -> str:
        """`text` in `style` (a name of `_COLOR`, or an action's style) where colours are on."""
        code = style.color if isinstance(style, ActionStyle) else _COLOR[style]
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


def render_text(plan: Plan, *, color: bool = False) -> str:
    paint = _Paint(color)
    lines: list[str] = [printable(plan.target.line()), ""]
    fanout = fanout_lines(plan)
    if fanout:
        lines += ["Fan-out:", *(f"  {printable(line)}" for line in fanout), ""]
    changing = [c for c in plan.changes if not c.in_sync and c.action is not Action.IMPORT]
    if changing:
        lines.append("Reconciler will perform the following actions:")
        lines.append("")
        for change in changing:
            lines.extend(_block(change, paint))
            lines.append("")
    importing = [c for c in plan.changes if c.action is Action.IMPORT]
    if importing:
        lines.append("Reconciler will record these jobs of the service (state only: nothing is")
        lines.append("created or changed in Personalize):")
        lines.append("")
        for change in importing:
            lines.extend(_block(change, paint))
            lines.append("")
    notes: list[str] = []
    for quota in plan.quotas:
        if quota.queued:
            notes.append(
                f"Quota: {short_group(quota.dataset_group_arn)} has {quota.pending} PENDING of "
                f"{quota.limit}: {quota.creates_now} to create now, {quota.queued} queued for a "
                "later apply."
            )
    if plan.refreshed:
        notes.append("Refreshed from the service:")
        for refreshed in plan.refreshed:
            before = refreshed.before.value if refreshed.before else "(none)"
            notes.append(f"  {printable(refreshed.address)}: {before} -> {refreshed.after.value}")
    if notes:
        lines.extend([*notes, ""])
    for diagnostic in plan.diagnostics:
        lines.extend(_diagnostic(diagnostic, paint))
    open_requests = [r for r in plan.requests if not r.done]
    if open_requests:
        lines.append("Erasure requests open:")
        lines.extend(f"  {printable(r.line())}" for r in open_requests)
        lines.append("")
    if plan.attention:
        lines.append(paint(attention_summary(plan.attention), "warning"))
        lines.extend(f"  {item.line()}" for item in plan.attention)
        lines.append("")
    lines.append(_summary(plan, paint))
    if plan.api_calls:
        calls = ", ".join(f"{name} {count}" for name, count in sorted(plan.api_calls.items()))
        lines.append(f"API calls: {calls}")
    return "\n".join(lines) + "\n"


def _block(change: Change, paint: _Paint) -> list[str]:
    style = STYLES[change.action]
    symbol = style.symbol
    held = printable(change.held or "")
    head = {
        Action.CREATE: f"will be held ({held})"
        if held
        else ("will be queued" if change.queued else "will be created"),
        Action.IMPORT: "will be imported",
        Action.RETRY: f"will be retried as {printable(repr(change.job_name))}"
        + (f" (held: {held})" if held else " (queued)" if change.queued else ""),
        Action.FORGET: "will be forgotten",
    }[change.action]
    address = printable(change.address)
    lines = [paint(f"  # {address} {head}", "bold") + f": {printable(change.detail)}"]
    lines.append(paint(f"  {symbol} data_deletion_job {_json(change.job_name)} {{", style))
    values = job_values(change.after) if change.after else None
    if change.action is Action.FORGET and change.recorded is not None:
        lines.append(f"      id = {_json(change.recorded.arn)}")
    elif values is not None:
        flat = {**values, "dataLocation": values["dataSource"]["dataLocation"]}
        width = max(len(f) for f in _FIELDS)
        for field in _FIELDS:
            lines.append(paint(f"      {symbol} {field:<{width}} = {_show(flat[field])}", style))
        if change.action is Action.IMPORT:
            lines.append(f"        {'id':<{width}} = {_json(values['dataDeletionJobArn'])}")
            if change.earlier:
                shown = ", ".join(
                    f"{printable(e.job_name)} "
                    f"({e.seen.status.value if e.seen else 'not in the service'})"
                    for e in change.earlier
                )
                lines.append(f"        {'earlier':<{width}} = {shown}")
            lines.append(f"        {'status':<{width}} = {_show(values['status'])}")
        else:
            lines.append(f"        {'id':<{width}} = (known after apply)")
            for evidence in change.inputs:
                lines.append(f"        {'input':<{width}} = {printable(input_text(evidence))}")
    lines.append(paint("    }", style))
    return lines


def _show(value: Any) -> str:
    if isinstance(value, dict):
        pairs = (f"{printable(k)} = {_json(v)}" for k, v in sorted(value.items()))
        return "{" + ", ".join(pairs) + "}"
    return _json(value)


def _json(value: Any) -> str:
    """A value as a JSON literal (controls escaped by JSON), printable in a CI log too."""
    return printable(json.dumps(value))


def _diagnostic(diagnostic: PlanDiagnostic, paint: _Paint) -> list[str]:
    label = {Severity.ERROR: "Error", Severity.WARNING: "Warning", Severity.INFO: "Note"}
    style = "error" if diagnostic.severity is Severity.ERROR else "warning"
    lines = [paint(f"{label[diagnostic.severity]}: ", style) + printable(diagnostic.summary)]
    where = []
    if diagnostic.source:
        where.append(f"on {printable(str(diagnostic.source))}")
    if diagnostic.address:
        where.append(f"({printable(diagnostic.address)})")
    if where:
        lines.append("  " + " ".join(where))
    if diagnostic.detail:
        lines.extend(f"  {line}" for line in printable_lines(diagnostic.detail).split("\n"))
    lines.append("")
    return lines


def _summary(plan: Plan, paint: _Paint) -> str:
    if plan.errored:
        errors = sum(1 for d in plan.diagnostics if d.severity is Severity.ERROR)
        failed = f"Plan failed: {plural(errors, 'error')} to fix; nothing can be applied."
        return paint(failed, "error")
    imports = import_sentence(plan)
    if not plan.has_changes and plan.attention:
        concerns = Counter(item.concern for item in plan.attention)
        jobs = concerns[Concern.FAILED] + concerns[Concern.MISSING]
        need = "needs" if jobs == 1 else "need"
        said = [f"{plural(jobs, 'job')} {need} attention"] if jobs else []
        selectors = concerns[Concern.UNMATCHED]
        if selectors:
            match = "matches" if selectors == 1 else "match"
            said.append(f"{plural(selectors, 'selector')} {match} no dataset group")
        overdue = concerns[Concern.OVERDUE]
        if overdue:
            said.append(f"{plural(overdue, 'request')} {'is' if overdue == 1 else 'are'} overdue")
        text = f"No changes to apply, but {' and '.join(said)}."
    elif not plan.has_changes and plan.refused:
        text = "Nothing to apply: the jobs left to create are refused (see the errors above)."
    elif not plan.has_changes and plan.left_out:
        text = (
            f"Nothing to apply in this plan: {plural(len(plan.left_out), 'change')} the "
            "manifests call for left out (see the warning above)."
        )
    elif not plan.has_changes:
        text = "No changes. Every declared job is in the state and the service."
    elif imports and not any(c.action is not Action.IMPORT for c in plan.changes if not c.in_sync):
        text = f"{imports}."
    else:
        text = f"Plan: {summary_sentence(plan)}." + (f" {imports}." if imports else "")
        if plan.left_out:
            text += f" Left out: {len(plan.left_out)} (see the warning above)."
    health = Counter(c.health.value for c in plan.changes if c.in_sync)
    if health:
        shown = ", ".join(f"{name} {count}" for name, count in sorted(health.items()))
        text += f" Unchanged: {sum(health.values())} ({shown})."
    checks = checks_sentence(plan)
    if checks:
        text += f" {checks}."
    return paint(text, "bold")
