"""Reading a job's input as the service does: a CSV of USER_IDs, or every .csv under a prefix;
and the emulator's seed files (a CSV with a USER_ID column: one record per row).

`s3://BUCKET/KEY` is read from `S3_ROOT/BUCKET/KEY`. Failure reasons name locations, sizes and
row numbers, never the user IDs themselves (they are personal data).

A row (the header is row 1) is blank, or one USER_ID of at most 256 characters: more than one
column, a NUL, a quote left open, a carriage return that does not end its line or a longer value
FAILs the job, as does a file that is not UTF-8 or cannot be read. The rules are preflight's
(`reconciler.userrows`, the one checker both use), so a job preflight passes is not FAILed for
its rows here, and one it refuses would be.
Whatever is wrong with an input FAILs its job and nothing else: the emulator goes on serving.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from reconciler.emulator.errors import EmulatorError
from reconciler.userrows import MAX_LINE_BYTES, MAX_VALUE, RowProblem, UserRows, Why

CHUNK = 1 << 20  # bytes read at once


class InputFailure(Exception):
    """The job's input cannot be used; the message becomes the job's failureReason."""


def read_user_ids(data_location: str, s3_root: Path, max_bytes: int) -> set[str]:
    try:
        files = _resolve(data_location, s3_root)
        total = sum(path.stat().st_size for _, path in files)
        if total > max_bytes:
            raise InputFailure(
                f"Input data at {data_location} is {total} bytes; the maximum is {max_bytes} bytes."
            )
        user_ids: set[str] = set()
        for location, path in files:
            user_ids |= _read_csv(location, path)
    except OSError:  # a file that went away, or that may not be read
        raise InputFailure(f"Input data at {data_location} cannot be read.") from None
    return user_ids


def _resolve(data_location: str, s3_root: Path) -> list[tuple[str, Path]]:
    if not data_location.startswith("s3://"):
        raise InputFailure(f"Cannot read {data_location}: only s3:// data locations are read.")
    bucket, _, key = data_location[len("s3://") :].partition("/")
    root = s3_root.resolve()
    target = (root / bucket / key).resolve()
    if not bucket or not key or not target.is_relative_to(root / bucket):
        raise InputFailure(f"Input data not found at {data_location}.")
    if data_location.endswith("/"):
        found = sorted(p for p in target.rglob("*.csv") if p.is_file()) if target.is_dir() else []
        if not found:
            raise InputFailure(f"No .csv files found under {data_location}.")
        return [(f"s3://{bucket}/{p.relative_to(root / bucket).as_posix()}", p) for p in found]
    if not target.is_file():
        raise InputFailure(f"Input data not found at {data_location}.")
    return [(data_location, target)]


def _read_csv(location: str, path: Path) -> set[str]:
    """The USER_IDs of one input file, read as a stream, by the rows preflight checks
    (`reconciler.userrows`): the first bad row FAILs the job, in the service's words."""
    rows = UserRows(collect=True)
    user_ids: set[str] = set()
    with path.open("rb") as file:
        while (chunk := file.read(CHUNK)) and rows.feed(chunk):
            user_ids.update(rows.take())
    problem = rows.end()
    if problem is not None:
        raise InputFailure(_reason(location, problem))
    user_ids.update(rows.take())
    return user_ids


def _reason(location: str, problem: RowProblem) -> str:
    """The failureReason of a job whose input has `problem` (never quoting the file)."""
    why = problem.why
    if why in (Why.EMPTY, Why.HEADER, Why.LONG_HEADER):
        return f"Input file {location} must be a CSV file with a single USER_ID column header."
    if why in (Why.HEADER_NOT_UTF8, Why.NOT_UTF8):
        return f"Input file {location} is not UTF-8 text."
    said = {
        Why.COLUMNS: f"has {problem.columns} columns; expected only USER_ID",
        Why.NUL: "contains a NUL character",
        Why.QUOTE: "has a line break inside a quoted value (a quote is not closed)",
        Why.CR: "is not valid CSV: it has a carriage return that does not end the line",
        Why.TOO_LONG: f"has a USER_ID longer than {MAX_VALUE} characters",
        Why.LONG_LINE: f"is longer than {MAX_LINE_BYTES} bytes: more than one USER_ID can be",
    }[why]
    return f"Input file {location}: row {problem.row} {said}."


def read_seed_records(path: Path) -> list[str]:
    """The USER_ID of every row of a seed CSV (other columns are ignored): one record per row.
    A file that cannot be used is an EmulatorError (without any of its contents)."""
    try:
        return list(_seed_records(path))
    except _SeedProblem as problem:
        raise EmulatorError(f"the seed file {path} {problem}") from None


def seed_file_problem(path: Path) -> str | None:
    """Why the seed file at `path` cannot be used ("does not exist", "is not UTF-8 text (line
    3)"…, never quoting it: its lines are user IDs), or None where `read_seed_records` reads it.
    The file is read as a stream: a large one costs time, not memory."""
    try:
        for _ in _seed_records(path):
            pass
    except _SeedProblem as problem:
        return str(problem)
    return None


class _SeedProblem(Exception):
    pass


def _seed_records(path: Path) -> Iterator[str]:
    """A seed file is UTF-8 (a BOM allowed) CSV whose first line is a header naming USER_ID."""
    if path.is_dir():
        raise _SeedProblem("is a directory")
    try:
        with path.open("rb") as handle:
            rows = csv.reader(_decoded(handle))
            try:
                header = [name.strip() for name in next(rows, [])]
                if "USER_ID" not in header:
                    raise _SeedProblem(
                        "has no USER_ID header: its first line must name the columns, "
                        "USER_ID among them"
                    )
                column = header.index("USER_ID")
                for row in rows:
                    if len(row) > column and row[column].strip():
                        yield row[column].strip()
            except csv.Error:
                raise _SeedProblem(f"is not a CSV file (line {rows.line_num})") from None
    except FileNotFoundError:
        raise _SeedProblem("does not exist") from None
    except OSError as exc:
        raise _SeedProblem(f"cannot be read: {exc.strerror or exc}") from None


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise _SeedProblem(f"is not UTF-8 text (line {number})") from None
