"""``crimekg template``: a blank contribution sheet to hand out (CSV, or XLSX with drop-downs).

The XLSX has three sheets: ``Contributions`` (the header, drop-down validation on the columns
with fixed values), ``Columns`` (what each column holds and its allowed values) and ``Lists``
(the allowed values the drop-downs read). The allowed values come from the workspace when one is
given, else from the bundled ontology files.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from crimekg.graph.contributions import Vocabulary
from crimekg.graph.importers.contributions import FIELDS
from crimekg.graph.errors import UnknownFormat
from crimekg.graph.outputs import output_file

__all__ = ["TEMPLATE_FORMATS", "TEMPLATE_COLUMNS", "LANGUAGE_CODES", "write_template"]

TEMPLATE_FORMATS = ("csv", "xlsx")
#: The columns a participant fills, in the order of the sheet (``id`` is optional and left out).
TEMPLATE_COLUMNS = ["text", "label", "kind", "category", "crime", "actor", "level", "place", "local_place",
                    "question", "group", "contributor", "time", "topic", "addresses", "owner", "collection", "sharing",
                    "frequency", "access", "effectiveness", "language"]
#: Language codes offered in the XLSX drop-down (the UN languages, Japanese and the region's others;
#: any other BCP 47 tag is accepted too).
LANGUAGE_CODES = ["en", "fr", "es", "ru", "zh", "ar", "ja", "ko", "th", "vi", "id", "ms", "tl", "pt"]
_LISTS = {"kind": "kind", "category": "category", "crime": "crime", "actor": "actor", "level": "level",
          "question": "question", "place": "place", "topic": "topic", "language": "language"}


def write_template(out: str | os.PathLike, format: str | None = None, vocab: Vocabulary | None = None) -> Path:
    """Write a blank contribution sheet to ``out`` (format from ``format`` or the file name).

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_template(os.path.join(d, "sheet.csv"))
    ...     print(p.read_text().strip())
    text,label,kind,category,crime type,actor,level,country or region,local place,exercise question,group,contributor code,time,topic,addresses,owner,collection method,sharing arrangement,update frequency,access,effectiveness evidence,language
    """
    out = Path(out)
    fmt = (format or out.suffix.lstrip(".") or "csv").lower()
    if fmt not in TEMPLATE_FORMATS:
        raise UnknownFormat(f"unknown template format {fmt!r}; use csv or xlsx")
    headers = [FIELDS[name][0] for name in TEMPLATE_COLUMNS]
    if fmt == "csv":
        with output_file(out, newline="") as f:
            csv.writer(f).writerow(headers)
        return out
    vocab = vocab or Vocabulary.bundled()
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contributions"
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    lists = wb.create_sheet("Lists")
    col = 1
    for name in TEMPLATE_COLUMNS:
        what = _LISTS.get(name)
        if not what:
            continue
        values = LANGUAGE_CODES if what == "language" else vocab.allowed(what)
        if name in ("kind", "question", "category", "crime", "actor", "level", "topic"):
            values = [v.lower() if name not in ("question",) else v for v in values]
        letter = openpyxl.utils.get_column_letter(col)
        lists.cell(row=1, column=col, value=FIELDS[name][0]).font = Font(bold=True)
        for i, v in enumerate(values, start=2):
            _as_text(lists.cell(row=i, column=col, value=v))
        target = openpyxl.utils.get_column_letter(TEMPLATE_COLUMNS.index(name) + 1)
        dv = DataValidation(type="list", formula1=f"=Lists!${letter}$2:${letter}${len(values) + 1}", allow_blank=True)
        dv.error = (f"Choose a {FIELDS[name][0]} from the list (several: type them separated by ';')." if what != "language"
                    else "Choose a language code from the list, or type another one (such as vi or ur).")
        dv.errorStyle = "warning"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(f"{target}2:{target}1000")
        col += 1
    info = wb.create_sheet("Columns", 1)
    info.append(["column", "what it holds", "allowed values"])
    for cell in info[1]:
        cell.font = Font(bold=True)
    for name in [*TEMPLATE_COLUMNS, "id"]:
        header, _, help_text = FIELDS[name]
        what = _LISTS.get(name)
        if what == "language":
            allowed = ", ".join(LANGUAGE_CODES) + " or any other language code"
        else:
            allowed = ", ".join(vocab.allowed(what)) if what and what != "place" else ("see the Lists sheet" if what else "")
        info.append([header, help_text, allowed])
        for cell in info[info.max_row]:
            _as_text(cell)
    for letter, width in (("A", 20), ("B", 90), ("C", 60)):
        info.column_dimensions[letter].width = width
    with output_file(out, "wb") as f:
        wb.save(f)
    return out


def _as_text(cell: Any) -> None:
    """Keep a text that starts with ``=`` a text: openpyxl writes it as a formula otherwise, and a
    spreadsheet would run it (a label typed into the workspace is no formula)."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
