"""The `apply` use case, in two steps around the caller's confirmation.

`prepare` takes the state lock for its block and makes the plan to apply: a plan made now, or a
saved plan that is still current (`saved_plans`). The caller shows it, asks for a yes where
`Prepared.asks` (a reviewed saved plan's apply is the approval), then, still inside the block,
`execute` carries it out: intents, creates within the quota, outcomes, and with `wait` the jobs
followed until COMPLETED or FAILED, queued and held creates submitted as slots free and groups
quieten.

Events, in order: each job's outcome (`JobDone`; a create queued for `wait` is told when it goes,
in tracking's progress), tracking's progress (`Polled`), what waiting came to
(`verdict.Waited`), and `Note`s and `Warned`s. The result (`Applied`) holds each job's last
outcome, whether the run did all it set out to do, what it leaves undone, and the error of the
state's last write when that failed (the caller tells the summary first, then raises it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.applying.executor import Executor, Outcome, Result
from reconciler.applying.session import StateSession, flushed
from reconciler.applying.tracker import Progress, Tracker, TrackResult
from reconciler.applying.verdict import Undone, Unfinished, waited
from reconciler.errors import ReconcilerError, UsageError
from reconciler.planning.model import Plan
from reconciler.preflight import Rechecker
from reconciler.runtime import Runtime
from reconciler.state.document import new_state
from reconciler.usecases.events import Emit, Note, Warned, ignore
from reconciler.usecases.opening import loaded, locked
from reconciler.usecases.saved_plans import current_plan
from reconciler.workspace import Workspace, open_tree


@dataclass(frozen=True)
class ApplyInputs:
    manifests_dir: Path
    plan_file: Path | None = None  # a plan saved by `plan -out`
    wait: bool = False
    timeout: float | None = None  # seconds, with `wait`
    parallelism: int = 4  # creates in flight at once
    retry: tuple[str, ...] = ()  # addresses of FAILED jobs to retry once
    skip_preflight: bool = False
    ignore_activity: bool = False
    lock_timeout: float = 0


@dataclass(frozen=True)
class JobDone:
    """A job's outcome, as the plan's execution left it."""

    outcome: Outcome


@dataclass(frozen=True)
class Polled:
    """What one poll of tracking saw (with `wait`)."""

    progress: Progress


@dataclass(frozen=True)
class Prepared:
    """The plan to apply, under the lock, with what it was made from."""

    workspace: Workspace
    inputs: ApplyInputs
    plan: Plan

    @property
    def asks(self) -> bool:
        """Whether carrying it out needs a person's yes: it changes something and is not a
        saved plan (a reviewed plan's apply is the approval)."""
        return self.plan.has_changes and self.inputs.plan_file is None


@dataclass(frozen=True)
class Applied:
    """What an apply came to."""

    outcomes: tuple[Outcome, ...]  # each job's last outcome
    ok: bool  # every job went as planned (and, waiting, ended COMPLETED): exit 0
    unfinished: tuple[Unfinished, ...]  # what is left undone, for the summary
    wait: bool
    unsaved: ReconcilerError | None = None  # the state's last write failed with this

    @property
    def results(self) -> list[Result]:
        return [outcome.result for outcome in self.outcomes]

    @property
    def created(self) -> bool:
        """Jobs were created and recorded, and nobody waited for them."""
        return self.unsaved is None and not self.wait and Result.CREATED in self.results


def checked(inputs: ApplyInputs) -> ApplyInputs:
    """The inputs, refused where they cannot work together."""
    if inputs.timeout is not None and not inputs.wait:
        raise UsageError("--timeout limits --wait: give --wait too, or leave --timeout out")
    given = [f for f in ("retry", "skip_preflight", "ignore_activity") if getattr(inputs, f)]
    if given and inputs.plan_file is not None:
        flag = "--" + given[0].replace("_", "-")
        raise UsageError(
            f"{flag} goes to `reconciler plan -out`: a saved plan already says what it does"
        )
    return inputs


@contextmanager
def prepare(inputs: ApplyInputs, runtime: Runtime, emit: Emit = ignore) -> Iterator[Prepared]:
    """Under the state lock (held for the block): the plan to apply."""
    checked(inputs)
    tree = open_tree(inputs.manifests_dir, runtime)
    with locked(tree.backend, "apply", inputs.lock_timeout, runtime, emit):
        workspace = loaded(tree, emit)
        if inputs.plan_file is not None:
            plan = current_plan(workspace, inputs.plan_file)
        else:
            plan = workspace.plan(
                retry=inputs.retry,
                skip_preflight=inputs.skip_preflight,
                ignore_activity=inputs.ignore_activity,
            )
        yield Prepared(workspace, inputs, plan)


def execute(prepared: Prepared, emit: Emit) -> Applied:
    """Carry the prepared plan out (inside `prepare`'s block). What was staged is written
    whatever happens; a failure of that last write comes back in `Applied.unsaved`."""
    workspace = prepared.workspace
    runtime = workspace.runtime
    session = StateSession(
        workspace.backend,
        workspace.stored or new_state(),
        runtime.clock,
        monotonic=runtime.monotonic,
    )
    done: Applied | None = None
    try:
        with flushed(session, lambda text: emit(Note(f"{text}."))):
            done = _Run(prepared, session, emit).carry_out()
    except ReconcilerError as exc:
        if done is None:
            raise  # the run's own error: what was done so far has been told
        left = (*done.unfinished, Unfinished(Undone.NOT_SAVED))
        return replace(done, ok=False, unfinished=left, unsaved=exc)
    return done


class _Run:
    def __init__(self, prepared: Prepared, session: StateSession, emit: Emit) -> None:
        self.workspace = prepared.workspace
        self.inputs = prepared.inputs
        self.plan = prepared.plan
        self.session = session
        self.emit = emit
        self.unfinished: list[Unfinished] = []

    def carry_out(self) -> Applied:
        plan, wait = self.plan, self.inputs.wait
        executor = self._executor()
        outcomes = executor.execute(plan)
        for outcome in outcomes:
            if outcome.result is not Result.QUEUED or not wait:
                self.emit(JobDone(outcome))
        final = {o.address: o for o in outcomes}  # each job's last outcome counts
        ok = True
        if wait:
            tracked = self._track(executor, outcomes)
            final.update((o.address, o) for o in tracked.outcomes)
            ok = self._waited(tracked)
        else:
            self._left_waiting(outcomes)
        self._queued_retries(outcomes)
        results = [o.result for o in final.values()]
        ok = ok and Result.FAILED not in results and Result.UNKNOWN not in results
        if plan.refused:  # never created: what preflight found is shown at each manifest line
            ok = False
            self._refusals()
        return Applied(tuple(final.values()), ok, tuple(self.unfinished), wait)

    def _queued_retries(self, outcomes: Sequence[Outcome]) -> None:
        """A `--retry` queued for a PENDING slot is asked by this run only: say so."""
        for outcome in outcomes:
            if outcome.result is Result.QUEUED and outcome.address in self.plan.retries:
                self.emit(
                    Note(
                        f"the retry of {outcome.address} is queued (no free PENDING slot): only "
                        f"this run asked for it; run `reconciler apply --retry {outcome.address}` "
                        "again later, or apply with --wait."
                    )
                )

    def _refusals(self) -> None:
        """The jobs the plan refused, by why."""
        counts = self.plan.refusals()
        for undone, key in ((Undone.PREFLIGHT, "preflight"), (Undone.FANOUT, "fan-out")):
            if counts[key]:
                self.unfinished.append(Unfinished(undone, counts[key]))

    def _executor(self) -> Executor:
        """The executor of the plan: with the evidence of each input recorded with its job, and
        the inputs checked again before each create, unless the plan skipped preflight."""
        provider = self.workspace.provider
        settings = self.workspace.settings
        runtime = self.workspace.runtime
        digest = None
        checked = None
        if not self.plan.preflight_skipped:
            again = Rechecker(  # until apply compares the plan's identities (issue 19)
                provider.input_reader(),
                settings.preflight.max_input_bytes,
                runtime.clock,
                lambda text: self.emit(Note(f"{text}.")),
            )
            digest, checked = again.evidence, again.errors
        return Executor(
            self.session,
            provider,
            max_pending=settings.quotas.max_pending_jobs_per_dataset_group,
            parallelism=self.inputs.parallelism,
            checkpoint=runtime.checkpoint,
            digest=digest,
            preflight=checked,
        )

    def _left_waiting(self, outcomes: Sequence[Outcome]) -> None:
        """Without waiting: the held creates, and what the plan leaves for a person."""
        waiting = {c.address for c in self.plan.changes if c.held}
        held = [o for o in outcomes if o.result is Result.QUEUED and o.address in waiting]
        if held:
            self.unfinished.append(Unfinished(Undone.HELD, len(held)))
        for item in self.plan.attention:
            self.emit(Warned(item.line()))
        if self.plan.attention:
            self.unfinished.append(Unfinished(Undone.ATTENTION, len(self.plan.attention)))

    def _track(self, executor: Executor, outcomes: Sequence[Outcome]) -> TrackResult:
        """Follow the jobs to the end, creating the queued ones as slots free (and, unless the
        plan ignores activity, as their groups are quiet)."""
        changes = {c.address: c for c in self.plan.changes}
        queued = [changes[o.address] for o in outcomes if o.result is Result.QUEUED]
        unconfirmed = [changes[o.address] for o in outcomes if o.result is Result.UNKNOWN]
        provider = self.workspace.provider
        runtime = self.workspace.runtime
        tracker = Tracker(
            self.session,
            provider,
            intervals=self.workspace.settings.polling.intervals(provider.polling_defaults),
            executor=executor,
            monotonic=runtime.monotonic,
            sleep=runtime.sleep,
            activity=None if self.plan.activity_ignored else provider.activity,
        )
        return tracker.run(
            queued,
            timeout=self.inputs.timeout,
            report=lambda progress: self.emit(Polled(progress)),
            unconfirmed=unconfirmed,
        )

    def _waited(self, tracked: TrackResult) -> bool:
        """What the jobs came to while waiting: ok only if every declared one ended COMPLETED."""
        came_to = waited(tracked, self.plan, self.workspace.jobs, self.inputs.timeout)
        self.emit(came_to)
        self.unfinished += came_to.unfinished
        return came_to.ok
