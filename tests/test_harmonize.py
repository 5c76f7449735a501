"""Harmonisation, merge, split and revert: nothing is lost, and the example story survives."""

from __future__ import annotations

import rdflib
import pytest
from click.testing import CliRunner

from crimekg import ontology
from crimekg.cli import cli
from crimekg.graph.resolve import Words
from crimekg.graph.sessions import session_changeset
from crimekg.graph.harmonize import HISTORY, factor_table, merge_changeset, merges, propose_groups, revert_changeset, split_changeset
from crimekg.graph.store import graph_iri, init_store, open_store
from crimekg.graph.validate import validate
from tests.helpers import ROOT, snapshot

EXAMPLES = ROOT / "examples"
CSV = "text,kind,category,crime type,actor,country or region,contributor code\n"


def find_factor(store, word: str) -> rdflib.URIRef:
    """The factor a word names, as every command resolves it."""
    return rdflib.URIRef(Words(store).factor(word))


@pytest.fixture
def ws(tmp_path):
    with init_store(tmp_path / "ws") as store:
        store.write(session_changeset(store, "s1", title="Room 2", on="2026-03-17"))
    return str(tmp_path / "ws")


def load_sheet(ws, tmp_path, body, name="s.csv"):
    path = tmp_path / name
    path.write_text(CSV + body, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path), "--session", "s1", "--store", ws])
    assert result.exit_code == 0, result.output


SHEET = (
    "Corrupt border officials,factor,enabling,TIP,traffickers,Ghana,P01\n"
    "corrupt officials at the border,factor,concealment; enabling,TIP,traffickers,Nigeria,P02\n"
    "Porous borders,factor,enabling,SOM,smugglers,Mexico,P03\n"
    "Rare convictions,factor,impunity,TIP,,Ghana,P04\n"
)


def facts(store):
    """Everything a merge must keep: categories, places, contributions and links of all factors."""
    rows = store.select(
        "SELECT ?p ?o WHERE { ?f a ckg:Factor . VALUES ?p { ckg:category ckg:place prov:wasDerivedFrom } ?f ?p ?o }"
    )
    links = store.select("SELECT ?l WHERE { ?l a ckg:FactorLink }")
    return {(str(r["p"]), str(r["o"])) for r in rows}, {str(r["l"]) for r in links}


def test_harmonize_yes_merges_alike_factors_and_keeps_everything(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    runner = CliRunner()
    assert runner.invoke(cli, ["link", "corrupt officials at", "reinforces", "Rare conv", "--store", ws]).exit_code == 0
    with open_store(ws) as store:
        kept_before, links_before = facts(store)
        before = snapshot(store)
    result = runner.invoke(cli, ["harmonize", "--yes", "--store", ws])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        'Group 1 (score 87): keep "Corrupt border officials"; merge "corrupt officials at the border"',
        "1 group(s) proposed, 1 merged.",
    ]
    with open_store(ws) as store:
        kept_after, links_after = facts(store)
        assert kept_after == kept_before  # every category, place and contribution kept
        assert links_after == links_before  # the link kept (its IRI too), now from the merged factor
        f = find_factor(store, "corrupt officials at the border")
        assert str(f).endswith("/corrupt-border-officials")
        alts = {str(r["a"]) for r in store.select(f"SELECT ?a WHERE {{ <{f}> skos:altLabel ?a }}")}
        assert alts == {"corrupt officials at the border"}
        assert len(factor_table(store)) == 3
        assert validate(store).conforms
        assert len(merges(store, f)) == 1
    result = runner.invoke(cli, ["split", "Corrupt border officials", "--store", ws])
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        assert snapshot(store) == before  # reverted exactly
        assert HISTORY not in store.graphs()


def test_merge_of_a_factor_with_a_multiline_literal_reverts_exactly(ws, tmp_path):
    # regression: the history held Turtle ("""...""") for a literal with a line break, and revert failed
    load_sheet(ws, tmp_path, SHEET)
    with open_store(ws) as store:
        a, b = find_factor(store, "Corrupt border officials"), find_factor(store, "corrupt officials at the border")
        note = store.select("SELECT ?g WHERE { GRAPH ?g { ?f a ckg:Factor } } LIMIT 1")[0]["g"]
        from crimekg.graph.store import Changeset

        cs = Changeset()
        cs.add_triples(str(note), [(b, rdflib.SKOS.scopeNote, rdflib.Literal('line one\nline "two"\r\\', lang="en")),
                                   (b, rdflib.SKOS.notation, rdflib.Literal(3))])
        store.write(cs)
        before = snapshot(store)
        store.write(merge_changeset(store, a, [b]))
        assert snapshot(store) != before
        changes, _info = revert_changeset(store, a)
        store.write(changes)
        assert snapshot(store) == before


def test_interactive_review_applies_only_accepted_groups(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    with open_store(ws) as store:
        before = snapshot(store)
    result = CliRunner().invoke(cli, ["harmonize", "--store", ws], input="n\n")
    assert result.exit_code == 0, result.output
    assert "1 group(s) proposed, 0 merged." in result.output
    with open_store(ws) as store:
        assert snapshot(store) == before


def test_merge_by_hand_then_split_a_contribution_out(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    runner = CliRunner()
    result = runner.invoke(cli, ["merge", "Porous", "Corrupt border", "--yes", "--store", ws])
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        porous = find_factor(store, "Porous borders")
        cats = {str(r["c"]).rsplit("/", 1)[-1] for r in store.select(f"SELECT ?c WHERE {{ <{porous}> ckg:category ?c }}")}
        assert cats == {"enabling"}
        c = store.select(f"SELECT ?c WHERE {{ <{porous}> prov:wasDerivedFrom ?c . ?c ckg:text 'Corrupt border officials' }}")[0]["c"]
        changes, new = split_changeset(store, porous, [c])
        store.write(changes)
        assert str(new).endswith("/corrupt-border-officials")
        assert validate(store).conforms
        assert {str(r["c"]) for r in store.select(f"SELECT ?c WHERE {{ <{new}> prov:wasDerivedFrom ?c }}")} == {str(c)}


def test_split_command_names_contributions_by_id(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    runner = CliRunner()
    assert runner.invoke(cli, ["merge", "Porous", "Corrupt border", "--yes", "--store", ws]).exit_code == 0
    with open_store(ws) as store:
        c = store.select("SELECT ?c WHERE { ?c ckg:text 'Corrupt border officials' }")[0]["c"]
    result = runner.invoke(cli, ["split", "Porous", str(c).rsplit("/", 1)[-1], "--session", "s1", "--store", ws])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("into https://w3id.org/crimekg/data/factor/corrupt-border-officials")
    with open_store(ws) as store:
        assert find_factor(store, "Corrupt border officials") != find_factor(store, "Porous borders")


def test_merge_refuses_unknown_factors_and_revert_needs_a_merge(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    runner = CliRunner()
    result = runner.invoke(cli, ["merge", "Porous", "Nothing like this", "--store", ws])
    assert result.exit_code == 1
    assert "Error: no factor 'Nothing like this' in the workspace." in result.output
    result = runner.invoke(cli, ["split", "Porous", "--store", ws])
    assert "is not the result of a recorded merge; nothing to revert" in result.output
    result = runner.invoke(cli, ["merge", "Corrupt", "Porous", "--store", ws])
    assert 'Error: "Corrupt" names 2 factors' in result.output


def test_propose_groups_blocks_by_category_and_crime():
    from crimekg.graph.harmonize import FactorInfo

    fs = [FactorInfo("a", "Debt bondage", frozenset({"p"}), frozenset({"tip"})),
          FactorInfo("b", "debt-bondage!", frozenset({"p"}), frozenset({"tip"})),
          FactorInfo("c", "Debt bondage", frozenset({"p"}), frozenset({"som"})),
          FactorInfo("d", "Debt bondage", frozenset({"q"}), frozenset({"tip"}))]
    groups = propose_groups(fs, 90)
    assert [(g.keep.iri, [m.iri for m in g.merge], g.score) for g in groups] == [("a", ["b"], 100.0)]


def test_example_sheets_rebuild_a_graph_comparable_to_the_example_turtle(tmp_path):
    """import + harmonize --yes + links of examples/*.csv against examples/example-session.ttl.

    Same contributions (count, kinds, categories, places, contributor codes), the same 26 links
    between factors of the same names. Factor grouping may differ: the sheet names each
    contribution's factor, so contributions that the Turtle file derives into two factors
    (2a-04, 2a-15, 2b-03) count for one here, and the participants' short wordings kept as
    skos:altLabel in the Turtle file are not in the sheet.
    """
    from crimekg.graph.demo import _import_example

    ex = rdflib.Graph().parse(EXAMPLES / "example-session.ttl")
    with init_store(tmp_path / "ws") as store:
        _import_example(store)
        ours = store.graph_triples()
        assert validate(store).conforms
    q_contrib = """SELECT ?k (COUNT(?c) AS ?n) WHERE { ?c a ckg:Contribution ; ckg:kind ?k } GROUP BY ?k"""
    ns = {"ckg": rdflib.Namespace(ontology.CKG), "skos": rdflib.SKOS}
    count = lambda g, q: {(str(r[0]), int(r[1])) for r in g.query(q, initNs=ns)}  # noqa: E731
    assert count(ours, q_contrib) == count(ex, q_contrib)
    assert sum(n for _, n in count(ours, q_contrib)) == 76
    cats = "SELECT ?cat (COUNT(?c) AS ?n) WHERE { ?c a ckg:Contribution ; ckg:category ?cat } GROUP BY ?cat"
    assert count(ours, cats) == count(ex, cats)
    places = "SELECT ?p (COUNT(?c) AS ?n) WHERE { ?c a ckg:Contribution ; ckg:place ?p } GROUP BY ?p"
    assert count(ours, places) == count(ex, places)
    codes = "SELECT ?code (COUNT(?c) AS ?n) WHERE { ?c a ckg:Contribution ; prov:wasAttributedTo/ckg:contributorCode ?code } GROUP BY ?code"
    ns["prov"] = rdflib.PROV
    assert count(ours, codes) == count(ex, codes)
    links = """SELECT ?a ?rel ?b WHERE { ?l a ckg:FactorLink ; ckg:fromFactor/skos:prefLabel ?a ; ckg:relation ?rel ;
               ckg:toFactor/skos:prefLabel ?b }"""
    as_set = lambda g: {tuple(map(str, r)) for r in g.query(links, initNs=ns)}  # noqa: E731
    assert len(as_set(ours)) == 26
    assert as_set(ours) == as_set(ex)
    addresses = "SELECT ?r ?f WHERE { ?x a ckg:Response ; rdfs:label ?r ; ckg:addresses/skos:prefLabel ?f }"
    ns["rdfs"] = rdflib.RDFS
    assert {tuple(map(str, r)) for r in ours.query(addresses, initNs=ns)} == {tuple(map(str, r)) for r in ex.query(addresses, initNs=ns)}
    details = """SELECT ?label ?p ?v WHERE { VALUES ?p { ckg:owner ckg:collectionMethod ckg:sharingArrangement ckg:updateFrequency
                 ckg:access ckg:effectivenessEvidence dcat:theme ckg:topic }
                 VALUES ?t { ckg:DataSource ckg:InformationGap ckg:Response } ?x a ?t ; rdfs:label ?label ; ?p ?v }"""
    ns["dcat"] = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert {tuple(map(str, r)) for r in ours.query(details, initNs=ns)} == {tuple(map(str, r)) for r in ex.query(details, initNs=ns)}
    factors = "SELECT ?f WHERE { ?f a ckg:Factor }"
    assert len(list(ours.query(factors, initNs=ns))) == len(list(ex.query(factors, initNs=ns))) == 25


def test_a_factor_labelled_in_several_languages_is_listed_once_and_never_grouped_with_itself(ws, tmp_path):
    ttl = tmp_path / "translated.ttl"
    ttl.write_text(
        "@prefix ckg: <https://w3id.org/crimekg/ontology#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/crimekg/data/factor/porous-borders> a ckg:Factor ;\n"
        '    skos:prefLabel "Porous borders"@en, "国境管理の脆弱さ"@ja, "Fronteras porosas"@es ;\n'
        "    ckg:category <https://w3id.org/crimekg/concept/category/enabling> .\n", encoding="utf-8")
    with open_store(ws) as store:
        store.load([ttl], "load/translated")
        table = factor_table(store)
    assert [(f.iri.rsplit("/", 1)[-1], f.label) for f in table] == [("porous-borders", "Porous borders")]
    assert propose_groups(table, 50) == []


def test_split_keeps_the_language_of_the_contribution_it_names_the_new_factor_after(ws, tmp_path):
    path = tmp_path / "ja.csv"
    path.write_text("text,category,contributor code\n国境管理の脆弱さ,enabling,P01\n国境管理の脆弱性,enabling,P02\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["import", str(path), "--session", "s1", "--store", ws]).exit_code == 0
    with open_store(ws) as store:
        keep, other = (find_factor(store, t) for t in ("国境管理の脆弱さ", "国境管理の脆弱性"))
        store.write(merge_changeset(store, keep, [other]))
        contribution = store.select("SELECT ?c WHERE { ?c ckg:text ?t FILTER(STR(?t) = '国境管理の脆弱性') }")[0]["c"]
        changes, new = split_changeset(store, keep, [contribution])
        store.write(changes)
        labels = [r["l"] for r in store.select(f"SELECT ?l WHERE {{ <{new}> skos:prefLabel ?l }}")]
    assert labels == [rdflib.Literal("国境管理の脆弱性", lang="ja")]
    assert str(new) != str(keep) and str(new).rsplit("-", 1)[-1] != str(keep).rsplit("-", 1)[-1]


def test_merge_by_prefix_asks_first_unless_yes(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    runner = CliRunner()
    with open_store(ws) as store:
        before = snapshot(store)
    # no terminal and nothing to read: a one-line refusal that names --yes, and nothing changes
    result = runner.invoke(cli, ["merge", "Porous", "Corrupt border", "--store", ws])
    assert result.exit_code == 1
    assert '"Corrupt border" was taken as "Corrupt border officials"' in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "add --yes" in errors[0], result.stderr
    result = runner.invoke(cli, ["merge", "Porous", "Corrupt border", "--store", ws], input="n\n")
    assert result.exit_code == 1 and "Nothing merged." in result.stderr
    with open_store(ws) as store:
        assert snapshot(store) == before
    result = runner.invoke(cli, ["merge", "Porous", "Corrupt border", "--store", ws], input="y\n")
    assert result.exit_code == 0, result.output
    with open_store(ws) as store:
        assert find_factor(store, "Corrupt border officials") == find_factor(store, "Porous borders")


def test_merge_by_exact_names_does_not_ask(ws, tmp_path):
    load_sheet(ws, tmp_path, SHEET)
    with open_store(ws) as store:
        rare = find_factor(store, "Rare convictions")
    # a whole label in other case and the IRI are exact: no question, no --yes needed
    result = CliRunner().invoke(cli, ["merge", "porous BORDERS", str(rare), "--store", ws])
    assert result.exit_code == 0, result.output
    assert "was taken as" not in result.stderr
    with open_store(ws) as store:
        assert find_factor(store, "Rare convictions") == find_factor(store, "Porous borders")


def test_merge_history_is_rdf_that_queries_read(ws, tmp_path):
    """The triples a merge changed are reified statements: queries read them, none is asserted."""
    from crimekg.graph.query import named_query, run_query

    load_sheet(ws, tmp_path, SHEET)
    with open_store(ws) as store:
        a, b = find_factor(store, "Corrupt border officials"), find_factor(store, "corrupt officials at the border")
        before = snapshot(store)
        store.write(merge_changeset(store, a, [b]))
        rows = run_query(store, named_query("merge-history")).records()
        assert len(rows) == 1
        assert rows[0]["kept"] == str(a) and rows[0]["merged"] == str(b) and rows[0]["keptLabel"] == "Corrupt border officials"
        assert rows[0]["removed"] > 0 and rows[0]["added"] > 0
        # the merged factor's label is in the history as a removed triple, and no longer asserted
        removed = store.select(
            f"SELECT ?g WHERE {{ ?m prov:used ?st . ?st rdf:subject <{b}> ; rdf:predicate skos:prefLabel ; dct:isPartOf ?g }}")
        assert len(removed) == 1 and str(removed[0]["g"]).startswith(graph_iri("contributions/"))
        assert not store.select(f"SELECT ?l WHERE {{ <{b}> skos:prefLabel ?l }}")
        assert len(factor_table(store)) == 3
        changes, _ = revert_changeset(store, a)
        store.write(changes)
        assert snapshot(store) == before
        assert run_query(store, named_query("merge-history")).records() == []


def test_merge_workspace_brings_sessions_in_matches_factors_and_undoes(tmp_path):
    from crimekg.graph.harmonize import WORKSPACES

    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    for ws, name, year in ((a, "example-session.ttl", "2026"), (b, "example-session-2025.ttl", "2025")):
        with init_store(ws) as store:
            store.load([ROOT / "examples" / name], f"contributions/example-{year}")
    with open_store(a) as store:
        before = snapshot(store)
        n_before = len(factor_table(store))
    runner = CliRunner()
    result = runner.invoke(cli, ["merge-workspace", b, "--store", a, "--yes"])
    assert result.exit_code == 0, result.output
    assert 'keep "Rare convictions and short sentences"; merge "Convictions are rare and sentences short"' in result.output
    assert result.output.rstrip().endswith("1 group(s) of factors proposed, 1 merged.")
    with open_store(a) as store:
        assert graph_iri("contributions/example-2025") in store.graphs()
        # nothing lost: the 2025 contributions are all there, the matched one now behind the kept factor
        assert len(store.select("SELECT ?c WHERE { ?c prov:wasGeneratedBy session:example-2025 ; a ckg:Contribution }")) == 9
        kept = store.select("SELECT ?c WHERE { factor:rare-convictions prov:wasDerivedFrom ?c }")
        assert any(str(r["c"]).endswith("example-2025/2d-03") for r in kept)
        assert len(factor_table(store)) == n_before + 2  # the oath and messaging-group factors are new; the rest matched
    again = runner.invoke(cli, ["merge-workspace", b, "--store", a, "--yes"])
    assert again.exit_code == 1 and "contributions/example-2025 are in this workspace already" in again.output
    listed = runner.invoke(cli, ["merge-workspace", "--list", "--store", a])
    wid = listed.output.split()[0]
    refused = runner.invoke(cli, ["merge-workspace", "--undo", wid, "--store", a])
    assert refused.exit_code == 1 and "undo them first with `crimekg split FACTOR`" in refused.output
    assert runner.invoke(cli, ["split", "Rare convictions and short sentences", "--store", a]).exit_code == 0
    undone = runner.invoke(cli, ["merge-workspace", "--undo", wid, "--store", a])
    assert undone.exit_code == 0, undone.output
    with open_store(a) as store:
        assert WORKSPACES not in store.graphs()
        assert snapshot(store) == before  # as it was
