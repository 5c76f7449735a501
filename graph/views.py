"""Interactive network views for the projector: one self-contained HTML file each.

The page carries vis-network's script and style inline (taken from the pyvis wheel, which ships
them) and a strict Content-Security-Policy, so it fetches nothing: it works with no internet and
from a USB stick. Positions are computed in Python with igraph's C core and physics is off, so
the first draw is immediate (pyvis's default output lets vis-network's physics settle first,
about two minutes at 1,000 nodes). Node and edge data reach the page as JSON and every label,
tooltip, legend entry and search result is shown as text, never as markup.

Presets (see :data:`PRESETS`): ``factors``, ``session``, ``places``, ``query`` and ``flows``.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import re
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from importlib.resources import files
from pathlib import Path

import networkx as nx

from crimekg.graph.errors import InvalidInput, InvalidQuery
from crimekg.graph.network import CATEGORY_ORDER, FILTERS
from crimekg.graph.store import GraphStore
from crimekg.graph.terms import CONCEPT, GRAPH, PLACE, SESSION

__all__ = [
    "AGGREGATE_ABOVE",
    "CATEGORY_COLOURS",
    "export_network",
    "KIND_STYLES",
    "PRESETS",
    "EVIDENCE_GRAPHS",
    "participant_graphs",
    "public_copy",
    "SIZES",
    "layout",
    "network_for",
    "query_network",
    "render_network",
    "render_view",
    "names",
    "notebook_html",
    "to_pyvis",
    "top_flows",
    "TOP_FLOWS",
]

#: The views ``crimekg view`` makes.
PRESETS = ("factors", "session", "places", "query", "flows")

#: What sets a node's size: contributions naming it, places naming it, or betweenness centrality.
SIZES = ("contributions", "places", "centrality")

#: Above this many nodes a view aggregates them. Measured with tests/benchmarks/bench_views.py on
#: the 2-core machine: the first draw stays quick (1.4 s at 5,000 nodes, 3.6 s at 20,000) but each
#: redraw, which every pan, zoom and filter costs, takes 130 ms at 5,000 nodes, 320 ms at 10,000
#: and 810 ms at 20,000: past 5,000 the view stops following the hand.
AGGREGATE_ABOVE = 5000

CATEGORY_COLOURS = {
    "enabling": "#d95f02",
    "profiting": "#1b9e77",
    "concealment": "#7570b3",
    "impunity": "#e7298a",
    None: "#8a8a8a",
}

#: Colour, vis-network shape, legend glyph and legend text for each group of nodes. A factor's
#: group is its first category in the exercise's order; any other node's group is its kind.
KIND_STYLES = {
    "enabling": ("#d95f02", "dot", "\u25cf", "Factor: enabling"),
    "profiting": ("#1b9e77", "dot", "\u25cf", "Factor: profiting"),
    "concealment": ("#7570b3", "dot", "\u25cf", "Factor: concealment"),
    "impunity": ("#e7298a", "dot", "\u25cf", "Factor: impunity"),
    "factor": ("#8a8a8a", "dot", "\u25cf", "Factor: no category"),
    "crime": ("#222222", "star", "\u2605", "Crime type"),
    "topic": ("#1f78b4", "square", "\u25a0", "Topic (exercise 1)"),
    "pattern": ("#a6761d", "diamond", "\u25c6", "Pattern"),
    "source": ("#4d9221", "triangle", "\u25b2", "Data source"),
    "gap": ("#c51b7d", "triangleDown", "\u25bc", "Information gap"),
    "response": ("#01665e", "hexagon", "\u2b22", "Response"),
    "country": ("#6a3d9a", "hexagon", "\u2b22", "Country"),
    "region": ("#b15928", "square", "\u25a0", "Region (UN M49)"),
    "route": ("#c06a00", "diamond", "\u25c6", "Smuggling route (Frontex detections, IOM dead and missing)"),
    "group": ("#555555", "dot", "\u25cf", "Group of nodes (aggregated)"),
}
_OTHER_STYLE = ("#7f7f7f", "dot", "\u25cf", "Other resource")

#: The order groups are revealed in presentation mode (the exercise's order first).
_STEP_ORDER = ("crime", "topic", *CATEGORY_ORDER, "factor", "pattern", "source", "gap", "response", "region", "country", "route")

_SIZE_TEXT = {
    "contributions": "how many contributions name it (other nodes: how many links they have)",
    "places": "how many places name it (other nodes: how many links they have)",
    "centrality": "betweenness centrality (how often it lies on the shortest path between two others)",
}

_ARROWS = {
    "factors": "Arrows point from cause to effect.",
    "session": "Arrows point from crime type to topic to what was said about it.",
    "places": "Arrows point from a factor to the places it is named for, and on to their regions.",
    "query": "Arrows point from the first resource of a result to the others.",
    "flows": "Arrows point from the victims' citizenship to the country where they were detected, "
             "and from a nationality to the smuggling routes its nationals were detected on.",
}

_TITLES = {
    "factors": "Factors and the links between them",
    "session": "The session: crime types, topics, factors, patterns, data sources, gaps",
    "places": "Factors by country and region",
    "query": "Query result",
    "flows": "Flows: victims' citizenship to country of detection, nationalities to smuggling routes",
}


def query_network(store: GraphStore, query: str, params: dict[str, str] | None = None, query_options: dict | None = None) -> nx.MultiDiGraph:
    """Run a query given as a file (``.rq``), a named query (``crimekg queries``) or SPARQL text; return its network.

    ``params`` are bound as the query's declared parameters (see :mod:`graph.query`);
    ``query_options`` (``allow_service``, ``timeout``) go to :func:`graph.query.run_query`. A
    CONSTRUCT or DESCRIBE result becomes a network through :func:`graph.network.rdf_to_networkx`,
    a SELECT result through :func:`graph.network.rows_to_networkx`.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         G = query_network(store, "CONSTRUCT { ?t ckg:crimeType ?c } WHERE { ?t a ckg:Topic ; ckg:crimeType ?c }")
    >>> len(G), G.number_of_edges()
    (15, 15)
    """
    import rdflib

    from crimekg.graph import network
    from crimekg.graph.query import named_query, parse_query_text, run_query

    path = Path(query)
    if "{" in query:
        q = parse_query_text(query, "query")
    elif path.suffix in (".rq", ".sparql") or path.is_file():
        try:
            q = parse_query_text(path.read_text(encoding="utf-8"), path.stem)
        except OSError as exc:
            raise InvalidQuery(f"cannot read the query file {query}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise InvalidQuery(f"cannot read the query file {query}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    elif re.search(r"[\s<>]", query.strip()):  # SPARQL with no braces, e.g. DESCRIBE <iri>
        q = parse_query_text(query, "query")
    else:
        q = named_query(query)
    result = run_query(store, q, params or {}, **(query_options or {}))
    if result.kind == "ASK":
        raise InvalidQuery(f"{q.name}: an ASK query answers yes or no and gives no network; use CONSTRUCT or SELECT")
    if result.kind in ("CONSTRUCT", "DESCRIBE"):
        from crimekg.graph.store import from_oxigraph_term

        g = rdflib.Graph()
        for triple in result.rows:  # pyoxigraph terms (s, p, o)
            g.add(tuple(from_oxigraph_term(t) for t in triple))
        G = network.rdf_to_networkx(g, store)
    else:
        G = network.rows_to_networkx(result.variables, result.bindings(), store)
    # factors in a result look and filter as in the factors view
    F = network.factor_graph(store)
    for n in G:
        if n in F:
            G.nodes[n].update(F.nodes[n])
    return G


def network_for(
    store: GraphStore,
    preset: str = "factors",
    *,
    query: str | None = None,
    params: dict[str, str] | None = None,
    flows: str = "all",
    query_options: dict | None = None,
    indicator: str = "detected-trafficking-victims",
    **filters: str | Iterable[str] | None,
) -> nx.MultiDiGraph:
    """Return the network a preset shows (a projection from :mod:`graph.network`).

    ``query`` and ``params`` (for the ``query`` preset) are as in :func:`query_network`; ``flows``
    (for the ``flows`` preset) one of :data:`graph.network.FLOWS` and ``indicator`` what its
    citizenship flows count, one of :data:`graph.network.FLOW_INDICATORS` (detected victims by default);
    ``filters`` are those of :data:`graph.network.FILTERS` (the ``query`` preset takes none).

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         G = network_for(store, "session", crime="smuggling-of-migrants")
    >>> sorted(G.nodes[n]["kind"] for n in G if G.nodes[n]["kind"] == "crime")
    ['crime']
    """
    from crimekg.graph import network

    filters = {k: v for k, v in filters.items() if v}
    filters = network.check_filter_values(store, **filters)  # words in any language become slugs
    if preset == "factors":
        return network.factor_graph(store, **filters)
    if preset == "session":
        return network.session_graph(store, **filters)
    if preset == "places":
        return network.places_graph(store, **filters)
    if preset == "flows":
        return network.flows_graph(store, flows, indicator, **filters)
    if preset == "query":
        if not query:
            raise InvalidQuery("the query preset needs a query: --query NAME (a stored query) or --query FILE.rq")
        if filters:
            raise InvalidInput(f"the query preset takes no filters ({', '.join(sorted(filters))}): put them in the query")
        return query_network(store, query, params, query_options)
    raise InvalidInput(f"unknown view preset {preset!r}; use one of {', '.join(PRESETS)}")


def _group(a: dict) -> str:
    if a.get("kind") == "factor":
        cats = [c for c in CATEGORY_ORDER if c in a.get("categories", [])]
        return cats[0] if cats else "factor"
    return a.get("kind") or "resource"


#: Label font size in canvas units. The layout leaves room for every label at this size, and the
#: example session's views fit a 1024x768 screen at scale 1 or more, so labels read at 14 CSS px or more.
FONT = 14


def _label_box(label: str, font: int = FONT) -> tuple[float, float]:
    """Width and height (canvas units) of a label drawn under its node, with the node above it."""
    lines = label.split("\n")
    return max(40.0, 0.62 * font * max(len(x) for x in lines)) + 12, (len(lines) * 1.2 * font) + 26


def layout(G: nx.Graph, layered: bool = False, labels: dict | None = None) -> dict:
    """Positions for every node of ``G``, computed with igraph's C core, in vis-network canvas units.

    Force-directed (Fruchterman-Reingold, grid variant above 300 nodes) by default; with
    ``layered``, nodes go in columns by their ``layer`` attribute (igraph's Sugiyama layout
    orders each column to limit crossings), as many rows as keep the page about as wide as a
    4:3 screen. ``labels`` (the text drawn under each node) sets the room left between nodes.
    Deterministic for a given graph.

    >>> G = nx.path_graph(3)
    >>> sorted(layout(G)) == [0, 1, 2]
    True
    """
    import random

    import igraph

    nodes = list(G)
    if not nodes:
        return {}
    labels = labels or {n: str(G.nodes[n].get("label", n)) for n in nodes}
    boxes = {n: _label_box(labels[n]) for n in nodes}
    bw = max(b[0] for b in boxes.values())
    bh = max(b[1] for b in boxes.values())
    index = {n: i for i, n in enumerate(nodes)}
    pairs = {(index[u], index[v]) for u, v in G.edges() if u != v}
    g = igraph.Graph(n=len(nodes), edges=sorted(pairs), directed=True)
    random.seed(7)  # igraph draws its start positions from Python's random: fix them
    if layered:
        layers = [int(G.nodes[n].get("layer", 0)) for n in nodes]
        coords = g.layout_sugiyama(layers=layers, maxiter=200).coords[: len(nodes)]
        by_layer: dict[int, list] = defaultdict(list)
        for n, layer, c in zip(nodes, layers, coords):
            by_layer[layer].append((c[0], n))
        sizes = [len(v) for v in by_layer.values()]
        pitch_x, pitch_y = bw + 20, bh
        # layers left to right; a layer longer than `rows` wraps into several columns: the rows
        # that bring the whole closest to a 4:3 screen (1000 x 700 canvas units)
        rows = min(range(1, max(sizes) + 1),
                   key=lambda r: max(sum(math.ceil(k / r) for k in sizes) * pitch_x / 1000, r * pitch_y / 700))
        pos, x0 = {}, 0.0
        for layer in sorted(by_layer):
            members = [n for _, n in sorted(by_layer[layer], key=lambda t: (t[0], str(t[1])))]
            cols = math.ceil(len(members) / rows)
            per_col = math.ceil(len(members) / cols)
            for i, n in enumerate(members):
                col, row = divmod(i, per_col)
                pos[n] = (x0 + col * pitch_x, (row - (per_col - 1) / 2) * pitch_y)
            x0 += cols * pitch_x + 10
        return pos
    coords = g.as_undirected().layout_fruchterman_reingold(niter=500, grid=len(nodes) > 300).coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    spanx, spany = max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9)
    # as much room as the labels need, packed loosely, a little wider than high like the screen
    area = sum(w * h for w, h in boxes.values()) * (1.3 if len(nodes) <= 300 else 1.0)
    width = math.sqrt(area * 1.4)
    height = width / 1.4
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    pos = {n: ((x - cx) * width / spanx, (y - cy) * height / spany) for n, x, y in zip(nodes, xs, ys)}
    if len(nodes) <= 300:
        pos = _spread_labels(pos, boxes)
    if len(nodes) <= _COMPACT_UP_TO:
        pos = _compact(pos, boxes)
    return pos


#: Up to this many nodes the layout is drawn in (and spread again) until it fills the screen
#: best: pairwise work, cheap for the few dozen nodes a room looks at.
_COMPACT_UP_TO = 100


def _overlapping(pos: dict, box: dict) -> bool:
    """Whether two label boxes overlap."""
    nodes = list(pos)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if ((box[a][0] + box[b][0]) / 2 > abs(pos[b][0] - pos[a][0])
                    and (box[a][1] + box[b][1]) / 2 > abs(pos[b][1] - pos[a][1])):
                return True
    return False


def _fit_scale(pos: dict, box: dict, aspect: float = 1.4) -> float:
    """The scale at which the label boxes fill a screen ``aspect`` times wider than high (1 high)."""
    left = min(p[0] - box[n][0] / 2 for n, p in pos.items())
    right = max(p[0] + box[n][0] / 2 for n, p in pos.items())
    top = min(p[1] - box[n][1] / 2 for n, p in pos.items())
    bottom = max(p[1] + box[n][1] / 2 for n, p in pos.items())
    return min(aspect / max(right - left, 1e-9), 1 / max(bottom - top, 1e-9))


def _compact(pos: dict, box: dict, rounds: int = 12, aspect: float = 1.4) -> dict:
    """Draw the layout in towards its centre and spread its labels apart again, while that lets it fill the screen larger.

    The force-directed layout leaves gaps; after each shrink the labels are pushed apart again,
    so no two overlap, and the layout that fits a 4:3-ish screen at the largest scale is kept.
    """
    best, best_scale = pos, _fit_scale(pos, box, aspect)
    current = pos
    for _ in range(rounds):
        xs, ys = [p[0] for p in current.values()], [p[1] for p in current.values()]
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        tall = w < aspect * h
        # shrink the side that is too long for the screen, and push overlapping labels apart
        # along the other one
        fx, fy = (1.0, 0.85) if tall else (0.85, 1.0)
        current = _spread_labels({n: (cx + (p[0] - cx) * fx, cy + (p[1] - cy) * fy) for n, p in current.items()}, box,
                                 rounds=60, wide=4.0 if tall else 0.25)
        scale = _fit_scale(current, box, aspect)
        if scale > best_scale * 1.001 and not _overlapping(current, box):
            best, best_scale = current, scale
    return best


def _spread_labels(pos: dict, box: dict, rounds: int = 200, wide: float = 1.0) -> dict:
    """Push apart nodes whose label boxes overlap; small networks only (pairwise).

    Each pair moves apart along the axis where they overlap least; ``wide`` above 1 favours
    moving sideways (a layout that should grow wider rather than taller).
    """
    pos = {n: list(p) for n, p in pos.items()}
    nodes = list(pos)
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(nodes):
            for b in nodes[i + 1:]:
                dx, dy = pos[b][0] - pos[a][0], pos[b][1] - pos[a][1]
                ox = (box[a][0] + box[b][0]) / 2 - abs(dx)
                oy = (box[a][1] + box[b][1]) / 2 - abs(dy)
                if ox > 0 and oy > 0:
                    moved = True
                    if oy * wide <= ox:  # cheaper to move apart vertically
                        step = (oy / 2 + 1) * (1 if dy >= 0 else -1)
                        pos[a][1] -= step
                        pos[b][1] += step
                    else:
                        step = (ox / 2 + 1) * (1 if dx >= 0 else -1)
                        pos[a][0] -= step
                        pos[b][0] += step
        if not moved:
            break
    return {n: (p[0], p[1]) for n, p in pos.items()}


def _sizes(G: nx.Graph, size: str) -> dict:
    if size == "centrality":
        import igraph

        nodes = list(G)
        index = {n: i for i, n in enumerate(nodes)}
        g = igraph.Graph(n=len(nodes), edges=sorted({(index[u], index[v]) for u, v in G.edges() if u != v}), directed=True)
        bet = g.betweenness(directed=False) if len(nodes) <= 5000 else g.betweenness(directed=False, cutoff=4)
        return {n: 1 + b for n, b in zip(nodes, bet)}
    out = {}
    if any(a.get("relation") in ("flow", "route") for _, _, a in G.edges(data=True)):
        # the largest figure one source gives for a node: two sources are never added
        per_source: dict[tuple, float] = defaultdict(float)
        for u, v, a in G.edges(data=True):
            for n in {u, v}:
                per_source[(n, a.get("source"))] += _weight(a)
        for (n, _source), total in per_source.items():
            out[n] = max(out.get(n, 1.0), 1.0 + total)
    for n, a in G.nodes(data=True):
        if n in out:
            continue
        if size == "places" and "places" in a and a.get("kind") == "factor":
            out[n] = 1 + len(a["places"])
        elif a.get("kind") in ("factor", "pattern", "source", "gap") and "contributions" in a:
            out[n] = 1 + int(a["contributions"])
        elif "weight" in a:
            out[n] = 1 + float(a["weight"])
        else:
            out[n] = 1 + G.degree(n)
    return out


def _weight(a: dict) -> float:
    """An edge's weight for widths and sizes: its published count, or the least a suppressed flow holds."""
    if a.get("count") is not None:
        return float(a["count"]) + float(a.get("suppressed") or 0)
    if a.get("suppressed"):
        return float(a.get("low") or a["suppressed"])
    return 1.0


def _merge(G: nx.MultiDiGraph, where: dict, H: nx.MultiDiGraph, keep_loops: bool = True) -> None:
    """Add ``G``'s edges to ``H`` between the nodes ``where`` maps their ends to, merged.

    Flows and routes are merged per source and indicator (their counts added: one source counts
    one thing); other edges per relation and polarity, with how many were merged as ``count``.
    """
    from crimekg.graph.network import shown_count

    merged: dict[tuple, dict] = {}
    for u, v, a in G.edges(data=True):
        mu, mv = where[u], where[v]
        if mu == mv and u != v and not keep_loops:
            continue
        rel = a.get("relation", "linked")
        if rel in ("flow", "route"):
            key = (mu, mv, rel, a.get("source"), a.get("indicator"))
            m = merged.setdefault(key, {"relation": rel, "source": a.get("source"), "indicator": a.get("indicator"),
                                        "count": None, "suppressed": 0, "low": 0.0, "high": 0.0, "observations": 0,
                                        "first": None, "last": None, "merged": 0})
            if a.get("count") is not None:
                m["count"] = (m["count"] or 0.0) + float(a["count"])
            m["suppressed"] += int(a.get("suppressed") or 0)
            m["low"] += float(a.get("low") or a.get("count") or 0)
            m["high"] += float(a.get("high") or a.get("count") or 0)
            m["observations"] += int(a.get("observations") or 0)
            m["merged"] += 1
            if a.get("years"):
                y0, y1 = a["years"].split("-", 1)
                m["first"] = min(m["first"] or y0, y0)
                m["last"] = max(m["last"] or y1, y1)
        else:
            key = (mu, mv, rel, a.get("polarity", "positive"))
            m = merged.setdefault(key, {"relation": rel, "polarity": a.get("polarity", "positive"), "count": 0})
            m["count"] += int(a.get("count", 1))
    for key, m in merged.items():
        if "merged" in m:
            first, last = m.pop("first"), m.pop("last")
            m["years"] = f"{first}-{last}" if first else None
            m["value"] = shown_count(m["count"], m["suppressed"])
            if m["merged"] == 1:
                m.pop("merged")
        H.add_edge(key[0], key[1], **m)


def _group_node(G: nx.MultiDiGraph, ns: list, label: str, kind: str | None) -> dict:
    facets = {}
    for facet in ("categories", "crimes", "actors", "levels", "places", "sessions"):
        values = sorted({v for n in ns for v in G.nodes[n].get(facet, [])})
        if values:
            facets[facet] = values
    return dict(label=label, kind=kind, weight=len(ns), members=len(ns), **facets,
                examples=[G.nodes[n].get("label", str(n)) for n in ns[:5]])


def _aggregate(G: nx.MultiDiGraph, max_nodes: int) -> tuple[nx.MultiDiGraph, str]:
    """Fold nodes into groups (kind or category, then UN M49 subregion, first place or crime type) when there are too many."""
    def key(a: dict) -> tuple[str, str]:
        if a.get("subregion_label"):
            return _group(a), a["subregion_label"]
        for facet in ("places", "crimes"):
            if a.get(facet):
                return _group(a), a[facet][0]
        return _group(a), ""

    members: dict[tuple, list] = defaultdict(list)
    for n, a in G.nodes(data=True):
        members[key(a)].append(n)
    H = nx.MultiDiGraph()
    where = {}
    for (group, sub), ns in members.items():
        gid = f"group:{group}:{sub}"
        label = f"{len(ns):,} \u00d7 {KIND_STYLES.get(group, _OTHER_STYLE)[3]}" + (f" \u00b7 {sub}" if sub else "")
        H.add_node(gid, **_group_node(G, ns, label, G.nodes[ns[0]].get("kind")))
        if group in CATEGORY_ORDER:
            H.nodes[gid]["categories"] = [group] + [c for c in H.nodes[gid].get("categories", []) if c != group]
        for n in ns:
            where[n] = gid
    _merge(G, where, H)
    note = (f"This network has {len(G):,} nodes, more than the {max_nodes:,} a browser draws smoothly on the projector "
            f"laptop (measured by tests/benchmarks/bench_views.py), so it shows {len(H):,} groups instead "
            "(nodes of one kind or category and one UN M49 subregion, place or crime type). Filter it (e.g. --place, --category) "
            "or raise --max-nodes to see every node.")
    return H, note


#: How many of the largest flows of each source the ``flows`` view shows by default.
TOP_FLOWS = 30


def top_flows(G: nx.MultiDiGraph, top: int = TOP_FLOWS) -> tuple[nx.MultiDiGraph, str]:
    """Keep the ``top`` largest flows of each source; fold the countries in none of them into their UN M49 subregion.

    Returns the network and a sentence saying what was left out ("" when nothing was). Flows
    between two folded countries of one subregion are left out (they would be a loop). ``top``
    0 keeps everything.

    >>> G = nx.MultiDiGraph()
    >>> for i, (a, b, n) in enumerate([("A", "B", 100), ("C", "B", 3), ("D", "B", 2)]):
    ...     _ = G.add_edge(a, b, relation="flow", source="glotip", indicator="i", count=n)
    >>> for n in "ABCD":
    ...     G.add_node(n, label=n, kind="country", places=[n], subregion="R", subregion_label="Region R")
    >>> H, note = top_flows(G, 1)
    >>> sorted(H), sorted((u, v, a["count"]) for u, v, a in H.edges(data=True))
    (['A', 'B'], [('A', 'B', 100.0)])
    >>> note.split(";")[0]
    'Showing the 1 largest flows of each source (1 of 3 edges)'
    """
    weighted = [(u, v, a) for u, v, a in G.edges(data=True) if a.get("relation") in ("flow", "route")]
    if not top or not weighted:
        return G, ""
    # victims detected in their own country are no flow between two places: they go in the
    # country's tooltip, and the largest flows are those between countries
    domestic: dict = defaultdict(list)
    for u, v, a in weighted:
        if u == v:
            domestic[u].append(_series_text(a))
    if domestic:
        G = G.copy()
        G.remove_edges_from([(u, v, k) for u, v, k in G.edges(keys=True) if u == v and u in domestic])
        weighted = [(u, v, a) for u, v, a in weighted if u != v]

    def largest(edges) -> list:
        series: dict[tuple, list] = defaultdict(list)
        for e in edges:
            series[(e[2].get("relation"), e[2].get("source"))].append(e)
        kept = []
        for es in series.values():
            kept += sorted(es, key=lambda e: (-_weight(e[2]), str(e[0]), str(e[1])))[:top]
        return kept

    big = {n for u, v, _ in largest(weighted) for n in (u, v)}
    where, groups = {}, defaultdict(list)
    for n, a in G.nodes(data=True):
        if n in big or a.get("kind") != "country" or not a.get("subregion"):
            where[n] = n
        else:
            where[n] = "group:" + a["subregion"]
            groups[where[n]].append(n)
    H = nx.MultiDiGraph()
    for n, a in G.nodes(data=True):
        if where[n] == n:
            H.add_node(n, **a)
    for gid, ns in groups.items():
        a0 = G.nodes[ns[0]]
        label = f"{a0['subregion_label']}: {len(ns)} other countr{'y' if len(ns) == 1 else 'ies'}"
        H.add_node(gid, **_group_node(G, ns, label, "region"))
        H.nodes[gid]["places"] = [a0["subregion"].rsplit("/", 1)[-1]] + H.nodes[gid].get("places", [])
    M = nx.MultiDiGraph()
    M.add_nodes_from(H.nodes(data=True))
    _merge(G, where, M, keep_loops=False)
    kept = largest([(u, v, a) for u, v, a in M.edges(data=True) if a.get("relation") in ("flow", "route")])
    out = nx.MultiDiGraph()
    for u, v, a in kept:
        for n in (u, v):
            out.add_node(n, **M.nodes[n])
    for n, a in M.nodes(data=True):  # routes stay, with their own figures, even with no nationals drawn
        if a.get("kind") == "route":
            out.add_node(n, **a)
    for u, v, a in kept:
        out.add_edge(u, v, **a)
    for n, lines in domestic.items():
        if n in out:
            out.nodes[n]["domestic"] = lines
    total = len(weighted)
    if total <= len(kept) and not groups and not domestic:
        return G, ""
    note = (f"Showing the {top:,} largest flows of each source ({len(kept):,} of {total:,} edges); "
            f"countries in none of them are grouped into their UN M49 subregion ({len(groups):,} groups). "
            + (f"Victims detected in their own country ({len(domestic):,} countries) are in each country's tooltip. " if domestic else "")
            + "Use --top 0 for every flow, or --place for one country's flows.")
    return out, note


#: The facets whose values are codes a reader should not have to decode: the name comes first, the code after it.
_CODED = ("places", "sessions")

_NAMES = f"""
SELECT ?x ?p ?label WHERE {{
  VALUES ?p {{ skos:prefLabel rdfs:label skos:altLabel dct:title }}
  ?x ?p ?label .
  FILTER(STRSTARTS(STR(?x), "{CONCEPT}") || STRSTARTS(STR(?x), "{PLACE}") || STRSTARTS(STR(?x), "{SESSION}"))
}}
"""

_FACET_PATHS = ((CONCEPT + "category/", "category"), (CONCEPT + "crime/", "crime"), (CONCEPT + "actor/", "actor"),
                (CONCEPT + "level/", "level"), (PLACE + "m49/", "place"), (PLACE, "place"), (SESSION, "session"))


def names(store: GraphStore, lang: str = "en") -> dict:
    """Names of the concepts, places and sessions, in ``lang`` where the workspace has one (else English).

    Returns ``{"iri": {IRI: name}, "category": {slug: name}, ..., "place": {code: name}}``: the
    filter values of :data:`graph.network.FILTERS` by the slugs and codes the projections use.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         n = names(store, "ru")
    >>> n["place"]["NGA"], names.__name__
    ('Нигерия', 'names')
    """
    found: dict[str, tuple] = {}
    for row in store.select(_NAMES):
        lit, pred = row["label"], str(row["p"])
        tag = (getattr(lit, "language", None) or "").lower()
        rank = (0 if tag == lang.lower() else 1 if tag == "en" else 2 if tag == "" else 3,
                1 if pred.endswith("altLabel") else 0, str(lit))
        x = str(row["x"])
        if x not in found or rank < found[x]:
            found[x] = rank
    out: dict[str, dict] = {"iri": {x: r[2] for x, r in found.items()}}
    for facet in FILTERS:
        out[facet] = {}
    for x, r in found.items():
        for prefix, facet in _FACET_PATHS:
            if x.startswith(prefix) and "/" not in x[len(prefix):]:
                out[facet].setdefault(x[len(prefix):], r[2])
                break
    return out


def _named(values, table: dict, coded: bool) -> list[str]:
    """Values by name: "Nigeria (NGA)" for codes, "Enabling" for concept slugs; the value itself when unnamed."""
    out = []
    for v in values:
        name = table.get(v)
        out.append(v if not name else f"{name} ({v})" if coded else name)
    return out


def _node_title(a: dict, group: str, names_: dict | None = None) -> str:
    names_ = names_ or {}
    lines = [a.get("label", "")]
    style = KIND_STYLES.get(group, _OTHER_STYLE)
    lines.append(style[3] if a.get("kind") != "resource" else f"Resource ({a.get('kind', '')})")
    cats = [c for c in CATEGORY_ORDER if c in a.get("categories", [])]
    if a.get("kind") == "factor" and len(cats) > 1:
        lines[-1] = "Factor: " + ", ".join(_named(cats, names_.get("category", {}), False)).lower()
    named = [("categories", "Category", "category"), ("crimes", "Crime type", "crime"), ("actors", "Actor", "actor"),
             ("levels", "Level", "level"), ("places", "Places", "place"), ("sessions", "Sessions", "session")]
    for key, name, facet in named:
        if a.get(key):
            lines.append(f"{name}: {', '.join(_named(a[key], names_.get(facet, {}), key in _CODED))}")
    if a.get("subregion_label"):
        lines.append(f"UN M49 region: {a['subregion_label']} ({a.get('subregion', '').rsplit('/', 1)[-1]})")
    for line in a.get("domestic", []):
        lines.append("Detected in their own country: " + line)
    if a.get("altLabels"):
        lines.append("Also said as: " + "; ".join(a["altLabels"]))
    if "contributions" in a:
        lines.append(f"Contributions: {a['contributions']}")
    if a.get("kind") == "route":  # two sources side by side, never added
        if "frontex_detections" in a:
            lines.append(f"Frontex: {a['frontex_detections']:,} detections of illegal border crossings (detections, not persons)")
        else:
            lines.append("Frontex: no detections on this route in the imported data")
        if a.get("iom_incidents"):
            split = f" (dead {a['iom_dead']:,}, missing {a['iom_missing']:,})" if "iom_dead" in a else ""
            lines.append(f"IOM Missing Migrants: {a['iom_dead_and_missing']:,} dead and missing{split} in {a['iom_incidents']:,} incident(s)")
        else:
            lines.append("IOM Missing Migrants: no incident on this route in the imported data")
    if "members" in a:
        lines.append(f"Nodes in this group: {a['members']:,}; e.g. " + "; ".join(a.get("examples", [])))
    skip = {"label", "kind", "layer", "order", "altLabels", "contributions", "members", "examples", "weight",
            "subregion", "subregion_label", "domestic"} | {k for k, _, _ in named}
    if a.get("kind") == "route":
        skip |= {k for k in a if k.startswith(("iom_", "frontex_"))}
    for k, v in a.items():
        if k not in skip and v not in (None, "", []):
            lines.append(f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}")
    return "\n".join(lines)


def _series_text(a: dict) -> str:
    """One source's figure for a flow: what it counts, from which source, over which years."""
    from crimekg.graph.network import SOURCE_NAMES, shown_count

    what = _INDICATOR_TEXT.get(a.get("indicator", "").rsplit("/", 1)[-1], a.get("indicator", "").rsplit("/", 1)[-1])
    count = a.get("count")
    value = a.get("value") or shown_count(count, int(a.get("suppressed") or 0))
    tip = f"{SOURCE_NAMES.get(a.get('source'), a.get('source') or 'unknown source')}: {value} {what}"
    if a.get("suppressed"):
        tip += f" (between {a['low']:,.0f} and {a['high']:,.0f}: {a['suppressed']} cell(s) published as <5)"
    tip += f", {a.get('observations', 0)} observation(s)"
    if a.get("merged"):
        tip += f", {a['merged']} flows added up (one source)"
    if a.get("years"):
        tip += f", {a['years']}"
    return tip


#: What each flow indicator counts, as tooltips say it.
_INDICATOR_TEXT = {
    "detected-trafficking-victims": "detected victims",
    "registered-victims": "victim records",
    "persons-prosecuted": "persons prosecuted",
    "persons-convicted": "persons convicted",
    "illegal-border-crossings": "detections of illegal border crossings",
}


def _edge_style(a: dict, siblings: Sequence[dict] = ()) -> tuple[str, str]:
    """(style key, tooltip) of an edge; ``siblings`` are the other sources' edges between the same two nodes."""
    rel = a.get("relation", "linked")
    if rel in ("topic of", "about", "concerns", "part of", "named for"):
        return "structure", rel
    if rel in ("flow", "route"):
        tip = f"{rel}: " + _series_text(a)
        others = [_series_text(s) for s in siblings if s is not a]
        if others:  # two sources name this flow: side by side, never added
            tip += "\nalso, not added (another source, counting another thing): " + "; ".join(others)
        return rel, tip
    pol = a.get("polarity", "positive")
    parts = [f"{rel} ({pol})"]
    if a.get("strength") is not None:
        parts.append(f"strength {a['strength']:g}")
    if a.get("evidence"):
        parts.append(f"evidence: {a['evidence']}")
    if a.get("count", 1) > 1:
        parts.append(f"{a['count']:,} links")
    return ("negative" if pol == "negative" else "link"), "\n".join(parts)


def _steps(groups: Iterable[str], steps: Sequence[str] | None) -> list[str]:
    present = set(groups)
    if not steps:
        return [g for g in _STEP_ORDER if g in present] + sorted(present - set(_STEP_ORDER)) + ["links"]
    unknown = [s for s in steps if s not in present and s != "links"]
    if unknown:
        raise InvalidInput(f"--steps: {', '.join(unknown)} not in this view; use some of {', '.join(sorted(present))}, links")
    rest = [g for g in _STEP_ORDER if g in present and g not in steps] + sorted(present - set(_STEP_ORDER) - set(steps))
    return list(steps) + rest + ([] if "links" in steps else ["links"])


def _script_json(data: object) -> str:
    """JSON that is safe inside a <script> element, whatever text the labels hold."""
    return (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _short(label: str, width: int = 26, lines: int = 2) -> str:
    """A label wrapped on at most ``lines`` lines of about ``width`` characters (the full one is in the tooltip)."""
    import textwrap

    wrapped = textwrap.wrap(label, width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "\u2026"
    return "\n".join(wrapped)


#: Colours that change on the black of presentation mode, where the usual one is too dark to see.
_DARK_COLOURS = {"route": "#e08214", "crime": "#f2f2f2", "country": "#b48ce0", "group": "#bbbbbb", "response": "#33b5a5", "gap": "#e8559e"}


def _label_shape(n: int) -> tuple[int, int, int]:
    """(characters a line, lines, largest node radius) for a network of ``n`` nodes: fewer, shorter labels as it grows."""
    return (22, 2, 16) if n <= 40 else (18, 1, 10)


def render_network(G: nx.MultiDiGraph, preset: str = "factors", *, title: str | None = None, **page) -> str:
    """Return the HTML page showing ``G`` (a projection from :mod:`graph.network`).

    The keywords in ``page`` are those of the page's data: ``steps``, the order presentation
    mode reveals groups in (categories such as ``enabling``, kinds such as ``topic``, and
    ``links``); ``size``, one of :data:`SIZES`; ``max_nodes``, above which the page shows groups
    of nodes instead and says so; ``filters`` (already applied), stated on the page; ``names``
    (from :func:`names`), naming the filter values, places and concepts; ``note``, said at the
    top of the page; and ``flows_from``, for the ``flows`` preset the network before
    :func:`top_flows` folded it (the place filter then shows a place's flows from it).

    >>> G = nx.MultiDiGraph(); G.add_node("a", label="<b>x</b>", kind="factor", categories=["enabling"])
    >>> page = render_network(G)
    >>> "<b>x</b>" in page, "\\\\u003cb\\\\u003ex" in page
    (False, True)
    """
    data = _page_data(G, preset, **page)
    title = title or "crimekg: " + data.pop("title")
    lib = files("pyvis") / "templates" / "lib" / "vis-9.1.2"
    templates = files("crimekg.graph") / "templates"
    template = (templates / "view.html").read_text(encoding="utf-8")
    parts = {
        "/*@SEGMENTS_JS@*/": (templates / "segments.js").read_text(encoding="utf-8"),
        "/*@VIS_CSS@*/": (lib / "vis-network.css").read_text(encoding="utf-8"),
        "/*@VIS_JS@*/": (lib / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script"),
        "@TITLE@": html.escape(title),
        "/*@DATA@*/null": _script_json(data),
    }
    # one pass, so that text put in (a title, a label) is never searched for markers again
    return re.sub("|".join(re.escape(m) for m in parts), lambda m: parts[m.group(0)], template)


def _page_data(
    G: nx.MultiDiGraph,
    preset: str = "factors",
    *,
    steps: Sequence[str] | None = None,
    size: str = "contributions",
    max_nodes: int = AGGREGATE_ABOVE,
    filters: dict | None = None,
    names: dict | None = None,
    note: str = "",
    flows_from: nx.MultiDiGraph | None = None,
) -> dict:
    """What the page (and :func:`to_pyvis`) draws: nodes with positions, styles and tooltips, edges, legend, steps.

    With ``flows_from`` (the flows before :func:`top_flows`), its flows between two places and
    the countries they need are added, marked ``star``: the page shows them, a place's flows in
    and out, when its place filter is set.
    """
    if size not in SIZES:
        raise InvalidInput(f"unknown size {size!r}; use one of {', '.join(SIZES)}")
    names = names or {}
    notes = [note] if note else []
    if len(G) > max_nodes:
        G, more = _aggregate(G, max_nodes)
        notes.append(more)
        flows_from = None
    width, nlines, radius = _label_shape(len(G))
    iri_names = names.get("iri", {})
    full = flows_from if flows_from is not None and flows_from is not G else nx.MultiDiGraph()
    extra = [n for n in full if n not in G]
    labels = {}
    for graph, ns in ((G, list(G)), (full, extra)):
        for n in ns:
            a = graph.nodes[n]
            label = str(a.get("label", n))
            if a.get("kind") in ("crime", "topic", "country", "region", "route") and iri_names.get(str(n)):
                label = iri_names[str(n)]  # the reader's language, where the workspace has it
            labels[n] = label
    short = {n: _short(labels[n], width, nlines) for n in labels}
    pos = layout(G, layered=preset == "session", labels={n: short[n] for n in G})
    value = _sizes(G, size)
    if extra:
        value.update({n: v for n, v in _sizes(full, size).items() if n in set(extra)})
    ids = {n: i for i, n in enumerate([*G, *extra])}
    nodes, groups = [], []
    for graph, ns in ((G, list(G)), (full, extra)):
        for n in ns:
            a = graph.nodes[n]
            group = _group(a)
            groups.append(group)
            x, y = pos.get(n, (0.0, 0.0))
            facets = {}
            for facet, key in zip(FILTERS, ("categories", "crimes", "actors", "levels", "places", "sessions")):
                if key in a:
                    facets[facet] = list(a[key])
            node = {
                "id": ids[n], "iri": str(n), "label": short[n], "full": labels[n], "alt": list(a.get("altLabels", [])),
                "group": group, "x": round(x, 1), "y": round(y, 1), "value": round(value[n], 3),
                "title": _node_title(dict(a, label=labels[n]), group, names), "facets": facets,
            }
            cats = [c for c in CATEGORY_ORDER if c in a.get("categories", [])] if a.get("kind") == "factor" else []
            if len(cats) > 1:
                node["cats"] = cats  # drawn as segments, one per category
            if graph is full:
                node["extra"] = True  # only in a place's flows
            nodes.append(node)
    edges = _edge_data(G, ids, labels, labelled=G.number_of_edges() <= 400)
    if len(full):
        between = nx.MultiDiGraph()
        between.add_nodes_from(full.nodes(data=True))
        between.add_edges_from((u, v, a) for u, v, a in full.edges(data=True)
                               if u != v and a.get("relation") in ("flow", "route"))
        edges += [dict(e, star=True) for e in _edge_data(between, ids, labels, labelled=True)]
    present = set(groups) | {c for n in nodes for c in n.get("cats", [])}
    used = sorted(present, key=lambda g: (_STEP_ORDER + (g,)).index(g))
    styles = {g: dict(zip(("color", "shape", "glyph", "text"), KIND_STYLES.get(g, _OTHER_STYLE))) for g in used}
    for g in used:
        styles[g]["dark"] = _DARK_COLOURS.get(g, styles[g]["color"])
    facet_names = names.get
    stated = "; ".join(
        f"{k} = {v if isinstance(v, str) else ', '.join(sorted(v))}" for k, v in (filters or {}).items() if v)
    facets_used = [f for f in FILTERS if any(f in n["facets"] for n in nodes)]
    value_names = {f: {v: (facet_names(f) or {}).get(v, v) for n in nodes for v in n["facets"].get(f, [])} for f in facets_used}
    routes_only = preset == "flows" and not any(e["style"] == "flow" for e in edges)
    title = _TITLES.get(preset, preset)
    arrows = _ARROWS.get(preset, _ARROWS["factors"])
    size_text = _SIZE_TEXT[size]
    if preset == "flows":
        size_text = "how many were counted leaving or arriving (victims; detections on smuggling routes)"
    if routes_only:
        title = "Smuggling routes: nationals detected on each route (Frontex), dead and missing on it (IOM)"
        arrows = "Arrows point from a nationality to the smuggling routes its nationals were detected on."
        size_text = "how many detections of illegal border crossings (Frontex) a nationality or route has"
    if len(notes) > (1 if note else 0):
        size_text = "how many nodes a group holds"
    return {
        "preset": preset, "title": title, "font": FONT, "radius": radius, "nodes": nodes, "edges": edges, "styles": styles,
        "steps": _steps(set(groups), steps), "note": " ".join(notes), "filters": stated, "names": value_names,
        "size_text": size_text, "arrow_text": arrows, "facets": facets_used,
    }


def _edge_data(G: nx.MultiDiGraph, ids: dict, labels: dict, labelled: bool = True) -> list[dict]:
    """The page's edges of ``G``: ends by page id, style, width, label (when ``labelled``) and tooltip."""
    from crimekg.graph.network import shown_count

    # per style and source: victims, records and detections differ in scale, and are never added
    max_count: dict[tuple, float] = defaultdict(lambda: 1.0)
    siblings: dict[tuple, list] = defaultdict(list)
    for u, v, a in G.edges(data=True):
        style = _edge_style(a)[0]
        max_count[(style, a.get("source"))] = max(max_count[(style, a.get("source"))], _weight(a))
        if style in ("flow", "route"):
            siblings[(u, v)].append(a)

    def end(n) -> str:
        code = (G.nodes[n].get("places") or [""])[0] if G.nodes[n].get("kind") == "country" else ""
        return f"{labels[n]} ({code})" if code else labels[n]

    edges = []
    for u, v, a in G.edges(data=True):
        style, tip = _edge_style(a, siblings.get((u, v), ()))
        if style in ("flow", "route"):
            tip = f"{end(u)} \u2192 {end(v)}\n{tip}"
        width = 1.0
        if a.get("strength") is not None:
            width = 1 + 4 * float(a["strength"])
        elif style in ("flow", "route"):
            width = 1 + 9 * math.sqrt(_weight(a) / max_count[(style, a.get("source"))])
        elif a.get("count", 1) > 1:
            width = 1 + 9 * math.sqrt(float(a["count"]) / max_count[(style, None)])
        label = a.get("relation", "")
        if style in ("flow", "route"):
            label = a.get("value") or shown_count(a.get("count"), int(a.get("suppressed") or 0))
            if len(siblings[(u, v)]) > 1:
                label += f" ({a.get('source', '')})"
        edges.append({"from": ids[u], "to": ids[v], "style": style, "label": label if labelled and style != "structure" else "",
                      "width": round(width, 2), "title": tip})
    return edges

# --- pyvis networks, for notebooks ---------------------------------------------------------------

_EDGE_LOOKS = {
    "link": ("#444444", False), "negative": ("#cc0000", [8, 6]), "structure": ("#8c8c8c", False),
    "flow": ("#6a3d9a", False), "route": ("#c06a00", [2, 5]),
}


def to_pyvis(
    G: nx.MultiDiGraph,
    preset: str = "factors",
    *,
    size: str = "contributions",
    max_nodes: int = AGGREGATE_ABOVE,
    names: dict | None = None,
    notebook: bool = False,
    height: str = "700px",
    width: str = "100%",
    heading: str = "",
):
    """Turn a network crimekg makes (factors, session, places, flows, a query) into a ``pyvis.network.Network``.

    Positions, colours, shapes, tooltips and sizes are set as on crimekg's own page (physics off,
    so it draws at once; a factor in several categories is drawn in segments), set in bulk (pyvis's
    ``add_node`` checks every earlier node, so it slows quadratically). The Network is ready for
    Jupyter (``notebook=True``, ``cdn_resources="in_line"``) and writes offline HTML through a
    template of crimekg's own: vis-network inline, no CDN, no Bootstrap. ``net.write_html(path)``
    writes it; :func:`notebook_html` shows it inline in a notebook.

    >>> G = nx.MultiDiGraph(); _ = G.add_edge("a", "b", relation="enables")
    >>> for n in "ab": G.nodes[n].update(label=n.upper(), kind="factor", categories=["enabling", "impunity"])
    >>> net = to_pyvis(G)
    >>> [n["label"] for n in net.nodes], net.edges[0]["label"], net.nodes[0]["segments"]
    (['A', 'B'], 'enables', ['#d95f02', '#e7298a'])
    """
    from jinja2 import Environment, FileSystemLoader
    from pyvis.network import Network

    data = _page_data(G, preset, size=size, max_nodes=max_nodes, names=names)
    net = Network(height=height, width=width, directed=True, notebook=False, cdn_resources="in_line", heading=heading)
    styles = data["styles"]
    nodes = []
    for n in data["nodes"]:
        s = styles[n["group"]]
        node = {"id": n["id"], "label": n["label"], "x": n["x"], "y": n["y"], "value": n["value"], "title": n["title"],
                "shape": s["shape"], "color": {"background": s["color"], "border": s["color"]}, "iri": n["iri"], "group": n["group"]}
        if n.get("cats"):
            node["segments"] = [styles[c]["color"] for c in n["cats"]]
        nodes.append(node)
    edges = []
    for e in data["edges"]:
        colour, dashes = _EDGE_LOOKS[e["style"]]
        edges.append({"from": e["from"], "to": e["to"], "label": e["label"] or None, "title": e["title"], "width": e["width"],
                      "color": {"color": colour, "highlight": "#000000", "hover": "#000000"}, "dashes": dashes,
                      "arrows": {"to": {"enabled": True, "scaleFactor": 0.4 if e["style"] == "structure" else 0.7}}})
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    # options as a dict: pyvis's set_options() would strip the spaces out of every string
    net.options = {
        "physics": {"enabled": False, "solver": "barnesHut", "stabilization": False},
        "layout": {"improvedLayout": False},
        "nodes": {"scaling": {"min": min(6, data["radius"]), "max": data["radius"], "label": {"enabled": False}},
                  "font": {"size": data["font"], "color": "#111111", "strokeWidth": 3, "strokeColor": "#ffffff"}},
        "edges": {"smooth": False, "font": {"size": round(data["font"] * 0.85), "align": "horizontal", "strokeWidth": 0,
                                            "background": "rgba(255,255,255,0.85)"}},
        "interaction": {"hover": len(nodes) <= 2000, "tooltipDelay": 150},
    }
    lib = files("pyvis") / "templates" / "lib" / "vis-9.1.2"
    templates = files("crimekg.graph") / "templates"
    net.templateEnv = Environment(loader=FileSystemLoader(str(templates)), autoescape=False)
    net.templateEnv.globals.update(
        vis_css=(lib / "vis-network.css").read_text(encoding="utf-8"),
        vis_js=(lib / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script"),
        segments_js=(templates / "segments.js").read_text(encoding="utf-8"))
    net.template_dir, net.path = str(templates), "pyvis.html"
    net.template = net.templateEnv.get_template(net.path)  # what pyvis renders with notebook=True
    if notebook:
        net.notebook = True
    return net


def notebook_html(net, height: int = 720) -> str:
    """HTML that shows a pyvis Network inline in a notebook output: its page in an iframe's ``srcdoc``, fetching nothing."""
    page = net.generate_html(notebook=True)
    return f'<div><iframe srcdoc="{html.escape(page, quote=True)}" style="width: 100%; height: {int(height)}px; border: 0"></iframe></div>'


def export_network(
    store: GraphStore,
    out,
    format: str = "graphml",
    preset: str = "factors",
    *,
    query: str | None = None,
    params: dict[str, str] | None = None,
    flows: str = "all",
    indicator: str = "detected-trafficking-victims",
    profile: str = "full",
    redact: bool = False,
    place_level: str = "country",
    **filters: str | Iterable[str] | None,
) -> nx.MultiDiGraph:
    """Write the network of a preset as GraphML or GEXF (for Gephi), attributes included; return it.

    ``profile="public"`` draws the network from the workspace's public export (see
    :func:`public_copy`): no contributor code, group, time or local place, and a code, group name
    or local place written in a label or a link's evidence replaced by a marker (``[group]``,
    ``[participant]``, ``[place]``). ``place_level="region"`` (public only) names the places
    participants gave by their UN M49 subregion, as the RDF export does. ``redact=True`` (public only) also
    replaces likely e-mail addresses, phone numbers and names in participants' text with markers
    (:func:`graph.export.redactor`) and renames the items whose IRI was made from such a text.

    >>> from crimekg.graph.store import init_store
    >>> import io, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         buf = io.BytesIO()
    ...         G = export_network(store, buf, "gexf", "session")
    >>> len(G), b"<gexf" in buf.getvalue()
    (15, True)
    """
    from crimekg.graph.network import write_network

    with _profiled(store, profile, place_level, preset, redact) as source:
        filters = _filters_at_level(source, place_level, filters)
        G = network_for(source, preset, query=query, params=params, flows=flows, indicator=indicator, **filters)
    write_network(G, out, format)
    return G


# --- the public profile for views and networks ------------------------------------------------


#: Graphs of published evidence (an importer's data and its data-quality report). The factors,
#: session and places networks draw nothing from them, so their public copy leaves them out: with
#: the full GLOTIP export imported (870k triples) a public factors view took 126 s with them.
EVIDENCE_GRAPHS = (GRAPH + "import/", GRAPH + "quality/")

#: The presets drawn from what participants said alone (no published evidence).
_PARTICIPANT_PRESETS = ("factors", "session", "places")


def participant_graphs(store: GraphStore) -> list[str]:
    """Every graph of ``store`` but those of published evidence (:data:`EVIDENCE_GRAPHS`)."""
    return [g for g in store.graphs() if not g.startswith(EVIDENCE_GRAPHS)]


@contextlib.contextmanager
def public_copy(store: GraphStore, place_level: str = "country", graphs: Sequence[str] | None = None,
                redact: bool = False) -> Iterator[GraphStore]:
    """A throwaway workspace holding only what the public export of ``store`` (or of its ``graphs``) holds.

    Every view, network and brief drawn from it shows what a public export shows and nothing
    more, whatever the preset or query: no participants, contributor codes, groups, times or
    local places; codes, group names and local places written in free text replaced by markers;
    with ``place_level="region"`` the places participants gave as UN M49 subregions (published
    evidence keeps its countries, as in the RDF export); with ``redact`` no likely e-mail address,
    phone number or name of participants' text. It lives in a temporary folder, removed
    on leaving.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d, init_store(d + "/ws") as store:
    ...     with public_copy(store) as pub:
    ...         same = pub.graphs().keys() == store.graphs().keys()
    >>> same
    True
    """
    import io
    import tempfile

    import pyoxigraph as ox

    from crimekg.graph.export import export_workspace
    from crimekg.graph.store import init_store

    buf = io.BytesIO()
    export_workspace(store, buf, "nq", graphs, profile="public", place_level=place_level, redact=redact)
    with tempfile.TemporaryDirectory(prefix="crimekg-public-") as d:
        pub = init_store(Path(d) / "ws", with_ontology=False)
        try:
            pub.oxigraph.update("CLEAR ALL")  # the export brings the workspace's own record
            pub.oxigraph.bulk_load(input=buf.getvalue(), format=ox.RdfFormat.N_QUADS)
            yield pub
        finally:
            pub.close()


def check_profile(profile: str, place_level: str, redact: bool = False) -> None:
    """Refuse an unknown profile or place level, and a place level other than ``country`` or ``redact``
    without the public profile."""
    from crimekg.graph.export import PLACE_LEVELS, PROFILES

    if profile not in PROFILES:
        raise InvalidInput(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    if place_level not in PLACE_LEVELS:
        raise InvalidInput(f"unknown place level {place_level!r}; use one of {', '.join(PLACE_LEVELS)}")
    if place_level != "country" and profile != "public":
        raise InvalidInput(f"place level {place_level!r} goes with the public profile (--profile public); "
                           "the full profile shows places as they were given")
    if redact and profile != "public":
        raise InvalidInput("redacting personal details goes with the public profile (--profile public)")


@contextlib.contextmanager
def _profiled(store: GraphStore, profile: str, place_level: str, preset: str, redact: bool = False) -> Iterator[GraphStore]:
    check_profile(profile, place_level, redact)
    if profile == "full":
        yield store
        return
    graphs = participant_graphs(store) if preset in _PARTICIPANT_PRESETS else None
    with public_copy(store, place_level, graphs, redact) as pub:
        yield pub


def _filters_at_level(store: GraphStore, place_level: str, filters: dict) -> dict:
    """At ``place_level="region"``, a ``place`` filter naming a country keeps what is placed in its subregion."""
    if place_level != "region" or not filters.get("place"):
        return filters
    from crimekg.graph import network
    from crimekg.graph.export import subregions

    wanted = network.check_filter_values(store, place=filters["place"])["place"]
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    sub = subregions(store)
    mapped = {sub.get(PLACE + w, PLACE + w).rsplit("/", 1)[-1] for w in wanted}
    return dict(filters, place=mapped)


#: What a page in the public profile says of itself, by place level.
PUBLIC_NOTES = {
    "country": "Public profile: no contributor codes, groups, times or local places.",
    "region": "Public profile: no contributor codes, groups, times or local places; "
              "the places participants gave are shown as UN M49 subregions.",
}


def render_view(
    store: GraphStore,
    out: str | os.PathLike,
    title: str | None = None,
    *,
    preset: str = "factors",
    query: str | None = None,
    params: dict[str, str] | None = None,
    steps: Sequence[str] | None = None,
    size: str = "contributions",
    max_nodes: int = AGGREGATE_ABOVE,
    flows: str = "all",
    query_options: dict | None = None,
    indicator: str = "detected-trafficking-victims",
    top: int = TOP_FLOWS,
    lang: str = "en",
    profile: str = "full",
    place_level: str = "country",
    redact: bool = False,
    **filters: str | Iterable[str] | None,
) -> Path:
    """Write a preset view of ``store`` to ``out`` as one self-contained HTML page and return its path.

    See :func:`network_for` for ``preset``, ``query``, ``params``, ``flows`` and ``filters`` and :func:`render_network`
    for the rest. The ``flows`` preset shows the ``top`` largest flows of each source (see
    :func:`top_flows`; 0 for all). Places and concepts are named in ``lang`` where the workspace
    has that language (English otherwise).

    ``profile="public"`` draws the page from the workspace's public export (see
    :func:`public_copy`), so that no label, tooltip, legend, search entry or page data shows a
    contributor code, group, time or local place; ``place_level="region"`` (public only) shows the
    places participants gave as UN M49 subregions; ``redact=True`` (public only) replaces likely
    e-mail addresses, phone numbers and names in participants' text with markers. The page says
    which profile it shows.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         page = render_view(store, d + "/session.html", preset="session").read_text(encoding="utf-8")
    >>> "Content-Security-Policy" in page, "https://" in page.split("<script")[0]
    (True, False)
    """
    with _profiled(store, profile, place_level, preset, redact) as source:
        filters = _filters_at_level(source, place_level, filters)
        G = network_for(source, preset, query=query, params=params, flows=flows, indicator=indicator, query_options=query_options, **filters)
        note, full = "", None
        if preset == "flows":
            full = G
            G, note = top_flows(G, top)
        if profile == "public":
            note = " ".join(filter(None, [PUBLIC_NOTES[place_level], note]))
        page = render_network(G, preset, title=title, steps=steps, size=size, max_nodes=max_nodes, filters=filters,
                              names=names(source, lang), note=note, flows_from=full)
    from crimekg.graph.outputs import write_output

    return write_output(out, page)
