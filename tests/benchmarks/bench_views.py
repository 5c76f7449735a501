"""Benchmark: write a view and draw it in headless Chromium, side by side with pyvis's default output.

For each size, a synthetic factor network shaped like crimekg's (categories, crime types,
places, about 1.5 links per factor) is

- written by ``graph.views.render_network`` (igraph layout included; no aggregation), timed;
- written by pyvis 0.3.2 as a user would (``Network(cdn_resources="in_line")``, nodes and edges
  filled directly, since ``add_node`` is quadratic; default physics), timed;
- turned into a pyvis Network by ``graph.views.to_pyvis`` (the same positions, colours and
  tooltips; nodes set in bulk) and written through pyvis with crimekg's template, timed;
- opened in headless Chromium (Debian's, via Playwright), timing navigation start to
  vis-network's first ``afterDrawing`` (median of ``--runs``), and one full redraw of our page
  (what each pan, zoom or filter costs). pyvis's page asks Bootstrap from a CDN: those requests
  are aborted here (the machine is offline), and waiting stops at ``--cap`` seconds.

Not part of the test run; prints a table.

    python tests/benchmarks/bench_views.py                          # 1,000 and 5,000 nodes
    python tests/benchmarks/bench_views.py --sizes 1000 5000 10000 20000 --no-pyvis
    python tests/benchmarks/bench_views.py --sizes 1000 5000 20000 --pyvis-sizes 1000 --runs 1
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CATEGORIES = ["enabling", "profiting", "concealment", "impunity"]
CRIMES = ["trafficking-in-persons", "smuggling-of-migrants"]
COUNTRIES = ["NGA", "GHA", "THA", "PHL", "MEX", "GTM", "ROU", "UKR", "LBY", "ITA", "NER", "MMR"]
RELATIONS = ["enables", "finances", "conceals", "shields", "reinforces", "counters"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOOK = 'network.once("afterDrawing", function () { window.crimekgFirstDraw = performance.now(); });'


def synthetic(n: int, seed: int = 1):
    """A factor network of ``n`` nodes and about 1.5 n links, with the attributes factor_graph gives."""
    import networkx as nx

    rnd = random.Random(seed)
    G = nx.MultiDiGraph()
    for i in range(n):
        G.add_node(f"https://w3id.org/crimekg/data/factor/f{i}", label=f"Factor {i}: {rnd.choice(['weak', 'corrupt', 'porous', 'unregulated'])} {rnd.choice(['borders', 'officials', 'recruiters', 'courts'])}",
                   kind="factor", altLabels=[], categories=[rnd.choice(CATEGORIES)], crimes=[rnd.choice(CRIMES)], actors=[], levels=[],
                   places=rnd.sample(COUNTRIES, 2), sessions=["bench"], contributions=rnd.randint(1, 6))
    nodes = list(G)
    for i in range(int(n * 1.5)):
        u, v = rnd.choice(nodes), rnd.choice(nodes)
        if u != v:
            rel = rnd.choice(RELATIONS)
            G.add_edge(u, v, key=f"l{i}", relation=rel, polarity="negative" if rel == "counters" else "positive", strength=None, evidence=None)
    return G


def write_ours(G, path: Path) -> tuple[float, float]:
    """Seconds to lay out, and to lay out and write the page."""
    from crimekg.graph import views

    t0 = time.perf_counter()
    views.layout(G)
    layout = time.perf_counter() - t0
    t0 = time.perf_counter()
    path.write_text(views.render_network(G, max_nodes=len(G) + 1), encoding="utf-8")
    return layout, time.perf_counter() - t0


def write_pyvis(G, path: Path) -> float:
    """Seconds for pyvis to write the same network with its defaults (plus a first-draw hook)."""
    import os

    from pyvis.network import Network

    t0 = time.perf_counter()
    net = Network(directed=True, cdn_resources="in_line")
    ids = {n: i for i, n in enumerate(G)}
    net.nodes = [{"id": ids[n], "label": a["label"], "shape": "dot", "title": a["label"], "size": 10} for n, a in G.nodes(data=True)]
    net.node_ids = list(ids.values())
    net.node_map = {n["id"]: n for n in net.nodes}
    net.edges = [{"from": ids[u], "to": ids[v], "title": a["relation"], "arrows": "to"} for u, v, a in G.edges(data=True)]
    cwd = os.getcwd()
    os.chdir(path.parent)  # pyvis writes relative to the working directory
    try:
        net.write_html(path.name)
    finally:
        os.chdir(cwd)
    elapsed = time.perf_counter() - t0
    html = path.read_text(encoding="utf-8")
    marker = "network = new vis.Network(container, data, options);"
    assert marker in html, "pyvis template changed: cannot hook its first draw"
    path.write_text(html.replace(marker, marker + "\n" + HOOK, 1), encoding="utf-8")
    return elapsed


def write_to_pyvis(G, path: Path) -> tuple[float, float]:
    """Seconds for ``to_pyvis`` to build the Network, and to build it and write its page through pyvis."""
    import os

    from crimekg.graph.views import to_pyvis

    t0 = time.perf_counter()
    net = to_pyvis(G, max_nodes=len(G) + 1)
    built = time.perf_counter() - t0
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        net.write_html(path.name)
    finally:
        os.chdir(cwd)
    return built, time.perf_counter() - t0


REDRAW = """() => {
    const r = window.crimekg.network.renderer, times = [];
    for (let i = 0; i < 5; i++) { const t = performance.now(); r._redraw(); times.push(performance.now() - t); }
    return times.sort((a, b) => a - b)[2];
}"""


def redraw(browser, path: Path) -> float:
    """Milliseconds for one full redraw of our page (what every pan and zoom costs), median of 5."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(path.resolve().as_uri())
        while page.evaluate("window.crimekgFirstDraw") is None:
            time.sleep(0.1)
        return page.evaluate(REDRAW)
    finally:
        page.close()


def first_draw(browser, path: Path, cap: float) -> float | None:
    """Seconds from navigation start to the first afterDrawing, or None past ``cap``."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    try:
        start = time.monotonic()
        page.goto(path.resolve().as_uri(), wait_until="commit", timeout=cap * 1000)
        # poll from Python: wait_for_function's interval polling evaluates strings, which the
        # views' Content-Security-Policy (rightly) forbids
        while time.monotonic() - start < cap:
            drawn = page.evaluate("window.crimekgFirstDraw")
            if drawn is not None:
                return drawn / 1000
            time.sleep(0.1)
        return None
    finally:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--cap", type=float, default=60.0, help="Stop waiting for a first draw after this many seconds.")
    ap.add_argument("--no-pyvis", action="store_true", help="Skip pyvis's default output.")
    ap.add_argument("--pyvis-sizes", type=int, nargs="+", help="Sizes to run pyvis at (default: all).")
    ap.add_argument("--runs", type=int, default=3, help="Draws per page (the median is shown).")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    def fmt(t: float | None) -> str:
        return f"> {args.cap:.0f} s" if t is None else f"{t:.2f} s"

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for n in args.sizes:
            G = synthetic(n)
            ours = Path(tmp) / f"ours-{n}.html"
            layout, written = write_ours(G, ours)
            draws = sorted((first_draw(browser, ours, args.cap) or float("inf")) for _ in range(args.runs))
            draw = draws[len(draws) // 2]
            row = [f"{n:,}", f"{G.number_of_edges():,}", f"{layout:.2f} s", f"{written:.2f} s", f"{ours.stat().st_size / 1e6:.1f} MB",
                   fmt(None if draw == float("inf") else draw), f"{redraw(browser, ours):.0f} ms"]
            via = Path(tmp) / f"to-pyvis-{n}.html"
            built, via_written = write_to_pyvis(G, via)
            via_draws = sorted((first_draw(browser, via, args.cap) or float("inf")) for _ in range(args.runs))
            via_draw = via_draws[len(via_draws) // 2]
            row += [f"{built:.2f} s", f"{via_written:.2f} s", fmt(None if via_draw == float("inf") else via_draw)]
            if args.no_pyvis or (args.pyvis_sizes and n not in args.pyvis_sizes):
                row += ["-", "-"]
            else:
                theirs = Path(tmp) / f"pyvis-{n}.html"
                written_pyvis = write_pyvis(G, theirs)
                row += [f"{written_pyvis:.2f} s", fmt(first_draw(browser, theirs, args.cap))]
            rows.append(row)
            print("  ".join(row), flush=True, file=sys.stderr)
        browser.close()
    head = ["nodes", "edges", "layout", "HTML written (layout incl.)", "size", "first draw", "redraw",
            "to_pyvis built", "to_pyvis written", "to_pyvis first draw", "pyvis written", "pyvis first draw"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
