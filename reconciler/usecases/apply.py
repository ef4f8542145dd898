"""The `apply` use case, in two steps around the caller's confirmation.

`prepare` takes the state lock for its block and makes the plan to apply: a plan made now, or a
saved plan that is still current (`saved_plans`). The caller shows it, asks for a yes where
`Prepared.asks` (a reviewed saved plan's apply is the approval), then, still inside the block,
`execute` carries it out: intents, creates within the quota, outcomes, and with `wait` the jobs
followed until COMPLETED or FAILED, queued and held creates submitted as slots free and groups
quieten.

Events, in order: each job's outcome (`JobDone`; a create queued for `wait` is told when it goes,
in tracking's progress), tracking's progress (`Polled`), what waiting came to
(`verdict.Waited`), and `Note`s and `Warned`s (among them each item the plan leaves for a
person that waiting does not follow). The result (`Applied`) holds each job's last outcome, what
the run leaves undone and the declared jobs it leaves needing a person, the exit code that makes
(`verdict.exit_code`), and the error of the state's last write when that failed (the caller
tells the summary first, then raises it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.applying.executor import Executor, Outcome, Result
from reconciler.applying.session import StateSession, flushed
from reconciler.applying.tracker import Progress, Tracker, TrackResult
from reconciler.applying.verdict import Undone, Unfinished, exit_code, waited
from reconciler.errors import ReconcilerError, UsageError
from reconciler.exitcodes import ExitCode
from reconciler.files import check_output
from reconciler.models import InputIdentity, Provenance
from reconciler.planfile import Saved
from reconciler.planning.attention import Attention, Concern
from reconciler.planning.model import Action, Plan
from reconciler.preflight import identities
from reconciler.provenance import (
    approval_problem,
    approvers,
    provenance,
    rerun_problem,
    run_info,
    split_approvers,
)
from reconciler.providers.inputs import InputError
from reconciler.runtime import Runtime
from reconciler.state.document import QueuedCreate, new_state
from reconciler.usecases.events import Emit, Note, Warned, ignore
from reconciler.usecases.opening import loaded, locked
from reconciler.usecases.saved_plans import current_plan, reviewed_or_fresh
from reconciler.workspace import Workspace, open_tree


@dataclass(frozen=True)
class ApplyInputs:
    manifests_dir: Path
    plan_file: Path | None = None  # a plan saved by `plan -out`
    wait: bool = False
    timeout: float | None = None  # seconds, with `wait`
    parallelism: int = 4  # creates in flight at once
    retry: tuple[str, ...] = ()  # addresses of FAILED jobs to retry once
    reason: str | None = None  # `--retry` of a COMPLETED job: why its deletion runs again
    skip_preflight: bool = False
    ignore_activity: bool = False
    lock_timeout: float = 0
    change_ref: str | None = None  # the PR, ticket or change record this apply carries out
    approved_by: tuple[str, ...] = ()  # who approved it, in the order given
    # the reviewed saved plan: applied while current, else a fresh plan (FreshInstead) unless
    # the settings require the reviewed one
    reviewed: Path | None = None
    fresh_note: Path | None = None  # `--reviewed`: where to say that a fresh plan was applied
    queued_only: bool = False  # only the creates earlier applies queued, retries and imports


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
    plan_digest: str | None = None  # the saved plan's: the one reviewed
    reviewed: bool = False  # `--reviewed`: the reviewed plan itself is applied
    protected: tuple[Path, ...] = ()  # the state's files: no output is written over them

    @property
    def asks(self) -> bool:
        """Whether carrying it out needs a person's yes: it changes something and is not a
        saved plan (a reviewed plan's apply is the approval)."""
        saved = self.inputs.plan_file is not None or self.reviewed
        return self.plan.has_changes and not saved


@dataclass(frozen=True)
class Applied:
    """What an apply came to."""

    outcomes: tuple[Outcome, ...]  # each job's last outcome
    unfinished: tuple[Unfinished, ...]  # what is left undone, for the summary
    wait: bool
    attention: tuple[Attention, ...] = ()  # declared jobs left needing a person (exit 5)
    unsaved: ReconcilerError | None = None  # the state's last write failed with this

    @property
    def results(self) -> list[Result]:
        return [outcome.result for outcome in self.outcomes]

    @property
    def exit_code(self) -> ExitCode:
        """1 for the run's own error, else 5 for a job that needs a person, else 0."""
        return exit_code(self.results, self.unfinished)

    @property
    def ok(self) -> bool:
        """Every job went as planned (and, waiting, ended COMPLETED); none needs a person."""
        return self.exit_code is ExitCode.OK

    @property
    def created(self) -> bool:
        """Jobs were created and recorded, and nobody waited for them."""
        return self.unsaved is None and not self.wait and Result.CREATED in self.results


def checked(inputs: ApplyInputs) -> ApplyInputs:
    """The inputs, refused where they cannot work together."""
    if inputs.timeout is not None and not inputs.wait:
        raise UsageError("--timeout limits --wait: give --wait too, or leave --timeout out")
    given = [f for f in ("retry", "skip_preflight", "ignore_activity") if getattr(inputs, f)]
    if given and (inputs.plan_file is not None or inputs.reviewed is not None):
        flag = "--" + given[0].replace("_", "-")
        raise UsageError(
            f"{flag} goes to `reconciler plan -out`: a saved plan already says what it does"
        )
    if inputs.reviewed is not None and inputs.plan_file is not None:
        raise UsageError(
            "give the saved plan once: PLANFILE applies it or nothing, --reviewed PLANFILE "
            "applies it or a fresh plan"
        )
    if inputs.fresh_note is not None and inputs.reviewed is None:
        raise UsageError("--fresh-note goes with --reviewed PLANFILE: only it applies a fresh plan")
    if inputs.queued_only and (inputs.plan_file or inputs.reviewed or inputs.retry):
        raise UsageError(
            "--queued-only makes its own plan of what earlier applies queued: give no saved "
            "plan, --reviewed or --retry with it"
        )
    problem = rerun_problem(inputs.reason, inputs.retry)
    if problem is not None:
        raise UsageError(problem)
    if any(not name.strip() for name in inputs.approved_by):  # `--approved-by "$EMPTY"`
        raise UsageError("--approved-by was given no name: name who approved, or leave it out")
    change_ref = inputs.change_ref.strip() if inputs.change_ref is not None else None
    approved_by = approvers(inputs.approved_by)
    problem = approval_problem(change_ref, approved_by)
    if problem is not None:
        raise UsageError(problem)
    return replace(inputs, change_ref=change_ref, approved_by=approved_by)


def with_environment(inputs: ApplyInputs, environ: Mapping[str, str]) -> ApplyInputs:
    """The approval the flags do not give, from `RECONCILER_CHANGE_REF` and
    `RECONCILER_APPROVED_BY` (comma-separated): flags win, each on its own."""
    if inputs.change_ref is None and environ.get("RECONCILER_CHANGE_REF"):
        inputs = replace(inputs, change_ref=environ["RECONCILER_CHANGE_REF"])
    if not inputs.approved_by and environ.get("RECONCILER_APPROVED_BY"):
        inputs = replace(inputs, approved_by=split_approvers(environ["RECONCILER_APPROVED_BY"]))
    return inputs


@contextmanager
def prepare(inputs: ApplyInputs, runtime: Runtime, emit: Emit = ignore) -> Iterator[Prepared]:
    """Under the state lock (held for the block): the plan to apply."""
    inputs = checked(with_environment(inputs, runtime.environ))
    tree = open_tree(inputs.manifests_dir, runtime)
    protected = tree.settings.state.protected_files()  # never written over by --fresh-note
    if inputs.fresh_note is not None:
        check_output(inputs.fresh_note, "--fresh-note", protected, example="fresh-plan.md")
    stale_after = tree.settings.state.lock_stale_after
    with locked(tree.backend, "apply", inputs.lock_timeout, stale_after, runtime, emit):
        workspace = loaded(tree, emit)
        if inputs.plan_file is not None:
            saved = current_plan(workspace, inputs.plan_file)
            yield Prepared(workspace, inputs, saved.plan, saved.digest, protected=protected)
            return
        if inputs.reviewed is not None:
            require = workspace.settings.apply.require_reviewed_plan
            plan, came = reviewed_or_fresh(workspace, inputs.reviewed, require)
            if isinstance(came, Saved):
                yield Prepared(workspace, inputs, plan, came.digest, True, protected)
                return
            run = run_info(runtime.environ, runtime.host, runtime.user)
            emit(replace(came, run=run.describe(), note=inputs.fresh_note))
            # its approvers reviewed another plan: the change it carries out stays
            yield Prepared(workspace, replace(inputs, approved_by=()), plan, protected=protected)
            return
        plan = workspace.plan(
            retry=inputs.retry,
            rerun_reason=inputs.reason,
            skip_preflight=inputs.skip_preflight,
            ignore_activity=inputs.ignore_activity,
            queued_only=inputs.queued_only,
        )
        yield Prepared(workspace, inputs, plan, protected=protected)


def execute(prepared: Prepared, emit: Emit) -> Applied:
    """Carry the prepared plan out (inside `prepare`'s block). What was staged is written
    whatever happens; a failure of that last write comes back in `Applied.unsaved`."""
    workspace = prepared.workspace
    runtime = workspace.runtime
    session = StateSession(
        workspace.backend,
        workspace.stored or new_state(runtime.clock()),
        runtime.clock,
        monotonic=runtime.monotonic,
    )
    if workspace.stored is not None:  # preflight's reads, kept for the next plans (not a
        session.stage(checked=prepared.plan.checked)  # reason alone to start a state)
    done: Applied | None = None
    try:
        with flushed(session, lambda text: emit(Note(f"{text}."))):
            done = _Run(prepared, session, emit).carry_out()
    except ReconcilerError as exc:
        if done is None:
            raise  # the run's own error: what was done so far has been told
        left = (*done.unfinished, Unfinished(Undone.NOT_SAVED))
        return replace(done, unfinished=left, unsaved=exc)
    return done


class _Run:
    def __init__(self, prepared: Prepared, session: StateSession, emit: Emit) -> None:
        self.workspace = prepared.workspace
        self.inputs = prepared.inputs
        self.plan = prepared.plan
        self.plan_digest = prepared.plan_digest
        self.session = session
        self.emit = emit
        self.unfinished: list[Unfinished] = []
        self.attention: list[Attention] = []
        self.provenance = self._provenance() if self.plan.has_changes else None

    def carry_out(self) -> Applied:
        plan, wait = self.plan, self.inputs.wait
        executor = self._executor()
        outcomes = executor.execute(plan)
        self._keep_queued({o.address: o for o in outcomes})  # saved even if the run is stopped
        for outcome in outcomes:
            if outcome.result is not Result.QUEUED or not wait:
                self.emit(JobDone(outcome))
        final = {o.address: o for o in outcomes}  # each job's last outcome counts
        if wait:
            tracked = self._track(executor, outcomes)
            final.update((o.address, o) for o in tracked.outcomes)
            self._waited(tracked)
        else:
            self._left_waiting(outcomes)
        self._queued_retries(outcomes)
        self._keep_queued(final)
        if plan.refused:  # never created: what preflight found is shown at each manifest line
            self._refusals()
        return Applied(tuple(final.values()), tuple(self.unfinished), wait, tuple(self.attention))

    def _keep_queued(self, final: Mapping[str, Outcome]) -> None:
        """Record in the state the creates this run decided and left queued or held, with the
        evidence of their input and this run's approval (one carried over stays as it was), so
        that a later run sends each only while it is still that job on that input; forget the
        ones sent now, and the ones no longer declared so."""
        declared = {job.address: job.spec.digest() for job in self.workspace.jobs}
        now = self.workspace.runtime.clock()
        entries: dict[str, QueuedCreate] = {}
        for change in self.plan.changes:
            outcome = final.get(change.address)
            if (
                outcome is None
                or outcome.result is not Result.QUEUED
                or change.action is not Action.CREATE
                or change.desired is None
                or not change.inputs  # not read (--skip-preflight): nothing to bind it to
                or self.provenance is None
                or change.approval is not None  # carried over: its entry stands
            ):
                continue
            entries[change.address] = QueuedCreate(
                spec_digest=change.desired.digest(),
                inputs=change.inputs,
                provenance=self.provenance,
                queued=now,
            )

        def keep(address: str, entry: QueuedCreate) -> bool:
            outcome = final.get(address)
            still = outcome is None or outcome.result is Result.QUEUED
            return still and declared.get(address) == entry.spec_digest

        self.session.queue(entries, keep)

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
        """The executor of the plan: each create sent only while its input is still the version
        the plan read (unless the plan skipped preflight), and recorded with that evidence and
        who approved and ran it."""
        provider = self.workspace.provider
        settings = self.workspace.settings
        runtime = self.workspace.runtime
        found = None
        if not self.plan.preflight_skipped:
            reader = provider.input_reader()

            def found(location: str, region: str) -> tuple[InputIdentity, ...] | str:
                try:
                    return identities(location, region, reader)
                except InputError as exc:
                    return f"its input cannot be identified now ({exc})"

        return Executor(
            self.session,
            provider,
            max_pending=settings.quotas.max_pending_jobs_per_dataset_group,
            parallelism=self.inputs.parallelism,
            checkpoint=runtime.checkpoint,
            identities=found,
            provenance=self.provenance,
        )

    def _provenance(self) -> Provenance:
        """Who approved this run's creates (as given), who runs them, and from which plan."""
        runtime = self.workspace.runtime
        return provenance(
            principal=self.workspace.provider.principal(),
            run=run_info(runtime.environ, runtime.host, runtime.user),
            plan_id=self.plan.id,
            plan_digest=self.plan_digest,
            change_ref=self.inputs.change_ref,
            approved_by=self.inputs.approved_by,
            recorded=runtime.clock(),
        )

    def _left_waiting(self, outcomes: Sequence[Outcome]) -> None:
        """Without waiting: the held creates, and what the plan leaves for a person."""
        waiting = {c.address for c in self.plan.changes if c.held}
        held = [o for o in outcomes if o.result is Result.QUEUED and o.address in waiting]
        if held:
            self.unfinished.append(Unfinished(Undone.HELD, len(held)))
        # an overdue request is told, not held against this run: its jobs may be what it applies
        for item in self.plan.attention:
            if item.concern is Concern.OVERDUE:
                self.emit(Warned(item.line()))
        self._attention([a for a in self.plan.attention if a.concern is not Concern.OVERDUE])

    def _attention(self, items: Sequence[Attention]) -> None:
        """What the plan leaves for a person, that the run does not follow: each told."""
        for item in items:
            self.emit(Warned(item.line()))
        if items:
            self.unfinished.append(Unfinished(Undone.ATTENTION, len(items)))
            self.attention += items

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

    def _waited(self, tracked: TrackResult) -> None:
        """What the jobs came to while waiting (each declared one ended COMPLETED, or not), and
        the selectors of the plan that match no group (waiting follows no job of theirs)."""
        came_to = waited(tracked, self.plan, self.workspace.jobs, self.inputs.timeout)
        self.emit(came_to)
        self.unfinished += came_to.unfinished
        self.attention += (*came_to.failed, *came_to.missing)
        self._attention([a for a in self.plan.attention if a.concern is Concern.UNMATCHED])
