"""An import that replaces a newer export of the same source with an older one says so."""

from __future__ import annotations

import pytest

from crimekg.graph.importers import plan_import
from tests.helpers import ROOT

EVIDENCE = ROOT / "tests" / "data" / "evidence"


def _import(store, source: str, path, **options) -> list[str]:
    plan = plan_import(source, path, store, **options)
    store.write(plan.changes)
    return plan.warnings


def _iom_2024(tmp_path):
    """The 2014-2025 sample moved ten years on: its latest year is 2024."""
    path = tmp_path / "iom-2024.csv"
    path.write_text((EVIDENCE / "iom-2025-sample.csv").read_text(encoding="utf-8").replace("2014-", "2024-"), encoding="utf-8")
    return path


def test_older_iom_export_replacing_a_newer_one_is_named_with_both_years(workspace, tmp_path):
    assert not [w for w in _import(workspace, "iom", _iom_2024(tmp_path)) if "older" in w]
    warnings = [w for w in _import(workspace, "iom", EVIDENCE / "iom-2019-sample.csv") if "older" in w]
    assert len(warnings) == 1
    latest = max(r["y"] for r in workspace.select("SELECT (MAX(STR(?y)) AS ?y) WHERE { ?o ckg:refYear ?y }"))
    assert "iom-2019-sample.csv" in warnings[0]
    assert "latest year 2019" in warnings[0] and "latest year 2024" in warnings[0], warnings[0]
    assert str(latest) == "2019", "the older export was imported all the same"


def test_newer_export_replacing_an_older_one_gives_no_warning(workspace, tmp_path):
    _import(workspace, "iom", EVIDENCE / "iom-2019-sample.csv")
    assert not [w for w in _import(workspace, "iom", _iom_2024(tmp_path)) if "older" in w]


def test_download_dates_are_compared_when_both_imports_record_one(workspace, tmp_path):
    _import(workspace, "iom", _iom_2024(tmp_path), download_date="2026-02-01")
    copy = tmp_path / "iom-again.csv"
    copy.write_bytes(_iom_2024(tmp_path).read_bytes() + b"\n")  # another file, the same years
    warnings = [w for w in _import(workspace, "iom", copy, download_date="2025-06-30") if "older" in w]
    assert len(warnings) == 1
    assert "downloaded 2025-06-30" in warnings[0] and "downloaded 2026-02-01" in warnings[0]


@pytest.mark.parametrize("first", ["2025-06-30", "2026-02-01"])
def test_the_same_file_again_gives_no_warning(workspace, first):
    _import(workspace, "iom", EVIDENCE / "iom-2025-sample.csv", download_date=first)
    assert not [w for w in _import(workspace, "iom", EVIDENCE / "iom-2025-sample.csv", download_date=first) if "older" in w]
