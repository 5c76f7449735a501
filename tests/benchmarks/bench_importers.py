"""Benchmark: import the real GLOTIP export and IOM 2014-2025 table, and render country briefs.

Goals: the full GLOTIP export (58,769 rows) in under 15 s, the IOM 2014-2025 table in under 10 s,
a country brief in under 2 s, on the project machine; replacing a source costs at most 1.5x
importing it fresh. Each import goes into a fresh workspace and is timed end to end (read and check
the file, build the graph, one atomic write), split into plan and write. The replace cases import a
file into a workspace that holds an earlier export of the same source: IOM 2019 then IOM
2014-2025, and GLOTIP then a "newer" GLOTIP export made by changing some of its values in a
temporary copy. Needs ``../shared/data``; not part of the test run; prints tables.

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
from crimekg.graph.importers import importer, plan_import  # noqa: E402
from crimekg.graph.store import init_store  # noqa: E402
from crimekg.graph.importers import importer  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FILES = [
    ("glotip", DATA / "unodc-glotip" / "data_glotip.xlsx", 15.0),
    ("glotip", DATA / "unodc-glotip" / "data_glotip.csv.gz", 15.0),
    ("iom", DATA / "iom-missing-migrants" / "iom_mmp_2014_2025.csv.gz", 10.0),
    ("frontex", DATA / "frontex-crossings" / "frontex_ibc_monthly.csv.gz", None),
    ("ctdc", DATA / "ctdc-2020-subset" / "dados_app.csv", None),
    ("sherloc", DATA / "sherloc-case-index" / "dataset links.csv", None),
]


def newer_glotip(path: Path, out: Path) -> Path:
    """A copy of the GLOTIP CSV export with every 40th count raised by one, standing for a newer export."""
    import csv
    import gzip

    with gzip.open(path, "rt", encoding="utf-8", newline="") as f_in, gzip.open(out, "wt", encoding="utf-8", newline="") as f_out:
        reader, writer = csv.reader(f_in), csv.writer(f_out)
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i % 40 == 0 and row[-2].isdigit():
                row[-2] = str(int(row[-2]) + 1)
            writer.writerow(row)
    return out


def timed_import(source: str, path: Path, store) -> tuple[float, float, list[str]]:
    t0 = time.perf_counter()
    plan = plan_import(source, path, store)
    t1 = time.perf_counter()
    store.write(plan.changes)
    return t1 - t0, time.perf_counter() - t1, plan.warnings


def replace_cases(tmp: Path, repeat: int) -> None:
    """Fresh import vs the same import replacing an earlier export, side by side."""
    glotip_csv = DATA / "unodc-glotip" / "data_glotip.csv.gz"
    cases = [
        ("iom", DATA / "iom-missing-migrants" / "MissingMigrants-Global-2019-12-31_correct.csv", DATA / "iom-missing-migrants" / "iom_mmp_2014_2025.csv.gz"),
    ]
    if glotip_csv.is_file():
        cases.append(("glotip", glotip_csv, newer_glotip(glotip_csv, tmp / "glotip-newer.csv.gz")))
    print()
    print(f"{'source':<8} {'replacing -> with':<64} {'fresh s':>8} {'replace s':>10} {'(write s)':>15} {'ratio':>6} {'goal':>6}")
    for source, first, second in cases:
        if not (first.is_file() and second.is_file()):
            print(f"{source:<8} {first.name} / {second.name} missing")
            continue
        fresh, again, writes = [], [], []
        for i in range(repeat):
            with init_store(tmp / f"fresh-{source}-{i}") as store:
                p, w, _ = timed_import(source, second, store)
                fresh.append((p + w, w))
            with init_store(tmp / f"replace-{source}-{i}") as store:
                timed_import(source, first, store)
                p, w, warned = timed_import(source, second, store)
                again.append((p + w, w))
        f, r = statistics.median(t for t, _ in fresh), statistics.median(t for t, _ in again)
        fw, rw = statistics.median(w for _, w in fresh), statistics.median(w for _, w in again)
        ratio = r / f
        label = f"{first.name} -> {second.name}"
        print(f"{source:<8} {label:<64} {f:>8.2f} {r:>10.2f} {fw:>6.2f} / {rw:>6.2f} {ratio:>5.2f}x {'ok' if ratio <= 1.5 else '>1.5x':>6}")
        for w in warned:
            print(f"         warning: {w}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per file (median reported)")
    parser.add_argument("--countries", nargs="*", default=["NGA", "ITA", "USA", "PHL"])
    parser.add_argument("--only-replace", action="store_true", help="run only the fresh-vs-replace table")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is absent: the benchmark needs the real files")
    print(f"{'source':<8} {'file':<40} {'rows/obs':>10} {'triples':>9} {'plan s':>7} {'write s':>8} {'total s':>8} {'goal':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only_replace:
            replace_cases(Path(tmp), args.repeat)
            return
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
        replace_cases(Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
