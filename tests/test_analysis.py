"""crimekg.graph.analysis on small graphs whose answers are worked out by hand, and `crimekg analyze`."""

from __future__ import annotations

import json

import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.analysis import bridges, centrality, communities, find_factor, loops, paths, reach, run_analysis
from crimekg.graph.errors import InvalidInput, UnknownFactor
from crimekg.graph.query import named_query, run_query
from crimekg.graph.store import graph_iri, init_store, open_store
from tests.helpers import ROOT

TIP, SOM = "trafficking-in-persons", "smuggling-of-migrants"


def graph(edges, crimes=None, negative=()):
    G = nx.MultiDiGraph()
    for u, v in edges:
        G.add_edge(u, v, relation="enables", polarity="negative" if (u, v) in negative else "positive")
    for n in G:
        G.nodes[n]["label"] = n.upper()
        G.nodes[n]["crimes"] = (crimes or {}).get(n, [])
    return G


def test_centrality_of_a_fork():
    # a -> b -> c and b -> d: b lies on a->c and a->d, 2 of the (4-1)(4-2) = 6 ordered pairs
    rows = {r["factor"]: r for r in centrality(graph([("a", "b"), ("b", "c"), ("b", "d")]))}
    assert (rows["b"]["links"], rows["b"]["in"], rows["b"]["out"]) == (3, 1, 2)
    assert rows["b"]["betweenness"] == pytest.approx(2 / 6, abs=1e-6)
    assert rows["a"]["betweenness"] == rows["c"]["betweenness"] == 0
    assert next(iter(centrality(graph([("a", "b"), ("b", "c"), ("b", "d")]))))["factor"] == "b"


def _pagerank(edges, d=0.85, rounds=200):
    """PageRank by plain power iteration (every node here has an outgoing link)."""
    nodes = sorted({n for e in edges for n in e})
    out = {n: [v for u, v in edges if u == n] for n in nodes}
    pr = {n: 1 / len(nodes) for n in nodes}
    for _ in range(rounds):
        pr = {n: (1 - d) / len(nodes) + d * sum(pr[u] / len(out[u]) for u in nodes if n in out[u]) for n in nodes}
    return pr


def test_pagerank_agrees_with_power_iteration():
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "b")]
    G = graph(edges)
    expected = _pagerank(edges)
    for r in centrality(G):
        assert r["pagerank"] == pytest.approx(expected[r["factor"]], abs=1e-4)
    assert sum(r["pagerank"] for r in centrality(G)) == pytest.approx(1, abs=1e-4)


def test_bridges_between_the_two_crimes():
    # t1 and t2 (trafficking only) reach s (smuggling only) through b; t2 also has a direct link.
    # Pairs (t1, s) and (t2, s): t1-b-s passes b; t2-s is direct. b carries 1 of 2 pairs.
    crimes = {"t1": [TIP], "t2": [TIP], "s": [SOM], "b": [TIP, SOM]}
    rows = bridges(graph([("t1", "b"), ("t2", "b"), ("b", "s"), ("t2", "s")], crimes))
    assert [(r["factor"], r["bridging"], r["tip"], r["som"], r["crimes"]) for r in rows] == [("b", 0.5, 2, 1, "SOM, TIP")]


def test_bridges_split_between_equal_paths():
    # t - x - s and t - y - s: two shortest paths, each bridge carries half of the only pair
    crimes = {"t": [TIP], "s": [SOM], "x": [TIP, SOM], "y": [TIP, SOM]}
    rows = bridges(graph([("t", "x"), ("x", "s"), ("t", "y"), ("y", "s")], crimes))
    assert {r["factor"]: r["bridging"] for r in rows} == {"x": 0.5, "y": 0.5}


def test_no_bridges_without_both_crimes():
    assert bridges(graph([("a", "b"), ("b", "c")], {"a": [TIP], "b": [TIP], "c": [TIP]})) == []


def test_communities_of_two_triangles():
    G = graph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "f"), ("f", "d"), ("c", "d"), ("x", "y")])
    G.add_node("lonely", label="LONELY")
    groups = {}
    for r in communities(G):
        groups.setdefault(r["community"], set()).add(r["factor"])
    assert sorted(groups.values(), key=sorted) == [{"a", "b", "c"}, {"d", "e", "f"}, {"lonely"}, {"x", "y"}]
    assert set(groups[1]) == {"a", "b", "c"}  # largest first, then by label
    assert groups[4] == {"lonely"}


def test_upstream_and_downstream():
    G = graph([("d", "a"), ("a", "b"), ("b", "c"), ("x", "c")])
    assert [(r["factor"], r["distance"]) for r in reach(G, "a")] == [("b", 1), ("c", 2)]
    assert [(r["factor"], r["distance"]) for r in reach(G, "c", "upstream")] == [("b", 1), ("x", 1), ("a", 2), ("d", 3)]
    assert reach(G, "c", "upstream")[2]["path"] == "A -[enables]-> B -[enables]-> C"
    assert [r["factor"] for r in reach(G, "c", "upstream", max_length=1)] == ["b", "x"]
    with pytest.raises(InvalidInput):
        reach(G, "a", "sideways")


def test_paths_shortest_first_and_bounded():
    G = graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "a")])
    rows = paths(G, "a", "c")
    assert [(r["hops"], r["factors"]) for r in rows] == [(1, "A -[enables]-> C"), (2, "A -[enables]-> B -[enables]-> C")]
    assert len(paths(G, "a", "c", max_length=1)) == 1
    assert len(paths(G, "a", "c", limit=1)) == 1
    assert paths(graph([("a", "b"), ("c", "d")]), "a", "d") == []


def test_loops_with_their_kind():
    # a <-> b with one negative link: balancing; b -> c -> d -> b all positive: reinforcing
    G = graph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "d"), ("d", "b"), ("d", "e")], negative={("b", "a")})
    rows = loops(G)
    assert [(r["length"], r["kind"], r["factors"]) for r in rows] == [
        (2, "balancing", "A -[enables]-> B -[enables]-> A"),
        (3, "reinforcing", "B -[enables]-> C -[enables]-> D -[enables]-> B"),
    ]
    assert len(loops(G, max_length=2)) == 1
    assert loops(graph([("a", "b"), ("b", "c")])) == []


def test_find_factor_by_slug_label_or_alt_label():
    G = nx.MultiDiGraph()
    G.add_node("https://w3id.org/crimekg/data/factor/rare-convictions", label="Rare convictions", altLabels=["Nobody goes to prison"])
    for text in ("rare-convictions", "RARE CONVICTIONS", "nobody goes to prison", "<https://w3id.org/crimekg/data/factor/rare-convictions>"):
        assert find_factor(G, text).endswith("/rare-convictions")
    with pytest.raises(UnknownFactor, match="Did you mean: rare-convictions"):
        find_factor(G, "rare-convicton")
    # an unambiguous prefix of a label names the factor too, as in merge and link
    assert find_factor(G, "rare-conviction").endswith("/rare-convictions")


# -- on the example session -------------------------------------------------------------------------


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "ws"
    with init_store(path) as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    return str(path)


def test_the_example_has_one_feedback_loop_and_one_path_to_rare_convictions(example):
    with open_store(example) as store:
        loops_ = run_analysis(store, "loops").rows
        paths_ = run_analysis(store, "paths", ["poverty-and-unemployment", "Rare convictions and short sentences"]).rows
        smuggling = run_analysis(store, "centrality", crime=SOM).rows
    assert [r["factors"] for r in loops_] == [
        "Corruption of border, police and port officials -[reinforces]-> Rare convictions and short sentences "
        "-[reinforces]-> Corruption of border, police and port officials"
    ]
    assert [r["hops"] for r in paths_] == [4]
    assert len(smuggling) == 13


def test_write_scores_replaces_the_analysis_graph(example):
    with open_store(example) as store:
        first = run_analysis(store, "centrality", write=True)
        second = run_analysis(store, "centrality", write=True, top=3)
        g = store.graph_triples(graph_iri("analysis/centrality"))
        communities_ = run_analysis(store, "communities", write=True)
    assert first.written == "analysis/centrality" and first.scores == second.scores == 75
    assert len(second.rows) == 3
    CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
    assert len(set(g.subjects(rdflib.RDF.type, CKG.AnalysisScore))) == 75
    methods = {str(m) for m in g.objects(None, CKG.method)}
    assert {"degree", "betweenness", "pagerank"} <= methods
    assert communities_.scores == 25
    with pytest.raises(InvalidInput, match="--write stores scores"):
        with open_store(example) as store:
            run_analysis(store, "loops", write=True)


def test_written_scores_pass_validation_and_reach_queries(example):
    from crimekg.graph.validate import validate

    with open_store(example) as store:
        run_analysis(store, "bridges", write=True)
        rows = run_query(store, named_query("analysis-scores"), {"method": "bridging"}).records()
        report = validate(store)
    assert rows[0]["factor"].endswith("/corruption-of-officials")
    assert report.conforms


def test_analyze_command(example):
    runner = CliRunner()
    result = runner.invoke(cli, ["analyze", "centrality", "--top", "3", "--store", example])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2].startswith("Corruption of border, police and port officials")
    assert len(result.stdout.splitlines()) == 5
    js = runner.invoke(cli, ["analyze", "downstream", "corruption-of-officials", "--format", "json", "--store", example])
    data = json.loads(js.stdout)
    assert data["report"] == "downstream" and "networkx" in data["method"]
    assert {r["label"] for r in data["rows"]} == {"Rare convictions and short sentences", "Supply of forged or fraudulently obtained documents",
                                                 "Extortion and kidnapping of migrants on the route"}
    bad = runner.invoke(cli, ["analyze", "upstream", "no-such-factor", "--store", example])
    assert bad.exit_code == 1 and "no factor 'no-such-factor'" in bad.output
    missing = runner.invoke(cli, ["analyze", "paths", "rare-convictions", "--store", example])
    assert missing.exit_code == 1 and "takes two factors" in missing.output


def test_unknown_filter_value_is_an_error_not_an_empty_report(example):
    # regression: `analyze centrality --crime nope` printed an empty table and exit code 0
    # a label in any case is a known word now ("Enabling"); a misspelling is not
    result = CliRunner().invoke(cli, ["analyze", "centrality", "--category", "Enabeling", "--store", example])
    assert result.exit_code == 1, result.output
    assert "--category Enabeling: unknown; use one of concealment, enabling, impunity, profiting" in result.stderr
    with open_store(example) as store:
        assert len(run_analysis(store, "centrality", category="enabling").rows) > 0


def test_did_you_mean_names_each_factor_once():
    G = nx.MultiDiGraph()
    G.add_node("https://w3id.org/crimekg/data/factor/rare-convictions", label="rare-convictions-x")
    with pytest.raises(UnknownFactor) as err:
        find_factor(G, "rare-convicton")
    assert str(err.value).count("rare-convictions") == 1
