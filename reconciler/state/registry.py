"""State backends by name, as `state.backend` in the settings chooses them: one factory for each
member of the `StateSettings` union, given that member's own model (a test holds the two
equal). A new backend is its module here, its model in `reconciler.settings` and one entry in
`BACKENDS`; a backend that needs boto3 imports its module only when it is chosen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from reconciler.settings import LocalState, S3State, StateSettings
from reconciler.state.interface import StateBackend
from reconciler.state.local import LocalBackend

_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class Factory(Generic[_Model]):
    """The backend of one settings model."""

    model: type[_Model]
    build: Callable[[_Model], StateBackend]

    def __call__(self, settings: StateSettings) -> StateBackend:
        if not isinstance(settings, self.model):
            raise TypeError(f"{self.model.__name__} settings expected, not {settings!r}")
        return self.build(settings)


def _local(settings: LocalState) -> StateBackend:
    return LocalBackend(settings.path)


def _s3(settings: S3State) -> StateBackend:
    from reconciler.state.s3 import S3Backend  # boto3, only when chosen

    return S3Backend(settings)


BACKENDS: dict[str, Factory[Any]] = {
    "local": Factory(LocalState, _local),
    "s3": Factory(S3State, _s3),
}


def make_backend(settings: StateSettings) -> StateBackend:
    return BACKENDS[settings.backend](settings)
