"""The world a use case runs in, all fakes: a manifests tree in a temporary directory (one
dataset group, two jobs), the in-memory provider and state backend on a fake clock, string
streams that must stay empty (a use case emits events; it never writes), and the events."""

from __future__ import annotations

import io
from pathlib import Path

from reconciler.manifest.loader import load_manifests
from reconciler.models import DesiredJob
from reconciler.runtime import Runtime
from reconciler.settings import Settings, StateSettings
from reconciler.state.interface import StateBackend
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.runtime import fake_runtime
from tests.fakes.state import MemoryBackend

GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
MANIFEST = f"""apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: {GROUP}
defaults: {{roleArn: 'arn:aws:iam::123456789012:role/R'}}
jobs:
  - jobName: w46
    dataSource: {{dataLocation: s3://bucket/w46.csv}}
    tags: {{request: PRIV-1}}
  - jobName: w47
    dataSource: {{dataLocation: s3://bucket/w47.csv}}
    tags: {{request: PRIV-2}}
    onFailure: retry
"""


class World:
    def __init__(self, root: Path, backend: MemoryBackend | None = None) -> None:
        self.root = root
        self.manifests = root / "manifests"
        self.manifests.mkdir()
        (self.manifests / "shop.yaml").write_text(MANIFEST, encoding="utf-8")
        self.clock = FakeClock()
        self.provider = FakeProvider(self.clock)
        self.provider.add_group("shop")
        self.provider.inputs["s3://bucket/w46.csv"] = 2
        self.backend = backend or MemoryBackend()
        self.backends = 0  # how many times a backend was made
        self.events: list[object] = []
        self.out, self.err = io.StringIO(), io.StringIO()

    def make_backend(self, settings: StateSettings) -> StateBackend:
        self.backends += 1
        return self.backend

    def make_provider(self, settings: Settings) -> FakeProvider:
        return self.provider

    def runtime(self) -> Runtime:
        return fake_runtime(
            self.clock,
            out=self.out,
            err=self.err,
            make_provider=self.make_provider,
            make_backend=self.make_backend,
        )

    def declared(self, name: str) -> DesiredJob:
        return next(j for j in load_manifests([self.manifests]).jobs if j.spec.job_name == name)

    def create(self, name: str, job_name: str | None = None) -> str:
        """The declared job `name` created in the service out of band (as `job_name`)."""
        spec = self.declared(name).spec
        if job_name is not None:
            spec = spec.model_copy(update={"job_name": job_name})
        return self.provider.create_job(spec)

    def silent(self) -> bool:
        """Nothing was written to the streams: every word went through the events."""
        return self.out.getvalue() == "" and self.err.getvalue() == ""
