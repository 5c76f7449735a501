"""Make the README's screenshot: the ``factors`` view of the example session in headless Chromium.

    python tests/tools/screenshot.py                       # writes examples/factors-view.png
    python tests/tools/screenshot.py --preset session -o /tmp/session.png

It builds a fresh workspace from the bundled example (as ``crimekg demo`` does), writes the view
with :func:`graph.views.render_view` and photographs it once vis-network has drawn.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from crimekg.graph.store import init_store
    from crimekg.graph.views import PRESETS, render_view

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=PRESETS, default="factors")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "examples" / "factors-view.png")
    ap.add_argument("--size", default="1400x850", help="Viewport WIDTHxHEIGHT in CSS pixels.")
    args = ap.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        with init_store(Path(tmp) / "ws") as store:
            store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
            page_path = render_view(store, Path(tmp) / "view.html", "crimekg: example session factors", preset=args.preset)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(page_path.resolve().as_uri())
            page.wait_for_function("document.body.dataset.drawn === '1'", timeout=30_000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(args.output))
            browser.close()
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
