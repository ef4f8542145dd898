"""Where a job may read its users from: the rules of `dataSource.dataLocation` beyond the
service's own pattern, checked before a job is created, because a job whose location the service
cannot read FAILS and its name is used up for good.

An `s3://` location names one file, `s3://BUCKET/KEY.csv`, or a prefix, `s3://BUCKET/PREFIX/`
(every .csv below it). BUCKET follows S3's rules for general purpose bucket names: 3 to 63
characters of lowercase letters, digits, `.` and `-`; a letter or digit first and last; no two
periods in a row; not formatted as an IP address; none of the prefixes and suffixes S3 reserves.

The `.csv` suffix is matched in any case (`users.CSV` passes): S3 keys are case-sensitive, so
`users.CSV` and `users.csv` are two objects and the manifest must spell the key as it is
stored; a check that refused `.CSV` could only send the job to another, likely missing, object.
`http://` and `https://` locations are left to the service's own pattern.

`SCHEMA_PATTERN` says the same for editors, as one JSON Schema (ECMA-262) pattern; the checks
here are the authority, and a test keeps the two in agreement.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

S3 = "s3://"
BUCKET_LENGTH = (3, 63)
# prefix -> why S3 reserves it (shown after "which S3 reserves")
RESERVED_PREFIXES: dict[str, str] = {
    "xn--": " for internationalized domain names",
    "sthree-": "",
    "amzn-s3-demo-": " for the examples of its documentation",
}
# suffix -> (what S3 reserves it for, what to write instead)
RESERVED_SUFFIXES: dict[str, tuple[str, str]] = {
    "-s3alias": ("access point aliases", "use the bucket's own name"),
    "--ol-s3": ("Object Lambda Access Point aliases", "use the bucket's own name"),
    ".mrap": ("Multi-Region Access Points", "use the bucket's own name"),
    "--x-s3": ("directory buckets", "use a general purpose bucket"),
    "--table-s3": ("table buckets", "use a general purpose bucket"),
}
EXPECTED = "use s3://BUCKET/KEY.csv for one file, or s3://BUCKET/PREFIX/ for every .csv under it"

_IP_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _alternatives(words: Iterable[str]) -> str:
    """`a|b` of literal words of letters, digits, '-' and '.' (ECMA-262 with the `u` flag, as
    editors read patterns, refuses the escape `\\-` that `re.escape` writes)."""
    return "|".join(w.replace(".", "\\.") for w in words)


SCHEMA_PATTERN = (
    r"^(?:https?://.+|s3://"
    rf"(?!{_alternatives(RESERVED_PREFIXES)})"
    r"(?!\d{1,3}(?:\.\d{1,3}){3}/)"
    r"(?![^/]*\.\.)"
    rf"(?![^/]*(?:{_alternatives(RESERVED_SUFFIXES)})/)"
    rf"(?=[^/]{{{BUCKET_LENGTH[0]},{BUCKET_LENGTH[1]}}}/)"
    r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
    r"/(?:.*/|.*\.[cC][sS][vV]))$"
)


_READABLE = re.compile(SCHEMA_PATTERN, re.ASCII)  # the schema's pattern: a quick yes for most


def location_problem(location: str) -> str | None:
    """What is wrong with an `s3://` location and what to write instead (with a "did you mean"
    where the fix is plain), or None when nothing is (and for every other scheme)."""
    if not location.startswith(S3) or _READABLE.fullmatch(location):
        return None
    bucket, _, key = location[len(S3) :].partition("/")
    if not bucket or not key:
        return (
            "an s3 dataLocation needs a bucket and a key: s3://BUCKET/KEY.csv, or "
            "s3://BUCKET/PREFIX/ for every .csv under the prefix"
        )
    problems = bucket_problems(bucket)
    if problems:
        fixed = _fixed_bucket(bucket)
        buckets = [fixed] if fixed else []
    else:
        buckets = [bucket]
    key_problem, keys = _key_problem(location, key)
    if key_problem:
        problems.append(key_problem)
    else:
        keys = [key]
    if not problems:
        return None
    suggestions = [f"{S3}{b}/{k}" for b in buckets for k in keys]
    shown = " or ".join(repr(s) for s in suggestions)
    return "; ".join(problems) + (f" (did you mean {shown}?)" if suggestions else "")


def bucket_problems(bucket: str) -> list[str]:
    """Each way `bucket` breaks S3's rules for general purpose bucket names, in words."""
    problems: list[str] = []
    low, high = BUCKET_LENGTH
    if len(bucket) < low:
        problems.append(
            f"bucket {bucket!r} is too short: S3 bucket names are {low} to {high} characters long"
        )
    elif len(bucket) > high:
        problems.append(
            f"bucket {bucket!r} is too long ({len(bucket)} characters): S3 bucket names are "
            f"{low} to {high} characters long"
        )
    wrong = _wrong_characters(bucket)
    if wrong:
        problems.append(
            f"bucket {bucket!r} has {wrong}: S3 bucket names use only lowercase letters, digits, "
            "'.' and '-'"
        )
        return problems  # the rules below are about names of the right characters
    ends = [
        f"{where} with {char!r}"
        for where, char in (("begins", bucket[0]), ("ends", bucket[-1]))
        if not char.isalnum()
    ]
    if ends:
        problems.append(
            f"bucket {bucket!r} {' and '.join(ends)}: S3 bucket names begin and end with a "
            "lowercase letter or digit"
        )
    if ".." in bucket:
        problems.append(
            f"bucket {bucket!r} has two periods in a row: S3 bucket names separate their parts "
            "with single periods"
        )
    if _IP_ADDRESS.fullmatch(bucket):
        problems.append(
            f"bucket {bucket!r} is formatted as an IP address, which S3 bucket names cannot "
            "be: name the bucket, not a server"
        )
    for prefix, why in RESERVED_PREFIXES.items():
        if bucket.startswith(prefix):
            problems.append(
                f"bucket {bucket!r} starts with {prefix!r}, which S3 reserves{why}: no general "
                "purpose bucket has such a name"
            )
    for suffix, (reserved_for, instead) in RESERVED_SUFFIXES.items():
        if bucket.endswith(suffix):
            problems.append(
                f"bucket {bucket!r} ends with {suffix!r}, which S3 reserves for {reserved_for}: "
                f"{instead}"
            )
    return problems


def _wrong_characters(bucket: str) -> str:
    """The characters of `bucket` that bucket names cannot hold, as words ('' when none)."""
    shown: list[str] = []
    for char in bucket:
        if char in _ALLOWED:
            continue
        if char.isascii() and char.isupper():
            word = "uppercase letters"
        else:
            word = "spaces" if char == " " else repr(char)
        if word not in shown:
            shown.append(word)
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return "".join(shown)


def _fixed_bucket(bucket: str) -> str | None:
    """The bucket name meant, where the mistake is plain: case, '_' for '-', a doubled period."""
    fixed = bucket.lower().replace("_", "-")
    while ".." in fixed:
        fixed = fixed.replace("..", ".")
    return fixed if fixed != bucket and not bucket_problems(fixed) else None


def _key_problem(location: str, key: str) -> tuple[str | None, list[str]]:
    """What is wrong with the key (None when it names a prefix or a .csv file), and the keys
    that were likely meant."""
    if key.endswith("/"):
        return None, []
    name = key.rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() == "csv":
        return None, []
    if not dot:
        return (
            f"{location!r} is neither one .csv file nor a prefix: end it with / for a prefix "
            "or .csv for one file",
            [f"{key}/", f"{key}.csv"],
        )
    near = suffix.lower() != "tsv" and bool(difflib.get_close_matches(suffix.lower(), ["csv"]))
    meant = [key[: len(key) - len(name)] + f"{stem}.csv"] if near else []
    return (
        f"{location!r} is not a .csv file: the service reads USER_IDs from CSV files only; "
        f"{EXPECTED}",
        meant,
    )
