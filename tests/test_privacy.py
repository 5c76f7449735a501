"""Privacy: contribution keys cannot be reversed from a public export.

A contribution without an ``id`` is named by a digest of its text, question, contributor code and
group. With the old unkeyed digest, anyone holding a public export (which keeps the text and the
question) could try every code the sheet allows with every group name and read back who wrote
what in which group. The key is now an HMAC under a per-workspace secret, kept where no query, listing or export reaches
(a file beside a directory's store; an internal graph on a server, left out of every query's dataset).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.contributions import Vocabulary, normalize
from crimekg.graph.demo import build_demo
from crimekg.graph.importers import contributions
from crimekg.graph.privacy import SECRET_GRAPH, legacy_digest
from crimekg.graph.sheets import read_sheet
from crimekg.graph.errors import InvalidInput
from crimekg.graph.errors import StoreError
from crimekg.graph.query import parse_query_text, run_query
from crimekg.graph.store import SECRET_PREDICATE, Changeset, graph_iri, init_store, open_store
from crimekg.graph.terms import session_iri

from tests.helpers import snapshot

GROUPS = ["Group A", "Group B", "Grupo C", "グループ D"]
CODES = [f"P{n:02d}" for n in range(100)] + [f"P{n}" for n in range(100, 1000)]
CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
TEXTS = ["Porous border crossing number {i}", "Фиктивные агентства по трудоустройству {i}",
         "التأشيرات المزورة {i}", "偽の求人広告 {i}", "การทุจริตของเจ้าหน้าที่ {i}", "Redes de reclutamiento {i}"]


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def _sheet(path: Path, n: int = 1000) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "question", "contributor", "group"])
        for i in range(n):
            w.writerow([TEXTS[i % len(TEXTS)].format(i=i), "2a", CODES[(i * 7) % len(CODES)], GROUPS[i % len(GROUPS)]])
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A workspace with a 1,000-contribution sheet (several groups, codes P00-P999), its public export."""
    root = tmp_path_factory.mktemp("privacy")
    store_dir = root / "store"
    with init_store(store_dir) as store:
        sheet = _sheet(root / "sheet.csv")
        store.write(contributions.plan(sheet, store, session="big-2026").changes)
    out = root / "public.nt"
    _run(["export", "--profile", "public", "--format", "nt", "-o", str(out), "--store", str(store_dir)])
    return store_dir, sheet, out


def _attack(export: Path, limit: int = 60, groups: list[str] = GROUPS) -> dict[str, tuple[str, str]]:
    """Try every allowed code with every group name against the keys of the exported contributions."""
    g = rdflib.Graph()
    g.parse(export, format="nt")
    found = {}
    targets = sorted((str(c), str(t), str(q)) for c, t in g.subject_objects(CKG.text)
                     for q in g.objects(c, CKG.question) if "/contribution/" in str(c))
    assert targets, "the public export must keep the contributions' text and question, or the attack proves nothing"
    for c, text, question in targets[:limit]:
        key = c.rsplit("/", 1)[-1]
        for code in CODES:
            for group in groups:
                if legacy_digest("\x1f".join([normalize(text), question, code.upper(), normalize(group)])) == key:
                    found[c] = (code, group)
    return found


def test_public_export_keys_do_not_reveal_codes_or_groups(big):
    store_dir, sheet, export = big
    assert _attack(export) == {}
    # The same attack on the unkeyed scheme (what the keys were before) recovers every pair:
    with open_store(store_dir) as store:
        vocab = Vocabulary.from_store(store)
    records, problems = contributions.check_rows(read_sheet(sheet, None), vocab)
    assert not problems
    old = export.with_name("old.nt")
    text = export.read_text(encoding="utf-8")
    keyed = {r.key: r for r in contributions.check_rows(read_sheet(sheet, None), vocab,
                                                         secret=_secret(store_dir))[0]}
    for new_key, rec in keyed.items():
        unkeyed = next(o for o in records if o.row == rec.row).key
        text = text.replace(f"/big-2026/{new_key}>", f"/big-2026/{unkeyed}>")
    old.write_text(text, encoding="utf-8")
    recovered = _attack(old)
    assert len(recovered) == 60
    assert all(code in CODES and group in GROUPS for code, group in recovered.values())


def _secret(store_dir: Path) -> bytes:
    from crimekg.graph.privacy import workspace_secret

    with open_store(store_dir) as store:
        return workspace_secret(store)


def test_secret_is_internal_and_reimport_changes_nothing(big, tmp_path):
    store_dir, sheet, export = big
    with open_store(store_dir) as store:
        assert SECRET_GRAPH not in store.graphs()
        before = snapshot(store)
        plan = contributions.plan(sheet, store, session="big-2026")
        store.write(plan.changes)
        assert snapshot(store) == before
    listing = _run(["graphs", "--store", str(store_dir)])
    assert "secret" not in listing and "urn:crimekg" not in listing
    secret_hex = _secret(store_dir).hex()
    for fmt in ("nq", "trig"):
        out = tmp_path / f"all.{fmt}"
        _run(["export", "--format", fmt, "-o", str(out), "--store", str(store_dir)])
        assert secret_hex not in out.read_text(encoding="utf-8") and SECRET_GRAPH not in out.read_text(encoding="utf-8")
    assert secret_hex not in export.read_text(encoding="utf-8")


def _every_value(store) -> str:
    """Every term any query over the workspace can reach, as one text."""
    q = parse_query_text("SELECT ?g ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", "query")
    return "\n".join(str(v) for row in run_query(store, q, {}).rows for v in row)


def test_no_query_reaches_the_secret(big, tmp_path):
    store_dir = big[0]
    secret_hex = _secret(store_dir).hex()
    path = store_dir / "secret"
    assert path.read_text(encoding="ascii").strip() == secret_hex
    assert path.stat().st_mode & 0o077 == 0  # its owner's only
    with open_store(store_dir) as store:
        seen = _every_value(store)
        assert "big-2026" in seen  # the search does reach the data...
        assert secret_hex not in seen and "urn:crimekg:" not in seen  # ...never the key
        used = parse_query_text(f"SELECT ?o WHERE {{ ?s <{SECRET_PREDICATE}> ?o }}", "query")
        assert run_query(store, used, {}).rows == []
    out = _run(["query", "--store", str(store_dir), f"SELECT ?o WHERE {{ ?s <{SECRET_PREDICATE}> ?o }}"])
    assert secret_hex[:16] not in out
    out = _run(["query", "--store", str(store_dir), "--format", "csv",
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"])
    assert "contributions/big-2026" in out and "urn:crimekg" not in out


def test_a_secret_kept_in_a_graph_moves_into_its_file(tmp_path):
    """Workspaces made before the secret file kept it in an internal graph, which queries showed."""
    import pyoxigraph as ox

    store_dir = tmp_path / "ws"
    sheet = _sheet(tmp_path / "s.csv", 12)
    with init_store(store_dir) as store:
        store.write(contributions.plan(sheet, store, session="old-2026").changes)
        secret = store.read_secret()
        store.oxigraph.add(ox.Quad(ox.NamedNode("urn:crimekg:secret"), ox.NamedNode(SECRET_PREDICATE),
                                   ox.Literal(secret.hex()), ox.NamedNode("urn:crimekg:secret")))
        before = snapshot(store)
    (store_dir / "secret").unlink()
    with open_store(store_dir) as store:  # opening moves it
        assert store.read_secret() == secret
        assert not store.oxigraph.contains_named_graph(ox.NamedNode("urn:crimekg:secret"))
        assert secret.hex() not in _every_value(store)
        store.write(contributions.plan(sheet, store, session="old-2026").changes)  # the same keys: nothing new
        assert snapshot(store) == before
    assert (store_dir / "secret").read_text(encoding="ascii").strip() == secret.hex()


def test_a_damaged_secret_file_is_named(tmp_path):
    store_dir = tmp_path / "ws"
    with init_store(store_dir) as store:
        store.write(contributions.plan(_sheet(tmp_path / "s.csv", 3), store, session="s-2026").changes)
        before = snapshot(store)
    (store_dir / "secret").write_text("not hex at all\n", encoding="ascii")
    with open_store(store_dir) as store:
        with pytest.raises(StoreError) as err:
            contributions.plan(_sheet(tmp_path / "t.csv", 3), store, session="s-2026")
        assert snapshot(store) == before
    message = str(err.value)
    assert str(store_dir / "secret") in message and "backup" in message and "\n" not in message


def test_two_workspaces_key_the_same_row_differently(tmp_path):
    keys = []
    for name in ("one", "two"):
        with init_store(tmp_path / name) as store:
            store.write(contributions.plan(_sheet(tmp_path / f"{name}.csv", 3), store, session="s-2026").changes)
            keys.append({str(r["c"]) for r in store.select("SELECT ?c WHERE { ?c a ckg:Contribution }")})
    assert len(keys[0]) == len(keys[1]) == 3 and not keys[0] & keys[1]


def test_demo_public_export_reveals_no_pair(tmp_path):
    build_demo(tmp_path / "demo")
    store_dir = tmp_path / "demo" / "store"
    with open_store(store_dir) as store:
        groups = sorted({str(r["g"]) for r in store.select("SELECT DISTINCT ?g WHERE { ?c ckg:group ?g }")})
    assert groups
    out = tmp_path / "demo.nt"
    _run(["export", "--profile", "public", "--format", "nt", "-o", str(out), "--store", str(store_dir)])
    assert _attack(out, limit=1000, groups=groups) == {}


@pytest.mark.parametrize("name", ["JohnSmith", "Maria.Garcia", "Kofi_Mensah", "Иван", "山田"])
def test_names_are_refused_as_contributor_codes(tmp_path, name):
    path = tmp_path / "names.csv"
    path.write_text(f"text,question,contributor\n偽の求人広告,2a,P07\nFake visas,2a,{name}\n", encoding="utf-8")
    with init_store(tmp_path / "ws") as store:
        before = snapshot(store)
        with pytest.raises(InvalidInput) as err:
            contributions.plan(path, store, session="s-2026")
        assert snapshot(store) == before
    message = str(err.value)
    assert "row 3" in message and '"contributor"' in message and f'"{name}" is not a contributor code' in message
    assert "P07" in message and "row 2" not in message


def test_session_code_pattern_is_used(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("text,question,contributor\nFake visas,2a,T-07\n", encoding="utf-8")
    with init_store(tmp_path / "ws") as store:
        with pytest.raises(InvalidInput):
            contributions.plan(path, store, session="s-2026")
        store.write(contributions.plan(_sheet(tmp_path / "first.csv", 1), store, session="s-2026").changes)
        changes = Changeset()
        changes.add_triples(graph_iri("contributions/s-2026"), [(session_iri("s-2026"), CKG.contributorCodePattern, rdflib.Literal(r"^T-\d\d$"))])
        store.write(changes)
        plan = contributions.plan(path, store, session="s-2026")
        assert plan.summary["stored"] == 1
