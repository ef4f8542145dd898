"""The use cases load without the command line: a long-running process calls them as they are."""

from __future__ import annotations

from tests.conftest import REPO
from tests.test_layers import _loaded_after_importing


def test_the_use_cases_load_neither_click_nor_the_commands_nor_render() -> None:
    modules = [
        f"reconciler.usecases.{path.stem}"
        for path in sorted((REPO / "reconciler" / "usecases").glob("*.py"))
        if path.stem != "__init__"
    ]
    loaded = _loaded_after_importing(*modules)
    assert "reconciler.usecases.status" in loaded
    unwanted = ("click", "reconciler.cli", "reconciler.commands", "reconciler.render")
    assert [m for m in loaded if m.split(".")[0] == "click" or m.startswith(unwanted)] == []
