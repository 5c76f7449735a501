"""Reading tables: one encoding policy, bounded reading, and broken or hostile files of every format.

Every file here is small and made in tmp_path; the limits are lowered where a real-size file would
be needed to reach them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest

from crimekg.graph import sheets
from crimekg.graph.errors import InvalidInput
from crimekg.graph.sheets import Problem, Sheet, read_sheet, read_table, refusal, table_header

#: One text per script the product must keep intact on every path.
TEXTS = {
    "ja": "国境管理の脆弱さ",
    "zh": "边境管理薄弱",
    "ru": "Коррупция на границе",
    "ar": "ضعف الرقابة على الحدود",
    "th": "การทุจริตที่ชายแดน",
    "es": "Corrupción de funcionarios en la frontera",
}


@pytest.fixture(autouse=True)
def _csv_limit():
    """Tests lower the cell limit; the csv module's process-wide limit is put back after each."""
    before = csv.field_size_limit()
    yield
    csv.field_size_limit(before)


def _csv_text(rows, header=("text", "language"), delimiter=","):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _error(exc) -> str:
    """The error's one line (a refusal has more; bounded errors have exactly one)."""
    text = str(exc.value)
    assert "\n" not in text, text
    return text


# --- the encoding policy -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, delimiter", [
    ("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-16-be", ","), ("utf-32", ","),
])
def test_every_script_reads_back_whatever_unicode_encoding_a_bom_names(tmp_path, encoding, delimiter):
    rows = [[text, lang] for lang, text in TEXTS.items()]
    data = _csv_text(rows, delimiter=delimiter).encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # a byte-order mark, as a spreadsheet program writes it
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    sheet = read_sheet(path)
    assert sheet.headers == ["text", "language"]
    assert {r["language"]: r["text"] for _n, r in sheet.rows} == TEXTS


def test_bytes_that_are_not_utf8_name_file_line_and_byte_and_hint_at_the_encoding(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(_csv_text([["ok", "en"], ["Café de la gare", "fr"]]).encode("cp1252"))
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    assert _error(exc) == (f"{path}: line 3: byte 0xe9 is not valid utf-8; a file saved by Excel on Windows is "
                           "usually Windows-1252: add --encoding cp1252")
    assert read_sheet(path, encoding="cp1252").rows[1][1]["text"] == "Café de la gare"


def test_a_wrong_encoding_given_is_named_and_an_unknown_one_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(_csv_text([[TEXTS["ja"], "ja"]]).encode("utf-8"))
    with pytest.raises(InvalidInput, match=r"line 2: byte 0x.. is not valid ascii; give the encoding the file was saved in"):
        read_sheet(path, encoding="ascii")
    with pytest.raises(InvalidInput, match=r"unknown encoding 'klingon'; use e.g. utf-8, cp1252"):
        read_sheet(path, encoding="klingon")


def test_binary_data_is_not_taken_for_text(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InvalidInput, match="not a spreadsheet \\(binary data\\)"):
        read_sheet(path)


# --- CSV: an unclosed quote, an over-long cell --------------------------------------------------


def test_a_quote_left_open_ends_in_a_one_line_error_naming_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_CELL", 200)
    path = tmp_path / "open-quote.csv"
    path.write_text('text,kind\n"Bribery at the border,factor\n' + "more text,factor\n" * 40, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    message = _error(exc)
    assert message.startswith(f"{path}: line ") and "longer than 200 characters" in message
    assert "a quote (\") left open" in message
    assert csv.field_size_limit() == 200  # the limit is set, not left to whatever the process had


def test_a_cell_at_the_limit_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_CELL", 200)
    path = tmp_path / "long.csv"
    path.write_text("text,kind\n" + "x" * 200 + ",factor\n", encoding="utf-8")
    assert read_sheet(path).rows == [(2, {"text": "x" * 200, "kind": "factor"})]


# --- XLSX: typed cells, trailing empty rows, over-long cells ------------------------------------


def _workbook(path, rows, empty_styled_rows=0, then=None):
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contributions"
    for r in rows:
        ws.append(r)
    start = ws.max_row + 1
    for i in range(empty_styled_rows):  # formatted but empty rows, as a sheet formatted to its end has
        ws.cell(row=start + i, column=1).font = Font(bold=True)
    if then:
        ws.cell(row=start + empty_styled_rows, column=1, value=then)
    wb.save(path)
    return path


def test_a_workbook_stops_after_a_long_run_of_empty_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "EMPTY_RUN", 30)
    near = _workbook(tmp_path / "near.xlsx", [["text"], ["first"]], empty_styled_rows=29, then="after 29 empty rows")
    assert [r["text"] for _n, r in read_sheet(near).rows] == ["first", "after 29 empty rows"]
    far = _workbook(tmp_path / "far.xlsx", [["text"], ["first"]], empty_styled_rows=40, then="after 40 empty rows")
    assert [r["text"] for _n, r in read_sheet(far).rows] == ["first"]
    assert [c for _n, c in sheets.xlsx_rows(far)] == [["text"], ["first"]] + [[""]] * 29


def test_an_over_long_workbook_cell_names_the_row(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_CELL", 50)
    path = _workbook(tmp_path / "long.xlsx", [["text"], ["short"], ["y" * 51]])
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    assert _error(exc).startswith(f"{path}: row 3: a cell is longer than 50 characters")
    with pytest.raises(InvalidInput, match="row 3: a cell is longer than 50 characters"):
        list(sheets.xlsx_rows(path))


def test_a_damaged_workbook_is_one_clear_error(tmp_path):
    good = _workbook(tmp_path / "good.xlsx", [["text"], ["x"]])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(InvalidInput, match="cut.xlsx: not an XLSX workbook"):
        read_sheet(cut)
    with pytest.raises(InvalidInput, match="cut.xlsx: not a complete .xlsx workbook"):
        list(sheets.xlsx_rows(cut))


# --- JSON and YAML: depth, aliases ------------------------------------------------------------


def test_deeply_nested_json_is_refused_before_the_parser_recurses(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    assert _error(exc).startswith(f"{path}: the JSON nests more than {sheets.MAX_DEPTH} levels deep")


def test_brackets_inside_json_strings_do_not_count_as_nesting(tmp_path):
    path = tmp_path / "s.json"
    records = [{"text": "[[[[" * 20 + TEXTS["ar"], "kind": "factor"}, {"text": TEXTS["th"] + '"}}}' * 20}]
    path.write_text(json.dumps({"contributions": records}, ensure_ascii=False), encoding="utf-8")
    assert [r["text"] for _n, r in read_sheet(path).rows] == [r["text"] for r in records]


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
contributions: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
"""


def test_a_yaml_alias_bomb_is_refused_at_its_first_alias(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    assert _error(exc) == (f"{path}: line 2, column 8: not valid YAML (an alias (*name) repeats another part of "
                           "the file; a sheet writes every value out)")


def test_deeply_nested_yaml_is_refused(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 5_000 + "]" * 5_000, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    assert f"nests more than {sheets.MAX_DEPTH} levels deep" in _error(exc)


def test_yaml_records_in_every_script_read_back(tmp_path):
    import yaml

    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump([{"text": t, "language": lang} for lang, t in TEXTS.items()], allow_unicode=True),
                    encoding="utf-16")
    sheet = read_sheet(path)
    assert sheet.unit == "record" and {r["language"]: r["text"] for _n, r in sheet.rows} == TEXTS


# --- published exports --------------------------------------------------------------------------


def test_an_export_is_read_from_csv_gzip_or_a_workbook_with_title_rows(tmp_path):
    text = _csv_text([["NGA", TEXTS["es"], "3"], ["JPN", TEXTS["ja"], "<5"]], header=("code", "name", "value"))
    plain = tmp_path / "x.csv"
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "x.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    book = _workbook(tmp_path / "x.xlsx", [["Export of 01/02/2025"], [], ["code", "name", "value"],
                                           ["NGA", TEXTS["es"], 3], ["JPN", TEXTS["ja"], "<5"]])
    want = [{"code": "NGA", "value": "3"}, {"code": "JPN", "value": "<5"}]
    for path in (plain, packed, book):
        table = read_table(path, "test", ["code", "value"])
        assert [r for _n, r in table.rows] == want, path
        assert table.header == ["code", "name", "value"]
        assert table_header(path, "code") == ["code", "name", "value"]
    assert read_table(book, "test", ["code", "value"]).banner[0] == ["Export of 01/02/2025"]


def test_an_export_of_another_layout_names_both_and_takes_a_hint(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("route,n\nBalkans,3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read_table(path, "test", ["code", "value"], hint=lambda p, source: f"Not {source}: {p.name}.")
    assert _error(exc) == (f"{path}: not the test layout: header is missing 'code', 'value' and has unexpected "
                           "'route', 'n'. Expected columns: code, value. Found: route, n. Not test: x.csv. "
                           "Nothing was stored.")


def test_a_truncated_export_names_the_line(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"code,name,value\nNGA,Nigeria,3\nJPN,Ja"))
    with pytest.raises(InvalidInput, match=r"line 3 has 2 of 3 columns \(it stops after 'name'\): the file looks truncated"):
        read_table(path, "test", ["code", "value"])
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(b"code,value\n" + b"NGA,3\n" * 1000)[:-20])
    with pytest.raises(InvalidInput, match="cut.csv.gz: cannot be read .*truncated or damaged. Nothing was stored."):
        read_table(cut, "test", ["code", "value"])


def test_an_export_follows_the_same_encoding_policy(tmp_path, monkeypatch):
    path = tmp_path / "x.csv"
    path.write_bytes("code,value\nCIV,Côte d'Ivoire\n".encode("cp1252"))
    with pytest.raises(InvalidInput, match=r"line 2: byte 0xf4 is not valid utf-8; .* --encoding cp1252 Nothing was stored."):
        read_table(path, "test", ["code", "value"])
    assert read_table(path, "test", ["code", "value"], encoding="cp1252").rows == [(2, {"code": "CIV", "value": "Côte d'Ivoire"})]
    assert table_header(path) == ["code", "value"]  # a look at the header forgives the encoding
    monkeypatch.setattr(sheets, "MAX_CELL", 40)
    path.write_text('code,value\nNGA,"' + "x" * 100 + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"line 2 \(row 2\): a cell is longer than 40 characters"):
        read_table(path, "test", ["code", "value"])


# --- one refusal type ---------------------------------------------------------------------------


def test_a_refusal_lists_every_problem_under_one_head_line():
    sheet = Sheet("s.csv", "csv", ["text"], [(2, {"text": "a"}), (3, {"text": "b"}), (4, {"text": "c"})])
    problems = {3: [Problem(3, "text", "b", "too short"), Problem(3, "", "", "repeats row 2")], 4: [Problem(4, "text", "c", "x")]}
    lines = str(refusal(sheet, problems, limit=2)).splitlines()
    assert lines[0].startswith("s.csv: 2 row(s) of 3 have problems; nothing was stored.")
    assert lines[1:] == ['s.csv: row 3, column "text": too short', "s.csv: row 3: repeats row 2", "... and 1 more problem(s)"]
    assert sheets.rejected_rows(sheet, problems) == [{"text": "b", "problem": "text: too short | repeats row 2"},
                                                     {"text": "c", "problem": "text: x"}]


# --- XLSX: an archive that unpacks to far more than it holds -------------------------------------


def _bomb(tmp_path, name="bomb.xlsx", padding=40 * 2**20):
    """A real workbook with one more part: ``padding`` zero bytes, which deflate about 1,000 times."""
    import zipfile

    good = _workbook(tmp_path / "good.xlsx", [["text", "kind"], [TEXTS["ja"], "factor"]])
    path = tmp_path / name
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("xl/media/padding.bin", b"\0" * padding, compresslevel=9)
    return path


def test_a_zip_bomb_is_refused_by_both_workbook_readers_before_it_is_unpacked(tmp_path):
    path = _bomb(tmp_path)
    assert path.stat().st_size < 200_000, "the bomb is small on disk, or this test tests nothing"
    with pytest.raises(InvalidInput) as exc:
        read_sheet(path)
    assert _error(exc).startswith(f"{path}: the workbook would unpack to 40 MiB")
    assert "Nothing was stored." in _error(exc)
    with pytest.raises(InvalidInput, match="would unpack to 40 MiB"):
        list(sheets.xlsx_rows(path))


def test_a_workbook_that_grows_like_a_spreadsheet_is_read(tmp_path):
    """Below the ratio's floor a workbook may grow as much as it likes: a sheet of one repeated
    value compresses well too."""
    path = _bomb(tmp_path, "padded.xlsx", padding=8 * 2**20)
    assert [r["text"] for _n, r in read_sheet(path).rows] == [TEXTS["ja"]]
    assert [c for _n, c in sheets.xlsx_rows(path)] == [["text", "kind"], [TEXTS["ja"], "factor"]]


def test_importing_a_zip_bomb_ends_at_once_with_one_line(tmp_path):
    import subprocess
    import sys

    from crimekg.graph.store import init_store, open_store
    from tests.helpers import snapshot

    ws = tmp_path / "ws"
    with init_store(ws, with_ontology=False) as store:
        before = snapshot(store)
    bomb = _bomb(tmp_path, padding=600 * 2**20)
    run = subprocess.run(
        [sys.executable, "-c", "from crimekg.cli import cli; cli()", "import", str(bomb), "--session", "s-2026", "--store", str(ws)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode in (1, 2), run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "would unpack to 600 MiB" in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    with open_store(ws) as store:
        assert snapshot(store) == before


# --- very long CSV rows: a 50 MB cell, a million columns -----------------------------------------


def _import_in_subprocess(tmp_path, path, timeout=120):
    """``crimekg import`` of ``path`` in a child process with a time limit: its exit code and its
    stderr lines; the workspace must come back unchanged."""
    import subprocess
    import sys

    from crimekg.graph.store import init_store, open_store
    from tests.helpers import snapshot

    ws = tmp_path / "ws"
    with init_store(ws, with_ontology=False) as store:
        before = snapshot(store)
    run = subprocess.run(
        [sys.executable, "-c", "from crimekg.cli import cli; cli()", "import", str(path), "--session", "s-2026", "--store", str(ws)],
        capture_output=True, text=True, timeout=timeout,
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    with open_store(ws) as store:
        assert snapshot(store) == before
    return run.returncode, [line for line in run.stderr.splitlines() if line.strip()]


def test_a_50_mb_csv_cell_ends_at_once_with_one_line_naming_file_and_row(tmp_path):
    """The csv module stops at its field limit; the error names the file, the row where the cell
    began and the line where reading stopped, in one line."""
    cell = "".join(TEXTS.values()) * (50 * 2**20 // len("".join(TEXTS.values()).encode("utf-8")))
    path = tmp_path / "long-cell.csv"
    path.write_text(_csv_text([[TEXTS["ja"], "ja"], [cell, "mixed"]]), encoding="utf-8")
    assert path.stat().st_size > 50 * 2**20 - 2**20
    code, lines = _import_in_subprocess(tmp_path, path)
    assert code in (1, 2) and len(lines) == 1, lines
    assert str(path) in lines[0] and "(row 3)" in lines[0] and "longer than 131,072 characters" in lines[0], lines[0]


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_million_column_row_ends_at_once_with_one_line(tmp_path, where):
    """A header of a million columns is refused before its columns are matched; a data row of a
    million cells under a short header is refused as cells the header has no column for."""
    wide = ",".join(f"{TEXTS['ar']}{i}" for i in range(1_000_000))
    path = tmp_path / f"wide-{where}.csv"
    if where == "header":
        path.write_text(wide + "\n" + TEXTS["th"] + "\n", encoding="utf-8")
    else:
        path.write_text("text,kind\n" + TEXTS["th"] + ",factor\n" + wide + "\n", encoding="utf-8")
    code, lines = _import_in_subprocess(tmp_path, path)
    assert code in (1, 2) and len(lines) == 1, lines[:3]
    assert str(path) in lines[0], lines[0]
    if where == "header":
        assert "the header (row 1): 1,000,000 columns; a sheet has at most 1,000" in lines[0]
    else:
        assert "row 3 has 1,000,000 cells but the header has 2 columns" in lines[0]


def test_a_sheet_wider_than_the_column_limit_is_refused_in_every_format(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_COLUMNS", 3)
    header = ["text", "kind", "language", "group"]
    rows = [[TEXTS["ru"], "factor", "ru", "A"]]
    (tmp_path / "w.csv").write_text(_csv_text(rows, header), encoding="utf-8")
    _workbook(tmp_path / "w.xlsx", [header, *rows])
    (tmp_path / "w.json").write_text(json.dumps([{"text": TEXTS["zh"], "kind": "factor"},
                                                 {"text": TEXTS["es"], "language": "es", "group": "B"}]), encoding="utf-8")
    for name, where in (("w.csv", "the header (row 1)"), ("w.xlsx", "the header (row 1)"), ("w.json", "record 2")):
        with pytest.raises(InvalidInput) as exc:
            read_sheet(tmp_path / name)
        assert _error(exc) == (f"{tmp_path / name}: {where}: 4 columns; a sheet has at most 3 (the template's are enough): "
                               "keep its columns and delete the others. Nothing was stored.")
    monkeypatch.setattr(sheets, "MAX_COLUMNS", 4)
    assert read_sheet(tmp_path / "w.json").headers == ["text", "kind", "language", "group"]
    assert [r["text"] for _n, r in read_sheet(tmp_path / "w.xlsx").rows] == [TEXTS["ru"]]


# --- the rejected-rows file: no formula reaches a spreadsheet, and a corrected file reads back ---


def test_the_rejected_rows_file_escapes_formulas_and_reads_back_as_written(tmp_path):
    texts = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "'quoted'", TEXTS["ar"], "a=b"]
    path = sheets.write_rejected([{"text": t, "kind": "factor", "problem": "=1+1"} for t in texts], tmp_path / "r.csv")
    written = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [r["text"] for r in written] == ["'" + t for t in texts[:5]] + texts[5:]
    assert {r["problem"] for r in written} == {"'=1+1"}
    # the participant corrects the file in a spreadsheet and imports it again: their own text comes back
    back = [r["text"] for _n, r in read_sheet(path).rows]
    assert back == [t.strip() for t in texts]
