"""Contribution sheets: every input format, good and broken, and what the store holds afterwards."""

from __future__ import annotations

import csv
import io
import json

import pytest
import rdflib
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crimekg import ontology
from crimekg.cli import cli
from crimekg.graph.contributions import Vocabulary
from crimekg.graph.importers.contributions import check_rows, plan_contributions
from crimekg.graph.sessions import session_changeset
from crimekg.graph.errors import InvalidInput
from crimekg.graph.store import graph_iri, init_store
from crimekg.graph.validate import validate
from tests.helpers import snapshot

CKG = rdflib.Namespace(ontology.CKG)
HEADER = ["text", "kind", "category", "crime type", "actor", "level", "country or region", "local place",
          "exercise question", "group", "contributor code"]
GOOD = [
    ["Bribery at checkpoints", "factor", "enabling factor", "TIP", "traffickers", "national", "Ghana", "", "2a", "Group A", "P01"],
    ["Smugglers paid in instalments", "", "b", "SOM", "smugglers", "regional", "MEX; GTM", "", "", "Group C", "P10"],
    ["Girls from Edo State sent to Italy", "pattern", "", "trafficking", "", "regional", "NGA; Italy", "Benin City", "2", "Group A", "P01"],
    ["Police case database", "data source", "", "TIP", "", "national", "NG", "", "1", "Group A", "P02"],
]


def write_csv(path, rows, header=HEADER, delimiter=",", encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def run_import(ws, path, *args):
    return CliRunner().invoke(cli, ["import", str(path), "--session", "s1", "--store", ws, *args])


@pytest.fixture
def ws(tmp_path):
    with init_store(tmp_path / "ws") as store:
        store.write(session_changeset(store, "s1", title="Room 2", on="2026-03-17", place="Japan"))
    return str(tmp_path / "ws")


def stored(ws):
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        return snapshot(store)


def contribution_texts(ws):
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        return sorted(str(r["t"]) for r in store.select("SELECT ?t WHERE { ?c a ckg:Contribution ; ckg:text ?t }"))


# --- good files in every format ----------------------------------------------------------------


def _xlsx(path, rows, header=HEADER):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Contributions"
    wb.active.append(header)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def _records(rows):
    return [dict(zip(HEADER, r)) for r in rows]


@pytest.mark.parametrize("fmt", ["csv-comma", "csv-semicolon", "csv-bom", "csv-cp1252", "xlsx", "json", "yaml"])
def test_every_format_imports_the_same_contributions(ws, tmp_path, fmt):
    rows = [list(r) for r in GOOD]
    rows[0][0] = "Bribery at checkpoints – “tips” café"  # characters that differ between encodings
    extra = []
    if fmt == "csv-comma":
        path = write_csv(tmp_path / "s.csv", rows)
    elif fmt == "csv-semicolon":
        path = write_csv(tmp_path / "s.csv", rows, delimiter=";")
    elif fmt == "csv-bom":
        path = write_csv(tmp_path / "s.csv", rows, encoding="utf-8-sig")
    elif fmt == "csv-cp1252":
        path = write_csv(tmp_path / "s.csv", rows, encoding="cp1252")
        extra = ["--encoding", "cp1252"]
    elif fmt == "xlsx":
        path = _xlsx(tmp_path / "s.xlsx", rows)
    elif fmt == "json":
        path = tmp_path / "s.json"
        path.write_text(json.dumps({"contributions": _records(rows)}), encoding="utf-8")
    else:
        import yaml

        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(_records(rows), allow_unicode=True), encoding="utf-8")
    result = run_import(ws, path, *extra)
    assert result.exit_code == 0, result.output
    assert "4 stored, 0 rejected, 4 contributions, 2 new factors" in result.output
    assert contribution_texts(ws) == sorted(r[0] for r in rows)
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        assert validate(store).conforms
        cats = {str(r["c"]).rsplit("/", 1)[-1] for r in store.select("SELECT ?c WHERE { ?f a ckg:Factor ; ckg:category ?c }")}
        assert cats == {"enabling", "profiting"}
        places = {str(r["p"])[-3:] for r in store.select("SELECT ?p WHERE { ?c a ckg:Contribution ; ckg:place ?p }")}
        assert places == {"GHA", "MEX", "GTM", "NGA", "ITA"}


def test_reimport_leaves_the_store_byte_identical(ws, tmp_path):
    path = write_csv(tmp_path / "s.csv", GOOD)
    assert run_import(ws, path).exit_code == 0
    before = stored(ws)
    result = run_import(ws, path)
    assert result.exit_code == 0, result.output
    assert "0 new factors" in result.output
    assert stored(ws) == before


def test_contribution_iris_are_stable_and_time_defaults_to_the_session_date(ws, tmp_path):
    path = write_csv(tmp_path / "s.csv", GOOD[:1])
    assert run_import(ws, path).exit_code == 0
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        rows = store.select("SELECT ?c ?t WHERE { ?c a ckg:Contribution ; prov:generatedAtTime ?t }")
    assert len(rows) == 1
    assert str(rows[0]["c"]).startswith(ontology.DATA + "contribution/s1/")
    assert str(rows[0]["t"]) == "2026-03-17T00:00:00"


# --- broken files: exact messages, nothing stored ---------------------------------------------


BROKEN = {
    "wrong category": (
        [["Bribery", "factor", "enablng", "TIP", "", "", "", "", "", "", "P01"]],
        's.csv: row 2, column "category": "enablng" is not a category. Allowed: Enabling, Profiting, Concealment, Impunity. Did you mean "Enabling"?',
    ),
    "unknown country": (
        [["Bribery", "factor", "enabling", "TIP", "", "", "Atlantis", "", "", "", "P01"]],
        's.csv: row 2, column "country or region": "Atlantis" is not a known country or region. Use a country name, an ISO code (JP or JPN) or a UN M49 region name; write towns under "local place".',
    ),
    "misspelt country": (
        [["Bribery", "factor", "enabling", "TIP", "", "", "Nigria", "", "", "", "P01"]],
        's.csv: row 2, column "country or region": "Nigria" is not a known country or region. Use a country name, an ISO code (JP or JPN) or a UN M49 region name; write towns under "local place". Did you mean "Nigeria"?',
    ),
    "missing text": (
        [["", "factor", "enabling", "TIP", "", "", "", "", "", "", "P01"]],
        's.csv: row 2, column "text": the text is empty; write what the participant said (or delete the row)',
    ),
    "duplicated row": (
        [GOOD[0], GOOD[1], GOOD[0]],
        "s.csv: row 4: this row repeats row 2 (same text, question, contributor and group); delete one of them",
    ),
    "unknown kind": (
        [["Bribery", "factr", "enabling", "TIP", "", "", "", "", "", "", "P01"]],
        's.csv: row 2, column "kind": "factr" is not a kind. Allowed: factor, pattern, data source, information gap, response. Did you mean "factor"?',
    ),
    "unknown question": (  # the allowed questions in the exercise's order, whatever order the store gives
        [["Bribery", "factor", "enabling", "TIP", "", "", "", "", "2z", "", "P01"]],
        's.csv: row 2, column "exercise question": "2z" is not an exercise question. Allowed: 1, 2, 2a, 2b, 2c, 2d.',
    ),
    "a name as contributor": (
        [["Bribery", "factor", "enabling", "TIP", "", "", "", "", "", "", "John Smith"]],
        's.csv: row 2, column "contributor code": "John Smith" is not a contributor code: use a short pseudonym such as P07 (this session accepts codes matching ^[A-Z]{1,3}\\d{1,4}$); never a person\'s name',
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_rows_are_refused_with_every_problem_and_nothing_stored(ws, tmp_path, case):
    rows, message = BROKEN[case]
    path = write_csv(tmp_path / "s.csv", [*rows, GOOD[3]] if case != "duplicated row" else rows)
    before = stored(ws)
    result = run_import(ws, path)
    assert result.exit_code == 1
    err = result.output.replace(str(tmp_path) + "/", "")
    assert "have problems; nothing was stored. Fix them, or add --skip-invalid" in err
    assert message in err.splitlines()
    assert stored(ws) == before


FILE_ERRORS = {
    "empty.csv": (b"", "empty.csv: the file is empty; fill in a sheet made by `crimekg template` and import it again"),
    "blank.csv": (b"  \n\n", "blank.csv: the file is empty; fill in a sheet made by `crimekg template` and import it again"),
    "header.csv": (b"text,kind\n", "header.csv: the sheet has a header but no rows; nothing to import"),
    "photo.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
                  "photo.csv: not a spreadsheet (binary data); crimekg reads CSV, XLSX, JSON or YAML made from `crimekg template`"),
    "fake.xlsx": (b"this is not a workbook", "fake.xlsx: not an XLSX workbook (File is not a zip file); save it from your spreadsheet program as .xlsx or CSV"),
    "extra.csv": (b"text,kind,Notes\nBribery,factor,x\n",
                  'extra.csv: unknown column(s) "Notes"; a contributions sheet has the columns text, label, kind, category, crime type, actor, level, country or region, local place, exercise question, group, contributor code, time, topic, addresses, owner, collection method, sharing arrangement, update frequency, access, effectiveness evidence, id, language. Rename or delete the extra columns; nothing was stored.'),
    "typo.csv": (b"txt,kind\nBribery,factor\n", None),
    "cp1252.csv": ("text,category\nCaf\u00e9 owners pay,enabling\n".encode("cp1252"),
                   "cp1252.csv: line 2: byte 0xe9 is not valid utf-8; a file saved by Excel on Windows is usually Windows-1252: add --encoding cp1252"),
    "bad.json": (b'{"contributions": [ {"text": 1,, ]}', "bad.json: line 1, column 32: not valid JSON (Expecting property name enclosed in double quotes)"),
    "list.yaml": (b"- just a string\n", "list.yaml: record 1 is not an object with named fields (got str)"),
    "notes.ttl": (b"@prefix ex: <http://example.org/> .\n", None),
}


@pytest.mark.parametrize("name", sorted(FILE_ERRORS))
def test_files_that_cannot_be_read_give_one_clear_message(ws, tmp_path, name):
    data, message = FILE_ERRORS[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = stored(ws)
    result = run_import(ws, path)
    assert result.exit_code == 1
    err = result.output.replace(str(tmp_path) + "/", "").strip()
    if name == "typo.csv":
        assert err == ('Error: typo.csv: unknown column(s) "txt" (did you mean "text"?); a contributions sheet has the columns '
                       "text, label, kind, category, crime type, actor, level, country or region, local place, exercise question, "
                       "group, contributor code, time, topic, addresses, owner, collection method, sharing arrangement, update frequency, access, effectiveness evidence, id, language. Rename or delete the extra columns; nothing was stored.")
    elif name == "notes.ttl":
        assert "notes.ttl: not a file crimekg recognises" in err
    else:
        assert err == "Error: " + message
    assert stored(ws) == before


def test_skip_invalid_stores_the_good_rows_and_writes_the_rejected_ones(ws, tmp_path):
    rows = [GOOD[0], BROKEN["wrong category"][0][0], GOOD[1], BROKEN["unknown country"][0][0]]
    path = write_csv(tmp_path / "s.csv", rows)
    result = run_import(ws, path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "4 rows, 2 stored, 2 rejected" in result.output
    assert contribution_texts(ws) == sorted([GOOD[0][0], GOOD[1][0]])
    rejected = list(csv.DictReader((tmp_path / "s.csv.rejected.csv").open(encoding="utf-8")))
    assert [r["text"] for r in rejected] == ["Bribery", "Bribery"]
    assert rejected[0]["problem"].startswith('category: "enablng" is not a category.')


def test_skip_invalid_with_an_unwritable_rejected_file_stores_nothing(ws, tmp_path):
    # regression: the good rows were stored, then the rejected file failed and the command reported an error
    rows = [GOOD[0], BROKEN["wrong category"][0][0]]
    path = write_csv(tmp_path / "s.csv", rows)
    before = stored(ws)
    result = run_import(ws, path, "--skip-invalid", "--rejected", str(tmp_path / "missing" / "r.csv"))
    assert result.exit_code == 1
    assert "r.csv: No such file or directory" in result.output
    assert stored(ws) == before


def test_a_ten_thousand_row_file_imports_and_a_bad_last_row_stores_nothing(ws, tmp_path):
    rows = [[f"Factor number {i}", "factor", ["enabling", "profiting", "concealment", "impunity"][i % 4], "TIP", "",
             "", "JPN", "", "", f"Group {i % 5}", f"P{i % 40:02d}"] for i in range(10_000)]
    bad = write_csv(tmp_path / "bad.csv", rows[:-1] + [["Last one", "factor", "enabling", "TIP", "", "", "Narnia", "", "", "", "P01"]])
    before = stored(ws)
    result = run_import(ws, bad)
    assert result.exit_code == 1
    assert 'bad.csv: row 10001, column "country or region": "Narnia" is not a known country or region.' in result.output
    assert stored(ws) == before
    good = write_csv(tmp_path / "good.csv", rows)
    result = run_import(ws, good)
    assert result.exit_code == 0, result.output
    assert "10,000 stored" in result.output
    assert len(contribution_texts(ws)) == 10_000


def test_forgiving_matching_reads_labels_from_the_workspace(ws):
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        vocab = Vocabulary.from_store(store)
    enabling = rdflib.URIRef(ontology.CONCEPT + "category/enabling")
    for word in ("Enabling", "enabling factor", "2a", "a", " ENABLING "):
        assert vocab.match("category", word) == enabling, word
    tip = rdflib.URIRef(ontology.CONCEPT + "crime/trafficking-in-persons")
    for word in ("TIP", "trafficking", "Trafficking in persons"):
        assert vocab.match("crime", word) == tip
    japan = rdflib.URIRef(ontology.PLACE + "JPN")
    for word in ("Japan", "JP", "jpn"):
        assert vocab.match("place", word) == japan
    assert vocab.match("place", "Eastern Asia") == rdflib.URIRef(ontology.PLACE + "m49/030")


# --- property: exactly the valid rows, or nothing ---------------------------------------------

VALID = {
    "text": ["Bribery at checkpoints", "Debt bondage", "Porous borders", "Fear of police", "Fake job ads"],
    "category": ["enabling", "2b", "c", "Impunity", ""],
    "place": ["Japan", "PHL", "NG", "", "Eastern Asia"],
    "contributor": ["P01", "P02", "X9", ""],
}
INVALID = {
    "text": ["", "   "],
    "category": ["enablng", "6z"],
    "place": ["Atlantis", "Middle Earth"],
    "contributor": ["John Smith", "a b", "x-9", "Maria.Garcia"],
}
FIELDS_ORDER = ["text", "category", "place", "contributor"]


@st.composite
def sheet_rows(draw):
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = {}
        ok = True
        for f in FIELDS_ORDER:
            if draw(st.integers(0, 9)) == 0:
                row[f] = draw(st.sampled_from(INVALID[f]))
                ok = False
            else:
                row[f] = draw(st.sampled_from(VALID[f]))
        rows.append((row, ok))
    return rows


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    store = init_store(tmp_path_factory.mktemp("prop") / "ws")
    yield store
    store.close()


_counter = iter(range(10**6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=sheet_rows(), skip=st.booleans())
def test_import_stores_exactly_the_valid_rows_or_nothing(shared_store, tmp_path_factory, rows, skip):
    store = shared_store
    session = f"s{next(_counter)}"
    d = tmp_path_factory.mktemp("sheet")
    store.write(session_changeset(store, session, title="Room"))
    before = snapshot(store)
    path = write_csv(d / "s.csv", [[r["text"], "factor", r["category"] or "enabling", "", "", "", r["place"], "", "", "", r["contributor"]]
                                   for r, _ in rows])
    expected, seen = [], set()
    for r, ok in rows:
        question = {"": "a", "enabling": "a", "2b": "b", "c": "c", "Impunity": "d"}.get(r["category"])
        key = (r["text"].strip(), question, r["contributor"])
        if ok and key not in seen:
            expected.append(r["text"])
            seen.add(key)
    all_valid = len(expected) == len(rows)
    try:
        plan = plan_contributions(store, path, session, skip_invalid=skip)
    except InvalidInput:
        assert not skip and not all_valid
        assert snapshot(store) == before
        return
    assert skip or all_valid
    store.write(plan.changes)
    texts = sorted(str(r["t"]) for r in store.select(
        f"SELECT ?t WHERE {{ ?c a ckg:Contribution ; ckg:text ?t ; prov:wasGeneratedBy <{ontology.SESSION}{session}> }}"))
    assert texts == sorted(expected)
    assert plan.summary["rejected"] == len(rows) - len(expected)


def test_check_rows_derives_kind_category_and_question(ws):
    from crimekg.graph.sheets import Sheet

    vocab = Vocabulary.bundled()
    sheet = Sheet("s.csv", "csv", ["text", "question"], [(2, {"text": "Fear of police", "question": "2c"}),
                                                        (3, {"text": "A hotline", "question": "1"})])
    records, problems = check_rows(sheet, vocab)
    assert not problems
    assert [r.kind for r in records] == ["Factor", "DataSource"]
    assert str(records[0].categories[0]).endswith("/concealment")


def test_a_place_is_any_name_the_places_carry_misspellings_and_other_languages_too(ws, tmp_path):
    # the same names an evidence import accepts: hidden labels (misspellings, demonyms) included
    from crimekg.graph.sheets import Sheet
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        vocab = Vocabulary.from_store(store)
    sheet = Sheet("s.csv", "csv", ["text", "category", "country"], [
        (2, {"text": "Boats leave from the coast", "category": "enabling", "country": "Lybia; 日本; Japón; Western Africa; 566"}),
        (3, {"text": "Recruiters in the capital", "category": "profiting", "country": "Lybiaa"}),
    ])
    records, problems = check_rows(sheet, vocab)
    assert [str(p)[len(ontology.PLACE):] for p in records[0].places] == ["LBY", "JPN", "m49/011", "NGA"]
    assert [p.value for p in problems[3]] == ["Lybiaa"]
    path = write_csv(tmp_path / "s.csv", [["Boats leave from Lybia", "factor", "enabling", "", "", "", "Lybia", "", "", "", ""]])
    result = run_import(ws, path)
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        places = {str(r["p"]) for r in store.select("SELECT ?p WHERE { ?c a ckg:Contribution ; ckg:place ?p }")}
    assert places == {ontology.PLACE + "LBY"}


def test_graph_name_of_a_session():
    assert graph_iri("contributions/s1").endswith("/graph/contributions/s1")


def test_example_files_are_recognised_as_contributions():
    from crimekg.graph.importers import detect_source
    from tests.helpers import ROOT

    for name in ("example-contributions.csv", "example-contributions.xlsx", "example-links.csv"):
        assert detect_source(ROOT / "examples" / name) == "contributions"


def test_a_response_addresses_factors_of_the_same_sheet_or_is_refused(ws, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,kind,category,addresses\nBribery at checkpoints,factor,enabling,\n"
                    "Rotate officers,response,,bribery at checkpoints; Porous borders\n", encoding="utf-8")
    before = stored(ws)
    result = run_import(ws, path)
    assert result.exit_code == 1
    assert ('r.csv: row 3, column "addresses": no factor called "Porous borders" in the workspace or this sheet; '
            "use a factor's exact label (or its IRI)") in result.output.replace(str(tmp_path) + "/", "")
    assert stored(ws) == before
    path.write_text("text,kind,category,addresses\nBribery at checkpoints,factor,enabling,\n"
                    "Rotate officers,response,,bribery at checkpoints\n", encoding="utf-8")
    assert run_import(ws, path).exit_code == 0
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        rows = store.select("SELECT ?r ?f WHERE { ?r ckg:addresses ?f }")
        assert [str(r["f"]).rsplit("/", 1)[-1] for r in rows] == ["bribery-at-checkpoints"]
        assert validate(store).conforms


def test_links_sheet_good_and_broken(ws, tmp_path):
    write_csv(tmp_path / "s.csv", GOOD)
    assert run_import(ws, tmp_path / "s.csv").exit_code == 0
    links = tmp_path / "links.csv"
    links.write_text("from,relation,to,polarity,strength\nBribery,enables,Smugglers paid,+,0.7\n"
                     "Bribery,enabels,Nothing like it,x,2\n", encoding="utf-8")
    before = stored(ws)
    result = run_import(ws, links)
    assert result.exit_code == 1
    lines = result.output.replace(str(tmp_path) + "/", "").splitlines()
    assert lines[1:] == [
        'links.csv: row 3, column "relation": "enabels" is not a relation. Allowed: causes, conceals, counters, enables, facilitates, finances, reinforces, shields. Did you mean "enables"?',
        'links.csv: row 3, column "polarity": "x" is not a polarity: use + or -',
        'links.csv: row 3, column "strength": "2" is not a strength: use a number between 0 and 1, such as 0.7',
    ]
    assert stored(ws) == before
    links.write_text("from,relation,to,polarity,strength\nBribery,enables,Smugglers paid,+,0.7\n", encoding="utf-8")
    result = run_import(ws, links)
    assert result.exit_code == 0, result.output
    from crimekg.graph.store import open_store

    with open_store(ws) as store:
        row = store.select("SELECT ?l ?s WHERE { ?l a ckg:FactorLink ; ckg:strength ?s }")[0]
        assert str(row["l"]).endswith("/bribery-at-checkpoints--enables--smugglers-paid-in-instalments")
        assert validate(store).conforms


@pytest.mark.parametrize("fmt", ["csv-semicolon", "xlsx", "json", "yaml"])
def test_a_wrong_category_is_refused_in_every_format(ws, tmp_path, fmt):
    rows = [GOOD[0], ["Bribery", "factor", "enablng", "TIP", "", "", "", "", "", "", "P01"]]
    if fmt == "csv-semicolon":
        path, where = write_csv(tmp_path / "s.csv", rows, delimiter=";"), "row 3"
    elif fmt == "xlsx":
        path, where = _xlsx(tmp_path / "s.xlsx", rows), "row 3"
    elif fmt == "json":
        path, where = tmp_path / "s.json", "record 2"
        path.write_text(json.dumps(_records(rows)), encoding="utf-8")
    else:
        import yaml

        path, where = tmp_path / "s.yaml", "record 2"
        path.write_text(yaml.safe_dump({"contributions": _records(rows)}), encoding="utf-8")
    before = stored(ws)
    result = run_import(ws, path)
    assert result.exit_code == 1
    assert (f'{path.name}: {where}, column "category": "enablng" is not a category. Allowed: Enabling, Profiting, '
            'Concealment, Impunity. Did you mean "Enabling"?') in result.output.replace(str(tmp_path) + "/", "").splitlines()
    assert stored(ws) == before


def test_reimport_after_harmonising_changes_nothing(ws, tmp_path):
    path = write_csv(tmp_path / "s.csv", GOOD + [["bribery at the checkpoints", "factor", "enabling", "TIP", "traffickers", "", "Ghana", "", "2a", "Group B", "P05"]])
    assert run_import(ws, path).exit_code == 0
    result = CliRunner().invoke(cli, ["harmonize", "--yes", "--store", ws])
    assert "1 merged" in result.output
    before = stored(ws)
    assert run_import(ws, path).exit_code == 0
    assert stored(ws) == before


# --- big imports: the same graph as small ones, built without rdflib terms ------------------------

SCRIPT_TEXTS = ["国境管理の脆弱さ", "边境管理薄弱", "Коррупция на границе", "ضعف الرقابة على الحدود", "การทุจริตที่ชายแดน",
                "Corrupción de funcionarios en la frontera"]
KINDS_ROWS = [("factor", "enabling"), ("pattern", ""), ("data source", ""), ("information gap", ""), ("response", "")]


def _every_kind_sheet(path, n):
    rows = []
    for i in range(n):
        kind, category = KINDS_ROWS[i % 5]
        text = f'{SCRIPT_TEXTS[i % 6]} "{i // 2}"'  # pairs of rows share a factor or an item
        rows.append([text, kind, category, ["TIP", "SOM", "TIP; SOM"][i % 3], "", "national", ["Nigeria", "JPN", "MEX; GTM"][i % 3],
                     "大阪" if i % 4 == 0 else "", "", f"Group {i % 3}", f"P{i % 7:02d}"])
    return write_csv(path, rows)


def test_a_big_import_stores_what_small_ones_store(tmp_path, monkeypatch):
    """The N-Triples file a big import hands the store (bulk-loaded in slices) and the rdflib triples
    of a small one make the same graph, in every script, with every kind, twice imported."""
    import shutil

    import crimekg.graph.importers.contributions as ic
    import crimekg.graph.store as gs
    from crimekg.graph.privacy import workspace_secret
    from crimekg.graph.store import open_store

    sheet = _every_kind_sheet(tmp_path / "every-kind.csv", 200)
    base = tmp_path / "base"
    with init_store(base) as store:
        store.write(session_changeset(store, "s1", title="Room 2", on="2026-03-17", place="Japan"))
        workspace_secret(store)  # one secret for both copies: the same keys
    shutil.copytree(base, tmp_path / "big")
    shutil.copytree(base, tmp_path / "small")
    with open_store(tmp_path / "small") as store:
        for _ in range(2):
            plan = ic.plan(sheet, store, session="s1")
            assert not plan.changes.ntriples and plan.changes.add  # rdflib triples: what a server looks at
            store.write(plan.changes)
        small = snapshot(store)
    monkeypatch.setattr(ic, "BULK_BYTES", 0)
    monkeypatch.setattr(gs, "BULK_BYTES", 1)
    monkeypatch.setattr(gs, "LOAD_SLICE", 4096)
    with open_store(tmp_path / "big") as store:
        for _ in range(2):
            plan = ic.plan(sheet, store, session="s1")
            (data,) = plan.changes.ntriples.values()
            assert isinstance(data, gs.NTriplesFile) and data.checked
            store.write(plan.changes)
        big = snapshot(store)
    assert big == small
    assert plan.summary == {"rows": 200, "stored": 200, "rejected": 0, "contributions": 200, "new factors": 0}
    with open_store(tmp_path / "big") as store:
        rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?p a ckg:Participant }")
        assert int(rows[0]["n"]) == 7
        langs = {str(r["l"]): r["l"].language for r in store.select("SELECT ?l WHERE { ?c ckg:text ?l }")}
        assert [langs[f'{t} "{i // 2}"'] for i, t in enumerate(SCRIPT_TEXTS)] == ["ja", "zh", "ru", "ar", "th", None]


def test_a_code_the_session_pattern_lets_through_but_no_iri_can_hold_is_one_line_naming_the_row(ws, tmp_path):
    from crimekg.graph.store import Changeset, open_store
    from crimekg.graph.terms import session_iri

    with open_store(ws) as store:
        changes = Changeset()
        changes.add_triples(graph_iri("contributions/s1"), [(session_iri("s1"), CKG.contributorCodePattern, rdflib.Literal(r"^P \d\d$"))])
        store.write(changes)
        before = snapshot(store)
    path = write_csv(tmp_path / "codes.csv", [["ضعف الرقابة", "factor", "enabling", "", "", "", "", "", "", "", "P 07"]])
    result = run_import(ws, path)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{path}: row 2: " in lines[0] and "IRI" in lines[0] and "Nothing was stored" in lines[0], result.output
    assert stored(ws) == before


def test_each_session_reads_its_own_code_pattern(tmp_path):
    """The session is bound as a value of a variable the query does not project."""
    from crimekg.graph.importers.contributions import DEFAULT_CODE_PATTERN, session_code_pattern
    from crimekg.graph.store import Changeset
    from crimekg.graph.terms import session_iri

    with init_store(tmp_path / "ws") as store:
        for sid, pattern in (("s1", r"^A\d$"), ("s2", r"^Б\d$")):
            store.write(session_changeset(store, sid, title=SCRIPT_TEXTS[0], on="2026-03-17", place="Japan"))
            changes = Changeset()
            changes.add_triples(graph_iri("contributions/" + sid), [(session_iri(sid), CKG.contributorCodePattern, rdflib.Literal(pattern))])
            store.write(changes)
        assert [session_code_pattern(store, s) for s in ("s1", "s2", "s3")] == [r"^A\d$", r"^Б\d$", DEFAULT_CODE_PATTERN]
