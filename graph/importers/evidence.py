"""The machinery every evidence importer shares: N-Triples text, counts, duplicate keys, the shared
vocabulary graph, provenance, and the check that a file was imported before.

What an import writes is described in :mod:`crimekg.graph.evidence` (the evidence model: IRIs,
codes, places); the importers (``glotip``, ``iom``, ``frontex``, ``ctdc``, ``sherloc``) read their
files through :mod:`crimekg.graph.sheets` and build their graphs with the pieces here.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import rdflib

from crimekg import ontology

from crimekg.graph import sheets, terms
from crimekg.graph.errors import InvalidInput
from crimekg.graph.evidence import (
    A, DCAT, DCT, FOAF, PROV, QB, RDF_TYPE, RDFS, SKOS, T_DATASET, T_OBS, XSD, NTriples, P, concept, conflicts_iri,
    Places, dataset_iri, flow_iri, fold_name, nt_literal, slugify, structure_iri,
)
from crimekg.graph.importers import ImportPlan, looks_like
from crimekg.graph.quality import Report
from crimekg.graph.store import Changeset, graph_iri

__all__ = [
    "Progress",
    "IMPORTER_VERSION",
    "unique_iri",
    "add_flows",
    "add_count",
    "add_vocabulary",
    "Vocabulary",
    "Cell",
    "split_duplicates",
    "duplicate_warning",
    "write_cells",
    "static_concepts",
    "concept_label",
    "VOCABULARY_GRAPH",
    "ROUTES",
    "route_for",
    "SOURCE_INFO",
    "SourceInfo",
    "PUBLISHERS",
    "add_provenance",
    "add_concepts",
    "file_digest",
    "already_imported",
    "unchanged_plan",
    "read_source",
    "import_changes",
]

#: Importer version recorded in every import graph's provenance.
IMPORTER_VERSION = "2"
#: ``progress(done, total)``: called now and then by long imports (the CLI draws it on a terminal).
Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------
# The shared vocabulary graph: concepts the schemes lack, routes
# ---------------------------------------------------------------------------------------------

#: Smuggling routes: slug -> (label, alternative labels as the sources write them).
ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "central-mediterranean": ("Central Mediterranean route", ("Central Mediterranean", "Central Mediterranean Route")),
    "western-mediterranean": ("Western Mediterranean route", ("Western Mediterranean", "Western Mediterranean Route")),
    "eastern-mediterranean": ("Eastern Mediterranean route", ("Eastern Mediterranean", "Eastern Mediterranean Route")),
    "western-balkans": ("Western Balkans route", ("Western Balkans", "Western Balkan Route")),
    "western-african-atlantic": ("Western African Atlantic route", ("Western African", "Western African Route", "Western African Atlantic Route")),
    "central-american": ("Central American route", ("Central America to US", "Central American Route")),
    "eastern-borders": ("Eastern Borders route", ("Eastern Borders Route", "Eastern Borders")),
    "black-sea": ("Black Sea route", ("Black Sea Route", "Black Sea")),
    "albania-greece-circular": ("Circular route from Albania to Greece", ("Circular Route from Albania to Greece",)),
    "frontex-other": ("Other routes into the EU (Frontex)", ("Other",)),
    "ehoa-eastern": ("Eastern route (East and Horn of Africa to Yemen and the Gulf)", ("EHOA Eastern Route", "Horn Africa to Yemen")),
    "ehoa-southern": ("Southern route (East and Horn of Africa to Southern Africa)", ("EHOA Southern Route",)),
    "ehoa-northern": ("Northern route (East and Horn of Africa to North Africa)", ("EHOA Northern Route",)),
    "ehoa-horn-of-africa": ("Horn of Africa route", ("EHOA Horn of Africa Route",)),
    "asia-pacific": ("Asia Pacific routes", ("Asia Pacific routes",)),
    "intra-african": ("Intra-African routes", ("Intra-African routes",)),
    "intra-european": ("Intra-European routes", ("Intra-European routes",)),
    "south-american": ("South American route", ("South American Route",)),
    "darien-gap": ("Darién Gap", ("Darien Gap",)),
    "calais-to-united-kingdom": ("Calais to United Kingdom", ("Calais to United Kingdom",)),
    "italy-to-france": ("Italy to France", ("Italy to France",)),
    "dominican-republic-to-puerto-rico": ("Dominican Republic to Puerto Rico", ()),
    "malaysia-to-indonesia": ("Malaysia to Indonesia", ()),
    "from-haiti-to-dajabon-dominican-republic": ("From Haiti to Dajabón, Dominican Republic", ("From Haiti to Dajabon, Dominican Republic",)),
    "caribbean-to-central-america": ("Caribbean to Central America", ()),
    "venezuela-to-curacao": ("Venezuela to Curaçao", ()),
}


_ROUTE_INDEX = {fold_name(alt): slug for slug, (label, alts) in ROUTES.items() for alt in (label, *alts)}
_NO_ROUTE = {"", "undefined", "unknown"}


def route_for(text: str) -> str | None:
    """Return the route slug for a route as a source writes it (a new slug for an unknown route).

    >>> route_for("Western Balkan Route"), route_for("Western Balkans"), route_for("Undefined")
    ('western-balkans', 'western-balkans', None)
    >>> route_for("Venezuela to Curaçao")
    'venezuela-to-curacao'
    """
    key = fold_name(text or "")
    if key in _NO_ROUTE:
        return None
    return _ROUTE_INDEX.get(key) or slugify(text)


#: The graph every importer adds the concepts and flows it names to (set semantics: a concept
#: described by two imports is still described once).
VOCABULARY_GRAPH = ontology.GRAPH + "vocabulary"
#: Collections serving as a dimension's code list, joined by every concept of the scheme.
_CODE_LISTS = {"smuggling-route": ontology.SCHEME + "smuggling-route-codes"}


@functools.lru_cache(maxsize=1)
def static_concepts() -> frozenset[str]:
    """The concepts the bundled schemes describe (importers never describe them again)."""
    import pyoxigraph as ox

    data = ontology.path("schemes.ttl").read_bytes()
    concept_type = ox.NamedNode(SKOS + "Concept")
    return frozenset(
        q.subject.value for q in ox.parse(data, format=ox.RdfFormat.TURTLE)
        if q.predicate.value == RDF_TYPE and q.object == concept_type
    )


def concept_label(slug: str, raw: str) -> str:
    """The label of a concept the schemes do not hold: a function of its IRI's slug only.

    Two sources writing the same concept differently ("Caribbean to Central america", "CARIBBEAN
    TO CENTRAL AMERICA") give it one label. A slug made from a digest (text in a non-Latin script)
    stands for exactly one text, which is then the label.

    >>> concept_label("caribbean-to-central-america", "CARIBBEAN TO CENTRAL AMERICA")
    'Caribbean to central america'
    >>> concept_label(slugify("ルート"), "ルート")
    'ルート'
    """
    if slug.startswith("x-") or (terms.slug_has_digest(raw) and slug == slugify(raw)):
        return raw.strip()
    text = slug.replace("-", " ")
    return text[:1].upper() + text[1:]


@dataclass
class Vocabulary:
    """The concepts one import names that the bundled schemes do not describe.

    :func:`add_concepts` writes them to the shared vocabulary graph; a concept of the schemes is
    only pointed to.
    """

    concepts: dict[str, tuple[str, str, dict]] = field(default_factory=dict)  # iri -> (scheme, label, extra)

    def use(self, scheme: str, slug: str, raw: str = "", **extra) -> str:
        """Record that concept ``scheme/slug`` is used; return its IRI as an N-Triples term.

        ``extra`` (``topic``, ``broader``, ``crime``) must follow from the slug alone.
        """
        iri = concept(scheme, slug)
        if iri not in self.concepts and iri not in static_concepts():
            self.concepts[iri] = (scheme, concept_label(slug, raw or slug), extra)
        return f"<{iri}>"

    def route(self, raw: str) -> str | None:
        """The route concept of a route as written by a source (``None`` for none)."""
        slug = route_for(raw)
        if slug is None:
            return None
        return self.use("smuggling-route", slug, raw, topic=concept("topic", "migrant-smuggling-routes"),
                        crime=concept("crime", "smuggling-of-migrants"))


def add_concepts(nt: NTriples, vocab: Vocabulary) -> None:
    """Write the concepts an import named that the schemes lack (for the vocabulary graph)."""
    for iri, (scheme, label, extra) in sorted(vocab.concepts.items()):
        s = f"<{iri}>"
        nt.add(s, A, f"<{SKOS}Concept>")
        nt.add(s, f"<{SKOS}prefLabel>", nt_literal(label, lang="en"))
        nt.add(s, f"<{SKOS}inScheme>", f"<{ontology.SCHEME}{scheme}>")
        if extra.get("broader"):
            nt.add(s, f"<{SKOS}broader>", f"<{extra['broader']}>")
        else:
            nt.add(s, f"<{SKOS}topConceptOf>", f"<{ontology.SCHEME}{scheme}>")
        for t in _as_list(extra.get("topic")):
            nt.add(s, P("topic"), f"<{t}>")
        if extra.get("crime"):
            nt.add(s, P("crimeType"), f"<{extra['crime']}>")
        if scheme in _CODE_LISTS:
            nt.add(f"<{_CODE_LISTS[scheme]}>", f"<{SKOS}member>", s)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def add_vocabulary(changes, nt: NTriples) -> None:
    """Add ``nt`` (concepts and flows) to the shared vocabulary graph, in the import's changeset."""
    if len(nt):
        changes.add.setdefault(VOCABULARY_GRAPH, [])
        changes.ntriples[VOCABULARY_GRAPH] = changes.ntriples.get(VOCABULARY_GRAPH, "") + nt.text()


def add_count(nt: NTriples, s: str, value: int | None) -> None:
    """Write a count that may be suppressed with the measure-dimension pattern.

    Published: ``qb:measureType ckg:count ; ckg:count N``. Suppressed (``None``, published as
    ``<5``): ``qb:measureType ckg:suppressedCount ; ckg:suppressedCount "<5" ; ckg:suppressed
    true ; ckg:lowerBound 1 ; ckg:upperBound 4`` and no ``ckg:count``.
    """
    if value is None:
        nt.add(s, _MEASURE_TYPE, P("suppressedCount"))
        nt.add(s, P("suppressedCount"), _LT5)
        nt.add(s, P("suppressed"), _TRUE)
        nt.add(s, P("lowerBound"), _ONE)
        nt.add(s, P("upperBound"), _FOUR)
    else:
        nt.add(s, _MEASURE_TYPE, P("count"))
        nt.add(s, P("count"), nt_literal(value, f"{XSD}integer"))


_MEASURE_TYPE = f"<{QB}measureType>"
_LT5 = nt_literal("<5")
_TRUE = nt_literal("true", f"{XSD}boolean")
_ONE = nt_literal(1, f"{XSD}integer")
_FOUR = nt_literal(4, f"{XSD}integer")


# ---------------------------------------------------------------------------------------------
# Counts and duplicate keys
# ---------------------------------------------------------------------------------------------

@dataclass
class Cell:
    """One row of a source read as an observation: its key (the observation IRI), file row and value."""

    iri: str
    line: int
    value: object
    data: object = None


def split_duplicates(cells: Iterable[Cell], describe: Callable[[Cell], dict] | None = None) -> tuple[list[Cell], list[Cell], list[dict]]:
    """Apply the duplicate-key rule: (cells for the data set, cells in conflict, duplicates found).

    Rows with the same key (the same dimension values) and the same value are stored once (the
    first row). Rows with the same key and different values are all kept out of the data set, to
    be stored in its ``/conflicts`` data set, so they are never summed. Each duplicate is listed as
    ``{"rows": [...], "key": ..., "values": [...], "kind": "identical" | "conflicting"}``.

    >>> main, conflicts, dups = split_duplicates([Cell("a", 2, 26), Cell("a", 3, None), Cell("b", 4, 1), Cell("b", 5, 1)])
    >>> [c.iri for c in main], [c.line for c in conflicts], [d["kind"] for d in dups]
    (['b'], [2, 3], ['conflicting', 'identical'])
    """
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell.iri, []).append(cell)
    main, conflicts, dups = [], [], []
    for iri, group in groups.items():
        if len(group) == 1:
            main.append(group[0])
            continue
        identical = len({repr(c.value) for c in group}) == 1
        key = describe(group[0]) if describe else iri
        dups.append({"rows": [c.line for c in group], "key": key,
                     "values": ["<5" if c.value is None else c.value for c in group],
                     "kind": "identical" if identical else "conflicting"})
        if identical:
            main.append(group[0])
        else:
            conflicts.extend(group)
    dups.sort(key=lambda d: d["rows"][0])
    return main, conflicts, dups


def duplicate_warning(dups: list[dict], source: str) -> list[str]:
    """The one-line summary of duplicate keys for a plan's warnings (nothing when there are none)."""
    if not dups:
        return []
    same = [d for d in dups if d["kind"] == "identical"]
    diff = [d for d in dups if d["kind"] == "conflicting"]
    first = dups[0]
    return [
        f"{len(dups)} key(s) occur more than once: {len(same)} with the same value (stored once), "
        f"{len(diff)} with different values (kept apart in dataset/{source}/conflicts, never summed); "
        f"first: rows {', '.join(map(str, first['rows']))} ({', '.join(map(str, first['values']))})"
    ]


# ---------------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------------

#: The sources' publishers: the last segment of the agent's IRI -> its name.
PUBLISHERS = {
    "unodc": "United Nations Office on Drugs and Crime (UNODC)",
    "iom": "International Organization for Migration (IOM)",
    "frontex": "European Border and Coast Guard Agency (Frontex)",
    "ctdc": "Counter-Trafficking Data Collaborative (CTDC)",
}


@dataclass(frozen=True)
class SourceInfo:
    """What SOURCE.txt of a dataset says about it: its title, publisher (a key of :data:`PUBLISHERS`),
    terms of use and landing page."""

    title: str
    publisher: str
    terms: str
    page: str

    @property
    def publisher_name(self) -> str:
        return PUBLISHERS[self.publisher]


#: Each source's :class:`SourceInfo`.
SOURCE_INFO: dict[str, SourceInfo] = {
    "glotip": SourceInfo("UNODC GLOTIP database export (data_glotip)", "unodc", "UNODC Data Portal terms of use; cite \"UNODC, GLOTIP database\".", "https://dataunodc.un.org/dp-trafficking-persons"),
    "iom": SourceInfo("IOM Missing Migrants Project incident data", "iom", "Published for public use with attribution (\"IOM Missing Migrants Project\"); check current MMP terms.", "https://missingmigrants.iom.int/downloads"),
    "frontex": SourceInfo("Frontex detections of illegal border crossings (monthly, by route and nationality)", "frontex", "Frontex public data, attribution to Frontex (packaged by IOM GDI, gdidata, MIT licence). Counts are detections, not persons.", "https://www.frontex.europa.eu/what-we-do/monitoring-and-risk-analysis/migratory-map/"),
    "ctdc": SourceInfo("CTDC Global k-anonymised victim dataset (aggregated)", "ctdc", "CTDC Terms of Use; attribution \"Source: Counter-Trafficking Data Collaborative (CTDC)\".", "https://www.ctdatacollaborative.org"),
    "sherloc": SourceInfo("UNODC SHERLOC case law database: index of trafficking in persons case pages", "unodc", "UNODC website terms of use.", "https://sherloc.unodc.org/cld/"),
}


def write_cells(nt: NTriples, source: str, main: Iterable, conflicts: Iterable) -> None:
    """Write observations: ``main`` into the source's data set, ``conflicts`` (each with its row)
    into its conflicts data set."""
    integer = f"<{XSD}integer>"
    for cell in main:
        _write_cell(nt, f"<{cell.iri}>", f"<{dataset_iri(source)}>", cell)
    for cell in conflicts:
        s = f"<{cell.iri}/row-{cell.line}>"
        _write_cell(nt, s, f"<{conflicts_iri(source)}>", cell)
        nt.add(s, P("sourceRow"), f'"{cell.line}"^^{integer}')


def _write_cell(nt: NTriples, s: str, dataset: str, cell) -> None:
    nt.add(s, A, T_OBS)
    nt.add(s, T_DATASET, dataset)
    for p, o in cell.data:
        nt.add(s, p, o)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def add_provenance(nt: NTriples, source: str, path: Path, counts: dict[str, int], *,
                   issued: str | None = None, download_date: str | None = None,
                   extra_title: str = "", statistics: bool = True, conflicts: bool = False) -> None:
    """Write the DCAT/PROV record of one import: dataset, file, publisher, terms, counts.

    A data set of statistics (``statistics``) is a ``qb:DataSet`` with the structure
    ``resource/structure/{source}``; with ``conflicts`` its ``/conflicts`` data set (rows whose key
    came twice with different values) is declared too. Nothing in it depends on when the import
    ran, so importing the same file twice writes the same graph.
    """
    if download_date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", download_date):
        raise InvalidInput(f"--download-date {download_date!r}: give the date as YYYY-MM-DD")
    info = SOURCE_INFO[source]
    ds = f"<{dataset_iri(source)}>"
    dist = f"<{dataset_iri(source)}/file/{slugify(path.name)}>"
    activity = f"<{ontology.DATA}import/{source}>"
    graph = f"<{ontology.GRAPH}import/{source}>"
    agent = f"<{ontology.AGENT}{info.publisher}>"
    nt.add(ds, A, f"<{DCAT}Dataset>")
    nt.add(ds, A, f"<{PROV}Entity>")
    if statistics:
        nt.add(ds, A, f"<{QB}DataSet>")
        nt.add(ds, f"<{QB}structure>", f"<{structure_iri(source)}>")
    if conflicts:
        cds = f"<{conflicts_iri(source)}>"
        nt.add(cds, A, f"<{QB}DataSet>")
        nt.add(cds, f"<{QB}structure>", f"<{structure_iri(source + '-conflicts')}>")
        nt.add(cds, f"<{DCT}title>", nt_literal(info.title + extra_title + ": rows whose key occurs twice with different values", lang="en"))
        nt.add(cds, f"<{DCT}isPartOf>", ds)
    nt.add(ds, f"<{DCT}title>", nt_literal(info.title + extra_title, lang="en"))
    nt.add(ds, f"<{DCT}publisher>", agent)
    nt.add(ds, f"<{DCT}rights>", nt_literal(info.terms, lang="en"))
    nt.add(ds, f"<{DCAT}landingPage>", f"<{info.page}>")
    nt.add(ds, f"<{DCAT}distribution>", dist)
    if issued:
        nt.add(ds, f"<{DCT}issued>", nt_literal(issued, f"{XSD}date"))
    nt.add(agent, A, f"<{FOAF}Organization>")
    nt.add(agent, A, f"<{PROV}Agent>")
    nt.add(agent, f"<{FOAF}name>", nt_literal(info.publisher_name, lang="en"))
    nt.add(dist, A, f"<{DCAT}Distribution>")
    nt.add(dist, f"<{DCT}title>", nt_literal(path.name))
    nt.add(dist, f"<{DCAT}byteSize>", nt_literal(path.stat().st_size, f"{XSD}integer"))
    nt.add(dist, f"<{DCT}identifier>", nt_literal("sha256:" + file_digest(path)))
    if download_date:
        nt.add(dist, f"<{DCT}date>", nt_literal(download_date, f"{XSD}date"))
    nt.add(activity, A, f"<{PROV}Activity>")
    nt.add(activity, f"<{RDFS}label>", nt_literal(f"crimekg import of {path.name} ({source})"))
    nt.add(activity, f"<{PROV}used>", dist)
    nt.add(activity, P("importerVersion"), nt_literal(f"crimekg.{source} {IMPORTER_VERSION}"))
    nt.add(graph, f"<{PROV}wasGeneratedBy>", activity)
    nt.add(graph, f"<{PROV}wasDerivedFrom>", ds)
    nt.add(ds, f"<{PROV}wasAttributedTo>", agent)
    for key, n in sorted(counts.items()):
        nt.add(activity, P(f"count{key[0].upper()}{key[1:]}"), nt_literal(n, f"{XSD}integer"))


def already_imported(store, source: str, path: Path) -> bool:
    """True when ``path`` is a file and ``import/{source}`` holds this very file (same SHA-256) from
    this importer version."""
    if not path.is_file():
        return False
    rows = store.select(
        "SELECT ?g ?id ?v WHERE { GRAPH ?g { ?dist dct:identifier ?id . ?act prov:used ?dist ; ckg:importerVersion ?v } }",
        {"g": rdflib.URIRef(f"{ontology.GRAPH}import/{source}")},
    )
    want = ("sha256:" + file_digest(path), f"crimekg.{source} {IMPORTER_VERSION}")
    return any((str(r["id"]), str(r["v"])) == want for r in rows)


def unchanged_plan(source: str, path: Path):
    """The plan of a file imported before: no change."""
    return ImportPlan(Changeset(), {"changes": 0}, [f"{path.name} is already imported into import/{source}: nothing changed"])


def import_changes(source: str, nt: NTriples, report: Report, shared: NTriples | None = None,
                   duplicates: list[dict] | None = None) -> Changeset:
    """The changes of one import: ``import/{source}`` replaced by ``nt``; ``shared`` (concepts and
    flows) added to the shared vocabulary graph; the data-quality ``report``, with the ``duplicates``
    keys when given."""
    changes = Changeset()
    changes.replace_graph(graph_iri(f"import/{source}"), [], nt.text())
    if shared is not None:
        add_vocabulary(changes, shared)
    if duplicates is not None:
        report.duplicates(duplicates)
    report.add_to(changes)
    return changes


def read_source(path: Path, store, source: str, columns: list[str], encoding: str | None) -> tuple[list, Places, Report]:
    """What every evidence importer starts from: the whole table's ``(line, row)`` pairs (a file
    another importer recognises is refused with that hint), the places the workspace knows, and
    an empty data-quality report of ``source`` for this file."""
    rows = sheets.read_table(path, source, columns, encoding=encoding, hint=looks_like).rows
    return rows, Places.from_store(store), Report(source, path.name)


# ---------------------------------------------------------------------------------------------
# Observations written once, flows
# ---------------------------------------------------------------------------------------------

def unique_iri(seen: dict[str, int], iri: str) -> str:
    """``iri`` the first time; ``iri-2``, ``iri-3``... when the same cell comes again (kept, in file order).

    >>> seen = {}
    >>> [unique_iri(seen, "x") for _ in range(3)]
    ['x', 'x-2', 'x-3']
    """
    if iri in seen:
        seen[iri] += 1
        return f"{iri}-{seen[iri]}"
    seen[iri] = 1
    return iri


def add_flows(nt: NTriples, flows: Iterable[tuple[str, str]], labels: Mapping[str, str]) -> None:
    """Write one ``ckg:Flow`` node per (origin, destination) pair of ISO3 codes (for the vocabulary graph).

    Its description depends only on the two places, so every source naming a flow writes the same
    triples.
    """
    topic = f"<{concept('topic', 'trafficking-flows')}>"
    for origin, dest in sorted(flows):
        f = f"<{flow_iri(origin, dest)}>"
        nt.add(f, A, P("Flow"))
        nt.add(f, P("origin"), f"<{ontology.PLACE}{origin}>")
        nt.add(f, P("destination"), f"<{ontology.PLACE}{dest}>")
        nt.add(f, f"<{RDFS}label>", nt_literal(f"{labels[origin]} to {labels[dest]}"))
        nt.add(f, P("topic"), topic)
