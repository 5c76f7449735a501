"""The Frontex importer: detections as observations by route, border type, nationality and month."""

from __future__ import annotations

import pytest

from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import frontex
from tests.helpers import EVIDENCE_DATA as DATA
from tests.helpers import SHARED_DATA, import_sample, snapshot


def test_rows_become_observations(workspace):
    plan = import_sample(workspace, frontex, "frontex-sample.csv")
    assert plan.summary["observations"] == 14
    rows = workspace.select(
        "SELECT ?o ?n ?month ?mode ?nat WHERE { ?o ckg:indicator <https://w3id.org/crimekg/concept/indicator/illegal-border-crossings> ; "
        "ckg:count ?n ; ckg:refMonth ?month ; ckg:borderType ?mode ; ckg:citizenship ?nat }")
    assert len(rows) == 14
    assert sum(int(r["n"]) for r in rows) == plan.summary["detections"]
    assert {str(r["mode"]).rsplit("/", 1)[-1] for r in rows} <= {"sea", "land"}
    assert "https://w3id.org/crimekg/place/NGA" in {str(r["nat"]) for r in rows}


def test_bad_month_and_other_layouts_are_refused(workspace, tmp_path):
    before = snapshot(workspace)
    bad = tmp_path / "frontex-bad.csv"
    bad.write_text("route,type,nat,month,n\nCentral Mediterranean Route,Sea,NGA,2016/01,3.0\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"line 2, column 'month': '2016/01'"):
        frontex.plan(bad, workspace)
    with pytest.raises(InvalidInput, match="not the frontex layout"):
        frontex.plan(DATA / "sherloc-sample.csv", workspace)
    assert snapshot(workspace) == before


@pytest.mark.skipif(not (SHARED_DATA / "frontex-crossings").is_dir(), reason="the Frontex file is not in ../shared/data")
def test_real_file(workspace):
    plan = frontex.plan(SHARED_DATA / "frontex-crossings" / "frontex_ibc_monthly.csv.gz", workspace)
    assert plan.summary["observations"] == 34_273
