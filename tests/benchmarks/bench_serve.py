"""Load on `crimekg serve` (not run by pytest): participants submitting while readers query.

50 participants each submit 20 contributions over loopback (httpx, all at once), while 5 readers
query /sparql without pause and the live view listens to /events; then the facilitator accepts
every submission. It checks that none was lost (the queue, then the contributions counted in the
store through /sparql) and prints the p50, p95 and p99 latency of submissions, queries and
acceptances. Goal: p95 under 200 ms for a submission on a 2-core machine.

    python tests/benchmarks/bench_serve.py [--participants 50] [--each 20] [--readers 5] [--accept N] [--think S]

With no ``--think`` every participant sends the next submission as soon as the last is answered
(the worst case: 50 requests always in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.test_serve import SECRET, Server, csrf_of, make_workspace  # noqa: E402

ENABLING = "https://w3id.org/crimekg/concept/category/enabling"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?c a ckg:Contribution ; ckg:text ?t FILTER(STRSTARTS(?t, \"Load test\")) }"
READ = "SELECT ?f ?label (COUNT(?c) AS ?n) WHERE { ?f a ckg:Factor ; skos:prefLabel ?label . OPTIONAL { ?f prov:wasDerivedFrom ?c } } GROUP BY ?f ?label"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: a figure the machine's other load does not inflate."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k] * 1000


def line(name: str, values: list[float]) -> str:
    return (f"{name:<12} n={len(values):>5}  p50 {pct(values, 50):7.1f} ms  p95 {pct(values, 95):7.1f} ms  "
            f"p99 {pct(values, 99):7.1f} ms  max {max(values) * 1000 if values else 0:7.1f} ms")


async def participant(base: str, code: str, i: int, each: int, times: list[float], think: float = 0.0) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Origin": base}, timeout=60) as c:
        csrf = csrf_of((await c.get(f"/join?code={code}")).text)
        for j in range(each):
            t = time.perf_counter()
            r = await c.post(f"/s/{code}/submit", data={"csrf": csrf, "text": f"Load test {i}-{j}: brokers sell fake permits",
                                                        "category": ENABLING, "contributor": f"P{i:03d}"})
            times.append(time.perf_counter() - t)
            assert r.status_code == 200 and "your contribution was received" in r.text, r.text[-500:]
            if think:  # a person types the next one: a random pause around --think seconds
                await asyncio.sleep(random.uniform(0.5, 1.5) * think)


async def reader(base: str, stop: asyncio.Event, times: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        while not stop.is_set():
            t = time.perf_counter()
            r = await c.get("/sparql", params={"query": READ}, headers={"Accept": "application/sparql-results+json"})
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text


async def listener(base: str, cookies: httpx.Cookies, stop: asyncio.Event, seen: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as c:
        async with c.stream("GET", "/events") as r:
            async for chunk in r.aiter_text():
                seen.append(chunk)
                if stop.is_set():
                    return


async def load(server: Server, participants: int, each: int, readers: int, accept: int | None, think: float = 0.0) -> dict[str, list[float]]:
    fac = httpx.Client(base_url=server.base, headers={"Origin": server.base}, timeout=60)
    fac.get(f"/facilitator?secret={SECRET}", follow_redirects=True)
    fac.get("/live/data")  # the server's first view imports the drawing libraries: not part of the load
    time.sleep(2)  # nor is its warm-up (the vocabulary the forms check against)
    stop = asyncio.Event()
    times: dict[str, list[float]] = {"submit": [], "query": [], "accept": []}
    events: list[str] = []
    code = server.codes["room-2"]
    background = [asyncio.create_task(reader(server.base, stop, times["query"])) for _ in range(readers)]
    background.append(asyncio.create_task(listener(server.base, fac.cookies, stop, events)))
    started, cpu, mine = time.perf_counter(), cpu_seconds(server.proc.pid), time.process_time()
    await asyncio.gather(*(participant(server.base, code, i, each, times["submit"], think) for i in range(participants)))
    burst, cpu, mine = time.perf_counter() - started, cpu_seconds(server.proc.pid) - cpu, time.process_time() - mine
    print(f"burst: {participants * each} submissions in {burst:.1f} s, {len(times['query'])} queries meanwhile; "
          f"server CPU {cpu:.1f} s ({cpu / max(1, participants * each + len(times['query'])) * 1000:.1f} ms a request); "
          f"this script's clients {mine:.1f} s", flush=True)
    # the facilitator accepts everything, readers still at work
    page = fac.get("/facilitator").text
    token = csrf_of(page)
    ids = re.findall(r'<li class="pending" data-id="(\w+)"', page)
    print(f"queue: {len(ids)} waiting (expected {participants * each})", flush=True)

    chosen = ids if accept is None else ids[:accept]

    def accept_all() -> None:
        for sid in chosen:
            t = time.perf_counter()
            r = fac.post(f"/facilitator/accept/{sid}", data={"csrf": token})
            times["accept"].append(time.perf_counter() - t)
            assert r.status_code == 303, r.text

    cpu = cpu_seconds(server.proc.pid)
    await asyncio.to_thread(accept_all)
    if chosen:
        print(f"accepting: server CPU {(cpu_seconds(server.proc.pid) - cpu) / len(chosen) * 1000:.1f} ms an acceptance "
              "(with the readers' queries)", flush=True)
    stop.set()
    await asyncio.sleep(0.5)
    for task in background:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    r = httpx.get(server.base + "/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    stored = int(r.text.splitlines()[1])
    left = len(re.findall(r'<li class="pending" data-id="(\w+)"', fac.get("/facilitator").text))
    print(f"stored: {stored} contributions in the store (accepted {len(chosen)}), {left} still pending; "
          f"{sum(c.count('data:') for c in events)} live-view events received")
    assert len(ids) == participants * each and stored == len(chosen) and left == len(ids) - len(chosen), "submissions were lost"
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=50)
    ap.add_argument("--each", type=int, default=20)
    ap.add_argument("--readers", type=int, default=5)
    ap.add_argument("--accept", type=int, default=None, help="how many the facilitator accepts (default: all)")
    ap.add_argument("--think", type=float, default=0.0, help="seconds a participant pauses between submissions (default: none)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        server = Server(make_workspace(Path(d) / "ws"), "--session", "room-2")
        try:
            times = asyncio.run(load(server, args.participants, args.each, args.readers, args.accept, args.think))
        except BaseException:
            print("server log (tail):\n" + server.log.read_text(encoding="utf-8")[-4000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    for name in ("submit", "query", "accept"):
        print(line(name, times[name]))
    print(f"mean submit {statistics.mean(times['submit']) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
