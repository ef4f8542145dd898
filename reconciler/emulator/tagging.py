"""Tags of the emulator's resources, as the service keeps them: TagResource, UntagResource,
ListTagsForResource, and the tags given to a Create.

Tags are stored in the `tags` column of `dataset_groups`, `jobs` and `resources` (see `store`; a
schema has none: CreateSchema takes no tags), a JSON list of {tagKey, tagValue} in the order
they were first set. The service's rules, beyond the model's
shapes (checked before any of this, by `validation`):
- a resource has at most `MAX_TAGS` tags: a Create or TagResource that would leave it with more
  is TooManyTagsException, and changes nothing;
- TagResource sets the value of a key the resource has already;
- an UntagResource names at most `MAX_TAGS` keys (TooManyTagKeysException); keys the resource
  does not have are ignored;
- a key that starts with `aws:` (reserved for AWS), or a key given twice in one request, is
  InvalidInputException;
- an ARN of another account or region, of another kind of resource, or of no resource is
  ResourceNotFoundException.
Keys and values are never echoed in a message: the model marks them sensitive.
"""

from __future__ import annotations

import json
import sqlite3

from reconciler.emulator.errors import ServiceError, invalid_input, not_found

MAX_TAGS = 50
RESERVED_PREFIX = "aws:"
_TABLES = {
    "dataset-group": "dataset_groups",
    "data-deletion-job": "jobs",
    "dataset": "resources",
    "dataset-import-job": "resources",
    "solution": "resources",  # and a solution version: solution/NAME/VERSION_ID
    "batch-inference-job": "resources",
    "batch-segment-job": "resources",
    "campaign": "resources",
}

Tags = list[dict[str, str]]


def checked(tags: Tags) -> Tags:
    """The `tags` of a Create or TagResource request (valid for the model), once the service's
    rules hold."""
    _check_keys([tag["tagKey"] for tag in tags], "tags", "tagKey")
    if len(tags) > MAX_TAGS:
        raise _too_many(len(tags))
    return [{"tagKey": tag["tagKey"], "tagValue": tag["tagValue"]} for tag in tags]


def list_tags(conn: sqlite3.Connection, arn: str, region: str, account: str) -> Tags:
    table = _table(arn)
    row = conn.execute(
        f"SELECT tags FROM {table} WHERE arn = ? AND region = ? AND account = ?",
        (arn, region, account),
    ).fetchone()
    if row is None:
        raise not_found(f"Could not find resource with ARN {arn}")
    tags: Tags = json.loads(row["tags"])
    return tags


def tag(conn: sqlite3.Connection, arn: str, region: str, account: str, new: Tags) -> None:
    new = checked(new)
    tags = {t["tagKey"]: t["tagValue"] for t in list_tags(conn, arn, region, account)}
    tags |= {t["tagKey"]: t["tagValue"] for t in new}
    if len(tags) > MAX_TAGS:
        raise _too_many(len(tags))
    _store(conn, arn, tags)


def untag(conn: sqlite3.Connection, arn: str, region: str, account: str, keys: list[str]) -> None:
    _check_keys(keys, "tagKeys", None)
    if len(keys) > MAX_TAGS:
        raise ServiceError(
            "TooManyTagKeysException",
            f"The request names {len(keys)} tag keys; at most {MAX_TAGS} can be removed at once.",
        )
    tags = {t["tagKey"]: t["tagValue"] for t in list_tags(conn, arn, region, account)}
    _store(conn, arn, {k: v for k, v in tags.items() if k not in set(keys)})


def _store(conn: sqlite3.Connection, arn: str, tags: dict[str, str]) -> None:
    body = json.dumps([{"tagKey": k, "tagValue": v} for k, v in tags.items()])
    conn.execute(f"UPDATE {_table(arn)} SET tags = ? WHERE arn = ?", (body, arn))


def _table(arn: str) -> str:
    """The table of the resource the ARN names (arn:PARTITION:personalize:REGION:ACCOUNT:KIND/…)."""
    kind = arn.split(":", 5)[-1].partition("/")[0]
    if kind not in _TABLES:
        raise not_found(f"Could not find resource with ARN {arn}")
    return _TABLES[kind]


def _check_keys(keys: list[str], member: str, field: str | None) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    for i, key in enumerate(keys, start=1):
        where = f"{member}.{i}.member" + (f".{field}" if field else "")
        if key.lower().startswith(RESERVED_PREFIX):
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: Tag keys must not start "
                f"with the reserved prefix '{RESERVED_PREFIX}'"
            )
        elif key in seen:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: Tag keys must be unique "
                "within a request"
            )
        seen.add(key)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise invalid_input(f"{count} validation {noun} detected: " + "; ".join(problems))


def _too_many(count: int) -> ServiceError:
    return ServiceError(
        "TooManyTagsException",
        f"The resource would have {count} tags; a resource can have at most {MAX_TAGS} tags.",
    )
