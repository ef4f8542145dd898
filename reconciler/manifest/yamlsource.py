"""Reading YAML safely into plain values that remember where each came from.

PyYAML's own loaders lose positions and silently keep the last of two equal keys. Here a file is
composed into nodes with the safe loader, then turned into dicts, lists and scalars by hand, so
that every value and every mapping key keeps its `file:line:column`, and so that the things a
manifest must never contain are refused with a diagnostic instead of being half-loaded:

- files over `max_bytes`, files that are not UTF-8 (the column of the first bad byte is given);
- tags other than YAML's core ones, alias bombs and recursive aliases (at most `max_values`
  values per document after expansion), nesting too deep for the parser: reading the file stops;
- duplicate keys in one mapping and keys that are not strings: reported, and reading goes on so
  that the rest of the document is checked too.

Merge keys (`<<: *defaults`) work as YAML 1.1 defines them: explicit keys win over merged ones.

Files are composed with libyaml where PyYAML has it (`yaml.CSafeLoader`: the same nodes and
marks, about 14 times faster); a file libyaml finds anything wrong with, or whose conversion
reports a problem, is read again with the pure-Python composer, whose diagnostics are the ones
given: every message stays the same on both paths, and a valid file reads the same on both.
libyaml is only asked to read plain files (printable ASCII, no tab, no `!`, see `_UNUSUAL`):
the two differ on a few such details, and a manifest is almost always plain anyway.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.diagnostics import Diagnostic, Location

YamlPath = tuple[str | int, ...]
Position = tuple[int, int]  # line, column (from 1): a Location without its file, cheap to keep

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_VALUES_PER_DOCUMENT = 200_000

AnyLoader = yaml.SafeLoader | yaml.CSafeLoader
Loader = type[yaml.SafeLoader] | type[yaml.CSafeLoader]
# The composer tried first: libyaml's where PyYAML was built with it (tests set None to read
# with the pure-Python one only).
FAST_LOADER: Loader | None = yaml.CSafeLoader if yaml.__with_libyaml__ else None

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
# What libyaml and PyYAML's pure-Python composer read differently (a bare `!` tag, a tab after
# a value, a comment right after a block scalar's `|` or `>`, characters beyond printable
# ASCII): a file with any of them takes the pure path.
_UNUSUAL = re.compile(r"[^\x20-\x7e\n]|!|[|>][-+0-9]*#")
_FLATTENED = frozenset({_MERGE_TAG, "tag:yaml.org,2002:value"})  # what flatten_mapping rewrites


@dataclass(frozen=True)
class YamlDocument:
    """One document of a YAML file, as plain values plus the position of each value and key."""

    file: str
    start: Location
    value: object
    value_locations: dict[YamlPath, Position] = field(repr=False)
    key_locations: dict[YamlPath, Position] = field(repr=False)

    def locate(self, path: YamlPath, *, key: bool = False) -> Location:
        """The position of the value (or, with `key`, of the mapping key) at `path`.

        A path that does not exist (a missing field) resolves to its nearest existing parent.
        """
        if key and path in self.key_locations:
            return Location(self.file, *self.key_locations[path])
        probe = path
        while probe:
            if probe in self.value_locations:
                return Location(self.file, *self.value_locations[probe])
            probe = probe[:-1]
        if () in self.value_locations:
            return Location(self.file, *self.value_locations[()])
        return self.start


@dataclass(frozen=True)
class YamlFile:
    """What reading one file gave: its documents, its problems and the digest of its bytes."""

    documents: list[YamlDocument]
    problems: list[Diagnostic]
    sha256: str | None = None


class _Refused(Exception):
    """Raised inside the converter; becomes one diagnostic for the document."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def read_documents(
    path: Path,
    display: str,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_values: int = MAX_VALUES_PER_DOCUMENT,
) -> YamlFile:
    """Every non-empty document of the file at `path`; problems are named with `display`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            message = f"file is {size} bytes, over the limit of {max_bytes}: split it up"
            return YamlFile([], [Diagnostic(Location(display), message)])
        raw = path.read_bytes()
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        return YamlFile([], [Diagnostic(Location(display), message)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Diagnostic(_byte_location(display, raw, exc.start), "file is not valid UTF-8")
        return YamlFile([], [problem], _sha256(raw))

    # libyaml places what ends a file without a final newline (a null value) on the next line,
    # where the pure-Python composer places it at the end of the last one: read such a file
    # with the latter only, so positions never depend on which composer read it.
    if FAST_LOADER is not None and text.endswith("\n") and not _UNUSUAL.search(text):
        try:
            documents, problems = _compose(text, display, max_values, FAST_LOADER)
        except Exception:  # whatever libyaml does differently: the pure-Python reading decides
            problems = [Diagnostic(Location(display), "read again")]
        if not problems:
            return YamlFile(documents, [], _sha256(raw))
    documents, problems = _compose(text, display, max_values, yaml.SafeLoader)
    return YamlFile(documents, problems, _sha256(raw))


def _compose(
    text: str, display: str, max_values: int, loader_class: Loader
) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """The documents of `text` composed with `loader_class`, and every problem found."""
    documents: list[YamlDocument] = []
    problems: list[Diagnostic] = []
    try:
        loader = loader_class(text)
        try:
            for node in _nodes(loader):
                converter = _Converter(loader, display, max_values)
                try:
                    documents.append(converter.document(node))
                finally:
                    problems.extend(converter.problems)
        finally:
            loader.dispose()
    except _Refused as exc:
        problems.append(Diagnostic(exc.location, exc.message))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Diagnostic(_mark_location(display, mark), _yaml_message(exc)))
    except yaml.reader.ReaderError as exc:
        problems.append(_reader_problem(display, text, exc))
    except yaml.YAMLError as exc:
        problems.append(Diagnostic(Location(display), f"invalid YAML: {exc}"))
    except RecursionError:
        problems.append(Diagnostic(Location(display), "YAML is nested too deeply to read"))
    return documents, problems


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _nodes(loader: AnyLoader) -> Iterator[Node]:
    """The root node of each document, skipping empty ones (e.g. after a trailing `---`)."""
    while loader.check_node():
        node = loader.get_node()
        if node is None:
            continue
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            continue
        yield node


def _reader_problem(display: str, text: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    """A character YAML does not allow (a control character, say), at its line and column."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return Diagnostic(
        Location(display, line, column),
        f"invalid YAML: character #x{exc.character:04x} is not allowed in a YAML file",
    )


def _byte_location(display: str, raw: bytes, offset: int) -> Location:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return Location(display, line, column)


def _mark_location(display: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(display)
    return Location(display, mark.line + 1, mark.column + 1)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"


class _Converter:
    def __init__(self, loader: AnyLoader, display: str, max_values: int) -> None:
        self._loader = loader
        self._display = display
        self._max_values = max_values
        self._count = 0
        self._active: set[int] = set()
        self._values: dict[YamlPath, Position] = {}
        self._keys: dict[YamlPath, Position] = {}
        self.problems: list[Diagnostic] = []

    def document(self, node: Node) -> YamlDocument:
        value = self._convert(node, ())
        return YamlDocument(
            file=self._display,
            start=self._where(node),
            value=value,
            value_locations=self._values,
            key_locations=self._keys,
        )

    def _where(self, node: Node) -> Location:
        return _mark_location(self._display, node.start_mark)

    def _convert(self, node: Node, path: YamlPath) -> object:
        self._count += 1
        if self._count > self._max_values:
            raise _Refused(
                self._where(node),
                f"document expands to more than {self._max_values} values (an alias bomb?): "
                "write the values out or use fewer aliases",
            )
        self._values.setdefault(path, _position(node))
        if isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:  # most of a manifest: no constructor needed
                return node.value
            return self._scalar(node)
        if id(node) in self._active:
            raise _Refused(self._where(node), "recursive alias: a value cannot contain itself")
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._expect_tag(node, _SEQ_TAG, "a list")
                return [self._convert(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                self._expect_tag(node, _MAP_TAG, "a mapping")
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        raise _Refused(self._where(node), "unsupported YAML node")

    def _expect_tag(self, node: Node, tag: str, what: str) -> None:
        if node.tag != tag:
            raise _Refused(self._where(node), f"unsupported YAML tag {node.tag!r} on {what}")

    def _scalar(self, node: ScalarNode) -> object:
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise _Refused(
                _mark_location(self._display, exc.problem_mark or node.start_mark),
                f"unsupported YAML value: {exc.problem or exc}",
            ) from None
        except ValueError:  # an impossible date, or more digits than Python reads
            if node.tag == "tag:yaml.org,2002:int":
                problem = f"a number of {len(node.value)} characters is too long to read"
            else:
                kind = node.tag.rsplit(":", 1)[-1]
                problem = f"{node.value[:40]!r} is not a valid {kind}"
            raise _Refused(
                self._where(node),
                f"{problem}: put it in quotes if it is meant as a string",
            ) from None

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, object]:
        seen: dict[str, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = _plain_key(key_node)
            if key is None:
                where = self._where(key_node)
                self.problems.append(Diagnostic(where, "mapping keys must be plain strings"))
            elif key in seen:
                line, column = _position(seen[key])
                self.problems.append(
                    Diagnostic(
                        self._where(key_node),
                        f"duplicate key {key!r} (first at line {line}, column {column}): YAML "
                        "would silently keep only the last one; remove one of them",
                    )
                )
            else:
                seen[key] = key_node
        try:
            if any(key_node.tag in _FLATTENED for key_node, _ in node.value):
                self._loader.flatten_mapping(node)  # resolves `<<` merge keys (and `=`) in place
        except yaml.MarkedYAMLError as exc:
            raise _Refused(
                _mark_location(self._display, exc.problem_mark or node.start_mark),
                f"invalid merge key: {exc.problem or exc}",
            ) from None
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = _plain_key(key_node)
            if key is None:
                continue  # reported above
            child = (*path, key)
            self._keys[child] = _position(key_node)
            self._values.pop(child, None)  # an explicit key overrides a merged one
            result[key] = self._convert(value_node, child)
        return result


def _plain_key(node: Node) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return str(node.value)
    return None


def _position(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1
