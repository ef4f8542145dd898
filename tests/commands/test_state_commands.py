"""`state list|show|rm|pull|push`, `import` and `force-unlock`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.settings import S3State
from reconciler.state.interface import LockInfo
from reconciler.state.local import LocalBackend
from tests.commands.conftest import STATE, Project
from tests.fakes.clock import FakeClock
from tests.s3server import s3_client

W46 = "shop-eu/gdpr-2026-w46"


def pull(project: Project, path: Path) -> Path:
    """`state pull` into `path`."""
    assert project.run("state", "pull") == 0
    path.write_text(project.out.getvalue())
    return path


def test_list_show_and_pull(project: Project) -> None:
    assert project.apply() == 0
    assert project.run("state", "list") == 0
    assert project.out.getvalue().splitlines()[1] == f"{W46}\tgdpr-2026-w46\tPENDING"
    assert project.run("state", "list", "--format", "json") == 0
    rows = json.loads(project.out.getvalue())
    assert len(rows) == 5 and rows[1]["arn"].endswith("/gdpr-2026-w46")
    assert project.run("state", "show", W46) == 0
    [record] = json.loads(project.out.getvalue())
    assert (record["address"], record["status"]) == (W46, "PENDING")
    assert project.run("state", "show", "shop-eu/gdpr-2026-w4") == 1
    assert "did you mean 'shop-eu/gdpr-2026-w47'?" in project.err.getvalue()
    assert project.run("state", "pull") == 0
    assert json.loads(project.out.getvalue()) == json.loads(STATE.read_text())


def test_rm_forgets_without_touching_the_service(project: Project) -> None:
    assert project.apply() == 0
    assert project.run("state", "rm", W46) == 0
    out = project.out.getvalue()
    assert "nothing in Personalize changes" in out
    assert "still declared, so the next plan imports its job again if the service has it" in out
    state = project.state()
    assert W46 not in state.jobs and [r.address for r in state.forgotten] == [W46]
    assert len(project.live_names()) == 5
    assert project.run("plan") == 0
    assert "State: 1 job to import from the service" in project.out.getvalue()


def test_mutating_commands_refuse_a_locked_state_or_wait(project: Project) -> None:
    assert project.apply() == 0
    backend = LocalBackend(STATE)
    held = backend.lock("apply")
    assert project.run("state", "rm", W46) == 1
    assert "is locked by" in project.err.getvalue()
    assert project.run("import", W46, "arn:aws:personalize:eu-west-1:1:data-deletion-job/x") == 1
    backend.unlock(held)
    assert W46 in project.state().jobs


def test_push_refuses_another_lineage_or_an_older_serial_unless_forced(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    mine = pull(project, tmp_path / "mine.json")
    other = json.loads(mine.read_text()) | {"lineage": "another-project", "serial": 99}
    (tmp_path / "other.json").write_text(json.dumps(other))
    assert project.run("state", "push", str(tmp_path / "other.json")) == 1
    assert "is of lineage another-project" in project.err.getvalue()
    assert project.run("state", "rm", W46) == 0  # the stored serial moves past mine.json's
    assert project.run("state", "push", str(mine)) == 1
    assert "lower than the state" in project.err.getvalue()
    assert project.run("state", "push", str(mine), "--force") == 0
    assert W46 in project.state().jobs
    assert project.run("state", "push", str(tmp_path / "other.json"), "--force") == 0
    assert project.state().lineage == "another-project"
    assert project.run("plan") == 0  # the new lineage is the one this place holds now


def test_moving_a_team_from_the_local_backend_to_s3(
    project: Project, tmp_path: Path, s3_settings: S3State
) -> None:
    assert project.apply(wait=True) == 0
    pulled = pull(project, tmp_path / "state.json")
    settings = project.root / "manifests" / "settings.yaml"
    state = s3_settings.model_dump_json(by_alias=True, exclude_none=True)
    settings.write_text(settings.read_text() + f"state: {state}\n")
    assert project.run("plan", "--detailed-exitcode") == 2  # an empty bucket: all to import
    assert project.run("state", "push", str(pulled)) == 0
    assert f"to s3://{s3_settings.bucket}/" in project.out.getvalue()
    assert project.run("plan", "--detailed-exitcode") == 0
    assert project.check() == 0


def test_import_records_a_matching_job_and_refuses_a_different_one(project: Project) -> None:
    assert project.apply() == 0
    arn = project.state().jobs[W46].arn
    assert arn is not None
    assert project.run("state", "rm", W46) == 0
    assert project.run("import", W46, arn.replace("w46", "w47")) == 1
    err = project.err.getvalue()
    assert "is not the job shop-eu/gdpr-2026-w46 declares; nothing was recorded" in err
    assert "dataSource.dataLocation: 's3://acme-privacy/shop-eu/2026-w47.csv'" in err
    assert "tags.request: 'PRIV-1234' -> 'PRIV-1201'" in err
    assert project.run("import", "shop-eu/nope", arn) == 1
    assert "is not declared in the manifests" in project.err.getvalue()
    assert project.run("import", W46, arn) == 0
    assert "Imported gdpr-2026-w46 (PENDING) as shop-eu/gdpr-2026-w46" in project.out.getvalue()
    assert project.out.getvalue().startswith("Target: local emulator (")
    assert project.state().jobs[W46].arn == arn
    assert project.run("import", W46, arn) == 1
    assert "is already in the state" in project.err.getvalue()


def test_force_unlock_removes_only_a_dead_runs_lock(project: Project) -> None:
    assert project.apply() == 0
    backend = LocalBackend(STATE)
    held = backend.lock("apply")
    assert project.run("force-unlock", held.id) == 1  # no terminal, no --force
    assert project.run("force-unlock", "wrong-id", "--force") == 1
    assert f"lock ID {held.id}, not wrong-id: nothing was removed" in project.err.getvalue()
    assert project.run("force-unlock", held.id, "--force") == 1  # a live process holds it
    assert "held by a running process" in project.err.getvalue()
    backend.unlock(held)
    dead = LockInfo(id="dead-1", who="ci@runner", operation="apply", created=FakeClock().datetime())
    STATE.with_name("state.json.lock").write_text(dead.model_dump_json())  # a killed run's
    project.answers = ["yes"]
    assert project.run("force-unlock", "dead-1", tty=True) == 0
    assert "Removed the lock dead-1" in project.out.getvalue()
    assert STATE.with_name("state.json.lock").read_text() == ""


def use_s3(project: Project, s3_settings: S3State) -> None:
    """The project's state in the bucket of `s3_settings`."""
    settings = project.root / "manifests" / "settings.yaml"
    state = s3_settings.model_dump_json(by_alias=True, exclude_none=True)
    settings.write_text(settings.read_text() + f"state: {state}\n")


@pytest.mark.usefixtures("s3_credentials")
def test_force_unlock_of_an_s3_lock(project: Project, s3_settings: S3State) -> None:
    from reconciler.state.s3 import S3Backend

    use_s3(project, s3_settings)
    stuck = S3Backend(s3_settings).lock("apply")  # and the run was killed
    assert project.apply() == 1
    assert f"lock ID {stuck.id}" in project.err.getvalue()
    assert project.run("force-unlock", stuck.id, "--force") == 0
    assert project.apply() == 0


def test_push_force_replaces_a_corrupt_state_and_rm_names_an_intent(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    good = pull(project, tmp_path / "good.json")
    STATE.write_text('{"version": 2, "lineage": "x", "ser')  # damaged
    assert project.run("state", "push", str(good)) == 1
    assert "is corrupt" in project.err.getvalue()
    assert project.run("state", "push", str(good), "--force") == 0
    assert project.run("plan", "--detailed-exitcode") == 0
    assert project.run("state", "rm", W46, W46) == 0  # named twice: removed once
    assert [r.address for r in project.state().forgotten] == [W46]


def test_import_of_a_retry_records_its_earlier_attempts(project: Project) -> None:
    project.write_manifest(
        "retry.yaml",
        "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
        "datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
        "  - jobName: late\n    dataSource: {dataLocation: s3://acme-privacy/late.csv}\n"
        "    onFailure: retry\n",
    )
    project.write_input("late.csv")
    assert project.apply(wait=True) == 5  # late FAILED
    Path("example-data/s3/acme-privacy/late.csv").write_text("USER_ID\neu-00001\n")
    assert project.apply(wait=True) == 0  # late-r2 COMPLETED
    record = project.state().jobs["shop-eu/late"]
    first = record.attempts[0].seen
    assert first is not None and record.arn is not None
    assert project.run("state", "rm", "shop-eu/late") == 0
    assert project.run("import", "shop-eu/late", first.arn) == 1
    assert "is an earlier attempt; the latest in the service is 'late-r2'" in project.err.getvalue()
    assert project.run("import", "shop-eu/late", record.arn) == 0
    imported = project.state().jobs["shop-eu/late"]
    assert (imported.job_name, [a.job_name for a in imported.attempts]) == ("late-r2", ["late"])
    assert project.run("plan", "--detailed-exitcode") == 0
    assert project.run("state", "rm", "shop-eu/late") == 0
    project.write_manifest(
        "more.yaml",
        "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
        "datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
        "  - jobName: late-r2\n    dataSource: {dataLocation: s3://acme-privacy/late.csv}\n",
    )
    assert project.run("import", "shop-eu/late", record.arn) == 1  # late-r2 is declared itself
    assert "'late-r2' is another declared or recorded job's name" in project.err.getvalue()


@pytest.mark.usefixtures("s3_credentials")
def test_r2_10_an_unreadable_s3_lock_is_named_and_force_unlock_removes_it(
    project: Project, s3_settings: S3State
) -> None:
    use_s3(project, s3_settings)
    put = s3_client(s3_settings.endpoint_url or "").put_object(
        Bucket=s3_settings.bucket, Key=f"{s3_settings.key}.lock", Body=b'{"id": "d3ad'
    )
    etag = put["ETag"].strip('"')
    assert project.apply() == 1
    err = project.err.getvalue()
    assert "is locked by an unknown holder (the lock's details are unreadable)" in err
    assert f"`reconciler force-unlock {etag}` removes it" in err
    assert project.run("force-unlock", etag, "--force") == 0
    assert f"Removed the lock {etag} of s3://" in project.out.getvalue()
    assert project.apply() == 0


def test_r2_12_deeply_nested_json_is_refused_as_corrupt_by_every_reader(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    good = pull(project, tmp_path / "good.json")
    deep = tmp_path / "deep.json"
    deep.write_text('{"version": 3, "jobs": ' + "[" * 50_000 + "]" * 50_000 + "}")
    before = STATE.read_bytes()
    assert project.run("state", "push", str(deep), "--force") == 1
    assert f"{deep} is not a state document (JSON nested deeper than 64 levels)" in (
        project.err.getvalue()
    )
    assert STATE.read_bytes() == before
    STATE.write_bytes(deep.read_bytes())  # the stored state itself
    assert project.run("plan") == 1
    assert "is corrupt (JSON nested deeper than 64 levels); it was left as it is" in (
        project.err.getvalue()
    )
    assert project.run("state", "push", str(good), "--force") == 0
    assert project.run("plan", "--detailed-exitcode") == 0


def test_r2_15_push_refuses_a_record_filed_under_another_address(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    document = json.loads(pull(project, tmp_path / "good.json").read_text())
    document["jobs"]["shop-eu/elsewhere"] = document["jobs"].pop(W46)  # filed under another key
    (tmp_path / "bad.json").write_text(json.dumps(document))
    before = STATE.read_bytes()
    for force in ([], ["--force"]):
        assert project.run("state", "push", str(tmp_path / "bad.json"), *force) == 1
        assert (
            "is not a state document (the record filed under 'shop-eu/elsewhere' is the one of "
            f"'{W46}' at jobs)"
        ) in project.err.getvalue()
    assert STATE.read_bytes() == before


def test_r2_15_push_refuses_a_record_showing_what_was_seen_of_another_job(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    document = json.loads(pull(project, tmp_path / "good.json").read_text())
    w47 = document["jobs"]["shop-eu/gdpr-2026-w47"]["seen"]
    document["jobs"][W46]["seen"] = w47  # another job's status and numDeleted, as evidence
    (tmp_path / "bad.json").write_text(json.dumps(document))
    before = STATE.read_bytes()
    for force in ([], ["--force"]):
        assert project.run("state", "push", str(tmp_path / "bad.json"), *force) == 1
        assert (
            f"the record of '{W46}' shows, for its job 'gdpr-2026-w46', what was seen of another "
            "job (arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/gdpr-2026-w47"
        ) in project.err.getvalue()
    assert STATE.read_bytes() == before


def test_a_push_of_another_lineage_where_only_the_pin_is_left_needs_force(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    other = json.loads(pull(project, tmp_path / "good.json").read_text())
    (tmp_path / "other.json").write_text(json.dumps(other | {"lineage": "another-project"}))
    STATE.unlink()  # the state is gone (and its backup); its place still holds its lineage
    STATE.with_name("state.json.backup").unlink()
    assert project.run("state", "push", str(tmp_path / "other.json")) == 1
    assert "give --force" in project.err.getvalue() and not STATE.exists()
    assert project.run("state", "push", str(tmp_path / "other.json"), "--force") == 0
    assert project.state().lineage == "another-project"


def test_r2_17_push_force_stores_the_state_to_keep_over_another_lineage(
    project: Project, tmp_path: Path
) -> None:
    assert project.apply() == 0
    good = pull(project, tmp_path / "good.json")
    other = json.loads(good.read_text()) | {"lineage": "another-project"}
    STATE.write_text(json.dumps(other))  # another project's state copied over this one
    assert project.run("plan") == 1
    assert "perhaps by another project's state" in project.err.getvalue()
    assert project.run("state", "push", str(good)) == 1  # not without --force
    assert project.run("state", "push", str(good), "--force") == 0
    assert project.run("plan", "--detailed-exitcode") == 0


def test_r2_19_force_unlock_shows_the_holder_with_its_controls_escaped(project: Project) -> None:
    planted = LockInfo(
        id="dead-2",
        who="\x1b[2K\rroot@ci\n::error::pwned",
        operation="apply\x1b]8;;https://x\x07",
        created=FakeClock().datetime(),
    )
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.with_name("state.json.lock").write_text(planted.model_dump_json())
    assert project.run("force-unlock", "wrong-id\x1b[31m", "--force") == 1
    assert project.run("force-unlock", "dead-2", "--force") == 0
    for said in (project.err.getvalue(), project.out.getvalue()):
        assert "\x1b" not in said and "\r" not in said and "\x07" not in said
    assert "\\x1b[2K\\rroot@ci\\n::error::pwned (apply\\x1b]8;;https://x\\x07)" in (
        project.out.getvalue()
    )


def test_recovery_commands_work_beside_a_broken_manifest(project: Project) -> None:
    assert project.apply() == 0
    project.write_manifest(
        "broken.yaml", "apiVersion: reconciler/v1\nkind: DeletionJobs\njobs: [\n"
    )
    assert project.run("plan") == 1  # a plan needs the whole tree
    warning = "Warning: the manifests under manifests have 1 problem (`reconciler validate`"
    assert project.run("state", "list") == 0
    assert W46 in project.out.getvalue() and warning in project.err.getvalue()
    assert project.status() == 0
    assert "shop-eu/gdpr-2026-w46" in project.out.getvalue()
    dead = LockInfo(id="dead-1", who="ci@runner", operation="apply", created=FakeClock().datetime())
    STATE.with_name("state.json.lock").write_text(dead.model_dump_json())  # a killed run's
    assert project.run("force-unlock", "dead-1", "--force") == 0
    assert STATE.with_name("state.json.lock").read_text() == ""
    assert project.run("state", "rm", W46) == 0  # the repair is made; the tree is fixed apart


def test_a_broken_settings_document_stops_even_the_recovery_commands(project: Project) -> None:
    settings = project.root / "manifests" / "settings.yaml"
    settings.write_text(settings.read_text() + "state: {backend: nowhere}\n")
    assert project.run("state", "list") == 1  # where the state is cannot be known
    assert "manifests/settings.yaml:" in project.err.getvalue()
