"""Views in real headless Chromium (one browser per module), plus the `crimekg view` command.

Each preset is drawn from the example session (loaded as contributions/example-2026) with
tests/data/views-extra.ttl added: a factor labelled ``<img src=x onerror=alert(1)>`` with a
Cyrillic alternative label, a negative link and a few flow observations.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.store import init_store
from crimekg.graph.views import PRESETS, render_network, render_view
from tests.helpers import ROOT, snapshot

XSS = "<img src=x onerror=alert(1)>"
XSS_IRI = "https://w3id.org/crimekg/data/factor/xss-test"
#: The query each preset test draws for the query preset (a named query returning factor IRIs).
QUERY = "factors-by-category"


@pytest.fixture(scope="module")
def example_store(tmp_path_factory):
    store = init_store(tmp_path_factory.mktemp("views") / "ws")
    store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    store.load([ROOT / "tests" / "data" / "views-extra.ttl"], "load/views-extra")
    yield store
    store.close()


@pytest.fixture(scope="module")
def pages(example_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("pages")
    return {p: render_view(example_store, out / f"{p}.html", preset=p, query=QUERY if p == "query" else None) for p in PRESETS}


class Page:
    """A page opened in the browser, with what it logged, requested and tried to pop up."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.errors, self.requests, self.dialogs = [], [], []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_function("document.body.dataset.drawn === '1'", timeout=30_000)

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def visible_nodes(self) -> set[int]:
        return set(self.js("window.crimekg.nodes.get({filter: (n) => !n.hidden}).map((n) => n.id)"))

    def close(self):
        self.page.close()


@pytest.fixture
def open_page(browser):
    opened = []

    def opener(path: Path) -> Page:
        opened.append(Page(browser, path))
        return opened[-1]

    yield opener
    for p in opened:
        p.close()


def test_render_view_makes_one_self_contained_file(pages):
    page = pages["factors"].read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<link" not in page and "bootstrap" not in page.lower()
    assert not any(f'src="{scheme}' in page for scheme in ("http", "//", "lib/"))
    assert XSS not in page  # only as escaped JSON
    assert not (pages["factors"].parent / "lib").exists()


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_draws_offline_without_errors(open_page, pages, preset):
    p = open_page(pages[preset])
    p.page.wait_for_timeout(200)
    painted = p.js("""() => {
        const c = document.querySelector('#net canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
    }""")
    assert painted > 2000, f"{preset}: canvas looks blank ({painted} painted pixels)"
    assert p.errors == []
    assert p.requests == [p.url], "the page must fetch nothing but itself"
    assert p.js("window.crimekg.nodes.length") == len(p.js("window.crimekg.data.nodes")) > 3


@pytest.mark.parametrize("preset", PRESETS)
def test_legend_lists_what_is_drawn(open_page, pages, preset):
    p = open_page(pages[preset])
    drawn = set(p.js("window.crimekg.data.nodes.map((n) => n.group)"))
    legend = p.js("[...document.querySelectorAll('#legend li[data-group]')].map((li) => [li.dataset.group, li.textContent])")
    assert {g for g, _ in legend} == drawn
    drawn |= {c for n in p.js("window.crimekg.data.nodes") for c in n.get("cats", [])}
    counts = {g: sum(1 for n in p.js("window.crimekg.data.nodes") if g in n.get("cats", [n["group"]])) for g in drawn}
    for group, text in legend:
        assert text.endswith(f"({counts[group]})"), text
    edge_styles = set(p.js("window.crimekg.data.edges.map((e) => e.style)"))
    assert set(p.js("[...document.querySelectorAll('#legend li[data-edge]')].map((li) => li.dataset.edge)")) == edge_styles
    if preset == "factors":
        assert edge_styles == {"link", "negative"}  # the test data's "counters" link is dashed
        assert drawn == {"enabling", "profiting", "concealment", "impunity"}


@pytest.mark.parametrize("preset", [p for p in PRESETS if p != "flows"])  # flows: its own place filter test below
def test_filter_hides_what_it_should(open_page, pages, preset):
    p = open_page(pages[preset])
    nodes = p.js("window.crimekg.data.nodes")
    facets = p.js("window.crimekg.data.facets")
    assert facets, f"{preset}: no filter in the page"
    # the first facet and value that hide something (so the test can fail)
    for facet in facets:
        if preset == "flows" and facet == "place":
            continue  # a place's flows, in and out: test_flows_place_filter_shows_flows_in_and_out_with_named_ends
        values = sorted({v for n in nodes for v in n["facets"].get(facet, [])})
        for value in values:
            expected = {n["id"] for n in nodes if facet not in n["facets"] or value in n["facets"][facet]}
            if len(expected) < len(nodes):
                break
        else:
            continue
        break
    assert len(expected) < len(nodes), f"{preset}: no filter value hides anything, so this test could not fail"
    p.page.select_option(f"#filter-{facet}", value)
    assert p.visible_nodes() == expected
    hidden_edges_ok = p.js("""() => window.crimekg.edges.get().every((e) =>
        !!e.hidden === !!(window.crimekg.nodes.get(e.from).hidden || window.crimekg.nodes.get(e.to).hidden))""")
    assert hidden_edges_ok
    assert p.js("document.body.dataset.shown") == str(len(expected))
    p.page.select_option(f"#filter-{facet}", "")
    assert len(p.visible_nodes()) == len(nodes)


@pytest.mark.parametrize("preset", PRESETS)
def test_search_focuses_the_node(open_page, pages, preset):
    p = open_page(pages[preset])
    # any label, any script: the Cyrillic alternative label of the test factor; Nigeria in flows
    text, iri = ("коррупция НА", XSS_IRI) if preset != "flows" else ("nigeri", "https://w3id.org/crimekg/place/NGA")
    p.page.fill("#search", text)
    assert p.js("document.querySelectorAll('#results button').length") >= 1
    p.page.press("#search", "Enter")
    assert p.js("document.body.dataset.focused") == iri
    node = p.js("(iri) => window.crimekg.data.nodes.find((n) => n.iri === iri)", iri)
    assert p.js("window.crimekg.network.getSelectedNodes()") == [node["id"]]
    pos = p.js("(id) => window.crimekg.network.getPositions([id])[id]", node["id"])
    view = p.js("window.crimekg.network.getViewPosition()")
    assert abs(view["x"] - pos["x"]) < 1 and abs(view["y"] - pos["y"]) < 1


@pytest.mark.parametrize("preset", PRESETS)
def test_presentation_mode_steps_through_the_groups(open_page, pages, preset):
    p = open_page(pages[preset])
    steps = p.js("window.crimekg.data.steps")
    if preset in ("factors", "places", "session"):
        cats = [s for s in steps if s in ("enabling", "profiting", "concealment", "impunity")]
        assert cats == ["enabling", "profiting", "concealment", "impunity"]
    assert steps[-1] == "links"
    nodes = p.js("window.crimekg.data.nodes")
    p.page.click("#present")
    assert p.js("document.body.classList.contains('present')")
    for i, step in enumerate(steps):
        if i:
            p.page.keyboard.press("ArrowRight")
        assert p.js("document.getElementById('caption').dataset.step") == step
        revealed = set(steps[: i + 1])
        assert p.visible_nodes() == {n["id"] for n in nodes if n["group"] in revealed}
        links_shown = p.js("window.crimekg.edges.get({filter: (e) => !e.hidden && window.crimekg.data.edges[e.id].style !== 'structure'}).length")
        if step != "links":
            assert links_shown == 0
    assert links_shown == sum(1 for e in p.js("window.crimekg.data.edges") if e["style"] != "structure")
    p.page.keyboard.press("ArrowLeft")
    assert p.js("document.getElementById('caption').dataset.step") == steps[-2]
    p.page.keyboard.press("Escape")
    assert not p.js("document.body.classList.contains('present')")
    assert len(p.visible_nodes()) == len(nodes)


def test_presentation_follows_a_given_sequence(open_page, example_store, tmp_path):
    path = render_view(example_store, tmp_path / "steps.html", steps=["impunity", "enabling"])
    p = open_page(path)
    assert p.js("window.crimekg.data.steps") == ["impunity", "enabling", "profiting", "concealment", "links"]
    p.page.click("#present")
    groups = {n["id"]: n["group"] for n in p.js("window.crimekg.data.nodes")}
    assert {groups[i] for i in p.visible_nodes()} == {"impunity"}
    p.page.keyboard.press("ArrowRight")
    assert {groups[i] for i in p.visible_nodes()} == {"impunity", "enabling"}


@pytest.mark.parametrize("preset", ["factors", "session", "places", "query"])
def test_html_label_shows_as_text_and_runs_nothing(open_page, pages, preset):
    p = open_page(pages[preset])
    node = p.js("(iri) => window.crimekg.data.nodes.find((n) => n.iri === iri)", XSS_IRI)
    assert node["full"] == XSS
    # search lists it (as text), then hover it so that its tooltip opens
    p.page.fill("#search", "onerror")
    assert p.js("document.querySelector('#results button').textContent") == XSS
    p.page.press("#search", "Enter")
    box = p.js("document.querySelector('#net canvas').getBoundingClientRect().toJSON()")
    dom = p.js("(id) => { const n = window.crimekg.network; return n.canvasToDOM(n.getPositions([id])[id]); }", node["id"])
    p.page.mouse.move(box["x"] + dom["x"] + 40, box["y"] + dom["y"] + 40)
    p.page.mouse.move(box["x"] + dom["x"], box["y"] + dom["y"])
    p.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    assert XSS in p.js("document.querySelector('div.vis-tooltip').textContent")
    p.page.wait_for_timeout(300)
    assert p.dialogs == []
    assert p.js("document.querySelectorAll('img').length") == 0
    assert p.errors == [] and p.requests == [p.url]


def test_big_network_is_aggregated_and_says_so(open_page, tmp_path):
    G = nx.MultiDiGraph()
    cats = ["enabling", "profiting", "concealment", "impunity"]
    for i in range(600):
        G.add_node(f"f{i}", label=f"Factor {i}", kind="factor", categories=[cats[i % 4]], places=[["NGA", "ITA", "MEX"][i % 3]], crimes=[])
    for i in range(600):
        G.add_edge(f"f{i}", f"f{(i * 7 + 1) % 600}", relation="enables", polarity="positive")
    path = tmp_path / "big.html"
    path.write_text(render_network(G, max_nodes=500), encoding="utf-8")
    p = open_page(path)
    assert p.js("window.crimekg.data.nodes.length") == 12  # 4 categories x 3 places
    note = p.js("document.getElementById('note').textContent")
    assert "600 nodes" in note and "500" in note and "12 groups" in note
    assert p.errors == [] and p.requests == [p.url]


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path):
    ws = tmp_path / "ws"
    with init_store(ws) as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    return ws


def test_view_command_writes_each_preset(cli_store, tmp_path):
    runner = CliRunner()
    for preset in ("factors", "session", "places"):
        out = tmp_path / f"{preset}.html"
        result = runner.invoke(cli, ["view", preset, "--store", str(cli_store), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert result.output == f"Wrote {out}\n"
        assert "vis.Network" in out.read_text(encoding="utf-8")


def test_view_command_filters_and_query_file(cli_store, tmp_path):
    import json
    import re

    query = tmp_path / "links.rq"
    query.write_text("CONSTRUCT { ?a ckg:fromFactor ?b } WHERE { ?l ckg:fromFactor ?a ; ckg:toFactor ?b }", encoding="utf-8")
    out = tmp_path / "q.html"
    result = CliRunner().invoke(cli, ["view", "query", "--query", str(query), "--store", str(cli_store), "-o", str(out)])
    assert result.exit_code == 0, result.output
    out2 = tmp_path / "f.html"
    result = CliRunner().invoke(cli, ["view", "--category", "impunity", "--crime", "smuggling-of-migrants", "--store", str(cli_store), "-o", str(out2)])
    assert result.exit_code == 0, result.output
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", out2.read_text(encoding="utf-8")).group(1))
    assert data["nodes"] and all("impunity" in n["facets"]["category"] for n in data["nodes"])
    assert all("smuggling-of-migrants" in n["facets"]["crime"] for n in data["nodes"])
    assert data["filters"] == "category = impunity; crime = smuggling-of-migrants"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--category", "enabeling"], "--category enabeling: unknown; use one of concealment, enabling, impunity, profiting"),
        (["--place", "NGX"], "--place NGX: unknown; did you mean"),
        (["--steps", "enabling,nothing"], "--steps: nothing not in this view"),
        (["query"], "the query preset needs a query"),
        (["query", "--query", "no-such-query"], "no named query 'no-such-query'"),
        (["query", "--query", "missing.rq"], "cannot read the query file missing.rq"),
        (["query", "--query", str(ROOT / "tests" / "data" / "evidence" / "glotip-sample.xlsx")], "not UTF-8 text"),
        (["query", "--query", "ASK { ?s ?p ?o }"], "an ASK query answers yes or no"),
        (["flows"], "no flows: the workspace has no observations"),
    ],
)
def test_view_command_refuses_bad_input_and_changes_nothing(cli_store, tmp_path, args, message):
    from crimekg.graph.store import open_store

    with open_store(cli_store) as store:
        before = snapshot(store)
    out = tmp_path / "out.html"
    result = CliRunner().invoke(cli, ["view", *args, "--store", str(cli_store), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not out.exists()
    with open_store(cli_store) as store:
        assert snapshot(store) == before


def test_query_preset_takes_sparql_without_braces(example_store):
    # regression: "DESCRIBE <iri>" was looked up as the name of a stored query
    from crimekg.graph.views import query_network

    factor = "https://w3id.org/crimekg/data/factor/poverty-and-unemployment"
    G = query_network(example_store, f"DESCRIBE <{factor}>")
    assert factor in G and G.nodes[factor]["label"] == "Poverty and lack of decent work in communities of origin"
    assert query_network(example_store, "factor-links").number_of_edges() > 0  # a name is still a name


def test_view_command_usage_errors(cli_store):
    result = CliRunner().invoke(cli, ["view", "factors", "--query", "factor-links", "--store", str(cli_store)])
    assert result.exit_code == 2 and "--query goes with the query preset" in result.output
    result = CliRunner().invoke(cli, ["view", "query", "--query", "factors-by-category", "--param", "category", "--store", str(cli_store)])
    assert result.exit_code == 2 and "write NAME=VALUE" in result.output
    # as in `crimekg query`: a parameter given twice is refused, not silently the last one
    result = CliRunner().invoke(cli, ["view", "query", "--query", "factors-by-category", "--param", "category=enabling",
                                      "--param", "category=impunity", "--store", str(cli_store)])
    assert result.exit_code == 2 and "'category' given twice" in result.output


def test_positions_are_fixed_until_physics_is_turned_on(open_page, pages):
    p = open_page(pages["factors"])
    first = p.js("window.crimekg.data.nodes[0]")
    assert p.js("window.crimekg.network.physics.physicsEnabled") is False
    pos = p.js("(id) => window.crimekg.network.getPositions([id])[id]", first["id"])
    assert abs(pos["x"] - first["x"]) <= 1 and abs(pos["y"] - first["y"]) <= 1
    p.page.click("#physics")
    assert p.js("window.crimekg.network.physics.physicsEnabled") is True
    assert p.js("document.getElementById('physics').getAttribute('aria-pressed')") == "true"
    p.page.click("#physics")
    assert p.js("window.crimekg.network.physics.physicsEnabled") is False


# --- flows along smuggling routes (Frontex and IOM samples) ---------------------------------------


@pytest.fixture(scope="module")
def route_store(tmp_path_factory):
    from crimekg.graph.importers import frontex, iom

    evidence = ROOT / "tests" / "data" / "evidence"
    store = init_store(tmp_path_factory.mktemp("routes") / "ws")
    store.write(frontex.plan(evidence / "frontex-sample.csv", store).changes)
    store.write(iom.plan(evidence / "iom-2019-sample.csv", store).changes)
    yield store
    store.close()


def test_routes_flows_view_draws_offline_with_its_legend(open_page, route_store, tmp_path):
    path = render_view(route_store, tmp_path / "routes.html", preset="flows", flows="routes")
    p = open_page(path)
    p.page.wait_for_timeout(200)
    painted = p.js("""() => {
        const c = document.querySelector('#net canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
    }""")
    assert painted > 2000, f"canvas looks blank ({painted} painted pixels)"
    assert p.errors == [] and p.requests == [p.url], "the page must fetch nothing but itself"
    legend = dict(p.js("[...document.querySelectorAll('#legend li[data-group]')].map((li) => [li.dataset.group, li.textContent])"))
    assert legend.keys() == {"country", "route"}
    assert "Smuggling route" in legend["route"] and legend["route"].endswith("(2)")
    assert p.js("document.title").startswith("crimekg: Smuggling routes")
    assert legend["country"].endswith("(5)")  # NGA, SYR, AFG, TUR, EGY
    edges = p.js("[...document.querySelectorAll('#legend li[data-edge]')].map((li) => [li.dataset.edge, li.textContent])")
    assert [e for e, _ in edges] == ["route"] and "Frontex" in edges[0][1]
    shapes = p.js("Object.fromEntries(window.crimekg.nodes.get().map((n) => [n.title.split('\\n')[0], n.shape]))")
    assert shapes["Central Mediterranean route"] == "diamond" and shapes["Nigeria"] == "hexagon"
    route = p.js("window.crimekg.nodes.get().find((n) => n.title.startsWith('Central Mediterranean route')).title")
    assert "Frontex: 33,809 detections of illegal border crossings" in route
    assert "IOM Missing Migrants: 51 dead and missing (dead 13, missing 38) in 6 incident(s)" in route
    widths = {e["title"].split("\n")[1].split(" detections")[0]: e["width"] for e in p.js("window.crimekg.data.edges")}
    assert widths["route: Frontex: 33,809"] == 10 and widths["route: Frontex: 1"] < 1.1  # thickness follows the detections


def test_view_command_flows_option(cli_store, tmp_path):
    import json
    import re

    from crimekg.graph.importers import frontex

    ws = tmp_path / "routes"
    with init_store(ws) as store:
        store.write(frontex.plan(ROOT / "tests" / "data" / "evidence" / "frontex-sample.csv", store).changes)
    out = tmp_path / "flows.html"
    result = CliRunner().invoke(cli, ["view", "flows", "--flows", "routes", "--store", str(ws), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", out.read_text(encoding="utf-8")).group(1))
    assert {e["style"] for e in data["edges"]} == {"route"} and len(data["edges"]) == 5
    result = CliRunner().invoke(cli, ["view", "flows", "--flows", "citizenship", "--store", str(ws), "-o", str(out)])
    assert result.exit_code == 1 and "no flows: the workspace has no observations with ckg:citizenship" in result.output
    result = CliRunner().invoke(cli, ["view", "flows", "--flows", "routes", "--store", str(cli_store), "-o", str(out)])
    assert result.exit_code == 1 and "no route flows" in result.output
    result = CliRunner().invoke(cli, ["view", "factors", "--flows", "routes", "--store", str(cli_store)])
    assert result.exit_code == 2 and "--flows goes with the flows preset" in result.output


def test_flows_view_keeps_sources_apart_and_never_shows_a_suppressed_flow_as_0(example_store):
    """GLOTIP's and CTDC's figures for one flow: two edges, both in the tooltip, never added; <5 stays <5."""
    import json

    from crimekg.graph.network import flows_graph

    page = render_network(flows_graph(example_store, "citizenship"), "flows")
    start = page.index('{"preset":')
    data, _ = json.JSONDecoder().raw_decode(page[start:].replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&"))
    names = {n["id"]: n["full"] for n in data["nodes"]}
    edges = {(names[e["from"]], names[e["to"]], e["label"]): e for e in data["edges"]}
    # views-extra.ttl: GLOTIP 120 + 80 detected victims, CTDC 7 records, GLOTIP 9 persons convicted (not drawn)
    assert set(edges) >= {("Nigeria", "Italy", "200 (glotip)"), ("Nigeria", "Italy", "7 (ctdc)"), ("Ukraine", "Poland", "<5")}
    assert not any(label.startswith(("207", "209", "216")) for *_, label in edges)
    glotip = edges[("Nigeria", "Italy", "200 (glotip)")]["title"]
    assert "UNODC GLOTIP: 200 detected victims" in glotip and "CTDC: 7 victim records" in glotip and "not added" in glotip
    assert "persons convicted" not in glotip
    suppressed = edges[("Ukraine", "Poland", "<5")]["title"]
    assert "<5 detected victims (between 1 and 4" in suppressed and ": 0 " not in suppressed


# --- a view a room can read: 1024x768, normal and presentation mode ---------------------------------

#: In the page: the shown nodes, each label's size on screen (font size x scale), label boxes on
#: screen, the canvas size, and the colours drawn with the background they are drawn on.
MEASURE = """() => {
    const net = window.crimekg.network, D = window.crimekg.data;
    const box = document.getElementById('net').getBoundingClientRect();
    const scale = net.getScale();
    const shown = window.crimekg.nodes.get({filter: (n) => !n.hidden});
    const labels = shown.map((n) => {
        const node = net.body.nodes[n.id], l = node.labelModule.size;
        const a = net.canvasToDOM({x: l.left, y: l.top}), b = net.canvasToDOM({x: l.left + l.width, y: l.top + l.height});
        return {id: n.id, px: node.labelModule.fontOptions.size * scale, left: a.x, top: a.y, right: b.x, bottom: b.y};
    });
    return {scale, width: box.width, height: box.height, labels,
            bg: getComputedStyle(document.getElementById('net')).backgroundColor,
            colours: shown.flatMap((n) => (D.nodes[n.id].cats || [D.nodes[n.id].group]).map((g) => document.body.classList.contains('present') ? D.styles[g].dark : D.styles[g].color)),
            edgeColours: window.crimekg.edges.get({filter: (e) => !e.hidden}).map((e) => e.color.color)};
}"""


def _luminance(colour: str) -> float:
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _check_readable(p: Page, what: str, dark: bool) -> dict:
    m = p.js(MEASURE)
    assert m["labels"], what
    small = [lab for lab in m["labels"] if lab["px"] < 14]
    assert not small, f"{what}: {len(small)} labels under 14 CSS px (scale {m['scale']:.2f})"
    for lab in m["labels"]:  # every label on screen, inside the canvas
        assert lab["left"] >= -1 and lab["top"] >= -1 and lab["right"] <= m["width"] + 1 and lab["bottom"] <= m["height"] + 1, (what, lab)
    labs = m["labels"]
    for i, a in enumerate(labs):
        for b in labs[i + 1:]:
            overlap = min(a["right"], b["right"]) - max(a["left"], b["left"]), min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            assert not (overlap[0] > 1 and overlap[1] > 1), f"{what}: labels of nodes {a['id']} and {b['id']} overlap"
    bg = "#000000" if dark else "#ffffff"
    for c in set(m["colours"]) | set(m["edgeColours"]):
        assert _contrast(c, bg) >= 3, f"{what}: {c} on {bg} has contrast {_contrast(c, bg):.2f} (< 3:1)"
    return m


@pytest.fixture
def open_small(browser):
    """Pages opened at 1024x768, a common projector."""
    opened = []

    def opener(path: Path) -> Page:
        p = Page.__new__(Page)
        p.page = browser.new_page(viewport={"width": 1024, "height": 768})
        p.errors, p.requests, p.dialogs = [], [], []
        p.page.on("pageerror", lambda e: p.errors.append(f"pageerror: {e}"))
        p.url = path.resolve().as_uri()
        p.page.goto(p.url)
        p.page.wait_for_function("document.body.dataset.drawn === '1'", timeout=30_000)
        opened.append(p)
        return p

    yield opener
    for p in opened:
        p.close()


@pytest.mark.parametrize("preset", ["factors", "session", "places", "query"])
def test_example_session_reads_at_1024x768_normal_and_present(open_small, pages, preset):
    """Labels of 14 CSS px or more, none overlapping, all on screen, every colour visible; present mode at every step."""
    p = open_small(pages[preset])
    assert p.js("document.querySelector('header').offsetHeight") <= 48, "the header takes one line"
    assert p.js("document.body.classList.contains('panel-closed')"), "at 1024 px the legend panel starts hidden"
    p.page.click("#panel-toggle")
    assert p.js("getComputedStyle(document.getElementById('panel')).display") != "none"
    assert p.js("document.querySelectorAll('#panel #legend li[data-group], #panel #filters select').length") > 3
    p.page.click("#panel-toggle")
    p.js("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")  # the fit after the panel closes
    _check_readable(p, f"{preset} normal", dark=False)
    steps = p.js("window.crimekg.data.steps")
    p.page.click("#present")
    for i, step in enumerate(steps):
        if i:
            p.page.click("#next")
        assert p.js("document.getElementById('caption').textContent").startswith(f"Step {i + 1} of {len(steps)}")
        for button in ("#prev", "#next", "#present-fit", "#exit"):  # a way on, back and out, on screen
            b = p.js(f"document.querySelector('{button}').getBoundingClientRect().toJSON()")
            assert b["width"] > 0 and 0 <= b["top"] and b["bottom"] <= 768 and b["right"] <= 1024, (button, b)
        _check_readable(p, f"{preset} present, step {step}", dark=True)
    p.page.click("#exit")
    assert not p.js("document.body.classList.contains('present')")
    assert p.errors == []


def test_multi_category_factor_is_drawn_in_all_its_colours(open_small, pages):
    p = open_small(pages["factors"])
    node = p.js("window.crimekg.data.nodes.find((n) => n.full.startsWith('Corruption of border'))")
    assert node["cats"] == ["enabling", "concealment", "impunity"]
    # the pixels of each segment, halfway out along the middle of its arc
    colours = p.js("""(n) => {
        const net = window.crimekg.network, c = document.querySelector('#net canvas');
        const ratio = c.width / c.clientWidth;
        const pos = net.canvasToDOM(net.getPositions([n.id])[n.id]);
        const r = net.body.nodes[n.id].options.size * net.getScale();
        return n.cats.map((_, i) => {
            const angle = -Math.PI / 2 + (i + 0.5) * 2 * Math.PI / n.cats.length;
            const d = c.getContext('2d').getImageData(Math.round((pos.x + Math.cos(angle) * r * 0.5) * ratio), Math.round((pos.y + Math.sin(angle) * r * 0.5) * ratio), 1, 1).data;
            return '#' + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('');
        });
    }""", node)
    styles = p.js("window.crimekg.data.styles")
    assert colours == [styles[c]["color"] for c in node["cats"]]
    title = node["title"]
    assert "Factor: enabling, concealment, impunity" in title
    assert "Places: Ghana (GHA), Guatemala (GTM)" in title and "Sessions: Global trends workshop (example) (example-2026)" in title


def test_legend_counts_follow_filters_and_filters_show_names(open_small, pages):
    p = open_small(pages["factors"])
    p.page.click("#panel-toggle")
    options = p.js("[...document.querySelectorAll('#filter-place option')].map((o) => [o.value, o.textContent])")
    assert ["NGA", "Nigeria"] in options and not any(text == value for value, text in options if value)
    assert ["enabling", "Enabling"] in p.js("[...document.querySelectorAll('#filter-category option')].map((o) => [o.value, o.textContent])")
    nodes = p.js("window.crimekg.data.nodes")

    def legend():
        return {li[0]: int(li[1].rsplit("(", 1)[1].rstrip(")")) for li in
                p.js("[...document.querySelectorAll('#legend li[data-group]')].map((li) => [li.dataset.group, li.textContent])")}

    def expected(shown):
        out = {}
        for n in nodes:
            if n["id"] in shown:
                for g in n.get("cats", [n["group"]]):
                    out[g] = out.get(g, 0) + 1
        return out

    assert {g: c for g, c in legend().items() if c} == expected({n["id"] for n in nodes})
    p.page.select_option("#filter-place", "GHA")
    shown = p.visible_nodes()
    assert 0 < len(shown) < len(nodes)
    assert {g: c for g, c in legend().items() if c} == expected(shown)


def test_edge_labels_sit_on_their_edges_and_reset_layout_restores_positions(open_small, pages):
    p = open_small(pages["factors"])
    off = p.js("""() => {
        const net = window.crimekg.network;
        return window.crimekg.data.edges.map((e, i) => [e, net.body.edges[i]]).filter(([e]) => e.label).map(([e, edge]) => {
            const a = net.getPositions([e.from])[e.from], b = net.getPositions([e.to])[e.to], l = edge.labelModule.size;
            const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
            return Math.hypot(l.left + l.width / 2 - mx, l.top + l.height / 2 - my);
        });
    }""")
    assert off and max(off) < 12, f"edge labels off their edges by up to {max(off):.0f} canvas units"
    first = {n["id"]: (n["x"], n["y"]) for n in p.js("window.crimekg.data.nodes")}
    p.page.click("#physics")
    p.page.wait_for_function("""(first) => { const pos = window.crimekg.network.getPositions();
        return Object.entries(first).some(([id, [x, y]]) => Math.hypot(pos[id].x - x, pos[id].y - y) > 20); }""", arg=first, timeout=10_000)
    p.page.click("#reset")
    p.page.wait_for_function("""(first) => { const pos = window.crimekg.network.getPositions();
        return Object.entries(first).every(([id, [x, y]]) => Math.hypot(pos[id].x - x, pos[id].y - y) < 1.5); }""", arg=first, timeout=5_000)
    assert p.js("window.crimekg.network.physics.physicsEnabled") is False
    assert p.js("document.getElementById('physics').getAttribute('aria-pressed')") == "false"
    pos = p.js("window.crimekg.network.getPositions()")
    assert all(abs(pos[str(i)]["x"] - x) <= 1 and abs(pos[str(i)]["y"] - y) <= 1 for i, (x, y) in first.items())  # rounded by vis


#: In the page: the median distance from each node to its nearest neighbour, and the layout's width and height (canvas units).
SPREAD = """() => {
    const pos = Object.values(window.crimekg.network.getPositions());
    const nearest = pos.map((p, i) => Math.min(...pos.filter((_, j) => j !== i).map((q) => Math.hypot(p.x - q.x, p.y - q.y))));
    nearest.sort((a, b) => a - b);
    const xs = pos.map((p) => p.x), ys = pos.map((p) => p.y);
    return {nearest: nearest[Math.floor(nearest.length / 2)], width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys)};
}"""


@pytest.mark.parametrize("preset", ["factors", "places"])
def test_physics_spreads_the_layout_and_reset_brings_it_back(open_small, pages, preset):
    """Physics left to settle keeps the nodes apart (no tight ball); Reset layout puts every node back where it was drawn."""
    p = open_small(pages[preset])
    before = p.js(SPREAD)
    first = {n["id"]: (n["x"], n["y"]) for n in p.js("window.crimekg.data.nodes")}
    p.js("() => { window.crimekg.network.once('stabilized', () => { document.body.dataset.settled = '1'; }); }")
    p.page.click("#physics")
    assert p.js("window.crimekg.network.physics.physicsEnabled") is True
    p.page.wait_for_function("() => document.body.dataset.settled === '1'", timeout=60_000)
    after = p.js(SPREAD)
    moved = p.js("""(first) => { const pos = window.crimekg.network.getPositions();
        return Object.entries(first).filter(([id, [x, y]]) => Math.hypot(pos[id].x - x, pos[id].y - y) > 20).length; }""", first)
    assert moved > len(first) / 2, f"{preset}: physics moved only {moved} of {len(first)} nodes"
    # a node's nearest neighbour stays about a label's height away or more, and the layout
    # covers as much as the drawn one: no ball
    assert after["nearest"] >= max(45, 0.5 * before["nearest"]), (before, after)
    assert after["width"] * after["height"] >= 0.8 * before["width"] * before["height"], (before, after)
    p.page.click("#reset")
    p.page.wait_for_function("""(first) => { const pos = window.crimekg.network.getPositions();
        return Object.entries(first).every(([id, [x, y]]) => Math.hypot(pos[id].x - x, pos[id].y - y) <= 1); }""", arg=first, timeout=5_000)
    assert p.js("window.crimekg.network.physics.physicsEnabled") is False
    assert p.js("document.getElementById('physics').textContent") == "Physics: off"
    assert p.errors == []


def test_query_view_names_its_hub(pages):
    import json
    import re

    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", pages["query"].read_text(encoding="utf-8")).group(1))
    hubs = {n["iri"].rsplit("/", 1)[-1]: n for n in data["nodes"] if "/concept/category/" in n["iri"]}
    assert hubs["concealment"]["full"] == "Concealment"
    assert "Contributions" not in hubs["concealment"]["title"]
    factor = next(n for n in data["nodes"] if n["full"].startswith("Too few labour inspectors"))
    assert "/factor/" in factor["iri"]


def test_flows_place_filter_shows_flows_in_and_out_with_named_ends(open_small, pages):
    p = open_small(pages["flows"])
    p.page.click("#panel-toggle")
    names = {n["id"]: n["full"] for n in p.js("window.crimekg.data.nodes")}
    p.page.select_option("#filter-place", "ITA")
    shown = {names[i] for i in p.visible_nodes()}
    assert shown == {"Italy", "Nigeria"}
    edges = p.js("window.crimekg.edges.get({filter: (e) => !e.hidden}).map((e) => e.title)")
    assert len(edges) == 2 and all(t.startswith("Nigeria (NGA) \u2192 Italy (ITA)\n") for t in edges)
    assert any("detected victims" in t for t in edges) and any("victim records" in t for t in edges)
    p.page.select_option("#filter-place", "NGA")
    assert {names[i] for i in p.visible_nodes()} == {"Nigeria", "Italy", "Spain"}
    assert p.js("window.crimekg.edges.get({filter: (e) => !e.hidden}).length") == 3


def _glotip_like() -> nx.MultiDiGraph:
    """Flows as GLOTIP gives them: many countries, a few large flows and many small ones, names in many scripts."""
    G = nx.MultiDiGraph()
    names = ["Nigeria", "ナイジェリア", "Россия", "مصر", "ประเทศไทย", "中国", "España", "Italia", "Ghana", "Mali",
             "Peru", "Chile", "Japón", "Brasil", "Kenia", "Uganda", "Francia", "Polonia", "Ucrania", "Turquía"]
    for i, name in enumerate(names):
        G.add_node(f"C{i:02d}", label=name, kind="country", places=[f"C{i:02d}"], subregion=f"m49/{i % 4}",
                   subregion_label=f"Subregion {i % 4}")
    for i in range(len(names)):
        for j in range(len(names)):
            if i != j and (i * 7 + j * 3) % 5 == 0:
                big = 1000 - 10 * i if j == 0 else 0  # the largest flows all go to C00
                G.add_edge(f"C{i:02d}", f"C{j:02d}", relation="flow", source="glotip", indicator="detected-trafficking-victims",
                           count=float(big + i + j + 1), observations=1, years="2018-2021")
    G.add_edge("C05", "C05", relation="flow", source="glotip", indicator="detected-trafficking-victims", count=50.0, observations=1)
    return G


def test_flows_place_filter_shows_a_places_flows_from_the_full_data(open_small, tmp_path):
    """After --top folds the flows, the place filter still shows every flow of a place, in and out, named at both ends."""
    from crimekg.graph.views import top_flows

    G = _glotip_like()
    H, note = top_flows(G, 3)
    place = "C01"  # ナイジェリア: in none of the 3 largest flows, so folded into its subregion on the page
    assert place not in H
    path = tmp_path / "flows.html"
    places = {"place": {c: G.nodes[c]["label"] for c in G}}  # as names() gives them from a workspace
    path.write_text(render_network(H, "flows", note=note, flows_from=G, names=places), encoding="utf-8")
    p = open_small(path)
    data = p.js("window.crimekg.data")
    on_page = {n["id"] for n in data["nodes"] if not n.get("extra")}
    assert p.visible_nodes() == on_page and len(on_page) == len(H)
    first = p.js("window.crimekg.network.getPositions()")
    p.page.click("#panel-toggle")
    assert "ナイジェリア" in p.js("[...document.querySelectorAll('#filter-place option')].map((o) => o.textContent)")
    p.page.select_option("#filter-place", place)
    expected = {(u, v) for u, v in G.edges() if place in (u, v) and u != v}
    assert len(expected) == 6 and any(u == place for u, v in expected) and any(v == place for u, v in expected)
    names = {n["id"]: n["full"] for n in data["nodes"]}
    label = {c: G.nodes[c]["label"] for c in G}
    star = {c for e in expected for c in e}
    assert {names[i] for i in p.visible_nodes()} == {label[c] for c in star}
    titles = p.js("window.crimekg.edges.get({filter: (e) => !e.hidden}).map((e) => e.title)")
    assert sorted(t.split("\n")[0] for t in titles) == sorted(f"{label[u]} ({u}) \u2192 {label[v]} ({v})" for u, v in expected)
    assert all("detected victims" in t for t in titles)
    assert p.js("document.getElementById('status').textContent").startswith(f"{len(star)} nodes and {len(expected)} flows of the place shown")
    # drawn as a star around the place, every node inside the canvas
    pos = p.js("window.crimekg.network.getPositions()")
    centre = next(i for i, n in names.items() if n == "ナイジェリア")
    assert abs(pos[str(centre)]["x"]) < 1 and abs(pos[str(centre)]["y"]) < 1
    assert len({(round(q["x"]), round(q["y"])) for i, q in pos.items() if int(i) in p.visible_nodes()}) == len(star)
    # every place, also one only in the flows the page left out
    p.page.select_option("#filter-place", "C05")  # 中国: on the page, with flows beyond it
    assert {names[i] for i in p.visible_nodes()} == {label[c] for u, v in G.edges() if "C05" in (u, v) and u != v for c in (u, v)}
    assert len(p.visible_nodes()) > 2
    p.page.select_option("#filter-place", "")
    assert p.visible_nodes() == on_page
    p.js("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    back = p.js("window.crimekg.network.getPositions()")
    assert all(abs(back[i]["x"] - first[i]["x"]) <= 1 and abs(back[i]["y"] - first[i]["y"]) <= 1 for i in first)
    assert p.errors == []


def test_top_flows_folds_small_countries_into_subregions_and_max_nodes_groups():
    from crimekg.graph.views import _page_data, top_flows

    G = nx.MultiDiGraph()
    region = {"NGA": "Western Africa", "GHA": "Western Africa", "SEN": "Western Africa", "CIV": "Western Africa",
              "ITA": "Southern Europe", "ESP": "Southern Europe"}
    for code, sub in region.items():
        G.add_node(code, label=code.lower(), kind="country", places=[code], subregion=f"m49/{sub[:3]}", subregion_label=sub)
    for u, v, n in [("NGA", "ITA", 500), ("GHA", "ITA", 9), ("SEN", "ITA", 8), ("CIV", "ITA", 7), ("GHA", "ESP", 3), ("ITA", "ITA", 900)]:
        G.add_edge(u, v, relation="flow", source="glotip", indicator="i", count=float(n), observations=1, years="2020-2021")
    H, note = top_flows(G, 1)
    assert sorted(H) == ["ITA", "NGA"] and "Showing the 1 largest flows" in note
    # victims detected in their own country: no loop among the largest flows, a line in the tooltip
    assert not any(u == v for u, v in H.edges()) and H.nodes["ITA"]["domestic"] == ["UNODC GLOTIP: 900 i, 1 observation(s), 2020-2021"]
    assert "Detected in their own country: UNODC GLOTIP: 900" in _page_data(H, "flows")["nodes"][0]["title"] + _page_data(H, "flows")["nodes"][1]["title"]
    # top 2: NGA-ITA and GHA-ITA keep their countries; Senegal and Côte d'Ivoire fold into Western
    # Africa, whose flows to Italy add up (one source) past Ghana's
    H, _ = top_flows(G, 2)
    flows = {(u, v): a for u, v, a in H.edges(data=True)}
    assert sorted(flows) == [("NGA", "ITA"), ("group:m49/Wes", "ITA")]
    assert flows[("group:m49/Wes", "ITA")]["count"] == 15.0 and flows[("group:m49/Wes", "ITA")]["value"] == "15"
    assert H.nodes["group:m49/Wes"]["label"] == "Western Africa: 2 other countries"
    assert top_flows(G, 0)[0] is G
    data = _page_data(G, "flows", max_nodes=3)
    assert sorted(n["full"] for n in data["nodes"]) == ["2 \u00d7 Country \u00b7 Southern Europe", "4 \u00d7 Country \u00b7 Western Africa"]
    assert "shows 2 groups" in data["note"]


def test_view_command_top_and_lang(cli_store, tmp_path):
    import json
    import re

    from crimekg.graph.store import open_store

    with open_store(cli_store) as store:
        store.load([ROOT / "tests" / "data" / "views-extra.ttl"], "load/views-extra")
    out = tmp_path / "flows.html"
    result = CliRunner().invoke(cli, ["view", "flows", "--top", "1", "--lang", "ru", "--store", str(cli_store), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", out.read_text(encoding="utf-8")).group(1))
    labels = {n["full"] for n in data["nodes"]}
    assert {"Нигерия", "Италия"} <= labels and "Nigeria" not in labels  # names in the reader's language
    assert "Showing the 1 largest flows of each source" in data["note"]
    assert any(t["title"].startswith("Нигерия (NGA) \u2192 Италия (ITA)") for t in data["edges"])
    result = CliRunner().invoke(cli, ["view", "factors", "--top", "3", "--store", str(cli_store)])
    assert result.exit_code == 2 and "--top goes with the flows preset" in result.output


def test_readme_screenshots_are_current(tmp_path):
    """The README's images were taken from the pages the example makes now (else: tests/tools/screenshot.py --readme)."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("screenshot", ROOT / "tests" / "tools" / "screenshot.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    stored = json.loads((ROOT / "examples" / "screenshots.json").read_text(encoding="utf-8"))
    assert set(stored) == set(tool.README_IMAGES)
    for image, page in tool.readme_pages(tmp_path).items():
        assert (ROOT / "examples" / image).is_file(), image
        assert tool.fingerprint(page) == stored[image], (
            f"the page behind examples/{image} changed: run `python tests/tools/screenshot.py --readme` and commit the images")


def test_every_kind_colour_is_visible_on_white_and_on_black():
    """Browser tests check the colours of the example's pages; this checks every kind a view can show."""
    from crimekg.graph.views import _DARK_COLOURS, _OTHER_STYLE, KIND_STYLES

    for group, (colour, *_rest) in {**KIND_STYLES, "resource": _OTHER_STYLE}.items():
        assert _contrast(colour, "#ffffff") >= 3, (group, colour)
        dark = _DARK_COLOURS.get(group, colour)
        assert _contrast(dark, "#000000") >= 3, (group, dark)


# --- the public profile ---------------------------------------------------------------------------


def test_public_page_draws_offline_says_so_and_names_places_by_region(open_page, example_store, tmp_path):
    """A page in the public profile draws like any other, with its note on top and regions for countries."""
    path = render_view(example_store, tmp_path / "public.html", preset="places", profile="public", place_level="region")
    p = open_page(path)
    assert p.errors == [] and p.requests == [p.url], "the page must fetch nothing but itself"
    note = p.js("document.getElementById('note').textContent")
    assert note.startswith("Public profile: no contributor codes, groups, times or local places") and "UN M49 subregions" in note
    assert p.js("getComputedStyle(document.getElementById('note')).display") != "none"
    groups = set(p.js("window.crimekg.data.nodes.map((n) => n.group)"))
    assert "region" in groups and "country" not in groups, groups  # factors are named for regions only
    legend = p.js("[...document.querySelectorAll('#legend li[data-group]')].map((li) => li.dataset.group)")
    assert "country" not in legend
    full = render_view(example_store, tmp_path / "full.html", preset="places")
    assert "country" in set(open_page(full).js("window.crimekg.data.nodes.map((n) => n.group)"))


def test_profile_and_place_level_are_checked(example_store, tmp_path):
    from crimekg.graph.errors import InvalidInput

    with pytest.raises(InvalidInput, match="goes with the public profile"):
        render_view(example_store, tmp_path / "x.html", place_level="region")
    with pytest.raises(InvalidInput, match="unknown profile 'secret'; use one of full, public"):
        render_view(example_store, tmp_path / "x.html", profile="secret")
    assert not (tmp_path / "x.html").exists()
