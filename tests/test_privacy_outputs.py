"""What a public output may not show: who said what, in which group, when, and in which room.

The example session records contributor codes, breakout groups, times and a local place, and its
links' evidence quotes groups by name. Every public export (each RDF format, GraphML and GEXF of
each network, every file of a release) is searched for each of those values, in literals, in IRIs and inside text. (The
views and the brief are the facilitator's own pages: they have no public profile yet.)
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
    shown = {t[:16].replace("T", " ") for t in times}  # "2026-03-17 09:42", as a page would print a time
    return {"contributor code": codes, "group": groups, "local place": local, "time": times | shown}


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
    release = out / "release"
    _run(["release", str(release), "--store", str(demo)])  # a release is public by default
    files += sorted(p for p in release.iterdir() if p.is_file() and p.name not in BUNDLED)
    assert len(files) == 6 + 4 + 8, [p.name for p in files]  # RDF formats, networks, the release's own files
    return files


#: The files of a release that crimekg ships itself, the same for every workspace: their examples
#: ("a code such as P07") are no one's data. A test below shows they are the bundled ones.
BUNDLED = {"ontology.ttl", "ontology.html", "shapes.ttl", "schemes.ttl", "places.ttl", "course.ttl"}


def test_the_files_a_release_bundles_are_the_same_for_every_workspace(demo, tmp_path):
    from crimekg.graph.store import init_store

    init_store(tmp_path / "empty").close()
    _run(["release", str(tmp_path / "of-demo"), "--store", str(demo)])
    _run(["release", str(tmp_path / "of-empty"), "--store", str(tmp_path / "empty")])
    for name in sorted(BUNDLED):
        assert (tmp_path / "of-demo" / name).read_bytes() == (tmp_path / "of-empty" / name).read_bytes(), name


def _found(text: str, value: str) -> bool:
    """The value as words of their own: P07 not inside "P070", "Group A" not inside "Group Against"."""
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


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
            assert any(_found(text, v) for v in values), kind
            continue
        assert all(_found(text, v) for v in values), kind
    # and the full network names the groups its links' evidence quotes, which the public one marks
    full, public = tmp_path / "full.graphml", tmp_path / "public.graphml"
    _run(["export", "--format", "graphml", "--network", "factors", "-o", str(full), "--store", str(demo)])
    _run(["export", "--format", "graphml", "--network", "factors", "--profile", "public", "-o", str(public), "--store", str(demo)])
    assert any(_found(full.read_text(encoding="utf-8"), g) for g in needles["group"])
    assert "[group]" in public.read_text(encoding="utf-8")
