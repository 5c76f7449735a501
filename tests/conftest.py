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
