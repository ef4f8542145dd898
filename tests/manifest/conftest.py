"""Manifests are read with libyaml where PyYAML has it, and with the pure-Python composer
otherwise: the tests that pin diagnostics run on both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from reconciler.manifest import yamlsource

COMPOSERS = ["libyaml", "pure-python"] if yaml.__with_libyaml__ else ["pure-python"]


@pytest.fixture(params=COMPOSERS)
def composer(request: pytest.FixtureRequest) -> Iterator[str]:
    """Read manifests as shipped (libyaml first, the pure-Python composer for any file it finds
    wrong), or with the pure-Python composer alone."""
    chosen = yaml.CSafeLoader if request.param == "libyaml" else None
    saved = yamlsource.FAST_LOADER
    yamlsource.FAST_LOADER = chosen
    try:
        yield str(request.param)
    finally:
        yamlsource.FAST_LOADER = saved
