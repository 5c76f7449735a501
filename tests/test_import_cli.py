"""The facilitator's commands: template, session, add, link, and the export profiles."""

from __future__ import annotations


import pytest
import rdflib
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.store import init_store, open_store
from tests.helpers import ROOT, snapshot


@pytest.fixture
def ws(tmp_path):
    init_store(tmp_path / "ws").close()
    return str(tmp_path / "ws")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_template_csv_and_xlsx_with_drop_downs(tmp_path):
    import openpyxl

    assert run("template", "-o", tmp_path / "s.csv").exit_code == 0
    assert (tmp_path / "s.csv").read_text().startswith("text,label,kind,category,crime type,actor,level,country or region")
    result = run("template", "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert wb.sheetnames == ["Contributions", "Columns", "Lists"]
    ws = wb["Contributions"]
    assert ws["A1"].value == "text"
    ranges = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert ranges["D2:D1000"].startswith("=Lists!")  # category drop-down
    lists = wb["Lists"]
    values = {lists.cell(row=1, column=c).value: [lists.cell(row=r, column=c).value for r in range(2, 6)] for c in range(1, 9)}
    assert values["category"] == ["enabling", "profiting", "concealment", "impunity"]
    columns = [r[0].value for r in wb["Columns"].iter_rows(min_row=2)]
    assert "contributor code" in columns and "id" in columns


def test_an_empty_template_filled_in_imports(tmp_path, ws):
    run("template", "-o", tmp_path / "s.csv")
    with (tmp_path / "s.csv").open("a", encoding="utf-8") as f:
        f.write("Fake job ads on TikTok,,factor,a,TIP,traffickers,local,PHL,Manila,,Group B,P06,10:30,\n")
    assert run("session", "new", "s1", "--title", "Room", "--date", "2026-03-17", "--place", "Japan", "--store", ws).exit_code == 0
    result = run("import", tmp_path / "s.csv", "--store", ws)
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        rows = store.select("SELECT ?t WHERE { ?c a ckg:Contribution ; prov:generatedAtTime ?t }")
    assert [str(r["t"]) for r in rows] == ["2026-03-17T10:30:00"]
    result = run("session", "list", "--store", ws)
    assert result.output == "s1  2026-03-17  1 contributions, 1 participants  Room\n"


def test_import_into_a_new_session_warns_and_creates_it(tmp_path, ws):
    (tmp_path / "s.csv").write_text("text,category\nPorous borders,enabling\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "s.csv"), "--session", "new-one", "--store", ws])
    assert result.exit_code == 0, result.output
    assert "Warning: session 'new-one' did not exist; created it" in result.stderr


def test_import_without_a_session_names_the_option(tmp_path, ws):
    (tmp_path / "s.csv").write_text("text,category\nPorous borders,enabling\n", encoding="utf-8")
    result = run("import", tmp_path / "s.csv", "--store", ws)
    assert result.exit_code == 1
    assert "Error: no session given: add --session ID" in result.output


def test_add_and_link_from_the_command_line(ws):
    run("session", "new", "s1", "--title", "Room", "--store", ws)
    r = run("add", "factor", "Bribery at checkpoints", "--category", "enabling", "--crime", "TIP", "--place", "Ghana", "--store", ws)
    assert r.output == "Added factor: https://w3id.org/crimekg/data/factor/bribery-at-checkpoints\n"
    run("add", "factor", "Rare convictions", "--category", "impunity", "--store", ws)
    r = run("add", "gap", "Nobody counts victims", "--store", ws)
    assert r.output == "Added gap: https://w3id.org/crimekg/data/gap/nobody-counts-victims\n"
    r = run("add", "factor", "Unsure", "--category", "enablng", "--store", ws)
    assert r.exit_code == 1
    assert 'command line: item 1, column "category": "enablng" is not a category.' in r.output
    with open_store(ws) as store:
        before = snapshot(store)
    r = run("link", "Bribery", "reinfroces", "Rare", "--store", ws)
    assert r.exit_code == 1
    assert '"reinfroces" is not a relation. Allowed: causes, conceals, counters, enables, facilitates, finances, reinforces, shields. Did you mean "reinforces"?' in r.output
    r = run("link", "Bribery", "reinforces", "Rare", "--polarity", "-", "--strength", "0.5", "--store", ws)
    assert r.exit_code == 0, r.output
    with open_store(ws) as store:
        row = store.select("SELECT ?p ?s WHERE { ?l a ckg:FactorLink ; ckg:polarity ?p ; ckg:strength ?s }")[0]
        assert str(row["p"]).endswith("/negative") and str(row["s"]) == "0.5"
        from crimekg.graph.validate import validate

        assert validate(store).conforms
        assert snapshot(store) != before


def test_public_export_drops_people_groups_and_times_and_generalises_places(tmp_path, ws):
    run("import", ROOT / "examples" / "example-contributions.csv", "--session", "example-2026", "--store", ws)
    full = run("export", "--format", "nt", "--store", ws).stdout_bytes
    assert b"contributorCode" in full and b"Group A" in full
    result = CliRunner().invoke(cli, ["export", "--profile", "public", "--place-level", "region", "--format", "nt", "--store", ws])
    assert result.exit_code == 0, result.output
    g = rdflib.Graph().parse(data=result.stdout_bytes, format="nt")
    CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
    PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
    for p in (CKG.contributorCode, CKG.group, PROV.wasAttributedTo, PROV.generatedAtTime, CKG.localPlace):
        assert not list(g.triples((None, p, None))), p
    assert not list(g.subjects(rdflib.RDF.type, CKG.Participant))
    assert len(list(g.subjects(rdflib.RDF.type, CKG.Contribution))) == 76
    places = {str(o) for s in g.subjects(rdflib.RDF.type, CKG.Contribution) for o in g.objects(s, CKG.place)}
    assert places and all("/m49/" in p for p in places)
    session = rdflib.URIRef("https://w3id.org/crimekg/session/example-2026")
    assert int(g.value(session, CKG.participantCount)) == 16
    country = CliRunner().invoke(cli, ["export", "--profile", "public", "--format", "nt", "--store", ws]).stdout_bytes
    assert b"<https://w3id.org/crimekg/place/NGA>" in country
