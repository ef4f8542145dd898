"""The objects of the s3 state backend's bucket, as the backend reads and writes them: one place
for the client, the calls and what S3's errors mean.

- `get` reads an object whole; an answer cut off while its body is read (botocore's
  IncompleteReadError or ResponseStreamingError, urllib3's ProtocolError) is a StateError of
  its own, so nothing is written on the strength of half a state.
- `put` writes with the state's encryption (SSE-S3, or SSE-KMS with `kmsKeyId`), a condition
  (`If-Match`, `If-None-Match`), and the ID of the write as the object's metadata
  (`x-amz-meta-reconciler-write`), by which a backend recognises its own write after S3 stored
  it but answered an error (botocore sends it again, and the condition then fails).
- S3's refusals the backend acts on are exceptions of their own (`Missing`,
  `PreconditionFailed`, `Conflict`); every other error is a StateError saying what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.client import HTTPException
from typing import Any

from reconciler.errors import UsageError
from reconciler.settings import S3State, shown_url
from reconciler.state.interface import StateError

WRITE_ID = "reconciler-write"  # the metadata key of a write's ID

_ACTIONS = {
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "GetBucketVersioning": "s3:GetBucketVersioning",
}


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str
    modified: datetime  # when it was last written
    write_id: str | None  # the ID `put` gave the write (None: written otherwise)


class Missing(Exception):
    """The object does not exist."""


class PreconditionFailed(Exception):
    """A conditional request's condition did not hold (412)."""


class Conflict(Exception):
    """Another conditional write on the object was under way (409)."""


class Denied(StateError):
    """The credentials may not read or write the object (403): the message says what they
    need."""


class Bucket:
    """The state's bucket. `keys` name the objects the backend uses, for the message that lists
    the permissions they need."""

    def __init__(
        self,
        settings: S3State,
        *,
        client: Any,
        keys: tuple[str, ...],
        clock: Callable[[], datetime],
    ) -> None:
        self.name = settings.bucket
        self.settings = settings
        self.client = client or _client(settings)
        self._keys = keys
        self._clock = clock

    def url(self, key: str) -> str:
        return f"s3://{self.name}/{key}"

    def get(self, key: str) -> StoredObject:
        from botocore.exceptions import BotoCoreError
        from urllib3.exceptions import HTTPError

        answer = self.call("GetObject", Key=key)
        try:
            body = answer["Body"].read()
        except (BotoCoreError, HTTPError, HTTPException, OSError) as exc:
            raise StateError(
                f"the answer of S3 for {self.url(key)} was cut off while it was read "
                f"({type(exc).__name__}); nothing was written: run the command again"
            ) from None
        modified = answer.get("LastModified")
        return StoredObject(
            body=body,
            etag=str(answer["ETag"]),
            modified=modified if isinstance(modified, datetime) else self._clock(),
            write_id=(answer.get("Metadata") or {}).get(WRITE_ID),
        )

    def put(
        self, key: str, body: bytes, condition: dict[str, str], write_id: str | None = None
    ) -> str:
        """Write `body` at `key` if `condition` holds; the ETag of what was written."""
        encryption: dict[str, str] = {"ServerSideEncryption": "AES256"}
        if self.settings.kms_key_id:
            encryption = {
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": self.settings.kms_key_id,
            }
        metadata = {"Metadata": {WRITE_ID: write_id}} if write_id else {}
        answer = self.call(
            "PutObject",
            Key=key,
            Body=body,
            ContentType="application/json",
            **encryption,
            **condition,
            **metadata,
        )
        return str(answer["ETag"])

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        method = getattr(self.client, _snake(operation))
        state = self.url(self.settings.key)
        try:
            answer: dict[str, Any] = method(Bucket=self.name, **params)
        except ClientError as exc:
            raise self._translate(operation, params.get("Key"), exc) from None
        except NoCredentialsError:
            raise StateError(
                f"no AWS credentials for the state at {state}: set state.profile, "
                "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from None
        except BotoCoreError as exc:
            where = shown_url(self.settings.endpoint_url) if self.settings.endpoint_url else "S3"
            raise StateError(
                f"cannot reach {where} for the state at {state} "
                f"({type(exc).__name__}); check the network and state.endpointUrl"
            ) from None
        return answer

    def _translate(self, operation: str, key: str | None, exc: Any) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        where = self.url(key) if key else f"the bucket {self.name}"
        if code in ("NoSuchKey", "404") or (status == 404 and code != "NoSuchBucket"):
            return Missing()
        if code in ("PreconditionFailed", "412") or status == 412:
            return PreconditionFailed()
        if code == "ConditionalRequestConflict" or status == 409:
            return Conflict()  # two conditional writes at once: S3 says to try again
        if code == "NoSuchBucket":
            return StateError(
                f"the bucket {self.name} does not exist: create it (with versioning on) or fix "
                "state.bucket in the settings"
            )
        if "kms" in code.lower() or "kms" in message.lower():
            return StateError(
                f"the KMS key {self.settings.kms_key_id or '(the bucket default)'} cannot be "
                f"used for {where} ({code}: {message}): the credentials need kms:GenerateDataKey "
                "and kms:Decrypt on it"
            )
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "301") or status == 301:
            return StateError(
                f"the bucket {self.name} is in another region than "
                f"{self.settings.region or 'the default one'}: set state.region to its region"
            )
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            action = _ACTIONS.get(operation, operation)
            return Denied(
                f"access denied: {action} on {where} ({code}); the credentials need "
                f"{_permissions(self.name, self._keys)}, and s3:ListBucket on the bucket "
                "(without it S3 answers a read of an object that does not exist yet with 403)"
            )
        return StateError(f"S3 {operation} on {where} failed: {code}: {message}")


def _permissions(bucket: str, keys: tuple[str, ...]) -> str:
    """What the backend's objects need: GetObject and PutObject, and DeleteObject on the lock
    (the key ending `.lock`)."""
    plain = [f"s3://{bucket}/{k}" for k in keys if not k.endswith(".lock")]
    locks = [f"s3://{bucket}/{k}" for k in keys if k.endswith(".lock")]
    said = f"s3:GetObject and s3:PutObject on {' and '.join(plain)}"
    if locks:
        said += f", s3:GetObject, s3:PutObject and s3:DeleteObject on {' and '.join(locks)}"
    return said


def _client(settings: S3State) -> Any:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ProfileNotFound

    from reconciler import __version__

    try:
        session = boto3.session.Session(profile_name=settings.profile)
    except ProfileNotFound as exc:
        asked = exc.kwargs.get("profile") or settings.profile
        raise UsageError(
            f"AWS profile {asked!r} for the state bucket not found: check state.profile or "
            "AWS_PROFILE"
        ) from None
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 5},
        user_agent_extra=f"reconciler/{__version__}",
        s3={"addressing_style": "path"} if settings.endpoint_url else None,
    )
    return session.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
