"""Every module of the installed library runs its docstring examples (``>>>``) as tests.

The modules are imported under their installed names (``crimekg.graph.store``...), the names
users write, rather than collected from the checkout's files.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import crimekg.graph

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(crimekg.graph.__path__, prefix="crimekg.graph.")
) + ["crimekg.graph", "crimekg.ontology", "crimekg.examples"]


def test_the_library_has_modules_to_check():
    assert "crimekg.graph.store" in MODULES and "crimekg.graph.importers.glotip" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test)
    failed, _attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} docstring example(s) of {name} failed (see the output above)"
