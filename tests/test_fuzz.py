"""Random and mutated input on every input path: it succeeds, or fails in one line, and stores nothing.

Each path gets a bounded, derandomised hypothesis run (the same examples on every CI run), and
every file under ``tests/data/fuzz/`` (inputs that once crashed a reader) is replayed. A run must
end with exit code 0, 1 or 2 and no traceback; when it fails, the workspace must be byte for byte
what it was.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crimekg.cli import cli
from crimekg.graph.store import init_store, open_store
from tests.helpers import ROOT, snapshot

EXAMPLES = ROOT / "examples"
EVIDENCE = ROOT / "tests" / "data" / "evidence"
CORPUS = ROOT / "tests" / "data" / "fuzz"
SESSION = "example-2026"

FUZZ = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "ws"
    with init_store(path) as store:
        store.load([EXAMPLES / "example-session.ttl"], f"contributions/{SESSION}")
    return path


def _check(ws: Path, args: list[str]) -> None:
    """Run one command; it must end cleanly, and leave the workspace as it was when it fails."""
    with open_store(ws) as store:
        before = snapshot(store)
    result = CliRunner().invoke(cli, [*args, "--store", str(ws)])
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{args}: {type(result.exception).__name__}: {result.exception}\n{result.output}"
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        errors = [line for line in result.output.splitlines() if line.startswith("Error")]
        assert errors, result.output
        with open_store(ws) as store:
            assert snapshot(store) == before, f"{args}: a failed command changed the workspace"


def _mutate(data: bytes, edits: list[tuple[int, str, bytes]]) -> bytes:
    out = bytearray(data)
    for pos, kind, chunk in edits:
        at = pos % (len(out) + 1)
        if kind == "delete":
            del out[at:at + len(chunk)]
        elif kind == "insert":
            out[at:at] = chunk
        elif kind == "replace":
            out[at:at + len(chunk)] = chunk
        else:  # repeat a stretch, as a copy-paste gone wrong does
            out[at:at] = out[at:at + len(chunk) * 8]
    return bytes(out)


EDITS = st.lists(
    st.tuples(st.integers(0, 1 << 20), st.sampled_from(["delete", "insert", "replace", "repeat"]),
              st.one_of(st.binary(min_size=1, max_size=12),
                        st.sampled_from([b",", b'"', b"\n", b"\r", b"\x00", b"\xff\xfe", b";", b"\t", "人身取引".encode(),
                                         "ي".encode(), b"=1+1", b"<", b"@prefix", b"{", b"]"]))),
    min_size=1, max_size=6,
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- sheets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["example-contributions.csv", "example-links.csv"])
@FUZZ
@given(edits=EDITS)
def test_mutated_sheets(ws, tmp_path, name, edits):
    data = _mutate((EXAMPLES / name).read_bytes(), edits)
    _check(ws, ["import", str(_write(tmp_path, name, data)), "--session", SESSION])


@FUZZ
@given(edits=EDITS)
def test_mutated_xlsx(ws, tmp_path, edits):
    data = _mutate((EXAMPLES / "example-contributions.xlsx").read_bytes(), edits)
    _check(ws, ["import", str(_write(tmp_path, "sheet.xlsx", data)), "--session", SESSION])


_CELL = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                  st.text(max_size=40))
_JSON = st.recursive(_CELL, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                     max_leaves=20)
_ROWS = st.lists(st.fixed_dictionaries({"text": _CELL}, optional={
    "kind": st.sampled_from(["factor", "observation", "", "??"]), "category": _CELL, "crime type": _CELL,
    "place": st.sampled_from(["NGA", "ナイジェリア", "Нигерия", "نيجيريا", "ไนจีเรีย", "", "Atlantis"]),
    "contributor": _CELL, "group": _CELL, "language": st.sampled_from(["ja", "ar", "xx-", "", "th"])}), max_size=5)


@FUZZ
@given(doc=st.one_of(_JSON, _ROWS))
def test_random_json_and_yaml_sheets(ws, tmp_path, doc):
    text = json.dumps(doc, ensure_ascii=False, allow_nan=True)
    _check(ws, ["import", str(_write(tmp_path, "sheet.json", text.encode())), "--session", SESSION])
    _check(ws, ["import", str(_write(tmp_path, "sheet.yaml", yaml.safe_dump(doc, allow_unicode=True).encode())), "--session", SESSION])


# -- malformed spreadsheets seen in the wild ----------------------------------------------------

_SHEET_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="contributions" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    "xl/sharedStrings.xml": '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + "".join(f"<si><t>{t}</t></si>" for t in ["text", "kind", "category", "contributor code", "exercise question", "人身売買の仲介業者が借金で縛る", "factor", "enabling", "P07"]) + "</sst>",
    "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2" t="s"><v>6</v></c><c r="C2" t="s"><v>7</v></c><c r="D2" t="s"><v>8</v></c><c r="E2" t="n"><v>2</v></c></row>'
    "</sheetData></worksheet>",
}


def _xlsx_with(tmp_path: Path, change) -> Path:
    """A small workbook with shared strings and a number, with one part changed by ``change(name, data) -> data | None``."""
    buf = io.BytesIO()
    changed = False
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in _SHEET_PARTS.items():
            data = change(name, text.encode())
            changed |= data != text.encode()
            if data is not None:
                out.writestr(name, data)
    assert changed, "the break changed nothing: it would test nothing"
    return _write(tmp_path, "broken.xlsx", buf.getvalue())


def _in(part: str, old: bytes, new: bytes):
    def change(name, data):
        return data.replace(old, new, 1) if name == part else data
    return change


SHEET = "xl/worksheets/sheet1.xml"
XLSX_BREAKS = {
    "no sheet": lambda name, data: None if name == SHEET else data,
    "no shared strings": lambda name, data: None if name == "xl/sharedStrings.xml" else data,
    "bad sheet XML": lambda name, data: data[: len(data) // 2] if name == SHEET else data,
    "bad number": _in(SHEET, b't="n"><v>2</v>', b't="n"><v>x1y2</v>'),
    "bad shared string": _in(SHEET, b'<v>5</v>', b'<v>99999</v>'),
    "negative shared string": _in(SHEET, b'<v>5</v>', b'<v>-3</v>'),
    "bad date": _in(SHEET, b't="n"><v>2</v>', b't="d"><v>2026-13-45T99:00</v>'),
    "duplicate attribute": _in(SHEET, b'<c r="A2" t="s">', b'<c r="A2" t="s" t="n">'),
    "external entity": _in("xl/sharedStrings.xml", b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
    "no content types": lambda name, data: None if name == "[Content_Types].xml" else data,
    "no workbook": lambda name, data: None if name == "xl/workbook.xml" else data,
}


def test_the_unbroken_workbook_imports(ws, tmp_path):
    """The base of the breaks below is a sheet crimekg reads, so each break is what makes it fail."""
    path = _xlsx_with(tmp_path, lambda name, data: data.replace(b"P07", b"P08") if name == "xl/sharedStrings.xml" else data)
    result = CliRunner().invoke(cli, ["import", str(path), "--session", SESSION, "--store", str(ws)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("break_", list(XLSX_BREAKS))
def test_malformed_xlsx_gives_one_line(ws, tmp_path, break_):
    _check(ws, ["import", str(_xlsx_with(tmp_path, XLSX_BREAKS[break_])), "--session", SESSION])


# -- RDF ----------------------------------------------------------------------------------------

def _rdf_samples() -> dict[str, bytes]:
    import rdflib

    g = rdflib.Dataset()
    g.graph(rdflib.URIRef("urn:fuzz:g")).parse(EXAMPLES / "example-session.ttl")
    small = rdflib.Dataset()
    for i, quad in enumerate(g.quads()):
        if i >= 60:
            break
        small.add(quad)
    return {fmt: small.serialize(format=rdf).encode() if isinstance(small.serialize(format=rdf), str) else small.serialize(format=rdf)
            for fmt, rdf in {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld", "xml": "xml"}.items()}


SAMPLES = _rdf_samples()


@pytest.mark.parametrize("fmt", list(SAMPLES))
@FUZZ
@given(edits=EDITS)
def test_mutated_rdf(ws, tmp_path, fmt, edits):
    path = _write(tmp_path, f"data.{fmt}", _mutate(SAMPLES[fmt], edits))
    args = ["load", str(path)] + ([] if fmt in ("nq", "trig", "jsonld") else ["--graph", "fuzz/data"])
    _check(ws, args)


# -- evidence -----------------------------------------------------------------------------------

@pytest.mark.parametrize("source,name", [("glotip", "glotip-sample.csv"), ("glotip", "glotip-sample.xlsx"), ("ctdc", "ctdc-sample.csv"), ("iom", "iom-2025-sample.csv"),
                                         ("frontex", "frontex-sample.csv"), ("sherloc", "sherloc-sample.csv")])
@FUZZ
@given(edits=EDITS)
def test_mutated_evidence(ws, tmp_path, source, name, edits):
    data = _mutate((EVIDENCE / name).read_bytes(), edits)
    _check(ws, ["import", str(_write(tmp_path, name, data)), "--source", source])


# -- parameters ---------------------------------------------------------------------------------

PARAM_QUERIES = {"category": "factors-by-category", "crime": "factors-by-crime", "place": "contributions-for-place",
                 "factor": "links-of-factor", "text": "factors-search", "level": "factors-by-level", "nosuch": "factors-by-category"}


@FUZZ
@given(value=st.one_of(st.text(max_size=60), st.sampled_from(['"> } ; DROP ALL #', "<urn:x>", "?s", "\\u0000", "人身取引",
                                                               "Нигерия", "ไนจีเรีย", "https://w3id.org/crimekg/place/NGA"])),
       name=st.sampled_from(sorted(PARAM_QUERIES)))
def test_random_param_values(ws, value, name):
    _check(ws, ["query", PARAM_QUERIES[name], "--param", f"{name}={value}"])


# -- the corpus ---------------------------------------------------------------------------------

CORPUS_FILES = sorted(p for p in CORPUS.glob("*") if p.is_file() and p.name != "README.md") if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_corpus(ws, tmp_path, path):
    """Inputs that once crashed crimekg: named ``SOURCE--what.EXT`` (SOURCE: contributions, load, or an importer)."""
    how = path.name.split("--", 1)[0]
    copy = _write(tmp_path, path.name.split("--", 1)[-1], path.read_bytes())
    if how == "load":
        _check(ws, ["load", str(copy), "--graph", "fuzz/corpus"])
    elif how == "contributions":
        _check(ws, ["import", str(copy), "--session", SESSION])
    else:
        _check(ws, ["import", str(copy), "--source", how])
