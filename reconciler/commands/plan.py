"""`reconciler plan`: refresh, compare, and show what apply would do; optionally save it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from reconciler.commands.common import settings_of
from reconciler.manifest import ManifestSet, load_manifests
from reconciler.planfile import save_plan
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Plan
from reconciler.providers.interface import Provider
from reconciler.providers.registry import make_provider
from reconciler.refresh import refresh
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text
from reconciler.settings import Settings
from reconciler.state.document import StateDocument
from reconciler.state.registry import make_backend

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def build_plan(
    manifests_dir: Path,
    environ: Mapping[str, str],
    *,
    make_provider: Callable[[Settings], Provider] = make_provider,
) -> Plan:
    manifests = load_manifests([manifests_dir])
    settings = settings_of(manifests, environ)
    backend = make_backend(settings.state)
    return refresh_and_plan(
        manifests, settings, backend.load(), make_provider(settings), backend.describe()
    )


def refresh_and_plan(
    manifests: ManifestSet,
    settings: Settings,
    stored: StateDocument | None,
    provider: Provider,
    state_location: str,
) -> Plan:
    """Read the service for the declared and recorded jobs, then decide (shared with apply)."""
    live = refresh(manifests.jobs, manifests.dataset_groups, stored, provider)
    return make_plan(
        manifests.jobs,
        stored,
        live,
        max_pending=settings.quotas.max_pending_jobs_per_dataset_group,
        provider=provider.name,
        state_location=state_location,
        manifests_digest=manifests.digest,
    )


def plan(
    *,
    manifests_dir: Path,
    output_format: str,
    out_file: Path | None,
    detailed_exitcode: bool,
    color: bool,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
) -> int:
    result = build_plan(manifests_dir, environ)
    if output_format == "json":
        out.write(render_json(result))
    elif output_format == "markdown":
        out.write(render_markdown(result))
    else:
        out.write(render_text(result, color=color))
    if result.errored:
        if out_file is not None:
            err.write(f"The plan was not saved to {out_file}: it has errors.\n")
        return EXIT_ERROR
    if out_file is not None:
        save_plan(out_file, result)
        err.write(f"Saved the plan to {out_file}.\n")
    if detailed_exitcode and result.has_changes:
        return EXIT_CHANGES
    return EXIT_OK
