"""The participant layer's words: what a value in a sheet or on the command line means.

:class:`Vocabulary` reads the values a contribution may take from the workspace itself (the
concept schemes, places and session plan graphs), so it stays in step with the ontology:
"Enabling", "enabling factor", "2a" and "a" all mean the enabling category; "TIP" and
"trafficking" mean trafficking in persons; "Japan", "JP", "JPN", "日本" and "Japon" all mean Japan.
:func:`normalize` is the forgiving comparison behind it, in any script; :meth:`crimekg.graph.resolve.Words.factor` finds
the factor a name means.

Reading a sheet is :mod:`graph.sheets`; checking and importing one is
:mod:`graph.importers.contributions`; sessions are :mod:`graph.sessions`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from rdflib import URIRef

from crimekg import ontology
from crimekg.graph.errors import InvalidInput
from crimekg.graph.evidence import Places
from crimekg.graph.sheets import Problem
from crimekg.graph.store import GraphStore
from crimekg.graph.terms import factor_iri

__all__ = [
    "CKG",
    "PROV",
    "DCT",
    "DCAT",
    "FACTOR_SCHEME",
    "SESSION_PLAN",
    "KINDS",
    "KIND_WORDS",
    "IDENTIFIER",
    "Vocabulary",
    "normalize",
    "short_label",
    "split_list",
    "nearest",
    "names_factor_exactly",
]

from crimekg.graph.terms import CKG_NS as CKG, DCAT_NS as DCAT, DCT_NS as DCT, PROV_NS as PROV  # noqa: E402  (re-exported)

FACTOR_SCHEME = URIRef(ontology.SCHEME + "factors")
SESSION_PLAN = URIRef(ontology.COURSE + "unafei-172/session-1")

#: Kinds of contribution: the class IRI and the words a sheet may use for it.
KINDS: dict[str, tuple[str, ...]] = {
    "Factor": ("factor", "factors"),
    "Pattern": ("pattern", "patterns"),
    "DataSource": ("data source", "source", "data sources", "datasource", "data", "dataset", "research source"),
    "InformationGap": ("information gap", "gap", "gaps", "information gaps", "data gap", "informationgap"),
    "Response": ("response", "responses", "measure", "intervention"),
}
#: The word for each kind of contribution, as summaries and hints write it.
KIND_WORDS = {"Factor": "factor", "Pattern": "pattern", "DataSource": "data source", "InformationGap": "information gap", "Response": "response"}
_LIST_SPLIT = re.compile(r"\s*[;|]\s*")
#: An id usable in an IRI: a session id, a contribution's own id, a slug.
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LABEL_MAX = 80
_FOLD = re.compile(r"[^0-9a-z+\-\u0080-\U0010ffff]+")
_MATCH_CACHE = 50_000  # values matched per vocabulary before its cache starts again


# ------------------------------------------------------------------------------------------------
# small pure helpers


def normalize(text: str) -> str:
    """Fold a value for forgiving comparison: case, accents, punctuation and spacing, in any script.

    Accents on Latin letters, punctuation and symbols are dropped; letters and digits of every
    script are kept, with their own marks (kana voicing marks, Thai vowels), so distinct words in
    any script stay distinct. Text whose letters are all Latin folds exactly as it always did.

    >>> normalize("  Enabling-Factor. ")
    'enabling factor'
    >>> normalize("Côte d'Ivoire")
    'cote d ivoire'
    >>> normalize("国境管理の脆弱さ"), normalize("Коррупция  НА границе")
    ('国境管理の脆弱さ', 'коррупция на границе')
    """
    return _normalize(str(text))


@functools.lru_cache(maxsize=65_536)
def _normalize(text: str) -> str:
    """:func:`normalize` of a plain string (cached: a sheet repeats its categories, places, groups)."""
    if not text.isascii():
        kept: list[str] = []
        for ch in unicodedata.normalize("NFKD", text):
            if ch.isascii():
                kept.append(ch)
            elif unicodedata.category(ch)[0] in "LN":
                kept.append(ch)
            elif unicodedata.combining(ch) and kept and not kept[-1].isascii():
                kept.append(ch)  # a mark on a letter of another script is part of the letter
            # else: an accent on a Latin letter, or punctuation or a symbol outside ASCII: dropped
        text = unicodedata.normalize("NFC", "".join(kept))
    text = text.lower()
    return " ".join(_FOLD.sub(" ", text).replace("-", " ").split())


def short_label(text: str) -> str:
    """A label from verbatim text: the text itself when short, else its first words and an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= _LABEL_MAX:
        return text
    cut = text[:_LABEL_MAX].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def nearest(value: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``value`` (compared forgivingly, at least 80% alike), for a hint."""
    from rapidfuzz import fuzz, process

    choices = list(dict.fromkeys(choices))
    if not value or not choices:
        return None
    hit = process.extractOne(value, choices, scorer=fuzz.ratio, processor=normalize, score_cutoff=80)
    return hit[0] if hit else None


_CONCEPT_LABELS = """
SELECT ?c ?scheme ?label ?pref ?order WHERE {
  ?c skos:inScheme ?scheme ; skos:prefLabel ?pref . OPTIONAL { ?c ckg:order ?order }
  { ?c skos:prefLabel ?label } UNION { ?c skos:altLabel ?label } UNION { ?c skos:notation ?label }
  FILTER(?scheme IN (scheme:crime, scheme:category, scheme:actor, scheme:level, scheme:relation, scheme:polarity, scheme:topic))
  FILTER(LANG(?pref) = "en")
}
"""


_QUESTIONS = """
SELECT ?q ?notation ?kind ?category ?label WHERE {
  ?q a ckg:ExerciseQuestion ; skos:notation ?notation .
  OPTIONAL { ?q ckg:kind ?kind } OPTIONAL { ?q ckg:category ?category } OPTIONAL { ?q rdfs:label ?label }
}
"""


_PLACES = """
SELECT ?p ?label ?pref ?country WHERE {
  { ?p a ckg:Country . BIND(true AS ?country) } UNION { ?p a ckg:Region . BIND(false AS ?country) }
  ?p rdfs:label ?pref .
  { ?p rdfs:label ?label } UNION { ?p skos:altLabel ?label } UNION { ?p ckg:iso2 ?label }
  UNION { ?p ckg:iso3 ?label } UNION { ?p ckg:m49 ?label }
}
"""


#: What a value of each kind is called in a problem ("... is not a category").
_VALUE_WHAT = {"category": "a category", "crime": "a crime type", "actor": "an actor", "level": "a level",
               "topic": "a topic of the session", "question": "an exercise question", "kind": "a kind"}


@dataclass
class Vocabulary:
    """The values a sheet may use, each a map from normalised word to IRI, plus display names."""

    words: dict[str, dict[str, URIRef]]
    names: dict[str, dict[URIRef, str]]
    question_kind: dict[URIRef, str]
    question_category: dict[URIRef, URIRef]
    category_question: dict[URIRef, URIRef]
    countries: set[URIRef]
    #: Every name of every country and region (:class:`graph.evidence.Places`): labels in each
    #: language the places carry, misspellings and demonyms; ``None`` without a places graph.
    places: Places | None = None
    _matches: dict[tuple[str, str], URIRef | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_store(cls, store: GraphStore) -> Vocabulary:
        """Read the allowed values from a workspace (its schemes, places and session graphs)."""
        return cls._build(store.select)

    @classmethod
    def bundled(cls) -> Vocabulary:
        """Read the allowed values from the bundled ontology files (no workspace needed)."""
        from crimekg.graph.store import PREFIXES
        from crimekg.graph.validate import bundled_graph

        g = bundled_graph("schemes.ttl", "places.ttl", "session.ttl")

        def select(q: str) -> list[dict]:
            res = g.query(q, initNs=PREFIXES)
            names = [str(v) for v in res.vars]
            return [{n: row[i] for i, n in enumerate(names) if row[i] is not None} for row in res]

        return cls._build(select)

    @classmethod
    def _build(cls, select: Callable[[str], list[dict]]) -> Vocabulary:
        words: dict[str, dict[str, URIRef]] = {}
        names: dict[str, dict[URIRef, str]] = {}
        for row in sorted(select(_CONCEPT_LABELS), key=lambda r: (int(r.get("order", 99)), str(r["pref"]))):
            scheme = str(row["scheme"]).rsplit("/", 1)[-1]
            word = normalize(row["label"])
            # "-" folds to "" and stays a word; a label in a script the folding drops does not become one
            if word or not any(ch.isalpha() for ch in str(row["label"])):
                words.setdefault(scheme, {}).setdefault(word, URIRef(row["c"]))
            names.setdefault(scheme, {})[URIRef(row["c"])] = str(row["pref"])
        qkind, qcat, catq = {}, {}, {}
        words["question"], names["question"] = {}, {}
        for row in sorted(select(_QUESTIONS), key=lambda r: str(r["notation"])):  # 1, 2, 2a ... as the exercise runs
            q, n = URIRef(row["q"]), str(row["notation"])
            names["question"][q] = n
            for w in (n, "q" + n, "question " + n, str(row.get("label", n))):
                words["question"][normalize(w)] = q
            if "kind" in row:
                qkind[q] = str(row["kind"]).rsplit("#", 1)[-1]
            if "category" in row:
                cat = URIRef(row["category"])
                qcat[q], catq[cat] = cat, q
                words.setdefault("category", {}).setdefault(normalize(n[-1]), cat)  # "a".."d"
        words["place"], names["place"] = {}, {}
        countries = set()
        for row in select(_PLACES):
            p = URIRef(row["p"])
            words["place"].setdefault(normalize(row["label"]), p)
            names["place"][p] = str(row["pref"])
            if row["country"].toPython() is True:
                countries.add(p)
        words["kind"] = {normalize(w): URIRef(ontology.CKG + k) for k, ws in KINDS.items() for w in (k, *ws)}
        names["kind"] = {URIRef(ontology.CKG + k): w for k, w in KIND_WORDS.items()}
        try:
            places = Places.from_store(SimpleNamespace(select=select))
        except InvalidInput:  # a workspace without a places graph: no place is allowed
            places = None
        return cls(words, names, qkind, qcat, catq, countries, places)

    def allowed(self, what: str) -> list[str]:
        """The display names of the allowed values, in a stable order."""
        if what == "place":
            return sorted(self.names["place"][p] for p in self.countries)
        return list(dict.fromkeys(self.names[what].values()))

    def match(self, what: str, value: str) -> URIRef | None:
        """The IRI ``value`` means (by any of its words, or the IRI itself), or None.

        A place that is none of the words (labels, codes) is looked up among every name the places
        carry, so a misspelling such as "Lybia" means Libya, as it does in evidence imports.
        Answers are kept: a sheet names the same few values on every row.
        """
        try:
            return self._matches[(what, value)]
        except KeyError:
            pass
        hit = self._match(what, value)
        if len(self._matches) >= _MATCH_CACHE:
            self._matches.clear()
        self._matches[(what, value)] = hit
        return hit

    def _match(self, what: str, value: str) -> URIRef | None:
        hit = self.words[what].get(normalize(value))
        if hit is None and what == "place" and self.places is not None:
            hit = self._place(value)
        if hit is None and (value or "").strip().strip("<>") in {str(i) for i in self.names.get(what, {})}:
            hit = URIRef(value.strip().strip("<>"))
        return hit

    def _place(self, value: str) -> URIRef | None:
        code = self.places.iso3(value)
        iri = ontology.PLACE + code if code else self.places.region(value)
        return URIRef(iri) if iri and URIRef(iri) in self.names["place"] else None

    def parse(self, what: str, column: str, value: str, row: int, problems: list[Problem]) -> list[URIRef]:
        """The IRIs a cell names (one value, or several separated by ';', '|' or ','); each value
        that names nothing adds a :class:`Problem` (row ``row``, column ``column``) to ``problems``."""
        out: list[URIRef] = []
        if not value:
            return out
        parts = [value] if self.match(what, value) else split_list(value)
        if len(parts) == 1 and "," in value and not self.match(what, value):
            parts = [p.strip() for p in value.split(",") if p.strip()]
        for part in parts:
            iri = self.match(what, part)
            if iri is None:
                problems.append(self.unknown(what, column, part, row))
            elif iri not in out:
                out.append(iri)
        return out

    def unknown(self, what: str, column: str, value: str, row: int) -> Problem:
        """The problem of a value that names no ``what``: what is allowed, and the nearest value."""
        near = self.nearest(what, value)
        hint = f' Did you mean "{near}"?' if near else ""
        if what == "place":
            msg = (f'"{value}" is not a known country or region. Use a country name, an ISO code '
                   f"(JP or JPN) or a UN M49 region name; write towns under \"local place\".{hint}")
        else:
            msg = f'"{value}" is not {_VALUE_WHAT[what]}. Allowed: {", ".join(self.allowed(what))}.{hint}'
        return Problem(row, column, value, msg)

    def nearest(self, what: str, value: str) -> str | None:
        """The allowed value closest to ``value``, for a hint."""
        hit = nearest(value, self.words[what])
        if hit is None:
            return None
        return self.names[what].get(self.words[what][hit], hit)


def split_list(value: str) -> list[str]:
    return [v for v in _LIST_SPLIT.split(value.strip()) if v]


def names_factor_exactly(store: GraphStore, name: str, iri: URIRef | str) -> bool:
    """Whether ``name`` names factor ``iri`` by its IRI, slug or one of its labels (compared
    forgivingly), rather than by a prefix of a label that :meth:`crimekg.graph.resolve.Words.factor` accepted.
    """
    name, iri = name.strip(), str(iri)
    if name == iri or (name.startswith("factor:") and ontology.DATA + "factor/" + name[len("factor:"):] == iri):
        return True
    if IDENTIFIER.match(name) and str(factor_iri(name)) == iri:
        return True
    rows = store.select("SELECT ?f ?l WHERE { { ?f skos:prefLabel ?l } UNION { ?f skos:altLabel ?l } }", {"f": URIRef(iri)})
    norm = normalize(name)
    return any(normalize(str(r["l"])) == norm for r in rows)
