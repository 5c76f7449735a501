"""The SPARQL 1.1 Protocol over the workspace: ``/sparql`` and the named queries at ``/queries/NAME``.

Read-only: the checks of ``crimekg query`` refuse updates and SERVICE calls, a time limit stops a
long query, and results are cut at a number of rows (said in the ``X-Crimekg-Truncated`` header).
A query that names one of crimekg's internal graphs (``urn:crimekg:...``: the workspace secret on a
server, the write journal, staging graphs) is refused: a ``FROM`` or ``FROM NAMED`` is the query's
own dataset, which a SPARQL server holding the workspace honours whatever crimekg would name.
A refusal is a protocol error status with a one-line reason as ``text/plain``: 400 for a query
that does not parse, an update or a bad parameter, 403 for SERVICE, 503 for a query stopped by
the time limit, 404 for an unknown named query, 406 when no format the client accepts fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crimekg.graph.errors import CrimeKGError, InvalidInput, InvalidQuery, UnknownQuery
from crimekg.graph.query import NamedQuery, QueryResult, QueryTimeout, named_query, parse_query_text, run_query
from crimekg.graph.store import GraphStore

__all__ = ["RESULT_TYPES", "GRAPH_TYPES", "Answer", "answer_query", "choose_format"]

#: Media types of SELECT/ASK results and the ``QueryResult.serialize`` format each is.
RESULT_TYPES = {
    "application/sparql-results+json": "sparql-json",
    "application/sparql-results+xml": "sparql-xml",
    "text/csv": "sparql-csv",
    "text/tab-separated-values": "sparql-tsv",
    "application/json": "sparql-json",
    "application/xml": "sparql-xml",
}
#: Media types of CONSTRUCT/DESCRIBE results.
GRAPH_TYPES = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xml",
    "application/x-turtle": "ttl",
    "text/plain": "nt",
}
# ``format=`` / ``output=`` values that SPARQLWrapper and browsers send
_SHORT = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
          "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle", "n3": "text/turtle",
          "nt": "application/n-triples", "json-ld": "application/ld+json", "jsonld": "application/ld+json", "rdf+xml": "application/rdf+xml"}


@dataclass
class Answer:
    """An HTTP answer: status, media type, body and extra headers."""

    status: int
    media_type: str
    body: str
    headers: dict[str, str]


def _accepted(accept: str) -> list[tuple[str, float]]:
    out = []
    for part in (accept or "").split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        out.append((bits[0].lower(), q))
    return sorted(out, key=lambda t: -t[1])


def choose_format(kind: str, accept: str, short: str | None = None) -> tuple[str, str] | None:
    """The (media type, format) to answer with: a ``format=`` value, else the Accept header.

    >>> choose_format("SELECT", "text/csv;q=0.5, application/sparql-results+xml")
    ('application/sparql-results+xml', 'sparql-xml')
    >>> choose_format("CONSTRUCT", "*/*")
    ('text/turtle', 'ttl')
    >>> choose_format("SELECT", "text/html,application/xhtml+xml,*/*;q=0.8", "csv")
    ('text/csv', 'sparql-csv')
    >>> choose_format("SELECT", "image/png") is None
    True
    """
    table = GRAPH_TYPES if kind in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
    default = "text/turtle" if table is GRAPH_TYPES else "application/sparql-results+json"
    wanted = _accepted(accept)
    if short:  # an explicit format= (a browser's form, SPARQLWrapper) wins over the Accept header
        media = _SHORT.get(short.lower(), short.lower())
        if media in table:
            return media, table[media]
    if not wanted:
        return default, table[default]
    for media, q in wanted:
        if q <= 0:
            continue
        if media in table:
            return media, table[media]
        if media in ("*/*", "application/*", "text/*") and (media == "*/*" or default.startswith(media[:-1])):
            return default, table[default]
    return None


def _refusal(status: int, reason: str) -> Answer:
    # one line: the first line of crimekg's message, which says what and how to fix it
    line = " ".join(reason.split("\nHint:")[0].split())
    return Answer(status, "text/plain; charset=utf-8", line + "\n", {})


def answer_query(
    store: GraphStore, text: str | None, *, accept: str = "", short_format: str | None = None,
    name: str | None = None, params: Mapping[str, str] | None = None, timeout: float = 10.0, max_rows: int = 10_000,
    words: Any = None,
) -> Answer:
    """Run one protocol request: SPARQL ``text``, or the named query ``name`` with ``params``
    (``words``: the workspace's :class:`~crimekg.graph.resolve.Words` the server keeps, for them)."""
    try:
        if name is not None:
            q: NamedQuery = named_query(name)
        else:
            if not text or not text.strip():
                return _refusal(400, "no query: send it as the query parameter (GET or form POST) or as an application/sparql-query body")
            q = parse_query_text(text, "query", "query")
        result: QueryResult = run_query(store, q, params, timeout=timeout, words=words)
    except UnknownQuery as exc:
        return _refusal(404, str(exc))
    except QueryTimeout as exc:
        return _refusal(503, f"{exc} (this endpoint's limit is {timeout:g} s)".replace("--timeout", "the server's --query-timeout"))
    except InvalidQuery as exc:
        message = str(exc)
        if "SERVICE" in message and "refused" in message:
            return _refusal(403, message.split(";")[0] + "; this endpoint reads only its own workspace (no federation)")
        if "internal graphs" in message:
            return _refusal(403, message.split(": ", 1)[-1])
        return _refusal(400, message)
    except CrimeKGError as exc:
        return _refusal(400, str(exc))
    chosen = choose_format(result.kind, accept, short_format)
    if chosen is None:
        offered = GRAPH_TYPES if result.kind in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
        return _refusal(406, f"none of the accepted types ({accept}) fits a {result.kind} result; accept one of {', '.join(offered)}")
    media, fmt = chosen
    headers = {}
    rows = result.rows
    if len(rows) > max_rows:
        result._rows = rows[:max_rows]
        headers["X-Crimekg-Truncated"] = f"{len(rows)} rows, first {max_rows} sent"
    try:
        body = result.serialize(fmt)
    except InvalidInput as exc:  # XML that cannot hold a control character pasted into a sheet
        others = "application/sparql-results+json or text/csv" if fmt == "sparql-xml" else "text/turtle or application/n-triples"
        return _refusal(406, f"{str(exc).split(' (line')[0].replace('RDF/XML', 'XML').replace('SPARQL XML results', 'XML')}; accept {others}, which can")
    return Answer(200, media + "; charset=utf-8", body, headers)
