"""`reconciler apply [PLANFILE]`: under the state lock, plan (or take a saved plan that is still
current), confirm, execute, and with `--wait` follow the jobs until COMPLETED or FAILED."""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.display import ProgressDisplay, outcome_line
from reconciler.apply.executor import Checkpoint, Executor, Result, no_checkpoint
from reconciler.apply.session import StateSession
from reconciler.apply.tracking import Tracker
from reconciler.commands.common import Runtime, settings_of
from reconciler.commands.plan import refresh_and_plan
from reconciler.durations import format_duration
from reconciler.errors import ReconcilerError
from reconciler.manifest import ManifestSet, load_manifests
from reconciler.models import JobStatus
from reconciler.planfile import load_plan
from reconciler.planning.model import Change, Plan
from reconciler.providers.interface import Provider
from reconciler.render.plan_text import render_text
from reconciler.settings import Settings
from reconciler.state.document import StateDocument, new_state
from reconciler.state.interface import StateBackend
from reconciler.state.registry import make_backend


class StalePlan(ReconcilerError):
    """A saved plan made from a state or manifests that have moved on."""


def apply(
    *,
    manifests_dir: Path,
    plan_file: Path | None,
    auto_approve: bool,
    wait: bool,
    timeout: float | None,
    parallelism: int,
    runtime: Runtime,
    checkpoint: Checkpoint = no_checkpoint,
) -> int:
    manifests = load_manifests([manifests_dir])
    settings = settings_of(manifests, runtime.environ)
    backend = make_backend(settings.state)
    provider = runtime.make_provider(settings)
    lock = backend.lock("apply")
    try:
        run = _Apply(manifests, settings, backend, provider, runtime, parallelism, checkpoint)
        return run.run(plan_file, auto_approve=auto_approve, wait=wait, timeout=timeout)
    finally:
        backend.unlock(lock)


class _Apply:
    def __init__(
        self,
        manifests: ManifestSet,
        settings: Settings,
        backend: StateBackend,
        provider: Provider,
        runtime: Runtime,
        parallelism: int,
        checkpoint: Checkpoint,
    ) -> None:
        self.manifests = manifests
        self.settings = settings
        self.backend = backend
        self.provider = provider
        self.runtime = runtime
        self.parallelism = parallelism
        self.checkpoint = checkpoint
        self.out = runtime.out

    def run(
        self, plan_file: Path | None, *, auto_approve: bool, wait: bool, timeout: float | None
    ) -> int:
        stored = self.backend.load()
        plan = self._saved(plan_file, stored) if plan_file else self._plan(stored)
        self.out.write(render_text(plan, color=self.runtime.color))
        if plan.errored:
            return 1
        if plan.has_changes and not auto_approve and not self._confirmed():
            return 1
        session = StateSession(self.backend, stored or new_state(), self.runtime.clock)
        executor = Executor(session, self.provider, parallelism=self.parallelism,
                            checkpoint=self.checkpoint)  # fmt: skip
        outcomes = executor.execute(plan)
        for outcome in outcomes:
            if outcome.result is not Result.QUEUED or not wait:
                self.out.write(outcome_line(outcome) + "\n")
        results = [o.result for o in outcomes]
        queued = [c for c in plan.changes if c.creates and c.address in
                  {o.address for o in outcomes if o.result is Result.QUEUED}]  # fmt: skip
        code = 1 if Result.FAILED in results or Result.UNKNOWN in results else 0
        if wait:
            code = max(code, self._wait(session, executor, queued, timeout))
        self.out.write(_summary(results, wait) + "\n")
        return code

    def _plan(self, stored: StateDocument | None) -> Plan:
        return refresh_and_plan(
            self.manifests, self.settings, stored, self.provider, self.backend.describe()
        )

    def _saved(self, plan_file: Path, stored: StateDocument | None) -> Plan:
        plan = load_plan(plan_file)
        lineage = stored.lineage if stored else None
        serial = stored.serial if stored else None
        stale = "Saved plan is stale: "
        if (plan.lineage, plan.serial) != (lineage, serial):
            raise StalePlan(
                f"{stale}the state changed since the plan was made (lineage {plan.lineage}, "
                f"serial {plan.serial}; now lineage {lineage}, serial {serial}). Make a new plan."
            )
        if plan.manifests_digest != self.manifests.digest:
            raise StalePlan(
                f"{stale}the manifests changed since the plan was made. Make a new plan."
            )
        if plan.provider != self.provider.name:
            raise StalePlan(
                f"{stale}it was made with the {plan.provider} provider, not {self.provider.name}."
            )
        return plan

    def _confirmed(self) -> bool:
        if not self.runtime.in_tty:
            self.runtime.err.write(
                "Error: apply needs a confirmation and there is no terminal to ask on: review the "
                "plan above and run again with --auto-approve.\n"
            )
            return False
        answer = self.runtime.ask(
            "Do you want to perform these actions? Only 'yes' will be accepted: "
        )
        if answer.strip() != "yes":
            self.runtime.err.write("Apply cancelled.\n")
            return False
        return True

    def _wait(
        self, session: StateSession, executor: Executor, queued: list[Change], timeout: float | None
    ) -> int:
        tracker = Tracker(
            session, self.provider,
            intervals=self.settings.polling.intervals(self.provider.polling_defaults),
            max_pending=self.settings.quotas.max_pending_jobs_per_dataset_group,
            executor=executor, monotonic=self.runtime.monotonic, sleep=self.runtime.sleep,
        )  # fmt: skip
        display = ProgressDisplay(self.out, tty=self.runtime.out_tty)
        result = tracker.run(queued, timeout=timeout, report=display)
        display.close()
        declared = {job.address for job in self.manifests.jobs}
        records = [r for r in result.records if r.address in declared]
        failed = [r for r in records if r.status is JobStatus.FAILED]
        for record in failed:
            self.out.write(
                f"{record.address}: FAILED: {record.failure_reason or 'no reason given'}\n"
            )
        for address in sorted(result.missing):
            self.out.write(f"{address}: no longer listed by the service (drift): not followed\n")
        if not result.finished:
            running = sum(1 for r in records if r.status and not r.status.terminal)
            self.runtime.err.write(
                f"Stopped waiting after {format_duration(timeout or 0)}: {running} jobs still "
                f"running, {len(result.queued)} queued. Nothing is lost: `reconciler apply --wait` "
                "or `reconciler status --watch` goes on from the state.\n"
            )
            return 1
        return 1 if failed or result.missing else 0


def _summary(results: list[Result], wait: bool) -> str:
    counts = {r: results.count(r) for r in Result}
    text = (
        f"Apply complete: {counts[Result.CREATED]} created, {counts[Result.ADOPTED]} adopted, "
        f"{counts[Result.FORGOTTEN]} forgotten"
    )
    if counts[Result.QUEUED] and not wait:
        text += f", {counts[Result.QUEUED]} queued for the next apply"
    if counts[Result.FAILED] or counts[Result.UNKNOWN]:
        text += f", {counts[Result.FAILED]} failed, {counts[Result.UNKNOWN]} not confirmed"
    return text + "."
