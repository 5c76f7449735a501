"""crimekg copy: a workspace moved to another store (directory or SPARQL server) and back, whole.

Each test builds a workspace with a session and contributions written in six scripts, copies it,
and compares every quad of the copy with the source, the workspace secret included: a re-import
of the same file into the copy must change nothing (the contribution keys are the same).
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.sessions import session_changeset
from crimekg.graph.copy import copy_workspace
from crimekg.graph.errors import StoreError
from crimekg.graph.store import JOURNAL, STAGING, init_store, open_store

HEADER = ["text", "label", "category", "crime type", "country or region", "exercise question", "group", "contributor code"]
ROWS = [
    ["国境の役人に金を払えば、誰もトラックを調べない。", "国境管理の脆弱さ", "enabling", "TIP", "Japan", "2a", "Group A", "P01"],
    ["Пограничникам платят, и никто не проверяет грузовик.", "Коррумпированные пограничники", "enabling", "SOM", "Russian Federation", "2a", "Group A", "P02"],
    ["يتم دفع الأموال للضباط عند المعبر.", "الاتجار بالأشخاص", "profiting", "TIP", "Egypt", "2b", "Group B", "P03"],
    ["ไม่มีใครถูกตัดสินลงโทษ ความเสี่ยงจึงต่ำ", "การค้ามนุษย์", "impunity", "TIP", "Thailand", "2d", "Group B", "P04"],
    ["现金通过地下钱庄转移。", "贩运人口", "concealment", "SOM", "China", "2c", "Group C", "P05"],
    ["Los funcionarios cobran en los pasos fronterizos.", "Corrupción en los pasos fronterizos", "enabling", "SOM", "Mexico", "2a", "Group C", "P06"],
]
LABELS = {row[1] for row in ROWS}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def room(tmp_path):
    path = tmp_path / "room.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(ROWS)
    return path


@pytest.fixture
def source(tmp_path, room):
    ws = str(tmp_path / "source")
    with init_store(ws) as store:
        store.write(session_changeset(store, "s1", title="Room 2", on="2026-03-17", place="Japan"))
    result = run("import", room, "--session", "s1", "--store", ws)
    assert result.exit_code == 0, result.output
    return ws


def everything(location) -> set:
    """Every quad of a workspace, blank nodes made comparable (a server names them its own way)."""
    from rdflib.compare import to_canonical_graph

    with open_store(location) as store:
        quads = {(g, *t) for g in store.graphs() for t in to_canonical_graph(store.graph_triples(g))}
    assert quads
    return quads


def secret(location, server=None) -> list[str]:
    if server is not None:  # asked of the server directly: its query endpoint shows no internal graph to crimekg
        return sorted(r["s"] for r in server.select("SELECT ?s WHERE { GRAPH <urn:crimekg:secret> { ?w ?p ?s } }"))
    with open_store(location) as store:  # a directory keeps it in a file beside its store
        found = store.read_secret()
        return [found.hex()] if found is not None else []


def labels(location) -> set[str]:
    with open_store(location) as store:
        return {str(r["l"]) for r in store.select("SELECT ?l WHERE { ?f a ckg:Factor ; skos:prefLabel ?l }")}


def reimport(location, room) -> None:
    result = run("import", room, "--session", "s1", "--store", location)
    assert result.exit_code == 0, result.output


def test_copy_to_a_directory_keeps_every_quad_and_the_secret(tmp_path, source, room):
    dst = tmp_path / "copy"
    result = run("copy", source, dst)
    assert result.exit_code == 0, result.output
    assert "from" in result.output and str(dst) in result.output
    assert everything(dst) == everything(source)
    assert secret(dst) == secret(source) and len(secret(dst)) == 1
    assert LABELS <= labels(dst)
    # the same contributions imported again into the copy: the keys match, nothing is added
    before = everything(dst)
    reimport(dst, room)
    assert everything(dst) == before


def test_without_the_secret_a_reimport_would_add(tmp_path, source, room):
    """The secret is what keeps the keys: a copy that lost it would take the same rows as new ones."""
    dst = tmp_path / "copy"
    copy_workspace(source, dst)
    (dst / "secret").unlink()
    with open_store(dst) as store:
        n = len(store.select("SELECT ?c WHERE { ?c a ckg:Contribution }"))
    reimport(dst, room)
    with open_store(dst) as store:
        assert len(store.select("SELECT ?c WHERE { ?c a ckg:Contribution }")) > n


def test_a_non_empty_destination_is_refused_unless_replace(tmp_path, source):
    other = str(tmp_path / "other")
    with init_store(other, with_ontology=False) as store:
        store.write(session_changeset(store, "s9", title="Другая сессия", on="2026-05-01"))
    before = everything(other)
    result = run("copy", source, other)
    assert result.exit_code == 1
    assert "not empty" in result.output and "--replace" in result.output
    assert everything(other) == before
    result = run("copy", source, other, "--replace")
    assert result.exit_code == 0, result.output
    assert everything(other) == everything(source)
    assert not any(str(tmp_path / "other") in str(p) and "crimekg-" in p.name for p in tmp_path.iterdir())


def test_refusals_are_one_line(tmp_path, source):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("keep me", encoding="utf-8")
    cases = [
        (["copy", source, source], "the same store"),
        (["copy", tmp_path / "nowhere", tmp_path / "x"], "no crimekg workspace"),
        (["copy", source, junk, "--replace"], "no crimekg workspace; --replace only replaces a workspace"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 1, args
        assert message in result.output
        assert "Traceback" not in result.output and result.output.count("\n") == 1
    assert (junk / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "x").exists()


def test_a_failed_copy_leaves_the_destination_as_it_was(tmp_path, source, monkeypatch):
    import pyoxigraph as ox

    other = str(tmp_path / "other")
    init_store(other, with_ontology=False).close()
    before = everything(other)
    calls = []
    real = ox.Store.bulk_load

    def failing(self, *args, **kwargs):
        calls.append(kwargs.get("to_graph"))
        if len(calls) == 3:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ox.Store, "bulk_load", failing)
    with pytest.raises(OSError):
        copy_workspace(source, other, replace=True)
    monkeypatch.undo()
    assert len(calls) == 3
    assert everything(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "room.csv", "source"]


# -- through a SPARQL server ---------------------------------------------------------------------


def server_leftovers(server) -> list[str]:
    rows = server.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return sorted(r["g"] for r in rows if r["g"].startswith(STAGING) or r["g"] == JOURNAL)


def test_to_an_oxigraph_server_and_back(tmp_path, source, room, oxigraph_server):
    server = oxigraph_server
    server.clear()
    result = run("copy", source, server.url)
    assert result.exit_code == 0, result.output
    assert everything(server.url) == everything(source)
    assert secret(server.url, server) == secret(source)
    assert LABELS <= labels(server.url)
    assert server_leftovers(server) == []
    # the lock stays with the store that took it: none left in the copy's meta graph
    assert not server.select("SELECT ?o WHERE { GRAPH ?g { <urn:crimekg:lock> ?p ?o } }")
    before = everything(server.url)
    reimport(server.url, room)
    assert everything(server.url) == before

    back = tmp_path / "back"
    result = run("copy", server.url, back)
    assert result.exit_code == 0, result.output
    assert everything(back) == everything(source)
    assert secret(back) == secret(source)
    reimport(back, room)
    assert everything(back) == everything(source)


def test_a_server_that_holds_a_workspace_is_replaced_only_when_asked(tmp_path, source, oxigraph_server):
    server = oxigraph_server
    server.clear()
    other = str(tmp_path / "other")
    with init_store(other, with_ontology=False) as store:
        store.write(session_changeset(store, "s9", title="セッション九", on="2026-05-01"))
    assert run("copy", other, server.url).exit_code == 0
    before = everything(server.url)
    result = run("copy", source, server.url)
    assert result.exit_code == 1 and "not empty" in result.output
    assert everything(server.url) == before
    result = run("copy", source, server.url, "--replace")
    assert result.exit_code == 0, result.output
    assert everything(server.url) == everything(source)
    assert server_leftovers(server) == []


def test_a_failed_upload_leaves_the_server_as_it_was(tmp_path, source, oxigraph_server, monkeypatch):
    from crimekg.graph.remote import RemoteStore

    server = oxigraph_server
    server.clear()
    other = str(tmp_path / "other")
    init_store(other, with_ontology=False).close()
    assert run("copy", other, server.url).exit_code == 0
    before = everything(server.url)
    real, calls = RemoteStore._upload, []

    def failing(self, graph, body, replace=True, new=False):
        calls.append(graph)
        if len(calls) == 3:
            raise StoreError("the server went away")
        return real(self, graph, body, replace, new)

    monkeypatch.setattr(RemoteStore, "_upload", failing)
    with pytest.raises(StoreError, match="went away"):
        copy_workspace(source, server.url, replace=True)
    monkeypatch.undo()
    assert len(calls) == 3
    assert everything(server.url) == before
    assert server_leftovers(server) == []
