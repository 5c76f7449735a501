"""The IOM Missing Migrants importer: both layouts, routes, refusals."""

from __future__ import annotations

import pytest

from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import iom
from tests.helpers import EVIDENCE_DATA as DATA
from tests.helpers import SHARED_DATA, import_sample, snapshot


def test_2019_export_with_bom(workspace):
    plan = import_sample(workspace, iom, "iom-2019-sample.csv")
    assert plan.summary["incidents"] == 11
    rows = workspace.select(
        "SELECT ?o ?n ?route ?date WHERE { ?o ckg:indicator <https://w3id.org/crimekg/concept/indicator/dead-and-missing> ; "
        "ckg:count ?n ; dct:date ?date . OPTIONAL { ?o ckg:route ?route } }")
    assert len(rows) == 11
    routes = {str(r["route"]).rsplit("/", 1)[-1] for r in rows if "route" in r}
    assert routes == {"central-mediterranean", "western-balkans"}
    assert sum(1 for r in rows if "route" not in r) == 3  # the route column is often empty: no route, not a guess


def test_2025_table_and_route_topic(workspace):
    plan = import_sample(workspace, iom, "iom-2025-sample.csv", detect=False)
    assert plan.summary["incidents"] == 11
    topic = workspace.select(
        "SELECT ?t WHERE { <https://w3id.org/crimekg/concept/smuggling-route/central-mediterranean> ckg:topic ?t ; skos:inScheme scheme:smuggling-route }")
    assert [str(r["t"]).rsplit("/", 1)[-1] for r in topic] == ["migrant-smuggling-routes"]
    areas = workspace.select("SELECT DISTINCT ?a WHERE { ?o ckg:route ?r ; ckg:refArea ?a }")
    assert "https://w3id.org/crimekg/place/ITA" in {str(r["a"]) for r in areas}


def test_same_route_same_iri_in_iom_and_frontex(workspace):
    from crimekg.graph.importers import frontex

    import_sample(workspace, iom, "iom-2019-sample.csv", detect=False)
    workspace.write(frontex.plan(DATA / "frontex-sample.csv", workspace).changes)
    rows = workspace.select(
        "SELECT ?r WHERE { GRAPH <https://w3id.org/crimekg/graph/import/iom> { ?a ckg:route ?r } "
        "GRAPH <https://w3id.org/crimekg/graph/import/frontex> { ?b ckg:route ?r } }")
    assert {str(r["r"]).rsplit("/", 1)[-1] for r in rows} == {"central-mediterranean", "western-balkans"}


def test_reimport_changes_nothing_and_bad_files_are_refused(workspace, tmp_path):
    import_sample(workspace, iom, "iom-2025-sample.csv", detect=False)
    before = snapshot(workspace)
    assert import_sample(workspace, iom, "iom-2025-sample.csv", detect=False).summary == {"changes": 0}
    truncated = tmp_path / "iom-cut.csv"
    truncated.write_text((DATA / "iom-2025-sample.csv").read_text()[:700].rsplit(",", 4)[0], encoding="utf-8")
    with pytest.raises(InvalidInput, match="truncated"):
        iom.plan(truncated, workspace)
    with pytest.raises(InvalidInput, match="not the iom layout.*--source glotip"):
        iom.plan(DATA / "glotip-sample.csv", workspace)
    assert snapshot(workspace) == before


@pytest.mark.skipif(not (SHARED_DATA / "iom-missing-migrants").is_dir(), reason="the IOM files are not in ../shared/data")
def test_real_files(workspace):
    plan = iom.plan(SHARED_DATA / "iom-missing-migrants" / "MissingMigrants-Global-2019-12-31_correct.csv", workspace)
    assert plan.summary["incidents"] == 5_987 and plan.summary["dead and missing"] == 33_912
    plan = iom.plan(SHARED_DATA / "iom-missing-migrants" / "iom_mmp_2014_2025.csv.gz", workspace)
    assert plan.summary["incidents"] == 19_669 and plan.summary["dead and missing"] == 75_068
    assert "5 negative number(s)" in plan.warnings[0]
