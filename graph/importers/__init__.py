"""One import command for every source: participants' contribution sheets and published evidence.

``crimekg import FILE [--source NAME]`` finds the importer by ``--source`` or, without it, by asking
each importer whether it recognises the file (:func:`detect_source`). Every importer module has:

- ``NAME`` and ``DESCRIPTION`` (one line, shown by ``crimekg import --help``);
- ``sniff(path: Path) -> bool``: a cheap look at the file's name and first bytes or header row;
- ``plan(path: Path, store: GraphStore, **options) -> ImportPlan``: read and check the *whole* file
  and build everything it will write, without writing anything. Problems raise
  :class:`graph.errors.InvalidInput` naming file, row or line, column and a hint.

:func:`plan_import` runs an importer's ``plan`` and adds the checks common to every source (a
warning when an older export would replace a newer one). The command then applies ``plan.changes`` with one :meth:`GraphStore.write` call, so a bad file or
an interruption leaves the workspace as it was.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from crimekg.graph.errors import InvalidInput
from crimekg.graph.store import Changeset

if TYPE_CHECKING:
    from crimekg.graph.quality import Report

__all__ = ["SOURCES", "ImportPlan", "importer", "detect_source", "plan_import", "looks_like"]

#: Source name -> module, in the order detection tries them (most specific first).
SOURCES: dict[str, str] = {
    "glotip": "crimekg.graph.importers.glotip",
    "iom": "crimekg.graph.importers.iom",
    "frontex": "crimekg.graph.importers.frontex",
    "ctdc": "crimekg.graph.importers.ctdc",
    "sherloc": "crimekg.graph.importers.sherloc",
    "contributions": "crimekg.graph.importers.contributions",
}


@dataclass
class ImportPlan:
    """What an import will write (``changes``) and what it tells the user: the one plan type of
    every importer, of ``crimekg add`` (the summary's ``item`` is the item added) and of
    ``crimekg link`` (``link``: the link's IRI).

    ``rejected`` holds a sheet's refused rows, each with its ``problem`` (``--skip-invalid``).
    ``quality`` is an evidence import's data-quality report (:class:`graph.quality.Report`): its
    graph is already in ``changes``; ``crimekg import`` prints its summary on stderr.
    """

    changes: Changeset
    summary: dict[str, int | str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    #: Keys that occur more than once: ``{"rows", "key", "values", "kind"}`` (identical or conflicting).
    duplicates: list[dict] = field(default_factory=list)
    quality: Report | None = None


def importer(name: str) -> ModuleType:
    """Return the importer module for a source name."""
    if name not in SOURCES:
        raise InvalidInput(f"unknown source {name!r}; use one of: {', '.join(SOURCES)}")
    try:
        return importlib.import_module(SOURCES[name])
    except ModuleNotFoundError as exc:
        if exc.name == SOURCES[name]:
            raise InvalidInput(f"the {name} importer is not available in this version of crimekg") from exc
        raise


def detect_source(path: str | Path) -> str:
    """Return the name of the first importer that recognises ``path``."""
    path = Path(path)
    for name, module in SOURCES.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        if mod.sniff(path):
            return name
    raise InvalidInput(
        f"{path}: not a file crimekg recognises; give --source ({', '.join(SOURCES)}), "
        "or start from `crimekg template` for contributions"
    )


def looks_like(path: str | Path, source: str) -> str:
    """The hint for a file given to the wrong evidence importer: which other source recognises it
    ("" when none does)."""
    for name in SOURCES:
        if name in (source, "contributions"):
            continue
        try:
            if importer(name).sniff(Path(path)):
                return f"It looks like a {name} file: import it with --source {name}."
        except (InvalidInput, OSError, ValueError):
            continue
    return ""


def plan_import(name: str, path: str | Path, store, **options) -> ImportPlan:
    """Plan the import of ``path`` with source ``name``'s importer, and warn (in ``plan.warnings``)
    when the file is an older export than the one it replaces."""
    plan = importer(name).plan(Path(path), store, **options)
    note = older_export_warning(name, plan, store)
    if note:
        plan.warnings.append(note)
    return plan


_ISSUED = re.compile(r'<http://purl\.org/dc/terms/issued> "(\d{4}-\d{2}-\d{2})"')
_DOWNLOADED = re.compile(r'/file/[^>]*> <http://purl\.org/dc/terms/date> "(\d{4}-\d{2}-\d{2})"')
_YEAR = re.compile(r'#refYear> "(\d{4})"')


def older_export_warning(name: str, plan: ImportPlan, store) -> str | None:
    """Compare the dates of the export being imported with those of the one in the workspace:
    the dataset's issue date when both record one, else the download dates, else the latest year
    each holds. Returns a warning when the new export is the older one."""
    from crimekg.graph.store import graph_iri

    g = graph_iri(f"import/{name}")
    text = plan.changes.ntriples.get(g)
    if not text or g not in store.graphs():
        return None
    new = {
        "issued": max(_ISSUED.findall(text), default=None),
        "downloaded": max(_DOWNLOADED.findall(text), default=None),
        "latest year": max(_YEAR.findall(text), default=None),
    }
    old = {
        "issued": _stored_max(store, g, "?x dct:issued ?v"),
        "downloaded": _stored_max(store, g, "?x a dcat:Distribution ; dct:date ?v"),
        "latest year": _stored_max(store, g, "?x ckg:refYear ?v"),
    }
    for what in ("issued", "downloaded", "latest year"):
        if new[what] and old[what]:
            if new[what] < old[what]:
                return (
                    f"{path_name(text)} is an older {name} export ({what} {new[what]}) than the one it replaces "
                    f"({what} {old[what]}); the workspace now holds the older one. Import the newer file again "
                    "to go back."
                )
            return None
    return None


def _stored_max(store, graph: str, pattern: str) -> str | None:
    rows = store.select(f"SELECT (MAX(STR(?v)) AS ?m) WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}")
    value = rows[0].get("m") if rows else None
    return str(value) if value else None


def path_name(text: str) -> str:
    """The file name the provenance record gives (``dct:title`` of the distribution), or "the file"."""
    m = re.search(r'/file/[^>]*> <http://purl\.org/dc/terms/title> "([^"]*)"', text)
    return m.group(1) if m else "the file"
