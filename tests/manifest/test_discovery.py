"""Finding the manifests: nothing that looks like one is skipped without a word."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest.discovery import discover
from reconciler.manifest.loader import load_manifests
from tests.conftest import HEADER, ROLE

Write = Callable[[str, str | bytes], Path]
VALID = HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"


def job(name: str) -> str:
    return f"  - jobName: {name}\n    dataSource: {{dataLocation: s3://bucket/{name}.csv}}\n"


def problems(root: Path) -> list[str]:
    return [str(d) for d in discover([root]).problems]


def test_defect_05_every_file_that_cannot_be_read_is_named(write: Write) -> None:
    write("m/ok.yaml", VALID + job("a"))
    os.symlink("gone.yaml", "m/dangling.yaml")
    os.symlink("loop.yaml", "m/loop.yaml")
    os.mkfifo("m/fifo.yaml")
    Path("m/dir.yml").mkdir()
    assert problems(Path("m")) == [
        "m/dir.yml:1:1: a directory named like a manifest: rename it",
        "m/dangling.yaml:1:1: a symbolic link to gone.yaml, which does not exist",
        "m/fifo.yaml:1:1: not a regular file (a FIFO, socket or device): a manifest must be a file",
        "m/loop.yaml:1:1: a loop of symbolic links",
    ]
    with pytest.raises(ManifestError) as info:
        load_manifests([Path("m")])  # and nothing is planned from a partial tree
    assert len(info.value.diagnostics) == 4


def test_defect_05_a_directory_that_cannot_be_read_is_an_error(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("m/ok.yaml", VALID + job("a"))
    write("m/locked/inside.yaml", VALID + job("b"))
    scandir = os.scandir

    def refusing(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    assert problems(Path("m")) == ["m/locked:1:1: cannot read this directory: Permission denied"]


def test_defect_05_upper_case_suffixes_and_linked_directories_are_read(write: Write) -> None:
    write("m/A.YAML", VALID + job("a"))
    write("elsewhere/b.Yml", VALID + job("b"))
    os.symlink("../elsewhere", "m/linked")
    os.symlink(".", "m/linked-again")  # a loop back to m
    found = discover([Path("m")])
    assert [f.shown for f in found.files] == ["m/A.YAML", "m/linked/b.Yml"]
    assert [str(d) for d in found.problems] == [
        "m/linked-again:1:1: this directory was already read through another path (a loop of "
        "symbolic links?): remove the link"
    ]


def test_defect_15_and_04_names_are_printed_safely(write: Write) -> None:
    write("m/\x1b[31mred.yaml", "kind: Nope\n")
    name = os.fsdecode(b"m/caf\xe9.yaml")  # not UTF-8
    write(name, "kind: Nope\n")
    with pytest.raises(ManifestError) as info:
        load_manifests([Path("m")])
    shown = sorted({d.location.file for d in info.value.diagnostics})
    assert shown == ["m/\\x1b[31mred.yaml", "m/caf\\xe9.yaml"]
    for text in map(str, info.value.diagnostics):
        text.encode("utf-8")  # printable anywhere
        assert "\x1b" not in text
