"""A world for the applying part: the in-memory provider and state backend on a fake clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from reconciler.applying.executor import Executor
from reconciler.applying.session import StateSession
from reconciler.models import DesiredJob, Target
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Limits, Origin, Plan
from reconciler.refresh import refresh
from reconciler.state.document import new_state
from reconciler.workspace import recorded_state
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.state import MemoryBackend
from tests.planning.builders import desired


@dataclass
class World:
    clock: FakeClock
    provider: FakeProvider
    backend: MemoryBackend
    session: StateSession
    group: str

    def plan(self, jobs: Sequence[DesiredJob]) -> Plan:
        recorded = recorded_state(self.session.document)
        groups = sorted({job.spec.dataset_group_arn for job in jobs} | {self.group})
        observed = refresh(jobs, groups, recorded, self.provider)
        origin = Origin(
            target=Target(provider="fake"), state_location="memory", manifests_digest="-"
        )
        return make_plan(jobs, recorded, observed, Limits(max_pending=5), origin)

    def executor(self, **options: object) -> Executor:
        return Executor(self.session, self.provider, max_pending=5, **options)  # type: ignore[arg-type]

    def job(self, name: str, grp: str | None = None, **retry: object) -> DesiredJob:
        """A declared job whose input the fake completes with 7 users deleted."""
        job = desired(name, grp, **retry)
        self.provider.inputs[job.spec.data_location] = 7
        return job


@pytest.fixture
def world() -> World:
    clock = FakeClock()
    provider = FakeProvider(clock, pending_seconds=10, in_progress_seconds=20)
    backend = MemoryBackend()
    session = StateSession(backend, new_state(), clock.datetime)
    return World(clock, provider, backend, session, provider.add_group("g"))
