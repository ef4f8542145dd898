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
