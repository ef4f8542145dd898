"""The `reconciler-validate` hook of .pre-commit-hooks.yaml.

In process (the default lane): the hook file as pre-commit reads it (its own schema check, and
the id, entry, language and file pattern a user's repository relies on), and the hook's command
run as pre-commit runs it (the entry's words, no file names) on the same user repository the
process test uses: it refuses a broken manifest at its line, a job name declared again in another
file (it validates the whole tree), and passes a good one.

In the process lane (`pytest -m process`): `pre-commit try-repo`, as a user's repository would
run the hook: pre-commit builds the hook's environment from this repository (offline, from the
wheelhouse `.ci/run` builds: `pip wheel . -w .wheelhouse`), with the same three outcomes."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pre_commit.clientlib import load_manifest

from reconciler.cli import main
from reconciler.runtime import Runtime
from tests.conftest import REPO

WHEELHOUSE = Path(os.environ.get("RECONCILER_WHEELHOUSE", REPO / ".wheelhouse"))
GOOD = (REPO / "manifests" / "shop-us.yaml").read_text(encoding="utf-8")
AT_ITS_LINE = "manifests/shop-us.yaml:10:14: jobs[0].jobName: 'c a-2026-w47' is not allowed"
DECLARED_AGAIN = "jobName 'ccpa-2026-w47' is already declared at"


def the_hook() -> dict[str, Any]:
    """The one hook of .pre-commit-hooks.yaml, read and checked by pre-commit's own loader
    (which fills in pre-commit's defaults)."""
    [hook] = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    found: dict[str, Any] = hook
    return found


def broken(user: Path) -> None:
    """The user's repository: one manifest, a job name with a space (line 10, column 14)."""
    (user / "manifests").mkdir(parents=True, exist_ok=True)
    (user / "manifests" / "shop-us.yaml").write_text(GOOD.replace("jobName: ccpa", "jobName: c a"))


def declared_again(user: Path) -> None:
    """The manifest mended, and a second file declaring its job name again."""
    (user / "manifests" / "shop-us.yaml").write_text(GOOD)
    (user / "manifests" / "again.yaml").write_text(GOOD.replace("/shop-us", "/shop-us-2"))


def mended(user: Path) -> None:
    (user / "manifests" / "again.yaml").unlink()


def test_the_hook_file_declares_the_validate_hook() -> None:
    hook = the_hook()
    assert (hook["id"], hook["name"]) == ("reconciler-validate", "reconciler validate")
    assert hook["language"] == "python"  # pre-commit pip-installs this repository for it
    command, *words = shlex.split(hook["entry"])
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert scripts["scripts"][command] == "reconciler.entry:run"  # the console script pip makes
    assert words == ["validate"] and hook["args"] == []
    assert hook["pass_filenames"] is False  # it validates the whole tree, not the files changed
    assert hook["require_serial"] is True
    assert hook["types"] == ["file"]
    files = re.compile(hook["files"])
    ran = ["manifests/shop-us.yaml", "manifests/again.yaml", "manifests/eu/shop.yml"]
    skipped = ["README.md", "manifests/notes.md", "examples/manifests/shop.yaml", "shop.yaml"]
    assert [path for path in ran if not files.search(path)] == []
    assert [path for path in skipped if files.search(path)] == []


def test_the_hooks_command_refuses_what_the_hook_must_refuse_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook's entry after its console script, with its args and no file names, run in the
    user's repository as pre-commit runs it there: its exit code is the hook's verdict."""
    hook = the_hook()
    _, *argv = shlex.split(hook["entry"])
    user = tmp_path / "privacy"
    broken(user)
    monkeypatch.chdir(user)

    def run() -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, *hook["args"]], Runtime(environ={}, out=out, err=err))
        return code, out.getvalue() + err.getvalue()  # pre-commit shows both

    code, said = run()
    assert code == 1, said
    assert AT_ITS_LINE in said, said
    declared_again(user)
    code, said = run()
    assert code == 1, said
    assert DECLARED_AGAIN in said, said
    mended(user)
    code, said = run()
    assert code == 0, said


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.skipif(
    not (WHEELHOUSE / "setuptools").exists() and not any(WHEELHOUSE.glob("setuptools-*.whl")),
    reason="no wheelhouse: build it with `pip wheel . -w .wheelhouse && pip download setuptools "
    "wheel -d .wheelhouse` (as .ci/run does)",
)
@pytest.mark.process
def test_the_hook_refuses_a_broken_manifest_at_its_line(tmp_path: Path) -> None:
    source = tmp_path / "reconciler"  # this repository as committed now, hook file included
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".wheelhouse", ".git"))
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "hook")
    user = tmp_path / "privacy"
    broken(user)
    git(user, "init", "-q")
    git(user, "add", "-A")
    env = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
    }

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(source),
                "reconciler-validate",
                "--all-files",
            ],
            cwd=user,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    done = hook()
    assert done.returncode == 1, done.stdout + done.stderr
    assert AT_ITS_LINE in done.stdout, done.stdout
    declared_again(user)
    git(user, "add", "-A")
    done = hook()
    assert done.returncode == 1, done.stdout + done.stderr
    assert DECLARED_AGAIN in done.stdout, done.stdout
    mended(user)
    git(user, "add", "-A")
    done = hook()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciler validate" in done.stdout and "Passed" in done.stdout
