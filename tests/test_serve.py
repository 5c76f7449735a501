"""`crimekg serve` over real HTTP on 127.0.0.1: the SPARQL endpoint with real clients, participants,
the facilitator's moderation, security and durability. The server runs as a subprocess (the real
command), on a free port, over a workspace holding the example session."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from click.testing import CliRunner  # noqa: E402

from crimekg.cli import cli  # noqa: E402
from crimekg.graph.store import init_store  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

SECRET = "tea-and-maps-7"
XSS = '<img src=x onerror="document.body.dataset.pwned=1">'
ENABLING = "https://w3id.org/crimekg/concept/category/enabling"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `crimekg serve` subprocess and what it printed."""

    def __init__(self, store: Path, *args: str, port: int | None = None):
        self.store, self.args = store, args
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        self.log = self.store.parent / f"serve-{self.port}.log"
        cmd = [sys.executable, "-c", "from crimekg.cli import cli; cli()", "serve", "--store", str(self.store),
               "--port", str(self.port), "--secret", SECRET, *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), env=dict(os.environ))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"crimekg serve stopped: {self.log.read_text()}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            self.stop()
            raise AssertionError("crimekg serve did not answer within 90 s")
        self.printed = self.log.read_text(encoding="utf-8")
        self.codes = dict(re.findall(r"^Join (\S+): \S+ +\(code (\w+)\)$", self.printed, re.M))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def facilitator(self) -> httpx.Client:
        c = httpx.Client(base_url=self.base, headers={"Origin": self.base}, timeout=60)
        r = c.get(f"/facilitator?secret={SECRET}", follow_redirects=True)
        assert r.status_code == 200, r.text
        return c

    def participant(self, session: str = "room-2", lang: str = "en") -> tuple[httpx.Client, str, str]:
        c = httpx.Client(base_url=self.base, headers={"Origin": self.base}, timeout=60)
        code = self.codes[session]
        r = c.get(f"/join?code={code}&lang={lang}")
        assert r.status_code == 200, r.text
        return c, code, csrf_of(r.text)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def make_workspace(path: Path) -> Path:
    with init_store(path) as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    return path


def start_server(tmp_path_factory, *args: str) -> Server:
    ws = make_workspace(tmp_path_factory.mktemp("serve") / "ws")
    return Server(ws, "--session", "room-2", *args)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory, "--query-timeout", "2", "--max-rows", "50")
    yield s
    s.stop()


def sparql_select(server: Server, query: str) -> list[dict]:
    r = httpx.get(server.base + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def submit(server: Server, client: httpx.Client, code: str, csrf: str, **fields: str) -> httpx.Response:
    return client.post(f"/s/{code}/submit", data={"csrf": csrf, **fields})


def queue_ids(fac: httpx.Client) -> list[tuple[str, str]]:
    page = fac.get("/facilitator").text
    return re.findall(r'<li class="pending" data-id="(\w+)" data-session="[^"]*">\s*<p class="text">([^<]*)</p>', page)


def facilitator_csrf(fac: httpx.Client) -> str:
    return csrf_of(fac.get("/facilitator").text)


# -- the command and its binding -----------------------------------------------------------------------


def test_serve_prints_where_it_listens_and_binds_loopback_only(server):
    assert f"Serving {server.store} on {server.base} (this machine only)" in server.printed
    assert f"/facilitator?secret={SECRET}" in server.printed
    assert f"SPARQL:      {server.base}/sparql   Query page: {server.base}/yasgui" in server.printed
    assert set(server.codes) == {"example-2026", "room-2"}
    assert all(re.fullmatch(r"[A-Z2-9]{6}", c) for c in server.codes.values())
    # not on the machine's other interfaces without --lan
    from crimekg.graph.server import lan_address

    other = lan_address()
    if other.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError):
        socket.create_connection((other, server.port), timeout=2).close()


def test_every_page_has_a_csp_that_forbids_other_hosts(server):
    fac = server.facilitator()
    for path, client in [("/join", httpx), ("/facilitator", fac), ("/live", fac), ("/query", httpx), ("/yasgui", httpx),
                         ("/sparql?query=ASK{}", httpx)]:
        r = client.get(path, timeout=120) if client is fac else httpx.get(server.base + path, timeout=30)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "http" not in csp and "*" not in csp, (path, csp)
        if "html" in r.headers["content-type"]:
            assert not re.search(r'src="(https?:)?//', r.text), path  # nothing loaded from any host
            assert all(h.startswith(server.base) for h in re.findall(r'href="((?:https?:)?//[^"]*)"', r.text)), path
        # every answer says how long the server took (the load test reads it)
        assert re.fullmatch(r"app;dur=\d+\.\d", r.headers["server-timing"]), (path, r.headers["server-timing"])


def test_the_static_files_come_from_the_package(server):
    for name in ("crimekg.css", "live.js", "facilitator.js", "yasgui-page.js", "yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "yasgui/LICENSE"):
        r = httpx.get(f"{server.base}/static/{name}")
        assert r.status_code == 200 and len(r.text) > 100, name
    assert "MIT" in httpx.get(f"{server.base}/static/yasgui/LICENSE").text


def test_the_yasgui_page_carries_the_prefixes_and_named_queries_as_data(server):
    import html

    from crimekg.graph.query import named_queries

    page = httpx.get(f"{server.base}/yasgui").text
    block = re.search(r'<script type="application/json" id="crimekg-yasgui">(.*?)</script>', page, re.S).group(1)
    config = json.loads(block)
    assert config["prefixes"]["ckg"] == "https://w3id.org/crimekg/ontology#"
    assert {q["name"] for q in config["examples"]} == set(named_queries())
    assert "<" not in block and html.unescape(block) == block  # no text can close the block
    assert httpx.get(f"{server.base}/query/prefixes.json").json()["skos"] == "http://www.w3.org/2004/02/skos/core#"


# -- SPARQL endpoint ----------------------------------------------------------------------------------


COUNT_FACTORS = "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a ckg:Factor }"


def test_sparqlwrapper_reads_every_results_format(server):
    from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

    client = SPARQLWrapper(server.base + "/sparql")
    client.setQuery("PREFIX ckg: <https://w3id.org/crimekg/ontology#> " + COUNT_FACTORS)
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == "25"
    client.setReturnFormat(XML)
    doc = client.queryAndConvert()
    assert doc.getElementsByTagName("literal")[0].firstChild.data == "25"
    client.setReturnFormat(CSV)
    assert client.queryAndConvert().decode().splitlines() == ["n", "25"]
    client.setReturnFormat(TSV)
    assert client.queryAndConvert().decode().splitlines()[1].startswith('"25"^^')
    client.setMethod("POST")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == "25"


def test_sparqlwrapper_construct_as_turtle(server):
    import rdflib
    from SPARQLWrapper import TURTLE, SPARQLWrapper

    client = SPARQLWrapper(server.base + "/sparql")
    client.setQuery("CONSTRUCT { ?f a <https://w3id.org/crimekg/ontology#Factor> } WHERE { ?f a ckg:Factor }")
    client.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(g) == 25


def test_rdflib_sparqlstore_reads_the_endpoint(server):
    import rdflib
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = rdflib.Graph(SPARQLStore(server.base + "/sparql", returnFormat="json"))
    rows = list(g.query("SELECT ?label WHERE { ?f a <https://w3id.org/crimekg/ontology#Factor> ; "
                        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?label"))
    assert len(rows) == 25
    assert any(str(r[0]) == "Rare convictions and short sentences" for r in rows)
    assert g.query("ASK { ?f a <https://w3id.org/crimekg/ontology#Factor> }").askAnswer is True


@pytest.mark.parametrize("accept, check", [
    ("application/sparql-results+json", lambda t: json.loads(t)["results"]["bindings"][0]["n"]["value"] == "25"),
    ("application/sparql-results+xml", lambda t: ">25</literal>" in t),
    ("text/csv", lambda t: t.splitlines() == ["n", "25"]),
    ("text/tab-separated-values", lambda t: t.splitlines()[0] == "?n" and "25" in t.splitlines()[1]),
])
def test_curl_with_each_accept_header(server, accept, check):
    out = subprocess.run(["curl", "-s", "-f", "-H", f"Accept: {accept}", "--data-urlencode", f"query={COUNT_FACTORS}", "-G",
                          server.base + "/sparql", "-D", "-"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    head, body = re.split(r"\r?\n\r?\n", out.stdout, maxsplit=1)
    assert f"content-type: {accept}" in head.lower()
    assert check(body), body


@pytest.mark.parametrize("accept, fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                         ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_curl_construct_in_each_rdf_format(server, accept, fmt):
    import rdflib

    q = "CONSTRUCT { ?f skos:prefLabel ?l } WHERE { ?f a ckg:Factor ; skos:prefLabel ?l }"
    out = subprocess.run(["curl", "-s", "-f", "-H", f"Accept: {accept}", "-H", "Content-Type: application/sparql-query",
                          "--data-binary", q, server.base + "/sparql"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert len(rdflib.Graph().parse(data=out.stdout, format=fmt)) == 25


def test_named_queries_are_endpoints(server):
    r = httpx.get(server.base + "/queries/factors-by-place", params={"place": "Western Africa"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    assert lines[0].startswith("place,factor,label")
    assert len(lines) == 9 and "Corruption of border, police and port officials" in r.text
    r = httpx.get(server.base + "/queries/no-such-query")
    assert r.status_code == 404 and r.text.count("\n") == 1
    r = httpx.get(server.base + "/queries/factors-by-place", params={"place": "Atlantis"})
    assert r.status_code == 400 and "Atlantis" in r.text


@pytest.mark.parametrize("request_kwargs, status, words", [
    ({"params": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 400, "read-only"),
    ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 400, "update"),
    ({"params": {"query": "DROP ALL"}}, 400, "update"),
    ({"method": "POST", "content": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}, 400, "read-only"),
    ({"params": {"query": "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"}}, 403, "SERVICE"),
    ({"params": {"query": "SELECT * WHERE { ?s ?p "}}, 400, "line 1"),
    ({"params": {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}}, 503, "stopped after 2 s"),
    ({"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406, "image/png"),
])
def test_refusals_use_the_protocol_status_and_one_line(server, request_kwargs, status, words):
    kw = dict(request_kwargs)
    method = kw.pop("method", "GET")
    r = httpx.request(method, server.base + "/sparql", timeout=30, **kw)
    assert r.status_code == status, r.text
    assert r.text.count("\n") == 1 and words in r.text, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    # nothing was written
    assert sparql_select(server, "SELECT (COUNT(*) AS ?n) WHERE { <urn:a> ?p ?o }")[0]["n"]["value"] == "0"


def test_result_rows_are_capped_and_the_cap_is_said(server):
    r = httpx.get(server.base + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert len(r.text.splitlines()) == 51  # header + --max-rows 50
    assert r.headers["x-crimekg-truncated"].endswith("first 50 sent")


def test_cors_lets_this_server_and_this_machine_read_and_no_other_site(server):
    """The endpoint shows the whole workspace (contributor codes, groups): a page of another site the
    facilitator has open must not read it through the browser; a notebook on localhost may."""
    for origin in (server.base, "http://localhost:8888", "http://127.0.0.1:5173"):
        r = httpx.options(server.base + "/sparql", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == origin, origin
        assert "POST" in r.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in r.headers
    for origin in ("http://elsewhere.example", "null", "https://127.0.0.1.evil.example"):
        r = httpx.get(server.base + "/sparql", params={"query": "SELECT ?c WHERE { ?p ckg:contributorCode ?c }"},
                      headers={"Origin": origin, "Accept": "text/csv"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers, origin
        assert r.headers["vary"] == "Origin"
        r = httpx.options(server.base + "/queries/factors-by-place", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in r.headers, origin



def test_a_request_addressed_to_another_sites_name_is_refused(server):
    """DNS rebinding: a site whose name is made to point at 127.0.0.1 would be this server's own origin
    in the browser, and could read /sparql as the server's pages do."""
    for host in ("evil.example", "127.0.0.1.nip.io", "localhost.evil.example"):
        for path in ("/sparql?query=ASK%7B%7D", "/join", "/facilitator"):
            r = httpx.get(server.base + path, headers={"Host": f"{host}:{server.port}"})
            assert r.status_code == 421 and r.text.count("\n") == 1 and host in r.text, (host, path)
    for host in ("127.0.0.1", "localhost", "[::1]"):
        r = httpx.get(server.base + "/sparql", params={"query": "ASK {}"}, headers={"Host": f"{host}:{server.port}"})
        assert r.status_code == 200, host


# -- readers beside the server ----------------------------------------------------------------------


def test_graphs_and_query_read_the_workspace_while_the_server_holds_it(server):
    runner = CliRunner()
    r = runner.invoke(cli, ["graphs", "--store", str(server.store)])
    assert r.exit_code == 0, r.output
    assert "contributions/example-2026" in r.output and "contributions/room-2" in r.output
    r = runner.invoke(cli, ["query", COUNT_FACTORS, "--format", "csv", "--store", str(server.store)])
    assert r.exit_code == 0, r.output
    assert int(r.output.splitlines()[-1]) >= 25  # the example's 25, plus what other tests accepted before
    # writing stays single-writer
    r = runner.invoke(cli, ["session", "new", "x", "--title", "X", "--store", str(server.store)])
    assert r.exit_code == 1 and "open in another process" in r.output


# -- participants and the facilitator ---------------------------------------------------------------


def test_the_form_checks_like_import_and_names_each_field(server):
    c, code, csrf = server.participant()
    r = submit(server, c, code, csrf, text="", category="enablng", contributor="Jane Doe", place="Libyaa")
    assert r.status_code == 200
    errors = dict(re.findall(r'class="error" data-field="(\w+)" role="alert">([^<]*)', r.text))
    assert errors["text"] == "the text is empty; write what the participant said (or delete the row)"
    assert errors["category"].startswith("&quot;enablng&quot; is not a category.") and "Did you mean &quot;Enabling&quot;?" in errors["category"]
    assert "never a person&#x27;s name" in errors["contributor"]
    assert "Did you mean &quot;Libya&quot;?" in errors["place"]
    assert "Jane Doe" in r.text  # what was typed is kept for correction
    assert 'data-status="pending"' not in r.text


def test_join_needs_a_known_code(server):
    r = httpx.get(server.base + "/join", params={"code": "NOPE42"})
    assert r.status_code == 404 and "not one of this room" in r.text


def test_participant_submits_edits_and_withdraws_until_accepted(server):
    c, code, csrf = server.participant()
    r = submit(server, c, code, csrf, text="Recruiters post fake jobs on social media", kind="factor", category=ENABLING, contributor="P21")
    assert "your contribution was received" in r.text
    (sid,) = re.findall(r'data-id="(\w+)" data-status="pending"><span class="text">Recruiters post fake jobs', r.text)
    r = c.post(f"/s/{code}/edit/{sid}", data={"csrf": csrf, "text": "Recruiters post fake job offers on social media",
                                              "category": ENABLING, "contributor": "P21"})
    assert "Your changes were saved." in r.text
    fac = server.facilitator()
    assert (sid, "Recruiters post fake job offers on social media") in queue_ids(fac)
    # someone else cannot touch it
    other, _, other_csrf = server.participant()
    r = other.post(f"/s/{code}/withdraw/{sid}", data={"csrf": other_csrf})
    assert r.status_code == 409
    r = c.post(f"/s/{code}/withdraw/{sid}", data={"csrf": csrf})
    assert "Withdrawn." in r.text and sid not in dict(queue_ids(fac))
    # once accepted, it can no longer change
    r = submit(server, c, code, csrf, text="Visa brokers sell appointment slots", category=ENABLING, contributor="P21")
    (sid2,) = re.findall(r'data-id="(\w+)" data-status="pending"><span class="text">Visa brokers', r.text)
    assert fac.post(f"/facilitator/accept/{sid2}", data={"csrf": facilitator_csrf(fac)}).status_code == 303
    r = c.post(f"/s/{code}/edit/{sid2}", data={"csrf": csrf, "text": "changed", "category": ENABLING})
    assert r.status_code == 409 and "accepted" in r.text
    assert 'data-status="accepted"' in c.get(f"/join?code={code}").text


LANG_TEXTS = {
    "ja": "国境管理の脆弱さにつけ込む仲介業者",
    "ru": "Коррумпированные пограничники пропускают группы",
    "ar": "ضعف الرقابة على الحدود البحرية",
    "th": "นายหน้าจัดหางานปลอมบนโซเชียลมีเดีย",
    "zh": "边境官员受贿放行",
    "es": "Corrupción en los pasos fronterizos",
}


def test_every_script_goes_from_the_form_to_the_store(server):
    c, code, csrf = server.participant(lang="ja")
    page = c.get(f"/join?code={code}&lang=ja").text
    assert f'<option value="{ENABLING}">助長</option>' in page and '<html lang="ja"' in page
    assert f'<option value="{ENABLING}">التمكين</option>' in c.get(f"/join?code={code}&lang=ar").text
    assert 'dir="rtl"' in c.get(f"/join?code={code}&lang=ar").text
    fac = server.facilitator()
    for lang, text in LANG_TEXTS.items():
        r = submit(server, c, code, csrf, text=text, category=ENABLING, contributor="P3" + str(len(lang)),
                   language=lang if lang == "es" else "")
        assert "your contribution was received" in r.text, (lang, r.text[-2000:])
    pending = dict((t, s) for s, t in queue_ids(fac))
    for text in LANG_TEXTS.values():
        assert text in pending, text
        r = fac.post(f"/facilitator/accept/{pending[text]}", data={"csrf": facilitator_csrf(fac)})
        assert r.status_code == 303, r.text
    rows = sparql_select(server, "SELECT ?l (LANG(?l) AS ?lang) WHERE { ?f a ckg:Factor ; skos:prefLabel ?l }")
    stored = {r["l"]["value"]: r["lang"]["value"] for r in rows}
    for lang, text in LANG_TEXTS.items():
        assert stored.get(text) == lang, (text, stored.get(text))


def test_facilitator_edits_then_accepts(server):
    c, code, csrf = server.participant()
    submit(server, c, code, csrf, text="Smugglers demand advance fees", category=ENABLING, contributor="P40")
    fac = server.facilitator()
    sid = next(s for s, t in queue_ids(fac) if t == "Smugglers demand advance fees")
    page = fac.get(f"/facilitator/edit/{sid}").text
    r = fac.post(f"/facilitator/edit/{sid}", data={"csrf": csrf_of(page), "text": "Smugglers demand fees in advance",
                                                    "label": "Advance fees", "category": "profiting", "contributor": "P40", "then": "accept"})
    assert r.status_code == 303 and "advance-fees" in r.headers["location"]
    rows = sparql_select(server, "SELECT ?cat WHERE { factor:advance-fees ckg:category ?cat }")
    assert [r["cat"]["value"].rsplit("/", 1)[-1] for r in rows] == ["profiting"]


def test_the_endpoint_never_shows_the_workspace_secret(server):
    """The key behind contribution identifiers stays out of /sparql, whatever the query asks."""
    c, code, csrf = server.participant()
    submit(server, c, code, csrf, text="偽の求人広告で募集する", category=ENABLING, contributor="P41")
    fac = server.facilitator()
    sid = next(s for s, t in queue_ids(fac) if t == "偽の求人広告で募集する")
    assert fac.post(f"/facilitator/accept/{sid}", data={"csrf": facilitator_csrf(fac)}).status_code == 303
    secret = (server.store / "secret").read_text(encoding="ascii").strip()  # made by the first accepted one
    assert len(secret) == 64
    assert sparql_select(server, "SELECT ?o WHERE { ?s ckg:workspaceSecret ?o }") == []
    graphs = [r["g"]["value"] for r in sparql_select(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    assert any(g.endswith("/contributions/room-2") for g in graphs) and not any(g.startswith("urn:crimekg:") for g in graphs)
    r = httpx.get(server.base + "/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && STRLEN(STR(?o)) = 64) }",
                                                    "format": "csv"})
    assert r.status_code == 200 and secret not in r.text


@pytest.mark.parametrize("text, kind, detail", [
    ("Ask the broker at okafor.j@example.org about jobs abroad", "e-mail", "okafor.j@example.org"),
    ("仲介業者の電話は０３－１２３４－５６７８で、渡航を勧める", "phone", "０３－１２３４－５６７８"),
])
def test_the_queue_flags_personal_details_and_accepts_them_as_markers(server, text, kind, detail):
    c, code, csrf = server.participant()
    submit(server, c, code, csrf, text=text, category=ENABLING, contributor="P42")
    fac = server.facilitator()
    sid = next(s for s, t in queue_ids(fac) if t == text)
    page = fac.get("/facilitator").text
    item = page[page.index(f'data-id="{sid}"'):]
    item = item[: item.index("</li>")]
    assert f"Likely personal details: {kind} \u201c{detail}\u201d" in item
    others = [s for s, t in queue_ids(fac) if s != sid]
    assert all("Likely personal details" not in page[page.index(f'data-id="{o}"'):].split("</li>")[0] for o in others)
    r = fac.post(f"/facilitator/accept/{sid}", data={"csrf": facilitator_csrf(fac), "redact": "1"})
    assert r.status_code == 303
    rows = sparql_select(server, 'SELECT ?t WHERE { ?c a ckg:Contribution ; ?p ?t . '
                                 'FILTER(isLiteral(?t) && CONTAINS(STR(?t), "[redacted: %s]")) }' % kind)
    assert rows and all(detail not in r["t"]["value"] for r in rows)
    assert not sparql_select(server, 'SELECT ?t WHERE { ?s ?p ?t . FILTER(isLiteral(?t) && CONTAINS(STR(?t), "%s")) }' % detail)


def test_merge_into_an_existing_factor_uses_the_harmonisation_suggestions(server):
    c, code, csrf = server.participant()
    submit(server, c, code, csrf, text="corruption of border and port officials", category="impunity", contributor="P41")
    fac = server.facilitator()
    sid = next(s for s, t in queue_ids(fac) if t == "corruption of border and port officials")
    page = fac.get("/facilitator").text
    item = page[page.index(f'data-id="{sid}"'):]
    item = item[: item.index("</li>")]
    assert '<p class="details">Impunity · P41</p>' in item  # the concepts by name
    options = re.findall(r'<option value="([^"]+)">', item)
    assert options[0] == "Corruption of border, police and port officials"
    r = fac.post(f"/facilitator/merge/{sid}", data={"csrf": facilitator_csrf(fac), "label": options[0]})
    assert r.status_code == 303 and r.headers["location"].endswith("factor/corruption-of-officials")
    rows = sparql_select(server, 'SELECT (COUNT(?c) AS ?n) WHERE { factor:corruption-of-officials prov:wasDerivedFrom ?c . '
                                 '?c ckg:text "corruption of border and port officials" }')
    assert rows[0]["n"]["value"] == "1"


def test_reject_removes_it_from_the_queue_and_stores_nothing(server):
    c, code, csrf = server.participant()
    submit(server, c, code, csrf, text="An off-topic remark about lunch", category=ENABLING, contributor="P42")
    fac = server.facilitator()
    sid = next(s for s, t in queue_ids(fac) if t == "An off-topic remark about lunch")
    assert fac.post(f"/facilitator/reject/{sid}", data={"csrf": facilitator_csrf(fac)}).status_code == 303
    assert sid not in dict(queue_ids(fac))
    assert 'data-status="rejected"' in c.get(f"/join?code={code}").text
    assert sparql_select(server, 'SELECT (COUNT(*) AS ?n) WHERE { ?c ckg:text "An off-topic remark about lunch" }')[0]["n"]["value"] == "0"


def test_exports_and_brief(server):
    import rdflib

    fac = server.facilitator()
    full = fac.get("/facilitator/export/turtle")
    public = fac.get("/facilitator/export/public")
    graphml = fac.get("/facilitator/export/graphml")
    assert full.status_code == public.status_code == graphml.status_code == 200
    g_full = rdflib.Graph().parse(data=full.text, format="turtle")
    g_public = rdflib.Graph().parse(data=public.text, format="turtle")
    contributor = rdflib.URIRef("https://w3id.org/crimekg/ontology#contributorCode")
    assert len(g_public) < len(g_full)
    assert any(g_full.triples((None, contributor, None))) and not any(g_public.triples((None, contributor, None)))
    assert "attachment" in graphml.headers["content-disposition"] and b"<graphml" in graphml.content
    brief = fac.get("/facilitator/brief", params={"place": "Ghana"})
    assert brief.status_code == 200 and "Ghana" in brief.text


# -- security ---------------------------------------------------------------------------------------


def test_facilitator_pages_and_writes_need_the_secret(server):
    anon = httpx.Client(base_url=server.base, headers={"Origin": server.base})
    for path in ("/facilitator", "/live", "/facilitator/brief?place=Ghana"):
        r = anon.get(path)
        assert r.status_code == 401 and 'name="secret"' in r.text, path
    for path in ("/facilitator/export/turtle", "/live/data", "/events"):
        assert anon.get(path).status_code == 403, path
    for action in ("accept", "reject", "merge", "edit"):
        r = anon.post(f"/facilitator/{action}/abc", data={"csrf": "x"})
        assert r.status_code == 403 and "secret" in r.text, action
    # a wrong secret, in the URL or the login form, opens nothing
    r = anon.get("/facilitator?secret=wrong", follow_redirects=True)
    assert r.status_code == 403 and "ckg_f" not in anon.cookies
    r = anon.post("/login", data={"secret": "wrong"})
    assert r.status_code == 403 and "ckg_f" not in anon.cookies
    forged = httpx.Client(base_url=server.base, cookies={"ckg_f": "0" * 32})
    assert forged.get("/facilitator").status_code == 401


def test_csrf_is_refused(server):
    c, code, csrf = server.participant()
    submit(server, c, code, csrf, text="Fake visas sold online", category=ENABLING, contributor="P43")
    fac = server.facilitator()
    sid = next(s for s, t in queue_ids(fac) if t == "Fake visas sold online")
    # the facilitator's cookie alone is not enough: no token, a wrong token, another site's Origin
    assert fac.post(f"/facilitator/accept/{sid}", data={}).status_code == 403
    assert fac.post(f"/facilitator/accept/{sid}", data={"csrf": "0" * 32}).status_code == 403
    good = facilitator_csrf(fac)
    r = fac.post(f"/facilitator/accept/{sid}", data={"csrf": good}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "CSRF" in r.text
    # the participant's token is not the facilitator's
    assert fac.post(f"/facilitator/accept/{sid}", data={"csrf": csrf}).status_code == 403
    # participants: a token made for someone else, or none
    other, _, other_csrf = server.participant()
    assert other.post(f"/s/{code}/submit", data={"csrf": csrf, "text": "x", "category": ENABLING}).status_code == 403
    assert c.post(f"/s/{code}/submit", data={"text": "x", "category": ENABLING}).status_code == 403
    assert sid in dict(queue_ids(fac))


def test_html_in_a_contribution_is_text_in_every_page(server):
    c, code, csrf = server.participant()
    r = submit(server, c, code, csrf, text=XSS, label=XSS[:60], category=ENABLING, contributor="P44")
    assert "<img" not in r.text and "&lt;img src=x" in r.text
    fac = server.facilitator()
    page = fac.get("/facilitator").text
    assert "<img" not in page and "&lt;img src=x onerror=" in page
    sid = next(s for s, t in queue_ids(fac) if t.startswith("&lt;img"))
    assert "<img" not in fac.get(f"/facilitator/edit/{sid}").text
    fac.post(f"/facilitator/accept/{sid}", data={"csrf": facilitator_csrf(fac)})
    live = fac.get("/live").text
    assert "<img src=x" not in live and "\\u003cimg src=x" in live
    assert "<img src=x" not in fac.get("/live/data").text


# -- limits on what one request may send ----------------------------------------------------------------

SCRIPTS = {"ja": "国境管理の脆弱さ", "ru": "Коррупция на границе", "ar": "فساد الموظفين على الحدود",
           "th": "การทุจริตที่ชายแดน", "zh": "边境管理薄弱", "es": "Corrupción en la frontera"}


def refusal(r: httpx.Response, status: int, *words: str) -> None:
    """A refusal: the status, one line of plain text that starts with "refused:" and says ``words``."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.text.startswith("refused: ") and r.text.count("\n") == 1 and r.text.endswith("\n"), r.text[:300]
    assert all(w in r.text for w in words), r.text


def still_answers(server: Server) -> None:
    """The server answers afterwards: its health, and a participant's ordinary submission."""
    assert httpx.get(server.base + "/health", timeout=10).text == "ok\n"
    c, code, csrf = server.participant()
    r = c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": "Visa brokers after a refusal", "category": ENABLING}, timeout=10)
    assert r.status_code == 200 and "your contribution was received" in r.text


def test_a_body_over_the_limit_is_refused_with_413_and_one_line(server):
    c, code, csrf = server.participant()
    big = {"csrf": csrf, "text": "x", "category": ENABLING, "padding": "y" * (300 * 1024)}
    refusal(c.post(f"/s/{code}/submit", data=big, timeout=10), 413, "request body is 307,", "at most 262,144", "--max-body")
    # no Content-Length: the body comes in chunks, and is cut off at the limit all the same
    chunks = (b"text=" + b"z" * 1024 for _ in range(400))
    r = c.post(f"/s/{code}/submit", content=chunks, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    refusal(r, 413, "more than 262,144 bytes")
    # the SPARQL endpoint too, where a query comes as the body
    r = httpx.post(server.base + "/sparql", content="ASK {}" + " " * (300 * 1024), headers={"Content-Type": "application/sparql-query"}, timeout=10)
    refusal(r, 413, "request body")
    still_answers(server)


def test_a_declared_length_over_the_limit_is_refused_before_the_body_comes(server):
    """The server answers 413 at once from the header, without waiting for (or reading) the body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/sparql-query\r\n"
                  f"Content-Length: {10 ** 9}\r\n\r\nASK {{}}".encode())
        answer = b""
        while chunk := s.recv(4096):  # the answer, then the server closes the connection (a timeout fails the test)
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and b"connection: close" in head.lower(), answer
    assert body.decode() == "refused: the request body is 1,000,000,000 bytes; this server takes at most 262,144 (crimekg serve --max-body)\n"
    still_answers(server)


def test_a_request_line_or_headers_over_the_limit_are_refused(server):
    long_query = "SELECT * WHERE { ?s ?p \"" + "Коррупция " * 400 + "\" }"  # 4,000 characters, 23 KB in a URL
    r = httpx.get(server.base + "/sparql", params={"query": long_query}, timeout=10)
    refusal(r, 414, "line and headers hold", "at most 16,384", "by POST")
    r = httpx.get(server.base + "/health", headers={"X-Padding": "p" * 20_000}, timeout=10)
    refusal(r, 431, "at most 16,384")
    # the same query by POST is within the body's limit
    r = httpx.post(server.base + "/sparql", data={"query": long_query}, headers={"Accept": "text/csv"}, timeout=10)
    assert r.status_code == 200 and set(r.text.split("\r\n")[0].split(",")) == {"s", "p"}, r.text[:200]
    still_answers(server)


@pytest.mark.parametrize("field,limit", [("text", 2000), ("contributor", 32), ("place", 200), ("label", 200)])
def test_each_form_field_has_a_length_limit(server, field, limit):
    c, code, csrf = server.participant()
    fields = {"csrf": csrf, "text": "Brokers at the border", "category": ENABLING}
    r = c.post(f"/s/{code}/submit", data={**fields, field: "ب" * (limit + 1)}, timeout=10)
    refusal(r, 413, f'field "{field}" holds {limit + 1:,} characters', f"at most {limit:,}")
    # the form itself tells the browser the same limit
    page = c.get(f"/join?code={code}", timeout=10).text
    assert re.search(rf'name="{field}"[^>]*maxlength="(\d+)"', page).group(1) == str(min(limit, 80) if field == "label" else limit)
    still_answers(server)


def test_a_text_at_its_limit_is_taken_in_every_script(server):
    c, code, csrf = server.participant()
    for lang, words in SCRIPTS.items():
        text = (words * 2000)[:2000]
        r = c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": text, "category": ENABLING, "language": lang}, timeout=10)
        assert r.status_code == 200 and "your contribution was received" in r.text, (lang, r.text[-300:])
    fac = server.facilitator()
    texts = {t for _, t in queue_ids(fac)}
    assert all(any(t.startswith(w) for t in texts) for w in SCRIPTS.values())


def test_too_many_fields_and_files_are_refused(server):
    c, code, csrf = server.participant()
    many = [("csrf", csrf), ("text", "x"), ("category", ENABLING)] + [(f"f{i}", "1") for i in range(60)]
    refusal(c.post(f"/s/{code}/submit", data=dict(many), timeout=10), 413, "more than 40 fields")
    r = c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": "x"}, files={"sheet": ("s.csv", b"text\nPorous borders\n", "text/csv")}, timeout=10)
    refusal(r, 400, "no file uploads", "crimekg import")
    # the facilitator's forms have the same limits
    fac = server.facilitator()
    sid = queue_ids(fac)[0][0]
    r = fac.post(f"/facilitator/reject/{sid}", data={"csrf": facilitator_csrf(fac), "note": "n" * 501}, timeout=10)
    refusal(r, 413, 'field "note" holds 501 characters')
    assert sid in dict(queue_ids(fac)), "nothing was done"
    still_answers(server)


def test_max_body_is_an_option(tmp_path_factory):
    s = start_server(tmp_path_factory, "--max-body", "2048")
    try:
        c, code, csrf = s.participant()
        refusal(c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": "ж" * 1000, "category": ENABLING}, timeout=10),
                413, "at most 2,048 (crimekg serve --max-body)")
        r = c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": "Brokers", "category": ENABLING}, timeout=10)
        assert r.status_code == 200 and "your contribution was received" in r.text
    finally:
        s.stop()


# -- durability ---------------------------------------------------------------------------------------


def test_a_restart_keeps_pending_submissions_and_a_kill_loses_no_accepted_one(tmp_path_factory):
    import threading

    s = start_server(tmp_path_factory)
    texts = [f"Burst contribution {i}" for i in range(8)]
    try:
        c, code, csrf = s.participant()
        for text in texts:
            submit(s, c, code, csrf, text=text, category=ENABLING, contributor="P50")
        fac = s.facilitator()
        ids = dict((t, sid) for sid, t in queue_ids(fac))
        token = facilitator_csrf(fac)
        acknowledged: list[str] = []
        third = threading.Event()

        def accept_all() -> None:
            for text in texts[:6]:
                try:
                    r = fac.post(f"/facilitator/accept/{ids[text]}", data={"csrf": token})
                except httpx.TransportError:
                    return  # killed in the middle of this one
                if r.status_code == 303:
                    acknowledged.append(text)
                if len(acknowledged) == 3:
                    third.set()

        worker = threading.Thread(target=accept_all)
        worker.start()
        assert third.wait(120)
        s.stop(signal.SIGKILL)  # in the middle of the burst of acceptances
        worker.join(60)
        s.start()
        fac = s.facilitator()
        query = 'SELECT ?t WHERE { ?c a ckg:Contribution ; ckg:text ?t FILTER(STRSTARTS(?t, "Burst")) }'
        stored = sorted(r["t"]["value"] for r in sparql_select(s, query))
        pending = {t: sid for sid, t in queue_ids(fac)}
        assert set(acknowledged) <= set(stored)  # every acknowledged acceptance survived the kill
        assert set(stored) | set(pending) == set(texts)  # nothing lost: stored, or still waiting
        assert {texts[6], texts[7]} <= set(pending)
        # accepting again what a kill cut short stores it once, never twice
        token = facilitator_csrf(fac)
        for sid in pending.values():
            assert fac.post(f"/facilitator/accept/{sid}", data={"csrf": token}).status_code == 303
        assert sorted(r["t"]["value"] for r in sparql_select(s, query)) == sorted(texts)
        assert queue_ids(fac) == []
        # the participant's page (same cookie) still works, and the join code is the same
        assert s.codes["room-2"] == code
        assert c.get(f"/join?code={code}").text.count('data-status="accepted"') == 8
    finally:
        s.stop()


def test_a_journal_line_cut_short_by_a_kill_is_ignored(tmp_path):
    from crimekg.graph.server.room import Room

    with init_store(tmp_path / "ws") as store:
        room = Room(store, "s1")
        sub, problems = room.submit("s1", "owner", {"text": "Porous borders", "category": "enabling"})
        assert not problems
        with open(room.journal, "a", encoding="utf-8") as f:
            f.write('{"op": "submit", "id": "half')
        again = Room(store, "s1")
        assert [s.fields["text"] for s in again.queue()] == ["Porous borders"]
        assert again.codes == room.codes


def test_a_restart_keeps_where_each_submission_stands_and_no_more(tmp_path):
    """The journal is rewritten when the room opens: an edited text's first version, the text an
    Accept with markers redacted and a withdrawn submission are no longer on disk."""
    from crimekg.graph.server.room import Room

    with init_store(tmp_path / "ws") as store:
        room = Room(store, "s1")
        phone = "+81 90-1234-5678"
        first, _ = room.submit("s1", "p1", {"text": f"田中さんに電話 {phone} で募集", "category": "enabling"})
        edited, _ = room.submit("s1", "p2", {"text": "Фальшивые визы (first draft)", "category": "enabling"})
        room.edit(edited.id, {"text": "Фальшивые визы", "category": "enabling"}, owner="p2")
        gone, _ = room.submit("s1", "p3", {"text": "نص سحب لاحقا", "category": "enabling"})
        room.withdraw(gone.id, owner="p3")
        waiting, _ = room.submit("s1", "p4", {"text": "การทุจริตที่ชายแดน", "category": "enabling"})
        room.accept(first.id, redact=True)
        before = room.journal.read_text(encoding="utf-8")
        assert phone in before and "first draft" in before and "نص سحب" in before  # every event, as it came
        again = Room(store, "s1")
        kept = again.journal.read_text(encoding="utf-8")
        assert phone not in kept and "田中さん" not in kept and "first draft" not in kept and "نص سحب" not in kept
        assert again.journal.stat().st_mode & 0o077 == 0
        assert sorted(s.fields["text"] for s in again.queue()) == ["Фальшивые визы", "การทุจริตที่ชายแดน"]
        assert [s.id for s in again.queue()] == [s.id for s in room.queue()]  # in the order it had
        accepted = again.submissions[first.id]
        assert accepted.status == "accepted" and "[redacted: phone]" in accepted.fields["text"] and accepted.item
        assert gone.id not in again.submissions
        assert Room(store, "s1").journal.read_text(encoding="utf-8") == kept  # rewriting again changes nothing
        assert waiting.id in again.submissions


def test_lan_listens_on_every_interface_and_prints_the_join_url_and_a_qr_code(tmp_path, monkeypatch):
    import crimekg.graph.server as server_module

    with init_store(tmp_path / "ws"):
        pass
    seen = []
    monkeypatch.setattr(server_module, "run", lambda app, options: seen.append(options.host))
    monkeypatch.setattr(server_module, "lan_address", lambda: "192.0.2.10")
    r = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "ws"), "--lan", "--session", "room-2", "--port", "9999"])
    assert r.exit_code == 0, r.output
    assert seen == ["0.0.0.0"]
    code = re.search(r"Join room-2: http://192\.0\.2\.10:9999/join\?code=(\w+)", r.stderr).group(1)
    assert "(the room network)" in r.stderr and "▀" in r.stderr  # the QR code, drawn with half blocks
    # without --lan: this machine only, no QR code; the join code is the one printed before
    r = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "ws"), "--port", "9999"])
    assert r.exit_code == 0, r.output
    assert seen[-1] == "127.0.0.1" and "▀" not in r.stderr
    assert f"Join room-2: http://127.0.0.1:9999/join?code={code}  (code {code})" in r.stderr


def test_the_qr_code_holds_the_join_url():
    from crimekg.graph.server import qr_svg, qr_text

    url = "http://192.0.2.10:8765/join?code=K7QX2M"
    svg = qr_svg(url)
    assert svg.startswith("<svg") and "http" not in svg.split(">", 1)[1]  # drawn, not linked
    assert len(qr_text(url).splitlines()) > 10
    assert qr_text(url) != qr_text(url.replace("K7QX2M", "K7QX2N"))


def test_a_format_parameter_wins_over_a_browsers_accept_header(server):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = httpx.get(server.base + "/sparql", params={"query": COUNT_FACTORS, "format": "csv"}, headers={"Accept": browser_accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0] == "n" and int(r.text.splitlines()[1]) >= 25  # plus what earlier tests accepted
    r = httpx.get(server.base + "/query")
    assert r.status_code == 200 and 'action="/sparql"' in r.text and "/queries/factors-by-place" in r.text


def test_submissions_sent_at_once_are_all_journaled_in_order(tmp_path):
    """Group commit: many threads submitting together each get their own acknowledged submission,
    every one is in the journal, and a new room reads back the same queue."""
    from concurrent.futures import ThreadPoolExecutor

    from crimekg.graph.server.room import Room

    texts = [f"{w} {i}" for i, w in enumerate(["Porous borders", "国境の管理が弱い", "Слабый контроль", "حدود مفتوحة",
                                                 "พรมแดนเปิด", "边境管控薄弱", "Fronteras porosas"] * 6)]
    with init_store(tmp_path / "ws") as store:
        room = Room(store, "s1")
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda t: room.submit("s1", "owner-" + t[-1], {"text": t, "category": "enabling"}), texts))
        assert all(sub is not None and not problems for sub, problems in results)
        assert {sub.fields["text"] for sub, _ in results} == set(texts)
        lines = room.journal.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(texts) and len({json.loads(x)["id"] for x in lines}) == len(texts)
        again = Room(store, "s1")
        assert [s.id for s in again.queue()] == [s.id for s in room.queue()]
        assert {s.fields["text"] for s in again.queue()} == set(texts)


def test_the_room_reads_its_vocabulary_once_and_again_only_when_the_concepts_change(tmp_path, monkeypatch):
    from rdflib import RDF, URIRef

    from crimekg import ontology
    from crimekg.graph.contributions import Vocabulary
    from crimekg.graph.server.room import Room, changes_concepts
    from crimekg.graph.store import Changeset

    reads = []
    real = Vocabulary.from_store.__func__
    monkeypatch.setattr(Vocabulary, "from_store", classmethod(lambda cls, store: reads.append(1) or real(cls, store)))
    with init_store(tmp_path / "ws") as store:
        room = Room(store, "s1")
        reads.clear()  # creating the session reads it once for itself
        ids = [room.submit("s1", "o", {"text": t, "category": "enabling"})[0].id for t in ("Porous borders", "汚職した役人", "فساد الموظفين")]
        items = [room.accept(sid) for sid in ids]
        assert len(reads) == 1 and len(set(items)) == 3
        assert room.words().vocab is room.vocab  # the named queries' words share it
        # what accepting writes is no concept; a new category is
        done = Changeset()
        done.add_triples("urn:g", [(URIRef(items[0]), RDF.type, URIRef(ontology.CKG + "Factor"))])
        assert not changes_concepts(done)
        new = Changeset()
        new.add_triples("urn:g", [(URIRef("urn:c"), URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), URIRef(ontology.SCHEME + "category"))])
        assert changes_concepts(new)
        room.forget_vocabulary()
        room.check({"text": "x", "category": "enabling"})
        assert len(reads) == 2


def test_the_form_checks_a_contributor_code_against_the_sessions_own_pattern(tmp_path, monkeypatch):
    """As accepting will: a session that numbers its tables T-01... takes T-07 and refuses P07.
    The pattern is read once per session and kept with the vocabulary, not queried per submission."""
    import rdflib

    import crimekg.graph.server.room as room_module
    from crimekg.graph.server.room import Room, changes_sessions
    from crimekg.graph.store import Changeset, graph_iri
    from crimekg.graph.terms import CKG, session_iri

    reads = []
    real = room_module.session_code_pattern
    monkeypatch.setattr(room_module, "session_code_pattern", lambda store, session: reads.append(session) or real(store, session))
    with init_store(tmp_path / "ws") as store:
        room = Room(store, "s1")
        form = {"text": "偽造ビザ", "category": "enabling", "contributor": "T-07"}
        _sub, problems = room.submit("s1", "owner", form)
        assert list(problems) == ["contributor"], "the default pattern (P07) refuses T-07"
        for text in ("Коррупция", "فساد", "การทุจริต"):
            assert not room.submit("s1", "owner", {"text": text, "category": "enabling", "contributor": "P07"})[1]
        assert reads == ["s1"]
        changes = Changeset()
        changes.add_triples(graph_iri("contributions/s1"), [(rdflib.URIRef(session_iri("s1")), rdflib.URIRef(CKG + "contributorCodePattern"), rdflib.Literal(r"^T-\d\d$"))])
        assert changes_sessions(changes)  # a write of the room's own that does this forgets what it kept
        store.write(changes)
        room.forget_vocabulary()
        sub, problems = room.submit("s1", "owner", form)
        assert reads == ["s1", "s1"]
        assert not problems and sub is not None
        assert list(room.edit(sub.id, {**form, "contributor": "P07"}, owner="owner")) == ["contributor"]
