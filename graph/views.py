"""Interactive network views: one self-contained HTML file, made with pyvis's vis-network.

The page carries vis-network's script and style inline (taken from the pyvis wheel) and
fetches nothing. Positions are computed in Python and physics is off, so the first draw is
immediate. Every label and tooltip reaches the page as JSON data and is shown as text.
"""

from __future__ import annotations

import html
import json
import os
from importlib.resources import files
from pathlib import Path

import ontology
from graph.store import GraphStore

__all__ = ["CATEGORY_COLOURS", "factor_network", "render_view"]

CATEGORY_COLOURS = {
    "enabling": "#d95f02",
    "profiting": "#1b9e77",
    "concealment": "#7570b3",
    "impunity": "#e7298a",
    None: "#999999",
}

_FACTORS = """
SELECT ?f ?label (GROUP_CONCAT(DISTINCT ?cat; separator=" ") AS ?cats)
       (GROUP_CONCAT(DISTINCT ?crimeLabel; separator=", ") AS ?crimes)
       (COUNT(DISTINCT ?c) AS ?contributions)
WHERE {
  ?f a ckg:Factor ; skos:prefLabel ?label .
  OPTIONAL { ?f ckg:category ?catIri . BIND(STRAFTER(STR(?catIri), "/category/") AS ?cat) }
  OPTIONAL { ?f ckg:crimeType/skos:prefLabel ?crimeLabel }
  OPTIONAL { ?f prov:wasDerivedFrom ?c }
}
GROUP BY ?f ?label
ORDER BY ?label
"""

_LINKS = """
SELECT ?from ?to ?relation ?polarity WHERE {
  ?l a ckg:FactorLink ; ckg:fromFactor ?from ; ckg:toFactor ?to .
  OPTIONAL { ?l ckg:relation/skos:prefLabel ?relation }
  OPTIONAL { ?l ckg:polarity ?pol . BIND(STRAFTER(STR(?pol), "/polarity/") AS ?polarity) }
}
"""


def factor_network(store: GraphStore) -> tuple[list[dict], list[dict]]:
    """Return the factors (nodes) and factor links (edges) of a workspace as plain dicts."""
    nodes = []
    for row in store.select(_FACTORS):
        cats = sorted(str(row.get("cats", "")).split())
        nodes.append(
            {
                "id": str(row["f"]),
                "label": str(row["label"]),
                "categories": cats,
                "crimes": str(row.get("crimes", "")),
                "contributions": int(row["contributions"]),
            }
        )
    known = {n["id"] for n in nodes}
    edges = [
        {
            "from": str(r["from"]),
            "to": str(r["to"]),
            "relation": str(r.get("relation", "")),
            "polarity": str(r.get("polarity", "positive")),
        }
        for r in store.select(_LINKS)
        if str(r["from"]) in known and str(r["to"]) in known
    ]
    return nodes, edges


def _layout(nodes: list[dict], edges: list[dict]) -> dict[str, tuple[float, float]]:
    """Force-directed positions from igraph's C core (networkx's spring_layout is 100x slower)."""
    import igraph
    import random

    if not nodes:
        return {}
    index = {n["id"]: i for i, n in enumerate(nodes)}
    g = igraph.Graph(n=len(nodes), edges=[(index[e["from"]], index[e["to"]]) for e in edges])
    random.seed(7)  # igraph draws its start positions from Python's random: fix them
    coords = g.layout_fruchterman_reingold(niter=500).coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = 160 * len(nodes) ** 0.5 / span
    return {n["id"]: ((x - min(xs)) * scale, (y - min(ys)) * scale) for n, x, y in zip(nodes, xs, ys)}


def _script_json(data: object) -> str:
    """JSON that is safe inside a <script> element, whatever text the labels hold."""
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_view(store: GraphStore, out: str | os.PathLike, title: str = "crimekg: factor network") -> Path:
    """Write the factor network of ``store`` to ``out`` as a self-contained HTML page."""
    nodes, edges = factor_network(store)
    pos = _layout(nodes, edges)
    vis_nodes = []
    for n in nodes:
        cat = n["categories"][0] if n["categories"] else None
        x, y = pos.get(n["id"], (0.0, 0.0))
        vis_nodes.append(
            {
                "id": n["id"],
                "label": n["label"],
                "x": x,
                "y": y,
                "value": max(n["contributions"], 1),
                "color": CATEGORY_COLOURS.get(cat, CATEGORY_COLOURS[None]),
                "title": "\n".join(
                    [
                        n["label"],
                        "Categories: " + (", ".join(n["categories"]) or "none"),
                        "Crime: " + (n["crimes"] or "not stated"),
                        f"Contributions: {n['contributions']}",
                    ]
                ),
            }
        )
    vis_edges = [
        {
            "from": e["from"],
            "to": e["to"],
            "arrows": "to",
            "label": e["relation"],
            "dashes": e["polarity"] == "negative",
            "title": f"{e['relation'] or 'linked'} ({e['polarity']})",
        }
        for e in edges
    ]
    lib = files("pyvis") / "templates" / "lib" / "vis-9.1.2"
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{html.escape(cat or "no category")}</li>'
        for cat, colour in CATEGORY_COLOURS.items()
    )
    page = _PAGE.format(
        title=html.escape(title),
        css=(lib / "vis-network.css").read_text(encoding="utf-8"),
        js=(lib / "vis-network.min.js").read_text(encoding="utf-8"),
        legend=legend,
        nodes=_script_json(vis_nodes),
        edges=_script_json(vis_edges),
        count=f"{len(vis_nodes)} factors, {len(vis_edges)} links",
    )
    path = Path(out)
    path.write_text(page, encoding="utf-8")
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>{css}</style>
<style>
body {{ margin: 0; font-family: sans-serif; }}
#net {{ width: 100vw; height: calc(100vh - 3em); }}
header {{ height: 3em; display: flex; align-items: center; gap: 2em; padding: 0 1em; }}
ul.legend {{ list-style: none; display: flex; gap: 1em; margin: 0; padding: 0; }}
.swatch {{ display: inline-block; width: 1em; height: 1em; margin-right: .3em; vertical-align: middle; }}
</style>
</head>
<body>
<header><strong>{title}</strong><span>{count}</span><ul class="legend">{legend}</ul></header>
<div id="net"></div>
<script>{js}</script>
<script>
const nodes = new vis.DataSet({nodes});
const edges = new vis.DataSet({edges});
const network = new vis.Network(document.getElementById("net"), {{nodes, edges}}, {{
  physics: false,
  nodes: {{ shape: "dot", scaling: {{ min: 10, max: 40 }}, font: {{ size: 16 }} }},
  edges: {{ smooth: false, font: {{ size: 11, align: "middle" }} }},
  interaction: {{ hover: true, tooltipDelay: 100 }}
}});
network.once("afterDrawing", () => {{ document.body.dataset.drawn = "1"; }});
</script>
</body>
</html>
"""
