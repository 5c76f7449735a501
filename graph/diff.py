"""``crimekg diff A B``: what changed between two sessions, workspaces or releases.

A side is a release folder (it holds ``data.nq``), a workspace folder (or a folder holding one in
``store/``, as ``crimekg demo`` makes), or the id of a session in the current workspace. Factors
are matched by IRI, else by normalised label (so the same factor said in two years matches);
links by the factors they join and their relation. The diff lists factors that are new in B, gone
from A, kept, and kept but changed (categories or crime types), links new, gone and kept, and the
counts per category and crime type.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crimekg import ontology
from crimekg.graph.errors import InvalidInput

__all__ = ["Side", "load_side", "diff", "format_diff", "diff_network", "render_diff_view"]

_FACTORS = """
SELECT ?f ?label ?cat ?crime WHERE {
  ?f a ckg:Factor ; skos:prefLabel ?label .
  OPTIONAL { ?f ckg:category ?cat } OPTIONAL { ?f ckg:crimeType ?crime }
  %s
}"""
_SESSION_FACTORS = """
SELECT ?f ?label ?cat ?crime WHERE {
  ?f a ckg:Factor ; skos:prefLabel ?label .
  %s
  OPTIONAL { ?c ckg:category ?cat } OPTIONAL { ?c ckg:crimeType ?crime }
}"""
_LINKS = """
SELECT ?a ?r ?b WHERE {
  ?l a ckg:FactorLink ; ckg:fromFactor ?a ; ckg:toFactor ?b . OPTIONAL { ?l ckg:relation ?r }
  %s
}"""


@dataclass
class Side:
    """One side of a diff: its factors (IRI: label, categories, crime types) and links."""

    name: str
    factors: dict[str, dict] = field(default_factory=dict)
    links: set[tuple[str, str, str]] = field(default_factory=set)


def _read(st: Any, name: str, session: str | None) -> Side:
    from crimekg.graph.store import PREFIXES

    f_filter = l_filter = ""
    query = _FACTORS
    if session:  # the factor as this session said it: categories and crime types of its contributions
        s = f"<{ontology.SESSION}{session}>"
        query = _SESSION_FACTORS
        f_filter = f"?f prov:wasDerivedFrom ?c . ?c prov:wasGeneratedBy {s} ."
        l_filter = f"?l prov:wasGeneratedBy {s} ."
    side = Side(name)
    for row in st.query(query % f_filter, prefixes=PREFIXES, use_default_graph_as_union=True):
        f = side.factors.setdefault(row["f"].value, {"label": row["label"].value, "categories": set(), "crimes": set(), "rank": (2, "")})
        rank = (0 if (row["label"].language or "") in ("", "en") else 1, row["label"].value)
        if rank < f["rank"]:  # the untagged or English label, else the first
            f["label"], f["rank"] = row["label"].value, rank
        if row["cat"] is not None:
            f["categories"].add(_slug(row["cat"].value))
        if row["crime"] is not None:
            f["crimes"].add(_slug(row["crime"].value))
    for row in st.query(_LINKS % l_filter, prefixes=PREFIXES, use_default_graph_as_union=True):
        side.links.add((row["a"].value, _slug(row["r"].value) if row["r"] is not None else "", row["b"].value))
    for f in side.factors.values():
        f.pop("rank")
    return side


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def load_side(spec: str, store: str | os.PathLike | None = None) -> Side:
    """Read one side: a release folder, a workspace folder, or a session id in the workspace ``store``."""
    import pyoxigraph as ox

    from crimekg.graph.store import is_remote, open_store, store_location

    path = Path(spec)
    if path.is_dir() and (path / "data.nq").is_file():
        st = ox.Store()
        st.load(path=str(path / "data.nq"), format=ox.RdfFormat.N_QUADS)
        return _read(st, spec, None)
    for candidate in (path, path / "store"):
        if candidate.is_dir() and (candidate / "CURRENT").is_file():
            return _read(ox.Store.read_only(str(candidate)), spec, None)
    if path.exists():
        raise InvalidInput(f"{spec}: neither a release (no data.nq in it) nor a crimekg workspace")
    location = store_location(store)
    if is_remote(location):  # a workspace on a server: read through its own store, into memory
        import io

        with open_store(location) as remote:
            buf = io.BytesIO()
            remote.export(buf, "nq")
        st = ox.Store()
        st.load(buf.getvalue(), format=ox.RdfFormat.N_QUADS)
    elif not (Path(location) / "CURRENT").is_file():
        raise InvalidInput(f"{spec}: no such folder, and no workspace at {location} to find a session {spec!r} in")
    else:
        st = ox.Store.read_only(location)
    known = st.query(f"ASK {{ <{ontology.SESSION}{spec}> a <{ontology.CKG}Session> }}", use_default_graph_as_union=True)
    if not bool(known):
        raise InvalidInput(f"{spec}: no such folder, and no session {spec!r} in {location}; `crimekg session list` shows them")
    return _read(st, f"session {spec}", spec)


def diff(a: Side, b: Side) -> dict:
    """Compare two sides: factors and links new in ``b``, gone from ``a``, kept; counts per concept.

    >>> a = Side("A", {"f:1": {"label": "Corrupt officials", "categories": {"enabling"}, "crimes": set()}})
    >>> b = Side("B", {"f:9": {"label": "corrupt  officials", "categories": {"enabling", "impunity"}, "crimes": set()},
    ...                "f:2": {"label": "Debt", "categories": {"profiting"}, "crimes": set()}})
    >>> d = diff(a, b)
    >>> [f["label"] for f in d["factors"]["new"]], [c["factor"] for c in d["factors"]["changed"]]
    (['Debt'], ['f:1'])
    """
    from crimekg.graph.contributions import normalize

    by_label = {normalize(v["label"]): k for k, v in a.factors.items()}
    same: dict[str, str] = {}  # B's IRI -> A's IRI
    for k, v in b.factors.items():
        if k in a.factors:
            same[k] = k
        elif normalize(v["label"]) in by_label and by_label[normalize(v["label"])] not in b.factors:
            same[k] = by_label[normalize(v["label"])]
    matched = set(same.values())
    new = sorted(k for k in b.factors if k not in same)
    gone = sorted(k for k in a.factors if k not in matched)
    kept = sorted(same.items(), key=lambda kv: kv[1])
    changed = []
    for kb, ka in kept:
        fa, fb = a.factors[ka], b.factors[kb]
        delta = {}
        for key in ("categories", "crimes"):
            if fa[key] != fb[key]:
                delta[key] = {"added": sorted(fb[key] - fa[key]), "removed": sorted(fa[key] - fb[key])}
        if delta:
            changed.append({"factor": ka, "label": fa["label"], **delta})
    links_b = {(same.get(x, x), r, same.get(y, y)) for x, r, y in b.links}
    concepts: dict[str, dict[str, int]] = {}
    for kind, side, keys in (("a", a, a.factors), ("b", b, b.factors)):
        for k in keys:
            f = side.factors[k]
            for c in [f"category/{c}" for c in f["categories"]] + [f"crime/{c}" for c in f["crimes"]]:
                row = concepts.setdefault(c, {"a": 0, "b": 0, "new": 0, "gone": 0, "kept": 0})
                row[kind] += 1
                if kind == "b":
                    row["kept" if k in same else "new"] += 1
                elif k not in matched:
                    row["gone"] += 1

    def info(side: Side, k: str) -> dict:
        f = side.factors[k]
        return {"factor": k, "label": f["label"], "categories": sorted(f["categories"]), "crimes": sorted(f["crimes"])}

    return {
        "a": a.name, "b": b.name,
        "factors": {"new": [info(b, k) for k in new], "gone": [info(a, k) for k in gone],
                    "kept": [info(a, ka) for _kb, ka in kept], "changed": changed},
        "links": {"new": sorted(links_b - a.links), "gone": sorted(a.links - links_b), "kept": sorted(a.links & links_b)},
        "concepts": dict(sorted(concepts.items())),
    }


def format_diff(d: Mapping, fmt: str = "table") -> str:
    """The diff as a table (counts per category and crime type, then the factors) or as JSON."""
    import json

    if fmt == "json":
        return json.dumps(d, ensure_ascii=False, indent=1, default=list) + "\n"
    if fmt != "table":
        raise InvalidInput(f"unknown format {fmt!r}; use table or json")
    f, links = d["factors"], d["links"]
    lines = [f"A: {d['a']}", f"B: {d['b']}",
             f"factors: {len(f['new'])} new, {len(f['gone'])} gone, {len(f['kept'])} kept ({len(f['changed'])} changed)",
             f"links: {len(links['new'])} new, {len(links['gone'])} gone, {len(links['kept'])} kept", ""]
    header = ("concept", "A", "B", "new", "gone", "kept")
    rows = [(c, *(str(v[k]) for k in ("a", "b", "new", "gone", "kept"))) for c, v in d["concepts"].items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for kind, sign in (("new", "+"), ("gone", "-")):
        if f[kind]:
            lines.append("")
            lines += [f"{sign} {x['label']}" for x in f[kind]]
    if f["changed"]:
        lines.append("")
        for c in f["changed"]:
            parts = [" ".join([k, *(f"+{x}" for x in v["added"]), *(f"-{x}" for x in v["removed"])]) for k, v in c.items() if isinstance(v, dict)]
            lines.append(f"~ {c['label']}: {'; '.join(parts)}")
    return "\n".join(lines) + "\n"


#: How the diff view colours factors: what B has that A had not, what A had that B has not, both.
STATUS_STYLES = {
    "diff-new": ("#1a9850", "dot", "\u25cf", "New in B"),
    "diff-gone": ("#d73027", "dot", "\u25cf", "Gone from A"),
    "diff-kept": ("#878787", "dot", "\u25cf", "Kept"),
}


def diff_network(d: Mapping) -> Any:
    """A networkx MultiDiGraph of both sides' factors (``kind`` says new, gone or kept) and links."""
    import networkx as nx

    G = nx.MultiDiGraph()
    for status in ("kept", "gone", "new"):
        for x in d["factors"][status]:
            G.add_node(x["factor"], label=x["label"], kind=f"diff-{status}", categories=x["categories"], crimes=x["crimes"])
    for status in ("kept", "gone", "new"):
        for a, r, b in d["links"][status]:
            for n in (a, b):
                if n not in G:
                    G.add_node(n, label=_slug(n), kind="diff-kept")
            G.add_edge(a, b, relation=r or "link", label=f"{r or 'link'} ({status})")
    return G


def render_diff_view(d: Mapping, out: str | os.PathLike, title: str | None = None) -> Path:
    """Write the diff as an offline HTML view: factors coloured new (green), gone (red) or kept (grey)."""
    from crimekg.graph import views

    G = diff_network(d)
    added = [k for k in STATUS_STYLES if k not in views.KIND_STYLES]
    views.KIND_STYLES.update({k: STATUS_STYLES[k] for k in added})  # the view's legend and colours for the statuses
    try:
        page = views.render_network(G, "factors", title=title or f"crimekg diff: {d['a']} \u2192 {d['b']}")
    finally:
        for k in added:
            views.KIND_STYLES.pop(k, None)
    from crimekg.graph.outputs import write_output

    return write_output(out, page)
