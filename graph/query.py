"""Run SPARQL over a workspace: inline, from a file or by name, with parameters bound as RDF terms.

Named queries live in ``graph/queries/*.rq``: the file stem is the name, the first ``#`` line is a
one-line description and parameters are declared in header comments::

    # Factors named under a category, with how many contributions express each
    # param: category (concept:category, optional) - enabling, profiting, concealment or impunity

A declaration is ``# param: NAME (TYPE[, optional][, default VALUE]) - DESCRIPTION``; TYPE is one of
:data:`PARAM_TYPES`. A parameter is **bound, never pasted**: its value is turned into an RDF term
(a literal, or an IRI found by :mod:`graph.resolve` from a label, slug, ISO or M49 code, the same
words every command takes) and given to the query as a leading ``VALUES`` block of its WHERE
group, written in N-Triples syntax, so no value can change the query's own text; a value that is
not a valid IRI or literal is refused (:func:`bind_values`). An optional parameter left out stays
a free variable, which the query treats as "any". The same header convention works in inline and
file queries; undeclared parameters are read as ``<IRI>``, ``prefix:name`` for the workspace
prefixes, or else a plain literal.

Why a VALUES block and not Oxigraph's substitutions (SEP-0007): Oxigraph plans a query around a
leading VALUES block, but applies a substitution only after joining the whole pattern as if the
variable were free. On a workspace with the real GLOTIP export a country's profile, citizenships
and destinations took 16-27 s by substitution and 0.2-1.9 s with VALUES
(``tests/benchmarks/bench_binding.py``, which also checks both give the same rows). This module
is the one place queries run: ``crimekg query``, the views' query preset and the brief alike.

Queries run on the workspace's own Oxigraph store (the union of its named graphs) when there is
one (``tests/benchmarks/bench_queries.py`` compares with raw pyoxigraph); other
:class:`~graph.store.GraphStore` implementations go through their ``query`` method. Output
formats live in :mod:`graph.tables`.

A query only reads and stays in the workspace: updates are refused, and so is a ``SERVICE`` call
(which would send query data to another host) unless the caller allows its host; a time limit
and Ctrl-C stop a query at once (see :func:`check_query` and :func:`run_query`).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
import rdflib

from crimekg import ontology

from crimekg.graph.errors import InvalidInput, InvalidQuery, UnknownQuery
from crimekg.graph.store import PREFIXES, GraphStore
from crimekg.graph.tables import (
    check_xml_characters,
    FORMATS,
    RDF_FORMATS,
    RESULTS_FORMATS,
    TABLE_FORMATS,
    XSD,
    cell,
    compact,
    format_rows,
    plain_value,
    serialize_triples,
    w3c_boolean,
    w3c_select,
)

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


def _select(store: GraphStore, sparql: str, bindings: Mapping[str, Any]) -> list[tuple]:
    return [tuple(row) for row in _execute(store, sparql, bindings)]


#: Concepts of schemes other than the session's (``concept`` with no scheme, ``concept:subject``...).
_CONCEPT_BY_WORD = """SELECT ?x ?needle ?scheme WHERE {
    ?x skos:inScheme ?scheme ; skos:prefLabel|skos:altLabel|skos:notation ?l .
    FILTER(LCASE(STR(?l)) = LCASE(STR(?needle)) || STRENDS(STR(?x), CONCAT("/", STR(?needle)))) }"""
_CONCEPT_EXISTS = "SELECT ?x ?scheme WHERE { ?x skos:inScheme ?scheme }"


def _resolve_term(store: GraphStore, p: Param, value: str, words: Any = None) -> ox.NamedNode | ox.Literal:
    """Turn one parameter value into the RDF term it stands for.

    Places, factors, sessions and the concepts of the session's schemes are resolved by
    :class:`graph.resolve.Words`, as every other command resolves them; other concepts by label,
    notation or IRI.
    """
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
    exact = _exact_word(store, p, value)
    if exact is not None:
        return exact
    if words is not None and (kind in ("place", "factor", "session") or (kind == "concept" and p.scheme in words.vocab.names)):
        return _resolve_word(words, p, value)
    bindings: dict[str, Any] = {"scheme": ox.NamedNode(PREFIXES["scheme"] + p.scheme)} if p.scheme else {}
    candidates = [c for c in (_expand(value), f"{ontology.CONCEPT}{p.scheme}/{value.strip()}" if p.scheme else None) if c]
    for c in candidates:
        try:
            node = ox.NamedNode(c)
        except ValueError:
            continue
        if _select(store, _CONCEPT_EXISTS, {"x": node, **bindings}):
            return node
    found = sorted({row[0].value for row in _select(store, _CONCEPT_BY_WORD, {"needle": ox.Literal(value.strip()), **bindings})})
    if len(found) == 1:
        return ox.NamedNode(found[0])
    if len(found) > 1:
        raise InvalidInput(
            f"--param {p.name}: {value!r} matches {len(found)} concepts ({', '.join(compact(f) for f in found[:5])}); "
            "give the slug or the IRI"
        )
    what = f"concept in scheme {p.scheme!r}" if p.scheme else kind
    raise InvalidInput(f"--param {p.name}: no {what} matches {value!r}; give {PARAM_TYPES[kind]}")


_FACTOR_EXISTS = "SELECT ?x WHERE { ?x a ckg:Factor ; skos:prefLabel ?l } LIMIT 1"
_PLACE_BY_WORD = """SELECT ?x ?needle WHERE { ?x a ckg:Place ; rdfs:label|skos:altLabel|ckg:iso3|ckg:iso2|ckg:m49 ?l .
    FILTER(LCASE(STR(?l)) = LCASE(STR(?needle))) }"""


def _exact_word(store: GraphStore, p: Param, value: str) -> ox.NamedNode | None:
    """A place or a session concept named exactly (code, slug, or a label in any case), found with one small query.

    The words' tables (every label of every concept and place, compared accent-insensitively)
    take about a second to read; a word named exactly means the same there, so it is looked up
    directly first, and only other words go through them.
    """
    text = value.strip()
    if p.type == "factor":
        # a factor named by its IRI, factor:slug or slug, which the words' tables try first too
        iri = text[1:-1] if text.startswith("<") and text.endswith(">") else text
        candidates = [iri]
        if iri.startswith("factor:"):
            candidates.append(ontology.DATA + "factor/" + iri[len("factor:"):])
        if re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", iri):
            candidates.append(ontology.DATA + "factor/" + iri)
        for c in candidates:
            try:
                node = ox.NamedNode(c)
            except ValueError:
                continue
            if _select(store, _FACTOR_EXISTS, {"x": node}):
                return node
        return None
    if p.type == "place":
        found = {row[0].value for row in _select(store, _PLACE_BY_WORD, {"needle": ox.Literal(text)})}
    elif p.type == "concept" and p.scheme:
        found = {row[0].value for row in _select(store, _CONCEPT_BY_WORD, {"needle": ox.Literal(text), "scheme": ox.NamedNode(PREFIXES["scheme"] + p.scheme)})}
    else:
        return None
    return ox.NamedNode(found.pop()) if len(found) == 1 else None


def _resolve_word(words: Any, p: Param, value: str) -> ox.NamedNode:
    from crimekg.graph.errors import UnknownFactor

    if p.type == "factor":
        try:
            return ox.NamedNode(words.factor(value))
        except UnknownFactor as exc:
            raise InvalidInput(f"--param {p.name}: no factor matches {value!r}; {str(exc).split('.', 1)[-1].strip()}") from exc
        except InvalidInput as exc:
            raise InvalidInput(f"--param {p.name}: {exc}") from exc
    kind = p.scheme if p.type == "concept" else p.type
    iri = words.resolve(kind, value)
    if iri is None:
        what = f"concept in scheme {p.scheme!r}" if p.type == "concept" else p.type
        raise InvalidInput(f"--param {p.name}: no {what} matches {value!r}; {words.hint(kind, value)}")
    return ox.NamedNode(iri)


def resolve_params(
    store: GraphStore, query: NamedQuery, values: Mapping[str, str] | None = None, given: Iterable[str] = (),
    words: Any = None,
) -> dict[str, Any]:
    """Check ``values`` against the query's declarations and turn each into an RDF term.

    Returns pyoxigraph terms keyed by variable name. Undeclared values are read as ``<IRI>`` or
    ``prefix:name`` when they look like one, otherwise as plain literals. Parameters named in
    ``given`` are bound by the caller as terms already: they need no value here. ``words``: a
    :class:`~crimekg.graph.resolve.Words` the caller keeps (a server), made here when needed otherwise.
    """
    values = dict(values or {})
    declared = {p.name: p for p in query.params}
    out: dict[str, Any] = {}
    given = set(given)
    for p in query.params:
        if p.name in given:
            continue
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
            if words is None:
                from crimekg.graph.resolve import Words

                words = Words(store)
            out[name] = _resolve_term(store, p, value, words)
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


def _resolved(tokens: list[tuple[str, str]]) -> Iterator[tuple[int, str | None]]:
    """Each token's index with the IRI it stands for (an IRI or a prefixed name, after the query's
    own PREFIX and BASE declarations and crimekg's prefixes), else None."""
    from urllib.parse import urljoin

    prefixes = dict(PREFIXES)
    base = None

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
        yield i, iri_of(kind, value)


def _service_endpoints(text: str) -> list[tuple[str, str | None]]:
    """Every ``SERVICE`` in ``text``: (the endpoint as written, its IRI or None when it cannot be known)."""
    tokens = _tokens(text)
    iris = dict(_resolved(tokens))
    found = []
    for i, (kind, value) in enumerate(tokens):
        if kind == "word" and value.upper() == "SERVICE":
            j = i + 1
            if j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "SILENT":
                j += 1
            if j >= len(tokens):
                found.append(("", None))
                continue
            found.append((tokens[j][1], iris[j]))
    return found


def internal_graph_named(text: str) -> str | None:
    """The first IRI in ``text`` that names one of crimekg's internal graphs, else None.

    Every IRI counts, written whole or as a prefixed name (crimekg's prefixes, the query's own
    PREFIX and BASE declarations, ``\\u`` escapes); strings and comments do not.

    >>> internal_graph_named("PREFIX u: <urn:> SELECT * FROM u:crimekg:secret { ?s ?p ?o }")
    'urn:crimekg:secret'
    >>> internal_graph_named("SELECT * FROM <urn:crimekg\\u003Asecret> { ?s ?p ?o }")
    'urn:crimekg:secret'
    >>> internal_graph_named('SELECT * { ?s ?p "urn:crimekg:secret" } # FROM <urn:crimekg:secret>') is None
    True
    """
    from crimekg.graph.store import INTERNAL

    for _i, iri in _resolved(_tokens(text)):
        if iri is not None and iri.lower().startswith(INTERNAL):
            return iri
    return None


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
    internal = internal_graph_named(query.text)
    if internal is not None:
        # a FROM / FROM NAMED is the query's own dataset, which a SPARQL server honours whatever
        # dataset crimekg would name: the workspace secret on a server, the journal, staging graphs
        raise InvalidQuery(
            f"{query.where}: the query names <{internal}>, one of crimekg's internal graphs, which are not the "
            "workspace's data; queries read only the graphs `crimekg graphs` lists"
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


# -- binding values: a leading VALUES block ----------------------------------------------------------

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IRI_TEXT = re.compile(r'^<[^<>"{}|^`\\\x00-\x20]*>$')


@functools.lru_cache(maxsize=256)
def _pattern_start(text: str) -> int | None:
    """Where the query's WHERE group opens (the offset of its ``{``), or None when it has none.

    Found on tokens, so a brace inside a string, an IRI or a comment does not count; a
    CONSTRUCT template's braces are skipped. Cached with the text: a named query's is found once.
    The short ``CONSTRUCT WHERE { ... }`` has a template there, which cannot hold VALUES: None.
    """
    form, where, template = None, False, False
    for m in _TOKENS.finditer(text):
        kind, value = m.lastgroup, m.group()
        if kind == "word":
            word = value.upper()
            if form is None and word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = word
            elif word == "WHERE":
                where = True
        elif kind == "other" and value == "{" and form is not None:
            if form != "CONSTRUCT":
                return m.start()
            if not where:
                template = True
            else:
                return m.start() if template else None
    return None


def _sparql_term(var: str, term: Any, where: str) -> str:
    """One bound value as SPARQL text (N-Triples syntax, which SPARQL reads), or refused."""
    if isinstance(term, (rdflib.URIRef, rdflib.Literal)):
        from crimekg.graph.store import to_oxigraph_term

        try:
            term = to_oxigraph_term(term)
        except ValueError as exc:
            raise InvalidQuery(f"{where}: ?{var}: {str(term)!r} is not a valid IRI ({exc}); give an absolute IRI") from exc
    if isinstance(term, ox.NamedNode):
        text = str(term)
        if not _IRI_TEXT.match(text):
            raise InvalidQuery(f"{where}: ?{var}: {term.value!r} is not a valid IRI; give an absolute IRI")
        return text
    if isinstance(term, ox.Literal):
        return str(term)  # quoted and escaped by Oxigraph: quotes, backslashes and line breaks stay inside
    raise InvalidQuery(f"{where}: ?{var} can be bound to an IRI or a literal only, not {type(term).__name__}")


def bind_values(text: str, bindings: Mapping[str, Any], where: str = "query") -> str:
    """``text`` with ``bindings`` given as a leading ``VALUES`` block of its WHERE group.

    Each value must be an IRI or a literal (pyoxigraph or rdflib), written in N-Triples syntax,
    so no value can add to or change the query's own text: an IRI with a character IRIs may not
    hold (a space, ``>``, ``{`` ...) is refused. Oxigraph plans a query around a leading VALUES
    block (a country's GLOTIP profile: 0.03 s), while a value given as a substitution is applied
    after the whole pattern was joined (6 s); ``tests/benchmarks/bench_binding.py`` measures it.

    >>> bind_values("SELECT ?f WHERE { ?f a ?t }", {"t": ox.NamedNode("https://w3id.org/crimekg/ontology#Factor")})
    'SELECT ?f WHERE { VALUES (?t) { (<https://w3id.org/crimekg/ontology#Factor>) } ?f a ?t }'
    >>> bind_values("SELECT ?f WHERE { ?f a ?t }", {"t": rdflib.URIRef("x> } ?s ?p ?o {")})
    Traceback (most recent call last):
    crimekg.graph.errors.InvalidQuery: query: ?t: 'x> } ?s ?p ?o {' is not a valid IRI (Invalid IRI code point '>'); give an absolute IRI
    """
    if not bindings:
        return text
    names, terms = [], []
    for var, term in bindings.items():
        if not _VARIABLE.match(var):
            raise InvalidQuery(f"{where}: {var!r} is not a SPARQL variable name (letters, digits, _)")
        names.append(f"?{var}")
        terms.append(_sparql_term(var, term, where))
    at = _pattern_start(text)
    if at is None:
        raise InvalidQuery(
            f"{where}: no WHERE group to bind {', '.join(names)} in; write the query as SELECT/ASK/DESCRIBE ... WHERE {{ ... }} "
            "or CONSTRUCT { ... } WHERE { ... }"
        )
    return f"{text[:at + 1]} VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}{text[at + 1:]}"


def _execute(store: GraphStore, sparql: str, bindings: Mapping[str, Any], where: str = "query") -> Any:
    """Run ``sparql`` with ``bindings`` (a leading VALUES block) on the workspace; the one place queries run."""
    text = bind_values(sparql, bindings, where)
    native = _native(store)
    if native is not None:
        try:
            from crimekg.graph.store import names_dataset  # FROM / FROM NAMED: the query's own dataset

            return native.query(text, prefixes=PREFIXES, use_default_graph_as_union=not names_dataset(sparql))
        except SyntaxError as exc:
            raise _syntax_error(where, sparql, _parse_error(sparql, exc)) from exc
        except (RuntimeError, OSError) as exc:
            raise InvalidQuery(f"{where}: the query could not run: {exc}") from exc
    results = getattr(store, "query_results", None)  # a server's answer as pyoxigraph parses it, no rdflib terms
    if results is not None:
        answer = results(text)
        if answer is not None:
            return answer
    from crimekg.graph.store import to_oxigraph_term  # other GraphStores: through their own query

    return _RdflibResult(store.query(text), to_oxigraph_term)


def _parse_error(sparql: str, exc: SyntaxError) -> SyntaxError:
    """The syntax error of the query as written (positions before the VALUES block was added)."""
    try:
        ox.Store().query(sparql, prefixes=PREFIXES)
    except SyntaxError as original:
        return original
    return exc


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
        return [{v: plain_value(t) for v, t in zip(self.variables, row)} for row in self.rows]

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
            return pd.DataFrame([[plain_value(t.subject), plain_value(t.predicate), plain_value(t.object)] for t in self.rows], columns=["subject", "predicate", "object"])
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
            text = serialize_triples(self.rows, RDF_FORMATS[fmt])
            if fmt == "xml":  # a control character pasted into a sheet: XML cannot hold it, escaped or not
                check_xml_characters(text.encode("utf-8"), "RDF/XML", "the result", "use --format ttl, nt or jsonld")
            return text
        if fmt in RESULTS_FORMATS:
            text = self._results_format(RESULTS_FORMATS[fmt])
            if fmt == "sparql-xml":
                check_xml_characters(text.encode("utf-8"), "SPARQL XML results", "the result", "use --format sparql-json, json or csv")
            return text
        if fmt not in TABLE_FORMATS:
            raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        if self.kind == "ASK":
            return format_rows(["answer"], [{"answer": self.boolean}], fmt)
        if fmt in ("table", "md"):
            rows = [{v: cell(t) for v, t in zip(self.variables, r)} for r in self.rows]
        else:
            rows = self.records()
        return format_rows(self.variables, rows, fmt)

    def _results_format(self, fmt: ox.QueryResultsFormat) -> str:
        raw = self._raw
        if self._rows is None and hasattr(raw, "serialize"):
            return raw.serialize(format=fmt).decode("utf-8")
        # already read (or not from Oxigraph): write the W3C format ourselves
        if self.kind == "ASK":
            return w3c_boolean(self.boolean, fmt)
        return w3c_select(self.variables, self.rows, fmt)


def run_query(
    store: GraphStore,
    query: str | NamedQuery,
    params: Mapping[str, str] | None = None,
    *,
    bindings: Mapping[str, Any] | None = None,
    name: str | None = None,
    allow_service: Iterable[str] = (),
    timeout: float | None = None,
    words: Any = None,
) -> QueryResult:
    """Run a SPARQL query (text, or a :class:`NamedQuery`) with ``params`` bound as RDF terms.

    Parameters
    ----------
    store : GraphStore
        The workspace; the query sees the union of its named graphs and the crimekg prefixes.
    query : str or NamedQuery
        SPARQL text (its ``# param:`` header is read too) or a named query.
    params : mapping of str to str
        Values by parameter name, as typed by a user; each is resolved to an RDF term (a label,
        code or slug to the IRI it names) and bound.
    bindings : mapping of str to RDF term, optional
        Values already made into terms (pyoxigraph or rdflib IRIs and literals), bound as they
        are. Every value is bound as a leading ``VALUES`` block of the query's WHERE group,
        written in N-Triples syntax, never pasted in as text (see :func:`bind_values`).
    name : str, optional
        What error messages call an inline query (default "query"); a named query is ``<name>.rq``.
    allow_service : iterable of str
        Hosts (``HOST`` or ``HOST:PORT``) that a ``SERVICE`` call may reach; any other SERVICE is
        refused before the query runs (see :func:`check_query`, which also refuses updates).
    timeout : float, optional
        Seconds the query may run; past them :class:`QueryTimeout` is raised. None: no limit.
    words : crimekg.graph.resolve.Words, optional
        The workspace's words, when the caller keeps them (read when a parameter needs them otherwise).

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
    terms = dict(bindings or {})
    subs = {**resolve_params(store, q, params, given=terms, words=words), **terms}
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
