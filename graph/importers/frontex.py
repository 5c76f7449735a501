"""Frontex detections of illegal border crossings into the EU, by route, sea/land, nationality and month.

Each row becomes a ``qb:Observation`` in ``import/frontex``: indicator
``illegal-border-crossings`` (detections, not persons: one person can be detected more than once),
``ckg:route`` (the same route concepts as IOM's where the routes are the same), ``ckg:borderType``
(smuggling mode sea or land), ``ckg:citizenship`` (a place), ``ckg:refMonth``, ``ckg:refYear``
and ``ckg:count``.
"""

from __future__ import annotations

import re
from pathlib import Path

from graph import evidence as ev
from graph.errors import InvalidInput
from graph.importers import ImportPlan
from graph.quality import Report
from graph.store import Changeset, graph_iri

__all__ = ["NAME", "DESCRIPTION", "COLUMNS", "sniff", "plan"]

NAME = "frontex"
DESCRIPTION = "Frontex detections of illegal border crossings into the EU by route, sea/land, nationality and month"
COLUMNS = ["route", "type", "nat", "month", "n"]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_MODES = {"sea": "sea", "land": "land", "air": "air"}


def sniff(path: Path) -> bool:
    """True for a table with the columns route, type, nat, month and n."""
    header = ev.csv_header(path)
    return all(c in header for c in COLUMNS) and "dead" not in header


def plan(path: str | Path, store, *, download_date: str | None = None, progress: ev.Progress | None = None, encoding: str | None = None, **options) -> ImportPlan:
    """Read and check the whole table; build ``import/frontex`` (nothing is written)."""
    path = Path(path)
    if path.is_file() and ev.already_imported(store, NAME, path):
        return ev.unchanged_plan(NAME, path)
    _header, rows = ev.read_csv(path, NAME, COLUMNS, encoding=encoding)
    places = ev.Places.from_store(store)
    report = Report(NAME, path.name)
    vocab = ev.Vocabulary()
    nt = ev.NTriples()
    P = ev.P
    dataset = f"<{ev.dataset_iri(NAME)}>"
    ind = vocab.use("indicator", "illegal-border-crossings", "Detections of illegal border crossings (Frontex)",
                    topic=[ev.concept("topic", t) for t in ("migrant-smuggling-routes", "scale-of-migrant-smuggling", "smuggled-migrants")])
    integer = f"{ev.XSD}integer"
    total = 0
    seen: set[str] = set()
    for done, (line, r) in enumerate(rows, start=1):
        if progress and done % 5000 == 0:
            progress(done, len(rows))
        m = _MONTH.match(r["month"])
        if not m:
            raise InvalidInput(f"{path}: line {line}, column 'month': {r['month']!r} is not a month (YYYY-MM). Nothing was stored.")
        try:
            n = float(r["n"])
        except ValueError:
            raise InvalidInput(f"{path}: line {line}, column 'n': {r['n']!r} is not a number of detections. Nothing was stored.") from None
        if n < 0 or n != int(n):
            raise InvalidInput(f"{path}: line {line}, column 'n': {r['n']!r} is not a whole number of detections. Nothing was stored.")
        report.mis_encoded(line, r, skip=("nat",))
        report.count_is_year(int(n), m[1], line, "n", r["n"])
        route = vocab.route(r["route"])
        mode = _MODES.get(r["type"].lower())
        nat = r["nat"]
        code = report.place(places, nat, line, "nat")
        iri = ev.observation_iri(NAME, ev.slugify(r["route"]), ev.slugify(r["type"]), code or ev.slugify(nat), r["month"])
        if iri in seen:
            raise InvalidInput(f"{path}: line {line}: a second row for {r['route']}, {r['type']}, {nat}, {r['month']}; each cell must appear once. Nothing was stored.")
        seen.add(iri)
        s = f"<{iri}>"
        nt.add(s, ev.A, ev.T_OBS)
        nt.add(s, ev.T_DATASET, dataset)
        nt.add(s, P("indicator"), ind)
        if route:
            nt.add(s, P("route"), route)
        if mode:
            nt.add(s, P("borderType"), f"<{ev.concept('smuggling-mode', mode)}>")
        nt.add(s, P("citizenship"), f"<{ev.ontology.PLACE}{code}>" if code else ev.nt_literal(nat))
        nt.add(s, P("refMonth"), ev.nt_literal(r["month"], f"{ev.XSD}gYearMonth"))
        nt.add(s, P("refYear"), ev.nt_literal(m[1], f"{ev.XSD}gYear"))
        nt.add(s, P("count"), ev.nt_literal(int(n), integer))
        total += int(n)
    ev.add_concepts(nt, vocab)
    ev.add_provenance(nt, NAME, path, {"rows": len(rows), "detections": total}, download_date=download_date)
    if progress:
        progress(len(rows), len(rows))
    changes = Changeset()
    changes.replace_graph(graph_iri(f"import/{NAME}"), [], nt.text())
    report.add_to(changes)
    return ImportPlan(changes, {"observations": len(rows), "detections": total, "triples": len(nt)}, quality=report)
