"""``crimekg demo``: the example session, end to end, in a directory of its own."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import examples
from graph.errors import StoreError
from graph.store import graph_iri, graph_name, init_store
from graph.validate import validate
from graph.views import render_view

__all__ = ["EXAMPLE_SESSION", "build_demo"]

#: The session id of the bundled example and the graph its contributions go to.
EXAMPLE_SESSION = "example-2026"


def build_demo(directory: str | os.PathLike, *, force: bool = False) -> dict:
    """Build ``directory``/store from the session and the example; write ``crimekg.ttl`` and ``factors.html``.

    Returns where everything is, the triple count of each graph and the validation outcome.
    """
    root = Path(directory)
    store_dir = root / "store"
    if store_dir.exists():
        if not force:
            raise StoreError(f"{store_dir} exists already; run `crimekg demo --force {directory}` to rebuild it")
        shutil.rmtree(store_dir)
    root.mkdir(parents=True, exist_ok=True)
    with init_store(store_dir) as store:
        with tempfile.TemporaryDirectory() as tmp:
            example = Path(tmp) / "example-session.ttl"
            example.write_bytes(examples.path("example-session.ttl").read_bytes())
            store.load([example], "contributions/" + EXAMPLE_SESSION)
        turtle = root / "crimekg.ttl"
        store.export(turtle, "ttl")
        view = render_view(store, root / "factors.html", title="crimekg: example session factors")
        report = validate(store)
        counts = {graph_name(g): n for g, n in store.graphs().items()}
    outcome = "conforms" if report.conforms else f"{len(report.violations)} violation(s); run `crimekg validate --store {store_dir}`"
    return {"store": str(store_dir), "graphs": counts, "turtle": str(turtle), "view": str(view), "validation": outcome}
