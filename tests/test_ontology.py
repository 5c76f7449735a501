"""The bundled ontology files: they parse, carry the seed session verbatim, define every term,
and their SHACL shapes accept valid participant data and reject what a facilitator must fix."""

import re
from decimal import Decimal
from importlib.resources import files

import pyoxigraph
import pyshacl
import pytest
import rdflib
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS

from crimekg import ontology
from tests.helpers import ROOT

CKG = Namespace(ontology.CKG)
# Plain namespaces: rdflib's DCAT and XSD warn when pytest inspects the module.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
QB = Namespace("http://purl.org/linked-data/cube#")
VANN = Namespace("http://purl.org/vocab/vann/")
ONTOLOGY_IRI = URIRef("https://w3id.org/crimekg/ontology")
SCHEME = Namespace(ontology.SCHEME)
CONCEPT = Namespace(ontology.CONCEPT)
RESOURCE = Namespace(ontology.RESOURCE)
PLAN = URIRef(ontology.COURSE + "unafei-172/session-1")
S1 = Namespace(ontology.COURSE + "unafei-172/session-1/")

OWN_FILES = ["crimekg.ttl", "schemes.ttl", "session.ttl", "shapes.ttl"]
BUNDLED_TTL = sorted(p.name for p in files("crimekg.ontology").iterdir() if p.name.endswith(".ttl"))

# The pinned vocabulary (VOCAB.md): scheme -> (class, concept slugs).
VOCAB = {
    "crime": ("CrimeType", ["trafficking-in-persons", "smuggling-of-migrants"]),
    "category": ("FactorCategory", ["enabling", "profiting", "concealment", "impunity"]),
    "actor": ("ActorType", ["traffickers", "smugglers", "criminal-networks"]),
    "level": ("Level", ["local", "national", "regional"]),
    "topic": ("Topic", [
        "profile-of-the-victims", "forms-of-exploitation", "trafficking-flows",
        "profile-of-the-traffickers", "estimating-non-detected-trafficking",
        "trafficking-in-armed-conflict", "criminal-justice-case-information",
        "migrant-smuggling-routes", "scale-of-migrant-smuggling", "migrant-smuggling-methodology",
        "smugglers", "smuggled-migrants", "cross-border-data-sharing",
    ]),
    "exploitation": ("FormOfExploitation", [
        "sexual-exploitation", "forced-labour", "slavery-or-similar-practices", "servitude",
        "removal-of-organs", "other-forms", "forced-criminal-activity", "begging", "forced-marriage",
        "illegal-adoption", "child-soldiers", "mixed-forms",
    ]),
    "control": ("MeansOfControl", [
        "debt-bondage", "takes-earnings", "restricts-financial-access", "threats",
        "psychological-abuse", "physical-abuse", "sexual-abuse", "false-promises",
        "psychoactive-substances", "restricts-movement", "restricts-medical-care",
        "excessive-working-hours", "uses-children", "threat-of-law-enforcement",
        "withholds-necessities", "withholds-documents",
    ]),
    "smuggling-mode": ("SmugglingMode", ["land", "sea", "air", "fraudulent-documents"]),
    "relation": ("LinkRelation", [
        "enables", "finances", "conceals", "shields", "reinforces", "counters", "facilitates", "causes",
    ]),
    "polarity": ("Polarity", ["positive", "negative"]),
}
VOCAB_CONCEPTS = [(s, cls, slug) for s, (cls, slugs) in VOCAB.items() for slug in slugs]

VOCAB_CLASSES = [
    "Course", "SessionPlan", "AgendaItem", "Exercise", "ExerciseQuestion", "ChecklistItem",
    "PublishedSource", "HeadlineFigure", "CrimeType", "Topic", "FactorCategory", "ActorType", "Level",
    "FormOfExploitation", "MeansOfControl", "SmugglingMode", "LinkRelation", "Polarity", "Session",
    "Participant", "Contribution", "Factor", "FactorLink", "Pattern", "DataSource", "InformationGap",
    "Response", "Place", "Country", "Region",
]
VOCAB_PROPERTIES = [
    "place", "localPlace", "followsPlan", "contributorCode", "text", "kind", "question", "group",
    "category", "crimeType", "actor", "level", "fromFactor", "toFactor", "relation", "polarity",
    "strength", "evidence", "owner", "collectionMethod", "sharingArrangement", "updateFrequency",
    "access", "topic", "addresses", "effectivenessEvidence", "iso3", "iso2", "m49", "refArea",
    "refYear", "indicator", "sex", "ageGroup", "exploitationForm", "citizenship", "count",
    "suppressed", "lowerBound", "upperBound", "share", "order",
]

# Reuse of standard vocabularies instead of twins.
SUPERCLASSES = [
    ("SessionPlan", PROV.Plan), ("Session", PROV.Activity), ("Participant", PROV.Agent),
    ("Contribution", PROV.Entity), ("Factor", SKOS.Concept), ("FactorLink", PROV.Entity),
    ("Pattern", PROV.Entity), ("DataSource", DCAT.Dataset), ("InformationGap", PROV.Entity),
    ("Response", PROV.Entity), ("Place", DCTERMS.Location), ("Country", CKG.Place),
    ("Region", CKG.Place), ("PublishedSource", DCTERMS.BibliographicResource),
    ("HeadlineFigure", QB.Observation),
] + [(cls, SKOS.Concept) for cls, _ in VOCAB.values()]

DIMENSIONS = ["refArea", "refYear", "indicator", "sex", "ageGroup", "exploitationForm", "citizenship"]
MEASURES = ["count", "share", "suppressedCount", "statedValue"]
ATTRIBUTES = ["suppressed", "lowerBound", "upperBound", "unit"]  # bounds qualify a measure-type cell

# The seed document, verbatim (list punctuation and markdown emphasis dropped).
TOPIC_LABELS = [
    "Profile of the victims", "Forms of exploitation", "Trafficking flows",
    "Profile of the traffickers", "Estimating non-detected trafficking",
    "Trafficking in the context of armed conflict", "Criminal justice case information",
    "Migrant smuggling routes", "Scale of migrant smuggling", "Migrant smuggling methodology",
    "Smugglers", "Smuggled migrants", "Cross-border data-sharing",
]
BOTH_CRIMES = {"criminal-justice-case-information", "cross-border-data-sharing"}
QUESTIONS = {
    "1": "What local, national and regional data and research sources of information are you aware of "
         "regarding trafficking and smuggling? How is any resulting information collected, shared and updated?",
    "2": "Based on the above and your own knowledge, what patterns of trafficking or smuggling do you "
         "believe exist in your communities?",
    "2a": "What factors allow traffickers/smugglers/criminal networks to commit these crimes?",
    "2b": "What factors allow traffickers/smugglers/criminal networks to profit from these crimes?",
    "2c": "What factors allow traffickers/smugglers/criminal networks to mask or escape detection for these crimes?",
    "2d": "What factors allow traffickers/smugglers/criminal networks to avoid prosecution for these crimes?",
}
CATEGORY_QUESTION = {"enabling": "2a", "profiting": "2b", "concealment": "2c", "impunity": "2d"}
AGENDA = [
    ("UNODC presentation – Global overview of trafficking in persons", "trafficking-in-persons"),
    ("Discussion – trafficking in persons situation, local, national and regional", "trafficking-in-persons"),
    ("UNODC presentation – Global overview of smuggling of migrants", "smuggling-of-migrants"),
    ("Discussion – smuggling of migrants' situation, local, national and regional", "smuggling-of-migrants"),
]
CHECKLIST = [
    "What are UNODC's global trends and patterns regarding trafficking in persons and smuggling of migrants?",
    "What trends, patterns and routes has UNODC analysed regarding your region?",
    "What is noted in the country profile for your State in UNODC's Global Report on Trafficking in Persons, 2018?",
    "What information sources supplement, enhance or deepen the picture regarding trafficking and/or "
    "smuggling as it affects your local setting?",
    "What are the key information gaps regarding trafficking and/or smuggling in your local setting?",
    "How does the state of knowledge on these crimes impact on responses?",
]
FIGURES = {
    "global-report-tip-2018/figure/victims-women": (CKG.share, Decimal("0.49")),
    "global-report-tip-2018/figure/victims-girls": (CKG.share, Decimal("0.23")),
    "global-report-tip-2018/figure/victims-men": (CKG.share, Decimal("0.21")),
    "global-report-tip-2018/figure/victims-boys": (CKG.share, Decimal("0.07")),
    "global-report-tip-2018/figure/victims-sexual-exploitation": (CKG.share, Decimal("0.59")),
    "global-report-tip-2018/figure/victims-forced-labour": (CKG.share, Decimal("0.34")),
    "global-study-som-2018/figure/migrants-smuggled": (CKG.lowerBound, 2500000),
    "global-study-som-2018/figure/smugglers-economic-return": (CKG.lowerBound, 5500000000),
}


def _load(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology.path(name).read_text(encoding="utf-8"), format="turtle")


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return _load("crimekg.ttl")


@pytest.fixture(scope="module")
def schemes() -> rdflib.Graph:
    return _load("schemes.ttl")


@pytest.fixture(scope="module")
def session() -> rdflib.Graph:
    return _load("session.ttl")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return _load("shapes.ttl")


@pytest.fixture(scope="module")
def layer(schemes, session, onto) -> rdflib.Graph:
    """The shipped session layer: schemes and session plan together, with the ontology that holds
    the structures of its data sets (as a workspace holds them all)."""
    return schemes + session + onto


def _validate(data: rdflib.Graph, shapes: rdflib.Graph, onto: rdflib.Graph):
    conforms, report, _ = pyshacl.validate(data_graph=data, shacl_graph=shapes, ont_graph=onto)
    messages = {str(m) for m in report.objects(None, SH.resultMessage)}
    return conforms, messages


def _en(g: rdflib.Graph, s, p) -> list[str]:
    return [str(o) for o in g.objects(s, p) if isinstance(o, Literal) and o.language == "en"]


# --- every file parses ----------------------------------------------------------------------------


def test_own_files_are_bundled():
    assert set(OWN_FILES) <= set(BUNDLED_TTL)


@pytest.mark.parametrize("name", BUNDLED_TTL)
def test_bundled_turtle_parses_with_rdflib_and_oxigraph(name):
    text = ontology.path(name).read_text(encoding="utf-8")
    g = rdflib.Graph().parse(data=text, format="turtle")
    quads = list(pyoxigraph.parse(text, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(g) > 0
    assert len(quads) == len(g)


# --- the ontology -----------------------------------------------------------------------------------


def test_ontology_header(onto):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal(ontology.ONTOLOGY_VERSION)
    assert _en(onto, ONTOLOGY_IRI, DCTERMS.title)
    assert _en(onto, ONTOLOGY_IRI, DCTERMS.description)
    assert onto.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert onto.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("ckg")


PROPERTY_TYPES = {RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty,
                  QB.DimensionProperty, QB.MeasureProperty, QB.AttributeProperty}


def _declared(onto: rdflib.Graph, types) -> set:
    return {s for t in types for s in onto.subjects(RDF.type, t) if str(s).startswith(ontology.CKG)}


@pytest.mark.parametrize("name", VOCAB_CLASSES)
def test_pinned_class_is_declared(onto, name):
    assert (CKG[name], RDF.type, OWL.Class) in onto


@pytest.mark.parametrize("name", VOCAB_PROPERTIES)
def test_pinned_property_is_declared(onto, name):
    assert set(onto.objects(CKG[name], RDF.type)) & PROPERTY_TYPES


def test_every_term_has_english_label_definition_and_is_defined_by(onto):
    terms = _declared(onto, {OWL.Class} | PROPERTY_TYPES)
    assert len(terms) >= len(VOCAB_CLASSES) + len(VOCAB_PROPERTIES)
    missing = [
        str(t) for t in sorted(terms)
        if not _en(onto, t, RDFS.label) or not _en(onto, t, SKOS.definition)
        or (t, RDFS.isDefinedBy, ONTOLOGY_IRI) not in onto
    ]
    assert missing == []


@pytest.mark.parametrize("name", OWN_FILES)
def test_every_ckg_term_used_is_declared(onto, name):
    g = _load(name)
    declared = _declared(onto, {OWL.Class} | PROPERTY_TYPES)
    used = {t for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(ontology.CKG)}
    assert used, name
    assert sorted(used - declared) == []


# --- every ckg: term the code writes or queries is declared ----------------------------------------

#: What declares a term: the types the code's terms may have in crimekg.ttl.
DECLARING_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                   QB.DimensionProperty, QB.MeasureProperty, QB.AttributeProperty}
_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
#: How graph/ and cli.py spell a ckg: term: CKG.name, ckg.name (an rdflib Namespace), CKG["name"],
#: ontology.CKG + "name", f"{CKG}name", evidence.P("name"), "ckg:name" in SPARQL text, the full IRI.
PY_TERM_PATTERNS = [
    r"\bCKG\." + _NAME, r"\bckg\." + _NAME, r"\bCKG\[\s*[\"']" + _NAME + r"[\"']\s*\]",
    r"\bCKG\s*\+\s*[\"']" + _NAME + "[\"']", r"\{CKG\}" + _NAME, r"\bP\(\s*[\"']" + _NAME + r"[\"']\s*\)",
    r"(?<![\w-])ckg:" + _NAME, re.escape(ontology.CKG) + _NAME,
]
RQ_TERM_PATTERNS = [r"(?<![\w-])ckg:" + _NAME, re.escape(ontology.CKG) + _NAME]


def _terms_in_code() -> dict[str, set[str]]:
    """ckg: local name -> the files of graph/ (Python, SPARQL, HTML templates) and cli.py that use it."""
    used: dict[str, set[str]] = {}
    files_ = [ROOT / "cli.py", *sorted((ROOT / "graph").rglob("*.py")), *sorted((ROOT / "graph").rglob("*.rq")),
              *sorted((ROOT / "graph").rglob("*.html"))]
    for f in files_:
        text = f.read_text(encoding="utf-8")
        for pattern in PY_TERM_PATTERNS if f.suffix == ".py" else RQ_TERM_PATTERNS:
            for m in re.finditer(pattern, text):
                used.setdefault(m.group(1), set()).add(str(f.relative_to(ROOT)))
    return used


CODE_TERMS = _terms_in_code()


def test_the_code_scan_sees_every_spelling():
    # One term per spelling: the scan below means something only if each pattern finds its term.
    expected = {
        "Contribution": "graph/importers/contributions.py",  # CKG.Contribution
        "AnalysisScore": "graph/analysis.py",            # ckg.AnalysisScore (a local Namespace)
        "pendingGraph": "graph/store.py",                # ontology.CKG + "pendingGraph"
        "participantCount": "graph/export.py",           # ontology.CKG + "participantCount"
        "CaseReference": "graph/importers/sherloc.py",   # P("CaseReference")
        "breakdown": "graph/queries/evidence-trends-forms.rq",  # ckg:breakdown in SPARQL
        "importerVersion": "graph/importers/evidence.py",  # ckg:importerVersion in a query string
    }
    for name, path in expected.items():
        assert path in CODE_TERMS.get(name, set()), name
    assert len(CODE_TERMS) >= 80


def test_every_ckg_term_the_code_uses_is_declared(onto):
    declared = _declared(onto, DECLARING_TYPES)
    missing = {name: sorted(paths) for name, paths in sorted(CODE_TERMS.items()) if CKG[name] not in declared}
    assert missing == {}, "declare these terms in ontology/crimekg.ttl"


EVIDENCE_SAMPLES = ["glotip-sample.csv", "iom-2019-sample.csv", "iom-2025-sample.csv", "frontex-sample.csv",
                    "ctdc-sample.csv", "sherloc-sample.csv"]
CKG_TERMS_IN_STORE = f"""SELECT DISTINCT ?t WHERE {{
  GRAPH ?g {{ {{ ?s ?t ?o }} UNION {{ ?s ?p ?t }} }}
  FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{ontology.CKG}"))
}}"""


def test_every_ckg_term_an_import_writes_is_declared(workspace, onto):
    # Importers also build names (provenance counts, IOM measures): check what they really write,
    # and that no import graph declares ckg: terms of its own any more.
    from crimekg.graph.importers import importer

    declared = _declared(onto, DECLARING_TYPES)
    written = set()
    for name in EVIDENCE_SAMPLES:
        path = ROOT / "tests" / "data" / "evidence" / name
        workspace.write(importer(name.split("-")[0]).plan(path, workspace).changes)
        written |= {r["t"] for r in workspace.select(CKG_TERMS_IN_STORE)}
    assert {CKG.countRows, CKG.dead, CKG.survivors, CKG.Flow, CKG.CaseReference} <= written
    assert sorted(str(t) for t in written - declared) == []
    declarations = workspace.select(
        "SELECT ?g ?t WHERE { GRAPH ?g { ?t rdfs:isDefinedBy <https://w3id.org/crimekg/ontology> } "
        "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/crimekg/graph/import/')) }")
    assert declarations == []


@pytest.mark.parametrize("name, parent", SUPERCLASSES)
def test_reuses_standard_vocabulary(onto, name, parent):
    assert (CKG[name], RDFS.subClassOf, parent) in onto


def test_cube_components(onto):
    for name in DIMENSIONS:
        assert (CKG[name], RDF.type, QB.DimensionProperty) in onto, name
    for name in MEASURES:
        assert (CKG[name], RDF.type, QB.MeasureProperty) in onto, name
    for name in ATTRIBUTES:
        assert (CKG[name], RDF.type, QB.AttributeProperty) in onto, name
    assert not _declared(onto, {OWL.Class}) & {CKG.Observation}  # qb:Observation is reused, no twin


# --- concept schemes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme, cls, slug", VOCAB_CONCEPTS)
def test_pinned_concept_exists(schemes, scheme, cls, slug):
    c = CONCEPT[f"{scheme}/{slug}"]
    assert (c, RDF.type, CKG[cls]) in schemes
    assert (c, RDF.type, SKOS.Concept) in schemes
    assert (c, SKOS.inScheme, SCHEME[scheme]) in schemes
    assert len(_en(schemes, c, SKOS.prefLabel)) == 1
    assert _en(schemes, c, SKOS.definition)


@pytest.mark.parametrize("scheme", sorted(VOCAB) + ["factors"])
def test_scheme_is_declared(schemes, scheme):
    assert (SCHEME[scheme], RDF.type, SKOS.ConceptScheme) in schemes
    assert _en(schemes, SCHEME[scheme], RDFS.label)


@pytest.mark.parametrize("scheme", sorted(VOCAB))
def test_scheme_holds_exactly_the_pinned_concepts(schemes, scheme):
    cls, slugs = VOCAB[scheme]
    members = set(schemes.subjects(SKOS.inScheme, SCHEME[scheme]))
    assert members == {CONCEPT[f"{scheme}/{slug}"] for slug in slugs}
    tops = set(schemes.objects(SCHEME[scheme], SKOS.hasTopConcept))
    assert tops == set(schemes.subjects(SKOS.topConceptOf, SCHEME[scheme]))
    assert tops == {c for c in members if (c, SKOS.broader, None) not in schemes}


def test_factor_scheme_is_declared_and_empty(schemes):
    assert list(schemes.subjects(SKOS.inScheme, SCHEME.factors)) == []


@pytest.mark.parametrize("scheme", sorted(VOCAB))
def test_labels_match_one_concept_per_scheme(schemes, scheme):
    # Forgiving matching folds case: no two concepts of a scheme may share a label once folded.
    owner = {}
    for c in schemes.subjects(SKOS.inScheme, SCHEME[scheme]):
        for label in _en(schemes, c, SKOS.prefLabel) + _en(schemes, c, SKOS.altLabel):
            assert owner.setdefault(label.casefold(), c) == c, label


def test_forgiving_labels_of_crimes_and_categories(schemes):
    def alt(slug):
        return {s.casefold() for s in _en(schemes, CONCEPT[slug], SKOS.altLabel)}

    assert {"tip", "trafficking", "human trafficking"} <= alt("crime/trafficking-in-persons")
    assert {"som", "smuggling", "migrant smuggling"} <= alt("crime/smuggling-of-migrants")
    assert {"enabling factor", "commit"} <= alt("category/enabling")
    assert {"profiting factor", "profit"} <= alt("category/profiting")
    assert {"concealment factor", "escape detection"} <= alt("category/concealment")
    assert {"impunity factor", "avoid prosecution"} <= alt("category/impunity")


def test_topics_follow_the_document(schemes):
    topics = sorted(schemes.subjects(RDF.type, CKG.Topic), key=lambda t: int(schemes.value(t, CKG.order)))
    assert [_en(schemes, t, SKOS.prefLabel) for t in topics] == [[s] for s in TOPIC_LABELS]


@pytest.mark.parametrize("slug", VOCAB["topic"][1])
def test_each_topic_has_its_crime_types(schemes, slug):
    crimes = set(schemes.objects(CONCEPT[f"topic/{slug}"], CKG.crimeType))
    order = int(schemes.value(CONCEPT[f"topic/{slug}"], CKG.order))
    if slug in BOTH_CRIMES:
        expected = {CONCEPT["crime/trafficking-in-persons"], CONCEPT["crime/smuggling-of-migrants"]}
    elif order <= 7:
        expected = {CONCEPT["crime/trafficking-in-persons"]}
    else:
        expected = {CONCEPT["crime/smuggling-of-migrants"]}
    assert crimes == expected


@pytest.mark.parametrize("slug, number", sorted(CATEGORY_QUESTION.items()))
def test_category_is_defined_by_its_question(layer, slug, number):
    category = CONCEPT[f"category/{slug}"]
    question = S1[f"question/{number}"]
    assert layer.value(category, CKG.question) == question
    assert layer.value(question, CKG.category) == category
    definition = _en(layer, category, SKOS.definition)[0]
    assert f'"{QUESTIONS[number]}"' in definition


def test_other_forms_of_exploitation_are_narrower(schemes):
    other = CONCEPT["exploitation/other-forms"]
    subforms = ["forced-criminal-activity", "begging", "forced-marriage", "illegal-adoption",
                "child-soldiers", "mixed-forms"]
    assert set(schemes.subjects(SKOS.broader, other)) == {CONCEPT[f"exploitation/{s}"] for s in subforms}
    assert set(schemes.objects(other, SKOS.narrower)) == set(schemes.subjects(SKOS.broader, other))


def test_means_of_control_carry_their_ctdc_column(schemes):
    notations = {str(schemes.value(CONCEPT[f"control/{s}"], SKOS.notation)) for s in VOCAB["control"][1]}
    assert len(notations) == 16
    assert all(n.startswith("meansOfControl") for n in notations)
    assert schemes.value(CONCEPT["control/debt-bondage"], SKOS.notation) == Literal("meansOfControlDebtBondage")


# --- the session plan -----------------------------------------------------------------------------------


def test_course_and_plan(session):
    course = URIRef(ontology.COURSE + "unafei-172")
    assert (course, RDF.type, CKG.Course) in session
    assert session.value(course, DCTERMS.title) == Literal(
        "Criminal Justice Responses to Trafficking in Persons and Smuggling of Migrants", lang="en")
    assert (PLAN, RDF.type, CKG.SessionPlan) in session
    assert (PLAN, RDF.type, PROV.Plan) in session
    assert (PLAN, DCTERMS.isPartOf, course) in session
    assert session.value(PLAN, DCTERMS.title) == Literal(
        "UNODC Session 1: Global Trends: Trafficking in persons and smuggling of migrants", lang="en")
    description = str(session.value(PLAN, DCTERMS.description))
    assert "counter-trafficking programmes do not routinely assess the trafficking" in description
    assert description.endswith("more evidence-based responses to both crimes.")
    presenter = session.value(PLAN, CKG.presenter)
    assert session.value(presenter, FOAF.name) == Literal("Martin Fowke")


def test_plan_reviews_the_13_topics(layer):
    assert set(layer.objects(PLAN, CKG.topic)) == set(layer.subjects(RDF.type, CKG.Topic))
    assert len(set(layer.objects(PLAN, CKG.topic))) == 13


@pytest.mark.parametrize("number", sorted(QUESTIONS))
def test_question_is_verbatim(session, number):
    question = S1[f"question/{number}"]
    assert (question, RDF.type, CKG.ExerciseQuestion) in session
    assert session.value(question, CKG.text) == Literal(QUESTIONS[number], lang="en")
    exercise = S1[f"exercise/{number[0]}"]
    assert (exercise, CKG.question, question) in session
    assert (PLAN, CKG.exercise, exercise) in session


def test_question_kinds_and_parts(session):
    assert session.value(S1["question/1"], CKG.kind) == CKG.DataSource
    assert session.value(S1["question/2"], CKG.kind) == CKG.Pattern
    for letter in "abcd":
        assert session.value(S1[f"question/2{letter}"], CKG.kind) == CKG.Factor
        assert session.value(S1[f"question/2{letter}"], DCTERMS.isPartOf) == S1["question/2"]


@pytest.mark.parametrize("order", range(1, 5))
def test_agenda_item_is_verbatim(session, order):
    item = S1[f"agenda/{order}"]
    text, crime = AGENDA[order - 1]
    assert (PLAN, CKG.agendaItem, item) in session
    assert (item, RDF.type, CKG.AgendaItem) in session
    assert session.value(item, CKG.text) == Literal(text, lang="en")
    assert session.value(item, CKG.order) == Literal(order)
    assert session.value(item, CKG.crimeType) == CONCEPT[f"crime/{crime}"]


@pytest.mark.parametrize("order", range(1, 7))
def test_checklist_item_is_verbatim(session, order):
    item = S1[f"checklist/{order}"]
    assert (PLAN, CKG.checklistItem, item) in session
    assert (item, RDF.type, CKG.ChecklistItem) in session
    assert session.value(item, CKG.text) == Literal(CHECKLIST[order - 1], lang="en")
    assert session.value(item, CKG.order) == Literal(order)


def test_plan_has_exactly_its_parts(session):
    assert len(set(session.objects(PLAN, CKG.agendaItem))) == 4
    assert len(set(session.objects(PLAN, CKG.exercise))) == 2
    assert len(set(session.objects(PLAN, CKG.checklistItem))) == 6
    assert len(set(session.subjects(RDF.type, CKG.ExerciseQuestion))) == 6


@pytest.mark.parametrize("slug, title, year", [
    ("global-report-tip-2018", "Global Report on Trafficking in Persons 2018", "2018"),
    ("global-study-som-2018", "Global Study on Smuggling of Migrants 2018", "2018"),
    ("sherloc", "SHERLOC knowledge management portal", None),
    ("catalogue-of-materials-2019", None, "2019"),
])
def test_published_source(session, slug, title, year):
    source = RESOURCE[slug]
    assert (source, RDF.type, CKG.PublishedSource) in session
    assert (source, RDF.type, DCTERMS.BibliographicResource) in session
    assert (PLAN, DCTERMS.references, source) in session
    assert session.value(source, DCTERMS.publisher) == URIRef(ontology.BASE + "agent/unodc")
    if title:
        assert session.value(source, DCTERMS.title) == Literal(title, lang="en")
    if year:
        assert session.value(source, DCTERMS.issued) == Literal(year, datatype=XSD.gYear)


def test_pages_of_portal_and_catalogue(session):
    assert session.value(RESOURCE.sherloc, FOAF.page) == URIRef("https://sherloc.unodc.org")
    assert session.value(RESOURCE["catalogue-of-materials-2019"], FOAF.page) == URIRef(
        "https://www.unodc.org/documents/human-trafficking/2019/UNODC_Catalogue_of_Materials_May_2019.pdf")


@pytest.mark.parametrize("slug", sorted(FIGURES))
def test_headline_figure(session, slug):
    figure = RESOURCE[slug]
    measure, value = FIGURES[slug]
    assert (figure, RDF.type, CKG.HeadlineFigure) in session
    assert (figure, RDF.type, QB.Observation) in session
    assert session.value(figure, measure).toPython() == value
    assert session.value(figure, CKG.refYear) == Literal("2016", datatype=XSD.gYear)
    assert session.value(figure, DCTERMS.source) == RESOURCE[slug.split("/")[0]]
    assert _en(session, figure, RDFS.label)


def test_victim_shares_add_up(session):
    shares = [session.value(RESOURCE[f"global-report-tip-2018/figure/victims-{who}"], CKG.share).toPython()
              for who in ("women", "girls", "men", "boys")]
    assert sum(shares) == Decimal("1.00")


def test_smugglers_return_is_a_range_in_usd(session):
    figure = RESOURCE["global-study-som-2018/figure/smugglers-economic-return"]
    assert session.value(figure, CKG.upperBound).toPython() == 7000000000
    assert session.value(figure, CKG.unit) == Literal("USD")


# --- SHACL: the shipped layer conforms -----------------------------------------------------------------


def test_every_shape_has_a_label(shapes):
    named = {s for t in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, t)}
    assert len(named) >= 9
    assert [str(s) for s in named if not _en(shapes, s, RDFS.label)] == []
    for target in ("Session", "Participant", "Contribution", "Factor", "FactorLink", "Pattern",
                   "DataSource", "InformationGap", "Response"):
        assert (None, SH.targetClass, CKG[target]) in shapes, target


def test_every_message_is_english(shapes):
    messages = list(shapes.objects(None, SH.message))
    assert messages
    assert all(m.language == "en" for m in messages)


def test_shipped_layer_conforms(layer, shapes, onto):
    conforms, messages = _validate(layer, shapes, onto)
    assert conforms, messages


def test_shapes_check_the_shipped_layer(layer, shapes, onto):
    # The conformance above means something: a topic without its crime type is caught.
    broken = layer + rdflib.Graph()
    broken.remove((CONCEPT["topic/smugglers"], CKG.crimeType, None))
    conforms, messages = _validate(broken, shapes, onto)
    assert not conforms
    assert any("A topic concerns at least one crime type" in m for m in messages)


# --- SHACL: participant data ---------------------------------------------------------------------------

PREFIXES = """
@prefix ckg: <https://w3id.org/crimekg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix concept: <https://w3id.org/crimekg/concept/> .
@prefix data: <https://w3id.org/crimekg/data/> .
@prefix s1: <https://w3id.org/crimekg/course/unafei-172/session-1/> .
"""

VALID = PREFIXES + """
<https://w3id.org/crimekg/session/t1> a ckg:Session ;
    dct:title "Breakout room 2" ; dct:date "2019-06-12"^^xsd:date ;
    ckg:place <https://w3id.org/crimekg/place/JPN> ; ckg:localPlace "Fuchu" ;
    ckg:followsPlan <https://w3id.org/crimekg/course/unafei-172/session-1> .
<https://w3id.org/crimekg/place/JPN> a ckg:Country ; rdfs:label "Japan"@en ; ckg:iso3 "JPN" .
<https://w3id.org/crimekg/data/participant/t1/P07> a ckg:Participant ; ckg:contributorCode "P07" .
<https://w3id.org/crimekg/data/contribution/t1/1> a ckg:Contribution ;
    ckg:text "Border guards take bribes at the checkpoint" ; ckg:kind ckg:Factor ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> ; ckg:question s1:question\\/2a ;
    prov:wasAttributedTo <https://w3id.org/crimekg/data/participant/t1/P07> ;
    ckg:category concept:category\\/enabling ; ckg:crimeType concept:crime\\/smuggling-of-migrants ;
    ckg:actor concept:actor\\/smugglers ; ckg:level concept:level\\/local ; ckg:group "Group B" ;
    prov:generatedAtTime "2019-06-12T10:30:00"^^xsd:dateTime .
<https://w3id.org/crimekg/data/contribution/t1/2> a ckg:Contribution ;
    ckg:text "Profits go through remittance shops" ; ckg:kind ckg:Factor ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> ; ckg:category concept:category\\/profiting .
data:factor\\/corrupt-border-officials a ckg:Factor ;
    skos:prefLabel "corrupt border officials" ; skos:altLabel "bribery at checkpoints" ;
    skos:inScheme <https://w3id.org/crimekg/scheme/factors> ;
    ckg:category concept:category\\/enabling , concept:category\\/concealment , concept:category\\/impunity ;
    ckg:place <https://w3id.org/crimekg/place/JPN> ;
    prov:wasDerivedFrom <https://w3id.org/crimekg/data/contribution/t1/1> .
data:factor\\/laundering a ckg:Factor ;
    skos:prefLabel "money laundering" ; skos:inScheme <https://w3id.org/crimekg/scheme/factors> ;
    ckg:category concept:category\\/profiting ;
    prov:wasDerivedFrom <https://w3id.org/crimekg/data/contribution/t1/2> .
data:link\\/laundering--finances--corrupt-border-officials a ckg:FactorLink ;
    ckg:fromFactor data:factor\\/laundering ; ckg:toFactor data:factor\\/corrupt-border-officials ;
    ckg:relation concept:relation\\/finances ; ckg:polarity concept:polarity\\/positive ;
    ckg:strength 0.6 ; ckg:evidence "Two cases in 2018" ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> .
data:pattern\\/fake-job-offers a ckg:Pattern ; rdfs:label "Recruitment through fake job offers" ;
    ckg:crimeType concept:crime\\/trafficking-in-persons ; ckg:level concept:level\\/national ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> .
data:source\\/police-db a ckg:DataSource ; rdfs:label "National police case database" ;
    ckg:level concept:level\\/national ; ckg:owner "National Police Agency" ; ckg:updateFrequency "yearly" ;
    dcat:theme concept:topic\\/criminal-justice-case-information ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> .
data:gap\\/non-detected a ckg:InformationGap ; rdfs:label "No estimate of undetected victims" ;
    ckg:topic concept:topic\\/estimating-non-detected-trafficking ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> .
data:response\\/rotation a ckg:Response ; rdfs:label "Rotation of checkpoint staff" ;
    ckg:addresses data:factor\\/corrupt-border-officials ; ckg:effectivenessEvidence "Not evaluated" ;
    prov:wasGeneratedBy <https://w3id.org/crimekg/session/t1> .
"""

# SPARQL updates that each break VALID in one way, and the message a facilitator then reads.
P = PREFIXES.replace("@prefix", "PREFIX").replace(" .\n", "\n")
F1 = "<https://w3id.org/crimekg/data/factor/corrupt-border-officials>"
F2 = "<https://w3id.org/crimekg/data/factor/laundering>"
LINK = "<https://w3id.org/crimekg/data/link/laundering--finances--corrupt-border-officials>"
P07 = "<https://w3id.org/crimekg/data/participant/t1/P07>"
C1 = "<https://w3id.org/crimekg/data/contribution/t1/1>"
SOURCE = "<https://w3id.org/crimekg/data/source/police-db>"
TEXT_MESSAGE = ("A contribution needs its verbatim text (ckg:text): what the participant said or wrote, "
                "not empty, given once.")
BREAKS = {
    "factor without category": (
        f"DELETE WHERE {{ {F2} ckg:category ?c }}",
        "A factor needs at least one category: enabling, profiting, concealment or impunity."),
    "factor category outside the scheme": (
        f"INSERT DATA {{ {F2} ckg:category <https://w3id.org/crimekg/concept/topic/smugglers> }}",
        "A factor's categories must come from the category scheme: enabling, profiting, concealment or impunity."),
    "factor without name": (
        f"DELETE WHERE {{ {F2} skos:prefLabel ?l }}",
        "A factor needs one name (skos:prefLabel), e.g. 'corrupt border officials'; "
        "put other wordings in skos:altLabel."),
    "factor outside the factor scheme": (
        f"DELETE WHERE {{ {F2} skos:inScheme ?s }}",
        "A factor belongs to the participant factor scheme: "
        "add skos:inScheme <https://w3id.org/crimekg/scheme/factors>."),
    "factor without provenance": (
        f"DELETE WHERE {{ {F2} prov:wasDerivedFrom ?c }}",
        "This item needs provenance: link it with prov:wasDerivedFrom to the contribution(s) it comes from, "
        "or with prov:wasGeneratedBy to the session that produced it."),
    "factor place that is not a place": (
        f"INSERT DATA {{ {F2} ckg:place <https://w3id.org/crimekg/place/XYZ> }}",
        "ckg:place must be a country or region of the places graph, such as <https://w3id.org/crimekg/place/JPN>; "
        "write a town or district as ckg:localPlace instead."),
    "link from a factor to itself": (
        f"DELETE {{ {LINK} ckg:toFactor ?t }} INSERT {{ {LINK} ckg:toFactor {F2} }} WHERE {{ {LINK} ckg:toFactor ?t }}",
        "A link joins two different factors, but this one goes from a factor to itself; "
        "pick another to-factor or drop the link."),
    "link to a contribution": (
        f"DELETE {{ {LINK} ckg:toFactor ?t }} INSERT {{ {LINK} ckg:toFactor {C1} }} WHERE {{ {LINK} ckg:toFactor ?t }}",
        "A link points to exactly one factor (ckg:toFactor) that is in the graph."),
    "link relation from another scheme": (
        f"DELETE {{ {LINK} ckg:relation ?r }} INSERT {{ {LINK} ckg:relation concept:polarity\\/negative }} "
        f"WHERE {{ {LINK} ckg:relation ?r }}",
        "A link needs one relation from the relation scheme: enables, finances, conceals, shields, reinforces, "
        "counters, facilitates or causes."),
    "link without polarity": (
        f"DELETE WHERE {{ {LINK} ckg:polarity ?p }}",
        "A link needs one polarity: positive (the from-factor strengthens the to-factor) or negative (it weakens it)."),
    "link strength above 1": (
        f"DELETE {{ {LINK} ckg:strength ?s }} INSERT {{ {LINK} ckg:strength 1.5 }} WHERE {{ {LINK} ckg:strength ?s }}",
        "A link's strength (ckg:strength) is one decimal between 0 and 1, such as 0.7; leave it out if unknown."),
    "link strength as a double": (
        f"DELETE {{ {LINK} ckg:strength ?s }} INSERT {{ {LINK} ckg:strength 5e-1 }} WHERE {{ {LINK} ckg:strength ?s }}",
        "A link's strength (ckg:strength) is one decimal between 0 and 1, such as 0.7; leave it out if unknown."),
    "participant with foaf:name": (
        f'INSERT DATA {{ {P07} foaf:name "Jane Doe" }}',
        "Participants are pseudonymous: remove the person's name or e-mail address and identify the participant "
        "only by a contributor code such as P07."),
    "participant with schema:name": (
        f'INSERT DATA {{ {P07} <https://schema.org/name> "Jane Doe" }}',
        "Participants are pseudonymous: remove the person's name or e-mail address and identify the participant "
        "only by a contributor code such as P07."),
    "contributor code with a space": (
        f'DELETE WHERE {{ {P07} ckg:contributorCode ?c }} ; INSERT DATA {{ {P07} ckg:contributorCode "Jane Doe" }}',
        "A participant needs exactly one contributor code (ckg:contributorCode): a short pseudonym such as P07, "
        "made of letters, digits, '.', '_' or '-', with no spaces and at most 32 characters."),
    "contributor code of 33 characters": (
        f'DELETE WHERE {{ {P07} ckg:contributorCode ?c }} ; INSERT DATA {{ {P07} ckg:contributorCode "{"P" * 33}" }}',
        "A participant needs exactly one contributor code (ckg:contributorCode): a short pseudonym such as P07, "
        "made of letters, digits, '.', '_' or '-', with no spaces and at most 32 characters."),
    "contribution with blank text": (
        f'DELETE WHERE {{ {C1} ckg:text ?t }} ; INSERT DATA {{ {C1} ckg:text "   " }}',
        TEXT_MESSAGE),
    "contribution without text": (
        f"DELETE WHERE {{ {C1} ckg:text ?t }}",
        TEXT_MESSAGE),
    "contribution of a sixth kind": (
        f"DELETE WHERE {{ {C1} ckg:kind ?k }} ; INSERT DATA {{ {C1} ckg:kind ckg:Session }}",
        "A contribution needs one kind (ckg:kind): ckg:Factor, ckg:Pattern, ckg:DataSource, ckg:InformationGap "
        "or ckg:Response."),
    "contribution without session": (
        f"DELETE WHERE {{ {C1} prov:wasGeneratedBy ?s }}",
        "A contribution must name the one session it was given in (prov:wasGeneratedBy a ckg:Session that is in "
        "the graph); create the session first."),
    "contribution of an unknown session": (
        f"DELETE WHERE {{ {C1} prov:wasGeneratedBy ?s }} ; "
        f"INSERT DATA {{ {C1} prov:wasGeneratedBy <https://w3id.org/crimekg/session/nowhere> }}",
        "A contribution must name the one session it was given in (prov:wasGeneratedBy a ckg:Session that is in "
        "the graph); create the session first."),
    "session without title": (
        "DELETE WHERE { <https://w3id.org/crimekg/session/t1> dct:title ?t }",
        "A session needs a title (dct:title), e.g. 'UNAFEI 172, breakout room 2, morning'."),
    "data source without name": (
        f"DELETE WHERE {{ {SOURCE} rdfs:label ?l }}",
        "A data source needs a name (rdfs:label), e.g. 'National police trafficking case database'."),
}


@pytest.fixture()
def valid(layer) -> rdflib.Graph:
    g = rdflib.Graph()
    g += layer
    g.parse(data=VALID, format="turtle")
    return g


def test_valid_participant_data_conforms(valid, shapes, onto):
    conforms, messages = _validate(valid, shapes, onto)
    assert conforms, messages


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_shapes_reject_with_facilitator_message(valid, shapes, onto, case):
    update, message = BREAKS[case]
    before = set(valid)
    valid.update(P + update)
    assert set(valid) != before  # the update broke something
    conforms, messages = _validate(valid, shapes, onto)
    assert not conforms
    assert message in messages
