"""CTDC k-anonymised victim records, imported as aggregated observations (the default).

Records are counted by registration year, sex, age group, citizenship, country of exploitation
and type of exploitation; each count becomes a ``qb:Observation`` in ``import/ctdc`` with
indicator ``registered-victims``. CTDC's own codes for what is not known are kept apart: an empty
cell (``-99`` in the raw file: not recorded) is "-99", a citizenship ``0`` (``00`` in the raw file)
is "00"; neither is matched to a place. Citizenship and country of exploitation both known give a
flow (``ckg:flow``), shared with GLOTIP's. A country of exploitation or a form that the record
does not state is the code Not stated, so every observation has every dimension.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from crimekg.graph import evidence as ev
from crimekg.graph import sheets
from crimekg.graph.errors import InvalidInput
from crimekg.graph.importers import ImportPlan
from crimekg.graph.importers import evidence as ie

__all__ = ["NAME", "DESCRIPTION", "COLUMNS", "sniff", "plan"]

NAME = "ctdc"
DESCRIPTION = "CTDC k-anonymised victim records (counts by year, sex, age, citizenship, country and type of exploitation)"
COLUMNS = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "isForcedLabour", "isSexualExploit", "CountryOfExploitation"]
_FLAGS = {"1.0": True, "1": True, "0.0": False, "0": False, "": None, "-99": None}
_AGES_0_17 = {"0--8", "9--17"}


def sniff(path: Path) -> bool:
    """True for a CTDC table (``yearOfRegistration`` and ``CountryOfExploitation`` columns)."""
    header = sheets.table_header(path)
    return "yearOfRegistration" in header and "CountryOfExploitation" in header


def _form(fl: bool | None, se: bool | None) -> tuple[str, str]:
    if fl and se:
        return "mixed-forms", "both"
    if se:
        return "sexual-exploitation", "sexual"
    if fl:
        return "forced-labour", "labour"
    if fl is None and se is None:
        return "", "not-recorded"
    return "", "neither"


def plan(path: str | Path, store, *, download_date: str | None = None, progress: ie.Progress | None = None, encoding: str | None = None, **options) -> ImportPlan:
    """Read and check the whole table; build ``import/ctdc`` (nothing is written)."""
    path = Path(path)
    if ie.already_imported(store, NAME, path):
        return ie.unchanged_plan(NAME, path)
    rows, places, report = ie.read_source(path, store, NAME, COLUMNS, encoding)
    codes: dict[str, str | None] = {}
    groups: Counter = Counter()
    for line, r in rows:
        report.mis_encoded(line, r, skip=("citizenship", "CountryOfExploitation"))
        for col in ("citizenship", "CountryOfExploitation"):
            if r[col] not in ("", "-99", "0", "00"):
                codes[r[col]] = report.place(places, r[col], line, col)
        year = r["yearOfRegistration"]
        if not (year.isdigit() and len(year) == 4):
            raise InvalidInput(f"{path}: line {line}, column 'yearOfRegistration': {year!r} is not a year. Nothing was stored.")
        flags = []
        for col in ("isForcedLabour", "isSexualExploit"):
            if r[col] not in _FLAGS:
                raise InvalidInput(f"{path}: line {line}, column {col!r}: {r[col]!r} is not 1, 0 or empty. Nothing was stored.")
            flags.append(_FLAGS[r[col]])
        groups[(year, r["gender"] or "-99", r["ageBroad"] or "-99", r["citizenship"] or "-99",
                r["CountryOfExploitation"] or "-99", _form(*flags))] += 1
    vocab = ie.Vocabulary()
    nt = ev.NTriples()
    shared = ev.NTriples()
    P = ev.P
    dataset = f"<{ev.dataset_iri(NAME)}>"
    ind = vocab.use("indicator", "registered-victims")
    flows: set[tuple[str, str]] = set()
    for (year, sex, age, cit, coe, (form, form_key)), n in sorted(groups.items()):
        sex_slug = {"Female": "female", "Male": "male", "-99": "not-recorded"}.get(sex, ev.slugify(sex))
        sex_t = vocab.use("sex", sex_slug, sex)
        if age == "-99":
            age_t = vocab.use("age", "not-recorded")
            age_slug = "not-recorded"
        else:
            age_slug = "ctdc-" + ev.slugify(age)
            broader = ev.concept("age", "0-17") if age in _AGES_0_17 else ev.concept("age", "18-plus")
            age_t = vocab.use("age", age_slug, age, broader=broader)
        cit_code = cit if cit in ("-99", "0", "00") else codes.get(cit)
        coe_code = coe if coe == "-99" else codes.get(coe)
        iri = ev.observation_iri(NAME, year, sex_slug, age_slug, ev.slugify(cit_code or cit), ev.slugify(coe_code or coe), form_key)
        s = f"<{iri}>"
        nt.add(s, ev.A, ev.T_OBS)
        nt.add(s, ev.T_DATASET, dataset)
        nt.add(s, P("indicator"), ind)
        nt.add(s, P("refYear"), ev.nt_literal(year, f"{ev.XSD}gYear"))
        nt.add(s, P("sex"), sex_t)
        nt.add(s, P("ageGroup"), age_t)
        if cit in ("0", "00"):
            nt.add(s, P("citizenship"), ev.nt_literal("00"))
        elif cit == "-99" or not cit_code:
            nt.add(s, P("citizenship"), ev.nt_literal(cit))
        else:
            nt.add(s, P("citizenship"), f"<{ev.ontology.PLACE}{cit_code}>")
        if coe_code and coe_code != "-99":
            nt.add(s, P("refArea"), f"<{ev.ontology.PLACE}{coe_code}>")
            if cit_code in places.labels:
                nt.add(s, P("flow"), f"<{ev.flow_iri(cit_code, coe_code)}>")
                flows.add((cit_code, coe_code))
        else:
            nt.add(s, P("refArea"), ev.NOT_STATED)
            nt.add(s, P("sourceCategory"), ev.nt_literal(f"CountryOfExploitation {coe}"))
        if form:
            nt.add(s, P("exploitationForm"), f"<{ev.concept('exploitation', form)}>")
        else:
            nt.add(s, P("exploitationForm"), ev.NOT_STATED)
            nt.add(s, P("sourceCategory"), ev.nt_literal("exploitation type " + form_key))
        nt.add(s, P("count"), ev.nt_literal(n, f"{ev.XSD}integer"))
    ie.add_flows(shared, flows, places.labels)
    ie.add_concepts(shared, vocab)
    ie.add_provenance(nt, NAME, path, {"rows": len(rows), "observations": len(groups)}, download_date=download_date)
    changes = ie.import_changes(NAME, nt, report, shared)
    return ImportPlan(changes, {"records": len(rows), "observations": len(groups), "flows": len(flows), "triples": len(nt)}, quality=report)
