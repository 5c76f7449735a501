"""The statistical layer is a well-formed RDF Data Cube: the W3C integrity constraints IC-1 to IC-21.

The constraints are written out from the RDF Data Cube specification (section 11, "Well-formed
cubes") as SPARQL ASK queries: true means a violation. As the specification requires, they run on
a normalised cube: the test first adds the closure of its phase 1 and phase 2 rules (component
properties and their types; attributes attached to the data set pushed down to observations) to a
scratch graph. The default graph of a workspace is the union of its graphs, which is what the
constraints assume.

They run on the samples of every importer in one workspace holding all sources and in a
workspace holding one source each, on the headline figures of the session layer (in every
workspace), and on the real GLOTIP export when it is present.

Constraints that do not apply:

- IC-17 (every measure present at each point of a measure-dimension cube) contradicts the agreed
  pattern for suppressed counts: a GLOTIP cell is either published (ckg:count) or suppressed
  (ckg:suppressedCount), never both, and a headline figure is a share or a stated range. It is
  listed, but not asserted (and it compares every pair of observations: hours on 58,000).
- IC-20 and IC-21 are templates for qb:HierarchicalCodeList code lists; crimekg's code lists are
  SKOS concept schemes and collections. They are instantiated for every hierarchical code list
  found (none) and a test checks that they catch a code outside a hierarchy.
- IC-12 as written compares every pair of observations of a data set (quadratic); on the real
  export the same rule runs as a grouping of observations by their dimension values.
"""

from __future__ import annotations

import pytest
import rdflib

from crimekg.graph.importers import importer
from crimekg.graph.store import Changeset, graph_iri, init_store
from tests.helpers import ROOT, SHARED_DATA

DATA = ROOT / "tests" / "data" / "evidence"
SAMPLES = {  # source -> sample (the IOM samples are two vintages of one data set)
    "glotip": "glotip-sample.csv", "iom": "iom-2025-sample.csv", "frontex": "frontex-sample.csv",
    "ctdc": "ctdc-sample.csv", "sherloc": "sherloc-sample.csv",
}
ALONE = [*SAMPLES.items(), ("iom", "iom-2019-sample.csv")]
NORMALISED = graph_iri("test/normalised")

PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

#: The normalisation algorithm of the specification (section 10), as CONSTRUCT queries.
NORMALISATION = [
    # phase 1: type and property closure
    "CONSTRUCT { ?o a qb:Observation } WHERE { [] qb:observation ?o }",
    "CONSTRUCT { ?o a qb:Observation } WHERE { ?o qb:dataSet [] }",
    "CONSTRUCT { ?s a qb:Slice } WHERE { [] qb:slice ?s }",
    "CONSTRUCT { ?cs qb:componentProperty ?p . ?p a qb:DimensionProperty } WHERE { ?cs qb:dimension ?p }",
    "CONSTRUCT { ?cs qb:componentProperty ?p . ?p a qb:MeasureProperty } WHERE { ?cs qb:measure ?p }",
    "CONSTRUCT { ?cs qb:componentProperty ?p . ?p a qb:AttributeProperty } WHERE { ?cs qb:attribute ?p }",
    # phase 2: push down attachment levels
    """CONSTRUCT { ?obs ?comp ?value } WHERE {
         ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:DataSet .
         ?dataset qb:structure [ qb:component ?spec ] ; ?comp ?value .
         ?obs qb:dataSet ?dataset }""",
    """CONSTRUCT { ?obs ?comp ?value } WHERE {
         ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:Slice .
         ?dataset qb:structure [ qb:component ?spec ] ; qb:slice ?slice .
         ?slice ?comp ?value ; qb:observation ?obs }""",
    """CONSTRUCT { ?obs ?comp ?value } WHERE {
         ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:MeasureProperty .
         ?dataset qb:structure [ qb:component ?spec ] .
         ?comp a qb:AttributeProperty .
         ?measure a qb:MeasureProperty ; ?comp ?value .
         ?obs qb:dataSet ?dataset ; ?measure [] }""",
]
#: What the RDF Data Cube vocabulary itself says about its one dimension property.
QB_VOCABULARY = (
    "<http://purl.org/linked-data/cube#measureType> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<http://purl.org/linked-data/cube#DimensionProperty> .\n"
    "<http://purl.org/linked-data/cube#measureType> <http://www.w3.org/2000/01/rdf-schema#range> "
    "<http://purl.org/linked-data/cube#MeasureProperty> .\n"
)

#: IC-1 .. IC-21 (IC-19, IC-20 and IC-21 in two forms each). ``$p`` is the template parameter.
IC = {
    "IC-1 unique data set": """ASK {
        { ?obs a qb:Observation . FILTER NOT EXISTS { ?obs qb:dataSet ?dataset1 } }
        UNION
        { ?obs a qb:Observation ; qb:dataSet ?dataset1, ?dataset2 . FILTER (?dataset1 != ?dataset2) } }""",
    "IC-2 unique DSD": """ASK {
        { ?dataset a qb:DataSet . FILTER NOT EXISTS { ?dataset qb:structure ?dsd } }
        UNION
        { ?dataset a qb:DataSet ; qb:structure ?dsd1, ?dsd2 . FILTER (?dsd1 != ?dsd2) } }""",
    "IC-3 DSD includes measure": """ASK {
        ?dsd a qb:DataStructureDefinition .
        FILTER NOT EXISTS { ?dsd qb:component [ qb:componentProperty [ a qb:MeasureProperty ] ] } }""",
    "IC-4 dimensions have range": """ASK {
        ?dim a qb:DimensionProperty . FILTER NOT EXISTS { ?dim rdfs:range [] } }""",
    "IC-5 concept dimensions have code lists": """ASK {
        ?dim a qb:DimensionProperty ; rdfs:range skos:Concept . FILTER NOT EXISTS { ?dim qb:codeList [] } }""",
    "IC-6 only attributes may be optional": """ASK {
        ?dsd qb:component ?componentSpec .
        ?componentSpec qb:componentRequired "false"^^xsd:boolean ; qb:componentProperty ?component .
        FILTER NOT EXISTS { ?component a qb:AttributeProperty } }""",
    "IC-7 slice keys must be declared": """ASK {
        ?sliceKey a qb:SliceKey . FILTER NOT EXISTS { [ a qb:DataStructureDefinition ] qb:sliceKey ?sliceKey } }""",
    "IC-8 slice keys consistent with DSD": """ASK {
        ?slicekey a qb:SliceKey ; qb:componentProperty ?prop .
        ?dsd qb:sliceKey ?slicekey .
        FILTER NOT EXISTS { ?dsd qb:component [ qb:componentProperty ?prop ] } }""",
    "IC-9 unique slice structure": """ASK {
        { ?slice a qb:Slice . FILTER NOT EXISTS { ?slice qb:sliceStructure ?key } }
        UNION
        { ?slice a qb:Slice ; qb:sliceStructure ?key1, ?key2 . FILTER (?key1 != ?key2) } }""",
    "IC-10 slice dimensions complete": """ASK {
        ?slice qb:sliceStructure [ qb:componentProperty ?dim ] . FILTER NOT EXISTS { ?slice ?dim [] } }""",
    "IC-11 all dimensions required": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty .
        FILTER NOT EXISTS { ?obs ?dim [] } }""",
    "IC-12 no duplicate observations": """ASK {
        FILTER (?allEqual)
        { SELECT (MIN(?equal) AS ?allEqual) WHERE {
            ?obs1 qb:dataSet ?dataset .
            ?obs2 qb:dataSet ?dataset .
            FILTER (?obs1 != ?obs2)
            ?dataset qb:structure/qb:component/qb:componentProperty ?dim .
            ?dim a qb:DimensionProperty .
            ?obs1 ?dim ?value1 .
            ?obs2 ?dim ?value2 .
            BIND (?value1 = ?value2 AS ?equal)
          } GROUP BY ?obs1 ?obs2 } }""",
    "IC-13 required attributes": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component ?component .
        ?component qb:componentRequired "true"^^xsd:boolean ; qb:componentProperty ?attr .
        FILTER NOT EXISTS { ?obs ?attr [] } }""",
    "IC-14 all measures present": """ASK {
        ?obs qb:dataSet/qb:structure ?dsd .
        FILTER NOT EXISTS { ?dsd qb:component/qb:componentProperty qb:measureType }
        ?dsd qb:component/qb:componentProperty ?measure .
        ?measure a qb:MeasureProperty .
        FILTER NOT EXISTS { ?obs ?measure [] } }""",
    "IC-15 measure dimension consistent": """ASK {
        ?obs qb:dataSet/qb:structure ?dsd ; qb:measureType ?measure .
        ?dsd qb:component/qb:componentProperty qb:measureType .
        FILTER NOT EXISTS { ?obs ?measure [] } }""",
    "IC-16 single measure on measure dimension observation": """ASK {
        ?obs qb:dataSet/qb:structure ?dsd ; qb:measureType ?measure ; ?omeasure [] .
        ?dsd qb:component/qb:componentProperty ?omeasure .
        ?omeasure a qb:MeasureProperty .
        FILTER (?omeasure != ?measure) }""",
    "IC-17 all measures present in measures dimension cube": """ASK {
        { SELECT ?numMeasures (COUNT(?obs2) AS ?count) WHERE {
            { SELECT ?dsd (COUNT(?m) AS ?numMeasures) WHERE {
                ?dsd qb:component/qb:componentProperty ?m . ?m a qb:MeasureProperty } GROUP BY ?dsd }
            ?obs1 qb:dataSet/qb:structure ?dsd ; qb:dataSet ?dataset ; qb:measureType ?m1 .
            ?obs2 qb:dataSet ?dataset ; qb:measureType ?m2 .
            FILTER NOT EXISTS {
                ?dsd qb:component/qb:componentProperty ?dim .
                FILTER (?dim != qb:measureType)
                ?dim a qb:DimensionProperty .
                ?obs1 ?dim ?v1 . ?obs2 ?dim ?v2 .
                FILTER (?v1 != ?v2) }
          } GROUP BY ?obs1 ?numMeasures HAVING (?count != ?numMeasures) } }""",
    "IC-18 consistent data set links": """ASK {
        ?dataset qb:slice ?slice . ?slice qb:observation ?obs .
        FILTER NOT EXISTS { ?obs qb:dataSet ?dataset } }""",
    "IC-19 codes from code list (scheme)": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty ; qb:codeList ?list .
        ?list a skos:ConceptScheme .
        ?obs ?dim ?v .
        FILTER NOT EXISTS { ?v a skos:Concept ; skos:inScheme ?list } }""",
    "IC-19 codes from code list (collection)": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty ; qb:codeList ?list .
        ?list a skos:Collection .
        ?obs ?dim ?v .
        FILTER NOT EXISTS { ?v a skos:Concept . ?list skos:member+ ?v } }""",
    "IC-20 codes from hierarchy": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty ; qb:codeList ?list .
        ?list a qb:HierarchicalCodeList ; qb:parentChildProperty $p .
        ?obs ?dim ?v .
        FILTER NOT EXISTS { ?list qb:hierarchyRoot/$p* ?v } }""",
    "IC-21 codes from hierarchy (inverse)": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty ; qb:codeList ?list .
        ?list a qb:HierarchicalCodeList ; qb:parentChildProperty [ owl:inverseOf $p ] .
        ?obs ?dim ?v .
        FILTER NOT EXISTS { ?list qb:hierarchyRoot/(^$p)* ?v } }""",
}
NOT_APPLICABLE = {"IC-17 all measures present in measures dimension cube"}
TEMPLATES = {"IC-20 codes from hierarchy", "IC-21 codes from hierarchy (inverse)"}
QUADRATIC = {"IC-12 no duplicate observations", *NOT_APPLICABLE}


def instances(name: str, ask) -> list[str]:
    """The queries of one constraint: a template gives one per parent-child property in the data."""
    query = IC[name]
    if name not in TEMPLATES:
        return [query]
    found = ask(PREFIXES + "SELECT DISTINCT ?p WHERE { ?l qb:parentChildProperty ?pcp . "
                "OPTIONAL { ?pcp owl:inverseOf ?inv } BIND (COALESCE(?inv, ?pcp) AS ?p) FILTER (isIRI(?p)) }")
    return [query.replace("$p", f"<{p}>") for p in found]


def violated(store, name: str) -> bool:
    """True when constraint ``name`` finds a violation in ``store``'s (normalised) union graph."""

    def ask(q):
        result = store.query(q)
        return bool(result.askAnswer) if result.type == "ASK" else [str(r[0]) for r in result]

    return any(ask(PREFIXES + q) for q in instances(name, ask))


def duplicate_keys(store) -> list[tuple]:
    """IC-12 as a grouping: observations of one data set sharing every dimension value."""
    dsds = store.select("SELECT DISTINCT ?dsd WHERE { ?ds a qb:DataSet ; qb:structure ?dsd }")
    found = []
    for row in dsds:
        dims = [str(r["d"]) for r in store.select(
            "SELECT ?dsd ?d WHERE { ?dsd qb:component/qb:componentProperty ?d . ?d a qb:DimensionProperty }", {"dsd": row["dsd"]})]
        variables = " ".join(f"?v{i}" for i in range(len(dims)))
        pattern = " ".join(f"?obs <{d}> ?v{i} ." for i, d in enumerate(dims))
        found += [tuple(r.values()) for r in store.select(
            f"SELECT ?ds (COUNT(DISTINCT ?obs) AS ?n) WHERE {{ ?ds qb:structure <{row['dsd']}> . ?obs qb:dataSet ?ds . {pattern} }} "
            f"GROUP BY ?ds {variables} HAVING (COUNT(DISTINCT ?obs) > 1)")]
    return found


def normalise(store) -> None:
    """Add the normalisation closure (and the qb vocabulary's measureType) to a scratch graph."""
    changes = Changeset()
    triples = []
    for q in NORMALISATION:
        triples += list(store.construct(PREFIXES + q))
    changes.replace_graph(NORMALISED, triples, QB_VOCABULARY)
    store.write(changes)


def build(path, sources: list[tuple[str, str]]):
    store = init_store(path)
    for source, name in sources:
        plan = importer(source).plan(DATA / name, store)
        store.write(plan.changes)
    normalise(store)
    return store


@pytest.fixture(scope="module")
def every_source(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("cube") / "all", list(SAMPLES.items()))
    yield store
    store.close()


# --- the constraints catch what they are written for ----------------------------------------------

BROKEN = """
@prefix qb: <http://purl.org/linked-data/cube#> . @prefix ex: <urn:ex:> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:dsd a qb:DataStructureDefinition ; qb:component
    [ qb:componentProperty ex:area ] , [ qb:componentProperty ex:sex ] , [ qb:componentProperty ex:mode ] ,
    [ qb:componentProperty qb:measureType ] , [ qb:componentProperty ex:n ] , [ qb:componentProperty ex:low ] ,
    [ qb:componentProperty ex:note ; qb:componentRequired true ] , [ qb:componentProperty ex:year ; qb:componentRequired false ] .
ex:area a qb:DimensionProperty ; rdfs:range skos:Concept ; qb:codeList ex:areas .
ex:sex a qb:DimensionProperty ; rdfs:range skos:Concept ; qb:codeList ex:sexes .
ex:mode a qb:DimensionProperty ; rdfs:range skos:Concept ; qb:codeList ex:modes .
ex:year a qb:DimensionProperty .
qb:measureType a qb:DimensionProperty ; rdfs:range qb:MeasureProperty .
ex:n a qb:MeasureProperty . ex:low a qb:MeasureProperty . ex:note a qb:AttributeProperty .
ex:areas a qb:HierarchicalCodeList ; qb:hierarchyRoot ex:world ; qb:parentChildProperty ex:hasPart .
ex:world ex:hasPart ex:africa . ex:sexes a skos:ConceptScheme . ex:female a skos:Concept ; skos:inScheme ex:sexes .
ex:modes a skos:Collection ; skos:member ex:sea . ex:sea a skos:Concept . ex:land a skos:Concept .
ex:ds a qb:DataSet ; qb:structure ex:dsd , ex:other .
ex:o1 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:africa ; ex:sex ex:female ; ex:mode ex:sea ;
    qb:measureType ex:n ; ex:n 3 ; ex:year 2020 .
ex:o2 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:africa ; ex:sex ex:female ; ex:mode ex:sea ;
    qb:measureType ex:n ; ex:n 4 ; ex:low 1 ; ex:year 2020 .
ex:o3 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:asia ; ex:sex ex:male ; ex:mode ex:land ;
    qb:measureType ex:low ; ex:note "x" .
ex:o4 a qb:Observation .
ex:slice a qb:Slice ; qb:observation ex:o4 . ex:ds qb:slice ex:slice .
ex:key a qb:SliceKey ; qb:componentProperty ex:nothing .
ex:dsd qb:sliceKey ex:key2 . ex:key2 a qb:SliceKey ; qb:componentProperty ex:nothing .
ex:slice2 a qb:Slice ; qb:sliceStructure ex:key2 .
ex:other a qb:DataStructureDefinition ; qb:component [ qb:componentProperty ex:n ] .
ex:empty a qb:DataStructureDefinition ; qb:component [ qb:componentProperty ex:sex ] .
ex:ds2 a qb:DataSet ; qb:structure ex:other . ex:o5 a qb:Observation ; qb:dataSet ex:ds2 .
ex:colour a qb:DimensionProperty ; rdfs:range skos:Concept .
ex:mode qb:codeList ex:modetree .
ex:modetree a qb:HierarchicalCodeList ; qb:hierarchyRoot ex:any ; qb:parentChildProperty [ owl:inverseOf ex:within ] .
ex:sea ex:within ex:any .
"""


class _Memory:
    """A tiny store for the broken example, queried like a workspace."""

    def __init__(self, turtle: str):
        self._g = rdflib.Graph().parse(data=turtle, format="turtle")

    def query(self, q):
        return self._g.query(q)


@pytest.mark.parametrize("name", sorted(set(IC) - NOT_APPLICABLE))
def test_each_constraint_catches_its_violation(name):
    assert violated(_Memory(BROKEN), name)


# --- the samples, all together and one by one; the headline figures in every workspace ---------------

@pytest.mark.parametrize("name", sorted(set(IC) - NOT_APPLICABLE))
def test_every_source_at_once_is_well_formed(every_source, name):
    assert not violated(every_source, name), name


def test_no_duplicate_keys_and_the_cube_is_not_empty(every_source):
    assert duplicate_keys(every_source) == []
    structures = {str(r["ds"]).rsplit("/", 1)[-1] for r in every_source.select(
        "SELECT DISTINCT ?ds WHERE { ?o qb:dataSet ?ds . ?ds qb:structure [ a qb:DataStructureDefinition ] }")}
    assert structures == {"glotip", "iom", "frontex", "ctdc", "headline-figures"}


@pytest.mark.parametrize("source, name", ALONE)
def test_each_source_alone_is_well_formed(tmp_path, source, name):
    store = build(tmp_path / "ws", [(source, name)])
    try:
        bad = [ic for ic in sorted(set(IC) - NOT_APPLICABLE) if violated(store, ic)]
        assert bad == []
        assert duplicate_keys(store) == []
    finally:
        store.close()


REAL = SHARED_DATA / "unodc-glotip" / "data_glotip.xlsx"


@pytest.mark.skipif(not REAL.is_file(), reason="the real GLOTIP export is not in ../shared/data")
def test_the_real_glotip_import_is_well_formed(tmp_path):
    store = init_store(tmp_path / "ws")
    try:
        plan = importer("glotip").plan(REAL, store)
        store.write(plan.changes)
        normalise(store)
        bad = [ic for ic in sorted(set(IC) - QUADRATIC) if violated(store, ic)]
        assert bad == []
        assert duplicate_keys(store) == []  # IC-12, also over the conflicts data set (its row dimension)
        conflicts = store.select("SELECT (COUNT(?o) AS ?n) WHERE { ?o qb:dataSet <https://w3id.org/crimekg/resource/dataset/glotip/conflicts> }")
        assert int(conflicts[0]["n"]) > 0
    finally:
        store.close()


def test_duplicate_keys_are_found_by_the_grouping(tmp_path):
    """The grouped form of IC-12 finds what the pairwise form finds."""
    store = build(tmp_path / "ws", [("glotip", "glotip-sample.csv")])
    try:
        obs = store.select("SELECT ?o WHERE { ?o qb:dataSet <https://w3id.org/crimekg/resource/dataset/glotip> } LIMIT 1")[0]["o"]
        copy = rdflib.URIRef(str(obs) + "/copy")
        triples = [(copy, r["p"], r["v"]) for r in store.select("SELECT ?o ?p ?v WHERE { ?o ?p ?v }", {"o": obs})]
        changes = Changeset()
        changes.add_triples(graph_iri("test/copy"), triples)
        store.write(changes)
        assert len(duplicate_keys(store)) == 1
        assert violated(store, "IC-12 no duplicate observations")
    finally:
        store.close()

