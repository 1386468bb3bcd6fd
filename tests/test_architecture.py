"""The layers point one way (handlers → core → storage) and no module imports in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.callbacks import CallbackData
from bot.features import Feature, check_callbacks
from handlers import FEATURES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "fakegram")
# The entry point is where the core meets the features and the sandbox: it may import both.
ENTRY_POINT = "bot.__main__"


def module_names(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    names = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            names[name] = path
    return names


def imports(path: Path, name: str, known: set[str], *, top_level: bool) -> set[str]:
    """The project modules `name` imports: at module level (what runs at import time, not
    `if TYPE_CHECKING:`), or anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if top_level:
        nodes = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)] + [
            sub
            for n in tree.body
            if isinstance(n, ast.Try)
            for sub in ast.walk(n)
            if isinstance(sub, ast.Import | ast.ImportFrom)
        ]
    else:
        nodes = list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: resolve against this module's package
                package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    found.add(sub)
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def import_graph(root: Path, packages: tuple[str, ...], *, top_level: bool) -> dict[str, set[str]]:
    names = module_names(root, packages)
    known = set(names)
    return {n: imports(p, n, known, top_level=top_level) for n, p in names.items()}


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph(ROOT, PACKAGES, top_level=True))
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_check_finds_a_cycle(tmp_path: Path) -> None:
    """The cycle check fails where there is one (it is no test that cannot fail)."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import thing\n")
    (tmp_path / "pkg" / "b.py").write_text("import os\n\nfrom pkg import c\n")
    (tmp_path / "pkg" / "c.py").write_text("from pkg.a import other\n")
    cycle = find_cycle(import_graph(tmp_path, ("pkg",), top_level=True))
    assert cycle == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (tmp_path / "pkg" / "c.py").write_text("def late():\n    from pkg.a import other\n")
    assert find_cycle(import_graph(tmp_path, ("pkg",), top_level=True)) is None


def test_the_core_imports_no_handler_and_no_test_double() -> None:
    graph = import_graph(ROOT, PACKAGES, top_level=False)
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if module.startswith("bot") and module != ENTRY_POINT
        for target in targets
        if target.split(".")[0] in ("handlers", "fakegram", "tests")
    }
    assert not wrong, f"the core reaches up: {sorted(wrong)}"


def test_no_handler_imports_another() -> None:
    graph = import_graph(ROOT, PACKAGES, top_level=False)
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if module.startswith("handlers.")
        for target in targets
        if target.startswith("handlers")
    }
    assert not wrong, f"handlers import each other: {sorted(wrong)}"


def test_callback_prefixes_are_unique() -> None:
    check_callbacks(FEATURES)
    clash = Feature("clash", callbacks=(CallbackData("set"),))
    with pytest.raises(ValueError, match="'set' declared by 'subscriptions' and 'clash'"):
        check_callbacks((*FEATURES, clash))
    with pytest.raises(ValueError, match="'cmd' declared by 'main menu'"):
        check_callbacks((Feature("menu-clash", callbacks=(CallbackData("cmd"),)),))
