"""Shared pieces of the evidence layer: N-Triples building, place lookup, vocabulary, provenance.

Every evidence importer (``graph/importers/{glotip,iom,frontex,ctdc,sherloc}.py``) writes one
named graph ``import/{source}`` holding only its observations (``qb:Observation``), its data set
record and its provenance. A concept or a ``ckg:Flow`` is described once: the concepts crimekg
knows are in the bundled schemes; any other concept a file names, and every flow, is added to the
shared graph ``vocabulary`` in the same changeset, with a description that depends only on its
IRI, so two sources never describe it twice. Bulk imports write N-Triples text (see
:class:`NTriples`): building one rdflib term per value is too slow for the 58,769 rows of GLOTIP.

Value types:

- ``ckg:indicator``, ``ckg:sex``, ``ckg:ageGroup`` and ``ckg:breakdown`` point to **SKOS
  concepts** (``concept/indicator/...``, ``concept/sex/...``, ``concept/age/...``,
  ``concept/breakdown/...``), declared in each import graph that uses them; age groups of
  different sources are linked with ``skos:broader`` (CTDC 9--17 is narrower than 0 to 17 years).
- ``ckg:citizenship`` points to a place when the source names a country it can be matched to;
  otherwise it is the source's own text (``"Nationals"``, ``"Abroad"``); the raw text is kept
  as ``ckg:sourceCategory`` on every citizenship and repatriation row.
- A count that may be suppressed uses the measure dimension (:func:`add_count`): published,
  ``qb:measureType ckg:count ; ckg:count N``; suppressed (``<5``), ``qb:measureType
  ckg:suppressedCount ; ckg:suppressedCount "<5" ; ckg:suppressed true ; ckg:lowerBound 1 ;
  ckg:upperBound 4`` and no ``ckg:count``. Aggregates add published counts only and report how
  many suppressed cells they left out.
- Every observation has every dimension of its data set's structure (``resource/structure/...``
  in the ontology): a dimension its breakdown leaves unset is :data:`TOTAL`, one its source does
  not state :data:`NOT_STATED`.
- Duplicate keys (:func:`split_duplicates`): the same key with the same value is stored once;
  with different values every row goes to ``dataset/{source}/conflicts`` with ``ckg:sourceRow``.
- Routes (IOM, Frontex) are concepts ``concept/smuggling-route/{slug}`` with ``ckg:topic
  topic:migrant-smuggling-routes``; the same route has the same IRI in both sources.
- Flows: a citizenship observation points with ``ckg:flow`` to ``data/flow/{FROM}--{TO}``
  (``ckg:origin``, ``ckg:destination``), shared by GLOTIP and CTDC.

Every ``ckg:`` term the importers write (``ckg:breakdown``, ``ckg:route``, ``ckg:Flow``,
``ckg:CaseReference``, the provenance counts ...) is declared in ``ontology/crimekg.ttl``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from crimekg import ontology

from crimekg.graph import terms
from crimekg.graph.errors import InvalidInput

__all__ = [
    "NTriples",
    "Places",
    "Match",
    "OWN_NATIONALS",
    "Progress",
    "slugify",
    "nt_iri",
    "nt_literal",
    "concept",
    "observation_iri",
    "flow_iri",
    "unique_iri",
    "add_flows",
    "add_count",
    "add_vocabulary",
    "Cell",
    "split_duplicates",
    "duplicate_warning",
    "structure_iri",
    "term_text",
    "conflicts_iri",
    "static_concepts",
    "concept_label",
    "VOCABULARY_GRAPH",
    "TOTAL",
    "NOT_STATED",
    "ROUTES",
    "route_for",
    "SOURCE_INFO",
    "add_provenance",
    "add_concepts",
    "wrong_layout",
    "file_digest",
    "dataset_iri",
    "already_imported",
    "unchanged_plan",
    "read_csv",
    "csv_header",
]

CKG = ontology.CKG
QB = "http://purl.org/linked-data/cube#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"

#: Importer version recorded in every import graph's provenance.
IMPORTER_VERSION = "2"

#: ``progress(done, total)``: called now and then by long imports (the CLI draws it on a terminal).
Progress = Callable[[int, int], None]


@functools.lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """The slug evidence IRIs use: :func:`crimekg.graph.terms.slugify` with no length cut and
    ``unspecified`` for empty text.

    >>> slugify("Ciudadanos de su país")
    'ciudadanos-de-su-pais'
    >>> slugify("0 to 17 years")
    '0-to-17-years'
    >>> slugify("")
    'unspecified'
    """
    return terms.slugify(text, max_length=None, empty="unspecified")


def nt_iri(iri: str) -> str:
    """Return ``iri`` as an N-Triples term.

    >>> nt_iri("https://w3id.org/crimekg/place/AGO")
    '<https://w3id.org/crimekg/place/AGO>'
    """
    return f"<{iri}>"


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def nt_literal(value: object, datatype: str | None = None, lang: str | None = None) -> str:
    """Return a literal as an N-Triples term (escaped; a datatype is a full IRI).

    >>> nt_literal('say "hi"')
    '"say \\\\"hi\\\\""'
    >>> nt_literal(2017, XSD + "gYear")
    '"2017"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    >>> nt_literal("Angola", lang="en")
    '"Angola"@en'
    """
    text = str(value).translate(_ESCAPES)
    if lang:
        return f'"{text}"@{lang}'
    if datatype:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


def concept(scheme: str, slug: str) -> str:
    """Return the IRI of a concept.

    >>> concept("sex", "female")
    'https://w3id.org/crimekg/concept/sex/female'
    """
    return f"{ontology.CONCEPT}{scheme}/{slug}"


def observation_iri(source: str, *parts: str) -> str:
    """Return an observation's IRI, built from its source and its dimension values (stable).

    >>> observation_iri("glotip", "AGO", "2017", "persons-convicted")
    'https://w3id.org/crimekg/data/observation/glotip/AGO/2017/persons-convicted'
    """
    return f"{ontology.DATA}observation/{source}/" + "/".join(parts)


def flow_iri(origin: str, destination: str) -> str:
    """Return the IRI of the flow between two places given by their last IRI segment or code.

    >>> flow_iri("NGA", "ITA")
    'https://w3id.org/crimekg/data/flow/NGA--ITA'
    """
    return f"{ontology.DATA}flow/{origin}--{destination}"


class NTriples:
    """N-Triples text built line by line, with its subject count kept for summaries.

    >>> nt = NTriples()
    >>> nt.add(nt_iri("urn:a"), nt_iri("urn:p"), nt_literal("x"))
    >>> nt.text()
    '<urn:a> <urn:p> "x" .\\n'
    >>> len(nt)
    1
    """

    def __init__(self) -> None:
        self._lines: list[str] = []

    def add(self, s: str, p: str, o: str) -> None:
        """Add one triple of N-Triples terms."""
        self._lines.append(f"{s} {p} {o} .\n")

    def text(self) -> str:
        """The whole text."""
        return "".join(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


@functools.lru_cache(maxsize=None)
def P(name: str) -> str:  # noqa: N802 - short helper for ckg: predicates as N-Triples terms
    return f"<{CKG}{name}>"


A = f"<{RDF_TYPE}>"
T_OBS = f"<{QB}Observation>"
T_DATASET = f"<{QB}dataSet>"


# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------

def _norm(text: str) -> str:
    """Fold a name for lookup: case, accents on Latin letters, punctuation ("C\u00f4te d\u2019Ivoire" = "cote d ivoire").

    Letters of other scripts are kept (so a Japanese or Russian name is never folded to nothing).

    >>> _norm("C\u00f4te d\u2019Ivoire"), _norm("\u30ac\u30fc\u30ca"), _norm("\u0413\u0430\u043d\u0430")
    ('cote d ivoire', '\u30ac\u30fc\u30ca', '\u0433\u0430\u043d\u0430')
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and out and out[-1] < "\u0250":
            continue  # an accent on a Latin letter
        out.append(ch)
    text = unicodedata.normalize("NFC", "".join(out)).casefold().replace("&", " and ")
    return re.sub(r"[\W_]+", " ", text).strip()


#: How the sources write "the reporting country's own citizens" in a citizenship column.
OWN_NATIONALS = {_norm(n) for n in ("Nationals", "Ciudadanos de su país", "own country", "Nationaux",
                                    "Own nationals", "Citizens of the country")}

#: U+FFFD: the replacement character a publisher's export leaves where it could not encode a letter.
MOJIBAKE = "\ufffd"


@dataclass(frozen=True)
class Match:
    """How a name was matched: ``code`` (ISO3), ``how`` and the text it was read as.

    ``how`` is ``"code"`` or ``"name"`` (an ISO code, or the English name or an English alternative),
    ``"language"`` (a name in another language, ``lang`` says which), ``"alias"`` (a misspelling
    or demonym: ``skos:hiddenLabel``), ``"repaired"`` (mis-encoded text that one known name fits) or
    ``"nationals"`` (the reporting country's own citizens; ``code`` is empty, the caller knows it).
    """

    code: str
    how: str
    text: str = ""
    lang: str = ""


@dataclass
class Places:
    """Countries and M49 regions of the workspace's places graph, found by code or name.

    Names are every label of ``ontology/places.ttl``: the English label and alternatives, the
    names in other languages (``skos:altLabel`` with a language tag) and known misspellings and
    demonyms (``skos:hiddenLabel``). :meth:`match` also says which kind of name matched, and
    repairs a name the publisher mis-encoded (U+FFFD) where exactly one country fits.

    >>> p = Places({"AGO": "Angola"}, {"angola": "AGO"}, {"sub saharan africa": "202"}, {})
    >>> p.country("Angola"), p.country("AGO"), p.region("Sub-Saharan Africa")
    ('https://w3id.org/crimekg/place/AGO', 'https://w3id.org/crimekg/place/AGO', 'https://w3id.org/crimekg/place/m49/202')
    >>> p = Places({"CIV": "C\u00f4te d'Ivoire"}, {"cote d ivoire": "CIV"}, {}, {},
    ...            {"cote d ivoire": ("name", "", "C\u00f4te d'Ivoire")})
    >>> p.match("C\ufffdTE D'IVOIRE")
    Match(code='CIV', how='repaired', text="C\u00f4te d'Ivoire", lang='')
    """

    labels: dict[str, str]          # ISO3 -> English label
    names: dict[str, str]           # normalised name -> ISO3
    regions: dict[str, str]         # normalised region name -> M49 code
    iso2: dict[str, str] = field(default_factory=dict)  # ISO2 -> ISO3
    kinds: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # normalised name -> (how, lang, text)
    spellings: list[tuple[str, str, str]] = field(default_factory=list)  # every name as written: (text, lang, ISO3)

    @classmethod
    def from_store(cls, store) -> Places:
        """Read the places graph of ``store`` (two queries)."""
        rows = store.select(
            """SELECT ?p ?iso3 ?iso2 ?m49 ?label WHERE {
                 ?p a ckg:Place ; rdfs:label ?label .
                 OPTIONAL { ?p ckg:iso3 ?iso3 } OPTIONAL { ?p ckg:iso2 ?iso2 } OPTIONAL { ?p ckg:m49 ?m49 } }"""
        )
        alt_rows = store.select(
            """SELECT ?p ?name ?hidden WHERE { ?p a ckg:Place .
                 { ?p skos:altLabel ?name BIND(false AS ?hidden) } UNION { ?p skos:hiddenLabel ?name BIND(true AS ?hidden) } }"""
        )
        labels, names, regions, iso2, kinds, spellings = {}, {}, {}, {}, {}, []
        code_of, m49_of = {}, {}
        for r in rows:
            if "iso3" in r:
                code = str(r["iso3"])
                code_of[r["p"]] = code
                labels[code] = str(r["label"])
                names.setdefault(_norm(labels[code]), code)
                kinds.setdefault(_norm(labels[code]), ("name", "", labels[code]))
                spellings.append((labels[code], "", code))
                if "iso2" in r:
                    iso2[str(r["iso2"])] = code
            elif "m49" in r:
                m49_of[r["p"]] = str(r["m49"])
                regions.setdefault(_norm(str(r["label"])), str(r["m49"]))
        if not labels:
            raise InvalidInput("the workspace has no places graph: run `crimekg init --upgrade` to add it")

        def rank(r) -> tuple:  # English names first, then other languages, then misspellings
            lang = getattr(r["name"], "language", None) or ""
            return (r["hidden"].toPython() is True, lang not in ("", "en"), lang, str(r["name"]))

        for r in sorted(alt_rows, key=rank):
            text, key = str(r["name"]), _norm(str(r["name"]))
            lang = getattr(r["name"], "language", None) or ""
            if r["p"] in m49_of:
                regions.setdefault(key, m49_of[r["p"]])
            elif r["p"] in code_of and key:
                names.setdefault(key, code_of[r["p"]])
                how = "alias" if r["hidden"].toPython() is True else ("name" if lang in ("", "en") else "language")
                kinds.setdefault(key, (how, lang, text))
                spellings.append((text, lang, code_of[r["p"]]))
        return cls(labels, names, regions, iso2, kinds, spellings)

    def iso3(self, text: str) -> str | None:
        """Return the ISO3 code of a country given by ISO3, ISO2 or name (or ``None``)."""
        text = (text or "").strip()
        if text.upper() in self.labels and len(text) == 3:
            return text.upper()
        if len(text) == 2 and text.upper() in self.iso2:
            return self.iso2[text.upper()]
        return self.names.get(_norm(text))

    def match(self, text: str) -> Match | None:
        """Match a country name and say how: see :class:`Match` (``None`` when nothing fits).

        A name with U+FFFD in it is compared letter by letter with every known name, each U+FFFD
        standing for one accented or non-Latin letter or typographic sign; it is repaired when the
        names it fits all belong to one country (or all mean "own nationals").
        """
        text = (text or "").strip()
        if not text:
            return None
        if MOJIBAKE in text:
            return self._repair(text)
        key = _norm(text)
        if key in OWN_NATIONALS:
            return Match("", "nationals", text)
        code = self.iso3(text)
        if code is None:
            return None
        if len(text) in (2, 3) and text.upper() in (code, self._iso2_of(code)):
            return Match(code, "code", text)
        how, lang, known = self.kinds.get(key, ("name", "", text))
        return Match(code, how, known, lang)

    def _iso2_of(self, code: str) -> str:
        return next((k for k, v in self.iso2.items() if v == code), "")

    def _repair(self, text: str) -> Match | None:
        spellings = self.spellings or [(known, lang, code) for key, code in self.names.items()
                                       for _how, lang, known in [self.kinds.get(key, ("name", "", key))]]
        found: dict[str, tuple[str, str]] = {}
        for known, lang, code in [*spellings, ("Ciudadanos de su país", "es", ""), ("Nationaux", "fr", "")]:
            if _fits(text, known):
                found.setdefault(code, (known, lang))
        if len(found) != 1:
            return None
        code, (known, lang) = next(iter(found.items()))
        return Match(code, "repaired", known, lang)

    def country(self, text: str) -> str | None:
        """Return the place IRI of a country given by ISO3, ISO2 or name (or ``None``)."""
        code = self.iso3(text)
        return ontology.PLACE + code if code else None

    def region(self, text: str) -> str | None:
        """Return the place IRI of an M49 region given by name or code (or ``None``)."""
        text = (text or "").strip()
        if text.isdigit():
            return f"{ontology.PLACE}m49/{text.zfill(3)}"
        code = self.regions.get(_norm(text))
        return f"{ontology.PLACE}m49/{code}" if code else None


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _fits(damaged: str, known: str) -> bool:
    """True when ``known`` reads as ``damaged`` with each U+FFFD standing for one non-ASCII character."""
    if len(damaged) != len(known):
        return False
    for d, k in zip(damaged.casefold(), known.casefold()):
        if d == MOJIBAKE:
            if ord(k) < 128:
                return False
        elif d.translate(_APOSTROPHES) != k.translate(_APOSTROPHES):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Vocabulary used by the evidence layer
# ---------------------------------------------------------------------------------------------

#: Smuggling routes: slug -> (label, alternative labels as the sources write them).
ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "central-mediterranean": ("Central Mediterranean route", ("Central Mediterranean", "Central Mediterranean Route")),
    "western-mediterranean": ("Western Mediterranean route", ("Western Mediterranean", "Western Mediterranean Route")),
    "eastern-mediterranean": ("Eastern Mediterranean route", ("Eastern Mediterranean", "Eastern Mediterranean Route")),
    "western-balkans": ("Western Balkans route", ("Western Balkans", "Western Balkan Route")),
    "western-african-atlantic": ("Western African Atlantic route", ("Western African", "Western African Route", "Western African Atlantic Route")),
    "central-american": ("Central American route", ("Central America to US", "Central American Route")),
    "eastern-borders": ("Eastern Borders route", ("Eastern Borders Route", "Eastern Borders")),
    "black-sea": ("Black Sea route", ("Black Sea Route", "Black Sea")),
    "albania-greece-circular": ("Circular route from Albania to Greece", ("Circular Route from Albania to Greece",)),
    "frontex-other": ("Other routes into the EU (Frontex)", ("Other",)),
    "ehoa-eastern": ("Eastern route (East and Horn of Africa to Yemen and the Gulf)", ("EHOA Eastern Route", "Horn Africa to Yemen")),
    "ehoa-southern": ("Southern route (East and Horn of Africa to Southern Africa)", ("EHOA Southern Route",)),
    "ehoa-northern": ("Northern route (East and Horn of Africa to North Africa)", ("EHOA Northern Route",)),
    "ehoa-horn-of-africa": ("Horn of Africa route", ("EHOA Horn of Africa Route",)),
    "asia-pacific": ("Asia Pacific routes", ("Asia Pacific routes",)),
    "intra-african": ("Intra-African routes", ("Intra-African routes",)),
    "intra-european": ("Intra-European routes", ("Intra-European routes",)),
    "south-american": ("South American route", ("South American Route",)),
    "darien-gap": ("Darién Gap", ("Darien Gap",)),
    "calais-to-united-kingdom": ("Calais to United Kingdom", ("Calais to United Kingdom",)),
    "italy-to-france": ("Italy to France", ("Italy to France",)),
    "dominican-republic-to-puerto-rico": ("Dominican Republic to Puerto Rico", ()),
    "malaysia-to-indonesia": ("Malaysia to Indonesia", ()),
    "from-haiti-to-dajabon-dominican-republic": ("From Haiti to Dajabón, Dominican Republic", ("From Haiti to Dajabon, Dominican Republic",)),
    "caribbean-to-central-america": ("Caribbean to Central America", ()),
    "venezuela-to-curacao": ("Venezuela to Curaçao", ()),
}
_ROUTE_INDEX = {_norm(alt): slug for slug, (label, alts) in ROUTES.items() for alt in (label, *alts)}
_NO_ROUTE = {"", "undefined", "unknown"}


def route_for(text: str) -> str | None:
    """Return the route slug for a route as a source writes it (a new slug for an unknown route).

    >>> route_for("Western Balkan Route"), route_for("Western Balkans"), route_for("Undefined")
    ('western-balkans', 'western-balkans', None)
    >>> route_for("Venezuela to Curaçao")
    'venezuela-to-curacao'
    """
    key = _norm(text or "")
    if key in _NO_ROUTE:
        return None
    return _ROUTE_INDEX.get(key) or slugify(text)


#: The graph every importer adds the concepts and flows it names to (set semantics: a concept
#: described by two imports is still described once).
VOCABULARY_GRAPH = ontology.GRAPH + "vocabulary"

#: Collections serving as a dimension's code list, joined by every concept of the scheme.
_CODE_LISTS = {"smuggling-route": ontology.SCHEME + "smuggling-route-codes"}


@functools.lru_cache(maxsize=1)
def static_concepts() -> frozenset[str]:
    """The concepts the bundled schemes describe (importers never describe them again)."""
    import pyoxigraph as ox

    data = ontology.path("schemes.ttl").read_bytes()
    concept_type = ox.NamedNode(SKOS + "Concept")
    return frozenset(
        q.subject.value for q in ox.parse(data, format=ox.RdfFormat.TURTLE)
        if q.predicate.value == RDF_TYPE and q.object == concept_type
    )


def concept_label(slug: str, raw: str) -> str:
    """The label of a concept the schemes do not hold: a function of its IRI's slug only.

    Two sources writing the same concept differently ("Caribbean to Central america", "CARIBBEAN
    TO CENTRAL AMERICA") give it one label. A slug made from a digest (text in a non-Latin script)
    stands for exactly one text, which is then the label.

    >>> concept_label("caribbean-to-central-america", "CARIBBEAN TO CENTRAL AMERICA")
    'Caribbean to central america'
    >>> concept_label(slugify("ルート"), "ルート")
    'ルート'
    """
    if slug.startswith("x-") or (terms.slug_has_digest(raw) and slug == slugify(raw)):
        return raw.strip()
    text = slug.replace("-", " ")
    return text[:1].upper() + text[1:]


@dataclass
class Vocabulary:
    """The concepts one import names that the bundled schemes do not describe.

    :func:`add_concepts` writes them to the shared vocabulary graph; a concept of the schemes is
    only pointed to.
    """

    concepts: dict[str, tuple[str, str, dict]] = field(default_factory=dict)  # iri -> (scheme, label, extra)

    def use(self, scheme: str, slug: str, raw: str = "", **extra) -> str:
        """Record that concept ``scheme/slug`` is used; return its IRI as an N-Triples term.

        ``extra`` (``topic``, ``broader``, ``crime``) must follow from the slug alone.
        """
        iri = concept(scheme, slug)
        if iri not in self.concepts and iri not in static_concepts():
            self.concepts[iri] = (scheme, concept_label(slug, raw or slug), extra)
        return f"<{iri}>"

    def route(self, raw: str) -> str | None:
        """The route concept of a route as written by a source (``None`` for none)."""
        slug = route_for(raw)
        if slug is None:
            return None
        return self.use("smuggling-route", slug, raw, topic=concept("topic", "migrant-smuggling-routes"),
                        crime=concept("crime", "smuggling-of-migrants"))


def add_concepts(nt: NTriples, vocab: Vocabulary) -> None:
    """Write the concepts an import named that the schemes lack (for the vocabulary graph)."""
    for iri, (scheme, label, extra) in sorted(vocab.concepts.items()):
        s = f"<{iri}>"
        nt.add(s, A, f"<{SKOS}Concept>")
        nt.add(s, f"<{SKOS}prefLabel>", nt_literal(label, lang="en"))
        nt.add(s, f"<{SKOS}inScheme>", f"<{ontology.SCHEME}{scheme}>")
        if extra.get("broader"):
            nt.add(s, f"<{SKOS}broader>", f"<{extra['broader']}>")
        else:
            nt.add(s, f"<{SKOS}topConceptOf>", f"<{ontology.SCHEME}{scheme}>")
        for t in _as_list(extra.get("topic")):
            nt.add(s, P("topic"), f"<{t}>")
        if extra.get("crime"):
            nt.add(s, P("crimeType"), f"<{extra['crime']}>")
        if scheme in _CODE_LISTS:
            nt.add(f"<{_CODE_LISTS[scheme]}>", f"<{SKOS}member>", s)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def add_vocabulary(changes, nt: NTriples) -> None:
    """Add ``nt`` (concepts and flows) to the shared vocabulary graph, in the import's changeset."""
    if len(nt):
        changes.add.setdefault(VOCABULARY_GRAPH, [])
        changes.ntriples[VOCABULARY_GRAPH] = changes.ntriples.get(VOCABULARY_GRAPH, "") + nt.text()


#: Codes for a dimension an observation's breakdown leaves unset or its source does not state.
TOTAL = f"<{ontology.CONCEPT}cube-code/total>"
NOT_STATED = f"<{ontology.CONCEPT}cube-code/not-stated>"


def structure_iri(name: str) -> str:
    """The IRI of a data structure definition (declared in the ontology).

    >>> structure_iri("glotip")
    'https://w3id.org/crimekg/resource/structure/glotip'
    """
    return f"{ontology.RESOURCE}structure/{name}"


def add_count(nt: NTriples, s: str, value: int | None) -> None:
    """Write a count that may be suppressed with the measure-dimension pattern.

    Published: ``qb:measureType ckg:count ; ckg:count N``. Suppressed (``None``, published as
    ``<5``): ``qb:measureType ckg:suppressedCount ; ckg:suppressedCount "<5" ; ckg:suppressed
    true ; ckg:lowerBound 1 ; ckg:upperBound 4`` and no ``ckg:count``.
    """
    if value is None:
        nt.add(s, _MEASURE_TYPE, P("suppressedCount"))
        nt.add(s, P("suppressedCount"), _LT5)
        nt.add(s, P("suppressed"), _TRUE)
        nt.add(s, P("lowerBound"), _ONE)
        nt.add(s, P("upperBound"), _FOUR)
    else:
        nt.add(s, _MEASURE_TYPE, P("count"))
        nt.add(s, P("count"), nt_literal(value, f"{XSD}integer"))


_MEASURE_TYPE = f"<{QB}measureType>"
_LT5 = nt_literal("<5")
_TRUE = nt_literal("true", f"{XSD}boolean")
_ONE = nt_literal(1, f"{XSD}integer")
_FOUR = nt_literal(4, f"{XSD}integer")


# ---------------------------------------------------------------------------------------------
# Duplicate keys
# ---------------------------------------------------------------------------------------------

@dataclass
class Cell:
    """One row of a source read as an observation: its key (the observation IRI), file row and value."""

    iri: str
    line: int
    value: object
    data: object = None


def split_duplicates(cells: Iterable[Cell], describe: Callable[[Cell], dict] | None = None) -> tuple[list[Cell], list[Cell], list[dict]]:
    """Apply the duplicate-key rule: (cells for the data set, cells in conflict, duplicates found).

    Rows with the same key (the same dimension values) and the same value are stored once (the
    first row). Rows with the same key and different values are all kept out of the data set, to
    be stored in its ``/conflicts`` data set, so they are never summed. Each duplicate is listed as
    ``{"rows": [...], "key": ..., "values": [...], "kind": "identical" | "conflicting"}``.

    >>> main, conflicts, dups = split_duplicates([Cell("a", 2, 26), Cell("a", 3, None), Cell("b", 4, 1), Cell("b", 5, 1)])
    >>> [c.iri for c in main], [c.line for c in conflicts], [d["kind"] for d in dups]
    (['b'], [2, 3], ['conflicting', 'identical'])
    """
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell.iri, []).append(cell)
    main, conflicts, dups = [], [], []
    for iri, group in groups.items():
        if len(group) == 1:
            main.append(group[0])
            continue
        identical = len({repr(c.value) for c in group}) == 1
        key = describe(group[0]) if describe else iri
        dups.append({"rows": [c.line for c in group], "key": key,
                     "values": ["<5" if c.value is None else c.value for c in group],
                     "kind": "identical" if identical else "conflicting"})
        if identical:
            main.append(group[0])
        else:
            conflicts.extend(group)
    dups.sort(key=lambda d: d["rows"][0])
    return main, conflicts, dups


def term_text(term: str) -> str:
    """An N-Triples term as plain text: an IRI without brackets, a literal's lexical form.

    >>> term_text("<urn:a>"), term_text('"2019"^^<http://www.w3.org/2001/XMLSchema#gYear>'), term_text('"a \\"b\\""')
    ('urn:a', '2019', 'a "b"')
    """
    if term.startswith("<"):
        return term[1:-1]
    body = term[1:term.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), body)


def duplicate_warning(dups: list[dict], source: str) -> list[str]:
    """The one-line summary of duplicate keys for a plan's warnings (nothing when there are none)."""
    if not dups:
        return []
    same = [d for d in dups if d["kind"] == "identical"]
    diff = [d for d in dups if d["kind"] == "conflicting"]
    first = dups[0]
    return [
        f"{len(dups)} key(s) occur more than once: {len(same)} with the same value (stored once), "
        f"{len(diff)} with different values (kept apart in dataset/{source}/conflicts, never summed); "
        f"first: rows {', '.join(map(str, first['rows']))} ({', '.join(map(str, first['values']))})"
    ]


# ---------------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------------

#: What SOURCE.txt of each dataset says about its publisher and terms.
SOURCE_INFO: dict[str, dict[str, str]] = {
    "glotip": {
        "title": "UNODC GLOTIP database export (data_glotip)",
        "publisher": "unodc", "publisher_name": "United Nations Office on Drugs and Crime (UNODC)",
        "terms": "UNODC Data Portal terms of use; cite \"UNODC, GLOTIP database\".",
        "page": "https://dataunodc.un.org/dp-trafficking-persons",
    },
    "iom": {
        "title": "IOM Missing Migrants Project incident data",
        "publisher": "iom", "publisher_name": "International Organization for Migration (IOM)",
        "terms": "Published for public use with attribution (\"IOM Missing Migrants Project\"); check current MMP terms.",
        "page": "https://missingmigrants.iom.int/downloads",
    },
    "frontex": {
        "title": "Frontex detections of illegal border crossings (monthly, by route and nationality)",
        "publisher": "frontex", "publisher_name": "European Border and Coast Guard Agency (Frontex)",
        "terms": "Frontex public data, attribution to Frontex (packaged by IOM GDI, gdidata, MIT licence). Counts are detections, not persons.",
        "page": "https://www.frontex.europa.eu/what-we-do/monitoring-and-risk-analysis/migratory-map/",
    },
    "ctdc": {
        "title": "CTDC Global k-anonymised victim dataset (aggregated)",
        "publisher": "ctdc", "publisher_name": "Counter-Trafficking Data Collaborative (CTDC)",
        "terms": "CTDC Terms of Use; attribution \"Source: Counter-Trafficking Data Collaborative (CTDC)\".",
        "page": "https://www.ctdatacollaborative.org",
    },
    "sherloc": {
        "title": "UNODC SHERLOC case law database: index of trafficking in persons case pages",
        "publisher": "unodc", "publisher_name": "United Nations Office on Drugs and Crime (UNODC)",
        "terms": "UNODC website terms of use.",
        "page": "https://sherloc.unodc.org/cld/",
    },
}


def dataset_iri(source: str) -> str:
    """The IRI of an imported dataset (one per source: a newer export replaces it).

    >>> dataset_iri("glotip")
    'https://w3id.org/crimekg/resource/dataset/glotip'
    """
    return f"{ontology.RESOURCE}dataset/{source}"


def write_cells(nt: NTriples, source: str, main: Iterable, conflicts: Iterable) -> None:
    """Write observations: ``main`` into the source's data set, ``conflicts`` (each with its row)
    into its conflicts data set."""
    integer = f"<{XSD}integer>"
    for cell in main:
        _write_cell(nt, f"<{cell.iri}>", f"<{dataset_iri(source)}>", cell)
    for cell in conflicts:
        s = f"<{cell.iri}/row-{cell.line}>"
        _write_cell(nt, s, f"<{conflicts_iri(source)}>", cell)
        nt.add(s, P("sourceRow"), f'"{cell.line}"^^{integer}')


def _write_cell(nt: NTriples, s: str, dataset: str, cell) -> None:
    nt.add(s, A, T_OBS)
    nt.add(s, T_DATASET, dataset)
    for p, o in cell.data:
        nt.add(s, p, o)


def conflicts_iri(source: str) -> str:
    """The data set of a source's rows whose key came more than once with different values.

    >>> conflicts_iri("glotip")
    'https://w3id.org/crimekg/resource/dataset/glotip/conflicts'
    """
    return f"{dataset_iri(source)}/conflicts"


def file_digest(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def add_provenance(nt: NTriples, source: str, path: Path, counts: dict[str, int], *,
                   issued: str | None = None, download_date: str | None = None,
                   extra_title: str = "", statistics: bool = True, conflicts: bool = False) -> None:
    """Write the DCAT/PROV record of one import: dataset, file, publisher, terms, counts.

    A data set of statistics (``statistics``) is a ``qb:DataSet`` with the structure
    ``resource/structure/{source}``; with ``conflicts`` its ``/conflicts`` data set (rows whose key
    came twice with different values) is declared too. Nothing in it depends on when the import
    ran, so importing the same file twice writes the same graph.
    """
    if download_date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", download_date):
        raise InvalidInput(f"--download-date {download_date!r}: give the date as YYYY-MM-DD")
    info = SOURCE_INFO[source]
    ds = f"<{dataset_iri(source)}>"
    dist = f"<{dataset_iri(source)}/file/{slugify(path.name)}>"
    activity = f"<{ontology.DATA}import/{source}>"
    graph = f"<{ontology.GRAPH}import/{source}>"
    agent = f"<{ontology.AGENT}{info['publisher']}>"
    nt.add(ds, A, f"<{DCAT}Dataset>")
    nt.add(ds, A, f"<{PROV}Entity>")
    if statistics:
        nt.add(ds, A, f"<{QB}DataSet>")
        nt.add(ds, f"<{QB}structure>", f"<{structure_iri(source)}>")
    if conflicts:
        cds = f"<{conflicts_iri(source)}>"
        nt.add(cds, A, f"<{QB}DataSet>")
        nt.add(cds, f"<{QB}structure>", f"<{structure_iri(source + '-conflicts')}>")
        nt.add(cds, f"<{DCT}title>", nt_literal(info["title"] + extra_title + ": rows whose key occurs twice with different values", lang="en"))
        nt.add(cds, f"<{DCT}isPartOf>", ds)
    nt.add(ds, f"<{DCT}title>", nt_literal(info["title"] + extra_title, lang="en"))
    nt.add(ds, f"<{DCT}publisher>", agent)
    nt.add(ds, f"<{DCT}rights>", nt_literal(info["terms"], lang="en"))
    nt.add(ds, f"<{DCAT}landingPage>", f"<{info['page']}>")
    nt.add(ds, f"<{DCAT}distribution>", dist)
    if issued:
        nt.add(ds, f"<{DCT}issued>", nt_literal(issued, f"{XSD}date"))
    nt.add(agent, A, f"<{FOAF}Organization>")
    nt.add(agent, A, f"<{PROV}Agent>")
    nt.add(agent, f"<{FOAF}name>", nt_literal(info["publisher_name"], lang="en"))
    nt.add(dist, A, f"<{DCAT}Distribution>")
    nt.add(dist, f"<{DCT}title>", nt_literal(path.name))
    nt.add(dist, f"<{DCAT}byteSize>", nt_literal(path.stat().st_size, f"{XSD}integer"))
    nt.add(dist, f"<{DCT}identifier>", nt_literal("sha256:" + file_digest(path)))
    if download_date:
        nt.add(dist, f"<{DCT}date>", nt_literal(download_date, f"{XSD}date"))
    nt.add(activity, A, f"<{PROV}Activity>")
    nt.add(activity, f"<{RDFS}label>", nt_literal(f"crimekg import of {path.name} ({source})"))
    nt.add(activity, f"<{PROV}used>", dist)
    nt.add(activity, P("importerVersion"), nt_literal(f"crimekg.{source} {IMPORTER_VERSION}"))
    nt.add(graph, f"<{PROV}wasGeneratedBy>", activity)
    nt.add(graph, f"<{PROV}wasDerivedFrom>", ds)
    nt.add(ds, f"<{PROV}wasAttributedTo>", agent)
    for key, n in sorted(counts.items()):
        nt.add(activity, P(f"count{key[0].upper()}{key[1:]}"), nt_literal(n, f"{XSD}integer"))


def already_imported(store, source: str, path: Path) -> bool:
    """True when ``import/{source}`` holds this very file (same SHA-256) from this importer version."""
    rows = store.select(
        "SELECT ?g ?id ?v WHERE { GRAPH ?g { ?dist dct:identifier ?id . ?act prov:used ?dist ; ckg:importerVersion ?v } }",
        {"g": _uri(f"{ontology.GRAPH}import/{source}")},
    )
    want = ("sha256:" + file_digest(path), f"crimekg.{source} {IMPORTER_VERSION}")
    return any((str(r["id"]), str(r["v"])) == want for r in rows)


def unchanged_plan(source: str, path: Path):
    """The plan of a file imported before: no change."""
    from crimekg.graph.importers import ImportPlan
    from crimekg.graph.store import Changeset

    return ImportPlan(Changeset(), {"changes": 0}, [f"{path.name} is already imported into import/{source}: nothing changed"])


def _uri(iri: str):
    import rdflib

    return rdflib.URIRef(iri)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------

def wrong_layout(path: Path, source: str, expected: Iterable[str], found: Iterable[str], what: str = "header") -> InvalidInput:
    """The error for a file whose columns are not the source's: expected vs found, and a hint."""
    expected, found = list(expected), [str(f) for f in found if f is not None]
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    hint = ""
    from crimekg.graph.importers import SOURCES  # late: the registry imports modules that import us

    for name in SOURCES:
        if name in (source, "contributions"):
            continue
        try:
            import importlib

            if importlib.import_module(SOURCES[name]).sniff(path):
                hint = f" It looks like a {name} file: import it with --source {name}."
                break
        except (ImportError, OSError, ValueError):
            continue
    return InvalidInput(
        f"{path}: not the {source} layout: {what} is missing {', '.join(repr(c) for c in missing) or 'nothing'}"
        f" and has unexpected {', '.join(repr(c) for c in unexpected) or 'nothing'}. "
        f"Expected columns: {', '.join(expected)}. Found: {', '.join(found) or '(none)'}.{hint} "
        "Nothing was stored."
    )


def read_csv(path: Path, source: str, expected: list[str], *, encoding: str | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """Read a CSV (or .csv.gz) of a source: (header, [(line, {column: text})]).

    The header must hold every ``expected`` column (else :func:`wrong_layout`); a row with fewer
    fields than the header means a truncated file. A UTF-8 byte-order mark is dropped.
    """
    import csv
    import gzip
    import io

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            data = f.read()
    except (EOFError, OSError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc}); the file looks truncated or damaged. Nothing was stored.") from exc
    try:
        text = data.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc}); give --encoding (e.g. cp1252). Nothing was stored.") from exc
    except LookupError as exc:
        raise InvalidInput(f"{path}: unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or latin-1. Nothing was stored.") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InvalidInput(f"{path}: line 1: {exc}. Nothing was stored.") from exc
    if any(c not in header for c in expected):
        raise wrong_layout(path, source, expected, header)
    index = {c: header.index(c) for c in expected}
    rows = []
    try:
        for cells in reader:
            if not cells or not any(c.strip() for c in cells):
                continue
            if len(cells) < len(header):
                raise InvalidInput(
                    f"{path}: line {reader.line_num} has {len(cells)} of {len(header)} columns: the file looks "
                    "truncated; download it again. Nothing was stored."
                )
            rows.append((reader.line_num, {c: cells[i].strip() for c, i in index.items()}))
    except csv.Error as exc:
        raise InvalidInput(f"{path}: line {reader.line_num}: {exc}; the file looks truncated or damaged. Nothing was stored.") from exc
    if not rows:
        raise InvalidInput(f"{path}: the header is there but no data rows follow; the file looks truncated. Nothing was stored.")
    return header, rows


def csv_header(path: Path) -> list[str]:
    """The first line of a CSV (or .csv.gz) as column names; [] when it cannot be read."""
    import csv
    import gzip

    try:
        opener = gzip.open if Path(path).suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as f:
            return [h.strip() for h in next(csv.reader([f.readline()]), [])]
    except (OSError, EOFError, csv.Error, ValueError):
        return []


def unique_iri(seen: dict[str, int], iri: str) -> str:
    """``iri`` the first time; ``iri-2``, ``iri-3``... when the same cell comes again (kept, in file order).

    >>> seen = {}
    >>> [unique_iri(seen, "x") for _ in range(3)]
    ['x', 'x-2', 'x-3']
    """
    if iri in seen:
        seen[iri] += 1
        return f"{iri}-{seen[iri]}"
    seen[iri] = 1
    return iri


def add_flows(nt: NTriples, flows: Iterable[tuple[str, str]], labels: Mapping[str, str]) -> None:
    """Write one ``ckg:Flow`` node per (origin, destination) pair of ISO3 codes (for the vocabulary graph).

    Its description depends only on the two places, so every source naming a flow writes the same
    triples.
    """
    topic = f"<{concept('topic', 'trafficking-flows')}>"
    for origin, dest in sorted(flows):
        f = f"<{flow_iri(origin, dest)}>"
        nt.add(f, A, P("Flow"))
        nt.add(f, P("origin"), f"<{ontology.PLACE}{origin}>")
        nt.add(f, P("destination"), f"<{ontology.PLACE}{dest}>")
        nt.add(f, f"<{RDFS}label>", nt_literal(f"{labels[origin]} to {labels[dest]}"))
        nt.add(f, P("topic"), topic)
