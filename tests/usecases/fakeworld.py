"""The world a use case runs in, all of it fake: a copy of the shipped manifests tree, the
in-memory provider and state backend on a fake clock, and string streams that a use case must
leave empty (it emits events; only a command writes). Each test's `emit` collects the events.
Nothing here loads the command line (click)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from reconciler.applying.records import created, intend
from reconciler.manifest.loader import load_manifests
from reconciler.state.document import StateDocument, new_state
from tests.conftest import REPO
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.runtime import fake_runtime
from tests.fakes.state import MemoryBackend

MANIFESTS = Path("manifests")
GROUP_EU = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu"
W46 = "shop-eu/gdpr-2026-w46"
W47 = "shop-eu/gdpr-2026-w47"


class World:
    def __init__(self, root: Path) -> None:
        shutil.copytree(REPO / "manifests", root / "manifests")
        shutil.copytree(REPO / "example-data", root / "example-data")
        self.clock = FakeClock()
        self.provider = FakeProvider(self.clock)
        self.backend = MemoryBackend()
        self.out, self.err = io.StringIO(), io.StringIO()
        self.events: list[object] = []
        self.jobs = load_manifests([MANIFESTS]).jobs
        for job in self.jobs:
            self.provider.groups[job.spec.dataset_group_arn] = job.dataset_group.name
            self.provider.inputs[job.spec.data_location] = 10
        self.runtime = fake_runtime(
            self.clock,
            out=self.out,
            err=self.err,
            make_provider=lambda settings: self.provider,
            make_backend=lambda settings: self.backend,
        )

    def emit(self, event: object) -> None:
        self.events.append(event)

    def written(self) -> str:
        """What reached the streams: nothing, from a use case."""
        return self.out.getvalue() + self.err.getvalue()

    def applied(self) -> StateDocument:
        """Every declared job created in the service and recorded, as apply leaves them."""
        now = self.clock.datetime()
        records = {}
        for job in self.jobs:
            arn = self.provider.create_job(job.spec)
            intended = intend(
                None,
                address=job.address,
                spec=job.spec,
                job_name=job.spec.job_name,
                source=job.source,
                now=now,
            )
            records[job.address] = created(intended, arn, now)
        self.provider.calls.clear()
        return self.backend.save(new_state().model_copy(update={"jobs": records}))

    def break_a_manifest(self) -> None:
        (MANIFESTS / "broken.yaml").write_text("apiVersion: reconciler/v1\nkind: Nonsense\n")
