"""The `local` state backend: a JSON file, written atomically, with a backup and an OS lock.

Files, for the default path `.reconciler/state.json`:
- `state.json`: the state document (mode 0600), replaced atomically: a temporary file in the same
  directory is written and fsynced, then renamed over it, then the directory is fsynced;
- `state.json.backup`: the version before the last write, kept the same way;
- `state.json.lock`: held with an exclusive `flock` while a run has the lock, and holding the
  holder's details as JSON. The OS drops the lock when its process dies, so a killed run never
  blocks the next one; the details left behind are then simply overwritten.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from reconciler.state.document import StateDocument, parse_document
from reconciler.state.interface import CorruptState, LockInfo, StaleState, StateLocked


def _now() -> datetime:
    return datetime.now(UTC)


class LocalBackend:
    name = "local"

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _now) -> None:
        self.path = path
        self.backup = path.with_name(path.name + ".backup")
        self.lock_path = path.with_name(path.name + ".lock")
        self._clock = clock
        self._held: dict[str, int] = {}

    def describe(self) -> str:
        return str(self.path)

    def load(self) -> StateDocument | None:
        return self._read()[0]

    def _read(self) -> tuple[StateDocument | None, bytes]:
        """The stored state and the bytes it was read from (kept as the backup on save)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            if self.backup.exists():
                raise CorruptState(
                    f"the state file {self.path} is missing but its backup {self.backup} "
                    f"exists: if the backup is right, restore it with: cp {self.backup} {self.path}"
                ) from None
            return None, b""
        except OSError as exc:
            raise CorruptState(f"cannot read the state file {self.path}: {exc.strerror}") from None
        try:
            return parse_document(raw), raw
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            reason = first["msg"] + (f" at {where}" if where else "")
            raise CorruptState(
                f"the state file {self.path} is corrupt ({reason}); it was left as it is. The "
                f"version before the last write is {self.backup}: if it is right, restore it "
                f"with: cp {self.backup} {self.path}"
            ) from None

    def save(self, document: StateDocument) -> StateDocument:
        current, raw = self._read()
        if current is None and document.serial != 0:
            raise StaleState(
                f"the state file {self.path} disappeared since serial {document.serial} was read"
            )
        if current is not None:
            if current.lineage != document.lineage:
                raise StaleState(
                    f"the state at {self.path} belongs to another lineage ({current.lineage}, "
                    f"not {document.lineage}): it was replaced since it was read"
                )
            if current.serial != document.serial:
                raise StaleState(
                    f"the state at {self.path} changed since it was read (serial "
                    f"{document.serial}, now {current.serial}): run the command again"
                )
        stored = document.model_copy(update={"serial": document.serial + 1})
        data = stored.model_dump_json(indent=2).encode() + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if current is not None:
            _write_atomically(self.backup, raw)
        _write_atomically(self.path, data)
        return stored

    def lock(self, operation: str) -> LockInfo:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StateLocked(holder, str(self.path)) from None
        info = LockInfo(
            id=str(uuid.uuid4()),
            who=f"{_user()}@{socket.gethostname()}",
            operation=operation,
            created=self._clock(),
            pid=os.getpid(),
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.model_dump_json().encode(), 0)
        os.fsync(fd)
        self._held[info.id] = fd
        return info

    def unlock(self, lock: LockInfo) -> None:
        fd = self._held.pop(lock.id, None)
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_holder(fd: int) -> LockInfo | None:
    try:
        raw = os.pread(fd, 64 * 1024, 0)
        return LockInfo.model_validate_json(raw) if raw else None
    except (OSError, ValidationError):
        return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
