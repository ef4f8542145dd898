"""The emulated service: Personalize's deletion-job, dataset-group and tagging operations over
the store, and the activity side's (`activity`, `campaigns`: schemas, datasets, imports, solutions,
trainings, batch jobs).

`EmulatorService.handle(operation, params, region=...)` takes and returns the JSON bodies of the
AWS JSON 1.1 protocol, so the HTTP server and the in-process `local` provider share one path:
injected faults, validation against botocore's model, then the operation.

Jobs move PENDING > IN_PROGRESS > COMPLETED or FAILED on the injected clock, `pending_seconds`
and `in_progress_seconds` apart; the move is applied lazily by whichever call looks first, and
the input is read when the job finishes (see `inputs`): whatever is wrong with it FAILs that job
with a failureReason, and never the call that looked. Injected faults (`config.faults`): latency,
throttling and HTTP 500 before a call, and answers lost after it.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from reconciler.emulator import activity, campaigns, tagging
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.errors import AnswerLost, ServiceError, not_found
from reconciler.emulator.inputs import InputFailure, read_seed_records, read_user_ids
from reconciler.emulator.resources import partition_of
from reconciler.emulator.store import Store, dataset_group_row
from reconciler.emulator.validation import validate_request
from reconciler.emulator.wire import group_json, job_json, page, with_token

OPERATIONS = (
    "CreateDataDeletionJob",
    "DescribeDataDeletionJob",
    "ListDataDeletionJobs",
    "CreateDatasetGroup",
    "DescribeDatasetGroup",
    "ListDatasetGroups",
    "ListTagsForResource",
    "TagResource",
    "UntagResource",
    *activity.OPERATIONS,
    *campaigns.OPERATIONS,
)


class EmulatorService:
    def __init__(
        self,
        config: EmulatorConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.store = Store(config.database)
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random(config.faults.seed)
        self._campaigns = campaigns.Campaigns(self.store, config, clock)
        self._activity_handlers = self._campaigns.handlers()
        self._seed_dataset_groups()

    def handle(
        self, operation: str, params: dict[str, Any], *, region: str | None = None
    ) -> dict[str, Any]:
        """The response body of `operation`, or a ServiceError as the service would answer
        (AnswerLost: an injected fault after the operation was carried out; StoreError: the
        emulator's own database failed)."""
        if operation not in OPERATIONS:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        self._inject_faults()
        validate_request(operation, params)
        handlers: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "CreateDataDeletionJob": self._create_job,
            "DescribeDataDeletionJob": self._describe_job,
            "ListDataDeletionJobs": self._list_jobs,
            "CreateDatasetGroup": self._create_dataset_group,
            "DescribeDatasetGroup": self._describe_dataset_group,
            "ListDatasetGroups": self._list_dataset_groups,
            "ListTagsForResource": self._list_tags,
            "TagResource": self._tag,
            "UntagResource": self._untag,
            **self._activity_handlers,
        }
        result = handlers[operation](region or self.config.region, params)
        drop = self.config.faults.drop_fraction
        if drop and self._random.random() < drop:
            raise AnswerLost(f"{operation} was carried out; its answer is dropped (injected)")
        return result

    def _inject_faults(self) -> None:
        faults = self.config.faults
        if faults.latency_seconds:
            self._sleep(faults.latency_seconds)
        if faults.throttle_fraction or faults.error_fraction:
            roll = self._random.random()
            if roll < faults.throttle_fraction:
                raise ServiceError("ThrottlingException", "Rate exceeded")
            if roll < faults.throttle_fraction + faults.error_fraction:
                raise ServiceError("InternalFailure", "Internal service error (injected)", 500)

    # dataset groups

    def _seed_dataset_groups(self) -> None:
        for group in self.config.dataset_groups:
            _, _, _, region, account, resource = group.arn.split(":", 5)
            name = resource.removeprefix("dataset-group/")
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO dataset_groups (arn, name, region, account, status,"
                    " created) VALUES (?, ?, ?, ?, 'ACTIVE', ?)",
                    (group.arn, name, region, account, self._clock()),
                )
                seeded = conn.execute(
                    "SELECT seeded FROM dataset_groups WHERE arn = ?", (group.arn,)
                ).fetchone()["seeded"]
                if group.seed_users is not None and not seeded:
                    records = read_seed_records(group.seed_users)
                    conn.executemany(
                        "INSERT INTO records (dataset_group_arn, user_id) VALUES (?, ?)",
                        ((group.arn, user_id) for user_id in records),
                    )
                    conn.execute("UPDATE dataset_groups SET seeded = 1 WHERE arn = ?", (group.arn,))
            for name in group.campaigns:
                self._campaigns.seed(group.arn, name)

    def _create_dataset_group(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        name = params["name"]
        account = self.config.account_id
        arn = f"arn:{partition_of(region)}:personalize:{region}:{account}:dataset-group/{name}"
        tags = tagging.checked(params.get("tags") or [])
        with self.store.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO dataset_groups (arn, name, region, account, status, domain,"
                    " role_arn, kms_key_arn, created, tags)"
                    " VALUES (?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?, ?)",
                    (
                        arn,
                        name,
                        region,
                        account,
                        params.get("domain"),
                        params.get("roleArn"),
                        params.get("kmsKeyArn"),
                        self._clock(),
                        json.dumps(tags),
                    ),
                )
            except sqlite3.IntegrityError:
                raise ServiceError(
                    "ResourceAlreadyExistsException", f"Dataset group {name} already exists."
                ) from None
        result = {"datasetGroupArn": arn}
        if params.get("domain"):
            result["domain"] = params["domain"]
        return result

    def _describe_dataset_group(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            row = self._group(conn, region, params["datasetGroupArn"])
        return {"datasetGroup": group_json(row, summary=False)}

    def _list_dataset_groups(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        scope = {"region": region, "account": self.config.account_id}
        with self.store.transaction() as conn:
            rows, token = page(
                conn, "dataset_groups", "region = :region AND account = :account", scope, params
            )
        return with_token({"datasetGroups": [group_json(r, summary=True) for r in rows]}, token)

    def _group(self, conn: sqlite3.Connection, region: str, arn: str) -> sqlite3.Row:
        row = dataset_group_row(conn, region, self.config.account_id, arn)
        if row is None:
            raise not_found(f"Could not find resource with ARN {arn}")
        return row

    # data deletion jobs

    def _create_job(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        name = params["jobName"]
        account = self.config.account_id
        arn = f"arn:{partition_of(region)}:personalize:{region}:{account}:data-deletion-job/{name}"
        tags = tagging.checked(params.get("tags") or [])
        now = self._clock()
        with self.store.transaction() as conn:
            self._advance(conn, now)
            group = self._group(conn, region, params["datasetGroupArn"])
            if group["status"] != "ACTIVE":
                raise ServiceError(
                    "ResourceInUseException", f"Dataset group {group['arn']} is not ACTIVE."
                )
            taken = conn.execute(
                "SELECT 1 FROM jobs WHERE region = ? AND account = ? AND name = ?",
                (region, account, name),
            ).fetchone()
            if taken:
                raise ServiceError(
                    "ResourceAlreadyExistsException",
                    f"Data deletion job with name {name} already exists.",
                )
            pending = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE dataset_group_arn = ? AND status = 'PENDING'",
                (group["arn"],),
            ).fetchone()[0]
            limit = self.config.pending_jobs_limit
            if pending >= limit:
                raise ServiceError(
                    "LimitExceededException",
                    f"The dataset group already has {pending} data deletion jobs in PENDING "
                    f"status; the limit is {limit}.",
                )
            started = now + self.config.pending_seconds
            conn.execute(
                "INSERT INTO jobs (arn, name, region, account, dataset_group_arn, data_location,"
                " role_arn, tags, status, created, started, finishes, last_updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?)",
                (
                    arn,
                    name,
                    region,
                    account,
                    group["arn"],
                    params["dataSource"].get("dataLocation", ""),
                    params["roleArn"],
                    json.dumps(tags),
                    now,
                    started,
                    started + self.config.in_progress_seconds,
                    now,
                ),
            )
        return {"dataDeletionJobArn": arn}

    # tags (see `tagging`)

    def _list_tags(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            tags = tagging.list_tags(conn, params["resourceArn"], region, self.config.account_id)
        return {"tags": tags}

    def _tag(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            tagging.tag(conn, params["resourceArn"], region, self.config.account_id, params["tags"])
        return {}

    def _untag(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            account = self.config.account_id
            tagging.untag(conn, params["resourceArn"], region, account, params["tagKeys"])
        return {}

    def _describe_job(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["dataDeletionJobArn"]
        with self.store.transaction() as conn:
            self._advance(conn, self._clock())
            row = conn.execute(
                "SELECT * FROM jobs WHERE arn = ? AND region = ? AND account = ?",
                (arn, region, self.config.account_id),
            ).fetchone()
        if row is None:
            raise not_found(f"Could not find resource with ARN {arn}")
        return {"dataDeletionJob": job_json(row, summary=False)}

    def _list_jobs(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        scope = {"region": region, "account": self.config.account_id}
        where = "region = :region AND account = :account"
        if params.get("datasetGroupArn"):
            where += " AND dataset_group_arn = :group"
            scope["group"] = params["datasetGroupArn"]
        with self.store.transaction() as conn:
            self._advance(conn, self._clock())
            rows, token = page(conn, "jobs", where, scope, params)
        return with_token({"dataDeletionJobs": [job_json(r, summary=True) for r in rows]}, token)

    def _advance(self, conn: sqlite3.Connection, now: float) -> None:
        """Move every job whose time has come; read the input of each job that finishes."""
        conn.execute(
            "UPDATE jobs SET status = 'IN_PROGRESS', last_updated = started"
            " WHERE status = 'PENDING' AND started <= ?",
            (now,),
        )
        due = conn.execute(
            "SELECT arn, dataset_group_arn, data_location, finishes FROM jobs"
            " WHERE status = 'IN_PROGRESS' AND finishes <= ? ORDER BY finishes, arn",
            (now,),
        ).fetchall()
        for job in due:
            try:
                user_ids = read_user_ids(
                    job["data_location"], self.config.s3_root, self.config.input_bytes_limit
                )
            except Exception as exc:  # the job FAILS; every later call still answers
                reason = str(exc) if isinstance(exc, InputFailure) else _internal(exc)
                conn.execute(
                    "UPDATE jobs SET status = 'FAILED', failure_reason = ?, last_updated = ?"
                    " WHERE arn = ?",
                    (reason, job["finishes"], job["arn"]),
                )
                continue
            deleted = _delete_records(conn, job["dataset_group_arn"], user_ids)
            conn.execute(
                "UPDATE jobs SET status = 'COMPLETED', num_deleted = ?, last_updated = ?"
                " WHERE arn = ?",
                (deleted, job["finishes"], job["arn"]),
            )


def _internal(error: Exception) -> str:
    """The failureReason of a job whose input the emulator itself failed to read (a bug of
    the emulator's, named by the error's type: the message could quote the input)."""
    return f"Internal error while reading the input ({type(error).__name__})."


def _delete_records(conn: sqlite3.Connection, group_arn: str, user_ids: set[str]) -> int:
    """Records removed from a seeded group; for a group without seed, the distinct user IDs."""
    seeded = conn.execute(
        "SELECT seeded FROM dataset_groups WHERE arn = ?", (group_arn,)
    ).fetchone()
    if not seeded or not seeded["seeded"]:
        return len(user_ids)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (user_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM doomed")
    conn.executemany("INSERT OR IGNORE INTO doomed VALUES (?)", ((u,) for u in user_ids))
    cursor = conn.execute(
        "DELETE FROM records WHERE dataset_group_arn = ?"
        " AND user_id IN (SELECT user_id FROM doomed)",
        (group_arn,),
    )
    return int(cursor.rowcount)
