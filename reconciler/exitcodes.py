"""Exit codes: the one home of the README's table.

| code | meaning |
|------|---------|
| 0 | success; for `plan --detailed-exitcode`: nothing to do; for `check`: converged |
| 1 | an error: invalid manifests, a bad command line, a missing path, an unreadable or     |
|   | locked state, a service error, a plan with blocking errors, an apply refused or       |
|   | cancelled, a create that failed, a job that ended FAILED under `apply --wait`, a      |
|   | `--timeout` that ran out                                                              |
| 2 | `plan --detailed-exitcode`: the plan has changes; `check`: changes not yet applied |
| 3 | `check`: drift, a recorded job is missing from the service |
| 4 | `check`: jobs still running (PENDING or IN_PROGRESS) |
| 5 | `check`: a declared job ended FAILED and no retry is left to plan |
| 130 | interrupted (Ctrl-C) |
| 143 | terminated (SIGTERM) |

When several of `check`'s hold, the most urgent wins: `CHECK_PRECEDENCE`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2
    DRIFT = 3
    RUNNING = 4
    FAILED = 5
    INTERRUPTED = 130
    TERMINATED = 143


CHECK_PRECEDENCE = (
    ExitCode.ERROR,
    ExitCode.FAILED,
    ExitCode.DRIFT,
    ExitCode.CHANGES,
    ExitCode.RUNNING,
)
