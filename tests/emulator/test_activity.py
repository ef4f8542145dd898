"""The activity side of the emulated service (reconciler/emulator/activity.py) through boto3 over
HTTP (the AWS CLI: test_aws_cli.py, in the process lane): schemas, datasets and their imports,
solutions and their versions, batch jobs of a version, each moving on the fake clock (pending
10 s; datasets and solutions in progress 20 s, imports, trainings and batch jobs 60 s); the
service's errors; paging."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.service import EmulatorService
from reconciler.emulator.store import VERSION
from tests.emulator.conftest import Served

ACCOUNT = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Personalize"
PREFIX = f"arn:aws:personalize:eu-west-1:{ACCOUNT}"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
        "version": "1.0",
    }
)


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def active_dataset(served: Served, client: Any, group: str, kind: str = "Interactions") -> str:
    schema = client.create_schema(name=f"schema-{kind.lower()}", schema=SCHEMA)["schemaArn"]
    dataset: str = client.create_dataset(
        name=f"ds-{kind.lower()}", schemaArn=schema, datasetGroupArn=group, datasetType=kind
    )["datasetArn"]
    served.clock.advance(30)
    return dataset


def import_job(client: Any, dataset: str, name: str) -> str:
    arn: str = client.create_dataset_import_job(
        jobName=name,
        datasetArn=dataset,
        dataSource={"dataLocation": f"s3://bucket/{name}.csv"},
        roleArn=ROLE,
    )["datasetImportJobArn"]
    return arn


def active_version(served: Served, client: Any, group: str, name: str = "sol") -> str:
    solution = client.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE)
    served.clock.advance(30)
    version = client.create_solution_version(solutionArn=solution["solutionArn"])
    served.clock.advance(70)
    arn: str = version["solutionVersionArn"]
    return arn


def batch_job(client: Any, kind: str, version: str, name: str) -> str:
    create = getattr(client, f"create_batch_{kind}_job")
    response = create(
        jobName=name,
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": f"s3://bucket/{name}.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://bucket/{name}/"}},
        roleArn=ROLE,
    )
    arn: str = response["batchInferenceJobArn" if kind == "inference" else "batchSegmentJobArn"]
    return arn


def test_a_dataset_and_its_import_move_on_the_clock(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    schema = client.create_schema(name="interactions", schema=SCHEMA)["schemaArn"]
    assert schema == f"{PREFIX}:schema/interactions"
    described = client.describe_schema(schemaArn=schema)["schema"]
    assert (described["name"], described["schema"]) == ("interactions", SCHEMA)
    assert "status" not in described
    dataset = client.create_dataset(
        name="events", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    assert dataset == f"{PREFIX}:dataset/shop/INTERACTIONS"

    def dataset_status() -> str:
        status: str = client.describe_dataset(datasetArn=dataset)["dataset"]["status"]
        return status

    assert dataset_status() == "CREATE PENDING"
    code, message = error_of(lambda: import_job(client, dataset, "too-early"))
    assert code == "ResourceInUseException"
    assert "is not ACTIVE" in message
    clock.advance(10)
    assert dataset_status() == "CREATE IN_PROGRESS"
    clock.advance(20)
    assert dataset_status() == "ACTIVE"

    arn = import_job(client, dataset, "first")
    assert arn == f"{PREFIX}:dataset-import-job/first"
    created = clock.now
    seen = []
    for step in (0, 9, 1, 59, 1):
        clock.advance(step)
        job = client.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        seen.append((job["status"], job["lastUpdatedDateTime"].timestamp() - created))
    assert seen == [
        ("CREATE PENDING", 0),
        ("CREATE PENDING", 0),
        ("CREATE IN_PROGRESS", 10),
        ("CREATE IN_PROGRESS", 10),
        ("ACTIVE", 70),
    ]
    assert job["datasetArn"] == dataset
    assert job["dataSource"] == {"dataLocation": "s3://bucket/first.csv"}
    assert (job["roleArn"], job["importMode"]) == (ROLE, "FULL")
    listed = client.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert [(j["jobName"], j["status"]) for j in listed] == [("first", "ACTIVE")]
    assert "datasetArn" not in listed[0] and "dataSource" not in listed[0]
    datasets = client.list_datasets(datasetGroupArn=group)["datasets"]
    assert [(d["name"], d["datasetType"], d["status"]) for d in datasets] == [
        ("events", "Interactions", "ACTIVE")
    ]


def test_a_training_moves_on_the_clock(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    solution = client.create_solution(name="sol", datasetGroupArn=group, recipeArn=RECIPE)
    arn = solution["solutionArn"]
    assert arn == f"{PREFIX}:solution/sol"
    code, _ = error_of(lambda: client.create_solution_version(solutionArn=arn))
    assert code == "ResourceInUseException"
    statuses = []
    for step in (0, 10, 20):
        clock.advance(step)
        statuses.append(client.describe_solution(solutionArn=arn)["solution"]["status"])
    assert statuses == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]

    version = client.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    assert re.fullmatch(f"{PREFIX}:solution/sol/[0-9a-f]{{8}}", version)
    trainings = []
    for step in (0, 10, 60):
        clock.advance(step)
        described = client.describe_solution_version(solutionVersionArn=version)
        trainings.append(described["solutionVersion"]["status"])
    assert trainings == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    trained = described["solutionVersion"]
    assert (trained["solutionArn"], trained["datasetGroupArn"]) == (arn, group)
    assert (trained["recipeArn"], trained["trainingMode"]) == (RECIPE, "FULL")

    again = client.create_solution_version(solutionArn=arn, trainingMode="UPDATE")
    latest = client.describe_solution(solutionArn=arn)["solution"]["latestSolutionVersion"]
    assert latest["solutionVersionArn"] == again["solutionVersionArn"]
    assert (latest["status"], latest["trainingMode"]) == ("CREATE PENDING", "UPDATE")
    listed = client.list_solution_versions(solutionArn=arn)["solutionVersions"]
    assert [(v["solutionVersionArn"], v["status"]) for v in listed] == [
        (again["solutionVersionArn"], "CREATE PENDING"),
        (version, "ACTIVE"),
    ]
    solutions = client.list_solutions(datasetGroupArn=group)["solutions"]
    assert [(s["name"], s["status"], s["recipeArn"]) for s in solutions] == [
        ("sol", "ACTIVE", RECIPE)
    ]


def test_batch_jobs_are_listed_per_solution_version(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    first = active_version(served, client, group, "first")
    second = active_version(served, client, group, "second")
    inference = batch_job(client, "inference", first, "recs")
    assert inference == f"{PREFIX}:batch-inference-job/recs"
    segment = batch_job(client, "segment", second, "segments")
    assert segment == f"{PREFIX}:batch-segment-job/segments"
    statuses = []
    for step in (0, 10, 60):
        clock.advance(step)
        job = client.describe_batch_inference_job(batchInferenceJobArn=inference)
        statuses.append(job["batchInferenceJob"]["status"])
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE"]
    segment_job = client.describe_batch_segment_job(batchSegmentJobArn=segment)
    assert segment_job["batchSegmentJob"]["status"] == "ACTIVE"
    assert segment_job["batchSegmentJob"]["jobInput"] == {
        "s3DataSource": {"path": "s3://bucket/segments.json"}
    }

    def names(listing: str, member: str, version: str) -> list[str]:
        page = getattr(client, listing)(solutionVersionArn=version)
        return [job["jobName"] for job in page[member]]

    assert names("list_batch_inference_jobs", "batchInferenceJobs", first) == ["recs"]
    assert names("list_batch_inference_jobs", "batchInferenceJobs", second) == []
    assert names("list_batch_segment_jobs", "batchSegmentJobs", second) == ["segments"]
    assert names("list_batch_segment_jobs", "batchSegmentJobs", first) == []

    training = client.create_solution_version(solutionArn=f"{PREFIX}:solution/first")
    code, _ = error_of(lambda: batch_job(client, "segment", training["solutionVersionArn"], "x"))
    assert code == "ResourceInUseException"


def test_unknown_parents_and_taken_names(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    dataset = active_dataset(served, client, group)
    schema = f"{PREFIX}:schema/schema-interactions"
    elsewhere = served.client(region="us-east-1")
    missing = f"{PREFIX}:dataset-group/nope"
    version = active_version(served, client, group)
    import_job(client, dataset, "imp")
    batch_job(client, "inference", version, "recs")
    not_found = [
        lambda: client.create_dataset(
            name="d", schemaArn=schema, datasetGroupArn=missing, datasetType="Items"
        ),
        lambda: client.create_dataset(
            name="d", schemaArn=f"{schema}-nope", datasetGroupArn=group, datasetType="Items"
        ),
        lambda: client.create_solution(name="s2", datasetGroupArn=missing),
        lambda: import_job(client, f"{PREFIX}:dataset/shop/USERS", "imp2"),
        lambda: import_job(elsewhere, dataset, "imp3"),
        lambda: client.create_solution_version(solutionArn=f"{PREFIX}:solution/nope"),
        lambda: batch_job(client, "segment", f"{PREFIX}:solution/sol/00000000", "seg"),
        lambda: client.describe_dataset(datasetArn=f"{PREFIX}:dataset/shop/ITEMS"),
        lambda: client.describe_schema(schemaArn=f"{PREFIX}:schema/nope"),
        lambda: elsewhere.describe_solution_version(solutionVersionArn=version),
        lambda: client.list_solution_versions(solutionArn=f"{PREFIX}:solution/nope"),
    ]
    for call in not_found:
        assert error_of(call)[0] == "ResourceNotFoundException"
    taken = [
        lambda: client.create_schema(name="schema-interactions", schema=SCHEMA),
        lambda: client.create_dataset(
            name="other", schemaArn=schema, datasetGroupArn=group, datasetType="INTERACTIONS"
        ),
        lambda: import_job(client, dataset, "imp"),
        lambda: client.create_solution(name="sol", datasetGroupArn=group),
        lambda: batch_job(client, "inference", version, "recs"),
    ]
    for call in taken:
        assert error_of(call)[0] == "ResourceAlreadyExistsException"
    code, message = error_of(
        lambda: client.create_dataset(
            name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Clicks"
        )
    )
    assert code == "InvalidInputException"
    assert "Value 'Clicks' at 'datasetType' failed to satisfy constraint" in message
    assert client.list_dataset_import_jobs(datasetArn=f"{dataset}-nope")["datasetImportJobs"] == []
    assert elsewhere.list_schemas()["schemas"] == []


def test_lists_page_newest_first_per_parent(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    interactions = active_dataset(served, client, group)
    items = active_dataset(served, client, group, "Items")
    for i in range(5):
        clock.advance(1)
        import_job(client, interactions, f"i{i}")
        import_job(client, items, f"items{i}")

    def pages(**params: Any) -> list[list[str]]:
        found, token = [], None
        while True:
            page = client.list_dataset_import_jobs(
                maxResults=2, **params, **({"nextToken": token} if token else {})
            )
            found.append([job["jobName"] for job in page["datasetImportJobs"]])
            token = page.get("nextToken")
            if not token:
                return found

    assert pages(datasetArn=interactions) == [["i4", "i3"], ["i2", "i1"], ["i0"]]
    assert sum(len(page) for page in pages()) == 10
    token = client.list_dataset_import_jobs(datasetArn=items, maxResults=1)["nextToken"]
    code, _ = error_of(
        lambda: client.list_dataset_import_jobs(datasetArn=interactions, nextToken=token)
    )
    assert code == "InvalidNextTokenException"
    schemas = client.list_schemas(maxResults=1)
    assert [s["name"] for s in schemas["schemas"]] == ["schema-items"]
    rest = client.list_schemas(nextToken=schemas["nextToken"])
    assert [s["name"] for s in rest["schemas"]] == ["schema-interactions"]
    assert "nextToken" not in rest
    both = client.list_datasets(datasetGroupArn=group, maxResults=1)
    assert [d["datasetType"] for d in both["datasets"]] == ["Items"]


def test_a_deletion_job_that_overlaps_an_import_and_a_training_completes(served: Served) -> None:
    client, clock = served.client(), served.clock
    s3 = Path(served.service.config.s3_root) / "bucket"
    s3.mkdir(parents=True)
    (s3 / "users.csv").write_text("USER_ID\nu1\nu2\n", encoding="utf-8")
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    dataset = active_dataset(served, client, group)
    solution = client.create_solution(name="sol", datasetGroupArn=group)["solutionArn"]
    clock.advance(30)
    importing = import_job(client, dataset, "imp")
    training = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    clock.advance(10)
    job = client.create_data_deletion_job(
        jobName="forget",
        datasetGroupArn=group,
        roleArn=ROLE,
        dataSource={"dataLocation": "s3://bucket/users.csv"},
    )["dataDeletionJobArn"]
    clock.advance(30)
    deleted = client.describe_data_deletion_job(dataDeletionJobArn=job)["dataDeletionJob"]
    assert (deleted["status"], deleted["numDeleted"]) == ("COMPLETED", 2)
    imported = client.describe_dataset_import_job(datasetImportJobArn=importing)
    trained = client.describe_solution_version(solutionVersionArn=training)
    assert imported["datasetImportJob"]["status"] == "CREATE IN_PROGRESS"
    assert trained["solutionVersion"]["status"] == "CREATE IN_PROGRESS"
    clock.advance(30)
    imported = client.describe_dataset_import_job(datasetImportJobArn=importing)
    assert imported["datasetImportJob"]["status"] == "ACTIVE"


def test_the_activity_resources_keep_their_tags(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    schema = client.create_schema(name="s", schema=SCHEMA)["schemaArn"]
    dataset = client.create_dataset(
        name="d",
        schemaArn=schema,
        datasetGroupArn=group,
        datasetType="Users",
        tags=[{"tagKey": "team", "tagValue": "privacy"}],
    )["datasetArn"]
    assert client.list_tags_for_resource(resourceArn=dataset)["tags"] == [
        {"tagKey": "team", "tagValue": "privacy"}
    ]
    assert error_of(lambda: client.list_tags_for_resource(resourceArn=schema))[0] == (
        "ResourceNotFoundException"
    )


def schema_1_database(path: Path) -> None:
    """A database as the emulator wrote it before the activity side (schema 1)."""
    EmulatorService(EmulatorConfig(database=path, s3_root=path.parent))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE resources")
        conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_a_database_of_schema_1_gains_the_activity_side(tmp_path: Path) -> None:
    database = tmp_path / "e.sqlite3"
    schema_1_database(database)
    service = EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
    created = service.handle("CreateSchema", {"name": "s", "schema": SCHEMA}, region="eu-west-1")
    assert created["schemaArn"].endswith(":schema/s")
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION == 2
    conn.close()
