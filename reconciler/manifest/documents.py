"""The manifest format, v1, as pydantic models; also the source of `reconciler schema`.

A manifest file holds one or more YAML documents. Each is one of:

    apiVersion: reconciler/v1
    kind: DeletionJobs              # the deletion jobs wanted in one dataset group
    datasetGroupArn: arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME
    # or, instead of datasetGroupArn, each job in several groups (named {jobName}-{groupName}):
    # targets: {datasetGroupArns: [ARN, ARN]}
    # targets: {select: {account: "123456789012", regions: [eu-west-1], namePattern: "shop-*"}}
    defaults:                       # optional: roleArn and tags for every job that lacks them
      roleArn: arn:aws:iam::ACCOUNT:role/NAME
      tags: {team: privacy}
    jobs:
      - jobName: gdpr-2026-w47      # unique per account and region, for good
        dataSource: {dataLocation: s3://bucket/key.csv}   # or s3://bucket/prefix/ for every .csv
        roleArn: ...                # optional when defaults.roleArn is set
        tags: {request: PRIV-1234}  # merged over defaults.tags; `report` groups by request
        onFailure: retry            # optional: report (default) or retry as NAME-r2, NAME-r3...
        maxAttempts: 3              # optional: jobs in all, the first included (default 3)

    apiVersion: reconciler/v1
    kind: Request                   # an erasure request and its legal deadline
    id: PRIV-1234                   # the jobs of it carry the tag request: PRIV-1234
    receivedAt: 2026-11-20          # a date
    regime: gdpr                    # gdpr (one month), ccpa (45 days) or custom (with dueDays)
    extendedUntil: 2027-01-20       # optional, with a reason: no later than the law allows
    reason: complex request, the requester was told on 2026-12-01

    apiVersion: reconciler/v1
    kind: Settings                  # at most one in a manifests tree; see reconciler.settings
    provider: {name: aws}           # or local (the emulator, set up by its own file)

Field names are the service's own. Lengths and patterns come from botocore's service model;
patterns must match the whole value.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from reconciler.constraints import StringConstraint, list_max, string_constraint
from reconciler.manifest.locations import SCHEMA_PATTERN, location_problem
from reconciler.models import MAX_ATTEMPTS, DatasetGroupRef
from reconciler.planning.deadlines import Regime, extension_problem
from reconciler.settings import Settings

API_VERSION = "reconciler/v1"
SCHEMA_ID = "https://github.com/reconciler/reconciler/schema/manifest-v1.json"
_CREATE = "CreateDataDeletionJobRequest"

# What a person should do when a value does not match the service's pattern, by field name.
FIELD_HINTS: dict[str, str] = {
    "jobName": "use letters, digits, '-' and '_', starting with a letter or digit",
    "datasetGroupArn": "it must look like arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME",
    "roleArn": "it must look like arn:aws:iam::ACCOUNT:role/NAME (ACCOUNT is 12 digits)",
    "dataLocation": "use s3://BUCKET/KEY.csv, or s3://BUCKET/PREFIX/ for every .csv under it",
    "accountId": "use the 12 digits of an AWS account ID, in quotes",
    "account": "use the 12 digits of an AWS account ID, in quotes",
    "regions": "use AWS region codes such as eu-west-1",
    "endpointUrl": "use an http:// or https:// URL",
    "tags": "tag keys and values may hold letters, digits, spaces and _ . : / = + - @",
}
MAX_TAGS = list_max(_CREATE, "tags")

# Fields an earlier version of the format had, by the kind of document: what to do instead.
MOVED_FIELDS: dict[tuple[str, str], str] = {
    ("Settings", "emulator"): "the emulator's settings moved to a file of their own: move this "
    "block there and point provider.emulatorConfig at it (see the README, 'The emulator')",
}


def _whole(pattern: str) -> str:
    """The service's unanchored pattern, made to match the whole value."""
    return f"^(?:{pattern})$"


@dataclass(frozen=True)
class ServiceString(GroupedMetadata):
    """Limits a `str` as the service limits the member; the JSON Schema says the same.

    Patterns with Unicode property classes (`\\p{L}`) are checked here but left out of the JSON
    Schema, which editors and Python's `re` read differently. `schema_pattern`, where set, is
    the JSON Schema's pattern instead of the service's: a stricter one that tells editors what
    a validator after this one checks (it must accept nothing the service's pattern refuses).
    """

    constraint: StringConstraint
    schema_pattern: str | None = None

    def __iter__(self) -> Iterator[object]:
        c = self.constraint
        pattern = _whole(c.pattern) if c.pattern else None
        schema: dict[str, Any] = {"type": "string"}
        if c.min_length is not None:
            schema["minLength"] = c.min_length
        if c.max_length is not None:
            schema["maxLength"] = c.max_length
        if self.schema_pattern is not None:
            schema["pattern"] = self.schema_pattern
        elif pattern is not None and "\\p{" not in pattern:
            schema["pattern"] = pattern
        yield StringConstraints(min_length=c.min_length, max_length=c.max_length, pattern=pattern)
        yield WithJsonSchema(schema)


def _dataset_group_arn(value: str) -> str:
    DatasetGroupRef.parse(value)
    return value


def _s3_location(value: str) -> str:
    problem = location_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _not_reserved(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError("the 'aws:' prefix is reserved for AWS")
    return key


JobName = Annotated[str, ServiceString(string_constraint(_CREATE, "jobName"))]
DatasetGroupArn = Annotated[
    str,
    ServiceString(string_constraint(_CREATE, "datasetGroupArn")),
    AfterValidator(_dataset_group_arn),
]
RoleArn = Annotated[str, ServiceString(string_constraint(_CREATE, "roleArn"))]
DataLocation = Annotated[
    str,
    ServiceString(string_constraint("DataSource", "dataLocation"), schema_pattern=SCHEMA_PATTERN),
    AfterValidator(_s3_location),
]
TagKey = Annotated[
    str, ServiceString(string_constraint("Tag", "tagKey")), AfterValidator(_not_reserved)
]
TagValue = Annotated[str, ServiceString(string_constraint("Tag", "tagValue"))]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=MAX_TAGS)]


class _Document(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=False,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class DataSource(_Document):
    """Where the CSV of USER_IDs to delete is; a trailing `/` means every .csv under it."""

    data_location: Annotated[
        DataLocation,
        Field(
            description="s3://BUCKET/KEY.csv for one file, or s3://BUCKET/PREFIX/ for every .csv "
            "under the prefix (BUCKET: an S3 general purpose bucket name); http:// and https:// "
            "as the service accepts them"
        ),
    ]


OnFailure = Literal["report", "retry"]
MaxAttempts = Annotated[int, Field(ge=1, le=MAX_ATTEMPTS)]


class Defaults(_Document):
    """Values for every job of the document that does not set them itself."""

    role_arn: Annotated[
        RoleArn | None, Field(description="the IAM role Personalize assumes to read the input")
    ] = None
    tags: Annotated[Tags, Field(description="tags of every job (a job's own tags win)")] = {}
    on_failure: Annotated[
        OnFailure | None, Field(description="report (the default) or retry: see jobs[].onFailure")
    ] = None
    max_attempts: Annotated[
        MaxAttempts | None, Field(description="jobs in all, the first included (default 3)")
    ] = None


class JobEntry(_Document):
    """One deletion job, as written in a manifest (before defaults)."""

    job_name: Annotated[
        JobName,
        Field(
            description="unique per account and region, for good: the service never lets a "
            "name be used twice (with targets: {jobName}-{groupName} in each group)"
        ),
    ]
    data_source: DataSource
    role_arn: Annotated[
        RoleArn | None,
        Field(description="the IAM role Personalize assumes to read the input (or defaults)"),
    ] = None
    tags: Annotated[
        Tags,
        Field(
            description="merged over defaults.tags; `request` names the erasure request "
            "`reconciler report` groups jobs by"
        ),
    ] = {}
    on_failure: Annotated[
        OnFailure | None,
        Field(
            description="report (default): a FAILED job is reported; retry: a new job is "
            "created under the name NAME-rN, up to maxAttempts jobs in all, once its input is "
            "another file than the one that FAILED (the same file would fail again)"
        ),
    ] = None
    max_attempts: Annotated[
        MaxAttempts | None,
        Field(description="jobs in all, the first included (default 3; at most 10)"),
    ] = None


AccountId = Annotated[str, Field(pattern=r"^\d{12}$", description="12 digits, in quotes")]
Region = Annotated[
    str,
    Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$", description="an AWS region, e.g. eu-west-1"),
]


class Select(_Document):
    """The dataset groups of one account, in some regions, whose names match a pattern: listed
    (ListDatasetGroups) at every plan, so a group created later gets the document's jobs too."""

    account: AccountId
    regions: Annotated[
        list[Region], Field(min_length=1, description="the regions whose groups are listed")
    ]
    name_pattern: Annotated[
        str,
        Field(
            min_length=1,
            max_length=63,
            description="a shell-style pattern over the group's name: * any characters, ? one, "
            "[abc] one of them (default * : every group)",
        ),
    ] = "*"


class Targets(_Document):
    """The dataset groups each job of the document is created in (one job per group, named
    {jobName}-{groupName}): an explicit list, or a selector."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["datasetGroupArns"]}, {"required": ["select"]}]}
    )

    dataset_group_arns: Annotated[
        list[DatasetGroupArn] | None,
        Field(min_length=1, description="each job goes to each of these dataset groups"),
    ] = None
    select: Select | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Targets:
        if (self.dataset_group_arns is None) == (self.select is None):
            raise ValueError("set one of datasetGroupArns (a list) or select (a selector)")
        return self


class DeletionJobsDocument(_Document):
    """The deletion jobs wanted in one dataset group (`datasetGroupArn`), or in each of the
    groups `targets` names or selects."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["datasetGroupArn"]}, {"required": ["targets"]}]}
    )

    api_version: Literal["reconciler/v1"]
    kind: Literal["DeletionJobs"]
    dataset_group_arn: Annotated[
        DatasetGroupArn | None,
        Field(description="arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME: the group"),
    ] = None
    targets: Targets | None = None
    defaults: Defaults = Defaults()
    jobs: Annotated[list[JobEntry], Field(description="the deletion jobs, each with its input")]

    @field_validator("targets")
    @classmethod
    def _not_both(cls, value: Targets | None, info: ValidationInfo) -> Targets | None:
        if value is not None and info.data.get("dataset_group_arn") is not None:
            raise ValueError("set datasetGroupArn or targets, not both")
        return value

    @model_validator(mode="after")
    def _one_place(self) -> DeletionJobsDocument:
        if self.dataset_group_arn is None and self.targets is None:
            raise ValueError(
                "missing datasetGroupArn: name the dataset group, or several with `targets`"
            )
        return self


class RequestDocument(_Document):
    """An erasure request: when it was received and under which law, so that its due date and
    days left are shown (`reconciler.planning.deadlines`). Its jobs are the deletion jobs whose
    `request` tag is its `id`."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["Request"]
    id: Annotated[
        TagValue,
        Field(
            min_length=1,
            description="the request's id: the `request` tag of its deletion jobs",
        ),
    ]
    received_at: Annotated[
        datetime.date, Field(description="the day the request was received (YYYY-MM-DD)")
    ]
    regime: Annotated[
        Regime,
        Field(
            description="gdpr: one month from receipt (GDPR Art. 12(3)); ccpa: 45 days "
            "(CCPA §1798.130); custom: dueDays"
        ),
    ]
    due_days: Annotated[
        int | None,
        Field(
            ge=1,
            le=3660,
            description="custom only: days from receipt the answer is due by",
        ),
    ] = None
    reason: Annotated[
        str | None,
        Field(min_length=1, max_length=500, description="why the request was extended"),
    ] = None
    extended_until: Annotated[
        datetime.date | None,
        Field(
            description="the extended due date (with a reason): after the due date, and at "
            "most 2 months after it (gdpr) or 45 days (ccpa)"
        ),
    ] = None

    @field_validator("due_days")
    @classmethod
    def _due_days(cls, value: int | None, info: ValidationInfo) -> int | None:
        regime = info.data.get("regime")
        if regime is not None and regime is not Regime.CUSTOM and value is not None:
            raise ValueError(f"only regime custom takes it: {regime.value}'s due date is the law's")
        return value

    @field_validator("extended_until")
    @classmethod
    def _extension(cls, value: datetime.date | None, info: ValidationInfo) -> datetime.date | None:
        received, regime = info.data.get("received_at"), info.data.get("regime")
        if value is None or received is None or regime is None:
            return value
        if info.data.get("reason") is None:
            raise ValueError("an extension needs a reason: set reason beside extendedUntil")
        if regime is Regime.CUSTOM and info.data.get("due_days") is None:
            return value  # said at dueDays
        problem = extension_problem(received, regime, value, info.data.get("due_days"))
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _reason_of(self) -> RequestDocument:
        if self.regime is Regime.CUSTOM and self.due_days is None:
            raise ValueError("regime custom needs dueDays: the days from receipt it is due in")
        if self.reason is not None and self.extended_until is None:
            raise ValueError("reason is the reason of an extension: set extendedUntil too")
        return self


class SettingsDocument(Settings):
    """Settings for the whole manifests tree (see `reconciler.settings`)."""

    model_config = ConfigDict(validate_by_name=False, validate_by_alias=True)

    api_version: Literal["reconciler/v1"]
    kind: Literal["Settings"]

    def settings(self) -> Settings:
        return Settings.model_validate(self.model_dump(exclude={"api_version", "kind"}))


DOCUMENT_KINDS: dict[str, type[BaseModel]] = {
    "DeletionJobs": DeletionJobsDocument,
    "Request": RequestDocument,
    "Settings": SettingsDocument,
}

AnyDocument = Annotated[
    DeletionJobsDocument | RequestDocument | SettingsDocument, Field(discriminator="kind")
]


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one manifest document, for editors and CI."""
    schema = TypeAdapter(AnyDocument).json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "reconciler manifest document (reconciler/v1)",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
