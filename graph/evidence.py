"""The evidence model: the IRIs and codes of observations, flows and data sets, and place names.

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
import re
import unicodedata
from dataclasses import dataclass, field

from crimekg import ontology

from crimekg.graph import terms
from crimekg.graph.terms import concept, dataset_iri, flow_iri, observation_iri, structure_iri  # noqa: F401  (re-exported)
from crimekg.graph.terms import CKG, DCAT, DCT, FOAF, GEO, PROV, QB, RDF_TYPE, RDFS, SKOS, XSD  # noqa: F401  (re-exported)
from crimekg.graph.errors import InvalidInput

__all__ = [
    "Places",
    "Match",
    "OWN_NATIONALS",
    "MOJIBAKE",
    "fold_name",
    "slugify",
    "concept",
    "observation_iri",
    "flow_iri",
    "dataset_iri",
    "conflicts_iri",
    "structure_iri",
    "TOTAL",
    "NOT_STATED",
    "NTriples",
    "P",
    "A",
    "T_OBS",
    "T_DATASET",
    "nt_iri",
    "nt_literal",
    "term_text",
]




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


def term_text(term: str) -> str:
    """An N-Triples term as plain text: an IRI without brackets, a literal's lexical form.

    >>> term_text("<urn:a>"), term_text('"2019"^^<http://www.w3.org/2001/XMLSchema#gYear>'), term_text('"a \\"b\\""')
    ('urn:a', '2019', 'a "b"')
    """
    if term.startswith("<"):
        return term[1:-1]
    body = term[1:term.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), body)


def fold_name(text: str) -> str:
    """Fold a name for lookup: case, accents on Latin letters, punctuation ("C\u00f4te d\u2019Ivoire" = "cote d ivoire").

    Letters of other scripts are kept (so a Japanese or Russian name is never folded to nothing).

    >>> fold_name("C\u00f4te d\u2019Ivoire"), fold_name("\u30ac\u30fc\u30ca"), fold_name("\u0413\u0430\u043d\u0430")
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
OWN_NATIONALS = {fold_name(n) for n in ("Nationals", "Ciudadanos de su país", "own country", "Nationaux",
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
                names.setdefault(fold_name(labels[code]), code)
                kinds.setdefault(fold_name(labels[code]), ("name", "", labels[code]))
                spellings.append((labels[code], "", code))
                if "iso2" in r:
                    iso2[str(r["iso2"])] = code
            elif "m49" in r:
                m49_of[r["p"]] = str(r["m49"])
                regions.setdefault(fold_name(str(r["label"])), str(r["m49"]))
        if not labels:
            raise InvalidInput("the workspace has no places graph: run `crimekg init --upgrade` to add it")

        def rank(r) -> tuple:  # English names first, then other languages, then misspellings
            lang = getattr(r["name"], "language", None) or ""
            return (r["hidden"].toPython() is True, lang not in ("", "en"), lang, str(r["name"]))

        for r in sorted(alt_rows, key=rank):
            text, key = str(r["name"]), fold_name(str(r["name"]))
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
        return self.names.get(fold_name(text))

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
        key = fold_name(text)
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
        code = self.regions.get(fold_name(text))
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


#: Codes for a dimension an observation's breakdown leaves unset or its source does not state.
TOTAL = f"<{ontology.CONCEPT}cube-code/total>"
NOT_STATED = f"<{ontology.CONCEPT}cube-code/not-stated>"


def conflicts_iri(source: str) -> str:
    """The data set of a source's rows whose key came more than once with different values.

    >>> conflicts_iri("glotip")
    'https://w3id.org/crimekg/resource/dataset/glotip/conflicts'
    """
    return f"{dataset_iri(source)}/conflicts"
