"""IOM Missing Migrants Project incidents: the original export (2019) and IOM GDI's 2014-2025 table.

Each incident becomes a ``qb:Observation`` in ``import/iom`` with indicator ``dead-and-missing``:
its key ``ckg:incident`` (the Web ID, or the date and a digest of the row), ``ckg:count`` (dead and missing), ``ckg:dead``, ``ckg:missing`` and ``ckg:survivors`` where the file
has them, ``dct:date``, ``ckg:refYear``, ``ckg:refArea`` (the country of the incident in the 2025
table; the UN region in the 2019 export), ``ckg:route`` (a smuggling-route concept shared with
Frontex), ``ckg:cause``, ``ckg:localPlace`` and WGS84 coordinates. Both files are vintages of one
dataset: importing one replaces the other. In the 2019 export a Web ID that comes twice is stored
once when the rows are the same, and both rows go to ``dataset/iom/conflicts`` when they differ.
The 2025 table has no incident number: a row repeating an earlier one is another incident.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from crimekg.graph import evidence as ev
from crimekg.graph import sheets
from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import ImportPlan
from crimekg.graph.importers import evidence as ie
from crimekg.graph.quality import Report

__all__ = ["NAME", "DESCRIPTION", "COLUMNS_2019", "COLUMNS_2025", "sniff", "plan"]

NAME = "iom"
DESCRIPTION = "IOM Missing Migrants Project incidents (the 2019 export or the 2014-2025 table)"

COLUMNS_2019 = ["Web ID", "Region of Incident", "Reported Date", "Reported Year", "Reported Month", "Number Dead",
                "Minimum Estimated Number of Missing", "Total Dead and Missing", "Number of Survivors",
                "Number of Females", "Number of Males", "Number of Children", "Cause of Death",
                "Location Description", "Information Source", "Location Coordinates", "Migration Route", "URL",
                "UNSD Geographical Grouping", "Source Quality"]
COLUMNS_2025 = ["date", "month", "type", "route", "geo", "dead", "cause", "surv", "nat", "location", "lon", "lat"]


def _layout(header: list[str]) -> list[str] | None:
    if "Web ID" in header or "Migration Route" in header or "Total Dead and Missing" in header:
        return COLUMNS_2019
    if "route" in header and "dead" in header and "geo" in header:
        return COLUMNS_2025
    return None


def sniff(path: Path) -> bool:
    """True for an MMP export (``Web ID``, ``Total Dead and Missing``) or the GDI table (``route``, ``dead``, ``geo``)."""
    header = sheets.table_header(path)
    return _layout(header) is not None


def _number(value: str, path: Path, line: int, column: str, odd: list[str], report: Report) -> int | None:
    if value in ("", "NA"):
        return None
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        raise InvalidInput(f"{path}: line {line}, column {column!r}: {value!r} is not a number. Nothing was stored.") from None
    if number < 0:  # the 2025 table has a few -1 survivors: not a count, so left out and reported
        odd.append(f"line {line}, {column} {value}")
        report.add(line, column, value, "negative-count", "left out", "a negative number is not a count of persons; the cell is not stored, the incident is")
        return None
    if number != int(number):
        raise InvalidInput(f"{path}: line {line}, column {column!r}: {value!r} is not a whole number of persons. Nothing was stored.")
    return int(number)


def plan(path: str | Path, store, *, download_date: str | None = None, progress: ie.Progress | None = None, encoding: str | None = None, **options) -> ImportPlan:
    """Read and check a whole MMP file; build ``import/iom`` (nothing is written)."""
    path = Path(path)
    if ie.already_imported(store, NAME, path):
        return ie.unchanged_plan(NAME, path)
    layout = _layout(sheets.table_header(path)) if path.is_file() else None
    rows, places, report = ie.read_source(path, store, NAME, layout or COLUMNS_2025, encoding)
    vocab = ie.Vocabulary()
    nt = ev.NTriples()
    P = ev.P
    ind = vocab.use("indicator", "dead-and-missing")
    integer, gyear, date_t, dec = f"{ev.XSD}integer", f"{ev.XSD}gYear", f"{ev.XSD}date", f"{ev.XSD}decimal"
    cells: list[ie.Cell] = []
    cell_totals: dict[int, int] = {}
    seen: dict[str, int] = {}
    repeated = 0
    odd: list[str] = []  # negative numbers left out, per import (not module state: imports may run side by side)
    counts = {"rows": len(rows), "incidents": 0, "deadAndMissing": 0}
    region_cache: dict[str, str | None] = {}
    for done, (line, r) in enumerate(rows, start=1):
        if progress and done % 5000 == 0:
            progress(done, len(rows))
        report.mis_encoded(line, r)
        if layout is COLUMNS_2019:
            web_id = r["Web ID"]
            if not web_id.isdigit():
                raise InvalidInput(f"{path}: line {line}, column 'Web ID': {web_id!r} is not an incident number. Nothing was stored.")
            try:
                day = datetime.strptime(r["Reported Date"], "%B %d, %Y").date().isoformat()
            except ValueError:
                raise InvalidInput(f"{path}: line {line}, column 'Reported Date': {r['Reported Date']!r} is not a date like 'December 30, 2019'. Nothing was stored.") from None
            total = _number(r["Total Dead and Missing"], path, line, "Total Dead and Missing", odd, report)
            dead = _number(r["Number Dead"], path, line, "Number Dead", odd, report)
            missing = _number(r["Minimum Estimated Number of Missing"], path, line, "Minimum Estimated Number of Missing", odd, report)
            survivors = _number(r["Number of Survivors"], path, line, "Number of Survivors", odd, report)
            route, cause, location = r["Migration Route"], r["Cause of Death"], r["Location Description"]
            region = r["UNSD Geographical Grouping"]
            if region not in region_cache:
                region_cache[region] = places.region(region) if region and not region.isdigit() else None
            area = region_cache[region]
            if region and not area and region != "Uncategorized":  # IOM's word for no region
                report.add(line, "UNSD Geographical Grouping", region, "unmatched-place", "kept flagged",
                           "matches no M49 region of the places graph; the incident has no ckg:refArea")
            lat = lon = None
            parts = [p.strip() for p in r["Location Coordinates"].split(",")]
            if len(parts) == 2:
                lat, lon = parts
            iri = ev.observation_iri(NAME, "incident", web_id)
            incident = web_id
            nationalities: list[str] = []
            kind = None
        else:
            day = r["date"]
            try:
                datetime.strptime(day, "%Y-%m-%d")
            except ValueError:
                raise InvalidInput(f"{path}: line {line}, column 'date': {day!r} is not a date (YYYY-MM-DD). Nothing was stored.") from None
            total = _number(r["dead"], path, line, "dead", odd, report)
            dead = missing = None
            survivors = _number(r["surv"], path, line, "surv", odd, report)
            route, cause, location, kind = r["route"], r["cause"], r["location"], r["type"]
            lat, lon = r["lat"] or None, r["lon"] or None
            nationalities = [n.strip() for n in r["nat"].split(",") if n.strip() and n.strip() != "UNK"]
            geo = report.place(places, r["geo"], line, "geo")
            area = ev.ontology.PLACE + geo if geo else None
            digest = hashlib.sha1("|".join(r[c] for c in COLUMNS_2025).encode()).hexdigest()[:10]
            # the table has no incident number and IOM records each death found as an incident:
            # a row repeating an earlier one is another incident (numbered), not a duplicate key
            base = ev.observation_iri(NAME, "incident", f"{day}-{digest}")
            iri = ie.unique_iri(seen, base)
            incident = iri.rsplit("/", 1)[-1]
            repeated += seen[base] > 1
        po: list[tuple[str, str]] = []
        cells.append(ie.Cell(iri, line, tuple(r.values()), po))
        po.append((P("incident"), ev.nt_literal(incident)))
        po.append((P("indicator"), ind))
        po.append((f"<{ev.DCT}date>", ev.nt_literal(day, date_t)))
        po.append((P("refYear"), ev.nt_literal(day[:4], gyear)))
        if total is not None:
            po.append((P("count"), ev.nt_literal(total, integer)))
        for prop, value in (("dead", dead), ("missing", missing), ("survivors", survivors)):
            if value is not None:
                po.append((P(prop), ev.nt_literal(value, integer)))
        if area:
            po.append((P("refArea"), f"<{area}>"))
        route_term = vocab.route(route)
        if route_term:
            po.append((P("route"), route_term))
        if cause:
            po.append((P("cause"), ev.nt_literal(cause)))
        if location:
            po.append((P("localPlace"), ev.nt_literal(location)))
        if kind:
            po.append((f"<{ev.DCT}type>", ev.nt_literal(kind)))
        columns = (("Total Dead and Missing", total), ("Number of Survivors", survivors)) if layout is COLUMNS_2019 else (("dead", total), ("surv", survivors))
        for column, value in columns:
            if value is not None:
                report.count_is_year(value, day[:4], line, column)
        for code in nationalities:
            found = report.place(places, code, line, "nat")
            place = ev.ontology.PLACE + found if found else None
            po.append((P("citizenship"), f"<{place}>" if place else ev.nt_literal(code)))
        if lat and lon:
            try:
                po.append((f"<{ev.GEO}lat>", ev.nt_literal(f"{float(lat):.6f}", dec)))
                po.append((f"<{ev.GEO}long>", ev.nt_literal(f"{float(lon):.6f}", dec)))
            except ValueError:
                pass  # free-text coordinates in the 2019 export: the location description stays
        cell_totals[line] = total or 0
    main, conflicts, duplicates = ie.split_duplicates(cells)
    ie.write_cells(nt, NAME, main, conflicts)
    counts["incidents"] += len(main)
    counts["deadAndMissing"] += sum(cell_totals[cell.line] for cell in main)
    shared = ev.NTriples()
    ie.add_concepts(shared, vocab)
    ie.add_provenance(nt, NAME, path, counts, download_date=download_date, conflicts=bool(conflicts),
                      extra_title=" (2019 export)" if layout is COLUMNS_2019 else " (2014-2025 table, IOM GDI)")
    if progress:
        progress(len(rows), len(rows))
    changes = ie.import_changes(NAME, nt, report, shared, duplicates)
    warnings = [f"{len(odd)} negative number(s) left out as not counts: {', '.join(odd[:3])}{' ...' if len(odd) > 3 else ''}"] if odd else []
    warnings += ie.duplicate_warning(duplicates, NAME)
    if repeated:
        warnings.append(f"{repeated} row(s) repeat an earlier row exactly: kept as separate incidents (the table has no incident number)")
    summary = {"incidents": counts["incidents"], "dead and missing": counts["deadAndMissing"], "triples": len(nt)}
    if conflicts:
        summary["conflicting"] = len(conflicts)
    return ImportPlan(changes, summary, warnings, duplicates=duplicates, quality=report)
