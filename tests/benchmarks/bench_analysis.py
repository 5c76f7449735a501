"""Benchmark: network analysis of a 5,000-factor network, from the workspace to every report.

Builds a workspace with about 5,000 generated factors (and their contributions, links, sources...,
see bench_queries.generate), projects it with ``graph.network.factor_graph`` and times every report
of ``graph.analysis``. Betweenness runs exactly on igraph's C core; for comparison it also times
networkx's exact betweenness and its k-sampled estimate on the same graph and prints the
estimate's error. Goal: the whole analysis, betweenness included, under 10 s. Not part of the test
run; prints its figures.

    python tests/benchmarks/bench_analysis.py                 # 5,000 factors, links x1 and x3
    python tests/benchmarks/bench_analysis.py --factors 2000 --skip-networkx
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queries import generate  # noqa: E402


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"  {label:<44} {dt:8.2f} s", flush=True)
    return out, dt


def denser(G, factor: int, seed: int = 3):
    """Add random links until each factor has about ``factor`` outgoing links."""
    rnd = random.Random(seed)
    H = G.copy()
    nodes = list(H)
    for i in range(len(nodes) * (factor - 1)):
        u, v = rnd.choice(nodes), rnd.choice(nodes)
        H.add_edge(u, v, key=f"extra{i}", relation="reinforces", polarity="positive" if i % 5 else "negative", strength=None, evidence=None)
    return H


def analyse(G, skip_networkx: bool) -> float:
    import networkx as nx

    from crimekg.graph import analysis

    print(f"  {len(G):,} factors, {G.number_of_edges():,} links", flush=True)
    total = 0.0
    rows, dt = timed("centrality (degree, betweenness, PageRank)", lambda: analysis.centrality(G))
    total += dt
    _, dt = timed("bridges (TIP-only to SOM-only betweenness)", lambda: analysis.bridges(G))
    total += dt
    _, dt = timed("communities (greedy modularity)", lambda: analysis.communities(G))
    total += dt
    hub = rows[0]["factor"]
    _, dt = timed("downstream of the most central factor", lambda: analysis.reach(G, hub, "downstream"))
    total += dt
    _, dt = timed("upstream of the most central factor", lambda: analysis.reach(G, hub, "upstream"))
    total += dt
    far = analysis.reach(G, hub, "downstream")
    target = far[-1]["factor"] if far else rows[-1]["factor"]
    _, dt = timed("paths (first 20, up to 6 links)", lambda: analysis.paths(G, hub, target))
    total += dt
    _, dt = timed("loops (first 20, up to 6 links)", lambda: analysis.loops(G, 6, 20))
    total += dt
    print(f"  {'all reports':<44} {total:8.2f} s")
    if not skip_networkx:
        D = nx.DiGraph(G)
        D.remove_edges_from(nx.selfloop_edges(D))
        exact, _ = timed("networkx exact betweenness (for comparison)", lambda: nx.betweenness_centrality(D))
        ours = {r["factor"]: r["betweenness"] for r in rows}
        worst = max(abs(ours[n] - exact[n]) for n in D)
        print(f"  igraph vs networkx exact betweenness: largest difference {worst:.2e}")
        for k in (100, 500):
            est, _ = timed(f"networkx betweenness, k={k} sample", lambda k=k: nx.betweenness_centrality(D, k=k, seed=1))
            err = [abs(est[n] - exact[n]) for n in D]
            top_exact = sorted(D, key=lambda n: -exact[n])[:10]
            top_est = sorted(D, key=lambda n: -est[n])[:10]
            print(f"    k={k}: mean abs error {sum(err) / len(err):.2e}, max {max(err):.2e}; "
                  f"top-10 overlap with exact {len(set(top_exact) & set(top_est))}/10")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, default=5000)
    parser.add_argument("--skip-networkx", action="store_true", help="skip networkx's exact betweenness (about 100 s at 5,000)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from crimekg.graph.network import factor_graph
    from crimekg.graph.store import init_store

    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "bench.nt"
        generate(data, args.factors * 62)
        store = init_store(Path(d) / "ws")
        store.load([data], "contributions/bench")
        print(f"Workspace: {sum(store.graphs().values()):,} triples")
        G, dt_project = timed("factor_graph projection from the workspace", lambda: factor_graph(store))
        store.close()
    print("\nAs generated (about one link per factor, like the example session):")
    t1 = analyse(G, args.skip_networkx)
    print("\nDenser (about three links per factor):")
    t3 = analyse(denser(G, 3), args.skip_networkx)
    print(f"\nProjection {dt_project:.2f} s; analysis {t1:.2f} s (x1 links), {t3:.2f} s (x3 links). Goal: under 10 s.")


if __name__ == "__main__":
    main()
