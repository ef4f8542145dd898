"""The status table and JSON of state records."""

from __future__ import annotations

import json

from reconciler.render.status import StatusView, render_status_json, render_status_text
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
    view = StatusView([INTENT, INTENT.model_copy(update={"forgotten": NOW})], NOW)
    rows = render_status_text(view)
    assert [line.split()[2:4] for line in rows.splitlines()[1:3]] == [
        ["INTENDED", "-"],
        ["INTENDED", "(forgotten)"],
    ]


def test_the_json_keeps_the_flat_shape_of_a_record_in_camel_case() -> None:
    shown = json.loads(render_status_json(StatusView([INTENT], NOW)))
    assert list(shown) == ["target", "jobs", "attention", "summary"]
    [record] = shown["jobs"]
    assert list(record) == [
        "address",
        "spec",
        "specDigest",
        "manifest",
        "jobName",
        "arn",
        "intended",
        "status",
        "numDeleted",
        "failureReason",
        "created",
        "lastUpdated",
        "history",
        "attempts",
        "forgotten",
    ]
    assert list(record["spec"]) == ["datasetGroupArn", "jobName", "dataLocation", "roleArn", "tags"]
    assert (record["arn"], record["status"], record["jobName"]) == (None, None, "a-r2")
    [attempt] = record["attempts"]
    assert (attempt["jobName"], attempt["status"], attempt["failureReason"]) == (
        "a",
        "FAILED",
        "no input",
    )
