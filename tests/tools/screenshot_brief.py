"""Photograph the HTML brief of a place in headless Chromium, or save one of its charts as SVG.

    python tests/tools/screenshot_brief.py                                  # Nigeria, sample data: /tmp/brief.png
    python tests/tools/screenshot_brief.py --store crimekg-data --place Nigeria \\
        --chart victims-sex-age --svg examples/nigeria-victims-by-sex-and-age.svg
    python tests/tools/screenshot_brief.py --place "Western Africa" --print -o /tmp/wa.png

Without ``--store`` it builds a fresh workspace from the bundled example session and the evidence
samples in tests/data/evidence (as the tests do); with ``--store`` it uses that workspace (for the
README's chart: one where the real GLOTIP export is imported). ``--chart NAME`` photographs that
chart only (``victims-sex-age``, ``victims-forms``, ``citizenships``, ``destinations``,
``routes-deaths``, ``detections``, ``factors``); ``--svg FILE`` also writes it as a standalone SVG
file. ``--print`` photographs the page as it prints.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def sample_workspace(location: Path):
    """The example session and the four evidence samples, in a new workspace."""
    from crimekg.graph.importers import frontex, glotip, iom, sherloc
    from crimekg.graph.store import init_store

    data = ROOT / "tests" / "data" / "evidence"
    store = init_store(location)
    store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    for mod, name in ((glotip, "glotip-sample.csv"), (iom, "iom-2025-sample.csv"), (sherloc, "sherloc-sample.csv"), (frontex, "frontex-sample.csv")):
        store.write(mod.plan(data / name, store).changes)
    return store


def standalone_svg(page: str, chart: str) -> str:
    """One chart of a brief page as an SVG file (the size the page gives it by CSS, as attributes)."""
    found = re.search(rf'<figure class="chart" id="chart-{re.escape(chart)}">(<svg.*?</svg>)', page, flags=re.S)
    if not found:
        raise SystemExit(f"no chart {chart!r} in this brief")
    svg = found.group(1)
    width, height = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups()
    return '<?xml version="1.0" encoding="utf-8"?>\n' + svg.replace("<svg ", f'<svg width="{width}pt" height="{height}pt" ', 1) + "\n"


def main() -> None:
    from playwright.sync_api import sync_playwright

    from crimekg.graph.brief import build_brief, render_brief
    from crimekg.graph.store import open_store

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--place", default="Nigeria")
    ap.add_argument("--store", type=Path, help="A workspace to use instead of the samples.")
    ap.add_argument("--chart", help="Photograph this chart only.")
    ap.add_argument("--svg", type=Path, help="Also write the chart (--chart) as a standalone SVG file.")
    ap.add_argument("--print", action="store_true", help="Photograph the page with the print stylesheet.")
    ap.add_argument("-o", "--output", type=Path, default=Path(tempfile.gettempdir()) / "brief.png")
    ap.add_argument("--width", type=int, default=1000, help="Viewport width in CSS pixels.")
    args = ap.parse_args()
    if args.svg and not args.chart:
        ap.error("--svg goes with --chart NAME")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.store) if args.store else sample_workspace(Path(tmp) / "ws")
        with store:
            page = render_brief(build_brief(store, place=args.place), "html")
        path = Path(tmp) / "brief.html"
        path.write_text(page, encoding="utf-8")
        if args.svg:
            args.svg.write_text(standalone_svg(page, args.chart), encoding="utf-8")
            print(f"Wrote {args.svg}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            view = browser.new_page(viewport={"width": args.width, "height": 800})
            if args.print:
                view.emulate_media(media="print")
            view.goto(path.resolve().as_uri())
            if args.chart:
                view.locator(f"#chart-{args.chart}").screenshot(path=str(args.output))
            else:
                view.screenshot(path=str(args.output), full_page=True)
            browser.close()
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
