"""Shared fixtures: fresh workspaces."""

from __future__ import annotations

import pytest

from crimekg.graph.store import init_store
from tests.helpers import CHROMIUM_ARGS, chromium_path, no_browser


@pytest.fixture
def workspace(tmp_path):
    """A fresh workspace with the bundled ontology loaded."""
    store = init_store(tmp_path / "ws")
    yield store
    store.close()


@pytest.fixture
def bare_workspace(tmp_path):
    """A fresh workspace holding only its metadata graph (fast, for store mechanics)."""
    store = init_store(tmp_path / "bare", with_ontology=False)
    yield store
    store.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (skips, or fails under CRIMEKG_REQUIRE_BROWSER=1, without one)."""
    exe = chromium_path()
    if not exe:
        no_browser("no chromium found (apt-get install chromium, or set CRIMEKG_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


# -- SPARQL servers: Oxigraph server (the oxigraph package), Apache Jena ARQ/TDB2 behind a minimal
# protocol front (Debian's jars), and Apache Jena Fuseki (FUSEKI_JAR) ---------------------------


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """One Oxigraph server per test process, on 127.0.0.1 and a free port, stopped afterwards."""
    from tests.helpers import SparqlServer, oxigraph_command

    command = oxigraph_command()
    if command is None:
        pytest.skip("the Oxigraph server is not installed (pip install oxigraph)")
    data = tmp_path_factory.mktemp("oxigraph")  # kept across a restart (the kill test)
    server = SparqlServer.start("oxigraph", lambda port: [*command, "serve", "--location", str(data), "--bind", f"127.0.0.1:{port}"], "")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fuseki_server(tmp_path_factory):
    """One Fuseki (TDB2 dataset /crimekg) per test process; skips with the reason when no jar or Java."""
    from tests.helpers import SparqlServer, fuseki_command

    command, reason = fuseki_command()
    if command is None:
        pytest.skip(reason)
    loc = tmp_path_factory.mktemp("fuseki")
    server = SparqlServer.start("fuseki", lambda port: [*command, "--localhost", f"--port={port}", "--update", "--tdb2", f"--loc={loc}", "/crimekg"], "/crimekg")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def jena_server(tmp_path_factory):
    """Apache Jena's ARQ over a TDB2 dataset, behind tests/tools/jena's minimal SPARQL protocol front
    (not Fuseki), compiled once per test process; skips with the reason when no JDK or jars (fails
    under CRIMEKG_REQUIRE_JENA=1, as CI sets)."""
    from tests.helpers import SparqlServer, jena_command, no_server

    command, reason = jena_command(tmp_path_factory.mktemp("jena-build"))
    if command is None:
        no_server(reason, "CRIMEKG_REQUIRE_JENA")
    loc = tmp_path_factory.mktemp("jena-tdb2")  # kept across a restart (the kill test)
    server = SparqlServer.start("jena", lambda port: [*command, "--loc", str(loc), "--port", str(port), "--name", "crimekg"], "/crimekg")
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "oxigraph", "jena", "fuseki"])
def backend(request, tmp_path):
    """A place for a fresh workspace, on each backend: a directory, or an emptied server dataset."""
    if request.param == "embedded":
        yield str(tmp_path / "ws")
        return
    server = request.getfixturevalue(f"{request.param}_server")
    server.clear()
    yield server.url
