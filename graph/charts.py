"""Charts for the brief, drawn with matplotlib's SVG backend and written into the page as inline SVG.

Two kinds of chart: stacked bars over years (:func:`stacked_bars`) and horizontal bars, one per
label (:func:`horizontal_bars`). A value is a cell as the brief holds it, ``(count, suppressed)``
(the published counts added up, and how many cells were published as ``<5``), or ``None`` when
nothing was published. A suppressed cell holds 1 to 4, so the cells published as ``<5`` are drawn
as what they can add up to: a hatched box from ``suppressed`` to ``4 × suppressed`` above the
published part, labelled ``<5`` (or ``n × <5``); never as 0 and never as a bare gap.

Every chart has a title, axis labels and a line naming the source and the years it covers; the
page keeps the table under it as its text alternative. Text stays text in the SVG (the browser
draws every script) and is escaped by the SVG writer; ``$`` is never read as mathematics. Bars
carry ids (``{chart}-s{series}-x{index}``, ``{chart}-sup-x{index}``) so that a reader or a test
can find the bar of each value. Two runs give the same bytes.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence

__all__ = ["SERIES_COLOURS", "SUPPRESSED_COLOUR", "Series", "horizontal_bars", "stacked_bars"]

#: Colours of the series, in order: the views' factor-category colours (ColorBrewer Dark2, told
#: apart by readers with red-green colour blindness) followed by the rest of Dark2.
SERIES_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")

#: Edge and hatch colour of the boxes that stand for suppressed cells.
SUPPRESSED_COLOUR = "#333333"

Cell = tuple  # (count, suppressed[, countries])
Series = tuple  # (name, [Cell | None, ...], colour | None)


def _suppressed_text(suppressed: int) -> str:
    return "<5" if suppressed == 1 else f"{suppressed} × <5"


def _value_text(cell) -> str:
    count, suppressed = cell[0], cell[1]
    if count == 0 and suppressed:
        return _suppressed_text(suppressed)
    return f"{count:,}" + (f" + {_suppressed_text(suppressed)}" if suppressed else "")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))
    return fig


def _rc(chart_id: str) -> dict:
    return {
        "svg.fonttype": "none",  # text stays text
        "svg.hashsalt": f"crimekg-{chart_id}",  # the same ids on every run
        "text.parse_math": False,  # a "$" in a label is a dollar sign
        "font.family": ["DejaVu Sans", "Liberation Sans", "sans-serif"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "hatch.color": SUPPRESSED_COLOUR,
        "hatch.linewidth": 0.8,
    }


def _finish(fig, chart_id: str, title: str, source: str) -> str:
    """The figure as an SVG element for an HTML page: no prolog, ids prefixed with the chart's id."""
    import matplotlib

    fig.text(0.005, 0.01, source, fontsize=7.5, ha="left", va="bottom", color="#333333", wrap=True)
    buf = io.StringIO()
    with matplotlib.rc_context(_rc(chart_id)), warnings.catch_warnings():
        # labels in scripts DejaVu lacks: the browser picks a font that has them
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # ids unique in a page that holds several charts
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{m.group(1)}"' if m.group(1).startswith(chart_id + "-") else f'id="{chart_id}--{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{chart_id}--{m.group(1)})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{chart_id}--{m.group(1)}"', svg)
    import html

    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"',
                 lambda m: f'<svg {m.group(1)}class="chart" id="{chart_id}" role="img" aria-label="{html.escape(title)}"', svg, count=1)
    return svg.strip()


def _suppressed_box(ax, x, base: float, suppressed: int, chart_id: str, index: int, horizontal: bool, span: float) -> None:
    """The box a suppressed part can fill: from base + suppressed to base + 4 × suppressed, hatched."""
    low, high = base + suppressed, base + 4 * suppressed
    style = dict(color="white", edgecolor=SUPPRESSED_COLOUR, hatch="/////", linewidth=0.8)
    if horizontal:
        (patch,) = ax.barh(x, high - low, left=low, height=0.6, **style)
        ax.text(high + span * 0.01, x, _suppressed_text(suppressed) if base == 0 else "", va="center", ha="left", fontsize=8)
    else:
        (patch,) = ax.bar(x, high - low, bottom=low, width=0.7, **style)
        crowded = span < 0  # a negative span asks for upright labels: many bars side by side
        ax.text(x, high + abs(span) * 0.01, _suppressed_text(suppressed), va="bottom", ha="center", fontsize=6.5 if crowded else 7,
                rotation=90 if crowded else 0, color=SUPPRESSED_COLOUR)
    patch.set_gid(f"{chart_id}-sup-x{index}")


def stacked_bars(chart_id: str, title: str, xs: Sequence[str], series: Sequence[Series], *, xlabel: str, ylabel: str, source: str) -> str:
    """Stacked bars, one per ``xs`` (years), one segment per series; cells published as ``<5`` on top as a range.

    >>> svg = stacked_bars("c", "Victims", ["2021"], [("Girls", [(3, 0)], None), ("Boys", [(0, 1)], None)],
    ...                    xlabel="Year", ylabel="Victims", source="Source: test")
    >>> svg.startswith("<svg") and 'id="c-s0-x0"' in svg and 'id="c-sup-x0"' in svg and "c-s1-x0" not in svg
    True
    """
    import matplotlib
    from matplotlib.patches import Patch

    with matplotlib.rc_context(_rc(chart_id)):
        fig = _figure(7.2, 3.4)
        ax = fig.add_subplot()
        tops = []
        for j in range(len(xs)):
            tops.append(sum(s[1][j][0] + 4 * s[1][j][1] for s in series if s[1][j]))
        span = max(tops, default=0) or 4
        any_suppressed = False
        for j in range(len(xs)):
            bottom = 0
            for i, (name, cells, colour) in enumerate(series):
                cell = cells[j]
                if cell and cell[0] > 0:
                    (patch,) = ax.bar(j, cell[0], bottom=bottom, width=0.7, color=colour or SERIES_COLOURS[i % len(SERIES_COLOURS)],
                                      edgecolor="white", linewidth=0.6)
                    patch.set_gid(f"{chart_id}-s{i}-x{j}")
                    bottom += cell[0]
            suppressed = sum(cells[j][1] for _n, cells, _c in series if cells[j])
            if suppressed:
                any_suppressed = True
                _suppressed_box(ax, j, bottom, suppressed, chart_id, j, False, -span if len(xs) > 10 else span)
        ax.set_xticks(range(len(xs)), list(xs), rotation=45 if len(xs) > 12 else 0)
        pad = max(0.0, (8 - len(xs)) / 2)  # a bar keeps its width when there are few years
        ax.set_xlim(-0.6 - pad, len(xs) - 0.4 + pad)
        ax.set_ylim(0, span * (1.15 if len(xs) > 10 else 1.08))
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        handles = [Patch(facecolor=c or SERIES_COLOURS[i % len(SERIES_COLOURS)], label=n) for i, (n, _cells, c) in enumerate(series)]
        if any_suppressed:
            handles.append(Patch(facecolor="white", edgecolor=SUPPRESSED_COLOUR, hatch="/////", label="<5: suppressed, 1 to 4 each"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return _finish(fig, chart_id, title, source)


def horizontal_bars(chart_id: str, title: str, rows: Sequence[tuple[str, tuple]], *, xlabel: str, source: str,
                    ylabel: str = "", colours: Sequence[str] | None = None) -> str:
    """One horizontal bar per ``(label, cell)``, the first on top, its value written at its end.

    >>> svg = horizontal_bars("h", "Citizenships", [("Benin", (12, 0)), ("Togo", (0, 1))], xlabel="Victims", source="Source: test")
    >>> 'id="h-s0-x0"' in svg and 'id="h-sup-x1"' in svg and "Benin" in svg
    True
    """
    import matplotlib

    with matplotlib.rc_context(_rc(chart_id)):
        height = 1.3 + 0.28 * max(len(rows), 1)
        fig = _figure(7.2, height)
        fig.get_layout_engine().set(rect=(0, 0.3 / height, 1, 1 - 0.3 / height))
        ax = fig.add_subplot()
        span = max((c[0] + 4 * c[1] for _l, c in rows), default=0) or 4
        for i, (label, cell) in enumerate(rows):
            colour = colours[i] if colours else SERIES_COLOURS[0]
            if cell[0] > 0:
                (patch,) = ax.barh(i, cell[0], height=0.6, color=colour)
                patch.set_gid(f"{chart_id}-s0-x{i}")
            if cell[1]:
                _suppressed_box(ax, i, cell[0], cell[1], chart_id, i, True, span)
            if cell[0] > 0:
                end = cell[0] + 4 * cell[1]
                ax.text(end + span * 0.01, i, _value_text(cell), va="center", ha="left", fontsize=8)
        ax.set_yticks(range(len(rows)), [label for label, _ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, span * 1.15)
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    return _finish(fig, chart_id, title, source)
