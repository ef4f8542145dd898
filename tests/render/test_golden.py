"""The three renderings of one plan that holds every action, compared with golden files.

Regenerate after an intended change with: UPDATE_GOLDEN=1 pytest tests/render
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.diagnostics import Location
from reconciler.models import InputEvidence, InputIdentity, JobStatus
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Expansion, Limits, Origin, Plan
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text
from tests.planning.builders import (
    EMULATOR,
    desired,
    detail,
    group,
    live,
    record,
    spec,
    state,
    summary,
)

GOLDEN = Path(__file__).parent / "golden"


def every_action() -> Plan:
    created = [desired(f"new-{i}") for i in range(4)]
    adopted = desired("adopted")
    retried = desired("retried", on_failure="retry")
    done = desired("done")
    changed = desired("changed", location="s3://b/new.csv")
    gone = desired("gone")
    found = summary("adopted", status=JobStatus.COMPLETED)
    completed = summary("done", status=JobStatus.COMPLETED)
    jobs = [
        found,
        completed,
        summary("busy-1"),
        summary("busy-2"),
        summary("retried", status=JobStatus.FAILED, reason="Input data not found at s3://b/r.csv."),
        summary("changed"),
        summary("gone", status=JobStatus.COMPLETED),
    ]
    stored = state(
        record(retried, status=JobStatus.FAILED),
        record(done, status=JobStatus.IN_PROGRESS),
        record(changed, spec_override=spec("changed", location="s3://b/old.csv")),
        record(gone, status=JobStatus.COMPLETED),
    )
    view = live(
        jobs,
        [detail(found, adopted.spec.data_location, 7), detail(completed, "s3://b/done.csv", 41)],
    )
    origin = Origin(
        target=EMULATOR, state_location=".reconciler/state.json", manifests_digest="sha256:abc"
    )
    plan = make_plan(
        [*created, adopted, retried, done, changed], stored, view, Limits(max_pending=5), origin
    )
    read = InputIdentity(
        location="s3://b/new-0.csv",
        etag='"9b2cf535f27731c974343645a3985328"',
        tag="5d0c1f7e2a9b4c83e6f1a2b3c4d5e6f7",
        version_id="3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY",
        size=5210,
        last_modified=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
    )
    evidence = InputEvidence.of(read, rows=412, read=datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    changes = tuple(  # the first create shows the input preflight read
        c.model_copy(update={"inputs": (evidence,)}) if c.address == created[0].address else c
        for c in plan.changes
    )
    return plan.model_copy(update={"id": "plan-golden", "changes": changes})


RENDERINGS = {
    "plan.txt": lambda p: render_text(p, color=False),
    "plan-color.txt": lambda p: render_text(p, color=True),
    "plan.json": render_json,
    "plan.md": render_markdown,
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_matches_golden_file(name: str) -> None:
    rendered = RENDERINGS[name](every_action())
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_json_has_terraform_plan_keys_and_actions() -> None:
    document = json.loads(render_json(every_action()))
    for key in (
        "format_version",
        "resource_changes",
        "resource_drift",
        "prior_state",
        "applyable",
        "errored",
    ):
        assert key in document
    by_address = {c["address"]: c for c in document["resource_changes"]}
    assert by_address["g/new-0"]["change"]["actions"] == ["create"]
    assert by_address["g/new-0"]["change"]["before"] is None
    assert by_address["g/adopted"]["change"]["actions"] == ["no-op"]
    assert by_address["g/adopted"]["change"]["importing"]["id"].endswith(
        "data-deletion-job/adopted"
    )
    assert by_address["g/retried"]["change"]["actions"] == ["create"]
    assert by_address["g/retried"]["change"]["after"]["jobName"] == "retried-r2"
    assert by_address["g/gone"]["change"]["actions"] == ["forget"]
    assert by_address["g/done"]["change"]["actions"] == ["no-op"]
    assert by_address["g/done"]["change"]["after"]["numDeleted"] == 41
    assert document["errored"] is True and document["applyable"] is False
    assert document["summary"]["queued"] == 3
    assert all(
        set(c) >= {"address", "type", "name", "change", "action_reason"}
        for c in by_address.values()
    )


def test_colour_only_when_asked() -> None:
    plan = every_action()
    assert "\x1b[" not in render_text(plan, color=False)
    assert "\x1b[32m" in render_text(plan, color=True)


def test_no_changes_message() -> None:
    origin = Origin(target=EMULATOR, state_location="s", manifests_digest="d")
    empty = make_plan([], None, live(groups=[group()]), Limits(), origin)
    assert render_text(empty).splitlines()[2].startswith("No changes.")
    assert "**No changes.**" in render_markdown(empty)


def big_tree(jobs: int, new: int) -> Plan:
    """`jobs` declared jobs in one group, all COMPLETED and recorded but `new` of them."""
    declared = [desired(f"job-{i:05d}") for i in range(jobs)]
    recorded = declared[new:]
    stored = state(*(record(d, status=JobStatus.COMPLETED) for d in recorded))
    view = live([summary(d.spec.job_name, status=JobStatus.COMPLETED) for d in recorded], [])
    origin = Origin(
        target=EMULATOR, state_location=".reconciler/state.json", manifests_digest="sha256:abc"
    )
    return make_plan(declared, stored, view, Limits(max_pending=5), origin)


def test_the_comment_for_5000_jobs_with_3_new_is_short_and_shows_the_3() -> None:
    comment = render_markdown(big_tree(5000, 3))
    assert len(comment) < 20_000  # far under the limit: the 4,997 unchanged are a count
    assert comment.startswith("**Plan: 3 to create, 0 to retry, 0 to forget**")
    for name in ("job-00000", "job-00001", "job-00002"):
        assert f"| 🆕 create | `g/{name}` |" in comment
    assert "Unchanged: 4997 jobs (Completed 4997)" in comment
    assert ", … and 4697 more" in comment  # the names beyond the first 300
    assert comment.rstrip().endswith("<!-- reconciler-plan -->")


def test_a_comment_of_5000_changes_is_cut_to_the_limit_and_says_so() -> None:
    plan = big_tree(5000, 5000)
    comment = render_markdown(plan)
    assert len(comment) <= 65_536
    assert len(render_markdown(plan, limit=10**9)) > 65_536  # whole, it would not fit
    shown = comment.count("| 🆕 create")
    assert shown > 100
    assert f"… and {5000 - shown} more rows; full plan in the job artifact" in comment
    assert comment.startswith("**Plan: 5000 to create (4995 queued)")
    assert comment.rstrip().endswith("<!-- reconciler-plan -->")


def test_a_comment_of_many_fanned_out_documents_fits_too() -> None:
    plan = big_tree(10, 0)
    expansion = Expansion(
        source=Location("manifests/requests.yaml", 4, 3),
        how="targets.datasetGroupArns",
        groups=tuple(group(f"shop-{i:02d}-" + "x" * 40) for i in range(3)),
        jobs=1,
    )
    many = plan.model_copy(update={"fanout": (expansion,) * 2000})
    comment = render_markdown(many)
    assert len(comment) <= 65_536 and comment.rstrip().endswith("<!-- reconciler-plan -->")
    assert "more documents; full plan in the job artifact" in comment
