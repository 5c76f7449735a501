"""One import command for every source: participants' contribution sheets and published evidence.

``crimekg import FILE [--source NAME]`` finds the importer by ``--source`` or, without it, by asking
each importer whether it recognises the file (:func:`detect_source`). Every importer module has:

- ``NAME`` and ``DESCRIPTION`` (one line, shown by ``crimekg import --help``);
- ``sniff(path: Path) -> bool``: a cheap look at the file's name and first bytes or header row;
- ``plan(path: Path, store: GraphStore, **options) -> ImportPlan``: read and check the *whole* file
  and build everything it will write, without writing anything. Problems raise
  :class:`graph.errors.InvalidInput` naming file, row or line, column and a hint.

The command then applies ``plan.changes`` with one :meth:`GraphStore.write` call, so a bad file or
an interruption leaves the workspace as it was.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from graph.errors import InvalidInput
from graph.store import Changeset

if TYPE_CHECKING:
    from graph.quality import Report

__all__ = ["SOURCES", "ImportPlan", "importer", "detect_source"]

#: Source name -> module, in the order detection tries them (most specific first).
SOURCES: dict[str, str] = {
    "glotip": "graph.importers.glotip",
    "iom": "graph.importers.iom",
    "frontex": "graph.importers.frontex",
    "ctdc": "graph.importers.ctdc",
    "sherloc": "graph.importers.sherloc",
    "contributions": "graph.importers.contributions",
}


@dataclass
class ImportPlan:
    """What an import will write (``changes``) and what it tells the user.

    ``quality`` is an evidence import's data-quality report (:class:`graph.quality.Report`): its
    graph is already in ``changes``; ``crimekg import`` prints its summary on stderr.
    """

    changes: Changeset
    summary: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
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
