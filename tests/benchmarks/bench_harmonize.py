"""Harmonisation at scale: import 5,000 factor contributions, then group them (goal: under 10 s).

    python tests/benchmarks/bench_harmonize.py [N]

Prints the time to read and check the sheet and write it, to propose groups (reading the factors
from the store included), and to apply every group as revertible merges.
"""

from __future__ import annotations

import csv
import random
import zlib
import sys
import tempfile
import time
from pathlib import Path

from crimekg.graph.importers.contributions import plan_contributions
from crimekg.graph.sessions import session_changeset
from crimekg.graph.harmonize import factor_table, merge_changeset, propose_groups
from crimekg.graph.store import init_store

WORDS = ("corrupt border officials police bribery checkpoints debt bondage recruitment brokers fees fake job offers "
         "online social media porous borders weak victim protection rare convictions cash hawala mobile money "
         "encrypted apps legal business fronts labour inspection demand cheap labour commercial sex extortion "
         "kidnapping route smuggling instalments documents forged passports armed conflict displacement poverty").split()


def sheet(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    bases = [" ".join(rnd.sample(WORDS, rnd.randint(3, 6))) for _ in range(n // 4)]
    cats = ["enabling", "profiting", "concealment", "impunity"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "category", "crime type", "contributor code", "group"])
        for i in range(n):
            base = rnd.choice(bases)
            words = base.split()
            if rnd.random() < 0.5:  # a variant: one word swapped or dropped, or a typo
                j = rnd.randrange(len(words))
                words[j] = words[j][:-1] if rnd.random() < 0.5 else rnd.choice(WORDS)
            w.writerow([" ".join(words) + f" ({i % 7})" * (i % 3 == 0), cats[zlib.crc32(base.encode()) % 4], rnd.choice(["TIP", "SOM"]),
                        f"P{i:04d}", f"Group {i % 6}"])


def main(n: int = 5000) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.csv"
        sheet(path, n)
        with init_store(Path(d) / "ws") as store:
            store.write(session_changeset(store, "bench", title="Benchmark"))
            t = time.perf_counter()
            plan = plan_contributions(store, path, "bench")
            store.write(plan.changes)
            t_import = time.perf_counter() - t
            t = time.perf_counter()
            factors = factor_table(store)
            groups = propose_groups(factors)
            t_group = time.perf_counter() - t
            t = time.perf_counter()
            store.write(merge_changeset(store, None, None, groups=[(g.keep.iri, [m.iri for m in g.merge]) for g in groups]))
            t_merge = time.perf_counter() - t
            left = len(factor_table(store))
    print(f"{n:,} contributions -> {len(factors):,} factors after import")
    print(f"import (read, check, build, write): {t_import:6.2f} s")
    print(f"group (read factors + propose):     {t_group:6.2f} s  -> {len(groups):,} groups  (goal < 10 s)")
    print(f"apply all groups as merges:         {t_merge:6.2f} s  -> {left:,} factors")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
