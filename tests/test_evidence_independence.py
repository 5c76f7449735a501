"""Every evidence answer holds whatever else the workspace holds.

For every ordered pair of importers (A, B): import A's sample, record every named evidence query
(``graph/queries/evidence-*.rq``, places bound to ones the samples hold), a brief and the flows
and routes views' data; import B; A's part of every answer must be unchanged. A's part is found
by the answer's own naming of its sources: rows whose ``source`` is A, the ``{a}...`` columns of a
query that puts sources side by side (``iomDeadAndMissing`` beside ``frontexDetections``), the
edges whose ``source`` is A and the ``{a}_...`` attributes of a view's nodes. The same check runs
with the real files when they are present, and once more with every description copied into a
second graph (a query must count each observation once however many graphs describe a concept).
"""

from __future__ import annotations

import itertools
import re

import pytest
import rdflib

from crimekg.graph.brief import build_brief, render_brief, run_evidence_query
from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import importer
from crimekg.graph.network import flows_graph
from crimekg.graph.store import Changeset, graph_iri, init_store
from tests.helpers import ROOT, SHARED_DATA

SOURCES = ("glotip", "iom", "frontex", "ctdc", "sherloc")
SAMPLES = {
    "glotip": "glotip-sample.csv", "iom": "iom-2019-sample.csv", "frontex": "frontex-sample.csv",
    "ctdc": "ctdc-sample.csv", "sherloc": "sherloc-sample.csv",
}
EVIDENCE = ROOT / "tests" / "data" / "evidence"
QUERIES = sorted(p.stem for p in (ROOT / "graph" / "queries").glob("evidence-*.rq"))
PLACE = "https://w3id.org/crimekg/place/"
#: Places the samples hold: Nigeria (GLOTIP, CTDC, SHERLOC, Frontex nationals), Italy (GLOTIP,
#: IOM 2025 incidents), Southern Europe (IOM 2019 incidents by region), Western Africa (a region).
PLACES = ("NGA", "ITA", "m49/039", "m49/011")
#: A CTDC table naming flows that GLOTIP's sample names too (Nigeria to Italy, Benin to Nigeria).
CTDC_SHARED = ("yearOfRegistration,gender,ageBroad,citizenship,isForcedLabour,isSexualExploit,CountryOfExploitation\n"
               + "2016,Female,18--20,NG,0.0,1.0,IT\n" * 3 + "2017,Male,9--17,BJ,1.0,0.0,NG\n" * 2)


def _text(query: str) -> str:
    return (ROOT / "graph" / "queries" / f"{query}.rq").read_text(encoding="utf-8")


def _mode(query: str) -> str:
    """How a query names its sources: a ``source`` column, source-prefixed columns, or none."""
    head = _text(query).split("WHERE", 1)[0]
    if "?source" in head:
        return "source"
    if any(f"?{s}" in head for s in SOURCES):
        return "prefixed"
    return "none"


def _answers(store, places=PLACES) -> dict:
    """Every evidence query's rows, briefs and the flows views' data, as plain text."""
    out = {}
    all_places = places
    for q in QUERIES:
        places = all_places if "# param: area" in _text(q) else (None,)
        for place in places:
            bindings = {"area": rdflib.URIRef(PLACE + place)} if place else {}
            out[(q, place)] = [{k: str(v) for k, v in r.items()} for r in run_evidence_query(store, q, **bindings)]
    for place in ("NGA", "ITA"):
        out[("brief", place)] = build_brief(store, country=place)
    for flows in ("citizenship", "routes"):
        try:
            out[("view", flows)] = flows_graph(store, flows)
        except InvalidInput:
            out[("view", flows)] = None
    return out


def _own(key: str, source: str) -> bool:
    """True for a column or attribute named by ``source``: ``iomIncidents``, ``iom_incidents``."""
    return re.match(rf"^{source}(_|[A-Z])", key) is not None


def _others(key: str, source: str) -> bool:
    return any(_own(key, s) for s in SOURCES if s != source)


def _rows_of(query: str, rows: list[dict], source: str) -> list:
    mode = _mode(query)
    if mode == "source":
        return sorted((sorted(r.items()) for r in rows if r.get("source") == source), key=repr)
    if mode == "prefixed":
        part = []
        for r in rows:
            mine = {k: v for k, v in r.items() if _own(k, source)}
            if mine:
                part.append(sorted({k: v for k, v in r.items() if not _others(k, source)}.items()))
        return sorted(part, key=repr)
    if query == "evidence-topic-coverage":  # the vocabulary: a new source adds concepts, never takes one away
        return sorted((r["topic"], r["sources"]) for r in rows)
    return sorted((sorted(r.items()) for r in rows), key=repr)


_BRIEF_FIELDS = {"glotip": ("victims", "shares", "justice", "countries", "citizenships", "destinations"),
                 "iom": ("routes",), "frontex": ("detections",), "sherloc": ("cases", "case_count")}


def _brief_of(b, source: str) -> dict:
    part = {f: getattr(b, f) for f in _BRIEF_FIELDS.get(source, ())}
    part["sources"] = [s for s in b.sources if s["source"] == source]
    # the sections of the rendered brief that name only this source
    md = render_brief(b)
    names = {"glotip": "UNODC GLOTIP", "iom": "IOM Missing Migrants", "frontex": "Frontex", "sherloc": "UNODC SHERLOC"}
    if source in names:
        part["sections"] = [s for s in md.split("\n## ") if s.splitlines()[0].endswith(f"({names[source]})")]
    return part


def _view_of(G, source: str) -> tuple:
    if G is None:
        return (), ()
    edges = sorted((u, v, k, sorted(a.items())) for u, v, k, a in G.edges(keys=True, data=True) if a.get("source") == source)
    ends = {e[0] for e in edges} | {e[1] for e in edges}
    nodes = sorted((n, sorted((k, v) for k, v in a.items() if not _others(k, source)))
                   for n, a in G.nodes(data=True) if n in ends or any(_own(k, source) for k in a))
    return tuple(edges), tuple(nodes)


def _part(answers: dict, source: str) -> dict:
    out = {}
    for (what, arg), value in answers.items():
        if what == "brief":
            out[(what, arg)] = _brief_of(value, source)
        elif what == "view":
            out[(what, arg)] = _view_of(value, source)
        else:
            out[(what, arg)] = _rows_of(what, value, source)
    return out


def _import(store, source: str, path) -> None:
    store.write(importer(source).plan(path, store).changes)


def _check_independent(store, a: str, path_a, b: str, path_b, places=PLACES) -> None:
    _import(store, a, path_a)
    before = _answers(store, places)
    _import(store, b, path_b)
    after = _answers(store, places)
    mine_before, mine_after = _part(before, a), _part(after, a)
    for key in mine_before:
        assert mine_after[key] == mine_before[key], f"{key[0]} ({key[1] or 'no place'}): {a}'s answer changed when {b} was imported"
    concepts = {r["topic"]: set(r.get("concepts", "").split()) for r in before[("evidence-topic-coverage", None)]}
    for r in after[("evidence-topic-coverage", None)]:
        assert concepts[r["topic"]] <= set(r.get("concepts", "").split()), f"{b} took concepts of {a} off topic {r['label']}"


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(SOURCES, 2)))
def test_an_answer_holds_when_another_source_is_imported(workspace, a, b):
    _check_independent(workspace, a, EVIDENCE / SAMPLES[a], b, EVIDENCE / SAMPLES[b])


@pytest.mark.parametrize("order", [("glotip", "ctdc"), ("ctdc", "glotip")])
def test_flows_both_sources_name_stay_apart(workspace, tmp_path, order):
    """GLOTIP and a CTDC table naming the same flows: each source's figures as they were alone."""
    (tmp_path / "ctdc.csv").write_text(CTDC_SHARED, encoding="utf-8")
    paths = {"glotip": EVIDENCE / SAMPLES["glotip"], "ctdc": tmp_path / "ctdc.csv"}
    _check_independent(workspace, order[0], paths[order[0]], order[1], paths[order[1]])
    G = flows_graph(workspace, "citizenship")
    nga_ita = G.get_edge_data(PLACE + "NGA", PLACE + "ITA")
    assert {k: a["count"] for k, a in nga_ita.items()} == {"flow:glotip": 273, "flow:ctdc": 3}
    rows = run_evidence_query(workspace, "evidence-largest-flows")
    flows = {(str(r["source"]), str(r["from"]), str(r["to"])): int(r["count"]) for r in rows if "count" in r}
    assert flows[("glotip", "Sub-Saharan Africa", "Southern Europe")] == 273
    assert flows[("ctdc", "Sub-Saharan Africa", "Southern Europe")] == 3
    assert flows[("ctdc", "Sub-Saharan Africa", "Sub-Saharan Africa")] == 2


def test_every_counting_query_names_source_and_indicator(workspace):
    for source in SOURCES:
        _import(workspace, source, EVIDENCE / SAMPLES[source])
    answers = _answers(workspace)
    counting = [q for q in QUERIES if "ckg:count" in _text(q) or "CaseReference" in _text(q)]
    assert {"evidence-glotip-profile", "evidence-routes-deaths", "evidence-largest-flows", "evidence-cases"} <= set(counting)
    for (q, place), rows in answers.items():
        if q not in counting:
            continue
        assert _mode(q) != "none", f"{q} names no source"
        for r in rows:
            if _mode(q) == "source":
                assert r.get("source") in SOURCES and (r.get("indicator") or r.get("indicatorLabel")), (q, place, r)
            else:  # side by side: every source's figures come with that source's indicator
                for s in SOURCES:
                    if any(_own(k, s) for k in r):
                        assert r.get(f"{s}Indicator"), (q, place, s, r)
    assert any(rows for (q, _), rows in answers.items() if q in counting)
    # a suppressed value is never shown as 0: no count where nothing was published, value <5
    profile = answers[("evidence-glotip-profile", "NGA")] + answers[("evidence-glotip-citizenships", "NGA")]
    suppressed = [r for r in profile if r.get("value") == "<5"]
    assert suppressed and all("count" not in r and r["suppressedCells"] == "1" for r in suppressed)


def test_answers_hold_when_descriptions_are_copied_into_another_graph(workspace):
    """Copies of every concept, place, flow and dataset triple in a second graph change no answer."""
    for source in SOURCES:
        _import(workspace, source, EVIDENCE / SAMPLES[source])
    before = _answers(workspace)
    rows = workspace.select(
        """SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o }
             FILTER NOT EXISTS { GRAPH ?g { ?s a qb:Observation } }
             FILTER NOT EXISTS { GRAPH ?g { ?s a ckg:CaseReference } } }""")
    assert len(rows) > 1000
    cs = Changeset()
    cs.add_triples(graph_iri("test/copies"), [(r["s"], r["p"], r["o"]) for r in rows])
    workspace.write(cs)
    after = _answers(workspace)
    for source in SOURCES:
        assert _part(after, source) == _part(before, source), source
    for key in before:
        if key[0] in QUERIES and _mode(key[0]) == "none":
            assert after[key] == before[key], key


# --- the real files -------------------------------------------------------------------------------

REAL = {
    "glotip": SHARED_DATA / "unodc-glotip" / "data_glotip.csv.gz",
    "ctdc": SHARED_DATA / "ctdc-2020-subset" / "dados_app.csv",
    "iom": SHARED_DATA / "iom-missing-migrants" / "iom_mmp_2014_2025.csv.gz",
    "frontex": SHARED_DATA / "frontex-crossings" / "frontex_ibc_monthly.csv.gz",
}


@pytest.mark.slow
@pytest.mark.parametrize(("a", "b"), [("glotip", "ctdc"), ("iom", "frontex")])
def test_real_answers_hold_when_the_source_sharing_their_concepts_is_imported(tmp_path, a, b):
    """The pairs of real sources that share concepts (flows, sexes, ages; routes), one order each."""
    missing = [str(REAL[s]) for s in (a, b) if not REAL[s].exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found (the shared data sets are not in the repository)")
    store = init_store(tmp_path / "ws")
    try:
        _check_independent(store, a, REAL[a], b, REAL[b], places=("NGA", "ITA"))
    finally:
        store.close()
