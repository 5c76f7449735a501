"""The checklist brief (``crimekg brief``): published data next to what participants said."""

from __future__ import annotations

import re

import pytest
import rdflib
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.brief import build_brief, render_brief, run_evidence_query
from crimekg.graph.errors import InvalidInput, InvalidQuery
from crimekg.graph.importers import frontex, glotip, iom, sherloc
from crimekg.graph.store import Changeset, graph_iri
from crimekg.graph.importers import glotip, iom, sherloc
from tests.helpers import ROOT

DATA = ROOT / "tests" / "data" / "evidence"


@pytest.fixture
def evidence(workspace):
    workspace.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    for mod, name in ((glotip, "glotip-sample.csv"), (iom, "iom-2025-sample.csv"), (sherloc, "sherloc-sample.csv"), (frontex, "frontex-sample.csv")):
        workspace.write(mod.plan(DATA / name, workspace).changes)
    return workspace


def test_country_brief_shows_glotip_picture_with_suppressed_values(evidence):
    md = render_brief(build_brief(evidence, country="Nigeria"))
    assert md.startswith("# Checklist brief: Nigeria (NGA)")
    row_2022 = next(line for line in md.splitlines() if line.startswith("| 2022 |"))
    assert "| 729 |" in row_2022  # girls, as published
    assert "<5" in md
    # a share says which countries and year it covers
    assert re.search(r"Shares in 2022 \(covering NGA; [\d,]+ victims", md)
    # destinations of Nigerians: Italy (GLOTIP, 2008), citizenships of victims in Nigeria: Benin
    assert "| Italy | 273 | 2008 |" in md
    assert "| Benin |" in md
    assert "## Case references (UNODC SHERLOC)" in md and "4 case(s)" in md


def test_suppressed_only_cells_never_become_zero(evidence):
    b = build_brief(evidence, country="GHA")
    md = render_brief(b)
    cells = [c for r in b.victims for c in r.values() if isinstance(c, tuple)]
    assert any(c[0] == 0 and c[1] for c in cells)  # a cell published only as <5 ...
    assert "| 0 |" not in md  # ... is shown as <5, never as 0
    assert "<5" in md


def test_region_brief_sums_over_its_countries_and_says_which(evidence):
    b = build_brief(evidence, region="Western Africa")
    assert b.kind == "region" and b.countries == ["GHA", "NGA"]
    md = render_brief(b)
    assert "sums over the 2 countries of the region with GLOTIP data: GHA, NGA" in md


def test_participants_routes_and_topics_without_source(evidence):
    md = render_brief(build_brief(evidence, country="ITA"))
    contributed = md[md.index("## What participants contributed"):md.index("## Topics with no source")]
    assert "Factors:" in contributed
    routes = md[md.index("## Routes"):md.index("## Case references")]
    assert "Central Mediterranean route" in routes
    empty = md[md.index("## Topics with no source"):]
    assert "- Estimating non-detected trafficking" in empty
    assert "- Migrant smuggling routes" not in empty  # IOM incidents in Italy bear on it


def test_html_is_self_contained_and_escapes_labels(evidence):
    factor = rdflib.URIRef("https://w3id.org/crimekg/data/factor/evil")
    ckg = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
    cs = Changeset()
    cs.add_triples(graph_iri("contributions/test"), [
        (factor, rdflib.RDF.type, ckg.Factor),
        (factor, rdflib.SKOS.prefLabel, rdflib.Literal("<script>alert(1)</script>")),
        (factor, ckg.place, rdflib.URIRef("https://w3id.org/crimekg/place/NGA")),
    ])
    evidence.write(cs)
    page = render_brief(build_brief(evidence, country="NGA"), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page.split("<body>")[0] and "<link" not in page


def test_unknown_place_and_option_errors(evidence):
    with pytest.raises(InvalidInput, match="unknown country 'Atlantis'"):
        build_brief(evidence, country="Atlantis")
    with pytest.raises(InvalidInput, match="give one of --country"):
        build_brief(evidence)
    with pytest.raises(InvalidQuery, match="not a valid IRI"):
        run_evidence_query(evidence, "evidence-cases", area=rdflib.URIRef("x> } ?s ?p ?o {"))


def test_empty_workspace_says_what_is_missing(workspace):
    md = render_brief(build_brief(workspace, country="NGA"))
    assert "No published data imported yet" in md and "No GLOTIP figures for this place." in md


def test_brief_command(evidence, tmp_path):
    location = evidence.location
    evidence.close()
    result = CliRunner().invoke(cli, ["brief", "--country", "NGA", "--store", str(location)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Checklist brief: Nigeria (NGA)")
    out = tmp_path / "brief.html"
    result = CliRunner().invoke(cli, ["brief", "--region", "011", "--format", "html", "-o", str(out), "--store", str(location)])
    assert result.exit_code == 0, result.output
    assert "<h1>Checklist brief: Western Africa (M49 011)</h1>" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["brief", "--country", "Atlantis", "--store", str(location)])
    assert result.exit_code == 1 and "unknown country 'Atlantis'" in result.output


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "graph" / "queries").glob("evidence-*.rq")))
def test_every_evidence_query_runs(evidence, name):
    text = (ROOT / "graph" / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    assert text.startswith("# ") and "PREFIX ckg:" in text
    bindings = {"area": rdflib.URIRef("https://w3id.org/crimekg/place/NGA")} if "# param: area" in text else {}
    rows = run_evidence_query(evidence, name, **bindings)
    assert isinstance(rows, list)


NGA = {"area": rdflib.URIRef("https://w3id.org/crimekg/place/NGA")}
ITA = {"area": rdflib.URIRef("https://w3id.org/crimekg/place/ITA")}

#: Each evidence query, its bindings and what its answer must show on the sample data.
EVIDENCE_EXPECTED = {
    "evidence-glotip-profile": (NGA, lambda rows: any(
        str(r["sex"]).endswith("/female") and str(r["age"]).endswith("/0-17") and str(r["year"]) == "2022" and int(r["count"]) == 729
        for r in rows)),
    "evidence-glotip-citizenships": (NGA, lambda rows: "Benin" in {str(r["label"]) for r in rows}),
    "evidence-glotip-destinations": (NGA, lambda rows: [(str(r["label"]), int(r["count"])) for r in rows] == [("Italy", 273)]),
    "evidence-routes-deaths": (ITA, lambda rows: [(str(r["routeLabel"]), int(r["iomDeadAndMissing"]), int(r["iomIncidents"])) for r in rows]
                               == [("Central Mediterranean route", 16, 6)]
                               and all(str(r["iomIndicator"]).endswith("/dead-and-missing") and "frontexDetections" not in r for r in rows)),
    # IOM's dead and missing beside Frontex's detections, never added: Central Mediterranean 2014 is IOM's,
    # 2016 Frontex's (33,809 detections of Nigerians); Western Balkans only Frontex's
    "evidence-routes-deaths-global": ({}, lambda rows: {str(r["routeLabel"]) for r in rows if "iomIncidents" in r} == {
        "Central Mediterranean route", "Western Mediterranean route", "(route not recorded)"}
        and sum(int(r.get("iomIncidents", 0)) for r in rows) == 11 and sum(int(r.get("iomDeadAndMissing", 0)) for r in rows) == 45
        and {(str(r["routeLabel"]), str(r["year"]), int(r["frontexDetections"])) for r in rows if "frontexDetections" in r}
        == {("Central Mediterranean route", "2016", 33809), ("Western Balkans route", "2023", 4335)}),
    "evidence-frontex-nationals": (NGA, lambda rows: [(str(r["source"]), str(r["routeLabel"]), str(r["year"]), int(r["detections"]), int(r["observations"]))
                                                      for r in rows] == [("frontex", "Central Mediterranean route", "2016", 33809, 10)]),
    "evidence-cases": (NGA, lambda rows: len(rows) == 4 and all(str(r["url"]).startswith("https://sherloc.unodc.org/") for r in rows)),
    "evidence-participants": (ITA, lambda rows: any(str(r["kind"]).endswith("#Factor") and r.get("category") for r in rows)),
    "evidence-topic-coverage": ({}, lambda rows: len(rows) == 13 and any(
        "indicator/detected-trafficking-victims" in str(r.get("concepts", "")) for r in rows)),
    "evidence-trends-sex-age": ({}, lambda rows: {(str(r["sex"]), str(r["age"])) for r in rows if str(r["year"]) == "2022"}
                                == {("Female", "0 to 17 years"), ("Female", "18 years or over"), ("Male", "0 to 17 years"), ("Male", "18 years or over")}
                                and any(str(r.get("share")) == "0.253" for r in rows)  # girls in Nigeria, 2022: 729 / 2,883
                                # Ghana 2021, women: published as <5, so no count and no share, never 0
                                and any((str(r["year"]), str(r["sex"]), str(r["age"]), str(r["value"])) == ("2021", "Female", "18 years or over", "<5")
                                        and "count" not in r and "share" not in r for r in rows)),
    "evidence-trends-forms": ({}, lambda rows: {str(r["form"]) for r in rows if str(r["year"]) == "2022"}
                              == {"Sexual exploitation", "Forced labour", "Other forms of exploitation"}
                              and abs(sum(float(r["share"]) for r in rows if str(r["year"]) == "2022") - 1) < 0.01),
    "evidence-largest-flows": ({}, lambda rows: ("Sub-Saharan Africa", "Southern Europe") in {(str(r["from"]), str(r["to"])) for r in rows}),
}


def test_every_evidence_query_has_an_expected_answer():
    names = {p.stem for p in (ROOT / "graph" / "queries").glob("evidence-*.rq")}
    assert names == set(EVIDENCE_EXPECTED)


@pytest.mark.parametrize("name", sorted(EVIDENCE_EXPECTED))
def test_evidence_query_returns_its_expected_answer(evidence, name):
    bindings, check = EVIDENCE_EXPECTED[name]
    rows = run_evidence_query(evidence, name, **bindings)
    assert check(rows), rows


def test_html_brief_in_real_chromium(evidence, tmp_path, browser):
    """The page renders offline in headless Chromium, requests nothing, and shows HTML labels as text."""
    label = "<img src=x onerror=alert(1)>"
    factor = rdflib.URIRef("https://w3id.org/crimekg/data/factor/xss")
    ckg = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
    cs = Changeset()
    cs.add_triples(graph_iri("contributions/test"), [
        (factor, rdflib.RDF.type, ckg.Factor), (factor, rdflib.SKOS.prefLabel, rdflib.Literal(label)),
        (factor, ckg.place, rdflib.URIRef("https://w3id.org/crimekg/place/NGA"))])
    evidence.write(cs)
    path = tmp_path / "brief.html"
    path.write_text(render_brief(build_brief(evidence, country="NGA"), "html"), encoding="utf-8")
    requests, errors, dialogs = [], [], []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.resolve().as_uri())
    assert page.inner_text("h1") == "Checklist brief: Nigeria (NGA)"
    assert page.locator("table").count() >= 3
    assert label in page.inner_text("body")  # shown as text
    assert page.locator("img").count() == 0
    page.close()
    assert requests == [path.resolve().as_uri()] and errors == [] and dialogs == []
