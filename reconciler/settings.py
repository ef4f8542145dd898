"""Settings: which provider to use and how, where the state is kept, quotas and polling.

They come from the `kind: Settings` document of the manifests tree, then environment variables
(`RECONCILER_PROVIDER`, `RECONCILER_ENDPOINT_URL`), then command-line flags: later wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

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


class StateSettings(_Config):
    """Where the state document is kept: `local`, a JSON file on this machine, or `s3`, an
    object in a bucket a team shares (locked and written with S3's conditional requests)."""

    backend: Annotated[
        Literal["local", "s3"],
        Field(description="local: a file on this machine; s3: one state for a team"),
    ] = "local"
    path: Annotated[Path, Field(description="local: the state file")] = Path(
        ".reconciler/state.json"
    )
    bucket: Annotated[str | None, Field(description="s3: the bucket (with versioning on)")] = None
    key: Annotated[str | None, Field(description="s3: the state object's key")] = None
    region: Annotated[
        str | None, Field(description="s3: the bucket's region; default: the boto3 chain")
    ] = None
    endpoint_url: Annotated[
        Url | None, Field(description="s3: an S3-compatible server instead of AWS")
    ] = None
    kms_key_id: Annotated[
        str | None, Field(description="s3: encrypt with this KMS key (default: SSE-S3)")
    ] = None
    profile: Annotated[str | None, Field(description="s3: a named AWS profile for the bucket")] = (
        None
    )

    @model_validator(mode="after")
    def _complete(self) -> StateSettings:
        if self.backend == "s3" and not (self.bucket and self.key):
            raise ValueError("the s3 backend needs state.bucket and state.key")
        return self


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


class Settings(_Config):
    provider: ProviderSettings = ProviderSettings()
    state: StateSettings = StateSettings()
    quotas: Quotas = Quotas()
    polling: Polling = Polling()
    preflight: PreflightSettings = PreflightSettings()


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
