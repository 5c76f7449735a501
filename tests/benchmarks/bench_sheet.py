"""Benchmark: import a large contribution sheet, end to end, through the command line.

Goal: a 100,000-row sheet imports in under 30 s and under 1 GB of peak memory on the project
machine. Each size runs `crimekg import` in a fresh subprocess on a fresh workspace (one session),
so that its time and peak memory (ru_maxrss of the child) are its own. The CPU column is the
child's user and system time over all its threads (the bulk loader runs two): on a busy machine
it is the steadier figure. The rows mix the four
categories, both crime types, several places, groups, contributor codes, and texts in six scripts
(each row's text is distinct). Not part of the test run; prints a table.

    python tests/benchmarks/bench_sheet.py                    # 10k and 100k rows
    python tests/benchmarks/bench_sheet.py --sizes 1000 --format xlsx
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HEADER = ["text", "kind", "category", "crime type", "country or region", "exercise question", "group", "contributor code"]
TEXTS = ["国境管理の脆弱さ", "边境管理薄弱", "Коррупция на границе", "ضعف الرقابة على الحدود", "การทุจริตที่ชายแดน",
         "Corrupción de funcionarios en la frontera"]
CATEGORIES = ["enabling", "profiting", "concealment", "impunity"]
PLACES = ["Nigeria", "JPN", "Thailand", "MEX; GTM", "Western Africa", "Italy"]


def rows(n: int) -> list[list[str]]:
    return [[f"{TEXTS[i % 6]} {i}", "factor", CATEGORIES[i % 4], ["TIP", "SOM"][i % 2], PLACES[i % 6], "",
             f"Group {chr(65 + i % 8)}", f"P{i % 1000:03d}"] for i in range(n)]


def write_sheet(path: Path, n: int, fmt: str) -> Path:
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(rows(n))
    else:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Contributions")
        ws.append(HEADER)
        for r in rows(n):
            ws.append(r)
        wb.save(path)
    return path


CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from crimekg.cli import cli
t = time.perf_counter()
try:
    cli(["import", {sheet!r}, "--session", "bench-2026", "--store", {ws!r}], standalone_mode=False)
finally:
    use = resource.getrusage(resource.RUSAGE_SELF)
    print("RESULT", time.perf_counter() - t, use.ru_maxrss, use.ru_utime + use.ru_stime, flush=True)
"""


def measure(n: int, fmt: str, tmp: Path) -> tuple[float, float, float, str]:
    from crimekg.graph.sessions import session_changeset
    from crimekg.graph.store import init_store

    ws = tmp / f"ws-{n}-{fmt}"
    with init_store(ws) as store:
        store.write(session_changeset(store, "bench-2026", title="Benchmark", on="2026-03-17", place="Japan"))
    sheet = write_sheet(tmp / f"sheet-{n}.{fmt}", n, fmt)
    run = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), sheet=str(sheet), ws=str(ws))],
                         capture_output=True, text=True)
    line = next((x for x in run.stdout.splitlines() if x.startswith("RESULT")), None)
    if run.returncode or line is None:
        raise SystemExit(f"import of {n:,} rows failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    _tag, seconds, rss_kb, cpu = line.split()
    summary = next((x for x in run.stdout.splitlines() if "stored" in x), "")
    return float(seconds), int(rss_kb) / 1024, float(cpu), summary.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    print(f"{'rows':>9}  {'import':>8}  {'CPU':>8}  {'peak MB':>8}  summary (goal at 100k rows: < 30 s, < 1,024 MB)")
    with tempfile.TemporaryDirectory() as d:
        for n in args.sizes:
            seconds, mb, cpu, summary = measure(n, args.format, Path(d))
            print(f"{n:>9,}  {seconds:>7.1f}s  {cpu:>7.1f}s  {mb:>8,.0f}  {summary}", flush=True)


if __name__ == "__main__":
    main()
