"""Writing files so that a crash or a full disk never leaves half of one: the one atomic writer
of the state and of saved plans.

The data goes to a temporary file of a random name in the same directory, created exclusively
(`O_EXCL`, never through a link) with mode 0600, fsynced, then renamed over the target, and the
directory is fsynced. On any error the temporary file is removed and the target is as it was.
Temporary names are `.NAME.<32 hex>.tmp`, so a run that holds the lock can find and remove the
ones a killed process left behind (`stale_temporaries`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


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
