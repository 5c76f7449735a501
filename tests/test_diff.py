"""crimekg diff: two sessions, workspaces or releases compared."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.diff import diff, load_side, render_diff_view
from crimekg.graph.errors import InvalidInput
from crimekg.graph.release import release
from crimekg.graph.store import init_store, open_store
from tests.helpers import ROOT

S2025 = ROOT / "examples" / "example-session-2025.ttl"
S2026 = ROOT / "examples" / "example-session.ttl"


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    """One workspace with both sessions, and one per session."""
    root = tmp_path_factory.mktemp("diff")
    out = {}
    for name, files in (("both", [(S2025, "2025"), (S2026, "2026")]), ("y2025", [(S2025, "2025")]), ("y2026", [(S2026, "2026")])):
        with init_store(root / name) as store:
            for path, year in files:
                store.load([path], f"contributions/example-{year}")
        out[name] = str(root / name)
    runner = CliRunner()
    result = runner.invoke(cli, ["add", "factor", "人身取引の温床となる借金", "--category", "profiting", "--language", "ja",
                                 "--session", "example-2026", "--store", out["y2026"]])
    assert result.exit_code == 0, result.output
    return out


def test_two_sessions_of_one_workspace(workspaces, tmp_path):
    d = diff(load_side("example-2025", workspaces["both"]), load_side("example-2026", workspaces["both"]))
    f = d["factors"]
    assert (len(f["new"]), len(f["gone"]), len(f["kept"])) == (19, 3, 6)
    assert {x["label"] for x in f["gone"]} == {"Oaths sworn before shrine priests", "Recruitment through closed messaging groups",
                                               "Convictions are rare and sentences short"}
    # categories as each session's contributions gave them
    changed = {c["factor"].rsplit("/", 1)[-1]: c for c in f["changed"]}
    assert changed["victims-fear-of-authorities"]["categories"] == {"added": ["concealment"], "removed": ["impunity"]}
    assert d["concepts"]["category/profiting"] == {"a": 2, "b": 7, "new": 6, "gone": 1, "kept": 1}
    assert (len(d["links"]["new"]), len(d["links"]["gone"]), len(d["links"]["kept"])) == (26, 3, 0)
    page = render_diff_view(d, tmp_path / "diff.html").read_text(encoding="utf-8")
    assert "New in B" in page and "Gone from A" in page and "Oaths sworn before shrine priests" in page
    assert "https://" not in page.split("<script")[0]
    from crimekg.graph import views

    assert "diff-new" not in views.KIND_STYLES  # the view's styles are left as they were


def test_diff_of_workspaces_and_a_release_as_json(workspaces, tmp_path):
    with open_store(workspaces["y2025"]) as store:
        release(store, tmp_path / "rel-2025")
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", str(tmp_path / "rel-2025"), workspaces["y2026"], "--format", "json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["a"] == str(tmp_path / "rel-2025") and d["b"] == workspaces["y2026"]
    new = {x["label"] for x in d["factors"]["new"]}
    assert "人身取引の温床となる借金" in new and len(new) == 20
    assert len(d["factors"]["kept"]) == 6 and len(d["factors"]["gone"]) == 3
    table = runner.invoke(cli, ["diff", workspaces["y2025"], workspaces["y2026"], "--view", str(tmp_path / "v.html")])
    assert table.exit_code == 0, table.output
    assert "factors: 20 new, 3 gone, 6 kept" in table.stdout and "+ 人身取引の温床となる借金" in table.stdout
    assert (tmp_path / "v.html").is_file()


def test_diff_names_a_side_it_cannot_read(workspaces, tmp_path):
    with pytest.raises(InvalidInput, match="no session 'example-1999'"):
        load_side("example-1999", workspaces["both"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="neither a release"):
        load_side(str(tmp_path / "empty"))


def test_the_second_example_session_conforms_and_keeps_people_pseudonymous(workspaces):
    from crimekg.graph.validate import validate

    with open_store(workspaces["y2025"]) as store:
        assert validate(store).conforms
        codes = {str(r["c"]) for r in store.select("SELECT ?c WHERE { ?p a ckg:Participant ; ckg:contributorCode ?c }")}
        assert codes == {f"P0{i}" for i in range(1, 9)}
        counts = store.select("SELECT (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?f) AS ?m) WHERE { "
                              "?c prov:wasGeneratedBy session:example-2025 ; a ckg:Contribution . ?f a ckg:Factor ; prov:wasDerivedFrom ?c }")
        assert (int(counts[0]["n"]), int(counts[0]["m"])) == (9, 9)  # as examples/README.md says


@pytest.mark.browser
def test_diff_view_and_ontology_page_in_real_chromium(tmp_path, browser):
    """Both pages render offline, request nothing, log no error and show HTML labels as text."""
    import rdflib

    from crimekg.graph.store import Changeset, graph_iri

    label = "<img src=x onerror=alert(1)>"
    ws = str(tmp_path / "ws")
    with init_store(ws) as store:
        store.load([S2025], "contributions/example-2025")
        cls = rdflib.URIRef("https://w3id.org/crimekg/ontology#Xss")
        cs = Changeset()
        cs.add_triples(graph_iri("ontology"), [(cls, rdflib.RDF.type, rdflib.OWL.Class), (cls, rdflib.RDFS.label, rdflib.Literal(label, lang="en"))])
        store.write(cs)
        release(store, tmp_path / "rel", profile="full")
    result = CliRunner().invoke(cli, ["add", "factor", label, "--category", "enabling", "--session", "example-2025", "--store", ws])
    assert result.exit_code == 0, result.output
    d = diff(load_side(str(tmp_path / "rel")), load_side(ws))
    assert [x["label"] for x in d["factors"]["new"]] == [label]
    render_diff_view(d, tmp_path / "diff.html")
    for path, heading in ((tmp_path / "diff.html", None), (tmp_path / "rel" / "ontology.html", "crimekg ontology")):
        requests, errors, dialogs = [], [], []
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.resolve().as_uri())
        page.wait_for_timeout(500)
        if heading:
            assert page.inner_text("h1") == heading
            assert label in page.inner_text("body")
        assert page.locator("img").count() == 0
        page.close()
        assert requests == [path.resolve().as_uri()] and errors == [] and dialogs == [], path.name
