"""The `s3` state backend: one object in a bucket a team shares, locked and written with S3's
conditional requests, so that no race can lose an update or break a lock.

Objects, for `bucket: B` and `key: K`:
- `K`: the state document (JSON, as `document` describes), encrypted with SSE-S3 or, with
  `kmsKeyId`, SSE-KMS. Each write is a `PutObject` with `If-Match` on the ETag that was read
  (`If-None-Match: *` for the first one), on top of the lineage/serial check: a writer that
  bypassed the lock still cannot overwrite a state that moved on. A write S3 stored but answered
  with an error (botocore then sends it again, and the condition fails) is recognised as this
  run's own by reading the object back: the write ID in its metadata and its bytes are the ones
  sent (`s3objects`). Bucket versioning is the backup; without it a notice says so, once.
- `K.lineage`: the lineage this place holds (the lineage as text), written after the state's
  first write, and by `state push` (which may change it). A state of another lineage found at
  `K` later (another project's state copied there) is refused until `state push --force`
  stores one, or the object is deleted. A state written before this object existed pins its
  lineage with its next write.
- `K.lock`: the lock while a run holds it, holding the holder's details. Taken with
  `PutObject If-None-Match: *` (a 412 means held: the details are read and shown); released with
  `DeleteObject If-Match` on the ETag of the lock this run wrote, so a run never deletes another
  run's lock. A lock left by a killed run stays until `reconciler force-unlock ID` removes it.
  Details that cannot be read show as a lock of unknown holder whose ID is the object's ETag.

How the objects are read and written, and what S3's errors mean, is `s3objects`.

IAM actions: s3:GetObject and s3:PutObject on K and on K.lineage; s3:GetObject, s3:PutObject
and s3:DeleteObject on K.lock; s3:GetBucketVersioning on B (only for the notice); with SSE-KMS,
kms:GenerateDataKey and kms:Decrypt on the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reconciler.escaping import printable
from reconciler.models import RunInfo
from reconciler.settings import S3State
from reconciler.state.document import StateDocument, UnsupportedVersion, parse_document
from reconciler.state.interface import (
    LockInfo,
    StaleState,
    StateError,
    StateLocked,
    check_successor,
    lineage_mismatch,
    new_lock,
    parse_holder,
    read_stored,
)
from reconciler.state.s3objects import Bucket, Conflict, Denied, Missing, PreconditionFailed


def _now() -> datetime:
    return datetime.now(UTC)


class S3Backend:
    name = "s3"

    def __init__(
        self,
        settings: S3State,
        *,
        client: Any = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.key = settings.key
        self.lock_key = f"{settings.key}.lock"
        self.lineage_key = f"{settings.key}.lineage"
        keys = (self.key, self.lineage_key, self.lock_key)
        self._bucket = Bucket(settings, client=client, keys=keys, clock=clock)
        self.bucket = self._bucket.name
        self._client = self._bucket.client
        self._clock = clock
        self._read: tuple[StateDocument | None, str | None] | None = None  # document, ETag
        self._pinned: str | None = None  # the lineage K.lineage held when the state was read
        self._pin_refused = False  # the credentials may not read or write K.lineage
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
            got = self._bucket.get(self.key)
        except Missing:
            self._read = (None, None)
            return None
        document = read_stored(
            got.body,
            f"the state at {self.describe()}",
            "Restore an earlier version of the object (the bucket's versioning keeps them)",
        )
        self._check_lineage(document)
        self._read = (document, got.etag)
        return document

    def _check_lineage(self, document: StateDocument) -> None:
        try:
            pinned = self._bucket.get(self.lineage_key).body.decode("utf-8", "replace").strip()
        except Missing:
            pinned = ""
        except Denied:  # a policy written before the pin: the state is read all the same
            self._pin_denied("read", "s3:GetObject")
            return
        self._pinned = pinned or None
        if pinned and pinned != document.lineage:
            pin = self._bucket.url(self.lineage_key)
            raise lineage_mismatch(
                f"the state at {self.describe()}",
                document.lineage,
                pinned,
                pin,
                "Restore the right one (the bucket's versioning keeps earlier versions of the "
                "object), or, if this state is the one to use from now on, delete the pin: "
                f"aws s3 rm {pin}",
            )

    def _pin(self, lineage: str) -> None:
        if self._pin_refused:
            return
        try:
            self._bucket.put(self.lineage_key, f"{lineage}\n".encode(), {})
        except Denied:  # the state is written: only the pin is not
            self._pin_denied("written", "s3:PutObject")
            return
        except (Missing, PreconditionFailed, Conflict):
            raise StateError(
                f"the state was written, but {self._bucket.url(self.lineage_key)} could not be"
            ) from None
        self._pinned = lineage

    def _pin_denied(self, done: str, permission: str) -> None:
        """Say once that the lineage pin cannot be `done`: the state is used without it."""
        if not self._pin_refused:
            self._notices.append(
                f"{self._bucket.url(self.lineage_key)} (the lineage this place holds) cannot be "
                f"{done}: access denied, so a state of another lineage put here is not refused. "
                f"Grant {permission} on it (see the IAM policies in the docs)"
            )
        self._pin_refused = True

    def save(self, document: StateDocument) -> StateDocument:
        if self._read is None:
            self.load()
        assert self._read is not None
        current, etag = self._read
        check_successor(current, document, self.describe())
        stored = document.model_copy(update={"serial": document.serial + 1})
        self._store(stored, etag)
        if self._pinned != stored.lineage:  # a new state, or one from before the pin
            self._pin(stored.lineage)
        return stored

    def _store(self, stored: StateDocument, etag: str | None) -> None:
        """Put `stored` if the object is still the one read (`etag`; None: there was none)."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        body = stored.model_dump_json(indent=2).encode()
        write_id = str(uuid.uuid4())
        try:
            written = self._bucket.put(self.key, body, condition, write_id)
        except (PreconditionFailed, Conflict):
            mine = self._own_write(body, write_id)
            if mine is None:
                raise StaleState(
                    f"the state at {self.describe()} was written by another run since it was "
                    "read (its ETag moved on): run the command again"
                ) from None
            written = mine
        except Missing:
            raise StaleState(
                f"the state at {self.describe()} was deleted since it was read: run the command "
                "again"
            ) from None
        self._read = (stored, written)

    def _own_write(self, body: bytes, write_id: str) -> str | None:
        """The ETag of the state object where it is this run's write `write_id` of `body`: one
        S3 stored but answered with an error, so that botocore sent it again and its condition
        no longer held. None where the object is another run's."""
        try:
            got = self._bucket.get(self.key)
        except Missing:
            return None
        return got.etag if (got.write_id, got.body) == (write_id, body) else None

    def replace(self, document: StateDocument, *, force: bool = False) -> StateDocument:
        """Store `document` over whatever is there (`state push`), lineage and all, as a serial
        above both; still conditional on the object not having moved since it was read (it is
        read as bytes: a corrupt state can be replaced). The lineage pin follows it."""
        if not force:
            self._check_lineage(document)
        try:
            got = self._bucket.get(self.key)
        except Missing:
            serial, etag = 0, None
        else:
            etag = got.etag
            try:
                serial = parse_document(got.body).serial
            except (ValueError, UnsupportedVersion):
                serial = 0
        stored = document.model_copy(update={"serial": max(document.serial, serial) + 1})
        self._store(stored, etag)
        self._pin(stored.lineage)
        return stored

    def _check_versioning(self) -> None:
        if self._versioning_checked:
            return
        self._versioning_checked = True
        try:
            answer = self._bucket.call("GetBucketVersioning")
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

    def lock(self, operation: str, run: RunInfo | None = None) -> LockInfo:
        info = new_lock(operation, self._clock, run)
        try:
            etag = self._bucket.put(
                self.lock_key, info.model_dump_json().encode(), {"IfNoneMatch": "*"}
            )
        except (PreconditionFailed, Conflict):
            held = self._read_lock()
            if held is not None and held[0].id == info.id:
                self._locks[info.id] = held[1]  # a retried PUT: the first one took it
                return info
            raise StateLocked(held[0] if held else None, self.describe()) from None
        self._locks[info.id] = etag
        return info

    def holder(self) -> LockInfo | None:
        """The details of the lock as it stands now, or None when nobody holds it."""
        held = self._read_lock()
        return held[0] if held else None

    def _read_lock(self) -> tuple[LockInfo, str] | None:
        """The lock's details (a lock of unknown holder, known by its ETag, where they cannot be
        read) and its ETag; None: not locked."""
        try:
            got = self._bucket.get(self.lock_key)
        except Missing:
            return None
        holder = parse_holder(got.body) or LockInfo.unknown(got.etag.strip('"'), got.modified)
        return holder, got.etag

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
        if holder.id != lock_id:
            raise StateError(
                f"the lock of {self.describe()} is {printable(holder.id)}, not "
                f"{printable(lock_id)}: nothing was removed"
            )
        self._delete_lock(etag, lock_id)
        return holder

    def _delete_lock(self, etag: str, lock_id: str) -> None:
        try:
            self._bucket.call("DeleteObject", Key=self.lock_key, IfMatch=etag)
        except Missing:
            return  # already gone (force-unlocked)
        except PreconditionFailed:
            raise StateError(
                f"the lock of {self.describe()} is no longer the one this run took "
                f"({printable(lock_id)}): another run replaced it, and it was left in place"
            ) from None
