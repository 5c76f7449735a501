"""The crimekg workspace: an embedded Oxigraph store on disk, used through rdflib's API.

Every source lives in a named graph of its own (the ontology, the session, each session's
contributions, each import), so it can be replaced or dropped alone. Every write of one command
is one atomic pyoxigraph call (``Store.load``, ``Store.extend`` or ``Store.update``): rdflib's
``commit()``/``rollback()`` do nothing with oxrdflib, so a command builds and checks everything
first and then writes it in one of those calls, and a failure leaves nothing half-written. A
process killed in the middle of a write leaves the workspace as it was: new content goes first to
*staging* graphs that no listing or export shows, and one SPARQL update then moves it into place;
staging graphs left behind by a killed process are dropped the next time the workspace is opened.
(A big load fills its staging graphs outside a transaction, so a query run beside it, read-only,
can see them until it ends.) The workspace's secret, the key of its contribution identifiers, is
the file ``secret`` beside the store, where no query reaches.

Callers use only :class:`GraphStore`'s methods, so a remote SPARQL 1.1 endpoint can stand behind
the same interface later without touching them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import uuid
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from crimekg import ontology
from crimekg.graph import terms
from crimekg.graph.errors import (
    CrimeKGWarning,
    InvalidInput,
    InvalidQuery,
    InvalidRDF,
    StoreError,
    StoreLocked,
    StoreNotFound,
    StoreVersionMismatch,
    UnknownFormat,
    UnknownGraph,
)

__all__ = [
    "DEFAULT_STORE",
    "store_location",
    "PREFIXES",
    "FORMATS",
    "Changeset",
    "NTriplesFile",
    "write_ntriples",
    "bind_values",
    "sparql_tokens",
    "GraphStore",
    "OxigraphStore",
    "ReadOnlyOxigraphStore",
    "open_store",
    "is_remote",
    "open_store_for_reading",
    "init_store",
    "graph_iri",
    "graph_name",
    "check_writable",
    "load_jobs",
    "damaged_store",
    "build_aside",
    "is_corruption",
    "rdf_format",
    "read_rdf",
    "canonical_quads",
    "source_date",
    "names_dataset",
    "ill_typed_literals",
]

#: Where a workspace lives unless ``--store`` or ``CRIMEKG_STORE`` says otherwise.
DEFAULT_STORE = "./crimekg-data"

META = ontology.GRAPH + "meta"
INTERNAL = "urn:crimekg:"  # graphs that no listing or export shows
STAGING = INTERNAL + "staging:"
JOURNAL = INTERNAL + "journal"
#: A workspace's key for contribution identifiers. A server keeps it in this internal graph, which
#: the dataset crimekg names in every query leaves out; a directory keeps it in ``SECRET_FILE``
#: beside the store, where no query reaches (a query's default graph there is every graph's union).
SECRET_GRAPH = INTERNAL + "secret"
SECRET_PREDICATE = ontology.CKG + "workspaceSecret"
SECRET_FILE = "secret"
BULK_TRIPLES = 20_000  # writes at least this big use pyoxigraph's bulk loader
STAGE_DIR = "crimekg-staging"  # in the workspace directory: staged content and the commit file
COMMIT_FILE = "commit.json"
REBUILD_MIN = 20_000  # removing at least this many quads may empty and reload the store instead...
REBUILD_RATIO = 2  # ...when what is kept is less than this many times what is removed
#: Graphs crimekg itself writes; loading RDF into them needs ``force``.
RESERVED = tuple(ontology.GRAPH + n for n in ("meta", "ontology", "schemes", "places", "session", "shapes"))
BULK_BYTES = 2_000_000
#: The most N-Triples bytes one call of the bulk loader reads (a big staged file is loaded in slices).
LOAD_SLICE = 32 * 2**20
_XSD_STRING = rdflib.XSD.string

#: Prefixes used when writing Turtle, TriG and JSON-LD, and available to every query.
PREFIXES: dict[str, str] = {
    "ckg": ontology.CKG,
    "rdf": terms.RDF,
    "rdfs": terms.RDFS,
    "owl": terms.OWL,
    "xsd": terms.XSD,
    "skos": terms.SKOS,
    "prov": terms.PROV,
    "dct": terms.DCT,
    "dcat": terms.DCAT,
    "qb": terms.QB,
    "sh": terms.SH,
    "foaf": terms.FOAF,
    # a concept scheme's prefix is its name, but for the smuggling modes
    **{name: f"{ontology.CONCEPT}{name}/" for name in ("crime", "category", "topic", "actor", "level", "relation", "polarity", "exploitation", "control")},
    "mode": ontology.CONCEPT + "smuggling-mode/",
    "scheme": ontology.SCHEME,
    "place": ontology.PLACE,
    "m49": ontology.PLACE + "m49/",
    **{name: f"{ontology.DATA}{name}/" for name in ("factor", "link", "pattern", "source", "gap", "response")},
    "session": ontology.SESSION,
    "resource": ontology.RESOURCE,
}

#: Format names accepted by ``--format``, with the file extensions that imply them.
FORMATS: dict[str, tuple[ox.RdfFormat, tuple[str, ...]]] = {
    "ttl": (ox.RdfFormat.TURTLE, ("ttl", "turtle")),
    "trig": (ox.RdfFormat.TRIG, ("trig",)),
    "nt": (ox.RdfFormat.N_TRIPLES, ("nt", "ntriples")),
    "nq": (ox.RdfFormat.N_QUADS, ("nq", "nquads")),
    "jsonld": (ox.RdfFormat.JSON_LD, ("jsonld", "json-ld", "json")),
    "xml": (ox.RdfFormat.RDF_XML, ("rdf", "xml", "owl", "rdfxml")),
}


def rdf_format(name: str | None = None, filename: str | os.PathLike | None = None) -> ox.RdfFormat:
    """Return the pyoxigraph format for a ``--format`` name or, failing that, a file name.

    >>> rdf_format("ttl").name
    'Turtle'
    >>> rdf_format(filename="data/example.nq").name
    'N-Quads'
    """
    if name:
        key = name.lower().lstrip(".")
        for fmt, aliases in FORMATS.values():
            if key in aliases:
                return fmt
        raise UnknownFormat(f"unknown RDF format {name!r}; use one of: {', '.join(FORMATS)}")
    if filename is not None:
        suffixes = [s.lstrip(".").lower() for s in Path(filename).suffixes]
        if suffixes and suffixes[-1] == "gz":
            raise UnknownFormat(f"{filename}: compressed files are not read; decompress it first (gunzip)")
        if suffixes:
            for fmt, aliases in FORMATS.values():
                if suffixes[-1] in aliases:
                    return fmt
        raise UnknownFormat(
            f"{filename}: cannot tell the RDF format from the file name; "
            f"give --format ({', '.join(FORMATS)})"
        )
    raise UnknownFormat("no RDF format given")


def graph_iri(name: str) -> str:
    """Return the IRI of a named graph given by short name or by IRI.

    >>> graph_iri("contributions/example-2026")
    'https://w3id.org/crimekg/graph/contributions/example-2026'
    >>> graph_iri("http://example.org/g")
    'http://example.org/g'
    """
    name = name.strip()
    if not name:
        raise UnknownGraph("a graph name cannot be empty")
    bad = sorted({c for c in name if c in '<>"{}|^`\\' or c.isspace() or ord(c) < 0x20})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise UnknownGraph(
            f"graph name {name!r} has characters an IRI cannot hold ({shown}); "
            "use letters, digits and - _ / : . (e.g. contributions/room-2 or urn:example:room-2)"
        )
    iri = name if ":" in name.split("/", 1)[0] else ontology.GRAPH + name
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise UnknownGraph(f"graph name {name!r} is not a valid IRI ({exc}); use a short name such as contributions/room-2, or a full IRI") from exc
    return iri


def graph_name(iri: str) -> str:
    """Return the short name of a crimekg graph IRI (other IRIs unchanged).

    >>> graph_name("https://w3id.org/crimekg/graph/ontology")
    'ontology'
    """
    return iri[len(ontology.GRAPH):] if iri.startswith(ontology.GRAPH) else iri


Triple = tuple[Node, Node, Node]


class NTriplesFile:
    """N-Triples kept in an anonymous temporary file: what a big import adds, written as it is made
    and read by :meth:`GraphStore.write`, so that hundreds of megabytes of text never sit in memory.

    ``checked`` says that every line was written from terms pyoxigraph made (so the text parses
    and holds no blank node): the store then skips checking it again before its commit point.

    >>> nt = NTriplesFile()
    >>> nt.write(b'<urn:a> <urn:p> "x" .\\n')
    >>> len(nt), nt.getvalue()
    (22, b'<urn:a> <urn:p> "x" .\\n')
    """

    def __init__(self, *, checked: bool = False) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile()  # no name on disk: gone when closed or collected
        self.size = 0
        self.checked = checked

    def write(self, data: bytes) -> None:
        """Append N-Triples bytes."""
        self._file.write(data)
        self.size += len(data)

    def __len__(self) -> int:
        return self.size

    def reader(self) -> IO[bytes]:
        """The file, from its start (one reader at a time)."""
        self._file.flush()
        self._file.seek(0)
        return self._file

    def getvalue(self) -> bytes:
        """The whole text (for small files)."""
        return self.reader().read()

    def close(self) -> None:
        self._file.close()


NTriplesText = str | bytes | NTriplesFile


def write_ntriples(out: IO[bytes], text: NTriplesText) -> None:
    """Write N-Triples text of any kind :class:`Changeset` holds to a binary stream, on a line of its own."""
    if not text:
        return
    out.write(b"\n")
    if isinstance(text, NTriplesFile):
        shutil.copyfileobj(text.reader(), out, 2**20)
    else:
        out.write(_utf8(text))


@dataclass
class Changeset:
    """Everything one command writes, applied by :meth:`GraphStore.write` in one transaction.

    ``replace`` maps a graph IRI to its complete new content; ``add`` maps a graph IRI to triples
    added to what it holds; ``drop`` lists graphs to remove. ``ntriples`` maps a graph IRI (one of
    ``replace`` or ``add``) to N-Triples text (``str``, UTF-8 ``bytes`` or an :class:`NTriplesFile`)
    stored with its triples: bulk imports build that text directly, as rdflib terms are too slow for
    hundreds of thousands of triples (see :meth:`add_ntriples`).

    >>> cs = Changeset()
    >>> cs.add_triples("https://w3id.org/crimekg/graph/x", [])
    >>> cs.is_empty()
    True
    """

    replace: dict[str, list[Triple]] = field(default_factory=dict)
    add: dict[str, list[Triple]] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    ntriples: dict[str, NTriplesText] = field(default_factory=dict)

    def replace_graph(self, iri: str, triples: Iterable[Triple], ntriples: NTriplesText = "") -> None:
        """Make ``triples`` (plus the N-Triples text ``ntriples``) the whole content of graph ``iri``."""
        self.replace[iri] = list(triples)
        self.add.pop(iri, None)
        self.drop.discard(iri)
        self.ntriples.pop(iri, None)
        if ntriples:
            self.ntriples[iri] = ntriples

    def add_triples(self, iri: str, triples: Iterable[Triple]) -> None:
        """Add ``triples`` to graph ``iri`` (or to its replacement, if one is pending)."""
        target = self.replace if iri in self.replace else self.add
        target.setdefault(iri, []).extend(triples)

    def add_ntriples(self, iri: str, data: NTriplesText) -> None:
        """Add N-Triples text (``str``, UTF-8 ``bytes`` or an :class:`NTriplesFile`) to graph ``iri``
        (or to its pending replacement).

        >>> cs = Changeset()
        >>> cs.add_ntriples("urn:g", b'<urn:a> <urn:p> "x" .\\n')
        >>> cs.add_ntriples("urn:g", '<urn:a> <urn:p> "y" .\\n')
        >>> cs.ntriples["urn:g"].count(b"\\n"), "urn:g" in cs.add
        (2, True)
        """
        if not data:
            return
        if iri not in self.replace:
            self.add.setdefault(iri, [])
        old = self.ntriples.get(iri)
        if not old:
            self.ntriples[iri] = data
        elif isinstance(old, NTriplesFile) or isinstance(data, NTriplesFile):
            both = NTriplesFile(checked=getattr(old, "checked", False) and getattr(data, "checked", False))
            for part in (old, data):
                with _Counted(both) as out:
                    write_ntriples(out, part)
            self.ntriples[iri] = both
        elif isinstance(old, bytes) or isinstance(data, bytes):
            self.ntriples[iri] = _utf8(old) + (b"" if _utf8(old).endswith(b"\n") else b"\n") + _utf8(data)
        else:
            self.ntriples[iri] = old + ("" if old.endswith("\n") else "\n") + data

    def drop_graph(self, iri: str) -> None:
        """Remove graph ``iri`` and everything in it."""
        self.replace.pop(iri, None)
        self.add.pop(iri, None)
        self.ntriples.pop(iri, None)
        self.drop.add(iri)

    def is_empty(self) -> bool:
        """True when applying the changeset would change nothing."""
        return not self.drop and not self.replace and not any(self.add.values()) and not any(self.ntriples.values())


class GraphStore(ABC):
    """What every crimekg command sees of a workspace, whatever stands behind it."""

    location: str

    # -- reading -------------------------------------------------------------------------------
    @property
    @abstractmethod
    def dataset(self) -> rdflib.Dataset:
        """The workspace as an rdflib ``Dataset`` whose default graph is the union of all graphs."""

    @abstractmethod
    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> rdflib.query.Result:
        """Run a SPARQL query over the union of all graphs (or the graphs its FROM / FROM NAMED name);
        ``bindings`` are bound as values: every pattern and filter of the outer query sees them,
        whether the SELECT clause projects the variable or not.
        """

    def select(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[dict[str, Node]]:
        """Run a SELECT query and return its rows as dicts (unbound variables left out)."""
        result = self.query(sparql, bindings)
        if result.type != "SELECT":
            raise InvalidQuery(f"expected a SELECT query, got {result.type}")
        names = [str(v) for v in result.vars]
        return [
            {n: _plain(row[i]) for i, n in enumerate(names) if row[i] is not None}
            for row in result
        ]

    def construct(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> rdflib.Graph:
        """Run a CONSTRUCT or DESCRIBE query and return its triples as an rdflib ``Graph``."""
        result = self.query(sparql, bindings)
        if result.type not in ("CONSTRUCT", "DESCRIBE"):
            raise InvalidQuery(f"expected a CONSTRUCT or DESCRIBE query, got {result.type}")
        g = rdflib.Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        for s, p, o in result.graph:
            g.add((s, p, _plain(o)))
        return g

    # -- the workspace secret -------------------------------------------------------------------
    def read_secret(self) -> bytes | None:
        """The workspace's key for contribution identifiers, or None while it has none."""
        rows = self.select(f"SELECT ?s FROM NAMED <{SECRET_GRAPH}> WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?w <{SECRET_PREDICATE}> ?s }} }}")
        return bytes.fromhex(sorted(str(r["s"]) for r in rows)[0]) if rows else None

    def keep_secret(self, secret: bytes, changes: Changeset) -> None:
        """Keep a new secret: stored by the write of ``changes``, with what is keyed by it."""
        changes.add_triples(SECRET_GRAPH, [(rdflib.URIRef(SECRET_GRAPH), rdflib.URIRef(SECRET_PREDICATE), rdflib.Literal(secret.hex()))])

    @abstractmethod
    def graphs(self) -> dict[str, int]:
        """Return every named graph's IRI with the number of triples it holds."""

    @abstractmethod
    def graph_triples(self, iri: str | None = None) -> rdflib.Graph:
        """Copy one named graph (or, with ``None``, the union of all) into an in-memory rdflib Graph."""

    @abstractmethod
    def export(self, out: IO[bytes] | str | os.PathLike, format: str = "ttl", graphs: Sequence[str] | None = None) -> None:
        """Write the workspace, or the given graphs, to ``out`` in an RDF format."""

    # -- writing -------------------------------------------------------------------------------
    @abstractmethod
    def write(self, changes: Changeset) -> None:
        """Apply ``changes`` atomically: all of them, or (on any failure) none."""

    @abstractmethod
    def load(self, files: Sequence[str | os.PathLike], graph: str | None = None, *, format: str | None = None, replace: bool = True, force: bool = False) -> dict[str, int]:
        """Parse RDF files and store them all or not at all; return triples stored per graph.

        Internal graphs are refused; the reserved ones (``meta``, ``ontology``...) need ``force``.
        """

    def drop(self, iris: Iterable[str]) -> None:
        """Remove the given named graphs in one transaction."""
        iris = list(iris)
        self._known_graphs(iris)
        changes = Changeset()
        for iri in iris:
            changes.drop_graph(iri)
        self.write(changes)

    # -- shared by the stores' exports ---------------------------------------------------------
    def _known_graphs(self, iris: Iterable[str | None]) -> dict[str, int]:
        """:meth:`graphs`, once every IRI of ``iris`` (``None`` stands for all) is found among them."""
        present = self.graphs()
        for iri in iris:
            if iri is not None and iri not in present:
                raise UnknownGraph(f"no graph {graph_name(iri)!r} in {self.location}; `crimekg graphs` lists them")
        return present

    @staticmethod
    def _write_out(out: IO[bytes] | str | os.PathLike, data: bytes) -> None:
        """Write an export's bytes to a binary stream, or to the file a path names."""
        if isinstance(out, (str, os.PathLike)):
            from crimekg.graph.outputs import write_output

            write_output(out, data)
        else:
            out.write(data)

    # -- metadata ------------------------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        """Return what the workspace records about itself (versions, creation time)."""
        rows = self.select(
            "SELECT ?g ?p ?o WHERE { GRAPH ?g { ?g ?p ?o } }", {"g": rdflib.URIRef(META)}
        )
        return {str(r["p"]).rsplit("#", 1)[-1]: str(r["o"]) for r in rows}

    def close(self) -> None:
        """Release the workspace."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plain(term: Node) -> Node:
    """Oxigraph types plain strings as xsd:string; rdflib compares those unequal to plain literals."""
    if isinstance(term, rdflib.Literal) and term.datatype == _XSD_STRING:
        return rdflib.Literal(str(term))
    return term


def to_oxigraph_term(term: Node) -> Any:
    """The pyoxigraph term for an rdflib term (IRI, blank node or literal)."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store {term!r} in RDF")


def from_oxigraph_term(term: Any) -> Node:
    """The rdflib term for a pyoxigraph term; plain xsd:string literals come back as plain literals."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(_XSD_STRING):  # a URIRef never equals a plain str
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def read_rdf(path: str | os.PathLike, format: str | None = None) -> rdflib.Graph:
    """Parse an RDF file (any format, graph names merged) into an in-memory rdflib Graph.

    Errors name the file, line and column, as ``crimekg load`` does.
    """
    fmt = rdf_format(format, path)
    if not Path(path).is_file():
        raise InvalidRDF(f"{path}: no such file")
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(str(path))
    g = rdflib.Graph()
    try:
        for q in ox.parse(path=str(path), format=fmt, base_iri=Path(path).resolve().as_uri()):
            g.add((from_oxigraph_term(q.subject), from_oxigraph_term(q.predicate), from_oxigraph_term(q.object)))
    except SyntaxError as exc:
        raise InvalidRDF(_syntax_message(str(path), exc, "Fix the file and try again.")) from exc
    except (OSError, ValueError, MemoryError) as exc:
        raise InvalidRDF(_unreadable(path, fmt, exc)) from exc
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


#: How deep an RDF/XML document may nest its elements: Oxigraph's parser slows down with the square
#: of the depth (40,000 levels take about a minute); real documents nest a few dozen.
MAX_XML_DEPTH = 1_000


def _check_xml(path: str) -> None:
    """Oxigraph accepts a truncated RDF/XML document as empty; expat does not. A document nested
    deeper than :data:`MAX_XML_DEPTH` is refused before Oxigraph reads it."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    depth = 0

    def start(_name: str, _attrs: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise InvalidRDF(
                f"{path}: line {parser.CurrentLineNumber}: the RDF/XML nests more than {MAX_XML_DEPTH:,} elements deep; "
                f"write the nested descriptions side by side (rdf:nodeID or rdf:about), or load the data as Turtle. {_NOTHING_STORED}"
            )

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.buffer_text = True
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except expat.ExpatError as exc:
        raise InvalidRDF(
            f"{path}: line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
            f"({expat.ErrorString(exc.code)}). {_NOTHING_STORED}"
        ) from exc


_NOTHING_STORED = "Nothing from this command was stored; fix the file and load it again."


def _unreadable(path: str | os.PathLike, fmt: ox.RdfFormat, exc: BaseException) -> str:
    """One line for a file the parser cannot take: unreadable, not text, or a term over the parser's
    16 MiB limit (Oxigraph's own bound on one literal or IRI)."""
    if isinstance(exc, MemoryError):
        return (f"{path}: a literal or IRI is longer than the 16 MiB crimekg can read as {fmt.name}; "
                "split the text, or keep it in a file of its own and link to it.")
    return f"{path}: cannot be read as {fmt.name}: {exc}."


def _syntax_message(path: str, exc: SyntaxError, tail: str = _NOTHING_STORED) -> str:
    where = f"line {exc.lineno}, column {exc.offset}" if exc.lineno else "unknown position"
    text = str(exc.msg if hasattr(exc, "msg") else exc)
    # pyoxigraph's message repeats the position; keep only its explanation
    if ": " in text and text.startswith("Parser error"):
        text = text.split(": ", 1)[1]
    return f"{path}: {where}: {text}. {tail}"


class OxigraphStore(GraphStore):
    """A workspace in a directory, held by embedded Oxigraph and opened through ``oxrdflib``.

    >>> import tempfile, rdflib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         cs = Changeset()
    ...         cs.replace_graph(graph_iri("demo"), [(rdflib.URIRef("urn:a"), rdflib.RDFS.label, rdflib.Literal("A"))])
    ...         store.write(cs)
    ...         store.select("SELECT ?l WHERE { <urn:a> rdfs:label ?l }")
    [{'l': rdflib.term.Literal('A')}]
    """

    def __init__(self, location: str | os.PathLike, *, create: bool = False):
        self.location = str(location)
        path = Path(location)
        if not create and not _is_workspace(path):
            raise StoreNotFound(
                f"no crimekg workspace at {self.location}; create one with `crimekg init {self.location}`"
                " or name another with --store / CRIMEKG_STORE"
            )
        try:
            self._ds = rdflib.Dataset(store="Oxigraph", default_union=True)
            self._ds.open(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreLocked(
                    f"the workspace {self.location} is open in another process (a running crimekg "
                    "command or server); wait for it to finish, or stop it, and try again"
                ) from exc
            raise damaged_store(self.location, exc) from exc
        except RuntimeError as exc:
            if not is_corruption(exc):
                raise
            raise damaged_store(self.location, exc) from exc
        for prefix, ns in PREFIXES.items():
            self._ds.bind(prefix, ns)
        # oxrdflib exposes its pyoxigraph Store only under this name; this is the one place that reaches it.
        self._ox: ox.Store = self._ds.store._inner
        self._recover()
        self._move_secret_out()

    # -- reading -------------------------------------------------------------------------------
    @property
    def dataset(self) -> rdflib.Dataset:
        return self._ds

    @property
    def oxigraph(self) -> ox.Store:
        """The workspace's own pyoxigraph Store, for callers that query it natively (the fast path)."""
        return self._ox

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> rdflib.query.Result:
        try:
            try:
                return self._run_query(sparql, bindings)
            except RuntimeError as exc:
                if not bindings or "projection" not in str(exc):
                    raise
                # Oxigraph substitutes only variables that the SELECT clause projects: the others
                # are bound by a VALUES block at the start of the WHERE clause, as on a server
                return self._run_query(bind_values(sparql, bindings), None)
        except SyntaxError as exc:
            raise InvalidQuery(f"SPARQL syntax error: {exc.msg if hasattr(exc, 'msg') else exc}") from exc
        except (OSError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise InvalidQuery(f"the query could not run: {exc}") from exc

    def _run_query(self, sparql: str, bindings: Mapping[str, Node] | None) -> rdflib.query.Result:
        if names_dataset(sparql):  # FROM / FROM NAMED: the query's own dataset, not the union
            return self._ds.store.query(sparql, dict(PREFIXES), dict(bindings or {}), "query-dataset")
        return self._ds.query(sparql, initNs=PREFIXES, initBindings=dict(bindings or {}))

    def graphs(self) -> dict[str, int]:
        counts = {
            s["g"].value: int(s["n"].value)
            for s in self._ox.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        }
        for g in self._ox.named_graphs():
            counts.setdefault(g.value, 0)
        return {g: n for g, n in sorted(counts.items()) if not g.startswith(INTERNAL)}

    def graph_triples(self, iri: str | None = None) -> rdflib.Graph:
        if iri is not None:
            self._known_graphs([iri])
        data = self._dump_raw(ox.RdfFormat.N_TRIPLES, [iri] if iri else None, canonical=False)
        g = rdflib.Graph()
        g.parse(data=data, format="nt")
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        return g

    def export(self, out: IO[bytes] | str | os.PathLike, format: str = "ttl", graphs: Sequence[str] | None = None) -> None:
        fmt = rdf_format(format)
        self._known_graphs(graphs or ())
        self._write_out(out, self._dump(fmt, list(graphs) if graphs else None))

    def _dump(self, fmt: ox.RdfFormat, graphs: list[str] | None) -> bytes:
        data = self._dump_raw(fmt, graphs)
        if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            data = tidy_prefixes(data)
        return data

    def _dump_raw(self, fmt: ox.RdfFormat, graphs: list[str] | None, *, canonical: bool = True) -> bytes:
        # reproducible output: blank nodes get canonical (RDFC-1.0) labels and a stable order, so the
        # same content always gives the same bytes, however it was loaded or rebuilt; in-memory copies
        # (graph_triples) skip that work
        prefixes = dict(PREFIXES)
        if not canonical and graphs is not None and len(graphs) == 1 and not fmt.supports_datasets:
            return self._ox.dump(format=fmt, from_graph=ox.NamedNode(graphs[0]), prefixes=prefixes)
        if not canonical and graphs is None and not fmt.supports_datasets:
            where = "GRAPH ?g { ?s ?p ?o } FILTER(!STRSTARTS(STR(?g), \"" + INTERNAL + "\"))"
            return ox.serialize(self._ox.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}"), format=fmt, prefixes=prefixes)
        if graphs is None:
            quads = (q for q in self._ox if not isinstance(q.graph_name, ox.NamedNode) or not q.graph_name.value.startswith(INTERNAL))
        else:
            quads = (q for g in graphs for q in self._ox.quads_for_pattern(None, None, None, ox.NamedNode(g)))
        if fmt.supports_datasets:
            return ox.serialize(canonical_quads(quads), format=fmt, prefixes=prefixes)
        return ox.serialize(canonical_quads(quads, union=True), format=fmt, prefixes=prefixes)

    # -- writing -------------------------------------------------------------------------------
    def write(self, changes: Changeset) -> None:
        if changes.is_empty():
            return
        total = sum(len(t) for t in changes.replace.values()) + sum(len(t) for t in changes.add.values())
        bulk = total >= BULK_TRIPLES or sum(len(t) for t in changes.ntriples.values()) >= BULK_BYTES
        try:
            if not bulk and not changes.replace and not changes.drop and not changes.ntriples:
                # a few additions: one extend() is one transaction
                self._ox.extend(
                    ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), ox.NamedNode(g))
                    for g, triples in changes.add.items()
                    for s, p, o in triples
                )
                return
            touched = {*changes.replace, *changes.add, *changes.drop}
            existing = {g: self._count(g) for g in touched if self._has_graph(g)}
            if bulk or sum(existing.values()) >= BULK_TRIPLES:
                self._write_journaled(changes, existing)
            else:
                self._write_in_one_update(changes)
        except (OSError, ValueError, TypeError, SyntaxError) as exc:
            committed = self._committed()
            self._recover()
            if committed:
                raise StoreError(f"writing to {self.location} failed after its commit point; it was completed when retried: {exc}") from exc
            raise StoreError(f"writing to {self.location} failed, nothing was changed: {exc}") from exc
        except BaseException:
            # Ctrl-C after the commit point leaves the rest to the next open (it rolls forward)
            if not self._committed() and not self._busy():
                self._recover()
            raise

    def _write_in_one_update(self, changes: Changeset) -> None:
        """Small writes: staging graphs, then one SPARQL update moves them into place."""
        where: dict[str, str] = {}
        for g in (*changes.replace, *changes.add):
            if changes.replace.get(g) or changes.add.get(g) or changes.ntriples.get(g):
                where[g] = g if not self._has_graph(g) else STAGING + uuid.uuid4().hex
        self._journal(g for g, w in where.items() if g == w)
        self._ox.extend(
            ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), ox.NamedNode(where[g]))
            for kind in (changes.replace, changes.add)
            for g, triples in kind.items()
            for s, p, o in triples
        )
        for g, text in changes.ntriples.items():
            if text:
                data = text.reader() if isinstance(text, NTriplesFile) else _utf8(text)
                self._ox.load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(where[g]))
        staged = {g: w for g, w in where.items() if g != w}
        self._ox.update(self._commit_update(changes, staged))

    def _write_journaled(self, changes: Changeset, existing: Mapping[str, int]) -> None:
        """Big writes: new graphs are written in place under the journal; the new content of existing
        graphs is staged in files, then a commit file makes the write happen (see :meth:`_roll_forward`).

        Additions to a graph that exists are loaded on top of it after the commit point: loading the
        same triples again adds nothing, so a roll-forward after a kill gives the same graph. (Blank
        nodes get new names at every load, so additions holding any are staged with the graph's
        present content, which replaces it as a whole.)"""
        has_content = {g for g in (*changes.replace, *changes.add) if changes.replace.get(g) or changes.add.get(g) or changes.ntriples.get(g)}
        in_place = sorted(g for g in has_content if g not in existing)
        self._journal(in_place)
        bulk_quads = (
            ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), ox.NamedNode(g))
            for kind in (changes.replace, changes.add)
            for g, triples in kind.items() if g in in_place
            for s, p, o in triples
        )
        self._ox.bulk_extend(bulk_quads)
        for g in in_place:
            text = changes.ntriples.get(g)
            if text:
                self._bulk_load_text(text, g)
        remove = set(changes.drop) | {g for g in existing if g in changes.replace}
        loads: list[dict[str, Any]] = []
        for g in sorted(has_content & set(existing)):
            additions = g in changes.add and g not in remove
            text = changes.ntriples.get(g)
            checked = not text or getattr(text, "checked", False)  # the triples are written by pyoxigraph: they parse
            path = self._stage_file(".nt")
            with open(path, "wb") as f:
                triples = changes.replace.get(g) or changes.add.get(g) or []
                if triples:
                    ox.serialize((ox.Triple(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o)) for s, p, o in triples), f, ox.RdfFormat.N_TRIPLES)
                write_ntriples(f, text)
                blank = bool(triples or not checked) and _has_blank_label(path, f)
                if additions and blank:  # the graph's present content too, and all replace it
                    self._ox.dump(f, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(g))
                    remove.add(g)
                _fsync(f)
            if not checked:
                _check_parses(path, ox.RdfFormat.N_TRIPLES)
            loads.append({"load": path.name, "format": "nt", "graph": g, "blank": blank})
        self._commit(self._plan_ops(sorted(remove), existing, loads))
        self._roll_forward()

    def _bulk_load_text(self, text: NTriplesText, graph: str) -> None:
        """Bulk-load N-Triples text into ``graph``, a slice at a time when it holds no blank node
        (see :meth:`_load_staged`)."""
        options = {"format": ox.RdfFormat.N_TRIPLES, "to_graph": ox.NamedNode(graph)}
        if isinstance(text, NTriplesFile):
            if text.checked:
                self._load_slices(text.reader(), options)
            else:
                self._call("bulk_load", input=text.reader(), **options)
            return
        data = _utf8(text)
        if b"_:" in data or len(data) <= LOAD_SLICE:
            self._call("bulk_load", input=data, **options)
        else:
            import io

            self._load_slices(io.BytesIO(data), options)

    def _load_slices(self, f: IO[bytes], options: Mapping[str, Any]) -> None:
        """Bulk-load N-Triples or N-Quads without blank nodes from ``f``, :data:`LOAD_SLICE` bytes
        (whole lines) per call: the loader's memory grows with what one call reads (about five
        times it), so a 2-million-triple import stays within a few hundred MB. Each call names
        blank nodes anew, hence none may be split across calls."""
        rest = b""
        while True:
            block = f.read(LOAD_SLICE)
            if not block:
                break
            data = rest + block
            cut = data.rfind(b"\n") + 1
            data, rest = data[:cut], data[cut:]
            if data:
                self._call("bulk_load", input=data, **options)
        if rest.strip():
            self._call("bulk_load", input=rest, **options)

    def _plan_ops(self, remove: Sequence[str], existing: Mapping[str, int], loads: list[dict[str, str]]) -> list[dict[str, Any]]:
        """The committed steps: remove the old graphs quad by quad or, when they are most of the
        workspace, empty the store and reload what is kept (much faster than deleting)."""
        old = sum(existing.get(g, 0) for g in remove)
        if old >= REBUILD_MIN:
            rest = len(self._ox) - old
            if rest < REBUILD_RATIO * old:
                path = self._stage_file(".nq")
                keep = [g for g in self._ox.named_graphs() if not g.value.startswith(INTERNAL) and g.value not in remove]
                quads = (q for g in [ox.DefaultGraph(), *keep] for q in self._ox.quads_for_pattern(None, None, None, g))
                with open(path, "wb") as f:
                    ox.serialize(quads, f, ox.RdfFormat.N_QUADS)
                    _fsync(f)
                return [{"clear_all": True}, {"create": [g.value for g in keep]}, {"load": path.name, "format": "nq"}, *loads]
        return [{"remove": list(remove)}, *loads]

    @staticmethod
    def _commit_update(changes: Changeset, staged: Mapping[str, str]) -> str:
        """The one transaction that makes a write visible; clearing the journal is its commit point."""
        ops = [f"DROP SILENT GRAPH <{g}>" for g in sorted(changes.drop)]
        for g in changes.replace:
            if g in staged:
                ops.append(f"MOVE SILENT GRAPH <{staged[g]}> TO GRAPH <{g}>")
            elif not (changes.replace[g] or changes.ntriples.get(g)):
                ops.append(f"DROP SILENT GRAPH <{g}>")
        for g in changes.add:
            if g in staged:
                ops.append(f"ADD SILENT GRAPH <{staged[g]}> TO GRAPH <{g}>")
                ops.append(f"DROP SILENT GRAPH <{staged[g]}>")
        ops.append(f"DROP SILENT GRAPH <{JOURNAL}>")
        return " ;\n".join(ops)

    def _journal(self, new_graphs: Iterable[str]) -> None:
        """Record graphs about to be created in place, so that a killed process's partial work is undone."""
        pending = ox.NamedNode(ontology.CKG + "pendingGraph")
        journal = ox.NamedNode(JOURNAL)
        self._ox.extend(ox.Quad(journal, pending, ox.NamedNode(g), journal) for g in new_graphs)

    # -- the commit file and recovery ------------------------------------------------------------
    @property
    def _stage_dir(self) -> Path:
        return Path(self.location) / STAGE_DIR

    def _stage_file(self, suffix: str) -> Path:
        self._stage_dir.mkdir(exist_ok=True)
        return self._stage_dir / (uuid.uuid4().hex + suffix)

    def _committed(self) -> bool:
        return getattr(self, "_ox", None) is not None and (self._stage_dir / COMMIT_FILE).is_file()

    def _commit(self, ops: list[dict[str, Any]]) -> None:
        """The commit point of a big write: the list of steps, written durably under its final name."""
        self._write_steps(ops)

    def _write_steps(self, ops: list[dict[str, Any]]) -> None:
        import json

        tmp = self._stage_file(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"steps": ops}, f)
            _fsync(f)
        os.replace(tmp, self._stage_dir / COMMIT_FILE)
        _fsync_dir(self._stage_dir)

    def _roll_forward(self) -> None:
        """Carry out a committed write from its first step. Every step can run again after a kill:
        each graph a load replaces is removed (or the store emptied) before, and additions without
        blank nodes, loaded again, add nothing, so nothing is doubled."""
        import json

        commit = self._stage_dir / COMMIT_FILE
        steps = json.loads(commit.read_text(encoding="utf-8"))["steps"]
        for step in steps:
            self._run_step(step)
        self._ox.update(f"DROP SILENT GRAPH <{JOURNAL}>")
        self._ox.flush()
        commit.unlink()
        _fsync_dir(self._stage_dir)
        self._clear_stage_dir()

    def _run_step(self, step: Mapping[str, Any]) -> None:
        if step.get("clear_all"):
            self._call("clear")
        for g in step.get("create", ()):
            self._ox.add_graph(ox.NamedNode(g))
        for g in step.get("remove", ()):
            self._remove_graph(g)
        if "load" in step:
            path = self._stage_dir / step["load"]
            fmt = ox.RdfFormat.N_QUADS if step["format"] == "nq" else ox.RdfFormat.N_TRIPLES
            self._load_staged(path, fmt, step.get("graph"), step.get("blank"))

    def _load_staged(self, path: Path, fmt: ox.RdfFormat, graph: str | None, blank: bool | None = None) -> None:
        """Load a staged N-Triples or N-Quads file: a small one in one transaction, a big one through
        the bulk loader, in slices (:meth:`_load_slices`) unless it may hold blank nodes (``blank``;
        looked for when None)."""
        options: dict[str, Any] = {"format": fmt}
        if graph:
            options["to_graph"] = ox.NamedNode(graph)
        size = path.stat().st_size
        if size < BULK_BYTES:
            self._call("load", path=str(path), **options)
        elif size <= LOAD_SLICE or (blank if blank is not None else _has_blank_label(path)):
            self._call("bulk_load", path=str(path), **options)
        else:
            with open(path, "rb") as f:
                self._load_slices(f, options)

    def _remove_graph(self, iri: str) -> None:
        """Delete a graph: one DELETE WHERE is about twice as fast as ``remove_graph`` or chunks."""
        self._call("update", f"DELETE WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} ;\nDROP SILENT GRAPH <{iri}>")

    def _clear_stage_dir(self) -> None:
        if self._stage_dir.is_dir():
            for f in self._stage_dir.iterdir():
                if f.name != COMMIT_FILE:
                    f.unlink()

    # -- the workspace secret: a file beside the store --------------------------------------------
    def read_secret(self) -> bytes | None:
        found = read_secret_file(Path(self.location))
        return found if found is not None else self._secret_in_graph()

    def keep_secret(self, secret: bytes, changes: Changeset) -> None:
        # written before the data it keys: a write that then fails leaves a secret nothing used yet
        write_secret_file(Path(self.location), secret)

    def _secret_in_graph(self) -> bytes | None:
        node = ox.NamedNode(SECRET_GRAPH)
        found = sorted(q.object.value for q in self._ox.quads_for_pattern(None, ox.NamedNode(SECRET_PREDICATE), None, node))
        return bytes.fromhex(found[0]) if found else None

    def _move_secret_out(self) -> None:
        """A workspace made before the secret had its own file kept it in a graph, which every
        query's default graph (the union) showed: move it into its file."""
        if not self._ox.contains_named_graph(ox.NamedNode(SECRET_GRAPH)):
            return
        secret = self._secret_in_graph()
        if secret is not None:
            write_secret_file(Path(self.location), secret)
        self._ox.update(f"DROP SILENT GRAPH <{SECRET_GRAPH}>")

    def _recover(self) -> None:
        """Finish a committed write (commit file present), or undo an unfinished one: drop the graphs
        it was creating, every staging graph and every staged file."""
        if self._committed():
            self._roll_forward()
            return
        doomed = [q.object.value for q in self._ox.quads_for_pattern(None, None, None, ox.NamedNode(JOURNAL))]
        doomed += [g.value for g in self._ox.named_graphs() if g.value.startswith(STAGING)]
        sizes = {g: self._count(g) for g in doomed}
        if sum(sizes.values()) >= BULK_TRIPLES:  # a big partial load: removed like a replaced graph
            self._write_steps(self._plan_ops(sorted(sizes), sizes, []))
            self._roll_forward()
            return
        if doomed or self._ox.contains_named_graph(ox.NamedNode(JOURNAL)):
            ops = [f"DROP SILENT GRAPH <{g}>" for g in doomed] + [f"DROP SILENT GRAPH <{JOURNAL}>"]
            self._ox.update(" ;\n".join(ops))
        self._clear_stage_dir()

    def load(self, files: Sequence[str | os.PathLike], graph: str | None = None, *, format: str | None = None, replace: bool = True, force: bool = False) -> dict[str, int]:
        jobs = load_jobs(files, graph, format, force=force)
        # a file goes straight into its graph when that graph is new and only it writes there (under
        # the journal); every other file is checked and staged, then committed and loaded
        targets = [t for _p, fmt, t in jobs if not fmt.supports_datasets]
        sole = not any(fmt.supports_datasets for _p, fmt, _t in jobs)
        before: dict[str, int] = {}
        written: list[str] = []
        existing: dict[str, int] = {}
        remove: set[str] = set()
        blanks: dict[str, bool] = {}
        loads: list[dict[str, str]] = []
        try:
            for path, fmt, target in jobs:
                if sole and targets.count(target) == 1 and not self._has_graph(target):
                    self._journal([target])
                    self._load_file(path, fmt, target)
                    written.append(target)
                    continue
                if fmt.supports_datasets:
                    staged, graphs = self._stage_dataset_file(path, fmt, target, force)
                    loads.append({"load": staged.name, "format": "nq"})
                else:
                    staged, graphs = self._stage_triples_file(path, fmt), [target]
                    loads.append({"load": staged.name, "format": "nt", "graph": target})
                for g in graphs:
                    if g in existing or g in written:
                        continue
                    written.append(g)
                    n = self._count(g) if self._has_graph(g) else 0
                    existing[g] = n
                    before[g] = 0 if replace else n
                    if replace or not n:
                        remove.add(g)
                    elif blanks.setdefault(staged.name, _has_blank_label(staged)):  # appending blank nodes: the present content is staged too
                        keep = self._stage_file(".nt")
                        with open(keep, "wb") as f:
                            self._ox.dump(f, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(g))
                            _fsync(f)
                        loads.insert(0, {"load": keep.name, "format": "nt", "graph": g})
                        remove.add(g)
                    # else appending: loaded on top of the graph after the commit point (loading the
                    # same triples twice adds nothing, so a roll-forward gives the same graph)
            if loads:
                self._commit(self._plan_ops(sorted(remove), existing, loads))
                self._roll_forward()
            else:
                self._ox.update(f"DROP SILENT GRAPH <{JOURNAL}>")
        except BaseException:
            if not self._committed() and not self._busy():
                self._recover()
            raise
        return {t: self._count(t) - before.get(t, 0) for t in sorted(written)}
    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run a long pyoxigraph call in a thread of its own, so that Ctrl-C is seen at once (Python
        handles signals in the main thread only, and a bulk load does not return to it). The call
        cannot be stopped: after Ctrl-C it goes on until the process ends, and the next open of the
        workspace undoes it (before the commit point) or finishes the write (after it)."""
        import threading

        outcome: dict[str, Any] = {}

        def run() -> None:
            # the bound method is looked up in the worker: the main thread keeps no reference to it
            try:
                outcome["result"] = getattr(self._ox, method)(*args, **kwargs)
            except BaseException as exc:  # handed to the main thread below
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="crimekg-write", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.05)
        except KeyboardInterrupt:
            self._abandoned = worker
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def _busy(self) -> bool:
        """True while a call abandoned on Ctrl-C still runs: the workspace is left to the next open."""
        worker = getattr(self, "_abandoned", None)
        return worker is not None and worker.is_alive()

    def _has_graph(self, iri: str) -> bool:
        return self._ox.contains_named_graph(ox.NamedNode(iri))

    def _count(self, iri: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
        return int(next(iter(self._ox.query(query)))["n"].value)

    def _load_file(self, path: str, fmt: ox.RdfFormat, target: str) -> None:
        # bulk_load is 3x faster on big files but not transactional: the journal and the staging
        # graphs make up for that (a partial load is dropped by _recover)
        # (no bound method of the store in a local: a traceback would keep the store, and its lock, alive)
        options = {"path": path, "format": fmt, "to_graph": ox.NamedNode(target), "base_iri": Path(path).resolve().as_uri()}
        try:
            self._call("bulk_load" if Path(path).stat().st_size >= BULK_BYTES else "load", **options)
        except SyntaxError as exc:
            raise InvalidRDF(_syntax_message(path, exc)) from exc
        except (OSError, ValueError, MemoryError) as exc:
            raise InvalidRDF(_unreadable(path, fmt, exc) + " Nothing was stored.") from exc

    def _stage_triples_file(self, path: str, fmt: ox.RdfFormat) -> Path:
        """Parse a triples file (which checks it) into a staged N-Triples file."""
        staged = self._stage_file(".nt")
        try:
            with open(staged, "wb") as out:
                # through a Python generator, so that Ctrl-C is seen while a big file is read
                quads = (q for q in ox.parse(path=path, format=fmt, base_iri=Path(path).resolve().as_uri()))
                ox.serialize(quads, out, ox.RdfFormat.N_TRIPLES)
                _fsync(out)
        except SyntaxError as exc:
            raise InvalidRDF(_syntax_message(path, exc)) from exc
        except (OSError, ValueError, MemoryError) as exc:
            raise InvalidRDF(_unreadable(path, fmt, exc) + " Nothing was stored.") from exc
        return staged

    def _stage_dataset_file(self, path: str, fmt: ox.RdfFormat, target: str, force: bool) -> tuple[Path, list[str]]:
        """A TriG/N-Quads file, staged as N-Quads: its default graph goes to ``target``, its named
        graphs keep their names (reserved ones only with ``force``)."""
        target_node = ox.NamedNode(target)
        graphs: dict[str, None] = {}

        def placed(q: Any) -> Any:
            if isinstance(q.graph_name, ox.DefaultGraph):
                graphs.setdefault(target)
                return ox.Quad(q.subject, q.predicate, q.object, target_node)
            name = q.graph_name.value
            if name not in graphs:
                check_writable(name, force=force, source=path)
                graphs[name] = None
            return q

        staged = self._stage_file(".nq")
        try:
            with open(staged, "wb") as out:
                ox.serialize((placed(q) for q in ox.parse(path=path, format=fmt, base_iri=Path(path).resolve().as_uri())), out, ox.RdfFormat.N_QUADS)
                _fsync(out)
        except SyntaxError as exc:
            raise InvalidRDF(_syntax_message(path, exc)) from exc
        except (OSError, ValueError, MemoryError) as exc:
            raise InvalidRDF(_unreadable(path, fmt, exc) + " Nothing was stored.") from exc
        return staged, list(graphs)

    def close(self) -> None:
        if self._busy():  # Ctrl-C during a long write: the next open undoes or finishes it
            self._ox = None
            return
        if getattr(self, "_ox", None) is not None:
            self._ox.flush()
            self._ds.close()
            self._ox = None


class ReadOnlyOxigraphStore(OxigraphStore):
    """A workspace opened for reading only (``pyoxigraph.Store.read_only``), beside a process that
    holds it for writing. It sees the data as of its opening: open it again to see later writes.
    It never writes, so it neither finishes nor undoes another process's unfinished write.
    """

    def __init__(self, location: str | os.PathLike):
        from oxrdflib import OxigraphStore as _OxrdflibStore

        self.location = str(location)
        path = Path(location)
        if not _is_workspace(path):
            raise StoreNotFound(
                f"no crimekg workspace at {self.location}; create one with `crimekg init {self.location}`"
                " or name another with --store / CRIMEKG_STORE"
            )
        inner = None
        for attempt in range(5):
            try:
                inner = ox.Store.read_only(str(path))
                break
            except OSError as exc:
                raise StoreError(f"cannot open the workspace {self.location} for reading: {exc}") from exc
            except RuntimeError as exc:
                # the writer beside us compacted a table file away between reading the file list and
                # opening the file: a fresh look finds the new list
                if attempt == 4 or "No such file" not in str(exc):
                    raise StoreError(f"cannot open the workspace {self.location} for reading: {exc}") from exc
                import time

                time.sleep(0.05 * (attempt + 1))
        self._ds = rdflib.Dataset(store=_OxrdflibStore(store=inner), default_union=True)
        for prefix, ns in PREFIXES.items():
            self._ds.bind(prefix, ns)
        self._ox = inner

    def keep_secret(self, secret: bytes, changes: Changeset) -> None:
        raise self._refuse()

    def _refuse(self) -> StoreError:
        return StoreError(
            f"the workspace {self.location} is open read-only here (another process holds it for writing); "
            "stop that process, or make the change through it, and try again"
        )

    def write(self, changes: Changeset) -> None:
        if not changes.is_empty():
            raise self._refuse()

    def load(self, files: Sequence[str | os.PathLike], graph: str | None = None, *, format: str | None = None, replace: bool = True, force: bool = False) -> dict[str, int]:
        raise self._refuse()

    def close(self) -> None:
        if getattr(self, "_ox", None) is not None:
            self._ds.close()
            self._ox = None


_TIDY_LIMIT = 20_000_000


def is_corruption(exc: BaseException) -> bool:
    """True when ``exc`` is the storage engine reporting damaged files (a checksum, a lost file)."""
    return isinstance(exc, (RuntimeError, OSError)) and str(exc).startswith(("Corruption:", "IO error:"))


def damaged_store(location: str, exc: BaseException) -> StoreError:
    """The one message for a workspace whose files cannot be read: what failed, and how to get back.

    >>> str(damaged_store("ws", RuntimeError("Corruption: CURRENT file corrupted")))[:58]
    'the workspace ws is damaged (Corruption: CURRENT file corr'
    """
    what = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return StoreError(
        f"the workspace {location} is damaged ({what}); restore it from your last export "
        f"(`crimekg init NEW`, then `crimekg load --force EXPORT.nq --store NEW`), "
        "or rebuild it from the sheets and files you imported"
    )


def load_jobs(files: Sequence[str | os.PathLike], graph: str | None, format: str | None, *, force: bool = False) -> list[tuple[str, ox.RdfFormat, str]]:
    """What ``load`` will do, checked before anything is read: (file, format, target graph) for each
    file; a missing file, an unknown format, a reserved graph or a hostile RDF/XML file is refused."""
    if not files:
        raise InvalidRDF("no file given to load")
    jobs = []
    for f in files:
        if not Path(f).is_file():
            raise InvalidRDF(f"{f}: no such file")
        fmt = rdf_format(format, f)
        target = graph_iri(graph) if graph else graph_iri("load/" + _stem(f))
        check_writable(target, force=force, source=str(f))
        jobs.append((str(f), fmt, target))
    for path, fmt, _target in jobs:
        if fmt == ox.RdfFormat.RDF_XML:
            _check_xml(path)
    return jobs


def check_writable(iri: str, *, force: bool = False, source: str | None = None) -> None:
    """Refuse a load into an internal graph (always) or a reserved one (unless ``force``).

    >>> check_writable("https://w3id.org/crimekg/graph/notes")
    >>> check_writable("urn:crimekg:journal")
    Traceback (most recent call last):
    ...
    crimekg.graph.errors.InvalidInput: urn:crimekg:journal is an internal graph of crimekg; load into another graph (--graph NAME)
    """
    where = f"{source}: " if source else ""
    if iri.startswith(INTERNAL):
        raise InvalidInput(f"{where}{iri} is an internal graph of crimekg; load into another graph (--graph NAME)")
    if iri in RESERVED and not force:
        raise InvalidInput(
            f"{where}graph {graph_name(iri)!r} is reserved for crimekg's own data and would be overwritten; "
            "load into another graph, or give --force to overwrite it"
        )


def _fsync(f: IO[Any]) -> None:
    f.flush()
    os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


class _Counted:
    """A binary stream that appends to an :class:`NTriplesFile` (keeping its size)."""

    def __init__(self, target: NTriplesFile) -> None:
        self.target = target

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def write(self, data: bytes) -> int:
        self.target.write(bytes(data))
        return len(data)


def _has_blank_label(path: Path, f: IO[bytes] | None = None) -> bool:
    """Whether an N-Triples or N-Quads file may hold a blank node (``_:`` anywhere, even in a literal)."""
    if f is not None:
        f.flush()
    import mmap

    with open(path, "rb") as r:
        if os.fstat(r.fileno()).st_size == 0:
            return False
        with mmap.mmap(r.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(b"_:") >= 0


def _check_parses(path: Path, fmt: ox.RdfFormat) -> None:
    """Parse a staged file once before the commit, so that loading it afterwards cannot fail on syntax."""
    for _quad in ox.parse(path=str(path), format=fmt):
        pass


_SPARQL_TOKEN = None


def names_dataset(sparql: str) -> bool:
    """True when a query names its dataset (``FROM`` or ``FROM NAMED``): then its default graph is
    what it names, and the union of all graphs only when it names none.

    >>> names_dataset("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }")
    True
    >>> names_dataset('SELECT ?from WHERE { ?s ex:from "FROM <x>" } # FROM')
    False
    """
    import re

    global _SPARQL_TOKEN
    if _SPARQL_TOKEN is None:  # comments, strings and IRIs are tokens, so a FROM inside them is not a keyword
        _SPARQL_TOKEN = re.compile(
            r'#[^\n]*'
            r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
            r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
            r'|"(?:[^"\\\n]|\\.)*"'
            r"|'(?:[^'\\\n]|\\.)*'"
            r'|<[^<>"{}|^`\\\s]*>'
            r'|[?$]?[A-Za-z_][\w.:-]*'
        )
    return any(m.group().upper() == "FROM" for m in _SPARQL_TOKEN.finditer(sparql))


_INTEGER = r"[+-]?\d+"
_LEXICAL = {
    "integer": _INTEGER, "int": _INTEGER, "long": _INTEGER, "short": _INTEGER, "byte": _INTEGER,
    "nonNegativeInteger": r"\+?\d+|-0+", "positiveInteger": r"\+?0*[1-9]\d*", "nonPositiveInteger": r"-\d+|\+?0+",
    "negativeInteger": r"-0*[1-9]\d*", "unsignedInt": r"\+?\d+", "unsignedLong": r"\+?\d+",
    "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
    "double": r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN", "float": r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN",
    "boolean": r"true|false|1|0",
    "date": r"(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?",
    "dateTime": r"(-?\d{4,})-(\d\d)-(\d\d)T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d\d:\d\d)?|(-?\d{4,})-(\d\d)-(\d\d)T24:00:00(\.0+)?(Z|[+-]\d\d:\d\d)?",
    "gYear": r"-?\d{4,}(Z|[+-]\d\d:\d\d)?",
    "gYearMonth": r"-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d\d:\d\d)?",
}
_LEXICAL_RE: dict[str, Any] = {}


def _well_typed(value: str, datatype: str) -> bool:
    import re

    local = datatype[len(str(rdflib.XSD)):] if datatype.startswith(str(rdflib.XSD)) else None
    if local not in _LEXICAL:
        return True  # only the XSD types crimekg knows are checked
    pattern = _LEXICAL_RE.get(local) or _LEXICAL_RE.setdefault(local, re.compile(_LEXICAL[local]))
    m = pattern.fullmatch(value)
    if m is None:
        return False
    if local in ("date", "dateTime") and m.group(1):
        import calendar

        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year if year > 0 else 2000, month)[1]
    return True


def ill_typed_literals(path: str | os.PathLike, format: str | None = None, *, limit: int = 20) -> list[str]:
    """Literals in an RDF file whose text is not a value of their XSD datatype (``"abc"^^xsd:integer``,
    ``"2020-13-45"^^xsd:date``), one message each (at most ``limit``; a last line counts the rest).

    The store keeps such a literal as written, but a query cannot compare or sum it.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "x.nt"
    ...     _ = p.write_text('<urn:a> <urn:n> "abc"^^<http://www.w3.org/2001/XMLSchema#integer> .\\n<urn:a> <urn:n> "01"^^<http://www.w3.org/2001/XMLSchema#integer> .\\n')
    ...     [m.split(": ", 1)[1] for m in ill_typed_literals(p)]
    ['"abc" is not a valid xsd:integer (subject <urn:a>, property <urn:n>)']
    """
    fmt = rdf_format(format, path)
    found: list[str] = []
    extra = 0
    try:
        for q in ox.parse(path=str(path), format=fmt, base_iri=Path(path).resolve().as_uri()):
            o = q.object
            if isinstance(o, ox.Literal) and not o.language and not _well_typed(o.value, o.datatype.value):
                if len(found) < limit:
                    dt = o.datatype.value.replace(str(rdflib.XSD), "xsd:")
                    found.append(f"{path}: \"{o.value}\" is not a valid {dt} (subject {q.subject}, property {q.predicate})")
                else:
                    extra += 1
    except SyntaxError as exc:
        raise InvalidRDF(_syntax_message(str(path), exc)) from exc
    except MemoryError as exc:
        raise InvalidRDF(_unreadable(path, fmt, exc) + " " + _NOTHING_STORED) from exc
    if extra:
        found.append(f"{path}: {extra} more ill-typed literal(s)")
    return found


def _has_blank(q: Any) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) or isinstance(q.graph_name, ox.BlankNode)


def _quad_key(q: Any) -> tuple[str, str, str, str]:
    return (str(q.graph_name) if not isinstance(q.graph_name, ox.DefaultGraph) else "", str(q.subject), str(q.predicate), str(q.object))


def canonical_quads(quads: Iterable[Any], *, union: bool = False, sort: bool = False) -> list[Any]:
    """Quads (pyoxigraph) in a reproducible order, blank nodes with canonical labels (RDFC-1.0).

    Graphs come in the order of their names. A graph that holds blank nodes is sorted (its blank
    nodes relabelled first); the others keep the store's own order, which depends only on their
    content (``sort=True`` sorts them too: slower on big graphs). With ``union=True`` the result
    is the triples of the union, without repeats. The same content gives the same list whatever
    labels its blank nodes had, so exports are byte-identical.

    >>> a = canonical_quads([ox.Quad(ox.BlankNode("x"), ox.NamedNode("urn:p"), ox.Literal("1"))])
    >>> b = canonical_quads([ox.Quad(ox.BlankNode("y"), ox.NamedNode("urn:p"), ox.Literal("1"))] * 2)
    >>> a == b, len(b)
    (True, 1)
    """
    groups: dict[str, list[Any]] = {}
    blank_graphs: set[str] = set()
    for q in quads:
        g = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        groups.setdefault(g, []).append(q)
        if g not in blank_graphs and _has_blank(q):
            blank_graphs.add(g)
    if blank_graphs:
        blank = [q for g in blank_graphs for q in groups[g] if _has_blank(q)]
        d = ox.Dataset(blank)
        d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        for g in blank_graphs:
            groups[g] = [q for q in groups[g] if not _has_blank(q)]
        for q in d:
            groups["" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)].append(q)
    out: list[Any] = []
    for g in sorted(groups):
        if sort or g in blank_graphs:
            out.extend(sorted(set(groups[g]), key=_quad_key))
        else:
            out.extend(dict.fromkeys(groups[g]))
    if union:
        return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in out))
    return out


def source_date() -> Any:
    """Now (UTC, to the second), or the time ``SOURCE_DATE_EPOCH`` gives, for reproducible builds.

    >>> import os
    >>> os.environ["SOURCE_DATE_EPOCH"] = "0"
    >>> source_date().isoformat()
    '1970-01-01T00:00:00+00:00'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise InvalidInput(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970; unset it or give an integer") from exc
    return datetime.now(timezone.utc).replace(microsecond=0)


def tidy_prefixes(data: bytes) -> bytes:
    """Sort the @prefix lines Oxigraph writes, and drop the unused ones (on files small enough to scan)."""
    header_end = 0
    lines = []
    while data.startswith(b"@prefix ", header_end):
        nl = data.index(b"\n", header_end) + 1
        lines.append(data[header_end:nl])
        header_end = nl
    body = data[header_end:]
    if len(body) < _TIDY_LIMIT:
        used = []
        for line in lines:
            name = line.split(b" ", 2)[1]  # b"ckg:"
            if body.find(name) >= 0:
                used.append(line)
        lines = used
    return b"".join(sorted(lines)) + (b"\n" if lines else b"") + body


def _stem(path: str | os.PathLike) -> str:
    name = Path(path).name
    stem = name.split(".", 1)[0] or name
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)


def _is_workspace(path: Path) -> bool:
    return path.is_dir() and (path / "CURRENT").is_file()


def store_location(location: str | os.PathLike | None = None) -> str:
    """Where the workspace is: ``location`` when given, else ``CRIMEKG_STORE``, else
    :data:`DEFAULT_STORE`. The one place that decides it, for the library and the command alike.

    >>> store_location("elsewhere")
    'elsewhere'
    """
    if location is not None and str(location) != "":
        return str(location)
    return os.environ.get("CRIMEKG_STORE") or DEFAULT_STORE


def open_store(location: str | os.PathLike | None = None, *, endpoints: Mapping[str, str | None] | None = None,
               read_only: bool = False) -> GraphStore:
    """Open an existing workspace (at :func:`store_location` of ``location``).

    A location that is an ``http(s)://`` URL is a workspace on a SPARQL 1.1 server; ``endpoints``
    (``query_endpoint``, ``update_endpoint``, ``gsp_endpoint``) name its endpoints where they are
    not where the URL implies.

    Warns with :class:`CrimeKGWarning` when an older crimekg made it, and raises
    :class:`StoreVersionMismatch` when a newer one did. With ``read_only=True`` the workspace opens
    for reading even while another process holds it for writing (see :class:`ReadOnlyOxigraphStore`).
    """
    location = store_location(location)
    if is_remote(location):  # a SPARQL 1.1 server
        from crimekg.graph.remote import RemoteStore

        store: GraphStore = RemoteStore(location, **(endpoints or {}))
    else:
        store = ReadOnlyOxigraphStore(location) if read_only else OxigraphStore(location)
    try:
        _check_version(store)
    except StoreVersionMismatch:
        store.close()
        raise
    return store


def read_secret_file(directory: Path) -> bytes | None:
    """The secret kept in a workspace directory, or None when it has no secret file."""
    path = directory / SECRET_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        return bytes.fromhex(text)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"{path}: the workspace's secret cannot be read ({exc}); restore the file from a backup or a copy of "
            "the workspace: without it, contributions imported again would get new identifiers"
        ) from exc


def write_secret_file(directory: Path, secret: bytes) -> None:
    """Write a workspace's secret durably, readable by its owner only, replacing any file there."""
    write_private(directory / SECRET_FILE, (secret.hex() + "\n").encode("ascii"))


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, durably, readable by its owner only from the start
    (written aside under a new name, fsync-ed, renamed; the directory fsync-ed)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def open_store_for_reading(location: str | os.PathLike | None = None) -> GraphStore:
    """Open a workspace to read it: for writing when it is free, else read-only beside the process
    that holds it (a running ``crimekg serve``, an import, a notebook), so readers never wait.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as writer:
    ...         with open_store_for_reading(d + "/ws") as reader:
    ...             kind, graphs = type(reader).__name__, list(reader.graphs())
    >>> kind, [graph_name(g) for g in graphs]
    ('ReadOnlyOxigraphStore', ['meta'])
    """
    try:
        return open_store(location)
    except StoreLocked:
        return open_store(location, read_only=True)


def _check_version(store: GraphStore) -> None:
    made_with = store.metadata().get("ontologyVersion")
    if made_with is None:
        warnings.warn(
            f"{store.location} records no crimekg ontology version; run `crimekg init --upgrade {store.location}`",
            CrimeKGWarning,
            stacklevel=3,
        )
        return
    ours, theirs = _version_tuple(ontology.ONTOLOGY_VERSION), _version_tuple(made_with)
    if theirs > ours:
        raise StoreVersionMismatch(
            f"{store.location} was made with crimekg ontology {made_with}, newer than this crimekg's "
            f"{ontology.ONTOLOGY_VERSION}; upgrade crimekg (pip install -U crimekg) to use it"
        )
    if theirs < ours:
        warnings.warn(
            f"{store.location} was made with crimekg ontology {made_with}; this crimekg ships "
            f"{ontology.ONTOLOGY_VERSION}. Run `crimekg init --upgrade {store.location}` to update the "
            "ontology graphs (your own graphs are kept).",
            CrimeKGWarning,
            stacklevel=3,
        )


def _version_tuple(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return (0,)


def ontology_changeset(with_ontology: bool = True) -> Changeset:
    """The bundled ontology files, each as the replacement of its named graph, plus the version record."""
    changes = Changeset()
    if with_ontology:
        for filename, name in ontology.FILES.items():
            resource = ontology.path(filename)
            g = rdflib.Graph()
            try:
                g.parse(data=resource.read_bytes(), format="turtle")
            except FileNotFoundError as exc:
                raise StoreError(f"the bundled ontology file {filename} is missing: reinstall crimekg") from exc
            changes.replace_graph(graph_iri(name), g)
    meta = rdflib.URIRef(META)
    ckg = terms.CKG_NS
    changes.replace_graph(
        META,
        [
            (meta, ckg.ontologyVersion, rdflib.Literal(ontology.ONTOLOGY_VERSION)),
            (meta, ckg.createdWith, rdflib.Literal("crimekg " + _package_version())),
            (meta, rdflib.DCTERMS.modified, rdflib.Literal(source_date(), datatype=rdflib.XSD.dateTime)),
        ],
    )
    return changes


def _package_version() -> str:
    from crimekg.graph import __version__

    return __version__


def init_store(location: str | os.PathLike | None = None, *, upgrade: bool = False, with_ontology: bool = True,
               endpoints: Mapping[str, str | None] | None = None) -> GraphStore:
    """Create a workspace with the ontology, concept schemes, places, session and shapes loaded
    (at :func:`store_location` of ``location``).

    With ``upgrade=True`` an existing workspace gets this version's ontology graphs (in one
    transaction); every other graph is kept.
    """
    location = store_location(location)
    if is_remote(location):
        return _init_remote(location, upgrade=upgrade, with_ontology=with_ontology, endpoints=endpoints)
    path = Path(location)
    if _is_workspace(path):
        if not upgrade:
            raise StoreError(
                f"{location} already holds a crimekg workspace; use it as it is, or run "
                f"`crimekg init --upgrade {location}` to refresh its ontology graphs"
            )
        store = OxigraphStore(path)
        try:
            store.write(ontology_changeset(with_ontology))
        except BaseException:
            store.close()
            raise
        return store
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StoreError(f"{location} exists and is not an empty directory; choose another path")
    with build_aside(path) as aside:
        with OxigraphStore(aside, create=True) as store:
            store.write(ontology_changeset(with_ontology))
    return OxigraphStore(location)


@contextlib.contextmanager
def build_aside(path: str | os.PathLike, *, replace: bool = False) -> Iterator[Path]:
    """Give a fresh directory beside ``path`` to build a workspace in, then rename it to ``path``.

    A command killed while it builds leaves only the directory aside (``.NAME.crimekg-new-PID``),
    which the next build beside the same path removes: ``path`` is either as it was or complete.
    ``path`` must not exist, or be an empty directory, unless ``replace`` is true: then the old
    ``path`` is removed only once the new one is in place.
    """
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    for left in path.parent.glob(f".{glob.escape(path.name)}.crimekg-*-*"):
        pid = left.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    aside = path.parent / f".{path.name}.crimekg-new-{os.getpid()}"
    old = path.parent / f".{path.name}.crimekg-old-{os.getpid()}"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    try:
        yield aside
        if replace and path.exists() and (not path.is_dir() or any(path.iterdir())):
            os.rename(path, old)
        os.rename(aside, path)  # replaces an empty directory at ``path`` in one step
        _fsync_dir(path.parent)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- workspaces on a SPARQL 1.1 server -----------------------------------------------------------


#: The syntax message of ``load``, shared with the remote store.
syntax_message = _syntax_message


def is_remote(location: str) -> bool:
    """True when ``location`` names a workspace on a SPARQL 1.1 server (an http(s) URL).

    >>> is_remote("http://127.0.0.1:7878"), is_remote("./crimekg-store")
    (True, False)
    """
    return location.lower().startswith(("http://", "https://"))


def _init_remote(location: str, *, upgrade: bool, with_ontology: bool, endpoints: Mapping[str, str | None] | None) -> GraphStore:
    """``init_store`` on a server: its dataset must be empty (or, with ``upgrade``, a workspace)."""
    from crimekg.graph.remote import RemoteStore

    store = RemoteStore(location, create=True, **(endpoints or {}))
    try:
        made = store.metadata().get("ontologyVersion")
        if made is not None and not upgrade:
            raise StoreError(
                f"{store.location} already holds a crimekg workspace; use it as it is, or run "
                f"`crimekg init --upgrade {store.location}` to refresh its ontology graphs"
            )
        if made is None and store.graphs():
            raise StoreError(f"the dataset at {store.location} holds data that is not a crimekg workspace; use an empty dataset")
        store.write(ontology_changeset(with_ontology))
        store.require_named_graphs()
    except BaseException:
        store.close()
        raise
    return store


# -- query text --------------------------------------------------------------------------------


def sparql_tokens(sparql: str) -> Iterator[tuple[int, str]]:
    """(position, token) for the braces and words of a query, skipping strings, IRIs and comments."""
    import re

    pattern = re.compile(
        r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
        r'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*|[{}]|[A-Za-z_][\w-]*:?|.',
        re.S,
    )
    for m in pattern.finditer(sparql):
        yield m.start(), m.group()


def bind_values(sparql: str, bindings: Mapping[str, Node]) -> str:
    """The query with ``bindings`` given as a VALUES block at the start of its WHERE clause, so that
    every pattern and filter of the outer query sees them (as initial bindings do).

    >>> bind_values("SELECT ?x WHERE { ?x ?p ?y }", {"y": rdflib.Literal("A")})
    'SELECT ?x WHERE { VALUES (?y) { ("A") } ?x ?p ?y }'
    >>> bind_values('CONSTRUCT { ?s ?p "{" } WHERE { ?s ?p ?o }', {"s": rdflib.URIRef("urn:a")})
    'CONSTRUCT { ?s ?p "{" } WHERE { VALUES (?s) { (<urn:a>) } ?s ?p ?o }'
    """
    if not bindings:
        return sparql
    for name, term in bindings.items():
        if isinstance(term, rdflib.BNode):
            raise InvalidQuery(f"?{name}: a blank node cannot be bound as a value (a VALUES block names no blank node)")
    block = "VALUES (" + " ".join(f"?{n}" for n in bindings) + ") { (" + " ".join(t.n3() for t in bindings.values()) + ") } "
    form = None
    where_seen = False
    depth = 0
    for pos, tok in sparql_tokens(sparql):
        up = tok.upper()
        if depth == 0 and form is None and up in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"):
            form = up
        elif depth == 0 and up == "WHERE":
            where_seen = True
        elif tok == "{":
            if depth == 0 and form is not None and (where_seen or form != "CONSTRUCT"):
                return sparql[: pos + 1] + " " + block + sparql[pos + 1:].lstrip()
            depth += 1
        elif tok == "}":
            depth -= 1
    raise InvalidQuery("cannot bind parameters: the query has no WHERE clause")

