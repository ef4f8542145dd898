"""What several commands share: the settings of a manifests tree, and the world they run in."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from reconciler.manifest import ManifestSet, load_manifests
from reconciler.providers.interface import Provider
from reconciler.providers.registry import make_provider
from reconciler.settings import Settings, with_environment


def settings_of(manifests: ManifestSet | None, environ: Mapping[str, str]) -> Settings:
    """The tree's Settings document (defaults without one) with the environment's overrides."""
    document = manifests.settings if manifests else None
    return with_environment(document.settings() if document else Settings(), environ)


def load_settings(manifests_dir: Path, environ: Mapping[str, str]) -> Settings:
    """As `settings_of`, for commands that work without a manifests tree (defaults)."""
    manifests = load_manifests([manifests_dir]) if manifests_dir.is_dir() else None
    return settings_of(manifests, environ)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    """The world a command runs in; tests pass their own clocks, streams and provider."""

    environ: Mapping[str, str]
    out: TextIO
    err: TextIO
    out_tty: bool = False
    in_tty: bool = False
    color: bool = False
    ask: Callable[[str], str] = input
    clock: Callable[[], datetime] = _now
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    make_provider: Callable[[Settings], Provider] = make_provider
