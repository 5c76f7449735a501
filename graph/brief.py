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
import re
from dataclasses import dataclass, field

import rdflib

from crimekg import ontology

from crimekg.graph.errors import CrimeKGError, InvalidInput
from crimekg.graph.evidence import Places, concept
from crimekg.graph.query import named_query, run_query

__all__ = ["BRIEF_QUERIES", "Brief", "PrintUnavailable", "brief_date", "build_brief", "render_brief", "run_evidence_query", "write_pdf"]

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
    profile: str = "full"
    place_level: str = "country"
    #: Where "What participants contributed" looks: the place, or (public, by region) its UN M49 subregion.
    participants_place: str = ""
    participants_label: str = ""


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


#: How many queries :func:`build_brief` runs once the place is known (what its progress counts).
BRIEF_QUERIES = 9


def _ticker(progress, total: int):
    """``tick(what)``: tells ``progress(done, total, what)``, if there is one, that one more query ran."""
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done, total), total, what)

    return tick


def build_brief(store, *, country: str | None = None, region: str | None = None, place: str | None = None,
                progress=None, profile: str = "full", place_level: str = "country", redact: bool = False) -> Brief:
    """Answer the post-session checklist for a country or a region from the workspace.

    ``progress``, if given, is called as ``progress(done, total, what)`` after each of the
    brief's queries (``total`` is :data:`BRIEF_QUERIES`; ``what`` says what the query answers).

    ``profile="public"`` answers from the workspace's public export (see
    :func:`graph.views.public_copy`): no contributor code, group, time or local place, and those
    written in text marked. With ``place_level="region"`` the places participants gave are UN M49
    subregions, so a country's brief lists what they contributed about its subregion, and says so;
    the published figures keep their countries. ``redact=True`` (public only) also replaces likely
    e-mail addresses, phone numbers and names in participants' text with markers.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d, init_store(d + "/ws") as store:
    ...     b = build_brief(store, country="NGA")
    >>> b.label, b.victims, b.kind
    ('Nigeria', [], 'country')
    """
    from crimekg.graph.views import check_profile

    check_profile(profile, place_level, redact)
    if profile == "public":
        return _public_brief(build_brief(store, country=country, region=region, place=place, progress=progress), store, place_level, redact)
    iri, label, kind = _resolve(store, country, region, place)
    tick = _ticker(progress, BRIEF_QUERIES)
    area = rdflib.URIRef(iri)
    b = Brief(place=iri, label=label, kind=kind)
    b.sources = [
        {k: str(v) for k, v in r.items()}
        for r in store.select(
            """SELECT DISTINCT ?source ?title ?file ?issued WHERE {
                 ?ds a dcat:Dataset ; dct:title ?title ; dcat:distribution ?d . ?d dct:title ?file .
                 FILTER(STRSTARTS(STR(?ds), CONCAT(STR(resource:), "dataset/")))
                 BIND(STRAFTER(STR(?ds), "dataset/") AS ?source)
                 OPTIONAL { ?ds dct:issued ?issued } } ORDER BY ?source"""
        )
    ]
    tick("Sources in this workspace")
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
    tick("GLOTIP figures for the place")
    b.countries = sorted(countries)
    b.victims = [years[y] for y in sorted(years)]
    b.justice = [justice[y] for y in sorted(justice)]
    b.shares = _shares(b.victims)
    b.citizenships = [_flow_row(r) for r in run_evidence_query(store, "evidence-glotip-citizenships", area=area)][:10]
    tick("Main citizenships of the victims detected there")
    b.destinations = [_flow_row(r) for r in run_evidence_query(store, "evidence-glotip-destinations", area=area)][:10]
    tick("Where its nationals were detected as victims")
    routes: dict[str, dict] = {}
    for r in run_evidence_query(store, "evidence-routes-deaths", area=area):
        row = routes.setdefault(str(r["route"]), {"route": str(r["routeLabel"]), "iri": str(r["route"]), "years": {}, "total": 0, "incidents": 0})
        row["years"][str(r["year"])] = _int(r["iomDeadAndMissing"])
        row["total"] += _int(r["iomDeadAndMissing"])
        row["incidents"] += _int(r["iomIncidents"])
    tick("Migrants dead and missing per route and year (IOM)")
    b.routes = sorted(routes.values(), key=lambda x: (-x["total"], x["route"]))
    detections: dict[str, dict] = {}
    for r in run_evidence_query(store, "evidence-frontex-nationals", area=area):
        row = detections.setdefault(str(r["route"]), {"route": str(r["routeLabel"]), "iri": str(r["route"]), "years": {}, "total": 0})
        row["years"][str(r["year"])] = _int(r["detections"])
        row["total"] += _int(r["detections"])
    tick("Detections of its nationals per route and year (Frontex)")
    b.detections = sorted(detections.values(), key=lambda x: (-x["total"], x["route"]))
    cases = run_evidence_query(store, "evidence-cases", area=area)
    tick("Case references (SHERLOC)")
    b.case_count = len(cases)
    b.cases = [{k: str(v) for k, v in r.items() if k != "area"} for r in cases[:10]]
    parts = b.participants = _participants(store, iri)
    b.participants_place = iri
    tick("What participants said about the place")
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
    tick("The session's topics and the evidence on them")
    return b


#: What a brief in the public profile says of itself, by place level.
_PUBLIC_NOTES = {
    "country": "Public profile: no contributor codes, groups, times or local places.",
    "region": "Public profile: no contributor codes, groups, times or local places; "
              "the places participants gave are UN M49 subregions.",
}


#: Keys of a brief's rows that hold IRIs, not text: the public profile's text rule leaves them be, as the export does.
_IRI_KEYS = {"iri", "url", "source", "place"}


def _public_brief(b: Brief, store, place_level: str, personal: bool = False) -> Brief:
    """The public profile of a brief answered from the whole workspace.

    The published figures are the workspace's evidence, which the public export keeps as it is but
    for its text rule, applied here; what participants contributed is read again from the public
    copy of every graph but the evidence (copying a large evidence import would take minutes).
    """
    from crimekg.graph.export import redactor
    from crimekg.graph.views import participant_graphs, public_copy

    redact = redactor(store)  # the evidence keeps its text, as in the export; participants' text comes from the public copy
    if redact is not None:
        for name in ("label", "countries", "sources", "victims", "justice", "citizenships", "destinations",
                     "routes", "detections", "cases", "topics"):
            setattr(b, name, _redacted(getattr(b, name), redact))
    with public_copy(store, place_level, participant_graphs(store), personal) as pub:
        area = _generalised(pub, b.place) if place_level == "region" else b.place
        b.participants = _participants(pub, area)
        b.participants_place = area
        if area != b.place:
            named = pub.select("SELECT ?r ?l WHERE { ?r rdfs:label ?l FILTER(LANG(?l) = 'en' || LANG(?l) = '') }",
                               {"r": rdflib.URIRef(area)})
            b.participants_label = str(named[0]["l"]) if named else ""
    for t in b.topics:
        t["place_sources"] = bool(b.participants.get("DataSource"))
    b.profile, b.place_level = "public", place_level
    return b


def _redacted(value, redact):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: v if k in _IRI_KEYS else _redacted(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redacted(v, redact) for v in value)
    return value


def _generalised(store, place: str) -> str:
    """The UN M49 subregion a country, or a finer region (Western Africa), is generalised to; else the place itself."""
    from crimekg.graph.export import subregions

    sub = subregions(store)
    levels = set(sub.values())
    if place in sub or place in levels:
        return sub.get(place, place)
    up = [str(r["s"]) for r in store.select("SELECT ?x ?s WHERE { ?x skos:broader+ ?s }", {"x": rdflib.URIRef(place)})]
    return next((u for u in sorted(up) if u in levels), place)


def _participants(store, area: str) -> dict[str, list]:
    parts: dict[str, list] = {}
    for r in run_evidence_query(store, "evidence-participants", area=rdflib.URIRef(area)):
        kind_name = str(r["kind"]).rsplit("#", 1)[-1]
        parts.setdefault(kind_name, []).append({"label": str(r.get("label", "")), "category": str(r.get("category", ""))})
    return parts


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


def render_brief(b: Brief, format: str = "md", *, progress=None) -> str:
    """Render a brief as Markdown (``md``) or as a self-contained HTML page (``html``) with charts.

    The HTML page draws the figures as inline SVG charts, each above its table, and has a print
    stylesheet (A4, a cover page, page numbers, table headers repeated on each page) that
    :func:`write_pdf` prints. ``progress(done, total, what)``, if given, is called after each chart.
    """
    if format not in ("md", "html"):
        raise InvalidInput(f"unknown brief format {format!r}; use md, html or pdf")
    if format == "md":
        return _markdown(b)
    return _html(b, _markdown(b, charts=True), _charts(b, progress))


# Markdown --------------------------------------------------------------------------------------

#: What Markdown would read as markup in a label: emphasis, code, links, HTML, table cells, list or
#: heading marks, entities, and an underscore that is not inside a word (data_glotip stays as it is).
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>#+!|~]|(?<![^\W_])_|_(?![^\W_])|&(?=#?\w+;)")


def _md(text) -> str:
    """Text from the data as Markdown that reads as that text (no emphasis, link, table cell or HTML).

    >>> _md("A | B *c* <b> data_glotip _x_ AT&T &amp;")
    'A \\\\| B \\\\*c\\\\* \\\\<b\\\\> data_glotip \\\\_x\\\\_ AT&T \\\\&amp;'
    """
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(str(text).split()))


def _source_name(s: dict) -> str:
    """A source as "title (file, exported date)", without the file's stem that the title already ends with."""
    title, file = s.get("title", ""), s.get("file", "")
    named = re.search(r" \(([\w.-]+)\)$", title)  # a file name in brackets, e.g. "(data_glotip)"
    if named and (named.group(1) == file.rsplit(".", 1)[0] or "_" in named.group(1)):
        title = title[: named.start()]
    return f"{title} ({file}{', exported ' + s['issued'] if s.get('issued') else ''})"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table of cells already escaped by :func:`_md` (so ``|`` is not escaped twice)."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(cells) + " |" for cells in rows]
    return out


#: A line that the HTML page replaces with a chart (never in the Markdown output).
_CHART_MARK = "\x00chart:"


def _markdown(b: Brief, charts: bool = False) -> str:
    def chart(name: str) -> list[str]:
        return [f"{_CHART_MARK}{name}", ""] if charts else []

    code = b.place.rsplit("/", 1)[-1]
    label = _md(b.label)
    title = f"{label} ({_md(code)})" if b.kind == "country" else f"{label} (M49 {_md(code)})"
    out = [f"# Checklist brief: {title}", ""]
    if b.sources:
        out.append("Sources in this workspace: " + "; ".join(_md(_source_name(s)) for s in b.sources) + ".")
    else:
        out.append("No published data imported yet: `crimekg import FILE` adds GLOTIP, IOM, Frontex, CTDC or SHERLOC data.")
    out += ["Counts published as `<5` are suppressed (between 1 and 4): shown as `<5`, left out of sums and shares.", ""]
    if b.profile == "public":
        out += [_PUBLIC_NOTES[b.place_level], ""]
    if b.kind == "region":
        out += [f"Figures are sums over the {len(b.countries)} countries of the region with GLOTIP data"
                + (f": {', '.join(_md(c) for c in b.countries)}." if b.countries else "."), ""]

    out += ["## Detected victims of trafficking (UNODC GLOTIP)", ""]
    cols = ["Total", "Female", "Male", "Women", "Men", "Girls", "Boys", "Sexual exploitation", "Forced labour", "Other forms"]
    rows = [r for r in b.victims if any(c in r for c in cols)]
    if rows:
        out += chart("victims-sex-age") + chart("victims-forms")
        out += _table(["Year", *cols], [[r["year"], *(_cell(r.get(c)) for c in cols)] for r in rows])
        out.append("")
        if b.shares:
            s = b.shares
            where = ", ".join(_md(c) for c in s["countries"])
            out.append(
                f"Shares in {s['year']} (covering {where}; {s['total']:,} victims with sex and age published"
                + (f"; {s['suppressed']} suppressed cell(s), so each share is the range it can take" if s["suppressed"] else "") + "): "
                + ", ".join(_share_text(k, v, s["ranges"][k], s["suppressed"]) for k, v in s["shares"].items()) + "."
            )
            out.append("")
    else:
        out += ["No GLOTIP figures for this place.", ""]

    out += ["## Flows", ""]
    for name, rows, place_heading, intro in (
        ("citizenships", b.citizenships, "Citizenship", f"Main citizenships of the victims detected in {label} (all years, sex and age total):"),
        ("destinations", b.destinations, "Country of detection", f"Where nationals of {label} were detected as victims (other countries, all years):"),
    ):
        out += [intro, ""]
        if rows:
            out += chart(name)
            out += _table([place_heading, "Victims", "Years"],
                          [[_md(r["label"]), _total(r["count"], r["suppressed"]), _years(r["first"], r["last"])] for r in rows])
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
        out += chart("routes-deaths")
        out += _table(["Route", "Incidents", "Dead and missing", *recent],
                      [[_md(r["route"]), f"{r['incidents']:,}", f"{r['total']:,}", *(f"{r['years'][y]:,}" if y in r["years"] else "–" for y in recent)]
                       for r in b.routes])
        out.append("")
        out.append(f"Incidents recorded in {label}, {years[0]}–{years[-1]} (–: no incident recorded that year).")
    else:
        out.append("No incidents recorded here in the imported IOM data.")
    out.append("")

    out += [f"## Routes: nationals of {label} detected crossing into the EU irregularly (Frontex)", ""]
    if b.detections:
        years = sorted({y for r in b.detections for y in r["years"]})
        recent = years[-5:]
        out += chart("detections")
        out += _table(["Route", "Detections", *recent],
                      [[_md(r["route"]), f"{r['total']:,}", *(f"{r['years'][y]:,}" if y in r["years"] else "–" for y in recent)] for r in b.detections])
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
        out += [f"- {_md(c.get('year') or 'n.d.')}: [{_md(c['label'])}](<{_md_url(c['url'])}>) ({_md(c.get('crime', ''))})" for c in b.cases]
    else:
        out.append("No case references imported for this place.")
    out.append("")

    out += ["## What participants contributed", ""]
    if b.participants_place and b.participants_place != b.place:
        out += [f"Places are UN M49 subregions in this public brief: what participants contributed about "
                f"{_md(b.participants_label or b.participants_place.rsplit('/', 1)[-1])}, which includes {label}.", ""]
    names = {"Factor": "Factors", "Pattern": "Patterns", "DataSource": "Data sources", "InformationGap": "Information gaps"}
    if b.participants:
        if b.participants.get("Factor"):
            out += chart("factors")
        for kind, title in names.items():
            items = b.participants.get(kind, [])
            if not items:
                continue
            if kind == "Factor":
                by_cat: dict[str, list[str]] = {}
                for it in items:
                    by_cat.setdefault(it["category"] or "uncategorised", []).append(it["label"])
                out.append(f"- {title}: " + "; ".join(f"{_md(cat)}: {', '.join(_md(x) for x in sorted(set(ls)))}" for cat, ls in sorted(by_cat.items())))
            else:
                out.append(f"- {title}: " + ", ".join(_md(x) for x in sorted({it["label"] for it in items})))
    else:
        out.append("Nothing contributed about this place yet.")
    out.append("")

    out += ["## Topics with no source", ""]
    empty = [t for t in b.topics if not t["evidence"]]
    if empty:
        out.append(f"No imported data bear on these topics for {label}; the data sources participants named for them are counted:")
        out.append("")
        out += [f"- {_md(t['label'])}" + (f" ({t['sources']} data source(s) named by participants)" if t["sources"] else " (no data source named either)") for t in empty]
    else:
        out.append("Every topic of the session has imported data here.")
    out.append("")
    return "\n".join(out)


def _md_url(url: str) -> str:
    """A link target for ``[text](<url>)``: only http(s) links, with nothing that ends the target."""
    url = str(url)
    if not re.match(r"https?://", url):
        return "#"
    return re.sub(r"[<>\s\\]", lambda m: f"%{ord(m.group(0)):02X}", url)


# Charts ----------------------------------------------------------------------------------------

def _chart_source(b: Brief, source: str, years: list[str], what: str) -> str:
    found = [s for s in b.sources if s.get("source") == source]
    name = _source_name(found[0]) if found else source
    span = _years(years[0], years[-1]) if years else "no year"
    where = f"; countries: {', '.join(b.countries)}" if b.kind == "region" and source == "glotip" and b.countries else ""
    return f"Source: {name}; {what}, {span}{where}."


def _charts(b: Brief, progress=None) -> dict[str, tuple[str, str]]:
    """The brief's charts as ``{name: (title, svg)}``; only those with something to draw."""
    from crimekg.graph import charts

    todo: list[tuple[str, str, object]] = []
    label = b.label

    def victims_chart(name: str, keys: list[str], title: str):
        years = [r["year"] for r in b.victims if any(r.get(k) for k in keys)]
        if not years:
            return
        rows = {r["year"]: r for r in b.victims}
        series = [(k, [rows[y].get(k) for y in years], None) for k in keys]
        source = _chart_source(b, "glotip", years, "detected victims of trafficking")
        todo.append((name, title, lambda: charts.stacked_bars(name, title, years, series, xlabel="Year", ylabel="Detected victims", source=source)))

    victims_chart("victims-sex-age", ["Women", "Men", "Girls", "Boys"], f"Detected victims in {label} by sex and age")
    victims_chart("victims-forms", ["Sexual exploitation", "Forced labour", "Other forms"], f"Detected victims in {label} by form of exploitation")

    def flow_chart(name: str, rows: list[dict], title: str, xlabel: str, ylabel: str):
        if not rows:
            return
        years = sorted({r["first"] for r in rows if r["first"]} | {r["last"] for r in rows if r["last"]})
        source = _chart_source(b, "glotip", years, "detected victims, all years, sex and age total")
        cells = [(r["label"], (r["count"], r["suppressed"])) for r in rows]
        todo.append((name, title, lambda: charts.horizontal_bars(name, title, cells, xlabel=xlabel, ylabel=ylabel, source=source)))

    flow_chart("citizenships", b.citizenships, f"Main citizenships of the victims detected in {label}", "Detected victims", "Citizenship")
    flow_chart("destinations", b.destinations, f"Where nationals of {label} were detected as victims", "Detected victims", "Country of detection")

    def route_chart(name: str, routes: list[dict], source_name: str, title: str, ylabel: str, what: str):
        if not routes:
            return
        years = sorted({y for r in routes for y in r["years"]})
        shown, rest = routes[:6], routes[6:]
        series = [(r["route"], [(r["years"][y], 0) if y in r["years"] else None for y in years], None) for r in shown]
        if rest:
            series.append((f"{len(rest)} other route(s)", [(sum(r["years"].get(y, 0) for r in rest), 0) for y in years], "#999999"))
        source = _chart_source(b, source_name, years, what)
        todo.append((name, title, lambda: charts.stacked_bars(name, title, years, series, xlabel="Year", ylabel=ylabel, source=source)))

    route_chart("routes-deaths", b.routes, "iom", f"Migrants dead and missing in {label}, per route and year", "Dead and missing",
                "dead and missing in incidents recorded here")
    route_chart("detections", b.detections, "frontex", f"Nationals of {label} detected crossing into the EU irregularly",
                "Detections (not persons)", "detections of illegal border crossings")

    factors = b.participants.get("Factor", [])
    if factors:
        from crimekg.graph.views import CATEGORY_COLOURS

        by_cat: dict[str, set] = {}
        for it in factors:
            by_cat.setdefault(it["category"] or "", set()).add(it["label"])
        cats = sorted(by_cat, key=lambda c: (-len(by_cat[c]), c == "", c))
        cells = [(c or "uncategorised", (len(by_cat[c]), 0)) for c in cats]
        colours = [CATEGORY_COLOURS.get(c.lower() or None, CATEGORY_COLOURS[None]) for c in cats]
        title = f"Factors participants named for {label}, by category"
        source = "Source: contributions of the session's participants (distinct factors placed here or in a country within it)."
        todo.append(("factors", title, lambda: charts.horizontal_bars("factors", title, cells, xlabel="Factors named", ylabel="Category", source=source, colours=colours)))

    out = {}
    for i, (name, title, draw) in enumerate(todo, 1):
        out[name] = (title, draw())
        if progress is not None:
            progress(i, len(todo), f"Chart: {title}")
    return out


# HTML ------------------------------------------------------------------------------------------

_INLINE = re.compile(r"\\([!-/:-@\[-`{-~])|`([^`]*)`|\[((?:\\.|[^\]\\])*)\]\(<([^>]*)>\)")


def _inline(text: str) -> str:
    """One line of the brief's Markdown as HTML: escapes, code spans and links; everything else as text."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(html.escape(m.group(1)))
        elif m.group(2) is not None:
            out.append(f"<code>{html.escape(m.group(2))}</code>")
        else:
            out.append(f'<a href="{html.escape(m.group(4))}">{_inline(m.group(3))}</a>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def brief_date(b: Brief) -> str:
    """The date a brief is of: ``SOURCE_DATE_EPOCH`` if set, else the latest export date of its sources."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date().isoformat()
    issued = sorted(s["issued"][:10] for s in b.sources if s.get("issued"))
    return issued[-1] if issued else ""


def _css_string(text: str) -> str:
    """Text as a CSS string: every character that is not a letter, digit or space as an escape."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


_STYLE = """
body{font-family:"DejaVu Sans","Liberation Sans",sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4;color:#111}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
code{background:#f4f4f4;padding:0 .2em;border-radius:2px}
figure.chart{margin:1em 0}figure.chart svg{width:100%;max-width:52em;height:auto;display:block}
figure.chart figcaption{font-size:.85em;color:#444}
.cover{border-bottom:2px solid #1b9e77;margin-bottom:1.5em;padding-bottom:.5em}
.cover .kind{color:#444;margin:0}.cover dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
.cover dt{font-weight:bold}.cover dd{margin:0}
@page{size:A4;margin:16mm 14mm 18mm 14mm;
 @bottom-left{content:@FOOTER@;font:8pt "DejaVu Sans",sans-serif;color:#555}
 @bottom-right{content:"Page " counter(page) " of " counter(pages);font:8pt "DejaVu Sans",sans-serif;color:#555}}
@media print{
 body{max-width:none;margin:0;padding:0;font-size:9.5pt}
 .cover{break-after:page;border:none;padding-top:30mm}.cover h1{font-size:24pt}
 h2{break-after:avoid;font-size:13pt;margin-top:1.2em}
 figure.chart{break-inside:avoid}figure.chart svg{max-width:100%}
 table{page-break-inside:auto}thead{display:table-header-group}tr{break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
"""


def _html(b: Brief, md: str, charts: dict[str, tuple[str, str]]) -> str:
    """A self-contained HTML page: no script, no network; every value escaped; charts as inline SVG."""
    body = []
    in_table = in_list = False
    lines = md.splitlines()
    for line in lines[1:]:  # the title is on the cover
        if line.startswith("|"):
            cells = _cells(line)
            if set("".join(cells)) <= {"-"}:
                continue
            if not in_table:
                body.append("<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in cells) + "</tr></thead><tbody>")
                in_table = True
            else:
                # "12 + 3 × <5" wraps at the "+" only
                body.append("<tr>" + "".join(f"<td>{_inline(c).replace(' × ', chr(160) + '×' + chr(160))}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</tbody></table>")
            in_table = False
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith(_CHART_MARK):
            name = line[len(_CHART_MARK):]
            if name in charts:
                title, svg = charts[name]
                body.append(f'<figure class="chart" id="chart-{name}">{svg}'
                            "<figcaption>The table below gives the figures of this chart.</figcaption></figure>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line:
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</tbody></table>")
    if in_list:
        body.append("</ul>")
    title = _inline(lines[0][2:])
    plain = html.unescape(re.sub(r"<[^>]+>", "", title))
    date = brief_date(b)
    sources = "".join(f"<li>{html.escape(_source_name(s))}</li>" for s in b.sources) or "<li>No published data imported yet.</li>"
    kind = f"Country, ISO3 {b.place.rsplit('/', 1)[-1]}" if b.kind == "country" else f"Region, UN M49 {b.place.rsplit('/', 1)[-1]}"
    cover = (f'<header class="cover"><h1>{title}</h1><p class="kind">{html.escape(kind)}'
             + (f"; figures summed over {len(b.countries)} countries" if b.kind == "region" else "") + "</p><dl>"
             + f"<dt>Place</dt><dd>{html.escape(b.label)}</dd>"
             + f"<dt>Date</dt><dd>{html.escape(date) if date else 'no export date'}"
             + (" (latest export date of the sources)" if date and not _epoch_set() else "") + "</dd>"
             + f"<dt>Sources</dt><dd><ul>{sources}</ul></dd></dl>"
             + "<p>Post-session checklist brief made with crimekg from the imported published data and the session's contributions.</p></header>")
    style = _STYLE.replace("@FOOTER@", _css_string(plain))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(plain)}</title><style>{style}</style></head><body>\n"
            + cover + "\n<main>\n" + "\n".join(body) + "\n</main>\n</body></html>\n")


def _epoch_set() -> bool:
    import os

    return os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit()


# PDF -------------------------------------------------------------------------------------------

class PrintUnavailable(CrimeKGError):
    """No browser to print the brief to PDF with."""


def _chromium() -> str | None:
    import os
    import shutil

    for candidate in (os.environ.get("CRIMEKG_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      shutil.which("google-chrome")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def write_pdf(page: str, path, *, timeout: float = 120) -> None:
    """Print an HTML brief (from :func:`render_brief`) to an A4 PDF with headless Chromium.

    The page's print stylesheet sets the paper, the cover page, the page numbers and the table
    headers repeated on each page, so a browser's own print gives the same result. Chromium runs
    offline, with a fresh profile, and reads the page from a temporary file.
    """
    import subprocess
    import tempfile
    from pathlib import Path

    from crimekg.graph.outputs import check_output, write_output

    check_output(target := Path(path))
    exe = _chromium()
    if not exe:
        raise PrintUnavailable("--format pdf needs Chromium: apt-get install chromium (or set CRIMEKG_CHROMIUM to a Chromium or Chrome)")
    with tempfile.TemporaryDirectory(prefix="crimekg-pdf-") as tmp:
        source = Path(tmp) / "brief.html"
        source.write_text(page, encoding="utf-8")
        out = Path(tmp) / "brief.pdf"
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                "--disable-default-apps", "--metrics-recording-only", f"--user-data-dir={tmp}/profile",
                "--no-pdf-header-footer", f"--print-to-pdf={out}", source.as_uri()]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise PrintUnavailable(f"{exe} did not print the brief within {timeout:.0f} s; try again, or write --format html and print it from a browser") from exc
        if proc.returncode or not out.exists() or out.stat().st_size == 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise PrintUnavailable(f"{exe} could not print the brief ({last[:200]}); write --format html and print it from a browser")
        data = out.read_bytes()
    write_output(target, data)  # written aside and renamed into place, never inside a workspace
