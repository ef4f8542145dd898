"""The world a command runs in: streams, terminal, environment, clocks, the host and user it
runs as, and the factories of the parts that touch the outside (provider, state backend). `cli`
builds the real one; tests pass their own streams, clocks, host, user and fakes.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from reconciler.providers.interface import Provider
    from reconciler.settings import Settings, StateSettings
    from reconciler.state.interface import StateBackend


def _now() -> datetime:
    return datetime.now(UTC)


def _host() -> str:
    return socket.gethostname()


def _user() -> str:
    """Who runs this (LOGNAME, USER or the password database), "" where nothing says."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no such variable, and no entry for the uid
        return ""


def no_checkpoint(point: str, address: str) -> None:
    """Where tests inject a crash while applying: `after_intent`, `after_create`."""


def make_provider(settings: Settings) -> Provider:
    from reconciler.providers.registry import make_provider

    return make_provider(settings)


def make_backend(settings: StateSettings) -> StateBackend:
    from reconciler.state.registry import make_backend

    return make_backend(settings)


@dataclass(frozen=True)
class Runtime:
    environ: Mapping[str, str]
    out: TextIO
    err: TextIO
    out_tty: bool = False
    in_tty: bool = False
    ask: Callable[[str], str] = input
    clock: Callable[[], datetime] = _now
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    make_provider: Callable[[Settings], Provider] = make_provider
    make_backend: Callable[[StateSettings], StateBackend] = make_backend
    checkpoint: Callable[[str, str], None] = no_checkpoint
    host: str = field(default_factory=_host)  # as a create's provenance names the run
    user: str = field(default_factory=_user)

    def color(self, no_color: bool = False) -> bool:
        """Colours on a terminal, unless turned off by the option or NO_COLOR."""
        return self.out_tty and not no_color and "NO_COLOR" not in self.environ
