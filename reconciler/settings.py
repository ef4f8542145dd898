"""Settings: which provider to use and how, where the state is kept, quotas, polling, preflight
and the evidence kept of each input (the key of its keyed digest).

Where the state is kept is one model per backend (`LocalState`, `S3State`), chosen by its
`backend` (`local` without one): the union `StateSettings`. The models live here, not beside
their backends, so that `validate`, the manifest format and `reconciler schema` read them
without loading a backend (or boto3); `reconciler.state.registry` holds a factory for each.

They come from the `kind: Settings` document of the manifests tree, then environment variables
(`RECONCILER_PROVIDER`, `RECONCILER_ENDPOINT_URL`), then command-line flags: later wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from reconciler.durations import parse_duration
from reconciler.errors import UsageError

ProviderName = Literal["local", "aws"]


class _Config(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, validate_by_name=True
    )


def _url(value: str) -> str:
    """An http(s) URL that can be used: a host, a port that is a number, brackets that close.
    What is wrong is said with its password hidden (`shown_url`)."""
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError("the URL holds a space or a control character: percent-encode it")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading the port checks it)
    except ValueError as exc:  # urllib's words may quote the netloc: the password with it
        why = str(exc)
        if why.startswith("Port"):
            why = "the port is not a number from 0 to 65535"
        elif "IPv6" not in why:
            why = "the host holds characters a URL may not"
        raise ValueError(shown_url(f"{value!r} is not a usable URL ({why})")) from None
    if not parts.hostname:
        raise ValueError(shown_url(f"{value!r} names no host: use e.g. http://127.0.0.1:4599"))
    return value


Url = Annotated[str, Field(pattern=r"^https?://"), AfterValidator(_url)]

# a URL's scheme, then its userinfo: all up to its last "@" (a password may hold "/", ":", "@")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)\S*@")


def shown_url(text: str) -> str:
    """`text`, a URL or a message that holds URLs (botocore's, a validation error's), as it may
    be printed: the userinfo (`user:password@`) of every URL in it is hidden as `***@`. The one
    way an endpoint URL is shown, wherever it is shown."""
    return _USERINFO.sub(r"\1***@", text)


class ProviderSettings(_Config):
    """How to reach Personalize: the in-process emulator (`local`) or boto3 (`aws`)."""

    name: Annotated[
        ProviderName,
        Field(
            description="aws (the default): the service through boto3; local: the emulator "
            "in-process, only where a Settings document says so"
        ),
    ] = "aws"
    endpoint_url: Annotated[
        Url | None,
        Field(description="aws only: another endpoint, e.g. `reconciler emulator serve`'s URL"),
    ] = None
    profile: Annotated[str | None, Field(description="aws only: a named AWS profile")] = None
    emulator_config: Annotated[
        Path | None,
        Field(
            description="local only: the emulator's own settings file (dataset groups, "
            "timings, where s3:// is read from); default: the emulator's defaults"
        ),
    ] = None
    retry_mode: Annotated[
        Literal["standard", "adaptive"],
        Field(description="aws only: botocore's retry mode; both retry throttling and 5xx"),
    ] = "standard"
    max_attempts: Annotated[
        int, Field(ge=1, le=20, description="aws only: attempts per call, the first included")
    ] = 5
    connect_timeout_seconds: Annotated[
        float, Field(gt=0, description="aws only: seconds to connect")
    ] = 10.0
    read_timeout_seconds: Annotated[
        float, Field(gt=0, description="aws only: seconds to wait for an answer")
    ] = 60.0


def _duration(value: object) -> object:
    """A duration as people write it (`30m`, `2h`, `1h30m`, `90s`) in seconds; a number is
    seconds already."""
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
    return value


# `parse_duration`'s forms, for editors that check a document against the schema
_DURATION_PATTERN = r"^\s*([0-9]+(\.[0-9]+)?|([0-9]+(\.[0-9]+)?[smhdSMHD])+)\s*$"
Duration = Annotated[
    float,
    BeforeValidator(_duration),
    Field(gt=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _DURATION_PATTERN},
                {"type": "number", "exclusiveMinimum": 0},
            ]
        }
    ),
]

DEFAULT_STATE_PATH = Path(".reconciler/state.json")
DEFAULT_LOCK_STALE_AFTER = 2 * 3600.0  # seconds: `state.lockStaleAfter`'s default, 2h
# A lock older than this is shown as probably stale, with the `force-unlock` command that
# removes it; it is never removed automatically. Every backend has the setting.
_LockStaleAfter = Annotated[
    Duration,
    Field(
        description="a lock older than this is shown as probably stale, with the "
        "`reconciler force-unlock ID` command that removes it (never removed automatically): "
        "a duration (`30m`, `2h`, `1h30m`) or seconds",
        json_schema_extra={"default": "2h"},
    ),
]

_T = TypeVar("_T")
# Before each backend had a model of its own, one model held every backend's fields, and a
# document could set another backend's: such a field is still accepted, with its own checks,
# and ignored (the schema marks it deprecated). A new backend's fields need no such place.
_Ignored = Annotated[
    _T | None,
    Field(
        description="ignored with this backend (another backend's setting)",
        json_schema_extra={"deprecated": True},
    ),
]


class LocalState(_Config):
    """`local` (the default): the state is a JSON file on this machine, beside its lock."""

    backend: Annotated[
        Literal["local"], Field(description="local (the default): a file on this machine")
    ] = "local"
    path: Annotated[Path, Field(description="the state file")] = DEFAULT_STATE_PATH
    lock_stale_after: _LockStaleAfter = DEFAULT_LOCK_STALE_AFTER
    bucket: _Ignored[str] = None
    key: _Ignored[str] = None
    region: _Ignored[str] = None
    endpoint_url: _Ignored[Url] = None
    kms_key_id: _Ignored[str] = None
    profile: _Ignored[str] = None

    def protected_files(self) -> tuple[Path, ...]:
        """The files on this machine an output (`plan -out`, `report -o`) must never replace."""
        return (self.path,)


class S3State(_Config):
    """`s3`: the state is an object in a bucket a team shares, locked and written with S3's
    conditional requests."""

    backend: Annotated[Literal["s3"], Field(description="s3: one state for a team")]
    bucket: Annotated[str, Field(description="the bucket (with versioning on)")]
    key: Annotated[str, Field(description="the state object's key")]
    region: Annotated[
        str | None, Field(description="the bucket's region; default: the boto3 chain")
    ] = None
    endpoint_url: Annotated[
        Url | None, Field(description="an S3-compatible server instead of AWS")
    ] = None
    kms_key_id: Annotated[
        str | None, Field(description="encrypt with this KMS key (default: SSE-S3)")
    ] = None
    profile: Annotated[str | None, Field(description="a named AWS profile for the bucket")] = None
    lock_stale_after: _LockStaleAfter = DEFAULT_LOCK_STALE_AFTER
    path: Annotated[
        Path,
        Field(
            description="ignored with this backend (the local backend's file; an output is "
            "still never written over it)",
            json_schema_extra={"deprecated": True},
        ),
    ] = DEFAULT_STATE_PATH

    @model_validator(mode="before")
    @classmethod
    def _unset_is_empty(cls, value: Any) -> Any:
        """A missing or null bucket or key is checked as an empty one (`_complete`)."""
        if isinstance(value, Mapping):
            return {**value, **{name: "" for name in ("bucket", "key") if value.get(name) is None}}
        return value

    @model_validator(mode="after")
    def _complete(self) -> S3State:
        """One problem for both, said when nothing else is wrong (as when they were optional)."""
        if not (self.bucket and self.key):
            raise ValueError("the s3 backend needs state.bucket and state.key")
        return self

    def protected_files(self) -> tuple[Path, ...]:
        """The files on this machine an output must never replace: none is this backend's; the
        local default (or the `path` a document sets) stays protected, as it always was."""
        return (self.path,)


def _backend_of(value: Any) -> str | None:
    """The member of `StateSettings` a `state` value is: the backend it names, `local` when it
    names none (a value that is not a mapping is local's to refuse, in today's words)."""
    if isinstance(value, Mapping):
        backend = value.get("backend", "local")
    elif isinstance(value, BaseModel):
        backend = getattr(value, "backend", None)
    else:
        return "local"
    return backend if isinstance(backend, str) else None


# One model per backend, chosen by `backend` (`local` without one). A backend is its module
# under `reconciler/state/`, its model here (a member of this union, tagged with its `backend`)
# and its factory in `reconciler.state.registry`.
_Backends = Annotated[LocalState, Tag("local")] | Annotated[S3State, Tag("s3")]


def backend_models() -> dict[str, type[BaseModel]]:
    """Each member of the `StateSettings` union by its tag: the `backend` that chooses it."""
    return {
        tag.tag: get_args(member)[0]
        for member in get_args(_Backends)
        for tag in member.__metadata__
        if isinstance(tag, Tag)
    }


def _either(words: list[str]) -> str:
    """'a', 'b' or 'c', as pydantic lists the values a field may have."""
    quoted = [repr(word) for word in words]
    return " or ".join(filter(None, (", ".join(quoted[:-1]), quoted[-1])))


StateSettings = Annotated[
    _Backends,
    Discriminator(
        _backend_of,
        custom_error_type="state_backend",
        custom_error_message=f"Input should be {_either(list(backend_models()))}",
        custom_error_context={"chosen_by": "backend"},  # where the manifest says what is wrong
    ),
    Field(
        description="Where the state document is kept: `local`, a JSON file on this machine, "
        "or `s3`, an object in a bucket a team shares (locked and written with S3's "
        "conditional requests)."
    ),
]


class Quotas(_Config):
    """The service quotas the plan queues behind (raise them when AWS raised yours)."""

    max_pending_jobs_per_dataset_group: Annotated[
        int, Field(ge=1, description="PENDING jobs a dataset group may have at once")
    ] = 5


class Polling(_Config):
    """How often tracking lists the jobs: from `intervalSeconds`, backing off by half each poll
    up to `maxIntervalSeconds`. Unset, the provider's defaults apply: 1 s to 5 s for the
    emulator, 1 to 10 minutes for AWS (jobs there take hours)."""

    interval_seconds: Annotated[
        float | None, Field(gt=0, description="the first interval between polls")
    ] = None
    max_interval_seconds: Annotated[
        float | None, Field(gt=0, description="the longest interval between polls")
    ] = None

    def intervals(self, defaults: tuple[float, float]) -> tuple[float, float]:
        """The first and the longest interval: these settings over the provider's defaults."""
        first = self.interval_seconds or defaults[0]
        return first, max(first, self.max_interval_seconds or defaults[1])


class PreflightSettings(_Config):
    """What `plan` checks of a job's input before it is created (a job whose input the service
    cannot read FAILS, and its name can never be used again)."""

    max_input_bytes: Annotated[
        int,
        Field(
            ge=1,
            description="the most a job's input may hold, all files together (the service's "
            "limit: 100 MB today; older AWS pages say 50 MB)",
        ),
    ] = 100 * 1024 * 1024
    s3_endpoint_url: Annotated[
        Url | None,
        Field(description="aws only: read the inputs from this S3-compatible server instead of S3"),
    ] = None


class DigestKeySettings(_Config):
    """Where the key of the inputs' keyed digests is read: exactly one of `env`, `ssm`,
    `secretsManager`. Read once per run; only a fingerprint of it is ever stored or shown."""

    env: Annotated[
        str | None, Field(min_length=1, description="an environment variable that holds the key")
    ] = None
    ssm: Annotated[
        str | None,
        Field(
            min_length=1,
            description="an SSM parameter (a SecureString) that holds the key, read with "
            "GetParameter WithDecryption (needs ssm:GetParameter and kms:Decrypt)",
        ),
    ] = None
    secrets_manager: Annotated[
        str | None,
        Field(
            min_length=1,
            description="a Secrets Manager secret (its id or ARN) that holds the key, as its "
            "SecretString or SecretBinary (needs secretsmanager:GetSecretValue)",
        ),
    ] = None
    region: Annotated[
        str | None,
        Field(
            description="ssm and secretsManager: the parameter's or secret's region; default: "
            "the region of the first dataset group a plan creates a job in"
        ),
    ] = None

    @model_validator(mode="after")
    def _one(self) -> DigestKeySettings:
        if sum(v is not None for v in (self.env, self.ssm, self.secrets_manager)) != 1:
            raise ValueError("evidence.digestKey needs exactly one of env, ssm, secretsManager")
        return self


class EvidenceSettings(_Config):
    """What is recorded of a job's input beside its identity, bytes and rows. A plain hash of an
    input is never kept (a file of a few users gives their IDs back to whoever guesses them): a
    keyed digest (HMAC-SHA256) is, where `digestKey` names a key. The `local` provider (the
    emulator) uses a key file of its own beside its database when none is named."""

    digest_key: Annotated[
        DigestKeySettings | None,
        Field(description="the key of the keyed digests; default: no digest (aws)"),
    ] = None


class ApplySettings(_Config):
    """How `apply` treats a plan that was not the one reviewed."""

    require_reviewed_plan: Annotated[
        bool,
        Field(
            description="`apply --reviewed PLANFILE` refuses, and applies nothing, when the "
            "reviewed plan is stale or missing, instead of applying a fresh plan and saying how "
            "it differs"
        ),
    ] = False


class DeadlineSettings(_Config):
    """When an erasure request's coming due date fails `check` (`kind: Request` documents)."""

    warn_days: Annotated[
        int,
        Field(
            ge=0,
            le=365,
            description="an open request due within this many days is a warning, and fails "
            "`check` (exit 6) before its deadline is missed",
        ),
    ] = 7
    done_at: Annotated[
        Literal["dataDeleted", "modelsRetrained"],
        Field(
            description="when `report` counts a request done: once its data is deleted in every "
            "dataset group (the model state shown beside it), or once every campaign there also "
            "serves a model trained after the deletion (`check` then fails, exit 2, while one "
            "does not)"
        ),
    ] = "dataDeleted"


class Settings(_Config):
    provider: ProviderSettings = ProviderSettings()
    state: StateSettings = LocalState()
    quotas: Quotas = Quotas()
    polling: Polling = Polling()
    preflight: PreflightSettings = PreflightSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    apply: ApplySettings = ApplySettings()
    deadlines: DeadlineSettings = DeadlineSettings()


def with_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """`settings` with the environment's overrides applied."""
    provider: dict[str, object] = {}
    if environ.get("RECONCILER_PROVIDER"):
        provider["name"] = environ["RECONCILER_PROVIDER"]
    if environ.get("RECONCILER_ENDPOINT_URL"):
        provider["endpoint_url"] = environ["RECONCILER_ENDPOINT_URL"]
    if not provider:
        return settings
    try:
        merged = ProviderSettings.model_validate(
            {**settings.provider.model_dump(exclude_unset=True), **provider}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = {"name": "RECONCILER_PROVIDER", "endpoint_url": "RECONCILER_ENDPOINT_URL"}.get(
            str(error["loc"][0]), str(error["loc"][0])
        )
        message = error["msg"]
        if error["type"] == "value_error":
            message = str(error.get("ctx", {}).get("error", message))
        raise UsageError(f"{field}: {message}") from None
    return settings.model_copy(update={"provider": merged})
