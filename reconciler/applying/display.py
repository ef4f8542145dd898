"""Showing an apply: each outcome, tracking as it goes (one refreshed line on a terminal, plain
lines otherwise), what waiting came to, and the summary it ends with. What the service says (an
address, a failure, an error) is shown `printable`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from reconciler.applying.executor import Outcome, Result
from reconciler.applying.tracker import Progress
from reconciler.applying.verdict import NOT_DONE, Undone, Unfinished, Waited, exit_code
from reconciler.durations import format_duration
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode

ORDER = ("QUEUED", "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED")


def outcome_line(outcome: Outcome) -> str:
    verb = {
        Result.CREATED: "created",
        Result.IMPORTED: "imported",
        Result.FORGOTTEN: "forgotten",
        Result.QUEUED: "queued",
        Result.FAILED: "FAILED to create",
        Result.UNKNOWN: "not confirmed",
    }[outcome.result]
    name = f" as {outcome.job_name!r}" if outcome.job_name != outcome.address.split("/")[-1] else ""
    return printable(f"{outcome.address}: {verb}{name}: {outcome.message}")


class ProgressDisplay:
    def __init__(self, out: TextIO, *, tty: bool) -> None:
        self.out = out
        self.tty = tty
        self._line = False

    def __call__(self, progress: Progress) -> None:
        elapsed = format_duration(progress.elapsed)
        for outcome in progress.submitted:
            self._print(f"[{elapsed}] {outcome_line(outcome)}")
        for address, before, after in progress.transitions:
            was = before.value if before else "(new)"
            self._print(f"[{elapsed}] {address}: {was} -> {after.value}")
        for record in progress.vanished:
            self._print(
                f"[{elapsed}] {record.address} ({record.arn}) is no longer listed by the service: "
                "not followed any more"
            )
        if progress.error:
            self._print(f"[{elapsed}] could not read the service: {progress.error}; trying again")
        counts = "  ".join(f"{k} {progress.counts[k]}" for k in ORDER if progress.counts.get(k))
        if self.tty:
            self.out.write(f"\r\x1b[2K{elapsed}  {counts}")
            self._line = True
        elif progress.transitions or progress.submitted:
            self.out.write(f"[{elapsed}] {counts}\n")
        self.out.flush()

    def _print(self, text: str) -> None:
        if self._line:
            self.out.write("\r\x1b[2K")
            self._line = False
        self.out.write(printable(text) + "\n")

    def close(self) -> None:
        if self._line:
            self.out.write("\n")
            self._line = False
        self.out.flush()


def _jobs(count: int) -> str:
    return f"{count} job{'' if count == 1 else 's'}"


def waited_lines(waited: Waited) -> list[str]:
    """The declared jobs that ended badly (`Error: …`), and why waiting stopped if it did."""
    lines = [f"Error: {item.line()}" for item in (*waited.failed, *waited.missing)]
    if not waited.finished:
        why = f"after {format_duration(waited.timeout or 0)}"
        if waited.unreachable:
            why = f"because {printable(waited.unreachable)}"
        lines.append(
            f"Stopped waiting {why}: {_jobs(waited.running)} still running, "
            f"{waited.queued} queued. Nothing is lost: `reconciler apply --wait` or "
            "`reconciler status --watch` goes on from the state."
        )
    return lines


def unfinished_text(item: Unfinished) -> str:
    jobs = _jobs(item.jobs)
    return {
        Undone.HELD: f"{jobs} held while their dataset group imports or trains: apply again "
        "once it is quiet, or apply with --wait",
        Undone.ATTENTION: f"{jobs} {'needs' if item.jobs == 1 else 'need'} attention",
        Undone.FAILED: f"{jobs} FAILED",
        Undone.MISSING: f"{jobs} no longer listed",
        Undone.RUNNING: f"{jobs} still running",
        Undone.PREFLIGHT: f"{jobs} refused by preflight",
        Undone.FANOUT: f"{jobs} refused: name or address taken",
        Undone.NOT_SAVED: "the state was not saved: the next apply finds in the service what "
        "this one did",
    }[item.undone]


def summary_line(results: Sequence[Result], wait: bool, unfinished: Sequence[Unfinished]) -> str:
    """`Apply complete: …` only when the run did everything it set out to do and no declared job
    is left needing a person; `Applied: …` when it did, but some creates wait for the next apply
    (exit 0); else `Apply incomplete: …` (exit 1 or 5: `verdict.exit_code`), with what is left."""
    counts = {r: results.count(r) for r in Result}
    ok = exit_code(results, unfinished) is ExitCode.OK
    label = "Apply incomplete" if not ok else ("Applied" if unfinished else "Apply complete")
    text = (
        f"{label}: {counts[Result.CREATED]} created, "
        f"{counts[Result.IMPORTED]} imported, {counts[Result.FORGOTTEN]} forgotten"
    )
    if counts[Result.QUEUED] and not wait:
        text += f", {counts[Result.QUEUED]} queued for the next apply"
    if counts[Result.FAILED] or counts[Result.UNKNOWN]:
        text += f", {counts[Result.FAILED]} failed, {counts[Result.UNKNOWN]} not confirmed"
    return text + "".join(f"; {unfinished_text(item)}" for item in unfinished) + "."


def summary(
    results: Sequence[Result], wait: bool, unfinished: Sequence[Unfinished], created: bool
) -> str:
    """The lines an apply ends with: its summary, and when it `created` jobs and nobody waited
    for them, that created is not deleted yet."""
    return summary_line(results, wait, unfinished) + "\n" + (f"{CREATED_NOT_DELETED}\n" * created)


def failures(outcomes: Sequence[Outcome]) -> list[tuple[str, str]]:
    """Each create that failed or was not confirmed: its address and its outcome line."""
    return [(o.address, outcome_line(o)) for o in outcomes if o.result in NOT_DONE]


CREATED_NOT_DELETED = (
    "Created is not deleted yet: the jobs are PENDING; `reconciler status --watch` follows them "
    "to COMPLETED or FAILED (`reconciler check` says when all are)."
)
