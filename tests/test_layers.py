"""The package's layers point one way (see reconciler/README.md): the pure core loads none of
the edges, no module imports itself back in a cycle, and package __init__ files do no work."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "reconciler"
EDGES = ("boto3", "botocore", "yaml", "click", "sqlite3", "reconciler.emulator")
BACKENDS = ("reconciler.state.local", "reconciler.state.registry", "reconciler.providers.")


def _loaded_after_importing(*modules: str) -> list[str]:
    code = (
        "import sys\n"
        f"for name in {list(modules)!r}: __import__(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return result.stdout.split()


def test_planning_and_rendering_load_none_of_the_edges() -> None:
    core = [
        f"reconciler.{path.parent.name}.{path.stem}"
        for folder in ("planning", "render")
        for path in sorted((PACKAGE / folder).glob("*.py"))
        if path.stem != "__init__"
    ]
    loaded = _loaded_after_importing(*core)
    assert "reconciler.planning.decide" in loaded and "reconciler.render.plan_text" in loaded
    edges = [m for m in loaded if m.split(".")[0] in EDGES or m.startswith(EDGES)]
    backends = [m for m in loaded if m.startswith(BACKENDS)]
    assert edges == [] and backends == []


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module of the package `path` imports, when it is loaded or inside a function (not
    for type checking only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("reconciler")}


def _top_level_imports(path: Path) -> set[str]:
    """What a module imports when it is loaded (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("reconciler")}


CORE = (
    "reconciler.models",
    "reconciler.diagnostics",
    "reconciler.errors",
    "reconciler.exitcodes",
    "reconciler.durations",
    "reconciler.constraints",
    "reconciler.files",
    "reconciler.escaping",
    "reconciler.formats",
    "reconciler.boundedjson",
    "reconciler.userrows",
)
# What each part may import when it is loaded, as reconciler/README.md draws it (the first
# prefix that matches a module decides; the core is open to every part but the emulator).
ALLOWED: list[tuple[str, tuple[str, ...]]] = [
    # the emulator FAILs a job on the rows preflight refuses: the one row checker, and no more
    ("reconciler.emulator", ("reconciler.emulator", "reconciler.userrows")),
    ("reconciler.__main__", ("reconciler.entry",)),
    ("reconciler.entry", ("reconciler.cli",)),  # imported inside, after the signals
    # commands are imported when they run; diagnostics when a manifest is broken
    (
        "reconciler.cli",
        ("reconciler.runtime", "reconciler.commands.", "reconciler.render.diagnostics"),
    ),
    # `emulator serve` is the emulator's own command
    (
        "reconciler.commands.emulator",
        (
            "reconciler.emulator",
            "reconciler.providers.local",
            "reconciler.workspace",
            "reconciler.runtime",
        ),
    ),
    # a command parses options, calls a use case and renders: never a backend or provider
    (
        "reconciler.commands",
        (
            "reconciler.commands",
            "reconciler.usecases",
            "reconciler.render",
            "reconciler.runtime",
            "reconciler.applying.display",  # the progress line is rendering
            "reconciler.applying.verdict",
            "reconciler.applying.tracker",  # the type of a poll's progress
            "reconciler.planfile",  # `show` reads a saved plan
            "reconciler.manifest.documents",  # `schema` is generated from the format's models
        ),
    ),
    (
        "reconciler.usecases",
        (
            "reconciler.usecases",
            "reconciler.workspace",
            "reconciler.applying",
            "reconciler.planning",
            "reconciler.state.",
            "reconciler.providers.interface",
            "reconciler.providers.inputs",
            "reconciler.manifest",
            "reconciler.preflight",
            "reconciler.refresh",
            "reconciler.evidence",
            "reconciler.lifecycle",
            "reconciler.blame",
            "reconciler.provenance",
            "reconciler.planfile",
            "reconciler.settings",
            "reconciler.runtime",
            "reconciler.providers.registry",  # validate checks the settings' files
        ),
    ),
    (
        "reconciler.workspace",
        (
            "reconciler.manifest",
            "reconciler.planning",
            "reconciler.refresh",
            "reconciler.preflight",
            "reconciler.settings",
            "reconciler.state.",
        ),
    ),
    (
        "reconciler.applying",
        (
            "reconciler.applying",
            "reconciler.planning",
            "reconciler.state.",
            "reconciler.providers.interface",
        ),
    ),
    ("reconciler.refresh", ("reconciler.planning", "reconciler.providers.interface")),
    ("reconciler.preflight", ("reconciler.planning", "reconciler.providers.inputs")),
    (
        "reconciler.evidence",
        ("reconciler.state.document", "reconciler.lifecycle", "reconciler.planning.deadlines"),
    ),
    ("reconciler.blame", ("reconciler.evidence",)),
    ("reconciler.provenance", ()),
    (
        "reconciler.providers",
        ("reconciler.providers", "reconciler.settings", "reconciler.emulator"),
    ),
    ("reconciler.state", ("reconciler.state", "reconciler.settings")),
    (
        "reconciler.render",
        (
            "reconciler.render",
            "reconciler.planning",
            "reconciler.state.document",
            "reconciler.evidence",
            "reconciler.lifecycle",
        ),
    ),
    ("reconciler.planfile", ("reconciler.planning",)),
    ("reconciler.planning", ("reconciler.planning",)),
    (
        "reconciler.manifest",
        (
            "reconciler.manifest",
            "reconciler.settings",
            "reconciler.planning.fanout",
            "reconciler.planning.deadlines",
        ),
    ),
    ("reconciler.settings", ()),
    # the factories of the parts that touch the outside, imported when first called
    ("reconciler.runtime", ("reconciler.providers.registry", "reconciler.state.registry")),
    ("reconciler", ()),  # the core itself
]


def test_layers_point_down() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        allowed = next(rule for prefix, rule in ALLOWED if module.startswith(prefix))
        for imported in sorted(_imports(path)):
            ok = imported == "reconciler" or imported.startswith((*CORE, *allowed))
            if module.startswith("reconciler.emulator"):
                ok = imported.startswith(allowed)
            if not ok:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = {_module(p): _top_level_imports(p) for p in PACKAGE.rglob("*.py")}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        assert module not in visiting, " -> ".join([*visiting, module])
        if module in done or module not in graph:
            return
        visiting.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_package_inits_only_hand_names_on() -> None:
    for path in sorted(PACKAGE.rglob("__init__.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for node in body[1:]:  # after the docstring
            allowed = isinstance(node, ast.ImportFrom) and node.module == "__future__"
            allowed |= isinstance(node, ast.Assign) and path.parent == PACKAGE  # __version__
            assert allowed, f"{path.relative_to(REPO)} does work: {ast.unparse(node)}"
