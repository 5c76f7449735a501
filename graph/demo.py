"""``crimekg demo``: the example session, end to end, in a directory of its own."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from crimekg import examples
from crimekg.graph.errors import StoreError
from crimekg.graph.store import build_aside, graph_name, init_store
from crimekg.graph.validate import validate
from crimekg.graph.views import render_view

__all__ = ["EXAMPLE_SESSION", "build_demo"]

#: The session id of the bundled example and the graph its contributions go to.
EXAMPLE_SESSION = "example-2026"


def _import_example(store) -> None:
    """The example session through the facilitator's path: session, sheet, harmonize --yes, links."""
    from crimekg.graph.contributions import session_changeset
    from crimekg.graph.harmonize import factor_table, merge_changeset, propose_groups
    from crimekg.graph.importers import importer

    store.write(session_changeset(store, EXAMPLE_SESSION, title="Global trends workshop (example)", on="2026-03-17",
                                  place="Japan", local_place="Akishima, Tokyo (training room)"))
    contributions = importer("contributions")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("example-contributions.csv", "example-links.csv"):
            path = Path(tmp) / name
            path.write_bytes(examples.path(name).read_bytes())
            store.write(contributions.plan(path, store, session=EXAMPLE_SESSION).changes)
            if name == "example-contributions.csv":
                groups = propose_groups(factor_table(store))
                if groups:
                    store.write(merge_changeset(store, None, None, groups=[(g.keep.iri, [m.iri for m in g.merge]) for g in groups]))


def build_demo(directory: str | os.PathLike, *, force: bool = False) -> dict:
    """Build ``directory``/store from the session and the example; write ``crimekg.ttl`` and ``factors.html``.

    The example goes through the same code as ``crimekg session new``, ``crimekg import``
    (``examples/example-contributions.csv``), ``crimekg harmonize --yes`` and ``crimekg import``
    (``examples/example-links.csv``).

    Returns where everything is, the triple count of each graph and the validation outcome.
    """
    root = Path(directory)
    store_dir = root / "store"
    if store_dir.exists() and not force:
        raise StoreError(f"{store_dir} exists already; run `crimekg demo --force {directory}` to rebuild it")
    root.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed into place: a demo stopped half-way leaves no half-made workspace,
    # and --force removes the old one only once the new one is complete.
    with build_aside(store_dir, replace=force) as aside:
        with init_store(aside) as store:
            _import_example(store)
            turtle = root / "crimekg.ttl"
            store.export(turtle, "ttl")
            view = render_view(store, root / "factors.html", title="crimekg: example session factors")
            report = validate(store)
            counts = {graph_name(g): n for g, n in store.graphs().items()}
    outcome = "conforms" if report.conforms else f"{len(report.violations)} violation(s); run `crimekg validate --store {store_dir}`"
    return {"store": str(store_dir), "graphs": counts, "turtle": str(turtle), "view": str(view), "validation": outcome}
