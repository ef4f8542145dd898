"""reconciler: a declarative reconciler for Amazon Personalize data deletion jobs."""

from __future__ import annotations

__version__ = "0.4.0"
