"""UNODC GLOTIP export (``data_glotip.xlsx`` as downloaded, or a CSV of its sheet).

Every row becomes one ``qb:Observation`` in ``import/glotip``: area (``ckg:refArea``, by ISO3),
year, indicator, breakdown (GLOTIP's "Dimension"), form of exploitation, citizenship or country of
repatriation, sex and age group, and the value. ``<5`` stays suppressed (``ckg:suppressed true``,
bounds 1 and 4, no count, ``qb:measureType ckg:suppressedCount``): never a zero, never dropped.
Dimensions a row's breakdown leaves unset (the form of exploitation of a total, say) take the code
Total, so every observation has every dimension of the data set's structure. A key (area, year,
indicator, breakdown, category, sex, age) that comes twice with the same value is stored once;
with different values, both rows go to ``dataset/glotip/conflicts`` (never summed) and
``plan.duplicates`` lists them with their rows. Citizenship rows matched to a country also
point to the flow from that country to the area (``ckg:flow``). Topics hang on the indicator
and breakdown concepts (``?obs ckg:indicator/ckg:topic ?topic``), not on each observation.

Rows whose value is a questionnaire code rather than a count (128 "by citizenship" rows of the
2025 export read ``61,102,019`` for ``Q6.1_10s_2019``) are not imported: the plan's warnings
say how many and which, and the summary counts them as "not imported".
"""

from __future__ import annotations

import re
from pathlib import Path

from crimekg.graph import evidence as ev
from crimekg.graph import sheets
from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import ImportPlan, looks_like
from crimekg.graph.importers import evidence as ie
from crimekg.graph.quality import Report
from crimekg.graph.store import Changeset, graph_iri

__all__ = ["NAME", "DESCRIPTION", "COLUMNS", "sniff", "plan", "read_rows"]

NAME = "glotip"
DESCRIPTION = "UNODC GLOTIP export (data_glotip.xlsx or its CSV): detected victims, persons prosecuted and convicted"

COLUMNS = ["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category",
           "Sex", "Age", "Year", "Unit of measurement", "txtVALUE", "Source"]

INDICATORS = {
    "Detected trafficking victims": ("detected-trafficking-victims", ["profile-of-the-victims"]),
    "Persons convicted": ("persons-convicted", ["profile-of-the-traffickers", "criminal-justice-case-information"]),
    "Persons prosecuted": ("persons-prosecuted", ["profile-of-the-traffickers", "criminal-justice-case-information"]),
    "Persons brought into formal contact": ("persons-brought-into-formal-contact", ["profile-of-the-traffickers", "criminal-justice-case-information"]),
    "Offences of trafficking in persons": ("offences-of-trafficking-in-persons", ["criminal-justice-case-information"]),
}
BREAKDOWN_TOPICS = {
    "by-form-of-exploitation": ["forms-of-exploitation"],
    "by-citizenship": ["trafficking-flows"],
    "by-country-of-repatriation": ["trafficking-flows"],
}
FORMS = {"sexual exploitation": "sexual-exploitation", "forced labour": "forced-labour",
         "forced labor": "forced-labour", "other forms of exploitation": "other-forms"}
SEX = {"Total": "total", "Female": "female", "Male": "male", "Other": "other", "Unknown": "unknown"}
AGE = {"Total": ("total", None), "0 to 17 years": ("0-17", None), "18 years or over": ("18-plus", None),
       "Unknown": ("unknown", None)}
#: The workbook sheet that holds the data (the export's first sheet when it has no such sheet).
SHEET = "data_glotip_1"
_VALUE = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")
_IMPLAUSIBLE = 1_000_000


def sniff(path: Path) -> bool:
    """True for a GLOTIP export: its name, or a header with ``Iso3_code`` and ``txtVALUE``."""
    path = Path(path)
    if "glotip" in path.name.lower():
        return True
    header = sheets.table_header(path, COLUMNS[0], SHEET)
    return "txtVALUE" in header and "Iso3_code" in header


def read_rows(path: str | Path, encoding: str | None = None) -> tuple[dict, list[tuple[int, dict]]]:
    """Read a GLOTIP file: (info about the export, [(line or row number, {column: text})]).

    Raises :class:`InvalidInput` for a file of another layout, naming expected and found columns.
    """
    table = sheets.read_table(path, NAME, COLUMNS, encoding=encoding, sheet=SHEET, hint=looks_like)
    info: dict = {}
    for cells in table.banner:  # the workbook's title lines: one is the export's date
        m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", str(cells[0]).strip() if cells else "")
        if m:
            info["issued"] = f"{m[3]}-{m[2]}-{m[1]}"
    return info, table.rows


def plan(path: str | Path, store, *, download_date: str | None = None, progress: ie.Progress | None = None,
         encoding: str | None = None, **options) -> ImportPlan:
    """Read and check the whole export; build ``import/glotip`` (nothing is written).

    ``download_date`` (YYYY-MM-DD) is recorded when given; ``progress(done, total)`` is called
    every few thousand rows.
    """
    path = Path(path)
    if path.is_file() and ie.already_imported(store, NAME, path):
        return ie.unchanged_plan(NAME, path)
    info, rows = read_rows(path, encoding)
    places = ev.Places.from_store(store)
    report = Report(NAME, path.name)
    vocab = ie.Vocabulary()
    nt = ev.NTriples()
    shared = ev.NTriples()  # concepts and flows: the shared vocabulary graph
    dataset = f"<{ev.dataset_iri(NAME)}>"
    P = ev.P
    gyear = f"{ev.XSD}gYear"
    rejected, warnings = [], []
    unmatched_areas: dict[str, int] = {}
    counts = {"rows": len(rows), "observations": 0, "suppressed": 0, "flows": 0}
    flows: set[tuple[str, str]] = set()
    total = len(rows)
    cells: list[ie.Cell] = []

    area_cache: dict[tuple[str, str], tuple[str | None, str]] = {}
    for done, (line, r) in enumerate(rows, start=1):
        if progress and done % 5000 == 0:
            progress(done, total)
        year = r["Year"].split(".")[0]
        if not (year.isdigit() and len(year) == 4):
            raise InvalidInput(f"{path}: line {line}, column Year: {r['Year']!r} is not a year (YYYY). Fix the cell or download the export again. Nothing was stored.")
        value = r["txtVALUE"]
        number = None  # suppressed ("<5")
        if value != "<5":
            if not _VALUE.match(value):
                raise InvalidInput(f"{path}: line {line}, column txtVALUE: {value!r} is neither a count nor '<5'. Nothing was stored.")
            number = int(value.replace(",", ""))
            if number >= _IMPLAUSIBLE:
                rejected.append({"line": line, "column": "txtVALUE", "value": value, "category": r["Category"],
                                 "reason": "not a count: a questionnaire code in place of a value"})
                report.add(line, "txtVALUE", value, "questionnaire-code", "refused",
                           f"not a count: a questionnaire code ({r['Category']}) in place of a value; the row is not imported")
                continue
            report.count_is_year(number, year, line, "txtVALUE", value)
        citizen = ev.slugify(r["Dimension"]) in ("by-citizenship", "by-country-of-repatriation")
        report.mis_encoded(line, r, skip=("Category",) if citizen else ())
        key = (r["Iso3_code"], r["Country"])
        if key not in area_cache:
            code = places.iso3(r["Iso3_code"]) if r["Iso3_code"] else None
            code = code or places.iso3(r["Country"])
            area_cache[key] = (code, code or ev.slugify(r["Country"] or r["Iso3_code"]))
        code, area_key = area_cache[key]
        if code is None:
            unmatched_areas[r["Country"] or r["Iso3_code"]] = unmatched_areas.get(r["Country"] or r["Iso3_code"], 0) + 1
            report.add(line, "Country", r["Country"] or r["Iso3_code"], "unmatched-place", "kept flagged",
                       "no ISO3 code crimekg knows; kept as ckg:localPlace, with no ckg:refArea")
        ind_slug, ind_topics = INDICATORS.get(r["Indicator"], (ev.slugify(r["Indicator"]), []))
        ind = vocab.use("indicator", ind_slug, r["Indicator"], topic=[ev.concept("topic", t) for t in ind_topics])
        bd_slug = ev.slugify(r["Dimension"])
        bd = vocab.use("breakdown", bd_slug, r["Dimension"],
                       topic=[ev.concept("topic", t) for t in BREAKDOWN_TOPICS.get(bd_slug, [])])
        sex_slug = SEX.get(r["Sex"]) or ev.slugify(r["Sex"])
        sex = vocab.use("sex", sex_slug, r["Sex"])
        age_slug = AGE.get(r["Age"], (ev.slugify(r["Age"]), None))[0]
        age = vocab.use("age", age_slug, r["Age"])
        category = r["Category"]
        other = None
        if bd_slug in ("by-citizenship", "by-country-of-repatriation") and category:
            other = report.place(places, category, line, "Category", reporting=code)
        # a category read as a place is keyed by that place: "Nationals" and the reporting country's
        # own name, or a misspelt and a correct name, are one key (stored once, or kept as conflicts)
        cat_slug = other or (ev.slugify(category) if bd_slug != "total" else "total")
        iri = ev.observation_iri(NAME, area_key, year, ind_slug, bd_slug, cat_slug, sex_slug, age_slug)
        po = [(P("refYear"), ev.nt_literal(year, gyear)), (P("indicator"), ind), (P("breakdown"), bd),
              (P("sex"), sex), (P("ageGroup"), age)]
        if code:
            po.append((P("refArea"), f"<{places_iri(code)}>"))
        else:
            po.append((P("refArea"), ev.NOT_STATED))
            po.append((P("localPlace"), ev.nt_literal(r["Country"] or r["Iso3_code"])))
        # every observation has every dimension: the ones its breakdown leaves unset are Total
        form_term = cit_term = rep_term = ev.TOTAL
        if bd_slug == "by-form-of-exploitation":
            form = FORMS.get(category.lower())
            if form:
                form_term = f"<{ev.concept('exploitation', form)}>"
            else:
                form_term = ev.NOT_STATED
                po.append((P("sourceCategory"), ev.nt_literal(category)))
        elif bd_slug in ("by-citizenship", "by-country-of-repatriation"):
            po.append((P("sourceCategory"), ev.nt_literal(category)))
            if other:
                term = f"<{places_iri(other)}>"
                if bd_slug == "by-citizenship" and code:
                    po.append((P("flow"), f"<{ev.flow_iri(other, code)}>"))
                    flows.add((other, code))
            else:
                term = ev.nt_literal(category) if category else ev.NOT_STATED
            if bd_slug == "by-citizenship":
                cit_term = term
            else:
                rep_term = term
        po += [(P("exploitationForm"), form_term), (P("citizenship"), cit_term), (P("repatriationCountry"), rep_term)]
        cells.append(ie.Cell(iri, line, number, po))
    main, conflicts, duplicates = ie.split_duplicates(cells, _key)
    for cell in main:
        s = f"<{cell.iri}>"
        _write_observation(nt, s, dataset, cell)
        counts["observations"] += 1
        counts["suppressed"] += cell.value is None
    conflicts_ds = f"<{ev.conflicts_iri(NAME)}>"
    for cell in conflicts:
        s = f"<{cell.iri}/row-{cell.line}>"
        _write_observation(nt, s, conflicts_ds, cell)
        nt.add(s, P("sourceRow"), ev.nt_literal(cell.line, f"{ev.XSD}integer"))
    ie.add_flows(shared, flows, places.labels)
    counts["flows"] = len(flows)
    units = sorted({r["Unit of measurement"] for _n, r in rows})
    counts["rejected"] = len(rejected)
    counts["conflicting"] = len(conflicts)
    ie.add_concepts(shared, vocab)
    for unit in units:  # one unit for the whole export ("Counts"): an attribute of the dataset
        nt.add(dataset, P("unit"), ev.nt_literal(unit))
    ie.add_provenance(nt, NAME, path, counts, issued=info.get("issued"), download_date=download_date,
                      conflicts=bool(conflicts))
    if progress:
        progress(total, total)
    if rejected:
        warnings.append(
            f"{len(rejected)} row(s) not imported: their value is a questionnaire code, not a count "
            f"(first: line {rejected[0]['line']}, {rejected[0]['value']!r} for {rejected[0]['category']!r})"
        )
    warnings += ie.duplicate_warning(duplicates, NAME)
    for name, n in sorted(unmatched_areas.items()):
        warnings.append(f"{n} row(s) for {name!r} have no ISO3 code crimekg knows: kept with ckg:localPlace, reference area Not stated")
    changes = Changeset()
    changes.replace_graph(graph_iri(f"import/{NAME}"), [], nt.text())
    ie.add_vocabulary(changes, shared)
    report.duplicates(duplicates)
    report.add_to(changes)
    summary = {"observations": counts["observations"], "suppressed": counts["suppressed"],
               "flows": counts["flows"], "triples": len(nt)}
    if rejected:
        summary["not imported"] = len(rejected)
    if conflicts:
        summary["conflicting"] = len(conflicts)
    # the rejected cells cannot be corrected by the user (they are the publisher's): reported, not returned for re-import
    return ImportPlan(changes=changes, summary=summary, warnings=warnings, duplicates=duplicates, quality=report)


def _key(cell: ie.Cell) -> dict[str, str]:
    """A duplicate's key as {dimension: IRI or text} (for reports)."""
    return {p[1:-1].rsplit("#", 1)[-1]: ev.term_text(o) for p, o in cell.data}


def _write_observation(nt: ev.NTriples, s: str, dataset: str, cell: ie.Cell) -> None:
    nt.add(s, ev.A, ev.T_OBS)
    nt.add(s, ev.T_DATASET, dataset)
    for p, o in cell.data:
        nt.add(s, p, o)
    ie.add_count(nt, s, cell.value)


def places_iri(code: str) -> str:
    """The place IRI of an ISO3 code."""
    return ev.ontology.PLACE + code
