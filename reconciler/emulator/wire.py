"""The emulator's answers on the wire: paginated listings and the JSON of groups and jobs.

Listings are newest first. A `nextToken` is base64 JSON naming the listing it belongs to and the
last item returned, so a page stays correct when jobs are created between calls; a token that
cannot be read, or that belongs to another listing, is InvalidNextTokenException.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from typing import Any

from reconciler.emulator.errors import ServiceError

DEFAULT_PAGE = 100


def page(
    conn: sqlite3.Connection,
    table: str,
    where: str,
    scope: dict[str, Any],
    params: dict[str, Any],
) -> tuple[list[sqlite3.Row], str | None]:
    """One page, newest first; the token is where the page ended (stable under new inserts)."""
    limit = int(params.get("maxResults") or DEFAULT_PAGE)
    listing = hashlib.sha256(json.dumps([table, scope], sort_keys=True).encode()).hexdigest()[:16]
    args = {**scope, "limit": limit + 1}
    if params.get("nextToken"):
        args |= _decode_token(params["nextToken"], listing)
        where += " AND (created < :created OR (created = :created AND arn < :arn))"
    rows = conn.execute(
        f"SELECT * FROM {table} WHERE {where} ORDER BY created DESC, arn DESC LIMIT :limit", args
    ).fetchall()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    token = json.dumps({"listing": listing, "created": last["created"], "arn": last["arn"]})
    return rows[:limit], base64.urlsafe_b64encode(token.encode()).decode()


def _decode_token(token: str, listing: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["listing"] != listing:
            raise ValueError("a token of another listing")
        return {"created": float(data["created"]), "arn": str(data["arn"])}
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise ServiceError("InvalidNextTokenException", "The nextToken is not valid.") from None


def with_token(body: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        body["nextToken"] = token
    return body


def group_json(row: sqlite3.Row, *, summary: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": row["name"],
        "datasetGroupArn": row["arn"],
        "status": row["status"],
        "creationDateTime": row["created"],
        "lastUpdatedDateTime": row["created"],
    }
    if row["domain"]:
        body["domain"] = row["domain"]
    if not summary:
        for key, column in (("roleArn", "role_arn"), ("kmsKeyArn", "kms_key_arn")):
            if row[column]:
                body[key] = row[column]
    return body


def job_json(row: sqlite3.Row, *, summary: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dataDeletionJobArn": row["arn"],
        "datasetGroupArn": row["dataset_group_arn"],
        "jobName": row["name"],
        "status": row["status"],
        "creationDateTime": row["created"],
        "lastUpdatedDateTime": row["last_updated"],
    }
    if row["failure_reason"]:
        body["failureReason"] = row["failure_reason"]
    if not summary:
        body["dataSource"] = {"dataLocation": row["data_location"]}
        body["roleArn"] = row["role_arn"]
        if row["num_deleted"] is not None:
            body["numDeleted"] = row["num_deleted"]
    return body
