"""The post-session checklist for one country or region, answered from the graph (``crimekg brief``).

A brief puts side by side what the imported published data say about a place (UNODC GLOTIP:
detected victims by sex, age and form of exploitation, citizenships, destinations of its
nationals, persons prosecuted and convicted; IOM deaths and missing on routes; Frontex detections;
SHERLOC case references), what the session's participants contributed about it, and which of the
session's topics nothing covers. Suppressed counts are shown as ``<5`` and left out of sums and
shares; every share says which countries and years it covers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import rdflib

from crimekg import ontology

from crimekg.graph.errors import InvalidInput
from crimekg.graph.evidence import Places, concept
from crimekg.graph.query import named_query, run_query
from crimekg.graph.tables import markdown_table

__all__ = ["Brief", "build_brief", "render_brief", "run_evidence_query"]

_PLACE = ontology.PLACE


def run_evidence_query(store, name: str, **bindings: rdflib.term.Node) -> list[dict]:
    """Run the named query ``name`` with ``bindings`` (IRIs or literals) and return its rows.

    The same runner as ``crimekg query``: values are bound as a leading ``VALUES`` block, and a
    value that is not a valid IRI or literal is refused. Rows are dicts of rdflib terms, unbound
    variables left out.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d, init_store(d + "/ws") as store:
    ...     rows = run_evidence_query(store, "evidence-cases", area=rdflib.URIRef(_PLACE + "NGA"))
    >>> rows
    []
    """
    return run_query(store, named_query(name), bindings=bindings).bindings()


@dataclass
class Brief:
    """The answers of a brief, as plain data (rendered by :func:`render_brief`)."""

    place: str
    label: str
    kind: str  # "country" or "region"
    countries: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    victims: list[dict] = field(default_factory=list)
    shares: dict = field(default_factory=dict)
    justice: list[dict] = field(default_factory=list)
    citizenships: list[dict] = field(default_factory=list)
    destinations: list[dict] = field(default_factory=list)
    routes: list[dict] = field(default_factory=list)
    detections: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    case_count: int = 0
    participants: dict = field(default_factory=dict)
    topics: list[dict] = field(default_factory=list)


def _resolve(store, country: str | None, region: str | None, place: str | None = None) -> tuple[str, str, str]:
    if sum(bool(x) for x in (place, country, region)) != 1:
        raise InvalidInput("give one of --country, --region or --place (a country or region by name, ISO code or M49 code)")
    if place:
        from crimekg.graph.resolve import Words

        words = Words(store)
        iri = words.place(place)
        if not iri:
            raise InvalidInput(f"--place {place}: unknown; {words.hint('place', place)}")
        if iri.startswith(_PLACE + "m49/"):
            region = iri.rsplit("/", 1)[-1]
        else:
            country = iri.rsplit("/", 1)[-1]
    places = Places.from_store(store)
    if country:
        code = places.iso3(country)
        if not code:
            raise InvalidInput(f"unknown country {country!r}: give its ISO3 code (e.g. NGA) or its English name")
        return _PLACE + code, places.labels[code], "country"
    iri = places.region(region)
    if not iri:
        raise InvalidInput(f"unknown region {region!r}: give an M49 region name (e.g. 'Western Africa') or code (011)")
    rows = store.select("SELECT ?r ?l WHERE { ?r rdfs:label ?l }", {"r": rdflib.URIRef(iri)})
    if not rows:
        raise InvalidInput(f"unknown region {region!r}: no M49 region {iri.rsplit('/', 1)[-1]} in the places graph")
    return iri, str(rows[0]["l"]), "region"


def _int(term) -> int:
    return int(str(term)) if term is not None else 0


_SEX_AGE = {
    ("female", "18-plus"): "Women", ("male", "18-plus"): "Men",
    ("female", "0-17"): "Girls", ("male", "0-17"): "Boys",
    ("female", "total"): "Female", ("male", "total"): "Male",
}
_FORMS = {"sexual-exploitation": "Sexual exploitation", "forced-labour": "Forced labour", "other-forms": "Other forms"}
_JUSTICE = {"persons-brought-into-formal-contact": "Formal contact", "persons-prosecuted": "Prosecuted", "persons-convicted": "Convicted"}


def build_brief(store, *, country: str | None = None, region: str | None = None, place: str | None = None) -> Brief:
    """Answer the post-session checklist for a country or a region from the workspace.

    >>> from graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d, init_store(d + "/ws") as store:
    ...     b = build_brief(store, country="NGA")
    >>> b.label, b.victims, b.kind
    ('Nigeria', [], 'country')
    """
    iri, label, kind = _resolve(store, country, region, place)
    area = rdflib.URIRef(iri)
    b = Brief(place=iri, label=label, kind=kind)
    b.sources = [
        {k: str(v) for k, v in r.items()}
        for r in store.select(
            """SELECT DISTINCT ?source ?title ?file ?issued WHERE {
                 ?ds a dcat:Dataset ; dct:title ?title ; dcat:distribution ?d . ?d dct:title ?file .
                 FILTER(STRSTARTS(STR(?ds), "https://w3id.org/crimekg/resource/dataset/"))
                 BIND(STRAFTER(STR(?ds), "dataset/") AS ?source)
                 OPTIONAL { ?ds dct:issued ?issued } } ORDER BY ?source"""
        )
    ]
    years: dict[str, dict] = {}
    justice: dict[str, dict] = {}
    countries: set[str] = set()
    used: set[str] = set()
    for r in run_evidence_query(store, "evidence-glotip-profile", area=area):
        if str(r.get("source")) != "glotip":
            continue
        ind = str(r["indicator"]).rsplit("/", 1)[-1]
        bd = str(r["breakdown"]).rsplit("/", 1)[-1]
        sex = str(r["sex"]).rsplit("/", 1)[-1]
        age = str(r["age"]).rsplit("/", 1)[-1]
        year = str(r["year"])
        cell = (_int(r.get("count")), _int(r.get("suppressedCells")), str(r.get("isos", "")).split())
        countries.update(cell[2])
        used.update((str(r["indicator"]), str(r["breakdown"])))
        if ind == "detected-trafficking-victims":
            row = years.setdefault(year, {"year": year})
            if bd == "total" and (sex, age) == ("total", "total"):
                row["Total"] = cell
            elif bd == "total" and (sex, age) in _SEX_AGE:
                row[_SEX_AGE[(sex, age)]] = cell
            elif bd == "by-form-of-exploitation" and (sex, age) == ("total", "total") and "form" in r:
                form = _FORMS.get(str(r["form"]).rsplit("/", 1)[-1])
                if form:
                    row[form] = cell
        elif ind in _JUSTICE and bd == "total" and (sex, age) == ("total", "total"):
            justice.setdefault(year, {"year": year})[_JUSTICE[ind]] = cell
    b.countries = sorted(countries)
    b.victims = [years[y] for y in sorted(years)]
    b.justice = [justice[y] for y in sorted(justice)]
    b.shares = _shares(b.victims)
    b.citizenships = [_flow_row(r) for r in run_evidence_query(store, "evidence-glotip-citizenships", area=area)][:10]
    b.destinations = [_flow_row(r) for r in run_evidence_query(store, "evidence-glotip-destinations", area=area)][:10]
    routes: dict[str, dict] = {}
    for r in run_evidence_query(store, "evidence-routes-deaths", area=area):
        row = routes.setdefault(str(r["route"]), {"route": str(r["routeLabel"]), "iri": str(r["route"]), "years": {}, "total": 0, "incidents": 0})
        row["years"][str(r["year"])] = _int(r["iomDeadAndMissing"])
        row["total"] += _int(r["iomDeadAndMissing"])
        row["incidents"] += _int(r["iomIncidents"])
    b.routes = sorted(routes.values(), key=lambda x: (-x["total"], x["route"]))
    detections: dict[str, dict] = {}
    for r in run_evidence_query(store, "evidence-frontex-nationals", area=area):
        row = detections.setdefault(str(r["route"]), {"route": str(r["routeLabel"]), "iri": str(r["route"]), "years": {}, "total": 0})
        row["years"][str(r["year"])] = _int(r["detections"])
        row["total"] += _int(r["detections"])
    b.detections = sorted(detections.values(), key=lambda x: (-x["total"], x["route"]))
    cases = run_evidence_query(store, "evidence-cases", area=area)
    b.case_count = len(cases)
    b.cases = [{k: str(v) for k, v in r.items() if k != "area"} for r in cases[:10]]
    parts: dict[str, list] = {}
    for r in run_evidence_query(store, "evidence-participants", area=area):
        kind_name = str(r["kind"]).rsplit("#", 1)[-1]
        parts.setdefault(kind_name, []).append({"label": str(r.get("label", "")), "category": str(r.get("category", ""))})
    b.participants = parts
    # evidence concepts met on the way: indicators and breakdowns, routes, case references
    seen = set(used)
    if b.citizenships or b.destinations:
        seen.add(concept("breakdown", "by-citizenship"))
    seen.update(r["iri"] for r in b.routes + b.detections if r.get("iri"))
    if b.routes:
        seen.add(concept("indicator", "dead-and-missing"))
    if b.detections:
        seen.add(concept("indicator", "illegal-border-crossings"))
    place_sources = {it["label"] for it in parts.get("DataSource", [])}
    b.topics = []
    for r in run_evidence_query(store, "evidence-topic-coverage"):
        concepts = set(str(r.get("concepts", "")).split())
        covered = bool(concepts & seen)
        if r["topic"] == rdflib.URIRef(concept("topic", "criminal-justice-case-information")) and b.case_count:
            covered = True
        b.topics.append({"label": str(r["label"]), "evidence": covered,
                         "sources": _int(r.get("sources")), "place_sources": bool(place_sources)})
    return b


def _bool(term) -> bool:
    return str(term).lower() in ("true", "1")


def _flow_row(r: dict) -> dict:
    return {"label": str(r["label"]), "count": _int(r.get("count")), "suppressed": _int(r.get("suppressedCells")),
            "first": str(r.get("first", "")), "last": str(r.get("last", ""))}


def _shares(victims: list[dict]) -> dict:
    """Shares of women, men, girls and boys in the latest year with all four published."""
    for row in reversed(victims):
        cells = [row.get(k) for k in ("Women", "Men", "Girls", "Boys")]
        if all(c is not None for c in cells) and sum(c[0] for c in cells) > 0:
            total = sum(c[0] for c in cells)
            isos = sorted(set().union(*(c[2] for c in cells)))
            return {
                "year": row["year"], "total": total, "countries": isos,
                "suppressed": sum(c[1] for c in cells),
                "shares": {k: c[0] / total for k, c in zip(("Women", "Men", "Girls", "Boys"), cells)},
                # a suppressed cell holds 1 to 4: the range each share can take
                "ranges": {k: _share_range(c, cells) for k, c in zip(("Women", "Men", "Girls", "Boys"), cells)},
            }
    return {}


def _share_range(cell, cells) -> tuple[float, float]:
    total = sum(c[0] for c in cells)
    others = sum(c[1] for c in cells) - cell[1]
    low = (cell[0] + cell[1]) / (total + cell[1] + 4 * others)
    high = (cell[0] + 4 * cell[1]) / (total + 4 * cell[1] + others)
    return low, high


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def _cell(cell) -> str:
    if cell is None:
        return "–"
    count, suppressed, _isos = cell
    if count == 0 and suppressed:
        return "<5" if suppressed == 1 else f"{suppressed} × <5"
    if suppressed:
        return f"{count:,} + {suppressed} × <5"
    return f"{count:,}"


def _total(count: int, suppressed: int) -> str:
    if count == 0 and suppressed:
        return "<5" if suppressed == 1 else f"{suppressed} × <5"
    return f"{count:,}" + (f" + {suppressed} × <5" if suppressed else "")


def _share_text(name: str, share: float, rng: tuple[float, float], suppressed: int) -> str:
    if not suppressed or round(rng[0] * 100) == round(rng[1] * 100):
        return f"{name.lower()} {share:.0%}"
    return f"{name.lower()} {rng[0]:.0%}–{rng[1]:.0%}"


def _years(first: str, last: str) -> str:
    return first if first == last else f"{first}–{last}"


def render_brief(b: Brief, format: str = "md") -> str:
    """Render a brief as Markdown (``md``) or as a self-contained HTML page (``html``)."""
    if format not in ("md", "html"):
        raise InvalidInput(f"unknown brief format {format!r}; use md or html")
    md = _markdown(b)
    return md if format == "md" else _html(b, md)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return markdown_table(headers, rows)


def _markdown(b: Brief) -> str:
    code = b.place.rsplit("/", 1)[-1]
    title = f"{b.label} ({code})" if b.kind == "country" else f"{b.label} (M49 {code})"
    out = [f"# Checklist brief: {title}", ""]
    if b.sources:
        out.append("Sources in this workspace: " + "; ".join(
            f"{s['title']} ({s['file']}{', exported ' + s['issued'] if s.get('issued') else ''})" for s in b.sources) + ".")
    else:
        out.append("No published data imported yet: `crimekg import FILE` adds GLOTIP, IOM, Frontex, CTDC or SHERLOC data.")
    out += ["Counts published as `<5` are suppressed (between 1 and 4): shown as `<5`, left out of sums and shares.", ""]
    if b.kind == "region":
        out += [f"Figures are sums over the {len(b.countries)} countries of the region with GLOTIP data"
                + (f": {', '.join(b.countries)}." if b.countries else "."), ""]

    out += ["## Detected victims of trafficking (UNODC GLOTIP)", ""]
    cols = ["Total", "Female", "Male", "Women", "Men", "Girls", "Boys", "Sexual exploitation", "Forced labour", "Other forms"]
    rows = [r for r in b.victims if any(c in r for c in cols)]
    if rows:
        out += _table(["Year", *cols], [[r["year"], *(_cell(r.get(c)) for c in cols)] for r in rows])
        out.append("")
        if b.shares:
            s = b.shares
            where = ", ".join(s["countries"])
            out.append(
                f"Shares in {s['year']} (covering {where}; {s['total']:,} victims with sex and age published"
                + (f"; {s['suppressed']} suppressed cell(s), so each share is the range it can take" if s["suppressed"] else "") + "): "
                + ", ".join(_share_text(k, v, s["ranges"][k], s["suppressed"]) for k, v in s["shares"].items()) + "."
            )
            out.append("")
    else:
        out += ["No GLOTIP figures for this place.", ""]

    out += ["## Flows", ""]
    out += [f"Main citizenships of the victims detected in {b.label} (all years, sex and age total):", ""]
    if b.citizenships:
        out += _table(["Citizenship", "Victims", "Years"], [[r["label"], _total(r["count"], r["suppressed"]), _years(r["first"], r["last"])] for r in b.citizenships])
    else:
        out.append("None published.")
    out += ["", f"Where nationals of {b.label} were detected as victims (other countries, all years):", ""]
    if b.destinations:
        out += _table(["Country of detection", "Victims", "Years"], [[r["label"], _total(r["count"], r["suppressed"]), _years(r["first"], r["last"])] for r in b.destinations])
    else:
        out.append("None published.")
    out.append("")

    out += ["## Persons in contact with the criminal justice system (UNODC GLOTIP)", ""]
    jcols = ["Formal contact", "Prosecuted", "Convicted"]
    if b.justice:
        out += _table(["Year", *jcols], [[r["year"], *(_cell(r.get(c)) for c in jcols)] for r in b.justice])
    else:
        out.append("No GLOTIP figures for this place.")
    out.append("")

    out += ["## Routes: migrants dead and missing (IOM Missing Migrants)", ""]
    if b.routes:
        years = sorted({y for r in b.routes for y in r["years"]})
        recent = years[-5:]
        out += _table(["Route", "Incidents", "Dead and missing", *recent],
                      [[r["route"], f"{r['incidents']:,}", f"{r['total']:,}", *(f"{r['years'][y]:,}" if y in r["years"] else "–" for y in recent)]
                       for r in b.routes])
        out.append("")
        out.append(f"Incidents recorded in {b.label}, {years[0]}–{years[-1]} (–: no incident recorded that year).")
    else:
        out.append("No incidents recorded here in the imported IOM data.")
    out.append("")

    out += [f"## Routes: nationals of {b.label} detected crossing into the EU irregularly (Frontex)", ""]
    if b.detections:
        years = sorted({y for r in b.detections for y in r["years"]})
        recent = years[-5:]
        out += _table(["Route", "Detections", *recent],
                      [[r["route"], f"{r['total']:,}", *(f"{r['years'][y]:,}" if y in r["years"] else "–" for y in recent)] for r in b.detections])
        out.append("")
        out.append(f"Detections of illegal border crossings, {years[0]}–{years[-1]}: detections, not persons (one person can be"
                   " detected more than once); a count of another kind than IOM's dead and missing, never added to it.")
    else:
        out.append("No detections of its nationals in the imported Frontex data.")
    out.append("")

    out += ["## Case references (UNODC SHERLOC)", ""]
    if b.cases:
        out.append(f"{b.case_count} case(s); the most recent:")
        out.append("")
        out += [f"- {c.get('year') or 'n.d.'}: [{c['label']}]({c['url']}) ({c.get('crime', '')})" for c in b.cases]
    else:
        out.append("No case references imported for this place.")
    out.append("")

    out += ["## What participants contributed", ""]
    names = {"Factor": "Factors", "Pattern": "Patterns", "DataSource": "Data sources", "InformationGap": "Information gaps"}
    if b.participants:
        for kind, title in names.items():
            items = b.participants.get(kind, [])
            if not items:
                continue
            if kind == "Factor":
                by_cat: dict[str, list[str]] = {}
                for it in items:
                    by_cat.setdefault(it["category"] or "uncategorised", []).append(it["label"])
                out.append(f"- {title}: " + "; ".join(f"{cat}: {', '.join(sorted(set(ls)))}" for cat, ls in sorted(by_cat.items())))
            else:
                out.append(f"- {title}: " + ", ".join(sorted({it["label"] for it in items})))
    else:
        out.append("Nothing contributed about this place yet.")
    out.append("")

    out += ["## Topics with no source", ""]
    empty = [t for t in b.topics if not t["evidence"]]
    if empty:
        out.append(f"No imported data bear on these topics for {b.label}; the data sources participants named for them are counted:")
        out.append("")
        out += [f"- {t['label']}" + (f" ({t['sources']} data source(s) named by participants)" if t["sources"] else " (no data source named either)") for t in empty]
    else:
        out.append("Every topic of the session has imported data here.")
    out.append("")
    return "\n".join(out)


def _html(b: Brief, md: str) -> str:
    """A plain, self-contained HTML page: no script, no network; every value escaped."""
    body = []
    in_table = False
    in_list = False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-"}:
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
                body.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr>")
            else:
                body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line:
            body.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        body.append("</table>")
    if in_list:
        body.append("</ul>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
             "td:first-child,th:first-child{text-align:left}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{html.escape('Checklist brief: ' + b.label)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
