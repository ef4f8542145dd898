"""The plan as JSON, in Terraform's plan representation so tools that read Terraform plans work.

Terraform's keys (`format_version`, `resource_changes[]` with `address`, `type`, `name`,
`change.actions`, `change.before`, `change.after`, `action_reason`, `prior_state`,
`resource_drift`, `applyable`, `errored`) carry our actions as Terraform spells them: create ->
["create"], retry -> ["create"] (a new job), import -> ["no-op"] with `importing`, forget ->
["forget"], no-op -> ["no-op"]. Our own additions: `reconciler` (action, reason, health, queue),
`summary`, `quota`, `fanout` (each document with targets: `source`, `how`, `groups`,
`new_groups`, `jobs`), `diagnostics`, `api_calls`. Values are the data they are
(`reconciler.render.escape.json_text`).
"""

from __future__ import annotations

from typing import Any

from reconciler import __version__
from reconciler.diagnostics import Severity
from reconciler.planning.model import Action, Change, Plan
from reconciler.render.escape import json_text
from reconciler.render.values import (
    RESOURCE_TYPE,
    input_values,
    job_values,
    recorded_values,
    request_values,
)

_ACTIONS = {
    Action.CREATE: ["create"],
    Action.RETRY: ["create"],
    Action.IMPORT: ["no-op"],
    Action.FORGET: ["forget"],
    Action.NOOP: ["no-op"],
}
_UNKNOWN_AFTER_CREATE = {"dataDeletionJobArn": True, "status": True, "numDeleted": True}


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": plan.format_version,
        "reconciler_version": __version__,
        "plan_id": plan.id,
        "applyable": plan.applyable,
        "errored": plan.errored,
        "needs_attention": plan.needs_attention,
        "complete": not plan.errored and not plan.refused,
        "refused": [d.address for d in plan.refused],
        "preflight_skipped": plan.preflight_skipped,
        "activity_ignored": plan.activity_ignored,
        "resource_changes": [_resource_change(c) for c in plan.changes],
        "resource_drift": [
            {
                "address": d.address,
                "mode": "managed",
                "type": RESOURCE_TYPE,
                "name": d.recorded.spec.job_name,
                "change": {
                    "actions": ["delete"],
                    "before": recorded_values(d.recorded),
                    "after": None,
                },
                "detail": d.detail,
            }
            for d in plan.drift
        ],
        "prior_state": {
            "format_version": "1.0",
            "lineage": plan.lineage,
            "serial": plan.serial,
            "values": {
                "root_module": {
                    "resources": [
                        {
                            "address": c.address,
                            "mode": "managed",
                            "type": RESOURCE_TYPE,
                            "name": c.recorded.spec.job_name,
                            "values": recorded_values(c.recorded),
                        }
                        for c in plan.changes
                        if c.recorded is not None
                    ]
                }
            },
        },
        "summary": plan.summary(),
        "quota": [q.model_dump() for q in plan.quotas],
        "fanout": [e.model_dump(mode="json") for e in plan.fanout],
        "refreshed": [r.model_dump(mode="json") for r in plan.refreshed],
        "diagnostics": [
            {**d.model_dump(mode="json"), "blocking": d.blocking and d.severity is Severity.ERROR}
            for d in plan.diagnostics
        ],
        "attention": [a.model_dump(mode="json") for a in plan.attention],
        "requests": [request_values(r) for r in plan.requests],
        "retries_asked": list(plan.retries),
        "api_calls": dict(sorted(plan.api_calls.items())),
        "manifests_digest": plan.manifests_digest,
        "provider": plan.provider,
        "target": {**plan.target.model_dump(mode="json"), "description": plan.target.describe()},
        "state": plan.state_location,
    }


def _resource_change(change: Change) -> dict[str, Any]:
    before = recorded_values(change.recorded) if change.recorded else None
    after = job_values(change.after) if change.after else None
    body: dict[str, Any] = {
        "actions": _ACTIONS[change.action],
        "before": before if change.action is not Action.RETRY else None,
        "after": after,
        "after_unknown": _UNKNOWN_AFTER_CREATE if change.creates else {},
        "before_sensitive": False,
        "after_sensitive": False,
    }
    if change.action is Action.IMPORT and change.observed is not None:
        body["importing"] = {"id": change.observed.arn}
    resource: dict[str, Any] = {
        "address": change.address,
        "mode": "managed",
        "type": RESOURCE_TYPE,
        "name": change.desired.job_name if change.desired else change.job_name,
        "provider_name": "reconciler",
        "change": body,
        "action_reason": change.reason.value,
        "reconciler": {
            "action": change.action.value,
            "reason": change.detail,
            "health": change.health.value,
            "sync": "InSync" if change.in_sync else "OutOfSync",
            "queued": change.queued,
            "held": change.held,
            "attempt": change.attempt,
            "manifest": str(change.source) if change.source else None,
            "inputs": [input_values(e) for e in change.inputs],
        },
    }
    if change.action is Action.RETRY and change.recorded is not None:
        resource["previous_attempt"] = before
    return resource


def render_json(plan: Plan) -> str:
    return json_text(plan_document(plan))
