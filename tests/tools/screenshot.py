"""Screenshots in headless Chromium: every view preset, the README's images, a place's brief or one of its charts.

    python tests/tools/screenshot.py /tmp/shots          # every preset, 1024x768 and 1920x1080, normal and present
    python tests/tools/screenshot.py --readme            # remakes the README's images in examples/ and their fingerprints
    python tests/tools/screenshot.py --brief Nigeria     # the HTML brief of a place, sample data: /tmp/brief.png
    python tests/tools/screenshot.py --brief Nigeria --store crimekg-data \\
        --chart victims-sex-age --svg examples/nigeria-victims-by-sex-and-age.svg
    python tests/tools/screenshot.py --brief "Western Africa" --print -o /tmp/wa.png
    python tests/tools/screenshot.py --serve             # the live session's pages in docs/images/ (README)

It builds a fresh workspace from the bundled example (as ``crimekg demo`` does) plus the test
data's flows and the Frontex and IOM samples (so that the ``flows`` preset has something to show),
writes each view with :func:`graph.views.render_view` and photographs it once vis-network has
drawn. Presentation mode is photographed at its last step (everything shown).

With ``--brief PLACE`` it photographs the brief of a place instead. Without ``--store`` it
builds a fresh workspace from the bundled example session and the evidence samples in
tests/data/evidence (as the tests do); with ``--store`` it uses that workspace (for the README's
chart: one where the real GLOTIP export is imported). ``--chart NAME`` photographs that chart only
(``victims-sex-age``, ``victims-forms``, ``citizenships``, ``destinations``, ``routes-deaths``,
``detections``, ``factors``); ``--svg FILE`` also writes it as a standalone SVG file. ``--print``
photographs the page as it prints.

With ``--serve`` it starts ``crimekg serve`` on a fresh workspace holding the example session,
sends a few contributions in several scripts, and photographs over HTTP: the participant's form on
a phone, in Spanish, refusing a misspelt country with import's message
(``docs/images/serve-participant.png``); the facilitator's page with its queue
(``serve-queue.png``); the YASGUI query page with a named query's results (``serve-yasgui.png``).
The server is stopped afterwards, whatever happens.

``examples/screenshots.json`` holds, for each README image, the SHA-256 of the page it was taken
from; tests/test_views.py renders those pages again and fails when one changed and its image was
not remade.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

SIZES = ((1024, 768), (1920, 1080))

#: The README's images: file in examples/ -> (preset, width, height, presentation mode).
README_IMAGES = {
    "factors-view.png": ("factors", 1024, 768, False),
    "session-present.png": ("session", 1024, 768, True),
}

TITLE = "crimekg: example session {preset}"


def example_store(directory: Path, with_evidence: bool = True):
    """A workspace with the example session (and, for the flows preset, sample flows and routes)."""
    from crimekg.graph.store import init_store

    store = init_store(directory / "ws")
    store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    if with_evidence:
        from crimekg.graph.importers import frontex, iom

        evidence = ROOT / "tests" / "data" / "evidence"
        store.load([ROOT / "tests" / "data" / "views-extra.ttl"], "load/views-extra")
        store.write(frontex.plan(evidence / "frontex-sample.csv", store).changes)
        store.write(iom.plan(evidence / "iom-2019-sample.csv", store).changes)
    return store


def readme_pages(directory: Path) -> dict[str, Path]:
    """Write the page of each README image (from the example session alone); return them by image name."""
    from crimekg.graph.views import render_view

    out = {}
    store = example_store(directory, with_evidence=False)
    try:
        for image, (preset, *_rest) in README_IMAGES.items():
            out[image] = render_view(store, directory / f"{image}.html", TITLE.format(preset=preset), preset=preset)
    finally:
        store.close()
    return out


def fingerprint(page: Path) -> str:
    return hashlib.sha256(page.read_bytes()).hexdigest()


def shoot(browser, page_path: Path, png: Path, width: int, height: int, present: bool) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(page_path.resolve().as_uri())
        page.wait_for_function("document.body.dataset.drawn === '1'", timeout=60_000)
        if present:
            page.click("#present")
            page.evaluate("window.crimekg.go(window.crimekg.data.steps.length)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(png))
    finally:
        page.close()


# --- briefs ---


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


def shoot_brief(browser, args) -> None:
    """Photograph the brief of ``args.brief`` (its chart ``args.chart`` only, when given) into ``args.output``."""
    from crimekg.graph.brief import build_brief, render_brief
    from crimekg.graph.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.store) if args.store else sample_workspace(Path(tmp) / "ws")
        with store:
            page = render_brief(build_brief(store, place=args.brief), "html")
        path = Path(tmp) / "brief.html"
        path.write_text(page, encoding="utf-8")
        if args.svg:
            args.svg.write_text(standalone_svg(page, args.chart), encoding="utf-8")
            print(f"Wrote {args.svg}")
        view = browser.new_page(viewport={"width": args.width, "height": 800})
        try:
            if args.print:
                view.emulate_media(media="print")
            view.goto(path.resolve().as_uri())
            if args.chart:
                view.locator(f"#chart-{args.chart}").screenshot(path=str(args.output))
            else:
                view.screenshot(path=str(args.output), full_page=True)
        finally:
            view.close()
    print(f"Wrote {args.output}")


# --- the live session (crimekg serve) ---

#: Contributions waiting in the facilitator's queue in the README's image: (text, contributor, language).
#: (Scripts the fonts of a bare Debian Chromium draw: it has none for Chinese, Japanese or Thai.)
SERVE_QUEUE = (
    ("Brokers rent out recruitment licences to unlicensed agents", "P03", "en"),
    ("Коррупция на пограничных постах", "P12", "ru"),
    ("سماسرة يبيعون تصاريح عمل مزورة", "P21", "ar"),
    ("Agencias de empleo cobran deudas infladas a los trabajadores", "P08", "es"),
)
SERVE_IMAGES = ROOT / "docs" / "images"


def shoot_serve(browser, folder: Path) -> None:
    """Photograph the participant's form, the facilitator's queue and the query page of a running server."""
    import httpx

    from tests.test_serve import ENABLING, SECRET, Server, csrf_of, make_workspace

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(make_workspace(Path(tmp) / "ws"), "--session", "room-2")
        try:
            code = server.codes["room-2"]
            with httpx.Client(base_url=server.base, headers={"Origin": server.base}, timeout=30) as c:
                csrf = csrf_of(c.get(f"/join?code={code}").text)
                for text, who, lang in SERVE_QUEUE:
                    r = c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": text, "category": ENABLING, "contributor": who, "language": lang})
                    assert "your contribution was received" in r.text, r.text[-300:]
            folder.mkdir(parents=True, exist_ok=True)
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
            try:
                page = phone.new_page()
                page.goto(f"{server.base}/join?code={code}&lang=es")
                page.fill("#f-text", "Las redes venden visados falsos en las redes sociales")
                page.select_option("#f-category", ENABLING)
                page.fill("#f-place", "Nigerria")
                page.fill("#f-contributor", "P07")
                page.click("form.contribution button[type=submit]")
                page.wait_for_selector('p.error[data-field="place"]')
                box = page.locator('p.error[data-field="place"]').bounding_box()
                page.screenshot(path=str(folder / "serve-participant.png"), full_page=True,
                                clip={"x": 0, "y": 0, "width": 390, "height": box["y"] + box["height"] + 16})
                print(f"Wrote {folder / 'serve-participant.png'}")
            finally:
                phone.close()
            desk = browser.new_context(viewport={"width": 1280, "height": 900})
            try:
                page = desk.new_page()
                page.goto(f"{server.base}/facilitator?secret={SECRET}")
                page.wait_for_selector("li.pending")
                top = page.locator("#queue-count").bounding_box()["y"] - 40  # the queue
                page.screenshot(path=str(folder / "serve-queue.png"), full_page=True, clip={"x": 240, "y": top, "width": 800, "height": 720})
                print(f"Wrote {folder / 'serve-queue.png'}")
                page.goto(f"{server.base}/yasgui")
                page.wait_for_function("document.body.dataset.ready === '1' && window.crimekgYasgui")
                page.click("#examples button[data-query=factors-by-category]")
                page.evaluate("window.crimekgYasgui.getTab().getYasqe().query()")
                page.wait_for_function("document.querySelectorAll('.yasr table tbody tr').length > 0", timeout=60_000)
                page.wait_for_timeout(300)
                page.screenshot(path=str(folder / "serve-yasgui.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 900})
                print(f"Wrote {folder / 'serve-yasgui.png'}")
            finally:
                desk.close()
        finally:
            server.stop()


def main() -> None:
    from playwright.sync_api import sync_playwright

    from crimekg.graph.views import PRESETS, render_view

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, help="Folder for the screenshots of every preset.")
    ap.add_argument("--readme", action="store_true", help="Remake the README's images in examples/ and examples/screenshots.json.")
    ap.add_argument("--serve", action="store_true", help="Photograph the live session's pages (crimekg serve) into docs/images/.")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    brief = ap.add_argument_group("briefs")
    brief.add_argument("--brief", metavar="PLACE", help="Photograph the HTML brief of this place.")
    brief.add_argument("--store", type=Path, help="A workspace to use instead of the samples.")
    brief.add_argument("--chart", help="Photograph this chart only.")
    brief.add_argument("--svg", type=Path, help="Also write the chart (--chart) as a standalone SVG file.")
    brief.add_argument("--print", action="store_true", help="Photograph the page with the print stylesheet.")
    brief.add_argument("-o", "--output", type=Path, default=Path(tempfile.gettempdir()) / "brief.png")
    brief.add_argument("--width", type=int, default=1000, help="Viewport width in CSS pixels.")
    args = ap.parse_args()
    if not args.folder and not args.readme and not args.brief and not args.serve:
        ap.error("give a folder, --readme, --serve or --brief PLACE")
    if args.svg and not args.chart:
        ap.error("--svg goes with --chart NAME")
    if not args.brief and (args.store or args.chart or args.print):
        ap.error("--store, --chart and --print go with --brief PLACE")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            if args.brief:
                shoot_brief(browser, args)
            if args.serve:
                shoot_serve(browser, SERVE_IMAGES)
            if args.folder:
                args.folder.mkdir(parents=True, exist_ok=True)
                store = example_store(Path(tmp))
                try:
                    pages = {preset: render_view(store, Path(tmp) / f"{preset}.html", TITLE.format(preset=preset), preset=preset,
                                                 query="factors-by-category" if preset == "query" else None) for preset in PRESETS}
                    pages["routes"] = render_view(store, Path(tmp) / "routes.html", preset="flows", flows="routes")
                finally:
                    store.close()
                for name, page_path in pages.items():
                    for width, height in SIZES:
                        for present in (False, True):
                            png = args.folder / f"{name}-{width}x{height}{'-present' if present else ''}.png"
                            shoot(browser, page_path, png, width, height, present)
                            print(f"Wrote {png}")
            if args.readme:
                sums = {}
                folder = Path(tmp) / "readme"
                folder.mkdir()
                for image, page_path in readme_pages(folder).items():
                    _preset, width, height, present = README_IMAGES[image]
                    shoot(browser, page_path, ROOT / "examples" / image, width, height, present)
                    sums[image] = fingerprint(page_path)
                    print(f"Wrote examples/{image}")
                (ROOT / "examples" / "screenshots.json").write_text(json.dumps(sums, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
