"""What a public output may not show: who said what, in which group, when, and in which room.

The example session records contributor codes, breakout groups, times and a local place, and its
links' evidence quotes a group by name. Every public output (each RDF format, GraphML, GEXF, the
views and the brief) is searched for each of those values, in literals, in IRIs and inside text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.demo import build_demo
from crimekg.graph.store import open_store

PUBLIC_RDF = ["ttl", "trig", "nt", "nq", "jsonld", "xml"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy") / "demo"
    build_demo(root)
    return root / "store"


@pytest.fixture(scope="module")
def needles(demo) -> dict[str, set[str]]:
    """Every value a public output must not show, read from the workspace itself."""
    with open_store(demo) as store:
        def values(sparql: str) -> set[str]:
            return {str(r["v"]) for r in store.select(sparql)}

        codes = values("SELECT DISTINCT ?v WHERE { ?p ckg:contributorCode ?v }")
        groups = values("SELECT DISTINCT ?v WHERE { ?c ckg:group ?v }")
        local = values("SELECT DISTINCT ?v WHERE { ?s ckg:localPlace ?v }")
        times = values("SELECT DISTINCT ?v WHERE { ?c prov:generatedAtTime ?v }")
    assert codes and groups and local and times, "the example must record every kind of value, or this test tests nothing"
    clock = {t[11:16] for t in times}  # "09:42", as a view or a brief would print a time
    return {"contributor code": codes, "group": groups, "local place": local, "time": times | clock}


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def _public_outputs(demo: Path, out: Path) -> list[Path]:
    files = []
    for fmt in PUBLIC_RDF:
        path = out / f"public.{fmt}"
        _run(["export", "--profile", "public", "--format", fmt, "-o", str(path), "--store", str(demo)])
        files.append(path)
    for fmt in ("graphml", "gexf"):
        for network in ("factors", "session"):
            path = out / f"{network}.{fmt}"
            _run(["export", "--profile", "public", "--format", fmt, "--network", network, "-o", str(path), "--store", str(demo)])
            files.append(path)
    for preset in ("factors", "session"):
        path = out / f"{preset}.html"
        _run(["view", preset, "--profile", "public", "-o", str(path), "--store", str(demo)])
        files.append(path)
    for fmt in ("md", "html"):
        path = out / f"brief.{fmt}"
        _run(["brief", "--place", "Nigeria", "--format", fmt, "--profile", "public", "-o", str(path), "--store", str(demo)])
        files.append(path)
    return files


def _found(text: str, value: str) -> bool:
    if len(value) <= 3:  # a short code such as P07: as a word of its own, not inside "P070" or "SP07A"
        return re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", text) is not None
    return value in text


def test_no_public_output_shows_who_where_or_when(demo, needles, tmp_path):
    leaks = []
    for path in _public_outputs(demo, tmp_path):
        text = path.read_text(encoding="utf-8")
        for kind, values in needles.items():
            for value in values:
                if _found(text, value):
                    leaks.append(f"{path.name}: {kind} {value!r}")
    assert not leaks, "\n".join(leaks[:40])


def test_the_full_export_still_holds_them(demo, needles, tmp_path):
    """The owner's own copy keeps everything: the search above would find them if they were there."""
    path = tmp_path / "full.nq"
    _run(["export", "--format", "nq", "-o", str(path), "--store", str(demo)])
    text = path.read_text(encoding="utf-8")
    for kind, values in needles.items():
        if kind == "time":
            continue
        assert all(_found(text, v) for v in values), kind
