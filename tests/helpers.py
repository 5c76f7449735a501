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
