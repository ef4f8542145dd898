"""Issue 24, a retry path CI can take: the first next step of every attention item is one that
works from a pull request (a manifest change at the job's line, or a replaced file the next
apply picks up); an operator's command (`apply --retry`, `state rm`) comes after it."""

from __future__ import annotations

import re

import pytest

from reconciler.diagnostics import Location
from reconciler.models import MAX_ATTEMPTS, RetryPolicy
from reconciler.planning import attention
from reconciler.planning.attention import Attention
from tests.planning.builders import spec

SOURCE = Location("manifests/shop-eu.yaml", 10, 5)
OPERATOR = re.compile(r"--retry|reconciler (state rm|force-unlock|import)")  # not from a PR


def every_item() -> list[Attention]:
    job = spec("w47")
    failed = attention.failed("g/w47", job, "w47", 1, "bad row", SOURCE, RetryPolicy())
    return [
        failed,
        attention.failed("g/w47", job, "w47", 1, "bad row", None, None),  # manifests not read
        attention.failed("g/w47", job, "w47", 1, "x", SOURCE, RetryPolicy(on_failure="retry")),
        attention.failed(
            "g/w47", job, "w47-r3", 3, "x", SOURCE, RetryPolicy(on_failure="retry", max_attempts=3)
        ),
        attention.failed("g/w47", job, "w47-r9", MAX_ATTEMPTS, "x", SOURCE, RetryPolicy()),
        attention.same_input(failed, "g/w47", SOURCE),
        attention.missing("g/w47", "w47"),
        attention.unmatched("manifests/all.yaml:4:3", "targets.select: nothing", 2),
    ]


@pytest.mark.parametrize("item", every_item(), ids=lambda item: item.next_step[:40])
def test_every_first_next_step_works_from_a_pull_request(item: Attention) -> None:
    operator = OPERATOR.search(item.next_step)
    first = item.next_step[: operator.start()] if operator else item.next_step
    assert "pull request" in first or "replace the file at its location" in first, first


def test_the_pull_request_step_names_the_manifest_line() -> None:
    [report, _, _, raise_attempts, *_] = every_item()
    assert "add `onFailure: retry` to it at manifests/shop-eu.yaml:10:5" in report.next_step
    assert "raise its maxAttempts at manifests/shop-eu.yaml:10:5" in raise_attempts.next_step
    assert report.next_step.endswith(
        "an operator can instead run `reconciler apply --retry g/w47` once"
    )
