"""Benchmark: import the real GLOTIP export and IOM 2014-2025 table, and render country briefs.

Goals (issue 6): the full GLOTIP export (58,769 rows) in under 15 s, the IOM 2014-2025 table in
under 10 s, a country brief in under 2 s, on the project machine. Each import goes into a fresh
workspace and is timed end to end (read and check the file, build the graph, one atomic write),
split into plan and write. Needs ``../shared/data``; not part of the test run; prints a table.

    python tests/benchmarks/bench_importers.py
    python tests/benchmarks/bench_importers.py --repeat 3 --countries NGA ITA USA
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crimekg.graph.brief import build_brief, render_brief  # noqa: E402
from crimekg.graph.importers import importer  # noqa: E402
from crimekg.graph.store import init_store  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FILES = [
    ("glotip", DATA / "unodc-glotip" / "data_glotip.xlsx", 15.0),
    ("glotip", DATA / "unodc-glotip" / "data_glotip.csv.gz", 15.0),
    ("iom", DATA / "iom-missing-migrants" / "iom_mmp_2014_2025.csv.gz", 10.0),
    ("frontex", DATA / "frontex-crossings" / "frontex_ibc_monthly.csv.gz", None),
    ("ctdc", DATA / "ctdc-2020-subset" / "dados_app.csv", None),
    ("sherloc", DATA / "sherloc-case-index" / "dataset links.csv", None),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per file (median reported)")
    parser.add_argument("--countries", nargs="*", default=["NGA", "ITA", "USA", "PHL"])
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is absent: the benchmark needs the real files")
    print(f"{'source':<8} {'file':<40} {'rows/obs':>10} {'triples':>9} {'plan s':>7} {'write s':>8} {'total s':>8} {'goal':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for source, path, goal in FILES:
            if not path.is_file():
                print(f"{source:<8} {path.name:<40} missing")
                continue
            plans, writes = [], []
            for i in range(args.repeat):
                store = init_store(Path(tmp) / f"{source}-{path.stem}-{i}")
                t0 = time.perf_counter()
                plan = importer(source).plan(path, store)
                t1 = time.perf_counter()
                store.write(plan.changes)
                t2 = time.perf_counter()
                plans.append(t1 - t0)
                writes.append(t2 - t1)
                store.close()
            p, w = statistics.median(plans), statistics.median(writes)
            n = next((v for k, v in plan.summary.items() if k in ("observations", "incidents", "cases")), 0)
            verdict = "" if goal is None else ("ok" if p + w < goal else f">{goal:g}s")
            print(f"{source:<8} {path.name:<40} {n:>10,} {plan.summary.get('triples', 0):>9,} {p:>7.2f} {w:>8.2f} {p + w:>8.2f} {verdict:>6}")
        # one workspace with everything, for the briefs
        keep = init_store(Path(tmp) / "all")
        for source, path, _goal in FILES:
            if path.is_file() and (not path.name.endswith(".csv.gz") or source in ("iom", "frontex")):
                keep.write(importer(source).plan(path, keep).changes)
        print()
        print(f"{'brief':<20} {'seconds':>8} {'goal':>6}")
        for code in args.countries:
            times = []
            for _ in range(max(args.repeat, 2)):
                t0 = time.perf_counter()
                render_brief(build_brief(keep, country=code))
                times.append(time.perf_counter() - t0)
            t = statistics.median(times)
            print(f"{'country ' + code:<20} {t:>8.2f} {'ok' if t < 2 else '>2s':>6}")
        for region in ("Western Africa", "Europe"):
            t0 = time.perf_counter()
            render_brief(build_brief(keep, region=region))
            print(f"{'region ' + region:<20} {time.perf_counter() - t0:>8.2f}")
        keep.close()


if __name__ == "__main__":
    main()
