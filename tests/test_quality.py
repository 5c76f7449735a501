"""The data-quality report of evidence imports: every doubtful cell found, acted on, stored and summarised."""

from __future__ import annotations

from collections import Counter

import pytest
import rdflib
from click.testing import CliRunner

from crimekg import ontology
from crimekg.cli import cli
from crimekg.graph import evidence as ev
from crimekg.graph.brief import build_brief
from crimekg.graph.importers import importer
from crimekg.graph.quality import Report, quality_graph, stored_report
from crimekg.graph.query import named_query, run_query
from crimekg.graph.store import graph_iri
from tests.helpers import ROOT, SHARED_DATA

DATA = ROOT / "tests" / "data" / "evidence"
GLOTIP_XLSX = SHARED_DATA / "unodc-glotip" / "data_glotip.xlsx"
PLACE = ontology.PLACE
F = "\ufffd"


def _plan(store, source: str, name: str | None = None):
    return importer(source).plan(DATA / (name or f"{source}-doubtful.csv"), store)


def _cells(report: Report) -> dict[tuple, tuple]:
    """(first row, column, value) -> (kind, action, resolved_to)."""
    return {(f.rows[0] if f.rows else None, f.column, f.value): (f.kind, f.action, f.resolved_to) for f in report.findings}


# --- each kind of doubtful value, with a small sample per importer ------------------------------------

def test_glotip_doubtful_cells_are_resolved_flagged_or_refused(workspace):
    plan = _plan(workspace, "glotip")
    assert _cells(plan.quality) == {
        (2, "Category", "Nationals"): ("own-nationals", "resolved", PLACE + "NGA"),
        (3, "Category", "Gana"): ("foreign-name", "resolved", PLACE + "GHA"),
        (4, "Category", "Costa d'Avorio"): ("foreign-name", "resolved", PLACE + "CIV"),
        (5, "Category", f"C{F}TE D'IVOIRE"): ("mis-encoded", "resolved", PLACE + "CIV"),
        (6, "Category", "Lybia"): ("alias", "resolved", PLACE + "LBY"),
        (7, "Category", "Ethopia"): ("alias", "resolved", PLACE + "ETH"),
        (8, "Category", "Atlantis"): ("unmatched-place", "kept flagged", ""),
        (9, "Category", f"Ciudadanos de su pa{F}s"): ("mis-encoded", "resolved", PLACE + "ESP"),
        (10, "Category", f"Personnes de nationalit{F} {F}trang{F}re"): ("mis-encoded", "kept flagged", ""),
        (11, "txtVALUE", "61,102,019"): ("questionnaire-code", "refused", ""),
        (12, "txtVALUE", "2,019"): ("count-equals-year", "kept flagged", ""),
    }
    repaired = next(f for f in plan.quality.findings if f.value == f"C{F}TE D'IVOIRE")
    assert repaired.resolved_text == "Côte d'Ivoire" and "U+FFFD" in repaired.reason
    assert next(f for f in plan.quality.findings if f.value == "Gana").reason == "a name of Ghana in Portuguese"


def test_glotip_resolved_names_are_what_the_import_stores(workspace):
    workspace.write(_plan(workspace, "glotip").changes)
    rows = workspace.select(
        "SELECT ?raw ?c WHERE { ?o ckg:sourceCategory ?raw ; ckg:citizenship ?c }")
    got = {str(r["raw"]): r["c"] for r in rows}
    assert got["Nationals"] == rdflib.URIRef(PLACE + "NGA")          # the reporting country
    assert got[f"Ciudadanos de su pa{F}s"] == rdflib.URIRef(PLACE + "ESP")
    assert got["Costa d'Avorio"] == got[f"C{F}TE D'IVOIRE"] == rdflib.URIRef(PLACE + "CIV")
    assert got["Gana"] == rdflib.URIRef(PLACE + "GHA")
    assert got["Atlantis"] == rdflib.Literal("Atlantis")                 # kept as the source's text
    counts = {int(r["n"]) for r in workspace.select("SELECT ?n WHERE { ?o ckg:count ?n }")}
    assert 2019 in counts and 61102019 not in counts                     # kept flagged; refused


def test_iom_negative_count_left_out_and_other_cells_reported(workspace):
    plan = _plan(workspace, "iom")
    assert _cells(plan.quality) == {
        (2, "surv", "-1.0"): ("negative-count", "left out", ""),
        (2, "geo", "Lybia"): ("alias", "resolved", PLACE + "LBY"),
        (3, "dead", "2019"): ("count-equals-year", "kept flagged", ""),
        (3, "nat", "XYZ"): ("unmatched-place", "kept flagged", ""),
        (4, "nat", "Costa d'Avorio"): ("foreign-name", "resolved", PLACE + "CIV"),
    }
    workspace.write(plan.changes)
    assert workspace.select("SELECT ?s WHERE { ?o ckg:survivors ?s FILTER(?s < 0) }") == []
    assert len(workspace.select("SELECT ?o WHERE { ?o ckg:refArea place:LBY }")) == 2  # "Lybia" and "LBY"


def test_frontex_doubtful_cells(workspace):
    assert _cells(_plan(workspace, "frontex").quality) == {
        (3, "nat", "Ethopia"): ("alias", "resolved", PLACE + "ETH"),
        (4, "nat", "STL"): ("unmatched-place", "kept flagged", ""),
        (5, "n", "2016.0"): ("count-equals-year", "kept flagged", ""),
        (6, "route", f"Central Mediterr{F}nean Route"): ("mis-encoded", "kept flagged", ""),
    }


def test_ctdc_doubtful_cells(workspace):
    plan = _plan(workspace, "ctdc")
    assert _cells(plan.quality) == {
        (3, "citizenship", "ZZ"): ("unmatched-place", "kept flagged", ""),
        (4, "CountryOfExploitation", f"C{F}te d'Ivoire"): ("mis-encoded", "resolved", PLACE + "CIV"),
    }
    workspace.write(plan.changes)
    assert workspace.select("SELECT ?o WHERE { ?o ckg:refArea place:CIV }")


def test_sherloc_unknown_country_code(workspace):
    assert _cells(_plan(workspace, "sherloc").quality) == {
        (3, "page_link", "zzz"): ("unmatched-place", "kept flagged", ""),
    }


@pytest.mark.parametrize("source, name", [("glotip", "glotip-sample.csv"), ("iom", "iom-2019-sample.csv"),
                                          ("iom", "iom-2025-sample.csv"), ("frontex", "frontex-sample.csv"),
                                          ("ctdc", "ctdc-sample.csv"), ("sherloc", "sherloc-sample.csv")])
def test_every_importer_stores_a_report_with_the_import(workspace, source, name):
    plan = _plan(workspace, source, name)
    assert plan.quality is not None and plan.quality.source == source
    assert set(plan.changes.replace) == {graph_iri(f"import/{source}"), quality_graph(source)}
    workspace.write(plan.changes)
    rows = workspace.select("SELECT ?g ?n WHERE { GRAPH ?g { ?r a ckg:QualityReport ; ckg:findingCount ?n } }",
                            {"g": rdflib.URIRef(quality_graph(source))})
    assert [int(r["n"]) for r in rows] == [len(plan.quality.findings)]


def test_duplicate_keys_are_taken_as_findings():
    r = Report("glotip", "data.csv")
    r.duplicates([{"rows": [40, 12], "key": ("TZA", "2022", "Male", "Total"), "values": ["26", "<5"]},
                  {"rows": [7, 8], "key": {"area": "NGA", "year": "2021"}, "values": [3, 4]}])
    assert [(f.rows, f.value, f.kind, f.action) for f in r.findings] == [
        ((12, 40), "26 | <5", "duplicate-key", "kept flagged"), ((7, 8), "3 | 4", "duplicate-key", "kept flagged")]
    assert "TZA, 2022, Male, Total" in r.findings[0].reason and "area=NGA, year=2021" in r.findings[1].reason
    assert "2 duplicate keys with different values" in r.summary()
    with pytest.raises(ValueError):
        r.add(1, "x", "y", "no-such-kind", "resolved", "z")


# --- stored with the import, atomically, and the same on re-import ----------------------------------------

def test_report_round_trips_and_reimport_changes_nothing(workspace):
    plan = _plan(workspace, "glotip")
    workspace.write(plan.changes)
    stored = stored_report(workspace, "glotip")
    assert stored.findings == plan.quality.findings and stored.summary() == plan.quality.summary()
    before = workspace.graphs()
    again = _plan(workspace, "glotip")
    assert again.changes.is_empty() and again.quality is None
    workspace.write(again.changes)
    assert workspace.graphs() == before


def test_a_newer_file_replaces_the_report(workspace):
    workspace.write(_plan(workspace, "glotip").changes)
    workspace.write(_plan(workspace, "glotip", "glotip-sample.csv").changes)
    values = {f.value for f in stored_report(workspace, "glotip").findings}
    assert "Lybia" not in values and stored_report(workspace, "glotip").file == "glotip-sample.csv"


# --- the named query ----------------------------------------------------------------------------------

def test_data_quality_query_lists_findings_of_one_or_every_source(workspace):
    workspace.write(_plan(workspace, "glotip").changes)
    workspace.write(_plan(workspace, "iom").changes)
    q = named_query("data-quality")
    assert q.description.startswith("Doubtful cells") and [p.name for p in q.params] == ["source"]
    result = run_query(workspace, q, {"source": "iom"})
    rows = [dict(zip(result.variables, (v.value if v is not None else None for v in row))) for row in result.rows]
    assert {(r["row"], r["column"], r["value"], r["action"]) for r in rows} == {
        ("2", "surv", "-1.0", "left out"), ("2", "geo", "Lybia", "resolved"), ("3", "dead", "2019", "kept flagged"),
        ("3", "nat", "XYZ", "kept flagged"), ("4", "nat", "Costa d'Avorio", "resolved")}
    lybia = next(r for r in rows if r["value"] == "Lybia")
    assert lybia["resolvedLabel"] == "Libya" and lybia["source"] == "iom" and lybia["file"] == "iom-doubtful.csv"
    everything = run_query(workspace, q).rows
    by_source = Counter(r[0].value for r in everything)
    assert by_source == {"glotip": 11, "iom": 5}


# --- the CLI's summary on stderr ----------------------------------------------------------------------

def test_import_prints_the_summary_on_stderr(tmp_path):
    store = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", store]).exit_code == 0
    path = str(DATA / "glotip-doubtful.csv")
    result = runner.invoke(cli, ["import", path, "--store", store])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Data quality of glotip-doubtful.csv (glotip): 11 doubtful cells.") == 1
    assert "Refused 1: 1 questionnaire code in place of a count." in result.stderr
    assert "Data quality" not in result.stdout
    again = runner.invoke(cli, ["import", path, "--store", store])   # nothing changes: the stored report is shown
    assert again.exit_code == 0 and "11 doubtful cells" in again.stderr
    result = runner.invoke(cli, ["import", str(DATA / "ctdc-sample.csv"), "--store", store])
    assert result.exit_code == 0 and "Data quality of ctdc-sample.csv (ctdc): no doubtful cells." in result.stderr
    out = runner.invoke(cli, ["query", "data-quality", "--param", "source=glotip", "--format", "csv", "--store", store])
    assert out.exit_code == 0 and out.output.count("\n") == 12 and "Costa d'Avorio" in out.output


# --- places: other languages, misspellings, mojibake, own nationals -----------------------------------------

@pytest.mark.parametrize("text, code, how", [
    ("Costa d'Avorio", "CIV", "language"), ("Gana", "GHA", "language"), ("ガーナ", "GHA", "language"),
    ("Гана", "GHA", "language"), ("غانا", "GHA", "language"), ("加纳", "GHA", "language"),
    ("Lybia", "LBY", "alias"), ("Ethopia", "ETH", "alias"), ("Nigerians", "NGA", "alias"),
    (f"C{F}TE D'IVOIRE", "CIV", "repaired"), (f"M{F}XICO", "MEX", "repaired"), ("Côte d’Ivoire", "CIV", "name"),
    ("NGA", "NGA", "code"), ("Nationals", "", "nationals"), ("Ciudadanos de su país", "", "nationals"),
])
def test_places_match_names_and_say_how(workspace, text, code, how):
    m = ev.Places.from_store(workspace).match(text)
    assert (m.code, m.how) == (code, how)


def test_places_refuse_what_fits_two_countries_or_none(workspace):
    places = ev.Places.from_store(workspace)
    assert places.match(f"{F}{F}{F}") is None            # many countries fit: no repair
    assert places.match("Atlantis") is None and places.match("") is None
    assert places.iso3("ガーナ") == "GHA" and places.iso3("Gana") == "GHA"   # the old API reads the new labels


def test_nigeria_brief_no_longer_lists_nationals_beside_nigeria(workspace):
    workspace.write(_plan(workspace, "glotip").changes)
    labels = [str(r["label"]) for r in build_brief(workspace, country="NGA").citizenships]
    assert "Nigeria" in labels and "Nationals" not in labels


# --- the real GLOTIP export -----------------------------------------------------------------------------

@pytest.mark.slow
def test_real_glotip_export_doubtful_cells(workspace):
    if not GLOTIP_XLSX.exists():
        pytest.skip(f"{GLOTIP_XLSX} is absent (shared data not checked out)")
    report = importer("glotip").plan(GLOTIP_XLSX, workspace).quality
    counts = Counter((f.kind, f.action) for f in report.findings)
    assert counts[("questionnaire-code", "refused")] == 128
    assert counts[("count-equals-year", "kept flagged")] == 5
    assert counts[("own-nationals", "resolved")] >= 240
    assert counts[("mis-encoded", "resolved")] >= 90 and counts[("mis-encoded", "kept flagged")] <= 3
    assert counts[("foreign-name", "resolved")] >= 100 and counts[("alias", "resolved")] >= 2900
    assert counts[("unmatched-place", "kept flagged")] <= 700
    resolved = {f.value: f.resolved_to for f in report.findings if f.action == "resolved"}
    for value, code in {f"C{F}TE D'IVOIRE": "CIV", "Costa d'Avorio": "CIV", "Gana": "GHA", "Lybia": "LBY",
                        "Ethopia": "ETH", f"Ciudadanos de su pa{F}s": None, "Nationals": None}.items():
        assert value in resolved, value
        if code:
            assert resolved[value] == PLACE + code, value
    year_rows = sorted(f.rows[0] for f in report.findings if f.kind == "count-equals-year")
    assert len(year_rows) == 5

