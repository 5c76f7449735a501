"""Network projections of the example session, query results as networks, GraphML/GEXF export."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.errors import InvalidInput, InvalidQuery
from crimekg.graph.network import (
    check_filter_values,
    factor_graph,
    flows_graph,
    places_graph,
    query_graph,
    session_graph,
    write_network,
)
from crimekg.graph.store import init_store
from tests.helpers import ROOT, SHARED_DATA

FACTOR = "https://w3id.org/crimekg/data/factor/"
PLACE = "https://w3id.org/crimekg/place/"
CRIME = "https://w3id.org/crimekg/concept/crime/"
TOPIC = "https://w3id.org/crimekg/concept/topic/"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = init_store(tmp_path_factory.mktemp("network") / "ws")
    s.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    yield s
    s.close()


@pytest.fixture(scope="module")
def store_with_flows(tmp_path_factory):
    s = init_store(tmp_path_factory.mktemp("flows") / "ws")
    s.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    s.load([ROOT / "tests" / "data" / "views-extra.ttl"], "load/views-extra")
    yield s
    s.close()


def test_factor_graph_of_the_example(store):
    G = factor_graph(store)
    assert (len(G), G.number_of_edges()) == (25, 26)
    poverty = G.nodes[FACTOR + "poverty-and-unemployment"]
    assert poverty["categories"] == ["enabling"] and poverty["contributions"] == 2
    assert {"NGA", "HND"} <= set(poverty["places"]) and poverty["sessions"] == ["example-2026"]


def test_session_graph_is_layered(store):
    G = session_graph(store)
    kinds = {}
    for _, a in G.nodes(data=True):
        kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
    assert kinds == {"crime": 2, "topic": 13, "factor": 25, "pattern": 7, "source": 6, "gap": 5}
    layer = {"crime": 0, "topic": 1}
    for n, a in G.nodes(data=True):
        assert a["layer"] == layer.get(a["kind"], 2)
    for u, v in G.edges():
        assert G.nodes[u]["layer"] < G.nodes[v]["layer"], (u, v)
    # data sources hang from their themes, gaps from their topics, factors from their crime types
    assert G.has_edge(TOPIC + "criminal-justice-case-information", "https://w3id.org/crimekg/data/source/national-police-case-database")
    assert G.has_edge(TOPIC + "trafficking-in-armed-conflict", "https://w3id.org/crimekg/data/gap/war-related-trafficking-unrecorded")
    assert G.has_edge(CRIME + "smuggling-of-migrants", FACTOR + "poverty-and-unemployment")
    assert G.has_edge(CRIME + "trafficking-in-persons", TOPIC + "profile-of-the-victims")


def test_session_graph_filters(store):
    G = session_graph(store, crime="smuggling-of-migrants")
    assert [n for n in G if G.nodes[n]["kind"] == "crime"] == [CRIME + "smuggling-of-migrants"]
    assert all("smuggling-of-migrants" in G.nodes[n]["crimes"] for n in G if G.nodes[n]["kind"] in ("topic", "factor", "pattern"))
    H = session_graph(store, level="regional")
    assert all(H.nodes[n]["levels"] == [] or "regional" in H.nodes[n]["levels"] for n in H if "levels" in H.nodes[n])
    assert sum(1 for n in H if H.nodes[n]["kind"] == "factor") < 25


def test_places_graph_links_factors_to_countries_and_regions(store):
    G = places_graph(store)
    assert G.has_edge(FACTOR + "poverty-and-unemployment", PLACE + "NGA")
    assert G.nodes[PLACE + "NGA"] == {"label": "Nigeria", "kind": "country", "places": ["NGA"]}
    assert G.has_edge(PLACE + "NGA", PLACE + "m49/011")  # Western Africa
    assert G.nodes[PLACE + "m49/011"]["kind"] == "region"
    # every place is named by a factor or is the region of one that is
    for n, a in G.nodes(data=True):
        if a["kind"] in ("country", "region"):
            assert any(G.nodes[f]["kind"] == "factor" for f in nx.ancestors(G, n))
    assert len(places_graph(store, place="ITA")) < len(G)


def test_flows_graph_sums_counts(store_with_flows):
    G = flows_graph(store_with_flows)
    # one edge per source: GLOTIP's detected victims (120 + 80) beside CTDC's 7 records, never added;
    # GLOTIP's 9 persons convicted on the same flow are another indicator, not counted here
    edges = G.get_edge_data(PLACE + "NGA", PLACE + "ITA")
    assert set(edges) == {"flow:glotip", "flow:ctdc"}
    edge = edges["flow:glotip"]
    assert edge["count"] == 200 and edge["observations"] == 2 and edge["years"] == "2020-2021"
    assert edge["source"] == "glotip" and edge["indicator"].endswith("/detected-trafficking-victims")
    assert (edges["flow:ctdc"]["count"], edges["flow:ctdc"]["indicator"].rsplit("/", 1)[-1]) == (7, "registered-victims")
    convicted = flows_graph(store_with_flows, indicator="persons-convicted")
    assert {k: a["count"] for k, a in convicted.get_edge_data(PLACE + "NGA", PLACE + "ITA").items()} == {"flow:glotip": 9}
    # a suppressed flow is "<5" (between 1 and 4), never 0
    (suppressed,) = G.get_edge_data(PLACE + "UKR", PLACE + "POL").values()
    assert suppressed["count"] is None and suppressed["suppressed"] == 1
    assert (suppressed["value"], suppressed["low"], suppressed["high"]) == ("<5", 1, 4)
    with pytest.raises(InvalidInput, match="unknown flow indicator 'victims'"):
        flows_graph(store_with_flows, indicator="victims")
    assert G.nodes[PLACE + "NGA"]["label"] == "Nigeria"
    assert set(flows_graph(store_with_flows, place="POL")) == {PLACE + "UKR", PLACE + "POL"}


def test_flows_graph_without_observations_says_what_to_do(store):
    with pytest.raises(InvalidInput, match="import evidence first"):
        flows_graph(store)


def test_query_graph_construct_and_select(store):
    G = query_graph(store, "CONSTRUCT { ?a ckg:toFactor ?b } WHERE { ?l ckg:fromFactor ?a ; ckg:toFactor ?b }")
    assert (len(G), G.number_of_edges()) == (25, 26)
    assert G.nodes[FACTOR + "poverty-and-unemployment"]["label"] == "Poverty and lack of decent work in communities of origin"
    assert G.nodes[FACTOR + "poverty-and-unemployment"]["kind"] == "factor"
    S = query_graph(store, "SELECT ?s ?t WHERE { ?s a ckg:DataSource ; dcat:theme ?t }")
    assert S.nodes[TOPIC + "forms-of-exploitation"]["kind"] == "topic"
    assert all(S.nodes[u]["kind"] == "source" for u, _ in S.edges())
    with pytest.raises(InvalidQuery, match="ASK"):
        query_graph(store, "ASK { ?s ?p ?o }")


def test_check_filter_values(store):
    check_filter_values(store, session="example-2026", level={"local", "regional"}, place="011")
    with pytest.raises(InvalidInput, match="--level planetary: unknown; use one of local, national, regional"):
        check_filter_values(store, level="planetary")
    with pytest.raises(ValueError, match="unknown filter"):
        check_filter_values(store, colour="red")


def _graphml(data: bytes) -> dict:
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.fromstring(data)
    keys = {k.get("id"): k.get("attr.name") for k in root.iterfind("g:key", ns)}
    nodes = {}
    for node in root.iterfind(".//g:node", ns):
        nodes[node.get("id")] = {keys[d.get("key")]: d.text for d in node.iterfind("g:data", ns)}
    return nodes


def test_write_network_graphml_and_gexf_keep_attributes(store):
    G = factor_graph(store)
    buf = io.BytesIO()
    write_network(G, buf, "graphml")
    nodes = _graphml(buf.getvalue())
    poverty = nodes[FACTOR + "poverty-and-unemployment"]
    assert poverty["label"] == "Poverty and lack of decent work in communities of origin"
    assert poverty["categories"] == "enabling" and set(poverty["places"].split("; ")) >= {"NGA", "HND"}
    assert poverty["contributions"] == "2"
    back = nx.read_graphml(io.BytesIO(buf.getvalue()))
    assert back.number_of_edges() == 26
    gexf = io.BytesIO()
    write_network(G, gexf, "gexf")
    back = nx.read_gexf(io.BytesIO(gexf.getvalue()))
    assert back.nodes[FACTOR + "poverty-and-unemployment"]["categories"] == "enabling"
    assert back.number_of_edges() == 26


@pytest.mark.parametrize("fmt, read", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_write_network_control_character_in_label_still_well_formed(fmt, read):
    # regression: a vertical tab in a label (pasted from a spreadsheet cell) made an XML file no parser reads
    G = nx.MultiDiGraph()
    G.add_node("urn:f:a", label="Corrupt\x0bofficials", altLabels=["bad\x01text"])
    G.add_edge("urn:f:a", "urn:f:a", evidence="seen\x1f")
    buf = io.BytesIO()
    write_network(G, buf, fmt)
    back = read(io.BytesIO(buf.getvalue()))
    assert back.nodes["urn:f:a"]["label"] == "Corrupt officials"
    assert back.nodes["urn:f:a"]["altLabels"] == "bad text"


def test_export_command_writes_graphml_and_gexf(tmp_path):
    ws = tmp_path / "ws"
    with init_store(ws) as s:
        s.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    runner = CliRunner()
    out = tmp_path / "factors.graphml"
    result = runner.invoke(cli, ["export", "--format", "graphml", "--store", str(ws), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(_graphml(out.read_bytes())) == 25
    out = tmp_path / "session.gexf"
    result = runner.invoke(cli, ["export", "--format", "gexf", "--network", "session", "--store", str(ws), "-o", str(out)])
    assert result.exit_code == 0, result.output
    G = nx.read_gexf(out)
    assert {G.nodes[n]["kind"] for n in G} == {"crime", "topic", "factor", "pattern", "source", "gap"}
    assert G.nodes[FACTOR + "poverty-and-unemployment"]["categories"] == "enabling"
    result = runner.invoke(cli, ["export", "--format", "ttl", "--network", "session", "--store", str(ws), "-o", str(tmp_path / "x.ttl")])
    assert result.exit_code == 2 and "--network" in result.output


def test_flows_from_imported_glotip_rows(workspace):
    from crimekg.graph.importers import glotip

    workspace.write(glotip.plan(ROOT / "tests" / "data" / "evidence" / "glotip-sample.csv", workspace).changes)
    G = flows_graph(workspace)
    flows = {(G.nodes[u]["label"], G.nodes[v]["label"]): a for u, v, a in G.edges(data=True)}
    assert flows[("Nigeria", "Italy")]["count"] == 273
    assert flows[("Benin", "Nigeria")]["count"] == 12
    chad = flows[("Chad", "Nigeria")]
    assert chad["suppressed"] == 1 and chad["count"] is None and chad["value"] == "<5"


def test_flows_of_the_whole_glotip_file(workspace):
    from crimekg.graph.importers import glotip

    path = SHARED_DATA / "unodc-glotip" / "data_glotip.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared data sets are not in the repository)")
    workspace.write(glotip.plan(path, workspace).changes)
    G = flows_graph(workspace)
    assert G.number_of_edges() > 1000 and len(G) > 100
    assert all(G.nodes[n]["label"] != n.rsplit("/", 1)[-1] for n in G), "every country has its name"
    nga = flows_graph(workspace, place="NGA")
    assert 10 < nga.number_of_edges() < G.number_of_edges()
    assert all(PLACE + "NGA" in (u, v) for u, v in nga.edges())


# --- flows with smuggling routes (Frontex detections, IOM dead and missing) ---------------------

ROUTE = "https://w3id.org/crimekg/concept/smuggling-route/"
INDICATOR = "https://w3id.org/crimekg/concept/indicator/"
EVIDENCE = ROOT / "tests" / "data" / "evidence"


def _import(store, *names):
    from crimekg.graph.importers import frontex, glotip, iom

    modules = {"frontex": frontex, "iom": iom, "glotip": glotip}
    for name in names:
        store.write(modules[name.split("-")[0]].plan(EVIDENCE / f"{name}-sample.csv", store).changes)


def test_route_flows_of_the_frontex_and_iom_samples(workspace):
    _import(workspace, "frontex", "iom-2019")
    G = flows_graph(workspace, "routes")
    routes = {n for n, a in G.nodes(data=True) if a["kind"] == "route"}
    assert routes == {ROUTE + "central-mediterranean", ROUTE + "western-balkans"}
    # frontex-sample.csv: NGA on the Central Mediterranean route, 10 months of 2016:
    # 963+654+1816+877+2921+4660+6695+3742+4843+6638 = 33,809
    edges = {(u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1]): a for u, v, a in G.edges(data=True)}
    assert {k: a["count"] for k, a in edges.items()} == {
        ("NGA", "central-mediterranean"): 33809, ("SYR", "western-balkans"): 3498, ("AFG", "western-balkans"): 641,
        ("TUR", "western-balkans"): 195, ("EGY", "western-balkans"): 1}
    assert edges[("NGA", "central-mediterranean")]["observations"] == 10
    assert edges[("NGA", "central-mediterranean")]["years"] == "2016-2016"
    assert all(a["relation"] == "route" for a in edges.values())
    # iom-2019-sample.csv, Central Mediterranean: web ids 52633 (missing 3), 52626 (missing 13),
    # 52625 (dead 5, missing 21), 52624 (dead 6), 52522 (missing 1), 52520 (dead 2)
    # each source's figures side by side, named by source, never added
    cm = G.nodes[ROUTE + "central-mediterranean"]
    assert cm == {"label": "Central Mediterranean route", "kind": "route",
                  "frontex_indicator": INDICATOR + "illegal-border-crossings", "frontex_detections": 33809,
                  "iom_indicator": INDICATOR + "dead-and-missing", "iom_incidents": 6, "iom_dead_and_missing": 51,
                  "iom_dead": 13, "iom_missing": 38}
    # Western Balkans: 52660 (dead 2, missing 4), 52655 (dead 1); detections 3498+641+195+1
    wb = G.nodes[ROUTE + "western-balkans"]
    assert (wb["frontex_detections"], wb["iom_incidents"], wb["iom_dead_and_missing"], wb["iom_dead"], wb["iom_missing"]) == (4335, 2, 7, 3, 4)
    assert all(a["source"] == "frontex" and a["indicator"] == INDICATOR + "illegal-border-crossings" for a in edges.values())
    assert G.nodes[PLACE + "SYR"]["kind"] == "country" and G.nodes[PLACE + "NGA"]["label"] == "Nigeria"
    # the place filter keeps the routes its nationals were detected on
    assert set(flows_graph(workspace, "routes", place="NGA")) == {PLACE + "NGA", ROUTE + "central-mediterranean"}


def test_all_flows_join_citizenship_and_routes(workspace):
    _import(workspace, "glotip", "frontex", "iom-2019")
    citizenship = flows_graph(workspace, "citizenship")
    routes = flows_graph(workspace, "routes")
    both = flows_graph(workspace)
    assert {a["relation"] for *_, a in citizenship.edges(data=True)} == {"flow"}
    assert set(both) == set(citizenship) | set(routes)
    assert both.number_of_edges() == citizenship.number_of_edges() + routes.number_of_edges() == citizenship.number_of_edges() + 5
    (nga_ita,) = both.get_edge_data(PLACE + "NGA", PLACE + "ITA").values()
    assert nga_ita["count"] == 273  # as without routes (test_flows_from_imported_glotip_rows)
    with pytest.raises(InvalidInput, match="unknown flows 'roads'; use one of citizenship, routes, all"):
        flows_graph(workspace, "roads")


def test_route_flows_of_the_2025_iom_table(workspace):
    # the 2025 table gives dead and missing together (column dead) and the victims' nationality:
    # its incidents count on their route, never as victims detected in a country
    _import(workspace, "iom-2025")
    G = flows_graph(workspace, "routes")
    assert G.number_of_edges() == 0
    assert {n: (a["iom_incidents"], a["iom_dead_and_missing"]) for n, a in G.nodes(data=True)} == {
        ROUTE + "central-mediterranean": (6, 2 + 1 + 3 + 4 + 5 + 1), ROUTE + "western-mediterranean": (3, 15 + 4 + 8)}
    assert "iom_dead" not in G.nodes[ROUTE + "central-mediterranean"]  # no split in this table
    assert "frontex_detections" not in G.nodes[ROUTE + "central-mediterranean"]  # Frontex not imported: no figure, not 0
    with pytest.raises(InvalidInput, match="no flows: the workspace has no observations with ckg:citizenship and ckg:refArea;"):
        flows_graph(workspace, "citizenship")


def test_route_flows_without_route_observations_say_what_to_do(store, store_with_flows):
    with pytest.raises(InvalidInput, match="no route flows: .* import Frontex or IOM data first"):
        flows_graph(store_with_flows, "routes")
    with pytest.raises(InvalidInput, match="nor with ckg:route; import evidence first"):
        flows_graph(store)
