"""Benchmark: a workspace on the embedded store beside the same workspace on SPARQL servers.

Generates a workspace shaped like ours (bench_queries.py's generator: sessions, contributions,
factors, links...) of the given size, then for each backend, in a process of its own so that its
peak memory is its own: load time (``store.load`` of the generated N-Triples), every named query
through crimekg (``run_query``, rows read) and, for the server, the same SPARQL sent raw over HTTP
(the request crimekg sends, answer bytes read, nothing parsed), export time (N-Quads) and the
a brief (NGA, built and rendered as Markdown), the ``factors`` view, and the crimekg process's peak
memory (max RSS). Goal: crimekg within 1.5x of the raw request. The servers: Oxigraph server, and
the "jena" backend (Apache Jena ARQ over TDB2 behind tests/tools/jena's minimal SPARQL protocol
front; it is not Fuseki), each started and stopped here on 127.0.0.1. Not part of the test run;
prints a table.

    python tests/benchmarks/bench_remote.py                      # 1M triples
    python tests/benchmarks/bench_remote.py --size 100000 --only factors-by-category
    python tests/benchmarks/bench_remote.py --backends embedded jena
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


#: A query slower than this (seconds) is timed once, its warm-up being the figure.
SLOW = 5.0


def child(backend: str, location: str, data: str, only: list[str]) -> None:
    """One backend's run (in its own process); prints one JSON line of figures."""
    from crimekg.graph.errors import CrimeKGError
    from crimekg.graph.query import named_queries, resolve_params, run_query
    from crimekg.graph.remote import _with_prefixes
    from crimekg.graph.store import bind_values as _bind
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
        try:
            t0 = time.perf_counter()
            rows = len(run_query(store, q, params).rows)  # warm-up, and the figure when it is slow
            if time.perf_counter() - t0 < SLOW:
                t0 = time.perf_counter()
                rows = len(run_query(store, q, params).rows)
        except CrimeKGError as exc:  # a query past CRIMEKG_TIMEOUT on a server: say so, go on
            out["queries"][name] = {"skipped": f"{exc.__class__.__name__}: {exc}"[:160]}
            print(f"{backend}: {name} {out['queries'][name]}", file=sys.stderr, flush=True)
            continue
        figures = {"rows": rows, "crimekg": time.perf_counter() - t0}
        if backend != "embedded":
            from crimekg.graph.store import from_oxigraph_term

            text = _with_prefixes(_bind(q.text, {k: from_oxigraph_term(v) for k, v in subs.items()}))
            t0 = time.perf_counter()
            _raw_request(store, text)
            figures["raw"] = time.perf_counter() - t0
        out["queries"][name] = figures
        print(f"{backend}: {name} {figures}", file=sys.stderr, flush=True)
    from crimekg.graph.brief import build_brief, render_brief
    from crimekg.graph.views import render_view

    t0 = time.perf_counter()
    render_brief(build_brief(store, country="NGA"), "md")
    out["brief"] = time.perf_counter() - t0
    print(f"{backend}: brief {out['brief']:.1f} s", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    render_view(store, Path(data).with_suffix(f".{backend}.html"), preset="factors")
    out["view"] = time.perf_counter() - t0
    print(f"{backend}: factors view {out['view']:.1f} s", file=sys.stderr, flush=True)
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
    parser.add_argument("--backends", nargs="*", default=["embedded", "oxigraph", "jena"],
                        choices=["embedded", "oxigraph", "jena"], help="which backends to run (default: all three)")
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "LOCATION", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.child:
        child(*args.child, args.only)
        return
    from tests.helpers import SparqlServer, jena_command, oxigraph_command

    results = {}
    servers = []
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "bench.nt"
        n = _bench_queries().generate(data, args.size)
        print(f"{args.size:,} generated triples ({n:,} participant data)", flush=True)
        try:
            locations = {"embedded": str(Path(d) / "ws")}
            if "oxigraph" in args.backends:
                command = oxigraph_command()
                if command is None:
                    sys.exit("bench_remote: the Oxigraph server is not installed (pip install oxigraph)")
                servers.append(SparqlServer.start("oxigraph", lambda port: [*command, "serve", "--location", str(Path(d) / "server"), "--bind", f"127.0.0.1:{port}"], ""))
                locations["oxigraph"] = servers[-1].url
            if "jena" in args.backends:
                build = Path(d) / "jena-build"
                build.mkdir()
                jena, reason = jena_command(build)
                if jena is None:
                    sys.exit(f"bench_remote: {reason}")
                tdb = Path(d) / "tdb2"
                servers.append(SparqlServer.start("jena", lambda port: [*jena, "--loc", str(tdb), "--port", str(port)], "/crimekg"))
                locations["jena"] = servers[-1].url
            for backend in args.backends:
                argv = [sys.executable, __file__, "--child", backend, locations[backend], str(data)]
                if args.only:
                    argv += ["--only", *args.only]
                done = subprocess.run(argv, stdout=subprocess.PIPE, text=True)  # progress goes on to stderr
                if done.returncode != 0:
                    sys.exit(f"bench_remote: the {backend} run failed")
                results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            for server in servers:
                server.stop()
    table(results, args.backends)


def table(results: dict, backends: list[str]) -> None:
    """One column per backend; for each server, the raw HTTP request's time and crimekg's ratio to it."""
    import statistics

    heads = {"embedded": "embedded", "oxigraph": "oxigraph server", "jena": "jena (ARQ/TDB2)"}
    first = results[backends[0]]
    print("\n" + f"{'':34}" + "".join(f"{heads[b]:>18}" for b in backends)
          + "".join(f"{'raw ' + b:>14}{'x raw':>7}" for b in backends if b != "embedded"))

    def row(label: str, key: str, fmt: str) -> None:
        print(f"{label:34}" + "".join(f"{results[b][key]:>18{fmt}}" for b in backends))

    row("workspace triples", "triples", ",")
    row("load (s)", "load", ".2f")
    ratios: dict[str, list] = {b: [] for b in backends if b != "embedded"}
    for name in first["queries"]:
        figures = [results[b]["queries"].get(name, {}) for b in backends]
        skipped = next((f["skipped"] for f in figures if "skipped" in f), None)
        if skipped:
            print(f"  {name:<32}skipped: {skipped}")
            continue
        rows = {b: results[b]["queries"][name]["rows"] for b in backends}
        line = f"  {name:<32}" + "".join(f"{f['crimekg'] * 1000:>16.0f}ms" for f in figures)
        for b, f in zip(backends, figures):
            if b != "embedded":
                ratio = f["crimekg"] / f["raw"] if f["raw"] else 1.0
                ratios[b].append((ratio, name))
                line += f"{f['raw'] * 1000:>12.0f}ms{ratio:>6.2f}x"
        if len(set(rows.values())) > 1:
            line += f"  rows differ: {rows}"
        print(line)
    row("brief NGA (s)", "brief", ".2f")
    row("factors view (s)", "view", ".2f")
    row("export N-Quads (s)", "export", ".2f")
    row("peak memory of crimekg (MB)", "max_rss_mb", ".0f")
    for b, rs in ratios.items():
        if rs:
            print(f"{b}: crimekg over raw HTTP: median x{statistics.median(r for r, _ in rs):.2f}, max x{max(rs)[0]:.2f} ({max(rs)[1]})")


if __name__ == "__main__":
    main()
