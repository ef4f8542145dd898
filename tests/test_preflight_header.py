"""The header check of preflight, one file at a time, on the emulator's directory reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.preflight import check_location
from reconciler.providers.inputs import DirectoryInputs

GOOD = ["USER_ID\nu1\n", '"USER_ID"\nu1\n', "\ufeffUSER_ID\r\nu1\r\n", " USER_ID \nu1\n"]
BAD = ['"USER_ID\nu1\n', "USER_ID,ITEM_ID\nu1,i1\n", "u1\nu2\n", "USER_ID;x\nu1\n"]


def findings(tmp_path: Path, text: str) -> list[tuple[bool, str]]:
    (tmp_path / "b").mkdir(exist_ok=True)
    (tmp_path / "b" / "k.csv").write_text(text, encoding="utf-8")
    return check_location("s3://b/k.csv", "eu-west-1", DirectoryInputs(tmp_path), 1 << 20)


@pytest.mark.parametrize("text", GOOD)
def test_a_file_that_starts_with_the_header_passes(tmp_path: Path, text: str) -> None:
    assert findings(tmp_path, text) == []


@pytest.mark.parametrize("text", BAD)
def test_any_other_first_line_is_refused_without_quoting_it(tmp_path: Path, text: str) -> None:
    assert findings(tmp_path, text) == [
        (True, "s3://b/k.csv: the first line is not the header USER_ID")
    ]


@pytest.mark.parametrize(
    "text",
    [
        'USER_ID\n"u,1"\n"u""2"\n',  # a comma or a doubled quote inside quotes: one column
        "USER_ID\n\n   \r\nu1\r\n",  # blank rows, CRLF ends
        "USER_ID\n" + "u\n" * 2043 + "x" + "\u00e9" * 10 + "\n",  # "é" across a 4 KiB boundary
        "USER_ID\nu1",  # no newline at the end
    ],
    ids=["quoted", "blank", "multibyte", "no-final-newline"],
)
def test_rows_of_one_user_id_pass(tmp_path: Path, text: str) -> None:
    assert findings(tmp_path, text) == []


def test_a_bad_row_past_the_first_kilobytes_is_found(tmp_path: Path) -> None:
    """The whole file is read: a bad row anywhere is refused (the first 4 KiB used to be all)."""
    text = "USER_ID\n" + "u\n" * 300_000 + "u1,u2\n"
    assert findings(tmp_path, text) == [
        (True, "s3://b/k.csv: row 300002 is not a USER_ID row: it has more than one column")
    ]


def test_a_header_alone_is_a_warning_and_an_empty_file_an_error(tmp_path: Path) -> None:
    assert findings(tmp_path, "USER_ID\n") == [
        (
            False,
            "s3://b/k.csv: has no data rows (only the USER_ID header): its job would delete nobody",
        )
    ]
    assert findings(tmp_path, "") == [(True, "s3://b/k.csv: the file is empty: no header USER_ID")]
