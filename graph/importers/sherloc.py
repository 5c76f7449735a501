"""UNODC SHERLOC case-law index: one criminal-justice case reference per case page.

Crime type, ISO3 country (or ``_irb`` for international and regional bodies) and year are read from
each page's URL (``.../case-law-doc/<crimetype>/<iso3>/<year>/<slug>.html``). Each case becomes a
``ckg:CaseReference`` in ``import/sherloc`` with ``rdfs:label``, ``ckg:caseUrl``, ``ckg:crimeType``
(where it is trafficking in persons or smuggling of migrants; the URL's own crime type is kept as
``ckg:sourceCategory``), ``ckg:place``, ``ckg:refYear`` and ``ckg:topic``
criminal-justice-case-information.
"""

from __future__ import annotations

import re
from pathlib import Path

from crimekg.graph import evidence as ev
from crimekg.graph import sheets
from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import ImportPlan
from crimekg.graph.importers import evidence as ie

__all__ = ["NAME", "DESCRIPTION", "COLUMNS", "sniff", "plan"]

NAME = "sherloc"
DESCRIPTION = "UNODC SHERLOC case-law index (case names and page links)"
COLUMNS = ["name", "page_link"]
_URL = re.compile(r"^https?://sherloc\.unodc\.org/cld/case-law-doc/(?P<crime>[a-z_]+)/(?P<area>[a-z_]+)/(?:(?P<year>\d{4})/)?(?P<slug>[^/?#]+?)(?:\.html)?(?:\?.*)?$")
_CRIMES = {"traffickingpersons": "trafficking-in-persons", "migrantsmuggling": "smuggling-of-migrants"}


def sniff(path: Path) -> bool:
    """True for a table with ``name`` and ``page_link`` columns."""
    header = sheets.table_header(path)
    return all(c in header for c in COLUMNS)


def plan(path: str | Path, store, *, download_date: str | None = None, progress: ie.Progress | None = None, encoding: str | None = None, **options) -> ImportPlan:
    """Read and check the whole index; build ``import/sherloc`` (nothing is written)."""
    path = Path(path)
    if ie.already_imported(store, NAME, path):
        return ie.unchanged_plan(NAME, path)
    rows, places, report = ie.read_source(path, store, NAME, COLUMNS, encoding)
    nt = ev.NTriples()
    P = ev.P
    dataset = f"<{ev.dataset_iri(NAME)}>"
    topic = f"<{ev.concept('topic', 'criminal-justice-case-information')}>"
    seen: set[str] = set()
    no_place = 0
    for line, r in rows:
        report.mis_encoded(line, r)
        m = _URL.match(r["page_link"])
        if not m:
            raise InvalidInput(
                f"{path}: line {line}, column 'page_link': {r['page_link']!r} is not a SHERLOC case page "
                "(https://sherloc.unodc.org/cld/case-law-doc/<crime type>/<country>/<year>/<case>.html). Nothing was stored."
            )
        raw_crime = m["crime"].removesuffix("crimetype")
        area = m["area"]
        iri = f"{ev.ontology.DATA}case/sherloc/{raw_crime}/{area.strip('_')}/{m['year'] or 'undated'}/{ev.slugify(m['slug'])}"
        if iri in seen:
            continue  # the index lists some pages twice
        seen.add(iri)
        s = f"<{iri}>"
        label = re.sub(r"^\d{4}_", "", r["name"]).replace("_", " ").strip() or m["slug"]
        nt.add(s, ev.A, P("CaseReference"))
        nt.add(s, f"<{ev.DCT}isPartOf>", dataset)
        nt.add(s, f"<{ev.RDFS}label>", ev.nt_literal(label))
        nt.add(s, P("caseUrl"), ev.nt_literal(r["page_link"], f"{ev.XSD}anyURI"))
        nt.add(s, P("sourceCategory"), ev.nt_literal(raw_crime))
        if raw_crime in _CRIMES:
            nt.add(s, P("crimeType"), f"<{ev.concept('crime', _CRIMES[raw_crime])}>")
        nt.add(s, P("topic"), topic)
        place = places.country(area) if len(area) == 3 else None
        if place is None and area != "_irb":
            report.add(line, "page_link", area, "unmatched-place", "kept flagged",
                       "the country code in the case page's address matches no country; kept as ckg:localPlace")
        if place:
            nt.add(s, P("place"), f"<{place}>")
        else:
            no_place += 1
            nt.add(s, P("localPlace"), ev.nt_literal("international or regional body" if area == "_irb" else area))
        if m["year"]:
            nt.add(s, P("refYear"), ev.nt_literal(m["year"], f"{ev.XSD}gYear"))
    ie.add_provenance(nt, NAME, path, {"rows": len(rows), "cases": len(seen)}, download_date=download_date,
                      statistics=False)  # case references, not a cube of observations
    changes = ie.import_changes(NAME, nt, report)
    warnings = [f"{no_place} case(s) of international or regional bodies have no country"] if no_place else []
    return ImportPlan(changes, {"cases": len(seen), "triples": len(nt)}, warnings, quality=report)
