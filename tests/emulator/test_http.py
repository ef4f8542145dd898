"""The emulator over HTTP, as plain boto3, the AWS CLI and a raw HTTP client see it."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.service import EmulatorService
from tests.fakes.clock import FakeClock
from tests.providers.conftest import ROLE, serve


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[str, FakeClock, Path]]:
    clock = FakeClock()
    config = EmulatorConfig(
        database=tmp_path / "e.sqlite3",
        s3_root=tmp_path / "s3",
        pending_seconds=10,
        in_progress_seconds=20,
    )
    server = serve(EmulatorService(config, clock=clock))
    yield next(server), clock, tmp_path / "s3"
    next(server, None)


def client(url: str, region: str = "eu-west-1") -> Any:
    return boto3.client(
        "personalize",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def post(url: str, target: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target:
        headers["X-Amz-Target"] = target
    conn.request("POST", "/", body=body, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_boto3_paginates_by_hand_and_regions_are_apart(emulator: Any) -> None:
    url, clock, _ = emulator
    eu, us = client(url), client(url, "us-east-1")
    group = eu.create_dataset_group(name="shop")["datasetGroupArn"]
    assert group == "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
    for i in range(7):
        clock.advance(11)
        eu.create_data_deletion_job(
            jobName=f"j{i}",
            datasetGroupArn=group,
            roleArn=ROLE,
            dataSource={"dataLocation": "s3://b/k.csv"},
        )
    names, token, pages = [], None, 0
    while True:
        page = eu.list_data_deletion_jobs(maxResults=3, **({"nextToken": token} if token else {}))
        pages += 1
        names += [j["jobName"] for j in page["dataDeletionJobs"]]
        assert all("roleArn" not in j and "dataSource" not in j for j in page["dataDeletionJobs"])
        token = page.get("nextToken")
        if not token:
            break
    assert (pages, names) == (3, [f"j{i}" for i in reversed(range(7))])
    assert us.list_data_deletion_jobs()["dataDeletionJobs"] == []
    with pytest.raises(ClientError) as info:
        us.describe_dataset_group(datasetGroupArn=group)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_unreadable_next_token(emulator: Any) -> None:
    with pytest.raises(ClientError) as info:
        client(emulator[0]).list_data_deletion_jobs(nextToken="not-a-token")
    assert info.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_raw_protocol_errors(emulator: Any) -> None:
    url = emulator[0]
    assert post(url, None, b"{}") == (
        400,
        {"__type": "UnknownOperationException", "message": "Missing X-Amz-Target"},
    )
    status, body = post(url, "AmazonPersonalize.ListDataDeletionJobs", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = post(url, "AmazonPersonalize.DeleteEverything", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = post(url, "AmazonPersonalize.ListDataDeletionJobs", b"{}")
    assert (status, body) == (200, {"dataDeletionJobs": []})


AWS = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_aws_cli_round_trip(emulator: Any, tmp_path: Path) -> None:
    """The AWS CLI creates and describes through the emulator (boto3 covers errors and paging:
    the CLI is botocore too)."""
    url, clock, s3 = emulator
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

    group = client(url).create_dataset_group(name="shop")["datasetGroupArn"]
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
