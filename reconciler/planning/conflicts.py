"""What differs between two specs, field by field, for a person to read (computed with deepdiff)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.models import JobSpec, ServiceJob

_SERVICE_NAMES = {
    "dataset_group_arn": "datasetGroupArn",
    "job_name": "jobName",
    "data_location": "dataSource.dataLocation",
    "role_arn": "roleArn",
    "tags": "tags",
}


def spec_differences(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Lines `field: 'old' -> 'new'`, in the service's field names; '' when equal."""
    if before == after:
        return ""
    from deepdiff import DeepDiff  # only when something differs: it takes 50 ms to import

    diff = DeepDiff(before, after, verbose_level=2)
    lines: list[str] = []
    for kind in ("values_changed", "type_changes"):
        for path, change in diff.get(kind, {}).items():
            lines.append(f"  {_name(path)}: {change['old_value']!r} -> {change['new_value']!r}")
    for path, value in diff.get("dictionary_item_added", {}).items():
        lines.append(f"  {_name(path)}: (none) -> {value!r}")
    for path, value in diff.get("dictionary_item_removed", {}).items():
        lines.append(f"  {_name(path)}: {value!r} -> (none)")
    return "\n".join(sorted(lines))


def _name(path: str) -> str:
    """root['tags']['team'] -> tags.team, with the service's names."""
    parts = [p.strip("'\"") for p in path.removeprefix("root").strip("[]").split("][")]
    if parts and parts[0] in _SERVICE_NAMES:
        parts[0] = _SERVICE_NAMES[parts[0]]
    return ".".join(parts)


def service_differences(
    spec: JobSpec, job: ServiceJob, tags: Mapping[str, str] | None = None
) -> str:
    """What differs between a declared spec and a job the service described ('' when it can be
    imported). Describe returns no tags: they are compared when `tags` (ListTagsForResource)
    are given."""
    if not job.described:
        return "the job's spec could not be read"
    service: dict[str, Any] = {
        "dataset_group_arn": job.dataset_group_arn,
        "data_location": job.data_location,
        "role_arn": job.role_arn,
    }
    if tags is not None:
        service["tags"] = dict(tags)
    return spec_differences(service, {key: _plain(getattr(spec, key)) for key in service})


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value
