"""crimekg installs under one import name: no top-level ``graph``, ``cli``, ``ontology`` or ``examples``."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.helpers import ROOT

TOP_LEVEL_CLASHES = ("graph", "cli", "ontology", "examples")


def test_installed_names_are_under_crimekg_only(tmp_path):
    # run outside the checkout, so that only what is installed can be imported
    code = (
        "import importlib.util as u, crimekg.graph.store, crimekg.cli, crimekg.ontology, crimekg.examples;"
        f"print([n for n in {TOP_LEVEL_CLASHES!r} if u.find_spec(n) is not None])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_package_data_is_found_through_the_installed_names(tmp_path):
    code = (
        "from crimekg import ontology, examples; from importlib.resources import files;"
        "print(ontology.path('crimekg.ttl').is_file(), examples.path('example-session.ttl').is_file(),"
        " (files('crimekg.graph') / 'queries' / 'sessions.rq').is_file(),"
        " (files('crimekg.graph') / 'templates' / 'view.html').is_file())"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"] * 4, out.stdout + out.stderr


@pytest.mark.slow
def test_the_wheel_holds_nothing_at_the_top_but_crimekg(tmp_path):
    """What `pip install .` would put into site-packages: the wheel's files."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    if build.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{build.stderr[-2000:]}")
    (wheel,) = tmp_path.glob("crimekg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"crimekg"}, tops
    for needed in ("crimekg/cli.py", "crimekg/graph/store.py", "crimekg/graph/importers/glotip.py",
                   "crimekg/graph/queries/sessions.rq", "crimekg/graph/templates/view.html",
                   "crimekg/ontology/crimekg.ttl", "crimekg/examples/example-session.ttl"):
        assert needed in names, needed
    assert not any(n.startswith("crimekg/tests/") for n in names)
