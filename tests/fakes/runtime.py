"""A `Runtime` all of whose world is fake: string streams, a fake clock (its sleeps move it, never
the test), a fixed host and user, and the provider and state backend the test made."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.runtime import Runtime
from tests.fakes.clock import FakeClock


def fake_runtime(
    clock: FakeClock,
    *,
    make_provider: Callable[[Any], Any],
    make_backend: Callable[[Any], Any],
    out: io.StringIO | None = None,
    err: io.StringIO | None = None,
    environ: Mapping[str, str] | None = None,
    host: str = "test-host",
    user: str = "tester",
) -> Runtime:
    return Runtime(
        environ=environ or {},
        out=out or io.StringIO(),
        err=err or io.StringIO(),
        clock=clock.datetime,
        monotonic=clock,
        sleep=clock.sleep,
        make_provider=make_provider,
        make_backend=make_backend,
        host=host,
        user=user,
    )
