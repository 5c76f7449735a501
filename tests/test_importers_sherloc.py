"""The SHERLOC importer: case references with crime type, country, year and URL."""

from __future__ import annotations

import pytest

from crimekg.graph.importers import sherloc
from tests.helpers import SHARED_DATA, assert_refused, import_sample


def test_cases_with_place_year_and_topic(workspace):
    plan = import_sample(workspace, sherloc, "sherloc-sample.csv")
    assert plan.summary["cases"] == 10
    rows = workspace.select(
        "SELECT ?c ?place ?year ?url ?crime WHERE { ?c a ckg:CaseReference ; ckg:caseUrl ?url ; ckg:topic topic:criminal-justice-case-information . "
        "OPTIONAL { ?c ckg:place ?place } OPTIONAL { ?c ckg:refYear ?year } OPTIONAL { ?c ckg:crimeType ?crime } }")
    assert len(rows) == 10
    assert sum(1 for r in rows if str(r.get("place", "")).endswith("/NGA")) == 4
    assert any("year" not in r for r in rows)  # pages without a year segment keep no year
    assert all(str(r["url"]).startswith("https://sherloc.unodc.org/cld/case-law-doc/") for r in rows)


def test_a_link_that_is_not_a_case_page_is_refused(workspace, tmp_path):
    bad = tmp_path / "links.csv"
    bad.write_text(",name,page_link\n0,x,https://example.org/case.html\n", encoding="utf-8")
    assert_refused(workspace, sherloc, bad, r"line 2, column 'page_link'")


@pytest.mark.skipif(not (SHARED_DATA / "sherloc-case-index").is_dir(), reason="the SHERLOC index is not in ../shared/data")
def test_real_file(workspace):
    plan = sherloc.plan(SHARED_DATA / "sherloc-case-index" / "dataset links.csv", workspace)
    assert plan.summary["cases"] == 1_567
