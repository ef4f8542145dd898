"""STS GetCallerIdentity over HTTP: boto3 learns the emulator's account (the AWS CLI too, in
test_aws_cli.py of the process lane)."""

from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Served

ACCOUNT = "210987654321"  # the `served` emulator's (not the default one)
NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


def test_boto3_gets_the_emulators_account(served: Served) -> None:
    identity = served.client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/emulator"
    assert identity["UserId"].startswith("AIDA")
    china = served.client("sts", region="cn-north-1").get_caller_identity()
    assert china["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:user/emulator"


def test_the_sts_endpoint_can_come_from_the_environment(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", served.url)
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    assert session.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_other_actions_are_query_protocol_errors(served: Served) -> None:
    sts = served.client("sts")
    with pytest.raises(ClientError) as info:
        sts.get_session_token()
    assert info.value.response["Error"] == {
        "Type": "Sender",
        "Code": "InvalidAction",
        "Message": "Could not find operation GetSessionToken for version 2011-06-15",
    }
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def raw(url: str, method: str, path: str, body: bytes | None) -> tuple[int, str, ET.Element]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type", ""), ET.fromstring(response.read())


def test_raw_query_protocol_requests(served: Served) -> None:
    query = "/?Action=GetCallerIdentity&Version=2011-06-15"
    status, kind, root = raw(served.url, "GET", query, None)
    assert (status, kind) == (200, "text/xml")
    assert root.findtext("sts:GetCallerIdentityResult/sts:Account", namespaces=NS) == ACCOUNT
    assert root.findtext("sts:ResponseMetadata/sts:RequestId", namespaces=NS)
    status, _, root = raw(served.url, "POST", "/", b"Version=2011-06-15")
    assert status == 400
    assert root.findtext("sts:Error/sts:Code", namespaces=NS) == "MissingAction"
    status, _, root = raw(served.url, "POST", "/", b"Action=<x>&Version=2011-06-15")
    assert status == 400
    assert root.findtext("sts:Error/sts:Message", namespaces=NS) == (
        "Could not find operation <x> for version 2011-06-15"
    )
    status, _, root = raw(served.url, "POST", "/", b"Action=GetCallerIdentity&Version=2099-01-01")
    assert root.findtext("sts:Error/sts:Code", namespaces=NS) == "InvalidAction"
