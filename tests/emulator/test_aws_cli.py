"""The AWS CLI against `reconciler emulator serve`, as the README shows it: the commands below are
run as written, against a server on another port, with nothing of this machine's AWS settings.

The CLI signs every request, so it wants a region and credentials before it sends anything (any
values do: the emulator checks no signature and takes the region from it). botocore has no
paginator for ListDataDeletionJobs, so the CLI has no `--max-items` for it: it pages with the
service's own `--max-results` and `--next-token`, which the emulator answers as the service does.
"""

from __future__ import annotations

import functools
import json
import shlex
from pathlib import Path
from typing import Any

import boto3

from tests.emulator.conftest import aws_env, needs_aws_cli, run_aws
from tests.emulator.test_processes import serving

README_URL = "http://127.0.0.1:4599"
README = """\
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
aws personalize create-dataset-group --name shop --region eu-west-1 --endpoint-url http://127.0.0.1:4599
aws personalize list-data-deletion-jobs --max-results 10 --region eu-west-1 --endpoint-url http://127.0.0.1:4599
aws sts get-caller-identity --region eu-west-1 --endpoint-url http://127.0.0.1:4599
"""
ROLE = "arn:aws:iam::123456789012:role/PersonalizeDeletion"


@needs_aws_cli
def test_the_readme_commands_work_as_written(tmp_path: Path) -> None:
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


@needs_aws_cli
def test_the_cli_pages_with_the_services_own_tokens(tmp_path: Path) -> None:
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
