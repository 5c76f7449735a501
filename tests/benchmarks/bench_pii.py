"""Finding likely personal details: the cost per text, which every imported row pays (goal: 100,000
contribution texts in under 5 s, a small part of the 30 s a 100k-row import may take).

    python tests/benchmarks/bench_pii.py [N]

Prints the time to look through N texts (the example sheet's, repeated, in every script it has,
with one text in fifty holding a name, an e-mail address or a phone number) and how many it found.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

from crimekg.graph.pii import find_pii, redact

ROOT = Path(__file__).resolve().parents[2]
PERSONAL = ["Ask Mr. Okafor on +234 803 123 4567", "仲介の田中さんはtanaka@example.jp", "г-н Иванов: +7 (495) 123-45-67"]


def main(n: int = 100_000) -> None:
    with open(ROOT / "examples" / "example-contributions.csv", encoding="utf-8", newline="") as fh:
        base = [r["text"] for r in csv.DictReader(fh)]
    texts = [PERSONAL[i % 3] if i % 50 == 0 else base[i % len(base)] for i in range(n)]
    t0 = time.perf_counter()
    found = sum(len(find_pii(t)) for t in texts)
    t1 = time.perf_counter()
    for t in texts:
        redact(t)
    t2 = time.perf_counter()
    print(f"find_pii: {n:,} texts in {t1 - t0:.2f} s ({found:,} findings); redact: {t2 - t1:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
