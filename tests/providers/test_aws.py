"""The aws provider's own behaviour: retries, and every service error translated for the user."""

from __future__ import annotations

import socket
import time
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.errors import UsageError
from reconciler.providers.aws import AwsProvider
from reconciler.providers.interface import (
    AccessDenied,
    AlreadyExists,
    InvalidInput,
    NotFound,
    ProviderError,
    QuotaExceeded,
    Throttled,
    TransientError,
)
from reconciler.settings import ProviderSettings
from tests.providers.conftest import ACCOUNT, World, aws_provider, group_arn, job_spec

GROUP = group_arn("shop")


@pytest.mark.parametrize(
    ("operation", "code", "status", "expected"),
    [
        ("create_data_deletion_job", "LimitExceededException", 400, QuotaExceeded),
        ("list_data_deletion_jobs", "LimitExceededException", 400, Throttled),
        ("create_data_deletion_job", "ResourceAlreadyExistsException", 400, AlreadyExists),
        ("create_data_deletion_job", "InvalidInputException", 400, InvalidInput),
        ("create_data_deletion_job", "TooManyTagsException", 400, InvalidInput),
        ("create_data_deletion_job", "ResourceInUseException", 400, InvalidInput),
        ("create_data_deletion_job", "ResourceNotFoundException", 404, NotFound),
        ("create_data_deletion_job", "AccessDeniedException", 403, AccessDenied),
        ("create_data_deletion_job", "UnrecognizedClientException", 403, AccessDenied),
        ("create_data_deletion_job", "ThrottlingException", 400, Throttled),
        ("create_data_deletion_job", "InternalFailure", 500, TransientError),
        ("create_data_deletion_job", "SomethingNew", 400, ProviderError),
    ],
)
def test_service_errors_are_translated(
    operation: str, code: str, status: int, expected: type[ProviderError]
) -> None:
    provider = aws_provider("http://127.0.0.1:9", max_attempts=1)
    client = provider.client("eu-west-1")
    with Stubber(client) as stub:
        stub.add_client_error(
            operation, service_error_code=code, service_message="nope", http_status_code=status
        )
        with pytest.raises(expected) as info:
            if operation == "create_data_deletion_job":
                provider.create_job(job_spec("j", GROUP))
            else:
                provider.list_jobs(GROUP)
    assert type(info.value) is expected
    assert code in str(info.value)
    if expected is AccessDenied:
        assert "AWS_PROFILE" in str(info.value)


def test_expired_next_token_restarts_the_listing() -> None:
    provider = aws_provider("http://127.0.0.1:9", max_attempts=1)
    client = provider.client("eu-west-1")
    summary = {
        "dataDeletionJobArn": "arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/j",
        "datasetGroupArn": GROUP,
        "jobName": "j",
        "status": "COMPLETED",
        "creationDateTime": 1_790_000_000,
        "lastUpdatedDateTime": 1_790_000_100,
    }
    with Stubber(client) as stub:
        stub.add_response(
            "list_data_deletion_jobs", {"dataDeletionJobs": [summary], "nextToken": "t1"}
        )
        stub.add_client_error(
            "list_data_deletion_jobs", service_error_code="InvalidNextTokenException"
        )
        stub.add_response("list_data_deletion_jobs", {"dataDeletionJobs": [summary]})
        jobs = provider.list_jobs(GROUP)
    assert [j.job_name for j in jobs] == ["j"]
    assert provider.calls["ListDataDeletionJobs"] == 3


def test_throttling_is_retried_up_to_max_attempts(
    make_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)  # botocore's backoff, not real waiting
    world: World = make_world("aws", faults={"throttle_fraction": 1.0})
    provider = aws_provider(str(world.url), max_attempts=4)
    with pytest.raises(TransientError, match="ThrottlingException"):
        provider.list_jobs(GROUP)
    assert provider.calls["ListDataDeletionJobs"] == 1
    assert provider.attempts["ListDataDeletionJobs"] == 4
    assert len(sleeps) == 3


def test_unreachable_endpoint_is_transient() -> None:
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = aws_provider(f"http://127.0.0.1:{port}", max_attempts=1)
    with pytest.raises(TransientError, match="cannot reach the service"):
        provider.describe_dataset_group(GROUP)


def test_missing_credentials_say_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = ProviderSettings(name="aws", endpoint_url="http://127.0.0.1:9", max_attempts=1)
    provider = AwsProvider(settings, session=boto3.session.Session(region_name="eu-west-1"))
    with pytest.raises(AccessDenied, match="no AWS credentials found"):
        provider.list_jobs(GROUP)


def test_defect_14_an_unknown_profile_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(UsageError, match=r"AWS profile 'nope' not found.*provider\.profile"):
        AwsProvider(ProviderSettings(name="aws", profile="nope"))
    monkeypatch.setenv("AWS_PROFILE", "from-env")  # defect: it said "AWS profile None"
    with pytest.raises(UsageError, match=r"AWS profile 'from-env' not found.*check AWS_PROFILE"):
        AwsProvider(ProviderSettings(name="aws"))


def test_retry_mode_is_set_explicitly() -> None:
    provider = aws_provider("http://127.0.0.1:9", retry_mode="adaptive", max_attempts=7)
    config = provider.client("eu-west-1").meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 7}
    assert provider.client("eu-west-1") is provider.client("eu-west-1")
    assert provider.client("us-east-1").meta.region_name == "us-east-1"


def test_a_tls_failure_names_the_endpoint_without_its_password(make_world: Any) -> None:
    world: World = make_world("aws")  # the emulator answers plain HTTP: TLS to it fails
    assert world.url is not None
    url = world.url.replace("http://", "https://bob:hunter2@")
    with pytest.raises(ProviderError) as failed:
        aws_provider(url).list_jobs(GROUP)
    port = url.rsplit(":", 1)[1]
    assert str(failed.value).startswith(
        f"ListDataDeletionJobs: SSLError: SSL validation failed for https://***@127.0.0.1:{port}/ "
    )
    assert "hunter2" not in str(failed.value)


def test_one_caller_identity_serves_the_target_and_the_principal(make_world: Any) -> None:
    world: World = make_world("aws")
    provider = world.provider
    assert isinstance(provider, AwsProvider)
    assert provider.principal() == f"arn:aws:iam::{ACCOUNT}:user/emulator"
    assert provider.target(["eu-west-1"]).account == ACCOUNT
    assert provider.principal() == f"arn:aws:iam::{ACCOUNT}:user/emulator"
    assert provider.calls["GetCallerIdentity"] == 1


def test_an_endpoint_that_does_not_answer_sts_has_no_principal() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
    try:
        provider = aws_provider(f"http://127.0.0.1:{closed.getsockname()[1]}")
        assert provider.principal() is None
        assert provider.target(["eu-west-1"]).account is None
    finally:
        closed.close()
    assert provider.calls["GetCallerIdentity"] == 1
