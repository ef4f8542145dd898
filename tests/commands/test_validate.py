"""`reconciler validate` as a user runs it, in process: its exit code and its output."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.runtime import Runtime
from tests.conftest import HEADER, REPO, ROLE


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
        "summary": {
            "files": 3,
            "documents": 3,
            "datasetGroups": 2,
            "jobs": 5,
            "selectors": 0,
            "selectedJobs": 0,
            "errors": 0,
            "warnings": 0,
        },
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
        "summary": {
            "files": 1,
            "documents": 1,
            "datasetGroups": 0,
            "jobs": 0,
            "selectors": 0,
            "selectedJobs": 0,
            "errors": 1,
            "warnings": 0,
        },
        "diagnostics": [
            {
                "file": "a.yaml",
                "line": 2,
                "column": 7,
                "severity": "error",
                "message": "kind: unknown kind 'Nope'; expected one of DeletionJobs, Request, "
                "Settings",
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
        assert result.stdout == "Success: 1 file, 1 document, 1 dataset group, 0 jobs.\n"


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


def test_json_summary_of_invalid_manifests_counts_what_could_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = "  - jobName: a\n    dataSource: {dataLocation: s3://acme-privacy/a.csv}\n"
    bad = "  - jobName: b\n    dataSource: {dataLocation: s3://acme-privacy/b}\n"
    (tmp_path / "a.yaml").write_text(
        HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + good, encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + good + bad, encoding="utf-8"
    )
    (tmp_path / "c.yaml").write_bytes(b"kind: \xff\n")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--format", "json", ".")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    # three files, two documents read (c.yaml is not UTF-8); b.yaml fails, so only a.yaml's
    # group and job passed
    assert report["summary"] == {
        "files": 3,
        "documents": 2,
        "datasetGroups": 1,
        "jobs": 1,
        "selectors": 0,
        "selectedJobs": 0,
        "errors": 2,
        "warnings": 0,
    }
    assert [(d["file"], d["line"], d["column"]) for d in report["diagnostics"]] == [
        ("b.yaml", 9, 32),
        ("c.yaml", 1, 7),
    ]


def test_counts_are_singular_for_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.yaml").write_text(
        HEADER
        + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        + "  - jobName: a\n    dataSource: {dataLocation: s3://acme-privacy/a.csv}\n",
        encoding="utf-8",
    )
    (tmp_path / "bad.yaml").write_text("apiVersion: reconciler/v1\nkind: Nope\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run("validate", "m.yaml").stdout == (
        "Success: 1 file, 1 document, 1 dataset group, 1 job.\n"
    )
    assert run("validate", "bad.yaml").stderr.splitlines()[-1] == (
        "1 problem found; nothing was changed."
    )


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            "s3://acme-privacy/prefix",
            "'s3://acme-privacy/prefix' is neither one .csv file nor a prefix: end it with / for "
            "a prefix or .csv for one file (did you mean 's3://acme-privacy/prefix/' or "
            "'s3://acme-privacy/prefix.csv'?)",
        ),
        (
            "s3://acme-privacy/file.txt",
            "'s3://acme-privacy/file.txt' is not a .csv file: the service reads USER_IDs from CSV "
            "files only; use s3://BUCKET/KEY.csv for one file, or s3://BUCKET/PREFIX/ for every "
            ".csv under it",
        ),
        (
            "s3://Acme_Privacy/a.csv",
            "bucket 'Acme_Privacy' has uppercase letters and '_': S3 bucket names use only "
            "lowercase letters, digits, '.' and '-' (did you mean 's3://acme-privacy/a.csv'?)",
        ),
    ],
)
def test_unreadable_data_locations_are_refused_at_their_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, location: str, message: str
) -> None:
    (tmp_path / "m.yaml").write_text(
        HEADER
        + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        + f"  - jobName: a\n    dataSource:\n      dataLocation: {location}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = run("validate", "m.yaml")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"m.yaml:8:21: jobs[0].dataSource.dataLocation: {message}",
        "1 problem found; nothing was changed.",
    ]


def test_files_the_emulator_settings_name_are_checked_at_their_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed seed file, an s3Root that is a file: was a traceback at plan time, and passed
    validate."""
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copytree(REPO / "example-data", tmp_path / "example-data")
    monkeypatch.chdir(tmp_path)
    Path("example-data/seed/shop-eu-interactions.csv").write_bytes(b"\xff\xfe not utf-8")
    config = Path("example-data/emulator.yaml")
    config.write_text(config.read_text().replace("s3Root: example-data/s3", "s3Root: README.md"))
    Path("README.md").write_text("a file, not a directory\n")
    result = run("validate")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "example-data/emulator.yaml:7:9: s3Root: README.md is not a directory",
        "example-data/emulator.yaml:12:16: datasetGroups[0].seedUsers: "
        "example-data/seed/shop-eu-interactions.csv is not UTF-8 text (line 1)",
        "2 problems found; nothing was changed.",
    ]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # `-m` from another directory: relative paths do not resolve
    for command in ("validate", "plan"):
        result = run(command, "-m", str(tmp_path / "manifests"))
        assert result.returncode == 1
        assert "provider.emulatorConfig: example-data/emulator.yaml does not exist" in (
            result.stderr
        )
        assert "Traceback" not in result.stderr
