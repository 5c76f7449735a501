"""Importer for participants' contribution sheets and links sheets (``crimekg template`` layout).

A sheet with a ``text`` column is a contributions sheet; one with ``from``, ``relation`` and ``to``
columns is a links sheet. Both are read as CSV, XLSX, JSON or YAML (:func:`graph.sheets.read_sheet`).

Data flows one way: a file -> :class:`~graph.sheets.Sheet` (header and rows as text) ->
:class:`Record` (values matched to the workspace's concepts and places by
:class:`~graph.contributions.Vocabulary`) -> triples in one :class:`~graph.store.Changeset` of an
:class:`~graph.importers.ImportPlan`. Nothing is written here; ``crimekg import`` applies the
changeset with one ``store.write``. ``crimekg add`` (:func:`plan_rows`) and ``crimekg link``
(:func:`plan_link`) go through the same checks, as a sheet of one row.

IRIs are stable (made in :mod:`graph.terms`): a contribution is
``https://w3id.org/crimekg/data/contribution/{session}/{key}`` where ``key`` is the sheet's ``id``
column or a short hash of its normalised text, question, contributor and group, so importing the
same file twice changes nothing. A factor or other item is ``data/{kind}/{slug}`` with the slug
of its label, distinct for distinct labels in any script.

Text in any script is kept as written and says its language: a row's ``language`` column, else
the import's ``--language``, else the language its script tells (:func:`graph.terms.text_literal`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from crimekg import ontology
from crimekg.graph.contributions import (
    CKG, DCAT, FACTOR_SCHEME, IDENTIFIER, KIND_WORDS, PROV, Vocabulary, nearest, normalize, short_label,
    split_list,
)
from crimekg.graph.errors import InvalidInput, UnknownFactor
from crimekg.graph.importers import ImportPlan
from crimekg.graph.privacy import keyed_digest, legacy_digest, workspace_secret
from crimekg.graph.resolve import Words
from crimekg.graph.sessions import find_session, session_changeset, session_info
from crimekg.graph.sheets import Problem, Sheet, read_sheet, refusal, rejected_rows
from crimekg.graph.store import BULK_BYTES, Changeset, GraphStore, NTriplesFile, graph_iri
from crimekg.graph.terms import (
    ITEM_PATHS, contribution_iri, item_iri, language_tag, link_iri, participant_iri, session_iri, slugify, text_language,
    text_literal,
)

__all__ = [
    "NAME",
    "DESCRIPTION",
    "EXTENSIONS",
    "FIELDS",
    "LINK_FIELDS",
    "Record",
    "LinkRecord",
    "sniff",
    "plan",
    "is_links_sheet",
    "check_rows",
    "check_links",
    "plan_contributions",
    "plan_links",
    "plan_rows",
    "plan_link",
    "link_triples",
    "records_to_triples",
]

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


#: Free-text columns that describe a data source or a response, and the property each becomes.
_DETAILS = {
    "DataSource": {"owner": "owner", "collection": "collectionMethod", "sharing": "sharingArrangement",
                   "frequency": "updateFrequency", "access": "access"},
    "Response": {"effectiveness": "effectivenessEvidence"},
}


DEFAULT_CODE_PATTERN = r"^[A-Z]{1,3}\d{1,4}$"  # P07, AB12: a code, never a name such as JohnSmith or Maria.Garcia

NAME = "contributions"
DESCRIPTION = "participants' contributions or factor links, in the `crimekg template` layout (CSV, XLSX, JSON, YAML)"
EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".yaml", ".yml")


def sniff(path: Path) -> bool:
    """True for any file with a spreadsheet, JSON or YAML extension (the last importer tried).

    >>> sniff(Path("room-2.csv")), sniff(Path("notes.ttl"))
    (True, False)
    """
    return Path(path).suffix.lower() in EXTENSIONS


def is_links_sheet(headers: list[str]) -> bool:
    """True when the headers are those of a links sheet (from, relation, to).

    >>> is_links_sheet(["From", "relation", "to", "polarity"]), is_links_sheet(["text", "kind"])
    (True, False)
    """
    names = {normalize(h) for h in headers}
    wanted = {normalize(w) for name in ("from", "relation", "to") for w in (name, *LINK_FIELDS[name][1])}
    return {"from", "to"} <= names or len(names & wanted) >= 3


def plan(path: Path, store: GraphStore, *, session: str | None = None, encoding: str | None = None,
         skip_invalid: bool = False, language: str | None = None, redact: bool = False, **options: object) -> ImportPlan:
    """Check the whole sheet and build what it adds (see :func:`plan_contributions`).

    ``language`` is the language of the sheet's text where a row does not give one in its
    ``language`` column (default: the language each text's script tells). Likely e-mail
    addresses, phone numbers and names in free text are warned about (``plan.warnings``, with
    their rows); ``redact=True`` stores each as a marker instead (:func:`graph.pii.redact`).
    """
    sheet = read_sheet(path, encoding)
    build = plan_links if is_links_sheet(sheet.headers) else plan_contributions
    return build(store, path, session, skip_invalid=skip_invalid, sheet=sheet, language=language, redact=redact)


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


#: Normalised column names and aliases -> field name, per field table (by identity).
_lookups: dict[int, tuple[Mapping, dict[str, str]]] = {}


def _columns(sheet: Sheet, fields: Mapping[str, tuple[str, tuple[str, ...], str]], kind: str) -> dict[str, str]:
    """Map each header of the sheet to a field name; unknown headers are an error with a hint."""
    table, lookup = _lookups.get(id(fields), (None, {}))
    if table is not fields:  # FIELDS and LINK_FIELDS are constants: each lookup is built once
        lookup = {normalize(w): name for name, (header, aliases, _) in fields.items() for w in (name, header, *aliases)}
        _lookups[id(fields)] = (fields, lookup)
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
            near = nearest(h, allowed)
            hints.append(f'"{h}"' + (f' (did you mean "{near}"?)' if near else ""))
        raise InvalidInput(
            f"{sheet.path}: unknown column(s) {', '.join(hints)}; a {kind} sheet has the columns "
            f"{', '.join(allowed)}. Rename or delete the extra columns; nothing was stored."
        )
    return mapping


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


def _row_key(text: str, question: URIRef | None, contributor: str | None, group: str | None,
             secret: bytes | None = None, legacy: frozenset[str] | set[str] = frozenset()) -> str:
    """The key of a row without an ``id``: keyed with the workspace ``secret`` (see graph.privacy).

    A key in ``legacy`` (computed the unkeyed way, as workspaces without a secret did) is kept,
    so re-importing a sheet into such a workspace changes nothing.
    """
    basis = "\x1f".join([normalize(text), str(question or ""), (contributor or "").upper(), normalize(group or "")])
    old = legacy_digest(basis)
    if secret is None or old in legacy:
        return old
    return keyed_digest(secret, basis)


def check_rows(
    sheet: Sheet, vocab: Vocabulary, *, session_date: date | None = None, session_start: Literal | None = None,
    language: str | None = None, secret: bytes | None = None, code_pattern: str | None = None, legacy_keys: frozenset[str] | set[str] = frozenset(),
    redact: bool = False, personal: list[str] | None = None,
) -> tuple[list[Record], dict[int, list[Problem]]]:
    """Check every row of a contributions sheet; return the valid records and the problems by row.

    A row is valid when its text is present, every value matches an allowed one, a factor has a
    category (or a question that implies one), the contributor is a pseudonymous code, and the row
    does not repeat an earlier one (same text, question, contributor and group). A row's
    ``language`` column, else ``language``, is the language of its text (see
    :func:`graph.terms.language_tag`); without either, each text is tagged with the language its
    script tells when it tells one. Each likely e-mail address, phone number or name in the free
    text (text, label, local place, group, details) adds a line naming its row and column to
    ``personal``; with ``redact`` the record holds the text with a marker in its place, and its key
    is made from that text.

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
    code_re = re.compile(code_pattern or DEFAULT_CODE_PATTERN)
    seen: dict[str, int] = {}
    for rownum, cells in sheet.rows:
        v = {name: cells.get(h, "").strip() for h, name in columns.items()}
        col = lambda name: header.get(name, FIELDS[name][0])  # noqa: E731
        _personal_details(sheet, rownum, v, col, _FREE_TEXT, redact, personal)
        errs: list[Problem] = []
        text = " ".join(v.get("text", "").split())
        if not text:
            errs.append(Problem(rownum, col("text"), "", "the text is empty; write what the participant said (or delete the row)"))
        question = None
        if v.get("question"):
            question = vocab.match("question", v["question"])
            if question is None:
                errs.append(vocab.unknown("question", col("question"), v["question"], rownum))
        kind = None
        if v.get("kind"):
            k = vocab.match("kind", v["kind"])
            if k is None:
                errs.append(vocab.unknown("kind", col("kind"), v["kind"], rownum))
            else:
                kind = str(k).rsplit("#", 1)[-1]
        categories = vocab.parse("category", col("category"), v.get("category", ""), rownum, errs)
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
        crimes = vocab.parse("crime", col("crime"), v.get("crime", ""), rownum, errs)
        actors = vocab.parse("actor", col("actor"), v.get("actor", ""), rownum, errs)
        levels = vocab.parse("level", col("level"), v.get("level", ""), rownum, errs)
        topics = vocab.parse("topic", col("topic"), v.get("topic", ""), rownum, errs)
        places = vocab.parse("place", col("place"), v.get("place", ""), rownum, errs)
        contributor = v.get("contributor") or None
        if contributor and not code_re.fullmatch(contributor):
            errs.append(Problem(rownum, col("contributor"), contributor,
                                f'"{contributor}" is not a contributor code: use a short pseudonym such as P07 '
                                f"(this session accepts codes matching {code_re.pattern}); never a person's name"))
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
            if not IDENTIFIER.match(key):
                errs.append(Problem(rownum, col("id"), key, f'"{key}" cannot be an id: use letters, digits, ".", "_" or "-", e.g. 2a-03'))
        else:
            key = _row_key(text, question, contributor, v.get("group"), secret, legacy_keys)
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
            contributor=contributor, time=stamp, addresses=split_list(v.get("addresses", "")) if kind == "Response" else [],
            details={k: " ".join(v[k].split()) for k in _DETAILS.get(kind or "", {}) if v.get(k)},
            language=row_language,
        ))
    return records, problems


def check_links(sheet: Sheet, vocab: Vocabulary, *, redact: bool = False,
                personal: list[str] | None = None) -> tuple[list[LinkRecord], dict[int, list[Problem]]]:
    """Check every row of a links sheet (from, relation, to, polarity, strength, evidence).

    Likely personal details in the evidence are listed in ``personal`` and, with ``redact``,
    replaced by a marker (as :func:`check_rows` does)."""
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
        _personal_details(sheet, rownum, v, lambda name: header.get(name, name), ("evidence",), redact, personal)
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


# --- likely personal details in free text (e-mail addresses, phone numbers, names)

# the free-text fields of a contribution row (a contributor code is checked against its pattern)
_FREE_TEXT = ("text", "label", "local_place", "group", *sorted({k for d in _DETAILS.values() for k in d}))


def _personal_details(sheet: Sheet, rownum: int, values: dict[str, str], col: Callable[[str], str],
                      names: Iterable[str], redact: bool, personal: list[str] | None) -> None:
    """Note each likely personal detail in ``values``' free text; with ``redact``, replace it there."""
    if personal is None and not redact:
        return
    from crimekg.graph.pii import find_pii, redact as redacted

    for name in names:
        found = find_pii(values.get(name, ""))
        if not found:
            continue
        if personal is not None:
            personal += [f'{sheet.path}: {sheet.unit} {rownum}, column "{col(name)}": likely {f.kind} "{f.text}"'
                         + (" (stored redacted)" if redact else "") for f in found]
        if redact:
            values[name] = redacted(values[name])


def _personal_warnings(lines: list[str], redact: bool) -> list[str]:
    """The warnings about likely personal details, capped, with what to do about them."""
    if not lines:
        return []
    from crimekg.graph.pii import summarise

    head = (f"likely personal details in {len(lines)} place(s): " +
            ("stored as markers such as [redacted: e-mail]" if redact else
             "`crimekg import --redact` stores a marker such as [redacted: e-mail] in their place, "
             "and `crimekg export --profile public --redact` replaces them in what you share"))
    return summarise(lines) + [head]


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


def _free_slug(slug: str, used: set[str], iri: Callable[[str], str]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... when an item already has that IRI."""
    base, n = slug, 2
    while str(iri(slug)) in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def session_code_pattern(store: GraphStore, session_id: str) -> str:
    """The contributor-code pattern of a session (its ``ckg:contributorCodePattern``), else the default."""
    rows = store.select("SELECT ?p WHERE { ?s ckg:contributorCodePattern ?p }", {"s": session_iri(session_id)})
    return str(rows[0]["p"]) if rows else DEFAULT_CODE_PATTERN


def plan_contributions(
    store: GraphStore, path: str | Path, session_id: str | None = None, *, encoding: str | None = None,
    skip_invalid: bool = False, sheet: Sheet | None = None, language: str | None = None,
    vocab: Vocabulary | None = None, redact: bool = False,
) -> ImportPlan:
    """Read and check a contributions sheet and build everything it adds, without writing.

    Every row is checked first; with any problem and without ``skip_invalid`` the import is refused
    with a list of every problem (:class:`InvalidInput`). The changeset adds, to graph
    ``contributions/{session}``: the contributions, their participants, the session node if it is
    new (with a warning), and the items derived from them: one factor per new factor contribution
    (or the existing factor with the same normalised label), and one pattern, data source,
    information gap or response per other contribution, each ``prov:wasDerivedFrom`` it.
    Contributions already in the workspace are not derived again, so a re-import changes nothing.
    ``language`` is the language of rows without a ``language`` cell (see :func:`check_rows`).
    ``vocab`` is the workspace's vocabulary when the caller keeps one (read from ``store`` otherwise).
    Likely personal details in free text are warned about, or stored redacted with ``redact``
    (see :func:`check_rows`).
    """
    sheet = sheet or read_sheet(path, encoding)
    session_id = find_session(store, session_id)
    info = session_info(store, session_id)
    vocab = vocab if vocab is not None else Vocabulary.from_store(store)
    if not vocab.words.get("category"):
        raise InvalidInput(f"{store.location} has no concept schemes loaded; run `crimekg init --upgrade {store.location}`")
    g_iri = graph_iri("contributions/" + session_id)
    warnings = []
    if info is None:
        changes = session_changeset(store, session_id)
        warnings.append(
            f"session {session_id!r} did not exist; created it with the title 'Session {session_id}' "
            f"(describe it with `crimekg session new {session_id} --title ... --date ... --place ...`)"
        )
    else:
        changes = Changeset()
        if info["start"] is None and info["date"] is not None:
            # the time of a row without one, as check_rows would make it on every row: made once
            info = {**info, "start": Literal(datetime.combine(info["date"], time()).isoformat(), datatype=XSD.dateTime)}
    secret = workspace_secret(store, changes)  # a new one is stored by the same write
    # keys made before the workspace had a secret: only this session's contributions can have them
    prefix = str(contribution_iri(session_id, ""))
    legacy = {str(r["c"])[len(prefix):] for r in store.select(f"SELECT ?c WHERE {{ GRAPH <{g_iri}> {{ ?c a ckg:Contribution }} }}")
              if str(r["c"]).startswith(prefix)}
    records, problems = check_rows(
        sheet, vocab, session_date=info["date"] if info else None, session_start=info["start"] if info else None,
        language=language, secret=secret, legacy_keys=legacy, code_pattern=session_code_pattern(store, session_id),
        redact=redact, personal=(personal := []),
    )
    _check_addresses(store, sheet, records, problems)
    if problems and not skip_invalid:
        raise refusal(sheet, problems)
    data, counts = records_to_triples(store, session_id, records, warnings, sheet, g_iri)
    summary = {"rows": len(sheet.rows), "stored": len(records), "rejected": len(problems), **counts}
    warnings += _personal_warnings(personal, redact)
    _add_contributions(changes, g_iri, data)
    return ImportPlan(changes, summary, warnings, rejected_rows(sheet, problems))


def _add_contributions(changes: Changeset, graph: str, data: NTriplesFile) -> None:
    """Add the N-Triples of :func:`records_to_triples` to ``changes``: a big import as that file (the
    store bulk-loads it), a few rows as rdflib triples (what a server or ``crimekg add`` looks at)."""
    if len(data) >= BULK_BYTES:
        changes.add_ntriples(graph, data)
        return
    import pyoxigraph as ox

    from crimekg.graph.store import from_oxigraph_term

    text = data.getvalue()
    data.close()
    changes.add_triples(graph, [(from_oxigraph_term(t.subject), from_oxigraph_term(t.predicate), from_oxigraph_term(t.object))
                                for t in ox.parse(input=text, format=ox.RdfFormat.N_TRIPLES)])


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
    store: GraphStore, session_id: str, records: Iterable[Record], warnings: list[str] | None = None,
    sheet: Sheet | None = None, graph: str | None = None,
) -> tuple[NTriplesFile, dict[str, int]]:
    """The triples for valid records, as N-Triples in a temporary file: contributions, participants
    and derived items.

    Free text (text, label, local place, details) is tagged with the record's language, else with
    the language its script tells (:func:`graph.terms.text_language`). A factor is found by its
    normalised label whatever the tag: the same text with another tag joins the existing factor
    (whose label keeps its tag) and adds a line to ``warnings`` (naming the row of ``sheet``).
    ``graph`` is the session's contributions graph, where contributions imported before are looked
    up (default ``contributions/{session_id}``).

    Each term is checked and written (escaped) by pyoxigraph, once per distinct value; the lines
    go to the file a batch at a time, so a sheet of 100,000 rows never holds its hundreds of
    megabytes of N-Triples, or millions of objects, in memory.
    """
    import pyoxigraph as ox

    from crimekg.graph.store import NTriplesFile, to_oxigraph_term

    g_iri = graph or graph_iri("contributions/" + session_id)
    nodes: dict[str, str] = {}

    def node(iri: str) -> str:
        """The N-Triples form of an IRI (checked: an IRI RDF cannot hold raises ValueError)."""
        n = nodes.get(iri)
        if n is None:
            n = nodes[iri] = str(ox.NamedNode(iri))
        return n

    terms: dict[object, str] = {}

    def term(value: object) -> str:
        """A vocabulary IRI or a typed literal (few distinct), in N-Triples."""
        t = terms.get(value)
        if t is None:
            t = terms[value] = str(to_oxigraph_term(value))
        return t

    def literal(text: str, lang: str | None) -> str:
        return str(ox.Literal(text, language=lang) if lang else ox.Literal(text))

    a, a_entity, a_contribution = node(str(RDF.type)), node(str(PROV.Entity)), node(str(CKG.Contribution))
    p_kind, p_generated_by, p_text, p_label, p_local = (node(str(x)) for x in (CKG.kind, PROV.wasGeneratedBy, CKG.text, RDFS.label, CKG.localPlace))
    p_question, p_group, p_at, p_attributed, p_derived = (node(str(x)) for x in (CKG.question, CKG.group, PROV.generatedAtTime, PROV.wasAttributedTo, PROV.wasDerivedFrom))
    a_participant, a_agent, p_code = node(str(CKG.Participant)), node(str(PROV.Agent)), node(str(CKG.contributorCode))
    a_factor, a_concept, p_pref, p_scheme, scheme = (node(str(x)) for x in (CKG.Factor, SKOS.Concept, SKOS.prefLabel, SKOS.inScheme, FACTOR_SCHEME))
    a_dataset, p_addresses = node(str(DCAT.Dataset)), node(str(CKG.addresses))
    common = [(node(str(p)), attr) for p, attr in ((CKG.category, "categories"), (CKG.crimeType, "crimes"), (CKG.actor, "actors"),
                                                  (CKG.level, "levels"), (CKG.place, "places"))]
    p_topic, p_crime, p_place, p_level, p_theme = (node(str(x)) for x in (CKG.topic, CKG.crimeType, CKG.place, CKG.level, DCAT.theme))
    details = {kind: [(k, node(str(CKG[prop]))) for k, prop in props.items()] for kind, props in _DETAILS.items()}

    s = node(str(session_iri(session_id)))
    # the IRI schemes of graph.terms, as string prefixes (a URIRef per row costs more than its triples)
    contribution_prefix, participant_prefix = str(contribution_iri(session_id, "")), str(participant_iri(session_id, ""))
    item_prefix = {kind: str(item_iri(kind, "")) for kind in ITEM_PATHS}
    by_label, used, derived = _existing_items(store)
    found_labels = {k: (str(f), str(lit), lit.language) for k, (f, lit) in by_label.items()}
    stored: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for r in store.select(f"SELECT ?c ?p ?o WHERE {{ GRAPH <{g_iri}> {{ VALUES ?p {{ ckg:text rdfs:label ckg:localPlace }} "
                          "?c a ckg:Contribution ; ?p ?o } }"):
        stored.setdefault((str(r["c"]), str(r["p"])), []).append((str(r["o"]), r["o"].language))
    counts = {"contributions": 0, "new factors": 0}
    item_slugs: dict[tuple[str, str], str] = {}
    participants: set[str] = set()
    pending: list[tuple[str, list[str]]] = []
    out = NTriplesFile(checked=True)  # every line is made of terms pyoxigraph wrote
    triples: list[tuple[str, str, str]] = []

    def flush() -> None:
        out.write("".join([f"{t[0]} {t[1]} {t[2]} .\n" for t in triples]).encode("utf-8"))
        triples.clear()

    def where(rec: Record) -> str:
        return f"{sheet.path}: {sheet.unit} {rec.row}" if sheet else f"row {rec.row}"

    def add(rec: Record) -> None:
        nonlocal triples
        c_iri = contribution_prefix + rec.key
        c = str(ox.NamedNode(c_iri))  # one per row: not kept
        kind = node(ontology.CKG + rec.kind)
        counts["contributions"] += 1
        triples += [(c, a, a_contribution), (c, a, a_entity), (c, p_kind, kind), (c, p_generated_by, s)]
        retagged = None
        for p, value in ((p_text, rec.text), (p_label, rec.label), (p_local, rec.local_place)):
            if not value:
                continue
            lang = text_language(value, rec.language)
            before = stored.get((c_iri, p[1:-1]))
            same = [tag for text, tag in before if text == value] if before else []
            if not same:
                triples.append((c, p, literal(value, lang)))
            elif all(tag != lang for tag in same):
                retagged = stored[(c_iri, str(CKG.text))][0][1] if (c_iri, str(CKG.text)) in stored else None
                retagged = retagged or "untagged"  # imported before with another tag: the stored literal stays
        if retagged and warnings is not None:
            warnings.append(f"{where(rec)}: this contribution is already in the workspace with its text in another language "
                            f"tag ({retagged}); the stored text keeps it")
        if rec.question is not None:
            triples.append((c, p_question, term(rec.question)))
        for p, attr in common:
            triples += [(c, p, term(v)) for v in getattr(rec, attr)]
        triples += [(c, p_topic, term(v)) for v in rec.topics]
        if rec.group:
            triples.append((c, p_group, literal(rec.group, None)))
        if rec.time is not None:
            triples.append((c, p_at, term(rec.time)))
        if rec.contributor:
            person = node(participant_prefix + rec.contributor)
            if rec.contributor not in participants:
                participants.add(rec.contributor)
                triples += [(person, a, a_participant), (person, a, a_agent), (person, p_code, literal(rec.contributor, None))]
            triples.append((c, p_attributed, person))
        if c_iri not in derived:  # else already imported and harmonised: its items stay as they are
            label = rec.label or short_label(rec.text)
            lang = text_language(label, rec.language)
            if rec.kind == "Factor":
                key = normalize(label)
                found = found_labels.get(key)
                if found is None:
                    f_iri = item_prefix["Factor"] + _free_slug(slugify(label), used, item_prefix["Factor"].__add__)
                    f = str(ox.NamedNode(f_iri))
                    used.add(f_iri)
                    found_labels[key] = (f_iri, label, lang)
                    counts["new factors"] += 1
                    triples += [(f, a, a_factor), (f, a, a_concept), (f, p_pref, literal(label, lang)), (f, p_scheme, scheme)]
                else:
                    f_iri, known, known_lang = found
                    f = node(f_iri)
                    if warnings is not None and known_lang and lang and known_lang != lang:
                        warnings.append(
                            f'{where(rec)}: "{label}" ({lang}) is the same text as the factor "{known}" '
                            f"({known_lang}) <{f_iri}>; it joins that factor, whose label stays {known_lang}. "
                            "If a language is wrong, give it in the language column or with --language")
                triples.append((f, p_derived, c))
                for p, attr in common:
                    triples += [(f, p, term(v)) for v in getattr(rec, attr)]
            else:
                key2 = (rec.kind, normalize(label))
                item_iri_str = item_slugs.get(key2)
                if item_iri_str is None:
                    prefix = item_prefix[rec.kind]
                    item_iri_str = item_slugs[key2] = prefix + _free_slug(slugify(label), used, prefix.__add__)
                    used.add(item_iri_str)
                    item = node(item_iri_str)
                    triples += [(item, a, kind), (item, p_label, literal(label, lang))]
                    if rec.kind == "DataSource":
                        triples.append((item, a, a_dataset))
                item = node(item_iri_str)  # items are shared by the rows that say the same
                counts[KIND_WORDS[rec.kind] + "s"] = counts.get(KIND_WORDS[rec.kind] + "s", 0) + 1
                triples.append((item, p_derived, c))
                props = [(p_crime, rec.crimes), (p_place, rec.places)]
                if rec.kind != "Response":
                    props.append((p_level, rec.levels))
                if rec.kind == "DataSource":
                    props.append((p_theme, rec.topics))
                if rec.kind == "InformationGap":
                    props.append((p_topic, rec.topics))
                for p, values in props:
                    triples += [(item, p, term(v)) for v in values]
                for k, p in details.get(rec.kind, ()):
                    if k in rec.details:
                        triples.append((item, p, literal(rec.details[k], text_language(rec.details[k], rec.language))))
                if rec.addresses:
                    pending.append((item, rec.addresses))

    for rec in records:
        try:
            add(rec)
        except ValueError as exc:  # a term RDF cannot hold: an IRI from a code the session's pattern let through, a language tag
            raise InvalidInput(f"{where(rec)}: {exc} (in the id, contributor code or language of this row); "
                               "use letters and digits for codes and ids, and a language code such as ja. Nothing was stored.") from exc
        if len(triples) >= _BATCH:
            flush()
    for item, names in pending:  # after every factor of the sheet exists
        for name in names:
            f_iri = name if name.startswith(ontology.DATA) else (found_labels.get(normalize(name)) or (None,))[0]
            if f_iri is not None:
                triples.append((item, p_addresses, node(f_iri)))
    flush()
    return out, counts


#: Triples made before they are written out as N-Triples (see :func:`records_to_triples`).
_BATCH = 20_000


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
    skip_invalid: bool = False, sheet: Sheet | None = None, language: str | None = None, redact: bool = False,
) -> ImportPlan:
    """Read and check a links sheet and build the factor links it adds, without writing.

    Factors are named as :meth:`crimekg.graph.resolve.Words.factor` accepts; a factor named by the id of a contribution
    also gets that contribution as the link's ``prov:wasDerivedFrom``. ``language`` is the language
    of the evidence texts (default: the language each one's script tells).
    """
    language = _language_option(language)
    sheet = sheet or read_sheet(path, encoding)
    session_id = find_session(store, session_id)
    vocab = Vocabulary.from_store(store)
    records, problems = check_links(sheet, vocab, redact=redact, personal=(personal := []))
    resolved = []
    words = Words(store)
    for rec in records:
        ends, errs = [], []
        for column, name in (("from", rec.source), ("to", rec.target)):
            try:
                ends.append(URIRef(words.factor(name, session_id)))
            except (InvalidInput, UnknownFactor) as exc:
                errs.append(Problem(rec.row, column, name, str(exc)))
        if not errs and ends[0] == ends[1]:
            errs.append(Problem(rec.row, "to", rec.target, f"both ends are the same factor <{ends[0]}>; a link joins two different factors"))
        if errs:
            problems[rec.row] = errs
        else:
            resolved.append((rec, ends))
    if problems and not skip_invalid:
        raise refusal(sheet, problems)
    warnings = []
    changes = Changeset()
    if session_info(store, session_id) is None:
        changes = session_changeset(store, session_id)
        warnings.append(f"session {session_id!r} did not exist; created it (describe it with `crimekg session new {session_id} --title ...`)")
    triples = []
    known = {str(r["c"]) for r in store.select("SELECT ?c WHERE { ?c a ckg:Contribution }")}
    for rec, (a, b) in resolved:
        derived = [contribution_iri(session_id, n) for n in (rec.source, rec.target) if IDENTIFIER.match(n)]
        _, t = link_triples(session_id, a, rec.relation, b, rec.polarity, rec.strength, rec.evidence,
                            [c for c in derived if str(c) in known], language)
        triples += t
    changes.add_triples(graph_iri("contributions/" + session_id), triples)
    summary = {"rows": len(sheet.rows), "stored": len(resolved), "rejected": len(problems), "links": len(resolved)}
    warnings += _personal_warnings(personal, redact)
    return ImportPlan(changes, summary, warnings, rejected_rows(sheet, problems))


def plan_rows(store: GraphStore, rows: list[dict[str, str]], session_id: str | None = None, *,
              vocab: Vocabulary | None = None) -> ImportPlan:
    """Check and build contributions given as field dicts (``crimekg add``), like a sheet of them.

    Keys are field names of :data:`FIELDS` (``text``, ``kind``, ``category``, ...). The summary's
    ``item`` is the IRI of the item the (first) row gives. ``vocab``: a vocabulary the caller
    keeps (a server checking many rows one at a time), read from ``store`` when None.
    """
    headers = [FIELDS[k][0] for k in FIELDS if any(k in r for r in rows)]
    sheet = Sheet("command line", "args", headers, [(i, {FIELDS[k][0]: v for k, v in r.items()}) for i, r in enumerate(rows, 1)], unit="item")
    before = {str(r["x"]) for r in store.select("SELECT ?x WHERE { ?x prov:wasDerivedFrom ?c }")}
    plan = plan_contributions(store, sheet.path, session_id, sheet=sheet, vocab=vocab)
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
) -> ImportPlan:
    """Check and build one factor link named as on the command line (``crimekg link``); the
    summary's ``link`` is the link's IRI."""
    session_id = find_session(store, session_id)
    sheet = Sheet("command line", "args", ["from", "relation", "to", "polarity", "strength", "evidence"],
                  [(1, {"from": source, "relation": relation, "to": target, "polarity": polarity,
                        "strength": strength or "", "evidence": evidence or ""})], unit="link")
    records, problems = check_links(sheet, Vocabulary.from_store(store), personal=(personal := []))
    if problems:
        raise InvalidInput("; ".join(p.message for p in problems[1]))
    rec = records[0]
    words = Words(store)
    a, b = URIRef(words.factor(rec.source, session_id)), URIRef(words.factor(rec.target, session_id))
    iri, triples = link_triples(session_id, a, rec.relation, b, rec.polarity, rec.strength, rec.evidence)
    changes = Changeset()
    if session_info(store, session_id) is None:
        raise InvalidInput(f"no session {session_id!r}; create it with `crimekg session new {session_id} --title ...`")
    changes.add_triples(graph_iri("contributions/" + session_id), triples)
    return ImportPlan(changes, {"links": 1, "link": str(iri)}, _personal_warnings(personal, False))
