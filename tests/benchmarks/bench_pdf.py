"""Which engine prints the brief to PDF: headless Chromium (what ``--format pdf`` uses) or WeasyPrint.

    python tests/benchmarks/bench_pdf.py                          # the Nigeria brief of the samples
    python tests/benchmarks/bench_pdf.py --html brief.html        # any brief page

For each engine that is there: the wall time to print, the pages, the PDF's size, and whether the
page numbers of the print stylesheet (CSS ``@page`` margin boxes) are on every page.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def sample_page(tmp: Path) -> str:
    from crimekg.graph.brief import build_brief, render_brief
    from crimekg.graph.importers import frontex, glotip, iom, sherloc
    from crimekg.graph.store import init_store

    data = ROOT / "tests" / "data" / "evidence"
    with init_store(tmp / "ws") as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
        for mod, name in ((glotip, "glotip-sample.csv"), (iom, "iom-2025-sample.csv"), (sherloc, "sherloc-sample.csv"), (frontex, "frontex-sample.csv")):
            store.write(mod.plan(data / name, store).changes)
        return render_brief(build_brief(store, place="Nigeria"), "html")


def chromium(page: str, out: Path) -> None:
    from crimekg.graph.brief import write_pdf

    write_pdf(page, out)


WEASYPRINT = """
import sys, weasyprint
weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])
"""


def main() -> None:
    import pypdf

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, help="A brief page (default: the Nigeria brief of the samples).")
    ap.add_argument("--python", default=sys.executable, help="The Python that has WeasyPrint (default: this one).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        page = args.html.read_text(encoding="utf-8") if args.html else sample_page(tmp)
        source = tmp / "brief.html"
        source.write_text(page, encoding="utf-8")
        print(f"{'engine':<12} {'seconds':>8} {'pages':>6} {'KiB':>7}  page numbers on every page")
        for name in ("chromium", "weasyprint"):
            out = tmp / f"{name}.pdf"
            start = time.perf_counter()
            if name == "chromium":
                chromium(page, out)
            else:
                proc = subprocess.run([args.python, "-c", WEASYPRINT, str(source), str(out)], capture_output=True, text=True)
                if proc.returncode:
                    print(f"{name:<12} not usable here: {(proc.stderr.strip().splitlines() or ['failed'])[-1][:80]}")
                    continue
            seconds = time.perf_counter() - start
            pages = [p.extract_text() or "" for p in pypdf.PdfReader(str(out)).pages]
            numbered = all(f"Page {i} of {len(pages)}" in " ".join(t.split()) for i, t in enumerate(pages, 1))
            print(f"{name:<12} {seconds:>8.2f} {len(pages):>6} {out.stat().st_size / 1024:>7.0f}  {numbered}")


if __name__ == "__main__":
    main()
