"""The brief's charts: each drawn from its data (bar sizes checked against the queries), suppressed
values drawn as the range they can take, text escaped, every script kept as text, nothing fetched."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import rdflib
from click.testing import CliRunner

from crimekg import cli as cli_module
from crimekg.cli import cli
from crimekg.graph.brief import BRIEF_QUERIES, Brief, build_brief, render_brief, run_evidence_query
from crimekg.graph.charts import SERIES_COLOURS, horizontal_bars, stacked_bars
from crimekg.graph.importers import frontex, glotip, iom, sherloc
from crimekg.graph.store import Changeset, graph_iri
from crimekg.graph.views import CATEGORY_COLOURS
from tests.helpers import ROOT, SHARED_DATA

DATA = ROOT / "tests" / "data" / "evidence"
SVG = "{http://www.w3.org/2000/svg}"
CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    """One workspace for the module: the example session and the four evidence samples."""
    from crimekg.graph.store import init_store

    store = init_store(tmp_path_factory.mktemp("charts") / "ws")
    store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    for mod, name in ((glotip, "glotip-sample.csv"), (iom, "iom-2025-sample.csv"), (sherloc, "sherloc-sample.csv"), (frontex, "frontex-sample.csv")):
        store.write(mod.plan(DATA / name, store).changes)
    yield store
    store.close()


# Reading the SVG ---------------------------------------------------------------------------------

def charts_of(page: str) -> dict[str, ET.Element]:
    """Every chart of an HTML brief, by name, parsed as XML."""
    found = re.findall(r'<figure class="chart" id="chart-([\w-]+)">(<svg.*?</svg>)', page, flags=re.S)
    return {name: ET.fromstring(svg) for name, svg in found}


def boxes(svg: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """The bars of a chart by id: (left, top, right, bottom) in SVG units, from each bar's path."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        gid = g.get("id", "")
        if re.fullmatch(r"[\w-]+-(s\d+|sup)-x\d+", gid):
            path = g.find(f"{SVG}path")
            nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
            xs, ys = nums[0::2], nums[1::2]
            out[gid] = (min(xs), min(ys), max(xs), max(ys))
    return out


def texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def vertical_scale(bars: dict, values: dict[str, float]) -> float:
    """SVG units per count, the same for every bar (asserted), from bars of known values."""
    scales = [(bars[k][3] - bars[k][1]) / v for k, v in values.items()]
    assert max(scales) - min(scales) <= 1e-4 * max(scales), scales
    return scales[0]


# The chart functions -------------------------------------------------------------------------------

def test_stacked_bars_sizes_follow_the_values_and_stack():
    values = {"Women": [(120, 0), (60, 0)], "Girls": [(40, 0), (90, 0)]}
    svg = ET.fromstring(stacked_bars("t", "Victims", ["2021", "2022"], [(k, v, None) for k, v in values.items()],
                                     xlabel="Year", ylabel="Victims", source="Source: test, 2021–2022."))
    bars = boxes(svg)
    assert set(bars) == {"t-s0-x0", "t-s0-x1", "t-s1-x0", "t-s1-x1"}
    scale = vertical_scale(bars, {"t-s0-x0": 120, "t-s0-x1": 60, "t-s1-x0": 40, "t-s1-x1": 90})
    assert scale > 0
    # girls sit on top of women, and both bars of a year share their x extent
    assert bars["t-s1-x0"][3] == pytest.approx(bars["t-s0-x0"][1], abs=1e-3)
    assert bars["t-s0-x0"][3] == pytest.approx(bars["t-s0-x1"][3], abs=1e-3)  # same baseline
    assert bars["t-s0-x1"][0] > bars["t-s0-x0"][2]
    words = texts(svg)
    assert {"Victims", "Year", "2021", "2022", "Women", "Girls", "Source: test, 2021–2022."} <= set(words)


def test_a_suppressed_value_is_drawn_as_the_range_it_can_take():
    # 2021: girls 30 and boys published as <5; 2022: only "<5" twice (women and girls)
    series = [("Women", [None, (0, 1)], None), ("Girls", [(30, 0), (0, 1)], None), ("Boys", [(0, 1), None], None)]
    svg = ET.fromstring(stacked_bars("s", "Victims", ["2021", "2022"], series, xlabel="Year", ylabel="Victims", source="Source: test."))
    bars = boxes(svg)
    assert set(bars) == {"s-s1-x0", "s-sup-x0", "s-sup-x1"}  # nothing drawn as a zero-height bar
    scale = vertical_scale(bars, {"s-s1-x0": 30})
    base = bars["s-s1-x0"][3]  # the axis
    # 2021: one suppressed cell above 30: the box spans 31 to 34
    low, high = bars["s-sup-x0"][3], bars["s-sup-x0"][1]
    assert (base - low) / scale == pytest.approx(31, abs=0.01) and (base - high) / scale == pytest.approx(34, abs=0.01)
    # 2022: two suppressed cells and nothing else: from 2 to 8, never 0
    low, high = bars["s-sup-x1"][3], bars["s-sup-x1"][1]
    assert (base - low) / scale == pytest.approx(2, abs=0.01) and (base - high) / scale == pytest.approx(8, abs=0.01)
    # hatched, and labelled for what it is
    sup = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == "s-sup-x1").find(f"{SVG}path")
    assert "url(#s--" in sup.get("style", "") + "".join(c.get("fill", "") for c in sup.iter())
    words = texts(svg)
    assert "2 × <5" in words and "<5" in words and "<5: suppressed, 1 to 4 each" in words


def test_horizontal_bars_lengths_and_labels():
    rows = [("Benin", (300, 0)), ("Togo", (120, 2)), ("Chad", (0, 1))]
    svg = ET.fromstring(horizontal_bars("h", "Citizenships", rows, xlabel="Detected victims", source="Source: test."))
    bars = boxes(svg)
    assert set(bars) == {"h-s0-x0", "h-s0-x1", "h-sup-x1", "h-sup-x2"}
    lengths = {k: bars[k][2] - bars[k][0] for k in bars}
    scale = lengths["h-s0-x0"] / 300
    assert lengths["h-s0-x1"] / 120 == pytest.approx(scale, rel=1e-4)
    left = bars["h-s0-x0"][0]
    # Togo: 120 published, then 2 cells of <5: the box spans 122 to 128
    assert (bars["h-sup-x1"][0] - left) / scale == pytest.approx(122, abs=0.01)
    assert (bars["h-sup-x1"][2] - left) / scale == pytest.approx(128, abs=0.01)
    assert (bars["h-sup-x2"][0] - left) / scale == pytest.approx(1, abs=0.01)
    assert (bars["h-sup-x2"][2] - left) / scale == pytest.approx(4, abs=0.01)
    assert bars["h-s0-x0"][1] < bars["h-s0-x1"][1] < bars["h-sup-x2"][1]  # the first row on top
    words = texts(svg)
    assert {"Benin", "Togo", "Chad", "300", "120 + 2 × <5", "<5"} <= set(words)


def test_chart_text_is_escaped_and_every_script_stays_text():
    labels = ["<script>alert(1)</script>", "ナイジェリア", "نيجيريا", "Нигерия", "ไนจีเรีย", "尼日利亚", "Nigeria $5 & $6"]
    svg_text = horizontal_bars("x", "Títulos <b>", [(label, (i + 1, 0)) for i, label in enumerate(labels)],
                               xlabel="Víctimas", source="Fuente: prueba.")
    assert "<script" not in svg_text and "<b>" not in svg_text
    svg = ET.fromstring(svg_text)  # well-formed XML
    words = texts(svg)
    for label in labels:
        assert label in words  # as text, not as paths: the browser draws every script
    assert "Títulos <b>" in words and "Víctimas" in words


def test_charts_are_deterministic_offline_and_have_unique_ids():
    draw = lambda cid: stacked_bars(cid, "V", ["2020", "2021"], [("A", [(1, 0), (2, 1)], None)], xlabel="Y", ylabel="N", source="S")
    first, again, other = draw("a"), draw("a"), draw("b")
    assert first == again
    assert not re.search(r"""(?:href|src)=["'](?!#)|url\((?!#)|<script|@import|@font-face""", first)
    ids_a = set(re.findall(r'\bid="([^"]+)"', first))
    ids_b = set(re.findall(r'\bid="([^"]+)"', other))
    assert ids_a and not ids_a & ids_b  # two charts in one page share no id
    assert all(i == "a" or i.startswith("a-") for i in ids_a)


# The brief's charts, checked against its queries -------------------------------------------------------

def test_brief_charts_follow_the_query_numbers(evidence):
    b = build_brief(evidence, country="NGA")
    page = render_brief(b, "html")
    charts = charts_of(page)
    assert set(charts) == {"victims-sex-age", "victims-forms", "citizenships", "destinations", "detections", "factors"}
    # detected victims by sex and age, from the GLOTIP profile query's rows for 2022
    rows = run_evidence_query(evidence, "evidence-glotip-profile", area=rdflib.URIRef(b.place))
    published = {(str(r["sex"]).rsplit("/", 1)[-1], str(r["age"]).rsplit("/", 1)[-1]): int(r["count"])
                 for r in rows if str(r["year"]) == "2022" and str(r["breakdown"]).endswith("/total") and "count" in r
                 and str(r["indicator"]).endswith("/detected-trafficking-victims")}
    expected = {"victims-sex-age-s0-x0": published[("female", "18-plus")], "victims-sex-age-s1-x0": published[("male", "18-plus")],
                "victims-sex-age-s2-x0": published[("female", "0-17")], "victims-sex-age-s3-x0": published[("male", "0-17")]}
    assert expected["victims-sex-age-s2-x0"] == 729  # girls, as published
    bars = boxes(charts["victims-sex-age"])
    assert set(bars) == set(expected)
    vertical_scale(bars, expected)
    # where Nigerians were detected: one bar per row of the destinations query, as long as its count
    dest = run_evidence_query(evidence, "evidence-glotip-destinations", area=rdflib.URIRef(b.place))
    bars = boxes(charts["destinations"])
    assert len([k for k in bars if "-s0-" in k]) == len([r for r in dest if "count" in r])
    assert [t for t in texts(charts["destinations"]) if t in {str(r["label"]) for r in dest}] == [str(r["label"]) for r in dest]
    # citizenships: published ones to scale, suppressed ones drawn as a box from S to 4 S
    bars = boxes(charts["citizenships"])
    published = {f"citizenships-s0-x{i}": c["count"] for i, c in enumerate(b.citizenships) if c["count"]}
    lengths = {k: bars[k][2] - bars[k][0] for k in published}
    scale = lengths[next(iter(published))] / published[next(iter(published))]
    assert all(lengths[k] / v == pytest.approx(scale, rel=1e-4) for k, v in published.items())
    left = bars[next(iter(published))][0]
    only_suppressed = [i for i, c in enumerate(b.citizenships) if c["suppressed"] and not c["count"]]
    assert only_suppressed
    for i in only_suppressed:
        box, s = bars[f"citizenships-sup-x{i}"], b.citizenships[i]["suppressed"]
        assert (box[0] - left) / scale == pytest.approx(s, abs=0.01) and (box[2] - left) / scale == pytest.approx(4 * s, abs=0.01)
        assert f"citizenships-s0-x{i}" not in bars  # never a bar of 0
    # Frontex detections per route and year, one segment per route
    det = run_evidence_query(evidence, "evidence-frontex-nationals", area=rdflib.URIRef(b.place))
    bars = boxes(charts["detections"])
    assert len(bars) == len(det) == 1
    assert (bars["detections-s0-x0"][3] - bars["detections-s0-x0"][1]) > 0
    # every chart names its source and years, has axis titles, and its table follows it
    for name, svg in charts.items():
        words = " ".join(texts(svg))
        assert "Source:" in words, name
        after = page[page.index(f'id="chart-{name}"'):]
        alternative = "<ul>" if name == "factors" else "<table>"  # the factors are listed by category
        assert after.index("</figure>") < after.index(alternative), name


def test_route_chart_against_the_routes_query_and_category_colours(evidence):
    b = build_brief(evidence, country="ITA")
    charts = charts_of(render_brief(b, "html"))
    rows = run_evidence_query(evidence, "evidence-routes-deaths", area=rdflib.URIRef(b.place))
    bars = boxes(charts["routes-deaths"])
    years = sorted({str(r["year"]) for r in rows})
    routes = [r["route"] for r in b.routes]
    expected = {f"routes-deaths-s{routes.index(str(r['routeLabel']))}-x{years.index(str(r['year']))}": int(r["iomDeadAndMissing"]) for r in rows}
    assert set(bars) == set(expected) and expected
    vertical_scale(bars, expected)
    words = texts(charts["routes-deaths"])
    assert "Dead and missing" in words and "Year" in words and any(w.startswith("Source: IOM Missing Migrants") for w in words)
    # participants' factors by category, in the views' colours
    svg = charts["factors"]
    factor_bars = boxes(svg)
    colours = set()
    for g in svg.iter(f"{SVG}g"):
        if g.get("id") in factor_bars:
            colours.add(re.search(r"fill: (#[0-9a-f]{6})", g.find(f"{SVG}path").get("style")).group(1))
    assert colours and colours <= set(CATEGORY_COLOURS.values())
    assert SERIES_COLOURS[:4] == tuple(CATEGORY_COLOURS[k] for k in ("profiting", "enabling", "concealment", "impunity"))


def test_region_brief_suppressed_cell_drawn_as_range(evidence):
    b = build_brief(evidence, country="GHA")
    charts = charts_of(render_brief(b, "html"))
    svg = charts["victims-sex-age"]
    bars = boxes(svg)
    years = [r["year"] for r in b.victims if any(r.get(k) for k in ("Women", "Men", "Girls", "Boys"))]
    rows = {r["year"]: r for r in b.victims}
    sups = [k for k in bars if "-sup-" in k]
    assert sups  # a cell published as <5 ...
    for k in sups:
        j = int(k.rsplit("x", 1)[1])
        row = rows[years[j]]
        suppressed = sum(row[c][1] for c in ("Women", "Men", "Girls", "Boys") if row.get(c))
        published = [f"victims-sex-age-s{i}-x{j}" for i, c in enumerate(("Women", "Men", "Girls", "Boys")) if row.get(c) and row[c][0]]
        if published:
            scale = vertical_scale(bars, {p: row[("Women", "Men", "Girls", "Boys")[int(re.search(r"-s(\d+)-", p).group(1))]][0] for p in published})
            assert (bars[k][3] - bars[k][1]) / scale == pytest.approx(3 * suppressed, abs=0.01)  # ... spans S to 4 S
        assert f"{suppressed} × <5" in texts(svg) or (suppressed == 1 and "<5" in texts(svg))


# Progress and the Markdown fixes -------------------------------------------------------------------------

def test_progress_follows_every_query_and_chart(evidence):
    calls = []
    b = build_brief(evidence, region="Western Africa", progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(i, BRIEF_QUERIES) for i in range(1, BRIEF_QUERIES + 1)]
    assert any("GLOTIP figures" in c[2] for c in calls)
    charts = []
    render_brief(b, "html", progress=lambda *a: charts.append(a))
    assert charts and charts[-1][0] == charts[-1][1] == len(charts) and all(c[2].startswith("Chart: ") for c in charts)


def test_brief_command_shows_progress_on_a_terminal(workspace, monkeypatch, tmp_path):
    workspace.write(glotip.plan(DATA / "glotip-sample.csv", workspace).changes)
    location = workspace.location
    workspace.close()
    monkeypatch.setattr(cli_module, "_stderr_is_terminal", lambda: True)
    out = tmp_path / "b.html"
    result = CliRunner().invoke(cli, ["brief", "--place", "Nigeria", "--format", "html", "-o", str(out), "--store", location])
    assert result.exit_code == 0, result.output
    steps = re.findall(r"\rBrief: (\d+)/(\d+) ([^\r]*)", result.stderr)
    assert [s[:2] for s in steps[:BRIEF_QUERIES]] == [(str(i), str(BRIEF_QUERIES)) for i in range(1, BRIEF_QUERIES + 1)]
    assert any(w.startswith("Chart: Detected victims in Nigeria") for _d, _t, w in steps)
    assert steps[-1][0] == steps[-1][1]  # the last chart
    assert result.stderr.endswith(f"\rWrote {out}\n") or result.stderr.rstrip().endswith(f"Wrote {out}")
    assert out.read_text(encoding="utf-8").count('<figure class="chart"') == 4
    monkeypatch.setattr(cli_module, "_stderr_is_terminal", lambda: False)
    result = CliRunner().invoke(cli, ["brief", "--place", "Nigeria", "--store", location])
    assert result.exit_code == 0 and result.stderr == ""  # piped: no bar


def test_markdown_escapes_labels_and_html_shows_them_as_text(evidence, tmp_path):
    label = "A | B *c* _d_ <b>x</b> `e` [f](http://g) & h"
    factor = rdflib.URIRef("https://w3id.org/crimekg/data/factor/md")
    cs = Changeset()
    cs.add_triples(graph_iri("contributions/markdown"), [
        (factor, rdflib.RDF.type, CKG.Factor), (factor, rdflib.SKOS.prefLabel, rdflib.Literal(label)),
        (factor, CKG.place, rdflib.URIRef("https://w3id.org/crimekg/place/NGA"))])
    evidence.write(cs)
    try:
        b = build_brief(evidence, country="NGA")
        md = render_brief(b)
        assert r"A \| B \*c\* \_d\_ \<b\>x\</b\> \`e\` \[f\](http://g) & h" in md
        page = render_brief(b, "html")
        assert "A | B *c* _d_ &lt;b&gt;x&lt;/b&gt; `e` [f](http://g) &amp; h" in page
        # the brief's own Markdown is rendered, not shown: no backticks, the source file named once
        body = page[page.index("<main>"):]
        assert "`" not in body.replace("`e`", "")
        assert "shown as <code>&lt;5</code>" in body
        assert "(data_glotip) (" not in page and "UNODC GLOTIP database export (glotip-sample.csv)" in page
        # SHERLOC case references are links
        assert re.search(r'<a href="https://sherloc\.unodc\.org/[^"]+">', page)
    finally:
        evidence.drop([graph_iri("contributions/markdown")])


def test_source_line_names_the_file_once():
    b = Brief(place="https://w3id.org/crimekg/place/NGA", label="Nigeria", kind="country", sources=[
        {"source": "glotip", "title": "UNODC GLOTIP database export (data_glotip)", "file": "data_glotip.xlsx", "issued": "2025-04-14"},
        {"source": "iom", "title": "IOM Missing Migrants Project incident data (2014-2025 table, IOM GDI)", "file": "iom.csv"}])
    md = render_brief(b)
    assert ("Sources in this workspace: UNODC GLOTIP database export (data_glotip.xlsx, exported 2025-04-14); "
            "IOM Missing Migrants Project incident data (2014-2025 table, IOM GDI) (iom.csv).") in md


# In Chromium -------------------------------------------------------------------------------------------

def test_brief_with_charts_in_chromium_requests_nothing(evidence, tmp_path, browser):
    b = build_brief(evidence, country="NGA")
    path = tmp_path / "brief.html"
    path.write_text(render_brief(b, "html"), encoding="utf-8")
    requests, errors = [], []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    assert page.locator("figure.chart svg").count() == 6
    for i in range(6):
        box = page.locator("figure.chart svg").nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 100
    assert page.locator("thead th").first.inner_text() == "Year"
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('thead')).display") == "table-header-group"
    assert page.evaluate("getComputedStyle(document.querySelector('.cover')).breakAfter") == "page"
    page.close()
    assert requests == [path.resolve().as_uri()] and errors == []


# The real GLOTIP export ------------------------------------------------------------------------------------

REAL = SHARED_DATA / "unodc-glotip" / "data_glotip.xlsx"


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_file(), reason="the real GLOTIP export is not in ../shared/data")
def test_nigeria_brief_from_the_real_glotip_export(workspace):
    workspace.write(glotip.plan(REAL, workspace).changes)
    b = build_brief(workspace, country="Nigeria")
    charts = charts_of(render_brief(b, "html"))
    assert {"victims-sex-age", "victims-forms", "citizenships", "destinations"} <= set(charts)
    groups = ("Women", "Men", "Girls", "Boys")
    years = [r["year"] for r in b.victims if any(r.get(k) for k in groups)]
    rows = {r["year"]: r for r in b.victims}
    bars = boxes(charts["victims-sex-age"])
    expected = {f"victims-sex-age-s{i}-x{j}": rows[y][k][0] for j, y in enumerate(years) for i, k in enumerate(groups)
                if rows[y].get(k) and rows[y][k][0]}
    assert len(expected) >= 8
    assert set(k for k in bars if "-sup-" not in k) == set(expected)
    vertical_scale(bars, expected)
    assert len(years) == len({t for t in texts(charts["victims-sex-age"]) if re.fullmatch(r"\d{4}", t)})


def test_every_script_in_labels_reaches_markdown_html_and_charts():
    labels = {"ja": "人身売買_ネットワーク", "ru": "Коррупция", "ar": "الفساد على الحدود", "th": "การค้ามนุษย์", "zh": "腐败官员", "es": "Corrupción*"}
    b = Brief(place="https://w3id.org/crimekg/place/NGA", label="ナイジェリア", kind="country",
              participants={"Factor": [{"label": v, "category": "Enabling"} for v in labels.values()]},
              citizenships=[{"label": "Bénin", "count": 3, "suppressed": 1, "first": "2020", "last": "2022"}])
    md = render_brief(b)
    for lang, label in labels.items():
        assert (label if lang != "es" else r"Corrupción\*") in md  # only Markdown's own marks escaped
    page = render_brief(b, "html")
    for label in labels.values():
        assert label in page
    charts = charts_of(page)
    assert set(charts) == {"citizenships", "factors"}
    assert "Factors participants named for ナイジェリア, by category" in texts(charts["factors"])
    assert "Main citizenships of the victims detected in ナイジェリア" in texts(charts["citizenships"])
    bars = boxes(charts["factors"])
    assert list(bars) == ["factors-s0-x0"]  # one category, six factors
    assert "6" in texts(charts["factors"])


def test_every_chart_has_a_title_axis_labels_and_its_source(evidence):
    for place, names in (("NGA", 6), ("ITA", 3)):
        charts = charts_of(render_brief(build_brief(evidence, country=place), "html"))
        assert len(charts) == names
        for name, svg in charts.items():
            words = texts(svg)
            axis_titles = {"Year", "Detected victims", "Dead and missing", "Detections (not persons)", "Citizenship",
                           "Country of detection", "Factors named", "Category"}
            assert len(axis_titles & set(words)) >= 2, (name, words)
            assert svg.get("aria-label") in words  # the title, drawn and given to screen readers
            start = next(i for i, w in enumerate(words) if w.startswith("Source: "))
            source = " ".join(words[start:])  # drawn last, wrapped over one or two lines
            assert re.search(r"\d{4}\.$", source) or name == "factors", source  # ends with the years it covers
