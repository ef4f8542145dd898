"""Which files are the manifests: `*.yaml` and `*.yml` (any case) under the given directories,
recursively, in a stable order; files named on the command line are read whatever their name.

Hidden files and directories (a name starting with `.`) are skipped. Nothing that looks like a
manifest is skipped silently: a dangling or looping symbolic link, a FIFO or device, a directory
named like a manifest, or a directory that cannot be read is a diagnostic at its path, so a lost
file never makes a plan forget the jobs it declared. Symbolic links to directories are followed,
each directory read once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.diagnostics import Diagnostic, Location, printable
from reconciler.errors import UsageError

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ManifestFile:
    path: Path
    shown: str  # the name diagnostics use, printable
    key: bytes  # the name relative to the directory given: what the digest covers


@dataclass
class Discovery:
    files: list[ManifestFile] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def is_manifest_name(name: str) -> bool:
    return name.lower().endswith(MANIFEST_SUFFIXES) and not name.startswith(".")


def discover(paths: Sequence[Path]) -> Discovery:
    found = Discovery()
    for root in paths:
        if root.is_dir():
            start = len(found.files)
            _walk(root, found)  # in the order of the relative paths' parts, as before
            found.files[start:] = sorted(found.files[start:], key=lambda f: f.key.split(b"/"))
        elif root.is_file():
            found.files.append(ManifestFile(root, printable(str(root)), os.fsencode(root.name)))
        else:
            raise UsageError(f"{printable(str(root))}: no such file or directory")
    if not found.files and not found.problems:
        names = ", ".join(printable(str(p)) for p in paths)
        raise UsageError(f"no manifest files (*.yaml, *.yml) found in {names}")
    return found


def _walk(root: Path, found: Discovery) -> None:
    def problem(path: str | os.PathLike[str], message: str) -> None:
        found.problems.append(Diagnostic(Location(printable(os.fspath(path))), message))

    def unreadable(error: OSError) -> None:
        problem(error.filename or root, f"cannot read this directory: {error.strerror}")

    read: set[tuple[int, int]] = set()
    for directory, subdirectories, names in os.walk(root, onerror=unreadable, followlinks=True):
        identity = os.stat(directory)
        if (identity.st_dev, identity.st_ino) in read:
            problem(
                directory,
                "this directory was already read through another path (a loop of symbolic "
                "links?): remove the link",
            )
            subdirectories[:] = []
            continue
        read.add((identity.st_dev, identity.st_ino))
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in subdirectories:
            if is_manifest_name(name):
                problem(Path(directory, name), "a directory named like a manifest: rename it")
        for name in sorted(names):
            if is_manifest_name(name):
                path = Path(directory, name)
                message = _unreadable_file(path)
                if message:
                    problem(path, message)
                else:
                    key = os.fsencode(path.relative_to(root).as_posix())
                    found.files.append(ManifestFile(path, printable(str(path)), key))


def _unreadable_file(path: Path) -> str | None:
    """Why `path` cannot be read as a manifest, or None."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"a symbolic link to {printable(os.readlink(path))}, which does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a loop of symbolic links"
        return f"cannot read this file: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device): a manifest must be a file"
    return None
