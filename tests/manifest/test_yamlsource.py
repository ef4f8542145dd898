from __future__ import annotations

from pathlib import Path

from reconciler.diagnostics import Location
from reconciler.manifest.yamlsource import read_documents


def read(path: Path, **limits: int):  # type: ignore[no-untyped-def]
    read = read_documents(path, path.name, **limits)
    return read.documents, read.problems


def test_values_and_keys_keep_their_positions(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a:\n  b: [x, y]\n---\n- 1\n", encoding="utf-8")
    docs, problems = read(path)
    assert problems == []
    assert [d.value for d in docs] == [{"a": {"b": ["x", "y"]}}, [1]]
    first = docs[0]
    assert first.locate(("a", "b", 1)) == Location("m.yaml", 2, 10)
    assert first.locate(("a", "b"), key=True) == Location("m.yaml", 2, 3)
    assert first.locate(("a", "missing", "deeper")) == Location("m.yaml", 2, 3)
    assert docs[1].start == Location("m.yaml", 4, 1)


def test_empty_documents_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("---\n---\na: 1\n---\n", encoding="utf-8")
    docs, problems = read(path)
    assert problems == []
    assert [d.value for d in docs] == [{"a": 1}]


def test_merge_keys_apply_and_explicit_keys_win(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", encoding="utf-8")
    docs, problems = read(path)
    assert problems == []
    assert docs[0].value == {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}
    assert docs[0].locate(("c", "y")) == Location("m.yaml", 4, 6)


def test_duplicate_keys_are_reported_with_both_places(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    _, problems = read(path)
    assert [str(p) for p in problems] == [
        "m.yaml:3:1: duplicate key 'a' (first at line 1, column 1): YAML would silently keep "
        "only the last one; remove one of them"
    ]


def test_file_over_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: " + "x" * 100 + "\n", encoding="utf-8")
    docs, problems = read(path, max_bytes=50)
    assert docs == []
    assert len(problems) == 1
    assert "over the limit of 50" in problems[0].message


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, problems = read(path, max_values=10_000)
    assert docs == []
    assert len(problems) == 1
    assert "expands to more than 10000 values" in problems[0].message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    docs, problems = read(path)
    assert docs == []
    assert [p.message for p in problems] == ["YAML is nested too deeply to read"]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    docs, problems = read(path)
    assert problems == []
    assert docs[0].value == {"a": 1}


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "dir.yaml"
    path.mkdir()
    docs, problems = read(path)
    assert docs == []
    assert problems[0].message.startswith("cannot read file")


def test_a_key_written_as_equals_is_refused_as_yaml_1_1_reads_it(tmp_path: Path) -> None:
    """`=` is YAML 1.1's value key: refused as a key that is not a plain string (its value is
    still read, so the rest of the document is checked)."""
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\n=: 2\n", encoding="utf-8")
    read = read_documents(path, "m.yaml")
    assert [str(p) for p in read.problems] == ["m.yaml:2:1: mapping keys must be plain strings"]
    assert read.documents[0].value == {"a": 1, "=": 2}
