"""The status table and JSON of state records."""

from __future__ import annotations

import json

from reconciler.render.status import render_status_json, render_status_text
from reconciler.state.document import Attempt, JobRecord
from tests.fakes.clock import FakeClock
from tests.planning.builders import desired, summary

NOW = FakeClock().datetime()
JOB = desired("a")
INTENT = JobRecord(
    address=JOB.address,
    spec=JOB.spec,
    spec_digest=JOB.spec.digest(),
    manifest="m.yaml:1:1",
    job_name="a-r2",
    intended=NOW,
    attempts=(Attempt(job_name="a", seen=summary("a", status="FAILED", reason="no input")),),
)


def test_an_intent_shows_as_intended_and_a_forgotten_one_says_so() -> None:
    rows = render_status_text([INTENT, INTENT.model_copy(update={"forgotten": NOW})], NOW)
    assert [line.split()[2:4] for line in rows.splitlines()[1:3]] == [
        ["INTENDED", "-"],
        ["INTENDED", "(forgotten)"],
    ]


def test_the_json_keeps_the_flat_shape_of_a_record() -> None:
    [record] = json.loads(render_status_json([INTENT]))
    assert list(record) == [
        "address",
        "spec",
        "spec_digest",
        "manifest",
        "job_name",
        "arn",
        "intended",
        "status",
        "num_deleted",
        "failure_reason",
        "created",
        "last_updated",
        "history",
        "attempts",
        "forgotten",
    ]
    assert (record["arn"], record["status"], record["job_name"]) == (None, None, "a-r2")
    [attempt] = record["attempts"]
    assert (attempt["job_name"], attempt["status"], attempt["failure_reason"]) == (
        "a",
        "FAILED",
        "no input",
    )
