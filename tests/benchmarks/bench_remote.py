"""Benchmark: a workspace on the embedded store beside the same workspace on SPARQL servers.

Generates a workspace shaped like ours (bench_queries.py's generator: sessions, contributions,
factors, links...) of the given size(s), then for each backend, in a process of its own so that
its peak memory is its own: load time (``store.load`` of the generated N-Triples: on a server,
Graph Store Protocol uploads), every named query through crimekg (``run_query``, rows read) and,
for a server, the same SPARQL sent raw over HTTP with the same dataset parameters (what curl would
send; answer bytes read, nothing parsed), export time (N-Quads), a brief (NGA, built and rendered
as Markdown), the ``factors`` view, and the crimekg process's peak memory (max RSS). Beside
crimekg's load, each server's own bulk loader on the same N-Triples into a fresh location
(``oxigraph load``; Jena's ``tdb2.tdbloader``). Goals: crimekg within 1.5x of the raw request;
crimekg's load within 2x of the bulk loader; memory flat as the data grows.

The servers: Oxigraph server, and the "jena" backend (Apache Jena ARQ over TDB2 behind
tests/tools/jena's minimal SPARQL protocol front; it is not Fuseki), each started and stopped here
on 127.0.0.1. With ``--union-default-graph`` both start with their default graph the union of
their named graphs and crimekg (and the raw request) send no dataset; ``--with-dataset Q...``
then also times those queries with the dataset sent, for comparison. Not part of the test run;
prints tables.

    python tests/benchmarks/bench_remote.py                      # 1M triples
    python tests/benchmarks/bench_remote.py --size 100000 --only factors-by-category
    python tests/benchmarks/bench_remote.py --backends embedded jena --union-default-graph
    python tests/benchmarks/bench_remote.py --sizes 100000 1000000 10000000 --load-only
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
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
    """The same query straight over HTTP (what curl would send), with the dataset parameters crimekg
    sends (none in the union-default-graph mode): bytes of the answer."""
    import urllib.parse
    import urllib.request

    from crimekg.graph.remote import own_dataset
    from crimekg.graph.store import names_dataset

    fields = [("query", sparql)]
    if names_dataset(sparql):
        if store.union_default_graph:
            defaults, named = own_dataset(sparql)
            fields += [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
    elif not store.union_default_graph:
        graphs = store._visible_graphs()
        fields += [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    req = urllib.request.Request(store.endpoints.query, data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return len(r.read())


#: A query slower than this (seconds) is timed once, its warm-up being the figure.
SLOW = 5.0


def _time_query(store, q, params) -> tuple[int, float]:
    from crimekg.graph.query import run_query

    t0 = time.perf_counter()
    rows = len(run_query(store, q, params).rows)  # warm-up, and the figure when it is slow
    if time.perf_counter() - t0 < SLOW:
        t0 = time.perf_counter()
        rows = len(run_query(store, q, params).rows)
    return rows, time.perf_counter() - t0


def child(backend: str, location: str, data: str, config: dict) -> None:
    """One backend's run (in its own process); prints one JSON line of figures."""
    from crimekg.graph.errors import CrimeKGError
    from crimekg.graph.query import named_queries, resolve_params
    from crimekg.graph.remote import _with_prefixes
    from crimekg.graph.store import bind_values, from_oxigraph_term, init_store

    only = config["only"]
    union = config["union"] and backend != "embedded"
    params_for = _bench_queries().PARAMS
    out: dict = {"backend": backend, "queries": {}}
    store = init_store(location, endpoints={"union_default_graph": True} if union else None)
    t0 = time.perf_counter()
    if config.get("profile"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(store.load, [data], "contributions/bench")
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(18)
    else:
        store.load([data], "contributions/bench")
    out["load"] = time.perf_counter() - t0
    out["triples"] = sum(store.graphs().values())
    print(f"{backend}: loaded {out['triples']:,} triples in {out['load']:.1f} s", file=sys.stderr, flush=True)
    if config["load_only"]:
        store.close()
        out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out), flush=True)
        return
    plain = None
    if union and config["with_dataset"]:  # the same server, queried with the dataset in the request
        from crimekg.graph.remote import RemoteStore

        plain = RemoteStore(location, union_default_graph=False)
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
            rows, took = _time_query(store, q, params)
        except CrimeKGError as exc:  # a query past CRIMEKG_TIMEOUT on a server: say so, go on
            out["queries"][name] = {"skipped": f"{exc.__class__.__name__}: {exc}"[:160]}
            print(f"{backend}: {name} {out['queries'][name]}", file=sys.stderr, flush=True)
            continue
        figures = {"rows": rows, "crimekg": took}
        if backend != "embedded":
            text = _with_prefixes(bind_values(q.text, {k: from_oxigraph_term(v) for k, v in subs.items()}))
            t0 = time.perf_counter()
            _raw_request(store, text)
            figures["raw"] = time.perf_counter() - t0
            if plain is not None and name in config["with_dataset"]:
                try:
                    figures["dataset_rows"], figures["dataset"] = _time_query(plain, q, params)
                except CrimeKGError as exc:
                    figures["dataset_skipped"] = f"{exc.__class__.__name__}"
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
    Path(sink.name).unlink()
    store.close()
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out), flush=True)


def bulk_load(backend: str, data: Path, where: Path, jena_classpath: str | None) -> float | None:
    """The server's own bulk loader on the same N-Triples, into the same named graph, in a fresh
    location: seconds, or None when it cannot run."""
    from tests.helpers import oxigraph_command

    graph = "https://w3id.org/crimekg/graph/contributions/bench"
    if backend == "oxigraph":
        command = oxigraph_command()
        if command is None:
            return None
        argv = [*command, "load", "--location", str(where), "--file", str(data), "--graph", graph]
    elif backend == "jena" and jena_classpath:
        argv = [shutil.which("java") or "java", "-Xmx1g", "-cp", jena_classpath + os.pathsep + str(Path(jena_classpath.split(os.pathsep)[1]).parent / "jena-cmds.jar"),
                "tdb2.tdbloader", "--loc", str(where), "--graph", graph, str(data)]
    else:
        return None
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    shutil.rmtree(where, ignore_errors=True)
    if done.returncode != 0:
        print(f"{backend} bulk loader failed: {done.stderr.strip()[-300:]}", file=sys.stderr, flush=True)
        return None
    print(f"{backend}: bulk loader {took:.1f} s", file=sys.stderr, flush=True)
    return took


def run_size(size: int, args, d: Path) -> dict:
    """Every backend at one size: {backend: figures}."""
    from tests.helpers import SparqlServer, jena_command, oxigraph_command

    data = d / f"bench-{size}.nt"
    n = _bench_queries().generate(data, size)
    print(f"{size:,} generated triples ({n:,} participant data)", flush=True)
    union = ["--union-default-graph"] if args.union_default_graph else []
    # the servers give up on a query when crimekg does: an abandoned query must not run on beside the next
    timeout = os.environ.get("CRIMEKG_TIMEOUT") or "300"
    results: dict = {}
    servers = []
    jena = None
    try:
        locations = {"embedded": str(d / f"ws-{size}")}
        if "oxigraph" in args.backends:
            command = oxigraph_command()
            if command is None:
                sys.exit("bench_remote: the Oxigraph server is not installed (pip install oxigraph)")
            servers.append(SparqlServer.start("oxigraph", lambda port: [*command, "serve", "--location", str(d / f"server-{size}"), "--bind", f"127.0.0.1:{port}", "--timeout-s", timeout, *union], ""))
            locations["oxigraph"] = servers[-1].url
        if "jena" in args.backends:
            build = d / "jena-build"
            build.mkdir(exist_ok=True)
            jena, reason = jena_command(build)
            if jena is None:
                sys.exit(f"bench_remote: {reason}")
            tdb = d / f"tdb2-{size}"
            servers.append(SparqlServer.start("jena", lambda port: [*jena, "--loc", str(tdb), "--port", str(port), "--timeout", timeout, *union], "/crimekg"))
            locations["jena"] = servers[-1].url
        config = {"only": args.only, "union": args.union_default_graph, "load_only": args.load_only,
                  "with_dataset": args.with_dataset, "profile": args.profile}
        for backend in args.backends:
            argv = [sys.executable, __file__, "--child", backend, locations[backend], str(data), json.dumps(config)]
            done = subprocess.run(argv, stdout=subprocess.PIPE, text=True)  # progress goes on to stderr
            if done.returncode != 0:
                print(f"bench_remote: the {backend} run failed (see above); the table goes on without it", flush=True)
                continue
            results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"figures {size} {backend}: {done.stdout.strip().splitlines()[-1]}", file=sys.stderr, flush=True)
            if backend != "embedded" and not args.no_bulk:
                results[backend]["bulk"] = bulk_load(backend, data, d / f"bulk-{backend}-{size}", jena[3] if jena else None)
    finally:
        for server in servers:
            server.stop()
    for name in os.listdir(d):  # the next size starts from nothing
        if str(size) in name:
            path = d / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--sizes", type=int, nargs="*", help="several sizes, one after the other (default: --size)")
    parser.add_argument("--only", nargs="*", default=[], help="named queries to run (default: all)")
    parser.add_argument("--backends", nargs="*", default=["embedded", "oxigraph", "jena"],
                        choices=["embedded", "oxigraph", "jena"], help="which backends to run (default: all three)")
    parser.add_argument("--union-default-graph", action="store_true",
                        help="start the servers with their union default graph, and crimekg in that mode")
    parser.add_argument("--with-dataset", nargs="*", default=[], metavar="QUERY",
                        help="with --union-default-graph: also time these queries with the dataset sent (the default mode)")
    parser.add_argument("--load-only", action="store_true", help="load and memory only (no queries, brief, view, export)")
    parser.add_argument("--no-bulk", action="store_true", help="skip the servers' own bulk loaders")
    parser.add_argument("--profile", action="store_true", help="profile crimekg's load (cProfile, on stderr)")
    parser.add_argument("--child", nargs=4, metavar=("BACKEND", "LOCATION", "DATA", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.child:
        backend, location, data, config = args.child
        child(backend, location, data, json.loads(config))
        return
    sizes = args.sizes or [args.size]
    everything = {}
    with tempfile.TemporaryDirectory() as d:
        for size in sizes:
            everything[size] = run_size(size, args, Path(d))
            table(everything[size], [b for b in args.backends if b in everything[size]], union=args.union_default_graph)
    if len(sizes) > 1:
        print("\npeak memory of crimekg (MB) as the data grows")
        print(f"{'triples':>14}" + "".join(f"{b:>12}" for b in args.backends))
        for size, results in everything.items():
            ran = [b for b in args.backends if b in results]
            print(f"{results[ran[0]]['triples']:>14,}" + "".join(f"{results[b]['max_rss_mb']:>12.0f}" if b in results else f"{'-':>12}" for b in args.backends))


def table(results: dict, backends: list[str], union: bool = False) -> None:
    """One column per backend; for each server, the raw HTTP request's time and crimekg's ratio to it."""
    import statistics

    heads = {"embedded": "embedded", "oxigraph": "oxigraph server", "jena": "jena (ARQ/TDB2)"}
    if union:
        heads.update(oxigraph="oxigraph (union)", jena="jena (union)")
    first = results[backends[0]]
    servers = [b for b in backends if b != "embedded"]
    print("\n" + f"{'':34}" + "".join(f"{heads[b]:>18}" for b in backends)
          + "".join(f"{'raw ' + b:>14}{'x raw':>7}" for b in servers))

    def row(label: str, key: str, fmt: str) -> None:
        if all(key in results[b] for b in backends):
            print(f"{label:34}" + "".join(f"{results[b][key]:>18{fmt}}" for b in backends))

    row("workspace triples", "triples", ",")
    row("load (s)", "load", ".2f")
    if any(results[b].get("bulk") for b in servers):
        bulk = {b: results[b].get("bulk") for b in backends}
        print(f"{'  server bulk loader (s)':34}" + "".join(f"{bulk[b]:>18.2f}" if bulk[b] else f"{'-':>18}" for b in backends))
        print(f"{'  crimekg load / bulk (goal <= 2)':34}"
              + "".join(f"{results[b]['load'] / bulk[b]:>17.2f}x" if bulk[b] else f"{'-':>18}" for b in backends))
    ratios: dict[str, list] = {b: [] for b in servers}
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
        for b, f in zip(backends, figures):
            if "dataset_skipped" in f:
                print(f"    {b} with the dataset sent (default mode): {f['dataset_skipped']} (past CRIMEKG_TIMEOUT)")
            if "dataset" in f:
                print(f"    {b} with the dataset sent (default mode): {f['dataset'] * 1000:.0f}ms "
                      f"(x{f['dataset'] / f['crimekg']:.1f} the union mode's; {f['dataset_rows']} rows)")
    row("brief NGA (s)", "brief", ".2f")
    row("factors view (s)", "view", ".2f")
    row("export N-Quads (s)", "export", ".2f")
    row("peak memory of crimekg (MB)", "max_rss_mb", ".0f")
    for b, rs in ratios.items():
        if rs:
            print(f"{b}: crimekg over raw HTTP: median x{statistics.median(r for r, _ in rs):.2f}, max x{max(rs)[0]:.2f} ({max(rs)[1]})")
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (2 cores)", flush=True)


if __name__ == "__main__":
    main()
