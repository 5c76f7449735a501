"""Harmonisation: group factors that say the same thing, merge them, split them, undo a merge.

Each imported factor contribution starts as a factor of its own (or joins the factor with the same
normalised label). :func:`propose_groups` finds factors whose normalised labels are close
(rapidfuzz ``ratio`` of the sorted words, i.e. ``token_sort_ratio``, over all pairs of a block; blocks
are the four categories, and a pair must also share crime types and actors where both give them).
:func:`merge_changeset` merges a group into its preferred factor: the others' preferred labels
become ``skos:altLabel``, and every category, crime type, actor, level, place, link, response and
``prov:wasDerivedFrom`` contribution moves to the kept factor. Nothing is lost: each merge is recorded
in graph ``history/merges`` as a ``prov:Activity`` that ``prov:used`` the merged factors and
``prov:generated`` the kept factor. The exact triples it removed and added are RDF that queries
read, in the same graph, as reified statements (``rdf:Statement`` with ``rdf:subject``,
``rdf:predicate``, ``rdf:object``, and ``dct:isPartOf`` the graph the triple belongs to): the
merge ``prov:used`` each triple it removed, and each triple it added ``prov:wasGeneratedBy`` it.
A reified triple is not asserted, so the merged factors do not come back in queries.
:func:`revert_changeset` puts the triples back; the named query ``merge-history`` lists merges.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import rdflib
from rdflib import DCTERMS, RDF, RDFS, SKOS, XSD, Literal, URIRef

from crimekg import ontology
from crimekg.graph.contributions import (
    CKG,
    FACTOR_SCHEME,
    PROV,
    normalize,
    short_label,
)
from crimekg.graph.errors import InvalidInput
from crimekg.graph.evidence import nt_literal
from crimekg.graph.store import Changeset, GraphStore, graph_iri, source_date
from crimekg.graph.terms import factor_iri, slugify

__all__ = [
    "HISTORY",
    "FactorInfo",
    "Group",
    "factor_table",
    "propose_groups",
    "merge_changeset",
    "revert_changeset",
    "split_changeset",
    "merges",
    "WORKSPACES",
    "workspace_changeset",
    "workspace_merges",
    "unmerge_workspace_changeset",
]

#: The graph that records every merge (what it removed and added), so it can be reverted.
HISTORY = graph_iri("history/merges")
_MERGE = ontology.DATA + "merge/"


@dataclass
class FactorInfo:
    """What harmonisation needs to know about one factor."""

    iri: str
    label: str
    categories: frozenset[str] = frozenset()
    crimes: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()
    contributions: int = 0


@dataclass
class Group:
    """Factors proposed as one: ``keep`` is the preferred factor, ``merge`` the others."""

    keep: FactorInfo
    merge: list[FactorInfo]
    score: float
    labels: list[str] = field(default_factory=list)


_TABLE = """
SELECT ?f ?label (GROUP_CONCAT(DISTINCT STR(?cat); separator=" ") AS ?cats)
       (GROUP_CONCAT(DISTINCT STR(?crime); separator=" ") AS ?crimes)
       (GROUP_CONCAT(DISTINCT STR(?actor); separator=" ") AS ?actors) (COUNT(DISTINCT ?c) AS ?n)
WHERE {
  ?f a ckg:Factor ; skos:prefLabel ?label .
  OPTIONAL { ?f ckg:category ?cat } OPTIONAL { ?f ckg:crimeType ?crime } OPTIONAL { ?f ckg:actor ?actor }
  OPTIONAL { ?f prov:wasDerivedFrom ?c }
} GROUP BY ?f ?label
"""


def factor_table(store: GraphStore) -> list[FactorInfo]:
    """Every factor with its label, categories, crime types, actors and number of contributions.

    A factor with preferred labels in several languages is listed once, under its untagged or
    English label if it has one, else the first by language tag.
    """
    by_factor: dict[str, tuple[tuple[int, str, str], FactorInfo]] = {}
    for r in store.select(_TABLE):
        lang = r["label"].language or ""
        rank = (0 if lang in ("", "en") else 1, lang, str(r["label"]))
        if str(r["f"]) in by_factor and by_factor[str(r["f"])][0] <= rank:
            continue
        by_factor[str(r["f"])] = (rank, FactorInfo(
            iri=str(r["f"]), label=str(r["label"]),
            categories=frozenset(str(r.get("cats", "")).split()), crimes=frozenset(str(r.get("crimes", "")).split()),
            actors=frozenset(str(r.get("actors", "")).split()), contributions=int(r["n"]),
        ))
    return [info for _, (_, info) in sorted(by_factor.items())]


def _compatible(a: FactorInfo, b: FactorInfo) -> bool:
    return (not a.crimes or not b.crimes or bool(a.crimes & b.crimes)) and (
        not a.actors or not b.actors or bool(a.actors & b.actors))


def _preferred(members: Sequence[FactorInfo]) -> FactorInfo:
    """The factor to keep: most contributions, then the shortest label, then the first IRI."""
    return min(members, key=lambda f: (-f.contributions, len(f.label), f.label, f.iri))


def propose_groups(factors: Sequence[FactorInfo], threshold: float = 85.0) -> list[Group]:
    """Group factors whose labels are at least ``threshold`` (0-100) alike and that share a category.

    >>> fs = [FactorInfo("f:1", "Corrupt border officials", frozenset({"enabling"}), contributions=2),
    ...       FactorInfo("f:2", "corrupt officials at the border", frozenset({"enabling"})),
    ...       FactorInfo("f:3", "Corrupt border officials", frozenset({"impunity"})),
    ...       FactorInfo("f:4", "Porous borders", frozenset({"enabling"}))]
    >>> [(g.keep.iri, [m.iri for m in g.merge]) for g in propose_groups(fs, 80)]
    [('f:1', ['f:2'])]
    """
    from rapidfuzz import fuzz, process

    names = [" ".join(sorted(normalize(f.label).split())) for f in factors]
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(factors):
        for cat in f.categories or {""}:
            blocks[cat].append(i)
    parent = list(range(len(factors)))
    weakest: dict[int, float] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges: list[tuple[int, int, float]] = []
    for idx in blocks.values():
        if len(idx) < 2:
            continue
        labels = [names[i] for i in idx]
        for r in range(len(idx) - 1):
            hits = process.extract(labels[r], labels[r + 1:], scorer=fuzz.ratio, score_cutoff=threshold, limit=None)
            for _, score, c in hits:
                a, b = idx[r], idx[r + 1 + c]
                if _compatible(factors[a], factors[b]):
                    edges.append((a, b, float(score)))
    for a, b, score in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(factors)):
        members[find(i)].append(i)
    for a, b, score in edges:
        root = find(a)
        weakest[root] = min(weakest.get(root, 100.0), score)
    groups = []
    for root, idx in members.items():
        if len(idx) < 2:
            continue
        fs = [factors[i] for i in idx]
        keep = _preferred(fs)
        rest = sorted((f for f in fs if f is not keep), key=lambda f: f.iri)
        groups.append(Group(keep, rest, weakest.get(root, 100.0), [keep.label] + [f.label for f in rest]))
    groups.sort(key=lambda g: (-g.score, g.keep.label))
    return groups


# ------------------------------------------------------------------------------------------------
# editing graphs in memory, recording every change


class _Edit:
    """Graphs loaded for editing, with the exact quads removed and added so far."""

    def __init__(self, store: GraphStore, nodes: Iterable[URIRef]):
        nodes = sorted({str(n) for n in nodes})
        values = " ".join(f"<{n}>" for n in nodes)
        rows = store.select(
            f"SELECT DISTINCT ?g WHERE {{ VALUES ?n {{ {values} }} {{ GRAPH ?g {{ ?n ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p ?n }} }} }}"
        ) if nodes else []
        self.store = store
        self.graphs: dict[str, rdflib.Graph] = {}
        for r in rows:
            g = str(r["g"])
            if g != HISTORY and not g.startswith(ontology.GRAPH + "history/"):
                self.graphs[g] = store.graph_triples(g)
        self.removed: set[tuple] = set()
        self.added: set[tuple] = set()

    def graph(self, iri: str) -> rdflib.Graph:
        if iri not in self.graphs:
            self.graphs[iri] = self.store.graph_triples(iri) if iri in self.store.graphs() else rdflib.Graph()
        return self.graphs[iri]

    def remove(self, g: str, t: tuple) -> None:
        if t in self.graphs[g]:
            self.graphs[g].remove(t)
            q = (*t, g)
            if q in self.added:
                self.added.discard(q)
            else:
                self.removed.add(q)

    def add(self, g: str, t: tuple) -> None:
        graph = self.graph(g)
        if t not in graph:
            graph.add(t)
            q = (*t, g)
            if q in self.removed:
                self.removed.discard(q)
            else:
                self.added.add(q)

    def begin(self) -> None:
        self.removed, self.added = set(), set()

    def changeset(self, changes: Changeset | None = None) -> Changeset:
        changes = changes or Changeset()
        for g, graph in self.graphs.items():
            changes.replace_graph(g, graph)
        return changes


def _nt(term) -> str:
    # rdflib's n3() is Turtle: a literal with a line break comes out in triple quotes, which
    # N-Quads cannot read back (the merge could not be reverted)
    if isinstance(term, Literal):
        return nt_literal(str(term), str(term.datatype) if term.datatype else None, term.language)
    return term.n3()


def _nquads(quads: Iterable[tuple]) -> str:
    return "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} <{g}> .\n" for s, p, o, g in sorted(quads))


def _parse_nquads(text: str) -> list[tuple]:
    ds = rdflib.Dataset()
    ds.parse(data=text, format="nquads")
    return [(s, p, o, str(g.identifier if hasattr(g, "identifier") else g)) for s, p, o, g in ds.quads((None, None, None, None))]


def _merge_into(edit: _Edit, target: URIRef, sources: Sequence[URIRef]) -> None:
    for g in list(edit.graphs):
        graph = edit.graphs[g]
        for src in sources:
            for s, p, o in list(graph.triples((src, None, None))):
                edit.remove(g, (s, p, o))
                if p == SKOS.prefLabel:
                    edit.add(g, (target, SKOS.altLabel, o))
                else:
                    edit.add(g, (target, p, o))
            for s, p, o in list(graph.triples((None, None, src))):
                edit.remove(g, (s, p, o))
                edit.add(g, (s, p, target))
    # a link between two merged factors would now join the factor to itself: keep it in the history only
    for g in list(edit.graphs):
        graph = edit.graphs[g]
        for link in list(graph.subjects(CKG.fromFactor, target)):
            if any((link, CKG.toFactor, target) in other for other in edit.graphs.values()):
                for gg, other in edit.graphs.items():
                    for t in list(other.triples((link, None, None))):
                        edit.remove(gg, t)
    prefs = {normalize(o) for gr in edit.graphs.values() for o in gr.objects(target, SKOS.prefLabel)}
    for g, graph in edit.graphs.items():
        for alt in list(graph.objects(target, SKOS.altLabel)):
            if normalize(alt) in prefs:
                edit.remove(g, (target, SKOS.altLabel, alt))


def merge_changeset(
    store: GraphStore, target: URIRef | str, sources: Sequence[URIRef | str] | None = None,
    *, groups: Sequence[tuple[URIRef | str, Sequence[URIRef | str]]] | None = None,
    now: datetime | None = None,
) -> Changeset:
    """Merge ``sources`` into ``target`` (or each ``(target, sources)`` of ``groups``) as one changeset.

    Every merge is recorded in :data:`HISTORY` with the triples it removed and added, so
    :func:`revert_changeset` can undo it exactly.
    """
    todo = list(groups or [])
    if sources is not None:
        todo.insert(0, (target, sources))
    known = {f.iri for f in factor_table(store)}
    nodes: set[URIRef] = set()
    for t, ss in todo:
        for f in (t, *ss):
            if str(f) not in known:
                raise InvalidInput(f"<{f}> is not a factor in {store.location}")
        if str(t) in {str(s) for s in ss}:
            raise InvalidInput(f"cannot merge <{t}> into itself")
        nodes |= {URIRef(str(t)), *(URIRef(str(s)) for s in ss)}
    if not todo:
        return Changeset()
    edit = _Edit(store, nodes)
    history = store.graph_triples(HISTORY) if HISTORY in store.graphs() else rdflib.Graph()
    stamp = now or source_date()
    for i, (t, ss) in enumerate(todo):
        t, ss = URIRef(str(t)), [URIRef(str(s)) for s in ss]
        edit.begin()
        _merge_into(edit, t, ss)
        # named by what it merges and how many merges came before (the same merge made again after a
        # split is another activity): not by the removed triples, whose contribution IRIs are keyed
        # with the workspace's own secret, so that one merge has one name in every workspace
        earlier = sum(1 for _ in history.subjects(RDF.type, PROV.Activity))
        mid = hashlib.sha1(f"{t}|{' '.join(sorted(map(str, ss)))}|{earlier}".encode()).hexdigest()[:12]
        m = URIRef(_MERGE + mid)
        history.add((m, RDF.type, PROV.Activity))
        history.add((m, RDFS.label, Literal(f"merge of {len(ss)} factor(s) into {t.rsplit('/', 1)[-1]}")))
        history.add((m, PROV.generated, t))
        for s in ss:
            history.add((m, PROV.used, s))
        history.add((m, PROV.endedAtTime, Literal((stamp + timedelta(microseconds=i)).isoformat(), datatype=XSD.dateTime)))
        for kind, quads in (("before", edit.removed), ("after", edit.added)):
            for q in sorted(quads):
                st = URIRef(f"{m}/{kind}/{hashlib.sha1(_nquads([q]).encode()).hexdigest()[:16]}")
                history.add((st, RDF.type, RDF.Statement))
                history.add((st, RDF.subject, q[0]))
                history.add((st, RDF.predicate, q[1]))
                history.add((st, RDF.object, q[2]))
                history.add((st, DCTERMS.isPartOf, URIRef(q[3])))
                history.add((m, PROV.used, st) if kind == "before" else (st, PROV.wasGeneratedBy, m))
    changes = edit.changeset()
    changes.replace_graph(HISTORY, history)
    return changes


def merges(store: GraphStore, factor: URIRef | str | None = None) -> list[dict]:
    """The recorded merges (newest first), optionally only those that produced ``factor``."""
    if HISTORY not in store.graphs():
        return []
    rows = store.select(
        f"SELECT ?m ?t ?time ?label WHERE {{ GRAPH <{HISTORY}> {{ ?m a prov:Activity ; prov:generated ?t ; "
        "prov:endedAtTime ?time ; rdfs:label ?label } } ORDER BY DESC(?time) ?m"
    )
    return [{"merge": str(r["m"]), "factor": str(r["t"]), "time": str(r["time"]), "label": str(r["label"])}
            for r in rows if factor is None or str(r["t"]) == str(factor)]


def revert_changeset(store: GraphStore, factor: URIRef | str) -> tuple[Changeset, dict]:
    """Undo the latest merge that produced ``factor``: restore exactly what it removed.

    Refused when the factor changed since in a way that touches the merged triples (revert the
    later merge first).
    """
    found = merges(store, factor)
    if not found:
        raise InvalidInput(f"<{factor}> is not the result of a recorded merge; nothing to revert")
    m = URIRef(found[0]["merge"])
    history = store.graph_triples(HISTORY)
    statements = [o for o in history.objects(m, PROV.used) if (o, RDF.type, RDF.Statement) in history]
    statements += [s for s in history.subjects(PROV.wasGeneratedBy, m) if (s, RDF.type, RDF.Statement) in history]
    before: list[tuple] = []
    after: list[tuple] = []
    for st in statements:
        q = (history.value(st, RDF.subject), history.value(st, RDF.predicate), history.value(st, RDF.object),
             str(history.value(st, DCTERMS.isPartOf)))
        (before if (m, PROV.used, st) in history else after).append(q)
    # merges recorded before the history was RDF kept the quads as N-Quads text
    before += _parse_nquads(str(history.value(URIRef(m + "#before"), PROV.value) or ""))
    after += _parse_nquads(str(history.value(URIRef(m + "#after"), PROV.value) or ""))
    graphs: dict[str, rdflib.Graph] = {}
    for s, p, o, g in [*before, *after]:
        if g not in graphs:
            graphs[g] = store.graph_triples(g) if g in store.graphs() else rdflib.Graph()
    for s, p, o, g in after:
        if (s, p, o) not in graphs[g]:
            raise InvalidInput(
                f"<{factor}> changed after merge {m.rsplit('/', 1)[-1]}; revert the later merges into it first"
            )
    for s, p, o, g in after:
        graphs[g].remove((s, p, o))
    for s, p, o, g in before:
        graphs[g].add((s, p, o))
    restored_factors = {str(o) for o in history.objects(m, PROV.used) if not str(o).endswith("#before") and o not in statements}
    for node in (m, URIRef(m + "#before"), URIRef(m + "#after"), *statements):
        for t in list(history.triples((node, None, None))):
            history.remove(t)
    changes = Changeset()
    for g, graph in graphs.items():
        changes.replace_graph(g, graph)
    changes.replace_graph(HISTORY, history)
    restored = sorted(restored_factors)
    return changes, {"merge": str(m), "restored": restored}


def split_changeset(store: GraphStore, factor: URIRef | str, contributions: Sequence[URIRef | str]) -> tuple[Changeset, URIRef]:
    """Move ``contributions`` out of ``factor`` into a new factor named after the first of them.

    The new factor takes the categories, crime types, actors, levels and places of those
    contributions (the factor's categories when they give none).
    """
    factor = URIRef(str(factor))
    cs = [URIRef(str(c)) for c in contributions]
    derived = {str(r["c"]) for r in store.select("SELECT ?f ?c WHERE { ?f prov:wasDerivedFrom ?c }", {"f": factor})}
    missing = [str(c) for c in cs if str(c) not in derived]
    if missing:
        raise InvalidInput(f"<{factor}> does not come from {', '.join(f'<{c}>' for c in missing)}; `crimekg split --help` shows how to name them")
    if len(derived) == len(cs):
        raise InvalidInput(f"that would leave <{factor}> with no contributions; rename it instead, or split off fewer")
    edit = _Edit(store, [factor, *cs])
    first = cs[0]
    label = None
    for graph in edit.graphs.values():
        text = graph.value(first, CKG.text)
        label = label or graph.value(first, RDFS.label) or (
            Literal(short_label(str(text)), lang=text.language) if text is not None else None)
    label = label if label is not None else Literal("split factor")  # keeps the contribution's language tag
    used = {f.iri for f in factor_table(store)}
    slug = base = slugify(str(label))
    n = 2
    while str(factor_iri(slug)) in used:
        slug, n = f"{base}-{n}", n + 1
    new = factor_iri(slug)
    home = next(g for g, graph in edit.graphs.items() if (first, RDF.type, CKG.Contribution) in graph)
    for t in ((new, RDF.type, CKG.Factor), (new, RDF.type, SKOS.Concept), (new, SKOS.prefLabel, Literal(str(label), lang=label.language)),
              (new, SKOS.inScheme, FACTOR_SCHEME)):
        edit.add(home, t)
    cats = set()
    for g in list(edit.graphs):
        graph = edit.graphs[g]
        for c in cs:
            edit.remove(g, (factor, PROV.wasDerivedFrom, c))
            edit.add(home, (new, PROV.wasDerivedFrom, c))
            for p in (CKG.category, CKG.crimeType, CKG.actor, CKG.level, CKG.place):
                for o in graph.objects(c, p):
                    edit.add(home, (new, p, o))
                    cats |= {o} if p == CKG.category else set()
        for alt in list(graph.objects(factor, SKOS.altLabel)):
            if normalize(alt) == normalize(label):
                edit.remove(g, (factor, SKOS.altLabel, alt))
    if not cats:
        for graph in list(edit.graphs.values()):
            for o in list(graph.objects(factor, CKG.category)):
                edit.add(home, (new, CKG.category, o))
    return edit.changeset(), new


# ------------------------------------------------------------------------------------------------
# another workspace's sessions, brought in beside these

#: The graph that records each workspace brought in (the graphs it added), so it can be taken out again.
WORKSPACES = graph_iri("history/workspaces")
_OWN_GRAPHS = ("meta", "ontology", "schemes", "places", "session", "shapes")


def workspace_changeset(store: GraphStore, source: str) -> tuple[Changeset, list[str], str]:
    """Bring the graphs of the workspace at ``source`` (sessions, imports, loads) in beside this one's.

    Graphs crimekg ships and the source's own history stay out; a graph this workspace already has
    is refused (nothing is overwritten). Returns the changeset, the graphs it adds and the IRI of
    the record that :func:`unmerge_workspace_changeset` takes out again. Factors with the same
    label are one resource already; :func:`propose_groups` then finds those said in other words.
    """
    from pathlib import Path

    import pyoxigraph as ox

    from crimekg.graph.store import INTERNAL, graph_name

    path = Path(source)
    if not (path / "CURRENT").is_file() and (path / "store" / "CURRENT").is_file():
        path = path / "store"
    if not (path / "CURRENT").is_file():
        raise InvalidInput(f"{source}: not a crimekg workspace; give the folder `crimekg init` made")
    if path.resolve() == Path(store.location).resolve():
        raise InvalidInput(f"{source} is this workspace; give another one")
    src = ox.Store.read_only(str(path))
    graphs = sorted(g.value for g in src.named_graphs()
                    if not g.value.startswith(INTERNAL) and graph_name(g.value) not in _OWN_GRAPHS
                    and not graph_name(g.value).startswith("history/"))
    present = store.graphs()
    clash = [graph_name(g) for g in graphs if g in present]
    if clash:
        raise InvalidInput(
            f"{source}: graph(s) {', '.join(clash)} are in this workspace already; nothing was brought in. "
            "Drop or rename them in one of the two workspaces first (`crimekg graphs` lists them)")
    if not graphs:
        raise InvalidInput(f"{source}: the workspace holds no sessions or imports to bring in")
    changes = Changeset()
    for g in graphs:
        changes.replace_graph(g, [], src.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(g)).decode("utf-8"))
    record = URIRef(ontology.DATA + "workspace-merge/" + hashlib.sha1(" ".join(graphs).encode()).hexdigest()[:12])
    history = store.graph_triples(WORKSPACES) if WORKSPACES in present else rdflib.Graph()
    history.add((record, RDF.type, PROV.Activity))
    history.add((record, RDFS.label, Literal(f"workspace {path.resolve().name if path.name != 'store' else path.resolve().parent.name} brought in")))
    for g in graphs:
        history.add((record, PROV.generated, URIRef(g)))
    changes.replace_graph(WORKSPACES, history)
    return changes, graphs, str(record)


def workspace_merges(store: GraphStore) -> list[dict]:
    """The workspaces brought in: the record's IRI, its label and the graphs it added."""
    if WORKSPACES not in store.graphs():
        return []
    out: dict[str, dict] = {}
    for r in store.select(f"SELECT ?m ?label ?g WHERE {{ GRAPH <{WORKSPACES}> {{ ?m a prov:Activity ; rdfs:label ?label ; prov:generated ?g }} }} ORDER BY ?m ?g"):
        out.setdefault(str(r["m"]), {"merge": str(r["m"]), "label": str(r["label"]), "graphs": []})["graphs"].append(str(r["g"]))
    return list(out.values())


def unmerge_workspace_changeset(store: GraphStore, record: str) -> tuple[Changeset, list[str]]:
    """Take out again the graphs a workspace brought in (given by its record's IRI or id).

    Refused while a recorded factor merge still uses a factor of those graphs (undo it first with
    ``crimekg split``), so that nothing of this workspace is lost.
    """
    found = [m for m in workspace_merges(store) if m["merge"] == record or m["merge"].endswith("/" + record)]
    if not found:
        raise InvalidInput(f"{record}: no workspace brought in under that id; `crimekg merge-workspace --list` shows them")
    m = found[0]
    if HISTORY in store.graphs():
        values = " ".join(f"<{g}>" for g in m["graphs"])
        busy = store.select(f"SELECT DISTINCT ?f WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?f a ckg:Factor }} "
                            f"GRAPH <{HISTORY}> {{ ?m a prov:Activity ; prov:used|prov:generated ?f }} }}")
        if busy:
            raise InvalidInput(f"factor merges still use {len(busy)} factor(s) from that workspace (e.g. <{busy[0]['f']}>); "
                               "undo them first with `crimekg split FACTOR`")
    changes = Changeset()
    present = store.graphs()
    for g in m["graphs"]:
        if g in present:
            changes.drop_graph(g)
    history = store.graph_triples(WORKSPACES)
    for t in list(history.triples((URIRef(m["merge"]), None, None))):
        history.remove(t)
    changes.replace_graph(WORKSPACES, history)
    return changes, m["graphs"]
