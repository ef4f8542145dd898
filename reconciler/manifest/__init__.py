"""Reading and validating manifests: YAML in, desired jobs or file:line:col diagnostics out."""

from __future__ import annotations

from reconciler.manifest.loader import ManifestSet, discover, load_manifests

__all__ = ["ManifestSet", "discover", "load_manifests"]
