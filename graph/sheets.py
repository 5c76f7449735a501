"""Reading tables: one reader for every file crimekg imports, one encoding policy, one refusal type.

Two entry points share everything below them:

- :func:`read_sheet` reads a participant sheet (CSV or TSV, XLSX, JSON or YAML) into a
  :class:`Sheet`: every column the file has, every cell as text, typed workbook cells (dates,
  times, whole numbers) written as text the checks understand.
- :func:`read_table` reads a published export (CSV, ``.csv.gz`` or XLSX) into a :class:`Table`:
  the columns a source needs, checked against its layout (:func:`wrong_layout`), rows that stop
  early refused as a truncated file.

Encoding (:func:`decode`): a byte-order mark says UTF-8, UTF-16 or UTF-32; text without one is
UTF-8 unless ``encoding`` (the command's ``--encoding``) names another; bytes that do not decode
are an error naming the file, the line and the byte, with a hint (a file saved by Excel on
Windows is usually ``cp1252``).

Reading is bounded, so a broken or hostile file ends in a one-line error rather than a hang or
a crash: a cell holds at most :data:`MAX_CELL` characters, a sheet has at most :data:`MAX_COLUMNS`
columns, JSON and YAML nest at most :data:`MAX_DEPTH` levels, YAML aliases (the "billion laughs"
expansion) are refused, and a workbook's rows stop after :data:`EMPTY_RUN` empty rows in a row
(sheets formatted down to row 1,048,576).

What is wrong with one cell of a sheet is a :class:`Problem`; :func:`refusal` turns the problems of
a sheet into the one error that refuses it, and :func:`rejected_rows` / :func:`write_rejected`
hand the refused rows back for correction.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from crimekg.graph.errors import InvalidInput

__all__ = [
    "MAX_CELL",
    "MAX_DEPTH",
    "MAX_COLUMNS",
    "EMPTY_RUN",
    "MAX_UNZIPPED",
    "check_archive",
    "Sheet",
    "Table",
    "Problem",
    "decode",
    "read_sheet",
    "read_table",
    "table_header",
    "xlsx_rows",
    "wrong_layout",
    "refusal",
    "rejected_rows",
    "write_rejected",
    "FORMULA_STARTS",
    "spreadsheet_safe",
]

#: The longest cell crimekg reads, in characters (a quote left open swallows the rest of a file);
#: 128 Ki, the csv module's own default, now set explicitly on every read.
MAX_CELL = 131_072
#: How deep a JSON or YAML sheet may nest (a sheet is a list of records of lists: depth 4).
MAX_DEPTH = 32
#: The most columns a sheet may have (the template has 23): a header of a million cells is refused
#: before its columns are matched one by one.
MAX_COLUMNS = 1_000
#: Empty workbook rows in a row after which the rest of a sheet is taken to be empty.
EMPTY_RUN = 1_000
#: What a workbook's parts may hold once unpacked, in bytes, in all (a 100,000-row sheet is far below).
MAX_UNZIPPED = 512 * 2**20
#: How much a workbook may grow when unpacked, beyond :data:`MAX_RATIO_FROM` bytes: spreadsheets
#: grow 5 to 20 times; an archive of a few kilobytes that unpacks to gigabytes (a "zip bomb") far more.
MAX_RATIO = 200
MAX_RATIO_FROM = 16 * 2**20

#: What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NOT_SAVED = "Nothing was stored."
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


# ------------------------------------------------------------------------------------------------
# what was read, and what is wrong with it


@dataclass
class Sheet:
    """A file read as text: its column headers and its rows (row number -> header -> cell text)."""

    path: str
    format: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    unit: str = "row"


@dataclass
class Table:
    """A source's export read as text: its header, its rows (line or row number -> column -> text,
    for the columns asked for) and any banner rows above the header (a workbook's title lines)."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    banner: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row) of a sheet.

    >>> print(Problem(3, "category", "enablng", '"enablng" is not a category').render("s.csv"))
    s.csv: row 3, column "category": "enablng" is not a category
    """

    row: int
    column: str
    value: str
    message: str

    def render(self, path: str, unit: str = "row") -> str:
        """The problem as one line naming the file, row, column and value."""
        col = f', column "{self.column}"' if self.column else ""
        return f"{path}: {unit} {self.row}{col}: {self.message}"


def refusal(sheet: Sheet, problems: Mapping[int, list[Problem]], limit: int = 50) -> InvalidInput:
    """The error that refuses a whole sheet: a head line, then one line per problem (at most ``limit``)."""
    flat = [p for row in sorted(problems) for p in problems[row]]
    lines = [p.render(sheet.path, sheet.unit) for p in flat[:limit]]
    if len(flat) > limit:
        lines.append(f"... and {len(flat) - limit} more problem(s)")
    head = (f"{sheet.path}: {len(problems)} {sheet.unit}(s) of {len(sheet.rows)} have problems; nothing was stored. "
            "Fix them, or add --skip-invalid to store the good rows and write the others to a file.")
    return InvalidInput(head + "\n" + "\n".join(lines))


def rejected_rows(sheet: Sheet, problems: Mapping[int, list[Problem]]) -> list[dict]:
    """The refused rows' cells, each with a ``problem`` column saying what is wrong."""
    out = []
    for rownum, cells in sheet.rows:
        if rownum in problems:
            out.append(dict(cells, problem=" | ".join(
                (f"{p.column}: " if p.column else "") + p.message for p in problems[rownum])))
    return out


def spreadsheet_safe(value: str) -> str:
    """A text cell that a spreadsheet will show rather than run: a leading ``'`` before a formula start.
    A sheet read back drops that apostrophe again (see :func:`_unescaped`).

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")"), spreadsheet_safe("-5 days"), spreadsheet_safe("Nigeria")
    ('\\'=HYPERLINK("http://x")', "'-5 days", 'Nigeria')
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _unescaped(value: str) -> str:
    """A cell as it was before :func:`spreadsheet_safe`: a rejected-rows file, corrected in a
    spreadsheet and imported again, gives back the participant's own text.

    >>> _unescaped("'=1+1"), _unescaped("'quoted'"), _unescaped("=1+1")
    ('=1+1', "'quoted'", '=1+1')
    """
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def write_rejected(rows: list[dict], path: str | Path) -> Path:
    """Write rejected rows (their cells plus a ``problem`` column) as a UTF-8 CSV for correction.
    A cell a spreadsheet would run as a formula is written with a leading apostrophe."""
    path = Path(path)
    headers: list[str] = []
    for r in rows:
        for k in r:
            if k not in headers and k != "problem":
                headers.append(k)
    headers.append("problem")
    from crimekg.graph.outputs import output_file

    with output_file(path, newline="") as f:
        w = csv.DictWriter(f, fieldnames=headers)
        w.writeheader()
        for r in rows:
            w.writerow({h: spreadsheet_safe(str(r.get(h, ""))) for h in headers})
    return path


# ------------------------------------------------------------------------------------------------
# bytes -> text


def decode(path: str | Path, data: bytes, encoding: str | None = None, *, suffix: str = "") -> str:
    """The text of a file's bytes under the one encoding policy (see the module's docstring).

    ``suffix`` ends every error message (an import says "Nothing was stored.").

    >>> decode("s.csv", "text\\nCafé\\n".encode("utf-16"))
    'text\\nCafé\\n'
    >>> decode("s.csv", b"\\xef\\xbb\\xbftext")
    'text'
    >>> decode("s.csv", "text\\nCafé".encode("cp1252"))
    Traceback (most recent call last):
    ...
    crimekg.graph.errors.InvalidInput: s.csv: line 2: byte 0xe9 is not valid utf-8; a file saved by Excel on Windows is usually Windows-1252: add --encoding cp1252
    """
    tail = f" {suffix}" if suffix else ""
    enc = encoding
    if enc is None:
        enc = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if enc is None:
        if b"\x00" in data[:4096]:
            raise InvalidInput(
                f"{path}: not a spreadsheet (binary data); crimekg reads CSV, XLSX, JSON or YAML made from `crimekg template`{tail}"
            )
        enc = "utf-8"
    try:
        text = data.decode(enc)
    except LookupError as exc:
        raise InvalidInput(f"{path}: unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or latin-1{tail}") from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        name = enc.replace("-sig", "")
        hint = ("a file saved by Excel on Windows is usually Windows-1252: add --encoding cp1252" if encoding is None
                else "give the encoding the file was saved in with --encoding")
        raise InvalidInput(f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not valid {name}; {hint}{tail}") from exc
    return text[1:] if text.startswith("\ufeff") else text


def _too_long(path: str | Path, where: str, suffix: str = "") -> InvalidInput:
    tail = f" {suffix}" if suffix else ""
    return InvalidInput(
        f"{path}: {where}: a cell is longer than {MAX_CELL:,} characters; a quote (\") left open swallows "
        f"the rest of the file: close it, or split the text{tail}"
    )


def _too_wide(path: str | Path, where: str, count: int) -> InvalidInput:
    return InvalidInput(
        f"{path}: {where}: {count:,} columns; a sheet has at most {MAX_COLUMNS:,} (the template's are "
        f"enough): keep its columns and delete the others. {_NOT_SAVED}"
    )


def _csv_rows(path: str | Path, text: str, delimiter: str, suffix: str = "") -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of CSV text; a broken quote or an over-long cell is an error naming the
    line (where the reader stopped) and the row (where the cell began; the header is row 1)."""
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    tail = f" {suffix}" if suffix else ""
    row = 0
    try:
        for cells in reader:
            row += 1
            yield reader.line_num, cells
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _too_long(path, f"line {reader.line_num} (row {row + 1})", suffix) from exc
        damaged = "; the file looks truncated or damaged" if suffix else ""
        raise InvalidInput(f"{path}: line {reader.line_num}: not valid CSV ({exc}){damaged}{tail}") from exc


# ------------------------------------------------------------------------------------------------
# participant sheets


def read_sheet(path: str | Path, encoding: str | None = None) -> Sheet:
    """Read a CSV (comma, semicolon or tab), XLSX, JSON or YAML file into a :class:`Sheet`.

    Text files follow the one encoding policy (:func:`decode`; ``cp1252`` for files saved by
    Excel on Windows). Rows that are entirely empty are skipped.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "s.csv")
    ...     _ = open(p, "w", encoding="utf-8-sig").write("text;kind\\nPorous borders;factor\\n")
    ...     s = read_sheet(p)
    >>> s.headers, s.rows
    (['text', 'kind'], [(2, {'text': 'Porous borders', 'kind': 'factor'})])
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    data = path.read_bytes()
    if not data.strip():
        raise InvalidInput(f"{path}: the file is empty; fill in a sheet made by `crimekg template` and import it again")
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return _read_xlsx(path, data)
    if suffix == "json":
        return _records_sheet(path, "json", _load_json(path, decode(path, data, encoding)))
    if suffix in ("yaml", "yml"):
        return _records_sheet(path, "yaml", _load_yaml(path, decode(path, data, encoding)))
    if suffix == "xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput(f"{path}: an old Excel .xls workbook; save it as .xlsx or CSV and import that")
    if data[:2] == b"PK":
        raise InvalidInput(f"{path}: a ZIP archive (perhaps a workbook with the wrong name); rename it to .xlsx if it is one")
    return _read_csv(path, decode(path, data, encoding))


def _read_csv(path: Path, text: str) -> Sheet:
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    if first.count(delimiter) == 0 and len(first) > 200:
        raise InvalidInput(f"{path}: not a spreadsheet (no columns in the first line); start from `crimekg template`")
    rows = list(_csv_rows(path, text, delimiter))
    if len(rows[0][1]) > MAX_COLUMNS:
        raise _too_wide(path, "the header (row 1)", len(rows[0][1]))
    headers = [h.strip() for h in rows[0][1]]
    out = []
    for i, (_line, cells) in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(headers):
            extra = [c for c in cells[len(headers):] if c.strip()]
            if extra:
                raise InvalidInput(
                    f"{path}: row {i} has {len(cells):,} cells but the header has {len(headers):,} columns; "
                    f"a value with a '{delimiter}' inside needs quotes"
                )
        out.append((i, {h: (_unescaped(cells[j].strip()).strip() if j < len(cells) else "") for j, h in enumerate(headers)}))
    return Sheet(str(path), "csv", headers, out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value).strip()


#: What a damaged or hostile workbook makes the ZIP, XML and cell readers raise.
_BROKEN_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, IndexError, OSError, ValueError, TypeError, SyntaxError)


def _read_xlsx(path: Path, data: bytes) -> Sheet:
    """A workbook's ``Contributions`` sheet (else its first), read-only, typed cells as text.

    A workbook that cannot be read (a damaged archive, broken XML, a cell that is not what its
    type says, a missing part) is refused in one line, whatever part of the reader finds it.
    """
    try:
        return _xlsx_sheet(path, data)
    except InvalidInput:
        raise
    except _BROKEN_WORKBOOK as exc:
        what = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidInput(f"{path}: not an XLSX workbook ({what}); save it from your spreadsheet program as .xlsx or CSV") from exc


def check_archive(path: str | Path, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose parts would unpack to more than :data:`MAX_UNZIPPED` bytes, or grow
    more than :data:`MAX_RATIO` times: checked from the sizes the archive declares, before any part is
    read (the ZIP reader never unpacks more than a part declares)."""
    parts = archive.infolist()
    unpacked = sum(p.file_size for p in parts)
    packed = sum(p.compress_size for p in parts) or 1
    if unpacked > MAX_UNZIPPED or (unpacked > MAX_RATIO_FROM and unpacked > MAX_RATIO * packed):
        raise InvalidInput(
            f"{path}: the workbook would unpack to {unpacked / 2**20:,.0f} MiB from {packed / 2**20:,.1f} MiB "
            f"(at most {MAX_UNZIPPED // 2**20} MiB, and {MAX_RATIO} times its size, are read); it is not a sheet "
            f"a spreadsheet program saves. Save the sheet again as .xlsx or CSV. {_NOT_SAVED}"
        )


def _xlsx_sheet(path: Path, data: bytes) -> Sheet:
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_archive(path, archive)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not wb.sheetnames:
            raise InvalidInput(f"{path}: the workbook has no sheet; fill in a sheet made by `crimekg template`")
        ws = wb["Contributions"] if "Contributions" in wb.sheetnames else wb.worksheets[0]
        header_row = next(ws.iter_rows(max_row=1, values_only=True), None)
        if header_row is None:
            raise InvalidInput(f"{path}: the first sheet is empty; fill in a sheet made by `crimekg template`")
        headers = [_cell(h) for h in header_row]
        while headers and not headers[-1]:
            headers.pop()
        if len(headers) > MAX_COLUMNS:
            raise _too_wide(path, "the header (row 1)", len(headers))
        rows, empty = [], 0
        for i, values in enumerate(ws.iter_rows(min_row=2, max_col=max(len(headers), 1), values_only=True), start=2):
            cells = [_cell(v) for v in values]
            if not any(cells):
                empty += 1
                if empty >= EMPTY_RUN:
                    break  # formatted but empty down to the sheet's end
                continue
            empty = 0
            if any(len(c) > MAX_CELL for c in cells):
                raise _too_long(path, f"row {i}")
            rows.append((i, {h: (cells[j] if j < len(cells) else "") for j, h in enumerate(headers) if h}))
    finally:
        wb.close()
    return Sheet(str(path), "xlsx", [h for h in headers if h], rows)


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(path: Path, fmt: str) -> InvalidInput:
    return InvalidInput(
        f"{path}: the {fmt} nests more than {MAX_DEPTH} levels deep; a sheet is a list of records "
        "(one object per contribution, keys as in `crimekg template`)"
    )


def _load_json(path: Path, text: str) -> Any:
    depth = 0
    for m in _JSON_TOKENS.finditer(text):  # strings are skipped whole: a bracket inside one does not count
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(path, "JSON")
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise _too_deep(path, "JSON") from exc


def _yaml_loader():
    """A safe YAML loader that refuses aliases (``*name``) and nesting deeper than :data:`MAX_DEPTH`."""
    import yaml

    class SheetLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, "an alias (*name) repeats another part of the file; a sheet writes every value out",
                    self.peek_event().start_mark)
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise yaml.composer.ComposerError(
                        None, None, f"nests more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return SheetLoader


def _load_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader that also refuses aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InvalidInput(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from exc
    except RecursionError as exc:
        raise _too_deep(path, "YAML") from exc


def _records_sheet(path: Path, fmt: str, obj: Any) -> Sheet:
    if isinstance(obj, dict):
        lists = [v for k, v in obj.items() if isinstance(v, list) and str(k).strip().lower() in ("contributions", "links", "rows", "records")]
        obj = lists[0] if lists else None
    if not isinstance(obj, list):
        raise InvalidInput(
            f"{path}: expected a list of records (one object per contribution, keys as in `crimekg template`), "
            "or an object with a 'contributions' list"
        )
    headers: dict[str, None] = {}  # in the order the records first name them
    rows = []
    for i, rec in enumerate(obj, start=1):
        if not isinstance(rec, dict):
            raise InvalidInput(f"{path}: record {i} is not an object with named fields (got {type(rec).__name__})")
        for k in rec:
            headers.setdefault(str(k))
        if len(headers) > MAX_COLUMNS:
            raise _too_wide(path, f"record {i}", len(headers))
        cells = {str(k): _cell(v) for k, v in rec.items()}
        if any(len(c) > MAX_CELL for c in cells.values()):
            raise _too_long(path, f"record {i}")
        rows.append((i, cells))
    return Sheet(str(path), fmt, list(headers), rows, unit="record")


# ------------------------------------------------------------------------------------------------
# published exports


def wrong_layout(path: Path, source: str, expected: Iterable[str], found: Iterable[str], what: str = "header",
                 hint: str = "") -> InvalidInput:
    """The error for a file whose columns are not the source's: expected vs found, and ``hint``."""
    expected, found = list(expected), [str(f) for f in found if f is not None]
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    return InvalidInput(
        f"{path}: not the {source} layout: {what} is missing {', '.join(repr(c) for c in missing) or 'nothing'}"
        f" and has unexpected {', '.join(repr(c) for c in unexpected) or 'nothing'}. "
        f"Expected columns: {', '.join(expected)}. Found: {', '.join(found) or '(none)'}.{' ' + hint if hint else ''} "
        f"{_NOT_SAVED}"
    )


def _is_workbook(path: Path) -> bool:
    return path.name.lower().endswith((".xlsx", ".xlsm"))


def _export_rows(path: Path, first: str | None, encoding: str | None, sheet: str | None = None,
                 header_only: bool = False) -> Iterator[tuple[str, int, list[str]]]:
    """("banner" | "header" | "row", line or row number, cells) of an export.

    In a workbook (sheet ``sheet``, else the first) the header is the first row whose first cell
    is ``first`` (title rows above it are banners; after ten rows the next row is taken as the
    header); in CSV it is line 1.
    """
    if _is_workbook(path):
        seen_header = False
        for i, cells in xlsx_rows(path, sheet):
            if not seen_header:
                if (cells and str(cells[0]).strip() == (first or str(cells[0]).strip())) or i > 10:
                    seen_header = True
                    yield "header", i, [str(c).strip() for c in cells]
                    if header_only:
                        return
                else:
                    yield "banner", i, cells
                continue
            yield "row", i, cells
        return
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            data = f.read(1 << 16) if header_only else f.read()
    except (EOFError, OSError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc}); the file looks truncated or damaged. {_NOT_SAVED}") from exc
    if header_only:  # a look at the first line, forgiving: a file in another encoding is still recognised
        enc = encoding or next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
        first_line = data.decode(enc, "replace").lstrip("\ufeff").split("\n", 1)[0]
        yield "header", 1, [c.strip() for c in next(csv.reader([first_line]), [])]
        return
    text = decode(path, data, encoding, suffix=_NOT_SAVED)
    for line, cells in _csv_rows(path, text, ",", _NOT_SAVED):
        if line == 1:
            yield "header", line, [c.strip() for c in cells]
            continue
        yield "row", line, cells


def table_header(path: str | Path, first: str | None = None, sheet: str | None = None) -> list[str]:
    """The header of an export (CSV, ``.csv.gz`` or XLSX, see :func:`read_table`); [] when it cannot be read.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "t.csv")
    ...     _ = open(p, "w", encoding="utf-8-sig").write("route, n\\nX,1\\n")
    ...     table_header(p), table_header(os.path.join(d, "none.csv"))
    (['route', 'n'], [])
    """
    try:
        return next((cells for kind, _n, cells in _export_rows(Path(path), first, None, sheet, header_only=True)
                     if kind == "header"), [])
    except (InvalidInput, OSError, EOFError, ValueError, LookupError, KeyError, csv.Error, zipfile.BadZipFile):
        return []


def read_table(path: str | Path, source: str, expected: list[str], *, encoding: str | None = None,
               sheet: str | None = None, hint: Callable[[Path, str], str] | None = None) -> Table:
    """Read a source's export (CSV, ``.csv.gz`` or XLSX) as a :class:`Table` of the ``expected`` columns.

    A workbook is read from its sheet ``sheet`` (else its first). The header must hold every ``expected`` column, else :func:`wrong_layout` (with ``hint(path, source)``,
    which may say which other source the file looks like); a row with fewer cells than the
    header means a truncated file; rows that are entirely empty are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    header: list[str] | None = None
    index: list[int] = []
    rows, banner = [], []
    for kind, n, cells in _export_rows(path, expected[0] if expected else None, encoding, sheet):
        if kind == "banner":
            banner.append(cells)
            continue
        if kind == "header":
            header = cells
            if any(c not in header for c in expected):
                raise wrong_layout(path, source, expected, header, hint=hint(path, source) if hint else "")
            index = [header.index(c) for c in expected]
            continue
        if not any(str(c).strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise InvalidInput(
                f"{path}: line {n} has {len(cells)} of {len(header)} columns (it stops after "
                f"{header[len(cells) - 1] if cells else 'nothing'!r}): the file looks truncated; "
                f"download it again. {_NOT_SAVED}"
            )
        rows.append((n, {c: str(cells[i]).strip() for c, i in zip(expected, index)}))
    if header is None:
        raise wrong_layout(path, source, expected, [], hint=hint(path, source) if hint else "")
    if not rows:
        raise InvalidInput(f"{path}: the header is there but no data rows follow; the file looks truncated. {_NOT_SAVED}")
    return Table(header, rows, banner)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if ch.isdigit():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n - 1


#: Columns a workbook can have (A to XFD).
_MAX_COLUMNS = 16_384


def xlsx_rows(path: str | Path, sheet_name: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of a workbook's sheet ``sheet_name`` (else its first), streamed
    from the workbook's XML.

    About twice as fast as openpyxl's read-only mode on a 58,769-row export; a sheet's declared
    dimension is ignored (some exports declare A1 only). A run of :data:`EMPTY_RUN` empty rows ends
    the sheet; a cell longer than :data:`MAX_CELL` is an error.
    """
    from xml.etree.ElementTree import ParseError, iterparse

    path = Path(path)
    damaged = f"{path}: not a complete .xlsx workbook"
    try:
        with zipfile.ZipFile(path) as z:
            check_archive(path, z)
            names = set(z.namelist())
            sheet = "xl/worksheets/sheet1.xml"
            if "xl/workbook.xml" in names and "xl/_rels/workbook.xml.rels" in names:
                targets = {}
                for _e, el in iterparse(z.open("xl/_rels/workbook.xml.rels")):
                    if el.tag == _PKG_REL:
                        targets[el.get("Id")] = el.get("Target")
                sheets = [(el.get("name"), el.get(_REL)) for _e, el in iterparse(z.open("xl/workbook.xml")) if el.tag == _MAIN + "sheet"]
                chosen = next((rid for nm, rid in sheets if nm == sheet_name), sheets[0][1] if sheets else None)
                if chosen in targets:
                    target = targets[chosen].lstrip("/")
                    sheet = target if target.startswith("xl/") else "xl/" + target
            shared: list[str] = []
            if "xl/sharedStrings.xml" in names:
                for _e, el in iterparse(z.open("xl/sharedStrings.xml")):
                    if el.tag == _MAIN + "si":
                        shared.append("".join(t.text or "" for t in el.iter(_MAIN + "t")))
                        el.clear()
            if sheet not in names:
                raise InvalidInput(f"{damaged}: it has no worksheet {sheet}. Download it again. {_NOT_SAVED}")
            number, empty = 0, 0
            for _e, el in iterparse(z.open(sheet)):
                if el.tag != _MAIN + "row":
                    continue
                number = int(el.get("r") or number + 1)
                cells: list[str] = []
                for c in el.iter(_MAIN + "c"):
                    col = _column_index(c.get("r", "")) if c.get("r") else len(cells)
                    if col >= _MAX_COLUMNS:
                        raise InvalidInput(f"{damaged}: row {number} has a cell past column XFD, the last a workbook can have. {_NOT_SAVED}")
                    kind, v = c.get("t"), c.find(_MAIN + "v")
                    if kind == "s" and v is not None:
                        value = shared[int(v.text)]
                    elif kind == "inlineStr":
                        value = "".join(t.text or "" for t in c.iter(_MAIN + "t"))
                    else:
                        value = v.text or "" if v is not None else ""
                        if value.endswith(".0") and value[:-2].isdigit():
                            value = value[:-2]
                    if len(value) > MAX_CELL:
                        raise _too_long(path, f"row {number}", _NOT_SAVED)
                    cells.extend([""] * (col - len(cells)))
                    cells.append(value)
                el.clear()
                if any(cells):
                    empty = 0
                else:
                    empty += 1
                    if empty >= EMPTY_RUN:
                        return  # formatted but empty down to the sheet's end
                yield number, cells
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ParseError, IndexError, ValueError, TypeError) as exc:
        raise InvalidInput(f"{damaged} ({exc}); download it again. {_NOT_SAVED}") from exc
