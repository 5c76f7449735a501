"""Project the RDF graph to networkx graphs for analysis and views.

One SPARQL query per projection fetches what it needs; no literal becomes a node (unlike rdflib's
``rdflib_to_networkx_multidigraph``, which takes 21 s at 1M triples and makes every literal a node).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from graph.store import GraphStore

__all__ = ["FILTERS", "factor_graph"]

#: The filters every projection accepts, as the short names the CLI and the views use.
FILTERS = ("category", "crime", "actor", "level", "place", "session")

_FACTOR_ROWS = """
SELECT ?f ?label ?kind ?value WHERE {
  ?f a ckg:Factor ; skos:prefLabel ?label .
  {
    VALUES (?kind ?p) { ("category" ckg:category) ("crime" ckg:crimeType) ("actor" ckg:actor) ("level" ckg:level) ("place" ckg:place) }
    ?f ?p ?value .
  } UNION {
    ?f prov:wasDerivedFrom ?value . ?value a ckg:Contribution . BIND("contribution" AS ?kind)
  } UNION {
    ?f prov:wasDerivedFrom ?c . ?c a ckg:Contribution ; prov:wasGeneratedBy ?value . BIND("session" AS ?kind)
  } UNION {
    ?f prov:wasDerivedFrom ?c . ?c a ckg:Contribution ; ckg:place ?value . BIND("place" AS ?kind)
  } UNION {
    ?f skos:altLabel ?value . BIND("altLabel" AS ?kind)
  } UNION {
    BIND("none" AS ?kind)
  }
}
"""

_LINK_ROWS = """
SELECT ?link ?from ?to ?relation ?polarity ?strength ?evidence WHERE {
  ?link a ckg:FactorLink ; ckg:fromFactor ?from ; ckg:toFactor ?to .
  OPTIONAL { ?link ckg:relation ?relation }
  OPTIONAL { ?link ckg:polarity ?polarity }
  OPTIONAL { ?link ckg:strength ?strength }
  OPTIONAL { ?link ckg:evidence ?evidence }
}
"""


def _slug(iri: str) -> str:
    """The last path segment of a concept or place IRI: ``.../category/enabling`` -> ``enabling``."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _matches(values: Iterable[str], wanted: str | Iterable[str] | None) -> bool:
    if wanted is None:
        return True
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    return bool(wanted & set(values))


def factor_graph(store: GraphStore, **filters: str | Iterable[str] | None) -> nx.MultiDiGraph:
    """Return factors as nodes and factor links as edges (one edge per link, keyed by its IRI).

    Node attributes: ``label``, ``kind`` ("factor"), ``altLabels``, ``categories``, ``crimes``,
    ``actors``, ``levels`` (concept slugs such as ``enabling``), ``places`` (ISO3 codes or M49
    region codes, from the factor and its contributions), ``sessions`` (session ids) and
    ``contributions`` (how many contributions express it). Edge attributes: ``relation``,
    ``polarity`` (slugs), ``strength`` (float or None), ``evidence`` (str or None).

    ``filters`` (any of :data:`FILTERS`, each a slug or a set of slugs) keep the factors that
    match every filter given, and the links between the factors kept.

    >>> from graph.store import Changeset, init_store
    >>> import tempfile, rdflib
    >>> CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
    >>> a, b = rdflib.URIRef("urn:f:a"), rdflib.URIRef("urn:f:b")
    >>> link = rdflib.URIRef("urn:l:1")
    >>> triples = [(a, rdflib.RDF.type, CKG.Factor), (a, rdflib.SKOS.prefLabel, rdflib.Literal("Corruption")),
    ...            (b, rdflib.RDF.type, CKG.Factor), (b, rdflib.SKOS.prefLabel, rdflib.Literal("Impunity")),
    ...            (a, CKG.category, rdflib.URIRef("https://w3id.org/crimekg/concept/category/enabling")),
    ...            (link, rdflib.RDF.type, CKG.FactorLink), (link, CKG.fromFactor, a), (link, CKG.toFactor, b)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         cs = Changeset(); cs.replace_graph("urn:g", triples); store.write(cs)
    ...         G = factor_graph(store)
    ...         H = factor_graph(store, category="enabling")
    >>> sorted(G.nodes[n]["label"] for n in G), G.number_of_edges(), len(H)
    (['Corruption', 'Impunity'], 1, 1)
    """
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filter(s) {sorted(unknown)}; use {', '.join(FILTERS)}")
    attrs: dict[str, dict] = {}
    sets: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in store.select(_FACTOR_ROWS):
        f = str(row["f"])
        attrs.setdefault(f, {"label": str(row["label"]), "kind": "factor"})
        kind = str(row["kind"])
        if kind != "none":
            value = str(row["value"])
            sets[f][kind].add(value if kind in ("contribution", "altLabel") else _slug(value))
    G = nx.MultiDiGraph()
    for f, a in attrs.items():
        s = sets[f]
        node = dict(
            a,
            altLabels=sorted(s["altLabel"]),
            categories=sorted(s["category"]),
            crimes=sorted(s["crime"]),
            actors=sorted(s["actor"]),
            levels=sorted(s["level"]),
            places=sorted(s["place"]),
            sessions=sorted(s["session"]),
            contributions=len(s["contribution"]),
        )
        keys = {"category": "categories", "crime": "crimes", "actor": "actors", "level": "levels", "place": "places", "session": "sessions"}
        if all(_matches(node[keys[k]], v) for k, v in filters.items()):
            G.add_node(f, **node)
    for row in store.select(_LINK_ROWS):
        u, v = str(row["from"]), str(row["to"])
        if u in G and v in G:
            G.add_edge(
                u,
                v,
                key=str(row["link"]),
                relation=_slug(str(row["relation"])) if "relation" in row else "linked",
                polarity=_slug(str(row["polarity"])) if "polarity" in row else "positive",
                strength=float(row["strength"]) if "strength" in row else None,
                evidence=str(row["evidence"]) if "evidence" in row else None,
            )
    return G
