"""Exit codes: the one home of the README's table, which `BY_COMMAND` is (a test keeps the README
equal to `by_command_table()`). When several of `check`'s hold, the most urgent wins:
`CHECK_PRECEDENCE`; of `apply`'s, `APPLY_PRECEDENCE` (decided in `applying.verdict`).
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
    DUE_SOON = 6
    INTERRUPTED = 130
    TERMINATED = 143


CHECK_PRECEDENCE = (
    ExitCode.ERROR,
    ExitCode.FAILED,
    ExitCode.DRIFT,
    ExitCode.DUE_SOON,  # a deadline near wins over changes not applied: the nightly issue opens
    ExitCode.CHANGES,
    ExitCode.RUNNING,
)

# apply: the run's own error, then a declared job that needs a person
APPLY_PRECEDENCE = (ExitCode.ERROR, ExitCode.FAILED)

BY_COMMAND: tuple[tuple[str, str], ...] = (
    (
        "every command",
        "0 success; 1 an error (invalid manifests, a bad command line, a missing path, an "
        "unreadable or locked state, the service refused or unreachable); 130 interrupted (Ctrl-C: "
        "what was done is recorded, the lock released); 143 terminated (SIGTERM, e.g. a cancelled "
        "CI job: as Ctrl-C)",
    ),
    ("`validate`", "0 valid; 1 problems found"),
    (
        "`plan`",
        "0 planned; 1 blocking errors (nothing can be applied or saved), or jobs refused by "
        "preflight (the rest can be applied); with "
        "`--detailed-exitcode`: 0 nothing to do, 2 changes or jobs that need attention (FAILED, "
        "no longer listed, an erasure request past its due date)",
    ),
    ("`show`", "0 shown; 1 not a readable saved plan"),
    (
        "`apply`",
        "0 everything done (creates held while their group is busy go at the next apply); 1 "
        "refused, cancelled or stale (saved plan), a job preflight refused (the others are "
        "created), a create that failed or was not confirmed, the state not saved, and with "
        "`--wait` a service that could not be read or a `--timeout` that ran out; 5 a declared "
        "job needs a person and nothing will retry it: FAILED and not retried by this run, no "
        "longer listed, a selector that matches no dataset group, and with `--wait` a job that "
        "ended FAILED or vanished; 1 wins over 5",
    ),
    (
        "`status`",
        "0 shown; 1 with `--watch`, the service could not be read; 4 `--watch --timeout` ran out "
        "with jobs still running",
    ),
    (
        "`check`",
        "0 converged; 2 changes not yet applied; 3 drift; 4 jobs still running; 5 failed jobs "
        "or an erasure request past its due date; 6 an open erasure request due within "
        "`deadlines.warnDays` (before its deadline is missed); the most urgent wins: 1, 5, 3, "
        "6, 2, 4",
    ),
    ("`import`, `state …`, `force-unlock`, `schema`, `emulator serve`", "0 done; 1 refused"),
)


def by_command_table() -> str:
    """`BY_COMMAND` as the README's Markdown table."""
    rows = ["| command | exit codes |", "|---|---|"]
    rows += [f"| {command} | {codes} |" for command, codes in BY_COMMAND]
    return "\n".join(rows) + "\n"
