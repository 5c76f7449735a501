"""Which library draws the brief's charts: time, size and offline-ness of one stacked bar chart as SVG.

    python tests/benchmarks/bench_charts.py            # every library that imports here

For matplotlib (SVG backend), pygal and Vega-Altair with vl-convert-python, each in a fresh Python
process (so that the import is counted): the import time, the time to draw a stacked bar chart of
ten years by four groups with a Japanese and an Arabic label, the SVG's size, whether two runs give
the same bytes, whether the SVG refers to anything outside itself (links, scripts, fonts) and
whether the non-Latin labels stay text that the browser draws. A library that is not installed is
reported as such.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

YEARS = list(range(2013, 2023))
SERIES = {"Women": [40, 52, 61, 70, 66, 80, 91, 85, 97, 110], "Men": [12, 15, 9, 20, 22, 25, 31, 30, 28, 35],
          "Girls": [30, 33, 45, 41, 50, 62, 58, 70, 72, 80], "Boys": [5, 7, 8, 9, 12, 10, 15, 14, 18, 20]}
TITLE = "Detected victims: ナイジェリア / نيجيريا"

COMMON = f"""
import json, sys, time
YEARS = {YEARS!r}
SERIES = {SERIES!r}
TITLE = {TITLE!r}
t0 = time.perf_counter()
"""

SCRIPTS = {
    "matplotlib": """
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
t1 = time.perf_counter()
import io
plt.rcParams["svg.fonttype"] = "none"      # text stays text: the browser draws every script
plt.rcParams["svg.hashsalt"] = "crimekg"   # stable ids
fig, ax = plt.subplots(figsize=(7, 3.5))
bottom = [0] * len(YEARS)
for name, values in SERIES.items():
    ax.bar([str(y) for y in YEARS], values, bottom=bottom, label=name)
    bottom = [b + v for b, v in zip(bottom, values)]
ax.set_title(TITLE); ax.set_xlabel("Year"); ax.set_ylabel("Victims"); ax.legend()
buf = io.StringIO()
fig.savefig(buf, format="svg", metadata={"Date": None})
plt.close(fig)
svg = buf.getvalue()
""",
    "pygal": """
import pygal
t1 = time.perf_counter()
chart = pygal.StackedBar(js=[], disable_xml_declaration=True, title=TITLE, x_title="Year", y_title="Victims")
chart.x_labels = [str(y) for y in YEARS]
for name, values in SERIES.items():
    chart.add(name, values)
svg = chart.render(is_unicode=True)
""",
    "altair+vl-convert": """
import altair as alt
import vl_convert as vlc
t1 = time.perf_counter()
rows = [{"year": str(y), "group": n, "victims": v[i]} for n, v in SERIES.items() for i, y in enumerate(YEARS)]
chart = alt.Chart(alt.Data(values=rows), title=TITLE).mark_bar().encode(
    x=alt.X("year:O", title="Year"), y=alt.Y("sum(victims):Q", title="Victims"), color="group:N")
svg = vlc.vegalite_to_svg(chart.to_json())
""",
}

TAIL = """
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "render": t2 - t1, "svg": svg}))
"""

#: Runs of each library in a fresh process: the figures are the fastest, "same bytes" compares them all.
ROUNDS = 3


def run(name: str) -> dict | None:
    code = textwrap.dedent(COMMON) + textwrap.dedent(SCRIPTS[name]) + textwrap.dedent(TAIL)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:80]}
    return json.loads(proc.stdout)


def external(svg: str) -> list[str]:
    """What an SVG refers to outside itself (XML namespace names are not fetched)."""
    refs = re.findall(r"""(?:href|src)\s*=\s*["']([^"'#][^"']*)["']|url\(\s*["']?([^)"'#][^)"']*)""", svg)
    found = sorted({a or b for a, b in refs})
    if "<script" in svg:
        found.append("<script>")
    if "@font-face" in svg or "@import" in svg:
        found.append("@font-face/@import")
    return found


def main() -> None:
    print(f"{'library':<20} {'import s':>9} {'render s':>9} {'SVG KiB':>8} {'same bytes':>11} {'non-Latin as text':>18}  external references")
    for name in SCRIPTS:
        runs = [run(name) for _ in range(ROUNDS)]
        if "error" in runs[0]:
            print(f"{name:<20} not usable here: {runs[0]['error']}")
            continue
        svg = runs[0]["svg"]
        as_text = "ナイジェリア" in svg and "نيجيريا" in svg
        same = all(r["svg"] == svg for r in runs)
        print(f"{name:<20} {min(r['import'] for r in runs):>9.2f} {min(r['render'] for r in runs):>9.3f} {len(svg.encode()) / 1024:>8.1f} "
              f"{str(same):>11} {str(as_text):>18}  {', '.join(external(svg)) or 'none'}")


if __name__ == "__main__":
    main()
