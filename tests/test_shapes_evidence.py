"""SHACL shapes of the evidence layer: observations, data sets, flows, case references and places.

Every importer's output on its sample conforms (each alone and all in one workspace), and each shape
refuses a small broken example, through ``crimekg validate`` and through :func:`graph.validate.validate`.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.importers import importer
from crimekg.graph.store import init_store
from crimekg.graph.validate import validate
from tests.helpers import ROOT

DATA = ROOT / "tests" / "data" / "evidence"
SAMPLES = {
    "glotip": "glotip-sample.csv",
    "iom": "iom-2019-sample.csv",
    "frontex": "frontex-sample.csv",
    "ctdc": "ctdc-sample.csv",
    "sherloc": "sherloc-sample.csv",
}
STRUCTURE = "qb:structure"


def _import(store, *sources: str) -> None:
    for name in sources:
        store.write(importer(name).plan(DATA / SAMPLES[name], store).changes)


def _has_structure(store) -> bool:
    return bool(store.select("SELECT ?d WHERE { ?d a qb:DataSet ; qb:structure ?s } LIMIT 1"))


def _problems(report, *, structure: bool) -> list[str]:
    return [str(v) for v in report.violations if structure or v.path != STRUCTURE]


# --- the importers' own output conforms -----------------------------------------------------------

@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_each_sample_import_conforms(workspace, source):
    _import(workspace, source)
    report = validate(workspace)
    # a data set without qb:structure is reported by its own shape, checked in the next tests
    assert _problems(report, structure=False) == []
    counted = workspace.select("SELECT (COUNT(*) AS ?n) WHERE { { ?x a qb:Observation } UNION { ?x a ckg:CaseReference } }")
    assert int(counted[0]["n"]) > 0  # the shapes had something to check


@pytest.fixture(scope="module")
def all_sources(tmp_path_factory):
    store = init_store(tmp_path_factory.mktemp("all") / "ws")
    _import(store, *SAMPLES)
    yield store
    store.close()


def test_all_sources_in_one_workspace_conform(all_sources):
    report = validate(all_sources)
    assert _problems(report, structure=False) == []
    n = all_sources.select(
        "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?o qb:dataSet ?d } "
    )
    assert int(n[0]["n"]) == 5  # the four statistical sources and the session's headline figures


def test_all_sources_have_a_structure(all_sources):
    assert _has_structure(all_sources)
    assert validate(all_sources).conforms, _problems(validate(all_sources), structure=True)


def test_the_structure_shape_names_every_data_set_without_one(all_sources):
    report = validate(all_sources)
    missing = {v.focus for v in report.violations if v.path == STRUCTURE}
    have = {str(r["d"]) for r in all_sources.select("SELECT ?d WHERE { ?d a qb:DataSet ; qb:structure ?s }")}
    every = {str(r["d"]) for r in all_sources.select("SELECT ?d WHERE { ?d a qb:DataSet }")}
    assert len(every) == 5
    assert missing == every - have


# --- broken examples: each shape refuses one --------------------------------------------------------

PREFIXES = """\
@prefix ckg: <https://w3id.org/crimekg/ontology#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix obs: <https://w3id.org/crimekg/data/observation/test/> .
@prefix ds: <https://w3id.org/crimekg/resource/dataset/> .
@prefix ind: <https://w3id.org/crimekg/concept/indicator/> .
@prefix place: <https://w3id.org/crimekg/place/> .
"""

# A well-formed data set with its structure, and an indicator: the broken examples add one fault each.
DATASET = """
ds:test a qb:DataSet , dcat:Dataset ; dct:title "Test data set"@en ; dct:publisher <https://w3id.org/crimekg/agent/unodc> ;
    qb:structure ds:test-structure .
ds:test-structure a qb:DataStructureDefinition ;
    qb:component [ qb:dimension ckg:refArea ] , [ qb:dimension ckg:indicator ] , [ qb:measure ckg:count ] ,
        [ qb:measure ckg:suppressedCount ] , [ qb:attribute ckg:lowerBound ] , [ qb:attribute ckg:upperBound ] ,
        [ qb:attribute ckg:suppressed ] , [ qb:dimension qb:measureType ] .
ind:detected-trafficking-victims a skos:Concept ; skos:prefLabel "detected trafficking victims"@en .
"""

OBS = "https://w3id.org/crimekg/data/observation/test/"
CASE = "https://w3id.org/crimekg/data/case/sherloc/test/nga/2014/x"

BROKEN = {
    "count-many": (
        'obs:a a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ; ckg:count "many" .',
        OBS + "a", "ckg:count", "A count (ckg:count) is one whole number, 0 or more",
    ),
    "count-negative": (
        "obs:a a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ; ckg:count -2 .",
        OBS + "a", "ckg:count", "A count (ckg:count) is one whole number, 0 or more",
    ),
    "count-decimal": (
        "obs:a a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ; ckg:count 2.5 .",
        OBS + "a", "ckg:count", "A count (ckg:count) is one whole number, 0 or more",
    ),
    "lower-above-upper": (
        "obs:b a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;"
        " ckg:suppressed true ; ckg:lowerBound 5 ; ckg:upperBound 4 .",
        OBS + "b", "ckg:lowerBound", "A lower bound (ckg:lowerBound) is one number, such as 1 or 2500000, and not above the upper bound",
    ),
    "bound-not-a-number": (
        'obs:b a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;'
        ' ckg:suppressed true ; ckg:lowerBound 1 ; ckg:upperBound "four" .',
        OBS + "b", "ckg:upperBound", "An upper bound (ckg:upperBound) is one number",
    ),
    "no-dataset": (
        "obs:c a qb:Observation ; ckg:indicator ind:detected-trafficking-victims ; ckg:count 3 .",
        OBS + "c", "qb:dataSet", "An observation needs its one data set (qb:dataSet)",
    ),
    "dataset-not-a-dataset": (
        "obs:c a qb:Observation ; qb:dataSet ds:nowhere ; ckg:indicator ind:detected-trafficking-victims ; ckg:count 3 .",
        OBS + "c", "qb:dataSet", "An observation needs its one data set (qb:dataSet), a qb:DataSet in the graph",
    ),
    "no-indicator": (
        "obs:c a qb:Observation ; qb:dataSet ds:test ; ckg:count 3 .",
        OBS + "c", "ckg:indicator", "An observation needs the one indicator it counts (ckg:indicator)",
    ),
    "suppressed-with-count": (
        "obs:d a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;"
        " ckg:suppressed true ; ckg:count 0 ; ckg:lowerBound 1 ; ckg:upperBound 4 .",
        OBS + "d", "ckg:count", "A suppressed value ('<5') has no count (ckg:count)",
    ),
    "suppressed-without-bounds": (
        "obs:d a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ; ckg:suppressed true .",
        OBS + "d", "ckg:upperBound", "A suppressed value ('<5') needs its upper bound (ckg:upperBound 4)",
    ),
    "suppressed-false": (
        "obs:d a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;"
        " ckg:suppressed false ; ckg:lowerBound 1 ; ckg:upperBound 4 .",
        OBS + "d", "ckg:suppressed", "Write ckg:suppressed once, as true",
    ),
    "measure-type-without-its-value": (
        "obs:e a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;"
        " qb:measureType ckg:count ; ckg:suppressed true ; ckg:lowerBound 1 ; ckg:upperBound 4 .",
        OBS + "e", "qb:measureType", "An observation has a value for the measure that its qb:measureType names",
    ),
    "two-measures": (
        'obs:e a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;'
        ' qb:measureType ckg:count ; ckg:count 26 ; ckg:suppressedCount "<5" .',
        OBS + "e", "ckg:suppressedCount", "An observation with a qb:measureType has a value for that one measure only",
    ),
    "dataset-without-title-and-publisher": (
        "ds:bare a qb:DataSet ; qb:structure ds:test-structure .",
        "https://w3id.org/crimekg/resource/dataset/bare", "dct:publisher", "A data set needs its publisher (dct:publisher)",
    ),
    "dataset-without-title": (
        'ds:bare a qb:DataSet ; qb:structure ds:test-structure ; dct:title " " ; dct:publisher <https://w3id.org/crimekg/agent/unodc> .',
        "https://w3id.org/crimekg/resource/dataset/bare", "dct:title", "A data set needs a title (dct:title)",
    ),
    "dataset-without-structure": (
        'ds:bare a qb:DataSet ; dct:title "Bare"@en ; dct:publisher <https://w3id.org/crimekg/agent/unodc> .',
        "https://w3id.org/crimekg/resource/dataset/bare", "qb:structure", "A data set needs one structure (qb:structure)",
    ),
    "flow-without-origin": (
        '<https://w3id.org/crimekg/data/flow/x--ITA> a ckg:Flow ; ckg:destination place:ITA ; rdfs:label "? to Italy" .',
        "https://w3id.org/crimekg/data/flow/x--ITA", "ckg:origin", "A flow needs one origin (ckg:origin)",
    ),
    "flow-to-text": (
        '<https://w3id.org/crimekg/data/flow/NGA--x> a ckg:Flow ; ckg:origin place:NGA ; ckg:destination "Italy" .',
        "https://w3id.org/crimekg/data/flow/NGA--x", "ckg:destination", "A flow needs one destination (ckg:destination)",
    ),
    "case-without-url": (
        f'<{CASE}> a ckg:CaseReference ; rdfs:label "Attorney General v. X" ; dct:isPartOf ds:test ;'
        " ckg:topic <https://w3id.org/crimekg/concept/topic/criminal-justice-case-information> ; ckg:place place:NGA .",
        CASE, "ckg:caseUrl", "A case reference needs the one web address of its case page (ckg:caseUrl",
    ),
    "case-without-anything": (
        f"<{CASE}> a ckg:CaseReference .",
        CASE, "ckg:place|ckg:localPlace", "A case reference needs where it was tried",
    ),
    "case-in-no-dataset": (
        f'<{CASE}> a ckg:CaseReference ; rdfs:label "Attorney General v. X" ;'
        ' ckg:caseUrl "https://sherloc.unodc.org/cld/case-law-doc/traffickingpersonscrimetype/nga/2014/x.html"^^xsd:anyURI ;'
        " ckg:topic <https://w3id.org/crimekg/concept/topic/criminal-justice-case-information> ; ckg:place place:NGA .",
        CASE, "dct:isPartOf", "A case reference belongs to the data set it was imported from (dct:isPartOf)",
    ),
    "place-with-bad-iso3": (
        'place:jp a ckg:Place , ckg:Country ; rdfs:label "Japan (bad code)"@en ; ckg:iso3 "Jp" .',
        "https://w3id.org/crimekg/place/jp", "ckg:iso3", "An ISO 3166-1 alpha-3 code (ckg:iso3) is three capital letters",
    ),
    "place-with-bad-m49": (
        'place:m49\\/30 a ckg:Place , ckg:Region ; rdfs:label "Eastern Asia (bad code)"@en ; ckg:m49 "30" .',
        "https://w3id.org/crimekg/place/m49/30", "ckg:m49", "A UN M49 code (ckg:m49) is three digits with its leading zeros",
    ),
    "place-without-code": (
        'place:atlantis a ckg:Place ; rdfs:label "Atlantis"@en .',
        "https://w3id.org/crimekg/place/atlantis", "ckg:iso3|ckg:m49", "A place needs a code",
    ),
    "place-without-name": (
        'place:ZZZ a ckg:Place , ckg:Country ; ckg:iso3 "ZZZ" .',
        "https://w3id.org/crimekg/place/ZZZ", "rdfs:label", "A place needs a name (rdfs:label)",
    ),
}


def _write(tmp_path, name: str, body: str):
    path = tmp_path / f"{name}.ttl"
    path.write_text(PREFIXES + DATASET + body + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_example_is_refused(tmp_path, name):
    body, focus, path, message = BROKEN[name]
    file = _write(tmp_path, name, body)
    result = CliRunner().invoke(cli, ["validate", str(file)])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert f"<{focus}> [{path}]: {message}" in result.output
    report = validate(file)
    assert not report.conforms
    hits = [v for v in report.violations if v.focus == focus and v.path == path and message in v.message]
    assert hits, [str(v) for v in report.violations]
    assert all(v.severity == "Violation" for v in hits)


def test_the_well_formed_examples_conform(tmp_path):
    # The same data set with observations as the importers write them today and as the target model
    # writes them (qb:measureType, ckg:suppressedCount), a flow, a case reference and a place.
    body = """
obs:published a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;
    ckg:refArea place:TZA ; ckg:count 26 .
obs:suppressed a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;
    ckg:refArea place:TZA ; ckg:suppressed true ; ckg:lowerBound 1 ; ckg:upperBound 4 .
obs:published-measure a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;
    qb:measureType ckg:count ; ckg:count 0 .
obs:suppressed-measure a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ;
    qb:measureType ckg:suppressedCount ; ckg:suppressedCount "<5" ; ckg:suppressed true ;
    ckg:lowerBound 1 ; ckg:upperBound 4 .
<https://w3id.org/crimekg/data/flow/NGA--ITA> a ckg:Flow ; ckg:origin place:NGA ; ckg:destination place:ITA ;
    rdfs:label "Nigeria to Italy" .
<https://w3id.org/crimekg/data/case/sherloc/test/_irb/undated/x> a ckg:CaseReference ; rdfs:label "Prosecutor v. X" ;
    dct:isPartOf ds:test ; ckg:caseUrl "https://sherloc.unodc.org/cld/case-law-doc/x.html"^^xsd:anyURI ;
    ckg:topic <https://w3id.org/crimekg/concept/topic/criminal-justice-case-information> ;
    ckg:crimeType <https://w3id.org/crimekg/concept/crime/trafficking-in-persons> ;
    ckg:localPlace "international or regional body" .
place:XKX a ckg:Place , ckg:Country ; rdfs:label "Kosovo"@en , "Косово"@ru ; ckg:iso3 "XKX" .
"""
    file = _write(tmp_path, "good", body)
    report = validate(file)
    assert report.conforms, [str(v) for v in report.violations]
    result = CliRunner().invoke(cli, ["validate", str(file)])
    assert result.exit_code == 0 and "Conforms" in result.output


def test_a_broken_observation_in_a_workspace_is_named_by_validate(workspace, tmp_path):
    _import(workspace, "glotip")
    file = _write(tmp_path, "bad", "obs:many a qb:Observation ; qb:dataSet ds:test ; ckg:indicator ind:detected-trafficking-victims ; ckg:count \"many\" .")
    workspace.load([file])
    report = validate(workspace)
    bad = [v for v in report.violations if v.path != STRUCTURE]
    assert [(v.focus, v.path, v.value) for v in bad] == [(OBS + "many", "ckg:count", "many")]
