"""Reading a job's input where the service will read it, for preflight: S3 through boto3 for the
`aws` provider, the emulator's `s3Root` directory for `local`, behind one small interface, so
`reconciler.preflight` is written once.

Only sizes, key names and the first bytes of a file are read; the contents are never returned
whole, and nothing here ever prints them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from reconciler.errors import ReconcilerError
from reconciler.models import Frozen


class InputObject(Frozen):
    key: str
    size: int


class InputError(ReconcilerError):
    """What preflight could not read (not: what is wrong with the input)."""


class InputDenied(InputError):
    """These credentials may not read it; `permission` names the action (s3:GetObject, …)."""

    def __init__(self, message: str, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


CHUNK = 1 << 20  # bytes read at once when a whole object is digested


class Tally:
    """The SHA-256, size and number of rows of a file fed in chunks: a row is a non-blank line
    after the first (the USER_ID header). Nothing fed is kept but the last partial line."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.bytes = 0
        self._lines = 0
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.bytes += len(chunk)
        *whole, self._carry = (self._carry + chunk).split(b"\n")
        self._lines += sum(1 for line in whole if line.strip())

    def result(self) -> tuple[str, int, int]:
        """(sha256 hex, rows, bytes)."""
        lines = self._lines + (1 if self._carry.strip() else 0)
        return self._hash.hexdigest(), max(0, lines - 1), self.bytes


class InputReader(Protocol):
    def size(self, bucket: str, key: str, region: str) -> int | None:
        """The object's size in bytes, or None when there is no such object (HeadObject)."""
        ...

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputObject]:
        """Every object under `prefix` (recursively) whose key ends in .csv, every page."""
        ...

    def first_bytes(self, bucket: str, key: str, region: str, count: int) -> bytes:
        """At most `count` bytes from the start of the object (a ranged GET)."""
        ...

    def digest(self, bucket: str, key: str, region: str) -> tuple[str, int, int] | None:
        """The whole object read as a stream: (sha256 hex, rows, bytes), None when missing."""
        ...


class DirectoryInputs:
    """The emulator's inputs: `s3://BUCKET/KEY` is the file `root/BUCKET/KEY`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, bucket: str, key: str) -> Path | None:
        base = (self.root / bucket).resolve()
        target = (base / key).resolve()
        return target if target.is_relative_to(base) else None

    def size(self, bucket: str, key: str, region: str) -> int | None:
        path = self._path(bucket, key)
        return path.stat().st_size if path is not None and path.is_file() else None

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputObject]:
        base = self._path(bucket, "")
        if base is None or not base.is_dir():
            return []
        found = []
        for path in sorted(base.rglob("*")):
            key = path.relative_to(base).as_posix()
            if path.is_file() and key.startswith(prefix) and key.lower().endswith(".csv"):
                found.append(InputObject(key=key, size=path.stat().st_size))
        return found

    def first_bytes(self, bucket: str, key: str, region: str, count: int) -> bytes:
        path = self._path(bucket, key)
        if path is None:
            return b""
        with path.open("rb") as file:
            return file.read(count)

    def digest(self, bucket: str, key: str, region: str) -> tuple[str, int, int] | None:
        path = self._path(bucket, key)
        if path is None or not path.is_file():
            return None
        tally = Tally()
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                tally.feed(chunk)
        return tally.result()
