"""The `local` state backend: a JSON file, written atomically, with a backup and an OS lock.

Files, for the default path `.reconciler/state.json`:
- `state.json`: the state document (mode 0600), replaced atomically (`reconciler.files`). When
  `state.json` is a symbolic link, the file it points to is the state (written through the link,
  so a shared target stays current) and the other files live beside that target;
- `state.json.backup`: the version before the last write, kept the same way;
- `state.json.lock`: held with an exclusive `flock` while a run has the lock, and holding the
  holder's details as JSON. The OS drops the lock when its process dies, so a killed run never
  blocks the next one; the details left behind (whole, or cut off by the kill) are then simply
  overwritten. Details that cannot be read show as a lock of unknown holder whose ID is a digest
  of what the file holds. A run refused the lock reads the holder's details for up to
  `DETAILS_WAIT` seconds: the holder writes them just after taking the `flock`. The file is
  opened without following links, and a file there that is not a lock of this tool is never
  touched;
- `state.json.lineage`: the lineage this location holds, written with the state's first write.
  A state of another lineage found here later (another project's file copied over it) is
  refused until this file is deleted or `state push --force` stores a state.
The directories it creates (`.reconciler/`) are private to the user (0700), whatever the umask.
Temporary files a killed write left behind are removed by the next run that takes the lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reconciler.boundedjson import loads
from reconciler.escaping import printable
from reconciler.files import stale_temporaries, write_atomically
from reconciler.models import RunInfo
from reconciler.state.document import StateDocument, UnsupportedVersion, parse_document
from reconciler.state.interface import (
    CorruptState,
    LockInfo,
    StateError,
    StateLocked,
    check_successor,
    lineage_mismatch,
    new_lock,
    parse_holder,
    read_stored,
)

DETAILS_WAIT = 1.0  # seconds a refused run waits for the holder's details to be readable
DETAILS_POLL = 0.02


def _now() -> datetime:
    return datetime.now(UTC)


class LocalBackend:
    name = "local"

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shown = path  # as the settings name it, for messages
        self.path = Path(os.path.realpath(path)) if path.is_symlink() else path
        self.backup = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lineage_path = self.path.with_name(self.path.name + ".lineage")
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
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
            raise lineage_mismatch(
                f"the state file {self.path}",
                document.lineage,
                pinned,
                str(self.lineage_path),
                f"Restore the right one ({self.backup} may be it), or, if this state is the one "
                f"to use from now on, delete {self.lineage_path}",
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

    def replace(self, document: StateDocument, *, force: bool = False) -> StateDocument:
        if not force:
            self._check_lineage(document)
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
            return self._details(fd)
        finally:
            os.close(fd)

    def force_unlock(self, lock_id: str) -> LockInfo:
        fd = self._open_lock_file()
        try:
            holder = self._details(fd)
            if holder is None:
                raise StateError(f"the state at {self.shown} is not locked")
            if holder.id != lock_id:
                raise StateError(
                    f"the lock of {self.shown} is {printable(holder.id)}, not "
                    f"{printable(lock_id)}: nothing was removed"
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

    def lock(self, operation: str, run: RunInfo | None = None) -> LockInfo:
        fd = self._open_lock_file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = self._details_of_holder(fd)
            finally:
                os.close(fd)
            raise StateLocked(holder, str(self.shown)) from None
        try:
            self._details(fd)  # a file that is not our lock is refused; what a dead run left is not
            info = new_lock(operation, self._clock, run)
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

    def _details(self, fd: int) -> LockInfo | None:
        """What the lock file holds: nothing (None), the holder's details, or a lock of unknown
        holder; a file that is not a lock of this tool is refused."""
        try:
            raw = os.pread(fd, 64 * 1024, 0)
            modified = os.fstat(fd).st_mtime
        except OSError as exc:
            raise StateError(
                f"cannot read the lock file {self.lock_path}: {exc.strerror}"
            ) from None
        raw = raw.rstrip(b"\0")  # what a killed write can leave at the end
        if not raw.strip(b"\0 \t\r\n"):
            return None
        holder = parse_holder(raw)
        if holder is not None:
            return holder
        if not _is_lock_details(raw):
            raise StateError(
                f"{self.lock_path} exists and is not a lock file of reconciler; it was left as "
                "it is. Choose another state.path in the settings (the lock is the state's "
                "path + '.lock')"
            )
        digest = hashlib.sha256(raw).hexdigest()[:16]
        return LockInfo.unknown(digest, datetime.fromtimestamp(modified, UTC))

    def _details_of_holder(self, fd: int) -> LockInfo | None:
        """The details of the process that holds the `flock`: it writes them just after taking
        it, so they are read again (for up to DETAILS_WAIT seconds) until they can be."""
        deadline = self._monotonic() + DETAILS_WAIT
        while True:
            try:
                holder = self._details(fd)
            except StateError:
                holder = None  # not our file: nothing to say about who holds it
            remaining = deadline - self._monotonic()
            if (holder is not None and not holder.unreadable) or remaining <= 0:
                return holder
            self._sleep(min(DETAILS_POLL, remaining))

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
    """The state's directory, made where missing, private to the user (0700 whatever the umask:
    it holds the state and the lock); a file in the way is named as such."""
    missing = [p for p in (directory, *directory.parents) if not p.is_dir()]
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)  # the umask can only take bits away from 0700
        except FileExistsError:
            if not path.is_dir():
                raise NotADirectoryError(20, f"{path} is not a directory", str(path)) from None


_DETAILS_START = b'{"id":'


def _is_lock_details(raw: bytes) -> bool:
    """Whether `raw` is a lock's details that cannot be read (so that state.path `poetry` never
    empties an existing `poetry.lock`): JSON with a lock ID and an operation (a newer version's),
    or details that a killed write cut off (every version writes them starting `{"id":`)."""
    try:
        details = loads(raw)
    except ValueError:
        details = None
    if isinstance(details, dict):
        return "id" in details and "operation" in details
    start = re.sub(rb"\s", b"", raw[:64])
    return start.startswith(_DETAILS_START) or _DETAILS_START.startswith(start)
