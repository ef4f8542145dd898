"""The activity side of the emulated service: schemas, datasets and their import jobs, solutions
and their versions (trainings), and the batch inference and batch segment jobs of a version.

Every resource but a schema is created pending and moves on the injected clock, as deletion
jobs do: `pending_seconds` pending, then running (a dataset or a solution for
`in_progress_seconds`; an import, a training or a batch job for `activity_seconds`), then done
(ACTIVE; see `resources` for each kind's words). The move is applied lazily by whichever
activity call looks first, and is kept: a status never goes back. Nothing here touches data
deletion jobs: one that runs while an import or a training does completes as it would otherwise.

The service's rules, beyond the model's shapes (checked before any of this, by `validation`):
- a resource's ARN is unique per account and region, for good: a schema, an import job, a
  solution or a batch job whose name is taken, or a second dataset of one type in a dataset
  group (`dataset/GROUP/TYPE`), is ResourceAlreadyExistsException;
- a dataset's type is one of `DATASET_TYPES`, in any case (InvalidInputException otherwise);
- a parent (dataset group, schema, dataset, solution, solution version) of another account or
  region, or of no resource, is ResourceNotFoundException; one that is not ACTIVE yet is
  ResourceInUseException (the service wants each ACTIVE before the next step);
- ListSolutionVersions of an unknown solution is ResourceNotFoundException (the one List whose
  model names that error); the other Lists of an unknown parent are empty.

Campaigns and their updates are in `campaigns`, over the same store and rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from reconciler.emulator import tagging
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.errors import ServiceError, invalid_input, not_found
from reconciler.emulator.resources import (
    BATCH_INFERENCE_JOB,
    BATCH_SEGMENT_JOB,
    CAMPAIGN,
    DATASET,
    IMPORT_JOB,
    KINDS,
    SCHEMA,
    SOLUTION,
    SOLUTION_VERSION,
    Kind,
    arn_of,
    resource_json,
)
from reconciler.emulator.store import Store, dataset_group_row
from reconciler.emulator.wire import page, with_token

Handler = Callable[[str, dict[str, Any]], dict[str, Any]]

DATASET_TYPES = ("Interactions", "Items", "Users", "Actions", "Action_Interactions")
# what a List answers in (the model's member), and the member that filters it
_LISTS = {
    "ListSchemas": (SCHEMA, "schemas", None),
    "ListDatasets": (DATASET, "datasets", "datasetGroupArn"),
    "ListDatasetImportJobs": (IMPORT_JOB, "datasetImportJobs", "datasetArn"),
    "ListSolutions": (SOLUTION, "solutions", "datasetGroupArn"),
    "ListSolutionVersions": (SOLUTION_VERSION, "solutionVersions", "solutionArn"),
    "ListBatchInferenceJobs": (BATCH_INFERENCE_JOB, "batchInferenceJobs", "solutionVersionArn"),
    "ListBatchSegmentJobs": (BATCH_SEGMENT_JOB, "batchSegmentJobs", "solutionVersionArn"),
}
# what a Describe answers in
_DESCRIBES = {
    "DescribeSchema": (SCHEMA, "schema"),
    "DescribeDataset": (DATASET, "dataset"),
    "DescribeDatasetImportJob": (IMPORT_JOB, "datasetImportJob"),
    "DescribeSolution": (SOLUTION, "solution"),
    "DescribeSolutionVersion": (SOLUTION_VERSION, "solutionVersion"),
    "DescribeBatchInferenceJob": (BATCH_INFERENCE_JOB, "batchInferenceJob"),
    "DescribeBatchSegmentJob": (BATCH_SEGMENT_JOB, "batchSegmentJob"),
}
_CREATES = (
    "CreateSchema",
    "CreateDataset",
    "CreateDatasetImportJob",
    "CreateSolution",
    "CreateSolutionVersion",
    "CreateBatchInferenceJob",
    "CreateBatchSegmentJob",
)
OPERATIONS = (*_CREATES, *_DESCRIBES, *_LISTS)
_SOLUTION_CONFIG = (
    "performHPO",
    "performAutoML",
    "performIncrementalUpdate",
    "recipeArn",
    "eventType",
    "solutionConfig",
    "datasetGroupArn",
)


def version_arn(solution_arn: str, count: int) -> str:
    """The ARN of a solution's version after `count` others: SOLUTION/VERSION_ID."""
    return f"{solution_arn}/{hashlib.sha256(f'{solution_arn}#{count}'.encode()).hexdigest()[:8]}"


def _picked(params: dict[str, Any], *members: str) -> dict[str, Any]:
    return {member: params[member] for member in members if member in params}


class Activity:
    """The activity side's operations over the store, on the service's clock."""

    def __init__(self, store: Store, config: EmulatorConfig, clock: Callable[[], float]) -> None:
        self.store = store
        self.config = config
        self._clock = clock

    def handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {
            "CreateSchema": self._create_schema,
            "CreateDataset": self._create_dataset,
            "CreateDatasetImportJob": self._create_import_job,
            "CreateSolution": self._create_solution,
            "CreateSolutionVersion": self._create_solution_version,
            "CreateBatchInferenceJob": functools.partial(
                self._create_batch_job, BATCH_INFERENCE_JOB
            ),
            "CreateBatchSegmentJob": functools.partial(self._create_batch_job, BATCH_SEGMENT_JOB),
        }
        for operation, (kind, member) in _DESCRIBES.items():
            handlers[operation] = functools.partial(self._describe, kind, member)
        for operation, (kind, member, parent) in _LISTS.items():
            handlers[operation] = functools.partial(self._list, kind, member, parent)
        return handlers

    # creating

    def _create_schema(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._arn(region, f"schema/{params['name']}")
        with self.store.transaction() as conn:
            details = _picked(params, "schema", "domain")
            self._insert(conn, SCHEMA, region, arn, params["name"], None, details)
        return {"schemaArn": arn}

    def _create_dataset(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        dataset_type = params["datasetType"]
        known = {t.upper(): t for t in DATASET_TYPES}
        if dataset_type.upper() not in known:
            raise invalid_input(
                f"1 validation error detected: Value '{dataset_type}' at 'datasetType' failed to "
                f"satisfy constraint: Member must be one of {', '.join(DATASET_TYPES)}"
            )
        with self.store.transaction() as conn:
            self._advance(conn)
            group = self._dataset_group(conn, region, params["datasetGroupArn"])
            self._row(conn, SCHEMA, region, params["schemaArn"])
            arn = self._arn(region, f"dataset/{group['name']}/{dataset_type.upper()}")
            if self._taken(conn, arn):
                raise ServiceError(
                    "ResourceAlreadyExistsException",
                    f"Dataset group {group['arn']} already has a dataset of type "
                    f"{known[dataset_type.upper()]}.",
                )
            details = _picked(params, "datasetType", "schemaArn")
            self._insert(conn, DATASET, region, arn, params["name"], group["arn"], details, params)
        return {"datasetArn": arn}

    def _create_import_job(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._arn(region, f"dataset-import-job/{params['jobName']}")
        with self.store.transaction() as conn:
            self._advance(conn)
            dataset = self._active(self._row(conn, DATASET, region, params["datasetArn"]))
            details = {"importMode": "FULL"} | _picked(
                params, "dataSource", "roleArn", "importMode", "publishAttributionMetricsToS3"
            )
            name = params["jobName"]
            self._insert(conn, IMPORT_JOB, region, arn, name, dataset["arn"], details, params)
        return {"datasetImportJobArn": arn}

    def _create_solution(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._arn(region, f"solution/{params['name']}")
        with self.store.transaction() as conn:
            self._advance(conn)
            group = self._dataset_group(conn, region, params["datasetGroupArn"])
            details = {"performHPO": False, "performAutoML": False, "performAutoTraining": True}
            details |= _picked(params, *_SOLUTION_CONFIG, "performAutoTraining")
            self._insert(conn, SOLUTION, region, arn, params["name"], group["arn"], details, params)
        return {"solutionArn": arn}

    def _create_solution_version(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            self._advance(conn)
            solution = self._active(self._row(conn, SOLUTION, region, params["solutionArn"]))
            count = conn.execute(
                "SELECT COUNT(*) FROM resources WHERE kind = ? AND parent_arn = ?",
                (SOLUTION_VERSION.key, solution["arn"]),
            ).fetchone()[0]
            arn = version_arn(solution["arn"], count)
            details = _picked(json.loads(solution["details"]), *_SOLUTION_CONFIG)
            details |= {"trainingMode": "FULL", "trainingType": "MANUAL"}
            details |= _picked(params, "trainingMode")
            name = params.get("name")
            self._insert(
                conn, SOLUTION_VERSION, region, arn, name, solution["arn"], details, params
            )
        return {"solutionVersionArn": arn}

    def _create_batch_job(self, kind: Kind, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._arn(region, f"{kind.key}/{params['jobName']}")
        with self.store.transaction() as conn:
            self._advance(conn)
            version = self._row(conn, SOLUTION_VERSION, region, params["solutionVersionArn"])
            self._active(version)
            members = ("filterArn", "numResults", "jobInput", "jobOutput", "roleArn")
            details = _picked(params, *members)
            if kind is BATCH_INFERENCE_JOB:
                details |= {"batchInferenceJobMode": "BATCH_INFERENCE"}
                details |= _picked(
                    params,
                    "batchInferenceJobConfig",
                    "batchInferenceJobMode",
                    "themeGenerationConfig",
                )
            self._insert(
                conn, kind, region, arn, params["jobName"], version["arn"], details, params
            )
        return {kind.arn_member: arn}

    def _insert(
        self,
        conn: sqlite3.Connection,
        kind: Kind,
        region: str,
        arn: str,
        name: str | None,
        parent: str | None,
        details: dict[str, Any],
        params: dict[str, Any] | None = None,
    ) -> None:
        """Store a new resource of `kind`, pending from now (a schema: done at once)."""
        tags = tagging.checked((params or {}).get("tags") or [])
        if self._taken(conn, arn):
            raise ServiceError(
                "ResourceAlreadyExistsException", f"{kind.noun} with name {name} already exists."
            )
        now = self._clock()
        if kind.statuses is None:
            phase, started, finishes = "done", now, now
        else:
            running = (
                self.config.in_progress_seconds
                if kind in (DATASET, SOLUTION, CAMPAIGN)
                else self.config.activity_seconds
            )
            phase, started = "pending", now + self.config.pending_seconds
            finishes = started + running
        conn.execute(
            "INSERT INTO resources (arn, kind, name, region, account, parent_arn, phase, created,"
            " started, finishes, details, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                arn,
                kind.key,
                name,
                region,
                self.config.account_id,
                parent,
                phase,
                now,
                started,
                finishes,
                json.dumps(details),
                json.dumps(tags),
            ),
        )

    # reading

    def _describe(
        self, kind: Kind, member: str, region: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction() as conn:
            self._advance(conn)
            row = self._row(conn, kind, region, params[kind.arn_member])
            body = resource_json(row, summary=False)
            if kind is SOLUTION:
                latest = self._latest_version(conn, row["arn"])
                if latest is not None:
                    body["latestSolutionVersion"] = resource_json(latest, summary=True)
        return {member: body}

    def _list(
        self, kind: Kind, member: str, parent: str | None, region: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        scope = {"kind": kind.key, "region": region, "account": self.config.account_id}
        where = "kind = :kind AND region = :region AND account = :account"
        if parent and params.get(parent):
            where += " AND parent_arn = :parent"
            scope["parent"] = params[parent]
        with self.store.transaction() as conn:
            self._advance(conn)
            if kind is SOLUTION_VERSION and params.get("solutionArn"):
                self._row(conn, SOLUTION, region, params["solutionArn"])
            rows, token = page(conn, "resources", where, scope, params)
        return with_token({member: [resource_json(r, summary=True) for r in rows]}, token)

    def _latest_version(self, conn: sqlite3.Connection, solution: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM resources WHERE kind = ? AND parent_arn = ?"
            " ORDER BY created DESC, arn DESC LIMIT 1",
            (SOLUTION_VERSION.key, solution),
        ).fetchone()
        return row

    # the rules

    def _advance(self, conn: sqlite3.Connection) -> None:
        """Move every resource whose time has come (a pending one past both times: to done)."""
        now = self._clock()
        conn.execute(
            "UPDATE resources SET phase = 'running' WHERE phase = 'pending' AND started <= ?",
            (now,),
        )
        conn.execute(
            "UPDATE resources SET phase = 'done' WHERE phase = 'running' AND finishes <= ?",
            (now,),
        )

    def _arn(self, region: str, resource: str) -> str:
        return arn_of(region, self.config.account_id, resource)

    def _taken(self, conn: sqlite3.Connection, arn: str) -> bool:
        return conn.execute("SELECT 1 FROM resources WHERE arn = ?", (arn,)).fetchone() is not None

    def _row(self, conn: sqlite3.Connection, kind: Kind, region: str, arn: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM resources WHERE arn = ? AND kind = ? AND region = ? AND account = ?",
            (arn, kind.key, region, self.config.account_id),
        ).fetchone()
        if row is None:
            raise not_found(f"Could not find resource with ARN {arn}")
        return row

    def _active(self, row: sqlite3.Row) -> sqlite3.Row:
        if row["phase"] != "done":
            noun = KINDS[row["kind"]].noun
            raise ServiceError("ResourceInUseException", f"{noun} {row['arn']} is not ACTIVE.")
        return row

    def _dataset_group(self, conn: sqlite3.Connection, region: str, arn: str) -> sqlite3.Row:
        row = dataset_group_row(conn, region, self.config.account_id, arn)
        if row is None:
            raise not_found(f"Could not find resource with ARN {arn}")
        if row["status"] != "ACTIVE":
            raise ServiceError("ResourceInUseException", f"Dataset group {arn} is not ACTIVE.")
        return row
