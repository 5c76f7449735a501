"""examples/analyst.ipynb runs (nbclient) and shows what it says: three queries as DataFrames, an analysis, a pyvis view."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT


def test_analyst_notebook_runs_and_shows_its_results():
    nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed: pip install -e '.[notebook]'")
    nbclient = pytest.importorskip("nbclient", reason="the notebook extra is not installed: pip install -e '.[notebook]'")
    pytest.importorskip("pandas", reason="the notebook extra is not installed: pip install -e '.[notebook]'")
    nb = nbformat.read(ROOT / "examples" / "analyst.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            for tag in cell.metadata.get("tags", []):
                out[tag] = cell.outputs
    text = lambda tag: "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in out[tag])  # noqa: E731
    assert text("load").strip() == "factors: 25"
    assert text("queries").startswith("30 26 4")  # factors by category, links, factors in several categories
    per_category = text("per-category")
    for line in ("concealment        8", "enabling           9", "impunity           6", "profiting          7"):
        assert line in per_category
    assert "Corruption of border, police and port officials" in text("central").splitlines()[1]
    html = next(o["data"]["text/html"] for o in out["pyvis"] if "text/html" in o.get("data", {}))
    assert html.startswith("<div><iframe srcdoc=") and "vis.Network" in html and "src=&quot;http" not in html
    assert "25 nodes, 26 edges" in text("pyvis")


def test_query_result_to_dataframe_for_each_kind(workspace):
    pytest.importorskip("pandas", reason="the notebook extra is not installed: pip install -e '.[notebook]'")
    from crimekg.graph.query import parse_query_text, run_query

    workspace.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    df = run_query(workspace, parse_query_text(
        "SELECT ?f ?label ?n WHERE { ?f a ckg:Factor ; skos:prefLabel ?label . BIND(STRLEN(?label) AS ?n) } ORDER BY ?label LIMIT 3", "q")).to_dataframe()
    assert list(df.columns) == ["f", "label", "n"] and len(df) == 3
    assert df["n"].tolist() == [len(x) for x in df["label"]] and df["f"][0].startswith("https://w3id.org/crimekg/data/factor/")
    ask = run_query(workspace, parse_query_text("ASK { ?f a ckg:Factor }", "a")).to_dataframe()
    assert ask.to_dict("list") == {"answer": [True]}
    triples = run_query(workspace, parse_query_text("CONSTRUCT { ?f a ckg:Factor } WHERE { ?f a ckg:Factor }", "c")).to_dataframe()
    assert list(triples.columns) == ["subject", "predicate", "object"] and len(triples) == 25
    assert set(triples["object"]) == {"https://w3id.org/crimekg/ontology#Factor"}
