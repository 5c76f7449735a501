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


# --- release metadata kept in the workspace ---


def test_described_metadata_makes_releases_and_options_still_win(tmp_path):
    from crimekg.graph.release import describe, described, release_info

    with init_store(tmp_path / "ws") as store:
        set_ = describe(store, title="人身取引と密入国の要因", description="عوامل الاتجار بالبشر", licence="CC0-1.0",
                        creators=["山田 花子", "أحمد علي"], publisher="UNAFEI", version="2.0")
        assert set_ == described(store) and set_["creators"] == ["山田 花子", "أحمد علي"]
        release(store, tmp_path / "a", release_info(store))
        release(store, tmp_path / "b", release_info(store))
        over = release_info(store, title="Факторы", creators=["José Pérez"], licence=None)
        release(store, tmp_path / "c", over)
        # a later description replaces only what it names; an empty value clears a field
        assert describe(store, publisher="", version="2.1")["version"] == "2.1"
        assert "publisher" not in described(store) and described(store)["title"] == "人身取引と密入国の要因"
        with pytest.raises(InvalidInput, match="licence 'MIT-ish'"):
            describe(store, licence="MIT-ish")
        with pytest.raises(InvalidInput, match="--endpoint 'localhost'"):
            describe(store, endpoint="localhost")
        assert described(store)["licence"] == "CC0-1.0"  # nothing of a refused description is stored
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert a == b
    cff = a["CITATION.cff"].decode()
    assert 'title: "人身取引と密入国の要因"' in cff and 'license: "CC0-1.0"' in cff and '- name: "أحمد علي"' in cff
    void = rdflib.Graph().parse(data=a["void.ttl"], format="turtle")
    assert {str(t) for t in void.objects(None, rdflib.DCTERMS.title)} >= {"人身取引と密入国の要因"}
    assert "عوامل الاتجار بالبشر" in {str(t) for t in void.objects(None, rdflib.DCTERMS.description)}
    cff_c = c["CITATION.cff"].decode()
    assert 'title: "Факторы"' in cff_c and "José Pérez" in cff_c and "山田 花子" not in cff_c and 'license: "CC0-1.0"' in cff_c


def test_describe_command_sets_prints_and_release_uses_it(tmp_path):
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", ws]).exit_code == 0
    empty = runner.invoke(cli, ["describe", "--store", ws])
    assert empty.exit_code == 0 and empty.output.startswith("No release metadata set")
    out = runner.invoke(cli, ["describe", "--store", ws, "--title", "عوامل الاتجار", "--creator", "山田 花子", "--creator", "Иван Петров"])
    assert out.exit_code == 0, out.output
    shown = runner.invoke(cli, ["describe", "--store", ws])
    assert shown.output == "title: عوامل الاتجار\ncreators: 山田 花子; Иван Петров\n"
    assert runner.invoke(cli, ["release", str(tmp_path / "r1"), "--store", ws]).exit_code == 0
    assert runner.invoke(cli, ["release", str(tmp_path / "r2"), "--store", ws]).exit_code == 0
    assert _files(tmp_path / "r1") == _files(tmp_path / "r2")
    assert 'title: "عوامل الاتجار"' in (tmp_path / "r1" / "CITATION.cff").read_text(encoding="utf-8")
    r3 = runner.invoke(cli, ["release", str(tmp_path / "r3"), "--store", ws, "--title", "ภาพรวม", "--licence", "ODbL-1.0"])
    assert r3.exit_code == 0, r3.output
    cff = (tmp_path / "r3" / "CITATION.cff").read_text(encoding="utf-8")
    assert 'title: "ภาพรวม"' in cff and 'license: "ODbL-1.0"' in cff and "Иван Петров" in cff
    bad = runner.invoke(cli, ["describe", "--store", ws, "--licence", "MIT-ish"])
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1 and "MIT-ish" in bad.output


# --- export --format jsonld ---


def test_export_jsonld_is_compacted_with_the_release_context_and_loads_back_per_graph(tmp_path):
    ttl = tmp_path / "labels.trig"
    ttl.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<https://w3id.org/crimekg/graph/contributions/a> { <https://w3id.org/crimekg/data/factor/x> "
        "skos:prefLabel \"汚職\"@ja, \"коррупция\"@ru, \"الفساد\"@ar ; skos:notation \"7\"^^xsd:integer . }\n"
        "<https://w3id.org/crimekg/graph/contributions/b> { <https://w3id.org/crimekg/data/factor/y> "
        "skos:prefLabel \"ช่องว่างทางกฎหมาย\"@th, \"法律漏洞\"@zh, \"vacío legal\"@es ; skos:related [ skos:note \"空白\" ] . }\n",
        encoding="utf-8")
    with init_store(tmp_path / "ws") as store:
        store.load([ttl])
        names = ["https://w3id.org/crimekg/graph/contributions/a", "https://w3id.org/crimekg/graph/contributions/b"]
        originals = {g: store.graph_triples(g) for g in names}
    result = CliRunner().invoke(cli, ["export", "--store", str(tmp_path / "ws"), "--format", "jsonld", "-o", str(tmp_path / "out.jsonld")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out.jsonld").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert '"汚職"' in text and '"коррупция"' in text and '"الفساد"' in text  # not \u-escaped
    assert doc["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
    # the same context a release writes: exported alone, the data graphs give the release's data.jsonld
    with open_store(str(tmp_path / "ws")) as store:
        release(store, tmp_path / "rel", profile="full")
    released = json.loads((tmp_path / "rel" / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert doc["@context"].items() >= released.items() and "factor" in released
    alone = CliRunner().invoke(cli, ["export", "--store", str(tmp_path / "ws"), "--format", "jsonld", "--graph", "contributions/a",
                                     "--graph", "contributions/b", "-o", str(tmp_path / "data.jsonld")])
    assert alone.exit_code == 0, alone.output
    assert (tmp_path / "data.jsonld").read_bytes() == (tmp_path / "rel" / "data.jsonld").read_bytes()
    back = rdflib.Dataset()
    back.parse(data=text, format="json-ld")
    for g, original in originals.items():
        assert len(original) == (5 if g.endswith("/b") else 4)
        assert isomorphic(back.graph(rdflib.URIRef(g)), original), g
    labels = {(str(o), o.language) for o in back.graph(rdflib.URIRef(names[0])).objects(None, rdflib.SKOS.prefLabel)}
    assert labels == {("汚職", "ja"), ("коррупция", "ru"), ("الفساد", "ar")}
    # and the workspace loads it back too, graph for graph
    with init_store(tmp_path / "ws2", with_ontology=False) as fresh:
        fresh.load([tmp_path / "out.jsonld"], force=True)  # the whole workspace, its meta graph too
        for g, original in originals.items():
            assert isomorphic(fresh.graph_triples(g), original), g


# --- crimekg load RELEASE_DIR ---


def test_loading_a_release_folder_gives_back_every_graph(demos, tmp_path):
    with open_store(demos[0]) as store:
        release(store, tmp_path / "rel", profile="full")
        originals = {g: store.graph_triples(g) for g in store.graphs() if graph_name(g) != "meta"}
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", ws]).exit_code == 0
    result = runner.invoke(cli, ["load", str(tmp_path / "rel"), "--store", ws])
    assert result.exit_code == 0, result.output
    assert "shapes: " in result.output and "ontology: " in result.output and "contributions/" in result.output
    with open_store(ws) as fresh:
        assert set(originals) <= set(fresh.graphs())
        for g, original in originals.items():
            assert isomorphic(fresh.graph_triples(g), original), graph_name(g)


def _graphs_of(ws) -> dict[str, int]:
    with open_store(ws) as store:
        return dict(store.graphs())


def test_a_broken_release_folder_is_refused_in_one_line_and_nothing_is_stored(demos, tmp_path):
    import shutil

    with open_store(demos[0]) as store:
        release(store, tmp_path / "rel", profile="full")
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", ws]).exit_code == 0
    before = _graphs_of(ws)

    def refused(folder, *words):
        r = runner.invoke(cli, ["load", str(folder), "--store", ws])
        assert r.exit_code != 0 and len(r.output.strip().splitlines()) == 1, r.output
        for w in words:
            assert w in r.output, (w, r.output)
        assert _graphs_of(ws) == before

    changed = tmp_path / "changed"
    shutil.copytree(tmp_path / "rel", changed)
    with open(changed / "shapes.ttl", "a", encoding="utf-8") as f:
        f.write("<urn:x> <urn:y> \"変更\" .\n")
    refused(changed, str(changed / "shapes.ttl"), "SHA-256")
    missing = tmp_path / "missing"
    shutil.copytree(tmp_path / "rel", missing)
    (missing / "ontology.ttl").unlink()
    refused(missing, str(missing / "ontology.ttl"), "missing")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "data.nq").write_bytes((tmp_path / "rel" / "data.nq").read_bytes())
    refused(plain, "not a release folder")
    garbled = tmp_path / "garbled"
    shutil.copytree(tmp_path / "rel", garbled)
    (garbled / "SHA256SUMS").write_text("not a checksum\n", encoding="utf-8")
    refused(garbled, "SHA256SUMS, line 1")
    mixed = runner.invoke(cli, ["load", str(tmp_path / "rel"), "--graph", "x", "--store", ws])
    assert mixed.exit_code == 2 and "alone" in mixed.output


def test_a_release_of_a_workspace_with_imported_evidence_names_each_import(tmp_path):
    """Imports add their activity and file to void.ttl: a workspace with evidence releases too."""
    from pathlib import Path

    build_demo(tmp_path / "demo")
    store_dir = str(tmp_path / "demo" / "store")
    data = Path(__file__).parent / "data" / "evidence"
    for name in ("glotip-sample.csv", "frontex-sample.csv"):
        result = CliRunner().invoke(cli, ["import", str(data / name), "--store", store_dir])
        assert result.exit_code == 0, result.output
    out = tmp_path / "release"
    result = CliRunner().invoke(cli, ["release", str(out), "--store", store_dir])
    assert result.exit_code == 0, result.output
    void = rdflib.Graph().parse(out / "void.ttl", format="turtle")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    titles = {str(t) for a in void.subjects(rdflib.RDF.type, prov.Activity) for d in void.objects(a, prov.used)
              for t in void.objects(d, rdflib.DCTERMS.title)}
    assert titles == {"glotip-sample.csv", "frontex-sample.csv"}
