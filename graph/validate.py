"""Check data against the crimekg SHACL shapes (``ontology/shapes.ttl``) with pyshacl."""

from __future__ import annotations

import os
from dataclasses import dataclass

import rdflib
import rdflib.collection
from rdflib.term import Node

from crimekg import ontology
from crimekg.graph.store import PREFIXES, GraphStore, graph_iri, read_rdf

__all__ = ["Violation", "ValidationReport", "validate", "bundled_graph"]

_LABELS = (rdflib.SKOS.prefLabel, rdflib.RDFS.label, rdflib.URIRef(ontology.CKG + "contributorCode"), rdflib.URIRef(ontology.CKG + "text"))


@dataclass(frozen=True)
class Violation:
    """One result of a SHACL validation, in words a facilitator can act on."""

    focus: str
    label: str
    path: str
    message: str
    severity: str
    value: str

    def __str__(self) -> str:
        where = f"{self.label} <{self.focus}>" if self.label else f"<{self.focus}>"
        prop = f" [{self.path}]" if self.path else ""
        val = f" (value: {self.value})" if self.value else ""
        return f"{self.severity}: {where}{prop}: {self.message}{val}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate`: ``conforms`` and the list of violations."""

    conforms: bool
    violations: list[Violation]


def bundled_graph(*names: str) -> rdflib.Graph:
    """Parse bundled ontology files (by file name) into one rdflib Graph.

    >>> len(bundled_graph("shapes.ttl")) > 0
    True
    """
    g = rdflib.Graph()
    for name in names:
        g.parse(data=ontology.path(name).read_bytes(), format="turtle")
    return g


def _short(term: Node | None, g: rdflib.Graph) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.URIRef):
        for prefix, ns in PREFIXES.items():
            if str(term).startswith(ns) and prefix not in ("kg",):
                local = str(term)[len(ns):]
                if local and "/" not in local and "#" not in local:
                    return f"{prefix}:{local}"
        return str(term)
    if isinstance(term, rdflib.BNode):
        # a property path such as [ sh:inversePath x ]
        inner = g.value(term, rdflib.SH.inversePath)
        if inner is not None:
            return f"^{_short(inner, g)}"
        alternatives = g.value(term, rdflib.SH.alternativePath)
        if alternatives is not None:
            return "|".join(_short(t, g) for t in rdflib.collection.Collection(g, alternatives))
        return "(path)"
    return str(term)


def validate(data: str | os.PathLike | rdflib.Graph | GraphStore) -> ValidationReport:
    """Validate a file, an rdflib Graph or a whole workspace against the crimekg shapes.

    The bundled ontology, concept schemes, places and session are added as context, so data
    may refer to the concepts without repeating them.

    >>> import rdflib
    >>> g = rdflib.Graph()
    >>> f = rdflib.URIRef("https://w3id.org/crimekg/data/factor/x")
    >>> _ = g.add((f, rdflib.RDF.type, rdflib.URIRef(ontology.CKG + "Factor")))
    >>> _ = g.add((f, rdflib.SKOS.prefLabel, rdflib.Literal("x")))
    >>> report = validate(g)
    >>> report.conforms
    False
    >>> any("category" in v.message for v in report.violations)
    True
    """
    import pyshacl

    context_files = [f for f, name in ontology.FILES.items() if name != "shapes"]
    if isinstance(data, GraphStore):
        data_graph = rdflib.Graph()
        shapes_iri = graph_iri("shapes")
        for iri in data.graphs():
            if iri != shapes_iri:
                data_graph += data.graph_triples(iri)
    else:
        # pyshacl's ont_graph brings only class and property definitions; the shapes also need
        # the concepts, places and questions the data refers to, so merge them in
        data_graph = bundled_graph(*context_files) + (data if isinstance(data, rdflib.Graph) else read_rdf(data))
    shapes = bundled_graph("shapes.ttl")
    conforms, results, _text = pyshacl.validate(
        data_graph,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
    )
    labels_from = data_graph
    violations = []
    for r in results.subjects(rdflib.RDF.type, rdflib.SH.ValidationResult):
        focus = results.value(r, rdflib.SH.focusNode)
        label = next((str(labels_from.value(focus, p)) for p in _LABELS if labels_from.value(focus, p) is not None), "")
        severity = results.value(r, rdflib.SH.resultSeverity)
        violations.append(
            Violation(
                focus=str(focus),
                label=label,
                path=_short(results.value(r, rdflib.SH.resultPath), results),
                message=str(results.value(r, rdflib.SH.resultMessage) or "does not conform"),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                value=_short(results.value(r, rdflib.SH.value), results),
            )
        )
    # one line per problem: a value can break two constraints of one shape (a count "many" is
    # neither an integer nor >= 0), which would repeat the same message
    violations = sorted(set(violations), key=lambda v: (v.severity != "Violation", v.label, v.focus, v.path, v.message, v.value))
    return ValidationReport(conforms=bool(conforms), violations=violations)
