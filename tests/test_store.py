"""The workspace: persistence, named graphs, atomic writes, RDF in and out, versions, locks."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
import warnings

import pytest
import rdflib
from rdflib.compare import isomorphic

from crimekg import ontology
from crimekg.graph.errors import (
    CrimeKGWarning,
    InvalidInput,
    InvalidQuery,
    InvalidRDF,
    StoreError,
    StoreLocked,
    StoreNotFound,
    StoreVersionMismatch,
    UnknownFormat,
    UnknownGraph,
)
from crimekg.graph.store import META, Changeset, OxigraphStore, graph_iri, init_store, open_store
from tests.helpers import EX, ROOT, small_graph, snapshot, staging_graphs

RDFLIB_NAMES = {"ttl": "turtle", "nt": "nt", "xml": "xml", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}


def write_small(tmp_path, ext: str) -> str:
    path = tmp_path / f"small.{ext}"
    if ext in ("trig", "nq"):
        ds = rdflib.Dataset()
        g = ds.graph(rdflib.URIRef("http://example.org/g1"))
        for t in small_graph():
            g.add(t)
        ds.serialize(path, format=RDFLIB_NAMES[ext])
    else:
        small_graph().serialize(path, format=RDFLIB_NAMES[ext])
    return str(path)


# -- workspace life cycle ----------------------------------------------------------------------

def test_init_loads_every_bundled_file_into_its_own_graph(workspace):
    graphs = workspace.graphs()
    for filename, name in ontology.FILES.items():
        assert graphs.get(graph_iri(name), 0) > 0, f"{filename} was not loaded into graph {name}"
    assert workspace.metadata()["ontologyVersion"] == ontology.ONTOLOGY_VERSION


def test_workspace_survives_restart(tmp_path):
    with init_store(tmp_path / "ws", with_ontology=False) as store:
        store.load([write_small(tmp_path, "ttl")], "notes")
    with open_store(tmp_path / "ws") as store:
        assert isomorphic(store.graph_triples(graph_iri("notes")), small_graph())


def test_open_missing_workspace_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(StoreNotFound, match=r"crimekg init .*nowhere"):
        open_store(tmp_path / "nowhere")


def test_default_store_location_is_decided_in_one_place(tmp_path, monkeypatch):
    from crimekg.graph.store import DEFAULT_STORE, store_location

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRIMEKG_STORE", raising=False)
    assert store_location() == store_location("") == DEFAULT_STORE
    assert store_location(tmp_path / "given") == str(tmp_path / "given")
    init_store().close()  # no location, no environment: the default, relative to the current directory
    with open_store(tmp_path / DEFAULT_STORE) as store:
        assert graph_iri("ontology") in store.graphs()
    monkeypatch.setenv("CRIMEKG_STORE", str(tmp_path / "from-env"))
    assert store_location() == str(tmp_path / "from-env")
    assert store_location("given") == "given"  # an explicit location wins over the environment
    with pytest.raises(StoreNotFound, match="from-env"):
        open_store()
    init_store().close()
    with open_store() as store:
        assert graph_iri("ontology") in store.graphs()


def test_init_refuses_an_existing_workspace_and_a_non_empty_directory(tmp_path, bare_workspace):
    with pytest.raises(StoreError, match="--upgrade"):
        init_store(bare_workspace.location)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not an empty directory"):
        init_store(tmp_path / "full")
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


def test_second_open_of_the_same_workspace_is_refused_clearly(bare_workspace):
    with pytest.raises(StoreLocked, match="open in another process"):
        OxigraphStore(bare_workspace.location)


def _set_version(store, version: str) -> None:
    cs = Changeset()
    cs.replace_graph(META, [(rdflib.URIRef(META), rdflib.URIRef(ontology.CKG + "ontologyVersion"), rdflib.Literal(version))])
    store.write(cs)


def test_newer_workspace_is_refused(tmp_path):
    with init_store(tmp_path / "ws", with_ontology=False) as store:
        _set_version(store, "99.0.0")
    with pytest.raises(StoreVersionMismatch, match="99.0.0.*newer"):
        open_store(tmp_path / "ws")


def test_older_workspace_warns_and_upgrade_refreshes_it(tmp_path):
    with init_store(tmp_path / "ws", with_ontology=False) as store:
        store.load([write_small(tmp_path, "ttl")], "notes")
        _set_version(store, "0.0.1")
    with pytest.warns(CrimeKGWarning, match="0.0.1.*--upgrade"):
        open_store(tmp_path / "ws").close()
    init_store(tmp_path / "ws", upgrade=True).close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with open_store(tmp_path / "ws") as store:
            assert store.metadata()["ontologyVersion"] == ontology.ONTOLOGY_VERSION
            assert graph_iri("notes") in store.graphs(), "upgrade must keep the user's graphs"
            assert store.graphs()[graph_iri("schemes")] > 0


# -- loading -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", ["ttl", "nt", "xml", "jsonld"])
def test_load_each_triple_format(bare_workspace, tmp_path, ext):
    counts = bare_workspace.load([write_small(tmp_path, ext)], "g")
    assert counts == {graph_iri("g"): len(small_graph())}
    assert isomorphic(bare_workspace.graph_triples(graph_iri("g")), small_graph())


@pytest.mark.parametrize("ext", ["trig", "nq"])
def test_load_dataset_formats_keep_their_graph_names(bare_workspace, tmp_path, ext):
    bare_workspace.load([write_small(tmp_path, ext)])
    assert bare_workspace.graphs()["http://example.org/g1"] == len(small_graph())
    assert isomorphic(bare_workspace.graph_triples("http://example.org/g1"), small_graph())


def test_load_without_graph_uses_one_graph_per_file(bare_workspace, tmp_path):
    bare_workspace.load([write_small(tmp_path, "ttl")])
    assert graph_iri("load/small") in bare_workspace.graphs()


def test_loading_the_same_file_twice_changes_nothing(bare_workspace, tmp_path):
    path = write_small(tmp_path, "ttl")  # holds a blank node: a naive append would duplicate it
    bare_workspace.load([path], "g")
    before = bare_workspace.graph_triples(graph_iri("g"))
    bare_workspace.load([path], "g")
    after = bare_workspace.graph_triples(graph_iri("g"))
    assert len(after) == len(before) == len(small_graph())
    assert isomorphic(before, after)


def test_append_adds_to_a_graph(bare_workspace, tmp_path):
    other = tmp_path / "other.ttl"
    other.write_text("<http://example.org/x> <http://example.org/p> 1 .\n")
    bare_workspace.load([write_small(tmp_path, "ttl")], "g")
    bare_workspace.load([other], "g", replace=False)
    assert bare_workspace.graphs()[graph_iri("g")] == len(small_graph()) + 1


BROKEN = {
    "ttl": ('@prefix ex: <http://example.org/> .\nex:a ex:p "x" ;\n   ex:q ex:b\nex:c ex:p 1 .\n', r"line \d+, column \d+"),
    "nt": ('<http://example.org/a> <http://example.org/p> "x" .\n<http://example.org/b> <http://example.org/p> .\n', r"line 2, column \d+"),
    "xml": ("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n<rdf:Description>", r"line 2, column \d+"),
    "jsonld": ('{"@id": "http://example.org/a", "http://example.org/p": [', r"small_broken.jsonld"),
    "trig": ("<http://example.org/g> { <http://example.org/a> <http://example.org/p> 1 .\n", r"line \d+, column \d+"),
}


@pytest.mark.parametrize("ext", sorted(BROKEN))
def test_broken_file_is_refused_with_position_and_store_is_unchanged(bare_workspace, tmp_path, ext):
    bare_workspace.load([write_small(tmp_path, "ttl")], "g")
    before = snapshot(bare_workspace)
    text, position = BROKEN[ext]
    bad = tmp_path / f"small_broken.{ext}"
    bad.write_text(text)
    good = write_small(tmp_path, "nt")
    with pytest.raises(InvalidRDF, match=position) as err:
        bare_workspace.load([good, str(bad)], "g")
    assert str(bad) in str(err.value)
    assert "Nothing" in str(err.value)
    assert snapshot(bare_workspace) == before


def _nested_rdfxml(path, levels: int) -> str:
    head = '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
    body = "<rdf:Description><ex:p>" * levels + "</ex:p></rdf:Description>" * levels
    path.write_text(head + body + "</rdf:RDF>\n", encoding="utf-8")
    return str(path)


def test_deeply_nested_rdfxml_is_refused_before_oxigraph_reads_it(bare_workspace, tmp_path):
    import crimekg.graph.store as gs

    bare_workspace.load([write_small(tmp_path, "ttl")], "g")
    before = snapshot(bare_workspace)
    deep = _nested_rdfxml(tmp_path / "deep.rdf", 40_000)  # about a minute in Oxigraph's parser
    with pytest.raises(InvalidRDF) as err:
        bare_workspace.load([deep], "g")
    assert str(err.value).startswith(f"{deep}: line 3: the RDF/XML nests more than {gs.MAX_XML_DEPTH:,} elements deep")
    assert snapshot(bare_workspace) == before
    # within the limit, nested descriptions load as they should: one triple per level
    fine = _nested_rdfxml(tmp_path / "fine.rdf", gs.MAX_XML_DEPTH // 2 - 1)
    assert bare_workspace.load([fine], "nested") == {graph_iri("nested"): gs.MAX_XML_DEPTH // 2 - 1}


def test_loading_deeply_nested_rdfxml_ends_at_once_with_one_line(tmp_path):
    ws = tmp_path / "ws"
    init_store(ws, with_ontology=False).close()
    deep = _nested_rdfxml(tmp_path / "deep.rdf", 40_000)
    run = subprocess.run(
        [sys.executable, "-c", "from crimekg.cli import cli; cli()", "load", deep, "--graph", "deep", "--store", str(ws)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode in (1, 2)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nests more than 1,000 elements deep" in lines[0], run.stderr
    with open_store(ws) as store:
        assert graph_iri("deep") not in store.graphs()


@pytest.mark.parametrize("graph", ["fresh", "g"], ids=["new-graph", "existing-graph"])
def test_a_literal_over_the_parsers_limit_is_one_line_and_nothing_is_stored(bare_workspace, tmp_path, graph):
    bare_workspace.load([write_small(tmp_path, "ttl")], "g")
    before = snapshot(bare_workspace)
    huge = tmp_path / "huge.ttl"
    huge.write_text('<http://example.org/a> <http://example.org/p> "' + "長" * (6 * 2**20) + '" .\n', encoding="utf-8")
    assert huge.stat().st_size > 16 * 2**20  # 18 MiB of UTF-8 in one literal
    with pytest.raises(InvalidRDF) as err:
        bare_workspace.load([huge], graph)
    assert str(err.value).startswith(f"{huge}: a literal or IRI is longer than the 16 MiB crimekg can read as")
    assert "\n" not in str(err.value)
    assert snapshot(bare_workspace) == before


def test_broken_file_into_a_new_graph_leaves_no_graph(bare_workspace, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://example.org/a> <http://example.org/p> 1 .\n<http://example.org/b> <http://example.org/p> \n")
    with pytest.raises(InvalidRDF, match=r"bad.ttl: line \d+, column \d+"):
        bare_workspace.load([bad], "fresh")
    assert graph_iri("fresh") not in bare_workspace.graphs()


def test_unknown_format_and_missing_file_are_named(bare_workspace, tmp_path):
    odd = tmp_path / "notes.docx"
    odd.write_text("x")
    with pytest.raises(UnknownFormat, match=r"notes.docx.*--format"):
        bare_workspace.load([odd])
    with pytest.raises(InvalidRDF, match="no such file"):
        bare_workspace.load([tmp_path / "absent.ttl"])
    gz = tmp_path / "data.ttl.gz"
    gz.write_bytes(b"\x1f\x8b")
    with pytest.raises(UnknownFormat, match="gunzip"):
        bare_workspace.load([gz])


# -- atomic writes -----------------------------------------------------------------------------

def test_changeset_replaces_adds_and_drops_in_one_write(bare_workspace, tmp_path):
    bare_workspace.load([write_small(tmp_path, "ttl")], "a")
    bare_workspace.load([write_small(tmp_path, "ttl")], "b")
    cs = Changeset()
    cs.replace_graph(graph_iri("a"), [(EX.x, EX.p, rdflib.Literal(1))])
    cs.add_triples(graph_iri("c"), [(EX.y, EX.p, rdflib.Literal(2))])
    cs.drop_graph(graph_iri("b"))
    bare_workspace.write(cs)
    graphs = bare_workspace.graphs()
    assert graphs[graph_iri("a")] == 1
    assert graphs[graph_iri("c")] == 1
    assert graph_iri("b") not in graphs


def test_failed_write_leaves_the_store_as_it_was(bare_workspace, tmp_path, monkeypatch):
    bare_workspace.load([write_small(tmp_path, "ttl")], "a")
    before = snapshot(bare_workspace)
    cs = Changeset()
    cs.replace_graph(graph_iri("a"), [(EX.x, EX.p, rdflib.Literal(1))])
    cs.add_triples(graph_iri("new"), [(EX.y, EX.p, rdflib.Literal(2))])
    # the final update fails (as a full disk would): the staged content must not become visible
    monkeypatch.setattr(OxigraphStore, "_commit_update", staticmethod(lambda changes, staged: "NOT SPARQL"))
    with pytest.raises(StoreError, match="nothing was changed"):
        bare_workspace.write(cs)
    assert snapshot(bare_workspace) == before


def test_interrupted_write_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    store = init_store(tmp_path / "ws", with_ontology=False)
    store.load([write_small(tmp_path, "ttl")], "a")
    before = snapshot(store)

    def interrupt(changes, staged):
        raise KeyboardInterrupt  # Ctrl-C between staging and the final update

    monkeypatch.setattr(OxigraphStore, "_commit_update", staticmethod(interrupt))
    cs = Changeset()
    cs.replace_graph(graph_iri("a"), [(EX.x, EX.p, rdflib.Literal(1))])
    with pytest.raises(KeyboardInterrupt):
        store.write(cs)
    assert snapshot(store) == before
    store.close()
    monkeypatch.undo()
    with open_store(tmp_path / "ws") as reopened:
        assert snapshot(reopened) == before
        assert not staging_graphs(reopened)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from crimekg.graph.store import open_store
    store = open_store({ws!r})
    print("go", flush=True)
    store.load([{data!r}], "big")
    print("done", flush=True)
    """
)


def _big_file(tmp_path, n: int) -> str:
    path = tmp_path / "big.nt"
    with open(path, "w") as f:
        for i in range(n):
            f.write(f'<http://example.org/s{i}> <http://example.org/p{i % 7}> "value {i}" .\n')
    return str(path)


def _start_killable_load(tmp_path, existing: bool):
    """A workspace (one small graph, and ``big`` too when ``existing``), its snapshot, the snapshot
    the load of a 400,000-triple file into ``big`` gives when it runs to the end, and a process
    that is making that load."""
    import shutil

    ws, reference = tmp_path / "ws", tmp_path / "reference"
    data = _big_file(tmp_path, 400_000)
    with init_store(ws, with_ontology=False) as store:
        store.load([write_small(tmp_path, "ttl")], "keep")
        if existing:
            store.load([write_small(tmp_path, "nt")], "big")
        before = snapshot(store)
    shutil.copytree(ws, reference)  # the same workspace, its creation date included
    with open_store(reference) as store:
        store.load([data], "big")
        after = snapshot(store)
    script = KILL_SCRIPT.format(root=str(ROOT), ws=str(ws), data=data)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "go"
    return ws, before, after, proc


def _kill(proc) -> None:
    proc.kill()
    out, _ = proc.communicate()
    assert "done" not in out, "the load finished before the kill; make the file bigger"


@pytest.mark.slow
@pytest.mark.parametrize("existing", [False, True], ids=["new-graph", "replacing-a-graph"])
def test_process_killed_mid_load_leaves_the_store_as_it_was_or_as_the_load_makes_it(tmp_path, existing):
    """A kill at any moment: the next open undoes the load if its commit file was not written yet,
    and finishes it if it was. Never anything in between."""
    import crimekg.graph.store as gs

    ws, before, after, proc = _start_killable_load(tmp_path, existing)
    time.sleep(0.4)
    _kill(proc)
    committed = (ws / gs.STAGE_DIR / gs.COMMIT_FILE).is_file()
    if not existing:
        assert not committed, "a load into a new graph writes in place under the journal: no commit file"
    with open_store(ws) as store:
        assert snapshot(store) == (after if committed else before)
        assert not staging_graphs(store)
    assert not (ws / gs.STAGE_DIR / gs.COMMIT_FILE).exists()


@pytest.mark.slow
def test_process_killed_after_the_commit_point_has_its_load_finished_on_the_next_open(tmp_path):
    import crimekg.graph.store as gs

    ws, before, after, proc = _start_killable_load(tmp_path, existing=True)
    commit = ws / gs.STAGE_DIR / gs.COMMIT_FILE
    deadline = time.monotonic() + 60
    while not commit.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert commit.is_file(), "the load never reached its commit point"
    _kill(proc)
    assert before != after
    with open_store(ws) as store:
        assert snapshot(store) == after
        assert not staging_graphs(store)
    assert not commit.exists()


# -- queries and export ------------------------------------------------------------------------

def test_select_returns_plain_literals_and_binds_values(bare_workspace, tmp_path):
    bare_workspace.load([write_small(tmp_path, "ttl")], "g")
    rows = bare_workspace.select(
        "SELECT ?f ?label WHERE { ?f skos:prefLabel ?label }", {"f": EX.corruption}
    )
    assert rows == [{"f": EX.corruption, "label": rdflib.Literal("Corrupt border officials")}]


def test_malformed_query_is_an_invalid_query(bare_workspace):
    with pytest.raises(InvalidQuery, match="syntax"):
        bare_workspace.select("SELECT ?x WHERE { ?x ?y }")


@pytest.mark.parametrize("fmt", ["ttl", "nt", "xml"])
def test_export_then_load_is_isomorphic(bare_workspace, tmp_path, fmt):
    bare_workspace.load([write_small(tmp_path, "ttl")], "g")
    out = tmp_path / f"out.{fmt}"
    bare_workspace.export(out, fmt, [graph_iri("g")])
    back = rdflib.Graph().parse(out, format=RDFLIB_NAMES[fmt])
    assert isomorphic(back, small_graph())


@pytest.mark.parametrize("fmt", ["trig", "nq", "jsonld"])
def test_dataset_export_then_load_into_a_new_workspace_is_isomorphic(workspace, tmp_path, fmt):
    workspace.load([write_small(tmp_path, "ttl")], "g")
    out = tmp_path / f"all.{fmt}"
    workspace.export(out, fmt)
    with init_store(tmp_path / "copy", with_ontology=False) as copy:
        copy.load([out], force=True)  # the export holds the reserved graphs (meta, ontology...)
        assert set(copy.graphs()) == set(workspace.graphs())
        for iri in workspace.graphs():
            assert isomorphic(copy.graph_triples(iri), workspace.graph_triples(iri)), iri


def test_turtle_export_is_readable(workspace):
    buf = io.BytesIO()
    workspace.export(buf, "ttl", [graph_iri("schemes")])
    text = buf.getvalue().decode()
    prefixes = [line for line in text.splitlines() if line.startswith("@prefix")]
    assert prefixes == sorted(prefixes) and "@prefix skos:" in text
    assert "@prefix foaf:" not in text, "unused prefixes are left out"
    assert " ;\n" in text, "triples of one subject are grouped"


def test_unknown_graph_is_named(bare_workspace, tmp_path):
    with pytest.raises(UnknownGraph, match="nope.*crimekg graphs"):
        bare_workspace.export(tmp_path / "x.ttl", "ttl", [graph_iri("nope")])
    with pytest.raises(UnknownGraph, match="nope"):
        bare_workspace.drop([graph_iri("nope")])


def test_drop_removes_one_source_only(bare_workspace, tmp_path):
    bare_workspace.load([write_small(tmp_path, "ttl")], "a")
    bare_workspace.load([write_small(tmp_path, "ttl")], "b")
    bare_workspace.drop([graph_iri("a")])
    assert graph_iri("a") not in bare_workspace.graphs()
    assert bare_workspace.graphs()[graph_iri("b")] == len(small_graph())


@pytest.mark.parametrize("size", [10, 25_000], ids=["transactional", "bulk"])
def test_interrupted_write_of_new_graphs_is_undone(tmp_path, monkeypatch, size):
    store = init_store(tmp_path / "ws", with_ontology=False)
    before = snapshot(store)
    cs = Changeset()
    cs.add_triples(graph_iri("new"), [(EX[f"s{i}"], EX.p, rdflib.Literal(i)) for i in range(size)])
    cs.replace_graph(graph_iri("other"), [(EX.x, EX.p, rdflib.Literal("x"))])

    def interrupt(*args):
        raise KeyboardInterrupt

    # small writes commit with one update, big ones with the commit file: Ctrl-C just before either
    monkeypatch.setattr(OxigraphStore, "_commit_update", staticmethod(interrupt))
    monkeypatch.setattr(OxigraphStore, "_commit", interrupt)
    with pytest.raises(KeyboardInterrupt):
        store.write(cs)
    assert snapshot(store) == before
    monkeypatch.undo()
    store.write(cs)  # the same write, uninterrupted, goes through
    assert store.graphs()[graph_iri("new")] == size
    store.close()
    with open_store(tmp_path / "ws") as reopened:
        assert reopened.graphs()[graph_iri("new")] == size
        assert not staging_graphs(reopened)


# -- replacing big graphs ----------------------------------------------------------------------

def _nt_text(n: int, tag: str) -> str:
    return "".join(f'<http://example.org/s{i}> <http://example.org/p{i % 7}> "{tag} {i}" .\n' for i in range(n))


def _has(store, graph: str, value: str) -> bool:
    """True when ``graph`` holds a triple whose object is the plain literal ``value``."""
    ask = "ASK { GRAPH <%s> { ?s ?p ?o FILTER(STR(?o) = %s) } }" % (graph, rdflib.Literal(value).n3())
    return bool(store.query(ask).askAnswer)


@pytest.mark.parametrize("mode", ["in-place", "rebuild"])
def test_replacing_a_big_graph_keeps_every_other_graph(tmp_path, monkeypatch, mode):
    import crimekg.graph.store as gs

    # in place: the old graph is deleted; rebuild: the store is emptied and what is kept reloaded
    monkeypatch.setattr(gs, "REBUILD_MIN", 10**12 if mode == "in-place" else 1)
    with init_store(tmp_path / "ws", with_ontology=False) as store:
        store.load([write_small(tmp_path, "trig")])  # a graph with a blank node, kept as it is
        store.load([write_small(tmp_path, "ttl")], "keep")
        store.oxigraph.update("CREATE GRAPH <http://example.org/empty>")
        cs = Changeset()
        cs.replace_graph(graph_iri("big"), [], _nt_text(30_000, "old"))
        store.write(cs)
        kept = {g: store.graph_triples(g) for g in store.graphs() if g != graph_iri("big")}
        cs = Changeset()
        cs.replace_graph(graph_iri("big"), [(EX.extra, EX.p, rdflib.Literal("rdflib"))], _nt_text(25_000, "new"))
        store.write(cs)
        assert store.graphs()[graph_iri("big")] == 25_001
        assert _has(store, graph_iri("big"), "new 24999") and not _has(store, graph_iri("big"), "old 0")
        assert set(store.graphs()) == {*kept, graph_iri("big")}
        for g, content in kept.items():
            assert isomorphic(store.graph_triples(g), content), g
        assert not staging_graphs(store) and not list((tmp_path / "ws" / gs.STAGE_DIR).iterdir())


def test_big_additions_to_an_existing_graph_keep_its_content(bare_workspace):
    cs = Changeset()
    cs.add_triples(graph_iri("g"), [(EX.first, EX.p, rdflib.Literal("kept"))])
    bare_workspace.write(cs)
    cs = Changeset()
    cs.add_triples(graph_iri("g"), [(EX[f"s{i}"], EX.p, rdflib.Literal(i)) for i in range(BULK)])
    bare_workspace.write(cs)
    assert bare_workspace.graphs()[graph_iri("g")] == BULK + 1
    assert _has(bare_workspace, graph_iri("g"), "kept")


BULK = 20_000


def test_broken_ntriples_in_a_big_write_changes_nothing(bare_workspace):
    cs = Changeset()
    cs.replace_graph(graph_iri("big"), [], _nt_text(25_000, "old"))
    bare_workspace.write(cs)
    before = snapshot(bare_workspace)
    cs = Changeset()
    cs.replace_graph(graph_iri("big"), [], _nt_text(25_000, "new") + "<http://example.org/x> <oops\n")
    with pytest.raises(StoreError, match="nothing was changed"):
        bare_workspace.write(cs)
    assert snapshot(bare_workspace) == before


KILL_AT_STEP_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import crimekg.graph.store as gs
    from crimekg.graph.store import OxigraphStore, open_store
    gs.REBUILD_MIN = {rebuild_min!r}
    run_step = OxigraphStore._run_step

    def announce(self, step):
        print(next(k for k in ("clear_all", "create", "remove", "load") if step.get(k)), flush=True)
        run_step(self, step)

    OxigraphStore._run_step = announce
    store = open_store({ws!r})
    store.load([{data!r}], "big")
    print("done", flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "step"),
    [("in-place", "remove"), ("in-place", "load"), ("rebuild", "clear_all"), ("rebuild", "load")],
)
def test_process_killed_after_the_commit_is_rolled_forward(tmp_path, mode, step):
    """Killed while the old graph is deleted, or while the new content is loaded: the next open
    finishes the replacement."""
    ws = tmp_path / "ws"
    old = tmp_path / "old.nt"
    old.write_text(_nt_text(150_000, "old"))
    new = tmp_path / "new.nt"
    new.write_text(_nt_text(160_000, "new"))
    with init_store(ws, with_ontology=False) as store:
        store.load([write_small(tmp_path, "ttl")], "keep")
        store.load([old], "big")
        keep = store.graph_triples(graph_iri("keep"))
    script = KILL_AT_STEP_SCRIPT.format(
        root=str(ROOT), ws=str(ws), data=str(new), rebuild_min=10**12 if mode == "in-place" else 1
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.strip() == step:
            if step == "load" and mode == "rebuild" and seen.count("load") < 2:
                continue  # the first load puts back the kept graphs; kill during the new content
            time.sleep(0.3)
            break
    proc.kill()
    out, _ = proc.communicate()
    assert step in seen, seen
    assert "done" not in out, "the load finished before the kill; make the file bigger"
    with open_store(ws) as store:
        assert store.graphs()[graph_iri("big")] == 160_000
        assert _has(store, graph_iri("big"), "new 159999") and not _has(store, graph_iri("big"), "old 0")
        assert isomorphic(store.graph_triples(graph_iri("keep")), keep)
        assert not staging_graphs(store)
    assert not list((ws / "crimekg-staging").iterdir())


# -- reserved and internal graphs --------------------------------------------------------------

def _trig(tmp_path, graph: str) -> str:
    path = tmp_path / "data.trig"
    path.write_text(f"<{graph}> {{ <http://example.org/a> <http://example.org/p> \"mine\" . }}\n"
                    "<http://example.org/g1> { <http://example.org/b> <http://example.org/p> 1 . }\n")
    return str(path)


@pytest.mark.parametrize("name", ["meta", "ontology", "schemes", "places", "session", "shapes"])
def test_a_dataset_file_naming_a_reserved_graph_is_refused_unless_forced(workspace, tmp_path, name):
    before = snapshot(workspace)
    path = _trig(tmp_path, graph_iri(name))
    with pytest.raises(InvalidInput, match=rf"data.trig: graph '{name}' is reserved.*--force"):
        workspace.load([path])
    assert snapshot(workspace) == before
    workspace.load([path], force=True)
    assert _has(workspace, graph_iri(name), "mine")
    assert workspace.graphs()["http://example.org/g1"] == 1


@pytest.mark.parametrize("graph", ["urn:crimekg:journal", "urn:crimekg:staging:0123abcd"])
def test_internal_graphs_are_refused_even_with_force(bare_workspace, tmp_path, graph):
    before = snapshot(bare_workspace)
    with pytest.raises(InvalidInput, match=rf"data.trig: {graph} is an internal graph"):
        bare_workspace.load([_trig(tmp_path, graph)], force=True)
    with pytest.raises(InvalidInput, match=rf"small.ttl: {graph} is an internal graph"):
        bare_workspace.load([write_small(tmp_path, "ttl")], graph, force=True)
    assert snapshot(bare_workspace) == before


def test_graph_option_naming_a_reserved_graph_is_refused_unless_forced(workspace, tmp_path):
    path = write_small(tmp_path, "ttl")
    with pytest.raises(InvalidInput, match=r"small.ttl: graph 'shapes' is reserved.*--force"):
        workspace.load([path], "shapes")
    assert workspace.load([path], "shapes", force=True) == {graph_iri("shapes"): len(small_graph())}


# --- reproducible exports and the query's own dataset ---


def test_export_is_byte_identical_after_a_replace_relabels_blank_nodes(tmp_path, monkeypatch):
    """Reloading a graph gives its blank nodes new labels in the store; the export does not change."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1773705600")
    src = write_small(tmp_path, "ttl")
    outs = []
    for name in ("a", "b"):
        with init_store(tmp_path / name, with_ontology=False) as store:
            store.load([src], "small")
            first = io.BytesIO()
            store.export(first, "nq")
            store.load([src], "small")  # replaced: new blank-node labels inside the store
            again = io.BytesIO()
            store.export(again, "nq")
            assert first.getvalue() == again.getvalue()
            ttl = io.BytesIO()
            store.export(ttl, "ttl")
            outs.append((again.getvalue(), ttl.getvalue()))
    assert outs[0] == outs[1]
    assert b"_:c14n0" in outs[0][0] and b"2026-03-17T00:00:00Z" in outs[0][0]  # SOURCE_DATE_EPOCH, not the clock
    lines = outs[0][0].decode().splitlines()
    small = [line for line in lines if "/graph/small>" in line]
    assert small == sorted(small)


def test_from_and_from_named_are_honoured(tmp_path):
    with init_store(tmp_path / "ws", with_ontology=False) as store:
        cs = Changeset()
        cs.replace_graph(graph_iri("one"), [(EX.a, rdflib.RDFS.label, rdflib.Literal("一"))])
        cs.replace_graph(graph_iri("two"), [(EX.b, rdflib.RDFS.label, rdflib.Literal("два")), (EX.c, rdflib.RDFS.label, rdflib.Literal("dos"))])
        store.write(cs)
        count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ ?s rdfs:label ?l }}"
        assert int(store.select(count.format(""))[0]["n"]) == 3  # no graph named: the union
        assert int(store.select(count.format(f"FROM <{graph_iri('two')}>"))[0]["n"]) == 2
        assert int(store.select(count.format(f"FROM NAMED <{graph_iri('two')}>"))[0]["n"]) == 0  # FROM NAMED only: empty default graph
        rows = store.select(f"SELECT ?g ?l FROM NAMED <{graph_iri('one')}> WHERE {{ GRAPH ?g {{ ?s rdfs:label ?l }} }}")
        assert [(str(r["g"]), str(r["l"])) for r in rows] == [(graph_iri("one"), "一")]
        # the word in a string, an IRI, a variable or a comment names no graph
        assert int(store.select('SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?from FILTER(?from != "FROM <x>") } # FROM')[0]["n"]) == 3
    from crimekg.graph.query import run_query

    with open_store(tmp_path / "ws") as store:
        result = run_query(store, count.format(f"FROM <{graph_iri('one')}>"))
        assert result.records() == [{"n": 1}]


def test_ill_typed_literals_are_warned_at_load_and_refused_with_strict(tmp_path):
    from click.testing import CliRunner

    from crimekg.cli import cli

    bad = tmp_path / "bad.ttl"
    bad.write_text(textwrap.dedent("""\
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <http://example.org/a> <http://example.org/count> "abc"^^xsd:integer ;
            <http://example.org/on> "2020-13-45"^^xsd:date ;
            <http://example.org/leap> "2023-02-29"^^xsd:date ;
            <http://example.org/fine> "01"^^xsd:integer , "2024-02-29"^^xsd:date , "東京"@ja .
        """), encoding="utf-8")
    ws = str(tmp_path / "ws")
    init_store(ws, with_ontology=False).close()
    runner = CliRunner()
    strict = runner.invoke(cli, ["load", str(bad), "--strict", "--store", ws])
    assert strict.exit_code == 1
    assert '"abc" is not a valid xsd:integer' in strict.output and '"2020-13-45" is not a valid xsd:date' in strict.output
    assert '"2023-02-29" is not a valid xsd:date' in strict.output and '"01"' not in strict.output
    with open_store(ws) as store:
        assert graph_iri("load/bad") not in store.graphs()  # nothing stored
    loose = runner.invoke(cli, ["load", str(bad), "--store", ws])
    assert loose.exit_code == 0, loose.output
    assert loose.stderr.count("Warning: ") == 3 and "load/bad: 6 triples" in loose.stdout
    with open_store(ws) as store:
        # the store rewrites valid literals into canonical form ("01" becomes "1") and keeps ill-typed ones as written
        values = {str(r["v"]) for r in store.select("SELECT ?v WHERE { ?s <http://example.org/fine>|<http://example.org/count> ?v }")}
        assert {"1", "abc", "東京"} <= values


# -- appending to an existing graph: only the additions are staged --------------------------------

SCRIPTS = ["国境管理の脆弱さ", "边境管理薄弱", "Коррупция на границе", "ضعف الرقابة على الحدود", "การทุจริตที่ชายแดน",
           "Corrupción en la frontera"]


def _script_nt(n: int, tag: str) -> str:
    return "".join(f'<http://example.org/{tag}{i}> <http://example.org/p> "{SCRIPTS[i % 6]} {tag} {i}" .\n' for i in range(n))


def _steps(store, monkeypatch) -> list:
    """The commit steps of every big write from now on."""
    seen: list = []
    commit = OxigraphStore._commit
    monkeypatch.setattr(OxigraphStore, "_commit", lambda self, ops: (seen.append(ops), commit(self, ops))[1])
    return seen


def test_big_additions_to_a_graph_load_on_top_of_it_without_restaging_it(bare_workspace, monkeypatch):
    import crimekg.graph.store as gs

    g = graph_iri("g")
    old = Changeset()
    old.replace_graph(g, [], _script_nt(30_000, "old"))
    bare_workspace.write(old)
    steps = _steps(bare_workspace, monkeypatch)
    monkeypatch.setattr(gs, "LOAD_SLICE", 256 * 1024)  # several slices
    additions = gs.NTriplesFile(checked=True)
    additions.write(_script_nt(30_000, "new").encode("utf-8"))
    new = Changeset()
    new.add_ntriples(g, additions)
    bare_workspace.write(new)
    (ops,) = steps
    assert ops == [{"remove": []}, {"load": ops[1]["load"], "format": "nt", "graph": g, "blank": False}]
    assert bare_workspace.graphs()[g] == 60_000
    for value in ("国境管理の脆弱さ old 0", "Corrupción en la frontera new 29999", "ضعف الرقابة على الحدود new 3"):
        assert _has(bare_workspace, g, value), value
    assert not staging_graphs(bare_workspace)


def test_big_additions_with_blank_nodes_restage_the_graph_whole_so_a_roll_forward_doubles_nothing(bare_workspace, monkeypatch):
    g = graph_iri("g")
    cs = Changeset()
    cs.add_triples(g, [(EX.kept, EX.p, rdflib.Literal(SCRIPTS[0]))])
    bare_workspace.write(cs)
    steps = _steps(bare_workspace, monkeypatch)
    cs = Changeset()
    cs.add_ntriples(g, "".join(f'_:b{i} <http://example.org/p> "{SCRIPTS[i % 6]} {i}" .\n_:b{i} <http://example.org/q> _:b{i + 1} .\n'
                               for i in range(40_000)))
    bare_workspace.write(cs)
    assert steps[0][0] == {"remove": [g]}
    assert bare_workspace.graphs()[g] == 80_001
    # the chain of blank nodes is one chain: no node was split in two by the load
    rows = bare_workspace.select("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b <http://example.org/q> ?c }")
    assert int(rows[0]["n"]) == 40_000
    linked = bare_workspace.select("SELECT (COUNT(*) AS ?n) WHERE { ?a <http://example.org/q> ?b . ?b <http://example.org/p> ?l }")
    assert int(linked[0]["n"]) == 39_999


def test_a_big_file_loads_in_slices_to_the_same_graph(tmp_path, monkeypatch):
    import crimekg.graph.store as gs

    path = tmp_path / "big.nt"
    path.write_text(_script_nt(40_000, "s"), encoding="utf-8")
    assert gs.BULK_BYTES < path.stat().st_size < gs.LOAD_SLICE
    graphs, loads = [], []
    call = OxigraphStore._call
    for slice_ in (gs.LOAD_SLICE, 100_000):
        monkeypatch.setattr(gs, "LOAD_SLICE", slice_)
        calls: list[str] = []
        monkeypatch.setattr(OxigraphStore, "_call", lambda self, m, *a, _calls=calls, **k: (_calls.append(m), call(self, m, *a, **k))[1])
        with init_store(tmp_path / f"ws-{slice_}", with_ontology=False) as store:
            store.load([write_small(tmp_path, "nt")], "big")
            store.load([str(path)], "big", replace=False)
            graphs.append(store.graph_triples(graph_iri("big")))
        loads.append(calls.count("bulk_load"))
    assert loads[0] == 1 and loads[1] >= path.stat().st_size // 100_000
    assert len(graphs[0]) > 40_000 and isomorphic(graphs[0], graphs[1])


def test_ntriples_of_every_kind_reach_every_write_path(tmp_path):
    """Text, bytes and a temporary file of N-Triples, small (one update) and big (journaled), into a
    new graph and an existing one: the same content."""
    import crimekg.graph.store as gs

    results = []
    for kind in ("str", "bytes", "file"):
        for n in (50, 30_000):
            with init_store(tmp_path / f"ws-{kind}-{n}", with_ontology=False) as store:
                for g in (graph_iri("new"), graph_iri("old")):
                    if g.endswith("old"):
                        cs = Changeset()
                        cs.add_triples(g, [(EX.first, EX.p, rdflib.Literal(SCRIPTS[3]))])
                        store.write(cs)
                    text = _script_nt(n, "x")
                    data = text if kind == "str" else text.encode("utf-8")
                    if kind == "file":
                        data = gs.NTriplesFile()
                        data.write(text.encode("utf-8"))
                    cs = Changeset()
                    cs.add_ntriples(g, data)
                    store.write(cs)
                    assert store.graphs()[g] == n + (1 if g.endswith("old") else 0), (kind, n, g)
                    assert _has(store, g, f"{SCRIPTS[(n - 1) % 6]} x {n - 1}")
                results.append(sorted(str(q) for q in store.oxigraph.quads_for_pattern(None, None, None, None)
                                      if "crimekg/graph/meta" not in str(q)))
    assert results[0] == results[2] == results[4] and results[1] == results[3] == results[5]


def test_add_ntriples_joins_text_bytes_and_files():
    import crimekg.graph.store as gs

    cs = Changeset()
    cs.add_ntriples("urn:g", '<urn:a> <urn:p> "一" .')
    f = gs.NTriplesFile(checked=True)
    f.write('<urn:a> <urn:p> "два" .\n'.encode("utf-8"))
    cs.add_ntriples("urn:g", f)
    cs.add_ntriples("urn:g", '<urn:a> <urn:p> "ثلاثة" .\n'.encode("utf-8"))
    joined = cs.ntriples["urn:g"]
    assert isinstance(joined, gs.NTriplesFile) and not joined.checked  # text not written by pyoxigraph is checked again
    assert [line for line in joined.getvalue().decode("utf-8").splitlines() if line] == [
        '<urn:a> <urn:p> "一" .', '<urn:a> <urn:p> "два" .', '<urn:a> <urn:p> "ثلاثة" .']


def test_a_binding_reaches_a_variable_the_select_clause_does_not_project(bare_workspace):
    cs = Changeset()
    cs.add_triples(graph_iri("g"), [(EX.a, EX.p, rdflib.Literal(SCRIPTS[0])), (EX.b, EX.p, rdflib.Literal(SCRIPTS[4]))])
    bare_workspace.write(cs)
    query = "SELECT ?o WHERE { ?s <http://example.org/p> ?o }"
    assert bare_workspace.select(query, {"s": EX.b}) == [{"o": rdflib.Literal(SCRIPTS[4])}]
    assert bare_workspace.select("SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }", {"s": EX.a}) == [
        {"s": EX.a, "o": rdflib.Literal(SCRIPTS[0])}]
    assert len(bare_workspace.select(query)) == 2


KILL_APPEND_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from crimekg.graph.store import OxigraphStore, open_store
    run_step = OxigraphStore._run_step

    def announce(self, step):
        if step.get("load"):
            print("load", flush=True)
        run_step(self, step)

    OxigraphStore._run_step = announce
    store = open_store({ws!r})
    print("go", flush=True)
    store.load([{data!r}], "big", replace=False)
    print("done", flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before-commit", "loading"])
def test_process_killed_while_appending_leaves_the_graph_as_it_was_or_with_every_addition_once(tmp_path, when):
    import shutil

    import crimekg.graph.store as gs

    ws, reference = tmp_path / "ws", tmp_path / "reference"
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    old.write_text(_nt_text(50_000, "old"), encoding="utf-8")
    new.write_text(_script_nt(300_000, "new"), encoding="utf-8")
    with init_store(ws, with_ontology=False) as store:
        store.load([str(old)], "big")
        before = snapshot(store)
    shutil.copytree(ws, reference)
    with open_store(reference) as store:
        store.load([str(new)], "big", replace=False)
        after = snapshot(store)
        assert store.graphs()[graph_iri("big")] == 350_000
    proc = subprocess.Popen([sys.executable, "-c", KILL_APPEND_SCRIPT.format(root=str(ROOT), ws=str(ws), data=str(new))],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "go"
    if when == "loading":
        assert proc.stdout.readline().strip() == "load"
        time.sleep(0.5)
    else:
        time.sleep(0.05)
    proc.kill()
    out, _ = proc.communicate()
    assert "done" not in out, "the load finished before the kill; make the file bigger"
    committed = (ws / gs.STAGE_DIR / gs.COMMIT_FILE).is_file()
    assert committed == (when == "loading")
    with open_store(ws) as store:
        assert snapshot(store) == (after if committed else before)
        assert not staging_graphs(store)
