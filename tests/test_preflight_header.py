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
    return check_location("s3://b/k.csv", "eu-west-1", DirectoryInputs(tmp_path), 10_000)


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
        "USER_ID\n" + "u\n" * 2043 + "x" + "\u00e9" * 10 + "\n",  # the read cuts "é" in two
        "USER_ID\n" + "u\n" * 2043 + '"u2,\n',  # the read ends before the quote could close
        "USER_ID\n" + "u\n" * 2100 + "u1,u2\n",  # past the bytes read: the service's to find
    ],
    ids=["quoted", "blank", "cut-character", "cut-quote", "past-the-read"],
)
def test_rows_of_one_user_id_pass_and_a_row_cut_short_is_read_as_far_as_it_goes(
    tmp_path: Path, text: str
) -> None:
    assert findings(tmp_path, text) == []
