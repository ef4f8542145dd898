"""The reliability harness: a copy of the example as a project, real `reconciler` processes to
start, signal and kill, and the invariants every scenario must leave true.

Invariants (`check`):
- every declared job exists in the service, under the name its record holds;
- every job in a managed dataset group is in the state (the current job or an earlier attempt
  of a record), so nothing was created twice and nothing went untracked;
- the state parses and its serial never went down;
- no lock is left held (and a run that ended by itself emptied the lock file);
- no output holds a user ID from the example's CSV files.
"""

from __future__ import annotations

import csv
import fcntl
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.emulator.config import Faults, load_config
from reconciler.emulator.service import EmulatorService
from reconciler.manifest.loader import load_manifests
from reconciler.providers.local import LocalProvider
from reconciler.state.local import LocalBackend
from tests import children
from tests.commands.conftest import copy_example
from tests.conftest import REPO

FULL = os.environ.get("RECONCILER_RELIABILITY") == "full"
ENTRY = [sys.executable, "-m", "reconciler"]


def user_ids() -> set[str]:
    """Every user ID in the example's data: none may ever appear in an output."""
    found: set[str] = set()
    for path in (REPO / "example-data").rglob("*.csv"):
        with path.open(encoding="utf-8") as handle:
            found.update(row["USER_ID"] for row in csv.DictReader(handle) if row.get("USER_ID"))
    return found


USER_IDS = user_ids()


@dataclass
class Project:
    root: Path
    outputs: list[str] = field(default_factory=list)
    serial: int = 0

    @classmethod
    def copy(cls, root: Path, *, emulator: str = "") -> Project:
        """The example under `root`; `emulator` is appended to its emulator settings."""
        copy_example(root)
        config = root / "example-data" / "emulator.yaml"
        config.write_text(config.read_text() + emulator)
        return cls(root)

    @property
    def state_path(self) -> Path:
        return self.root / ".reconciler" / "state.json"

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), **extra}

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return children.start(
            [*ENTRY, *args],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=self.env(**env),
        )

    def finish(self, process: subprocess.Popen[str], timeout: float = 120) -> int:
        out, err = children.finish(process, timeout)
        self.outputs += [out, err]
        assert "Traceback" not in err, err
        self.check_serial()
        return process.returncode

    def check_serial(self) -> None:
        """The state parses, and its serial never went down since the last look."""
        state = LocalBackend(self.state_path).load()
        serial = state.serial if state else 0
        assert serial >= self.serial, f"serial went down: {self.serial} -> {serial}"
        self.serial = serial

    def run(self, *args: str, timeout: float = 120, **env: str) -> int:
        return self.finish(self.start(*args, **env), timeout)

    def wait_for_lock(self, timeout: float = 60) -> None:
        lock = self.state_path.with_name("state.json.lock")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if lock.read_text():
                    return
            except OSError:
                pass
            time.sleep(0.01)  # poll
        raise AssertionError("no run took the lock")

    def service(self) -> LocalProvider:
        config = load_config(self.root / "example-data" / "emulator.yaml")
        where = {"database": self.root / config.database, "s3_root": self.root / config.s3_root}
        quiet = {**where, "faults": Faults()}
        return LocalProvider(EmulatorService(config.model_copy(update=quiet)))

    def check(self) -> None:
        manifests = load_manifests([self.root / "manifests"])
        self.check_serial()
        state = LocalBackend(self.state_path).load()
        assert state is not None, "no state"
        provider = self.service()
        groups = {job.spec.dataset_group_arn for job in manifests.jobs}
        in_service = {job.job_name: job for g in sorted(groups) for job in provider.list_jobs(g)}
        names = list(in_service)
        known: set[str] = set()
        for record in [*state.jobs.values(), *state.forgotten]:
            known.add(record.job_name)
            for attempt in record.attempts:  # a job is tried again only when it FAILED
                known.add(attempt.job_name)
                earlier = in_service.get(attempt.job_name)
                assert earlier is None or earlier.status == "FAILED", f"{attempt.job_name} twice"
        untracked = sorted(set(names) - known)
        assert untracked == [], f"jobs in the service that the state does not hold: {untracked}"
        for job in manifests.jobs:
            record = state.jobs.get(job.address)
            assert record is not None, f"{job.address} is not recorded"
            assert record.job_name in names, (
                f"{job.address}: {record.job_name} is not in the service"
            )
        self.check_lock(emptied=True)
        for output in self.outputs:
            leaked = [user for user in USER_IDS if user in output]
            assert leaked == [], "a user ID was printed"

    def check_lock(self, *, emptied: bool = False) -> None:
        """Nobody holds the lock (a killed holder's details may stay in the file: the OS has
        dropped its lock; a run that ended by itself, or on Ctrl-C or SIGTERM, emptied it)."""
        lock = self.state_path.with_name("state.json.lock")
        if not lock.exists():
            return
        if emptied:
            assert lock.read_text() == "", "the lock file still names a holder"
        with lock.open("r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if held
            fcntl.flock(handle, fcntl.LOCK_UN)
