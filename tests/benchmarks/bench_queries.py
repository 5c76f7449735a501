"""Benchmark: every named query through crimekg and through raw pyoxigraph, side by side.

Generates workspaces of about 10k, 100k and 1M triples shaped like a real session (sessions,
participants, contributions with their question, group, place and words; factors with categories,
crimes, actors, levels, places, alternative labels and subjects; one link per factor; patterns,
data sources, gaps and responses), on top of the bundled ontology, places and session plan.
For each named query it times ``graph.query.run_query`` (parameter resolution included) plus
reading every row, and the same SPARQL on the same pyoxigraph ``Store`` with the already resolved
values bound (the same VALUES block), median of a few runs after a warm-up. Goal: crimekg within 1.5x of raw pyoxigraph
at 1M triples and every query under 1 s there. Not part of the test run; prints a table.

With ``--compare REF`` each query's text as it was at the git revision REF (a branch, tag or
commit) runs beside today's on the same store, in the same run, and their answers must be the same
rows (the before and after of a rewrite, side by side). ``--workspace DIR`` keeps the generated
workspace in DIR and reuses it on the next run (one per size).

    python tests/benchmarks/bench_queries.py                  # 10k, 100k and 1M triples
    python tests/benchmarks/bench_queries.py --sizes 10000 --runs 3
    python tests/benchmarks/bench_queries.py --sizes 1000000 --compare main --workspace /tmp/bench-ws
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CKG = "https://w3id.org/crimekg/ontology#"
DATA = "https://w3id.org/crimekg/data/"
CONCEPT = "https://w3id.org/crimekg/concept/"
PLACE = "https://w3id.org/crimekg/place/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"
Q = "https://w3id.org/crimekg/course/unafei-172/session-1/question/"
CATEGORIES = ["enabling", "profiting", "concealment", "impunity"]
QUESTIONS = {"enabling": "2a", "profiting": "2b", "concealment": "2c", "impunity": "2d"}
CRIMES = ["trafficking-in-persons", "smuggling-of-migrants"]
ACTORS = ["traffickers", "smugglers", "criminal-networks"]
LEVELS = ["local", "national", "regional"]
COUNTRIES = ["NGA", "GHA", "NER", "THA", "PHL", "KHM", "MEX", "GTM", "HND", "ROU", "UKR", "MDA", "LBY", "ITA", "TUR", "JPN", "COL", "USA"]
TOPICS = ["profile-of-the-victims", "forms-of-exploitation", "trafficking-flows", "migrant-smuggling-routes", "smuggled-migrants",
          "criminal-justice-case-information", "scale-of-migrant-smuggling"]
SUBJECTS = ["control/debt-bondage", "control/threats", "exploitation/forced-labour", "exploitation/sexual-exploitation", "smuggling-mode/land", "smuggling-mode/sea"]
WORDS = ["debt", "corruption", "border", "online", "recruitment", "cash", "fear", "labour", "documents", "prosecution"]

PARAMS = {
    "factors-by-place": {"place": "Western Africa"},
    "contributions-for-place": {"place": "NGA"},
    "checklist-for-country": {"place": "Italy"},
    "factor-evidence": {"factor": "f1"},
    "links-of-factor": {"factor": "f1"},
    "factors-search": {"text": "debt"},
    "factors-by-category": {"category": "impunity"},
    "factors-by-crime": {"crime": "smuggling-of-migrants"},
    "data-sources-by-topic": {"topic": "migrant-smuggling-routes"},
}


def _iri(x: str) -> str:
    return f"<{x}>"


def _lit(text: str, dt: str | None = None) -> str:
    body = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{body}^^<{dt}>" if dt else body


def generate(path: Path, target: int, seed: int = 7) -> int:
    """Write N-Triples shaped like participant data until about ``target`` triples; return the count."""
    rnd = random.Random(seed)
    n = 0
    lines: list[str] = []

    def t(s: str, p: str, o: str) -> None:
        nonlocal n
        lines.append(f"{s} {p} {o} .\n")
        n += 1

    a = _iri(RDF_TYPE)
    i = 0
    with open(path, "w", encoding="utf-8") as f:
        while n < target:
            sid = f"bench-{i // 200}"
            session = _iri(f"https://w3id.org/crimekg/session/{sid}")
            if i % 200 == 0:
                t(session, a, _iri(CKG + "Session"))
                t(session, _iri(DCT + "title"), _lit(f"Benchmark session {i // 200}"))
                t(session, _iri(DCT + "date"), _lit(f"2026-{1 + (i // 200) % 12:02d}-15", XSD + "date"))
                t(session, _iri(CKG + "place"), _iri(PLACE + COUNTRIES[(i // 200) % len(COUNTRIES)]))
            cat = CATEGORIES[i % 4]
            factor = _iri(f"{DATA}factor/f{i}")
            words = " ".join(rnd.sample(WORDS, 3))
            t(factor, a, _iri(CKG + "Factor"))
            t(factor, _iri(SKOS + "prefLabel"), _lit(f"Factor {i}: {words}"))
            t(factor, _iri(SKOS + "altLabel"), _lit(f"Also called {i}"))
            t(factor, _iri(SKOS + "inScheme"), _iri("https://w3id.org/crimekg/scheme/factors"))
            t(factor, _iri(CKG + "category"), _iri(CONCEPT + "category/" + cat))
            if i % 7 == 0:
                t(factor, _iri(CKG + "category"), _iri(CONCEPT + "category/" + CATEGORIES[(i + 1) % 4]))
            for crime in (CRIMES if i % 3 == 0 else [CRIMES[i % 2]]):
                t(factor, _iri(CKG + "crimeType"), _iri(CONCEPT + "crime/" + crime))
            t(factor, _iri(CKG + "actor"), _iri(CONCEPT + "actor/" + ACTORS[i % 3]))
            t(factor, _iri(CKG + "level"), _iri(CONCEPT + "level/" + LEVELS[i % 3]))
            for c in rnd.sample(COUNTRIES, 2):
                t(factor, _iri(CKG + "place"), _iri(PLACE + c))
            t(factor, _iri(DCT + "subject"), _iri(CONCEPT + SUBJECTS[i % len(SUBJECTS)]))
            for k in range(3):
                c = _iri(f"{DATA}contribution/{sid}/{i}-{k}")
                who = _iri(f"{DATA}participant/{sid}/P{rnd.randrange(1, 17):02d}")
                t(c, a, _iri(CKG + "Contribution"))
                t(c, _iri(CKG + "text"), _lit(f"Participant statement {i}-{k} about {words}"))
                t(c, _iri(CKG + "kind"), _iri(CKG + "Factor"))
                t(c, _iri(CKG + "question"), _iri(Q + QUESTIONS[cat]))
                t(c, _iri(CKG + "category"), _iri(CONCEPT + "category/" + cat))
                t(c, _iri(CKG + "place"), _iri(PLACE + rnd.choice(COUNTRIES)))
                t(c, _iri(CKG + "group"), _lit(f"Group {'ABCD'[k]}"))
                t(c, _iri(PROV + "wasGeneratedBy"), session)
                t(c, _iri(PROV + "wasAttributedTo"), who)
                t(who, _iri(CKG + "contributorCode"), _lit(who[-4:-1]))
                t(factor, _iri(PROV + "wasDerivedFrom"), c)
            link = _iri(f"{DATA}link/l{i}")
            t(link, a, _iri(CKG + "FactorLink"))
            t(link, _iri(CKG + "fromFactor"), factor)
            t(link, _iri(CKG + "toFactor"), _iri(f"{DATA}factor/f{rnd.randrange(0, max(i, 1) + 50)}"))
            t(link, _iri(CKG + "relation"), _iri(CONCEPT + "relation/enables"))
            t(link, _iri(CKG + "polarity"), _iri(CONCEPT + "polarity/positive"))
            t(link, _iri(CKG + "strength"), _lit(f"0.{i % 10}", XSD + "decimal"))
            if i % 5 == 0:
                j = i // 5
                src = _iri(f"{DATA}source/s{j}")
                t(src, a, _iri(CKG + "DataSource"))
                t(src, _iri(RDFS + "label"), _lit(f"Data source {j}"))
                t(src, _iri(CKG + "level"), _iri(CONCEPT + "level/" + LEVELS[j % 3]))
                t(src, _iri(CKG + "collectionMethod"), _lit("Case files"))
                t(src, _iri(CKG + "sharingArrangement"), _lit("On request"))
                t(src, _iri(CKG + "updateFrequency"), _lit("Monthly"))
                t(src, _iri(CKG + "access"), _lit("Restricted"))
                t(src, _iri(DCAT + "theme"), _iri(CONCEPT + "topic/" + TOPICS[j % len(TOPICS)]))
                t(src, _iri(CKG + "place"), _iri(PLACE + COUNTRIES[j % len(COUNTRIES)]))
                pat = _iri(f"{DATA}pattern/p{j}")
                t(pat, a, _iri(CKG + "Pattern"))
                t(pat, _iri(RDFS + "label"), _lit(f"Pattern {j}"))
                t(pat, _iri(CKG + "crimeType"), _iri(CONCEPT + "crime/" + CRIMES[j % 2]))
                t(pat, _iri(CKG + "place"), _iri(PLACE + COUNTRIES[(j + 3) % len(COUNTRIES)]))
                t(pat, _iri(DCT + "subject"), _iri(CONCEPT + SUBJECTS[j % len(SUBJECTS)]))
                gap = _iri(f"{DATA}gap/g{j}")
                t(gap, a, _iri(CKG + "InformationGap"))
                t(gap, _iri(RDFS + "label"), _lit(f"Gap {j}"))
                t(gap, _iri(CKG + "topic"), _iri(CONCEPT + "topic/" + TOPICS[(j + 2) % len(TOPICS)]))
                t(gap, _iri(CKG + "place"), _iri(PLACE + COUNTRIES[(j + 5) % len(COUNTRIES)]))
                resp = _iri(f"{DATA}response/r{j}")
                t(resp, a, _iri(CKG + "Response"))
                t(resp, _iri(RDFS + "label"), _lit(f"Response {j}"))
                t(resp, _iri(CKG + "addresses"), factor)
                t(resp, _iri(CKG + "effectivenessEvidence"), _lit("Not evaluated"))
            i += 1
            if len(lines) > 50_000:
                f.writelines(lines)
                lines.clear()
        f.writelines(lines)
    return n


def _median_time(fn, runs: int) -> tuple[float, object]:
    fn()  # warm-up
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def old_text(ref: str, name: str) -> str | None:
    """The text of a named query at git revision ``ref``, or None when it did not exist there."""
    done = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:graph/queries/{name}.rq"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def _rows(result) -> list[tuple]:
    return sorted(tuple(str(v) if v is not None else "" for v in r) for r in result)


def bench(size: int, runs: int, only: list[str], ref: str | None = None, workspace: str | None = None) -> list[tuple]:
    import pyoxigraph as ox

    from crimekg.graph.errors import CrimeKGError
    from crimekg.graph.query import bind_values, named_queries, parse_query_text, resolve_params, run_query
    from crimekg.graph.store import PREFIXES, init_store, open_store

    rows = []
    with tempfile.TemporaryDirectory() as d:
        ws = Path(workspace) / f"ws-{size}" if workspace else Path(d) / "ws"
        t0 = time.perf_counter()
        if ws.is_dir():
            store = open_store(ws)
            what = f"reused {ws}"
        else:
            data = Path(d) / "bench.nt"
            n = generate(data, size)
            store = init_store(ws)
            store.load([data], "contributions/bench")
            what = f"{n:,} participant data, built in {time.perf_counter() - t0:.1f} s"
        total = sum(store.graphs().values())
        print(f"\n{size:,} generated triples ({what}, {total:,} in the workspace)", flush=True)
        if ref:
            print(f"  {'query':<32} {'rows':>8}  {'before (' + ref + ')':>16}  {'after':>10}  {'crimekg':>10}", flush=True)
        raw_store: ox.Store = store.oxigraph
        for name, q in named_queries().items():
            if only and name not in only:
                continue
            params = PARAMS.get(name) or {p.name: "Italy" for p in q.params if p.required and p.type == "place"}
            try:
                values = resolve_params(store, q, params)
                text = bind_values(q.text, values, q.where)
            except CrimeKGError as exc:
                print(f"  {name:<32} skipped: {exc}", flush=True)
                continue

            def crimekg(q=q, params=params):
                return len(run_query(store, q, params).rows)

            def raw(text=text):
                return _rows(raw_store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True))

            tc, nc = _median_time(crimekg, runs)
            tr, after = _median_time(raw, runs)
            assert nc == len(after), (name, nc, len(after))
            before_text = old_text(ref, name) if ref else None
            if ref and before_text is None:
                print(f"  {name:<32} {nc:>8,}  {'(new)':>16}  {tr * 1000:8.1f} ms  {tc * 1000:8.1f} ms", flush=True)
                rows.append((size, name, nc, tc, tr, None))
                continue
            if before_text is not None:
                old = parse_query_text(before_text, name)
                old_bound = bind_values(old.text, values, old.where)
                if old_bound == text:
                    tb = tr
                else:
                    tb, before = _median_time(lambda t=old_bound: _rows(raw_store.query(t, prefixes=PREFIXES, use_default_graph_as_union=True)), runs)
                    if before != after:
                        print(f"  {name:<32} ANSWERS DIFFER: {len(before):,} rows before, {len(after):,} after", flush=True)
                flag = "" if old_bound != text else "  (unchanged)"
                print(f"  {name:<32} {nc:>8,}  {tb * 1000:13.1f} ms  {tr * 1000:7.1f} ms  {tc * 1000:7.1f} ms{flag}", flush=True)
                rows.append((size, name, nc, tc, tr, tb))
                continue
            rows.append((size, name, nc, tc, tr, None))
            print(f"  {name:<32} {nc:>8,} rows  crimekg {tc * 1000:8.1f} ms  pyoxigraph {tr * 1000:8.1f} ms  x{tc / tr if tr else 1:5.2f}", flush=True)
        store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=[], help="named queries to run (default: all)")
    parser.add_argument("--compare", metavar="REF", help="also run each query as it was at this git revision, and compare")
    parser.add_argument("--workspace", metavar="DIR", help="keep the generated workspaces here and reuse them")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    results = []
    for size in args.sizes:
        results += bench(size, args.runs, args.only, args.compare, args.workspace)
    biggest = max(args.sizes)
    top = [r for r in results if r[0] == biggest]
    slow = [r[1] for r in top if r[3] >= 1.0]
    ratios = [r[3] / r[4] for r in top if r[4] > 0]
    print(f"\nAt {biggest:,}: slowest {max(r[3] for r in top) * 1000:.0f} ms; crimekg/pyoxigraph median x{statistics.median(ratios):.2f}, "
          f"max x{max(ratios):.2f}; over 1 s: {', '.join(slow) or 'none'}")
    before = [r for r in top if r[5] is not None]
    if before:
        was = [r[1] for r in before if r[5] >= 1.0]
        print(f"Before ({args.compare}): slowest {max(r[5] for r in before) * 1000:.0f} ms; over 1 s: {', '.join(was) or 'none'}")


if __name__ == "__main__":
    main()
