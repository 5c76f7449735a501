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
F = "https://w3id.org/crimekg/data/factor/"
S = "https://w3id.org/crimekg/session/"
#: Labels the fixture adds to factor:corruption-of-officials, in Japanese and Russian.
JA = "国境・警察・港湾の役人の汚職"
RU = "Коррупция пограничных, полицейских и портовых чиновников"

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
#: Words for factor:corruption-of-officials: IRI, CURIE, slug, labels in three scripts, altLabel, prefixes.
FACTOR_WORDS = [F + "corruption-of-officials", "<" + F + "corruption-of-officials>", "factor:corruption-of-officials",
                "corruption-of-officials", "Corruption of border, police and port officials", "bribery at checkpoints",
                JA, "国境・警察", RU, "коррупция погран", "Corruption of bord"]
#: Words for the example session: id, CURIE, IRI, title in any case.
SESSION_WORDS = ["example-2026", "session:example-2026", S + "example-2026", "Global trends workshop (example)",
                 "global trends WORKSHOP (Example)"]
WORDS += [("factor", w, F + "corruption-of-officials") for w in FACTOR_WORDS]
WORDS += [("session", w, S + "example-2026") for w in SESSION_WORDS]


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def _by(kind: str) -> list:
    return [pytest.param(w, iri, id=f"{kind}:{w}") for k, w, iri in WORDS if k == kind]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("words") / "ws"
    with init_store(path) as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
        labels = path.parent / "labels.ttl"
        labels.write_text(f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{F}corruption-of-officials> skos:prefLabel "{JA}"@ja, "{RU}"@ru .
""", encoding="utf-8")
        store.load([labels], "contributions/labels")
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


# -- factors and sessions ------------------------------------------------------------------------


@pytest.mark.parametrize("word, iri", _by("factor"))
def test_analyze_takes_any_factor_word(ws, word, iri):
    args = ["analyze", "upstream", "--format", "json", "--store", str(ws)]
    expected = _run(args + [_slug(iri)])
    assert json.loads(expected)["rows"], "the factor has something upstream (so equality means something)"
    assert _run(args + [word]) == expected
    paths = ["analyze", "paths", "--format", "json", "--store", str(ws)]
    assert _run(paths + ["smuggling-fees-and-package-deals", word]) == _run(paths + ["smuggling-fees-and-package-deals", _slug(iri)])


@pytest.mark.parametrize("word, iri", _by("factor"))
def test_query_param_takes_any_factor_word(ws, word, iri):
    args = ["query", "links-of-factor", "--format", "json", "--store", str(ws), "--param"]
    expected = _run(args + [f"factor={_slug(iri)}"])
    assert json.loads(expected), "the factor has links (so equality means something)"
    assert _run(args + [f"factor={word}"]) == expected


@pytest.mark.parametrize("command", [
    ["analyze", "upstream", "Demand for"],
    ["query", "links-of-factor", "--param", "factor=Demand for"],
])
def test_an_ambiguous_factor_prefix_is_refused_listing_the_candidates(ws, command):
    result = CliRunner().invoke(cli, [*command, "--store", str(ws)])
    assert result.exit_code == 1
    assert '"Demand for" names 2 factors' in result.output
    assert F + "demand-for-cheap-labour" in result.output and F + "demand-for-commercial-sex" in result.output


@pytest.mark.parametrize("command", [["analyze", "upstream", "Bribery at chekpoints"],
                                     ["query", "links-of-factor", "--param", "factor=Bribery at chekpoints"]])
def test_an_unknown_factor_suggests_the_closest(ws, command):
    result = CliRunner().invoke(cli, [*command, "--store", str(ws)])
    assert result.exit_code == 1 and "Did you mean: corruption-of-officials" in result.output


@pytest.mark.parametrize("word, iri", _by("session"))
def test_view_and_analyze_take_any_session_word(ws, tmp_path, word, iri):
    assert _view_nodes(ws, tmp_path, "session", word) == _view_nodes(ws, tmp_path, "session", _slug(iri))
    args = ["analyze", "centrality", "--format", "json", "--store", str(ws), "--session"]
    assert _run(args + [word]) == _run(args + [_slug(iri)])
    result = CliRunner().invoke(cli, ["analyze", "centrality", "--session", "example-2062", "--store", str(ws)])
    assert result.exit_code == 1 and "--session example-2062: unknown; did you mean example-2026" in result.output


@pytest.mark.parametrize("word, iri", _by("session"))
def test_query_param_takes_any_session_word(ws, word, iri):
    q = "# contributions of a session\n# param: session (session) - a session\nSELECT ?session (COUNT(?c) AS ?n) WHERE { ?c prov:wasGeneratedBy ?session } GROUP BY ?session"
    rows = json.loads(_run(["query", q, "--format", "json", "--store", str(ws), "--param", f"session={word}"]))
    assert len(rows) == 1 and rows[0]["session"] == iri and rows[0]["n"] > 10
