"""Benchmark: load and export a graph shaped like crimekg's through four engines, side by side.

Also: crimekg replacing the same graph (loaded once before) against loading it fresh (goal: at
most 1.5x), and how long Ctrl-C takes to stop a load of 1M triples (goal: 5 s).

Engines: crimekg's workspace (embedded Oxigraph via oxrdflib; all-or-nothing, using the bulk loader
under its journal for big files), raw ``pyoxigraph.Store`` on disk with its transactional ``load``
(the ratios are against it), raw ``bulk_load`` (fast, but a killed bulk load can leave part of a
file behind), and rdflib's default in-memory store. Each engine runs in a fresh subprocess so that its peak
memory (ru_maxrss) is its own. Not part of the test run; prints a table.

    python tests/benchmarks/bench_store.py                 # 10k, 100k and 1M triples
    python tests/benchmarks/bench_store.py --sizes 10000 --skip-rdflib-above 100000
    python tests/benchmarks/bench_store.py --sizes 1000000 --engines crimekg,crimekg-replace  # replace vs fresh, Ctrl-C
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CKG = "https://w3id.org/crimekg/ontology#"
DATA = "https://w3id.org/crimekg/data/"
CONCEPT = "https://w3id.org/crimekg/concept/"
CATEGORIES = ["enabling", "profiting", "concealment", "impunity"]
CRIMES = ["trafficking-in-persons", "smuggling-of-migrants"]
COUNTRIES = ["NGA", "GHA", "THA", "PHL", "MEX", "GTM", "ROU", "UKR", "LBY", "ITA", "NER", "MMR"]


def generate(path: Path, triples: int) -> int:
    """Write a Turtle file shaped like crimekg data (contributions, factors, links); return its triple count."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"@prefix ckg: <{CKG}> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n")
        f.write("@prefix prov: <http://www.w3.org/ns/prov#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n")
        i = 0
        while n < triples:
            factor = f"<{DATA}factor/f{i // 5}>"
            contribution = f"<{DATA}contribution/bench/{i}>"
            f.write(
                f"{contribution} a ckg:Contribution ; ckg:text \"Participant statement number {i} about factor {i // 5}\" ;\n"
                f"  ckg:category <{CONCEPT}category/{CATEGORIES[i % 4]}> ; ckg:crimeType <{CONCEPT}crime/{CRIMES[i % 2]}> ;\n"
                f"  ckg:place <https://w3id.org/crimekg/place/{COUNTRIES[i % len(COUNTRIES)]}> ;\n"
                f"  prov:generatedAtTime \"2026-03-{1 + i % 28:02d}T10:00:00Z\"^^xsd:dateTime .\n"
            )
            n += 6
            if i % 5 == 0:
                f.write(
                    f"{factor} a ckg:Factor ; skos:prefLabel \"Factor {i // 5}\" ; ckg:category <{CONCEPT}category/{CATEGORIES[(i // 5) % 4]}> .\n"
                    f"<{DATA}link/l{i}> a ckg:FactorLink ; ckg:fromFactor {factor} ; ckg:toFactor <{DATA}factor/f{(i * 7 + 3) // 5}> ;\n"
                    f"  ckg:relation <{CONCEPT}relation/enables> ; ckg:strength {(i % 10) / 10:.1f} .\n"
                )
                n += 8
            f.write(f"{factor} prov:wasDerivedFrom {contribution} .\n")
            n += 1
            i += 1
    return n


def worker(engine: str, data: str, workdir: str) -> dict:
    """Load then export ``data`` with one engine; return the two times in seconds."""
    out = Path(workdir) / "export.ttl"
    if engine == "crimekg":
        from crimekg.graph.store import graph_iri, init_store

        store = init_store(Path(workdir) / "ws", with_ontology=False)
        t0 = time.perf_counter()
        store.load([data], "bench")
        t1 = time.perf_counter()
        store.export(out, "ttl", [graph_iri("bench")])
        t2 = time.perf_counter()
        store.close()
    elif engine == "crimekg-replace":
        # the same graph loaded once (not timed), then replaced by the file again
        from crimekg.graph.store import graph_iri, init_store

        store = init_store(Path(workdir) / "ws", with_ontology=False)
        store.load([data], "bench")
        t0 = time.perf_counter()
        store.load([data], "bench")
        t1 = time.perf_counter()
        store.export(out, "ttl", [graph_iri("bench")])
        t2 = time.perf_counter()
        store.close()
    elif engine in ("pyoxigraph", "pyoxigraph-bulk"):
        # bulk_load is not transactional: shown for reference only (a killed bulk load can leave
        # part of a file); crimekg makes it safe with its journal and staging graphs
        import pyoxigraph as ox

        store = ox.Store(str(Path(workdir) / "raw"))
        g = ox.NamedNode("https://w3id.org/crimekg/graph/bench")
        load = store.bulk_load if engine == "pyoxigraph-bulk" else store.load
        t0 = time.perf_counter()
        load(path=data, format=ox.RdfFormat.TURTLE, to_graph=g)
        t1 = time.perf_counter()
        store.dump(str(out), format=ox.RdfFormat.TURTLE, from_graph=g)
        t2 = time.perf_counter()
    elif engine == "rdflib":
        import rdflib

        g = rdflib.Graph()
        t0 = time.perf_counter()
        g.parse(data, format="turtle")
        t1 = time.perf_counter()
        g.serialize(out, format="turtle")
        t2 = time.perf_counter()
    else:
        raise SystemExit(f"unknown engine {engine}")
    return {"load": t1 - t0, "export": t2 - t1}


def measure(engine: str, data: Path) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", engine, str(data), workdir], stdout=subprocess.PIPE, text=True
        )
        stdout, _ = proc.communicate()
        # the worker's own peak memory: wait4 is done by communicate, so read it from the worker
        result = json.loads(stdout.strip().splitlines()[-1])
    return result


INTERRUPT_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from crimekg.graph.store import open_store
store = open_store({ws!r})
print("go", flush=True)
try:
    store.load([{data!r}], "bench")
finally:
    store.close()
"""


def interrupt_latency(data: Path, after: float = 3.0) -> str:
    """Start ``crimekg``'s load of ``data`` in a child, send it SIGINT after ``after`` seconds, and time
    how long it takes to exit; then check that the workspace is as it was."""
    import signal

    from crimekg.graph.store import init_store, open_store
    from tests.helpers import snapshot

    with tempfile.TemporaryDirectory() as workdir:
        ws = str(Path(workdir) / "ws")
        init_store(ws, with_ontology=False).close()
        with open_store(ws) as store:
            before = snapshot(store)
        script = INTERRUPT_SCRIPT.format(root=str(ROOT), ws=ws, data=str(data))
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        proc.stdout.readline()
        time.sleep(after)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait()
        latency = time.perf_counter() - t0
        t1 = time.perf_counter()
        with open_store(ws) as store:
            same = snapshot(store) == before
        reopen = time.perf_counter() - t1
    return (f"Ctrl-C {after:g} s into the load: exit after {latency:.1f} s (goal <= 5 s); reopening "
            f"took {reopen:.1f} s; workspace {'as it was' if same else 'CHANGED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated triple counts")
    parser.add_argument("--skip-rdflib-above", type=int, default=10**9, help="skip rdflib for larger graphs")
    parser.add_argument("--engines", default="pyoxigraph,crimekg,crimekg-replace,pyoxigraph-bulk,rdflib",
                        help="comma-separated engines (ratios are against the first)")
    parser.add_argument("--interrupt", type=int, default=1_000_000, help="time Ctrl-C during loads of at least this many triples (0: never)")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "DATA", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(*args.worker)
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    print(f"{'triples':>9}  {'engine':<15} {'load s':>8} {'export s':>9} {'peak MiB':>9}   {'load vs raw':>11} {'export vs raw':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "bench.ttl"
            n = generate(data, size)
            results = {}
            for engine in args.engines.split(","):
                if engine == "rdflib" and size > args.skip_rdflib_above:
                    continue
                results[engine] = measure(engine, data)
            raw = results.get("pyoxigraph", results[next(iter(results))])
            for engine, r in results.items():
                print(
                    f"{n:>9,}  {engine:<15} {r['load']:>8.2f} {r['export']:>9.2f} {r['peak_mib']:>9.0f}   "
                    f"{r['load'] / raw['load']:>10.2f}x {r['export'] / raw['export']:>12.2f}x",
                    flush=True,
                )
            if "crimekg" in results and "crimekg-replace" in results:
                fresh, again = results["crimekg"]["load"], results["crimekg-replace"]["load"]
                print(f"{n:>9,}  crimekg replace vs fresh load: {again:.2f} s vs {fresh:.2f} s = {again / fresh:.2f}x (goal <= 1.5x)", flush=True)
            if args.interrupt and size >= args.interrupt:
                print(f"{n:>9,}  {interrupt_latency(data)}", flush=True)


if __name__ == "__main__":
    main()
