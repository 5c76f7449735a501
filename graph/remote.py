"""A crimekg workspace on a SPARQL 1.1 server (Oxigraph server, Apache Jena Fuseki, GraphDB...).

Only W3C standards are spoken: SPARQL 1.1 Query and Update (the protocol's POST forms) and the
SPARQL 1.1 Graph Store HTTP Protocol (GSP), so any conforming server can hold a workspace.

- Reading: every query names its dataset with ``default-graph-uri`` and ``named-graph-uri`` (the
  workspace's graphs, internal ones left out), so the default graph is their union as in the
  embedded store, whatever the server's own default.
- Union-default-graph mode (opt-in: ``union_default_graph=True``, ``CRIMEKG_UNION_DEFAULT_GRAPH=1``):
  queries go with no dataset, to a server whose own default graph is the union of its named graphs
  (Fuseki/TDB2 ``tdb2:unionDefaultGraph``, Oxigraph server ``--union-default-graph``, GraphDB,
  Virtuoso, QLever). Such a server reads its union index, much faster than a union it builds for
  each request; but internal graphs (the workspace secret, a write's staging graphs) are then in
  the default graph too (``exposes_internal_graphs``): a mode for a server only its owners query.
- Writing: one command's new content is first uploaded through GSP into *staging* graphs (one
  streamed N-Triples request per graph, never a triple per request), then ONE SPARQL Update request
  moves it into place (``DROP``, then ``INSERT ... WHERE`` and ``DROP`` of the staging graph: what
  ``MOVE``/``ADD`` stand for, spelled out). That request is the commit point: a server that
  applies an update request as one transaction (Oxigraph, Fuseki/TDB2, GraphDB, Neptune) shows
  either all of the command's writes or none.
- Recovery: the staging graphs a write is about to fill are listed first in a journal graph; a
  write that fails drops them, and one that could not (the server went away) leaves the journal,
  so that the next command drops them.
- Locking: a writer holds a lock triple with an expiry in the ``meta`` graph, taken with one
  ``INSERT ... WHERE { FILTER NOT EXISTS ... }`` request and then read back to check who owns it;
  a second writer is refused with a message naming the holder.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import rdflib
from rdflib.term import Node

from crimekg import ontology
from crimekg.graph.terms import XSD
from crimekg.graph.errors import InvalidInput, InvalidQuery, InvalidRDF, StoreError, StoreLocked, StoreNotFound
from crimekg.graph.store import (
    INTERNAL,
    JOURNAL,
    META,
    PREFIXES,
    STAGING,
    Changeset,
    GraphStore,
    check_writable,
    from_oxigraph_term,
    load_jobs,
    names_dataset,
    graph_name,
    rdf_format,
    syntax_message,
    tidy_prefixes,
    to_oxigraph_term,
    write_ntriples,
    bind_values,
    sparql_tokens,
)

__all__ = [
    "RemoteStore",
    "Endpoints",
    "ServerUnreachable",
    "ServerTimeout",
    "ServerRefused",
    "ServerFailed",
    "FeatureMissing",
    "is_remote",
    "endpoints_for",
    "union_default_graph_from_env",
]

#: Seconds to wait for a server's answer (``CRIMEKG_TIMEOUT`` changes it).
DEFAULT_TIMEOUT = 300.0
#: How long a writer's lock holds when its process is gone without releasing it (``CRIMEKG_LOCK_TTL``).
DEFAULT_LOCK_TTL = 600
LOCK = INTERNAL + "lock"
_CKG = ontology.CKG
_CHUNK = 1 << 20
#: Bytes of N-Triples per upload request (whole lines; about 100k triples).
UPLOAD_BYTES = 16 << 20


class ServerUnreachable(StoreError):
    """The SPARQL server could not be reached (refused, unknown host, connection lost)."""


class ServerTimeout(StoreError):
    """The SPARQL server did not answer in time."""


class ServerRefused(StoreError):
    """The SPARQL server refused the request (HTTP 4xx)."""


class ServerFailed(StoreError):
    """The SPARQL server failed on the request (HTTP 5xx)."""


class FeatureMissing(StoreError):
    """The server lacks a standard feature crimekg needs (Graph Store Protocol, named graphs, Update)."""


def union_default_graph_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """``CRIMEKG_UNION_DEFAULT_GRAPH``: 1/true/yes turns the union-default-graph mode on, 0/false/no
    or unset leaves it off; anything else is refused.

    >>> union_default_graph_from_env({"CRIMEKG_UNION_DEFAULT_GRAPH": "yes"}), union_default_graph_from_env({})
    (True, False)
    """
    raw = (os.environ if environ is None else environ).get("CRIMEKG_UNION_DEFAULT_GRAPH", "")
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise InvalidInput(f"CRIMEKG_UNION_DEFAULT_GRAPH={raw!r}: give 1 (on) or 0 (off)")


def is_remote(location: str | os.PathLike | None) -> bool:
    """True when a ``--store`` value names a SPARQL server rather than a directory.

    >>> is_remote("http://127.0.0.1:7878"), is_remote("./crimekg-data")
    (True, False)
    """
    return str(location or "").lower().startswith(("http://", "https://"))


class Endpoints:
    """The three endpoints of a server: SPARQL query, SPARQL update and Graph Store Protocol.

    >>> e = endpoints_for("http://127.0.0.1:7878")
    >>> e.query, e.update, e.gsp
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
    >>> endpoints_for("http://localhost:3030/crimekg").gsp
    'http://localhost:3030/crimekg/data'
    """

    def __init__(self, base: str, query: str, update: str, gsp: str):
        self.base, self.query, self.update, self.gsp = base, query, update, gsp


def endpoints_for(url: str, query: str | None = None, update: str | None = None, gsp: str | None = None) -> Endpoints:
    """The endpoints for a server URL: given ones, else ``CRIMEKG_QUERY_ENDPOINT`` (``_UPDATE_``,
    ``_GSP_``), else the layout the URL implies: a bare ``http://host:port`` is Oxigraph server's
    (``/query``, ``/update``, ``/store``); a URL with a path is a Fuseki dataset (``/query``,
    ``/update``, ``/data`` under it)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port out of range or not a number)
    except ValueError as exc:
        raise InvalidInput(f"--store {_safe(url)}: not a URL crimekg can reach ({exc}); write it as http://HOST:PORT/PATH") from None
    if parts.password:
        raise InvalidInput(
            f"{_safe(url)}: a password cannot be given in the store URL (it would show in the process list and "
            "the shell history); set CRIMEKG_STORE_USER and CRIMEKG_STORE_PASSWORD, or CRIMEKG_STORE_TOKEN"
        )
    base = url.rstrip("/")
    oxigraph_layout = parts.path.strip("/") == ""
    query = query or os.environ.get("CRIMEKG_QUERY_ENDPOINT") or base + "/query"
    update = update or os.environ.get("CRIMEKG_UPDATE_ENDPOINT") or base + "/update"
    gsp = gsp or os.environ.get("CRIMEKG_GSP_ENDPOINT") or base + ("/store" if oxigraph_layout else "/data")
    for name, value in (("query", query), ("update", update), ("gsp", gsp)):
        if not is_remote(value):
            raise InvalidInput(f"--{name}-endpoint {value!r}: give an http:// or https:// URL")
    return Endpoints(base, query, update, gsp)


def _safe(url: str) -> str:
    """A URL without any user information or query string (where a token may ride), for messages.

    >>> _safe("http://ana:pw@127.0.0.1:7878/ds?access_token=abc"), _safe("http://ana@[::1/ds")
    ('http://127.0.0.1:7878/ds', '(a URL that cannot be read)')
    """
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "(a URL that cannot be read)"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Http:
    """HTTP requests to one server with the standard library, errors turned into StoreErrors."""

    def __init__(self, server: str, timeout: float):
        self.server = server
        self.timeout = timeout
        self.headers: dict[str, str] = {"User-Agent": "crimekg"}
        #: The server's ``Server`` header, as its last answer gave it (``Oxigraph/0.5.13``...).
        self.software = ""
        token = os.environ.get("CRIMEKG_STORE_TOKEN")
        user = os.environ.get("CRIMEKG_STORE_USER") or urlsplit(server).username
        if token:
            self.headers["Authorization"] = "Bearer " + token
        elif user:
            secret = f"{user}:{os.environ.get('CRIMEKG_STORE_PASSWORD', '')}".encode("utf-8")
            self.headers["Authorization"] = "Basic " + base64.b64encode(secret).decode("ascii")

    def request(self, method: str, url: str, *, body: bytes | IO[bytes] | None = None, headers: Mapping[str, str] | None = None,
                what: str = "request", ok_missing: bool = False) -> http.client.HTTPResponse:
        """Send one request and return the open response (2xx; 404 too when ``ok_missing``)."""
        parts = urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.hostname or "localhost", parts.port, timeout=self.timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        all_headers = {**self.headers, **(headers or {})}
        if isinstance(body, (bytes, bytearray)):
            all_headers["Content-Length"] = str(len(body))
        elif body is not None:
            body.seek(0, os.SEEK_END)
            all_headers["Content-Length"] = str(body.tell())
            body.seek(0)
        try:
            conn.request(method, target, body=body, headers=all_headers)
            response = conn.getresponse()
        except (socket.timeout, TimeoutError) as exc:
            conn.close()
            raise ServerTimeout(
                f"the SPARQL server {self.server} did not answer the {what} within {self.timeout:g} s; "
                "try again later, or give it longer with CRIMEKG_TIMEOUT=SECONDS"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            reason = getattr(exc, "strerror", None) or exc.__class__.__name__
            raise ServerUnreachable(
                f"cannot reach the SPARQL server {self.server} ({reason}) for the {what}; start it, or check "
                "--store / CRIMEKG_STORE and the endpoint options"
            ) from exc
        if 200 <= response.status < 300 or (ok_missing and response.status == 404):
            self.software = response.getheader("Server") or self.software
            return response
        try:
            detail = _one_line(response.read(4000).decode("utf-8", "replace"))
        except (OSError, http.client.HTTPException):
            detail = ""
        finally:
            conn.close()
        raise self.error(response.status, response.reason, detail, url, what)

    def error(self, status: int, reason: str, detail: str, url: str, what: str) -> StoreError:
        said = f"HTTP {status} {reason}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            return ServerRefused(
                f"the SPARQL server {self.server} refused the {what} ({said}); set CRIMEKG_STORE_USER and "
                "CRIMEKG_STORE_PASSWORD, or CRIMEKG_STORE_TOKEN, to an account allowed to do it"
            )
        if status in (404, 405, 501) or (status == 415 and what.startswith("upload")):
            option = {"query": "--query-endpoint", "update": "--update-endpoint"}.get(what.split()[0], "--gsp-endpoint")
            return FeatureMissing(
                f"the SPARQL server {self.server} has no {_FEATURES.get(what.split()[0], what)} at {_safe(url)} ({said}); "
                f"give its address with {option}, or use a server that supports it"
            )
        if status >= 500:
            return ServerFailed(f"the SPARQL server {self.server} failed on the {what} ({said}); check its log and try again")
        return ServerRefused(f"the SPARQL server {self.server} refused the {what} ({said})")


_FEATURES = {
    "query": "SPARQL 1.1 query endpoint",
    "update": "SPARQL 1.1 update endpoint",
    "upload": "SPARQL 1.1 Graph Store Protocol endpoint",
    "download": "SPARQL 1.1 Graph Store Protocol endpoint",
}


def _read(response: http.client.HTTPResponse, server: str = "", what: str = "answer") -> bytes:
    """The whole body of an answer; a connection lost or timed out on the way is a StoreError too."""
    try:
        with _reading(server, what):
            return response.read()
    finally:
        response.close()


@contextmanager
def _reading(server: str, what: str) -> Iterator[None]:
    try:
        yield
    except (socket.timeout, TimeoutError) as exc:
        raise ServerTimeout(f"the SPARQL server {server} stopped sending its {what} (timed out); try again later, "
                            "or give it longer with CRIMEKG_TIMEOUT=SECONDS") from exc
    except (ConnectionError, http.client.HTTPException) as exc:
        raise ServerUnreachable(f"the SPARQL server {server} broke off its {what} ({exc.__class__.__name__}); "
                                "check that it is still running and try again") from exc


class Solutions:
    """A SELECT's answer read whole: its variables (pyoxigraph ``Variable``) and its rows (tuples of
    pyoxigraph terms, None where unbound), iterated like pyoxigraph's ``QuerySolutions``."""

    def __init__(self, variables: list[Any], rows: list[tuple[Any, ...]]) -> None:
        self.variables, self.rows = variables, rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)


class RemoteStore(GraphStore):
    """A workspace held by a SPARQL 1.1 server, reached through its query, update and GSP endpoints."""

    def __init__(self, url: str, *, query_endpoint: str | None = None, update_endpoint: str | None = None,
                 gsp_endpoint: str | None = None, create: bool = False, timeout: float | None = None,
                 union_default_graph: bool | None = None):
        self.endpoints = endpoints_for(url, query_endpoint, update_endpoint, gsp_endpoint)
        self.location = _safe(url).rstrip("/")
        #: Queries go with no dataset, to the server's own union default graph (see the module's notes).
        self.union_default_graph = union_default_graph_from_env() if union_default_graph is None else bool(union_default_graph)
        if timeout is None:
            try:
                timeout = float(os.environ.get("CRIMEKG_TIMEOUT") or DEFAULT_TIMEOUT)
            except ValueError:
                raise InvalidInput(f"CRIMEKG_TIMEOUT={os.environ['CRIMEKG_TIMEOUT']!r}: give a number of seconds") from None
        self._http = _Http(self.location, timeout)
        self._token = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._graph_cache: tuple[float, list[str]] | None = None
        self._ds: rdflib.Dataset | None = None
        if not create and not self._has_meta():
            present = self._all_graphs()
            hint = "it holds other data; " if present else ""
            raise StoreNotFound(
                f"no crimekg workspace on the SPARQL server {self.location} ({hint}its meta graph is missing); "
                f"create one with `crimekg init {self.location}` or name another with --store / CRIMEKG_STORE"
            )
        if not create:
            self._check_union()
        self._recover()

    @property
    def exposes_internal_graphs(self) -> bool:
        """True when a query can read the workspace's internal graphs (its secret, a write's staging
        graphs): in the union-default-graph mode they are part of the server's default graph, so the
        store must not answer anyone but its owner (``crimekg serve`` refuses it)."""
        return self.union_default_graph

    def _check_union(self) -> None:
        """In the union-default-graph mode, check that the server's default graph really is the union
        of its named graphs: the meta graph's ontology version must be found without ``GRAPH``."""
        if not self.union_default_graph:
            return
        rows = self._select_raw(f"SELECT ?v WHERE {{ <{META}> <{_CKG}ontologyVersion> ?v }} LIMIT 1")
        if not rows:
            raise FeatureMissing(
                f"the SPARQL server {self.location} does not read its named graphs as its default graph, so the "
                "union-default-graph mode cannot be used with it; configure the server's union default graph "
                "(Fuseki/TDB2: tdb2:unionDefaultGraph true; Oxigraph server: serve --union-default-graph), or drop "
                "--union-default-graph / CRIMEKG_UNION_DEFAULT_GRAPH"
            )

    # -- the protocol ------------------------------------------------------------------------
    def _sparql(self, sparql: str, accept: str, dataset: bool = True) -> bytes:
        """POST a query (form-encoded, as SPARQL 1.1 Protocol allows) and return the answer's bytes."""
        fields: list[tuple[str, str]] = [("query", sparql)]
        if dataset and names_dataset(sparql):
            if self.union_default_graph:
                # a query's own FROM / FROM NAMED is its dataset; sent again as the protocol's, since a
                # server in the union mode may put its union in place of the query's (Oxigraph does)
                defaults, named = own_dataset(sparql)
                fields += [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
        elif dataset and not self.union_default_graph:  # in the union mode the server's default graph is it
            graphs = self._visible_graphs()
            fields += [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
        body = urlencode(fields).encode("utf-8")
        response = self._http.request(
            "POST", self.endpoints.query, body=body, what="query",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        return _read(response, self.location, "query answer")

    def _select_raw(self, sparql: str, dataset: bool = False) -> list[dict[str, Any]]:
        """A SELECT's rows as pyoxigraph terms (the crimekg-internal queries: no prefixes added)."""
        import pyoxigraph as ox

        data = self._sparql(sparql, "application/sparql-results+json", dataset)
        try:
            solutions = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        except SyntaxError as exc:
            raise ServerFailed(f"the SPARQL server {self.location} sent query results that cannot be read: {exc}") from exc
        names = [v.value for v in solutions.variables]
        error = None
        try:
            return [{n: s[n] for n in names if s[n] is not None} for s in solutions]
        except SyntaxError as exc:
            error = self._broken_answer(exc)
        # raised outside the handler, the parser gone: a pyoxigraph result must not travel with the
        # error to another thread (run_query's), where dropping it is an error of its own
        del solutions
        raise error

    def _broken_answer(self, exc: SyntaxError) -> ServerFailed:
        """Results that break off in the middle: the server stopped the query while it was sending
        them (its own timeout, say) yet ended the answer as if complete."""
        return ServerFailed(
            f"the SPARQL server {self.location} sent query results that break off ({_one_line(str(exc), 120)}); it may "
            "have stopped the query on a timeout of its own: check its log, or give its queries longer"
        )

    def _update(self, sparql: str, what: str = "update") -> None:
        response = self._http.request(
            "POST", self.endpoints.update, body=sparql.encode("utf-8"), what=what,
            headers={"Content-Type": "application/sparql-update"},
        )
        _read(response)

    def _gsp_url(self, graph: str) -> str:
        sep = "&" if "?" in self.endpoints.gsp else "?"
        return self.endpoints.gsp + sep + urlencode({"graph": graph})

    def _upload(self, graph: str, body: IO[bytes], replace: bool = True, new: bool = False) -> None:
        """Send an N-Triples file to a graph through GSP, in requests of at most ``UPLOAD_BYTES``
        (whole lines: a server applies each as one transaction, and a very big one is slow or times
        out): the first PUT replaces the graph (or POST adds, with ``replace=False``), the rest POST.

        ``new``: the graph did not exist and the journal lists it (a staging graph, or a graph written
        in place), so a failed write drops it whatever part of it arrived; the upload need not be one
        transaction. Oxigraph server then takes the
        whole file in one request with its ``no_transaction`` parameter (its bulk loader, about four
        times faster than its transactions); other servers get the standard requests."""
        import io

        if new and self._http.software.lower().startswith("oxigraph/"):
            body.seek(0)
            response = self._http.request(
                "POST", self._gsp_url(graph) + "&no_transaction", body=body, what="upload (Graph Store Protocol)",
                headers={"Content-Type": "application/n-triples"},
            )
            _read(response, self.location, "answer to an upload")
            return
        method = "PUT" if replace else "POST"
        while True:
            lines = body.readlines(UPLOAD_BYTES)
            if not lines and method == "POST" and not replace:
                return
            chunk = io.BytesIO(b"".join(lines))
            response = self._http.request(
                method, self._gsp_url(graph), body=chunk, what="upload (Graph Store Protocol)",
                headers={"Content-Type": "application/n-triples"},
            )
            _read(response, self.location, "answer to an upload")
            if not lines:
                return
            method, replace = "POST", False

    def _download(self, graph: str, out: IO[bytes]) -> None:
        """Copy one graph as N-Triples into ``out``, streamed."""
        response = self._http.request("GET", self._gsp_url(graph), what="download (Graph Store Protocol)",
                                      headers={"Accept": "application/n-triples"}, ok_missing=True)
        try:
            if response.status == 404:
                return
            with _reading(self.location, "graph " + graph_name(graph)):
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
        finally:
            response.close()

    # -- graphs ------------------------------------------------------------------------------
    def _all_graphs(self) -> dict[str, int]:
        counts = {
            r["g"].value: int(r["n"].value)
            for r in self._select_raw("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        }
        for r in self._select_raw("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"):
            counts.setdefault(r["g"].value, 0)
        return dict(sorted(counts.items()))

    def _visible_graphs(self) -> list[str]:
        now = time.monotonic()
        if self._graph_cache is None or now - self._graph_cache[0] > 2.0:
            rows = self._select_raw("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
            names = sorted(r["g"].value for r in rows if not r["g"].value.startswith(INTERNAL))
            self._graph_cache = (now, names)
        return self._graph_cache[1]

    def _has_meta(self) -> bool:
        rows = self._select_raw(f"SELECT ?v WHERE {{ GRAPH <{META}> {{ <{META}> <{_CKG}ontologyVersion> ?v }} }} LIMIT 1")
        return bool(rows)

    def require_named_graphs(self) -> None:
        """Check that what was written to the ``meta`` graph reads back from it (a server that merges
        named graphs into one cannot hold a workspace)."""
        if not self._has_meta():
            raise FeatureMissing(
                f"the SPARQL server {self.location} accepted the workspace but does not give back its named graphs "
                "(GRAPH <...> finds nothing); crimekg needs a server that keeps named graphs (quad store)"
            )
        self._check_union()

    def _count(self, iri: str) -> int:
        rows = self._select_raw(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value) if rows else 0

    # -- reading -----------------------------------------------------------------------------
    @property
    def dataset(self) -> rdflib.Dataset:
        """An rdflib Dataset over the server's endpoints (rdflib's SPARQL store; slow, for small reads)."""
        if self._ds is None:
            from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

            store = SPARQLUpdateStore(self.endpoints.query, self.endpoints.update, headers=dict(self._http.headers))
            self._ds = rdflib.Dataset(store=store, default_union=True)
        return self._ds

    def query_results(self, sparql: str) -> Any:
        """A SELECT's or ASK's answer as pyoxigraph parses it (:class:`Solutions` of pyoxigraph terms,
        or ``QueryBoolean``), without the round trip through rdflib terms that :meth:`query` makes;
        None for CONSTRUCT and DESCRIBE (use :meth:`query`). The query runs as :meth:`query` runs it:
        the workspace's prefixes declared, the same dataset."""
        import pyoxigraph as ox

        if _form(sparql) in ("CONSTRUCT", "DESCRIBE"):
            return None
        data = self._sparql_checked(_with_prefixes(sparql), "application/sparql-results+json")
        try:
            parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        except SyntaxError as exc:
            raise ServerFailed(f"the SPARQL server {self.location} sent query results that cannot be read: {exc}") from exc
        if isinstance(parsed, ox.QueryBoolean):
            return parsed
        error = None
        try:  # read whole here: an answer that breaks off is one line, and no parser goes to another thread
            return Solutions(list(parsed.variables), [tuple(row) for row in parsed])
        except SyntaxError as exc:
            error = self._broken_answer(exc)
        del parsed
        raise error

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> rdflib.query.Result:
        import pyoxigraph as ox

        text = _with_prefixes(bind_values(sparql, bindings or {}))
        form = _form(sparql)
        if form in ("CONSTRUCT", "DESCRIBE"):
            data = self._sparql_checked(text, "application/n-triples")
            result = rdflib.query.Result(form)
            g = rdflib.Graph()
            try:
                for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
                    g.add((from_oxigraph_term(t.subject), from_oxigraph_term(t.predicate), from_oxigraph_term(t.object)))
            except SyntaxError as exc:
                raise ServerFailed(f"the SPARQL server {self.location} sent triples that cannot be read: {exc}") from exc
            result.graph = g
            return result
        data = self._sparql_checked(text, "application/sparql-results+json")
        try:
            parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        except SyntaxError as exc:
            raise ServerFailed(f"the SPARQL server {self.location} sent query results that cannot be read: {exc}") from exc
        if isinstance(parsed, ox.QueryBoolean):
            result = rdflib.query.Result("ASK")
            result.askAnswer = bool(parsed)
            return result
        result = rdflib.query.Result("SELECT")
        variables = [rdflib.Variable(v.value) for v in parsed.variables]
        result.vars = variables
        error = None
        try:
            result.bindings = [
                {v: from_oxigraph_term(t) for v in variables if (t := s[str(v)]) is not None} for s in parsed
            ]
            return result
        except SyntaxError as exc:
            error = self._broken_answer(exc)
        del parsed  # as in _select_raw: the error must not carry the parser to another thread
        raise error

    def _sparql_checked(self, text: str, accept: str) -> bytes:
        try:
            return self._sparql(text, accept)
        except ServerRefused as exc:
            if " 400 " in str(exc):  # the server's word on a query it cannot parse or run
                said = str(exc).split("(HTTP 400", 1)[-1].strip().removeprefix("Bad Request:").rstrip(")")
                raise InvalidQuery(f"the SPARQL server {self.location} rejected the query: {said.strip()}") from exc
            raise

    def graphs(self) -> dict[str, int]:
        return {g: n for g, n in self._all_graphs().items() if not g.startswith(INTERNAL)}

    def graph_triples(self, iri: str | None = None) -> rdflib.Graph:
        import pyoxigraph as ox

        present = self._known_graphs([iri])
        g = rdflib.Graph()
        for name in [iri] if iri else list(present):
            with tempfile.TemporaryFile() as f:
                self._download(name, f)
                f.seek(0)
                for t in ox.parse(f, format=ox.RdfFormat.N_TRIPLES):
                    g.add((from_oxigraph_term(t.subject), from_oxigraph_term(t.predicate), from_oxigraph_term(t.object)))
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        return g

    def export(self, out: IO[bytes] | str | os.PathLike, format: str = "ttl", graphs: Sequence[str] | None = None) -> None:
        import pyoxigraph as ox

        fmt = rdf_format(format)
        present = self._known_graphs(graphs or ())
        names = list(graphs) if graphs else list(present)
        with tempfile.TemporaryDirectory(prefix="crimekg-export-") as tmp:
            files = []
            for i, name in enumerate(names):  # each graph streamed to a file: memory stays flat
                path = Path(tmp) / f"{i}.nt"
                with open(path, "wb") as f:
                    self._download(name, f)
                files.append((name, path))

            def quads() -> Iterator[Any]:
                for name, path in files:
                    node = ox.NamedNode(name)
                    for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
                        yield ox.Quad(t.subject, t.predicate, t.object, node) if fmt.supports_datasets else ox.Triple(t.subject, t.predicate, t.object)

            if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
                if isinstance(out, (str, os.PathLike)):
                    from crimekg.graph.outputs import output_file

                    with output_file(out, "wb") as f:
                        ox.serialize(quads(), f, fmt)
                else:
                    ox.serialize(quads(), out, fmt)
                return
            data = ox.serialize(quads(), format=fmt, prefixes=dict(PREFIXES))
            if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
                data = tidy_prefixes(data)
        self._write_out(out, data)

    # -- locking -----------------------------------------------------------------------------
    def _lock_ttl(self) -> int:
        try:
            return int(os.environ.get("CRIMEKG_LOCK_TTL") or DEFAULT_LOCK_TTL)
        except ValueError:
            raise InvalidInput(f"CRIMEKG_LOCK_TTL={os.environ['CRIMEKG_LOCK_TTL']!r}: give a number of seconds") from None

    def _lock_holder(self) -> dict[str, str] | None:
        rows = self._select_raw(
            f"SELECT ?owner ?expires WHERE {{ GRAPH <{META}> {{ <{LOCK}> <{_CKG}lockOwner> ?owner OPTIONAL {{ <{LOCK}> <{_CKG}lockExpires> ?expires }} }} }}"
        )
        if not rows:
            return None
        return {"owner": rows[0]["owner"].value, "expires": rows[0]["expires"].value if "expires" in rows[0] else "?"}

    def _acquire(self) -> None:
        """Take the workspace's write lock, or refuse with who holds it."""
        from datetime import datetime, timedelta, timezone

        owner, expires = f"<{_CKG}lockOwner>", f"<{_CKG}lockExpires>"
        ttl = self._lock_ttl()
        for attempt in range(2):
            # this machine's clock decides (servers differ in their date arithmetic): an expired lock
            # goes first, then the lock is taken only if nobody holds it, in one request
            now = datetime.now(timezone.utc)
            stamp = f'"{now.isoformat().replace("+00:00", "Z")}"^^<{XSD}dateTime>'
            until = f'"{(now + timedelta(seconds=ttl)).isoformat().replace("+00:00", "Z")}"^^<{XSD}dateTime>'
            self._update(
                f"DELETE {{ GRAPH <{META}> {{ <{LOCK}> ?p ?o }} }} WHERE {{ GRAPH <{META}> {{ <{LOCK}> {expires} ?e ; ?p ?o "
                f"FILTER(?e < {stamp}) }} }} ;\n"
                f"INSERT {{ GRAPH <{META}> {{ <{LOCK}> {owner} \"{self._token}\" ; {expires} {until} }} }} "
                f"WHERE {{ FILTER NOT EXISTS {{ GRAPH <{META}> {{ <{LOCK}> {owner} ?someone }} }} }}",
                what="update (taking the write lock)",
            )
            holder = self._lock_holder()
            if holder is not None and holder["owner"] == self._token:
                return
            if holder is not None and attempt == 0 and self._stale(holder["owner"]):
                self._release(holder["owner"])
                continue
            who = holder["owner"] if holder else "another writer"
            until = f" until {holder['expires']}" if holder else ""
            raise StoreLocked(
                f"the workspace on {self.location} is being written by another crimekg command ({who}, lock held{until}); "
                "wait for it to finish and try again"
            )

    def _stale(self, owner: str) -> bool:
        """A lock left by a process of this machine that no longer runs."""
        host, _, rest = owner.partition("/")
        pid = rest.split("/", 1)[0]
        if host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _release(self, owner: str | None = None) -> None:
        self._update(self._release_update(owner or self._token), what="update (releasing the write lock)")

    @staticmethod
    def _release_update(owner: str) -> str:
        return (
            f"DELETE {{ GRAPH <{META}> {{ <{LOCK}> ?p ?o }} }} WHERE {{ GRAPH <{META}> {{ <{LOCK}> <{_CKG}lockOwner> "
            f"{json.dumps(owner)} ; ?p ?o }} }}"
        )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            try:
                self._release()
            except StoreError:
                pass  # the server went away: the lock expires (or this machine sees its owner gone)

    # -- writing -----------------------------------------------------------------------------
    def write(self, changes: Changeset) -> None:
        if changes.is_empty():
            return
        import pyoxigraph as ox

        def upload(target: str, fill: Any) -> None:
            with tempfile.TemporaryFile() as f:
                fill(f)
                self._upload(target, f, replace=False, new=True)  # a staging graph, or a new one: journaled

        with self._locked():
            content = [g for g in (*changes.replace, *changes.add) if changes.replace.get(g) or changes.add.get(g) or changes.ntriples.get(g)]
            staged = self._targets(content)
            self._journal(staged.values())
            try:
                for g, s in staged.items():
                    triples = changes.replace.get(g) or changes.add.get(g) or []
                    text = changes.ntriples.get(g, "")

                    def fill(f: IO[bytes], triples: Any = triples, text: Any = text) -> None:
                        ox.serialize(
                            (ox.Triple(to_oxigraph_term(a), to_oxigraph_term(b), to_oxigraph_term(c)) for a, b, c in triples),
                            f, ox.RdfFormat.N_TRIPLES,
                        )
                        write_ntriples(f, text)  # str, bytes or a file of them
                        f.seek(0)

                    upload(s, fill)
                ops = [f"DROP SILENT GRAPH <{g}>" for g in sorted(changes.drop) if staged.get(g) != g]
                for g in changes.replace:
                    if staged.get(g) == g:
                        continue  # a new graph, written in place under the journal
                    ops.append(f"DROP SILENT GRAPH <{g}>")
                    if g in staged:
                        ops += _move(staged[g], g)
                for g in changes.add:
                    if g in staged and staged[g] != g:
                        ops += _move(staged[g], g)
                self._commit(ops)
            except BaseException:
                self._undo(staged.values())
                raise

    def _targets(self, graphs: Iterable[str]) -> dict[str, str]:
        """Where each graph's new content is uploaded: a graph the server does not hold yet is written
        in place (the journal lists it, so a failed write drops it; this spares the server a MOVE),
        one it holds goes to a staging graph that the commit moves into place."""
        rows = self._select_raw("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        present = {r["g"].value for r in rows}
        return {g: (STAGING + uuid.uuid4().hex if g in present else g) for g in graphs}

    def _journal(self, staging: Iterable[str]) -> None:
        """Record the staging graphs about to be filled, so that a failed write's leftovers are dropped."""
        names = ", ".join(f"<{s}>" for s in staging)
        if names:
            self._update(
                f"INSERT DATA {{ GRAPH <{JOURNAL}> {{ <{JOURNAL}> <{_CKG}pendingGraph> {names} }} }}",
                what="update (writing the journal)",
            )

    def _commit(self, ops: list[str]) -> None:
        """The one request that makes a write visible: the moves, the journal cleared, the lock released."""
        ops = [*ops, f"DROP SILENT GRAPH <{JOURNAL}>", self._release_update(self._token)]
        self._update(" ;\n".join(ops), what="update (committing the write)")
        self._graph_cache = None

    def _undo(self, staging: Iterable[str]) -> None:
        """Drop a failed write's staging graphs and its journal; when the server cannot be reached the
        journal stays, and the next command drops them."""
        ops = [f"DROP SILENT GRAPH <{s}>" for s in staging] + [f"DROP SILENT GRAPH <{JOURNAL}>"]
        try:
            self._update(" ;\n".join(ops), what="update (dropping a failed write's staging graphs)")
        except StoreError:
            pass

    def _leftovers(self) -> list[str]:
        rows = self._select_raw(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), {json.dumps(INTERNAL)})) }}")
        found = [r["g"].value for r in rows if r["g"].value.startswith(STAGING) or r["g"].value == JOURNAL]
        if JOURNAL in found:  # with the graphs a failed write was creating in place
            pending = self._select_raw(f"SELECT ?g WHERE {{ GRAPH <{JOURNAL}> {{ ?j <{_CKG}pendingGraph> ?g }} }}")
            found += [r["g"].value for r in pending if r["g"].value not in found]
        return found

    def _recover(self) -> None:
        """Drop what a failed write left (its journal, staging graphs and the graphs it was creating),
        unless a live writer holds the lock (they are then its own)."""
        if not self._leftovers():
            return
        try:
            self._acquire()
        except StoreLocked:
            return
        try:
            leftovers = self._leftovers()  # again, now that no writer can change them
        except BaseException:
            self._release()
            raise
        self._commit([f"DROP SILENT GRAPH <{g}>" for g in leftovers if g != JOURNAL])

    def load(self, files: Sequence[str | os.PathLike], graph: str | None = None, *, format: str | None = None,
             replace: bool = True, force: bool = False) -> dict[str, int]:
        import pyoxigraph as ox

        jobs = load_jobs(files, graph, format, force=force)
        with tempfile.TemporaryDirectory(prefix="crimekg-load-") as tmp:
            # every file is parsed (which checks it) into one N-Triples file per graph before anything is sent
            parts: dict[str, Any] = {}
            try:
                for path, fmt, target in jobs:
                    if not fmt.supports_datasets:  # one graph: parsed and written out in one streamed call
                        out = parts.get(target)
                        if out is None:
                            out = parts[target] = open(Path(tmp) / f"{len(parts)}.nt", "wb")
                        ox.serialize(ox.parse(path=path, format=fmt, base_iri=Path(path).resolve().as_uri()), out, ox.RdfFormat.N_TRIPLES)
                        continue
                    for q in ox.parse(path=path, format=fmt, base_iri=Path(path).resolve().as_uri()):
                        name = target if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
                        out = parts.get(name)
                        if out is None:
                            if name != target:
                                check_writable(name, force=force, source=path)
                            out = parts[name] = open(Path(tmp) / f"{len(parts)}.nt", "wb")
                        out.write(str(ox.Triple(q.subject, q.predicate, q.object)).encode("utf-8") + b" .\n")
            except SyntaxError as exc:
                raise InvalidRDF(syntax_message(path, exc)) from exc
            except (OSError, ValueError) as exc:
                raise InvalidRDF(f"{path}: cannot be read as {fmt.name}: {exc}. Nothing was stored.") from exc
            finally:
                for out in parts.values():
                    out.close()
            for g, out in list(parts.items()):
                if Path(out.name).stat().st_size == 0:
                    del parts[g]
            for _p, fmt, target in jobs:  # an empty triples file still makes (or empties) its graph
                if target not in parts and not fmt.supports_datasets:
                    parts[target] = None
            before = {g: (0 if replace else self._count(g)) for g in parts}
            with self._locked():
                staged = self._targets([g for g in parts if parts[g] is not None])
                self._journal(staged.values())
                try:
                    for g, s in staged.items():
                        with open(parts[g].name, "rb") as body:
                            self._upload(s, body, new=True)  # a staging graph, or a new one: journaled
                    ops = []
                    for g in parts:
                        if staged.get(g) == g:
                            continue  # a new graph, written in place under the journal
                        if replace:
                            ops.append(f"DROP SILENT GRAPH <{g}>")
                            if g in staged:
                                ops += _move(staged[g], g)
                            else:
                                ops.append(f"CREATE SILENT GRAPH <{g}>")
                        elif g in staged:
                            ops += _move(staged[g], g)
                    self._commit(ops)
                except BaseException:
                    self._undo(staged.values())
                    raise
        return {g: self._count(g) - before[g] for g in sorted(parts)}

    def close(self) -> None:
        self._ds = None


def _move(source: str, target: str) -> list[str]:
    """The update operations that add a staging graph's triples to ``target`` and drop it: the long
    form SPARQL 1.1 Update gives for ``ADD`` (``INSERT ... WHERE`` then ``DROP``), spelled out because
    Apache Jena 4.5 (ARQ) answers ``ADD``/``MOVE``/``COPY`` from an existing named graph with an error,
    which ``SILENT`` turns into doing nothing. Blank nodes keep their identity: they are bound by the
    WHERE pattern, not written in the template.

    >>> _move("urn:s", "urn:g")
    ['INSERT { GRAPH <urn:g> { ?s ?p ?o } } WHERE { GRAPH <urn:s> { ?s ?p ?o } }', 'DROP SILENT GRAPH <urn:s>']
    """
    return [f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{source}> {{ ?s ?p ?o }} }}",
            f"DROP SILENT GRAPH <{source}>"]


# -- query text --------------------------------------------------------------------------------

_DATASET_TOKEN = None


def own_dataset(sparql: str) -> tuple[list[str], list[str]]:
    """The graphs a query's ``FROM`` and ``FROM NAMED`` clauses name (IRIs, or prefixed names that
    its PREFIX declarations or the workspace's prefixes expand), in order.

    >>> own_dataset("PREFIX ex: <urn:e:> SELECT * FROM <urn:g> FROM NAMED ex:h WHERE { ?s ?p 'FROM <urn:x>' }")
    (['urn:g'], ['urn:e:h'])
    """
    import re

    global _DATASET_TOKEN
    if _DATASET_TOKEN is None:  # strings and comments are tokens, so a FROM inside them is not a keyword
        _DATASET_TOKEN = re.compile(
            r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
            r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
            r'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*|(?:[A-Za-z_][\w.-]*)?:[\w.-]*|[A-Za-z_][\w-]*|\S',
            re.S,
        )
    prefixes = dict(PREFIXES)
    tokens = [m.group() for m in _DATASET_TOKEN.finditer(sparql)]
    defaults: list[str] = []
    named: list[str] = []

    def iri(token: str) -> str | None:
        if token.startswith("<") and token.endswith(">"):
            return token[1:-1]
        prefix, colon, local = token.partition(":")
        return prefixes[prefix] + local if colon and prefix in prefixes else None

    i = 0
    while i < len(tokens):
        word = tokens[i].upper()
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1].endswith(":"):
            prefixes[tokens[i + 1][:-1]] = tokens[i + 2][1:-1]
            i += 3
            continue
        if word == "FROM" and i + 1 < len(tokens):
            into, i = (named, i + 2) if tokens[i + 1].upper() == "NAMED" else (defaults, i + 1)
            found = iri(tokens[i]) if i < len(tokens) else None
            if found is not None:
                into.append(found)
        i += 1
    return defaults, named

_PREFIX_TEXT = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def _with_prefixes(sparql: str) -> str:
    """The workspace's prefixes, declared before the query's own (which win when they redefine one)."""
    return _PREFIX_TEXT + sparql


def _form(sparql: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE: the query's form."""
    for _pos, tok in sparql_tokens(sparql):
        if tok.upper() in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"):
            return tok.upper()
    return "SELECT"
