"""What several commands share: the settings of a manifests tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.manifest import ManifestSet, load_manifests
from reconciler.settings import Settings, with_environment


def settings_of(manifests: ManifestSet | None, environ: Mapping[str, str]) -> Settings:
    """The tree's Settings document (defaults without one) with the environment's overrides."""
    document = manifests.settings if manifests else None
    return with_environment(document.settings() if document else Settings(), environ)


def load_settings(manifests_dir: Path, environ: Mapping[str, str]) -> Settings:
    """As `settings_of`, for commands that work without a manifests tree (defaults)."""
    manifests = load_manifests([manifests_dir]) if manifests_dir.is_dir() else None
    return settings_of(manifests, environ)
