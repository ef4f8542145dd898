"""What an apply comes to, as values: what a run leaves undone (`Unfinished`, for its summary),
what waiting came to (`Waited`: the declared jobs that ended FAILED or are no longer listed,
and whether waiting stopped before the end), and the exit code all that makes (`exit_code`, the
one place apply's is decided). Pure: `applying.display` words them.

Apply's exit code: 1 for the run's own error (a create that failed or was not confirmed, jobs
refused by preflight or fan-out, waiting that stopped before the end, the state not saved); else
5 when a declared job needs a person and nothing will retry it (the plan's attention items, a
job that ended FAILED or vanished while waiting); else 0 (held creates go at the next apply).
Refusals before the run (a stale plan, no yes, the lock) are errors raised, 1 too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconciler.applying.executor import Result
from reconciler.applying.tracker import TrackResult
from reconciler.exitcodes import APPLY_PRECEDENCE, ExitCode
from reconciler.models import DesiredJob, JobStatus
from reconciler.planning import attention
from reconciler.planning.attention import Attention, Concern
from reconciler.planning.model import Plan


class Undone(StrEnum):
    """Why a run is not `Apply complete`, beside a failed create."""

    HELD = "held"  # held while their group imports or trains (without waiting)
    ATTENTION = "attention"  # FAILED with no retry, or no longer listed (the plan's)
    FAILED = "failed"  # ended FAILED while waiting
    MISSING = "missing"  # no longer listed, found while waiting
    RUNNING = "running"  # still running when waiting stopped
    PREFLIGHT = "preflight"  # refused by preflight: never created
    FANOUT = "fan-out"  # refused: name or address taken
    NOT_SAVED = "not saved"  # the state's last write failed


# What each thing a run leaves undone makes of its exit code (see the module).
CODES: dict[Undone, ExitCode] = {
    Undone.HELD: ExitCode.OK,
    Undone.ATTENTION: ExitCode.FAILED,
    Undone.FAILED: ExitCode.FAILED,
    Undone.MISSING: ExitCode.FAILED,
    Undone.RUNNING: ExitCode.ERROR,
    Undone.PREFLIGHT: ExitCode.ERROR,
    Undone.FANOUT: ExitCode.ERROR,
    Undone.NOT_SAVED: ExitCode.ERROR,
}
NOT_DONE = (Result.FAILED, Result.UNKNOWN)  # a create that failed, or was not confirmed


@dataclass(frozen=True)
class Unfinished:
    """One thing a run leaves undone, and how many jobs it concerns."""

    undone: Undone
    jobs: int = 0


@dataclass(frozen=True)
class Waited:
    """What waiting came to, for the declared jobs."""

    failed: tuple[Attention, ...]  # ended FAILED
    missing: tuple[Attention, ...]  # no longer listed (seen while waiting, or by the plan)
    finished: bool  # every followed job ended and nothing is left queued
    running: int  # jobs still running when waiting stopped
    queued: int  # creates still queued when waiting stopped
    timeout: float | None = None  # the limit waiting had
    unreachable: str | None = None  # why waiting gave up: the service could not be read

    @property
    def unfinished(self) -> tuple[Unfinished, ...]:
        left = []
        if self.failed:
            left.append(Unfinished(Undone.FAILED, len(self.failed)))
        if self.missing:
            left.append(Unfinished(Undone.MISSING, len(self.missing)))
        if not self.finished:
            left.append(Unfinished(Undone.RUNNING, self.running))
        return tuple(left)


def exit_code(results: Sequence[Result], unfinished: Sequence[Unfinished]) -> ExitCode:
    """The exit code of a run whose jobs came to `results` and that leaves `unfinished` undone:
    the most urgent of what each says (`APPLY_PRECEDENCE`), 0 when none says anything."""
    codes = {CODES[item.undone] for item in unfinished}
    if any(result in NOT_DONE for result in results):
        codes.add(ExitCode.ERROR)
    return next((code for code in APPLY_PRECEDENCE if code in codes), ExitCode.OK)


def waited(
    result: TrackResult, plan: Plan, jobs: Sequence[DesiredJob], timeout: float | None
) -> Waited:
    """What tracking came to for the declared `jobs`: a job the plan found no longer listed,
    never followed, counts against the run too. A FAILED job keeps the plan's words where the
    plan saw it FAILED (it knows whether its input changed since)."""
    declared = {job.address: job for job in jobs}
    records = [r for r in result.records if r.address in declared]
    seen = {a.address: a for a in plan.attention if a.concern is Concern.FAILED}
    failed = tuple(
        seen.get(record.address)
        or attention.failed(
            record.address,
            record.spec,
            record.job_name,
            record.attempt,
            record.seen.failure_reason if record.seen else None,
            declared[record.address].source,
            declared[record.address].retry,
        )
        for record in records
        if record.status is JobStatus.FAILED
    )
    gone = result.missing | {a.address for a in plan.attention if a.concern is Concern.MISSING}
    missing = tuple(
        attention.missing(record.address, record.job_name)
        for record in records
        if record.address in gone
    )
    return Waited(
        failed=failed,
        missing=missing,
        finished=result.finished,
        running=sum(1 for r in records if r.status and not r.status.terminal),
        queued=len(result.queued),
        timeout=timeout,
        unreachable=result.unreachable,
    )
