"""The service's limits on what this tool sends, copied from botocore's Personalize model.

botocore's model is the authority, but loading it costs a sixth of a second and botocore itself,
so the few constraints the manifests need are kept here; `tests/test_constraints.py` checks that
they still match the model of the installed botocore (and prints the entry to paste when one
does not). Patterns are the model's own: AWS-style and unanchored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StringConstraint:
    shape: str
    min_length: int | None
    max_length: int | None
    pattern: str | None


# (structure, member) -> the member's string constraint, as botocore's model states it.
STRINGS: dict[tuple[str, str], StringConstraint] = {
    ("CreateDataDeletionJobRequest", "datasetGroupArn"): StringConstraint(
        shape="Arn",
        min_length=None,
        max_length=256,
        pattern="arn:([a-z\\d-]+):personalize:.*:.*:.+",
    ),
    ("CreateDataDeletionJobRequest", "jobName"): StringConstraint(
        shape="Name",
        min_length=1,
        max_length=63,
        pattern="^[a-zA-Z0-9][a-zA-Z0-9\\-_]*",
    ),
    ("CreateDataDeletionJobRequest", "roleArn"): StringConstraint(
        shape="RoleArn",
        min_length=None,
        max_length=256,
        pattern="arn:([a-z\\d-]+):iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    ),
    ("DataSource", "dataLocation"): StringConstraint(
        shape="S3Location",
        min_length=None,
        max_length=256,
        pattern="(s3|http|https)://.+",
    ),
    ("Tag", "tagKey"): StringConstraint(
        shape="TagKey",
        min_length=1,
        max_length=128,
        pattern="^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
    ),
    ("Tag", "tagValue"): StringConstraint(
        shape="TagValue",
        min_length=0,
        max_length=256,
        pattern="^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
    ),
}

# (structure, member) -> the most items a list member may hold.
LIST_MAXIMA: dict[tuple[str, str], int] = {
    ("CreateDataDeletionJobRequest", "tags"): 200,
}


def string_constraint(structure: str, member: str) -> StringConstraint:
    """Length and pattern limits of a string member, e.g. (`DataSource`, `dataLocation`)."""
    return STRINGS[(structure, member)]


def list_max(structure: str, member: str) -> int:
    """The maximum number of items of a list member, e.g. the tags of a create request."""
    return LIST_MAXIMA[(structure, member)]
