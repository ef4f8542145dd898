"""Apply's approval inputs (`change_ref`, `approved_by`): checked before anything is read, taken
from `RECONCILER_CHANGE_REF` / `RECONCILER_APPROVED_BY` where the flags do not give them, and
carried to the prepared apply (where the executor records them with each create)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reconciler.errors import UsageError
from reconciler.usecases.apply import ApplyInputs, checked, prepare, with_environment
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.runtime import fake_runtime
from tests.fakes.state import MemoryBackend
from tests.usecases.test_apply import MANIFEST

HERE = Path("manifests")


def test_the_approval_is_kept_trimmed_and_each_approver_once() -> None:
    given = ApplyInputs(HERE, change_ref=" PRIV-12 ", approved_by=("alice", " bob", "alice"))
    made = checked(given)
    assert (made.change_ref, made.approved_by) == ("PRIV-12", ("alice", "bob"))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (ApplyInputs(HERE, change_ref="x" * 201), "--change-ref .* must be 1 to 200"),
        (ApplyInputs(HERE, change_ref="  "), "--change-ref"),
        (ApplyInputs(HERE, change_ref="PR\r\n::error::x"), "--change-ref"),
        (ApplyInputs(HERE, approved_by=("ok", "bad\x00")), "approver 2"),
        (ApplyInputs(HERE, approved_by=tuple(map(str, range(21)))), "21 approvers: at most 20"),
    ],
)
def test_an_approval_that_cannot_be_recorded_is_refused(given: ApplyInputs, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        checked(given)


def test_the_environment_gives_what_the_flags_do_not() -> None:
    environ = {"RECONCILER_CHANGE_REF": "PRIV-7", "RECONCILER_APPROVED_BY": "alice, bob,,"}
    assert with_environment(ApplyInputs(HERE), environ) == ApplyInputs(
        HERE, change_ref="PRIV-7", approved_by=("alice", "bob")
    )
    flags = ApplyInputs(HERE, change_ref="PRIV-8", approved_by=("carol",))
    assert with_environment(flags, environ) == flags  # flags win, each on its own
    only_ref = with_environment(ApplyInputs(HERE, change_ref="PRIV-8"), environ)
    assert (only_ref.change_ref, only_ref.approved_by) == ("PRIV-8", ("alice", "bob"))
    assert with_environment(ApplyInputs(HERE), {"RECONCILER_CHANGE_REF": ""}).change_ref is None


def test_prepare_carries_the_checked_approval_and_refuses_before_the_lock(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "shop.yaml").write_text(MANIFEST)
    clock = FakeClock()
    provider = FakeProvider(clock)
    provider.add_group("shop")
    backend = MemoryBackend()
    runtime = fake_runtime(
        clock,
        out=io.StringIO(),
        make_provider=lambda settings: provider,
        make_backend=lambda settings: backend,
        environ={"RECONCILER_APPROVED_BY": "alice,bob"},
    )
    given = ApplyInputs(manifests, change_ref="https://github.com/acme/privacy/pull/12 ")
    with prepare(given, runtime) as prepared:
        assert prepared.inputs.change_ref == "https://github.com/acme/privacy/pull/12"
        assert prepared.inputs.approved_by == ("alice", "bob")
    calls = sum(provider.calls.values())
    refused = ApplyInputs(manifests, approved_by=("\x1b[2J",))
    with pytest.raises(UsageError, match="approver 1"), prepare(refused, runtime):
        pass
    assert sum(provider.calls.values()) == calls  # refused before anything was read
