"""Fan-out: one declared job in every dataset group a document targets, by an explicit list or a
selector resolved with ListDatasetGroups at each plan, against the emulator in process (and the
account check with the in-memory provider, whose credentials' account is known)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.providers.local import LocalProvider
from reconciler.runtime import Runtime
from reconciler.workspace import load_settings
from tests.commands.conftest import Project, copy_example
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.state import MemoryBackend

ACCOUNT = "123456789012"
EU = f"arn:aws:personalize:eu-west-1:{ACCOUNT}:dataset-group/"
US = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-group/"
DOCUMENT = """apiVersion: reconciler/v1
kind: DeletionJobs
targets:
{targets}
defaults: {{roleArn: 'arn:aws:iam::{account}:role/R', tags: {{request: PRIV-1234}}}}
jobs:
  - jobName: gdpr-2026-w48
    dataSource: {{dataLocation: s3://acme-privacy/w48.csv}}
"""
SELECT = (
    f'  select: {{account: "{ACCOUNT}", regions: [eu-west-1, us-east-1], namePattern: "shop-*"}}'
)


def fanout(project: Project, targets: str, account: str = ACCOUNT) -> None:
    project.write_input("w48.csv", "USER_ID\neu-00001\n")
    project.write_manifest("privacy.yaml", DOCUMENT.format(targets=targets, account=account))


def create_group(project: Project, name: str, region: str = "eu-west-1") -> None:
    emulator = project.provider(load_settings(Path("manifests"), {}))
    assert isinstance(emulator, LocalProvider)
    emulator.service.handle("CreateDatasetGroup", {"name": name}, region=region)


def test_an_explicit_list_spreads_one_job_over_three_groups(project: Project) -> None:
    create_group(project, "shop-uk")
    arns = [EU + "shop-eu", EU + "shop-uk", US + "shop-us"]
    fanout(project, "  datasetGroupArns:\n" + "".join(f"    - {arn}\n" for arn in arns))
    assert project.run("validate") == 0
    assert project.run("plan") == 0
    out = project.out.getvalue()
    assert (
        "Fan-out:\n  manifests/privacy.yaml:4:3: targets.datasetGroupArns -> 3 dataset groups: "
        "shop-eu, shop-uk, shop-us; 1 job in each\n"
    ) in out
    for group in ("shop-eu", "shop-uk", "shop-us"):
        assert f"# {group}/gdpr-2026-w48 will be created" in out
        assert f'+ data_deletion_job "gdpr-2026-w48-{group}"' in out
    assert project.apply() == 0
    live = project.live_names()
    assert "gdpr-2026-w48-shop-eu" in live and "gdpr-2026-w48-shop-us" in live
    assert "shop-uk/gdpr-2026-w48" in project.state().jobs


def test_a_selector_reaches_the_groups_it_matches_and_later_ones_too(project: Project) -> None:
    create_group(project, "shop-uk")
    create_group(project, "blog-eu")  # does not match shop-*
    fanout(project, SELECT)
    assert project.run("plan", "--format", "json") == 0
    document = json.loads(project.out.getvalue())
    assert document["fanout"] == [
        {
            "source": "manifests/privacy.yaml:4:3",
            "how": f"targets.select: account {ACCOUNT}, eu-west-1 + us-east-1, names matching "
            "'shop-*'",
            "groups": [EU + "shop-eu", EU + "shop-uk", US + "shop-us"],
            "new_groups": [],
            "jobs": 1,
        }
    ]
    assert document["api_calls"]["ListDatasetGroups"] == 2  # once per selected region
    creates = {
        c["address"]: c["change"]["after"]["jobName"]
        for c in document["resource_changes"]
        if c["address"].endswith("/gdpr-2026-w48")
    }
    assert creates == {
        "shop-eu/gdpr-2026-w48": "gdpr-2026-w48-shop-eu",
        "shop-uk/gdpr-2026-w48": "gdpr-2026-w48-shop-uk",
        "shop-us/gdpr-2026-w48": "gdpr-2026-w48-shop-us",
    }
    assert project.apply() == 0

    create_group(project, "shop-de")  # next month's storefront
    assert project.run("report", "--request", "PRIV-1234", "--format", "json") == 0
    request = json.loads(project.out.getvalue())["requests"][0]
    assert request["verdict"] == "pending"  # shop-de has no deletion yet: never "completed"
    assert {j["address"]: j["attempts"][0]["status"] for j in request["jobs"]}[
        "shop-de/gdpr-2026-w48"
    ] is None
    assert project.run("plan") == 0
    out = project.out.getvalue()
    assert "shop-de (new), shop-eu, shop-uk, shop-us; 1 job in each" in out
    assert (
        "# shop-de/gdpr-2026-w48 will be created: new dataset group matches the selector: it "
        "gets the document's past deletions"
    ) in out
    assert "Plan: 1 to create, 0 to retry, 0 to forget." in out
    assert project.run("plan", "--format", "json") == 0
    changes = json.loads(project.out.getvalue())["resource_changes"]
    reasons = {
        c["address"]: c["action_reason"] for c in changes if c["change"]["actions"] != ["no-op"]
    }
    assert reasons == {"shop-de/gdpr-2026-w48": "new_group_selected"}
    assert project.apply() == 0
    assert "gdpr-2026-w48-shop-de" in [
        job.job_name
        for job in project.provider(load_settings(Path("manifests"), {})).list_jobs(EU + "shop-de")
    ]


def test_a_selector_that_matches_nothing_is_never_green(project: Project) -> None:
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()  # only the selector's document
    fanout(project, SELECT.replace("shop-*", "nothing-*"))
    assert project.run("plan", "--detailed-exitcode") == 2
    out = project.out.getvalue()
    assert "-> no dataset group (nothing matches: no job)" in out
    assert "Attention: 1 selector matches no dataset group" in out
    assert "No changes to apply, but 1 selector matches no dataset group." in out
    assert "No changes." not in out
    assert project.check() == 2
    assert (
        "not applied: manifests/privacy.yaml:4:3: targets.select: account 123456789012"
    ) in project.out.getvalue()
    assert project.run("plan", "--format", "github") == 0
    assert "::warning file=manifests/privacy.yaml,line=4,col=3," in project.out.getvalue()


def test_a_derived_name_taken_by_another_declared_job_is_refused_at_plan(project: Project) -> None:
    create_group(project, "shop-uk")
    fanout(project, SELECT)
    project.write_manifest(
        "uk.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {EU}shop-uk\n"
        f"defaults: {{roleArn: 'arn:aws:iam::{ACCOUNT}:role/R'}}\njobs:\n"
        "  - jobName: gdpr-2026-w48-shop-uk\n"
        "    dataSource: {dataLocation: s3://acme-privacy/w48.csv}\n",
    )
    assert project.run("validate") == 0  # the selector's groups are known only at plan time
    assert (
        "5 documents, 3 dataset groups, 6 jobs; 1 selector with 1 job for each group matched "
        "at plan time."
    ) in project.out.getvalue()
    assert project.run("plan") == 1  # that one job is refused; the rest of the tree plans
    out = project.out.getvalue()
    assert (
        "Error: Fan-out: shop-uk/gdpr-2026-w48 is not planned: its name or address is taken\n"
        "  on manifests/privacy.yaml:7:5 (shop-uk/gdpr-2026-w48)\n"
        "  jobName 'gdpr-2026-w48-shop-uk' (derived from jobName 'gdpr-2026-w48' and the dataset "
        "group's name) is already declared at manifests/uk.yaml:6:5"
    ) in out
    assert "Refused: 1 job whose name or address is taken (not created)." in out
    assert "# shop-eu/gdpr-2026-w48 will be created" in out
    assert project.apply() == 1
    emulator = project.provider(load_settings(Path("manifests"), {}))
    uk = [job.job_name for job in emulator.list_jobs(EU + "shop-uk")]
    assert uk == ["gdpr-2026-w48-shop-uk"]  # uk.yaml's own job, once
    assert project.state().jobs["shop-uk/gdpr-2026-w48-shop-uk"].arn is not None
    assert project.check() == 2
    assert "not applied: shop-uk/gdpr-2026-w48: Fan-out:" in project.out.getvalue()


def test_groups_of_one_name_in_two_regions_get_addresses_with_their_region(
    project: Project,
) -> None:
    fanout(project, SELECT)
    assert project.apply() == 0
    assert "shop-eu/gdpr-2026-w48" in project.state().jobs
    create_group(project, "shop-eu", region="us-east-1")  # months later, in another region
    assert project.run("plan", "--format", "json") == 0  # never a failed plan for the tree
    document = json.loads(project.out.getvalue())
    actions = {
        c["address"]: c["reconciler"]["action"]
        for c in document["resource_changes"]
        if c["address"].endswith("/gdpr-2026-w48")
    }
    assert actions == {
        "shop-eu/gdpr-2026-w48": "forget",  # the same job, recorded again at its new address
        "shop-eu@eu-west-1/gdpr-2026-w48": "import",
        "shop-eu@us-east-1/gdpr-2026-w48": "create",
        "shop-us/gdpr-2026-w48": "no-op",
    }
    assert project.apply() == 0
    jobs = project.state().jobs
    assert jobs["shop-eu@eu-west-1/gdpr-2026-w48"].arn is not None
    assert jobs["shop-eu@us-east-1/gdpr-2026-w48"].spec.job_name == "gdpr-2026-w48-shop-eu"


def test_a_selector_of_another_account_than_the_credentials_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    clock = FakeClock()
    provider = FakeProvider(clock)  # its credentials are of 123456789012, as STS says
    Path("manifests/privacy.yaml").write_text(
        DOCUMENT.format(targets=SELECT.replace(ACCOUNT, "999999999999"), account=ACCOUNT)
    )
    out, err = io.StringIO(), io.StringIO()
    runtime = Runtime(
        environ={},
        out=out,
        err=err,
        clock=clock.datetime,
        monotonic=clock,
        sleep=clock.sleep,
        make_provider=lambda settings: provider,
        make_backend=lambda settings: MemoryBackend(),
    )
    assert main(["plan"], runtime) == 1
    assert "the credentials are for AWS account 123456789012" in err.getvalue()
    assert "targets.select (999999999999)" in err.getvalue()
    assert provider.calls["ListDatasetGroups"] == 0  # refused before anything is read
