"""The ``crimekg`` command, run in-process with click's CliRunner (and once as a real process)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from crimekg import ontology
from crimekg.cli import cli
from crimekg.graph.store import graph_iri, init_store, open_store
from tests.helpers import ROOT, small_graph, snapshot


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def ws(tmp_path):
    """Path of a fresh workspace with the ontology loaded (closed, ready for a command)."""
    init_store(tmp_path / "ws").close()
    return str(tmp_path / "ws")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(runner, name):
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"crimekg {name}" in result.output


def test_version(runner):
    from importlib.metadata import version

    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert version("crimekg") in result.output


def test_version_has_one_source(runner, ws):
    import configparser

    from crimekg.graph import __version__

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    assert __version__ == cfg["metadata"]["version"]  # the installed metadata is setup.cfg's
    assert runner.invoke(cli, ["--version"]).output.strip() == f"crimekg, version {__version__}"
    with open_store(ws) as store:
        made_with = store.select(f"SELECT ?v WHERE {{ GRAPH <{graph_iri('meta')}> {{ ?m ckg:createdWith ?v }} }}")
    assert [str(r["v"]) for r in made_with] == [f"crimekg {__version__}"]


def test_store_default_is_the_library_default(runner, tmp_path, monkeypatch):
    from crimekg.graph.store import DEFAULT_STORE

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRIMEKG_STORE", raising=False)
    result = runner.invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert f"Created workspace {DEFAULT_STORE} " in result.output
    assert runner.invoke(cli, ["graphs"]).exit_code == 0  # every command finds the same default
    monkeypatch.setenv("CRIMEKG_STORE", str(tmp_path / "elsewhere"))
    result = runner.invoke(cli, ["graphs"])
    assert result.exit_code == 1 and "elsewhere" in result.stderr
    assert DEFAULT_STORE in " ".join(runner.invoke(cli, ["graphs", "--help"]).output.split())


def test_help_does_not_import_heavy_libraries():
    code = "import sys, cli; heavy = [m for m in ('rdflib', 'pyshacl', 'pyvis', 'networkx', 'pyoxigraph') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_init_creates_a_workspace_with_the_session(runner, tmp_path):
    result = runner.invoke(cli, ["init", str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert re.search(r"Created workspace .*new \(\d+ triples\)", result.output)
    with open_store(tmp_path / "new") as store:
        assert store.graphs()[graph_iri("session")] > 0


def test_store_comes_from_the_environment(runner, tmp_path, monkeypatch, ws):
    monkeypatch.setenv("CRIMEKG_STORE", ws)
    result = runner.invoke(cli, ["graphs"])
    assert result.exit_code == 0, result.output
    for name in ontology.FILES.values():
        assert re.search(rf"^{name}\s+[\d,]+$", result.output, re.M), name


def test_load_export_round_trip(runner, tmp_path, ws):
    src = tmp_path / "notes.ttl"
    small_graph().serialize(src, format="turtle")
    result = runner.invoke(cli, ["load", str(src), "--store", ws])
    assert result.exit_code == 0, result.output
    assert f"load/notes: {len(small_graph())} triples" in result.output
    out = tmp_path / "out.ttl"
    result = runner.invoke(cli, ["export", "--graph", "load/notes", "-o", str(out), "--store", ws])
    assert result.exit_code == 0, result.output
    assert isomorphic(rdflib.Graph().parse(out), small_graph())


def test_export_to_stdout(runner, ws):
    result = runner.invoke(cli, ["export", "--graph", "session", "--store", ws])
    assert result.exit_code == 0, result.output
    g = rdflib.Graph().parse(data=result.stdout_bytes, format="turtle")
    assert len(g) > 20


def test_load_broken_file_names_line_and_changes_nothing(runner, tmp_path, ws):
    bad = tmp_path / "bad.ttl"
    bad.write_text('<http://example.org/a> <http://example.org/p> "open string .\n')
    with open_store(ws) as store:
        before = snapshot(store)
    result = runner.invoke(cli, ["load", str(bad), "--store", ws])
    assert result.exit_code == 1
    assert re.search(r"bad\.ttl: line 1, column \d+", result.stderr)
    with open_store(ws) as store:
        assert snapshot(store) == before


@pytest.mark.parametrize("args", [
    ["export", "-o", "{out}"],
    ["export", "--format", "graphml", "-o", "{out}"],
    ["query", "sessions", "-o", "{out}"],
    ["brief", "--country", "NGA", "-o", "{out}"],
    ["view", "session", "-o", "{out}"],
    ["template", "--format", "xlsx", "-o", "{out}"],
])
def test_output_in_a_missing_folder_is_a_clear_error(runner, tmp_path, ws, args):
    # regression: each of these ended in a FileNotFoundError traceback
    out = str(tmp_path / "no-such-folder" / "out.txt")
    args = [a.format(out=out) for a in args] + ([] if args[0] == "template" else ["--store", ws])
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Error: {out}: No such file or directory; check the path" in result.stderr


def test_missing_store_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["graphs", "--store", str(tmp_path / "absent")])
    assert result.exit_code == 1
    assert "crimekg init" in result.stderr


def test_drop(runner, tmp_path, ws):
    src = tmp_path / "notes.ttl"
    small_graph().serialize(src, format="turtle")
    runner.invoke(cli, ["load", str(src), "--store", ws])
    result = runner.invoke(cli, ["drop", "load/notes", "--store", ws])
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        assert graph_iri("load/notes") not in store.graphs()
    result = runner.invoke(cli, ["drop", "load/notes", "--store", ws])
    assert result.exit_code == 1 and "no graph 'load/notes'" in result.stderr


def test_drop_of_a_bundled_graph_asks_first_unless_yes(runner, ws):
    ontology_graph = graph_iri("ontology")
    result = runner.invoke(cli, ["drop", "ontology", "--store", ws])  # nothing to read: refuse
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "add --yes" in errors[0], result.stderr
    result = runner.invoke(cli, ["drop", "ontology", "--store", ws], input="n\n")
    assert result.exit_code == 1 and "Nothing dropped." in result.stderr
    with open_store(ws) as store:
        assert ontology_graph in store.graphs()
    result = runner.invoke(cli, ["drop", "ontology", "--store", ws], input="y\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["drop", "shapes", "--yes", "--store", ws])
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        assert ontology_graph not in store.graphs() and graph_iri("shapes") not in store.graphs()
    assert "--yes" in runner.invoke(cli, ["drop", "--help"]).output


def test_validate_exit_codes(runner, tmp_path, ws):
    assert runner.invoke(cli, ["validate", "--store", ws]).exit_code == 0
    bad = tmp_path / "factor.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/crimekg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/crimekg/data/factor/porous-borders> a ckg:Factor ;\n"
        "  skos:prefLabel \"Porous borders\" .\n"
    )
    result = runner.invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1, result.output
    assert "Porous borders" in result.output and "category" in result.output
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle")
    assert runner.invoke(cli, ["validate", str(broken)]).exit_code == 2


def test_demo_builds_everything(runner, tmp_path):
    target = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", str(target)])
    assert result.exit_code == 0, result.output
    assert "Validation: conforms" in result.output
    turtle = rdflib.Graph().parse(target / "crimekg.ttl")
    factors = set(turtle.subjects(rdflib.RDF.type, rdflib.URIRef(ontology.CKG + "Factor")))
    assert len(factors) >= 15
    html = (target / "factors.html").read_text()
    assert "vis.Network" in html and "http://" not in html.split("<script>", 1)[0].replace("http-equiv", "")
    again = runner.invoke(cli, ["demo", str(target)])
    assert again.exit_code == 1 and "--force" in again.stderr
