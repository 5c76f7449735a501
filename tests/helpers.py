"""Helpers shared by the tests: small graphs written by the tests themselves, store snapshots, Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import rdflib


EX = rdflib.Namespace("http://example.org/")
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def small_graph() -> rdflib.Graph:
    """A dozen triples with every kind of term: IRIs, plain, typed and tagged literals, a blank node."""
    g = rdflib.Graph()
    g.bind("ex", EX)
    b = rdflib.BNode()
    g.add((EX.corruption, rdflib.RDF.type, EX.Factor))
    g.add((EX.corruption, rdflib.SKOS.prefLabel, rdflib.Literal("Corrupt border officials")))
    g.add((EX.corruption, rdflib.SKOS.altLabel, rdflib.Literal("Bribery at checkpoints")))
    g.add((EX.corruption, rdflib.SKOS.altLabel, rdflib.Literal("Корупція", lang="uk")))
    g.add((EX.corruption, EX.weight, rdflib.Literal(3)))
    g.add((EX.corruption, EX.share, rdflib.Literal("0.49", datatype=rdflib.XSD.decimal)))
    g.add((EX.corruption, EX.note, rdflib.Literal('quotes " and <angle> & ampersands')))
    g.add((EX.corruption, EX.links, b))
    g.add((b, EX.to, EX.impunity))
    g.add((b, EX.relation, rdflib.Literal("reinforces")))
    g.add((EX.impunity, rdflib.RDF.type, EX.Factor))
    g.add((EX.impunity, rdflib.SKOS.prefLabel, rdflib.Literal("Weak prosecution")))
    return g


def snapshot(store) -> bytes:
    """Every quad of a workspace, canonically sorted, to compare a store before and after."""
    import io

    buf = io.BytesIO()
    store.export(buf, "nq")
    return b"\n".join(sorted(buf.getvalue().splitlines()))


#: The small sample files of the evidence importers.
EVIDENCE_DATA = ROOT / "tests" / "data" / "evidence"


def import_sample(store, importer, name: str, *, detect: bool = True):
    """Plan an evidence importer's sample file ``name`` and write it; return the plan. With
    ``detect``, the file must first be recognised as that importer's source."""
    from crimekg.graph.importers import detect_source

    path = EVIDENCE_DATA / name
    if detect:
        assert detect_source(path) == importer.NAME
    plan = importer.plan(path, store)
    store.write(plan.changes)
    return plan


def assert_refused(store, importer, path, match: str) -> None:
    """Planning ``path`` with ``importer`` is refused with an error matching ``match``, and the
    workspace is left exactly as it was."""
    from crimekg.graph.errors import InvalidInput

    before = snapshot(store)
    with pytest.raises(InvalidInput, match=match):
        importer.plan(path, store)
    assert snapshot(store) == before


def staging_graphs(store) -> list[str]:
    """Staging graphs left in a workspace (there must never be any after a command)."""
    from crimekg.graph.store import STAGING

    return [g.value for g in store.oxigraph.named_graphs() if g.value.startswith(STAGING)]


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """Debian's chromium (or CRIMEKG_CHROMIUM), if there is one."""
    for candidate in (os.environ.get("CRIMEKG_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def no_browser(reason: str):
    if os.environ.get("CRIMEKG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and CRIMEKG_REQUIRE_BROWSER=1 says the browser tests must run")
    pytest.skip(reason)


# -- SPARQL servers for the remote-store tests ---------------------------------------------------


def oxigraph_command() -> list[str] | None:
    """The Oxigraph server binary that the ``oxigraph`` package installs (next to this Python first)."""
    import sys

    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    return [found] if found else None


def fuseki_command() -> tuple[list[str] | None, str]:
    """``java -jar FUSEKI_JAR`` when both are there; else None and why."""
    jar = os.environ.get("FUSEKI_JAR")
    java = shutil.which("java")
    if not jar:
        return None, ("Apache Jena Fuseki is not available: set FUSEKI_JAR to a jena-fuseki-server 5.x jar "
                      "(Maven Central, where it is published, cannot be reached from this machine)")
    if not Path(jar).is_file():
        return None, f"FUSEKI_JAR={jar}: no such file"
    if not java:
        return None, "Fuseki needs Java 17 or later (apt-get install openjdk-17-jre-headless)"
    return [java, "-Xmx2g", "-jar", jar], ""


#: The minimal SPARQL protocol front over Apache Jena ARQ and TDB2 (not Fuseki), and Debian's jars.
JENA_SOURCE = ROOT / "tests" / "tools" / "jena" / "JenaSparqlServer.java"
JENA_JARS = Path(os.environ.get("CRIMEKG_JENA_JARS", "/usr/share/java"))
#: Jena's modules for ARQ and TDB2, then their dependencies (Debian's unversioned jar names);
#: one slf4j binding (nop), since the directory holds several that must not meet.
_JENA_MODULES = ["jena-arq", "jena-base", "jena-core", "jena-dboe-base", "jena-dboe-index", "jena-dboe-storage",
                 "jena-dboe-trans-data", "jena-dboe-transaction", "jena-iri", "jena-tdb2"]
_JENA_DEPENDENCIES = ["commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3",
                      "dexx.collection", "gson", "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind",
                      "jackson-annotations", "jsonld-java", "jakarta.json-api", "titanium-json-ld", "protobuf", "thrift",
                      "slf4j-api", "slf4j-nop"]


def jena_command(build: Path) -> tuple[list[str] | None, str]:
    """``java -cp ... JenaSparqlServer`` (compiled into ``build``), or None and why it cannot run."""
    import subprocess
    import zipfile

    java, javac = shutil.which("java"), shutil.which("javac")
    if not java or not javac:
        return None, "the jena backend needs a JDK 17 (apt-get install default-jdk-headless): no java/javac found"
    missing = [m for m in _JENA_MODULES if not (JENA_JARS / f"{m}.jar").is_file()]
    if missing:
        return None, (f"the jena backend needs Apache Jena's jars in {JENA_JARS} (apt-get install libapache-jena-java); "
                      f"missing: {', '.join(missing)}")
    jars = [str(JENA_JARS / f"{m}.jar") for m in _JENA_MODULES]
    jars += [str(JENA_JARS / f"{d}.jar") for d in _JENA_DEPENDENCIES if (JENA_JARS / f"{d}.jar").is_file()]
    classpath = os.pathsep.join([str(build), *jars])
    done = subprocess.run([javac, "-nowarn", "-d", str(build), "-cp", classpath, str(JENA_SOURCE)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"the jena backend did not compile: {done.stderr.strip().splitlines()[:1]}"
    # Debian's jena-core moved Jena's bundled Xerces classes to the package ``xerces`` but left their
    # message files under the old one; without them every datatype fails to initialise
    with zipfile.ZipFile(JENA_JARS / "jena-core.jar") as jar:
        old = "org/apache/jena/ext/xerces/"
        for name in jar.namelist():
            if name.startswith(old) and name.endswith(".properties"):
                target = build / "xerces" / name[len(old):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return [java, "-Xmx1g", "-cp", classpath, "JenaSparqlServer"], ""


def no_server(reason: str, require: str):
    """Skip a server test, or fail it when the environment variable ``require`` says it must run."""
    if os.environ.get(require) == "1":
        pytest.fail(f"{reason}, and {require}=1 says it must run")
    pytest.skip(reason)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SparqlServer:
    """A SPARQL server process bound to 127.0.0.1 on a free port, for the remote-store tests."""

    def __init__(self, name: str, argv_for, path: str):
        self.name, self.argv_for, self.path = name, argv_for, path
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @classmethod
    def start(cls, name: str, argv_for, path: str) -> "SparqlServer":
        server = cls(name, argv_for, path)
        server.run()
        return server

    def run(self, wait: float = 60.0) -> None:
        """Start (or restart, on the same port and data) the server and wait until it answers."""
        import subprocess
        import time
        import urllib.error
        import urllib.request

        self.proc = subprocess.Popen(self.argv_for(self.port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait
        probe = urllib.request.Request(self.url + "/query?query=" + "ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} server stopped at start (exit {self.proc.returncode})")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the {self.name} server did not answer within {wait:g} s")

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except Exception:
                self.proc.kill()
                self.proc.wait(10)

    def update(self, sparql: str) -> None:
        import urllib.request

        req = urllib.request.Request(self.url + "/update", data=sparql.encode(), headers={"Content-Type": "application/sparql-update"})
        with urllib.request.urlopen(req, timeout=60):
            pass

    def select(self, sparql: str) -> list[dict]:
        """A SELECT sent straight to the server (no crimekg in between), rows as {var: value}."""
        import json
        import urllib.parse
        import urllib.request

        req = urllib.request.Request(self.url + "/query", data=urllib.parse.urlencode({"query": sparql}).encode(),
                                     headers={"Accept": "application/sparql-results+json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=60) as r:
            data = json.load(r)
        return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]

    def clear(self) -> None:
        """An empty dataset for the next test."""
        self.update("DROP ALL")
