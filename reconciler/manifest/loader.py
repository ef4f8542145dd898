"""Loading a manifests tree into validated desired jobs, collecting every diagnostic on the way.

Files are `*.yaml` and `*.yml` under the given directories (recursively, skipping hidden ones),
read in sorted order of their relative path, so results and diagnostics are stable. A run either
returns a `ManifestSet` or raises one `ManifestError` holding every problem found in every file.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.diagnostics import Diagnostic, Location
from reconciler.errors import ManifestError, UsageError
from reconciler.manifest.documents import (
    API_VERSION,
    DOCUMENT_KINDS,
    FIELD_HINTS,
    MAX_TAGS,
    DeletionJobsDocument,
    SettingsDocument,
)
from reconciler.manifest.yamlsource import YamlDocument, YamlPath, read_documents
from reconciler.models import DatasetGroupRef, DesiredJob, JobSpec, RetryPolicy, SourceRef

MANIFEST_SUFFIXES = (".yaml", ".yml")

# pydantic error types that mean "wrong kind of value", and what was expected instead
_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


@dataclass(frozen=True)
class ManifestSet:
    """Everything a manifests tree declares."""

    jobs: tuple[DesiredJob, ...]
    settings: SettingsDocument | None
    settings_source: SourceRef | None
    dataset_groups: tuple[str, ...]
    files: int
    documents: int
    digest: str  # of every file's relative path and bytes: tells a saved plan it is stale


def discover(paths: Sequence[Path]) -> list[tuple[Path, str, str]]:
    """The manifest files named by `paths` (files, or directories searched recursively), each
    with the name to show and its name relative to the directory (for the digest)."""
    found: list[tuple[Path, str, str]] = []
    for root in paths:
        if root.is_file():
            found.append((root, str(root), root.name))
        elif root.is_dir():
            below = [
                p
                for p in root.rglob("*")
                if p.suffix in MANIFEST_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
            ]
            for path in sorted(below, key=lambda p: p.relative_to(root)):
                found.append((path, str(path), path.relative_to(root).as_posix()))
        else:
            raise UsageError(f"{root}: no such file or directory")
    if not found:
        names = ", ".join(str(p) for p in paths)
        raise UsageError(f"no manifest files (*.yaml, *.yml) found in {names}")
    return found


def load_manifests(paths: Sequence[Path]) -> ManifestSet:
    """Read, validate and cross-check every manifest under `paths`."""
    files = discover(paths)
    diagnostics: list[Diagnostic] = []
    groups: list[tuple[YamlDocument, DeletionJobsDocument]] = []
    settings: list[tuple[YamlDocument, SettingsDocument]] = []
    count = 0
    digest = hashlib.sha256()
    for path, display, key in files:
        read = read_documents(path, display)
        diagnostics.extend(read.problems)
        digest.update(f"{key}\0{read.sha256}\0".encode())
        for doc in read.documents:
            count += 1
            model, problems = validate_document(doc)
            diagnostics.extend(problems)
            if isinstance(model, DeletionJobsDocument):
                groups.append((doc, model))
            elif isinstance(model, SettingsDocument):
                settings.append((doc, model))
    jobs = _expand(groups, diagnostics)
    _check_unique(jobs, diagnostics)
    _check_single_settings(settings, diagnostics)
    if diagnostics:
        raise ManifestError(diagnostics)
    setting = settings[0] if settings else None
    return ManifestSet(
        jobs=tuple(jobs),
        settings=setting[1] if setting else None,
        settings_source=_source(setting[0].start) if setting else None,
        dataset_groups=tuple(sorted({model.dataset_group_arn for _, model in groups})),
        files=len(files),
        documents=count,
        digest=f"sha256:{digest.hexdigest()}",
    )


def validate_document(doc: YamlDocument) -> tuple[BaseModel | None, list[Diagnostic]]:
    """One document checked against the model its `kind` names."""
    value = doc.value
    if not isinstance(value, dict):
        return None, [
            Diagnostic(
                doc.start,
                f"a manifest document must be a mapping with apiVersion and kind, "
                f"not {_type_name(value)}",
            )
        ]
    problems = _check_header(doc, value)
    if problems:
        return None, problems
    model_type = DOCUMENT_KINDS[value["kind"]]
    try:
        return model_type.model_validate(value), []
    except ValidationError as exc:
        errors = exc.errors()
    # A misspelt field is reported once, as unknown with its correction, not also as missing.
    corrected = {
        (*e["loc"][:-1], suggestion)
        for e in errors
        if e["type"] == "extra_forbidden"
        and (suggestion := _closest(str(e["loc"][-1]), _fields_at(model_type, e["loc"][:-1])))
    }
    return None, [
        _translate(doc, model_type, e)
        for e in errors
        if not (e["type"] == "missing" and tuple(e["loc"]) in corrected)
    ]


def _check_header(doc: YamlDocument, value: dict[str, Any]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    version = value.get("apiVersion")
    if version is None:
        problems.append(
            Diagnostic(doc.start, f"missing apiVersion: add `apiVersion: {API_VERSION}`")
        )
    elif version != API_VERSION:
        problems.append(
            Diagnostic(
                doc.locate(("apiVersion",)),
                f"apiVersion: unknown version {_shown(version)}; this reconciler reads "
                f"{API_VERSION}",
            )
        )
    kind = value.get("kind")
    kinds = ", ".join(DOCUMENT_KINDS)
    if kind is None:
        problems.append(Diagnostic(doc.start, f"missing kind: add `kind:` with one of {kinds}"))
    elif not isinstance(kind, str) or kind not in DOCUMENT_KINDS:
        problems.append(
            Diagnostic(
                doc.locate(("kind",)),
                f"kind: unknown kind {_shown(kind)}{_did_you_mean(str(kind), DOCUMENT_KINDS)}; "
                f"expected one of {kinds}",
            )
        )
    return problems


def _translate(doc: YamlDocument, model: type[BaseModel], error: ErrorDetails) -> Diagnostic:
    """A pydantic error as a diagnostic at the offending node, in the manifest's own words."""
    loc: YamlPath = tuple(error["loc"])
    kind = error["type"]
    if loc and loc[-1] == "[key]":  # a dict key failed: point at the key itself
        path = loc[:-1]
        where = doc.locate(path, key=True)
        field = f"{_dotted(path[:-1])} key {path[-1]!r}"
    else:
        path = loc
        where = doc.locate(path, key=kind == "extra_forbidden")
        field = _dotted(path)
    message = error["msg"]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1])
        parent = _dotted(path[:-1])
        prefix = f"{parent}: " if parent else ""
        return Diagnostic(
            where,
            f"{prefix}unknown field {path[-1]!r}{_did_you_mean(str(path[-1]), allowed)}",
        )
    if kind == "missing":
        parent = _dotted(path[:-1])
        prefix = f"{parent}: " if parent else ""
        return Diagnostic(where, f"{prefix}missing required field {path[-1]!r}")
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", message))
    elif kind == "string_pattern_mismatch":
        hint = _hint_for(path)
        message = f"{error['input']!r} is not allowed here" + (f": {hint}" if hint else "")
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, not {_type_name(error['input'])}"
        if kind == "string_type" and isinstance(error["input"], int | float | bool):
            message += " (put the value in quotes to make it a string)"
    return Diagnostic(where, f"{field}: {message}")


def _hint_for(path: YamlPath) -> str | None:
    for part in reversed(path):
        if isinstance(part, str) and part in FIELD_HINTS:
            return FIELD_HINTS[part]
    return None


def _fields_at(model: type[BaseModel], path: YamlPath) -> list[str]:
    """The field names (aliases) allowed in the mapping at `path` of a document of `model`."""
    current: Any = model
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else Any
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(_field_name(current, part))
            current = field.annotation if field else Any
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` to `X`."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _field_name(model: type[BaseModel], alias: str) -> str:
    for name, field in model.model_fields.items():
        if field.alias == alias:
            return name
    return alias


def _closest(word: str, choices: Iterable[str]) -> str | None:
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), by_lower, n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    suggestion = _closest(word, choices)
    return f" (did you mean {suggestion!r}?)" if suggestion else ""


def _dotted(path: YamlPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _type_name(value: object) -> str:
    if value is None:
        return "an empty value"
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false"}
    names |= {list: "a list", dict: "a mapping", bytes: "binary data"}
    if isinstance(value, datetime.date):
        return "a date"
    return names.get(type(value), f"a {type(value).__name__}")


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str | int | float) else _type_name(value)


def _source(location: Location) -> SourceRef:
    return SourceRef(file=location.file, line=location.line, column=location.column)


def _expand(
    groups: list[tuple[YamlDocument, DeletionJobsDocument]], diagnostics: list[Diagnostic]
) -> list[DesiredJob]:
    """Apply each document's defaults to its jobs and check what is required afterwards."""
    jobs: list[DesiredJob] = []
    for doc, model in groups:
        group = DatasetGroupRef.parse(model.dataset_group_arn)
        for i, entry in enumerate(model.jobs):
            where = doc.locate(("jobs", i))
            role = entry.role_arn or model.defaults.role_arn
            tags = {**model.defaults.tags, **entry.tags}
            if role is None:
                diagnostics.append(
                    Diagnostic(
                        where,
                        f"jobs[{i}]: job {entry.job_name!r} has no roleArn: set roleArn on the "
                        "job or defaults.roleArn on the document",
                    )
                )
                continue
            if len(tags) > MAX_TAGS:
                diagnostics.append(
                    Diagnostic(
                        where,
                        f"jobs[{i}]: job {entry.job_name!r} has {len(tags)} tags with the "
                        f"defaults merged in; the service accepts at most {MAX_TAGS}",
                    )
                )
                continue
            spec = JobSpec(
                dataset_group_arn=model.dataset_group_arn,
                job_name=entry.job_name,
                data_location=entry.data_source.data_location,
                role_arn=role,
                tags=tags,
            )
            address = f"{group.name}/{entry.job_name}"
            retry = RetryPolicy(
                on_failure=entry.on_failure or model.defaults.on_failure or "report",
                max_attempts=entry.max_attempts or model.defaults.max_attempts or 3,
            )
            jobs.append(DesiredJob(address=address, spec=spec, source=_source(where), retry=retry))
    return jobs


def _check_unique(jobs: list[DesiredJob], diagnostics: list[Diagnostic]) -> None:
    """Job names are unique per account and region (the service's scope); addresses too."""
    by_name: dict[tuple[str, str, str, str], DesiredJob] = {}
    by_address: dict[str, DesiredJob] = {}
    for job in jobs:
        group = job.dataset_group
        key = (*group.scope, job.spec.job_name)
        first = by_name.get(key)
        if first is not None:
            diagnostics.append(
                Diagnostic(
                    _location(job.source),
                    f"jobName {job.spec.job_name!r} is already declared at {first.source}: job "
                    f"names are unique per account and region ({group.account}, "
                    f"{group.region}), so rename one of them",
                )
            )
            continue
        by_name[key] = job
        other = by_address.get(job.address)
        if other is not None:
            diagnostics.append(
                Diagnostic(
                    _location(job.source),
                    f"address {job.address!r} is already used at {other.source} by a dataset "
                    "group of the same name in another account or region: rename one job",
                )
            )
            continue
        by_address[job.address] = job


def _check_single_settings(
    settings: list[tuple[YamlDocument, SettingsDocument]], diagnostics: list[Diagnostic]
) -> None:
    if len(settings) > 1:
        first = settings[0][0].start
        for doc, _ in settings[1:]:
            diagnostics.append(
                Diagnostic(
                    doc.start,
                    f"a second Settings document (the first is at {first}): keep one "
                    "Settings document per manifests tree",
                )
            )


def _location(source: SourceRef) -> Location:
    return Location(source.file, source.line, source.column)
