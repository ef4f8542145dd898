"""What several commands share: finding the settings of a manifests tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.manifest import load_manifests
from reconciler.settings import Settings, with_environment


def load_settings(manifests_dir: Path, environ: Mapping[str, str]) -> Settings:
    """The tree's Settings document with the environment's overrides; defaults with no tree."""
    settings = Settings()
    if manifests_dir.is_dir():
        document = load_manifests([manifests_dir]).settings
        if document is not None:
            settings = document.settings()
    return with_environment(settings, environ)
