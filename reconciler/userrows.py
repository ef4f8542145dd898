"""The rows of a deletion job's input, as the service reads them: one checker, fed in chunks,
for preflight (which refuses a job before it is created) and for the emulator (which FAILs it).

A file is UTF-8 (a BOM allowed), its first line the header `USER_ID` alone (quoted or not,
spaces around it allowed), then rows: a row (the header is row 1) is blank, or one USER_ID of at
most `MAX_VALUE` characters. A row with more than one column (a comma outside quotes), a quote
it does not close (a quote opens only as the row's first character), a NUL, a carriage return
that does not end it, or bytes that are not UTF-8 is the file's problem: the first one found is
kept, by its row number and what is wrong, never any of its contents (they are user IDs).

It is written for 100 MB inputs: a run of rows without quotes, commas, NULs or stray carriage
returns (nearly every file) is checked with a few bytes operations over the whole chunk; only a
chunk with one of those is read row by row. Nothing fed is kept but the last partial line, and a
line longer than `MAX_LINE_BYTES` is a problem without being kept whole.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import Enum

MAX_VALUE = 256  # characters of one USER_ID (Personalize's schemas allow no longer)
MAX_LINE_BYTES = 8192  # no row of one USER_ID of MAX_VALUE characters is longer than this
_BOM = b"\xef\xbb\xbf"
_SPECIAL = (b'"', b",", b"\0")
_SPACES = (b" ", b"\t", b"\r", b"\x0b", b"\x0c")  # what bytes.strip strips, but the newline


class Why(Enum):
    """What is wrong with a file, by kind (each says it in its own words)."""

    EMPTY = "the file is empty: no header USER_ID"
    HEADER = "the first line is not the header USER_ID"
    LONG_HEADER = "the first line is not the header USER_ID (it is longer than a header)"
    HEADER_NOT_UTF8 = "the first line is not UTF-8 text"
    COLUMNS = "it has more than one column"
    QUOTE = "a quote in it is not closed"
    NUL = "it holds a NUL byte"
    CR = "it holds a carriage return that does not end it"
    NOT_UTF8 = "it is not UTF-8 text"
    TOO_LONG = f"its USER_ID is longer than {MAX_VALUE} characters"
    LONG_LINE = f"it is longer than {MAX_LINE_BYTES} bytes: more than one USER_ID can be"


@dataclass(frozen=True)
class RowProblem:
    """The first thing wrong with a file: at which row (the header is 1) and what."""

    row: int
    why: Why
    columns: int = 0  # COLUMNS: how many the CSV reader finds in the row

    @property
    def header(self) -> bool:
        return self.row == 1

    def __str__(self) -> str:
        if self.header:
            return self.why.value
        return f"row {self.row} is not a USER_ID row: {self.why.value}"


class UserRows:
    """A file fed in chunks: its rows counted (`rows`: non-blank rows after the header), its
    bytes, and `problem`, the first thing wrong with it. `feed` returns the USER_IDs of the rows
    it completed when `collect` (the emulator deletes them), else nothing. Once a problem is
    found, the rest is not looked at: `feed` returns False from then on."""

    def __init__(self, *, collect: bool = False) -> None:
        self.collect = collect
        self.rows = 0
        self.bytes = 0
        self.problem: RowProblem | None = None
        self.values: list[str] = []  # the USER_IDs `feed` found (collect only), taken by `take`
        self._line = 1  # the number of the line `_carry` begins
        self._carry = b""

    def feed(self, chunk: bytes) -> bool:
        """Read `chunk`; False once the file has a problem (the reader may stop)."""
        self.bytes += len(chunk)
        if self.problem is not None:
            return False
        data = self._carry + chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._carry = data
            if len(data) > MAX_LINE_BYTES:
                self._fail(Why.LONG_HEADER if self._line == 1 else Why.LONG_LINE, self._line)
            return self.problem is None
        self._carry = data[end + 1 :]
        self._lines(data[:end])
        if self.problem is None and len(self._carry) > MAX_LINE_BYTES:
            self._fail(Why.LONG_HEADER if self._line == 1 else Why.LONG_LINE, self._line)
        return self.problem is None

    def end(self) -> RowProblem | None:
        """The file has ended: its last line (without a newline) read; the problem, if any."""
        if self.problem is None:
            if self.bytes == 0:
                self._fail(Why.EMPTY, 1)
            elif self._carry or self._line == 1:
                self._lines(self._carry)
            self._carry = b""
        return self.problem

    def take(self) -> list[str]:
        """The USER_IDs found since the last `take` (collect only)."""
        values, self.values = self.values, []
        return values

    def _fail(self, why: Why, row: int, columns: int = 0) -> None:
        if self.problem is None:
            self.problem = RowProblem(row, why, columns)

    def _lines(self, block: bytes) -> None:
        """Complete lines (without their last newline), starting at line `self._line`."""
        if self._line == 1:
            header, newline, block = block.partition(b"\n")
            self._header(header)
            self._line = 2
            if self.problem is not None or not newline:
                return
        lines = block.split(b"\n")
        if not self._fast(block, lines):
            for number, line in enumerate(lines, start=self._line):
                self._row(line, number)
                if self.problem is not None:
                    return
        self._line += len(lines)

    def _header(self, line: bytes) -> None:
        if len(line) > MAX_LINE_BYTES:
            self._fail(Why.LONG_HEADER, 1)
            return
        try:
            text = line.removeprefix(_BOM).decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            self._fail(Why.HEADER_NOT_UTF8, 1)
            return
        if text.strip() not in ("USER_ID", '"USER_ID"'):  # one column, nothing else
            self._fail(Why.HEADER, 1)

    def _fast(self, block: bytes, lines: list[bytes]) -> bool:
        """Whether `block` is only plain rows, counted (and collected) at once; False: it must
        be read row by row (it has a quote, comma, NUL, stray CR, a long value, bad UTF-8)."""
        if any(special in block for special in _SPECIAL):
            return False
        if block.count(b"\r") != block.count(b"\r\n") + (1 if block.endswith(b"\r") else 0):
            return False
        if max(map(len, lines)) > MAX_VALUE:  # bytes: a value may still be short enough
            return False
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if not self.collect and not any(space in block for space in _SPACES):
            self.rows += len(lines) - lines.count(b"")  # no line to strip: count the empty
            return True
        values = [line.strip() for line in lines]
        if self.collect:
            found = [value.decode("utf-8") for value in values if value]
            self.rows += len(found)
            self.values += found
        else:
            self.rows += len(values) - values.count(b"")
        return True

    def _row(self, line: bytes, number: int) -> None:
        if len(line) > MAX_LINE_BYTES:  # as when it came in chunks too small to hold it
            self._fail(Why.LONG_LINE, number)
            return
        line = line.removesuffix(b"\r")
        if b"\0" in line:
            self._fail(Why.NUL, number)
            return
        if b"\r" in line:
            self._fail(Why.CR, number)
            return
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(Why.NOT_UTF8, number)
            return
        value = _value(text)
        if isinstance(value, Why):
            columns = len(next(csv.reader([text]), [])) if value is Why.COLUMNS else 0
            self._fail(value, number, columns)
            return
        value = value.strip()
        if len(value) > MAX_VALUE:
            self._fail(Why.TOO_LONG, number)
        elif value:
            self.rows += 1
            if self.collect:
                self.values.append(value)


def _value(text: str) -> str | Why:
    """The one value of a CSV row (quotes undone), or why the row is not one value."""
    if "," not in text and '"' not in text:
        return text
    value: list[str] = []
    quoted = False
    index = 0
    while index < len(text):  # a CSV field: quoted only where a quote opens it
        char = text[index]
        if quoted and char == '"':
            if text.startswith('"', index + 1):
                value.append('"')  # "" inside quotes is one quote
                index += 1
            else:
                quoted = False
        elif not quoted and char == '"' and index == 0:
            quoted = True
        elif not quoted and char == ",":
            return Why.COLUMNS
        else:
            value.append(char)
        index += 1
    return Why.QUOTE if quoted else "".join(value)
