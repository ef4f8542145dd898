"""Names are used up for good and unique per account and region: a retry, a derived name and a
state restored from an earlier copy must never make two creates of one name, stop every plan,
or make a second deletion of the same users. Against the emulator in process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reconciler.workspace import load_settings
from tests.commands.conftest import STATE, Project, failing_rows
from tests.commands.test_fanout import ACCOUNT, EU, create_group

GROUP = f"{EU}shop-eu"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/R"


def jobs_in(project: Project, group: str) -> list[str]:
    return sorted(
        j.job_name for j in project.provider(load_settings(Path("manifests"), {})).list_jobs(group)
    )


def selected_gdpr(project: Project, max_attempts: int) -> None:
    """A selector's job `gdpr` in every `shop-*` group, retried on failure, whose input the
    service FAILS (until the test writes a good one)."""
    project.write_input("w48.csv")
    project.write_manifest(
        "privacy.yaml",
        "apiVersion: reconciler/v1\nkind: DeletionJobs\ntargets:\n"
        f'  select: {{account: "{ACCOUNT}", regions: [eu-west-1], namePattern: "shop-*"}}\n'
        f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        "  - jobName: gdpr\n    dataSource: {dataLocation: s3://acme-privacy/w48.csv}\n"
        f"    onFailure: retry\n    maxAttempts: {max_attempts}\n",
    )


def test_r2_02_a_retry_never_takes_another_declared_jobs_name(project: Project) -> None:
    project.write_input("x.csv")  # a row of two columns: the service FAILS the job
    good = project.write_input("x-r2.csv", "USER_ID\neu-00001\n")
    project.write_manifest(
        "retry.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP}\n"
        f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        "  - jobName: x\n    dataSource: {dataLocation: s3://acme-privacy/x.csv}\n"
        "    onFailure: retry\n    maxAttempts: 2\n"
        f"  - jobName: x-r2\n    dataSource: {{dataLocation: {good}}}\n",
    )
    assert project.run("validate") == 0
    assert project.apply(wait=True) == 5  # x FAILED; x-r2 COMPLETED
    assert project.run("plan") == 0
    assert "will be retried" not in project.out.getvalue()  # the same file would fail again
    project.write_input("x.csv", failing_rows("eu-00003", "eu-00004"))  # another, failing too
    assert project.run("plan") == 0  # one retry of x, under a name that is not x-r2's
    assert project.apply(wait=True) == 5  # the retry FAILED too: its users were not deleted
    names = jobs_in(project, GROUP)
    retry = project.state().jobs["shop-eu/x"].job_name
    assert retry.startswith("x-") and retry.endswith("-r2") and retry != "x-r2"
    assert names.count("x-r2") == 1 and retry in names
    assert project.state().jobs["shop-eu/x-r2"].status is not None
    assert project.run("plan") == 0  # no error: every later plan works
    assert project.state().jobs["shop-eu/x-r2"].job_name == "x-r2"


def test_r2_09_a_state_restored_from_before_a_retry_imports_the_retry(
    project: Project, tmp_path: Path
) -> None:
    location = project.write_input("late.csv")
    project.write_manifest(
        "retry.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP}\n"
        f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        f"  - jobName: late\n    dataSource: {{dataLocation: {location}}}\n"
        "    onFailure: retry\n",
    )
    assert project.apply(wait=True) == 5  # late FAILED, and its retries while the input is bad
    saved = tmp_path / "before-the-retry.json"
    shutil.copy(STATE, saved)
    before = project.state().jobs["shop-eu/late"]
    project.write_input("late.csv", "USER_ID\neu-00001\n")
    assert project.apply(wait=True) == 0  # the next retry COMPLETED
    retried = project.state().jobs["shop-eu/late"]
    assert retried.attempt == before.attempt + 1
    assert project.run("state", "push", str(saved), "--force") == 0  # an operator restores it
    live = jobs_in(project, GROUP)
    assert project.run("plan") == 0
    out = project.out.getvalue()
    assert "shop-eu/late will be imported" in out or "import" in out
    assert "rename" not in out
    assert project.apply(wait=True) == 0
    assert jobs_in(project, GROUP) == live  # no second deletion of the same users
    restored = project.state().jobs["shop-eu/late"]
    assert restored.job_name == retried.job_name and restored.attempt == retried.attempt
    assert [a.job_name for a in restored.attempts] == [a.job_name for a in retried.attempts]
    assert project.run("plan", "--detailed-exitcode") == 0


def test_r2_01_a_group_created_later_never_stops_the_tree_on_a_retry_name(
    project: Project,
) -> None:
    selected_gdpr(project, max_attempts=2)  # its input makes the service FAIL it
    assert project.apply(wait=True) == 5  # gdpr-shop-eu FAILED
    project.write_input("w48.csv", failing_rows("eu-00003", "eu-00004"))  # another bad file
    assert project.apply(wait=True) == 5  # and its retry, gdpr-shop-eu-r2
    assert project.state().jobs["shop-eu/gdpr"].job_name == "gdpr-shop-eu-r2"
    create_group(project, "shop-eu-r2")  # someone creates a group whose derived name is taken
    project.write_input("w48.csv", "USER_ID\neu-00001\n")
    assert project.run("plan") == 0  # no error: the rest of the tree and the new group plan
    assert "# shop-eu-r2/gdpr will be created" in project.out.getvalue()
    assert project.apply(wait=True) == 5  # still exit 5: shop-eu's deletion FAILED for good
    new = project.state().jobs["shop-eu-r2/gdpr"]
    assert new.job_name != "gdpr-shop-eu-r2" and new.job_name.startswith("gdpr-shop-eu-r2-")
    assert jobs_in(project, f"{EU}shop-eu-r2") == [new.job_name]
    assert project.run("plan", "--format", "json") == 0  # the same name at every plan after
    [change] = [
        c
        for c in json.loads(project.out.getvalue())["resource_changes"]
        if c["address"] == "shop-eu-r2/gdpr"
    ]
    assert (change["reconciler"]["action"], change["name"]) == ("no-op", new.job_name)


def test_a_restored_state_and_a_group_made_since_never_erase_anyone_twice(
    project: Project, tmp_path: Path
) -> None:
    selected_gdpr(project, max_attempts=3)  # its input makes the service FAIL it
    assert project.apply(wait=True) == 5  # gdpr-shop-eu FAILED
    saved = tmp_path / "before-the-retry.json"
    shutil.copy(STATE, saved)
    project.write_input("w48.csv", "USER_ID\neu-00001\n")
    assert project.apply(wait=True) == 0  # gdpr-shop-eu-r2 COMPLETED
    create_group(project, "shop-eu-r2")  # its derived name is the retry's
    assert project.run("state", "push", str(saved), "--force") == 0
    assert project.run("plan") == 0
    out = project.out.getvalue()
    assert "# shop-eu/gdpr will be imported" in out and "will be retried" not in out
    assert "# shop-eu-r2/gdpr will be created" in out
    assert project.apply(wait=True) == 0
    gdpr = [name for name in jobs_in(project, GROUP) if name.startswith("gdpr-shop")]
    assert gdpr == ["gdpr-shop-eu", "gdpr-shop-eu-r2"]  # erased once
    [made] = jobs_in(project, f"{EU}shop-eu-r2")  # and the new group gets its erasure
    assert made.startswith("gdpr-shop-eu-r2-") and project.state().jobs["shop-eu-r2/gdpr"].arn
    assert project.run("plan", "--detailed-exitcode") == 0


def test_a_lost_state_finds_a_completed_retry_whose_name_is_declared_again(
    project: Project,
) -> None:
    location = project.write_input("x.csv")  # the service FAILS it
    manifest = (
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP}\n"
        f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        f"  - jobName: x\n    dataSource: {{dataLocation: {location}}}\n"
    )
    project.write_manifest("x.yaml", manifest)
    assert project.apply(wait=True) == 5  # x FAILED
    project.write_input("x.csv", "USER_ID\neu-00001\n")
    assert project.apply("--retry", "shop-eu/x", wait=True) == 0  # x-r2 COMPLETED
    other = project.write_input("other.csv", "USER_ID\neu-00002\n")
    project.write_manifest(
        "x.yaml", manifest + f"  - jobName: x-r2\n    dataSource: {{dataLocation: {other}}}\n"
    )
    for path in STATE.parent.glob("state.json*"):  # the state is lost
        path.unlink()
    assert project.run("plan") == 1  # x-r2 (the new job) is refused: its name is taken
    out = project.out.getvalue()
    assert "# shop-eu/x will be imported: a job of this name and spec exists" in out
    assert "Error: Job name 'x-r2' is already used by another job" in out
    assert "will be retried" not in out and "creates one more attempt" not in out
    assert project.apply(wait=True) == 1
    assert [n for n in jobs_in(project, GROUP) if n.startswith("x")] == ["x", "x-r2"]
    recorded = project.state().jobs["shop-eu/x"]
    assert (recorded.job_name, [a.job_name for a in recorded.attempts]) == ("x-r2", ["x"])
