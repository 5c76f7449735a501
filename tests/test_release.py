"""Releases: reproducible to the byte, private under the public profile, and loadable again."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from crimekg import ontology
from crimekg.cli import cli
from crimekg.graph.demo import build_demo
from crimekg.graph.errors import InvalidInput
from crimekg.graph.harmonize import factor_table, merge_changeset
from crimekg.graph.release import ReleaseInfo, release
from crimekg.graph.store import graph_name, init_store, open_store


def _demo_with_merge(path) -> str:
    """A fresh demo workspace in which two factors were merged (so the merge history is there)."""
    build_demo(path)
    store_dir = str(path / "store")
    with open_store(store_dir) as store:
        factors = sorted(factor_table(store), key=lambda f: f.iri)
        store.write(merge_changeset(store, factors[0].iri, [factors[1].iri], now=datetime(2026, 3, 17, 9, tzinfo=timezone.utc)))
    return store_dir


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    return [_demo_with_merge(tmp_path_factory.mktemp(name)) for name in ("demo-a", "demo-b")]


def _files(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_two_releases_from_two_fresh_demos_are_byte_identical(demos, tmp_path, monkeypatch):
    outs = []
    for i, store_dir in enumerate(demos):
        with open_store(store_dir) as store:
            release(store, tmp_path / f"rel-{i}", ReleaseInfo(creators=["山田 花子"], publisher="UNAFEI"))
        outs.append(_files(tmp_path / f"rel-{i}"))
    assert sorted(outs[0]) == sorted(["CITATION.cff", "README.md", "SHA256SUMS", "context.jsonld", "course.ttl", "data.jsonld",
                                      "data.nq", "data.ttl", "ontology.html", "ontology.ttl", "places.ttl", "schemes.ttl",
                                      "shapes.ttl", "void.ttl"])
    for name in outs[0]:
        assert outs[0][name] == outs[1][name], name
    # the shapes hold blank nodes: their labels are the canonical ones, not the store's
    assert b"_:c14n0" in outs[0]["shapes.ttl"]
    # the full profile too (the merges' times are the data's); SOURCE_DATE_EPOCH sets the release date
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1773705600")
    full = []
    for i, store_dir in enumerate(demos):
        with open_store(store_dir) as store:
            release(store, tmp_path / f"full-{i}", profile="full")
        full.append(_files(tmp_path / f"full-{i}"))
    for name in full[0]:
        assert full[0][name] == full[1][name], name
    assert b'"2026-03-17"^^xsd:date' in full[0]["void.ttl"]
    assert full[0]["shapes.ttl"] == outs[0]["shapes.ttl"]


def test_release_checksums_and_description(demos, tmp_path):
    with open_store(demos[0]) as store:
        out = release(store, tmp_path / "rel", ReleaseInfo(title="Факторы <торговли>", creators=["山田 花子", "José Pérez"],
                                                           licence="CC0-1.0", version="2.1"))
    files = _files(tmp_path / "rel")
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert len(files["SHA256SUMS"].decode().splitlines()) == len(files) - 1
    void = rdflib.Graph().parse(data=files["void.ttl"], format="turtle")
    q = "PREFIX void: <http://rdfs.org/ns/void#> PREFIX dct: <http://purl.org/dc/terms/> "
    rows = list(void.query(q + "SELECT ?ds ?t ?lic WHERE { ?ds void:subset ?sub ; dct:title ?t ; dct:license ?lic }"))
    ds = rows[0].ds
    assert str(rows[0].t) == "Факторы <торговли>"
    assert str(rows[0].lic) == "https://creativecommons.org/publicdomain/zero/1.0/"
    per_graph = {str(r.name): int(r.n) for r in void.query(
        q + "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT ?name ?n WHERE { ?s sd:name ?name ; void:triples ?n }")}
    data = rdflib.Dataset()
    data.parse(data=files["data.nq"], format="nquads")
    assert per_graph == {str(g.identifier): len(g) for g in data.graphs() if len(g)}
    assert graph_name(next(iter(per_graph))).startswith(("contributions/", "history/"))
    assert {str(v) for v in void.objects(ds, rdflib.URIRef("http://rdfs.org/ns/void#vocabulary"))} >= {
        "http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/ns/prov#", "https://w3id.org/crimekg/ontology#"}
    assert {str(c) for c in void.objects(ds, rdflib.DCTERMS.creator)} == {"山田 花子", "José Pérez"}
    cff = files["CITATION.cff"].decode()
    assert 'title: "Факторы <торговли>"' in cff and 'license: "CC0-1.0"' in cff and '- name: "山田 花子"' in cff
    readme = files["README.md"].decode()
    assert "Факторы \\<торговли\\>" in readme and f"| factors | {out['graphs'] and 24} |" in readme
    page = files["ontology.html"].decode()
    assert "<title>crimekg ontology</title>" in page and "ckg:Factor" in page
    assert "http://" not in re.sub(r'href="[^"]*"', "", page).split("<body>")[0].split("</style>")[0]


def test_public_release_keeps_no_contributor_group_time_or_local_place(demos, tmp_path):
    with open_store(demos[0]) as store:
        release(store, tmp_path / "rel", place_level="region")
        codes = {str(r["c"]) for r in store.select("SELECT DISTINCT ?c WHERE { ?p ckg:contributorCode ?c }")}
        groups = {str(r["g"]) for r in store.select("SELECT DISTINCT ?g WHERE { ?c ckg:group ?g }")}
        local = {str(r["l"]) for r in store.select("SELECT DISTINCT ?l WHERE { ?s ckg:localPlace ?l }")}
        times = {str(r["t"])[10:16] for r in store.select(
            "SELECT DISTINCT ?t WHERE { ?s prov:generatedAtTime|prov:startedAtTime|prov:endedAtTime ?t }")}
        countries = {str(r["p"]).rsplit("/", 1)[-1] for r in store.select(
            "SELECT DISTINCT ?p WHERE { ?c a ckg:Contribution ; ckg:place ?p . ?p a ckg:Country }")}
        assert store.select("SELECT ?m WHERE { GRAPH ?g { ?m a prov:Activity ; prov:used ?x } FILTER(STRSTARTS(STR(?g), STR(ckg:)) || CONTAINS(STR(?g), 'history')) }")
    assert codes and groups and local and countries and times  # there is something to hide
    files = _files(tmp_path / "rel")
    # crimekg's own vocabularies give examples ("a code such as P07"): those files are checked for the rest
    bundled = "".join(ontology.path(f).read_text(encoding="utf-8") for f in ontology.FILES)
    for name, data in files.items():
        text = data.decode("utf-8")
        for secret in codes | groups | local:
            if secret in bundled and not name.startswith(("data.", "void", "README", "CITATION")):
                continue
            assert not re.search(r"(?<![\w/])" + re.escape(secret) + r"(?![\w])", text), (name, secret)
        assert "participant/" not in text, name
        for t in times:
            assert t not in text or (t in bundled and not name.startswith(("data.", "void", "README", "CITATION"))), (name, t)
        if name.startswith(("data.", "void", "README")):
            for iso3 in countries:
                assert not re.search(rf"place[/:]{iso3}\b", text), (name, iso3)
    # the merge history is published, without the text that named country-level places
    assert b"/history/merges>" in files["data.nq"] and b"prov#value" not in files["data.nq"]
    nq = files["data.nq"].splitlines()
    assert len(nq) == len(set(nq))  # places generalised to regions repeat no quad


def test_release_loads_back_into_a_new_workspace_graph_for_graph(demos, tmp_path):
    with open_store(demos[0]) as store:
        release(store, tmp_path / "rel", profile="full")
        originals = {g: store.graph_triples(g) for g in store.graphs() if graph_name(g) not in ("meta",)}
    with init_store(tmp_path / "ws") as fresh:
        fresh.load([tmp_path / "rel" / "data.nq"])
        for g, original in originals.items():
            assert isomorphic(fresh.graph_triples(g), original), graph_name(g)
    # the JSON-LD holds the same graphs as the N-Quads, and its context is the one the file uses
    doc = json.loads((tmp_path / "rel" / "data.jsonld").read_text(encoding="utf-8"))
    context = json.loads((tmp_path / "rel" / "context.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == context["@context"] and "skos" in context["@context"]
    assert any("skos:prefLabel" in n for g in doc["@graph"] for n in g["@graph"])
    from_json = rdflib.Dataset()
    from_json.parse(data=json.dumps(doc), format="json-ld")
    from_nq = rdflib.Dataset()
    from_nq.parse(tmp_path / "rel" / "data.nq", format="nquads")
    names = {str(g.identifier) for g in from_nq.graphs() if len(g)}
    assert names == {str(g.identifier) for g in from_json.graphs() if len(g)}
    for name in names:
        assert isomorphic(from_json.graph(rdflib.URIRef(name)), from_nq.graph(rdflib.URIRef(name))), name


def test_release_refuses_a_bad_licence_and_a_folder_in_use(demos, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with open_store(demos[0]) as store:
        with pytest.raises(InvalidInput, match="licence 'MIT-ish'"):
            release(store, tmp_path / "x", ReleaseInfo(licence="MIT-ish"))
        with pytest.raises(InvalidInput, match="not an empty directory"):
            release(store, tmp_path / "busy")
    assert not (tmp_path / "x").exists()
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_release_command(demos, tmp_path):
    result = CliRunner().invoke(cli, ["release", str(tmp_path / "out"), "--store", demos[1], "--title", "Sesión de ejemplo",
                                      "--creator", "Иван Петров", "--place-level", "region"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote 14 files to {tmp_path / 'out'}: ") and "dated 2026-03-17" in result.output
    assert "Иван Петров" in (tmp_path / "out" / "CITATION.cff").read_text(encoding="utf-8")
    bad = CliRunner().invoke(cli, ["release", str(tmp_path / "out"), "--store", demos[1]])
    assert bad.exit_code == 1 and "not an empty directory" in bad.output
