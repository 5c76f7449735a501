"""The CTDC importer: aggregated counts, keeping CTDC's codes for what is unknown."""

from __future__ import annotations

import pytest

from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import ctdc
from tests.helpers import EVIDENCE_DATA as DATA
from tests.helpers import SHARED_DATA, assert_refused, import_sample


def test_counts_add_up_to_the_records(workspace):
    plan = import_sample(workspace, ctdc, "ctdc-sample.csv")
    assert plan.summary["records"] == 17
    rows = workspace.select("SELECT ?o ?n WHERE { ?o ckg:indicator <https://w3id.org/crimekg/concept/indicator/registered-victims> ; ckg:count ?n }")
    assert sum(int(r["n"]) for r in rows) == 17
    # citizenship 0 (CTDC "00") and an empty cell (-99) stay distinct, and neither becomes a place
    cits = {str(r["c"]) for r in workspace.select("SELECT DISTINCT ?c WHERE { ?o ckg:indicator <https://w3id.org/crimekg/concept/indicator/registered-victims> ; ckg:citizenship ?c FILTER(isLiteral(?c)) }")}
    assert "00" in cits
    ages = {str(r["a"]).rsplit("/", 1)[-1] for r in workspace.select("SELECT DISTINCT ?a WHERE { ?o ckg:ageGroup ?a }")}
    assert "not-recorded" in ages
    # CTDC's age bands hang under the published ones (the sample has 18--20, no 9--17 rows)
    broader = workspace.select("SELECT ?b WHERE { <https://w3id.org/crimekg/concept/age/ctdc-18-20> skos:broader ?b }")
    assert [str(r["b"]).rsplit("/", 1)[-1] for r in broader] == ["18-plus"]


def test_bad_flag_is_refused(workspace, tmp_path):
    text = (DATA / "ctdc-sample.csv").read_text(encoding="utf-8").splitlines()
    cells = text[2].split(",")
    cells[4] = "yes"
    text[2] = ",".join(cells)
    bad = tmp_path / "ctdc-bad.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert_refused(workspace, ctdc, bad, r"line 3, column 'isForcedLabour': 'yes'")


def test_unknown_encoding_is_a_clear_error(workspace):
    # regression: --encoding nope ended in a LookupError traceback
    with pytest.raises(InvalidInput, match=r"ctdc-sample.csv: unknown encoding 'nope'; use e.g. utf-8, cp1252"):
        ctdc.plan(DATA / "ctdc-sample.csv", workspace, encoding="nope")


@pytest.mark.skipif(not (SHARED_DATA / "ctdc-2020-subset").is_dir(), reason="the CTDC file is not in ../shared/data")
def test_real_file(workspace):
    plan = ctdc.plan(SHARED_DATA / "ctdc-2020-subset" / "dados_app.csv", workspace)
    assert plan.summary["records"] == 48_773
