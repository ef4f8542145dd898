"""Requests are checked against botocore's model and refused in AWS's own words."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator.errors import ServiceError
from reconciler.emulator.validation import validate_request

GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
ROLE = "arn:aws:iam::123456789012:role/R"


def create(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "jobName": "j",
        "datasetGroupArn": GROUP,
        "dataSource": {"dataLocation": "s3://b/k.csv"},
        "roleArn": ROLE,
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def refusal(operation: str, params: Any) -> str:
    with pytest.raises(ServiceError) as info:
        validate_request(operation, params)
    assert info.value.code == "InvalidInputException"
    assert info.value.status == 400
    return info.value.message


def test_a_valid_request_passes() -> None:
    validate_request("CreateDataDeletionJob", create(tags=[{"tagKey": "team", "tagValue": "é"}]))


def test_pattern_violation_in_aws_words() -> None:
    assert refusal("CreateDataDeletionJob", create(jobName="x y")) == (
        "1 validation error detected: Value 'x y' at 'jobName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*"
    )


def test_every_violation_is_listed() -> None:
    message = refusal("CreateDataDeletionJob", create(jobName="x" * 64, roleArn=None, extra=1))
    assert message.startswith("3 validation errors detected: ")
    assert "Member must have length less than or equal to 63" in message
    assert (
        "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in message
    )
    assert "Unknown member 'extra'" in message


def test_nested_and_list_members() -> None:
    message = refusal("CreateDataDeletionJob", create(dataSource={"dataLocation": "ftp://x"}))
    assert "at 'dataSource.dataLocation'" in message
    tags = [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(201)]
    assert "Member must have length less than or equal to 200" in refusal(
        "CreateDataDeletionJob", create(tags=tags)
    )


def test_sensitive_values_are_not_echoed() -> None:
    message = refusal(
        "CreateDataDeletionJob", create(tags=[{"tagKey": "k", "tagValue": "secret#1"}])
    )
    assert "secret#1" not in message
    assert "at 'tags.1.member.tagValue'" in message


def test_types_ranges_and_enums() -> None:
    assert "must be a string" in refusal("CreateDataDeletionJob", create(jobName=5))
    assert "Member must be <= 100" in refusal("ListDataDeletionJobs", {"maxResults": 101})
    assert "must be an integer" in refusal("ListDataDeletionJobs", {"maxResults": "10"})
    assert "enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]" in refusal(
        "CreateDatasetGroup", {"name": "g", "domain": "RETAIL"}
    )
    assert refusal("ListDataDeletionJobs", []) == "Request body must be a JSON object"


def test_the_model_read_from_botocores_files_is_botocores_own() -> None:
    from botocore.loaders import Loader

    from reconciler.emulator.model import SERVICE_NAME, service_description

    assert service_description() == Loader().load_service_model(SERVICE_NAME, "service-2")
