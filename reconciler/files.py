"""Writing files so that a crash or a full disk never leaves half of one: the one atomic writer
of the state and of saved plans; and the one rule for where a command may write an output file
(`plan -out`, `report --output`): `check_output` and `write_output`.

The data goes to a temporary file of a random name in the same directory, created exclusively
(`O_EXCL`, never through a link) with mode 0600, fsynced, then renamed over the target, and the
directory is fsynced. On any error the temporary file is removed and the target is as it was.
Temporary names are `.NAME.<32 hex>.tmp`, so a run that holds the lock can find and remove the
ones a killed process left behind (`stale_temporaries`).

An output file is written only where nothing of value can be lost: at a new name or over a
regular file (never a link, a device, a pipe or a directory), and never over one of the state's
own files — the state, its backup, lock and lineage (named the state's name + a suffix) or their
temporaries (`.NAME.…`) — compared by their resolved directories, so a path through `..` or a
linked directory is the same file, and a linked state's files are found beside its target too.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterable
from pathlib import Path

from reconciler.errors import UsageError
from reconciler.escaping import printable


class OutputRefused(UsageError):
    """An output path that would replace something other than a new or regular file of the
    user's, such as the state or a device."""


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, or raise OSError and leave `path` as it was."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600)
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


def stale_temporaries(path: Path) -> list[Path]:
    """Temporary files that writes of `path` (or of files named `path.name` + a suffix, such as
    its backup) left behind."""
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    return [
        Path(entry.path)
        for entry in entries
        if entry.name.startswith(prefix)
        and entry.name.endswith(".tmp")
        and len(entry.name.rsplit(".", 2)[-2]) == 32
        and entry.is_file(follow_symlinks=False)
    ]


def check_output(
    path: Path, option: str, protected: Iterable[Path] = (), *, example: str = "output"
) -> None:
    """Raise OutputRefused unless `path` (as `option` named it) is a new or regular file and
    none of the files of `protected` (each a state file: itself, its suffixed files and their
    temporaries). `example` is a file name to suggest when `path` is a directory."""
    shown = printable(str(path))
    if not path.name:
        raise OutputRefused(f"{option} needs a file name")
    for state in protected:
        if _in_family(path, state):
            raise OutputRefused(
                f"{option} {shown} is one of the state's own files ({printable(str(state))}, "
                "its backup, lock, lineage or their temporaries): write it elsewhere"
            )
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return  # a new file
    except OSError:
        return  # a directory on the way is missing or not one: the write says so
    if stat.S_ISDIR(mode):
        raise OutputRefused(
            f"{shown} is a directory: give {option} a file name, e.g. {shown}/{example}"
        )
    if not stat.S_ISREG(mode):
        raise OutputRefused(f"{shown} is not a regular file: give {option} a new file name")


def write_output(
    path: Path, data: bytes, option: str, protected: Iterable[Path] = (), *, example: str = "output"
) -> None:
    """Check `path` as `check_output` does (again: it may have changed since), make its
    directory where missing and write `data` there atomically; OutputRefused, or OSError when
    the write fails (`path` is then as it was)."""
    check_output(path, option, protected, example=example)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data)


def _places(path: Path) -> set[tuple[str, str]]:
    """(resolved directory, name) of `path` as named and, when it is a link, of its target."""
    found = {(os.path.realpath(path.parent), path.name)}
    if path.is_symlink():
        target = os.path.realpath(path)
        found.add((os.path.dirname(target), os.path.basename(target)))
    return found


def _in_family(path: Path, state: Path) -> bool:
    """Whether `path` is `state`, a file named after it (`state.json.backup`, `.lock`,
    `.lineage`, …) or a temporary of one of them (`.state.json.….tmp`), where they live."""
    for directory, name in _places(path):
        for home, stem in _places(state):
            if directory == home and (
                name == stem or name.startswith(f"{stem}.") or name.startswith(f".{stem}.")
            ):
                return True
    return False
