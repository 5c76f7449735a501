"""Frontex detections of illegal border crossings into the EU, by route, sea/land, nationality and month.

Each row becomes a ``qb:Observation`` in ``import/frontex``: indicator
``illegal-border-crossings`` (detections, not persons: one person can be detected more than once),
``ckg:route`` (the same route concepts as IOM's where the routes are the same), ``ckg:borderType``
(smuggling mode sea or land), ``ckg:citizenship`` (a place), ``ckg:refMonth``, ``ckg:refYear``
and ``ckg:count``. A route, mode or nationality the row leaves empty is Not stated. A row whose
key (route, type, nationality, month) came before is stored once when its count is the same, and
both rows go to ``dataset/frontex/conflicts`` when it differs.
"""

from __future__ import annotations

import re
from pathlib import Path

from crimekg.graph import evidence as ev
from crimekg.graph import sheets
from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import ImportPlan
from crimekg.graph.importers import evidence as ie

__all__ = ["NAME", "DESCRIPTION", "COLUMNS", "sniff", "plan"]

NAME = "frontex"
DESCRIPTION = "Frontex detections of illegal border crossings into the EU by route, sea/land, nationality and month"
COLUMNS = ["route", "type", "nat", "month", "n"]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_MODES = {"sea": "sea", "land": "land", "air": "air"}


def sniff(path: Path) -> bool:
    """True for a table with the columns route, type, nat, month and n."""
    header = sheets.table_header(path)
    return all(c in header for c in COLUMNS) and "dead" not in header


def plan(path: str | Path, store, *, download_date: str | None = None, progress: ie.Progress | None = None, encoding: str | None = None, **options) -> ImportPlan:
    """Read and check the whole table; build ``import/frontex`` (nothing is written)."""
    path = Path(path)
    if ie.already_imported(store, NAME, path):
        return ie.unchanged_plan(NAME, path)
    rows, places, report = ie.read_source(path, store, NAME, COLUMNS, encoding)
    vocab = ie.Vocabulary()
    nt = ev.NTriples()
    P = ev.P
    ind = vocab.use("indicator", "illegal-border-crossings")
    integer = f"{ev.XSD}integer"
    cells: list[ie.Cell] = []
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
        po = [
            (P("indicator"), ind),
            (P("route"), route or ev.NOT_STATED),
            (P("borderType"), f"<{ev.concept('smuggling-mode', mode)}>" if mode else ev.NOT_STATED),
            (P("citizenship"), f"<{ev.ontology.PLACE}{code}>" if code else (ev.nt_literal(nat) if nat else ev.NOT_STATED)),
            (P("refMonth"), ev.nt_literal(r["month"], f"{ev.XSD}gYearMonth")),
            (P("refYear"), ev.nt_literal(m[1], f"{ev.XSD}gYear")),
            (P("count"), ev.nt_literal(int(n), integer)),
        ]
        cells.append(ie.Cell(iri, line, int(n), po))
    main, conflicts, duplicates = ie.split_duplicates(cells)
    ie.write_cells(nt, NAME, main, conflicts)
    total = sum(cell.value for cell in main)
    shared = ev.NTriples()
    ie.add_concepts(shared, vocab)
    ie.add_provenance(nt, NAME, path, {"rows": len(rows), "detections": total}, download_date=download_date,
                      conflicts=bool(conflicts))
    if progress:
        progress(len(rows), len(rows))
    changes = ie.import_changes(NAME, nt, report, shared, duplicates)
    summary = {"observations": len(main), "detections": total, "triples": len(nt)}
    if conflicts:
        summary["conflicting"] = len(conflicts)
    return ImportPlan(changes, summary, ie.duplicate_warning(duplicates, NAME), duplicates=duplicates, quality=report)
