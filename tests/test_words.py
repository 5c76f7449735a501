"""The same words everywhere: one table of (kind, word, meaning), run through every command that takes that kind.

Each word must be accepted and give the same result as the canonical slug or code it means:
the same view nodes, the same analysis, the same brief, the same query rows.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.store import init_store, open_store
from tests.helpers import ROOT

C = "https://w3id.org/crimekg/concept/"
P = "https://w3id.org/crimekg/place/"

#: (kind, word, the IRI it means)
WORDS = [
    ("crime", "TIP", C + "crime/trafficking-in-persons"),
    ("crime", "trafficking-in-persons", C + "crime/trafficking-in-persons"),
    ("crime", "trata de personas", C + "crime/trafficking-in-persons"),
    ("crime", "Human Trafficking", C + "crime/trafficking-in-persons"),
    ("crime", "人身取引", C + "crime/trafficking-in-persons"),
    ("crime", "SOM", C + "crime/smuggling-of-migrants"),
    ("crime", "Tráfico ilícito de migrantes", C + "crime/smuggling-of-migrants"),
    ("crime", C + "crime/smuggling-of-migrants", C + "crime/smuggling-of-migrants"),
    ("category", "impunity", C + "category/impunity"),
    ("category", "Impunity", C + "category/impunity"),
    ("category", "不処罰", C + "category/impunity"),
    ("category", "Impunité", C + "category/impunity"),
    ("category", "enabling", C + "category/enabling"),
    ("place", "NGA", P + "NGA"),
    ("place", "NG", P + "NGA"),
    ("place", "Nigeria", P + "NGA"),
    ("place", "nigeria", P + "NGA"),
    ("place", "Nigéria", P + "NGA"),
    ("place", "ナイジェリア", P + "NGA"),
    ("place", "Нигерия", P + "NGA"),
    ("place", "Western Africa", P + "m49/011"),
    ("place", "011", P + "m49/011"),
]


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def _by(kind: str) -> list:
    return [pytest.param(w, iri, id=f"{kind}:{w}") for k, w, iri in WORDS if k == kind]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("words") / "ws"
    with init_store(path) as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    return path


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.output


def _view_nodes(ws, tmp_path, option: str, word: str) -> list[str]:
    out = tmp_path / "v.html"
    _run(["view", "session", f"--{option}", word, "--store", str(ws), "-o", str(out)])
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", out.read_text(encoding="utf-8")).group(1))
    return sorted(json.dumps(n, sort_keys=True, ensure_ascii=False) for n in data["nodes"])


def test_the_resolver_gives_each_word_its_meaning(ws):
    from crimekg.graph.resolve import Words

    with open_store(ws) as store:
        words = Words(store)
        got = [(k, w, words.resolve(k, w)) for k, w, _ in WORDS]
    assert got == WORDS


@pytest.mark.parametrize("kind", ["crime", "category", "place"])
def test_view_filters_by_any_word(ws, tmp_path, kind):
    for _, word, iri in [t for t in WORDS if t[0] == kind]:
        assert _view_nodes(ws, tmp_path, kind, word) == _view_nodes(ws, tmp_path, kind, _slug(iri)), word
    # the canonical filters do filter something in the example (so equality means something)
    assert _view_nodes(ws, tmp_path, kind, "TIP" if kind == "crime" else "impunity" if kind == "category" else "NGA") \
        != _view_nodes(ws, tmp_path, kind, "SOM" if kind == "crime" else "enabling" if kind == "category" else "PHL")


@pytest.mark.parametrize("kind", ["crime", "category"])
def test_analyze_filters_by_any_word(ws, kind):
    for _, word, iri in [t for t in WORDS if t[0] == kind]:
        args = ["analyze", "centrality", "--format", "json", "--store", str(ws)]
        assert _run(args + [f"--{kind}", word]) == _run(args + [f"--{kind}", _slug(iri)]), word


@pytest.mark.parametrize("word, iri", _by("place"))
def test_brief_takes_any_place_word(ws, word, iri):
    older = ["--region", _slug(iri)] if "/m49/" in iri else ["--country", _slug(iri)]
    assert _run(["brief", "--place", word, "--store", str(ws)]) == _run(["brief", *older, "--store", str(ws)])


def test_unknown_words_name_the_option_and_suggest(ws):
    result = CliRunner().invoke(cli, ["view", "--place", "Nigerai", "--store", str(ws), "-o", "-"])
    assert result.exit_code != 0 and "--place Nigerai: unknown; did you mean Nigeria" in result.output
    result = CliRunner().invoke(cli, ["analyze", "centrality", "--crime", "trafiking", "--store", str(ws)])
    assert result.exit_code != 0 and "--crime trafiking: unknown" in result.output and "trafficking" in result.output
    result = CliRunner().invoke(cli, ["brief", "--place", "Nigerai", "--store", str(ws)])
    assert result.exit_code != 0 and "--place Nigerai: unknown; did you mean Nigeria" in result.output


@pytest.mark.parametrize("kind, query, param", [("crime", "factors-by-crime", "crime"),
                                                 ("category", "factors-by-category", "category"),
                                                 ("place", "factors-by-place", "place")])
def test_query_param_takes_any_word(ws, kind, query, param):
    for _, word, iri in [t for t in WORDS if t[0] == kind]:
        args = ["query", query, "--format", "json", "--store", str(ws), "--param"]
        assert _run(args + [f"{param}={word}"]) == _run(args + [f"{param}={_slug(iri)}"]), word


@pytest.mark.parametrize("kind", ["crime", "category", "place"])
def test_add_takes_any_word(tmp_path, kind):
    pred = {"crime": "ckg:crimeType", "category": "ckg:category", "place": "ckg:place"}[kind]
    path = tmp_path / "ws"
    init_store(path).close()
    for i, (_, word, iri) in enumerate(t for t in WORDS if t[0] == kind):
        label = f"Factor number {i}"
        extra = [] if kind == "category" else ["--category", "enabling"]
        _run(["add", "factor", label, "--session", "s1", f"--{kind}", word, *extra, "--store", str(path)])
        with open_store(path) as store:
            q = f'SELECT ?x WHERE {{ ?f a ckg:Factor ; skos:prefLabel|rdfs:label ?l ; {pred} ?x . FILTER(STR(?l) = "{label}") }}'
            found = {str(r["x"]) for r in store.select(q)}
        assert found == {iri}, word
