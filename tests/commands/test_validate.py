"""`reconciler validate` as a user runs it, in process: its exit code and its output."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.runtime import Runtime
from tests.conftest import HEADER, REPO


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Runtime(environ={}, out=out, err=err))
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.usefixtures("in_repo")
def test_shipped_manifests_validate() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Success: 3 files, 3 documents, 2 dataset groups, 5 jobs.\n"


@pytest.mark.usefixtures("in_repo")
def test_json_summary() -> None:
    result = run("validate", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "summary": {"files": 3, "documents": 3, "datasetGroups": 2, "jobs": 5},
        "diagnostics": [],
    }


def test_bad_manifests_exit_1_with_every_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text(HEADER + "jobs:\n  - jobName: 'x y'\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_bytes(b"kind: \xff\n")
    monkeypatch.chdir(tmp_path)
    result = run("validate", ".")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "a.yaml:5:5: jobs[0]: missing required field 'dataSource'",
        "a.yaml:5:14: jobs[0].jobName: 'x y' is not allowed here: use letters, digits, '-' and "
        "'_', starting with a letter or digit",
        "b.yaml:1:7: file is not valid UTF-8",
        "3 problems found; nothing was changed.",
    ]


def test_json_diagnostics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: reconciler/v1\nkind: Nope\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--format", "json", "a.yaml")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "diagnostics": [
            {
                "file": "a.yaml",
                "line": 2,
                "column": 7,
                "severity": "error",
                "message": "kind: unknown kind 'Nope'; expected one of DeletionJobs, Settings",
            }
        ],
    }


def test_manifests_directory_from_option_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "m.yaml").write_text(HEADER + "jobs: []\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    by_option = run("validate", "-m", "ours")
    monkeypatch.setenv("RECONCILER_MANIFESTS", "ours")  # click reads option variables itself
    by_env = run("validate")
    for result in (by_option, by_env):
        assert result.returncode == 0, result.stderr
        assert result.stdout == "Success: 1 files, 1 documents, 1 dataset groups, 0 jobs.\n"


def test_missing_directory_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("validate")
    assert result.returncode == 1
    assert result.stderr == "Error: manifests: no such file or directory\n"


@pytest.mark.usefixtures("in_repo")
@pytest.mark.parametrize(
    "args", [["validate", "--format", "xml"], ["no-such-command"], ["validate", "--nope"]]
)
def test_usage_mistakes_exit_1_with_one_error(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 1
    assert "Error:" in result.stderr
