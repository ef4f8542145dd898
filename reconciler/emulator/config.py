"""The emulator's own settings: where it keeps its jobs, where `s3://` reads from, how fast jobs
and the activity side (datasets, imports, solutions, trainings, batch jobs) move, which dataset
groups exist from the start, and which faults to inject.

They live in a file of their own, never in the reconciler's manifests (an AWS user's editor never
sees them). The `local` provider reads the file that `provider.emulatorConfig` names, and
`reconciler emulator serve --config FILE` reads it too; its flags override single values:

    apiVersion: emulator/v1
    kind: Emulator
    database: .reconciler/emulator.sqlite3   # shared by every process that uses the emulator
    s3Root: emulator-s3                      # s3://BUCKET/KEY is read from emulator-s3/BUCKET/KEY
    accountId: "123456789012"
    region: us-east-1          # for HTTP requests whose signature names no region
    pendingSeconds: 2          # how long a job stays PENDING, then IN_PROGRESS (a dataset or
    inProgressSeconds: 3       # a solution: CREATE PENDING, then CREATE IN_PROGRESS)
    activitySeconds: 60        # how long an import, a training or a batch job is in progress
    pendingJobsLimit: 5        # the service's quota of PENDING jobs per dataset group
    inputBytesLimit: 104857600 # the service's limit on a job's input (100 MB)
    datasetGroups:             # exist from the start
      - arn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu
        seedUsers: example-data/seed/shop-eu-interactions.csv   # optional
        campaigns: [recommendations]   # optional: ACTIVE, on a version trained at the start
    faults: {latencySeconds: 0, throttleFraction: 0, errorFraction: 0, seed: 1}

Relative paths are relative to the directory the command runs in, as the reconciler's are.

`check_config_file` lists every problem of such a file, the files it names included, as
`ConfigProblem(location, message)` pairs, `location` being `FILE:LINE:COL` of the offending value;
`load_config` raises them as one ConfigError. Importing this module loads neither botocore nor
sqlite3, nor the service: a caller may check a file without starting anything.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from reconciler.emulator.errors import EmulatorError
from reconciler.emulator.inputs import seed_file_problem

DEFAULT_DATABASE = Path(".reconciler/emulator.sqlite3")
DEFAULT_S3_ROOT = Path("emulator-s3")
DATASET_GROUP_ARN = (
    r"^arn:[a-z\d-]+:personalize:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:dataset-group/"
    r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}$"
)


class _Config(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, validate_by_name=True
    )


class SeededDatasetGroup(_Config):
    """A dataset group that exists from the start, optionally with records to delete from."""

    arn: Annotated[
        str,
        Field(
            pattern=DATASET_GROUP_ARN,
            description="arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME",
        ),
    ]
    seed_users: Annotated[
        Path | None,
        Field(
            description="A CSV with a USER_ID column: one record per row. Where given, "
            "numDeleted counts the records a job's user IDs match (and removes them)."
        ),
    ] = None
    campaigns: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}$")]],
        Field(
            description="Campaigns ACTIVE from the start, each serving the first version of a "
            "solution of its name: models trained before any deletion the group will see."
        ),
    ] = []


class Faults(_Config):
    """Injected misbehaviour, for tests and benchmarks."""

    latency_seconds: Annotated[float, Field(ge=0, le=60)] = 0.0
    throttle_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    error_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    drop_fraction: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="Fraction of successful calls whose answer is lost: the call happens, "
            "the client gets a broken connection (HTTP) or an internal error (in-process)",
        ),
    ] = 0.0
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
    activity_seconds: Annotated[
        float,
        Field(
            ge=0,
            description="How long a dataset import job, a solution version (a training) or a "
            "batch inference or segment job stays in progress, after pendingSeconds pending",
        ),
    ] = 60.0
    pending_jobs_limit: Annotated[int, Field(ge=1)] = 5
    input_bytes_limit: Annotated[int, Field(ge=1)] = 100 * 1024 * 1024
    dataset_groups: list[SeededDatasetGroup] = []
    faults: Faults = Faults()


class _File(EmulatorConfig):
    model_config = ConfigDict(validate_by_name=False, validate_by_alias=True)

    api_version: Literal["emulator/v1"]
    kind: Literal["Emulator"]


class ConfigProblem(NamedTuple):
    """One problem of a settings file: where (`FILE:LINE:COL`, or `FILE` for the file as a whole)
    and what, as `dotted.path: why` where it concerns one setting."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ConfigError(EmulatorError):
    """The emulator's settings file cannot be used; the message is one `FILE:LINE:COL: why` line
    per problem (`problems`)."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = tuple(problems)


def check_config_file(path: Path) -> list[ConfigProblem]:
    """Every problem of the settings file at `path` and of the files it names (none: it loads),
    without opening the database or reading the service's model.

    The file's own problems (unreadable, not YAML, settings of the wrong type) come first; the
    files it names are checked only once the settings themselves are right:
    - `database`: not a directory; where it does not exist, its nearest existing parent is a
      directory this process may write (the emulator creates the missing ones);
    - `s3Root`: a directory where it exists (a missing one is fine: no input yet, so every job
      fails with "Input data not found", as on the service);
    - `datasetGroups[].seedUsers`: a readable UTF-8 CSV whose first line is a header naming
      USER_ID (see `inputs`).
    """
    return _read(path)[1]


def load_config(path: Path) -> EmulatorConfig:
    """The settings in the file at `path`; ConfigError lists every problem `check_config_file`
    finds."""
    config, problems = _read(path)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def _read(path: Path) -> tuple[EmulatorConfig | None, list[ConfigProblem]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return None, [ConfigProblem(str(path), f"cannot read the emulator settings: {reason}")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        return None, [ConfigProblem(where, f"invalid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [
            ConfigProblem(
                str(path),
                "the emulator settings must be a mapping with apiVersion: emulator/v1 "
                "and kind: Emulator",
            )
        ]
    try:
        document = _File.model_validate(data)
    except ValidationError as exc:
        return None, [
            ConfigProblem(
                f"{path}:{_line(root, error['loc'], error['type'] == 'extra_forbidden')}",
                f"{_dotted(error['loc'])}: {error['msg']}",
            )
            for error in exc.errors()
        ]
    config = EmulatorConfig.model_validate(document.model_dump(exclude={"api_version", "kind"}))
    problems = [
        ConfigProblem(f"{path}:{_line(root, loc, False)}", f"{_dotted(loc)}: {message}")
        for loc, message in _file_problems(config)
    ]
    return config, problems


def _file_problems(config: EmulatorConfig) -> list[tuple[tuple[int | str, ...], str]]:
    """The settings that name no usable file, each with its reason."""
    problems: list[tuple[tuple[int | str, ...], str]] = []
    database = _database_problem(config.database)
    if database:
        problems.append((("database",), database))
    if config.s3_root.exists() and not config.s3_root.is_dir():
        problems.append((("s3Root",), f"{config.s3_root} is not a directory"))
    for i, group in enumerate(config.dataset_groups):
        if group.seed_users is not None:
            seed = seed_file_problem(group.seed_users)
            if seed:
                problems.append((("datasetGroups", i, "seedUsers"), f"{group.seed_users} {seed}"))
    return problems


def _database_problem(database: Path) -> str | None:
    if database.is_dir():
        return f"{database} is a directory: name a file"
    if database.exists():
        if not os.access(database, os.R_OK | os.W_OK):
            return f"{database} cannot be written: permission denied"
        return None
    parent = database.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{database} cannot be created: {parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{database} cannot be created: {parent} is not writable"
    return None


def _line(node: Any, path: tuple[int | str, ...], key: bool) -> str:
    """`line:column` of the value (or `key`) at `path` in the composed YAML, or of its nearest
    parent where the path does not exist."""
    import yaml

    for i, part in enumerate(path):
        child = None
        if isinstance(node, yaml.MappingNode):
            last = key and i == len(path) - 1
            child = next((k if last else v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    mark = node.start_mark
    return f"{mark.line + 1}:{mark.column + 1}"


def _dotted(path: tuple[int | str, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"
