"""The resources of the activity side, as the service names and shows them: their kinds, ARNs,
status words and JSON.

A resource is in one of three phases (`resources.phase` in the store): pending, running, done.
Each kind words them as the service's documentation (botocore's model) does:

| kind                | pending        | running            | done   | ARN (after `:`)          |
|---------------------|----------------|--------------------|--------|--------------------------|
| schema              | (no status)    |                    |        | schema/NAME              |
| dataset             | CREATE PENDING | CREATE IN_PROGRESS | ACTIVE | dataset/GROUP/TYPE       |
| dataset-import-job  | CREATE PENDING | CREATE IN_PROGRESS | ACTIVE | dataset-import-job/NAME  |
| solution            | CREATE PENDING | CREATE IN_PROGRESS | ACTIVE | solution/NAME            |
| solution-version    | CREATE PENDING | CREATE IN_PROGRESS | ACTIVE | solution/NAME/VERSION_ID |
| batch-inference-job | PENDING        | IN PROGRESS        | ACTIVE | batch-inference-job/NAME |
| batch-segment-job   | PENDING        | IN PROGRESS        | ACTIVE | batch-segment-job/NAME   |
| campaign            | CREATE PENDING | CREATE IN_PROGRESS | ACTIVE | campaign/NAME            |

A dataset's TYPE in its ARN is its type in capitals (`dataset/shop/INTERACTIONS`). The JSON of a
resource is its row and its `details`, cut to the members of the model's shape for a Describe
or a List (so a summary never carries more than the service's).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.emulator.model import shape


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def arn_of(region: str, account: str, resource: str) -> str:
    return f"arn:{partition_of(region)}:personalize:{region}:{account}:{resource}"


@dataclass(frozen=True)
class Kind:
    """One kind of resource: its key in the store and the members that name it on the wire."""

    key: str  # `resources.kind`, and the ARN's resource type
    noun: str  # in messages
    arn_member: str  # "datasetArn"
    name_member: str  # "name" or "jobName"
    parent_member: str | None  # the member that names `parent_arn`
    shape: str  # of a Describe
    summary: str  # of a List
    statuses: tuple[str, str, str] | None  # pending, running, done; None: no status


CREATE = ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")
BATCH = ("PENDING", "IN PROGRESS", "ACTIVE")

SCHEMA = Kind(
    "schema", "Schema", "schemaArn", "name", None, "DatasetSchema", "DatasetSchemaSummary", None
)
DATASET = Kind(
    "dataset",
    "Dataset",
    "datasetArn",
    "name",
    "datasetGroupArn",
    "Dataset",
    "DatasetSummary",
    CREATE,
)
IMPORT_JOB = Kind(
    "dataset-import-job",
    "Dataset import job",
    "datasetImportJobArn",
    "jobName",
    "datasetArn",
    "DatasetImportJob",
    "DatasetImportJobSummary",
    CREATE,
)
SOLUTION = Kind(
    "solution",
    "Solution",
    "solutionArn",
    "name",
    "datasetGroupArn",
    "Solution",
    "SolutionSummary",
    CREATE,
)
SOLUTION_VERSION = Kind(
    "solution-version",
    "Solution version",
    "solutionVersionArn",
    "name",
    "solutionArn",
    "SolutionVersion",
    "SolutionVersionSummary",
    CREATE,
)
BATCH_INFERENCE_JOB = Kind(
    "batch-inference-job",
    "Batch inference job",
    "batchInferenceJobArn",
    "jobName",
    "solutionVersionArn",
    "BatchInferenceJob",
    "BatchInferenceJobSummary",
    BATCH,
)
BATCH_SEGMENT_JOB = Kind(
    "batch-segment-job",
    "Batch segment job",
    "batchSegmentJobArn",
    "jobName",
    "solutionVersionArn",
    "BatchSegmentJob",
    "BatchSegmentJobSummary",
    BATCH,
)
CAMPAIGN = Kind(
    "campaign",
    "Campaign",
    "campaignArn",
    "name",
    "solutionArn",  # the solution of the version it serves: ListCampaigns filters by it
    "Campaign",
    "CampaignSummary",
    CREATE,
)
KINDS = {
    kind.key: kind
    for kind in (
        SCHEMA,
        DATASET,
        IMPORT_JOB,
        SOLUTION,
        SOLUTION_VERSION,
        BATCH_INFERENCE_JOB,
        BATCH_SEGMENT_JOB,
        CAMPAIGN,
    )
}
PHASES = ("pending", "running", "done")


def status_of(kind: Kind, phase: str) -> str | None:
    return None if kind.statuses is None else kind.statuses[PHASES.index(phase)]


def last_updated(row: sqlite3.Row) -> float:
    """When the resource last moved: created, started, or finished."""
    moved = {"pending": row["created"], "running": row["started"], "done": row["finishes"]}
    return float(moved[row["phase"]])


def resource_json(row: sqlite3.Row, *, summary: bool) -> dict[str, Any]:
    kind = KINDS[row["kind"]]
    body: dict[str, Any] = {
        kind.arn_member: row["arn"],
        kind.name_member: row["name"],
        "status": status_of(kind, row["phase"]),
        "creationDateTime": row["created"],
        "lastUpdatedDateTime": last_updated(row),
    }
    if kind.parent_member:
        body[kind.parent_member] = row["parent_arn"]
    body |= json.loads(row["details"])
    return shaped(body, kind.summary if summary else kind.shape)


def shaped(body: dict[str, Any], shape_name: str) -> dict[str, Any]:
    """`body` without the members the model's shape does not have, nor empty ones."""
    members = shape(shape_name)["members"]
    return {key: value for key, value in body.items() if key in members and value is not None}
