"""Preflight: what the service would FAIL a job for, found before the job is created.

A deletion job whose input is missing, too large or has the wrong header is accepted by the
service and FAILS hours later, and its name can never be used again. For every job a plan would
create or retry, its input is read where the service will read it (`InputReader`: S3, or the
emulator's directory):

- `s3://BUCKET/KEY.csv`: the object exists (HeadObject); `s3://BUCKET/PREFIX/`: at least one
  `.csv` object under the prefix, recursively (ListObjectsV2, every page);
- all of it together is at most `preflight.maxInputBytes`;
- each file's first line is the header `USER_ID` (a ranged GET of its first `HEAD_BYTES`); a
  file with no data rows is a warning;
- every row in those bytes is blank or one USER_ID, as the service reads them: a row with more
  than one column (a comma outside quotes), a quote it does not close, a NUL, a carriage return
  that does not end it, or bytes that are not UTF-8 refuses the job. A row the read cuts short is
  checked as far as it was read. Rows past the first `HEAD_BYTES` are not read here.

A file's contents are never quoted: a wrong header is "the first line is not the header
USER_ID" (in a file without one, the first line is a user ID), a wrong row is named by its number
(the header is row 1). Each location is read once, however many jobs name it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reconciler.models import DatasetGroupRef
from reconciler.planning.model import Change
from reconciler.providers.inputs import InputDenied, InputError, InputObject, InputReader

HEAD_BYTES = 4096  # read of each file: its header line and whether a row follows


@dataclass(frozen=True)
class Finding:
    """What preflight found of one job's input: an error refuses the job, a warning is said."""

    address: str
    error: bool
    message: str


def preflight(changes: Iterable[Change], reader: InputReader, max_bytes: int) -> list[Finding]:
    """The findings of the inputs of every change that creates a job."""
    checked: dict[str, list[tuple[bool, str]]] = {}
    findings: list[Finding] = []
    for change in changes:
        if not change.creates or change.desired is None:
            continue
        location = change.desired.data_location
        region = DatasetGroupRef.parse(change.dataset_group_arn).region
        if location not in checked:
            checked[location] = check_location(location, region, reader, max_bytes)
        findings += [Finding(change.address, error, text) for error, text in checked[location]]
    return findings


def preflight_errors(reader: InputReader, max_bytes: int) -> Callable[[str, str], list[str]]:
    """What refuses an input now, as a function of (location, region): what apply asks just
    before each create (a queued one waited, and its input may have gone meanwhile)."""

    def errors(location: str, region: str) -> list[str]:
        return [
            text for error, text in check_location(location, region, reader, max_bytes) if error
        ]

    return errors


def check_location(
    location: str, region: str, reader: InputReader, max_bytes: int
) -> list[tuple[bool, str]]:
    """(is it an error, what) of everything wrong with the input at `location`."""
    if not location.startswith("s3://"):
        return [(False, f"{location}: preflight reads only s3:// locations; not checked")]
    bucket, _, key = location.removeprefix("s3://").partition("/")
    try:
        return _check(location, bucket, key, region, reader, max_bytes)
    except InputDenied as exc:
        return [
            (
                True,
                f"{exc}. The job's role may be able to read what these credentials cannot: "
                f"grant {exc.permission} to them, or plan with --skip-preflight",
            )
        ]
    except InputError as exc:
        return [(True, f"{exc}; try again, or plan with --skip-preflight")]


def _check(
    location: str, bucket: str, key: str, region: str, reader: InputReader, max_bytes: int
) -> list[tuple[bool, str]]:
    if key.endswith("/"):
        objects = reader.csv_under(bucket, key, region)
        if not objects:
            return [(True, f"{location}: no .csv object under the prefix (ListObjectsV2)")]
    else:
        size = reader.size(bucket, key, region)
        if size is None:
            return [(True, f"{location} does not exist (HeadObject)")]
        objects = [InputObject(key=key, size=size)]
    found: list[tuple[bool, str]] = []
    total = sum(o.size for o in objects)
    if total > max_bytes:
        files = f" in {len(objects)} files" if len(objects) > 1 else ""
        found.append(
            (
                True,
                f"{location} holds {total} bytes{files}, over preflight.maxInputBytes "
                f"({max_bytes}): split it into jobs of at most {max_bytes} bytes",
            )
        )
    for item in objects:
        if item.size == 0:  # no bytes to read (S3 refuses a ranged GET of an empty object)
            found.append((True, f"s3://{bucket}/{item.key}: the file is empty: no header USER_ID"))
            continue
        problem = _header_problem(reader.first_bytes(bucket, item.key, region, HEAD_BYTES), item)
        if problem is not None:
            error, why = problem
            found.append((error, f"s3://{bucket}/{item.key}: {why}"))
    return found


def _header_problem(head: bytes, item: InputObject) -> tuple[bool, str] | None:
    """What is wrong with a file that begins with `head` (never quoting any of it)."""
    line, newline, rest = head.partition(b"\n")
    if not newline and item.size > len(head):
        return True, "the first line is not the header USER_ID (it is longer than a header)"
    try:
        text = line.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return True, "the first line is not UTF-8 text"
    if text.strip() not in ("USER_ID", '"USER_ID"'):  # one column, quoted or not; nothing else
        return True, "the first line is not the header USER_ID"
    bad = first_bad_row(rest, whole=item.size <= len(head))
    if bad is not None:
        number, why = bad
        return True, f"row {number} is not a USER_ID row: {why}"
    if item.size <= len(head) and not rest.strip():
        return False, "has no data rows (only the USER_ID header): its job would delete nobody"
    return None


def first_bad_row(rows: bytes, *, whole: bool) -> tuple[int, str] | None:
    """The number of the first of `rows` (the bytes after the header line: row 2 on) that is
    neither blank nor one USER_ID, and why; None where each is. `whole` False: the file goes on,
    and the last row, cut short, is checked as far as it goes."""
    lines = rows.split(b"\n")
    for number, line in enumerate(lines, start=2):
        why = _row_problem(line, complete=whole or number < len(lines) + 1)
        if why is not None:
            return number, why
    return None


def _row_problem(line: bytes, *, complete: bool) -> str | None:
    """Why one line is not a USER_ID row (CRLF ends allowed), or None; never quoting it."""
    line = line.removesuffix(b"\r")
    if b"\0" in line:
        return "it holds a NUL byte"
    if b"\r" in line:
        return "it holds a carriage return that does not end it"
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(line, final=complete)
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    quoted = False
    index = 0
    while index < len(text):  # a CSV field: quoted only where a quote opens it
        char = text[index]
        if quoted and char == '"':
            if text.startswith('"', index + 1):
                index += 1  # "" inside quotes is one quote
            else:
                quoted = False
        elif not quoted and char == '"' and index == 0:
            quoted = True
        elif not quoted and char == ",":
            return "it has more than one column"
        index += 1
    if quoted and complete:
        return "a quote in it is not closed"
    return None
