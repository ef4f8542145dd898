"""The report's renderings of hand-made evidence: per attempt, what was recorded at its create
(the input's identity and keyed digest, whether it is the reviewed one, who approved it, which
principal and run created it), plainly "not recorded" where nothing was, recovered attempts
labelled and the lineage note, in Markdown, JSON and CSV alike; and never a plain hash."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from reconciler.evidence import (
    AttemptEvidence,
    JobEvidence,
    Report,
    Review,
    by_request,
    lineage_note,
)
from reconciler.models import InputEvidence, JobStatus, Provenance
from reconciler.render.report import (
    CSV_COLUMNS,
    render_report_csv,
    render_report_json,
    render_report_markdown,
)
from tests.render.evidence_builders import (
    KEY_ID,
    KEYED,
    PLAIN_SHA256,
    PRINCIPAL,
    RUN_URL,
    T0,
    evidence,
    reviewed,
    same_run,
)

GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
STARTED = T0 - timedelta(days=1)  # the state was rebuilt then
OLD_INPUT = InputEvidence(location="s3://acme-privacy/w46.csv", bytes=20, rows=1, read=T0)


def attempt(
    number: int,
    name: str,
    status: JobStatus | None = JobStatus.COMPLETED,
    inputs: tuple[InputEvidence, ...] = (),
    provenance: Provenance | None = None,
    recovered: bool = False,
    created: timedelta = timedelta(0),
) -> AttemptEvidence:
    location = f"s3://acme-privacy/{name.split('-')[0]}.csv"
    if status is None:
        return AttemptEvidence(attempt=number, job_name=name, input_location=location)
    return AttemptEvidence(
        attempt=number,
        job_name=name,
        job_arn=f"arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/{name}",
        status=status,
        created=T0 + created,
        completed=T0 + created + timedelta(hours=1),
        num_deleted=1 if status is JobStatus.COMPLETED else None,
        failure_reason="a row the service refused" if status is JobStatus.FAILED else None,
        input_location=location,
        inputs=inputs,
        provenance=provenance,
        recovered=recovered,
    )


def job(name: str, *attempts: AttemptEvidence) -> JobEvidence:
    return JobEvidence(
        address=f"shop/{name}", request="PRIV-7", dataset_group_arn=GROUP, attempts=attempts
    )


def sample(started: object = STARTED) -> Report:
    """w47 FAILED before the state was rebuilt (recovered), retried from a reviewed saved plan;
    w48 planned and applied in one run without a key; w46 recorded by an older version (no
    provenance, no identity); w45 with no input recorded; w49 not created yet."""
    jobs = [
        job(
            "w47",
            attempt(1, "w47", JobStatus.FAILED, recovered=True, created=-timedelta(days=3)),
            attempt(2, "w47-r2", inputs=(evidence(),), provenance=reviewed()),
        ),
        job(
            "w48",
            attempt(
                1,
                "w48",
                inputs=(evidence("s3://acme-privacy/w48.csv", False),),
                provenance=same_run(),
            ),
        ),
        job("w46", attempt(1, "w46", inputs=(OLD_INPUT,))),
        job("w45", attempt(1, "w45")),
        job("w49", attempt(1, "w49", None)),
    ]
    requests = by_request(jobs)
    start = STARTED if started is STARTED else None
    note = lineage_note(requests, start)
    return Report(
        generated=T0 + timedelta(days=1),
        target="Target: AWS account 123456789012, eu-west-1",
        state_location="s3://acme-state/reconciler.json",
        requests=requests,
        notes=(note,) if note else (),
        state_started=start,
    )


def lines_of(text: str, address: str) -> list[str]:
    """The Markdown's per-job lines of `address`."""
    lines = text.split("\n")
    start = lines.index(f"- `{address}` in `{GROUP}`")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    return lines[start + 1 : end]


def test_the_markdown_answers_each_question_per_attempt() -> None:
    text = render_report_markdown(sample())
    assert lines_of(text, "shop/w47") == [
        "  - declared at not known (no git commit known)",
        "  - attempt 1 `w47`: recovered: not recorded at the time (its input, review, approval "
        "and run are not known)",
        "  - attempt 2 `w47-r2`",
        "    - input `s3://acme-privacy/w47.csv`: 20 bytes, 1 user row, identity "
        "`version 3HL4kqtJ` (VersionId `3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY`), "
        f"HMAC-SHA256 `{KEYED}` (key `{KEY_ID}`), read 2026-11-28 22:49:00 UTC",
        "    - reviewed: the input of the reviewed saved plan `5e5e5e5e5e5e`, checked unchanged "
        "just before the create",
        "    - approved by alice, bob (change https://github.com/acme/privacy/pull/7)",
        f"    - created by `{PRINCIPAL}`, GitHub run "
        "https://github.com/acme/privacy/actions/runs/4242 at commit `f67a95a6639e`, recorded "
        "2026-11-28 22:50:00 UTC",
    ]
    w48 = lines_of(text, "shop/w48")
    assert "no keyed digest: no digest key was configured" in w48[2]
    assert w48[3:] == [
        "    - reviewed: planned and applied in the same run (no saved plan was reviewed)",
        "    - approval not recorded",
        "    - created by a principal not known, sam on laptop-7, recorded 2026-11-28 22:50:00 UTC",
    ]
    assert lines_of(text, "shop/w46")[2] == (
        "    - input `s3://acme-privacy/w46.csv`: 20 bytes, 1 user row, no identity and no keyed "
        "digest (recorded by an older version), read 2026-11-28 22:50:00 UTC"
    )
    assert lines_of(text, "shop/w45")[1:] == [
        "  - attempt 1 `w45`",
        "    - input not recorded at the time",
        "    - reviewed: not recorded",
        "    - approval not recorded",
        "    - run not recorded",
    ]
    assert lines_of(text, "shop/w49")[1:] == ["  - attempt 1 `w49`: not created yet"]


def test_the_markdown_table_labels_recovered_attempts_and_unrecorded_inputs() -> None:
    rows = [line for line in render_report_markdown(sample()).split("\n") if line.startswith("| `")]
    cells = [[cell.strip() for cell in row.split(" | ")] for row in rows]
    assert [(c[1], c[-1].rstrip(" |")) for c in cells] == [
        ("1", "`s3://acme-privacy/w45.csv`: input not recorded at the time"),
        ("1", "`s3://acme-privacy/w46.csv`: 1 user row"),
        ("1 (recovered)", "`s3://acme-privacy/w47.csv`: recovered: not recorded at the time"),
        ("2", "`s3://acme-privacy/w47.csv`: 1 user row, `version 3HL4kqtJ`"),
        ("1", "`s3://acme-privacy/w48.csv`: 1 user row, `version 3HL4kqtJ`"),
        ("1", "`s3://acme-privacy/w49.csv`: not created yet"),
    ]


def test_the_lineage_note_in_every_format() -> None:
    note = (
        "some attempts were recovered from the service (found there, not recorded at the time: "
        "a state rebuilt, or jobs imported); their evidence comes from the service only; this "
        "state was started on 2026-11-27 22:50:00 UTC"
    )
    report = sample()
    assert report.notes == (note,)
    assert f"> Note: {note}" in render_report_markdown(report)
    document = json.loads(render_report_json(report))
    assert document["notes"] == [note] and document["stateStarted"] == "2026-11-27T22:50:00Z"
    rows = list(csv.DictReader(io.StringIO(render_report_csv(report))))
    assert [(r["job_name"], r["recovered"], r["note"]) for r in rows if r["note"]] == [
        ("w47", "recovered: not recorded at the time", note)
    ]


def test_a_recovered_attempt_without_a_known_start_is_still_said() -> None:
    (note,) = sample(started=None).notes
    assert note.startswith("some attempts were recovered from the service")
    assert note.endswith("; when this state was started is not recorded")
    assert json.loads(render_report_json(sample(started=None)))["stateStarted"] is None


def test_no_lineage_note_when_everything_was_recorded_after_the_state_started() -> None:
    recorded = job("w48", attempt(1, "w48", inputs=(evidence(),), provenance=reviewed()))
    assert lineage_note(by_request([recorded]), STARTED) is None
    before = job("w48", attempt(1, "w48", created=-timedelta(days=2)))  # imported, not recovered
    assert lineage_note(by_request([before]), STARTED) == (
        "this state was started on 2026-11-27 22:50:00 UTC; evidence of jobs created before it "
        "comes from the service only"
    )
    carried = attempt(1, "w48", provenance=reviewed(), created=-timedelta(days=2))
    assert lineage_note(by_request([job("w48", carried)]), STARTED) is None  # recorded then


def test_the_json_is_version_2_with_provenance_and_identities() -> None:
    document = json.loads(render_report_json(sample()))
    assert document["reportVersion"] == 2
    jobs = {j["address"]: j for j in document["requests"][0]["jobs"]}
    first, second = jobs["shop/w47"]["attempts"]
    assert (first["recovered"], first["reviewed"], first["inputs"], first["provenance"]) == (
        True,
        "not recorded",
        [],
        None,
    )
    (item,) = second["inputs"]
    assert item["identity"] == "version 3HL4kqtJ" and item["versionId"].startswith("3HL4")
    assert (item["hmac"], item["keyId"], item["rows"], item["bytes"]) == (KEYED, KEY_ID, 1, 20)
    assert "sha256" not in item and "at" not in item
    made = second["provenance"]
    assert (
        second["reviewed"] == Review.SAVED_PLAN.value
        and made["planDigest"] == "sha256:" + "5e" * 32
    )
    assert (made["principal"], made["run"]["url"], made["approvedBy"]) == (
        PRINCIPAL,
        RUN_URL,
        ["alice", "bob"],
    )
    assert made["changeRef"] == "https://github.com/acme/privacy/pull/7"
    w48 = jobs["shop/w48"]["attempts"][0]
    assert w48["reviewed"] == "same run" and w48["provenance"]["run"]["host"] == "laptop-7"
    assert w48["inputs"][0]["hmac"] is None
    assert jobs["shop/w46"]["attempts"][0]["inputs"][0]["identity"] is None


def test_the_csv_has_the_evidence_columns_for_each_attempt() -> None:
    assert {"input_sha256", "input_read_at"}.isdisjoint(CSV_COLUMNS)
    rows = {r["job_name"]: r for r in csv.DictReader(io.StringIO(render_report_csv(sample())))}
    retry = rows["w47-r2"]
    assert (retry["input_identity"], retry["input_hmac"], retry["input_key_id"]) == (
        "version 3HL4kqtJ",
        KEYED,
        KEY_ID,
    )
    assert retry["reviewed"] == (
        "the input of the reviewed saved plan 5e5e5e5e5e5e, checked unchanged just before the "
        "create"
    )
    assert (retry["approved_by"], retry["change_ref"], retry["principal"], retry["run_url"]) == (
        "alice; bob",
        "https://github.com/acme/privacy/pull/7",
        PRINCIPAL,
        RUN_URL,
    )
    assert (retry["recovered"], retry["note"]) == ("", "")
    assert rows["w48"]["input_hmac"] == "no keyed digest: no digest key was configured"
    assert (rows["w48"]["approved_by"], rows["w48"]["run"]) == (
        "approval not recorded",
        "sam on laptop-7",
    )
    assert (rows["w45"]["input_objects"], rows["w45"]["reviewed"], rows["w45"]["run"]) == (
        "input not recorded at the time",
        "not recorded",
        "not recorded",
    )
    assert rows["w49"]["status"] == "NOT_CREATED" and rows["w49"]["input_objects"] == ""


def test_no_format_holds_the_plain_sha256_of_an_input() -> None:
    report = sample()
    for render in (render_report_markdown, render_report_json, render_report_csv):
        text = render(report)
        assert KEYED in text and PLAIN_SHA256 not in text and 'sha256"' not in text


def test_a_saved_plan_that_did_not_read_the_input_is_not_said_to_bind_it() -> None:
    unbound = attempt(1, "w50", provenance=reviewed())  # --skip-preflight: no input recorded
    assert unbound.review is Review.INPUT_NOT_BOUND
    report = Report(
        generated=T0,
        target="Target: AWS account 123456789012, eu-west-1",
        state_location="s3://acme-state/reconciler.json",
        requests=by_request([job("w50", unbound)]),
    )
    said = (
        "applied from the reviewed saved plan `5e5e5e5e5e5e`; its input was not bound to it "
        "(the plan did not read it: --skip-preflight, or not on S3)"
    )
    assert f"reviewed: {said}" in render_report_markdown(report)
    [shown] = json.loads(render_report_json(report))["requests"][0]["jobs"][0]["attempts"]
    assert shown["reviewed"] == "reviewed saved plan, input not bound"
    [row] = csv.DictReader(io.StringIO(render_report_csv(report)))
    assert row["reviewed"] == said.replace("`", "")


def test_what_became_of_the_erasure_after_the_deletion_in_every_format() -> None:
    from reconciler.lifecycle import Deletion, lifecycle
    from reconciler.models import CampaignModel, DatasetImport

    done = T0 + timedelta(hours=1)
    stale = CampaignModel(
        arn="arn:aws:personalize:eu-west-1:123456789012:campaign/recs",
        name="recs",
        status="ACTIVE",
        solution_version_arn="arn:aws:personalize:eu-west-1:123456789012:solution/s/v1",
        version_created=T0 - timedelta(days=3),
        solution_arn="arn:aws:personalize:eu-west-1:123456789012:solution/shop-recs",
        auto_training="rate(7 days)",
    )
    full = DatasetImport(
        arn="arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/nightly",
        name="nightly",
        status="ACTIVE",
        mode="FULL",
        created=done + timedelta(hours=2),
        completed=done + timedelta(hours=3),
    )
    group = lifecycle(
        Deletion(dataset_group_arn=GROUP, created=T0, completed=done), [stale], [full]
    )
    request = by_request([job("w47", attempt(1, "w47", inputs=(evidence(),)))])[0]
    request = request.model_copy(update={"lifecycle": (group,)})
    report = Report(
        generated=T0 + timedelta(days=1),
        target="Target: AWS account 123456789012, eu-west-1",
        state_location="s3://acme-state/reconciler.json",
        requests=(request,),
    )
    text = render_report_markdown(report)
    assert (
        "After the deletion: data deleted in every group; models retrained: 0 of 1 campaigns."
        in (text)
    )
    assert "- `shop`: ✅ data deleted 2026-11-28 23:50:00 UTC" in text
    assert "  - ⚠️ models retrained: 0 of 1 campaigns" in text
    assert (
        "    - campaign `recs` serves a model trained 2026-11-25 22:50:00 UTC, before the "
        "deletion: train a new solution version of shop-recs (CreateSolutionVersion), then "
        "update campaign recs to it (UpdateCampaign); or wait for its automatic training "
        "(rate(7 days), next about 2026-12-02)"
    ) in text
    assert (
        "  - ⚠️ dataset import job `nightly` (FULL) completed 2026-11-29 02:50:00 UTC: an import "
        "after the deletion may have brought erased users back; run the deletion again"
    ) in text
    shown = json.loads(render_report_json(report))["requests"][0]
    assert (shown["dataDeleted"], shown["modelsRetrained"]) == (
        True,
        {"retrained": 0, "campaigns": 1},
    )
    assert shown["lifecycle"][0]["broughtBack"][0]["name"] == "nightly"
    [row] = csv.DictReader(io.StringIO(render_report_csv(report)))
    assert (row["group_models_retrained"], row["group_brought_back"]) == (
        "0 of 1",
        "nightly (FULL)",
    )
