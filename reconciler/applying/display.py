"""Showing an apply: each outcome, tracking as it goes (one refreshed line on a terminal, plain
lines otherwise), and the summary line it ends with. What the service says (an address, a
failure, an error) is shown `printable`."""

from __future__ import annotations

from typing import TextIO

from reconciler.applying.executor import Outcome, Result
from reconciler.applying.tracker import Progress
from reconciler.durations import format_duration
from reconciler.escaping import printable

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


def summary_line(results: list[Result], wait: bool, ok: bool, unfinished: list[str]) -> str:
    """`Apply complete: …` only when the run did everything it set out to do and no declared job
    is left needing a person; `Applied: …` when it did, but some are; else `Apply incomplete`."""
    counts = {r: results.count(r) for r in Result}
    label = "Apply incomplete" if not ok else ("Applied" if unfinished else "Apply complete")
    text = (
        f"{label}: {counts[Result.CREATED]} created, "
        f"{counts[Result.IMPORTED]} imported, {counts[Result.FORGOTTEN]} forgotten"
    )
    if counts[Result.QUEUED] and not wait:
        text += f", {counts[Result.QUEUED]} queued for the next apply"
    if counts[Result.FAILED] or counts[Result.UNKNOWN]:
        text += f", {counts[Result.FAILED]} failed, {counts[Result.UNKNOWN]} not confirmed"
    return text + "".join(f"; {item}" for item in unfinished) + "."
