"""Benchmark: how a parameter reaches a named query, Oxigraph substitution against a leading VALUES block.

For every named query that takes parameters, on the demo workspace and on a workspace holding
the real UNODC GLOTIP export, it resolves the parameters once (as ``crimekg query --param`` does),
then runs the query's text on the workspace's own pyoxigraph Store, reading every row, both ways:

- substitution: ``Store.query(text, substitutions={?var: term})`` (W3C SEP-0007);
- VALUES: ``Store.query(bind_values(text, {var: term}))``, the values as a leading
  ``VALUES`` block of the WHERE group (what ``graph.query`` runs).

Both must return the same rows. Median of a few runs after a warm-up; prints a table. Not part of
the test run.

    python tests/benchmarks/bench_binding.py
    python tests/benchmarks/bench_binding.py --runs 5 --glotip-store /tmp/glotip-ws   # reuse an import
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
GLOTIP = ROOT.parent / "shared" / "data" / "unodc-glotip" / "data_glotip.xlsx"

#: Values for the parameters, by name (a query's optional parameters get one too, to be bound).
VALUES = {
    "place": "NGA",
    "area": "NGA",
    "category": "impunity",
    "crime": "TIP",
    "actor": "traffickers",
    "level": "national",
    "topic": "migrant-smuggling-routes",
    "text": "border",
    "source": "glotip",
    "method": "betweenness",
    "subject": "debt-bondage",
}


def _median(fn, runs: int) -> tuple[float, list]:
    out = fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench(store, label: str, runs: int, factor: str | None) -> list[tuple]:
    import pyoxigraph as ox

    from crimekg.graph.errors import CrimeKGError
    from crimekg.graph.query import bind_values, named_queries, resolve_params
    from crimekg.graph.store import PREFIXES

    native: ox.Store = store.oxigraph
    rows = []
    for name, q in named_queries().items():
        if not q.params:
            continue
        values = {p.name: (factor if p.type == "factor" else VALUES.get(p.name)) for p in q.params}
        values = {k: v for k, v in values.items() if v}
        try:
            terms = resolve_params(store, q, values)
        except CrimeKGError as exc:
            print(f"  {label:<8} {name:<32} skipped: {exc}", flush=True)
            continue
        subs = {ox.Variable(k): v for k, v in terms.items()}
        spliced = bind_values(q.text, terms, q.where)

        def substitution(q=q, subs=subs):
            return sorted(str(tuple(r)) for r in native.query(q.text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=subs))

        def values_block(spliced=spliced):
            return sorted(str(tuple(r)) for r in native.query(spliced, prefixes=PREFIXES, use_default_graph_as_union=True))

        ts, rs = _median(substitution, runs)
        tv, rv = _median(values_block, runs)
        assert rs == rv, f"{name}: substitution and VALUES disagree ({len(rs)} and {len(rv)} rows)"
        rows.append((label, name, len(rv), ts, tv))
        print(f"  {label:<8} {name:<32} {len(rv):>6,} rows  substitution {ts:8.3f} s  VALUES {tv:8.3f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--glotip-store", help="a workspace that already holds the GLOTIP import (else it is imported here)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from crimekg.graph.demo import build_demo
    from crimekg.graph.importers import plan_import
    from crimekg.graph.store import init_store, open_store

    results = []
    with tempfile.TemporaryDirectory() as d:
        demo = build_demo(Path(d) / "demo")["store"]
        with open_store(demo) as store:
            print(f"demo workspace: {sum(store.graphs().values()):,} triples", flush=True)
            results += bench(store, "demo", args.runs, "corruption-of-officials")
        if args.glotip_store:
            location = args.glotip_store
        elif GLOTIP.exists():
            location = Path(d) / "glotip"
            t0 = time.perf_counter()
            with init_store(location) as store:
                store.write(plan_import("glotip", GLOTIP, store, download_date="2025-05-02").changes)
            print(f"GLOTIP imported in {time.perf_counter() - t0:.0f} s", flush=True)
        else:
            location = None
            print(f"no GLOTIP export at {GLOTIP}: the real-data half is left out", flush=True)
        if location:
            with open_store(location) as store:
                print(f"GLOTIP workspace: {sum(store.graphs().values()):,} triples", flush=True)
                results += bench(store, "glotip", args.runs, None)
    print()
    print(f"{'workspace':<10} {'query':<32} {'rows':>7} {'substitution s':>15} {'VALUES s':>9} {'ratio':>7}")
    for label, name, n, ts, tv in results:
        print(f"{label:<10} {name:<32} {n:>7,} {ts:>15.4f} {tv:>9.4f} {ts / tv if tv else float('inf'):>6.1f}x")
    total_s, total_v = sum(r[3] for r in results), sum(r[4] for r in results)
    print(f"{'total':<10} {'':<32} {'':>7} {total_s:>15.4f} {total_v:>9.4f} {total_s / total_v if total_v else 0:>6.1f}x")


if __name__ == "__main__":
    main()
