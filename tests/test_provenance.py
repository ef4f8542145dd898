"""Who changed a manifest line: git blame in a real repository, and never a wrong answer from a
shallow clone (CI's default), where the history is cut."""

from __future__ import annotations

import subprocess
from pathlib import Path

from reconciler.provenance import Blame, parse_porcelain


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
