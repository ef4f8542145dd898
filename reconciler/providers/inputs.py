"""Reading a job's input where the service will read it, for preflight: S3 through boto3 for the
`aws` provider, the emulator's `s3Root` directory for `local`, behind one small interface, so
`reconciler.preflight` is written once.

An input object is known by its identity (`InputIdentity`: what HeadObject or ListObjectsV2
says of it, or a file's metadata), read cheaply; its bytes are streamed only for that version
(`stream`: GetObject with IfMatch, and VersionId where known), and only to whoever checks them:
nothing here keeps or prints them. The keyed digest's key (`DigestKey`) is the reader's too:
fetched once, never shown; it also makes each identity's `tag` (the ETag, keyed), the only form
of the ETag that leaves the process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from reconciler.errors import ReconcilerError
from reconciler.models import InputIdentity


class InputError(ReconcilerError):
    """What preflight could not read (not: what is wrong with the input)."""


class InputDenied(InputError):
    """These credentials may not read it; `permission` names the action (s3:GetObject, …)."""

    def __init__(self, message: str, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class InputChanged(InputError):
    """The object is no longer the version that was found (S3 answered 412 to IfMatch)."""


class DigestKeyError(ReconcilerError):
    """The configured digest key (`evidence.digestKey`) cannot be read; says which setting and
    which permission, never the key."""


CHUNK = 1 << 20  # bytes read at once when a whole object is streamed
_KEY_ID_MESSAGE = b"reconciler key id"


@dataclass(frozen=True)
class DigestKey:
    """The key of the inputs' keyed digests (HMAC-SHA256). Only `key_id`, a fingerprint, is
    ever shown or stored; the key itself is not in its repr."""

    secret: bytes = field(repr=False)
    source: str  # which setting it came from, for messages ("evidence.digestKey.env X")

    @property
    def key_id(self) -> str:
        """The first 16 hex of HMAC(key, "reconciler key id"): tells keys apart, gives none."""
        return hmac.new(self.secret, _KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:16]

    def hmac(self) -> hmac.HMAC:
        return hmac.new(self.secret, digestmod=hashlib.sha256)


def etag_tag(etag: str, key: DigestKey | None) -> str | None:
    """The form of an ETag that may be stored and shown: its HMAC under the digest key (the
    first 32 hex); None without a key (S3's ETag may be the MD5 of the object's bytes)."""
    if key is None:
        return None
    return hmac.new(key.secret, b"etag\n" + etag.encode(), hashlib.sha256).hexdigest()[:32]


Feed = Callable[[bytes], bool]  # takes a chunk; False: stop reading


class InputReader(Protocol):
    def identity(self, bucket: str, key: str, region: str) -> InputIdentity | None:
        """Which version the object is now (HeadObject), or None when there is no such object."""
        ...

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputIdentity]:
        """Every object under `prefix` (recursively) whose key ends in .csv, every page
        (ListObjectsV2: no VersionId)."""
        ...

    def stream(self, identity: InputIdentity, region: str, feed: Feed) -> None:
        """The object's bytes, in chunks, while `feed` wants them: only of the version
        `identity` names (InputChanged otherwise)."""
        ...

    def digest_key(self, region: str) -> DigestKey | None:
        """The key of the keyed digests, fetched once (`region`: where a parameter or secret
        is read unless the setting names one); None where none is configured."""
        ...


def split_location(location: str) -> tuple[str, str]:
    """(bucket, key) of `s3://BUCKET/KEY`."""
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return bucket, key


class DirectoryInputs:
    """The emulator's inputs: `s3://BUCKET/KEY` is the file `root/BUCKET/KEY`. A file's
    identity is made of its metadata (size, mtime, ctime, inode), hashed: a file replaced or
    touched, even with the same bytes, gets another (its ctime cannot be set back)."""

    def __init__(self, root: Path, key: Callable[[str], DigestKey | None] | None = None) -> None:
        self.root = root
        self._key = key
        self._fetched: list[DigestKey | None] = []

    def _path(self, bucket: str, key: str) -> Path | None:
        base = (self.root / bucket).resolve()
        target = (base / key).resolve()
        return target if target.is_relative_to(base) else None

    def identity(self, bucket: str, key: str, region: str) -> InputIdentity | None:
        path = self._path(bucket, key)
        if path is None or not path.is_file():
            return None
        return file_identity(f"s3://{bucket}/{key}", path.stat(), self.digest_key(region))

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputIdentity]:
        base = self._path(bucket, "")
        if base is None or not base.is_dir():
            return []
        found = []
        digest = self.digest_key(region)
        for path in sorted(base.rglob("*")):
            key = path.relative_to(base).as_posix()
            if path.is_file() and key.startswith(prefix) and key.lower().endswith(".csv"):
                found.append(file_identity(f"s3://{bucket}/{key}", path.stat(), digest))
        return found

    def stream(self, identity: InputIdentity, region: str, feed: Feed) -> None:
        path = self._path(*split_location(identity.location))
        try:
            if path is None:
                raise FileNotFoundError
            with path.open("rb") as file:
                now = file_identity(identity.location, os.fstat(file.fileno()), None)
                if not now.same(identity):
                    raise InputChanged(f"{identity.location} changed while preflight read it")
                while (chunk := file.read(CHUNK)) and feed(chunk):
                    pass
        except FileNotFoundError:
            raise InputChanged(f"{identity.location} went away while preflight read it") from None
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            raise InputError(f"preflight could not read {identity.location}: {why}") from None

    def digest_key(self, region: str) -> DigestKey | None:
        if self._key is None:
            return None
        if not self._fetched:
            self._fetched.append(self._key(region))
        return self._fetched[0]


def file_identity(location: str, stat: os.stat_result, key: DigestKey | None) -> InputIdentity:
    """A file's identity, from its metadata only (never its contents)."""
    made = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"
    etag = f'"{hashlib.sha256(made.encode()).hexdigest()[:32]}"'
    return InputIdentity(
        location=location,
        etag=etag,
        tag=etag_tag(etag, key),
        key_id=key.key_id if key is not None else None,
        size=stat.st_size,
        last_modified=datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC),
    )
