"""Load on `crimekg serve` (not run by pytest): participants submitting while readers query.

50 participants each submit 20 contributions over loopback (httpx, all at once), while 5 readers
query /sparql without pause and the live view listens to /events; then the facilitator accepts
every submission. It checks that none was lost (the queue, then the contributions counted in the
store through /sparql) and prints the p50, p95 and p99 latency of submissions, queries and
acceptances. Goal: p95 under 200 ms for a submission on a 2-core machine.

    python tests/benchmarks/bench_serve.py [--participants 50] [--each 20] [--readers 5] [--accept N] [--think S]

With no ``--think`` every participant sends the next submission as soon as the last is answered
(the worst case: 50 requests always in flight).

The load generator shares the machine with the server. Participants use a minimal HTTP/1.1 client
over asyncio streams by default (``--client raw``): with httpx (``--client httpx``) the script's
own CPU, on the same two cores, shows up as seconds of latency a phone would never see. Besides
the latency the clients observe, it prints the server's own time for each request, read from the
``Server-Timing`` header the server adds (from the request reaching the application to the answer
starting).
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


def server_ms(header: str | None) -> float | None:
    """The server's time, in seconds, from a ``Server-Timing: app;dur=12.3`` header."""
    m = re.search(r"dur=([0-9.]+)", header or "")
    return float(m.group(1)) / 1000 if m else None


class RawClient:
    """A minimal keep-alive HTTP/1.1 client (one connection, Content-Length bodies, cookies by
    name): what a phone asks of the server, for a fraction of httpx's CPU in this process."""

    def __init__(self, base: str) -> None:
        parts = httpx.URL(base)
        self.host, self.port, self.origin = parts.host, parts.port, base
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        from urllib.parse import urlencode

        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Origin: {self.origin}"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for h in lines[1:]:
            if ":" in h:
                k, v = h.split(":", 1)
                k, v = k.strip().lower(), v.strip()
                if k == "set-cookie":
                    name, value = v.split(";", 1)[0].split("=", 1)
                    self.cookies[name] = value
                headers[k] = v
        text = (await self.reader.readexactly(int(headers["content-length"]))).decode("utf-8")
        return status, headers, text

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def line(name: str, values: list[float]) -> str:
    return (f"{name:<14} n={len(values):>5}  p50 {pct(values, 50):7.1f} ms  p95 {pct(values, 95):7.1f} ms  "
            f"p99 {pct(values, 99):7.1f} ms  max {max(values) * 1000 if values else 0:7.1f} ms")


def submission(i: int, j: int, csrf: str) -> dict[str, str]:
    return {"csrf": csrf, "text": f"Load test {i}-{j}: brokers sell fake permits", "category": ENABLING, "contributor": f"P{i:03d}"}


async def participant(base: str, code: str, i: int, each: int, times: list[float], served: list[float], think: float = 0.0) -> None:
    c = RawClient(base)
    try:
        csrf = csrf_of((await c.request("GET", f"/join?code={code}"))[2])
        for j in range(each):
            t = time.perf_counter()
            status, headers, text = await c.request("POST", f"/s/{code}/submit", submission(i, j, csrf))
            times.append(time.perf_counter() - t)
            served.append(server_ms(headers.get("server-timing")))
            assert status == 200 and "your contribution was received" in text, text[-500:]
            if think:  # a person types the next one: a random pause around --think seconds
                await asyncio.sleep(random.uniform(0.5, 1.5) * think)
    finally:
        await c.close()


async def participant_httpx(base: str, code: str, i: int, each: int, times: list[float], served: list[float], think: float = 0.0) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Origin": base}, timeout=60) as c:
        csrf = csrf_of((await c.get(f"/join?code={code}")).text)
        for j in range(each):
            t = time.perf_counter()
            r = await c.post(f"/s/{code}/submit", data=submission(i, j, csrf))
            times.append(time.perf_counter() - t)
            served.append(server_ms(r.headers.get("server-timing")))
            assert r.status_code == 200 and "your contribution was received" in r.text, r.text[-500:]
            if think:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think)


async def reader(base: str, stop: asyncio.Event, times: list[float], served: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        while not stop.is_set():
            t = time.perf_counter()
            r = await c.get("/sparql", params={"query": READ}, headers={"Accept": "application/sparql-results+json"})
            times.append(time.perf_counter() - t)
            served.append(server_ms(r.headers.get("server-timing")))
            assert r.status_code == 200, r.text


async def listener(base: str, cookies: httpx.Cookies, stop: asyncio.Event, seen: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as c:
        async with c.stream("GET", "/events") as r:
            async for chunk in r.aiter_text():
                seen.append(chunk)
                if stop.is_set():
                    return


async def load(server: Server, participants: int, each: int, readers: int, accept: int | None, think: float = 0.0,
               client: str = "raw") -> dict[str, list[float]]:
    fac = httpx.Client(base_url=server.base, headers={"Origin": server.base}, timeout=60)
    fac.get(f"/facilitator?secret={SECRET}", follow_redirects=True)
    fac.get("/live/data")  # the server's first view imports the drawing libraries: not part of the load
    time.sleep(2)  # nor is its warm-up (the vocabulary the forms check against)
    stop = asyncio.Event()
    times: dict[str, list[float]] = {"submit": [], "query": [], "accept": [], "submit@server": [], "query@server": [], "accept@server": []}
    events: list[str] = []
    code = server.codes["room-2"]
    background = [asyncio.create_task(reader(server.base, stop, times["query"], times["query@server"])) for _ in range(readers)]
    background.append(asyncio.create_task(listener(server.base, fac.cookies, stop, events)))
    started, cpu, mine = time.perf_counter(), cpu_seconds(server.proc.pid), time.process_time()
    one = participant if client == "raw" else participant_httpx
    await asyncio.gather(*(one(server.base, code, i, each, times["submit"], times["submit@server"], think) for i in range(participants)))
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
            times["accept@server"].append(server_ms(r.headers.get("server-timing")))
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
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw", help="the participants' HTTP client (default: raw)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        server = Server(make_workspace(Path(d) / "ws"), "--session", "room-2")
        try:
            times = asyncio.run(load(server, args.participants, args.each, args.readers, args.accept, args.think, args.client))
        except BaseException:
            print("server log (tail):\n" + server.log.read_text(encoding="utf-8")[-4000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    print(f"participants' client: {args.client}; latency as the clients saw it, then the server's own time (Server-Timing)")
    for name in ("submit", "query", "accept", "submit@server", "query@server", "accept@server"):
        print(line(name, [t for t in times[name] if t is not None]))
    print(f"mean submit {statistics.mean(times['submit']) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
