"""The one row checker preflight and the emulator share: rows counted and problems found the
same whatever the chunks, the first problem by its row number, never its contents."""

from __future__ import annotations

import pytest

from reconciler.userrows import MAX_VALUE, UserRows


def read(data: bytes, size: int, *, collect: bool = False) -> UserRows:
    rows = UserRows(collect=collect)
    for start in range(0, len(data), size):
        if not rows.feed(data[start : start + size]):
            break
    rows.end()
    return rows


COUNTS = {  # moved from the digests' tests: a row is a non-blank line after the header
    "USER_ID\nu1\nu2\n": 2,
    "USER_ID\r\nu1\r\nu2": 2,  # CRLF, no final newline
    "USER_ID\n\nu1\n   \nu2\n\n": 2,  # blank lines are not rows
    "USER_ID\n": 0,
    'USER_ID\n""\n"u,1"\n': 1,  # an empty quoted value is blank
}


@pytest.mark.parametrize("size", [1, 3, 7, 1 << 20])
@pytest.mark.parametrize(("text", "count"), COUNTS.items())
def test_rows_and_bytes_do_not_depend_on_the_chunks(text: str, count: int, size: int) -> None:
    rows = read(text.encode(), size)
    assert (rows.problem, rows.rows, rows.bytes) == (None, count, len(text.encode()))


PROBLEMS = {  # the file (after a good header and row 2) -> what is said of row 3
    "u1,u2\n": "it has more than one column",
    '"u1\nu2\n': "a quote in it is not closed",
    "u\x001\n": "it holds a NUL byte",
    "u1\ru2\n": "it holds a carriage return that does not end it",
    "\xff\n": "it is not UTF-8 text",
    "x" * (MAX_VALUE + 1) + "\n": f"its USER_ID is longer than {MAX_VALUE} characters",
    "x" * 9000 + "\n": "it is longer than 8192 bytes: more than one USER_ID can be",
}


@pytest.mark.parametrize("size", [1, 5, 1 << 20])
@pytest.mark.parametrize(("row", "said"), PROBLEMS.items(), ids=range(len(PROBLEMS)))
def test_the_first_bad_row_is_named_by_number_and_why(row: str, said: str, size: int) -> None:
    data = b"USER_ID\nok-1\n" + row.encode("latin-1") + b"u9,u9\n"
    rows = read(data, size)
    assert str(rows.problem) == f"row 3 is not a USER_ID row: {said}"
    assert "u1" not in str(rows.problem)


def test_a_value_of_the_longest_length_passes_and_one_more_does_not() -> None:
    longest = "é" * MAX_VALUE  # characters, not bytes
    assert read(f"USER_ID\n{longest}\n".encode(), 100).problem is None
    assert read(f'USER_ID\n"{longest}"\n'.encode(), 100).problem is None
    assert read(f"USER_ID\n{longest}x\n".encode(), 100).problem is not None


def test_the_values_are_collected_for_the_emulator() -> None:
    data = b'USER_ID\r\nu1\r\n"u""2"\r\n  u3  \r\n\r\n'
    for size in (1, 4, 100):
        rows = UserRows(collect=True)
        found: list[str] = []
        for start in range(0, len(data), size):
            rows.feed(data[start : start + size])
            found += rows.take()
        rows.end()
        assert found + rows.take() == ["u1", 'u"2', "u3"]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "the file is empty: no header USER_ID"),
        (b"USER_ID,X\n", "the first line is not the header USER_ID"),
        (b"\xffUSER_ID\n", "the first line is not UTF-8 text"),
        (b"u" * 9000, "the first line is not the header USER_ID (it is longer than a header)"),
    ],
)
def test_header_problems(data: bytes, said: str) -> None:
    assert str(read(data, 64).problem) == said
