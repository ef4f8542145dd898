"""The emulator's knobs: where it keeps its jobs, where `s3://` reads from, how fast jobs move.

They are the `emulator:` block of the Settings document and the options of `emulator serve`.
Relative paths are relative to the directory the command runs in, as Terraform's are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DEFAULT_DATABASE = Path(".reconciler/emulator.sqlite3")
DEFAULT_S3_ROOT = Path("emulator-s3")


class _Config(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, validate_by_name=True
    )


class SeededDatasetGroup(_Config):
    """A dataset group that exists from the start, optionally with records to delete from."""

    arn: Annotated[str, Field(description="arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME")]
    seed_users: Annotated[
        Path | None,
        Field(
            description="A CSV with a USER_ID column: one record per row. Where given, "
            "numDeleted counts the records a job's user IDs match (and removes them)."
        ),
    ] = None


class Faults(_Config):
    """Injected misbehaviour, for tests and benchmarks."""

    latency_seconds: Annotated[float, Field(ge=0, le=60)] = 0.0
    throttle_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    error_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    seed: int | None = None


class EmulatorConfig(_Config):
    database: Path = DEFAULT_DATABASE
    s3_root: Annotated[
        Path, Field(description="s3://BUCKET/KEY is read from S3_ROOT/BUCKET/KEY")
    ] = DEFAULT_S3_ROOT
    account_id: Annotated[str, Field(pattern=r"^\d{12}$")] = "123456789012"
    region: Annotated[
        str, Field(description="for HTTP requests whose signature names no region")
    ] = "us-east-1"
    pending_seconds: Annotated[float, Field(ge=0)] = 2.0
    in_progress_seconds: Annotated[float, Field(ge=0)] = 3.0
    max_pending_jobs_per_dataset_group: Annotated[int, Field(ge=1)] = 5
    max_input_bytes: Annotated[int, Field(ge=1)] = 100 * 1024 * 1024
    dataset_groups: list[SeededDatasetGroup] = []
    faults: Faults = Faults()
