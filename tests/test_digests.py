"""Counting an input's user rows and digesting it as a stream, whatever the chunks."""

from __future__ import annotations

import hashlib

import pytest

from reconciler.providers.inputs import Tally

CASES = {
    "USER_ID\nu1\nu2\n": 2,
    "USER_ID\r\nu1\r\nu2": 2,  # CRLF, no final newline
    "USER_ID\n\nu1\n   \nu2\n\n": 2,  # blank lines are not rows
    "USER_ID\n": 0,
    "": 0,
}


@pytest.mark.parametrize("size", [1, 3, 1 << 20])
@pytest.mark.parametrize(("text", "rows"), CASES.items())
def test_rows_and_digest_do_not_depend_on_the_chunks(text: str, rows: int, size: int) -> None:
    data = text.encode()
    tally = Tally()
    for start in range(0, len(data), size):
        tally.feed(data[start : start + size])
    assert tally.result() == (hashlib.sha256(data).hexdigest(), rows, len(data))
