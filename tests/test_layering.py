"""How the modules under graph/ depend on one another: public names only, and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRAPH = Path(__file__).resolve().parent.parent / "graph"
MODULES = sorted(p for p in GRAPH.rglob("*.py"))

# The one module allowed to reach a library's private attribute, and why.
INNER_ALLOWED = {
    "store.py": "oxrdflib exposes its pyoxigraph Store only as `_inner`; GraphStore.oxigraph publishes it",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(GRAPH.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return "crimekg." + ".".join(parts)


def _private_imports(path: Path) -> list[str]:
    """`from crimekg... import _name` and `crimekg_module._name` uses in one file, as readable strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crimekg"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                else:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("crimekg"):
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in aliases):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        if isinstance(node, ast.Attribute) and node.attr == "_inner" and path.name not in INNER_ALLOWED:
            found.append(f"line {node.lineno}: reaches ._inner")
        if (isinstance(node, ast.Constant) and node.value == "_inner" and path.name not in INNER_ALLOWED):
            found.append(f"line {node.lineno}: names '_inner' (getattr)")
    return found


def test_the_graph_package_has_modules():
    names = {p.name for p in MODULES}
    assert {"store.py", "query.py", "terms.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(GRAPH)))
def test_no_module_uses_another_modules_private_names(path):
    assert _private_imports(path) == []


def test_the_checker_sees_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from crimekg.graph.store import _from_ox\n"
        "from crimekg.graph import store\n"
        "x = store._tidy\n"
        "y = thing.dataset.store._inner\n",
        encoding="utf-8",
    )
    found = _private_imports(sample)
    assert any("_from_ox" in f for f in found)
    assert any("store._tidy" in f for f in found)
    assert any("_inner" in f for f in found)
