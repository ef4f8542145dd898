"""The pipeline every use case shares: manifests -> settings -> state backend -> provider ->
refresh -> plan.

`open_tree` loads what a manifests tree declares and builds the parts its settings name, with
the factories the runtime injects, in one place (`Tree`); `Tree.load` reads the state once and
gives the immutable `Workspace`, whose `plan` reads the service for the declared and recorded
jobs and decides. `plan`, `apply` and `check` go through the same path, so what `plan` shows is
what `apply` does. `read_tree` reads the settings on their own, for the use cases that must work
beside a broken manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.errors import ManifestError, ReconcilerError
from reconciler.escaping import printable
from reconciler.manifest.loader import ManifestSet, check_manifests, colliding, load_manifests
from reconciler.models import (
    DatasetGroupRef,
    DesiredJob,
    InputCheck,
    InputEvidence,
    InputIdentity,
    Provenance,
    Target,
    describe_activity,
    same_inputs,
)
from reconciler.planning import attention, requests
from reconciler.planning.decide import make_plan
from reconciler.planning.fanout import (
    JobsDocument,
    Selector,
    addresses_in,
    expansions_by_source,
    new_groups,
    selected,
    with_recorded_names,
)
from reconciler.planning.model import (
    Action,
    Change,
    Expansion,
    Limits,
    Origin,
    Plan,
    PlanDiagnostic,
    RecordedJob,
    RecordedState,
)
from reconciler.preflight import WEAK_IDENTITY, preflight
from reconciler.refresh import refresh
from reconciler.settings import Settings, with_environment
from reconciler.state.document import JobRecord, StateDocument, decisions_digest

if TYPE_CHECKING:
    from reconciler.providers.interface import Provider
    from reconciler.runtime import Runtime
    from reconciler.state.interface import StateBackend


def settings_of(manifests: ManifestSet | None, environ: Mapping[str, str]) -> Settings:
    """The tree's Settings document (defaults without one) with the environment's overrides."""
    return manifests.settings_with(environ) if manifests else with_environment(Settings(), environ)


@dataclass(frozen=True)
class TreeRead:
    """A manifests tree read for a command that must work whatever the tree holds (`state`,
    `force-unlock`, `status`, `report`): its settings, read on their own; the declared jobs
    where the whole tree is valid; and the problems of the rest, for the command to say."""

    manifests: ManifestSet | None  # None without a tree, or with any problem in it
    settings: Settings
    problems: tuple[Diagnostic, ...] = ()


def read_tree(manifests_dir: Path, environ: Mapping[str, str]) -> TreeRead:
    """The tree at `manifests_dir` (defaults without one). A broken manifest elsewhere in the
    tree leaves the settings readable; a broken Settings document does not (ManifestError,
    with its problems only: without it, where the state is cannot be known)."""
    if not manifests_dir.is_dir():
        return TreeRead(None, settings_of(None, environ))
    check = check_manifests([manifests_dir])
    if check.manifests is not None:
        return TreeRead(check.manifests, settings_of(check.manifests, environ))
    if check.settings_problems:
        raise ManifestError(check.settings_problems)
    alone = check.settings.settings() if check.settings else Settings()
    return TreeRead(None, with_environment(alone, environ), check.diagnostics)


def load_settings(manifests_dir: Path, environ: Mapping[str, str]) -> Settings:
    """The tree's settings, read on their own (defaults without a tree)."""
    return read_tree(manifests_dir, environ).settings


@dataclass(frozen=True)
class Resolved:
    """The declared jobs with the selectors' resolved: in which groups each selector's jobs go."""

    jobs: tuple[DesiredJob, ...]
    groups: tuple[str, ...]
    matched: dict[Location, tuple[str, ...]]
    expanded: dict[Location, tuple[DesiredJob, ...]]  # each selector document's jobs
    refused: tuple[PlanDiagnostic, ...] = ()  # selectors' jobs whose name or address is taken


@dataclass(frozen=True)
class Tree:
    """A manifests tree and the parts its settings choose, built in one place: the state backend
    at once, the provider when first used. What a command needs before it takes the lock."""

    manifests: ManifestSet
    settings: Settings
    backend: StateBackend
    runtime: Runtime

    @cached_property
    def provider(self) -> Provider:
        return self.runtime.make_provider(self.settings)

    def load(self) -> Workspace:
        """The workspace of this tree and the state as stored now (read once, here: under the
        lock where the caller takes one). What the backend says of itself waits in its
        `notices()` (`usecases.opening.loaded` says it)."""
        return Workspace(self, self.backend.load())


@dataclass(frozen=True)
class Workspace:
    """A tree and the state as it was read, built in one step (`Tree.load`): the declared jobs
    are resolved against that state (a recorded job keeps its place and its name) and the
    service, once, when first asked."""

    tree: Tree
    stored: StateDocument | None

    @property
    def manifests(self) -> ManifestSet:
        return self.tree.manifests

    @property
    def settings(self) -> Settings:
        return self.tree.settings

    @property
    def backend(self) -> StateBackend:
        return self.tree.backend

    @property
    def runtime(self) -> Runtime:
        return self.tree.runtime

    @property
    def provider(self) -> Provider:
        return self.tree.provider

    @property
    def jobs(self) -> tuple[DesiredJob, ...]:
        """Every declared job, with those of selectors in the groups they match now."""
        return self._resolved.jobs

    @property
    def dataset_groups(self) -> tuple[str, ...]:
        """The groups the documents name or their selectors match."""
        return self._resolved.groups

    @cached_property
    def _resolved(self) -> Resolved:
        """Selectors resolved (ListDatasetGroups in each region they select, once each): the
        jobs, the groups, and each selector document's match. A selector's job that takes the
        name or address of another declared job (a group created since can make one) is left
        out, and refused at its manifest line in the plan; the rest of the tree plans as usual."""
        manifests = self.manifests
        selectors = manifests.selectors
        if not selectors:
            declared = tuple(with_recorded_names(manifests.jobs, self._recorded_names))
            return Resolved(declared, manifests.dataset_groups, {}, {})
        checked_target(
            self.provider,
            {job.spec.dataset_group_arn for job in manifests.jobs},
            [doc.selector for doc in selectors if doc.selector is not None],
        )
        regions = sorted({region for doc in selectors for region in _selector(doc).regions})
        listed = [g.arn for region in regions for g in self.provider.list_dataset_groups(region)]
        matched = {doc.source: selected(_selector(doc), listed) for doc in selectors}
        expanded = {doc.source: tuple(doc.expand(matched[doc.source])) for doc in selectors}
        jobs = [*manifests.jobs, *(job for each in expanded.values() for job in each)]
        jobs = with_recorded_names(jobs, self._recorded_names)
        # The lists' jobs passed `validate`: only selectors' clash. A job the state records is
        # kept over one it does not (a group created since must not make a tracked job go).
        recorded = self.stored.jobs if self.stored else {}
        clashes = colliding(sorted(jobs, key=lambda job: job.address not in recorded))
        left_out = {id(job) for job, _ in clashes}
        jobs = [job for job in jobs if id(job) not in left_out]
        groups = {*manifests.dataset_groups, *(arn for arns in matched.values() for arn in arns)}
        refused = tuple(
            PlanDiagnostic(
                severity=Severity.ERROR,
                summary=f"Fan-out: {job.address} is not planned: its name or address is taken",
                detail=problem.message,
                address=job.address,
                source=problem.location,
                blocking=False,
            )
            for job, problem in clashes
        )
        return Resolved(tuple(jobs), tuple(sorted(groups)), matched, expanded, refused)

    def expansions(self, recorded: RecordedState | None) -> tuple[list[Expansion], set[str]]:
        """How each document with targets spreads its jobs, and the addresses of the jobs in
        groups a selector matches since the last apply."""
        matched = self._resolved.matched
        addresses = recorded.jobs.keys() if recorded else ()
        found: list[Expansion] = []
        new: set[str] = set()
        for doc, groups in expansions_by_source(self.manifests.documents, matched):
            fresh: tuple[str, ...] = ()
            if doc.selector is not None:  # a list names its groups: none is ever new
                jobs = self._resolved.expanded[doc.source]
                fresh = new_groups(jobs, groups, addresses)
                new |= addresses_in(jobs, fresh)
            found.append(
                Expansion(
                    source=doc.source,
                    how=doc.how(),
                    groups=groups,
                    new_groups=fresh,
                    jobs=len(doc.jobs),
                )
            )
        return found, new

    @property
    def _recorded_names(self) -> dict[str, str]:
        """address -> the name of its recorded spec (a derived name passed by once stays)."""
        jobs = self.stored.jobs if self.stored else {}
        return {address: record.spec.job_name for address, record in jobs.items()}

    def target(self) -> Target:
        """Where this run acts: the provider's target for the regions of the declared and
        recorded dataset groups. Credentials of another account than the one the manifests and
        the state name are refused here, before anything is read or created."""
        groups = {job.spec.dataset_group_arn for job in self.jobs}
        if self.stored is not None:
            groups |= {record.spec.dataset_group_arn for record in self.stored.jobs.values()}
        return checked_target(self.provider, groups)

    def plan(
        self, retry: Sequence[str] = (), rerun_reason: str | None = None, **checks: bool
    ) -> Plan:
        """Read the service for the declared and recorded jobs, then decide (retrying the FAILED
        jobs at the addresses `retry` names once). The creates are then checked: their inputs
        (preflight, unless `skip_preflight`) and what runs in their groups (unless
        `ignore_activity`); a create whose input would make it FAIL is refused, one in a group
        that imports or trains is held. A create an earlier apply queued, still declared the
        same and on the same input, carries that apply's approval; with `queued_only`, the plan
        leaves out every other create and every forget (`apply --queued-only`)."""
        skip_preflight = checks.get("skip_preflight", False)
        ignore_activity = checks.get("ignore_activity", False)
        queued_only = checks.get("queued_only", False)
        before = Counter(self.provider.calls)
        target = self.target()
        recorded = recorded_state(self.stored)
        fanout, new = self.expansions(recorded)
        observed = refresh(
            self.jobs,
            self.dataset_groups,
            recorded,
            self.provider,
            per_region=self.provider.parallel_reads,
        )

        def decide(
            refused: dict[str, str],
            held: dict[str, str],
            unchanged: set[str],
            left_out: dict[str, str],
        ) -> Plan:
            return make_plan(
                self.jobs,
                recorded,
                observed,
                Limits(max_pending=self.settings.quotas.max_pending_jobs_per_dataset_group),
                Origin(
                    target=target,
                    state_location=self.backend.describe(),
                    manifests_digest=self.manifests.digest,
                ),
                retry=retry,
                refused=refused,
                held=held,
                fanout=fanout,
                new=new,
                unchanged=unchanged,
                left_out=left_out,
                rerun_reason=rerun_reason,
            )

        unmatched = [
            attention.unmatched(str(e.source), e.how, e.jobs) for e in fanout if not e.groups
        ]
        plan = decide({}, {}, set(), {})
        read = _Read() if skip_preflight else self._preflight(plan)
        refused, unchanged = read.refused, read.unchanged(plan)
        approvals = self._approvals(plan, read)
        left_out = _unapproved(plan, approvals, self.stored) if queued_only else {}
        creating = {
            c.dataset_group_arn
            for c in plan.changes
            if c.creates and all(c.address not in x for x in (refused, unchanged, left_out))
        }
        held = {} if ignore_activity else self._activity(creating)
        if refused or held or unchanged or left_out:
            plan = decide(refused, held, unchanged, left_out)
        calls = Counter(self.provider.calls)
        calls.subtract(before)
        calls.pop("GetCallerIdentity", None)  # the target's, not the plan's
        declared = self.manifests.requests
        found = requests.standings(
            declared,
            plan.changes,
            self.runtime.clock().date(),
            self.settings.deadlines.warn_days,
        )
        return plan.model_copy(
            update={
                "changes": _approved(read.bound(plan.changes), approvals),
                "checked": read.checks,
                "diagnostics": (
                    *self._resolved.refused,
                    *plan.diagnostics,
                    *read.warnings,
                    *requests.undeclared(declared, plan.changes),
                ),
                "attention": (*plan.attention, *unmatched, *requests.overdue(found)),
                "requests": found,
                "preflight_skipped": skip_preflight,
                "activity_ignored": ignore_activity,
                "api_calls": {k: v for k, v in calls.items() if v},
            }
        )

    def _approvals(self, plan: Plan, read: _Read) -> dict[str, Provenance | None]:
        """The creates an earlier apply decided, still declared with the spec it decided them
        with, on an input preflight found to be the very version that apply's plan read
        (address -> that apply's approval, to carry over): a create it left queued
        (`StateDocument.queued`), or one whose intent it recorded and never saw created."""
        queued = self.stored.queued if self.stored is not None else {}
        intents = self.stored.jobs if self.stored is not None else {}
        found: dict[str, Provenance | None] = {}
        for change in plan.changes:
            if change.action is not Action.CREATE or change.desired is None:
                continue
            now = [e.identity for e in read.evidence.get(change.desired.data_location, ())]
            entry, intent = queued.get(change.address), intents.get(change.address)
            for digest, inputs, approval in (
                (entry.spec_digest, entry.inputs, entry.provenance) if entry else (None, (), None),
                (intent.spec_digest, intent.inputs, intent.provenance)
                if intent is not None and intent.seen is None
                else (None, (), None),
            ):
                decided = [e.identity for e in inputs]
                if (
                    digest == change.desired.digest()
                    and decided
                    and now
                    and same_inputs(decided, now)
                ):
                    found[change.address] = approval
                    break
        return found

    def _preflight(self, plan: Plan) -> _Read:
        """What preflight read of the creates' inputs: which creates it refuses (address ->
        why), its warnings, and the evidence of each input (read whole once per version: the
        state keeps what it read, and an object still at that version is not read again)."""
        sources = {job.address: job.source for job in self.jobs}
        found = preflight(
            plan.changes,
            self.provider.input_reader(),
            self.settings.preflight.max_input_bytes,
            cache=self.stored.checked if self.stored is not None else {},
            clock=self.runtime.clock,
        )
        refused: dict[str, str] = {}
        warnings: list[PlanDiagnostic] = []
        for finding in found.findings:
            message = printable(finding.message)  # one line: an S3 key may hold a line break
            if finding.error:
                refused[finding.address] = "\n".join(
                    filter(None, (refused.get(finding.address), message))
                )
            else:
                warnings.append(
                    PlanDiagnostic(
                        severity=Severity.WARNING,
                        summary=f"Preflight: {finding.address}",
                        detail=message,
                        address=finding.address,
                        source=sources.get(finding.address),
                    )
                )
        weak = found.weakly_identified
        if weak:
            objects = "1 input object is" if weak == 1 else f"{weak} input objects are"
            warnings.append(
                PlanDiagnostic(
                    severity=Severity.WARNING,
                    summary=f"Preflight: {objects} known by size and LastModified only",
                    detail=WEAK_IDENTITY,
                )
            )
        return _Read(refused, warnings, found.evidence, tuple(found.checks.values()))

    def _activity(self, groups: Iterable[str]) -> dict[str, str]:
        """The groups (of those given) where something runs now, with what runs there."""
        held: dict[str, str] = {}
        for group in sorted(groups):
            running = self.provider.activity(group)
            if running:
                held[group] = describe_activity(running)
        return held


@dataclass(frozen=True)
class _Read:
    """What preflight read for a plan (nothing, with --skip-preflight)."""

    refused: dict[str, str] = field(default_factory=dict)  # address -> why its create is refused
    warnings: list[PlanDiagnostic] = field(default_factory=list)
    evidence: Mapping[str, tuple[InputEvidence, ...]] = field(default_factory=dict)  # location
    checks: tuple[InputCheck, ...] = ()  # the reads made, for the state to keep

    def unchanged(self, plan: Plan) -> set[str]:
        """The retries `onFailure: retry` would make on an input still the version their FAILED
        attempt was given (a `--retry` is a person's choice: it goes as asked)."""
        found = set()
        for change in plan.changes:
            if change.action is not Action.RETRY or change.address in plan.retries:
                continue
            recorded = change.recorded.inputs if change.recorded else ()
            assert change.desired is not None
            now = self.evidence.get(change.desired.data_location)
            if recorded and now and same_inputs(recorded, [e.identity for e in now]):
                found.add(change.address)
        return found

    def bound(self, changes: Sequence[Change]) -> tuple[Change, ...]:
        """The changes, each create with the evidence of its input: what apply records with
        it, once the input is found to be that same version just before the create."""
        return tuple(
            change.model_copy(
                update={"inputs": self.evidence.get(change.desired.data_location, ())}
            )
            if change.creates and change.desired is not None
            else change
            for change in changes
        )


def checked_target(
    provider: Provider, groups: Iterable[str], selectors: Sequence[Selector] = ()
) -> Target:
    """The provider's target for `groups` (and the regions `selectors` select), refused when the
    credentials' account (where the provider knows it) is not the account of every group and
    selector."""
    refs = [DatasetGroupRef.parse(arn) for arn in sorted(set(groups))]
    refs += [
        DatasetGroupRef(partition="aws", region=region, account=s.account, name="targets.select")
        for s in selectors
        for region in s.regions
    ]
    target = provider.target(sorted({ref.region for ref in refs}))
    named = sorted({ref.account for ref in refs})
    if target.account is None or not target.account_checked:
        if len(named) == 1:
            return target.model_copy(update={"account": named[0]})
        return target
    other = [ref for ref in refs if ref.account != target.account]
    if other:
        shown = ", ".join(sorted({f"{ref.name} ({ref.account})" for ref in other})[:5])
        profile = f" (profile {target.profile})" if target.profile else ""
        accounts = " + ".join(a for a in named if a != target.account)
        split = (
            "; one run acts in one account: keep each account's manifests (and state) apart"
            if len(named) > 1
            else ""
        )
        said = f"the credentials are for AWS account {target.account}{profile}"
        fix = f"use credentials of {accounts} (AWS_PROFILE or provider.profile)"
        if target.endpoint is not None:
            said = f"the endpoint {target.endpoint} says {said}"
            fix = f"point at the endpoint of {accounts}, or {fix}"
        raise WrongAccount(
            f"{said}, but the manifests or the state name dataset groups of account "
            f"{accounts}: {shown}. Nothing was read or changed: {fix}{split}"
        )
    return target


class WrongAccount(ReconcilerError):
    """The credentials belong to another AWS account than the dataset groups."""


def _selector(document: JobsDocument) -> Selector:
    assert document.selector is not None  # only selector documents are resolved
    return document.selector


def open_tree(manifests_dir: Path, runtime: Runtime) -> Tree:
    """The manifests tree at `manifests_dir` (ManifestError when it is not valid), its settings
    with the environment's overrides, and the parts they choose."""
    manifests = load_manifests([manifests_dir])
    settings = settings_of(manifests, runtime.environ)
    return Tree(manifests, settings, runtime.make_backend(settings.state), runtime)


def recorded_state(document: StateDocument | None) -> RecordedState | None:
    """The state as the planner reads it."""
    if document is None:
        return None
    return RecordedState(
        lineage=document.lineage,
        serial=document.serial,
        decisions=decisions_digest(document),
        jobs={address: recorded_job(record) for address, record in document.jobs.items()},
    )


def recorded_job(record: JobRecord) -> RecordedJob:
    """The planner's view of a record (built without validating again what the state's reading
    validated: 10,000 records are a twentieth of a second, not a third)."""
    return RecordedJob.model_construct(
        address=record.address,
        spec=record.spec,
        spec_digest=record.spec_digest,
        job_name=record.job_name,
        seen=record.seen,
        earlier_names=tuple(a.job_name for a in record.attempts),
        inputs=_identities(record),
    )


def _identities(record: JobRecord) -> tuple[InputIdentity, ...]:
    """The version of each object of the current attempt's input, where every one is known."""
    found = tuple(e.identity for e in record.inputs)
    return () if any(i is None for i in found) else tuple(i for i in found if i is not None)


_WAITS = "the apply of a merge, or an operator's"


def _approved(
    changes: Sequence[Change], approvals: Mapping[str, Provenance | None]
) -> tuple[Change, ...]:
    """The changes, each create an earlier apply decided with the approval it carries over."""
    return tuple(
        change.model_copy(update={"approval": approvals[change.address]})
        if approvals.get(change.address) is not None and change.action is Action.CREATE
        else change
        for change in changes
    )


def _unapproved(
    plan: Plan, approvals: Mapping[str, Provenance | None], stored: StateDocument | None
) -> dict[str, str]:
    """What `apply --queued-only` leaves for another apply (address -> why): every create no
    earlier apply decided on its input as it is now (`Workspace._approvals`), and every forget."""
    queued = stored.queued if stored is not None else {}
    intents = stored.jobs if stored is not None else {}
    left: dict[str, str] = {}
    for change in plan.changes:
        if change.action is Action.FORGET:
            left[change.address] = "no longer declared: forgetting it waits for " + _WAITS
        elif change.action is not Action.CREATE or change.address in approvals:
            continue
        elif change.address in queued or change.address in intents:
            entry = queued.get(change.address) or intents[change.address]
            if change.desired is not None and entry.spec_digest != change.desired.digest():
                left[change.address] = "declared otherwise since an apply decided it"
            else:
                left[change.address] = "its input is not the version the apply that decided it read"
        else:
            left[change.address] = "no earlier apply decided it: it waits for " + _WAITS
    return left
