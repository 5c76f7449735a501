"""Data-quality report of one evidence import: every doubtful cell, what was done with it and why.

Each evidence importer fills a :class:`Report` while it reads a file: a count equal to its own
year, a questionnaire code in place of a count, a negative count, a place name that matches no
place, a name in another language or a misspelling resolved through ``ontology/places.ttl``, a
value the publisher mis-encoded (U+FFFD) and repaired, "Nationals" read as the reporting
country, and duplicate keys. A finding records the cell (file, row, column, value), the action
taken and the reason:

- ``resolved``: the value was read as a known place (``resolved_to``, the text it was read as in
  ``resolved_text``);
- ``kept flagged``: the value is stored as published and listed here;
- ``left out``: the cell is not stored, the rest of its row is;
- ``refused``: the row is not stored.

The report is stored with the import, in the same changeset, as graph
``https://w3id.org/crimekg/graph/quality/{source}`` (read it with the named query
``data-quality``), and :meth:`Report.summary` is the paragraph ``crimekg import`` prints on stderr.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crimekg import ontology

from crimekg.graph import evidence as ev
from crimekg.graph.terms import quality_graph, report_iri  # noqa: F401  (re-exported)

__all__ = ["ACTIONS", "KINDS", "Finding", "Report", "quality_graph", "report_iri", "stored_report"]

#: What was done with a doubtful cell.
ACTIONS = ("resolved", "kept flagged", "left out", "refused")

#: Kinds of doubtful cell: slug -> how the summary names one and several.
KINDS = {
    "own-nationals": ("'Nationals' cell read as the reporting country", "'Nationals' cells read as the reporting country"),
    "mis-encoded": ("mis-encoded value (U+FFFD)", "mis-encoded values (U+FFFD)"),
    "foreign-name": ("place name in another language", "place names in other languages"),
    "alias": ("misspelt place name or demonym", "misspelt place names or demonyms"),
    "unmatched-place": ("place name that matches no place", "place names that match no place"),
    "count-equals-year": ("count equal to its own year", "counts equal to their own year"),
    "questionnaire-code": ("questionnaire code in place of a count", "questionnaire codes in place of counts"),
    "negative-count": ("negative count", "negative counts"),
    "duplicate-key": ("duplicate key with different values", "duplicate keys with different values"),
}

_REASONS = {
    "own-nationals": "the source's word for the reporting country's own citizens",
    "foreign-name": "a name of {text} in {lang}",
    "alias": "a misspelling or demonym of {text}",
    "mis-encoded": "mis-encoded by the publisher (U+FFFD); only {text} fits",
    "unmatched-place": "matches no country of the places graph; kept as the source's text",
}
_LANGUAGES = {"ar": "Arabic", "zh": "Chinese", "en": "English", "fr": "French", "ru": "Russian", "es": "Spanish",
              "ja": "Japanese", "it": "Italian", "pt": "Portuguese", "de": "German"}


@dataclass(frozen=True)
class Finding:
    """One doubtful cell: where it is, what it holds, what was done (one of :data:`ACTIONS`) and why."""

    rows: tuple[int, ...]
    column: str
    value: str
    kind: str
    action: str
    reason: str
    resolved_to: str = ""     # the IRI the value was read as (a place)
    resolved_text: str = ""   # the text it was read as (a repaired or known name)


@dataclass
class Report:
    """The findings of one import of ``file`` from ``source``, in file order.

    >>> r = Report("glotip", "data.csv")
    >>> r.add(7, "txtVALUE", "2,019", "count-equals-year", "kept flagged", "equal to its year")
    >>> r.counts()
    {('count-equals-year', 'kept flagged'): 1}
    >>> print(r.summary())  # doctest: +NORMALIZE_WHITESPACE
    Data quality of data.csv (glotip): 1 doubtful cell. Kept flagged 1: 1 count equal to its own year.
    Full report: crimekg query data-quality --param source=glotip
    """

    source: str
    file: str
    findings: list[Finding] = field(default_factory=list)
    _places: dict = field(default_factory=dict, repr=False)

    def add(self, row: int | list[int] | tuple[int, ...] | None, column: str, value: str, kind: str, action: str,
            reason: str, resolved_to: str = "", resolved_text: str = "") -> None:
        """Record one doubtful cell (``row`` is a line or row number of the file, or several)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of finding {kind!r}; use one of {', '.join(KINDS)}")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
        rows = tuple(row) if isinstance(row, (list, tuple)) else (() if row is None else (row,))
        self.findings.append(Finding(rows, column, str(value), kind, action, reason, resolved_to, resolved_text))

    # -- the checks importers call where they parse values ----------------------------------------

    def place(self, places: ev.Places, text: str, row: int, column: str, reporting: str | None = None) -> str | None:
        """The ISO3 code a country name reads as, recording a finding when the name is doubtful.

        A name in another language, a misspelling or demonym, a repaired mis-encoding and
        "Nationals" (read as ``reporting``, the ISO3 code of the reporting country) are resolved;
        a name that matches nothing is kept flagged (``None`` is returned). An empty cell and a
        code or English name are not doubtful.
        """
        text = (text or "").strip()
        if not text:
            return None
        if text not in self._places:
            self._places[text] = places.match(text)
        m = self._places[text]
        if m is None:
            kind = "mis-encoded" if ev.MOJIBAKE in text else "unmatched-place"
            reason = ("mis-encoded by the publisher (U+FFFD) and no known name fits; kept as the source's text"
                      if kind == "mis-encoded" else _REASONS[kind])
            self.add(row, column, text, kind, "kept flagged", reason)
            return None
        code = m.code
        nationals = m.how == "nationals" or (m.how == "repaired" and not m.code)
        if nationals:
            if not reporting:
                self.add(row, column, text, "own-nationals", "kept flagged",
                         "the reporting country's own citizens, but the row names no country; kept as the source's text")
                return None
            code = reporting
            if m.how == "repaired":
                reason = f"mis-encoded by the publisher (U+FFFD); read as {m.text!r}, the reporting country's own citizens"
                self.add(row, column, text, "mis-encoded", "resolved", reason, ontology.PLACE + code, m.text)
            else:
                self.add(row, column, text, "own-nationals", "resolved", _REASONS["own-nationals"], ontology.PLACE + code)
            return code
        kind = {"language": "foreign-name", "alias": "alias", "repaired": "mis-encoded"}.get(m.how)
        if kind:
            label = places.labels.get(code, code)
            reason = _REASONS[kind].format(text=label if kind != "mis-encoded" else repr(m.text),
                                          lang=_LANGUAGES.get(m.lang, m.lang or "another language"))
            self.add(row, column, text, kind, "resolved", reason, ontology.PLACE + code, m.text)
        return code

    def mis_encoded(self, row: int, cells: dict[str, str], skip: tuple[str, ...] = ()) -> None:
        """Record every cell of a row with U+FFFD in it (kept flagged), except the ``skip`` columns."""
        for column, value in cells.items():
            if ev.MOJIBAKE in value and column not in skip:
                self.add(row, column, value, "mis-encoded", "kept flagged",
                         "mis-encoded by the publisher (U+FFFD); stored as published")

    def count_is_year(self, number: int, year: str | int, row: int, column: str, value: str | None = None) -> bool:
        """Record a count equal to its own year (kept flagged: stored as published); True if it is."""
        if str(number) != str(year).strip():
            return False
        self.add(row, column, value if value is not None else str(number), "count-equals-year", "kept flagged",
                 f"the count equals the row's year ({year}): probably the year typed in the value column; "
                 "stored as published, check it with the publisher")
        return True

    def duplicates(self, entries: list[dict]) -> None:
        """Record duplicate keys: each entry has ``rows``, ``key`` (text, tuple or mapping), ``values`` and ``kind`` (identical or conflicting)."""
        for e in entries:
            key = e.get("key")
            if isinstance(key, dict):
                key = ", ".join(f"{k}={v}" for k, v in key.items())
            elif isinstance(key, (list, tuple)):
                key = ", ".join(str(k) for k in key)
            values = " | ".join(str(v) for v in e.get("values", []))
            if e.get("kind") == "identical":
                self.add(sorted(e.get("rows", [])), "key", values, "duplicate-key", "left out",
                         f"the key ({key}) occurs in several rows with the same value; it is stored once")
            else:
                self.add(sorted(e.get("rows", [])), "key", values, "duplicate-key", "kept flagged",
                         f"the key ({key}) occurs in several rows with different values; all are kept, flagged, "
                         "in the dataset's conflicts data set and never summed")

    # -- reading it ---------------------------------------------------------------------------------

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of findings per (kind, action), in the order of :data:`KINDS` and :data:`ACTIONS`."""
        c = Counter((f.kind, f.action) for f in self.findings)
        return {(k, a): c[(k, a)] for a in ACTIONS for k in KINDS if c[(k, a)]}

    def summary(self) -> str:
        """One paragraph for stderr: how many doubtful cells, by action and kind, and where the report is."""
        n = len(self.findings)
        head = f"Data quality of {self.file} ({self.source}): "
        if not n:
            return head + "no doubtful cells."
        parts = [f"{n:,} doubtful cell{'s' if n != 1 else ''}."]
        counts = self.counts()
        for action in ACTIONS:
            items = [(k, v) for (k, a), v in counts.items() if a == action]
            if items:
                total = sum(v for _k, v in items)
                parts.append(f"{action.capitalize()} {total:,}: " + ", ".join(f"{v:,} {KINDS[k][v != 1]}" for k, v in items) + ".")
        parts.append(f"Full report: crimekg query data-quality --param source={self.source}")
        return head + " ".join(parts)

    # -- storing it ---------------------------------------------------------------------------------

    def ntriples(self) -> str:
        """The report as N-Triples (the content of :func:`quality_graph`); the same file gives the same text."""
        nt = ev.NTriples()
        P, lit, integer = ev.P, ev.nt_literal, f"{ev.XSD}integer"
        report = f"<{report_iri(self.source)}>"
        nt.add(report, ev.A, P("QualityReport"))
        nt.add(report, P("reportOf"), f"<{ev.dataset_iri(self.source)}>")
        nt.add(report, f"<{ev.DCT}identifier>", lit(self.source))
        nt.add(report, P("sourceFile"), lit(self.file))
        nt.add(report, P("findingCount"), lit(len(self.findings), integer))
        for i, f in enumerate(self.findings, start=1):
            s = f"<{report_iri(self.source)}/finding/{i}>"
            nt.add(s, ev.A, P("QualityFinding"))
            nt.add(report, P("finding"), s)
            nt.add(s, P("sourceFile"), lit(self.file))
            for row in f.rows:
                nt.add(s, P("sourceRow"), lit(row, integer))
            nt.add(s, P("sourceColumn"), lit(f.column))
            nt.add(s, P("sourceValue"), lit(f.value))
            nt.add(s, P("findingKind"), lit(f.kind))
            nt.add(s, P("actionTaken"), lit(f.action))
            nt.add(s, P("reason"), lit(f.reason, lang="en"))
            if f.resolved_to:
                nt.add(s, P("resolvedTo"), f"<{f.resolved_to}>")
            if f.resolved_text:
                nt.add(s, P("resolvedValue"), lit(f.resolved_text))
        return nt.text()

    def add_to(self, changes) -> None:
        """Make this report the whole content of the source's quality graph in ``changes`` (the import's changeset)."""
        changes.replace_graph(quality_graph(self.source), [], self.ntriples())


_READ = """SELECT ?g ?file ?f ?row ?column ?value ?kind ?action ?reason ?to ?text WHERE {
  GRAPH ?g { ?report ckg:sourceFile ?file .
    OPTIONAL { ?report ckg:finding ?f . ?f ckg:sourceColumn ?column ; ckg:sourceValue ?value ;
               ckg:findingKind ?kind ; ckg:actionTaken ?action ; ckg:reason ?reason .
               OPTIONAL { ?f ckg:sourceRow ?row } OPTIONAL { ?f ckg:resolvedTo ?to }
               OPTIONAL { ?f ckg:resolvedValue ?text } } } }"""


def stored_report(store, source: str) -> Report | None:
    """The report stored by the last import of ``source`` (``None`` when there is none)."""
    import rdflib

    rows = store.select(_READ, {"g": rdflib.URIRef(quality_graph(source))})
    if not rows:
        return None
    report = Report(source, str(rows[0]["file"]))
    by_finding: dict[str, dict] = {}
    for r in rows:
        if "f" not in r:
            continue
        d = by_finding.setdefault(str(r["f"]), {"rows": set(), **{k: str(r.get(k, "")) for k in
                                                 ("column", "value", "kind", "action", "reason", "to", "text")}})
        if "row" in r:
            d["rows"].add(int(r["row"]))

    def order(iri: str) -> int:
        return int(iri.rsplit("/", 1)[1])

    for iri in sorted(by_finding, key=order):
        d = by_finding[iri]
        report.add(sorted(d["rows"]), d["column"], d["value"], d["kind"], d["action"], d["reason"], d["to"], d["text"])
    return report
