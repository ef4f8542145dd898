"""The emulator's persistent store: one SQLite file shared by every process that opens it.

Tables (times are Unix seconds; `tags` is a JSON list of {tagKey, tagValue}):
- `dataset_groups(arn, name, region, account, status, domain, role_arn, kms_key_arn, created,
  seeded, tags)`: name unique per (region, account); `seeded` is 1 once seed records were
  loaded.
- `jobs(arn, name, region, account, dataset_group_arn, data_location, role_arn, tags, status,
  created, started, finishes, last_updated, failure_reason, num_deleted)`: name unique per
  (region, account), for good; `started`/`finishes` are when the job leaves PENDING and
  IN_PROGRESS.
- `records(dataset_group_arn, user_id)`: seeded records that deletion jobs remove.
- `resources(arn, kind, name, region, account, parent_arn, phase, created, started, finishes,
  details, tags)`: the activity side (see `activity`, `campaigns`), one row per schema,
  dataset, dataset import job, solution, solution version, batch inference or batch segment
  job, campaign; `kind` names which (`resources.KINDS`), `parent_arn` is what it belongs to (a
  dataset's group, an import's dataset, a version's solution, a batch job's solution version, a
  campaign's solution: that of the version it serves; none for a schema); `phase` is
  `pending`, `running` or `done`, left at `started` and `finishes`; `details` is a JSON object
  of the members the service echoes (the request's, and defaults).

The schema's version is SQLite's `user_version`: 0 is the first one (groups carried no tags),
1 adds `dataset_groups.tags` (every group untagged), 2 adds the `resources` table (empty). An
older file is brought up to date when it is opened; a file of a newer emulator is refused.

Every operation runs in one `BEGIN IMMEDIATE` transaction, so name uniqueness and the PENDING
quota hold across processes. The file is created with mode 0600 (it holds seeded user IDs);
SQLite gives its WAL and shared-memory files the same mode. A database that cannot be opened or
written is a `StoreError` that says which file and why.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.emulator.errors import EmulatorError

SCHEMA = """
CREATE TABLE IF NOT EXISTS dataset_groups (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL, account TEXT NOT NULL,
    status TEXT NOT NULL, domain TEXT, role_arn TEXT, kms_key_arn TEXT, created REAL NOT NULL,
    seeded INTEGER NOT NULL DEFAULT 0, tags TEXT NOT NULL DEFAULT '[]',
    UNIQUE (region, account, name)
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
CREATE TABLE IF NOT EXISTS resources (
    arn TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT, region TEXT NOT NULL,
    account TEXT NOT NULL, parent_arn TEXT, phase TEXT NOT NULL, created REAL NOT NULL,
    started REAL NOT NULL, finishes REAL NOT NULL, details TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS resources_by_parent ON resources (kind, parent_arn, created, arn);
CREATE INDEX IF NOT EXISTS resources_starting ON resources (phase, started);
CREATE INDEX IF NOT EXISTS resources_finishing ON resources (phase, finishes);
"""
VERSION = 2


class StoreError(EmulatorError):
    """The emulator's database cannot be opened or written; the message names it."""


class Store:
    """One connection per process, used by one thread at a time; processes share the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as the state's
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:  # an older, readable database is made private too (it holds user IDs)
                os.fchmod(fd, 0o600)
            except PermissionError:
                pass
            finally:
                os.close(fd)
            for companion in (Path(f"{path}-wal"), Path(f"{path}-shm")):
                if companion.exists():
                    companion.chmod(0o600)
            self._conn = sqlite3.connect(
                path, timeout=60, isolation_level=None, check_same_thread=False
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL survives a crash of any process; only a power cut may lose the
            # last writes, which is fine for an emulator and makes each call several times
            # cheaper.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from None
        self._migrate()

    def _migrate(self) -> None:
        """Bring a file written by an older emulator up to `VERSION` (once, whichever process
        opens it first)."""
        with self.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:
                raise StoreError(
                    f"the emulator's database {self.path} was written by a newer emulator "
                    f"(schema {version}; this one knows {VERSION})"
                )
            if version == VERSION:
                return
            # 2: `resources` is new, and SCHEMA has just created it where it was missing
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(dataset_groups)")}
            if "tags" not in columns:
                conn.execute(
                    "ALTER TABLE dataset_groups ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'"
                )
            conn.execute(f"PRAGMA user_version = {VERSION}")

    def _error(self, exc: OSError | sqlite3.Error) -> StoreError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return StoreError(f"the emulator's database {self.path} cannot be used: {reason}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            try:
                yield self._conn
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise self._error(exc) from None
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise self._error(exc) from None


def dataset_group_row(
    conn: sqlite3.Connection, region: str, account: str, arn: str
) -> sqlite3.Row | None:
    """The dataset group `arn` of the account in the region, or None."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM dataset_groups WHERE arn = ? AND region = ? AND account = ?",
        (arn, region, account),
    ).fetchone()
    return row
