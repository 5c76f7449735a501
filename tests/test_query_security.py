"""Queries stay in the workspace: SERVICE only to allowed hosts, no updates, a time limit, Ctrl-C.

A local HTTP server stands in for a remote SPARQL endpoint and records every request it gets, so
each test can tell whether crimekg reached out.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import rdflib
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.errors import InvalidQuery
from crimekg.graph.query import NamedQuery, QueryTimeout, check_query, parse_query_text, run_query
from crimekg.graph.store import Changeset, graph_iri, init_store, open_store
from tests.helpers import snapshot

CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
FACTOR = rdflib.Namespace("https://w3id.org/crimekg/data/factor/")
#: A cross product of the 2,000 filler triples with themselves, twice: hours of work. Counted, it is
#: one long step inside Oxigraph (only a separate process can be left running it); listed, rows come
#: at once, and a stopped query lets go of the store at the next row.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a <urn:p> ?b . ?c <urn:p> ?d . ?e <urn:p> ?f }"
SLOW_ROWS = "SELECT ?a ?c ?e WHERE { ?a <urn:p> ?b . ?c <urn:p> ?d . ?e <urn:p> ?f }"


@pytest.fixture
def ws(tmp_path):
    """A workspace with two factors, one labelled in Japanese, and 2,000 filler triples for slow queries."""
    path = tmp_path / "ws"
    with init_store(path, with_ontology=False) as store:
        changes = Changeset()
        changes.replace_graph(graph_iri("contributions/test"), [
            (FACTOR.a, rdflib.RDF.type, CKG.Factor),
            (FACTOR.a, rdflib.SKOS.prefLabel, rdflib.Literal("国境の警備の弱さ", lang="ja")),
            (FACTOR.b, rdflib.RDF.type, CKG.Factor),
            (FACTOR.b, rdflib.SKOS.prefLabel, rdflib.Literal("SERVICE <http://evil.example/>")),
        ])
        changes.replace_graph(graph_iri("filler"), [
            (rdflib.URIRef(f"urn:x:{i}"), rdflib.URIRef("urn:p"), rdflib.Literal(i)) for i in range(2000)
        ])
        store.write(changes)
    return str(path)


class _Endpoint(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.seen.append((self.headers.get("Host"), self.rfile.read(int(self.headers.get("Content-Length", 0)))))
        self._answer()

    def do_GET(self):
        self.server.seen.append((self.headers.get("Host"), self.path.encode()))
        self._answer()

    def _answer(self):
        body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "from afar"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    """A SPARQL endpoint on 127.0.0.1 that answers one row and records who called it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


# -- SERVICE -----------------------------------------------------------------------------------------


def test_service_is_refused_unless_its_host_is_allowed(ws, endpoint):
    port = endpoint.server_port
    text = f"SELECT ?x WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?x ?y ?z }} }}"
    with open_store(ws) as store:
        with pytest.raises(InvalidQuery, match=r"--allow-service 127\.0\.0\.1"):
            run_query(store, text)
        with pytest.raises(InvalidQuery, match=r"shared\.rq: .*--allow-service 127\.0\.0\.1"):
            run_query(store, NamedQuery("shared", text))
        with pytest.raises(InvalidQuery, match="--allow-service"):
            run_query(store, text, allow_service=["other.example.org"])
        assert endpoint.seen == []
        rows = run_query(store, text, allow_service=["127.0.0.1"]).records()
        assert rows == [{"x": "from afar"}]
        assert len(endpoint.seen) == 1
        rows = run_query(store, text, allow_service=[f"127.0.0.1:{port}"]).records()
        assert rows == [{"x": "from afar"}]


def test_the_query_command_refuses_service_inline_from_a_file_and_in_a_view(ws, endpoint, tmp_path):
    runner = CliRunner()
    port = endpoint.server_port
    text = f"# a shared question\nSELECT ?x WHERE {{ ?f a ckg:Factor SERVICE <http://127.0.0.1:{port}/q> {{ ?x ?y ?z }} }}"
    rq = tmp_path / "shared.rq"
    rq.write_text(text, encoding="utf-8")
    for args in (["query", text], ["query", "-f", str(rq)], ["view", "query", "--query", str(rq), "-o", str(tmp_path / "v.html")]):
        line = _one_line_error(runner.invoke(cli, [*args, "--store", ws]))
        assert "SERVICE" in line and "127.0.0.1" in line and "--allow-service 127.0.0.1" in line, line
    assert endpoint.seen == []
    assert not (tmp_path / "v.html").exists()
    ok = runner.invoke(cli, ["query", "-f", str(rq), "--allow-service", "127.0.0.1", "--format", "csv", "--store", ws])
    assert ok.exit_code == 0, ok.output
    assert ok.output.splitlines() == ["x", "from afar", "from afar"]
    ok = runner.invoke(cli, ["view", "query", "--query", str(rq), "--allow-service", "127.0.0.1", "-o", str(tmp_path / "v.html"), "--store", ws])
    assert ok.exit_code == 0, ok.output
    assert len(endpoint.seen) == 2


@pytest.mark.parametrize("text", [
    'SELECT ?f WHERE { ?f skos:prefLabel "SERVICE <http://evil.example/>" }',
    "SELECT ?f WHERE { ?f skos:prefLabel ?l FILTER(?l != '''a\nSERVICE <http://evil.example/> {}\n''') }",
    "SELECT ?f WHERE { ?f a ckg:Factor } # SERVICE <http://evil.example/> { ?s ?p ?o }",
    "# SERVICE <http://evil.example/>\nSELECT ?service WHERE { ?service a ckg:Factor }",
    "SELECT ?f WHERE { ?f a ckg:Factor FILTER(?f != <http://evil.example/SERVICE>) }",
    'PREFIX service: <urn:service:> SELECT ?f WHERE { ?f a ckg:Factor FILTER(?f != service:SERVICE) }',
    'SELECT ?f WHERE { ?f skos:prefLabel ?l FILTER(?l != "x"@service) }',
])
def test_the_word_service_in_strings_comments_iris_and_names_is_not_a_call(ws, text):
    assert check_query(parse_query_text(text)) == []
    with open_store(ws) as store:
        result = run_query(store, text)
    assert len(result.rows) >= 1


@pytest.mark.parametrize("text, why", [
    ("SELECT * WHERE { service <http://evil.example/s> { ?s ?p ?o } }", "--allow-service evil.example"),
    ("SELECT * WHERE { SERVICE SILENT <http://evil.example/s> { ?s ?p ?o } }", "--allow-service evil.example"),
    ("SELECT * WHERE{SERVICE<http://evil.example/s>{?s ?p ?o}}", "--allow-service evil.example"),
    ("PREFIX e: <http://evil.example/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }", "--allow-service evil.example"),
    ("BASE <http://evil.example/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }", "--allow-service evil.example"),
    (r"SELECT * WHERE { SERVICE <http://\u0065vil.example/s> { ?s ?p ?o } }", "--allow-service evil.example"),
    ("SELECT * WHERE { SERVICE <http://allowed.example@evil.example/s> { ?s ?p ?o } }", "absolute http"),
    (r"SELECT * WHERE { SERVICE <http://evil.example\u005C@allowed.example/s> { ?s ?p ?o } }", "absolute http"),
    ("SELECT * WHERE { VALUES ?e { <http://evil.example/> } SERVICE ?e { ?s ?p ?o } }", "absolute http"),
    ("SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }", "absolute http"),
])
def test_every_spelling_of_a_call_is_checked(ws, text, why):
    with pytest.raises(InvalidQuery, match=why.replace(".", r"\.")):
        check_query(parse_query_text(text), ["allowed.example"])
    with open_store(ws) as store:
        with pytest.raises(InvalidQuery, match="SERVICE"):
            run_query(store, text, allow_service=["allowed.example"])


def test_an_escaped_host_is_checked_as_the_host_it_calls(ws, endpoint):
    port = endpoint.server_port
    text = rf"SELECT ?x WHERE {{ SERVICE <http://\u0031\u0032\u0037.0.0.1:{port}/s> {{ ?x ?y ?z }} }}"
    with open_store(ws) as store:
        with pytest.raises(InvalidQuery, match=r"--allow-service 127\.0\.0\.1"):
            run_query(store, text, allow_service=["localhost"])
        assert endpoint.seen == []
        assert run_query(store, text, allow_service=["127.0.0.1"]).records() == [{"x": "from afar"}]


def test_a_failing_service_call_is_one_line(ws):
    port = _closed_port()
    text = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    line = _one_line_error(CliRunner().invoke(cli, ["query", text, "--allow-service", "127.0.0.1", "--store", ws]))
    assert "SERVICE call (127.0.0.1) failed" in line, line
    ok = CliRunner().invoke(cli, ["query", text.replace("SERVICE", "SERVICE SILENT"), "--allow-service", "127.0.0.1", "--store", ws])
    assert ok.exit_code == 0, ok.output


# -- results crimekg cannot write, updates -----------------------------------------------------------


@pytest.mark.parametrize("text", [
    "SELECT ?t WHERE { BIND(<<( <urn:a> <urn:b> <urn:c> )>> AS ?t) }",
    "SELECT ?t WHERE { BIND(TRIPLE(<urn:a>, <urn:b>, <urn:c>) AS ?t) }",
    "CONSTRUCT { <urn:a> <urn:b> ?t } WHERE { BIND(TRIPLE(<urn:a>, <urn:b>, <urn:c>) AS ?t) }",
])
def test_a_triple_term_in_a_result_is_one_line(ws, text):
    line = _one_line_error(CliRunner().invoke(cli, ["query", text, "--store", ws]))
    assert "RDF 1.2 triple term" in line and "SUBJECT()" in line, line


@pytest.mark.parametrize("text", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "PREFIX ex: <urn:ex:>\nDELETE WHERE { ?s ?p ?o }",
    "# tidy up\nCLEAR ALL",
    "DROP GRAPH <urn:crimekg:graph:filler>",
    "LOAD <http://evil.example/data.ttl>",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_an_update_is_refused_naming_the_commands_that_change_data(ws, text):
    with open_store(ws) as store:
        before = snapshot(store)
    line = _one_line_error(CliRunner().invoke(cli, ["query", text, "--store", ws]))
    assert "does not run updates through `query`" in line and "crimekg load, import" in line and "merge" in line, line
    with open_store(ws) as store:
        assert snapshot(store) == before


# -- time limit and Ctrl-C ---------------------------------------------------------------------------


def test_a_timeout_stops_a_query_that_would_run_for_hours(ws):
    with open_store(ws) as store:
        with pytest.raises(QueryTimeout, match=r"--timeout 0\.5"):
            run_query(store, SLOW_ROWS, timeout=0.5)
        # the same store answers a quick query at once afterwards
        assert run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }", timeout=60).records() == [{"n": 2000}]


def test_the_timeout_option_is_one_line_naming_it(ws, tmp_path):
    runner = CliRunner()
    line = _one_line_error(runner.invoke(cli, ["query", SLOW_ROWS, "--timeout", "0.5", "--store", ws]))
    assert "--timeout 0.5" in line, line
    rq = tmp_path / "slow.rq"
    rq.write_text(SLOW_ROWS, encoding="utf-8")
    line = _one_line_error(runner.invoke(cli, ["view", "query", "--query", str(rq), "--timeout", "0.5", "-o", str(tmp_path / "v.html"), "--store", ws]))
    assert "--timeout 0.5" in line, line
    bad = runner.invoke(cli, ["query", "SELECT * { ?s ?p ?o } LIMIT 1", "--timeout", "0", "--store", ws])
    assert bad.exit_code == 2 and "--timeout" in bad.output


def _holds(pid: int, path: str) -> bool:
    folder = f"/proc/{pid}/fd"
    try:
        return any(os.readlink(os.path.join(folder, fd)) == path for fd in os.listdir(folder))
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc to see when the command holds the workspace")
def test_ctrl_c_stops_a_running_query_and_the_workspace_opens_again(ws):
    with open_store(ws) as store:
        before = snapshot(store)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from crimekg.cli import cli; cli()", "query", SLOW, "--store", ws],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a test runner may ignore SIGINT; the command must see it as a user's Ctrl-C would
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # wait until the command holds the workspace's lock file open, i.e. the query is about to run
        # or running (read from /proc: trying to open the workspace here could take the lock first)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not _holds(proc.pid, os.path.join(ws, "LOCK")):
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        # the query alone would run for hours; the bound leaves room for a slow machine
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["Error: query stopped (Ctrl-C); the workspace is unchanged"]
    assert out == ""
    with open_store(ws) as store:
        assert snapshot(store) == before
