"""Issue 19, end to end (the CLI against the emulator in-process, and through boto3 with the
inputs in a versioned bucket on moto's S3 server): a reviewed saved plan creates nothing on an
input other than the one it read; each create records who approved and who ran it; no output
holds a plain SHA-256 of an input; a state rebuilt from the service says so; `onFailure: retry`
waits for a changed input."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from tests.commands.conftest import STATE, Project
from tests.commands.test_preflight import through_boto3  # noqa: F401 (a fixture)
from tests.s3server import s3_client

DATA = Path("example-data") / "s3" / "acme-privacy"
W47 = DATA / "shop-eu" / "2026-w47.csv"
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/privacy",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_WORKFLOW": "reconciler-apply",
    "GITHUB_ACTOR": "release-bot",
}
RUN_URL = "https://github.com/acme/privacy/actions/runs/4242"


def same_size_other_users(path: Path) -> None:
    """The file replaced by another of the same size: other users, nothing else to tell."""
    text = path.read_text()
    path.write_text(text.replace("eu-", "xx-"))
    assert len(path.read_text()) == len(text) and path.read_text() != text


def test_a_saved_plan_is_stale_once_an_input_is_replaced_and_creates_nothing(
    project: Project,
) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    shown = project.out.getvalue()
    assert "input           = s3://acme-privacy/shop-eu/2026-w47.csv (" in shown  # its version
    assert "known by size and LastModified only" not in shown  # the emulator's key tags them
    same_size_other_users(W47)
    assert project.apply(plan_file=Path("plan.json")) == 1
    err = project.err.getvalue()
    assert "Saved plan is stale" in err
    assert (
        "shop-eu/gdpr-2026-w47: the plan says create gdpr-2026-w47, now it is create "
        "gdpr-2026-w47 (its input is not the file the plan read" in err
    )
    assert project.live_names() == []  # nothing at all: the plan was reviewed as a whole


def test_through_s3_a_new_version_of_an_input_makes_the_saved_plan_stale(
    through_boto3: Project,  # noqa: F811
) -> None:
    project = through_boto3
    client = s3_client(project.s3_endpoint)  # type: ignore[attr-defined]
    key = "shop-eu/2026-w47.csv"
    first = client.head_object(Bucket="acme-privacy", Key=key)["VersionId"]
    assert project.run("plan", "-out", "plan.json") == 0
    saved = json.loads(Path("plan.json").read_text())
    [change] = [c for c in saved["plan"]["changes"] if c["address"] == "shop-eu/gdpr-2026-w47"]
    assert [i["version_id"] for i in change["inputs"]] == [first]
    body = client.get_object(Bucket="acme-privacy", Key=key)["Body"].read()
    client.put_object(Bucket="acme-privacy", Key=key, Body=body.replace(b"eu-", b"xx-"))
    assert project.apply(plan_file=Path("plan.json")) == 1
    assert "its input is not the file the plan read" in project.err.getvalue()
    assert project.apply() == 0  # a new plan reads the new version, and records it
    second = client.head_object(Bucket="acme-privacy", Key=key)["VersionId"]
    [read] = project.state().jobs["shop-eu/gdpr-2026-w47"].inputs
    assert (read.version_id, read.bytes) == (second, len(body)) and second != first


def test_each_create_records_who_approved_and_who_ran_it(project: Project) -> None:
    project.environ.update(GITHUB)
    assert project.run("plan", "-out", "plan.json") == 0
    digest = json.loads(Path("plan.json").read_text())["digest"]
    pr = "https://github.com/acme/privacy/pull/42"
    assert (
        project.apply(
            "--change-ref",
            pr,
            "--approved-by",
            "erin",
            "--approved-by",
            "merged-by:frank",
            plan_file=Path("plan.json"),
        )
        == 0
    )
    record = project.state().jobs["shop-eu/gdpr-2026-w47"]
    given = record.provenance
    assert given is not None
    assert given.principal == "arn:aws:iam::123456789012:user/emulator"
    assert (given.run.kind, given.run.url, given.run.actor) == ("github", RUN_URL, "release-bot")
    assert (given.plan_digest, given.change_ref) == (digest, pr)
    assert given.approved_by == ("erin", "merged-by:frank")
    assert project.run("report", "--request", "PRIV-1234") == 0
    markdown = project.out.getvalue()
    assert "approved by erin, merged-by:frank" in markdown and RUN_URL in markdown
    assert "the input of the reviewed saved plan" in markdown
    assert project.run("report", "--request", "PRIV-1234", "--format", "json") == 0
    [job] = json.loads(project.out.getvalue())["requests"][0]["jobs"]
    provenance = job["attempts"][0]["provenance"]
    assert provenance["approvedBy"] == ["erin", "merged-by:frank"]
    assert provenance["planDigest"] == digest
    assert project.run("report", "--request", "PRIV-1234", "--format", "csv") == 0
    assert "erin; merged-by:frank" in project.out.getvalue() or "erin;merged-by:frank" in (
        project.out.getvalue()
    )


def test_without_flags_the_report_says_the_approval_was_not_recorded(project: Project) -> None:
    assert project.apply() == 0  # planned and applied in one run, on a laptop
    record = project.state().jobs["shop-eu/gdpr-2026-w47"]
    assert record.provenance is not None and record.provenance.approved_by == ()
    assert (record.provenance.run.host, record.provenance.run.user) == ("test-host", "tester")
    assert project.run("report", "--request", "PRIV-1234") == 0
    markdown = project.out.getvalue()
    assert "approval not recorded" in markdown
    assert "planned and applied in the same run (no saved plan was reviewed)" in markdown


def test_no_output_holds_a_plain_sha256_of_an_input(project: Project) -> None:
    plain = {hashlib.sha256(path.read_bytes()).hexdigest() for path in DATA.rglob("*.csv")}
    said = []
    for args in (("plan",), ("plan", "--format", "json"), ("plan", "--format", "markdown")):
        assert project.run(*args) == 0
        said.append(project.out.getvalue() + project.err.getvalue())
    assert project.apply(wait=True) == 0
    said.append(project.out.getvalue() + project.err.getvalue())
    for fmt in ("markdown", "json", "csv"):
        assert project.run("report", "--format", fmt) == 0
        said.append(project.out.getvalue())
    said.append(STATE.read_text())
    keyed = [i.hmac for r in project.state().jobs.values() for i in r.inputs]
    assert keyed and all(keyed)  # the emulator's own key: every input has its keyed digest
    assert not {digest for digest in plain if any(digest in text for text in said)}
    assert not {hmac for hmac in keyed if hmac in plain}


def test_a_state_rebuilt_from_the_service_says_its_evidence_was_recovered(
    project: Project,
) -> None:
    assert project.apply(wait=True) == 0
    STATE.unlink()
    for backup in STATE.parent.glob("state.json*"):
        backup.unlink()
    project.clock.advance(86_400)
    assert project.apply() == 0  # every job imported: found in the service with its spec
    record = project.state().jobs["shop-eu/gdpr-2026-w47"]
    assert record.recovered and record.inputs == () and record.provenance is None
    assert project.run("report", "--request", "PRIV-1234") == 0
    markdown = project.out.getvalue()
    assert "recovered: not recorded at the time" in markdown
    assert "some attempts were recovered from the service" in markdown
    assert "this state was started on" in markdown


def test_on_failure_retry_waits_for_a_changed_input(project: Project) -> None:
    bad = project.write_input("retry.csv")  # the service FAILS it (preflight cannot tell)
    project.write_manifest(
        "retry.yaml",
        "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
        "datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/PersonalizeDeletion'}\njobs:\n"
        f"  - jobName: retried\n    dataSource: {{dataLocation: {bad}}}\n"
        "    onFailure: retry\n",
    )
    assert project.apply(wait=True) == 5  # retried FAILED
    assert project.apply(wait=True) == 5  # the same file: not retried, a person is asked
    assert "retried-r2" not in project.live_names()
    assert "the same file would fail again" in project.err.getvalue()
    project.write_input("retry.csv", "USER_ID\neu-00001\n")  # fixed
    assert project.apply(wait=True) == 0
    record = project.state().jobs["shop-eu/retried"]
    assert record.job_name == "retried-r2" and record.status is not None
    assert record.attempts[0].inputs[0].tag != record.inputs[0].tag  # two versions recorded


def test_a_plan_bound_to_a_removed_prefix_object_is_stale(project: Project) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    prefix = DATA / "shop-eu" / "closed-accounts"
    [first, *_] = sorted(prefix.rglob("*.csv"))
    shutil.copy(first, first.with_name("added.csv"))  # one more file under the prefix
    assert project.apply(plan_file=Path("plan.json")) == 1
    assert "shop-eu/closed-accounts-2026-11" in project.err.getvalue()
    assert project.live_names() == []
