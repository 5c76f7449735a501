"""crimekg.graph.query and the `crimekg query` / `crimekg queries` commands: parameters, errors, formats."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from crimekg.cli import cli
from crimekg.graph.errors import InvalidInput, InvalidQuery, UnknownQuery
from crimekg.graph.query import (
    format_rows,
    load_query,
    named_queries,
    named_query,
    parse_query_text,
    run_query,
)
from crimekg.graph.store import Changeset, graph_iri, init_store, open_store
from tests.helpers import ROOT, snapshot

CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
FACTOR = rdflib.Namespace("https://w3id.org/crimekg/data/factor/")
NASTY = 'debt" ) } ; DROP ALL ; INSERT DATA { <urn:x> <urn:y> "z" } ; SELECT * { ?s ?p ?o FILTER("'
ANGLE = "<https://w3id.org/crimekg/data/factor/a> } UNION { ?factor ?p ?o"


@pytest.fixture
def ws(tmp_path):
    """A workspace path holding the ontology and two factors, one with a hostile label."""
    path = tmp_path / "ws"
    with init_store(path) as store:
        changes = Changeset()
        changes.replace_graph(graph_iri("contributions/test"), [
            (FACTOR.a, rdflib.RDF.type, CKG.Factor),
            (FACTOR.a, rdflib.SKOS.prefLabel, rdflib.Literal(NASTY)),
            (FACTOR.a, CKG.category, rdflib.URIRef("https://w3id.org/crimekg/concept/category/impunity")),
            (FACTOR.b, rdflib.RDF.type, CKG.Factor),
            (FACTOR.b, rdflib.SKOS.prefLabel, rdflib.Literal("Porous borders")),
            (FACTOR.b, CKG.category, rdflib.URIRef("https://w3id.org/crimekg/concept/category/enabling")),
        ])
        store.write(changes)
    return str(path)


@pytest.fixture
def runner():
    return CliRunner()


# -- parameters are values, never text -------------------------------------------------------------


def test_text_with_quotes_braces_and_keywords_is_bound_as_a_value(ws):
    with open_store(ws) as store:
        before = snapshot(store)
        result = run_query(store, named_query("factors-search"), {"text": NASTY})
        # the hostile text matched the one label that contains it, character for character
        assert [r["label"] for r in result.records()] == [NASTY]
        assert result.records()[0]["text"] == NASTY
        assert snapshot(store) == before


def test_angle_brackets_in_a_text_parameter_change_nothing(ws):
    with open_store(ws) as store:
        result = run_query(store, named_query("factors-search"), {"text": ANGLE})
        assert result.rows == []


def test_a_concept_parameter_must_name_a_concept(ws):
    with open_store(ws) as store:
        before = snapshot(store)
        for value in (ANGLE, 'impunity" } UNION { ?f ?p ?o', "<urn:x> }"):
            with pytest.raises(InvalidInput, match="--param category: no concept in scheme 'category' matches"):
                run_query(store, named_query("factors-by-category"), {"category": value})
        assert snapshot(store) == before


def test_an_undeclared_parameter_of_an_inline_query_is_a_literal_or_an_iri(ws):
    q = "SELECT ?v ?x WHERE { BIND(STR(?v) AS ?x) }"
    with open_store(ws) as store:
        assert run_query(store, q, {"v": NASTY}).records() == [{"v": NASTY, "x": NASTY}]
        iri = run_query(store, q, {"v": "category:impunity"}).records()[0]["v"]
        assert iri == "https://w3id.org/crimekg/concept/category/impunity"
        with pytest.raises(InvalidInput, match="is not an IRI"):
            run_query(store, q, {"v": "<urn:a b>"})


def test_declared_parameters_in_an_inline_query_are_resolved(ws):
    q = "# impunity factors\n# param: c (concept:category) - a category\nSELECT ?c ?f WHERE { ?f a ckg:Factor ; ckg:category ?c }"
    with open_store(ws) as store:
        rows = run_query(store, q, {"c": "Impunity"}).records()
    assert [r["f"] for r in rows] == [str(FACTOR.a)]


def test_parameter_values_are_checked_against_their_type(ws):
    q = "# x\n# param: n (integer) - a number\nSELECT ?n WHERE {}"
    with open_store(ws) as store:
        assert run_query(store, q, {"n": "42"}).records() == [{"n": 42}]
        with pytest.raises(InvalidInput, match="'4 2' is not a whole number"):
            run_query(store, q, {"n": "4 2"})


def test_missing_and_unknown_parameters_are_refused(ws):
    with open_store(ws) as store:
        with pytest.raises(InvalidInput, match=r"factors-by-place.rq: the parameter 'place' is required.*--param place="):
            run_query(store, named_query("factors-by-place"))
        with pytest.raises(InvalidInput, match="no parameter 'region'; it takes place"):
            run_query(store, named_query("factors-by-place"), {"place": "NGA", "region": "x"})


def test_an_ambiguous_factor_label_asks_for_the_slug(ws):
    with open_store(ws) as store:
        with pytest.raises(InvalidInput, match="no factor matches 'Nothing like it'"):
            run_query(store, named_query("factor-evidence"), {"factor": "Nothing like it"})


def test_terms_bound_by_a_caller_are_checked_before_the_query_runs(ws):
    with open_store(ws) as store:
        before = snapshot(store)
        with pytest.raises(InvalidQuery, match="is not a valid IRI"):
            run_query(store, "SELECT ?f WHERE { ?f a ?t }", bindings={"t": rdflib.URIRef("x> } ?s ?p ?o {")})
        with pytest.raises(InvalidQuery, match="an IRI or a literal only"):
            run_query(store, "SELECT ?f WHERE { ?f a ?t }", bindings={"t": rdflib.BNode()})
        with pytest.raises(InvalidQuery, match="not a SPARQL variable name"):
            run_query(store, "SELECT ?f WHERE { ?f a ?t }", bindings={"t) {} ?s": rdflib.Literal("x")})
        rows = run_query(store, "SELECT ?f WHERE { ?f skos:prefLabel ?l }", bindings={"l": rdflib.Literal(NASTY)}).records()
        assert rows == [{"f": str(FACTOR.a)}] and snapshot(store) == before


def test_a_parameter_outside_the_projection_is_bound_too(ws):
    # values are bound as a leading VALUES block, which needs no projected variable
    with open_store(ws) as store:
        rows = run_query(store, "SELECT ?f WHERE { ?f a ckg:Factor ; ckg:category ?c }", {"c": "category:impunity"}).records()
    assert rows == [{"f": str(FACTOR.a)}]


# -- malformed queries ------------------------------------------------------------------------------


def test_a_malformed_query_gives_the_position_and_a_hint(ws):
    broken = parse_query_text("# broken\nSELECT ?x WHERE {\n  ?x ?y ?z . FILTER(?x = }\n", "broken")
    with open_store(ws) as store:
        with pytest.raises(InvalidQuery) as err:
            run_query(store, broken)
    message = str(err.value)
    assert message.startswith("broken.rq: line 3, column 27: expected one of")
    assert "    ?x ?y ?z . FILTER(?x = }\n" + " " * 30 + "^" in message
    assert "\nHint: the parser stopped here" in message


def test_an_unknown_prefix_is_named(ws):
    with open_store(ws) as store:
        with pytest.raises(InvalidQuery, match=r"(?s)query: line 1, column \d+: unknown prefix 'foo:'.*PREFIX foo:"):
            run_query(store, "SELECT ?x WHERE { ?x foo:bar ?z }")


def test_a_malformed_parameter_declaration_names_the_line():
    with pytest.raises(InvalidQuery, match=r"q.rq: line 2: unknown parameter type 'colour'"):
        parse_query_text("# q\n# param: x (colour) - what\nSELECT ?x {}", "q")


def test_an_unknown_named_query_suggests_the_closest():
    with pytest.raises(UnknownQuery, match="Did you mean: factors-by-category"):
        named_query("factors-by-categroy")


def test_load_query_tells_names_from_text():
    assert load_query("sessions").name == "sessions"
    assert load_query("SELECT * { ?s ?p ?o }").where == "query"
    assert load_query(text="ASK {}", source="q.rq").where == "q.rq"
    with pytest.raises(InvalidInput):
        load_query("sessions", text="ASK {}")


# -- result kinds and formats -----------------------------------------------------------------------

SELECT = "SELECT ?f ?label WHERE { ?f a ckg:Factor ; skos:prefLabel ?label } ORDER BY ?label"


def test_table_and_plain_formats(ws):
    with open_store(ws) as store:
        r = run_query(store, SELECT)
        table = r.serialize()
        rows = list(csv.DictReader(io.StringIO(r.serialize("csv"))))
        tsv = r.serialize("tsv").splitlines()
        js = json.loads(r.serialize("json"))
        jl = [json.loads(line) for line in r.serialize("jsonl").splitlines()]
        md = r.serialize("md").splitlines()
    assert table.splitlines()[0].split() == ["f", "label"]
    assert "factor:b" in table and "Porous borders" in table
    assert rows[0] == {"f": str(FACTOR.b), "label": "Porous borders"}
    assert rows[1]["label"] == NASTY
    assert tsv[0] == "f\tlabel"
    assert js == jl and js[0] == {"f": str(FACTOR.b), "label": "Porous borders"}
    assert md[0] == "| f | label |" and md[1] == "|---|---|"


def test_w3c_results_formats(ws):
    with open_store(ws) as store:
        out = {fmt: run_query(store, SELECT).serialize(fmt) for fmt in ("sparql-json", "sparql-xml", "sparql-csv", "sparql-tsv")}
    data = json.loads(out["sparql-json"])
    assert data["head"]["vars"] == ["f", "label"]
    assert data["results"]["bindings"][0]["f"] == {"type": "uri", "value": str(FACTOR.b)}
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(out["sparql-xml"])
    assert [v.get("name") for v in root.findall("s:head/s:variable", ns)] == ["f", "label"]
    assert root.findall("s:results/s:result", ns)[0].find("s:binding/s:uri", ns).text == str(FACTOR.b)
    assert out["sparql-csv"].splitlines()[0] == "f,label"
    assert out["sparql-tsv"].splitlines()[0] == "?f\t?label"
    assert f"<{FACTOR.b}>" in out["sparql-tsv"]


def test_w3c_formats_after_the_rows_were_read(ws):
    with open_store(ws) as store:
        r = run_query(store, SELECT)
        assert len(r.rows) == 2
        native = json.loads(run_query(store, SELECT).serialize("sparql-json"))
        ours = json.loads(r.serialize("sparql-json"))
    assert ours == native


def test_construct_and_describe_give_rdf(ws):
    q = "CONSTRUCT { ?f skos:prefLabel ?l } WHERE { ?f a ckg:Factor ; skos:prefLabel ?l }"
    expected = rdflib.Graph()
    expected.add((FACTOR.a, rdflib.SKOS.prefLabel, rdflib.Literal(NASTY)))
    expected.add((FACTOR.b, rdflib.SKOS.prefLabel, rdflib.Literal("Porous borders")))
    with open_store(ws) as store:
        r = run_query(store, q)
        assert r.kind == "CONSTRUCT"
        for fmt, parse_as in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml")):
            assert isomorphic(rdflib.Graph().parse(data=r.serialize(fmt), format=parse_as), expected), fmt
        d = run_query(store, "DESCRIBE factor:b")
        assert d.kind == "DESCRIBE"
        g = rdflib.Graph().parse(data=d.serialize(), format="turtle")
        assert (FACTOR.b, rdflib.SKOS.prefLabel, rdflib.Literal("Porous borders")) in g
        with pytest.raises(InvalidInput, match="returns triples"):
            r.serialize("csv")
        with pytest.raises(InvalidInput, match="returns a table"):
            run_query(store, SELECT).serialize("ttl")


def test_ask(ws):
    with open_store(ws) as store:
        r = run_query(store, "ASK { factor:b a ckg:Factor }")
        assert r.kind == "ASK" and r.boolean is True
        assert json.loads(r.serialize("sparql-json"))["boolean"] is True
        assert "true" in run_query(store, "ASK { factor:b a ckg:Factor }").serialize("table")


def test_format_rows_aligns_numbers_and_cuts_long_cells():
    text = format_rows(["name", "n"], [{"name": "x" * 80, "n": 3}, {"name": "y", "n": 12}])
    lines = text.splitlines()
    assert lines[2].endswith(" 3") and lines[3].endswith("12")
    assert "…" in lines[2] and len(lines[2]) < 70


def test_format_rows_aligns_wide_characters_by_display_width():
    from crimekg.graph.tables import display_width

    rows = [{"label": "国境管理の脆弱さ", "n": 1}, {"label": "Nigeria", "n": 22}, {"label": "ไนจีเรีย", "n": 3}, {"label": "Нигерия", "n": 4}]
    lines = format_rows(["label", "n"], rows).splitlines()
    # every line ends at the same terminal column: the numbers line up under their header
    assert len({display_width(line) for line in lines}) == 1, lines
    assert lines[2] == "国境管理の脆弱さ   1" and lines[3] == "Nigeria           22"
    # a wide cell is cut by columns, not characters
    cut = format_rows(["label"], [{"label": "汚" * 50}], max_width=10).splitlines()[2]
    assert display_width(cut) <= 10 and cut.endswith("…")


@pytest.mark.parametrize("fmt, sep", [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv_cells_that_a_spreadsheet_would_run_get_an_apostrophe(fmt, sep):
    cells = ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Nigeria", "a=b", "国境"]
    text = format_rows(["v", "n"], [{"v": c, "n": -5} for c in cells], fmt)
    got = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep)][1:]
    # (a carriage return is written as a line break, which the writer quotes: it cannot end the row)
    assert [r[0] for r in got] == ["'" + c.replace("\r", "\n") for c in cells[:6]] + cells[6:]
    assert {r[1] for r in got} == {"-5"}  # numbers are written as they are


def test_query_command_csv_escapes_formulas(runner, ws):
    result = runner.invoke(cli, ["query", 'SELECT ?x WHERE { BIND("=1+2" AS ?x) }', "--format", "csv", "--store", ws])
    assert result.exit_code == 0, result.output
    assert result.stdout == "x\n'=1+2\n"
    result = runner.invoke(cli, ["query", 'SELECT ?x WHERE { BIND("=1+2" AS ?x) }', "--format", "sparql-csv", "--store", ws])
    assert result.stdout.split() == ["x", "=1+2"]  # the W3C format keeps every value for other tools
    assert "leading '" in runner.invoke(cli, ["query", "--help"]).output


# -- the commands -----------------------------------------------------------------------------------


def test_query_command_named_with_params(runner, tmp_path):
    path = str(tmp_path / "ex")
    with init_store(path) as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    result = runner.invoke(cli, ["query", "factors-by-place", "--param", "place=Western Africa", "--format", "csv", "--store", path])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 8 and {r["place"] for r in rows} == {"https://w3id.org/crimekg/place/m49/011"}


def test_query_command_inline_file_and_stdin(runner, ws, tmp_path):
    inline = runner.invoke(cli, ["query", SELECT, "--store", ws, "--format", "json"])
    assert inline.exit_code == 0, inline.output
    qfile = tmp_path / "q.rq"
    qfile.write_text(SELECT)
    from_file = runner.invoke(cli, ["query", "-f", str(qfile), "--store", ws, "--format", "json"])
    from_stdin = runner.invoke(cli, ["query", "-f", "-", "--store", ws, "--format", "json"], input=SELECT)
    assert json.loads(inline.stdout) == json.loads(from_file.stdout) == json.loads(from_stdin.stdout)
    out = tmp_path / "out.csv"
    written = runner.invoke(cli, ["query", SELECT, "--store", ws, "--format", "csv", "-o", str(out)])
    assert written.exit_code == 0 and out.read_text().startswith("f,label")


def test_query_command_errors(runner, ws, tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?y }")
    result = runner.invoke(cli, ["query", "-f", str(bad), "--store", ws])
    assert result.exit_code == 1
    assert f"{bad}: line 1, column 26:" in result.output and "Hint:" in result.output
    result = runner.invoke(cli, ["query", "factors-by-categroy", "--store", ws])
    assert result.exit_code == 1 and "Did you mean: factors-by-category" in result.output
    result = runner.invoke(cli, ["query", "sessions", "--param", "oops", "--store", ws])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output
    result = runner.invoke(cli, ["query", "--store", ws])
    assert result.exit_code == 1 and "give a query" in result.output
    # regression: a query file that is not UTF-8 ended in a UnicodeDecodeError traceback
    binary = tmp_path / "binary.rq"
    binary.write_bytes(b"\xff\xfeS\x00E\x00")
    result = runner.invoke(cli, ["query", "-f", str(binary), "--store", ws])
    assert result.exit_code == 2 and f"{binary}: not UTF-8 text (invalid start byte at byte 0)" in result.output


def test_injection_through_the_command_changes_nothing(runner, ws):
    with open_store(ws) as store:
        before = snapshot(store)
    result = runner.invoke(cli, ["query", "factors-search", "--param", f"text={NASTY}", "--format", "json", "--store", ws])
    assert result.exit_code == 0, result.output
    assert [r["label"] for r in json.loads(result.stdout)] == [NASTY]
    with open_store(ws) as store:
        assert snapshot(store) == before


def test_queries_command_lists_every_query_with_its_parameters(runner):
    result = runner.invoke(cli, ["queries"])
    assert result.exit_code == 0, result.output
    for name, q in named_queries().items():
        assert f"{name}" in result.output and q.description in result.output
    assert "factors-by-place place=place\n" in result.output
    assert "factors-by-category [category=concept:category]\n" in result.output
    shown = runner.invoke(cli, ["queries", "factors-by-place"])
    assert shown.output == named_query("factors-by-place").text


def test_named_query_files_are_read_once_per_process():
    from crimekg.graph import brief, query

    first = query.named_query_text("factors-by-category")
    hits = query.named_query_text.cache_info().hits
    assert query.named_query_text("factors-by-category") is first
    assert query.named_query_text.cache_info().hits == hits + 1
    assert query.named_queries()["factors-by-category"] is query.named_queries()["factors-by-category"]
    # the brief runs its queries through the same runner, so through the same cache
    assert brief.run_query is query.run_query and brief.named_query is query.named_query
