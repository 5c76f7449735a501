"""The union-default-graph mode of a workspace on a SPARQL server (``--union-default-graph``,
``CRIMEKG_UNION_DEFAULT_GRAPH=1``): queries go with no dataset, to a server whose default graph is
the union of its named graphs. Real servers on 127.0.0.1: Oxigraph server started with
``--union-default-graph``, and "jena" (Apache Jena ARQ over TDB2 behind tests/tools/jena's protocol
front) started with TDB2's union default graph. Each skips, saying why, where it is missing.
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.errors import InvalidInput, StoreError
from crimekg.graph.query import named_queries, run_query
from crimekg.graph.remote import FeatureMissing, RemoteStore, union_default_graph_from_env
from crimekg.graph.store import META, init_store, open_store
from tests.helpers import ROOT, SparqlServer

EXAMPLE = ROOT / "examples" / "example-session.ttl"

#: A session whose contributions are written in several scripts.
ROWS = [
    ("国境の検問所では誰もトラックの中を見ない。", "国境管理の脆弱さ", "enabling", "TIP", "Japan", "P01"),
    ("Пограничники получают деньги от сети.", "Коррумпированные пограничники", "enabling", "TIP", "Russia", "P02"),
    ("لا أحد يُدان، لذلك الخطر ضئيل.", "الإفلات من العقاب", "impunity", "TIP", "Libya", "P03"),
    ("นายหน้าจัดหางานเก็บหนังสือเดินทางไว้", "การยึดหนังสือเดินทาง", "concealment", "TIP", "Thailand", "P04"),
    ("El dinero vuelve a casa por hawala.", "Transferencias hawala", "profiting", "SOM", "Spain", "P05"),
    ("蛇头通过网络招募偷渡者。", "网上招募", "enabling", "SOM", "China", "P06"),
]

#: Named queries compared with the embedded store, with their parameters.
QUERIES = {
    "sessions": {},
    "contribution-counts": {},
    "factors-by-category": {"category": "enabling"},
    "factors-by-crime": {"crime": "smuggling-of-migrants"},
    "factors-search": {"text": "国境"},
    "contributions-for-place": {"place": "Libya"},
    "factor-links": {},
    "headline-figures": {},
    "merge-history": {},
}


def _sheet(path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        # ids of its own: else a contribution's IRI is keyed by the workspace's secret, which differs
        w.writerow(["id", "text", "label", "category", "crime type", "country or region", "exercise question", "group", "contributor code"])
        for text, label, category, crime, place, code in ROWS:
            w.writerow([code.lower(), text, label, category, crime, place, "2a", "Group A", code])


def build(store: str, tmp_path) -> None:
    """The README's example session and a session in six scripts, through the commands."""
    sheet = tmp_path / "scripts.csv"
    _sheet(sheet)
    runner = CliRunner()
    for argv in (
        ["init", store],
        ["load", str(EXAMPLE), "--graph", "contributions/example-2026", "--store", store],
        ["session", "new", "scripts-2026", "--title", "Scripts 2026", "--date", "2026-04-01", "--place", "Japan", "--store", store],
        ["import", str(sheet), "--session", "scripts-2026", "--store", store],
    ):
        result = runner.invoke(cli, argv)
        assert result.exit_code == 0, f"{argv}\n{result.output}"


def words(value) -> list:
    """A cell's words in any order (SPARQL leaves GROUP_CONCAT's order to the engine)."""
    if value is None:
        return []
    text = value.n3() if hasattr(value, "n3") else str(value)
    return sorted(text.replace(",", " ").replace('"', ' " ').split())


def answers(store) -> dict:
    out = {}
    for name, params in QUERIES.items():
        result = run_query(store, named_queries()[name], params)
        out[name] = sorted(repr([words(c) for c in row]) for row in result.rows)
    return out


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("union-embedded")
    build(str(tmp / "ws"), tmp)
    with open_store(tmp / "ws") as store:
        return answers(store)


def _start(kind: str, tmp_path_factory, union: bool, extra: tuple = ()) -> SparqlServer:
    from tests.helpers import jena_command, no_server, oxigraph_command

    flag = (["--union-default-graph"] if union else []) + list(extra)
    if kind == "oxigraph":
        command = oxigraph_command()
        if command is None:
            pytest.skip("the Oxigraph server is not installed (pip install oxigraph)")
        data = tmp_path_factory.mktemp("oxigraph-union")
        return SparqlServer.start("oxigraph", lambda port: [*command, "serve", "--location", str(data), "--bind", f"127.0.0.1:{port}", *flag], "")
    command, reason = jena_command(tmp_path_factory.mktemp("jena-union-build"))
    if command is None:
        no_server(reason, "CRIMEKG_REQUIRE_JENA")
    loc = tmp_path_factory.mktemp("jena-union-tdb2")
    return SparqlServer.start("jena", lambda port: [*command, "--loc", str(loc), "--port", str(port), "--name", "crimekg", *flag], "/crimekg")


@pytest.fixture(scope="module", params=["oxigraph", "jena"])
def union_server(request, tmp_path_factory):
    """Each server started with its default graph the union of its named graphs."""
    server = _start(request.param, tmp_path_factory, union=True)
    yield server
    server.stop()


def test_a_union_mode_workspace_answers_as_the_embedded_store(union_server, embedded, tmp_path, monkeypatch):
    monkeypatch.setenv("CRIMEKG_UNION_DEFAULT_GRAPH", "1")
    union_server.clear()
    build(union_server.url, tmp_path)
    with open_store(union_server.url) as store:
        assert store.union_default_graph and store.exposes_internal_graphs
        got = answers(store)
        # a query's own FROM is still its dataset: the meta graph alone
        own = store.query(f"SELECT (COUNT(*) AS ?n) FROM <{META}> WHERE {{ ?s ?p ?o }}")
        assert int(next(iter(own))[0]) == store.graphs()[META]
    assert got == embedded
    # the comparison says something: the six scripts are in the answers
    assert "国境管理の脆弱さ" in "".join(embedded["factors-search"])
    assert len(embedded["contribution-counts"]) >= 2 and len(embedded["factors-by-category"]) >= 4
    found = repr(embedded)
    for text in ("Коррумпированные", "الإفلات", "การยึดหนังสือเดินทาง", "hawala", "网上招募"):
        assert text in found, text


def test_the_union_mode_sends_no_dataset_and_the_server_default_graph_answers(union_server):
    """Asked without GRAPH and without a dataset, the server itself finds the workspace's meta graph
    (what the mode relies on); a server that did not would be refused, see below."""
    union_server.clear()
    with init_store(union_server.url, with_ontology=False, endpoints={"union_default_graph": True}) as store:
        assert store.metadata().get("ontologyVersion")
    rows = union_server.select(f"SELECT ?v WHERE {{ <{META}> ?p ?v }}")
    assert rows


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory):
    """An Oxigraph server whose default graph is its own (not the union)."""
    server = _start("oxigraph", tmp_path_factory, union=False)
    yield server
    server.stop()


def test_a_server_without_a_union_default_graph_is_refused_in_one_line(plain_server, tmp_path):
    plain_server.clear()
    init_store(plain_server.url, with_ontology=False).close()
    with pytest.raises(FeatureMissing) as caught:
        RemoteStore(plain_server.url, union_default_graph=True)
    message = str(caught.value)
    assert "\n" not in message and plain_server.url in message
    assert "--union-default-graph" in message and "configure the server" in message
    # the command line: one line, exit 1; without the option the same workspace opens
    runner = CliRunner()
    refused = runner.invoke(cli, ["graphs", "--store", plain_server.url, "--union-default-graph"])
    assert refused.exit_code == 1 and refused.output.count("\n") == 1, refused.output
    assert refused.output.startswith("Error: the SPARQL server " + plain_server.url)
    fine = runner.invoke(cli, ["graphs", "--store", plain_server.url])
    assert fine.exit_code == 0 and "meta" in fine.output
    # ``init`` in the mode checks the same once it has written the workspace
    plain_server.clear()
    with pytest.raises(FeatureMissing, match="does not read its named graphs as its default graph"):
        init_store(plain_server.url, with_ontology=False, endpoints={"union_default_graph": True})


def test_the_mode_from_the_environment():
    assert union_default_graph_from_env({"CRIMEKG_UNION_DEFAULT_GRAPH": "1"}) is True
    assert union_default_graph_from_env({"CRIMEKG_UNION_DEFAULT_GRAPH": "0"}) is False
    assert union_default_graph_from_env({}) is False
    with pytest.raises(InvalidInput, match="CRIMEKG_UNION_DEFAULT_GRAPH='sometimes': give 1"):
        union_default_graph_from_env({"CRIMEKG_UNION_DEFAULT_GRAPH": "sometimes"})


def test_query_results_give_the_rows_of_query_without_rdflib(union_server):
    """``query_results`` (pyoxigraph's parsed answer, for a fast path) holds the rows ``query`` gives."""
    from crimekg.graph.store import from_oxigraph_term

    union_server.clear()
    with init_store(union_server.url, endpoints={"union_default_graph": True}) as store:
        sparql = "SELECT ?s ?label WHERE { ?s skos:prefLabel ?label FILTER(LANG(?label) = 'ja') } ORDER BY ?s ?label"
        fast = [tuple(from_oxigraph_term(t) if t is not None else None for t in row) for row in store.query_results(sparql)]
        slow = [tuple(row) for row in store.query(sparql)]
        assert fast == slow and len(fast) > 10
        assert bool(store.query_results("ASK { ?s a skos:Concept }")) is True
        assert store.query_results("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1") is None


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_query_the_server_cancels_midway_is_one_line(tmp_path_factory):
    """A server that stops a query on its own timeout after it began its answer (the jena front with
    --timeout, as Fuseki does) ends the answer early: a one-line error, not a parser traceback (nor
    one printed when the half-read answer is dropped in another thread than run_query's own)."""
    from crimekg.graph.remote import ServerFailed

    server = _start("jena", tmp_path_factory, union=True, extra=("--timeout", "0.5"))
    try:
        with init_store(server.url, endpoints={"union_default_graph": True}) as store:
            with pytest.raises(ServerFailed) as caught:
                run_query(store, "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(STR(?c) = STR(?i) && ?a != ?g) }")
            import gc

            gc.collect()
            assert "\n" not in str(caught.value) and server.url in str(caught.value)
            assert "break off" in str(caught.value) and "timeout of its own" in str(caught.value)
            assert store.graphs()  # the server goes on answering
    finally:
        server.stop()
