"""Who changed a manifest line: git blame in a real repository, and never a wrong answer from a
shallow clone (CI's default), where the history is cut."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import reconciler.blame
from reconciler.blame import Blame, parse_porcelain


def git(root: Path, *args: str, author: str = "Approver") -> None:
    subprocess.run(
        ["git", "-c", f"user.name={author}", "-c", "user.email=a@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_blame_names_the_commit_of_the_line_but_not_in_a_shallow_clone(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "m.yaml").write_text("a: 1\n")
    git(repo, "add", "m.yaml")
    git(repo, "commit", "-q", "-m", "PRIV-1 approved")
    (repo / "other.txt").write_text("x\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-q", "-m", "PRIV-2 unrelated", author="Later")
    commit = Blame(repo).commit("m.yaml:1:1")
    assert commit is not None and (commit.author, commit.summary) == ("Approver", "PRIV-1 approved")

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    blame = Blame(shallow)
    assert blame.available and blame.shallow
    assert blame.commit("m.yaml:1:1") is None  # not "PRIV-2 unrelated" by Later

    outside = Blame(tmp_path)
    assert not outside.available and outside.commit("m.yaml:1:1") is None


def test_a_boundary_commit_is_not_named() -> None:
    porcelain = (
        "0123456789abcdef0123456789abcdef01234567 1 1 1\nauthor Later\nauthor-time 1700000000\n"
        "summary PRIV-2 unrelated\nboundary\nfilename m.yaml\n\ta: 1\n"
    )
    assert parse_porcelain(porcelain) is None
    assert parse_porcelain(porcelain.replace("boundary\n", "")) is not None


def test_r2_22_each_manifest_file_is_blamed_once_not_once_per_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    for file in ("a.yaml", "b.yaml"):
        (tmp_path / file).write_text("".join(f"line {n}: 0\n" for n in range(1, 31)))
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "change 0")
    for change in (1, 2, 3):  # change k rewrites the lines n with n % 3 == k % 3 of a.yaml
        lines = (tmp_path / "a.yaml").read_text().splitlines()
        for n in range(change % 3, 30, 3):
            lines[n] = f"line {n + 1}: {change}"
        (tmp_path / "a.yaml").write_text("\n".join(lines) + "\n")
        git(tmp_path, "commit", "-q", "-am", f"change {change}", author=f"Author {change}")
    (tmp_path / "b.yaml").write_text((tmp_path / "b.yaml").read_text().replace("line 7: 0", "x"))
    (tmp_path / "untracked.yaml").write_text("a: 1\n")
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counted(args: list[str], **kwargs: Any) -> Any:
        runs.append(args)
        return real_run(args, **kwargs)

    monkeypatch.setattr(reconciler.blame.subprocess, "run", counted)
    blame = Blame(tmp_path)
    for _ in range(2):  # as report asks: for each job, and again once inputs were read
        for n in range(1, 31):
            a = blame.commit(f"a.yaml:{n}:5")
            expected = {0: 3, 1: 1, 2: 2}[(n - 1) % 3]  # the last change of line n
            assert a is not None and (a.summary, a.author) == (
                f"change {expected}",
                f"Author {expected}" if expected else "Approver",
            )
            b = blame.commit(f"b.yaml:{n}:5")
            assert b is not None and b.committed == (n != 7) and b.summary != "change 1"
        assert blame.commit("untracked.yaml:1:1") is None
        assert blame.commit("a.yaml:31:1") is None  # past the end
    blames = [args for args in runs if args[1] == "blame"]
    assert [args[-1] for args in blames] == ["a.yaml", "b.yaml", "untracked.yaml"]
    assert len(runs) == 2 + 3  # is it a checkout, is it shallow; one blame per file


def test_blame_reads_lines_whose_text_is_not_utf8_or_holds_line_separators(
    tmp_path: Path,
) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "m.yaml").write_bytes(b"a: '\xff\xfe'\nb: '\x0c\xe2\x80\xa8'\nc: 1\n")
    git(tmp_path, "add", "m.yaml")
    git(tmp_path, "commit", "-q", "-m", "odd bytes")
    blame = Blame(tmp_path)
    found = [blame.commit(f"m.yaml:{n}:1") for n in (1, 2, 3)]
    assert all(c is not None and c.summary == "odd bytes" for c in found)
