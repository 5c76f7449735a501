"""The bundled example session and the places file it points at: shape, counts and references.

The example is what ``crimekg demo`` loads and what the docs show, so these tests pin down that it
stays rich enough to be worth showing (every category, both crimes, several regions, a factor network
with a chain, a loop and an unanswered concealment factor) and that every IRI it uses resolves.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, RDFS, SKOS, Literal, Namespace, URIRef

from crimekg import ontology

CKG = Namespace(ontology.CKG)
# plain Namespaces: rdflib's closed DCAT/PROV objects warn when pytest inspects module globals
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
CONCEPT = ontology.CONCEPT
PLACE = ontology.PLACE
M49 = Namespace(PLACE + "m49/")
WORLD = M49["001"]

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "example-session.ttl"
EXAMPLES_README = HERE.parent / "examples" / "README.md"
MAKE_PLACES = HERE / "tools" / "make_places.py"
SHARED_DATA = HERE.parent.parent / "shared" / "data"
CTDC_DICTIONARY = SHARED_DATA / "ctdc-codebooks" / "CTDC Global K-anon Dataset DATA DICTIONARY version 20210825.xlsx"
GLOTIP_CSV = SHARED_DATA / "unodc-glotip" / "data_glotip.csv.gz"

SESSION = URIRef(ontology.SESSION + "example-2026")
QUESTION = ontology.COURSE + "unafei-172/session-1/question/"
CATEGORY_OF_QUESTION = {
    URIRef(QUESTION + q): URIRef(CONCEPT + "category/" + c)
    for q, c in {"2a": "enabling", "2b": "profiting", "2c": "concealment", "2d": "impunity"}.items()
}
TIP = URIRef(CONCEPT + "crime/trafficking-in-persons")
SOM = URIRef(CONCEPT + "crime/smuggling-of-migrants")

#: Region and subregion names exactly as the UNODC GLOTIP export writes them (columns Region, Subregion).
GLOTIP_REGIONS = ["Africa", "Americas", "Asia", "Europe", "Oceania"]
GLOTIP_SUBREGIONS = [
    "Northern Africa",
    "Sub-Saharan Africa",
    "Latin America and the Caribbean",
    "Northern America",
    "Central Asia",
    "Eastern Asia",
    "South-eastern Asia",
    "Southern Asia",
    "Western Asia",
    "Eastern Europe",
    "Northern Europe",
    "Southern Europe",
    "Western Europe",
    "Australia and New Zealand",
    "Melanesia",
    "Micronesia",
    "Polynesia",
]


def _bundled(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology.path(name).read_text(encoding="utf-8"), format="turtle")


def _bundled_or_skip(name: str) -> rdflib.Graph:
    if not ontology.path(name).is_file():
        pytest.skip(f"ontology/{name} is not written yet")
    return _bundled(name)


@pytest.fixture(scope="module")
def ex() -> rdflib.Graph:
    return rdflib.Graph().parse(EXAMPLE, format="turtle")


@pytest.fixture(scope="module")
def places() -> rdflib.Graph:
    return _bundled("places.ttl")


def _of_type(g: rdflib.Graph, cls) -> set:
    return set(g.subjects(RDF.type, cls))


def _contributions(ex, **where) -> set:
    found = _of_type(ex, CKG.Contribution)
    for prop, value in where.items():
        found = {c for c in found if (c, CKG[prop], value) in ex}
    return found


def _ancestors(places, node) -> set:
    return set(places.transitive_objects(node, SKOS.broader)) - {node}


def _level(places, region) -> int:
    """Depth of an M49 region: World 0, regions 1, subregions 2, intermediate regions 3."""
    depth, node = 0, region
    while node != WORLD:
        parents = list(places.objects(node, SKOS.broader))
        assert len(parents) == 1, f"{region}: region with {len(parents)} parents"
        node, depth = parents[0], depth + 1
    return depth


# ---------------------------------------------------------------- the example session


def test_example_session_is_a_session_following_the_plan(ex):
    assert (SESSION, RDF.type, CKG.Session) in ex
    assert (SESSION, CKG.followsPlan, URIRef(ontology.COURSE + "unafei-172/session-1")) in ex
    assert str(ex.value(SESSION, DCTERMS.title)).strip()
    assert ex.value(SESSION, DCTERMS.date).datatype == rdflib.XSD.date


def test_example_has_enough_contributions_in_every_category(ex):
    assert len(_contributions(ex)) >= 48
    for question, category in CATEGORY_OF_QUESTION.items():
        assert len(_contributions(ex, category=category)) >= 8, category
    assert _contributions(ex, crimeType=TIP) and _contributions(ex, crimeType=SOM)
    levels = {o for c in _contributions(ex) for o in ex.objects(c, CKG.level)}
    assert levels == {URIRef(CONCEPT + "level/" + name) for name in ("local", "national", "regional")}


def test_every_contribution_has_its_provenance(ex):
    for c in _contributions(ex):
        assert str(ex.value(c, CKG.text) or "").strip(), c
        assert ex.value(c, CKG.kind) in {CKG.Factor, CKG.Pattern, CKG.DataSource, CKG.InformationGap, CKG.Response}, c
        assert (c, PROV.wasGeneratedBy, SESSION) in ex, c
        assert ex.value(c, CKG.question) is not None, c
        assert ex.value(c, PROV.wasAttributedTo) is not None, c
        assert re.fullmatch(r"Group [A-D]", str(ex.value(c, CKG.group))), c
        assert ex.value(c, PROV.generatedAtTime).datatype == rdflib.XSD.dateTime, c
        assert str(c).startswith(ontology.DATA + "contribution/example-2026/"), c


def test_contributions_to_questions_2a_to_2d_carry_their_category(ex):
    for c in _contributions(ex):
        question = ex.value(c, CKG.question)
        categories = set(ex.objects(c, CKG.category))
        if question in CATEGORY_OF_QUESTION:
            assert categories == {CATEGORY_OF_QUESTION[question]}, c
        else:
            assert not categories, f"{c}: a category on an answer to {question}"


def test_contributions_come_from_eight_countries_in_four_regions(ex, places):
    used = {p for c in _contributions(ex) for p in ex.objects(c, CKG.place)}
    countries = {p for p in used if (p, RDF.type, CKG.Country) in places}
    assert len(countries) >= 8
    regions = {r for p in countries for r in _ancestors(places, p) if _level(places, r) == 1}
    assert len(regions) >= 4, regions


def test_participants_have_a_code_and_no_name(ex):
    participants = {ex.value(c, PROV.wasAttributedTo) for c in _contributions(ex)}
    assert len(participants) >= 8
    for p in participants:
        assert (p, RDF.type, CKG.Participant) in ex, p
        codes = list(ex.objects(p, CKG.contributorCode))
        assert len(codes) == 1 and re.fullmatch(r"P\d{2}", str(codes[0])), p
        # nothing but the type and the code: no name, label, mail or role can leak through
        assert set(ex.predicates(p, None)) == {RDF.type, CKG.contributorCode}, p
        assert str(p) == ontology.DATA + f"participant/example-2026/{codes[0]}"


def test_user_literals_are_plain(ex):
    tagged = [(s, p, o) for s, p, o in ex if isinstance(o, Literal) and o.language]
    assert not tagged, tagged[:3]


def test_every_factor_has_a_category_and_contributions_behind_it(ex):
    factors = _of_type(ex, CKG.Factor)
    assert 20 <= len(factors) <= 25
    for f in factors:
        assert set(ex.objects(f, CKG.category)), f
        assert ex.value(f, SKOS.prefLabel) is not None, f
        sources = set(ex.objects(f, PROV.wasDerivedFrom))
        assert sources and all((s, RDF.type, CKG.Contribution) in ex for s in sources), f
        assert all(ex.value(s, CKG.kind) == CKG.Factor for s in sources), f
        # a factor's categories are those of the questions its contributions answered
        assert set(ex.objects(f, CKG.category)) == {ex.value(s, CKG.category) for s in sources}, f
    assert sum(1 for f in factors if len(set(ex.objects(f, CKG.category))) >= 3) >= 1


@pytest.mark.parametrize(
    "cls, minimum",
    [("FactorLink", 14), ("Pattern", 4), ("DataSource", 5), ("InformationGap", 4), ("Response", 3)],
)
def test_derived_items_are_counted_and_traced_to_contributions(ex, cls, minimum):
    items = _of_type(ex, CKG[cls])
    assert len(items) >= minimum
    expected_kind = CKG.Factor if cls == "FactorLink" else CKG[cls]
    for item in items:
        sources = set(ex.objects(item, PROV.wasDerivedFrom))
        assert sources, item
        assert all(ex.value(s, CKG.kind) == expected_kind for s in sources), item


def test_data_sources_describe_how_information_moves(ex):
    for s in _of_type(ex, CKG.DataSource):
        for prop in ("level", "owner", "collectionMethod", "sharingArrangement", "updateFrequency", "access"):
            assert ex.value(s, CKG[prop]) is not None, (s, prop)
        assert set(ex.objects(s, DCAT.theme)), s


def test_links_join_factors_of_the_example(ex):
    factors = _of_type(ex, CKG.Factor)
    for link in _of_type(ex, CKG.FactorLink):
        start, end = ex.value(link, CKG.fromFactor), ex.value(link, CKG.toFactor)
        relation = ex.value(link, CKG.relation)
        assert start in factors and end in factors and start != end, link
        slug = lambda iri: str(iri).rsplit("/", 1)[1]  # noqa: E731
        assert str(link) == ontology.DATA + f"link/{slug(start)}--{slug(relation)}--{slug(end)}"
        assert ex.value(link, CKG.polarity) is not None, link
        strength = ex.value(link, CKG.strength)
        assert strength is None or 0 <= strength.toPython() <= 1, link
        assert (link, PROV.wasGeneratedBy, SESSION) in ex, link


def _network(ex) -> dict:
    edges = defaultdict(set)
    for link in _of_type(ex, CKG.FactorLink):
        edges[ex.value(link, CKG.fromFactor)].add(ex.value(link, CKG.toFactor))
    return dict(edges)


def _reachable(edges, start) -> set:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), set()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_network_has_a_chain_from_enabling_through_profiting_to_impunity(ex):
    edges = _network(ex)
    cat = lambda c: URIRef(CONCEPT + "category/" + c)  # noqa: E731
    in_cat = lambda f, c: (f, CKG.category, cat(c)) in ex  # noqa: E731
    chains = [
        (a, b, c)
        for a in edges
        if in_cat(a, "enabling")
        for b in edges[a]
        if in_cat(b, "profiting")
        for c in _reachable(edges, b)
        if in_cat(c, "impunity")
    ]
    assert chains


def test_network_has_a_feedback_loop_through_corruption_and_impunity(ex):
    edges = _network(ex)
    corruption = URIRef(ontology.DATA + "factor/corruption-of-officials")
    assert corruption in _reachable(edges, corruption)
    impunity = URIRef(CONCEPT + "category/impunity")
    loop = {f for f in edges.get(corruption, set()) if corruption in _reachable(edges, f)}
    assert any((f, CKG.category, impunity) in ex for f in loop)


def test_some_factors_span_both_crimes_and_a_concealment_factor_has_no_response(ex):
    factors = _of_type(ex, CKG.Factor)
    assert any({TIP, SOM} <= set(ex.objects(f, CKG.crimeType)) for f in factors)
    addressed = set(ex.objects(None, CKG.addresses))
    assert addressed <= factors
    concealment = {f for f in factors if (f, CKG.category, URIRef(CONCEPT + "category/concealment")) in ex}
    assert concealment - addressed


def test_every_place_the_example_uses_exists(ex, places):
    used = {o for _s, p, o in ex if p == CKG.place} | {
        t for triple in ex for t in triple if isinstance(t, URIRef) and str(t).startswith(PLACE)
    }
    assert used
    missing = {p for p in used if (p, RDF.type, CKG.Place) not in places}
    assert not missing, sorted(missing)


def test_every_concept_the_example_uses_exists():
    schemes = _bundled_or_skip("schemes.ttl")
    ex = rdflib.Graph().parse(EXAMPLE, format="turtle")
    used = {t for triple in ex for t in triple if isinstance(t, URIRef) and str(t).startswith(CONCEPT)}
    assert len(used) >= 30
    missing = {c for c in used if (c, RDF.type, None) not in schemes}
    assert not missing, sorted(missing)


def test_every_question_the_example_answers_exists():
    session = _bundled_or_skip("session.ttl")
    ex = rdflib.Graph().parse(EXAMPLE, format="turtle")
    questions = set(ex.objects(None, CKG.question))
    assert {str(q).rsplit("/", 1)[1] for q in questions} == {"1", "2", "2a", "2b", "2c", "2d"}
    missing = {q for q in questions if (q, RDF.type, CKG.ExerciseQuestion) not in session}
    assert not missing, sorted(missing)


def test_example_conforms_to_the_shapes(ex):
    shapes = _bundled_or_skip("shapes.ttl")
    pyshacl = pytest.importorskip("pyshacl")
    # Validate the union, as a workspace holds it: pyshacl's ont_graph= only copies class and
    # property definitions into the data, not the concepts, questions and places that sh:class needs.
    data = rdflib.Graph() + ex
    for name in ("crimekg.ttl", "schemes.ttl", "places.ttl", "session.ttl"):
        if ontology.path(name).is_file():
            data += _bundled(name)
    conforms, _graph, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text


def test_readme_counts_match_the_example(ex):
    text = EXAMPLES_README.read_text(encoding="utf-8")
    counts = {
        "contributions": len(_contributions(ex)),
        "factors": len(_of_type(ex, CKG.Factor)),
        "links": len(_of_type(ex, CKG.FactorLink)),
        "patterns": len(_of_type(ex, CKG.Pattern)),
        "data sources": len(_of_type(ex, CKG.DataSource)),
        "information gaps": len(_of_type(ex, CKG.InformationGap)),
        "responses": len(_of_type(ex, CKG.Response)),
    }
    for what, n in counts.items():
        assert re.search(rf"\b{n} {what}\b", text), f"README should say '{n} {what}'"


# ---------------------------------------------------------------- places.ttl


def test_places_has_every_iso_country_once(places):
    countries = _of_type(places, CKG.Country)
    assert 245 <= len(countries) <= 255
    for c in countries:
        iso3 = [str(v) for v in places.objects(c, CKG.iso3)]
        iso2 = [str(v) for v in places.objects(c, CKG.iso2)]
        m49 = [str(v) for v in places.objects(c, CKG.m49)]
        assert len(iso3) == 1 and str(c) == PLACE + iso3[0] and re.fullmatch("[A-Z]{3}", iso3[0]), c
        assert len(iso2) == 1 and re.fullmatch("[A-Z]{2}", iso2[0]), c
        assert len(m49) == 1 and re.fullmatch("[0-9]{3}", m49[0]), c
        labels = list(places.objects(c, RDFS.label))
        assert len(labels) == 1 and labels[0].language == "en", c
        assert (c, RDF.type, CKG.Place) in places, c
    assert len({str(v) for v in places.objects(None, CKG.iso2)}) == len(countries)


def test_regions_form_one_m49_tree_under_world(places):
    regions = _of_type(places, CKG.Region)
    assert (WORLD, RDF.type, CKG.Region) in places
    assert {_level(places, r) for r in regions} == {0, 1, 2, 3}
    assert sum(1 for r in regions if _level(places, r) == 1) == 5
    for r in regions:
        assert str(r) == PLACE + "m49/" + str(places.value(r, CKG.m49)), r
        assert (r, RDF.type, CKG.Place) in places and places.value(r, RDFS.label).language == "en", r
    for code, parent in {"419": "019", "021": "019", "029": "419", "202": "002", "014": "202", "830": "154"}.items():
        assert (M49[code], SKOS.broader, M49[parent]) in places, code


def test_every_country_sits_in_exactly_one_subregion(places):
    for c in _of_type(places, CKG.Country):
        ancestors = _ancestors(places, c)
        if str(places.value(c, CKG.iso3)) == "ATA":
            # M49 gives Antarctica (010) no region at all
            assert ancestors == {WORLD}
            continue
        assert WORLD in ancestors, c
        subregions = [r for r in ancestors if _level(places, r) == 2]
        assert len(subregions) == 1, (c, subregions)
        # the subregion is a direct broader, so GLOTIP's level is one hop away
        assert (c, SKOS.broader, subregions[0]) in places, c


@pytest.mark.parametrize(
    "iso3, subregion, intermediate",
    [("GTM", "419", "013"), ("NGA", "202", "011"), ("JEY", "154", "830"), ("THA", "035", None), ("MEX", "419", "013")],
)
def test_known_countries_sit_where_m49_puts_them(places, iso3, subregion, intermediate):
    broader = set(places.objects(URIRef(PLACE + iso3), SKOS.broader))
    assert broader == {M49[subregion]} | ({M49[intermediate]} if intermediate else set())


def _places_named(places, name: str) -> set:
    return {s for p in (RDFS.label, SKOS.altLabel) for s in places.subjects(p, Literal(name, lang="en"))}


@pytest.mark.parametrize("name", GLOTIP_REGIONS + GLOTIP_SUBREGIONS)
def test_glotip_region_names_resolve_to_one_region(places, name):
    found = _places_named(places, name)
    assert len(found) == 1, (name, found)
    assert (found.pop(), RDF.type, CKG.Region) in places


def test_no_name_points_at_two_places(places):
    owners = defaultdict(set)
    for p in (RDFS.label, SKOS.altLabel):
        for s, o in places.subject_objects(p):
            owners[str(o).casefold()].add(s)
    shared = {name: owner for name, owner in owners.items() if len(owner) > 1}
    assert not shared, shared


def test_places_agree_with_glotip_regions():
    if not GLOTIP_CSV.exists():
        pytest.skip(f"{GLOTIP_CSV} is absent (shared data not checked out)")
    places = _bundled("places.ttl")
    with gzip.open(GLOTIP_CSV, "rt", encoding="utf-8") as f:
        areas = {(r["Iso3_code"], r["Country"], r["Region"], r["Subregion"]) for r in csv.DictReader(f)}
    assert len(areas) >= 190
    for iso3, name, region, subregion in areas:
        (place,) = _places_named(places, name) if not iso3 else {URIRef(PLACE + iso3)}
        assert name in {str(n) for p in (RDFS.label, SKOS.altLabel) for n in places.objects(place, p)}, name
        ancestors = _ancestors(places, place)
        for region_name in (region, subregion):
            regions = _places_named(places, region_name)
            assert len(regions) == 1 and regions <= ancestors, (iso3, region_name)


def test_places_file_is_what_the_generator_writes():
    if not CTDC_DICTIONARY.exists():
        pytest.skip(f"{CTDC_DICTIONARY} is absent (shared data not checked out)")
    pytest.importorskip("openpyxl")
    pytest.importorskip("pycountry")
    pytest.importorskip("babel")
    spec = importlib.util.spec_from_file_location("make_places", MAKE_PLACES)
    make_places = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_places)
    text = make_places.render(*make_places.build(make_places.read_ctdc(CTDC_DICTIONARY)))
    assert text == ontology.path("places.ttl").read_text(encoding="utf-8")


def test_region_counts_in_places(places):
    levels = Counter(_level(places, r) for r in _of_type(places, CKG.Region))
    # M49: 5 regions, 17 subregions, 8 intermediate regions
    assert levels == Counter({0: 1, 1: 5, 2: 17, 3: 8})
