"""Requests are checked against botocore's model and refused in AWS's own words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.config import EmulatorConfig
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
    assert "Member must be <= 1" in refusal("ListDataDeletionJobs", {"maxResults": 101})
    assert "must be an integer" in refusal("ListDataDeletionJobs", {"maxResults": "10"})
    assert "enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]" in refusal(
        "CreateDatasetGroup", {"name": "g", "domain": "RETAIL"}
    )
    assert refusal("ListDataDeletionJobs", []) == "Request body must be a JSON object"


def test_the_model_read_from_botocores_files_is_botocores_own() -> None:
    from botocore.loaders import Loader

    from reconciler.emulator.model import SERVICE_NAME, service_description

    assert service_description() == Loader().load_service_model(SERVICE_NAME, "service-2")


def _types_reachable(shape_name: str, seen: set[str]) -> set[str]:
    from reconciler.emulator.model import shape

    if shape_name in seen:
        return set()
    seen.add(shape_name)
    spec = shape(shape_name)
    children = [m["shape"] for m in spec.get("members", {}).values()]
    children += [spec[part]["shape"] for part in ("member", "key", "value") if part in spec]
    found = {spec["type"]}
    for child in children:
        found |= _types_reachable(child, seen)
    return found


def test_every_served_operation_is_validated_from_the_model(tmp_path: Path) -> None:
    """Every operation the emulator answers is in botocore's model, every type its input uses is
    one `validation` checks, and the service refuses a member the model does not have."""
    from reconciler.emulator.model import service_description
    from reconciler.emulator.service import OPERATIONS, EmulatorService
    from reconciler.emulator.validation import CHECKED_TYPES

    model = service_description()["operations"]
    service = EmulatorService(EmulatorConfig(database=tmp_path / "e.sqlite3", s3_root=tmp_path))
    assert len(set(OPERATIONS)) == len(OPERATIONS) == 34
    for operation in OPERATIONS:
        assert _types_reachable(model[operation]["input"]["shape"], set()) <= CHECKED_TYPES
        with pytest.raises(ServiceError) as info:
            service.handle(operation, {"bogus": 1}, region="eu-west-1")
        assert info.value.code == "InvalidInputException", operation
        assert "Unknown member 'bogus'" in info.value.message


def test_booleans_numbers_and_maps() -> None:
    solution = {"name": "s", "datasetGroupArn": GROUP}
    assert "Value at 'performHPO' failed to satisfy constraint: must be a boolean" in refusal(
        "CreateSolution", solution | {"performHPO": "yes"}
    )
    events = {"eventsConfig": {"eventParametersList": [{"eventType": "click", "weight": "x"}]}}
    assert "at 'solutionConfig.eventsConfig.eventParametersList.1.member.weight'" in refusal(
        "CreateSolution", solution | {"solutionConfig": events}
    )
    assert "Member must be <= 1" in refusal(
        "CreateSolution",
        solution | {"solutionConfig": {"eventsConfig": {"eventParametersList": [{"weight": 1.5}]}}},
    )
    parameters = {"algorithmHyperParameters": {"hidden_dimension": "x" * 1001}}
    assert "at 'solutionConfig.algorithmHyperParameters.hidden_dimension'" in refusal(
        "CreateSolution", solution | {"solutionConfig": parameters}
    )
    assert "must be a map" in refusal(
        "CreateSolution", solution | {"solutionConfig": {"algorithmHyperParameters": []}}
    )
    validate_request(
        "CreateSolution",
        solution
        | {
            "performHPO": False,
            "solutionConfig": {
                "algorithmHyperParameters": {"hidden_dimension": "64"},
                "eventsConfig": {"eventParametersList": [{"eventType": "click", "weight": 1}]},
            },
        },
    )
