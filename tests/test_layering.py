"""How the modules under graph/ depend on one another: public names only, and no import cycles."""

from __future__ import annotations

import ast
import re
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
                if alias.name.startswith("_") and not alias.name.startswith("__"):
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


# Imports made inside a function, allowed because a module-level one would close a cycle.
LATE_IMPORTS_ALLOWED = {
    ("crimekg.graph.store", "crimekg.graph.remote"): "open_store picks the remote store, which builds on store's GraphStore",
}


def _module_imports(path: Path) -> set[str]:
    """The crimekg.graph modules ``path`` imports at module level (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    known = {_module_name(p) for p in MODULES}
    out = set()
    for node in tree.body:
        names = []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crimekg.graph"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        out |= {n for n in names if n in known}
    out.discard(_module_name(path))
    return out


def test_no_import_cycles_among_graph_modules():
    graph = {_module_name(p): _module_imports(p) for p in MODULES}
    cycles = []

    def visit(mod, stack):
        for dep in graph.get(mod, ()):
            if dep in stack:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif len(stack) < len(graph):
                visit(dep, stack + [dep])

    for mod in graph:
        visit(mod, [mod])
    assert cycles == []
    assert graph["crimekg.graph.brief"] >= {"crimekg.graph.query"}  # the walk sees real edges


def test_late_imports_that_dodge_a_cycle_are_listed():
    graph = {_module_name(p): _module_imports(p) for p in MODULES}

    def reaches(start, goal, seen=None):
        seen = seen if seen is not None else set()
        for dep in graph.get(start, ()):
            if dep == goal or (dep not in seen and (seen.add(dep) or reaches(dep, goal, seen))):
                return True
        return False

    dodges = set()
    for path in MODULES:
        mod = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.col_offset > 0 and (node.module or "") in graph:
                if node.module != mod and reaches(node.module, mod):
                    dodges.add((mod, node.module))
    assert dodges <= set(LATE_IMPORTS_ALLOWED), sorted(dodges - set(LATE_IMPORTS_ALLOWED))


# Reading a table (CSV, workbook, YAML, a gzip'd export) and its encoding policy have one home.
TABLE_READING = re.compile(r"\bcsv\.(reader|DictReader)\(|\bload_workbook\(|\byaml\.(safe_)?load\(|\bgzip\.open\(|"
                           r"utf-8-sig|field_size_limit\(")


def _reads_tables(path: Path) -> list[str]:
    return [f"line {i}: {line.strip()}" for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if TABLE_READING.search(line)]


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "sheets.py"], ids=lambda p: str(p.relative_to(GRAPH)))
def test_only_the_sheets_module_reads_tables(path):
    assert _reads_tables(path) == []


def test_the_table_reading_check_sees_a_reader(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import csv\nrows = list(csv.reader(open('x.csv', encoding='utf-8-sig')))\n", encoding="utf-8")
    assert _reads_tables(sample) == ["line 2: rows = list(csv.reader(open('x.csv', encoding='utf-8-sig')))"]
    assert _reads_tables(GRAPH / "sheets.py")


# Namespace IRIs have one home: graph/terms.py spells them (crimekg's own bases come from the
# ontology package); every other module takes them from there. Docstrings may show IRIs (their
# examples print them); code strings may not.
def _namespace_bases() -> list[str]:
    from crimekg import ontology
    from crimekg.graph import terms

    bases = {v for k, v in vars(terms).items() if k.isupper() and isinstance(v, str) and v.startswith("http")
             and v.endswith(("#", "/"))}
    return sorted(bases | {ontology.BASE}, key=len, reverse=True)  # the longest (most telling) first


W3C_VOCABULARY = re.compile(r"https?://www\.w3\.org/\S+#")
# Modules another change is moving to the namespace constants (the test fails once they no longer
# spell one, so that the entry is removed).
NAMESPACES_PENDING: dict[str, str] = {}  # module name -> why it still spells a namespace (none now)


def _spelled_namespaces(path: Path, bases: list[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            hit = next((b for b in bases if b in node.value), None) or (W3C_VOCABULARY.search(node.value) or [None])[0]
            if hit:
                found.append(f"line {node.lineno}: {hit}")
    return sorted(found)


def _namespace_case(path: Path):
    if path.name in NAMESPACES_PENDING:
        return pytest.param(path, marks=pytest.mark.xfail(strict=True, reason=NAMESPACES_PENDING[path.name]))
    return path


@pytest.mark.parametrize("path", [_namespace_case(p) for p in MODULES if p != GRAPH / "terms.py"],
                         ids=lambda p: str(p.relative_to(GRAPH)))
def test_only_the_terms_module_spells_namespace_iris(path):
    assert _spelled_namespaces(path, _namespace_bases()) == []


def test_the_namespace_check_sees_a_spelled_namespace(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Places are https://w3id.org/crimekg/place/{ISO3}."""\n'
        'PLACE = "https://w3id.org/crimekg/place/"\n'
        'def f():\n    """<http://www.w3.org/2001/XMLSchema#integer>"""\n'
        '    return f"<http://www.w3.org/ns/odrl/2/#{x}>", "ルート https://example.org/"\n',
        encoding="utf-8",
    )
    assert _spelled_namespaces(sample, _namespace_bases()) == [
        "line 2: https://w3id.org/crimekg/place/", "line 5: http://www.w3.org/ns/odrl/2/#"]
    assert _spelled_namespaces(GRAPH / "terms.py", _namespace_bases())
