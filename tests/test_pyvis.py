"""crimekg networks as pyvis Networks (``graph.views.to_pyvis``): as on crimekg's page, offline, in bulk."""

from __future__ import annotations

import os

import networkx as nx
import pytest

from crimekg.graph.store import init_store
from crimekg.graph.views import _page_data, network_for, notebook_html, to_pyvis
from tests.helpers import ROOT

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = init_store(tmp_path_factory.mktemp("pyvis") / "ws")
    s.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    s.load([ROOT / "tests" / "data" / "views-extra.ttl"], "load/views-extra")
    yield s
    s.close()


@pytest.mark.parametrize("preset", ["factors", "session", "places", "flows", "query"])
def test_to_pyvis_sets_what_the_page_shows(store, preset):
    from pyvis.network import Network

    G = network_for(store, preset, query="factor-links" if preset == "query" else None)
    net = to_pyvis(G, preset)
    assert isinstance(net, Network)
    data = _page_data(G, preset)
    assert [(n["id"], n["x"], n["y"], n["label"], n["title"]) for n in net.nodes] == \
        [(n["id"], n["x"], n["y"], n["label"], n["title"]) for n in data["nodes"]]
    assert [n["color"]["background"] for n in net.nodes] == [data["styles"][n["group"]]["color"] for n in data["nodes"]]
    assert [(e["from"], e["to"], e["title"]) for e in net.edges] == [(e["from"], e["to"], e["title"]) for e in data["edges"]]
    assert net.options["physics"]["enabled"] is False
    assert net.get_network_data()[0] is net.nodes  # what pyvis renders is what was set
    if preset == "factors":  # several categories: segments in each category's colour
        corruption = next(n for n in net.nodes if n["label"].startswith("Corruption of"))
        assert corruption["segments"] == [data["styles"][c]["color"] for c in ("enabling", "concealment", "impunity")]


def test_to_pyvis_network_stays_a_pyvis_network(store):
    net = to_pyvis(network_for(store, "factors"))
    n = len(net.nodes)
    net.add_node("extra", label="Добавлено вручную", color="#123456")  # pyvis's own API still works on it
    net.add_node(0, label="again")  # an id it already has: pyvis keeps one
    assert len(net.nodes) == n + 1 and net.node_ids[-1] == "extra"
    net.add_edge("extra", 0)
    assert net.edges[-1]["from"] == "extra"


def test_to_pyvis_writes_offline_html_and_draws(store, tmp_path, browser):
    G = network_for(store, "factors")
    net = to_pyvis(G, heading="Факторы <b>2026</b>")
    os.chdir(tmp_path)
    net.write_html("factors.html")
    page = (tmp_path / "factors.html").read_text(encoding="utf-8")
    assert not (tmp_path / "lib").exists(), "pyvis's local mode writes lib/: ours must not"
    assert "bootstrap" not in page.lower() and "<link" not in page
    assert not any(f'src="{s}' in page for s in ("http", "//")) and "default-src 'none'" in page
    assert XSS not in page and "Факторы &lt;b&gt;2026&lt;/b&gt;" in page
    # notebook mode renders the same template; notebook_html wraps the page in an iframe's srcdoc
    nb = to_pyvis(G, notebook=True)
    assert nb.generate_html(notebook=True) == nb.generate_html()
    inline = notebook_html(nb)
    assert inline.startswith("<div><iframe srcdoc=\"") and "<script>" not in inline
    p = browser.new_page(viewport={"width": 1024, "height": 768})
    requests, errors = [], []
    p.on("request", lambda r: requests.append(r.url))
    p.on("pageerror", lambda e: errors.append(str(e)))
    url = (tmp_path / "factors.html").as_uri()
    p.goto(url)
    p.wait_for_function("document.body.dataset.drawn === '1'", timeout=30_000)
    assert requests == [url] and errors == []
    assert p.evaluate("window.crimekg.nodes.length") == len(G)
    # the multi-category factor is drawn by the custom renderer; the tooltip of the XSS factor is text
    assert p.evaluate("window.crimekg.nodes.get().filter((n) => n.shape === 'custom').length") == 4
    assert XSS in p.evaluate("window.crimekg.nodes.get().map((n) => n.title).join('\\n')")
    assert p.evaluate("document.querySelectorAll('img').length") == 0
    p.close()


def test_to_pyvis_sets_nodes_in_bulk():
    """pyvis's add_node checks each node against a list (quadratic): to_pyvis must not call it."""
    from pyvis.network import Network

    G = nx.MultiDiGraph()
    for i in range(300):
        G.add_node(i, label=f"f{i}", kind="factor", categories=["enabling"])
    calls = []
    original = Network.add_node
    Network.add_node = lambda self, *a, **k: calls.append(a) or original(self, *a, **k)
    try:
        net = to_pyvis(G)
    finally:
        Network.add_node = original
    assert calls == [] and len(net.nodes) == 300 and len(net.node_map) == 300
