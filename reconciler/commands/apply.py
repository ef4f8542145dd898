"""`reconciler apply [PLANFILE]`: under the state lock, plan (or take a saved plan that is still
current), confirm, execute, and with `--wait` follow the jobs until COMPLETED or FAILED."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.display import ProgressDisplay, outcome_line, summary_line
from reconciler.applying.executor import Executor, Result
from reconciler.applying.session import StateSession, flushed
from reconciler.applying.tracker import Tracker, TrackResult
from reconciler.digests import Digester
from reconciler.durations import format_duration
from reconciler.errors import Cancelled, ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.models import JobStatus
from reconciler.planfile import differences as plan_differences
from reconciler.planfile import load_plan
from reconciler.planning import attention
from reconciler.planning.attention import Concern
from reconciler.planning.model import Change, Plan
from reconciler.preflight import preflight_errors
from reconciler.render.diagnostics import plural
from reconciler.render.plan_text import render_text
from reconciler.runtime import Runtime
from reconciler.state.document import StateDocument, decisions_digest, new_state
from reconciler.workspace import Workspace, locked, open_tree


class StalePlan(ReconcilerError):
    """A saved plan made from a state or manifests that have moved on."""


class ApplyRefused(ReconcilerError):
    """Apply was not confirmed: nothing was done."""


@dataclass(frozen=True)
class ApplyOptions:
    manifests_dir: Path
    plan_file: Path | None = None
    auto_approve: bool = False
    wait: bool = False
    timeout: float | None = None
    parallelism: int = 4
    retry: tuple[str, ...] = ()
    skip_preflight: bool = False
    ignore_activity: bool = False
    lock_timeout: float = 0
    no_color: bool = False


def apply(options: ApplyOptions, runtime: Runtime) -> int:
    if options.timeout is not None and not options.wait:
        raise UsageError("--timeout limits --wait: give --wait too, or leave --timeout out")
    given = [f for f in ("retry", "skip_preflight", "ignore_activity") if getattr(options, f)]
    if given and options.plan_file is not None:
        flag = "--" + given[0].replace("_", "-")
        raise UsageError(
            f"{flag} goes to `reconciler plan -out`: a saved plan already says what it does"
        )
    tree = open_tree(options.manifests_dir, runtime)
    with locked(tree.backend, "apply", options.lock_timeout, runtime):
        return _Apply(tree.load(), options).run()


class _Apply:
    def __init__(self, workspace: Workspace, options: ApplyOptions) -> None:
        self.workspace = workspace
        self.options = options
        self.runtime = workspace.runtime
        self.out = workspace.runtime.out
        self.unfinished: list[str] = []  # what waiting ended with, other than COMPLETED

    def run(self) -> int:
        stored = self.workspace.stored
        if self.options.plan_file is not None:
            plan = self._saved(self.options.plan_file, stored)
        else:
            plan = self.workspace.plan(retry=self.options.retry, **self._checks())
        self.out.write(render_text(plan, color=self.runtime.color(self.options.no_color)))
        if plan.errored:
            return ExitCode.ERROR
        if plan.has_changes and not self.options.auto_approve and self.options.plan_file is None:
            self._confirm()  # a saved plan was reviewed: applying it is the approval
        session = StateSession(
            self.workspace.backend,
            stored or new_state(),
            self.runtime.clock,
            monotonic=self.runtime.monotonic,
        )
        done: tuple[ExitCode, list[Result]] | None = None
        try:
            with flushed(
                session, lambda text: self.runtime.err.write(f"Note: {printable(text)}.\n")
            ):
                done = self._execute(plan, session)
        except ReconcilerError:
            if done is None:
                raise  # the run's own error: what was done so far is above
            self.unfinished.append(  # the last write failed: its error is the next line
                "the state was not saved: the next apply finds in the service what this one did"
            )
            self._conclude(done[1], ExitCode.ERROR, saved=False)
            raise
        self._conclude(done[1], done[0], saved=True)
        return done[0]

    def _execute(self, plan: Plan, session: StateSession) -> tuple[ExitCode, list[Result]]:
        """Carry the plan out; the exit code and each job's last result (told by `_conclude`
        once the state is saved)."""
        provider = self.workspace.provider
        digest = None
        checked = None
        if not plan.preflight_skipped:  # the evidence of each input, recorded with its job
            reader = provider.input_reader()
            digest = Digester(
                reader,
                self.runtime.clock,
                self._note,
            )
            checked = preflight_errors(reader, self.workspace.settings.preflight.max_input_bytes)
        executor = Executor(
            session,
            provider,
            max_pending=self.workspace.settings.quotas.max_pending_jobs_per_dataset_group,
            parallelism=self.options.parallelism,
            checkpoint=self.runtime.checkpoint,
            digest=digest,
            preflight=checked,
        )
        outcomes = executor.execute(plan)
        for outcome in outcomes:
            if outcome.result is not Result.QUEUED or not self.options.wait:
                self.out.write(outcome_line(outcome) + "\n")
        final = {o.address: o for o in outcomes}  # each job's last outcome counts
        code = ExitCode.OK
        if self.options.wait:
            changes = {c.address: c for c in plan.changes}
            queued = [changes[o.address] for o in outcomes if o.result is Result.QUEUED]
            unconfirmed = [changes[o.address] for o in outcomes if o.result is Result.UNKNOWN]
            tracked = self._wait(
                session, executor, queued, unconfirmed, activity_ignored=plan.activity_ignored
            )
            final.update((o.address, o) for o in tracked.outcomes)
            code = self._verdict(tracked, plan)
        else:
            waiting = {c.address for c in plan.changes if c.held}
            held = [o for o in outcomes if o.result is Result.QUEUED and o.address in waiting]
            if held:
                self.unfinished.append(
                    f"{plural(len(held), 'job')} held while their dataset group imports or "
                    "trains: apply again once it is quiet, or apply with --wait"
                )
            for item in plan.attention:  # what this apply leaves for a person
                self.runtime.err.write(f"Warning: {item.line()}\n")
            if plan.attention:
                need = "needs" if len(plan.attention) == 1 else "need"
                self.unfinished.append(f"{plural(len(plan.attention), 'job')} {need} attention")
        for outcome in outcomes:
            if outcome.result is Result.QUEUED and outcome.address in plan.retries:
                self.runtime.err.write(
                    f"Note: the retry of {outcome.address} is queued (no free PENDING slot): only "
                    f"this run asked for it; run `reconciler apply --retry {outcome.address}` "
                    "again later, or apply with --wait.\n"
                )
        results = [o.result for o in final.values()]
        if Result.FAILED in results or Result.UNKNOWN in results:
            code = ExitCode.ERROR
        if plan.refused:  # never created: what preflight found is above, at each manifest line
            code = ExitCode.ERROR
            counts = plan.refusals()
            if counts["preflight"]:
                self.unfinished.append(f"{plural(counts['preflight'], 'job')} refused by preflight")
            if counts["fan-out"]:
                self.unfinished.append(
                    f"{plural(counts['fan-out'], 'job')} refused: name or address taken"
                )
        return code, results

    def _conclude(self, results: list[Result], code: ExitCode, *, saved: bool) -> None:
        """The summary, told once the state is saved (or failed to be): `Apply complete` only
        when it was and nothing failed."""
        summary = summary_line(results, self.options.wait, code is ExitCode.OK, self.unfinished)
        self.out.write(summary + "\n")
        if saved and not self.options.wait and Result.CREATED in results:
            self.out.write(
                "Created is not deleted yet: the jobs are PENDING; `reconciler status --watch` "
                "follows them to COMPLETED or FAILED (`reconciler check` says when all are).\n"
            )

    def _saved(self, plan_file: Path, stored: StateDocument | None) -> Plan:
        plan = load_plan(plan_file)
        lineage = stored.lineage if stored else None
        decisions = decisions_digest(stored) if stored else None
        stale = "Saved plan is stale: "
        if plan.lineage and lineage and plan.lineage != lineage:
            raise StalePlan(
                f"{stale}it was made from another state (lineage {plan.lineage}; now "
                f"{lineage}). Make a new plan."
            )
        if (plan.lineage, plan.decisions) != (lineage, decisions):
            raise StalePlan(
                f"{stale}the state changed since the plan was made (another apply created, "
                f"retried, imported or forgot jobs; serial {plan.serial} then, "
                f"{stored.serial if stored else None} now). Make a new plan."
            )
        if plan.manifests_digest != self.workspace.manifests.digest:
            raise StalePlan(
                f"{stale}the manifests changed since the plan was made. Make a new plan."
            )
        target = self.workspace.target()
        if not plan.target.same_place(target):
            raise StalePlan(
                f"{stale}it was made for {plan.target.describe()}; this run acts on "
                f"{target.describe()}."
            )
        # The file is bound to its contents: what it says must be what the manifests, the
        # state and the service call for now (a hand-edited plan, or a job that failed since,
        # is refused). The plan made now carries those same decisions and is the one applied.
        fresh = self.workspace.plan(
            retry=plan.retries,
            skip_preflight=plan.preflight_skipped,
            ignore_activity=plan.activity_ignored,
        )
        differences = plan_differences(plan, fresh)
        if differences and not fresh.errored:
            shown = "\n".join(differences[:10])
            more = f"\n  … and {len(differences) - 10} more" if len(differences) > 10 else ""
            raise StalePlan(
                f"{stale}it is not what the manifests, the state and the service call for "
                f"now:\n{shown}{more}\nMake a new plan."
            )
        return fresh

    def _note(self, text: str) -> None:
        self.runtime.err.write(f"Note: {printable(text)}.\n")

    def _checks(self) -> dict[str, bool]:
        return {
            "skip_preflight": self.options.skip_preflight,
            "ignore_activity": self.options.ignore_activity,
        }

    def _confirm(self) -> None:
        if not self.runtime.in_tty:
            raise ApplyRefused(
                "apply needs a confirmation and there is no terminal to ask on: review the "
                "plan above and run again with --auto-approve."
            )
        answer = self.runtime.ask(
            "Do you want to perform these actions? Only 'yes' will be accepted: "
        )
        if answer.strip() != "yes":
            raise Cancelled("Apply cancelled.")

    def _wait(
        self,
        session: StateSession,
        executor: Executor,
        queued: list[Change],
        unconfirmed: list[Change],
        *,
        activity_ignored: bool,
    ) -> TrackResult:
        """Follow the jobs to the end, creating the queued ones as slots free (and, unless the
        plan ignores activity, as their groups are quiet)."""
        settings = self.workspace.settings
        provider = self.workspace.provider
        tracker = Tracker(
            session,
            provider,
            intervals=settings.polling.intervals(provider.polling_defaults),
            executor=executor,
            monotonic=self.runtime.monotonic,
            sleep=self.runtime.sleep,
            activity=None if activity_ignored else provider.activity,
        )
        display = ProgressDisplay(self.out, tty=self.runtime.out_tty)
        try:
            return tracker.run(
                queued, timeout=self.options.timeout, report=display, unconfirmed=unconfirmed
            )
        finally:
            display.close()

    def _verdict(self, result: TrackResult, plan: Plan) -> ExitCode:
        """What the jobs came to while waiting: 0 only if every declared one ended COMPLETED
        (a job the plan found no longer listed, never followed, counts against it too)."""
        declared = {job.address for job in self.workspace.jobs}
        records = [r for r in result.records if r.address in declared]
        failed = [r for r in records if r.status is JobStatus.FAILED]
        jobs = {job.address: job for job in self.workspace.jobs}
        for record in failed:
            reason = record.seen.failure_reason if record.seen else None
            job = jobs[record.address]
            item = attention.failed(
                record.address,
                record.spec,
                record.job_name,
                record.attempt,
                reason,
                job.source,
                job.retry,
            )
            self.runtime.err.write(f"Error: {item.line()}\n")
        gone = result.missing | {a.address for a in plan.attention if a.concern is Concern.MISSING}
        missing = [r for r in records if r.address in gone]
        for record in missing:
            item = attention.missing(record.address, record.job_name)
            self.runtime.err.write(f"Error: {item.line()}\n")
        if failed:
            self.unfinished.append(f"{plural(len(failed), 'job')} FAILED")
        if missing:
            self.unfinished.append(f"{plural(len(missing), 'job')} no longer listed")
        if not result.finished:
            running = sum(1 for r in records if r.status and not r.status.terminal)
            timeout = format_duration(self.options.timeout or 0)
            why = f"after {timeout}"
            if result.unreachable:
                why = f"because {printable(result.unreachable)}"
            self.unfinished.append(f"{plural(running, 'job')} still running")
            self.runtime.err.write(
                f"Stopped waiting {why}: {plural(running, 'job')} still running, "
                f"{len(result.queued)} queued. Nothing is lost: `reconciler apply --wait` or "
                "`reconciler status --watch` goes on from the state.\n"
            )
            return ExitCode.ERROR
        return ExitCode.ERROR if failed or missing else ExitCode.OK
