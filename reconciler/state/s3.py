"""The `s3` state backend: one object in a bucket a team shares, locked and written with S3's
conditional requests, so that no race can lose an update or break a lock.

Objects, for `bucket: B` and `key: K`:
- `K`: the state document (JSON, as `document` describes), encrypted with SSE-S3 or, with
  `kmsKeyId`, SSE-KMS. Each write is a `PutObject` with `If-Match` on the ETag that was read
  (`If-None-Match: *` for the first one), on top of the lineage/serial check: a writer that
  bypassed the lock still cannot overwrite a state that moved on. Bucket versioning is the
  backup; without it a notice says so, once.
- `K.lock`: the lock while a run holds it, holding the holder's details. Taken with
  `PutObject If-None-Match: *` (a 412 means held: the details are read and shown); released with
  `DeleteObject If-Match` on the ETag of the lock this run wrote, so a run never deletes another
  run's lock. A lock left by a killed run stays until `reconciler force-unlock ID` removes it.

IAM actions: s3:GetObject and s3:PutObject on K; s3:GetObject, s3:PutObject and s3:DeleteObject
on K.lock; s3:GetBucketVersioning on B (only for the notice); with SSE-KMS, kms:GenerateDataKey
and kms:Decrypt on the key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import UsageError
from reconciler.settings import StateSettings, shown_url
from reconciler.state.document import StateDocument, UnsupportedVersion, parse_document
from reconciler.state.interface import (
    LockInfo,
    StaleState,
    StateError,
    StateLocked,
    check_successor,
    new_lock,
    parse_holder,
    read_stored,
)

_ACTIONS = {
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "GetBucketVersioning": "s3:GetBucketVersioning",
}


def _now() -> datetime:
    return datetime.now(UTC)


class S3Backend:
    name = "s3"

    def __init__(
        self,
        settings: StateSettings,
        *,
        client: Any = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        assert settings.bucket and settings.key
        self.bucket = settings.bucket
        self.key = settings.key
        self.lock_key = f"{settings.key}.lock"
        self.settings = settings
        self._client = client or _client(settings)
        self._clock = clock
        self._read: tuple[StateDocument | None, str | None] | None = None  # document, ETag
        self._locks: dict[str, str] = {}  # lock ID -> the ETag of the lock object written
        self._notices: list[str] = []
        self._versioning_checked = False

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def notices(self) -> list[str]:
        notices, self._notices = self._notices, []
        return notices

    # the state

    def load(self) -> StateDocument | None:
        self._check_versioning()
        try:
            answer = self._call("GetObject", Key=self.key)
        except _Missing:
            self._read = (None, None)
            return None
        raw = answer["Body"].read()
        document = read_stored(
            raw,
            f"the state at {self.describe()}",
            "Restore an earlier version of the object (the bucket's versioning keeps them)",
        )
        self._read = (document, answer["ETag"])
        return document

    def save(self, document: StateDocument) -> StateDocument:
        if self._read is None:
            self.load()
        assert self._read is not None
        current, etag = self._read
        check_successor(current, document, self.describe())
        stored = document.model_copy(update={"serial": document.serial + 1})
        self._store(stored, etag)
        return stored

    def _store(self, stored: StateDocument, etag: str | None) -> None:
        """Put `stored` if the object is still the one read (`etag`; None: there was none)."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            answer = self._put(self.key, stored.model_dump_json(indent=2).encode(), condition)
        except (_PreconditionFailed, _Conflict):
            raise StaleState(
                f"the state at {self.describe()} was written by another run since it was read "
                "(its ETag moved on): run the command again"
            ) from None
        except _Missing:
            raise StaleState(
                f"the state at {self.describe()} was deleted since it was read: run the command "
                "again"
            ) from None
        self._read = (stored, answer["ETag"])

    def replace(self, document: StateDocument) -> StateDocument:
        """Store `document` over whatever is there (`state push`), lineage and all, as a serial
        above both; still conditional on the object not having moved since it was read (it is
        read as bytes: a corrupt state can be replaced)."""
        try:
            answer = self._call("GetObject", Key=self.key)
        except _Missing:
            serial, etag = 0, None
        else:
            etag = answer["ETag"]
            try:
                serial = parse_document(answer["Body"].read()).serial
            except (ValueError, UnsupportedVersion):
                serial = 0
        stored = document.model_copy(update={"serial": max(document.serial, serial) + 1})
        self._store(stored, etag)
        return stored

    def _check_versioning(self) -> None:
        if self._versioning_checked:
            return
        self._versioning_checked = True
        try:
            answer = self._call("GetBucketVersioning")
        except StateError:
            return  # the notice is a courtesy: no permission to read it is no error
        if answer.get("Status") != "Enabled":
            self._notices.append(
                f"the bucket {self.bucket} has no versioning: the state's earlier versions are "
                "not kept, and versioning is the only backup of an s3 state. Turn it on with: "
                f"aws s3api put-bucket-versioning --bucket {self.bucket} "
                "--versioning-configuration Status=Enabled"
            )

    # the lock

    def lock(self, operation: str) -> LockInfo:
        info = new_lock(operation, self._clock)
        try:
            answer = self._put(self.lock_key, info.model_dump_json().encode(), {"IfNoneMatch": "*"})
        except (_PreconditionFailed, _Conflict):
            held = self._read_lock()
            if held is not None and held[0] is not None and held[0].id == info.id:
                self._locks[info.id] = held[1]  # a retried PUT: the first one took it
                return info
            raise StateLocked(held[0] if held else None, self.describe()) from None
        self._locks[info.id] = str(answer["ETag"])
        return info

    def holder(self) -> LockInfo | None:
        """The details of the lock as it stands now, or None when nobody holds it."""
        held = self._read_lock()
        return held[0] if held else None

    def _read_lock(self) -> tuple[LockInfo | None, str] | None:
        """The lock's details (None where unreadable) and its ETag; None: not locked."""
        try:
            answer = self._call("GetObject", Key=self.lock_key)
        except _Missing:
            return None
        return parse_holder(answer["Body"].read()), answer["ETag"]

    def unlock(self, lock: LockInfo) -> None:
        etag = self._locks.pop(lock.id, None)
        if etag is None:
            return
        self._delete_lock(etag, lock.id)

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock `lock_id` (a killed run's), and only that one."""
        held = self._read_lock()
        if held is None:
            raise StateError(f"the state at {self.describe()} is not locked")
        holder, etag = held
        if holder is None or holder.id != lock_id:
            shown = holder.id if holder else "unreadable details"
            raise StateError(
                f"the lock of {self.describe()} is {shown}, not {lock_id}: nothing was removed"
            )
        self._delete_lock(etag, lock_id)
        return holder

    def _delete_lock(self, etag: str, lock_id: str) -> None:
        try:
            self._call("DeleteObject", Key=self.lock_key, IfMatch=etag)
        except _Missing:
            return  # already gone (force-unlocked)
        except _PreconditionFailed:
            raise StateError(
                f"the lock of {self.describe()} is no longer the one this run took ({lock_id}): "
                "another run replaced it, and it was left in place"
            ) from None

    # S3

    def _put(self, key: str, body: bytes, condition: dict[str, str]) -> dict[str, Any]:
        encryption: dict[str, str] = {"ServerSideEncryption": "AES256"}
        if self.settings.kms_key_id:
            encryption = {
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": self.settings.kms_key_id,
            }
        return self._call(
            "PutObject",
            Key=key,
            Body=body,
            ContentType="application/json",
            **encryption,
            **condition,
        )

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        method = getattr(self._client, _snake(operation))
        try:
            answer: dict[str, Any] = method(Bucket=self.bucket, **params)
        except ClientError as exc:
            raise self._translate(operation, params.get("Key"), exc) from None
        except NoCredentialsError:
            raise StateError(
                f"no AWS credentials for the state at {self.describe()}: set state.profile, "
                "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from None
        except BotoCoreError as exc:
            where = shown_url(self.settings.endpoint_url) if self.settings.endpoint_url else "S3"
            raise StateError(
                f"cannot reach {where} for the state at {self.describe()} "
                f"({type(exc).__name__}); check the network and state.endpointUrl"
            ) from None
        return answer

    def _translate(self, operation: str, key: str | None, exc: Any) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        where = f"s3://{self.bucket}/{key}" if key else f"the bucket {self.bucket}"
        if code in ("NoSuchKey", "404") or (status == 404 and code != "NoSuchBucket"):
            return _Missing()
        if code in ("PreconditionFailed", "412") or status == 412:
            return _PreconditionFailed()
        if code == "ConditionalRequestConflict" or status == 409:
            return _Conflict()  # two conditional writes at once: S3 says to try again
        if code == "NoSuchBucket":
            return StateError(
                f"the bucket {self.bucket} does not exist: create it (with versioning on) or fix "
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
                f"the bucket {self.bucket} is in another region than "
                f"{self.settings.region or 'the default one'}: set state.region to its region"
            )
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            action = _ACTIONS.get(operation, operation)
            return StateError(
                f"access denied: {action} on {where} ({code}); the credentials need "
                f"s3:GetObject and s3:PutObject on s3://{self.bucket}/{self.key}, "
                f"s3:GetObject, s3:PutObject and s3:DeleteObject on "
                f"s3://{self.bucket}/{self.lock_key}, and s3:ListBucket on the bucket (without "
                "it S3 answers a read of an object that does not exist yet with 403)"
            )
        return StateError(f"S3 {operation} on {where} failed: {code}: {message}")


class _Missing(Exception):
    """The object does not exist."""


class _PreconditionFailed(Exception):
    """A conditional request's condition did not hold (412)."""


class _Conflict(Exception):
    """Another conditional write on the object was under way (409)."""


def _client(settings: StateSettings) -> Any:
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
