"""What a public output may not show: who said what, in which group, when, and in which room.

The example session records contributor codes, breakout groups, times and a local place, and its
links' evidence quotes groups by name. Every public output (each RDF format, GraphML and GEXF of
each network, every file of a release, each view preset's page and the brief in Markdown and
HTML) is searched for each of those values, in literals, in IRIs and inside text, the text inside
a page's JSON included. Each search is shown to find them in the full profile.
"""

from __future__ import annotations

import html
import json
import re
import shutil
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
    # only a Latin letter or digit next to it makes it another word: "Sabhaの", "在Sabha招募" count
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", text) is not None


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


# --- the views and the brief ----------------------------------------------------------------------

#: A factor whose labels name a local place, a group and a contributor code of the example, in six
#: scripts, placed in Nigeria: the brief lists it, the views draw it.
_NAMING = """
@prefix ckg: <https://w3id.org/crimekg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/crimekg/data/factor/recruiters-in-sabha> a ckg:Factor ;
  skos:prefLabel "Recruiters in Sabha, as Group C and P07 said"@en ;
  skos:altLabel "Sabhaの勧誘者（Group Cによると）"@ja, "Вербовщики в Sabha (Group C)"@ru, "مجندون في Sabha (Group C)"@ar,
    "ผู้จัดหาในSabha (Group C)"@th, "在Sabha招募（据Group C说）"@zh, "Reclutadores en Sabha (Group C)"@es ;
  ckg:category <https://w3id.org/crimekg/concept/category/enabling> ;
  ckg:crimeType <https://w3id.org/crimekg/concept/crime/trafficking-in-persons> ;
  ckg:place <https://w3id.org/crimekg/place/NGA> .
"""

#: A shared query file that asks for everything the public profile keeps back: the query view draws it.
_PRYING = """# Who said what, in which group, when and where
PREFIX ckg: <https://w3id.org/crimekg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
CONSTRUCT { ?c prov:wasGeneratedBy ?s ; prov:wasAttributedTo ?p ; ckg:contributorCode ?code ; ckg:group ?group ;
              prov:generatedAtTime ?time ; ckg:localPlace ?local . ?s ckg:localPlace ?room }
WHERE { ?c a ckg:Contribution ; prov:wasGeneratedBy ?s .
  OPTIONAL { ?c prov:wasAttributedTo ?p OPTIONAL { ?p ckg:contributorCode ?code } }
  OPTIONAL { ?c ckg:group ?group } OPTIONAL { ?c prov:generatedAtTime ?time }
  OPTIONAL { ?c ckg:localPlace ?local } OPTIONAL { ?s ckg:localPlace ?room } }
"""


@pytest.fixture(scope="module")
def room(demo, tmp_path_factory):
    """The example with published evidence (for the flows view and the brief's figures) and a factor naming who and where."""
    from crimekg.graph.importers import frontex, glotip, iom
    from crimekg.graph.store import Changeset
    from tests.helpers import import_sample

    root = tmp_path_factory.mktemp("room")
    shutil.copytree(demo, root / "store")
    with open_store(root / "store") as store:
        for importer, name in ((glotip, "glotip-sample.csv"), (frontex, "frontex-sample.csv"), (iom, "iom-2019-sample.csv")):
            import_sample(store, importer, name)
        import rdflib

        cs = Changeset()
        cs.replace_graph("https://w3id.org/crimekg/graph/load/naming", rdflib.Graph().parse(data=_NAMING, format="turtle"))
        store.write(cs)
    (root / "prying.rq").write_text(_PRYING, encoding="utf-8")
    return root


VIEW_PRESETS = ("factors", "session", "places", "flows", "query")


def _pages(room: Path, out: Path, profile: str, place_level: str = "country") -> list[Path]:
    """Every view preset's page and the brief (Markdown and HTML, a country and a region) under a profile."""
    store = str(room / "store")
    level = ["--profile", profile] + (["--place-level", place_level] if place_level != "country" else [])
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for preset in VIEW_PRESETS:
        path = out / f"{preset}.html"
        query = ["--query", str(room / "prying.rq")] if preset == "query" else []
        _run(["view", preset, *query, *level, "-o", str(path), "--store", store])
        files.append(path)
    for place, name in (("Nigeria", "nga"), ("Western Africa", "011")):
        for fmt in ("md", "html"):
            path = out / f"brief-{name}.{fmt}"
            _run(["brief", "--place", place, "--format", fmt, *level, "-o", str(path), "--store", store])
            files.append(path)
    return files


def _texts(path: Path) -> str:
    """A page's text as written, unescaped, and the strings of its embedded JSON (a view's data)."""
    raw = path.read_text(encoding="utf-8")
    parts = [raw, html.unescape(raw)]
    for m in re.finditer(r"const DATA = (\{.*?\});\n", raw):
        strings = []

        def walk(x):
            if isinstance(x, str):
                strings.append(x)
            elif isinstance(x, dict):
                for k, v in x.items():
                    walk(k)
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)

        walk(json.loads(m.group(1)))
        parts.append("\n".join(strings))
    return "\n".join(parts)


def _leaks(files: list[Path], needles: dict[str, set[str]]) -> dict[str, set[str]]:
    """kind -> the files where some value of that kind is found."""
    found: dict[str, set[str]] = {kind: set() for kind in needles}
    for path in files:
        text = _texts(path)
        for kind, values in needles.items():
            if any(_found(text, v) for v in values):
                found[kind].add(path.name)
    return found


@pytest.mark.parametrize("place_level", ["country", "region"])
def test_no_public_view_or_brief_shows_who_where_or_when(room, needles, tmp_path, place_level):
    files = _pages(room, tmp_path, "public", place_level)
    assert len(files) == len(VIEW_PRESETS) + 4
    found = _leaks(files, needles)
    assert not any(found.values()), found
    # what the profile marks is still there to read, as a marker, in every script
    factors = _texts(tmp_path / "factors.html")
    for marked in ("Recruiters in [place], as [group] and [participant] said", "[place]の勧誘者（[group]によると）",
                   "Вербовщики в [place] ([group])", "مجندون في [place] ([group])", "ผู้จัดหาใน[place] ([group])",
                   "在[place]招募（据[group]说）", "Reclutadores en [place] ([group])"):
        assert marked in factors, marked
    for path in files:
        assert "Public profile: no contributor codes, groups, times or local places" in _texts(path), path.name


def test_the_full_views_and_brief_show_them(room, needles, tmp_path):
    """The facilitator's own pages show them (the search above would find them if they were there):
    the query view every kind, the factors view and the brief the labels that name a group, a code and a place."""
    files = _pages(room, tmp_path, "full")
    found = _leaks(files, needles)
    assert found["contributor code"] >= {"query.html", "factors.html", "brief-nga.md", "brief-nga.html"}, found
    assert found["group"] >= {"query.html", "factors.html", "session.html", "brief-nga.md", "brief-nga.html"}, found
    assert found["local place"] >= {"query.html", "factors.html", "brief-nga.md", "brief-nga.html"}, found
    assert found["time"] == {"query.html"}, found  # no other page shows a time, in either profile
    assert not any("Public profile" in _texts(p) for p in files)


def _places(path: Path) -> set[str]:
    """The place codes a view's nodes are filtered by (ISO3 codes, or M49 codes)."""
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", path.read_text(encoding="utf-8")).group(1))
    return {p for n in data["nodes"] for p in n["facets"].get("place", [])}


def test_public_pages_by_region_name_places_by_their_un_m49_subregion(room, tmp_path):
    store = str(room / "store")
    for level in ("country", "region"):
        args = ["--profile", "public"] + (["--place-level", "region"] if level == "region" else [])
        _run(["view", "factors", *args, "-o", str(tmp_path / f"{level}.html"), "--store", store])
        _run(["brief", "--place", "NGA", *args, "-o", str(tmp_path / f"{level}.md"), "--store", store])
    assert "NGA" in _places(tmp_path / "country.html")
    by_region = _places(tmp_path / "region.html")
    assert by_region and all(p.isdigit() for p in by_region), by_region
    assert "202" in by_region  # Nigeria's subregion, Sub-Saharan Africa
    brief = (tmp_path / "region.md").read_text(encoding="utf-8")
    assert "what participants contributed about Sub-Saharan Africa, which includes Nigeria" in brief
    assert r"Recruiters in \[place\]" in brief  # placed in Nigeria, listed under its subregion (Markdown escapes brackets)
    assert "Sub-Saharan Africa" not in (tmp_path / "country.md").read_text(encoding="utf-8")
    # a place filter naming a country keeps what its subregion holds
    _run(["view", "factors", "--profile", "public", "--place-level", "region", "--place", "Nigeria",
          "-o", str(tmp_path / "nga.html"), "--store", store])
    assert _places(tmp_path / "nga.html") >= {"202"}


def test_place_level_goes_with_the_public_profile(room, tmp_path):
    store = str(room / "store")
    for args in (["view", "factors"], ["brief", "--place", "NGA"], ["export", "--format", "graphml"]):
        result = CliRunner().invoke(cli, [*args, "--place-level", "region", "-o", str(tmp_path / "x"), "--store", store])
        assert result.exit_code == 2 and "--place-level region goes with --profile public" in result.output, result.output


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_public_networks_by_region_name_places_by_their_un_m49_subregion(demo, tmp_path, fmt):
    """--place-level region reaches GraphML and GEXF as it reaches the RDF export (it was once ignored there)."""
    import networkx as nx

    read = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    places = {}
    for level in ("country", "region"):
        path = tmp_path / f"{level}.{fmt}"
        _run(["export", "--format", fmt, "--network", "places", "--profile", "public", "--place-level", level,
              "-o", str(path), "--store", str(demo)])
        G = read(path)
        places[level] = {p for _n, v in G.nodes(data="places") if v for p in str(v).split("; ")}
        kinds = {k for _n, k in G.nodes(data="kind")}
        assert ("country" in kinds) == (level == "country"), kinds
    assert {"NGA", "ITA", "JPN"} <= places["country"]
    assert places["region"] and all(p.isdigit() for p in places["region"]), places["region"]


def test_public_pages_leave_the_evidence_out_of_their_copy_only_where_it_changes_nothing(room):
    """The factors, session and places views and the participants' part of a brief copy every graph but the
    published evidence (quicker by minutes on a large import): they show what a copy of everything shows."""
    from crimekg.graph.brief import build_brief, render_brief
    from crimekg.graph.views import EVIDENCE_GRAPHS, network_for, participant_graphs, public_copy

    def picture(G):
        return dict(G.nodes(data=True)), sorted((u, v, k, sorted(a.items())) for u, v, k, a in G.edges(keys=True, data=True))

    with open_store(room / "store") as store:
        graphs = participant_graphs(store)
        assert len(graphs) < len(store.graphs()) and not any(g.startswith(EVIDENCE_GRAPHS) for g in graphs)
        with public_copy(store, "region") as pub:
            assert any(g.startswith(EVIDENCE_GRAPHS) for g in pub.graphs())
            whole = {p: picture(network_for(pub, p)) for p in ("factors", "session", "places")}
        with public_copy(store, "region", graphs) as pub:
            for preset, expected in whole.items():
                assert picture(network_for(pub, preset)) == expected, preset
        with public_copy(store) as pub:
            expected = render_brief(build_brief(pub, place="Nigeria"), "md")
        b = build_brief(store, place="Nigeria", profile="public")
    assert b.participants and b.victims, "the brief must show both parts, or this test compares nothing"
    b.profile = "full"  # the note on top is the one difference
    assert render_brief(b, "md") == expected
