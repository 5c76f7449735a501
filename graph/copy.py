"""Copy a whole workspace to another store: a directory or a SPARQL 1.1 server, either way.

The copy goes graph by graph through temporary N-Triples files, so memory stays flat however big
the workspace is. What travels: every graph a listing shows (``meta``, the ontology graphs, the
sessions, contributions, evidence and history) and the workspace secret, without which the
contribution keys would change and a re-import after the copy would duplicate what was already
there. What does not travel: the bookkeeping of writes in progress (staging graphs, the journal,
a server's write lock).

The destination changes in one step, or not at all:

- a directory is built beside its final place and renamed into it;
- on a server, each graph the destination already holds is uploaded into a staging graph, and one
  SPARQL Update request moves everything into place (a graph new to the server is written in place
  under the journal, which the next command drops if the copy fails before its commit).

A destination that holds anything is refused unless ``replace=True``; it then holds exactly the
source's graphs afterwards.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from crimekg.graph.errors import InvalidInput, StoreError
from crimekg.graph.store import INTERNAL, META, SECRET_GRAPH, SECRET_PREDICATE, is_remote, store_location

if TYPE_CHECKING:
    from crimekg.graph.store import GraphStore

__all__ = ["CopyReport", "copy_workspace", "travels"]

#: What travels with a workspace besides its graphs: its key for contribution identifiers (a graph
#: on a server, a file beside the store of a directory; it travels as a graph of one triple).
SECRET = SECRET_GRAPH
_LOCK_SUBJECT = b"<" + INTERNAL.encode("ascii") + b"lock> "


@dataclass
class CopyReport:
    """What a copy moved: triples per graph (the secret graph included), source and destination."""

    source: str
    destination: str
    graphs: dict[str, int] = field(default_factory=dict)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def travels(iri: str) -> bool:
    """Whether a graph goes with the workspace to another store.

    >>> travels("https://w3id.org/crimekg/graph/meta"), travels("urn:crimekg:secret"), travels("urn:crimekg:journal")
    (True, True, False)
    """
    return iri == SECRET or not iri.startswith(INTERNAL)


def copy_workspace(source: str | os.PathLike, destination: str | os.PathLike, *, replace: bool = False,
                   source_endpoints: Mapping[str, str | None] | None = None,
                   destination_endpoints: Mapping[str, str | None] | None = None) -> CopyReport:
    """Copy the workspace at ``source`` to ``destination`` (directories or SPARQL server URLs).

    Refuses a destination that holds anything unless ``replace``; then the destination ends up with
    exactly the source's graphs. Nothing in the source changes.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store, open_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     init_store(d + "/a", with_ontology=False).close()
    ...     report = copy_workspace(d + "/a", d + "/b")
    ...     with open_store(d + "/b") as b:
    ...         names = list(b.graphs())
    >>> [n.rsplit("/", 1)[-1] for n in names], report.triples > 0
    (['meta'], True)
    """
    src, dst = store_location(source), store_location(destination)
    if _same(src, dst):
        raise InvalidInput(f"crimekg copy: the source and the destination are the same store ({src}); name another destination")
    report = CopyReport(src, dst)
    with tempfile.TemporaryDirectory(prefix="crimekg-copy-") as tmp:
        parts = _read_source(src, Path(tmp), source_endpoints, lambda: _check_destination(dst, replace, destination_endpoints))
        report.graphs = {g: n for g, (_path, n) in parts.items()}
        if is_remote(dst):
            _write_remote(dst, parts, replace, destination_endpoints)
        else:
            _write_directory(dst, parts, replace)
    # the copy opens as a workspace like any other (and its version is checked)
    from crimekg.graph.store import open_store

    open_store(dst, endpoints=destination_endpoints).close()
    return report


def _same(a: str, b: str) -> bool:
    if is_remote(a) or is_remote(b):
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).resolve() == Path(b).resolve()


# -- the destination ------------------------------------------------------------------------------


def _check_destination(dst: str, replace: bool, endpoints: Mapping[str, str | None] | None) -> None:
    """Refuse a destination that holds anything, unless it is to be replaced."""
    if is_remote(dst):
        from crimekg.graph.remote import RemoteStore

        server = RemoteStore(dst, create=True, **(endpoints or {}))
        held = [g for g in server._all_graphs() if not g.startswith(INTERNAL)]
        if held == [META] and not server._has_meta():
            held = []  # only a write lock left in an otherwise empty dataset
        what = f"{len(held)} graph{'s' if len(held) != 1 else ''}"
    else:
        path = Path(dst)
        if path.exists() and not path.is_dir():
            raise InvalidInput(f"crimekg copy: the destination {dst} is a file; name a directory or a server URL")
        held = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
        what = "files"
        if held and replace and not (path / "CURRENT").is_file():
            # --replace removes the old directory: only ever a workspace, never a folder of other files
            raise StoreError(
                f"crimekg copy: the destination {dst} holds files but no crimekg workspace; --replace only "
                "replaces a workspace: name an empty or new directory"
            )
    if held and not replace:
        raise StoreError(
            f"crimekg copy: the destination {dst} is not empty (it holds {what}); name an empty one, "
            "or add --replace to put the copy in its place"
        )


def _write_directory(dst: str, parts: Mapping[str, tuple[Path, int]], replace: bool) -> None:
    import pyoxigraph as ox

    from crimekg.graph.store import build_aside, write_secret_file

    with build_aside(dst, replace=replace) as aside:
        store = ox.Store(str(aside))
        try:
            for g, (path, _n) in parts.items():
                if g == SECRET:  # a directory keeps it in its own file, out of every query's reach
                    secret = _secret_of(path)
                    if secret is not None:
                        write_secret_file(aside, secret)
                    continue
                store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g))
                store.add_graph(ox.NamedNode(g))  # an empty graph still exists in the copy
            store.flush()
        finally:
            del store


def _write_remote(dst: str, parts: Mapping[str, tuple[Path, int]], replace: bool, endpoints: Mapping[str, str | None] | None) -> None:
    import uuid

    from crimekg.graph.remote import RemoteStore
    from crimekg.graph.store import STAGING

    server = RemoteStore(dst, create=True, **(endpoints or {}))
    with server._locked():
        old = [g for g in server._all_graphs() if travels(g) and g not in parts]
        staged = server._targets(parts)
        if staged.get(META) == META:  # the meta graph holds the lock: always staged, moved in by the commit
            staged[META] = STAGING + uuid.uuid4().hex
        server._journal(staged.values())
        try:
            for g, target in staged.items():
                with open(parts[g][0], "rb") as body:
                    server._upload(target, body, new=True)  # journaled: a failed copy drops it whole
            ops = [f"DROP SILENT GRAPH <{g}>" for g in old] if replace else []
            for g, target in staged.items():
                if target != g:
                    ops += [f"DROP SILENT GRAPH <{g}>", f"MOVE SILENT GRAPH <{target}> TO GRAPH <{g}>"]
            server._commit(ops)
        except BaseException:
            server._undo(staged.values())
            raise


# -- the source -----------------------------------------------------------------------------------


def _read_source(src: str, tmp: Path, endpoints: Mapping[str, str | None] | None, check: Callable[[], None]) -> dict[str, tuple[Path, int]]:
    """Each graph that travels as an N-Triples file in ``tmp``, with its number of triples; ``check``
    runs once the source is open (so a missing source is named before the destination is judged)."""
    from crimekg.graph.store import open_store, open_store_for_reading

    store: GraphStore = open_store(src, endpoints=endpoints) if is_remote(src) else open_store_for_reading(src)
    try:
        check()
        if is_remote(src):
            return _read_server(store, tmp)
        return _read_directory(store, tmp)
    finally:
        store.close()


def _read_directory(store: Any, tmp: Path) -> dict[str, tuple[Path, int]]:
    import pyoxigraph as ox

    raw: ox.Store = store.oxigraph
    parts: dict[str, tuple[Path, int]] = {}
    for node in sorted(raw.named_graphs(), key=lambda n: n.value):
        if not isinstance(node, ox.NamedNode) or not travels(node.value) or node.value == SECRET:
            continue  # the secret: read below, wherever the workspace keeps it
        path = tmp / f"{len(parts)}.nt"
        with open(path, "wb") as f:
            raw.dump(f, format=ox.RdfFormat.N_TRIPLES, from_graph=node)
        parts[node.value] = (path, _lines(path))
    secret = store.read_secret()
    if secret is not None:
        path = tmp / "secret.nt"
        line = f"<{SECRET}> <{SECRET_PREDICATE}> \"{secret.hex()}\" .\n"
        path.write_text(line, encoding="ascii")
        parts[SECRET] = (path, 1)
    return parts


def _secret_of(path: Path) -> bytes | None:
    import pyoxigraph as ox

    found = sorted(t.object.value for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES) if t.predicate.value == SECRET_PREDICATE)
    return bytes.fromhex(found[0]) if found else None


def _read_server(store: Any, tmp: Path) -> dict[str, tuple[Path, int]]:
    # a copy read while another command writes could mix states: refuse when a writer holds the lock
    # before or after the reading
    _not_written(store)
    parts: dict[str, tuple[Path, int]] = {}
    for g in store._all_graphs():
        if not travels(g):
            continue
        path = tmp / f"{len(parts)}.nt"
        with open(path, "wb") as f:
            store._download(g, f)
        if g == META:  # the source's write lock stays with the source
            _drop_lock(path)
        parts[g] = (path, _lines(path))
    _not_written(store)
    return parts


def _not_written(store: Any) -> None:
    from crimekg.graph.errors import StoreLocked

    holder = store._lock_holder()
    if holder is not None:
        raise StoreLocked(
            f"crimekg copy: the workspace on {store.location} is being written by another crimekg command "
            f"({holder['owner']}); wait for it to finish and copy again"
        )


def _drop_lock(path: Path) -> None:
    with open(path, "rb") as f:
        lines = [line for line in f if not line.startswith(_LOCK_SUBJECT)]
    with open(path, "wb") as f:
        f.writelines(lines)


def _lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip() and not line.startswith(b"#"))
