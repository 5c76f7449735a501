"""Participant contributions: read a sheet, check every row, turn the good rows into RDF.

Data flows one way: a file (CSV, XLSX, JSON, YAML) -> :class:`Sheet` (header and rows as
text) -> :class:`Record` (values matched to the workspace's concepts and places) -> triples in one
:class:`~graph.store.Changeset`. Nothing is written here; ``crimekg import`` applies the changeset
with one ``store.write``.

Matching is forgiving and always reads the allowed values from the workspace itself (the concept
schemes, places and session plan graphs), so it stays in step with the ontology: "Enabling",
"enabling factor", "2a" and "a" all mean the enabling category; "TIP" and "trafficking" mean
trafficking in persons; "Japan", "JP" and "JPN" all mean Japan.

IRIs are stable (made in :mod:`graph.terms`): a contribution is
``https://w3id.org/crimekg/data/contribution/{session}/{key}`` where ``key`` is the sheet's ``id``
column or a short hash of its normalised text, question, contributor and group, so importing the
same file twice changes nothing. A factor or other item is ``data/{kind}/{slug}`` with the slug
of its label, distinct for distinct labels in any script.

Text in any script is kept as written and says its language: a row's ``language`` column, else
the import's ``--language``, else the language its script tells (:func:`graph.terms.text_literal`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import rdflib
from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from crimekg import ontology
from crimekg.graph.errors import InvalidInput
from crimekg.graph.store import Changeset, GraphStore, graph_iri
from crimekg.graph.terms import (
    contribution_iri,
    factor_iri,
    item_iri,
    language_tag,
    link_iri,
    participant_iri,
    session_iri,
    slugify,
    text_literal,
)

__all__ = [
    "FIELDS",
    "LINK_FIELDS",
    "KINDS",
    "Sheet",
    "Problem",
    "Record",
    "LinkRecord",
    "Vocabulary",
    "ContributionPlan",
    "read_sheet",
    "check_rows",
    "check_links",
    "plan_contributions",
    "plan_links",
    "plan_rows",
    "plan_link",
    "link_triples",
    "records_to_triples",
    "session_iri",
    "contribution_iri",
    "factor_iri",
    "slugify",
    "normalize",
    "find_factor",
    "find_session",
    "find_contributions",
    "session_changeset",
    "list_sessions",
    "write_rejected",
]

CKG = rdflib.Namespace(ontology.CKG)
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
FACTOR_SCHEME = URIRef(ontology.SCHEME + "factors")
SESSION_PLAN = URIRef(ontology.COURSE + "unafei-172/session-1")

#: Sheet columns: field name -> (header the template writes, other headers accepted, what it holds).
FIELDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "text": ("text", ("contribution", "what was said", "verbatim"), "What the participant said or wrote, verbatim (required)."),
    "label": ("label", ("short label", "short name", "name", "title"), "A short name for it (optional; harmonisation and the view use it)."),
    "kind": ("kind", ("type", "item", "kind of item"), "factor, pattern, data source, information gap or response (or leave empty: the question tells)."),
    "category": ("category", ("factor category", "categories"), "For factors: enabling, profiting, concealment or impunity (2a-2d, a-d also work; several with ';')."),
    "crime": ("crime type", ("crime", "crimes", "crime types", "crimetype"), "trafficking in persons (TIP) and/or smuggling of migrants (SOM); several with ';'."),
    "actor": ("actor", ("actors", "actor type", "offenders"), "traffickers, smugglers or criminal networks; several with ';'."),
    "level": ("level", ("levels",), "local, national or regional; several with ';'."),
    "place": ("country or region", ("place", "places", "country", "countries", "region", "regions", "country/region"), "Countries (name, ISO2 or ISO3 code) or UN M49 regions; several with ';'."),
    "local_place": ("local place", ("locality", "town", "city", "local"), "A town, district or site, as text (optional)."),
    "question": ("exercise question", ("question", "exercise", "q"), "1, 2, 2a, 2b, 2c or 2d."),
    "group": ("group", ("breakout group", "team"), "The breakout group, e.g. Group B."),
    "contributor": ("contributor code", ("contributor", "code", "participant", "participant code", "pseudonym"), "A pseudonymous code such as P07: never a name."),
    "time": ("time", ("timestamp", "datetime", "date time", "generated at", "when"), "When it was said: 2026-03-17T10:30 or 10:30 (optional; default the session date)."),
    "topic": ("topic", ("topics", "theme", "themes"), "For data sources and gaps: the session topics covered; several with ';' (optional)."),
    "addresses": ("addresses", ("factors addressed", "addresses factors", "factor addressed"), "For responses: the factor(s) it addresses, by label; several with ';' (optional)."),
    "owner": ("owner", ("data owner", "held by"), "For data sources: who holds the data."),
    "collection": ("collection method", ("collection", "how collected", "how it is collected"), "For data sources: how the information is collected."),
    "sharing": ("sharing arrangement", ("sharing", "how shared", "how it is shared"), "For data sources: how it is shared, and with whom."),
    "frequency": ("update frequency", ("frequency", "updated", "how often updated", "how it is updated"), "For data sources: how often it is updated."),
    "access": ("access", ("who can see it", "availability"), "For data sources: who can see it (public, restricted...)."),
    "effectiveness": ("effectiveness evidence", ("effectiveness", "does it work", "evidence of effect"), "For responses: evidence of whether it works."),
    "id": ("id", ("key", "ref", "reference", "contribution id"), "Your own stable reference such as 2a-03 (optional; default a hash of the row)."),
    "language": ("language", ("lang", "language code", "idioma", "langue", "язык", "语言", "言語", "اللغة"),
                 "The language of the row's text, as a code such as ja, zh, ru, ar, th, es or en (optional; "
                 "default: the import's --language, else the language the script tells: kana ja, Han zh, "
                 "Cyrillic ru, Arabic ar, Thai th, Hangul ko; Latin text stays untagged)."),
}

#: Links-sheet columns, same layout as :data:`FIELDS`.
LINK_FIELDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "from": ("from", ("from factor", "source factor", "cause"), "The factor the link starts from: its label, a label prefix, its IRI, or the id of a contribution it comes from."),
    "relation": ("relation", ("relationship", "rel"), "enables, finances, conceals, shields, reinforces, counters, facilitates or causes."),
    "to": ("to", ("to factor", "target factor", "effect"), "The factor the link points to (named like 'from')."),
    "polarity": ("polarity", ("sign", "direction"), "+ or - (positive or negative; default +)."),
    "strength": ("strength", ("weight",), "A number between 0 and 1 (optional)."),
    "evidence": ("evidence", ("source", "why", "note"), "A case, report or experience behind the link (optional)."),
}

#: Kinds of contribution: the class IRI and the words a sheet may use for it.
KINDS: dict[str, tuple[str, ...]] = {
    "Factor": ("factor", "factors"),
    "Pattern": ("pattern", "patterns"),
    "DataSource": ("data source", "source", "data sources", "datasource", "data", "dataset", "research source"),
    "InformationGap": ("information gap", "gap", "gaps", "information gaps", "data gap", "informationgap"),
    "Response": ("response", "responses", "measure", "intervention"),
}
_KIND_WORDS = {"Factor": "factor", "Pattern": "pattern", "DataSource": "data source", "InformationGap": "information gap", "Response": "response"}

#: Free-text columns that describe a data source or a response, and the property each becomes.
_DETAILS = {
    "DataSource": {"owner": "owner", "collection": "collectionMethod", "sharing": "sharingArrangement",
                   "frequency": "updateFrequency", "access": "access"},
    "Response": {"effectiveness": "effectivenessEvidence"},
}
_LIST_SPLIT = re.compile(r"\s*[;|]\s*")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LABEL_MAX = 80


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
    kept: list[str] = []
    for ch in unicodedata.normalize("NFKD", str(text)):
        if ch.isascii():
            kept.append(ch)
        elif unicodedata.category(ch)[0] in "LN":
            kept.append(ch)
        elif unicodedata.combining(ch) and kept and not kept[-1].isascii():
            kept.append(ch)  # a mark on a letter of another script is part of the letter
        # else: an accent on a Latin letter, or punctuation or a symbol outside ASCII: dropped
    text = unicodedata.normalize("NFC", "".join(kept)).lower()
    return " ".join(re.sub(r"[^0-9a-z+\-\u0080-\U0010ffff]+", " ", text).replace("-", " ").split())


def short_label(text: str) -> str:
    """A label from verbatim text: the text itself when short, else its first words and an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= _LABEL_MAX:
        return text
    cut = text[:_LABEL_MAX].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def _check_session_id(session_id: str) -> None:
    if not _SESSION_ID.match(session_id or ""):
        raise InvalidInput(
            f"session id {session_id!r} is not usable in an IRI: use letters, digits, '.', '_' or '-' "
            "(at most 64), e.g. unafei-172-2026"
        )


def _nearest(value: str, choices: Iterable[str]) -> str | None:
    from rapidfuzz import fuzz, process

    choices = list(dict.fromkeys(choices))
    if not value or not choices:
        return None
    hit = process.extractOne(value, choices, scorer=fuzz.ratio, processor=normalize, score_cutoff=80)
    return hit[0] if hit else None


# ------------------------------------------------------------------------------------------------
# reading files


@dataclass
class Sheet:
    """A file read as text: its column headers and its rows (row number -> header -> cell text)."""

    path: str
    format: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    unit: str = "row"


def read_sheet(path: str | Path, encoding: str | None = None) -> Sheet:
    """Read a CSV (comma, semicolon or tab), XLSX, JSON or YAML file into a :class:`Sheet`.

    CSV is read as UTF-8 (with or without a byte-order mark) unless ``encoding`` says otherwise
    (``cp1252`` for files saved by Excel on Windows). Rows that are entirely empty are skipped.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "s.csv")
    ...     _ = open(p, "w", encoding="utf-8-sig").write("text;kind\\nPorous borders;factor\\n")
    ...     s = read_sheet(p)
    >>> s.headers, s.rows
    (['text', 'kind'], [(2, {'text': 'Porous borders', 'kind': 'factor'})])
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    data = path.read_bytes()
    if not data.strip():
        raise InvalidInput(f"{path}: the file is empty; fill in a sheet made by `crimekg template` and import it again")
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return _read_xlsx(path, data)
    if suffix == "json":
        return _records_sheet(path, "json", _load_text(path, data, encoding, "json"))
    if suffix in ("yaml", "yml"):
        return _records_sheet(path, "yaml", _load_text(path, data, encoding, "yaml"))
    if suffix == "xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput(f"{path}: an old Excel .xls workbook; save it as .xlsx or CSV and import that")
    if data[:2] == b"PK":
        raise InvalidInput(f"{path}: a ZIP archive (perhaps a workbook with the wrong name); rename it to .xlsx if it is one")
    return _read_csv(path, data, encoding)


def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    if b"\x00" in data[:4096]:
        raise InvalidInput(
            f"{path}: not a spreadsheet (binary data); crimekg reads CSV, XLSX, JSON or YAML made from `crimekg template`"
        )
    enc = encoding or "utf-8-sig"
    try:
        text = data.decode(enc)
    except LookupError as exc:
        raise InvalidInput(f"{path}: unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or latin-1") from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not valid {enc.replace('-sig', '')}; "
            "a file saved by Excel on Windows is usually Windows-1252: add --encoding cp1252"
        ) from exc
    return text[1:] if text.startswith("\ufeff") else text


def _read_csv(path: Path, data: bytes, encoding: str | None) -> Sheet:
    text = _decode(path, data, encoding)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    if first.count(delimiter) == 0 and len(first) > 200:
        raise InvalidInput(f"{path}: not a spreadsheet (no columns in the first line); start from `crimekg template`")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidInput(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from exc
    headers = [h.strip() for h in rows[0]]
    out = []
    for i, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(headers):
            extra = [c for c in cells[len(headers):] if c.strip()]
            if extra:
                raise InvalidInput(
                    f"{path}: row {i} has {len(cells)} cells but the header has {len(headers)} columns; "
                    f"a value with a '{delimiter}' inside needs quotes"
                )
        out.append((i, {h: (cells[j].strip() if j < len(cells) else "") for j, h in enumerate(headers)}))
    return Sheet(str(path), "csv", headers, out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value).strip()


def _read_xlsx(path: Path, data: bytes) -> Sheet:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not an XLSX workbook ({exc}); save it from your spreadsheet program as .xlsx or CSV") from exc
    ws = wb["Contributions"] if "Contributions" in wb.sheetnames else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header_row = next(it, None)
    if header_row is None:
        raise InvalidInput(f"{path}: the first sheet is empty; fill in a sheet made by `crimekg template`")
    headers = [_cell(h) for h in header_row]
    while headers and not headers[-1]:
        headers.pop()
    rows = []
    for i, values in enumerate(it, start=2):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        rows.append((i, {h: (cells[j] if j < len(cells) else "") for j, h in enumerate(headers) if h}))
    wb.close()
    return Sheet(str(path), "xlsx", [h for h in headers if h], rows)


def _load_text(path: Path, data: bytes, encoding: str | None, fmt: str) -> Any:
    text = _decode(path, data, encoding)
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from exc
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InvalidInput(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', exc)})") from exc


def _records_sheet(path: Path, fmt: str, obj: Any) -> Sheet:
    if isinstance(obj, dict):
        lists = [v for k, v in obj.items() if isinstance(v, list) and normalize(k) in ("contributions", "links", "rows", "records")]
        obj = lists[0] if lists else None
    if not isinstance(obj, list):
        raise InvalidInput(
            f"{path}: expected a list of records (one object per contribution, keys as in `crimekg template`), "
            "or an object with a 'contributions' list"
        )
    headers: list[str] = []
    rows = []
    for i, rec in enumerate(obj, start=1):
        if not isinstance(rec, dict):
            raise InvalidInput(f"{path}: record {i} is not an object with named fields (got {type(rec).__name__})")
        for k in rec:
            if str(k) not in headers:
                headers.append(str(k))
        rows.append((i, {str(k): _cell(v) for k, v in rec.items()}))
    return Sheet(str(path), fmt, headers, rows, unit="record")


# ------------------------------------------------------------------------------------------------
# the allowed values, read from the workspace


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


@dataclass
class Vocabulary:
    """The values a sheet may use, each a map from normalised word to IRI, plus display names."""

    words: dict[str, dict[str, URIRef]]
    names: dict[str, dict[URIRef, str]]
    question_kind: dict[URIRef, str]
    question_category: dict[URIRef, URIRef]
    category_question: dict[URIRef, URIRef]
    countries: set[URIRef]

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
        names["kind"] = {URIRef(ontology.CKG + k): w for k, w in _KIND_WORDS.items()}
        return cls(words, names, qkind, qcat, catq, countries)

    def allowed(self, what: str) -> list[str]:
        """The display names of the allowed values, in a stable order."""
        if what == "place":
            return sorted(self.names["place"][p] for p in self.countries)
        return list(dict.fromkeys(self.names[what].values()))

    def match(self, what: str, value: str) -> URIRef | None:
        """The IRI ``value`` means (by any of its words, or the IRI itself), or None."""
        hit = self.words[what].get(normalize(value))
        if hit is None and (value or "").strip().strip("<>") in {str(i) for i in self.names.get(what, {})}:
            hit = URIRef(value.strip().strip("<>"))
        return hit

    def nearest(self, what: str, value: str) -> str | None:
        """The allowed value closest to ``value``, for a hint."""
        hit = _nearest(value, self.words[what])
        if hit is None:
            return None
        return self.names[what].get(self.words[what][hit], hit)


# ------------------------------------------------------------------------------------------------
# checking rows


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row) of a sheet."""

    row: int
    column: str
    value: str
    message: str

    def render(self, path: str, unit: str = "row") -> str:
        """The problem as one line naming the file, row, column and value."""
        col = f', column "{self.column}"' if self.column else ""
        return f"{path}: {unit} {self.row}{col}: {self.message}"


@dataclass
class Record:
    """One valid contribution row, its values matched to IRIs."""

    row: int
    key: str
    text: str
    label: str | None
    kind: str
    categories: list[URIRef] = field(default_factory=list)
    crimes: list[URIRef] = field(default_factory=list)
    actors: list[URIRef] = field(default_factory=list)
    levels: list[URIRef] = field(default_factory=list)
    places: list[URIRef] = field(default_factory=list)
    topics: list[URIRef] = field(default_factory=list)
    local_place: str | None = None
    question: URIRef | None = None
    group: str | None = None
    contributor: str | None = None
    time: Literal | None = None
    addresses: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    language: str | None = None


@dataclass
class LinkRecord:
    """One valid row of a links sheet (factors still named as in the sheet)."""

    row: int
    source: str
    relation: URIRef
    target: str
    polarity: URIRef
    strength: Decimal | None
    evidence: str | None


_VALUE_WHAT = {
    "category": ("category", "a category"),
    "crime": ("crime", "a crime type"),
    "actor": ("actor", "an actor"),
    "level": ("level", "a level"),
    "topic": ("topic", "a topic of the session"),
    "question": ("question", "an exercise question"),
    "kind": ("kind", "a kind"),
}


def _columns(sheet: Sheet, fields: Mapping[str, tuple[str, tuple[str, ...], str]], kind: str) -> dict[str, str]:
    """Map each header of the sheet to a field name; unknown headers are an error with a hint."""
    lookup = {}
    for name, (header, aliases, _) in fields.items():
        for w in (name, header, *aliases):
            lookup[normalize(w)] = name
    mapping: dict[str, str] = {}
    unknown = []
    for h in sheet.headers:
        name = lookup.get(normalize(h))
        if name is None:
            unknown.append(h)
        elif name in mapping.values():
            raise InvalidInput(f'{sheet.path}: columns "{h}" and "{[k for k, v in mapping.items() if v == name][0]}" both mean "{fields[name][0]}"; keep one')
        else:
            mapping[h] = name
    if unknown:
        allowed = [f[0] for f in fields.values()]
        hints = []
        for h in unknown:
            near = _nearest(h, allowed)
            hints.append(f'"{h}"' + (f' (did you mean "{near}"?)' if near else ""))
        raise InvalidInput(
            f"{sheet.path}: unknown column(s) {', '.join(hints)}; a {kind} sheet has the columns "
            f"{', '.join(allowed)}. Rename or delete the extra columns; nothing was stored."
        )
    return mapping


def _split(value: str) -> list[str]:
    return [v for v in _LIST_SPLIT.split(value.strip()) if v]


def _values(vocab: Vocabulary, what: str, column: str, value: str, row: int, problems: list[Problem]) -> list[URIRef]:
    out: list[URIRef] = []
    if not value:
        return out
    parts = [value] if vocab.match(what, value) else _split(value)
    if len(parts) == 1 and "," in value and not vocab.match(what, value):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    for part in parts:
        iri = vocab.match(what, part)
        if iri is None:
            problems.append(_unknown(vocab, what, column, part, row))
        elif iri not in out:
            out.append(iri)
    return out


def _unknown(vocab: Vocabulary, what: str, column: str, value: str, row: int) -> Problem:
    near = vocab.nearest(what, value)
    hint = f' Did you mean "{near}"?' if near else ""
    if what == "place":
        msg = (f'"{value}" is not a known country or region. Use a country name, an ISO code '
               f"(JP or JPN) or a UN M49 region name; write towns under \"local place\".{hint}")
    else:
        noun = _VALUE_WHAT[what][1]
        msg = f'"{value}" is not {noun}. Allowed: {", ".join(vocab.allowed(what))}.{hint}'
    return Problem(row, column, value, msg)


def _parse_time(value: str, session_date: date | None) -> Literal | None:
    value = value.strip()
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value):
            if session_date is None:
                return None
            t = time.fromisoformat(value.zfill(5) if len(value) == 4 else value)
            dt = datetime.combine(session_date, t)
        else:
            dt = datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value and "T" not in value else value)
    except ValueError:
        return None
    return Literal(dt.isoformat(), datatype=XSD.dateTime)


def _language_option(language: str | None) -> str | None:
    """The language given for a whole import (``--language``), checked, or None."""
    if not language:
        return None
    try:
        return language_tag(language)
    except ValueError as exc:
        raise InvalidInput(f"language: {exc}") from exc


def _row_key(text: str, question: URIRef | None, contributor: str | None, group: str | None) -> str:
    basis = "\x1f".join([normalize(text), str(question or ""), (contributor or "").upper(), normalize(group or "")])
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]


def check_rows(
    sheet: Sheet, vocab: Vocabulary, *, session_date: date | None = None, session_start: Literal | None = None,
    language: str | None = None,
) -> tuple[list[Record], dict[int, list[Problem]]]:
    """Check every row of a contributions sheet; return the valid records and the problems by row.

    A row is valid when its text is present, every value matches an allowed one, a factor has a
    category (or a question that implies one), the contributor is a pseudonymous code, and the row
    does not repeat an earlier one (same text, question, contributor and group). A row's
    ``language`` column, else ``language``, is the language of its text (see
    :func:`graph.terms.language_tag`); without either, each text is tagged with the language its
    script tells when it tells one.

    >>> vocab = Vocabulary.bundled()
    >>> sheet = Sheet("s.csv", "csv", ["text", "category", "country"],
    ...               [(2, {"text": "Porous borders", "category": "2a", "country": "JP"}),
    ...                (3, {"text": "", "category": "enablng", "country": "Atlantis"})])
    >>> records, problems = check_rows(sheet, vocab)
    >>> [(r.kind, str(r.categories[0])[-8:], str(r.places[0])[-3:]) for r in records]
    [('Factor', 'enabling', 'JPN')]
    >>> print(problems[3][1].render("s.csv"))
    s.csv: row 3, column "category": "enablng" is not a category. Allowed: Enabling, Profiting, Concealment, Impunity. Did you mean "Enabling"?
    """
    default_language = _language_option(language)
    columns = _columns(sheet, FIELDS, "contributions")
    header = {name: h for h, name in columns.items()}
    if "text" not in header:
        raise InvalidInput(
            f'{sheet.path}: no "text" column; a contributions sheet needs one (columns: '
            f"{', '.join(f[0] for f in FIELDS.values())}). Start from `crimekg template`."
        )
    if not sheet.rows:
        raise InvalidInput(f"{sheet.path}: the sheet has a header but no rows; nothing to import")
    records: list[Record] = []
    problems: dict[int, list[Problem]] = {}
    seen: dict[str, int] = {}
    for rownum, cells in sheet.rows:
        v = {name: cells.get(h, "").strip() for h, name in columns.items()}
        col = lambda name: header.get(name, FIELDS[name][0])  # noqa: E731
        errs: list[Problem] = []
        text = " ".join(v.get("text", "").split())
        if not text:
            errs.append(Problem(rownum, col("text"), "", "the text is empty; write what the participant said (or delete the row)"))
        question = None
        if v.get("question"):
            question = vocab.match("question", v["question"])
            if question is None:
                errs.append(_unknown(vocab, "question", col("question"), v["question"], rownum))
        kind = None
        if v.get("kind"):
            k = vocab.match("kind", v["kind"])
            if k is None:
                errs.append(_unknown(vocab, "kind", col("kind"), v["kind"], rownum))
            else:
                kind = str(k).rsplit("#", 1)[-1]
        categories = _values(vocab, "category", col("category"), v.get("category", ""), rownum, errs)
        if kind is None and not v.get("kind"):
            kind = vocab.question_kind.get(question) if question else None
            if kind is None:
                kind = "Factor" if categories else None
            if kind is None and not errs:
                errs.append(Problem(rownum, col("kind"), "", "no kind: give one of factor, pattern, data source, information gap, response (or a question such as 2a)"))
        if question is not None and question in vocab.question_category and vocab.question_category[question] not in categories and kind == "Factor":
            categories.insert(0, vocab.question_category[question])
        if kind == "Factor" and not categories and v.get("category", "") == "":
            errs.append(Problem(rownum, col("category"), "", "a factor needs a category: enabling, profiting, concealment or impunity (or the question 2a-2d)"))
        if question is None and kind == "Factor" and categories:
            question = vocab.category_question.get(categories[0])
        crimes = _values(vocab, "crime", col("crime"), v.get("crime", ""), rownum, errs)
        actors = _values(vocab, "actor", col("actor"), v.get("actor", ""), rownum, errs)
        levels = _values(vocab, "level", col("level"), v.get("level", ""), rownum, errs)
        topics = _values(vocab, "topic", col("topic"), v.get("topic", ""), rownum, errs)
        places = _values(vocab, "place", col("place"), v.get("place", ""), rownum, errs)
        contributor = v.get("contributor") or None
        if contributor and not _CODE.match(contributor):
            errs.append(Problem(rownum, col("contributor"), contributor,
                                f'"{contributor}" is not a contributor code: use a short pseudonym such as P07 '
                                "(letters, digits, '.', '_' or '-', no spaces); never a person's name"))
        stamp = None
        if v.get("time"):
            stamp = _parse_time(v["time"], session_date)
            if stamp is None:
                errs.append(Problem(rownum, col("time"), v["time"],
                                    f'"{v["time"]}" is not a time: write 2026-03-17T10:30 or, with a session date, 10:30'))
        elif session_start is not None:
            stamp = session_start
        elif session_date is not None:
            stamp = Literal(datetime.combine(session_date, time()).isoformat(), datatype=XSD.dateTime)
        row_language = default_language
        if v.get("language"):
            try:
                row_language = language_tag(v["language"])
            except ValueError as exc:
                errs.append(Problem(rownum, col("language"), v["language"], str(exc)))
        key = v.get("id") or None
        if key is not None:
            if not _SESSION_ID.match(key):
                errs.append(Problem(rownum, col("id"), key, f'"{key}" cannot be an id: use letters, digits, ".", "_" or "-", e.g. 2a-03'))
        else:
            key = _row_key(text, question, contributor, v.get("group"))
        if key in seen and not errs:
            what = "uses the same id as" if v.get("id") else "repeats"
            errs.append(Problem(rownum, col("id") if v.get("id") else "", "",
                                f"this row {what} row {seen[key]} (same text, question, contributor and group); delete one of them"))
        if errs:
            problems[rownum] = errs
            continue
        seen[key] = rownum
        records.append(Record(
            row=rownum, key=key, text=text, label=v.get("label") or None, kind=kind, categories=categories,
            crimes=crimes, actors=actors, levels=levels, places=places, topics=topics,
            local_place=v.get("local_place") or None, question=question, group=v.get("group") or None,
            contributor=contributor, time=stamp, addresses=_split(v.get("addresses", "")) if kind == "Response" else [],
            details={k: " ".join(v[k].split()) for k in _DETAILS.get(kind or "", {}) if v.get(k)},
            language=row_language,
        ))
    return records, problems


def check_links(sheet: Sheet, vocab: Vocabulary) -> tuple[list[LinkRecord], dict[int, list[Problem]]]:
    """Check every row of a links sheet (from, relation, to, polarity, strength, evidence)."""
    columns = _columns(sheet, LINK_FIELDS, "links")
    header = {name: h for h, name in columns.items()}
    for need in ("from", "relation", "to"):
        if need not in header:
            raise InvalidInput(f'{sheet.path}: no "{need}" column; a links sheet has the columns {", ".join(f[0] for f in LINK_FIELDS.values())}')
    if not sheet.rows:
        raise InvalidInput(f"{sheet.path}: the sheet has a header but no rows; nothing to import")
    records, problems = [], {}
    for rownum, cells in sheet.rows:
        v = {name: cells.get(h, "").strip() for h, name in columns.items()}
        errs: list[Problem] = []
        for end in ("from", "to"):
            if not v.get(end):
                errs.append(Problem(rownum, header[end], "", f"name the factor the link goes {end} (a label, IRI or contribution id)"))
        rel = vocab.match("relation", v.get("relation", ""))
        if rel is None:
            near = vocab.nearest("relation", v.get("relation", ""))
            errs.append(Problem(rownum, header["relation"], v.get("relation", ""),
                                f'"{v.get("relation", "")}" is not a relation. Allowed: {", ".join(vocab.allowed("relation"))}.'
                                + (f' Did you mean "{near}"?' if near else "")))
        pol = vocab.match("polarity", v.get("polarity") or "+")
        if pol is None:
            errs.append(Problem(rownum, header.get("polarity", "polarity"), v["polarity"], f'"{v["polarity"]}" is not a polarity: use + or -'))
        strength = None
        if v.get("strength"):
            try:
                strength = Decimal(v["strength"].replace(",", "."))
            except InvalidOperation:
                strength = None
            if strength is None or not (0 <= strength <= 1):
                errs.append(Problem(rownum, header["strength"], v["strength"], f'"{v["strength"]}" is not a strength: use a number between 0 and 1, such as 0.7'))
        if errs:
            problems[rownum] = errs
            continue
        records.append(LinkRecord(rownum, v["from"], rel, v["to"], pol, strength, v.get("evidence") or None))
    return records, problems


# ------------------------------------------------------------------------------------------------
# sessions


def find_session(store: GraphStore, session_id: str | None) -> str | None:
    """The session to use: the one given, or the only session in the workspace (else None)."""
    if session_id:
        _check_session_id(session_id)
        return session_id
    rows = store.select("SELECT DISTINCT ?s WHERE { ?s a ckg:Session }")
    ids = sorted(str(r["s"])[len(ontology.SESSION):] for r in rows if str(r["s"]).startswith(ontology.SESSION))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise InvalidInput("no session given: add --session ID (e.g. --session unafei-172-2026); it is created if new")
    raise InvalidInput(f"several sessions in the workspace ({', '.join(ids)}); choose one with --session")


def find_contributions(store: GraphStore | None, names: Sequence[str], session_id: str | None = None) -> list[URIRef]:
    """The contributions ``names`` means: IRIs, or ids in ``session_id`` (the only session when not given).

    >>> find_contributions(None, ["https://w3id.org/crimekg/data/contribution/s1/2a-01"])
    [rdflib.term.URIRef('https://w3id.org/crimekg/data/contribution/s1/2a-01')]
    """
    sid = find_session(store, session_id) if any(":" not in n for n in names) else None
    return [URIRef(n) if ":" in n else contribution_iri(sid, n) for n in names]


def _session_info(store: GraphStore, session_id: str) -> dict | None:
    rows = store.select(
        "SELECT ?s ?title ?date ?start WHERE { ?s a ckg:Session . OPTIONAL { ?s dct:title ?title } "
        "OPTIONAL { ?s dct:date ?date } OPTIONAL { ?s prov:startedAtTime ?start } }",
        {"s": session_iri(session_id)},
    )
    if not rows:
        return None
    r = rows[0]
    d = r.get("date")
    return {"title": str(r.get("title", "")), "date": d.toPython() if d is not None and isinstance(d.toPython(), date) else None, "start": r.get("start")}


def session_changeset(
    store: GraphStore, session_id: str, *, title: str | None = None, on: str | None = None,
    place: str | None = None, local_place: str | None = None,
) -> Changeset:
    """Describe a session (new, or replace the description of an existing one) as a changeset.

    The session node goes into its contributions graph, ``contributions/{session_id}``.
    """
    _check_session_id(session_id)
    vocab = Vocabulary.from_store(store)
    s = session_iri(session_id)
    triples = [(s, RDF.type, CKG.Session), (s, RDF.type, PROV.Activity), (s, DCT.title, Literal(title or f"Session {session_id}")),
               (s, CKG.followsPlan, SESSION_PLAN)]
    if on:
        try:
            d = date.fromisoformat(on)
        except ValueError as exc:
            raise InvalidInput(f"--date {on!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-17") from exc
        triples.append((s, DCT.date, Literal(d.isoformat(), datatype=XSD.date)))
    if place:
        problems: list[Problem] = []
        iris = _values(vocab, "place", "place", place, 0, problems)
        if problems:
            raise InvalidInput(f"--place: {problems[0].message}")
        triples += [(s, CKG.place, p) for p in iris]
    if local_place:
        triples.append((s, CKG.localPlace, Literal(local_place)))
    g_iri = graph_iri("contributions/" + session_id)
    changes = Changeset()
    if g_iri in store.graphs():
        g = store.graph_triples(g_iri)
        for t in list(g.triples((s, None, None))):
            g.remove(t)
        for t in triples:
            g.add(t)
        changes.replace_graph(g_iri, g)
    else:
        changes.add_triples(g_iri, triples)
    return changes


def list_sessions(store: GraphStore) -> list[dict]:
    """Every session with its title, date and numbers of contributions and participants.

    >>> import tempfile
    >>> from graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         store.write(session_changeset(store, "s1", title="Morning", on="2026-03-17"))
    ...         rows = list_sessions(store)
    >>> [(r["id"], r["title"], r["date"], r["contributions"]) for r in rows]
    [('s1', 'Morning', '2026-03-17', 0)]
    """
    rows = store.select(
        "SELECT ?s ?title ?date (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?p) AS ?people) WHERE { "
        "?s a ckg:Session . OPTIONAL { ?s dct:title ?title } OPTIONAL { ?s dct:date ?date } "
        "OPTIONAL { ?c a ckg:Contribution ; prov:wasGeneratedBy ?s . OPTIONAL { ?c prov:wasAttributedTo ?p } } "
        "} GROUP BY ?s ?title ?date ORDER BY ?s"
    )
    out = []
    for r in rows:
        sid = str(r["s"])
        out.append({
            "id": sid[len(ontology.SESSION):] if sid.startswith(ontology.SESSION) else sid,
            "title": str(r.get("title", "")),
            "date": str(r.get("date", "")),
            "contributions": int(r["n"]),
            "participants": int(r["people"]),
        })
    return out


# ------------------------------------------------------------------------------------------------
# records -> triples


@dataclass
class ContributionPlan:
    """What an import of contributions or links will write, and what it tells the user."""

    changes: Changeset
    summary: dict[str, int]
    warnings: list[str]
    rejected: list[dict]


def _existing_items(store: GraphStore) -> tuple[dict[str, tuple[URIRef, Literal]], set[str], set[str]]:
    """Factors (and the label matched) by normalised label, all item IRIs in use, and contributions
    already derived into items."""
    by_label: dict[str, tuple[URIRef, Literal]] = {}
    for r in sorted(store.select(
        "SELECT ?f ?l WHERE { ?f a ckg:Factor . { ?f skos:prefLabel ?l } UNION { ?f skos:altLabel ?l } }"
    ), key=lambda r: (str(r["f"]), str(r["l"]), r["l"].language or "")):
        by_label.setdefault(normalize(r["l"]), (URIRef(r["f"]), r["l"]))
    used = {str(r["x"]) for r in store.select(
        "SELECT DISTINCT ?x WHERE { VALUES ?t { ckg:Factor ckg:Pattern ckg:DataSource ckg:InformationGap ckg:Response } ?x a ?t }"
    )}
    derived = {str(r["c"]) for r in store.select(
        "SELECT DISTINCT ?c WHERE { ?x prov:wasDerivedFrom ?c . ?c a ckg:Contribution }"
    )}
    return by_label, used, derived


def _free_slug(slug: str, used: set[str], iri: Callable[[str], URIRef]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... when an item already has that IRI."""
    base, n = slug, 2
    while str(iri(slug)) in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _rejected_rows(sheet: Sheet, problems: Mapping[int, list[Problem]]) -> list[dict]:
    out = []
    for rownum, cells in sheet.rows:
        if rownum in problems:
            out.append(dict(cells, problem=" | ".join(
                (f"{p.column}: " if p.column else "") + p.message for p in problems[rownum])))
    return out


def _refuse(sheet: Sheet, problems: Mapping[int, list[Problem]], limit: int = 50) -> InvalidInput:
    flat = [p for row in sorted(problems) for p in problems[row]]
    lines = [p.render(sheet.path, sheet.unit) for p in flat[:limit]]
    if len(flat) > limit:
        lines.append(f"... and {len(flat) - limit} more problem(s)")
    rows = len(problems)
    head = (f"{sheet.path}: {rows} {sheet.unit}(s) of {len(sheet.rows)} have problems; nothing was stored. "
            "Fix them, or add --skip-invalid to store the good rows and write the others to a file.")
    return InvalidInput(head + "\n" + "\n".join(lines))


def plan_contributions(
    store: GraphStore, path: str | Path, session_id: str | None = None, *, encoding: str | None = None,
    skip_invalid: bool = False, sheet: Sheet | None = None, language: str | None = None,
) -> ContributionPlan:
    """Read and check a contributions sheet and build everything it adds, without writing.

    Every row is checked first; with any problem and without ``skip_invalid`` the import is refused
    with a list of every problem (:class:`InvalidInput`). The changeset adds, to graph
    ``contributions/{session}``: the contributions, their participants, the session node if it is
    new (with a warning), and the items derived from them: one factor per new factor contribution
    (or the existing factor with the same normalised label), and one pattern, data source,
    information gap or response per other contribution, each ``prov:wasDerivedFrom`` it.
    Contributions already in the workspace are not derived again, so a re-import changes nothing.
    ``language`` is the language of rows without a ``language`` cell (see :func:`check_rows`).
    """
    sheet = sheet or read_sheet(path, encoding)
    session_id = find_session(store, session_id)
    info = _session_info(store, session_id)
    vocab = Vocabulary.from_store(store)
    if not vocab.words.get("category"):
        raise InvalidInput(f"{store.location} has no concept schemes loaded; run `crimekg init --upgrade {store.location}`")
    records, problems = check_rows(
        sheet, vocab, session_date=info["date"] if info else None, session_start=info["start"] if info else None,
        language=language,
    )
    _check_addresses(store, sheet, records, problems)
    if problems and not skip_invalid:
        raise _refuse(sheet, problems)
    warnings = []
    g_iri = graph_iri("contributions/" + session_id)
    changes = Changeset()
    if info is None:
        changes = session_changeset(store, session_id)
        warnings.append(
            f"session {session_id!r} did not exist; created it with the title 'Session {session_id}' "
            f"(describe it with `crimekg session new {session_id} --title ... --date ... --place ...`)"
        )
    triples, counts = records_to_triples(store, session_id, records, warnings, sheet)
    changes.add_triples(g_iri, triples)
    summary = {"rows": len(sheet.rows), "stored": len(records), "rejected": len(problems), **counts}
    return ContributionPlan(changes, summary, warnings, _rejected_rows(sheet, problems))


def _check_addresses(store: GraphStore, sheet: Sheet, records: list[Record], problems: dict[int, list[Problem]]) -> None:
    """A response may only address factors that exist or that the same sheet creates."""
    if not any(r.addresses for r in records):
        return
    known = {normalize(r["l"]) for r in store.select(
        "SELECT ?l WHERE { ?f a ckg:Factor . { ?f skos:prefLabel ?l } UNION { ?f skos:altLabel ?l } }")}
    known |= {str(r["f"]) for r in store.select("SELECT ?f WHERE { ?f a ckg:Factor }")}
    known |= {normalize(r.label or short_label(r.text)) for r in records if r.kind == "Factor"}
    column = next((h for h in sheet.headers if normalize(h) in {normalize(w) for w in ("addresses", *FIELDS["addresses"][1])}), "addresses")
    for rec in list(records):
        missing = [a for a in rec.addresses if normalize(a) not in known and a not in known]
        if missing:
            problems.setdefault(rec.row, []).append(Problem(
                rec.row, column, "; ".join(missing),
                f'no factor called "{missing[0]}" in the workspace or this sheet; use a factor\'s exact label (or its IRI)'))
            records.remove(rec)


def records_to_triples(
    store: GraphStore, session_id: str, records: list[Record], warnings: list[str] | None = None,
    sheet: Sheet | None = None,
) -> tuple[list, dict[str, int]]:
    """The triples for valid records: contributions, participants and derived items.

    Free text (text, label, local place, details) is tagged with the record's language, else with
    the language its script tells (:func:`graph.terms.text_literal`). A factor is found by its
    normalised label whatever the tag: the same text with another tag joins the existing factor
    (whose label keeps its tag) and adds a line to ``warnings`` (naming the row of ``sheet``).
    """
    s = session_iri(session_id)
    by_label, used, derived = _existing_items(store)
    stored: dict[tuple[str, URIRef], list[Literal]] = {}
    for r in store.select("SELECT ?c ?p ?o WHERE { VALUES ?p { ckg:text rdfs:label ckg:localPlace } ?c a ckg:Contribution ; ?p ?o }"):
        stored.setdefault((str(r["c"]), URIRef(r["p"])), []).append(r["o"])
    triples: list = []
    counts = {"contributions": 0, "new factors": 0}
    item_slugs: dict[tuple[str, str], URIRef] = {}
    pending: list[tuple[URIRef, list[str]]] = []
    for rec in records:
        c = contribution_iri(session_id, rec.key)
        counts["contributions"] += 1
        kind = URIRef(ontology.CKG + rec.kind)

        def tagged(text: str) -> Literal:
            return text_literal(text, rec.language)

        triples += [(c, RDF.type, CKG.Contribution), (c, RDF.type, PROV.Entity),
                    (c, CKG.kind, kind), (c, PROV.wasGeneratedBy, s)]
        retagged = False
        for p, value in ((CKG.text, rec.text), (RDFS.label, rec.label), (CKG.localPlace, rec.local_place)):
            if not value:
                continue
            lit = tagged(value)
            same = [o for o in stored.get((str(c), p), ()) if str(o) == value]
            if not same:
                triples.append((c, p, lit))
            elif all(o.language != lit.language for o in same):
                retagged = True  # imported before with another tag: the stored literal stays
        if retagged and warnings is not None:
            where = f"{sheet.path}: {sheet.unit} {rec.row}" if sheet else f"row {rec.row}"
            warnings.append(f"{where}: this contribution is already in the workspace with its text in another language "
                            f"tag ({stored[(str(c), CKG.text)][0].language or 'untagged'}); the stored text keeps it")
        if rec.question is not None:
            triples.append((c, CKG.question, rec.question))
        for p, values in ((CKG.category, rec.categories), (CKG.crimeType, rec.crimes), (CKG.actor, rec.actors),
                          (CKG.level, rec.levels), (CKG.place, rec.places), (CKG.topic, rec.topics)):
            triples += [(c, p, v) for v in values]
        if rec.group:
            triples.append((c, CKG.group, Literal(rec.group)))
        if rec.time is not None:
            triples.append((c, PROV.generatedAtTime, rec.time))
        if rec.contributor:
            person = participant_iri(session_id, rec.contributor)
            triples += [(person, RDF.type, CKG.Participant), (person, RDF.type, PROV.Agent),
                        (person, CKG.contributorCode, Literal(rec.contributor)), (c, PROV.wasAttributedTo, person)]
        if str(c) in derived:
            continue  # already imported and harmonised: leave its items as they are
        label = rec.label or short_label(rec.text)
        label_lit = tagged(label)
        if rec.kind == "Factor":
            found = by_label.get(normalize(label))
            if found is None:
                f = factor_iri(_free_slug(slugify(label), used, factor_iri))
                used.add(str(f))
                by_label[normalize(label)] = (f, label_lit)
                counts["new factors"] += 1
                triples += [(f, RDF.type, CKG.Factor), (f, RDF.type, SKOS.Concept), (f, SKOS.prefLabel, label_lit),
                            (f, SKOS.inScheme, FACTOR_SCHEME)]
            else:
                f, known = found
                if warnings is not None and known.language and label_lit.language and known.language != label_lit.language:
                    where = f"{sheet.path}: {sheet.unit} {rec.row}" if sheet else f"row {rec.row}"
                    warnings.append(
                        f'{where}: "{label}" ({label_lit.language}) is the same text as the factor "{known}" '
                        f"({known.language}) <{f}>; it joins that factor, whose label stays {known.language}. "
                        "If a language is wrong, give it in the language column or with --language")
            triples.append((f, PROV.wasDerivedFrom, c))
            for p, values in ((CKG.category, rec.categories), (CKG.crimeType, rec.crimes), (CKG.actor, rec.actors),
                              (CKG.level, rec.levels), (CKG.place, rec.places)):
                triples += [(f, p, v) for v in values]
            continue
        key = (rec.kind, normalize(label))
        item = item_slugs.get(key)
        if item is None:
            item = item_slugs[key] = item_iri(rec.kind, _free_slug(slugify(label), used, lambda sl: item_iri(rec.kind, sl)))
            used.add(str(item))
            triples += [(item, RDF.type, kind), (item, RDFS.label, label_lit)]
            if rec.kind == "DataSource":
                triples.append((item, RDF.type, DCAT.Dataset))
        counts[_KIND_WORDS[rec.kind] + "s"] = counts.get(_KIND_WORDS[rec.kind] + "s", 0) + 1
        triples.append((item, PROV.wasDerivedFrom, c))
        props = [(CKG.crimeType, rec.crimes), (CKG.place, rec.places)]
        if rec.kind != "Response":
            props.append((CKG.level, rec.levels))
        if rec.kind == "DataSource":
            props.append((DCAT.theme, rec.topics))
        if rec.kind == "InformationGap":
            props.append((CKG.topic, rec.topics))
        for p, values in props:
            triples += [(item, p, v) for v in values]
        for k, prop in _DETAILS.get(rec.kind, {}).items():
            if k in rec.details:
                triples.append((item, CKG[prop], tagged(rec.details[k])))
        if rec.addresses:
            pending.append((item, rec.addresses))
    for item, names in pending:  # after every factor of the sheet exists
        for name in names:
            f = URIRef(name) if name.startswith(ontology.DATA) else by_label.get(normalize(name), (None,))[0]
            if f is not None:
                triples.append((item, CKG.addresses, f))
    return triples, counts


# ------------------------------------------------------------------------------------------------
# naming factors, and links


def find_factor(store: GraphStore, name: str, session_id: str | None = None) -> URIRef:
    """The factor ``name`` means: an IRI, ``factor:slug``, a slug, a label (preferred or
    alternative, compared forgivingly), an unambiguous prefix of a label, or the id of a
    contribution (in ``session_id``) that the factor comes from.
    """
    name = name.strip()
    rows = store.select(
        "SELECT ?f ?l ?pref WHERE { ?f a ckg:Factor ; skos:prefLabel ?pref . { ?f skos:prefLabel ?l } UNION { ?f skos:altLabel ?l } }"
    )
    factors = {str(r["f"]): str(r["pref"]) for r in rows}
    slug_like = bool(_SESSION_ID.match(name))
    for cand in (name, name.replace("factor:", ontology.DATA + "factor/", 1) if name.startswith("factor:") else None,
                 str(factor_iri(name)) if slug_like else None):
        if cand and cand in factors:
            return URIRef(cand)
    if session_id and slug_like:
        hits = store.select("SELECT ?f ?c WHERE { ?f a ckg:Factor ; prov:wasDerivedFrom ?c }",
                            {"c": contribution_iri(session_id, name)})
        if hits:
            return URIRef(hits[0]["f"])
    norm = normalize(name)
    exact = sorted({str(r["f"]) for r in rows if normalize(r["l"]) == norm})
    if len(exact) == 1:
        return URIRef(exact[0])
    prefix = sorted({str(r["f"]) for r in rows if normalize(r["l"]).startswith(norm)}) if norm else []
    found = exact or prefix
    if len(found) == 1:
        return URIRef(found[0])
    if found:
        listed = "; ".join(f'"{factors[f]}" <{f}>' for f in found[:8])
        raise InvalidInput(f'"{name}" names {len(found)} factors: {listed}; give more of the label or the IRI')
    near = _nearest(name, factors.values())
    hint = f' Did you mean "{near}"?' if near else " `crimekg query` or the view lists them."
    raise InvalidInput(f'no factor called "{name}".{hint}')


def names_factor_exactly(store: GraphStore, name: str, iri: URIRef | str) -> bool:
    """Whether ``name`` names factor ``iri`` by its IRI, slug or one of its labels (compared
    forgivingly), rather than by a prefix of a label that :func:`find_factor` accepted.
    """
    name, iri = name.strip(), str(iri)
    if name == iri or (name.startswith("factor:") and ontology.DATA + "factor/" + name[len("factor:"):] == iri):
        return True
    if _SESSION_ID.match(name) and str(factor_iri(name)) == iri:
        return True
    rows = store.select("SELECT ?f ?l WHERE { { ?f skos:prefLabel ?l } UNION { ?f skos:altLabel ?l } }", {"f": URIRef(iri)})
    norm = normalize(name)
    return any(normalize(str(r["l"])) == norm for r in rows)


def link_triples(
    session_id: str, source: URIRef, relation: URIRef, target: URIRef, polarity: URIRef,
    strength: Decimal | None = None, evidence: str | None = None, derived_from: Iterable[URIRef] = (),
    language: str | None = None,
) -> tuple[URIRef, list]:
    """The IRI and triples of one factor link (``data/link/{from}--{relation}--{to}``).

    The evidence text is tagged with ``language``, else with the language its script tells.
    """
    if source == target:
        raise InvalidInput(f"a link joins two different factors, but both ends are <{source}>")
    link = link_iri(source, relation, target)
    triples = [(link, RDF.type, CKG.FactorLink), (link, RDF.type, PROV.Entity), (link, CKG.fromFactor, source),
               (link, CKG.toFactor, target), (link, CKG.relation, relation), (link, CKG.polarity, polarity),
               (link, PROV.wasGeneratedBy, session_iri(session_id))]
    if strength is not None:
        triples.append((link, CKG.strength, Literal(str(strength), datatype=XSD.decimal)))
    if evidence:
        triples.append((link, CKG.evidence, text_literal(evidence, language)))
    triples += [(link, PROV.wasDerivedFrom, c) for c in derived_from]
    return link, triples


def plan_links(
    store: GraphStore, path: str | Path, session_id: str | None = None, *, encoding: str | None = None,
    skip_invalid: bool = False, sheet: Sheet | None = None, language: str | None = None,
) -> ContributionPlan:
    """Read and check a links sheet and build the factor links it adds, without writing.

    Factors are named as :func:`find_factor` accepts; a factor named by the id of a contribution
    also gets that contribution as the link's ``prov:wasDerivedFrom``. ``language`` is the language
    of the evidence texts (default: the language each one's script tells).
    """
    language = _language_option(language)
    sheet = sheet or read_sheet(path, encoding)
    session_id = find_session(store, session_id)
    vocab = Vocabulary.from_store(store)
    records, problems = check_links(sheet, vocab)
    resolved = []
    for rec in records:
        ends, errs = [], []
        for column, name in (("from", rec.source), ("to", rec.target)):
            try:
                ends.append(find_factor(store, name, session_id))
            except InvalidInput as exc:
                errs.append(Problem(rec.row, column, name, str(exc)))
        if not errs and ends[0] == ends[1]:
            errs.append(Problem(rec.row, "to", rec.target, f"both ends are the same factor <{ends[0]}>; a link joins two different factors"))
        if errs:
            problems[rec.row] = errs
        else:
            resolved.append((rec, ends))
    if problems and not skip_invalid:
        raise _refuse(sheet, problems)
    warnings = []
    changes = Changeset()
    if _session_info(store, session_id) is None:
        changes = session_changeset(store, session_id)
        warnings.append(f"session {session_id!r} did not exist; created it (describe it with `crimekg session new {session_id} --title ...`)")
    triples = []
    known = {str(r["c"]) for r in store.select("SELECT ?c WHERE { ?c a ckg:Contribution }")}
    for rec, (a, b) in resolved:
        derived = [contribution_iri(session_id, n) for n in (rec.source, rec.target) if _SESSION_ID.match(n)]
        _, t = link_triples(session_id, a, rec.relation, b, rec.polarity, rec.strength, rec.evidence,
                            [c for c in derived if str(c) in known], language)
        triples += t
    changes.add_triples(graph_iri("contributions/" + session_id), triples)
    summary = {"rows": len(sheet.rows), "stored": len(resolved), "rejected": len(problems), "links": len(resolved)}
    return ContributionPlan(changes, summary, warnings, _rejected_rows(sheet, problems))


def write_rejected(rows: list[dict], path: str | Path) -> Path:
    """Write rejected rows (their cells plus a ``problem`` column) as a UTF-8 CSV for correction."""
    path = Path(path)
    headers: list[str] = []
    for r in rows:
        for k in r:
            if k not in headers and k != "problem":
                headers.append(k)
    headers.append("problem")
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=headers)
        w.writeheader()
        for r in rows:
            w.writerow({h: r.get(h, "") for h in headers})
    return path


def plan_rows(store: GraphStore, rows: list[dict[str, str]], session_id: str | None = None) -> ContributionPlan:
    """Check and build contributions given as field dicts (``crimekg add``), like a sheet of them.

    Keys are field names of :data:`FIELDS` (``text``, ``kind``, ``category``, ...). The summary's
    ``item`` is the IRI of the item the (first) row gives.
    """
    headers = [FIELDS[k][0] for k in FIELDS if any(k in r for r in rows)]
    sheet = Sheet("command line", "args", headers, [(i, {FIELDS[k][0]: v for k, v in r.items()}) for i, r in enumerate(rows, 1)], unit="item")
    before = {str(r["x"]) for r in store.select("SELECT ?x WHERE { ?x prov:wasDerivedFrom ?c }")}
    plan = plan_contributions(store, sheet.path, session_id, sheet=sheet)
    for g, triples in plan.changes.add.items():
        for s, p, o in triples:
            if p == PROV.wasDerivedFrom and str(s) not in before:
                plan.summary["item"] = str(s)
                break
    plan.summary.setdefault("item", "(already there)")
    return plan


def plan_link(
    store: GraphStore, source: str, relation: str, target: str, *, polarity: str = "+", strength: str | None = None,
    evidence: str | None = None, session_id: str | None = None,
) -> tuple[Changeset, URIRef]:
    """Check and build one factor link named as on the command line (``crimekg link``)."""
    session_id = find_session(store, session_id)
    sheet = Sheet("command line", "args", ["from", "relation", "to", "polarity", "strength", "evidence"],
                  [(1, {"from": source, "relation": relation, "to": target, "polarity": polarity,
                        "strength": strength or "", "evidence": evidence or ""})], unit="link")
    records, problems = check_links(sheet, Vocabulary.from_store(store))
    if problems:
        raise InvalidInput("; ".join(p.message for p in problems[1]))
    rec = records[0]
    a, b = find_factor(store, rec.source, session_id), find_factor(store, rec.target, session_id)
    iri, triples = link_triples(session_id, a, rec.relation, b, rec.polarity, rec.strength, rec.evidence)
    changes = Changeset()
    if _session_info(store, session_id) is None:
        raise InvalidInput(f"no session {session_id!r}; create it with `crimekg session new {session_id} --title ...`")
    changes.add_triples(graph_iri("contributions/" + session_id), triples)
    return changes, iri
