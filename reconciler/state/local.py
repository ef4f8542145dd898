"""The `local` state backend: a JSON file, written atomically, with a backup and an OS lock.

Files, for the default path `.reconciler/state.json`:
- `state.json`: the state document (mode 0600), replaced atomically (`reconciler.files`). When
  `state.json` is a symbolic link, the file it points to is the state (written through the link,
  so a shared target stays current) and the other files live beside that target;
- `state.json.backup`: the version before the last write, kept the same way;
- `state.json.lock`: held with an exclusive `flock` while a run has the lock, and holding the
  holder's details as JSON. The OS drops the lock when its process dies, so a killed run never
  blocks the next one; the details left behind are then simply overwritten. It is opened
  without following links, and a file there that is not a lock of this tool is never touched;
- `state.json.lineage`: the lineage this location holds, written with the state's first write.
  A state of another lineage found here later (another project's file copied over it) is
  refused until this file is deleted.
Temporary files a killed write left behind are removed by the next run that takes the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reconciler.files import stale_temporaries, write_atomically
from reconciler.state.document import StateDocument, UnsupportedVersion, parse_document
from reconciler.state.interface import (
    CorruptState,
    LockInfo,
    StateError,
    StateLocked,
    check_successor,
    new_lock,
    parse_holder,
    read_stored,
)


def _now() -> datetime:
    return datetime.now(UTC)


class LocalBackend:
    name = "local"

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _now) -> None:
        self.shown = path  # as the settings name it, for messages
        self.path = Path(os.path.realpath(path)) if path.is_symlink() else path
        self.backup = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lineage_path = self.path.with_name(self.path.name + ".lineage")
        self._clock = clock
        self._held: dict[str, int] = {}

    def describe(self) -> str:
        return str(self.shown)

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
            raise StateError(f"cannot read the state file {self.path}: {exc.strerror}") from None
        document = read_stored(
            raw,
            f"the state file {self.path}",
            f"The version before the last write is {self.backup}: if it is right, restore it "
            f"with: cp {self.backup} {self.path}",
        )
        self._check_lineage(document)
        return document, raw

    def _check_lineage(self, document: StateDocument) -> None:
        try:
            pinned = self.lineage_path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"cannot read {self.lineage_path}: {exc}") from None
        if pinned and pinned != document.lineage:
            raise StateError(
                f"the state file {self.path} is of lineage {document.lineage}, but this place "
                f"has held lineage {pinned} ({self.lineage_path}): the file was replaced, "
                f"perhaps by another project's state. Restore the right one ({self.backup} "
                f"may be it), or, if this state is the one to use from now on, delete "
                f"{self.lineage_path}"
            )

    def save(self, document: StateDocument) -> StateDocument:
        current, raw = self._read()
        check_successor(current, document, str(self.path))
        stored = document.model_copy(update={"serial": document.serial + 1})
        self._write(stored, raw if current is not None else None, document.serial)
        if current is None or not self.lineage_path.exists():  # a new state: its lineage is
            self._pin(stored.lineage)  # the one this place holds from now on
        return stored

    def _write(self, stored: StateDocument, previous: bytes | None, serial: int) -> None:
        """Write `stored`, keeping `previous` (the bytes replaced) as the backup."""
        data = stored.model_dump_json(indent=2).encode() + b"\n"
        try:
            _make_directory(self.path.parent)
            if previous is not None:
                write_atomically(self.backup, previous)
            write_atomically(self.path, data)
        except OSError as exc:
            raise StateError(
                f"cannot write the state file {self.path}: {exc.strerror or exc}; the state is "
                f"as it was before this write (serial {serial})"
            ) from None

    def _pin(self, lineage: str) -> None:
        try:
            write_atomically(self.lineage_path, f"{lineage}\n".encode())
        except OSError as exc:
            raise StateError(
                f"the state was written, but {self.lineage_path} could not be: "
                f"{exc.strerror or exc}"
            ) from None

    def replace(self, document: StateDocument) -> StateDocument:
        try:  # what is there may be unreadable: a push --force repairs it
            raw: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            raise StateError(f"cannot read the state file {self.path}: {exc.strerror}") from None
        try:
            serial = parse_document(raw).serial if raw is not None else 0
        except (ValueError, UnsupportedVersion):
            serial = 0
        stored = document.model_copy(update={"serial": max(document.serial, serial) + 1})
        self._write(stored, raw, document.serial)
        self._pin(stored.lineage)
        return stored

    def holder(self) -> LockInfo | None:
        fd = self._open_lock_file()
        try:
            return _read_holder(fd)
        finally:
            os.close(fd)

    def force_unlock(self, lock_id: str) -> LockInfo:
        fd = self._open_lock_file()
        try:
            holder = _read_holder(fd)
            if holder is None:
                raise StateError(f"the state at {self.shown} is not locked")
            if holder.id != lock_id:
                raise StateError(
                    f"the lock of {self.shown} is {holder.id}, not {lock_id}: nothing was removed"
                )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StateError(
                    f"the lock {lock_id} is held by a running process ({holder.describe()}): "
                    "the system releases it when that process ends; stop that run instead"
                ) from None
            os.ftruncate(fd, 0)  # the details a killed run left behind
            fcntl.flock(fd, fcntl.LOCK_UN)
            return holder
        finally:
            os.close(fd)

    def notices(self) -> list[str]:
        return []

    def lock(self, operation: str) -> LockInfo:
        fd = self._open_lock_file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StateLocked(holder, str(self.shown)) from None
        try:
            _check_is_lock(fd, self.lock_path)
            info = new_lock(operation, self._clock)
            details = info.model_dump_json().encode()
            os.ftruncate(fd, 0)
            if os.pwrite(fd, details, 0) != len(details):
                raise StateError(f"cannot write the lock details to {self.lock_path}")
            os.fsync(fd)
        except BaseException:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise
        self._held[info.id] = fd
        for leftover in stale_temporaries(self.path):  # only a killed write leaves these
            leftover.unlink(missing_ok=True)
        return info

    def _open_lock_file(self) -> int:
        try:
            _make_directory(self.lock_path.parent)
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(self.lock_path, flags, 0o600)
        except OSError as exc:
            if self.lock_path.is_symlink():
                raise StateError(
                    f"{self.lock_path} is a symbolic link: the lock file must be a file of its "
                    "own; remove the link"
                ) from None
            raise StateError(
                f"cannot create the lock file {self.lock_path}: {exc.strerror or exc}"
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StateError(f"{self.lock_path} is not a regular file: it cannot be the lock")
        return fd

    def unlock(self, lock: LockInfo) -> None:
        fd = self._held.pop(lock.id, None)
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _make_directory(directory: Path) -> None:
    """The state's directory, made where missing; a file in the way is named as such."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        blocking = next(p for p in (directory, *directory.parents) if p.exists())
        raise NotADirectoryError(20, f"{blocking} is not a directory", str(blocking)) from None


def _check_is_lock(fd: int, path: Path) -> None:
    """Refuse to take over a file that is not this tool's lock (state.path `poetry` must never
    empty an existing `poetry.lock`). Ours is empty (released), or holds a holder's details as
    JSON with a lock ID (any version of this tool), or is what a killed write left: only NULs."""
    raw = os.pread(fd, 64 * 1024, 0)
    if not raw.strip(b"\0 \t\r\n"):
        return
    try:
        details = json.loads(raw)
    except ValueError:
        details = None
    if not (isinstance(details, dict) and "id" in details and "operation" in details):
        raise StateError(
            f"{path} exists and is not a lock file of reconciler; it was left as it is. Choose "
            "another state.path in the settings (the lock is the state's path + '.lock')"
        )


def _read_holder(fd: int) -> LockInfo | None:
    """The holder's details, as far as they can be read."""
    try:
        return parse_holder(os.pread(fd, 64 * 1024, 0))
    except OSError:
        return None
