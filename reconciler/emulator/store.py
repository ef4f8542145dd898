"""The emulator's persistent store: one SQLite file shared by every process that opens it.

Tables (times are Unix seconds):
- `dataset_groups(arn, name, region, account, status, domain, role_arn, kms_key_arn, created,
  seeded)`: name unique per (region, account); `seeded` is 1 once seed records were loaded.
- `jobs(arn, name, region, account, dataset_group_arn, data_location, role_arn, tags, status,
  created, started, finishes, last_updated, failure_reason, num_deleted)`: name unique per
  (region, account), for good; `started`/`finishes` are when the job leaves PENDING and
  IN_PROGRESS; `tags` is a JSON list of {tagKey, tagValue}.
- `records(dataset_group_arn, user_id)`: seeded records that deletion jobs remove.

Every operation runs in one `BEGIN IMMEDIATE` transaction, so name uniqueness and the PENDING
quota hold across processes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS dataset_groups (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL, account TEXT NOT NULL,
    status TEXT NOT NULL, domain TEXT, role_arn TEXT, kms_key_arn TEXT, created REAL NOT NULL,
    seeded INTEGER NOT NULL DEFAULT 0, UNIQUE (region, account, name)
);
CREATE TABLE IF NOT EXISTS jobs (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL, account TEXT NOT NULL,
    dataset_group_arn TEXT NOT NULL, data_location TEXT NOT NULL, role_arn TEXT NOT NULL,
    tags TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL, started REAL NOT NULL,
    finishes REAL NOT NULL, last_updated REAL NOT NULL, failure_reason TEXT,
    num_deleted INTEGER, UNIQUE (region, account, name)
);
CREATE INDEX IF NOT EXISTS jobs_by_group ON jobs (dataset_group_arn, created, arn);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (status, dataset_group_arn);
CREATE INDEX IF NOT EXISTS jobs_starting ON jobs (status, started);
CREATE INDEX IF NOT EXISTS jobs_finishing ON jobs (status, finishes);
CREATE TABLE IF NOT EXISTS records (dataset_group_arn TEXT NOT NULL, user_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_user ON records (dataset_group_arn, user_id);
"""


class Store:
    """One connection per process, used by one thread at a time; processes share the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, timeout=60, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL survives a crash of any process; only a power cut may lose the last
        # writes, which is fine for an emulator and makes each call several times cheaper.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
