"""Tags of dataset groups and data deletion jobs, through boto3 over HTTP (the AWS CLI:
test_aws_cli.py, in the process lane), as the service keeps them (see
reconciler/emulator/tagging.py); and the store's schema version that gave dataset groups their
tags."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.errors import EmulatorError
from reconciler.emulator.service import EmulatorService
from reconciler.emulator.store import VERSION
from tests.emulator.conftest import Served

ROLE = "arn:aws:iam::210987654321:role/PersonalizeDeletion"


def tags(**pairs: str) -> list[dict[str, str]]:
    return [{"tagKey": k, "tagValue": v} for k, v in pairs.items()]


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def make_job(client: Any, group: str, name: str = "j", **tag_pairs: str) -> str:
    arn: str = client.create_data_deletion_job(
        jobName=name,
        datasetGroupArn=group,
        roleArn=ROLE,
        dataSource={"dataLocation": "s3://b/k.csv"},
        **({"tags": tags(**tag_pairs)} if tag_pairs else {}),
    )["dataDeletionJobArn"]
    return arn


def test_a_dataset_group_keeps_the_tags_it_was_created_with(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop", tags=tags(team="privacy", env="test"))
    arn = group["datasetGroupArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == tags(
        team="privacy", env="test"
    )
    plain = client.create_dataset_group(name="plain")["datasetGroupArn"]
    assert client.list_tags_for_resource(resourceArn=plain)["tags"] == []
    assert "tags" not in client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]


@pytest.mark.parametrize("kind", ["dataset-group", "data-deletion-job"])
def test_tag_overwrites_adds_and_untag_removes(served: Served, kind: str) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop", tags=tags(team="privacy"))["datasetGroupArn"]
    arn = group if kind == "dataset-group" else make_job(client, group, team="privacy")
    assert client.tag_resource(resourceArn=arn, tags=tags(team="legal", env="")) is not None
    listed = client.list_tags_for_resource(resourceArn=arn)["tags"]
    assert listed == tags(team="legal", env="")
    client.untag_resource(resourceArn=arn, tagKeys=["team", "never-set"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == tags(env="")
    client.tag_resource(resourceArn=arn, tags=[])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == tags(env="")


def test_unknown_resources_are_not_found(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    job = make_job(client, group)
    account = "210987654321"
    unknown = [
        group.replace("/shop", "/absent"),
        job.replace("/j", "/absent"),
        f"arn:aws:personalize:eu-west-1:{account}:dataset/shop/INTERACTIONS",  # another kind
        group.replace(account, "123456789012"),  # another account
    ]
    for arn in unknown:
        for call in (
            functools.partial(client.list_tags_for_resource, resourceArn=arn),
            functools.partial(client.tag_resource, resourceArn=arn, tags=tags(a="b")),
            functools.partial(client.untag_resource, resourceArn=arn, tagKeys=["a"]),
        ):
            assert error_of(call) == (
                "ResourceNotFoundException",
                f"Could not find resource with ARN {arn}",
            )
    other_region = served.client(region="us-east-1")  # the ARN's region is not the request's
    code, _ = error_of(lambda: other_region.list_tags_for_resource(resourceArn=group))
    assert code == "ResourceNotFoundException"


def test_at_most_fifty_tags_and_nothing_changes_when_refused(served: Served) -> None:
    client = served.client()
    fifty = [{"tagKey": f"k{i:02d}", "tagValue": "v"} for i in range(50)]
    fifty_one = [*fifty, {"tagKey": "one-more", "tagValue": "v"}]
    code, message = error_of(lambda: client.create_dataset_group(name="big", tags=fifty_one))
    assert (code, message) == (
        "TooManyTagsException",
        "The resource would have 51 tags; a resource can have at most 50 tags.",
    )
    assert client.list_dataset_groups()["datasetGroups"] == []
    group = client.create_dataset_group(name="shop", tags=fifty)["datasetGroupArn"]
    code, _ = error_of(lambda: make_job(client, group, **{t["tagKey"]: "v" for t in fifty_one}))
    assert code == "TooManyTagsException"
    assert client.list_data_deletion_jobs()["dataDeletionJobs"] == []
    code, _ = error_of(lambda: client.tag_resource(resourceArn=group, tags=tags(extra="v")))
    assert code == "TooManyTagsException"
    client.tag_resource(resourceArn=group, tags=tags(k00="new"))  # an existing key: still 50
    listed = client.list_tags_for_resource(resourceArn=group)["tags"]
    assert len(listed) == 50 and listed[0] == {"tagKey": "k00", "tagValue": "new"}
    code, _ = error_of(
        lambda: client.untag_resource(resourceArn=group, tagKeys=[f"x{i}" for i in range(51)])
    )
    assert code == "TooManyTagKeysException"
    client.untag_resource(resourceArn=group, tagKeys=[f"k{i:02d}" for i in range(50)])
    assert client.list_tags_for_resource(resourceArn=group)["tags"] == []


def test_bad_keys_are_invalid_input_and_never_echoed(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    cases: list[tuple[Callable[[], Any], str]] = [
        (
            lambda: client.tag_resource(resourceArn=group, tags=tags(**{"AWS:secret": "v"})),
            "Value at 'tags.1.member.tagKey' failed to satisfy constraint: Tag keys must not "
            "start with the reserved prefix 'aws:'",
        ),
        (
            lambda: client.tag_resource(
                resourceArn=group,
                tags=[{"tagKey": "secret", "tagValue": "1"}, {"tagKey": "secret", "tagValue": "2"}],
            ),
            "Value at 'tags.2.member.tagKey' failed to satisfy constraint: Tag keys must be "
            "unique within a request",
        ),
        (
            lambda: client.tag_resource(resourceArn=group, tags=tags(**{"secret#": "v"})),
            "Value at 'tags.1.member.tagKey' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern",
        ),
        (
            lambda: client.untag_resource(resourceArn=group, tagKeys=["aws:secret"]),
            "Value at 'tagKeys.1.member' failed to satisfy constraint: Tag keys must not start",
        ),
        (
            lambda: client.create_dataset_group(name="g", tags=tags(**{"aws:secret": "v"})),
            "Value at 'tags.1.member.tagKey'",
        ),
        (lambda: make_job(client, group, **{"aws:secret": "v"}), "Value at 'tags.1.member"),
    ]
    for call, said in cases:
        code, message = error_of(call)
        assert code == "InvalidInputException"
        assert said in message
        assert "secret" not in message
    assert client.list_tags_for_resource(resourceArn=group)["tags"] == []
    assert [g["name"] for g in client.list_dataset_groups()["datasetGroups"]] == ["shop"]


def old_database(path: Path) -> None:
    """A database as the emulator wrote it before dataset groups had tags (schema 0)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE dataset_groups (
            arn TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL,
            account TEXT NOT NULL, status TEXT NOT NULL, domain TEXT, role_arn TEXT,
            kms_key_arn TEXT, created REAL NOT NULL, seeded INTEGER NOT NULL DEFAULT 0,
            UNIQUE (region, account, name)
        );
        INSERT INTO dataset_groups (arn, name, region, account, status, created) VALUES
            ('arn:aws:personalize:eu-west-1:123456789012:dataset-group/old', 'old',
             'eu-west-1', '123456789012', 'ACTIVE', 1);
        """
    )
    conn.close()


def test_a_database_of_the_previous_schema_is_brought_up_to_date(tmp_path: Path) -> None:
    database = tmp_path / "e.sqlite3"
    old_database(database)
    service = EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
    old = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/old"
    listed = service.handle("ListTagsForResource", {"resourceArn": old}, region="eu-west-1")
    assert listed == {"tags": []}
    service.handle("TagResource", {"resourceArn": old, "tags": tags(a="b")}, region="eu-west-1")
    again = EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
    assert again.handle("ListTagsForResource", {"resourceArn": old}, region="eu-west-1") == {
        "tags": tags(a="b")
    }
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION


def test_a_database_of_a_newer_emulator_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "e.sqlite3"
    EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
    with sqlite3.connect(database) as conn:
        conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    with pytest.raises(EmulatorError, match="written by a newer emulator"):
        EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
