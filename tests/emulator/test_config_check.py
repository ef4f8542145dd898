"""Checking the emulator's settings file and the files it names, without starting anything:
every problem at the `FILE:LINE:COL` of its value, and nothing of a seed file quoted."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.config import (
    ConfigError,
    ConfigProblem,
    EmulatorConfig,
    check_config_file,
    load_config,
)
from reconciler.emulator.errors import EmulatorError
from reconciler.emulator.service import EmulatorService
from tests.conftest import REPO

HEADER = "apiVersion: emulator/v1\nkind: Emulator\n"
GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/"
unless_root = pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes any file")


def settings_file(tmp_path: Path, seeds: dict[str, str], **values: str) -> Path:
    """A settings file with `values` (camelCase) and one group per seed file name."""
    path = tmp_path / "e.yaml"
    text = HEADER + "".join(f"{key}: {value}\n" for key, value in values.items())
    if seeds:
        text += "datasetGroups:\n" + "".join(
            f"  - arn: {GROUP}{name}\n    seedUsers: {seed}\n" for name, seed in seeds.items()
        )
    path.write_text(text)
    return path


def test_every_file_named_is_checked_at_the_position_of_its_value(tmp_path: Path) -> None:
    (tmp_path / "latin1.csv").write_bytes(b"USER_ID,ITEM_ID\nu1,a\nJos\xe9,b\n")
    (tmp_path / "headerless.csv").write_text("person-0042\nperson-0043\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "good.csv").write_text("\ufeffUSER_ID,ITEM_ID\nu1,a\n")
    (tmp_path / "a-file").write_text("")
    path = settings_file(
        tmp_path,
        {
            "a": f"{tmp_path}/latin1.csv",
            "b": f"{tmp_path}/headerless.csv",
            "c": f"{tmp_path}/empty.csv",
            "d": f"{tmp_path}/good.csv",
        },
        database=f"{tmp_path}/a-file/deeper/e.sqlite3",
        s3Root=f"{tmp_path}/a-file",
    )
    problems = check_config_file(path)
    assert problems == [
        ConfigProblem(
            f"{path}:3:11",
            f"database: {tmp_path}/a-file/deeper/e.sqlite3 cannot be created: "
            f"{tmp_path}/a-file is not a directory",
        ),
        ConfigProblem(f"{path}:4:9", f"s3Root: {tmp_path}/a-file is not a directory"),
        ConfigProblem(
            f"{path}:7:16",
            f"datasetGroups[0].seedUsers: {tmp_path}/latin1.csv is not UTF-8 text (line 3)",
        ),
        ConfigProblem(
            f"{path}:9:16",
            f"datasetGroups[1].seedUsers: {tmp_path}/headerless.csv has no USER_ID header: "
            "its first line must name the columns, USER_ID among them",
        ),
        ConfigProblem(
            f"{path}:11:16",
            f"datasetGroups[2].seedUsers: {tmp_path}/empty.csv has no USER_ID header: "
            "its first line must name the columns, USER_ID among them",
        ),
    ]
    assert not any("person-0042" in message for _, message in problems)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == tuple(problems)
    assert str(info.value).splitlines() == [f"{where}: {what}" for where, what in problems]


def test_a_seed_file_the_csv_reader_refuses(tmp_path: Path) -> None:
    (tmp_path / "seed.csv").write_text("USER_ID\nu1\n" + "u" * 200_000 + "\n")
    path = settings_file(tmp_path, {"a": f"{tmp_path}/seed.csv"})
    assert [message for _, message in check_config_file(path)] == [
        f"datasetGroups[0].seedUsers: {tmp_path}/seed.csv is not a CSV file (line 3)"
    ]


def test_what_does_not_exist_yet_is_fine(tmp_path: Path) -> None:
    path = settings_file(
        tmp_path, {}, database=f"{tmp_path}/new/dirs/e.sqlite3", s3Root=f"{tmp_path}/no-input"
    )
    assert check_config_file(path) == []
    assert load_config(path).s3_root == tmp_path / "no-input"
    assert check_config_file(REPO / "example-data" / "emulator.yaml") == []


@unless_root
def test_files_this_process_may_not_use(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("USER_ID\nu1\n")
    (tmp_path / "secret.csv").chmod(0)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0o500)
    path = settings_file(
        tmp_path, {"a": f"{tmp_path}/secret.csv"}, database=f"{tmp_path}/locked/e.sqlite3"
    )
    assert check_config_file(path) == [
        ConfigProblem(
            f"{path}:3:11",
            f"database: {tmp_path}/locked/e.sqlite3 cannot be created: "
            f"{tmp_path}/locked is not writable",
        ),
        ConfigProblem(
            f"{path}:6:16",
            f"datasetGroups[0].seedUsers: {tmp_path}/secret.csv cannot be read: Permission denied",
        ),
    ]


def test_files_this_process_may_not_use_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same refusals where the operating system is made to say no (root is never told)."""
    (tmp_path / "secret.csv").write_text("USER_ID\nu1\n")
    (tmp_path / "locked").mkdir()
    (tmp_path / "e.sqlite3").write_bytes(b"")
    real_access, real_open = os.access, Path.open

    def access(path: os.PathLike[str] | str, mode: int) -> bool:
        return Path(path).name not in {"locked", "e.sqlite3"} and real_access(path, mode)

    def open_(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == "secret.csv":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(Path, "open", open_)
    for database, why in (
        ("locked/e.sqlite3", "cannot be created: {tmp}/locked is not writable"),
        ("e.sqlite3", "cannot be written: permission denied"),
    ):
        path = settings_file(
            tmp_path, {"a": f"{tmp_path}/secret.csv"}, database=f"{tmp_path}/{database}"
        )
        assert [str(problem) for problem in check_config_file(path)] == [
            f"{path}:3:11: database: {tmp_path}/{database} " + why.format(tmp=tmp_path),
            f"{path}:6:16: datasetGroups[0].seedUsers: {tmp_path}/secret.csv cannot be read: "
            "Permission denied",
        ]


def test_file_level_problems_have_the_file_as_their_location(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text("- 1\n")
    [problem] = check_config_file(tmp_path / "list.yaml")
    assert problem.location == str(tmp_path / "list.yaml")
    [problem] = check_config_file(tmp_path / "absent.yaml")
    assert problem == (
        str(tmp_path / "absent.yaml"),
        "cannot read the emulator settings: No such file or directory",
    )


def test_the_service_still_refuses_a_seed_file_it_was_given_directly(tmp_path: Path) -> None:
    (tmp_path / "seed.csv").write_bytes(b"USER_ID\n\xff\n")
    config = EmulatorConfig(
        database=tmp_path / "e.sqlite3",
        s3_root=tmp_path,
        dataset_groups=[{"arn": f"{GROUP}g", "seed_users": tmp_path / "seed.csv"}],
    )
    with pytest.raises(EmulatorError) as info:
        EmulatorService(config)
    assert str(info.value) == f"the seed file {tmp_path}/seed.csv is not UTF-8 text (line 2)"


def test_checking_loads_neither_botocore_nor_sqlite_nor_the_service(tmp_path: Path) -> None:
    (tmp_path / "seed.csv").write_text("USER_ID\nu1\n")
    path = settings_file(tmp_path, {"a": f"{tmp_path}/seed.csv"})
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from reconciler.emulator.config import check_config_file
        assert check_config_file(Path({str(path)!r})) == []
        print("\\n".join(sorted(sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    loaded = result.stdout.split()
    assert "yaml" in loaded  # the file was read
    forbidden = ("botocore", "boto3", "sqlite3", "_sqlite3")
    assert [m for m in loaded if m.split(".")[0] in forbidden] == []
    emulator = sorted(m for m in loaded if m.startswith("reconciler."))
    assert emulator == [
        "reconciler.emulator",
        "reconciler.emulator.config",
        "reconciler.emulator.errors",
        "reconciler.emulator.inputs",
        "reconciler.userrows",  # the row checker the inputs share with preflight (stdlib only)
    ]
