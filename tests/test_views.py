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
    counts = {g: sum(1 for n in p.js("window.crimekg.data.nodes") if n["group"] == g) for g in drawn}
    for group, text in legend:
        assert text.endswith(f"({counts[group]})"), text
    edge_styles = set(p.js("window.crimekg.data.edges.map((e) => e.style)"))
    assert set(p.js("[...document.querySelectorAll('#legend li[data-edge]')].map((li) => li.dataset.edge)")) == edge_styles
    if preset == "factors":
        assert edge_styles == {"link", "negative"}  # the test data's "counters" link is dashed
        assert drawn == {"enabling", "profiting", "concealment", "impunity"}


@pytest.mark.parametrize("preset", PRESETS)
def test_filter_hides_what_it_should(open_page, pages, preset):
    p = open_page(pages[preset])
    nodes = p.js("window.crimekg.data.nodes")
    facets = p.js("window.crimekg.data.facets")
    assert facets, f"{preset}: no filter in the page"
    # the first facet and value that hide something (so the test can fail)
    for facet in facets:
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
    assert legend["country"].endswith("(5)")  # NGA, SYR, AFG, TUR, EGY
    edges = p.js("[...document.querySelectorAll('#legend li[data-edge]')].map((li) => [li.dataset.edge, li.textContent])")
    assert [e for e, _ in edges] == ["route"] and "Frontex" in edges[0][1]
    shapes = p.js("Object.fromEntries(window.crimekg.nodes.get().map((n) => [n.title.split('\\n')[0], n.shape]))")
    assert shapes["Central Mediterranean route"] == "diamond" and shapes["Nigeria"] == "hexagon"
    route = p.js("window.crimekg.nodes.get().find((n) => n.title.startsWith('Central Mediterranean route')).title")
    assert "Frontex: 33,809 detections of illegal border crossings" in route
    assert "IOM Missing Migrants: 51 dead and missing (dead 13, missing 38) in 6 incident(s)" in route
    widths = {e["title"].split(" detections")[0]: e["width"] for e in p.js("window.crimekg.data.edges")}
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
