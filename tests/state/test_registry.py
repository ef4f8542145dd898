"""The registry of state backends: one factory for each model of the `StateSettings` union, given
that model and no other."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from reconciler.settings import LocalState, StateSettings, backend_models
from reconciler.state.local import LocalBackend
from reconciler.state.registry import BACKENDS, make_backend


def test_every_member_of_the_union_has_a_factory_and_no_factory_is_left_over() -> None:
    members = typing.get_args(typing.get_args(StateSettings)[0])
    assert len(members) == len(backend_models()) == 2
    assert set(BACKENDS) == set(backend_models())
    for name, model in backend_models().items():
        assert BACKENDS[name].model is model
        # the tag that chooses a model is the `backend` it holds
        assert typing.get_args(model.model_fields["backend"].annotation) == (name,)


def test_the_local_model_makes_the_local_backend(tmp_path: Path) -> None:
    backend = make_backend(LocalState(path=tmp_path / "state.json"))
    assert isinstance(backend, LocalBackend) and backend.load() is None


def test_a_factory_refuses_another_backends_model() -> None:
    with pytest.raises(TypeError, match="S3State settings expected"):
        BACKENDS["s3"](LocalState())
