"""Likely personal details in free text: found in every script, redacted with a marker, and the
example data, the session seed and crimekg's own vocabularies give none."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from crimekg.cli import cli
from crimekg.graph.pii import find_pii, marker, redact, summarise
from crimekg.graph.store import init_store, open_store

from tests.helpers import snapshot

ROOT = Path(__file__).resolve().parent.parent

# (text, the kind found, the text found): each in the middle of text in another script
TRUE_POSITIVES = [
    ("Write to okafor.j@example.org for the file", "e-mail", "okafor.j@example.org"),
    ("詳しくはtanaka@example.jpまで", "e-mail", "tanaka@example.jp"),
    ("Пишите на anna.k@mail.ru или звоните", "e-mail", "anna.k@mail.ru"),
    ("راسلني على ali@example.com شكرا", "e-mail", "ali@example.com"),
    ("ติดต่อsomchai@example.co.thได้", "e-mail", "somchai@example.co.th"),
    ("联系wang.li@example.cn谢谢", "e-mail", "wang.li@example.cn"),
    ("escriba a maria＠example.es hoy", "e-mail", "maria＠example.es"),
    ("Call +234 803 123 4567 after dark", "phone", "+234 803 123 4567"),
    ("電話03-1234-5678まで", "phone", "03-1234-5678"),
    ("電話は０９０－１２３４－５６７８です", "phone", "０９０－１２３４－５６７８"),
    ("Звоните +7 (495) 123-45-67 вечером", "phone", "+7 (495) 123-45-67"),
    ("هاتف ٠١٢٣٤٥٦٧٨٩٠ الآن", "phone", "٠١٢٣٤٥٦٧٨٩٠"),
    ("โทร ๐๘๑-๒๓๔-๕๖๗๘ ได้", "phone", "๐๘๑-๒๓๔-๕๖๗๘"),
    ("电话：+86 10 6552 9988", "phone", "+86 10 6552 9988"),
    ("Llame al 06 12 34 56 78", "phone", "06 12 34 56 78"),
    ("the recruiter's number (020) 7946 0958", "phone", "(020) 7946 0958"),
    ("mobile 0312345678", "phone", "0312345678"),
    ("Mr. John Smith runs the agency", "name", "John Smith"),
    ("Dr Kofi Mensah saw it", "name", "Kofi Mensah"),
    ("La Sra. García lo organiza", "name", "García"),
    ("Demandez à M. Dupont", "name", "Dupont"),
    ("г-н Иванов сказал", "name", "Иванов"),
    ("меня зовут Ольга", "name", "Ольга"),
    ("السيد أحمد", "name", "أحمد"),
    ("仲介は田中さんが担当", "name", "田中"),
    ("ブローカーのマリアさん", "name", "マリア"),
    ("山本氏によれば", "name", "山本"),
    ("我叫王小明", "name", "王小明"),
    ("My name is Maria Lopez", "name", "Maria Lopez"),
    ("ผมชื่อสมชาย", "name", "สมชาย"),
]

# must NOT be flagged: figures, dates, codes and words that look like the patterns
FALSE_POSITIVES = [
    "58,641 victims were detected",
    "between 2014-2025 the numbers rose",
    "2014–2025",
    "session of 2026-03-17T09:42:00+09:00",
    "17/03/2026",
    "ISO 3166-1 alpha-3, M49 011, ISO2 JP",
    "1 234 567 people, 1.234.567 euros",
    "fees of 5,000-10,000 dollars, or 10 000-15 000 euros",
    "victims 120 (2019) 340 (2020)",
    "case TIP-2019-0042 and file 2019/0042",
    "version 192.168.1.1",
    "population 212559417",
    "Group C said the P07 code",
    "皆さん、お父さんとお母さん、多様な仕様、同氏",
    "นายหน้าจัดหางานและนายจ้าง",
    "Dr Kongo, DR Congo",
    "Mr Big",  # a nickname is a name: see the test below
]


@pytest.mark.parametrize("text,kind,found", TRUE_POSITIVES)
def test_found_in_any_script(text, kind, found):
    findings = find_pii(text)
    assert [(f.kind, f.text) for f in findings] == [(kind, found)]
    f = findings[0]
    assert text[f.start:f.end] == found


@pytest.mark.parametrize("text", FALSE_POSITIVES[:-1])
def test_not_flagged(text):
    assert find_pii(text) == []


def test_a_nickname_after_an_honorific_counts_as_a_name():
    assert [(f.kind, f.text) for f in find_pii("Mr Big")] == [("name", "Big")]


@pytest.mark.parametrize("text,kind,found", TRUE_POSITIVES)
def test_redact_leaves_a_marker_and_is_idempotent(text, kind, found):
    once = redact(text)
    assert found not in once
    assert marker(kind) in once
    assert redact(once) == once
    assert find_pii(once) == []


def test_redact_keeps_the_rest_of_the_text():
    text = "Mr Okafor (okafor@example.org, +234 803 123 4567) recruits in Lagos; 58,641 cases."
    assert redact(text) == ("Mr [redacted: name] ([redacted: e-mail], [redacted: phone]) recruits in Lagos; "
                            "58,641 cases.")
    assert redact("no personal detail here") == "no personal detail here"


def test_findings_do_not_overlap_and_come_in_order():
    text = "Ms Jones: jones@example.org or 020 7946 0958; 山田さん"
    findings = find_pii(text)
    assert [f.kind for f in findings] == ["name", "e-mail", "phone", "name"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))


def test_summarise_caps_the_lines():
    lines = [f"row {i}" for i in range(15)]
    out = summarise(lines, limit=10)
    assert out[:10] == lines[:10] and out[10] == "... and 5 more likely personal details" and len(out) == 11
    assert summarise(lines[:3]) == lines[:3]


@pytest.mark.parametrize("name", ["example-contributions.csv", "example-links.csv"])
def test_the_example_sheets_give_no_finding(name):
    with open(ROOT / "examples" / name, encoding="utf-8", newline="") as fh:
        cells = [(i, k, v) for i, row in enumerate(csv.DictReader(fh), 2) for k, v in row.items() if v]
    assert len(cells) > 100
    assert [(i, k, v) for i, k, v in cells if find_pii(v)] == []


@pytest.mark.parametrize("path", sorted((ROOT / "ontology").glob("*.ttl")) + sorted((ROOT / "examples").glob("*.ttl")),
                         ids=lambda p: p.name)
def test_the_session_seed_and_vocabularies_give_no_finding(path):
    g = rdflib.Graph().parse(path)
    literals = {str(o) for o in g.objects() if isinstance(o, rdflib.Literal)}
    assert literals
    assert sorted(t for t in literals if find_pii(t)) == []


# --- at import: warnings with their rows, and --redact ------------------------------------------

# one row per script, each with a likely personal detail; the last row has none
SHEET_ROWS = [
    ("Recruiters call from +234 803 123 4567 and promise jobs", "P01", "phone", "+234 803 123 4567"),
    ("Ask Mr. Okafor about the agency", "P02", "name", "Okafor"),
    ("仲介業者の連絡先はtanaka@example.jp", "P03", "e-mail", "tanaka@example.jp"),
    ("Вербовщик звонит с +7 (495) 123-45-67", "P04", "phone", "+7 (495) 123-45-67"),
    ("السيد أحمد يبيع التأشيرات", "P05", "name", "أحمد يبيع"),
    ("นายหน้าโทร ๐๘๑-๒๓๔-๕๖๗๘", "P06", "phone", "๐๘๑-๒๓๔-๕๖๗๘"),
    ("我叫王小明，负责招募", "P07", "name", "王小明"),
    ("La Sra. García cobra la deuda", "P08", "name", "García"),
    ("Fake visas sold at the border", "P09", None, None),
]


def _cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _sheet(tmp_path, rows=SHEET_ROWS, name="room.csv"):
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category", "contributor code", "group"])
        for text, code, _kind, _found in rows:
            w.writerow([text, "enabling", code, "Group A"])
    return path


def _literals(ws) -> str:
    with open_store(ws) as store:
        return snapshot(store).decode("utf-8")


@pytest.fixture
def ws(tmp_path):
    init_store(tmp_path / "ws").close()
    return tmp_path / "ws"


def test_import_warns_with_the_row_and_column_of_each_finding(tmp_path, ws):
    result = _cli("import", _sheet(tmp_path), "--session", "s1", "--store", ws)
    assert result.exit_code == 0, result.output
    for row, (_text, _code, kind, found) in enumerate(SHEET_ROWS, 2):
        line = f'Warning: {tmp_path / "room.csv"}: row {row}, column "text": likely {kind} "{found}"'
        assert (line in result.stderr) == (kind is not None), line
    assert "likely personal details in 8 place(s)" in result.stderr
    assert "--redact" in result.stderr
    # without --redact the text is stored as written
    stored = _literals(ws)
    assert all(found in stored for _text, _code, kind, found in SHEET_ROWS if kind)


def test_import_redact_stores_markers_and_reimporting_changes_nothing(tmp_path, ws):
    sheet = _sheet(tmp_path)
    result = _cli("import", sheet, "--session", "s1", "--store", ws, "--redact")
    assert result.exit_code == 0, result.output
    assert "(stored redacted)" in result.stderr
    stored = _literals(ws)
    for text, _code, kind, found in SHEET_ROWS:
        if kind:
            assert found not in stored, found
    for kind in ("phone", "name", "e-mail"):
        assert f"[redacted: {kind}]" in stored
    assert "Fake visas sold at the border" in stored
    with open_store(ws) as store:
        before = snapshot(store)
    again = _cli("import", sheet, "--session", "s1", "--store", ws, "--redact")
    assert again.exit_code == 0, again.output
    assert "0 new factors" in again.output
    with open_store(ws) as store:
        assert snapshot(store) == before


def test_the_summary_is_capped(tmp_path, ws):
    rows = [(f"Agent number {i}: call 080-1234-{5600 + i}", f"P{i:02d}", "phone", None) for i in range(15)]
    result = _cli("import", _sheet(tmp_path, rows), "--session", "s1", "--store", ws)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("likely phone") == 10
    assert "... and 5 more likely personal details" in result.stderr


def test_links_sheet_evidence_is_checked_and_redacted(tmp_path, ws):
    assert _cli("import", _sheet(tmp_path, SHEET_ROWS[-1:] + [("Debt bondage", "P10", None, None)]),
                "--session", "s1", "--store", ws).exit_code == 0
    links = tmp_path / "links.csv"
    links.write_text("from,relation,to,evidence\nFake visas,enables,Debt bondage,Dr Kofi Mensah saw it: 020 7946 0958\n",
                     encoding="utf-8")
    result = _cli("import", links, "--session", "s1", "--store", ws, "--redact")
    assert result.exit_code == 0, result.output
    assert f'{links}: row 2, column "evidence": likely name "Kofi Mensah" (stored redacted)' in result.stderr
    assert f'{links}: row 2, column "evidence": likely phone "020 7946 0958" (stored redacted)' in result.stderr
    stored = _literals(ws)
    assert "Kofi" not in stored and "7946" not in stored
    assert "Dr [redacted: name] saw it: [redacted: phone]" in stored


def test_add_and_link_warn(ws):
    assert _cli("session", "new", "s1", "--title", "Room", "--store", ws).exit_code == 0
    added = _cli("add", "factor", "Broker Mme Leroy places workers", "--category", "enabling", "--store", ws)
    assert added.exit_code == 0, added.output
    assert 'command line: item 1, column "text": likely name "Leroy"' in added.stderr
    assert _cli("add", "factor", "Debt bondage", "--category", "enabling", "--store", ws).exit_code == 0
    linked = _cli("link", "Broker", "enables", "Debt bondage", "--evidence", "ask leroy@example.fr", "--store", ws)
    assert linked.exit_code == 0, linked.output
    assert 'likely e-mail "leroy@example.fr"' in linked.stderr


def test_the_example_sheets_import_without_a_personal_detail_warning(ws):
    for name in ("example-contributions.csv", "example-links.csv"):
        result = _cli("import", ROOT / "examples" / name, "--session", "example-2026", "--store", ws)
        assert result.exit_code == 0, result.output
        assert "likely" not in result.stderr


# --- at public export: warnings naming subject and property, and --redact -----------------------

RDF_FORMATS = ["ttl", "trig", "nq", "nt", "jsonld", "xml"]
# what must not reach a redacted export: the details, and the slugs an item's IRI made of them
SECRETS = ["Okafor", "okafor", "+234 803 123 4567", "803 123 4567", "tanaka@example.jp", "田中", "tianzhong",
           "Kofi", "Mensah", "020 7946 0958", "Иванов", "ivanov", "أحمد", "王小明"]


@pytest.fixture(scope="module")
def shared_ws(tmp_path_factory):
    """The example sheets and a sheet with personal details in several scripts, in two sessions."""
    tmp = tmp_path_factory.mktemp("pii-export")
    ws = tmp / "ws"
    init_store(ws).close()
    assert _cli("import", ROOT / "examples" / "example-contributions.csv", "--session", "example-2026", "--store", ws).exit_code == 0
    assert _cli("import", ROOT / "examples" / "example-links.csv", "--session", "example-2026", "--store", ws).exit_code == 0
    assert _cli("session", "new", "room-2", "--title", "Run by Dr Kofi Mensah", "--store", ws).exit_code == 0
    rows = [("Ask Mr. Okafor about the agency", "P01", None, None),
            ("Recruiters call from +234 803 123 4567", "P02", None, None),
            ("仲介の田中さんの連絡先はtanaka@example.jp", "P03", None, None),
            ("г-н Иванов продаёт визы", "P04", None, None),
            ("السيد أحمد", "P05", None, None),
            ("我叫王小明", "P06", None, None)]
    assert _cli("import", _sheet(tmp, rows, "room-2.csv"), "--session", "room-2", "--store", ws).exit_code == 0
    links = tmp / "links.csv"
    links.write_text("from,relation,to,evidence\nAsk Mr. Okafor,enables,Recruiters call,his number is 020 7946 0958\n",
                     encoding="utf-8")
    assert _cli("import", links, "--session", "room-2", "--store", ws).exit_code == 0
    return ws


@pytest.mark.parametrize("fmt", RDF_FORMATS + ["graphml", "gexf"])
def test_public_export_warns_naming_subject_and_property(shared_ws, fmt, tmp_path):
    out = tmp_path / f"out.{fmt}"
    result = _cli("export", "--profile", "public", "--format", fmt, "-o", out, "--store", shared_ws)
    assert result.exit_code == 0, result.output
    assert 'ckg:text: likely name "Okafor"' in result.stderr
    assert "likely personal details in 16 place(s)" in result.stderr and "add --redact" in result.stderr
    assert "Warning: ... and 6 more likely personal details" in result.stderr  # ten lines, then how many more
    if fmt not in ("graphml", "gexf"):  # networks hold labels, not contribution texts
        assert "Okafor" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", RDF_FORMATS + ["graphml", "gexf"])
def test_public_export_redact_leaves_no_detail_and_the_store_unchanged(shared_ws, fmt, tmp_path):
    with open_store(shared_ws) as store:
        before = snapshot(store)
    out = tmp_path / f"out.{fmt}"
    result = _cli("export", "--profile", "public", "--redact", "--format", fmt, "-o", out, "--store", shared_ws)
    assert result.exit_code == 0, result.output
    assert "replaced by markers" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert [s for s in SECRETS if s in text] == []
    assert "[redacted: name]" in text and "redacted-" in text
    # the example's own text is all there
    assert "Our anti-trafficking unit keeps a case database" in text or fmt in ("graphml", "gexf")
    again = tmp_path / f"again.{fmt}"
    assert _cli("export", "--profile", "public", "--redact", "--format", fmt, "-o", again, "--store", shared_ws).exit_code == 0
    assert again.read_bytes() == out.read_bytes()
    with open_store(shared_ws) as store:
        assert snapshot(store) == before


def test_redacted_export_loads_back_with_its_links_joined(shared_ws, tmp_path):
    out = tmp_path / "out.ttl"
    assert _cli("export", "--profile", "public", "--redact", "-o", out, "--store", shared_ws).exit_code == 0
    g = rdflib.Graph().parse(out)
    ckg = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
    renamed = {s for s in g.subjects(rdflib.RDF.type, ckg.Factor) if "/redacted-" in str(s)}
    assert len(renamed) >= 2
    ends = {o for link in g.subjects(rdflib.RDF.type, ckg.FactorLink) for o in g.objects(link, ckg.fromFactor)}
    assert ends & renamed  # the link still points at the renamed factor


def test_release_redact(shared_ws, tmp_path):
    result = _cli("release", tmp_path / "rel", "--redact", "--store", shared_ws)
    assert result.exit_code == 0, result.output
    for f in (tmp_path / "rel").iterdir():
        text = f.read_text(encoding="utf-8")
        assert [s for s in SECRETS if s in text] == [], f.name
    plain = _cli("release", tmp_path / "plain", "--store", shared_ws)
    assert plain.exit_code == 0 and 'likely name "Okafor"' in plain.stderr
    assert "Okafor" in (tmp_path / "plain" / "data.ttl").read_text(encoding="utf-8")


def test_redact_needs_the_public_profile(shared_ws):
    result = _cli("export", "--redact", "--store", shared_ws)
    assert result.exit_code == 2 and "--profile public" in result.stderr


def test_the_example_exports_without_a_warning(ws, tmp_path):
    for name in ("example-contributions.csv", "example-links.csv"):
        assert _cli("import", ROOT / "examples" / name, "--session", "example-2026", "--store", ws).exit_code == 0
    result = _cli("export", "--profile", "public", "-o", tmp_path / "x.ttl", "--store", ws)
    assert result.exit_code == 0, result.output
    assert "likely" not in result.stderr


def test_personal_details_name_subject_and_property(shared_ws):
    from crimekg.graph.export import personal_details

    with open_store(shared_ws) as store:
        found = {(s.rsplit("/", 2)[-2], p.rsplit("#", 1)[-1].rsplit("/", 1)[-1], f.kind, f.text) for s, p, f in personal_details(store)}
    assert ("link", "evidence", "phone", "020 7946 0958") in found
    assert ("session", "title", "name", "Kofi Mensah") in found
    assert ("factor", "prefLabel", "name", "Okafor") in found
    assert ("room-2", "text", "e-mail", "tanaka@example.jp") in found
    assert not any(s == "example-2026" for s, *_ in found)  # the example gives none


# --- the session's contributor-code pattern from the command line --------------------------------


def test_session_code_pattern_is_stored_and_applied(ws, tmp_path):
    result = _cli("session", "new", "room-b", "--title", "Sala B", "--code-pattern", r"^B\d{2}$", "--store", ws)
    assert result.exit_code == 0, result.output
    sheet = tmp_path / "b.csv"
    sheet.write_text("text,category,contributor code\nVisados falsos,enabling,B07\nDeudas,enabling,P07\n", encoding="utf-8")
    refused = _cli("import", sheet, "--session", "room-b", "--store", ws)
    assert refused.exit_code == 1
    assert 'row 3, column "contributor code": "P07" is not a contributor code' in refused.stderr
    assert r"^B\d{2}$" in refused.stderr
    sheet.write_text("text,category,contributor code\nVisados falsos,enabling,B07\n", encoding="utf-8")
    assert _cli("import", sheet, "--session", "room-b", "--store", ws).exit_code == 0
    # another session keeps the default pattern
    other = tmp_path / "p.csv"
    other.write_text("text,category,contributor code\n偽造ビザ,enabling,P07\n", encoding="utf-8")
    assert _cli("import", other, "--session", "room-a", "--store", ws).exit_code == 0


def test_a_code_must_match_the_whole_pattern(ws, tmp_path):
    assert _cli("session", "new", "room-b", "--title", "B", "--code-pattern", r"B\d{2}", "--store", ws).exit_code == 0
    sheet = tmp_path / "b.csv"
    sheet.write_text("text,category,contributor code\nFalse visas,enabling,B07JohnSmith\n", encoding="utf-8")
    result = _cli("import", sheet, "--session", "room-b", "--store", ws)
    assert result.exit_code == 1 and '"B07JohnSmith" is not a contributor code' in result.stderr


@pytest.mark.parametrize("pattern,message", [
    ("(P", "is not a regular expression"),
    ("", "--code-pattern is empty"),
    (r"[A-Za-z._]+", 'accepts "JohnSmith", which is a name'),
    (r".*", 'accepts "JohnSmith", which is a name'),
    (r"[\w.]+", 'accepts "JohnSmith", which is a name'),
    (r"\w{2,4}", 'accepts "Иван", which is a name'),
])
def test_a_bad_code_pattern_is_refused_in_one_line(ws, pattern, message):
    with open_store(ws) as store:
        before = snapshot(store)
    result = _cli("session", "new", "room-b", "--title", "B", "--code-pattern", pattern, "--store", ws)
    assert result.exit_code == 1
    assert message in result.stderr and "such as '^P\\d{2}$'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with open_store(ws) as store:
        assert snapshot(store) == before


def test_session_title_with_a_name_warns(ws):
    result = _cli("session", "new", "s1", "--title", "Taller de la Sra. García", "--store", ws)
    assert result.exit_code == 0
    assert 'Warning: --title: likely name "García"' in result.stderr
    quiet = _cli("session", "new", "s2", "--title", "UNAFEI 172, 2026-03-17", "--store", ws)
    assert quiet.exit_code == 0 and "likely" not in quiet.stderr


@pytest.mark.parametrize("preset", ["factors", "session"])
def test_public_view_redact_shows_no_detail(shared_ws, preset, tmp_path):
    shown = tmp_path / "public.html"
    result = _cli("view", preset, "--profile", "public", "-o", shown, "--store", shared_ws)
    assert result.exit_code == 0, result.output
    assert "likely personal details" in result.stderr
    assert [s for s in SECRETS if s in shown.read_text(encoding="utf-8")] != []  # the page would show them
    redacted = tmp_path / "redacted.html"
    result = _cli("view", preset, "--profile", "public", "--redact", "-o", redacted, "--store", shared_ws)
    assert result.exit_code == 0, result.output
    page = redacted.read_text(encoding="utf-8")
    assert [s for s in SECRETS if s in page] == []
    assert "[redacted: " in page


@pytest.mark.parametrize("command", [["view", "factors"], ["brief", "--place", "Nigeria"]])
def test_redact_without_the_public_profile_is_a_usage_error(shared_ws, command, tmp_path):
    result = _cli(*command, "--redact", "--store", shared_ws)
    assert result.exit_code == 2 and "--redact goes with --profile public" in result.output + result.stderr
