"""`printable`: outside values reach a terminal with every control character shown, not acted on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.escaping import is_control, printable


def test_plain_text_is_returned_as_it_is() -> None:
    text = "shop-eu/gdpr-2026-w47 s3://bucket/key.csv \u00e9\u4e2d"
    assert printable(text) is text


def test_controls_are_shown_as_escapes() -> None:
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[31mred\x07") == "\\x1b[31mred\\x07"
    assert printable("abc\u202edef\u200b") == "abc\\u202edef\\u200b"
    assert printable("::error::x\n::warning::y") == "\\x3a:error::x\\n::warning::y"


def test_a_value_never_reads_as_a_workflow_command() -> None:
    # A runner reads `::` at the start of a line (after spaces) and `##[` anywhere in it.
    assert printable(" \u3000::add-mask::x") == " \u3000\\x3a:add-mask::x"
    assert printable("a ##[error]b") == "a ##\\x5berror]b"
    assert printable("a::b") == "a::b"  # not at the start: no command


@given(st.text())
def test_no_control_character_is_left(text: str) -> None:
    shown = printable(text)
    assert not any(is_control(char) for char in shown)
    assert "##[" not in shown and not shown.lstrip().startswith("::")
    assert printable(shown) == shown  # escaping twice changes nothing
