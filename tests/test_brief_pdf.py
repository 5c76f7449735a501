"""The brief as a print-ready PDF (``crimekg brief --format pdf``): A4, a cover, page numbers,
table headers on every page a table runs over; and the one-line error without Chromium."""

from __future__ import annotations

import re
import unicodedata

import pytest
import rdflib
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.brief import Brief, PrintUnavailable, brief_date, render_brief, write_pdf
from crimekg.graph.importers import glotip, iom, sherloc
from crimekg.graph.store import Changeset, graph_iri
from tests.helpers import ROOT, chromium_path, no_browser

pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (pip install -e '.[test]')")

DATA = ROOT / "tests" / "data" / "evidence"
CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
A4 = (595.3, 841.9)  # points


@pytest.fixture(autouse=True)
def chromium():
    if not chromium_path():
        no_browser("no chromium found (apt-get install chromium, or set CRIMEKG_CHROMIUM)")


def pages_text(path) -> list[str]:
    """Each page's text, ligatures and Arabic presentation forms undone, runs of white space as one space."""
    return [" ".join(unicodedata.normalize("NFKC", p.extract_text() or "").split()) for p in pypdf.PdfReader(str(path)).pages]


def test_brief_command_writes_an_a4_pdf_with_cover_and_page_numbers(workspace, tmp_path, monkeypatch):
    for mod, name in ((glotip, "glotip-sample.csv"), (iom, "iom-2025-sample.csv"), (sherloc, "sherloc-sample.csv")):
        workspace.write(mod.plan(DATA / name, workspace).changes)
    factor = rdflib.URIRef("https://w3id.org/crimekg/data/factor/pdf")
    cs = Changeset()
    cs.add_triples(graph_iri("contributions/pdf"), [
        (factor, rdflib.RDF.type, CKG.Factor), (factor, rdflib.SKOS.prefLabel, rdflib.Literal("Коррупция на границе / الفساد")),
        (factor, CKG.place, rdflib.URIRef("https://w3id.org/crimekg/place/NGA"))])
    workspace.write(cs)
    location = workspace.location
    workspace.close()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764460800")  # 2025-11-30
    out = tmp_path / "nigeria.pdf"
    result = CliRunner().invoke(cli, ["brief", "--place", "Nigeria", "--format", "pdf", "-o", str(out), "--store", location])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Wrote {out}"
    reader = pypdf.PdfReader(str(out))
    n = len(reader.pages)
    assert 3 <= n <= 8
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=1)
    text = pages_text(out)
    # the cover: the place, the date, the sources, and nothing of the body yet
    assert "Checklist brief: Nigeria (NGA)" in text[0] and "2025-11-30" in text[0]
    assert "UNODC GLOTIP database export (glotip-sample.csv)" in text[0]
    assert "IOM Missing Migrants Project" in text[0] and "Detected victims of trafficking" not in text[0]
    # every page numbered
    for i, t in enumerate(text, 1):
        assert f"Page {i} of {n}" in t
    body = "\n".join(text[1:])
    for heading in ("Detected victims of trafficking (UNODC GLOTIP)", "Flows", "Case references (UNODC SHERLOC)",
                    "What participants contributed", "Topics with no source"):
        assert heading in body
    assert "Detected victims in Nigeria by sex and age" in body  # a chart's title, drawn as text
    assert "Коррупция на границе" in body
    assert "الفساد" in body or "دسافلا" in body  # Arabic, in logical or visual order
    assert "`" not in body


def test_a_long_table_repeats_its_header_on_every_page(tmp_path):
    rows = [{"year": str(1900 + i), "Formal contact": (i + 1, 0, ["NGA"]), "Prosecuted": (i, 1, ["NGA"]), "Convicted": None} for i in range(120)]
    b = Brief(place="https://w3id.org/crimekg/place/NGA", label="Nigeria", kind="country", justice=rows,
              sources=[{"source": "glotip", "title": "UNODC GLOTIP", "file": "data_glotip.xlsx", "issued": "2025-04-14"}])
    out = tmp_path / "long.pdf"
    write_pdf(render_brief(b, "html"), out)
    text = pages_text(out)
    assert "2025-04-14" in text[0]  # the date comes from the data
    with_rows = [t for t in text if re.search(r"\b19[0-9]{2}\b", t)]
    assert len(with_rows) >= 3  # the table runs over several pages ...
    for t in with_rows:
        assert "Formal contact" in t and "Prosecuted" in t and "Convicted" in t  # ... each with its header
    years = [int(y) for t in text for y in re.findall(r"\b(19\d\d|20[01]\d)\b", t)]
    assert sorted(set(years)) == list(range(1900, 2020))  # no row lost


def test_brief_date_comes_from_the_data_or_source_date_epoch(monkeypatch):
    b = Brief(place="x", label="x", kind="country", sources=[{"issued": "2024-02-01"}, {"issued": "2025-04-14T00:00:00"}, {}])
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert brief_date(b) == "2025-04-14"
    assert brief_date(Brief(place="x", label="x", kind="country")) == ""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert brief_date(b) == "1970-01-01"


def test_without_chromium_a_one_line_error(workspace, tmp_path, monkeypatch):
    location = workspace.location
    workspace.close()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CRIMEKG_CHROMIUM", str(tmp_path / "nowhere"))
    with pytest.raises(PrintUnavailable, match="needs Chromium: apt-get install chromium"):
        write_pdf("<html></html>", tmp_path / "x.pdf")
    out = tmp_path / "x.pdf"
    result = CliRunner().invoke(cli, ["brief", "--place", "NGA", "--format", "pdf", "-o", str(out), "--store", location])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: --format pdf needs Chromium: apt-get install chromium (or set CRIMEKG_CHROMIUM to a Chromium or Chrome)"]
    assert not out.exists()
    result = CliRunner().invoke(cli, ["brief", "--place", "NGA", "--format", "pdf", "--store", location])
    assert result.exit_code == 2 and "--format pdf writes a file: give -o FILE.pdf" in result.output
