"""Run SPARQL over a workspace: inline, from a file or by name, with parameters bound as RDF terms.

Named queries live in ``graph/queries/*.rq``: the file stem is the name, the first ``#`` line is a
one-line description and parameters are declared in header comments::

    # Factors named under a category, with how many contributions express each
    # param: category (concept:category, optional) - enabling, profiting, concealment or impunity

A declaration is ``# param: NAME (TYPE[, optional][, default VALUE]) - DESCRIPTION``; TYPE is one of
:data:`PARAM_TYPES`. A parameter is **bound, never pasted**: its value is turned into an RDF term
(a literal, or an IRI found by resolving a label, slug, ISO or M49 code against the workspace) and
handed to Oxigraph as a substitution (W3C SEP-0007), so no value can change the query's text.
Oxigraph substitutes only variables that the SELECT clause projects, so a named query projects
each of its parameters (the column then shows the value it was given); an optional parameter left
out stays a free variable, which the query treats as "any". The same header convention works in
inline and file queries; undeclared parameters are read as ``<IRI>``, ``prefix:name`` for the
workspace prefixes, or else a plain literal.

Queries run on the workspace's own Oxigraph store (the union of its named graphs) when there is
one, the same engine call as raw pyoxigraph plus parameter resolution (a few ms) and reading the
rows (``tests/benchmarks/bench_queries.py``); other :class:`~graph.store.GraphStore`
implementations go through their ``query`` method. Measured cost of binding by substitution:
Oxigraph plans the query as if the variable were free and binds it afterwards, so a query with a
parameter costs about what it costs without one (factor-evidence at 1M triples: 2.3 s bound by
substitution, 3 ms with the IRI written in the query).

A query only reads and stays in the workspace: updates are refused, and so is a ``SERVICE`` call
(which would send query data to another host) unless the caller allows its host; a time limit
and Ctrl-C stop a query at once (see :func:`check_query` and :func:`run_query`).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
import rdflib

from crimekg import ontology

from crimekg.graph.errors import InvalidInput, InvalidQuery, UnknownQuery
from crimekg.graph.store import PREFIXES, GraphStore

__all__ = [
    "PARAM_TYPES",
    "TABLE_FORMATS",
    "RESULTS_FORMATS",
    "RDF_FORMATS",
    "FORMATS",
    "Param",
    "NamedQuery",
    "QueryResult",
    "parse_query_text",
    "named_queries",
    "named_query_text",
    "named_query",
    "load_query",
    "resolve_params",
    "run_query",
    "check_query",
    "QueryTimeout",
    "format_rows",
    "compact",
]

XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = str(rdflib.SKOS)
RDFS = str(rdflib.RDFS)

#: Parameter types a ``# param:`` line may declare, with what a value may be.
PARAM_TYPES = {
    "text": "any text (a plain literal)",
    "integer": "a whole number",
    "decimal": "a decimal number",
    "date": "a date, YYYY-MM-DD",
    "iri": "an IRI, as <...> or prefix:name",
    "concept": "a concept: slug, label or IRI (concept:SCHEME to restrict to one scheme)",
    "place": "a country (name, ISO3 or ISO2 code) or a region (name or M49 code)",
    "factor": "a factor: slug, label or alternative label",
    "session": "a session id, e.g. example-2026",
}

#: Output formats for SELECT and ASK results meant for people and spreadsheets.
TABLE_FORMATS = ("table", "csv", "tsv", "json", "jsonl", "md")
#: W3C SPARQL 1.1 query results formats, for other tools.
RESULTS_FORMATS = {
    "sparql-json": ox.QueryResultsFormat.JSON,
    "sparql-xml": ox.QueryResultsFormat.XML,
    "sparql-csv": ox.QueryResultsFormat.CSV,
    "sparql-tsv": ox.QueryResultsFormat.TSV,
}
#: RDF formats for CONSTRUCT and DESCRIBE results.
RDF_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}
FORMATS = (*TABLE_FORMATS, *RESULTS_FORMATS, *RDF_FORMATS)

_PARAM_LINE = re.compile(
    r"^#\s*param:\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<spec>[^)]*)\)\s*(?:-\s*(?P<doc>.*))?$"
)
_KIND = re.compile(r"^\s*(?:PREFIX\s+\S*\s*<[^>]*>\s*|BASE\s*<[^>]*>\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)


@dataclass(frozen=True)
class Param:
    """A declared query parameter: ``name`` is also the SPARQL variable it binds."""

    name: str
    type: str = "text"
    scheme: str | None = None
    required: bool = True
    default: str | None = None
    description: str = ""

    def signature(self) -> str:
        """``name=TYPE`` as ``crimekg queries`` shows it (in brackets when optional)."""
        kind = f"concept:{self.scheme}" if self.scheme else self.type
        text = f"{self.name}={kind}"
        return text if self.required else f"[{text}]"


@dataclass
class NamedQuery:
    """A SPARQL query with its name, one-line description and declared parameters."""

    name: str
    text: str
    description: str = ""
    params: list[Param] = field(default_factory=list)
    source: str = ""

    @property
    def where(self) -> str:
        """How error messages name the query: ``<name>.rq``, a file path, or ``query``."""
        return self.source or f"{self.name}.rq"

    @property
    def kind(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE (from the text, comments left out)."""
        body = "\n".join(line for line in self.text.splitlines() if not line.lstrip().startswith("#"))
        m = _KIND.match(body)
        return m.group(1).upper() if m else "SELECT"


def parse_query_text(text: str, name: str = "query", source: str = "") -> NamedQuery:
    """Read a query's header comments: its description and ``# param:`` declarations.

    >>> q = parse_query_text('''# Factors of a category
    ... # param: category (concept:category, optional) - a factor category
    ... SELECT ?category ?f WHERE { ?f ckg:category ?category }''', "demo")
    >>> q.description, q.params[0].scheme, q.params[0].required, q.kind
    ('Factors of a category', 'category', False, 'SELECT')
    """
    description = ""
    params: list[Param] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        if re.match(r"^#\s*param:", line):
            params.append(_parse_param(line, source or f"{name}.rq", lineno))
        elif not description:
            description = line.lstrip("#").strip()
    return NamedQuery(name=name, text=text, description=description, params=params, source=source)


def _parse_param(line: str, where: str, lineno: int) -> Param:
    m = _PARAM_LINE.match(line)
    hint = "write it as `# param: NAME (TYPE[, optional][, default VALUE]) - description`"
    if not m:
        raise InvalidQuery(f"{where}: line {lineno}: cannot read the parameter declaration; {hint}")
    parts = [p.strip() for p in m.group("spec").split(",")]
    kind, scheme = parts[0], None
    if kind.startswith("concept:"):
        kind, scheme = "concept", kind.split(":", 1)[1]
    if kind not in PARAM_TYPES:
        raise InvalidQuery(f"{where}: line {lineno}: unknown parameter type {kind!r}; use one of {', '.join(PARAM_TYPES)}")
    required, default = True, None
    for extra in parts[1:]:
        if extra == "optional":
            required = False
        elif extra.startswith("default "):
            required, default = False, extra[len("default "):].strip()
        elif extra:
            raise InvalidQuery(f"{where}: line {lineno}: unknown parameter option {extra!r}; {hint}")
    return Param(m.group("name"), kind, scheme, required, default, (m.group("doc") or "").strip())


def named_queries() -> dict[str, NamedQuery]:
    """Every named query shipped in ``graph/queries``, by name.

    >>> "factors-by-category" in named_queries()
    True
    """
    return dict(_parsed_named_queries())


@functools.lru_cache(maxsize=None)
def named_query_text(name: str) -> str:
    """The text of ``graph/queries/{name}.rq``, read once per process.

    Raises FileNotFoundError when there is no such file (a miss is not cached).

    >>> named_query_text("factors-by-category").lstrip().startswith("#")
    True
    """
    return (files("crimekg.graph") / "queries" / f"{name}.rq").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _parsed_named_queries() -> dict[str, NamedQuery]:
    """Every shipped query, parsed once per process (callers get copies of the mapping)."""
    folder = files("crimekg.graph") / "queries"
    out = {}
    for res in sorted(folder.iterdir(), key=lambda r: r.name):
        if res.name.endswith(".rq"):
            name = res.name[: -len(".rq")]
            out[name] = parse_query_text(named_query_text(name), name)
    return out


def named_query(name: str) -> NamedQuery:
    """Return the named query ``name``, or raise :class:`UnknownQuery` with the closest names."""
    queries = named_queries()
    if name in queries:
        return queries[name]
    import difflib

    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownQuery(f"no named query {name!r}.{hint} `crimekg queries` lists them.")


def load_query(arg: str | None = None, text: str | None = None, source: str | None = None) -> NamedQuery:
    """The query ``crimekg query`` means: a named query, inline SPARQL, or ``text`` read from ``source``.

    >>> load_query("factors-by-category").where
    'factors-by-category.rq'
    >>> load_query("SELECT * WHERE { ?s ?p ?o }").where
    'query'
    """
    if text is not None:
        if arg:
            raise InvalidInput("give the query either as an argument or with -f FILE, not both")
        return parse_query_text(text, "query", source or "query")
    if not arg:
        raise InvalidInput("give a query: a name (`crimekg queries` lists them), SPARQL text, or -f FILE (- for stdin)")
    if re.match(r"^[\w.-]+$", arg.strip()):
        return named_query(arg.strip())
    return parse_query_text(arg, "query", "query")


# -- parameters ------------------------------------------------------------------------------------


def _native(store: GraphStore) -> ox.Store | None:
    """The workspace's own pyoxigraph Store, when it has one (the fast path)."""
    inner = getattr(store, "oxigraph", None)
    return inner if isinstance(inner, ox.Store) else None


def _expand(value: str) -> str | None:
    """``<iri>`` or ``prefix:name`` (a workspace prefix) as an IRI string; None otherwise."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    m = re.match(r"^([A-Za-z][\w.-]*):(\S*)$", value)
    if m and m.group(1) in PREFIXES:
        return PREFIXES[m.group(1)] + m.group(2)
    if re.match(r"^(https?|urn):", value):
        return value
    return None


def _iri(value: str, pname: str) -> ox.NamedNode:
    text = _expand(value) or value
    try:
        return ox.NamedNode(text)
    except ValueError as exc:
        raise InvalidInput(f"--param {pname}: {value!r} is not an IRI ({exc}); give <http://...> or prefix:name") from exc


def _select(store: GraphStore, sparql: str, subs: Mapping[str, Any]) -> list[tuple]:
    result = _execute(store, sparql, subs)
    return [tuple(row) for row in result]


_RESOLVE = {
    "concept": """SELECT ?x ?needle ?scheme WHERE {
        ?x skos:inScheme ?scheme ; skos:prefLabel|skos:altLabel|skos:notation ?l .
        FILTER(LCASE(STR(?l)) = LCASE(STR(?needle)) || STRENDS(STR(?x), CONCAT("/", STR(?needle)))) }""",
    "place": """SELECT ?x ?needle WHERE {
        ?x a ckg:Place ; rdfs:label|skos:altLabel|ckg:iso3|ckg:iso2|ckg:m49 ?l .
        FILTER(LCASE(STR(?l)) = LCASE(STR(?needle))) }""",
    "factor": """SELECT ?x ?needle WHERE {
        ?x a ckg:Factor ; skos:prefLabel|skos:altLabel ?l .
        FILTER(LCASE(STR(?l)) = LCASE(STR(?needle))) }""",
}
_EXISTS = {
    "concept": "SELECT ?x ?scheme WHERE { ?x skos:inScheme ?scheme }",
    "place": "SELECT ?x WHERE { ?x a ckg:Place }",
    "factor": "SELECT ?x WHERE { ?x a ckg:Factor }",
    "session": "SELECT ?x WHERE { ?x a ckg:Session }",
}
_BASES = {
    "place": [PREFIXES["place"], PREFIXES["m49"]],
    "factor": [PREFIXES["factor"]],
    "session": [PREFIXES["session"]],
}


def _resolve_term(store: GraphStore, p: Param, value: str) -> ox.NamedNode | ox.Literal:
    """Turn one parameter value into the RDF term it stands for."""
    kind = p.type
    if kind == "text":
        return ox.Literal(value)
    if kind in ("integer", "decimal", "date"):
        checks = {"integer": r"^[+-]?\d+$", "decimal": r"^[+-]?(\d+(\.\d*)?|\.\d+)$", "date": r"^\d{4}-\d{2}-\d{2}$"}
        if not re.match(checks[kind], value.strip()):
            raise InvalidInput(f"--param {p.name}: {value!r} is not {PARAM_TYPES[kind]}")
        return ox.Literal(value.strip(), datatype=ox.NamedNode(XSD + kind))
    if kind == "iri":
        return _iri(value, p.name)
    scheme_iri = ox.NamedNode(PREFIXES["scheme"] + p.scheme) if p.scheme else None
    candidates: list[str] = []
    expanded = _expand(value)
    if expanded:
        candidates.append(expanded)
    slug = value.strip()
    if re.match(r"^[\w.-]+$", slug):
        if kind == "concept":
            bases = [f"{ontology.CONCEPT}{p.scheme}/"] if p.scheme else []
        else:
            bases = _BASES[kind]
        candidates += [b + (slug.upper() if kind == "place" and b == PREFIXES["place"] else slug) for b in bases]
    for c in candidates:
        try:
            node = ox.NamedNode(c)
        except ValueError:
            continue
        subs = {"x": node}
        if scheme_iri is not None:
            subs["scheme"] = scheme_iri
        if _select(store, _EXISTS[kind], subs):
            return node
    if kind in _RESOLVE:
        subs = {"needle": ox.Literal(value.strip())}
        if scheme_iri is not None:
            subs["scheme"] = scheme_iri
        found = sorted({row[0].value for row in _select(store, _RESOLVE[kind], subs)})
        if len(found) == 1:
            return ox.NamedNode(found[0])
        if len(found) > 1:
            raise InvalidInput(
                f"--param {p.name}: {value!r} matches {len(found)} {kind}s ({', '.join(compact(f) for f in found[:5])}); "
                "give the slug or the IRI"
            )
    what = f"concept in scheme {p.scheme!r}" if p.scheme else kind
    raise InvalidInput(f"--param {p.name}: no {what} matches {value!r}; give {PARAM_TYPES[kind]}")


def resolve_params(store: GraphStore, query: NamedQuery, values: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Check ``values`` against the query's declarations and turn each into an RDF term.

    Returns pyoxigraph terms keyed by variable name. Undeclared values are read as ``<IRI>`` or
    ``prefix:name`` when they look like one, otherwise as plain literals.
    """
    values = dict(values or {})
    declared = {p.name: p for p in query.params}
    out: dict[str, Any] = {}
    for p in query.params:
        if p.name not in values and p.default is not None:
            values[p.name] = p.default
        if p.name not in values and p.required:
            usage = " ".join(f"--param {q.name}=..." for q in query.params if q.required)
            raise InvalidInput(f"{query.where}: the parameter {p.name!r} is required ({p.description or PARAM_TYPES[p.type]}); run it with {usage}")
    for name, value in values.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise InvalidInput(f"--param {name}={value}: a parameter name is a SPARQL variable name (letters, digits, _)")
        p = declared.get(name)
        if p is None:
            if query.params:
                raise InvalidInput(f"{query.where}: no parameter {name!r}; it takes {', '.join(q.name for q in query.params)}")
            iri = _expand(value)
            out[name] = _iri(value, name) if iri else ox.Literal(value)
        else:
            out[name] = _resolve_term(store, p, value)
    return out


# -- what a query may do: reach out (SERVICE), change data (updates), run for long -----------------

#: SPARQL Update operations; ``crimekg query`` only reads.
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
#: The commands that change a workspace's data, named when an update is refused.
DATA_COMMANDS = "crimekg load, import, add, link, drop, merge, split or harmonize"

_TOKENS = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
        |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<var>[?$]\w+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w:%-]|\\.|\.(?=[\w:%-]))*)
    | (?P<word>[^\W\d]\w*)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.X | re.S,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$|^[0-9a-f:.]+$")


class QueryTimeout(InvalidQuery):
    """A query ran past its time limit (``--timeout``) and was stopped."""


def _tokens(text: str) -> list[tuple[str, str]]:
    """SPARQL text as (kind, text) tokens, comments and white space left out.

    Strings, IRIs, variables, prefixed names and language tags are tokens of their own, so a
    keyword written inside one of them is not a keyword.

    >>> [t for t in _tokens('SELECT ?service { ?s rdfs:label "SERVICE <http://x>" } # SERVICE')]
    [('word', 'SELECT'), ('var', '?service'), ('other', '{'), ('var', '?s'), ('pname', 'rdfs:label'), ('string', '"SERVICE <http://x>"'), ('other', '}')]
    """
    out = []
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind not in ("comment", "space"):
            out.append((kind, m.group()))
    return out


def _unescape(iri: str) -> str:
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)


def _service_endpoints(text: str) -> list[tuple[str, str | None]]:
    """Every ``SERVICE`` in ``text``: (the endpoint as written, its IRI or None when it cannot be known)."""
    from urllib.parse import urljoin

    tokens = _tokens(text)
    prefixes = dict(PREFIXES)
    base = None
    found = []

    def iri_of(kind: str, value: str) -> str | None:
        if kind == "iri":
            iri = _unescape(value[1:-1])
            return urljoin(base, iri) if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri) else iri
        if kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix in prefixes:
                return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return None

    for i, (kind, value) in enumerate(tokens):
        word = value.upper() if kind == "word" else ""
        nxt = tokens[i + 1:i + 3]
        if word == "BASE" and nxt and nxt[0][0] == "iri":
            base = iri_of(*nxt[0])
        elif word == "PREFIX" and len(nxt) == 2 and nxt[0][0] == "pname" and nxt[1][0] == "iri":
            prefixes[nxt[0][1].rstrip(":")] = iri_of(*nxt[1]) or ""
        elif word == "SERVICE":
            j = i + 1
            if j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "SILENT":
                j += 1
            if j >= len(tokens):
                found.append(("", None))
                continue
            found.append((tokens[j][1], iri_of(*tokens[j])))
    return found


def _service_host(iri: str) -> str | None:
    """The host an http(s) endpoint IRI calls, or None when crimekg cannot vouch for it.

    >>> _service_host("https://Query.Wikidata.org/sparql"), _service_host("http://a@b.org/"), _service_host("file:///etc/passwd")
    ('query.wikidata.org', None, None)
    """
    from urllib.parse import urlsplit

    if re.search(r'[\\\s<>"{}|^`@]', iri):  # parsers disagree on these; an endpoint needs none of them
        return None
    try:
        parts = urlsplit(iri)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return None
    return host


def _allowed(host: str, iri: str, allow: Iterable[str]) -> bool:
    from urllib.parse import urlsplit

    port = urlsplit(iri).port
    for entry in allow:
        entry = entry.strip().lower()
        if "://" in entry:
            entry = urlsplit(entry).netloc
        entry = entry.replace("[", "").replace("]", "")
        if entry == host or (port is not None and entry == f"{host}:{port}"):
            return True
    return False


def check_query(query: NamedQuery, allow_service: Iterable[str] = ()) -> list[str]:
    """Refuse what ``crimekg query`` does not run; return the hosts of the SERVICE calls it allows.

    An update (INSERT, DELETE, LOAD, CLEAR, DROP ...) is refused: crimekg changes data only through
    its own commands. A ``SERVICE`` call sends part of the query, with values from the workspace,
    to another host, so it is refused unless ``allow_service`` names that host (``HOST`` or
    ``HOST:PORT``). An endpoint written as a variable, a relative IRI with no BASE, or a
    non-http(s) IRI is refused whatever is allowed. Keywords inside strings, IRIs and comments
    do not count.

    >>> check_query(parse_query_text("SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"), ["query.wikidata.org"])
    ['query.wikidata.org']
    >>> check_query(parse_query_text('SELECT * { ?s ?p "SERVICE <http://x.org/>" } # SERVICE <http://x.org/>'))
    []
    """
    tokens = _tokens(query.text)
    i = 0
    while i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() in ("PREFIX", "BASE"):
        i += 3 if tokens[i][1].upper() == "PREFIX" else 2
    if i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() in UPDATE_KEYWORDS:
        raise InvalidQuery(
            f"{query.where}: {tokens[i][1].upper()} is a SPARQL update; crimekg does not run updates through `query` "
            f"(it only reads). Change the data with {DATA_COMMANDS}"
        )
    hosts = []
    for written, iri in _service_endpoints(query.text):
        host = _service_host(iri) if iri else None
        if host is None:
            raise InvalidQuery(
                f"{query.where}: SERVICE {written or '(no endpoint)'}: crimekg calls only an endpoint written as an "
                "absolute http(s) IRI with no user name, e.g. SERVICE <https://example.org/sparql>"
            )
        if not _allowed(host, iri, allow_service):
            raise InvalidQuery(
                f"{query.where}: the query calls SERVICE <{iri}>, which would send query data to {host}; "
                f"refused unless you allow it with --allow-service {host}"
            )
        hosts.append(host)
    return hosts


# -- running ---------------------------------------------------------------------------------------


def _syntax_error(where: str, text: str, exc: SyntaxError) -> InvalidQuery:
    msg = str(exc.msg if getattr(exc, "msg", None) else exc)
    m = re.match(r"error at (\d+):(\d+): (.*)", msg, re.S)
    hint = "the parser stopped here: look for a missing dot, brace, bracket or quote at or just before this point"
    if not m:
        return InvalidQuery(f"{where}: {msg}\nHint: {hint}.")
    line, col, what = int(m.group(1)), int(m.group(2)), " ".join(m.group(3).split())
    lines = text.splitlines()
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    end = len(text.rstrip())
    if offset > end:  # stopped at the end of the text: point just after its last character instead
        line = text[:end].count("\n") + 1
        col = end - (text.rfind("\n", 0, end) + 1) + 1
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    if "Prefix not found" in what:
        names = re.findall(r"([A-Za-z][\w.-]*|):[\w-]*", shown[: max(col, 1)])
        prefix = names[-1] if names else "?"
        what = f"unknown prefix '{prefix}:'"
        hint = f"declare it with PREFIX {prefix}: <...>, or use a crimekg prefix (ckg:, skos:, prov:, dct:, factor:, category:, place: ...)"
    elif len(what) > 120:
        what = what[:117] + "..."
    pointer = f"\n    {shown}\n    {' ' * (col - 1)}^" if shown.strip() else ""
    return InvalidQuery(f"{where}: line {line}, column {col}: {what}{pointer}\nHint: {hint}.")


def _execute(store: GraphStore, sparql: str, subs: Mapping[str, Any], where: str = "query") -> Any:
    native = _native(store)
    variables = {ox.Variable(k): v for k, v in subs.items()}
    if native is not None:
        try:
            return native.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=variables)
        except SyntaxError as exc:
            raise _syntax_error(where, sparql, exc) from exc
        except RuntimeError as exc:
            if "SELECT projection" in str(exc):
                var = re.search(r"variable \?(\w+)", str(exc))
                raise InvalidQuery(
                    f"{where}: the parameter ?{var.group(1) if var else '?'} must be in the SELECT clause to be bound; "
                    "add it to the projection (Oxigraph binds only projected variables, SEP-0007)"
                ) from exc
            raise InvalidQuery(f"{where}: the query could not run: {exc}") from exc
        except OSError as exc:
            raise InvalidQuery(f"{where}: the query could not run: {exc}") from exc
    from crimekg.graph.store import from_oxigraph_term, to_oxigraph_term  # other GraphStores: through their own query

    result = store.query(sparql, {k: from_oxigraph_term(v) for k, v in subs.items()})
    return _RdflibResult(result, to_oxigraph_term)


class _RdflibResult:
    """An rdflib result that iterates like a pyoxigraph one."""

    def __init__(self, result: Any, to_ox: Any) -> None:
        self.type = result.type
        self.variables = [ox.Variable(str(v)) for v in (result.vars or [])]
        self._result, self._to_ox = result, to_ox

    def __bool__(self) -> bool:
        return bool(self._result.askAnswer)

    def __iter__(self):
        conv = self._to_ox
        if self.type == "SELECT":
            for row in self._result:
                yield tuple(None if t is None else conv(t) for t in row)
        else:
            for s, p, o in self._result.graph:
                yield ox.Triple(conv(s), conv(p), conv(o))


@dataclass
class QueryResult:
    """What a query returned: its kind, variables and rows (SELECT), answer (ASK) or triples.

    Rows hold pyoxigraph terms (None where unbound); :meth:`records` gives plain Python values.
    """

    name: str
    kind: str
    variables: list[str]
    _raw: Any = None
    _rows: list[tuple] | None = None

    @property
    def rows(self) -> list[tuple]:
        """SELECT rows, or CONSTRUCT/DESCRIBE triples, as tuples of pyoxigraph terms."""
        if self._rows is None:
            if self.kind == "ASK":
                self._rows = []
            elif self.kind in ("CONSTRUCT", "DESCRIBE"):
                self._rows = list(self._raw)
            else:
                self._rows = [tuple(r) for r in self._raw]
        return self._rows

    @property
    def boolean(self) -> bool | None:
        """The answer of an ASK query (None for other kinds)."""
        return bool(self._raw) if self.kind == "ASK" else None

    def records(self) -> list[dict[str, Any]]:
        """SELECT rows as dicts of plain values: IRIs as strings, numbers as numbers."""
        return [{v: _py(t) for v, t in zip(self.variables, row)} for row in self.rows]

    def to_dataframe(self):
        """The result as a pandas DataFrame (``pip install 'crimekg[notebook]'``): one column per variable.

        SELECT rows with plain values (as :meth:`records`), an ASK answer as one ``answer`` cell,
        CONSTRUCT or DESCRIBE triples as ``subject``, ``predicate``, ``object`` columns.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise InvalidInput("to_dataframe needs pandas: pip install 'crimekg[notebook]'") from exc
        if self.kind == "ASK":
            return pd.DataFrame({"answer": [self.boolean]})
        if self.kind in ("CONSTRUCT", "DESCRIBE"):
            return pd.DataFrame([[_py(t.subject), _py(t.predicate), _py(t.object)] for t in self.rows], columns=["subject", "predicate", "object"])
        return pd.DataFrame(self.records(), columns=self.variables)

    def bindings(self) -> list[dict[str, rdflib.term.Node]]:
        """SELECT rows as dicts of rdflib terms (unbound variables left out), like ``store.select``."""
        from crimekg.graph.store import from_oxigraph_term

        return [{v: from_oxigraph_term(t) for v, t in zip(self.variables, row) if t is not None} for row in self.rows]

    def serialize(self, format: str | None = None) -> str:
        """The result as text in ``format`` (see :data:`FORMATS`; default table or Turtle)."""
        fmt = format or ("ttl" if self.kind in ("CONSTRUCT", "DESCRIBE") else "table")
        graphish = self.kind in ("CONSTRUCT", "DESCRIBE")
        if graphish and fmt not in RDF_FORMATS:
            raise InvalidInput(f"{self.name}: a {self.kind} query returns triples; use --format {'|'.join(RDF_FORMATS)}")
        if not graphish and fmt in RDF_FORMATS:
            raise InvalidInput(f"{self.name}: a {self.kind} query returns a table; use --format {'|'.join(TABLE_FORMATS + tuple(RESULTS_FORMATS))}")
        if fmt in RDF_FORMATS:
            return _serialize_triples(self.rows, RDF_FORMATS[fmt])
        if fmt in RESULTS_FORMATS:
            return self._results_format(RESULTS_FORMATS[fmt])
        if fmt not in TABLE_FORMATS:
            raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        if self.kind == "ASK":
            return format_rows(["answer"], [{"answer": self.boolean}], fmt)
        if fmt in ("table", "md"):
            rows = [{v: _cell(t) for v, t in zip(self.variables, r)} for r in self.rows]
        else:
            rows = self.records()
        return format_rows(self.variables, rows, fmt)

    def _results_format(self, fmt: ox.QueryResultsFormat) -> str:
        raw = self._raw
        if self._rows is None and hasattr(raw, "serialize"):
            return raw.serialize(format=fmt).decode("utf-8")
        # already read (or not from Oxigraph): write the W3C format ourselves
        if self.kind == "ASK":
            return _w3c_boolean(self.boolean, fmt)
        return _w3c_select(self.variables, self.rows, fmt)


def run_query(
    store: GraphStore,
    query: str | NamedQuery,
    params: Mapping[str, str] | None = None,
    *,
    name: str | None = None,
    allow_service: Iterable[str] = (),
    timeout: float | None = None,
) -> QueryResult:
    """Run a SPARQL query (text, or a :class:`NamedQuery`) with ``params`` bound as RDF terms.

    Parameters
    ----------
    store : GraphStore
        The workspace; the query sees the union of its named graphs and the crimekg prefixes.
    query : str or NamedQuery
        SPARQL text (its ``# param:`` header is read too) or a named query.
    params : mapping of str to str
        Values by parameter name, as typed by a user; each is converted to an RDF term and
        bound, never pasted into the text.
    name : str, optional
        What error messages call an inline query (default "query"); a named query is ``<name>.rq``.
    allow_service : iterable of str
        Hosts (``HOST`` or ``HOST:PORT``) that a ``SERVICE`` call may reach; any other SERVICE is
        refused before the query runs (see :func:`check_query`, which also refuses updates).
    timeout : float, optional
        Seconds the query may run; past them :class:`QueryTimeout` is raised. None: no limit.

    The query is evaluated, and its rows read, in a worker thread while the calling thread
    waits, so a timeout and Ctrl-C (``KeyboardInterrupt``) return at once. Oxigraph cannot be
    cancelled inside one step of its evaluation: the worker stops at its next row, or when that
    step ends, and until then it keeps the store open in this process.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         r = run_query(store, named_query("factors-by-category"), {"category": "Impunity"})
    ...         n = len(r.rows)
    >>> r.variables[:2], n
    (['category', 'factor'], 0)
    """
    q = query if isinstance(query, NamedQuery) else parse_query_text(query, name or "query", name or "query")
    if timeout is not None and not timeout > 0:
        raise InvalidInput(f"--timeout {timeout}: give a number of seconds above 0")
    hosts = check_query(q, allow_service)
    subs = resolve_params(store, q, params)
    stop = threading.Event()
    return _bounded(lambda: _evaluate(store, q, subs, hosts, stop), stop, q.where, timeout)


def _evaluate(store: GraphStore, q: NamedQuery, subs: Mapping[str, Any], hosts: Sequence[str], stop: threading.Event) -> QueryResult:
    raw = _execute(store, q.text, subs, q.where)
    kind = q.kind
    if isinstance(raw, _RdflibResult):
        kind = raw.type
    elif isinstance(raw, ox.QueryBoolean):
        kind = "ASK"
    elif isinstance(raw, ox.QueryTriples):
        kind = kind if kind in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT"
    else:
        kind = "SELECT"
    variables = [v.value for v in raw.variables] if kind == "SELECT" else []
    result = QueryResult(q.name, kind, variables)
    # read everything now: a lazy Oxigraph result keeps the store (and its files) open after close()
    try:
        if kind == "ASK":
            result._raw = bool(raw)
            return result
        rows = []
        for row in raw:
            if stop.is_set():
                raise QueryTimeout(f"{q.where}: stopped")
            rows.append(row if kind != "SELECT" else tuple(row))
    except (OSError, RuntimeError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        if hosts:
            raise InvalidQuery(
                f"{q.where}: a SERVICE call ({', '.join(sorted(set(hosts)))}) failed: {detail}; check that the endpoint is "
                "up and answers SPARQL, or write SERVICE SILENT to go on without it"
            ) from exc
        raise InvalidQuery(f"{q.where}: the query could not run: {detail}") from exc
    finally:
        del raw
    _refuse_triple_terms(q.where, variables, rows, kind)
    result._rows = rows
    return result


def _refuse_triple_terms(where: str, variables: Sequence[str], rows: Sequence[Any], kind: str) -> None:
    """RDF 1.2 triple terms have no cell, column or JSON value in crimekg's outputs: say so in one line."""
    for row in rows:
        terms = (row.subject, row.predicate, row.object) if kind != "SELECT" else row
        for i, t in enumerate(terms):
            if isinstance(t, ox.Triple):
                place = f"?{variables[i]}" if kind == "SELECT" else "a triple's object"
                raise InvalidQuery(
                    f"{where}: the result holds an RDF 1.2 triple term in {place}, which crimekg cannot write; "
                    "take its parts with SUBJECT(), PREDICATE() and OBJECT() instead"
                )


def _bounded(work: Any, stop: threading.Event, where: str, timeout: float | None) -> Any:
    """Run ``work()`` in a worker thread; return its value, or raise on timeout or Ctrl-C in the caller."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the waiting thread, which raises it
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=target, name="crimekg-query", daemon=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    worker.start()
    try:
        # short waits: the waiting thread handles SIGINT (KeyboardInterrupt) between them
        while not done.wait(0.05):
            if deadline is not None and time.monotonic() >= deadline:
                raise QueryTimeout(
                    f"{where}: stopped after {timeout:g} s (--timeout {timeout:g}); "
                    "narrow the query (LIMIT, a more specific pattern) or give a longer --timeout"
                )
    except BaseException:
        stop.set()
        # a worker between rows stops within milliseconds and lets go of the store: wait for that
        worker.join(1.0)
        raise
    if "error" in box:
        raise box.pop("error")
    return box["value"]


# -- output ----------------------------------------------------------------------------------------

_NUMERIC = {XSD + t for t in ("integer", "int", "long", "short", "decimal", "double", "float", "nonNegativeInteger", "positiveInteger")}
_NS_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def compact(iri: str) -> str:
    """An IRI as ``prefix:name`` with the workspace prefixes (unchanged when none fits).

    >>> compact("https://w3id.org/crimekg/data/factor/porous-borders")
    'factor:porous-borders'
    """
    for prefix, ns in _NS_BY_LENGTH:
        if iri.startswith(ns) and re.match(r"^[\w.-]*$", iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _cell(t: Any) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.NamedNode):
        return compact(t.value)
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    return t.value


def _py(t: Any) -> Any:
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return t.value
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    dt = t.datatype.value if t.datatype is not None else ""
    try:
        if dt in (XSD + "integer", XSD + "int", XSD + "long", XSD + "nonNegativeInteger", XSD + "positiveInteger"):
            return int(t.value)
        if dt == XSD + "decimal":
            return float(Decimal(t.value))
        if dt in (XSD + "double", XSD + "float"):
            return float(t.value)
        if dt == XSD + "boolean":
            return t.value in ("true", "1")
    except ValueError:
        pass
    return t.value


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:.6g}"
    return str(v)


def format_rows(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], fmt: str = "table", *, max_width: int = 60) -> str:
    """Write rows of plain values as ``table``, ``csv``, ``tsv``, ``json``, ``jsonl`` or ``md``.

    A ``table`` is aligned for a terminal, numbers to the right, and cuts cells longer than
    ``max_width`` characters with an ellipsis (the other formats keep every character).

    >>> print(format_rows(["factor", "score"], [{"factor": "Corruption", "score": 0.5}]), end="")
    factor      score
    ----------  -----
    Corruption    0.5
    """
    rows = list(rows)
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps({c: r.get(c) for c in columns}, ensure_ascii=False) + "\n" for r in rows)
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_text(r.get(c)) for c in columns])
        return buf.getvalue()
    cells = [[_text(r.get(c)).replace("\n", " ") for c in columns] for r in rows]
    if fmt == "md":
        esc = [[c.replace("|", "\\|") for c in row] for row in cells]
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in esc]
        return "\n".join(lines) + "\n"
    if fmt != "table":
        raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(TABLE_FORMATS)}")
    if max_width:
        cells = [[c if len(c) <= max_width else c[: max_width - 1].rstrip() + "…" for c in row] for row in cells]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool) or r.get(c) is None for r in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out) + "\n"


def _serialize_triples(triples: Sequence[Any], fmt: ox.RdfFormat) -> str:
    used = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            iri = term.value if isinstance(term, ox.NamedNode) else (term.datatype.value if isinstance(term, ox.Literal) and term.datatype else None)
            if iri:
                used.add(iri)
    prefixes = {p: ns for p, ns in PREFIXES.items() if any(u.startswith(ns) for u in used)}
    data = ox.serialize(triples, format=fmt, prefixes=prefixes if fmt != ox.RdfFormat.N_TRIPLES else None)
    return data.decode("utf-8")


def _w3c_select(variables: Sequence[str], rows: Sequence[tuple], fmt: ox.QueryResultsFormat) -> str:
    from xml.sax.saxutils import escape, quoteattr

    if fmt == ox.QueryResultsFormat.JSON:
        def term(t: Any) -> dict:
            if isinstance(t, ox.NamedNode):
                return {"type": "uri", "value": t.value}
            if isinstance(t, ox.BlankNode):
                return {"type": "bnode", "value": t.value}
            d = {"type": "literal", "value": t.value}
            if t.language:
                d["xml:lang"] = t.language
            elif t.datatype and t.datatype.value != XSD + "string":
                d["datatype"] = t.datatype.value
            return d

        body = {"head": {"vars": list(variables)}, "results": {"bindings": [{v: term(t) for v, t in zip(variables, r) if t is not None} for r in rows]}}
        return json.dumps(body)
    if fmt == ox.QueryResultsFormat.CSV:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(variables)
        for r in rows:
            w.writerow(["" if t is None else (f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value) for t in r])
        return buf.getvalue()
    if fmt == ox.QueryResultsFormat.TSV:
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in r) for r in rows]
        return "\n".join(lines) + "\n"
    out = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for r in rows:
        out.append("<result>")
        for v, t in zip(variables, r):
            if t is None:
                continue
            if isinstance(t, ox.NamedNode):
                inner = f"<uri>{escape(t.value)}</uri>"
            elif isinstance(t, ox.BlankNode):
                inner = f"<bnode>{escape(t.value)}</bnode>"
            elif t.language:
                inner = f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
            elif t.datatype and t.datatype.value != XSD + "string":
                inner = f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
            else:
                inner = f"<literal>{escape(t.value)}</literal>"
            out.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
        out.append("</result>")
    out.append("</results></sparql>")
    return "".join(out)


def _w3c_boolean(answer: bool | None, fmt: ox.QueryResultsFormat) -> str:
    value = "true" if answer else "false"
    if fmt == ox.QueryResultsFormat.JSON:
        return json.dumps({"head": {}, "boolean": bool(answer)})
    if fmt == ox.QueryResultsFormat.XML:
        return f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head></head><boolean>{value}</boolean></sparql>'
    return value + "\n"
