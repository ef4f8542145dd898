"""Checking one YAML document against the manifest format, in the manifest's own words.

pydantic reports errors by model path; here each becomes a diagnostic at the offending node's
`file:line:col`, with field names as the manifest spells them, "did you mean" for near misses,
the service's rule where a pattern failed, and what to do (quote a number meant as a string).
"""

from __future__ import annotations

import datetime
import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from reconciler.diagnostics import Diagnostic
from reconciler.manifest.documents import API_VERSION, DOCUMENT_KINDS, FIELD_HINTS, MOVED_FIELDS
from reconciler.manifest.yamlsource import YamlDocument, YamlPath
from reconciler.settings import shown_url

# pydantic error types that mean "wrong kind of value", and what was expected instead
_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


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
    loc = _document_loc(model, error)
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
        allowed = _fields_at(model, tuple(error["loc"])[:-1])
        parent = _dotted(path[:-1])
        prefix = f"{parent}: " if parent else ""
        kind_name = next(name for name, kind_model in DOCUMENT_KINDS.items() if kind_model is model)
        moved = MOVED_FIELDS.get((kind_name, field)) if len(path) == 1 else None
        suggestion = f": {moved}" if moved else _did_you_mean(str(path[-1]), allowed)
        return Diagnostic(where, f"{prefix}unknown field {path[-1]!r}{suggestion}")
    if kind == "missing":
        parent = _dotted(path[:-1])
        prefix = f"{parent}: " if parent else ""
        return Diagnostic(where, f"{prefix}missing required field {path[-1]!r}")
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", message))
    elif kind == "string_pattern_mismatch":
        hint = _hint_for(path)
        shown = repr(error["input"])
        if path and str(path[-1]).endswith("Url"):  # an endpoint URL: never its password
            shown = shown_url(shown)
        message = f"{shown} is not allowed here" + (f": {hint}" if hint else "")
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, not {_type_name(error['input'])}"
        if kind == "string_type" and isinstance(error["input"], int | float | bool):
            message += " (put the value in quotes to make it a string)"
    return Diagnostic(where, f"{field}: {message}" if field else message)


def _hint_for(path: YamlPath) -> str | None:
    for part in reversed(path):
        if isinstance(part, str) and part in FIELD_HINTS:
            return FIELD_HINTS[part]
    return None


def _document_loc(model: type[BaseModel], error: ErrorDetails) -> YamlPath:
    """Where the document is wrong: pydantic's loc without the member of a tagged union it
    names, or at the field that chooses the member when none could be chosen."""
    loc, _ = _walk(model, tuple(error["loc"]))
    chooser = error.get("ctx", {}).get("chosen_by")
    return (*loc, chooser) if chooser else loc


def _walk(model: type[BaseModel], loc: YamlPath) -> tuple[YamlPath, Any]:
    """`loc` as the document spells it, without the tags pydantic names a tagged union's member
    by (`state.s3.bucket` is `state.bucket`); and the annotation of the value it leads to."""
    path: list[str | int] = []
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        members = _tagged_members(current)
        if members:
            current = members.get(str(part), Any)
        else:
            path.append(part)
            current = _inner(current, part)
    return tuple(path), _unwrap(current)


def _fields_at(model: type[BaseModel], loc: YamlPath) -> list[str]:
    """The field names (aliases) allowed in the mapping at `loc` (as pydantic says it) of a
    document of `model`."""
    _, current = _walk(model, loc)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _inner(annotation: Any, part: str | int) -> Any:
    """The annotation of the value at `part` (an index or a field's alias) in `annotation`."""
    if isinstance(part, int):
        args = typing.get_args(annotation)
        return args[0] if args else Any
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(_field_name(annotation, part))
        return field.annotation if field else Any
    return Any


def _tagged_members(annotation: Any) -> dict[str, Any]:
    """A tagged union's members by tag (`Annotated[Model, Tag("name")] | ...`); else empty."""
    if not (
        isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
    ):
        return {}
    return {
        meta.tag: typing.get_args(member)[0]
        for member in typing.get_args(annotation)
        if typing.get_origin(member) is typing.Annotated
        for meta in member.__metadata__
        if isinstance(meta, Tag)
    }


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
