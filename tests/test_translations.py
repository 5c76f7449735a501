"""Concept labels in seven languages: every concept and scheme of the session carries one preferred
label in each of the six UN languages and Japanese, in the right script, distinct within its scheme,
with the official UN wording where the Protocols have one; the shapes hold the rule, and the places
that show a concept's name still show its English one."""

import unicodedata
from collections import Counter, defaultdict

import pyshacl
import pytest
import rdflib
from rdflib import Literal, Namespace
from rdflib.namespace import RDFS, SH, SKOS

from crimekg import ontology

SCHEME = Namespace(ontology.SCHEME)
CONCEPT = Namespace(ontology.CONCEPT)
LANGS = ("en", "fr", "es", "ru", "ar", "zh", "ja")
SESSION_SCHEMES = ("crime", "category", "actor", "level", "topic", "exploitation", "control",
                   "smuggling-mode", "relation", "polarity")

# A translation may read exactly as the English only where it is the official term in that language.
SAME_AS_ENGLISH = {
    ("exploitation/servitude", "fr"),  # "la servitude", Trafficking in Persons Protocol, article 3(a)
}

# The wording of the two Protocols (and UN terminology) in each language, pinned.
OFFICIAL = {
    "crime/trafficking-in-persons": {
        "fr": "Traite des personnes", "es": "Trata de personas", "ru": "Торговля людьми",
        "ar": "الاتجار بالأشخاص", "zh": "贩运人口", "ja": "人身取引"},
    "crime/smuggling-of-migrants": {
        "fr": "Trafic illicite de migrants", "es": "Tráfico ilícito de migrantes",
        "ru": "Незаконный ввоз мигрантов", "ar": "تهريب المهاجرين", "zh": "偷运移民", "ja": "移民の密入国"},
    "exploitation/sexual-exploitation": {
        "fr": "Exploitation sexuelle", "es": "Explotación sexual", "ru": "Сексуальная эксплуатация",
        "ar": "الاستغلال الجنسي", "zh": "性剥削", "ja": "性的搾取"},
    "exploitation/forced-labour": {
        "fr": "Travail forcé", "es": "Trabajo forzoso", "ru": "Принудительный труд", "zh": "强迫劳动",
        "ja": "強制労働"},
    "exploitation/slavery-or-similar-practices": {
        "fr": "Esclavage ou pratiques analogues à l'esclavage",
        "es": "Esclavitud o prácticas análogas a la esclavitud",
        "ru": "Рабство или обычаи, сходные с рабством", "ar": "الاسترقاق أو الممارسات الشبيهة بالرق",
        "zh": "奴役或类似奴役的做法", "ja": "奴隷化若しくはこれに類する行為"},
    "exploitation/servitude": {
        "fr": "Servitude", "es": "Servidumbre", "ru": "Подневольное состояние", "ar": "الاستعباد",
        "zh": "劳役", "ja": "隷属"},
    "exploitation/removal-of-organs": {
        "fr": "Prélèvement d'organes", "es": "Extracción de órganos", "ar": "نزع الأعضاء", "zh": "切除器官",
        "ja": "臓器の摘出"},
    "category/impunity": {"fr": "Impunité", "es": "Impunidad", "ru": "Безнаказанность",
                          "ar": "الإفلات من العقاب", "zh": "有罪不罚", "ja": "不処罰"},
}

# Unicode name prefixes of the letters (and combining marks) each language is written in.
SCRIPTS = {
    "en": ("LATIN",), "fr": ("LATIN",), "es": ("LATIN",), "ru": ("CYRILLIC",), "ar": ("ARABIC",),
    "zh": ("CJK UNIFIED IDEOGRAPH",), "ja": ("CJK UNIFIED IDEOGRAPH", "HIRAGANA", "KATAKANA"),
}


@pytest.fixture(scope="module")
def schemes() -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology.path("schemes.ttl").read_text(encoding="utf-8"), format="turtle")


def _concepts(g: rdflib.Graph, scheme: str) -> list:
    return sorted(g.subjects(SKOS.inScheme, SCHEME[scheme]))


def _slug(c) -> str:
    return str(c).removeprefix(ontology.CONCEPT)


def _by_lang(g: rdflib.Graph, s, p) -> dict[str, list[str]]:
    out = defaultdict(list)
    for o in g.objects(s, p):
        assert isinstance(o, Literal) and o.language, f"{s} has an untagged {p}: {o!r}"
        out[o.language].append(str(o))
    return out


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def test_every_session_scheme_has_concepts(schemes):
    for scheme in SESSION_SCHEMES:
        assert len(_concepts(schemes, scheme)) >= 2, scheme


@pytest.mark.parametrize("scheme", SESSION_SCHEMES)
def test_one_preferred_label_per_language(schemes, scheme):
    for c in _concepts(schemes, scheme):
        labels = _by_lang(schemes, c, SKOS.prefLabel)
        assert sorted(labels) == sorted(LANGS), c
        for lang, values in labels.items():
            assert len(values) == 1, (c, lang, values)
            assert values[0].strip() == values[0] and values[0], (c, lang)


@pytest.mark.parametrize("scheme", SESSION_SCHEMES + ("factors",))
def test_scheme_itself_is_named_in_every_language(schemes, scheme):
    labels = _by_lang(schemes, SCHEME[scheme], SKOS.prefLabel)
    assert sorted(labels) == sorted(LANGS)
    assert all(len(v) == 1 and v[0].strip() for v in labels.values())
    assert labels["en"] == [str(schemes.value(SCHEME[scheme], RDFS.label))]
    english = _fold(labels["en"][0])
    assert all(_fold(v[0]) != english for lang, v in labels.items() if lang != "en"), labels


@pytest.mark.parametrize("scheme", SESSION_SCHEMES)
def test_translations_are_not_the_english_label(schemes, scheme):
    for c in _concepts(schemes, scheme):
        labels = _by_lang(schemes, c, SKOS.prefLabel)
        english = _fold(labels["en"][0])
        for lang in LANGS[1:]:
            if (_slug(c), lang) not in SAME_AS_ENGLISH:
                assert _fold(labels[lang][0]) != english, (c, lang)


def test_same_as_english_exceptions_are_real(schemes):
    # The exception list names only labels that really read as the English one.
    for slug, lang in SAME_AS_ENGLISH:
        labels = _by_lang(schemes, CONCEPT[slug], SKOS.prefLabel)
        assert _fold(labels[lang][0]) == _fold(labels["en"][0])


@pytest.mark.parametrize("scheme", SESSION_SCHEMES)
def test_preferred_labels_are_distinct_within_a_scheme(schemes, scheme):
    for lang in LANGS:
        labels = Counter(_fold(v) for c in _concepts(schemes, scheme)
                         for v in _by_lang(schemes, c, SKOS.prefLabel)[lang])
        assert [w for w, n in labels.items() if n > 1] == [], lang


@pytest.mark.parametrize("scheme", SESSION_SCHEMES)
def test_every_label_names_one_concept_of_its_scheme(schemes, scheme):
    # A word a participant types, in any language, must not point to two concepts of one scheme.
    owner = {}
    for c in _concepts(schemes, scheme):
        for p in (SKOS.prefLabel, SKOS.altLabel):
            for values in _by_lang(schemes, c, p).values():
                for v in values:
                    assert owner.setdefault(_fold(v), c) == c, (v, c, owner[_fold(v)])


@pytest.mark.parametrize("scheme", SESSION_SCHEMES)
def test_alternative_labels_add_words(schemes, scheme):
    for c in _concepts(schemes, scheme):
        prefs = _by_lang(schemes, c, SKOS.prefLabel)
        alts = _by_lang(schemes, c, SKOS.altLabel)
        assert set(alts) <= set(LANGS), c
        for lang, values in alts.items():
            assert all(v.strip() == v and v for v in values), (c, lang)
            assert len(set(map(_fold, values))) == len(values), (c, lang, values)
            assert _fold(prefs[lang][0]) not in map(_fold, values), (c, lang)


def test_crimes_have_the_synonyms_participants_type(schemes):
    def alts(slug):
        return {_fold(v) for v in schemes.objects(CONCEPT[slug], SKOS.altLabel)}

    assert {"tip", "human trafficking", "人身売買", "الاتجار بالبشر", "trata"} <= alts("crime/trafficking-in-persons")
    assert {"som", "people smuggling", "密入国", "trafic de migrants"} <= alts("crime/smuggling-of-migrants")
    # every crime, category, form of exploitation and means of control has a synonym beyond English
    for scheme in ("crime", "category", "control", "exploitation"):
        for c in _concepts(schemes, scheme):
            assert {v.language for v in schemes.objects(c, SKOS.altLabel)} - {"en"}, c


def _letters_outside(text: str, scripts: tuple[str, ...]) -> list[str]:
    bad = []
    for ch in text:
        if unicodedata.category(ch)[0] in "LM":
            name = unicodedata.name(ch, "")
            if not name.startswith(scripts):
                bad.append(ch)
    return bad


@pytest.mark.parametrize("lang", LANGS)
def test_labels_are_written_in_the_script_of_their_language(schemes, lang):
    seen = 0
    for scheme in SESSION_SCHEMES:
        for s in [SCHEME[scheme], *_concepts(schemes, scheme)]:
            for p in (SKOS.prefLabel, SKOS.altLabel):
                for v in _by_lang(schemes, s, p).get(lang, []):
                    assert _letters_outside(v, SCRIPTS[lang]) == [], (s, lang, v)
                    # codes such as "2a" or "+" are English alternative labels only
                    assert (lang, p) == ("en", SKOS.altLabel) or any(unicodedata.category(ch)[0] == "L" for ch in v), (s, lang, v)
                    seen += 1
    assert seen >= 80


def test_script_check_catches_a_wrong_script():
    assert _letters_outside("人身取引", SCRIPTS["zh"]) == []
    assert _letters_outside("移民の密入国", SCRIPTS["zh"]) == ["の"]
    assert _letters_outside("Торговля людьми", SCRIPTS["ar"])
    assert _letters_outside("tráfico ilícito", SCRIPTS["es"]) == []


@pytest.mark.parametrize("slug", sorted(OFFICIAL))
def test_official_un_terms(schemes, slug):
    labels = _by_lang(schemes, CONCEPT[slug], SKOS.prefLabel)
    for lang, term in OFFICIAL[slug].items():
        assert labels[lang] == [term], (slug, lang)


# --- the shapes hold the rule ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validation():
    def load(name):
        return rdflib.Graph().parse(data=ontology.path(name).read_text(encoding="utf-8"), format="turtle")

    onto, shapes = load("crimekg.ttl"), load("shapes.ttl")
    # the ontology holds the structures of the session's data sets, as a workspace holds them all
    layer = load("schemes.ttl") + load("session.ttl") + onto

    def validate(update: str | None = None):
        g = layer + rdflib.Graph()
        if update:
            g.update("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + update)
        conforms, report, _ = pyshacl.validate(data_graph=g, shacl_graph=shapes, ont_graph=onto)
        return conforms, {str(m) for m in report.objects(None, SH.resultMessage)}

    return validate


TIP = f"<{CONCEPT['crime/trafficking-in-persons']}>"
BAD_LABELS = {
    "two French names": (f'INSERT DATA {{ {TIP} skos:prefLabel "Traite"@fr }}',
                         "A concept has at most one preferred label per language"),
    "no English name": (f'DELETE DATA {{ {TIP} skos:prefLabel "Trafficking in persons"@en }}',
                        "A concept needs exactly one English preferred label"),
    "two English names": (f'INSERT DATA {{ {TIP} skos:prefLabel "Human trafficking"@en }}',
                          "A concept needs exactly one English preferred label"),
    "a language outside the seven": (f'INSERT DATA {{ {TIP} skos:prefLabel "Menschenhandel"@de }}',
                                     "A concept has at most one preferred label per language"),
    "an untagged synonym": (f'INSERT DATA {{ {TIP} skos:altLabel "trafficking people" }}',
                            "A concept's alternative labels are non-empty and tagged"),
}


def test_shipped_labels_conform(validation):
    conforms, messages = validation()
    assert conforms, messages


@pytest.mark.parametrize("case", sorted(BAD_LABELS))
def test_shapes_refuse_bad_labels(validation, case):
    update, message = BAD_LABELS[case]
    conforms, messages = validation(update)
    assert not conforms
    assert any(m.startswith(message) for m in messages), messages


# --- English stays the default name ----------------------------------------------------------------


def test_vocabulary_shows_english_names_and_reads_every_language():
    from crimekg.graph.contributions import Vocabulary, normalize

    vocab = Vocabulary.bundled()
    tip, som = CONCEPT["crime/trafficking-in-persons"], CONCEPT["crime/smuggling-of-migrants"]
    assert vocab.names["crime"][tip] == "Trafficking in persons"
    assert vocab.names["category"][CONCEPT["category/concealment"]] == "Concealment"
    assert vocab.names["level"][CONCEPT["level/regional"]] == "Regional"
    assert vocab.words["crime"][normalize("Trata de personas")] == tip
    assert vocab.words["crime"][normalize("traite des personnes")] == tip
    assert vocab.words["crime"][normalize("Tráfico ilícito de migrantes")] == som
    # a label whose folded form is empty (a script the folding drops) never becomes a word; "-" still is one
    assert all(vocab.words[s] and "" not in vocab.words[s] for s in ("crime", "category", "actor", "level", "topic"))
    assert vocab.words["polarity"][normalize("-")] == CONCEPT["polarity/negative"]


@pytest.mark.parametrize("scheme", SESSION_SCHEMES)
def test_folded_labels_still_name_one_concept(schemes, scheme):
    # Sheets fold a word (case, accents, punctuation) before looking it up: folding must not merge two concepts.
    from crimekg.graph.contributions import normalize

    owner = {}
    for c in _concepts(schemes, scheme):
        for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.notation):
            for v in schemes.objects(c, p):
                if word := normalize(v):
                    assert owner.setdefault(word, c) == c, (scheme, v, c, owner[word])


@pytest.fixture
def ws(tmp_path):
    """A workspace with two factors in different categories and one link between them."""
    from crimekg.graph.store import Changeset, graph_iri, init_store

    ckg = Namespace(ontology.CKG)
    factor = Namespace("https://w3id.org/crimekg/data/factor/")
    link = rdflib.URIRef("https://w3id.org/crimekg/data/link/a--finances--b")
    path = tmp_path / "ws"
    with init_store(path) as store:
        changes = Changeset()
        changes.replace_graph(graph_iri("contributions/test"), [
            (factor.a, rdflib.RDF.type, ckg.Factor), (factor.a, SKOS.prefLabel, Literal("Remittance shops")),
            (factor.a, ckg.category, CONCEPT["category/profiting"]),
            (factor.b, rdflib.RDF.type, ckg.Factor), (factor.b, SKOS.prefLabel, Literal("Bribed judges")),
            (factor.b, ckg.category, CONCEPT["category/impunity"]),
            (link, rdflib.RDF.type, ckg.FactorLink), (link, ckg.fromFactor, factor.a), (link, ckg.toFactor, factor.b),
            (link, ckg.relation, CONCEPT["relation/finances"]), (link, ckg.polarity, CONCEPT["polarity/positive"]),
        ])
        store.write(changes)
    return str(path)


@pytest.mark.parametrize("word", ["Impunity", "impunidad", "Impunité", "Безнаказанность", "الإفلات من العقاب",
                                  "有罪不罚", "不処罰", "訴追の回避"])
def test_a_parameter_names_a_concept_in_any_language(ws, word):
    from crimekg.graph.query import named_query, run_query
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        rows = run_query(store, named_query("factors-by-category"), {"category": word}).records()
    assert [r["label"] for r in rows] == ["Bribed judges"]


def test_query_tables_show_one_english_row_per_link(ws):
    from crimekg.graph.query import named_query, run_query
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        links = run_query(store, named_query("factor-links")).records()
        between = run_query(store, named_query("links-between-categories")).records()
    assert [(r["from"], r["relation"], r["to"], r["polarity"]) for r in links] == [
        ("Remittance shops", "finances", "Bribed judges", "positive")]
    assert [(r["fromCategory"], r["toCategory"], r["relation"], int(r["links"])) for r in between] == [
        ("profiting", "impunity", "finances", 1)]
