"""Importer for participants' contribution sheets and links sheets (``crimekg template`` layout).

A sheet with a ``text`` column is a contributions sheet; one with ``from``, ``relation`` and ``to``
columns is a links sheet. Both are read as CSV, XLSX, JSON or YAML (see :mod:`graph.contributions`).
"""

from __future__ import annotations

from pathlib import Path

from crimekg.graph.contributions import LINK_FIELDS, normalize, plan_contributions, plan_links, read_sheet
from crimekg.graph.importers import ImportPlan
from crimekg.graph.store import GraphStore

__all__ = ["NAME", "DESCRIPTION", "EXTENSIONS", "sniff", "plan", "is_links_sheet"]

NAME = "contributions"
DESCRIPTION = "participants' contributions or factor links, in the `crimekg template` layout (CSV, XLSX, JSON, YAML)"
EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".yaml", ".yml")


def sniff(path: Path) -> bool:
    """True for any file with a spreadsheet, JSON or YAML extension (the last importer tried).

    >>> sniff(Path("room-2.csv")), sniff(Path("notes.ttl"))
    (True, False)
    """
    return Path(path).suffix.lower() in EXTENSIONS


def is_links_sheet(headers: list[str]) -> bool:
    """True when the headers are those of a links sheet (from, relation, to).

    >>> is_links_sheet(["From", "relation", "to", "polarity"]), is_links_sheet(["text", "kind"])
    (True, False)
    """
    names = {normalize(h) for h in headers}
    wanted = {normalize(w) for name in ("from", "relation", "to") for w in (name, *LINK_FIELDS[name][1])}
    return {"from", "to"} <= names or len(names & wanted) >= 3


def plan(path: Path, store: GraphStore, *, session: str | None = None, encoding: str | None = None,
         skip_invalid: bool = False, language: str | None = None, **options: object) -> ImportPlan:
    """Check the whole sheet and build what it adds (see :func:`graph.contributions.plan_contributions`).

    ``language`` is the language of the sheet's text where a row does not give one in its
    ``language`` column (default: the language each text's script tells).
    """
    sheet = read_sheet(path, encoding)
    build = plan_links if is_links_sheet(sheet.headers) else plan_contributions
    p = build(store, path, session, skip_invalid=skip_invalid, sheet=sheet, language=language)
    return ImportPlan(changes=p.changes, summary=p.summary, warnings=p.warnings, rejected=p.rejected)
