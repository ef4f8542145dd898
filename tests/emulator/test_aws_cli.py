"""The AWS CLI against the emulator, in one test of the process lane (`pytest -m process`): every
`aws` command is a process of its own, and what the emulator answers is tested through boto3 in
process (test_http, test_tags, test_activity, test_sts). Each part below runs on an emulator of
its own: the README's commands and the CLI's paging against `reconciler emulator serve` on
another port; tags, import jobs, a campaign deployed and updated, the account and a deletion
job's round trip against an emulator served by this process on a fake clock. Nothing of this
machine's AWS settings is used.

The CLI signs every request, so it wants a region and credentials before it sends anything (any
values do: the emulator checks no signature and takes the region from it). botocore has no
paginator for ListDataDeletionJobs, so the CLI has no `--max-items` for it: it pages with the
service's own `--max-results` and `--next-token`, which the emulator answers as the service does.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.emulator.conftest import AWS, Served, aws_env, emulator_served, needs_aws_cli, run_aws
from tests.emulator.test_activity import PREFIX, active_dataset, active_version, import_job
from tests.emulator.test_processes import serving
from tests.emulator.test_tags import tags

README_URL = "http://127.0.0.1:4599"
README = """\
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
aws personalize create-dataset-group --name shop --region eu-west-1 --endpoint-url http://127.0.0.1:4599
aws personalize list-data-deletion-jobs --max-results 10 --region eu-west-1 --endpoint-url http://127.0.0.1:4599
aws sts get-caller-identity --region eu-west-1 --endpoint-url http://127.0.0.1:4599
"""
ROLE = "arn:aws:iam::123456789012:role/PersonalizeDeletion"
ACCOUNT = "210987654321"  # the account of `emulator_served`


@pytest.mark.process
@needs_aws_cli
def test_the_aws_cli_against_the_emulator(tmp_path: Path) -> None:
    parts = {
        "readme": the_readme_commands_work_as_written,
        "pages": the_cli_pages_with_the_services_own_tokens,
    }
    for name, part in parts.items():
        (tmp_path / name).mkdir()
        part(tmp_path / name)
    served_parts = {
        "tags": the_cli_tags_a_dataset_group,
        "imports": the_cli_lists_import_jobs,
        "campaigns": the_cli_deploys_and_updates_a_campaign,
        "account": the_cli_gets_the_emulators_account,
        "round-trip": the_cli_creates_and_describes_a_deletion_job,
    }
    for name, served_part in served_parts.items():
        (tmp_path / name).mkdir()
        with emulator_served(tmp_path / name) as served:
            served_part(served, tmp_path / name)


def the_readme_commands_work_as_written(tmp_path: Path) -> None:
    """The README's commands, run as written, against `emulator serve` on another port."""
    env = aws_env(tmp_path)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]  # the README exports its own
    outputs = []
    for url, _ in serving(tmp_path):
        for line in README.splitlines():
            words = shlex.split(line.replace(README_URL, url))
            if words[0] == "export":
                env |= dict(word.split("=", 1) for word in words[1:])
                continue
            result = run_aws(words[1:], env)
            assert result.returncode == 0, f"{line}\n{result.stderr}"
            outputs.append(json.loads(result.stdout))
    assert outputs == [
        {"datasetGroupArn": "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"},
        {"dataDeletionJobs": []},
        {
            "UserId": "AIDAEMULATOREXAMPLE01",
            "Account": "123456789012",
            "Arn": "arn:aws:iam::123456789012:user/emulator",
        },
    ]


def personalize(url: str, env: dict[str, str], *args: str) -> Any:
    where = ["--region", "eu-west-1", "--endpoint-url", url]
    result = run_aws(["personalize", *args, *where], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def the_cli_pages_with_the_services_own_tokens(tmp_path: Path) -> None:
    for url, _ in serving(tmp_path, "--database", "e.sqlite3"):
        client = boto3.client(
            "personalize",
            region_name="eu-west-1",
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for name in ("a", "b"):
            group = client.create_dataset_group(name=name)["datasetGroupArn"]
        for name in ("j1", "j2", "j3"):
            client.create_data_deletion_job(
                jobName=name,
                datasetGroupArn=group,
                roleArn=ROLE,
                dataSource={"dataLocation": "s3://bucket/users.csv"},
            )
        env = aws_env(tmp_path)
        cli = functools.partial(personalize, url, env)
        pages = [cli("list-data-deletion-jobs", "--max-results", "2")]
        token = pages[0]["nextToken"]
        pages.append(cli("list-data-deletion-jobs", "--max-results", "2", "--next-token", token))
        assert [[job["jobName"] for job in page["dataDeletionJobs"]] for page in pages] == [
            ["j3", "j2"],
            ["j1"],
        ]
        assert "nextToken" not in pages[1]
        first = cli("list-dataset-groups", "--max-items", "1")  # the CLI's own paginator
        rest = cli("list-dataset-groups", "--starting-token", first["NextToken"])
        names = [[g["name"] for g in page["datasetGroups"]] for page in (first, rest)]
        assert names == [["b"], ["a"]]


def the_cli_tags_a_dataset_group(served: Served, tmp_path: Path) -> None:
    """Was tests/emulator/test_tags.py::test_the_aws_cli_tags_a_dataset_group."""
    group = served.client().create_dataset_group(name="shop")["datasetGroupArn"]
    env = aws_env(tmp_path)
    where = ["--region", "eu-west-1", "--endpoint-url", served.url, "--output", "json"]
    pairs = ["tagKey=team,tagValue=privacy", "tagKey=env,tagValue=test"]
    tagged = run_aws(
        ["personalize", "tag-resource", "--resource-arn", group, "--tags", *pairs, *where], env
    )
    assert tagged.returncode == 0, tagged.stderr
    untagged = run_aws(
        ["personalize", "untag-resource", "--resource-arn", group, "--tag-keys", "env", *where],
        env,
    )
    assert untagged.returncode == 0, untagged.stderr
    listed = run_aws(
        ["personalize", "list-tags-for-resource", "--resource-arn", group, *where], env
    )
    assert json.loads(listed.stdout) == {"tags": tags(team="privacy")}


def the_cli_lists_import_jobs(served: Served, tmp_path: Path) -> None:
    """Was tests/emulator/test_activity.py::test_the_aws_cli_lists_import_jobs."""
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    dataset = active_dataset(served, client, group)
    import_job(client, dataset, "first")
    served.clock.advance(10)
    import_job(client, dataset, "second")
    cli = functools.partial(personalize, served.url, aws_env(tmp_path))

    first = cli("list-dataset-import-jobs", "--dataset-arn", dataset, "--max-results", "1")
    assert [(j["jobName"], j["status"]) for j in first["datasetImportJobs"]] == [
        ("second", "CREATE PENDING")
    ]
    rest = cli(
        "list-dataset-import-jobs",
        "--dataset-arn",
        dataset,
        "--max-results",
        "1",
        "--next-token",
        first["nextToken"],
    )
    assert [(j["jobName"], j["status"]) for j in rest["datasetImportJobs"]] == [
        ("first", "CREATE IN_PROGRESS")
    ]
    served.clock.advance(60)
    arn = f"{PREFIX}:dataset-import-job/first"
    described = cli("describe-dataset-import-job", "--dataset-import-job-arn", arn)
    assert described["datasetImportJob"]["status"] == "ACTIVE"
    assert described["datasetImportJob"]["importMode"] == "FULL"  # the service's default


def the_cli_deploys_and_updates_a_campaign(served: Served, tmp_path: Path) -> None:
    """create-campaign, update-campaign and describe-campaign: the campaign serves its old
    version until the update is ACTIVE."""
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    old = active_version(served, client, group)
    new = client.create_solution_version(solutionArn=f"{PREFIX}:solution/sol")
    served.clock.advance(70)
    cli = functools.partial(personalize, served.url, aws_env(tmp_path))

    arn = cli("create-campaign", "--name", "recs", "--solution-version-arn", old)["campaignArn"]
    assert arn == f"{PREFIX}:campaign/recs"
    served.clock.advance(30)
    version = new["solutionVersionArn"]
    cli("update-campaign", "--campaign-arn", arn, "--solution-version-arn", version)
    campaign = cli("describe-campaign", "--campaign-arn", arn)["campaign"]
    assert (campaign["status"], campaign["solutionVersionArn"]) == ("ACTIVE", old)
    assert campaign["latestCampaignUpdate"]["status"] == "CREATE PENDING"
    served.clock.advance(30)
    client_view = client.describe_campaign(campaignArn=arn)["campaign"]
    assert client_view["solutionVersionArn"] == version


def the_cli_gets_the_emulators_account(served: Served, tmp_path: Path) -> None:
    """Was tests/emulator/test_sts.py::test_the_aws_cli_gets_the_emulators_account."""
    result = run_aws(
        ["sts", "get-caller-identity", "--region", "eu-west-1", "--endpoint-url", served.url],
        aws_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == ACCOUNT


def the_cli_creates_and_describes_a_deletion_job(served: Served, tmp_path: Path) -> None:
    """Was tests/emulator/test_http.py::test_aws_cli_round_trip: the AWS CLI creates and
    describes through the emulator, its region from AWS_DEFAULT_REGION (boto3 covers errors and
    paging: the CLI is botocore too)."""
    url, clock, s3 = served.url, served.clock, tmp_path / "s3"
    (s3 / "b").mkdir(parents=True)
    (s3 / "b" / "k.csv").write_text("USER_ID\nu1\nu2\n", encoding="utf-8")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AWS), "personalize", *args, "--endpoint-url", url, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    group = served.client().create_dataset_group(name="shop")["datasetGroupArn"]
    created = cli(
        "create-data-deletion-job",
        "--dataset-group-arn",
        group,
        "--role-arn",
        ROLE,
        "--data-source",
        "dataLocation=s3://b/k.csv",
        "--job-name",
        "j0",
    )
    arn = json.loads(created.stdout)["dataDeletionJobArn"]
    assert arn.endswith(":data-deletion-job/j0")
    clock.advance(30)
    job = json.loads(cli("describe-data-deletion-job", "--data-deletion-job-arn", arn).stdout)
    assert job["dataDeletionJob"]["status"] == "COMPLETED"
    assert job["dataDeletionJob"]["numDeleted"] == 2
