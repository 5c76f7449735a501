"""Network analysis of the factor graph: centrality, bridges, communities, reach, paths and loops.

Every function takes the networkx graph of :func:`graph.network.factor_graph` (factors as nodes,
one edge per factor link) and returns rows as lists of dicts of plain values. Betweenness,
PageRank and communities run on python-igraph's C core: exact betweenness of a 5,000-factor
network takes about a second there, against about 100 s in networkx
(``tests/benchmarks/bench_analysis.py``), so no sampling and no sampling error.

:func:`run_analysis` is what ``crimekg analyze`` calls; with ``write=True`` it stores the scores
in the named graph ``analysis/<report>`` as ``ckg:AnalysisScore`` nodes (factor, method, score,
date, and the analysis activity that produced them), replacing the previous run's, so that
queries (``crimekg query analysis-scores``) and views can use them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import networkx as nx

from crimekg.graph.errors import InvalidInput, UnknownFactor
from crimekg.graph.resolve import Words, match_factor

__all__ = [
    "REPORTS",
    "AnalysisResult",
    "find_factor",
    "centrality",
    "bridges",
    "communities",
    "reach",
    "paths",
    "loops",
    "run_analysis",
    "score_triples",
]

#: The reports ``crimekg analyze`` offers, with what each one answers.
REPORTS = {
    "centrality": "the most central factors: links (degree), betweenness and PageRank",
    "bridges": "factors on the shortest paths between trafficking-only and smuggling-only factors",
    "communities": "groups of factors more linked to each other than to the rest (modularity)",
    "upstream": "what leads to a factor, directly or through other factors",
    "downstream": "what a factor leads to, directly or through other factors",
    "paths": "the paths of factor links from one factor to another, shortest first",
    "loops": "feedback loops: factors that lead back to themselves through their links",
}
#: Reports whose results can be written back to the graph: score name -> the row's column.
SCORED = {
    "centrality": {"degree": "links", "betweenness": "betweenness", "pagerank": "pagerank"},
    "bridges": {"bridging": "bridging"},
    "communities": {"community": "community"},
}

TIP, SOM = "trafficking-in-persons", "smuggling-of-migrants"


@dataclass
class AnalysisResult:
    """Rows of one report, the columns to show, how they were computed, and where they were written."""

    report: str
    columns: list[str]
    rows: list[dict[str, Any]]
    method: str
    written: str | None = None
    scores: int = 0
    notes: list[str] = field(default_factory=list)


def _label(G: nx.MultiDiGraph, n: str) -> str:
    return G.nodes[n].get("label", n.rsplit("/", 1)[-1])


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def find_factor(G: nx.MultiDiGraph, text: str) -> str:
    """Return the node of the factor named by ``text`` among the nodes of ``G``.

    The words of :func:`graph.resolve.match_factor`: its IRI, slug, label or an alternative
    label, or an unambiguous prefix of one.

    >>> G = nx.MultiDiGraph(); G.add_node("https://w3id.org/crimekg/data/factor/rare-convictions", label="Rare convictions")
    >>> find_factor(G, "Rare Convictions"), find_factor(G, "rare conv") == find_factor(G, "rare-convictions")
    ('https://w3id.org/crimekg/data/factor/rare-convictions', True)
    """
    table = {n: (_label(G, n), [a.get("label", ""), *a.get("altLabels", ())]) for n, a in G.nodes(data=True)}
    return match_factor(text, table, where="in the network")


def _in_network(G: nx.MultiDiGraph, iri: str, word: str) -> str:
    """``iri`` (the factor ``word`` named) when the network holds it, else say that the filters left it out."""
    if iri in G:
        return iri
    raise UnknownFactor(f"the factor {word!r} (<{iri}>) is not in the network: it has no link, or the filters leave it out")


def _igraph(G: nx.MultiDiGraph, directed: bool = True):
    """The graph in igraph (multi-edges collapsed, self-links left out), with its node order."""
    import igraph as ig

    nodes = list(G)
    index = {n: i for i, n in enumerate(nodes)}
    edges = {(index[u], index[v]) for u, v in G.edges() if u != v}
    if not directed:
        edges = {(min(e), max(e)) for e in edges}
    return ig.Graph(n=len(nodes), edges=sorted(edges), directed=directed), nodes


def _software() -> str:
    """The versions that computed a result, recorded with the scores."""
    from importlib.metadata import PackageNotFoundError, version

    from crimekg.graph import __version__

    parts = [f"crimekg {__version__}"]
    for name in ("igraph", "networkx"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return "; ".join(parts)


def centrality(G: nx.MultiDiGraph, top: int | None = None) -> list[dict[str, Any]]:
    """Links in and out, betweenness and PageRank of every factor, most central first.

    ``betweenness`` is exact and normalised to [0, 1] over ordered pairs of the directed graph;
    ``pagerank`` follows link direction (damping 0.85) and sums to 1.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c")])
    >>> [(r["factor"], r["links"], r["betweenness"]) for r in centrality(G)][:1]
    [('b', 2, 0.5)]
    """
    if len(G) == 0:
        return []
    g, nodes = _igraph(G)
    n = len(nodes)
    raw = g.betweenness(directed=True)
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    pr = g.pagerank(directed=True, damping=0.85)
    rows = [
        {
            "factor": node,
            "label": _label(G, node),
            "links": G.in_degree(node) + G.out_degree(node),
            "in": G.in_degree(node),
            "out": G.out_degree(node),
            "betweenness": round(raw[i] * scale, 6),
            "pagerank": round(pr[i], 6),
        }
        for i, node in enumerate(nodes)
    ]
    rows.sort(key=lambda r: (-r["betweenness"], -r["pagerank"], -r["links"], r["label"]))
    return rows[:top] if top else rows


def _crime_sets(G: nx.MultiDiGraph) -> tuple[set[str], set[str]]:
    tip = {n for n, a in G.nodes(data=True) if set(a.get("crimes", ())) == {TIP}}
    som = {n for n, a in G.nodes(data=True) if set(a.get("crimes", ())) == {SOM}}
    return tip, som


def bridges(G: nx.MultiDiGraph, top: int | None = None) -> list[dict[str, Any]]:
    """Factors that lie between trafficking and smuggling, by their bridging score.

    The score is the share of shortest paths (links taken in either direction) between a
    trafficking-only factor and a smuggling-only factor that pass through the factor, summed over
    all such pairs and divided by the number of pairs. ``tip``/``som`` count the factor's
    neighbours that are trafficking-only and smuggling-only.

    >>> G = nx.MultiDiGraph([("t", "b"), ("b", "s")])
    >>> nx.set_node_attributes(G, {"t": ["trafficking-in-persons"], "s": ["smuggling-of-migrants"],
    ...     "b": ["trafficking-in-persons", "smuggling-of-migrants"]}, "crimes")
    >>> [(r["factor"], r["bridging"]) for r in bridges(G)]
    [('b', 1.0)]
    """
    tip, som = _crime_sets(G)
    if not tip or not som or len(G) < 3:
        return []
    g, nodes = _igraph(G, directed=False)
    index = {n: i for i, n in enumerate(nodes)}
    # igraph (like networkx) gives an undirected pair half a path each way: double it back
    raw = g.betweenness(directed=False, sources=[index[n] for n in tip], targets=[index[n] for n in som])
    pairs = len(tip) * len(som)
    U = G.to_undirected(as_view=True)
    rows = []
    for i, node in enumerate(nodes):
        if raw[i] <= 0:
            continue
        neighbours = set(U.neighbors(node)) - {node}
        rows.append(
            {
                "factor": node,
                "label": _label(G, node),
                "crimes": ", ".join("TIP" if c == TIP else "SOM" if c == SOM else c for c in sorted(G.nodes[node].get("crimes", ()))),
                "tip": len(neighbours & tip),
                "som": len(neighbours & som),
                "bridging": round(2 * raw[i] / pairs, 6),
            }
        )
    rows.sort(key=lambda r: (-r["bridging"], r["label"]))
    return rows[:top] if top else rows


def communities(G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Groups of factors found by greedy modularity optimisation (Clauset-Newman-Moore, igraph).

    Links count in either direction. Communities are numbered from 1, largest first; a factor
    without links is a community of its own. Deterministic: the same graph gives the same groups.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "f"), ("f", "d"), ("c", "d")])
    >>> sorted({(r["community"], r["factor"]) for r in communities(G)})[:3]
    [(1, 'a'), (1, 'b'), (1, 'c')]
    """
    if len(G) == 0:
        return []
    g, nodes = _igraph(G, directed=False)
    if g.ecount() == 0:
        groups = [[i] for i in range(len(nodes))]
    else:
        groups = [list(c) for c in g.community_fastgreedy().as_clustering()]
    named = [sorted((nodes[i] for i in c), key=lambda n: _label(G, n)) for c in groups]
    named.sort(key=lambda c: (-len(c), _label(G, c[0])))
    rows = []
    for k, members in enumerate(named, 1):
        for n in members:
            rows.append({"community": k, "size": len(members), "factor": n, "label": _label(G, n),
                         "categories": ", ".join(G.nodes[n].get("categories", ()))})
    return rows


def _relations(G: nx.MultiDiGraph, u: str, v: str) -> str:
    return "/".join(sorted({d.get("relation", "linked") for d in G.get_edge_data(u, v, default={}).values()}))


def _path_text(G: nx.MultiDiGraph, path: Sequence[str]) -> str:
    parts = [_label(G, path[0])]
    for u, v in zip(path, path[1:]):
        parts.append(f"-[{_relations(G, u, v)}]-> {_label(G, v)}")
    return " ".join(parts)


def reach(G: nx.MultiDiGraph, factor: str, direction: str = "downstream", max_length: int | None = None) -> list[dict[str, Any]]:
    """What a factor leads to (``downstream``) or what leads to it (``upstream``), nearest first.

    Each row gives the other factor, how many links away it is and one shortest path.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c")])
    >>> [(r["factor"], r["distance"]) for r in reach(G, "a")]
    [('b', 1), ('c', 2)]
    >>> [r["factor"] for r in reach(G, "c", "upstream")]
    ['b', 'a']
    """
    if direction not in ("upstream", "downstream"):
        raise InvalidInput(f"direction must be upstream or downstream, not {direction!r}")
    H = G if direction == "downstream" else G.reverse(copy=False)
    found = nx.single_source_shortest_path(H, factor, cutoff=max_length)
    rows = []
    for n, p in found.items():
        if n == factor:
            continue
        path = p if direction == "downstream" else list(reversed(p))
        rows.append({"factor": n, "label": _label(G, n), "distance": len(p) - 1, "path": _path_text(G, path)})
    rows.sort(key=lambda r: (r["distance"], r["label"]))
    return rows


def paths(G: nx.MultiDiGraph, source: str, target: str, max_length: int = 6, limit: int = 20) -> list[dict[str, Any]]:
    """Simple paths of factor links from ``source`` to ``target``, shortest first (at most ``limit``).

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("a", "c")])
    >>> [r["hops"] for r in paths(G, "a", "c")]
    [1, 2]
    """
    if source == target:
        raise InvalidInput("paths need two different factors")
    D = nx.DiGraph(G)
    rows = []
    try:
        for p in nx.shortest_simple_paths(D, source, target):
            if len(p) - 1 > max_length or len(rows) >= limit:
                break
            rows.append({"path": len(rows) + 1, "hops": len(p) - 1, "factors": _path_text(G, p)})
    except nx.NetworkXNoPath:
        return []
    return rows


def loops(G: nx.MultiDiGraph, max_length: int = 6, limit: int = 100) -> list[dict[str, Any]]:
    """Feedback loops: cycles of factor links of at most ``max_length`` links (at most ``limit``).

    A loop is ``reinforcing`` when it has an even number of negative links, else ``balancing``.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    >>> [(r["length"], r["kind"]) for r in loops(G)]
    [(2, 'reinforcing')]
    """
    negative: dict[tuple[str, str], bool] = {}
    succ: dict[str, set[str]] = {n: set() for n in G}
    for u, v, d in G.edges(data=True):
        succ[u].add(v)
        negative[(u, v)] = negative.get((u, v), False) or d.get("polarity") == "negative"
    # Each loop is found once, from its alphabetically first factor, by a depth-first search
    # bounded by max_length that only visits factors after the start: cost grows with the
    # number of short paths, not with every cycle of the graph (networkx's simple_cycles took
    # about 10 s to produce 20 loops on 5,000 factors with 17,000 links).
    order = sorted(G, key=lambda n: (_label(G, n), n))
    rank = {n: i for i, n in enumerate(order)}
    found: list[list[str]] = []
    for start in order:
        r0 = rank[start]
        stack = [(start, [start])]
        while stack and len(found) < limit:
            node, path = stack.pop()
            for nxt in sorted(succ[node], key=rank.__getitem__, reverse=True):
                if nxt == start and (len(path) > 1 or node == start):
                    found.append(path)
                elif rank[nxt] > r0 and nxt not in path and len(path) < max_length:
                    stack.append((nxt, path + [nxt]))
        if len(found) >= limit:
            break
    found.sort(key=lambda c: (len(c), [_label(G, n) for n in c]))
    rows = []
    for i, c in enumerate(found, 1):
        edges = list(zip(c, c[1:] + c[:1]))
        negatives = sum(negative[e] for e in edges)
        rows.append({"loop": i, "length": len(c), "kind": "balancing" if negatives % 2 else "reinforcing",
                     "factors": _path_text(G, c + c[:1])})
    return rows


# -- writing scores back ---------------------------------------------------------------------------


def _score_iri(report: str, method: str, factor: str) -> str:
    from crimekg import ontology

    key = _slug(factor) if factor.startswith(ontology.DATA + "factor/") else hashlib.sha1(factor.encode()).hexdigest()[:16]
    return f"{ontology.DATA}score/{report}/{method}/{key}"


def score_triples(report: str, rows: Iterable[dict[str, Any]], method: str, when: datetime | None = None) -> list[tuple]:
    """RDF triples recording a report's scores: one ``ckg:AnalysisScore`` per factor and measure.

    >>> t = score_triples("bridges", [{"factor": "urn:f:b", "bridging": 0.5}], "igraph", datetime(2026, 3, 17, tzinfo=timezone.utc))
    >>> sorted(str(o) for s, p, o in t if str(p).endswith("#score"))
    ['0.5']
    """
    import rdflib

    from crimekg import ontology
    from crimekg.graph.terms import CKG_NS as ckg

    when = when or datetime.now(timezone.utc).replace(microsecond=0)
    activity = rdflib.URIRef(f"{ontology.DATA}analysis/{report}")
    day = rdflib.Literal(when.date().isoformat(), datatype=rdflib.XSD.date)
    triples = [
        (activity, rdflib.RDF.type, ckg.Analysis),
        (activity, rdflib.RDF.type, rdflib.PROV.Activity),
        (activity, rdflib.RDFS.label, rdflib.Literal(f"crimekg analyze {report}: {REPORTS[report]}")),
        (activity, ckg.method, rdflib.Literal(method)),
        (activity, ckg.software, rdflib.Literal(_software())),
        (activity, rdflib.PROV.endedAtTime, rdflib.Literal(when.isoformat(), datatype=rdflib.XSD.dateTime)),
        (activity, rdflib.DCTERMS.date, day),
    ]
    for row in rows:
        for measure, key in SCORED[report].items():
            if row.get(key) is None:
                continue
            node = rdflib.URIRef(_score_iri(report, measure, row["factor"]))
            value = row[key]
            literal = rdflib.Literal(value) if isinstance(value, int) else rdflib.Literal(Decimal(str(value)), datatype=rdflib.XSD.decimal)
            triples += [
                (node, rdflib.RDF.type, ckg.AnalysisScore),
                (node, ckg.scoreOf, rdflib.URIRef(row["factor"])),
                (node, ckg.method, rdflib.Literal(measure)),
                (node, ckg.score, literal),
                (node, rdflib.DCTERMS.date, day),
                (node, rdflib.PROV.wasGeneratedBy, activity),
            ]
    return triples


# -- the command's entry point ---------------------------------------------------------------------

_COLUMNS = {
    "centrality": ["label", "links", "in", "out", "betweenness", "pagerank"],
    "bridges": ["label", "crimes", "tip", "som", "bridging"],
    "communities": ["community", "size", "label", "categories"],
    "upstream": ["distance", "label", "path"],
    "downstream": ["distance", "label", "path"],
    "paths": ["path", "hops", "factors"],
    "loops": ["loop", "length", "kind", "factors"],
}


def run_analysis(
    store: Any,
    report: str,
    factors: Sequence[str] = (),
    *,
    top: int | None = None,
    max_length: int = 6,
    limit: int = 20,
    write: bool = False,
    **filters: Any,
) -> AnalysisResult:
    """Project the workspace's factor network and run one report of :data:`REPORTS` on it.

    ``factors`` names the factor for upstream/downstream and the two factors for paths (IRI,
    slug, label or alternative label in any language, or an unambiguous prefix of one; see
    :meth:`graph.resolve.Words.factor`). ``filters`` are those of :func:`graph.network.factor_graph`.
    With ``write=True`` the scores of centrality, bridges and communities replace the named graph
    ``analysis/<report>`` in one transaction.
    """
    from crimekg.graph.network import check_filter_values, factor_graph
    from crimekg.graph.store import Changeset, graph_iri

    if report not in REPORTS:
        raise InvalidInput(f"unknown analysis {report!r}; use one of {', '.join(REPORTS)}")
    wanted = {"upstream": 1, "downstream": 1, "paths": 2}.get(report, 0)
    if len(factors) != wanted:
        usage = {0: "takes no factor", 1: "takes one factor (slug or label)", 2: "takes two factors: from and to"}[wanted]
        raise InvalidInput(f"analyze {report} {usage}; got {len(factors)}")
    if write and report not in SCORED:
        raise InvalidInput(f"--write stores scores; analyze {report} has none (use centrality, bridges or communities)")
    filters = {k: v for k, v in filters.items() if v}
    filters = check_filter_values(store, **filters)  # an unknown value is an error; words become slugs
    G = factor_graph(store, **filters)
    words, sid = Words(store), filters.get("session")
    named = [_in_network(G, words.factor(f, sid if isinstance(sid, str) else None), f) for f in factors]
    method = ""
    if report == "centrality":
        rows = centrality(G)
        method = "degree (links in and out); betweenness, exact, normalised, directed; PageRank, damping 0.85, directed (igraph)"
    elif report == "bridges":
        rows = bridges(G)
        method = "betweenness between trafficking-only and smuggling-only factors, exact, undirected, per pair (igraph)"
    elif report == "communities":
        rows = communities(G)
        method = "greedy modularity (Clauset-Newman-Moore), undirected (igraph)"
    elif report in ("upstream", "downstream"):
        rows = reach(G, named[0], report, max_length)
        method = f"breadth-first search along link direction, up to {max_length} links (networkx)"
    elif report == "paths":
        rows = paths(G, named[0], named[1], max_length, limit)
        method = f"shortest simple paths, up to {max_length} links, first {limit} (networkx)"
    else:
        rows = loops(G, max_length, limit)
        method = f"simple cycles of up to {max_length} links, first {limit} found (bounded depth-first search)"
    result = AnalysisResult(report, _COLUMNS[report], rows, method)
    if write:
        iri = graph_iri(f"analysis/{report}")
        changes = Changeset()
        triples = score_triples(report, rows, method)
        changes.replace_graph(iri, triples)
        store.write(changes)
        result.written = f"analysis/{report}"
        result.scores = sum(1 for t in triples if str(t[1]).endswith("#scoreOf"))
    if top:
        result.rows = rows[:top]
    return result
