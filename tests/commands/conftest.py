"""Commands as a user runs them, in process: `main(argv, runtime)` on a copy of the shipped
example, with the emulator on a fake clock and the state in a real local file."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.emulator.service import EmulatorService
from reconciler.models import InputIdentity
from reconciler.planning.model import Plan
from reconciler.providers.inputs import DigestKey, Feed, InputReader
from reconciler.providers.interface import Provider
from reconciler.providers.local import LocalProvider, emulator_config
from reconciler.runtime import Runtime, no_checkpoint
from reconciler.settings import Settings
from reconciler.state.document import StateDocument
from reconciler.state.local import LocalBackend
from reconciler.usecases.apply import ApplyInputs
from reconciler.workspace import load_settings, open_tree
from tests.conftest import REPO
from tests.fakes.clock import FakeClock

MANIFESTS = Path("manifests")
STATE = Path(".reconciler/state.json")


@dataclass
class Project:
    root: Path
    clock: FakeClock
    answers: list[str] = field(default_factory=list)
    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)
    faults: dict[str, Any] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)
    # inputs whose bad row only the service finds: preflight reads a good file of their size
    fails_in_service: set[str] = field(default_factory=set)

    def provider(self, settings: Settings) -> Provider:
        emulator = emulator_config(settings.provider.emulator_config)
        config = emulator.model_copy(
            update={"faults": emulator.faults.model_copy(update=self.faults)}
        )
        local = LocalProvider(EmulatorService(config, clock=self.clock, sleep=self.clock.sleep))
        if self.fails_in_service:
            reader = ServiceOnlyProblems(local.input_reader(), self.fails_in_service)
            local.input_reader = lambda: reader  # type: ignore[method-assign]
        return local

    def runtime(
        self, *, tty: bool = False, checkpoint: Callable[[str, str], None] = no_checkpoint
    ) -> Runtime:
        self.out, self.err = io.StringIO(), io.StringIO()
        return Runtime(
            environ=self.environ,
            out=self.out,
            err=self.err,
            out_tty=False,
            in_tty=tty,
            ask=lambda prompt: self.answers.pop(0),
            clock=self.clock.datetime,
            monotonic=self.clock,
            sleep=self.clock.sleep,
            make_provider=self.provider,
            checkpoint=checkpoint,
            host="test-host",
            user="tester",
        )

    def run(self, *args: str, **runtime: Any) -> int:
        """`reconciler ARGS…`; the output is in `out` and `err`."""
        return main(list(args), self.runtime(**runtime))

    def apply(
        self,
        *args: str,
        plan_file: Path | None = None,
        auto_approve: bool = True,
        wait: bool = False,
        timeout: float | None = None,
        **runtime: Any,
    ) -> int:
        argv = ["apply", "--parallelism", "4", *args]
        argv += [str(plan_file)] if plan_file else []
        argv += ["--auto-approve"] if auto_approve else []
        argv += ["--wait"] if wait else []
        argv += ["--timeout", str(timeout)] if timeout is not None else []
        return self.run(*argv, **runtime)

    def plan(self) -> Plan:
        return open_tree(MANIFESTS, self.runtime()).load().plan()

    def check(self) -> int:
        return self.run("check")

    def status(self, *args: str) -> int:
        return self.run("status", *args)

    def state(self) -> StateDocument:
        loaded = LocalBackend(STATE).load()
        assert loaded is not None
        return loaded

    def live_names(self) -> list[str]:
        """Every job the emulator has, in every dataset group of the example."""
        provider = self.provider(load_settings(MANIFESTS, {}))
        names = []
        for arn in (
            "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu",
            "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop-us",
        ):
            names += [j.job_name for j in provider.list_jobs(arn)]
        return sorted(names)

    def write_input(self, name: str, text: str | None = None) -> str:
        """A CSV in the example's bucket (by default `failing_rows()`: one preflight passes and
        the service FAILS); its s3:// location."""
        text = failing_rows() if text is None else text
        (self.root / "example-data" / "s3" / "acme-privacy" / name).write_text(text)
        location = f"s3://acme-privacy/{name}"
        if FAILING in text:
            self.fails_in_service.add(location)
        else:
            self.fails_in_service.discard(location)
        return location

    def write_manifest(self, name: str, text: str) -> None:
        (self.root / "manifests" / name).write_text(text, encoding="utf-8")


FAILING = " " * 4096 + ","


def failing_rows(first: str = "eu-00001", second: str = "eu-00002") -> str:
    """A CSV the service FAILS ("row 2 has 2 columns"). Preflight reads every row and would
    refuse it: written with `Project.write_input`, preflight is shown a good file in its place
    (`ServiceOnlyProblems`), as for a problem only the service can find (a role that may not
    read the file, a file changed after its job was created)."""
    return f"USER_ID\n{first}{FAILING}{second}\n"


class ServiceOnlyProblems:
    """An input reader that shows preflight a good CSV of the same size (and identity) in place
    of each of `hidden`'s files: their problems are the service's to find."""

    def __init__(self, reader: InputReader, hidden: set[str]) -> None:
        self.reader = reader
        self.hidden = hidden

    def identity(self, bucket: str, key: str, region: str) -> InputIdentity | None:
        return self.reader.identity(bucket, key, region)

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputIdentity]:
        return self.reader.csv_under(bucket, prefix, region)

    def stream(self, identity: InputIdentity, region: str, feed: Feed) -> None:
        if identity.location not in self.hidden:
            self.reader.stream(identity, region, feed)
            return
        real: list[bytes] = []
        self.reader.stream(identity, region, real.append)
        rows = sum(1 for line in b"".join(real).split(b"\n")[1:] if line.strip())
        good = b"USER_ID\n" + b"u\n" * rows  # as many rows, blank lines to the same size
        feed(good + b"\n" * (identity.size - len(good)))

    def digest_key(self, region: str) -> DigestKey | None:
        return self.reader.digest_key(region)


def copy_example(root: Path) -> None:
    shutil.copytree(REPO / "manifests", root / "manifests")
    shutil.copytree(REPO / "example-data", root / "example-data")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    copy_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    yield Project(root=tmp_path, clock=FakeClock())


DECLARED = sorted(
    [
        "gdpr-2026-w46",
        "gdpr-2026-w47",
        "closed-accounts-2026-11",
        "ccpa-2026-w47",
        "closed-accounts-us-2026-11",
    ]
)
GROUP_EU = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu"


def spy_on_apply(monkeypatch: pytest.MonkeyPatch) -> list[ApplyInputs]:
    """The inputs each `reconciler apply` run in this process prepares with (after their checks),
    in order."""
    import reconciler.commands.apply

    seen: list[ApplyInputs] = []
    real = reconciler.commands.apply.prepare

    @contextmanager
    def spying(inputs: ApplyInputs, runtime: Any, emit: Any) -> Iterator[Any]:
        with real(inputs, runtime, emit) as prepared:
            seen.append(prepared.inputs)
            yield prepared

    monkeypatch.setattr(reconciler.commands.apply, "prepare", spying)
    return seen
