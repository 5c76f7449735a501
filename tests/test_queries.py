"""Every named query in graph/queries parses, runs on the example session and returns its expected answer.

The expected answers were read off examples/example-session.ttl by hand (which factor carries which
category, crime, place; which link joins which factors).
"""

from __future__ import annotations

import re
from collections import Counter

import pyoxigraph as ox
import pytest

from crimekg.graph.analysis import run_analysis
from crimekg.graph.query import PARAM_TYPES, named_queries, run_query
from crimekg.graph.store import init_store
from tests.helpers import ROOT

EXAMPLE = ROOT / "examples" / "example-session.ttl"
QUERIES = named_queries()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    store = init_store(tmp_path_factory.mktemp("queries") / "ws")
    store.load([EXAMPLE], "contributions/example-2026")
    yield store
    store.close()


def slugs(result, column="factor"):
    i = result.variables.index(column)
    return {row[i].value.rsplit("/", 1)[-1] for row in result.rows if row[i] is not None}


def column(result, name):
    return [r[name] for r in result.records()]


def split(value):
    return set(value.split(", ")) if value else set()


def test_there_are_at_least_twenty_named_queries():
    assert len(QUERIES) >= 20


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_is_well_formed(name):
    q = QUERIES[name]
    first = q.text.splitlines()[0]
    assert first.startswith("# ") and len(first) > 10, "the first line is a one-line description"
    assert q.description == first[2:].strip()
    for p in q.params:
        assert p.type in PARAM_TYPES and p.description
        # a named query projects each parameter, so its column shows the value it was given
        head = q.text.split("WHERE", 1)[0]
        assert f"?{p.name}" in head, f"?{p.name} must be projected to be bound"
    # PREFIXes are declared in the file: the query parses with no predeclared prefix at all
    ox.Store().query(q.text)


# name -> (parameters, check(result))
EXPECTED = {
    "factors-by-category": (
        {"category": "impunity"},
        lambda r: slugs(r) == {"corruption-of-officials", "poor-cross-border-cooperation", "low-priority-and-capacity",
                               "proceeds-rarely-confiscated", "rare-convictions", "weak-victim-protection"}
        and r.records()[0]["contributions"] == 5 and slugs(r, "category") == {"impunity"},
    ),
    "factors-by-crime": (
        {"crime": "TIP"},  # an alternative label of trafficking in persons
        lambda r: len(r.rows) == 23 and "armed-conflict-and-displacement" in slugs(r) and "smuggling-fees-and-package-deals" not in slugs(r),
    ),
    "factors-by-actor": (
        {"actor": "smugglers"},
        lambda r: len(r.rows) == 12 and "porous-borders" in slugs(r) and "debt-bondage-schemes" not in slugs(r),
    ),
    "factors-by-level": (
        {"level": "Regional"},
        lambda r: len(r.rows) == 13 and "armed-conflict-and-displacement" in slugs(r) and "legal-business-fronts" not in slugs(r),
    ),
    "factors-by-place": (
        {"place": "Western Africa"},
        lambda r: slugs(r) == {"cash-and-informal-value-transfer", "corruption-of-officials", "debt-bondage-schemes",
                               "poverty-and-unemployment", "proceeds-rarely-confiscated", "poor-cross-border-cooperation",
                               "fraudulent-documents-supply", "limited-labour-inspection"}
        and slugs(r, "place") == {"011"},
    ),
    "factors-in-several-categories": (
        None,
        lambda r: slugs(r) == {"corruption-of-officials", "cash-and-informal-value-transfer", "fraudulent-documents-supply",
                               "unregulated-recruitment-brokers"}
        and split(r.records()[0]["categories"]) == {"enabling", "concealment", "impunity"},
    ),
    "factors-shared-by-both-crimes": (
        None,
        lambda r: len(r.rows) == 11 and {"corruption-of-officials", "porous-borders", "rare-convictions"} <= slugs(r)
        and "debt-bondage-schemes" not in slugs(r),
    ),
    "factors-by-reach": (
        None,
        lambda r: len(r.rows) == 25 and r.records()[0]["factor"].endswith("/poor-cross-border-cooperation")
        and (r.records()[0]["countries"], r.records()[0]["regions"]) == (6, 4)
        and split(r.records()[0]["iso3"]) == {"NGA", "ITA", "LBY", "NER", "UKR", "POL"},
    ),
    "enabling-paths-to-impunity": (
        None,
        lambda r: len(r.rows) == 23
        and {"from": "Corruption of border, police and port officials", "via1": None, "via2": None,
             "to": "Rare convictions and short sentences", "toCategory": "impunity", "hops": 1} in r.records()
        and {"from": "Poverty and lack of decent work in communities of origin", "via1": "Deceptive job offers on social media",
             "via2": None, "to": "Debt bondage through inflated travel and recruitment debts", "toCategory": "profiting", "hops": 2} in r.records()
        and Counter(column(r, "hops")) == Counter({1: 7, 2: 6, 3: 10}),
    ),
    "concealment-without-response": (
        None,
        lambda r: slugs(r) == {"exploitation-in-isolated-workplaces", "legal-business-fronts", "online-and-encrypted-communication",
                               "fraudulent-documents-supply", "limited-labour-inspection"},
    ),
    "factors-without-response": (
        {"category": "concealment"},
        lambda r: len(r.rows) == 5 and "victims-fear-of-authorities" not in slugs(r),
    ),
    "responses": (
        None,
        lambda r: len(r.rows) == 5
        and any(x["label"].startswith("Rotation of officers") and x["addresses"] == "Corruption of border, police and port officials" for x in r.records()),
    ),
    "data-sources-by-topic": (
        {"topic": "migrant-smuggling-routes"},
        lambda r: slugs(r, "source") == {"iom-missing-migrants", "migration-authority-monthly-statistics"}
        and {x["updated"] for x in r.records()} == {"Continuous", "Monthly"},
    ),
    "topics-without-data-source": (
        None,
        lambda r: slugs(r, "topic") == {"estimating-non-detected-trafficking", "trafficking-in-armed-conflict",
                                        "migrant-smuggling-methodology", "smugglers", "cross-border-data-sharing"}
        and all(x["gaps"] == 1 for x in r.records()),
    ),
    "information-gaps": (
        None,
        lambda r: len(r.rows) == 5 and {x["label"]: split(x["places"]) for x in r.records()}[
            "Outcomes of cases referred to other countries are not known"] == {"NGA", "ITA"},
    ),
    "contributions-for-place": (
        {"place": "NGA"},
        lambda r: slugs(r, "contribution") == {"1-01", "1-10", "2-01", "2a-01", "2b-01", "2d-03", "2d-13"},
    ),
    "contribution-counts": (
        None,
        lambda r: len(r.rows) == 24 and sum(column(r, "contributions")) == 76
        and {"session": "https://w3id.org/crimekg/session/example-2026", "question": "2d", "group": "Group A",
             "contributions": 6, "participants": 4} in r.records(),
    ),
    "checklist-for-country": (
        {"place": "ITA"},
        lambda r: set(column(r, "item")) == {1, 2, 3, 4, 5, 6}
        and ("participants", "Source: IOM Missing Migrants Project") in {(x["layer"], x["answer"]) for x in r.records() if x["item"] == 4}
        and {x["answer"] for x in r.records() if x["item"] == 6} == {
            "Response: Joint investigation teams with destination-country prosecutors",
            "Response: Shelter with legal support for victims through the trial"}
        and "evidence" not in column(r, "layer"),  # nothing imported yet
    ),
    "patterns-by-crime": (
        {"crime": "smuggling-of-migrants"},
        lambda r: slugs(r, "pattern") == {"northbound-smuggling-through-mexico", "central-mediterranean-smuggling"},
    ),
    "factor-links": (
        None,
        lambda r: len(r.rows) == 26
        and {(x["from"], x["relation"], x["to"]) for x in r.records()} >= {
            ("Rare convictions and short sentences", "reinforces", "Corruption of border, police and port officials"),
            ("Weak victim and witness protection", "causes", "Rare convictions and short sentences")},
    ),
    "links-of-factor": (
        {"factor": "Rare convictions and short sentences"},
        lambda r: Counter(column(r, "direction")) == Counter({"outgoing": 1, "incoming": 4}),
    ),
    "factor-evidence": (
        {"factor": "Bribery at checkpoints"},  # an alternative label of corruption-of-officials
        lambda r: len(r.rows) == 5 and slugs(r) == {"corruption-of-officials"} and "2a-06" in slugs(r, "contribution"),
    ),
    "links-between-categories": (
        None,
        lambda r: {"fromCategory": "enabling", "toCategory": "profiting", "relation": "enables", "links": 4} in r.records(),
    ),
    "factors-by-subject": (
        {"subject": "debt-bondage"},
        lambda r: slugs(r, "item") == {"debt-bondage-schemes", "unregulated-recruitment-brokers", "forced-labour-on-fishing-boats",
                                       "edo-state-to-italy-sexual-exploitation"},
    ),
    "sessions": (
        None,
        lambda r: r.records() == [{"session": "https://w3id.org/crimekg/session/example-2026", "title": "Global trends workshop (example)",
                                   "date": "2026-03-17", "place": "Japan", "participants": 16, "contributions": 76}],
    ),
    "questions": (
        None,
        lambda r: [(x["question"], x["contributions"]) for x in r.records()] == [("1", 11), ("2", 7), ("2a", 17), ("2b", 12), ("2c", 15), ("2d", 14)],
    ),
    "headline-figures": (
        None,
        lambda r: len(r.rows) == 8 and {x["figure"]: x["share"] for x in r.records()}[
            "Share of detected victims of trafficking who were women, 2016"] == 0.49,
    ),
    "data-sources-by-level": (
        {"level": "national"},
        lambda r: len(r.rows) == 4 and "iom-missing-migrants" not in slugs(r, "source"),
    ),
    "analysis-scores": (
        None,
        lambda r: r.rows == [],  # nothing analysed yet; see test_analysis_scores_after_analyze
    ),
    "factors-search": (
        {"text": "DEBT"},
        lambda r: slugs(r) == {"debt-bondage-schemes"},
    ),
}


def test_every_named_query_has_an_expected_answer():
    """Queries of the analyst library are checked here; others (e.g. the evidence layer's) in their own tests."""
    assert set(EXPECTED) <= set(QUERIES)
    others = "".join(f.read_text(encoding="utf-8") for f in (ROOT / "tests").glob("test_*.py") if f.name != "test_queries.py")
    untested = [name for name in QUERIES if name not in EXPECTED and name not in others]
    assert untested == [], "named queries without a test of their answer"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_named_query_returns_its_expected_answer(example, name):
    params, check = EXPECTED[name]
    result = run_query(example, QUERIES[name], params)
    assert check(result), result.serialize("table")


def test_optional_parameter_left_out_means_any(example):
    every = run_query(example, QUERIES["factors-by-category"])
    assert len(slugs(every)) == 25
    by_category = Counter(c.rsplit("/", 1)[-1] for c in column(every, "category"))
    assert by_category == Counter({"enabling": 9, "profiting": 7, "concealment": 8, "impunity": 6})


@pytest.mark.parametrize("value", ["NGA", "ng", "Nigeria", "Federal Republic of Nigeria", "566", "place:NGA", "<https://w3id.org/crimekg/place/NGA>"])
def test_a_place_is_found_by_code_label_or_iri(example, value):
    result = run_query(example, QUERIES["factors-by-place"], {"place": value})
    assert slugs(result) == {"debt-bondage-schemes", "poverty-and-unemployment", "poor-cross-border-cooperation"}


def test_analysis_scores_after_analyze(example):
    run_analysis(example, "centrality", write=True)
    result = run_query(example, QUERIES["analysis-scores"], {"method": "pagerank"})
    assert len(result.rows) == 25
    assert result.records()[0]["factor"].endswith("/corruption-of-officials")
    assert re.match(r"\d{4}-\d{2}-\d{2}$", result.records()[0]["date"])


# -- query shapes: rewrites for speed give the answers, in the order, of the plain shapes -----------


def test_a_factor_is_found_by_slug_prefixed_slug_iri_or_label(example):
    """A factor named exactly (slug, factor:slug, IRI) is looked up directly; the answer is the label's."""
    by_label = run_query(example, QUERIES["links-of-factor"], {"factor": "Rare convictions and short sentences"}).rows
    assert len(by_label) == 5
    for word in ("rare-convictions", "factor:rare-convictions", "<https://w3id.org/crimekg/data/factor/rare-convictions>"):
        assert run_query(example, QUERIES["links-of-factor"], {"factor": word}).rows == by_label, word


TRICKY = """@prefix ckg: <https://w3id.org/crimekg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix f: <https://w3id.org/crimekg/data/factor/> .
@prefix c: <https://w3id.org/crimekg/concept/category/> .
@prefix r: <https://w3id.org/crimekg/concept/relation/> .
"""
LABELS = ['"Debt"', '"Debt"@en', '"Debt bondage"', '"debt"@en', '"Ägypten-Route"@de', '"国境管理の脆弱さ"@ja',
          '"Коррумпированные пограничники"@ru', '"الاتجار بالأشخاص"@ar', '"การค้ามนุษย์"@th', '"贩运人口"@zh',
          '"Corrupción en los pasos fronterizos"@es', '"Zeta"', '"a long label that is well over sixteen bytes"',
          '"a long label that is well over sixteen bytes"@en']
OLD_SHAPES = {
    "factors-without-response": """SELECT ?category ?factor ?label WHERE {
  ?factor a ckg:Factor ; ckg:category ?category ; skos:prefLabel ?label .
  MINUS { ?response a ckg:Response ; ckg:addresses ?factor } } ORDER BY ?category ?label""",
    "factors-by-category": """SELECT ?category ?factor ?label (COUNT(DISTINCT ?c) AS ?contributions) WHERE {
  ?factor a ckg:Factor ; skos:prefLabel ?label ; ckg:category ?category .
  OPTIONAL { ?factor prov:wasDerivedFrom ?c . ?c a ckg:Contribution } }
GROUP BY ?category ?factor ?label ORDER BY ?category DESC(?contributions) ?label""",
    "factor-links": """SELECT ?from ?relation ?to ?polarity ?strength ?evidence WHERE {
  ?link a ckg:FactorLink ; ckg:fromFactor ?f ; ckg:toFactor ?t .
  ?f skos:prefLabel ?from . ?t skos:prefLabel ?to .
  OPTIONAL { ?link ckg:relation/skos:prefLabel ?r . FILTER(LANG(?r) = "en" || LANG(?r) = "") BIND(LCASE(STR(?r)) AS ?relation) }
  OPTIONAL { ?link ckg:polarity/skos:prefLabel ?p . FILTER(LANG(?p) = "en" || LANG(?p) = "") BIND(LCASE(STR(?p)) AS ?polarity) }
  OPTIONAL { ?link ckg:strength ?strength }
  OPTIONAL { ?link ckg:evidence ?evidence } } ORDER BY ?from ?to""",
    "links-between-categories": """SELECT ?fromCategory ?toCategory ?relation (COUNT(DISTINCT ?link) AS ?links) WHERE {
  ?link a ckg:FactorLink ; ckg:fromFactor ?f ; ckg:toFactor ?t .
  ?f ckg:category/skos:prefLabel ?fc . ?t ckg:category/skos:prefLabel ?tc .
  FILTER(LANG(?fc) = "en" || LANG(?fc) = "") FILTER(LANG(?tc) = "en" || LANG(?tc) = "")
  OPTIONAL { ?link ckg:relation/skos:prefLabel ?r FILTER(LANG(?r) = "en" || LANG(?r) = "") }
  BIND(LCASE(STR(?fc)) AS ?fromCategory) BIND(LCASE(STR(?tc)) AS ?toCategory)
  BIND(COALESCE(LCASE(STR(?r)), "linked") AS ?relation) }
GROUP BY ?fromCategory ?toCategory ?relation ORDER BY DESC(?links) ?fromCategory ?toCategory ?relation""",
    "factors-in-several-categories": """SELECT ?factor ?label (COUNT(DISTINCT ?category) AS ?n) (GROUP_CONCAT(DISTINCT ?cat; SEPARATOR=", ") AS ?categories)
WHERE { ?factor a ckg:Factor ; skos:prefLabel ?label ; ckg:category ?category .
  BIND(STRAFTER(STR(?category), "/category/") AS ?cat) }
GROUP BY ?factor ?label HAVING (COUNT(DISTINCT ?category) > 1) ORDER BY DESC(?n) ?label""",
}


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    """Factors whose labels sort in awkward ways (the same text plain and tagged, prefixes, six scripts),
    some of their triples held twice (in a second graph), with links, categories and contributions."""
    d = tmp_path_factory.mktemp("tricky")
    a, b = [TRICKY], [TRICKY]
    cats = ["enabling", "profiting", "concealment", "impunity"]
    for i, label in enumerate(LABELS):
        a.append(f"f:t{i} a ckg:Factor ; skos:prefLabel {label} ; ckg:category c:{cats[i % 4]} .")
        if i % 3 == 0:
            a.append(f"f:t{i} ckg:category c:{cats[(i + 1) % 4]} .")
            b.append(f"f:t{i} a ckg:Factor ; skos:prefLabel {label} ; ckg:category c:{cats[i % 4]} .")
        for k in range(i % 3):
            c = f"<https://w3id.org/crimekg/data/contribution/x/{i}-{k}>"
            a.append(f"f:t{i} prov:wasDerivedFrom {c} . {c} a ckg:Contribution .")
        link = f"<https://w3id.org/crimekg/data/link/t{i}>"
        a.append(f"{link} a ckg:FactorLink ; ckg:fromFactor f:t{i} ; ckg:toFactor f:t{(i * 5 + 3) % len(LABELS)} ; "
                 f"ckg:relation r:{'enables' if i % 2 else 'conceals'} ; ckg:strength {i % 4} .")
        if i % 4 == 0:
            a.append(f"<https://w3id.org/crimekg/data/response/t{i}> a ckg:Response ; rdfs:label \"Response {i}\" ; ckg:addresses f:t{i} .")
            b.append(f"{link} a ckg:FactorLink ; ckg:fromFactor f:t{i} .")
    (d / "a.ttl").write_text("\n".join(a), encoding="utf-8")
    (d / "b.ttl").write_text("\n".join(b), encoding="utf-8")
    store = init_store(d / "ws")
    store.load([d / "a.ttl"], "contributions/tricky-a")
    store.load([d / "b.ttl"], "contributions/tricky-b")
    yield store
    store.close()


@pytest.mark.parametrize("name", sorted(OLD_SHAPES))
def test_rewritten_shapes_answer_as_the_plain_ones(tricky, name):
    """The same rows in the same order as the plain shape, however the labels sort and whatever is held twice."""
    from crimekg.graph.store import PREFIXES

    raw = tricky.oxigraph
    old = [tuple(r) for r in raw.query(OLD_SHAPES[name], prefixes=PREFIXES, use_default_graph_as_union=True)]
    new = run_query(tricky, QUERIES[name]).rows
    assert len(old) >= 4
    assert [tuple(map(str, r)) for r in new] == [tuple(map(str, r)) for r in old]


def test_checklist_evidence_items_are_the_observations_of_the_place_and_within(tmp_path):
    """The checklist finds the places within a region once, for every item; its evidence item still
    names each source and indicator observed in the region's countries, and nothing else."""
    from crimekg.graph.importers import glotip, iom
    from crimekg.graph.store import PREFIXES
    from tests.helpers import EVIDENCE_DATA

    store = init_store(tmp_path / "ws")
    try:
        store.load([EXAMPLE], "contributions/example-2026")
        for mod, name in ((glotip, "glotip-sample.csv"), (iom, "iom-2025-sample.csv")):
            store.write(mod.plan(EVIDENCE_DATA / name, store).changes)
        for place in ("Western Africa", "NGA"):
            result = run_query(store, QUERIES["checklist-for-country"], {"place": place})
            shown = {x["answer"] for x in result.records() if x["layer"] == "evidence"}
            target = result.records()[0]["place"]
            rows = store.oxigraph.query(f"""SELECT DISTINCT ?ind ?ds WHERE {{
                ?o a qb:Observation ; ckg:refArea ?a ; qb:dataSet ?ds ; ckg:indicator ?ind . ?a skos:broader* <{target}> }}""",
                                        prefixes=PREFIXES, use_default_graph_as_union=True)
            expected = set()
            for ind, ds in rows:
                labels = [r[0].value for r in store.oxigraph.query(
                    f'SELECT ?l WHERE {{ <{ind.value}> skos:prefLabel ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") }}', prefixes=PREFIXES,
                    use_default_graph_as_union=True)] or [ind.value]
                expected |= {f"Observations: {label} ({ds.value.split('/dataset/', 1)[1]})" for label in labels}
            assert expected and shown == expected, place
            assert {x["item"] for x in result.records()} == {1, 2, 3, 4, 5, 6}
    finally:
        store.close()
