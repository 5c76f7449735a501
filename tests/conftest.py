"""Shared fixtures: fresh workspaces."""

from __future__ import annotations

import pytest

from graph.store import init_store


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

