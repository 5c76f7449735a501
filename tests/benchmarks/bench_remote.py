"""Benchmark: a workspace on the embedded store beside the same workspace on Oxigraph server.

Generates a workspace shaped like ours (bench_queries.py's generator: sessions, contributions,
factors, links...) of the given size, then for each backend, in a process of its own so that its
peak memory is its own: load time (``store.load`` of the generated N-Triples), every named query
through crimekg (``run_query``, rows read) and, for the server, the same SPARQL sent raw over HTTP
(the request crimekg sends, answer bytes read, nothing parsed), export time (N-Quads) and the
crimekg process's peak memory (max RSS). Goal: crimekg within 1.5x of the raw request. Starts and
stops its own Oxigraph server on 127.0.0.1. Not part of the test run; prints a table.

    python tests/benchmarks/bench_remote.py                      # 1M triples
    python tests/benchmarks/bench_remote.py --size 100000 --only factors-by-category
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _bench_queries():
    spec = importlib.util.spec_from_file_location("bench_queries", Path(__file__).with_name("bench_queries.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw_request(store, sparql: str) -> int:
    """The same query straight over HTTP (what curl would send): bytes of the answer."""
    import urllib.parse
    import urllib.request

    graphs = store._visible_graphs()
    fields = [("query", sparql)] + [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    req = urllib.request.Request(store.endpoints.query, data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return len(r.read())


def child(backend: str, location: str, data: str, only: list[str]) -> None:
    """One backend's run (in its own process); prints one JSON line of figures."""
    from crimekg.graph.errors import CrimeKGError
    from crimekg.graph.query import named_queries, resolve_params, run_query
    from crimekg.graph.remote import _bind, _with_prefixes
    from crimekg.graph.store import init_store

    params_for = _bench_queries().PARAMS
    out: dict = {"backend": backend, "queries": {}}
    store = init_store(location)
    t0 = time.perf_counter()
    store.load([data], "contributions/bench")
    out["load"] = time.perf_counter() - t0
    out["triples"] = sum(store.graphs().values())
    print(f"{backend}: loaded {out['triples']:,} triples in {out['load']:.1f} s", file=sys.stderr, flush=True)
    for name, q in named_queries().items():
        if only and name not in only:
            continue
        params = params_for.get(name) or {p.name: "Italy" for p in q.params if p.required and p.type == "place"}
        try:
            subs = resolve_params(store, q, params)
        except CrimeKGError as exc:
            out["queries"][name] = {"skipped": str(exc)}
            continue
        run_query(store, q, params)  # warm-up
        t0 = time.perf_counter()
        rows = len(run_query(store, q, params).rows)
        figures = {"rows": rows, "crimekg": time.perf_counter() - t0}
        if backend != "embedded":
            from crimekg.graph.store import from_oxigraph_term

            text = _with_prefixes(_bind(q.text, {k: from_oxigraph_term(v) for k, v in subs.items()}))
            t0 = time.perf_counter()
            _raw_request(store, text)
            figures["raw"] = time.perf_counter() - t0
        out["queries"][name] = figures
        print(f"{backend}: {name} {figures}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    sink = open(Path(data).with_suffix(f".{backend}.nq"), "wb")
    with sink:
        store.export(sink, "nq")
    out["export"] = time.perf_counter() - t0
    store.close()
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--only", nargs="*", default=[], help="named queries to run (default: all)")
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "LOCATION", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.child:
        child(*args.child, args.only)
        return
    from tests.helpers import SparqlServer, oxigraph_command

    command = oxigraph_command()
    if command is None:
        sys.exit("bench_remote: the Oxigraph server is not installed (pip install oxigraph)")
    results = {}
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "bench.nt"
        n = _bench_queries().generate(data, args.size)
        print(f"{args.size:,} generated triples ({n:,} participant data)", flush=True)
        server = SparqlServer.start("oxigraph", lambda port: [*command, "serve", "--location", str(Path(d) / "server"), "--bind", f"127.0.0.1:{port}"], "")
        try:
            for backend, location in (("embedded", str(Path(d) / "ws")), ("oxigraph", server.url)):
                argv = [sys.executable, __file__, "--child", backend, location, str(data)]
                if args.only:
                    argv += ["--only", *args.only]
                done = subprocess.run(argv, stdout=subprocess.PIPE, text=True)  # progress goes on to stderr
                if done.returncode != 0:
                    sys.exit(f"bench_remote: the {backend} run failed")
                results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            server.stop()
    emb, srv = results["embedded"], results["oxigraph"]
    print(f"\n{'':34}{'embedded':>12}{'oxigraph server':>18}{'raw HTTP':>12}{'crimekg/raw':>13}")
    print(f"{'workspace triples':34}{emb['triples']:>12,}{srv['triples']:>18,}")
    print(f"{'load (s)':34}{emb['load']:>12.2f}{srv['load']:>18.2f}")
    ratios = []
    for name in emb["queries"]:
        e, s = emb["queries"][name], srv["queries"].get(name, {})
        if "skipped" in e or "skipped" in s:
            print(f"  {name:<32}skipped: {e.get('skipped') or s.get('skipped')}")
            continue
        assert e["rows"] == s["rows"], (name, e["rows"], s["rows"])
        ratio = s["crimekg"] / s["raw"] if s["raw"] else 1.0
        ratios.append((ratio, name))
        print(f"  {name:<32}{e['crimekg'] * 1000:>10.0f}ms{s['crimekg'] * 1000:>16.0f}ms{s['raw'] * 1000:>10.0f}ms{ratio:>12.2f}x")
    print(f"{'export N-Quads (s)':34}{emb['export']:>12.2f}{srv['export']:>18.2f}")
    print(f"{'peak memory of crimekg (MB)':34}{emb['max_rss_mb']:>12.0f}{srv['max_rss_mb']:>18.0f}")
    if ratios:
        import statistics

        print(f"crimekg over raw HTTP: median x{statistics.median(r for r, _ in ratios):.2f}, max x{max(ratios)[0]:.2f} ({max(ratios)[1]})")


if __name__ == "__main__":
    main()
