"""Project the RDF graph to networkx graphs for analysis and views.

One SPARQL query per projection fetches what it needs; no literal becomes a node (unlike rdflib's
``rdflib_to_networkx_multidigraph``, which takes 21 s at 1M triples and makes every literal a node).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

from crimekg.graph import terms
from crimekg.graph.store import GraphStore

__all__ = [
    "CATEGORY_ORDER",
    "FILTERS",
    "check_filter_values",
    "factor_graph",
    "FLOWS",
    "FLOW_INDICATORS",
    "SOURCE_NAMES",
    "flows_graph",
    "places_graph",
    "query_graph",
    "rdf_to_networkx",
    "rows_to_networkx",
    "session_graph",
    "shown_count",
    "write_network",
]

#: The filters every projection accepts, as the short names the CLI and the views use.
FILTERS = ("category", "crime", "actor", "level", "place", "session")

# One plain query per attribute: a single query joining them through VALUES or UNION took
# 37 s at 5,000 factors in Oxigraph; these take well under a second together.
_FACTOR_PARTS = {
    "label": "?f skos:prefLabel ?value",
    "category": "?f ckg:category ?value",
    "crime": "?f ckg:crimeType ?value",
    "actor": "?f ckg:actor ?value",
    "level": "?f ckg:level ?value",
    "place": "?f ckg:place ?value",
    "altLabel": "?f skos:altLabel ?value",
    "contribution": "?f prov:wasDerivedFrom ?value . ?value a ckg:Contribution",
    "session": "?f prov:wasDerivedFrom ?c . ?c a ckg:Contribution ; prov:wasGeneratedBy ?value",
    "contribution place": "?f prov:wasDerivedFrom ?c . ?c a ckg:Contribution ; ckg:place ?value",
}

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


#: Facets a factor and an item share: the kind of value -> the node attribute listing them.
_FACET_LISTS = {"crime": "crimes", "actor": "actors", "level": "levels", "place": "places", "session": "sessions"}


def _node_attrs(attrs: dict, values: dict[str, set], first: dict[str, str]) -> dict:
    """A node's attributes: ``attrs``, then each facet's values sorted (``first``'s facets, then the
    shared ones) and the number of contributions."""
    lists = {key: sorted(values[kind]) for kind, key in {**first, **_FACET_LISTS}.items()}
    return dict(attrs, **lists, contributions=len(values["contribution"]))


def factor_graph(store: GraphStore, **filters: str | Iterable[str] | None) -> nx.MultiDiGraph:
    """Return factors as nodes and factor links as edges (one edge per link, keyed by its IRI).

    Node attributes: ``label``, ``kind`` ("factor"), ``altLabels``, ``categories``, ``crimes``,
    ``actors``, ``levels`` (concept slugs such as ``enabling``), ``places`` (ISO3 codes or M49
    region codes, from the factor and its contributions), ``sessions`` (session ids) and
    ``contributions`` (how many contributions express it). Edge attributes: ``relation``,
    ``polarity`` (slugs), ``strength`` (float or None), ``evidence`` (str or None).

    ``filters`` (any of :data:`FILTERS`, each a slug or a set of slugs) keep the factors that
    match every filter given, and the links between the factors kept.

    >>> from crimekg.graph.store import Changeset, init_store
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
    filters = _check_filters(filters)
    attrs: dict[str, dict] = {}
    sets: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for kind, pattern in _FACTOR_PARTS.items():
        for row in store.select(f"SELECT ?f ?value WHERE {{ ?f a ckg:Factor . {pattern} }}"):
            f, value = str(row["f"]), str(row["value"])
            if kind == "label":
                attrs.setdefault(f, {"label": value, "kind": "factor"})
            elif kind in ("contribution", "altLabel"):
                sets[f][kind].add(value)
            else:
                sets[f][kind.replace("contribution ", "")].add(_slug(value))
    G = nx.MultiDiGraph()
    for f, a in attrs.items():
        node = _node_attrs(a, sets[f], {"altLabel": "altLabels", "category": "categories"})
        keys = {"category": "categories", **_FACET_LISTS}
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


# --- projections for the views ---------------------------------------------------------------

#: The exercise's order of the factor categories (questions 2a-2d).
CATEGORY_ORDER = ("enabling", "profiting", "concealment", "impunity")

_FACET_KEYS = {"category": "categories", "crime": "crimes", "actor": "actors", "level": "levels", "place": "places", "session": "sessions"}

_ITEM_ROWS = """
SELECT ?i ?cls ?label ?kind ?value WHERE {
  VALUES (?cls) { (ckg:Pattern) (ckg:DataSource) (ckg:InformationGap) }
  ?i a ?cls ; rdfs:label ?label .
  {
    VALUES (?kind ?p) { ("crime" ckg:crimeType) ("level" ckg:level) ("place" ckg:place) ("topic" dcat:theme) ("topic" ckg:topic) ("actor" ckg:actor) }
    ?i ?p ?value .
  } UNION {
    ?i prov:wasDerivedFrom ?c . ?c a ckg:Contribution ; prov:wasGeneratedBy ?value . BIND("session" AS ?kind)
  } UNION {
    ?i prov:wasDerivedFrom ?value . ?value a ckg:Contribution . BIND("contribution" AS ?kind)
  } UNION {
    BIND("none" AS ?kind)
  }
}
"""

_CRIMES_TOPICS = """
SELECT ?x ?cls ?label ?crime ?order WHERE {
  VALUES (?cls) { (ckg:CrimeType) (ckg:Topic) }
  ?x a ?cls ; skos:prefLabel ?label .
  FILTER(LANG(?label) = "en" || LANG(?label) = "")
  OPTIONAL { ?x ckg:crimeType ?crime }
  OPTIONAL { ?x ckg:order ?order }
}
"""

_PLACES = """
SELECT ?p ?cls ?label ?broader WHERE {
  VALUES (?cls) { (ckg:Country) (ckg:Region) }
  ?p a ?cls ; rdfs:label ?label .
  FILTER(LANG(?label) = "en" || LANG(?label) = "")
  OPTIONAL { ?p skos:broader ?broader }
}
"""

#: What the ``flows`` projection shows: victims' citizenship -> country of detection, nationality -> route, or both.
FLOWS = ("citizenship", "routes", "all")

_INDICATOR = terms.CONCEPT + "indicator/"
_DATASET = terms.RESOURCE + "dataset/"
#: The IRI bases the flow queries below are filled with.
_BASES = {"ds": _DATASET, "ind": _INDICATOR, "place": terms.PLACE, "concept": terms.CONCEPT}

#: The series a citizenship flow can count, by the indicator asked for: (source, indicator slug,
#: sex and age totals only). Each series gives its own edges; two series are never added. GLOTIP
#: counts are published for several breakdowns (totals, by sex, by age), so only the sex and age
#: totals are read; CTDC cells are disjoint, so its records are added over them.
FLOW_INDICATORS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "detected-trafficking-victims": (("glotip", "detected-trafficking-victims", True), ("ctdc", "registered-victims", False)),
    "persons-prosecuted": (("glotip", "persons-prosecuted", True),),
    "persons-convicted": (("glotip", "persons-convicted", True),),
}

#: Short names of the sources, as edge labels and tooltips show them.
SOURCE_NAMES = {"glotip": "UNODC GLOTIP", "ctdc": "CTDC", "iom": "IOM Missing Migrants", "frontex": "Frontex", "sherloc": "UNODC SHERLOC"}

# One row per (source, indicator, citizenship, country) of the series asked for; published counts
# and suppressed cells ("<5") apart
_FLOWS = """
SELECT ?ds ?ind ?from ?to (SUM(COALESCE(?count, 0)) AS ?n) (COUNT(?count) AS ?published) (COUNT(?o) AS ?observations)
       (SUM(IF(COALESCE(?sup, false), 1, 0)) AS ?suppressed) (MIN(STR(?year)) AS ?first) (MAX(STR(?year)) AS ?last) WHERE {
  VALUES (?ds ?ind ?totals) { %(series)s }
  ?o qb:dataSet ?ds ; ckg:indicator ?ind ; ckg:citizenship ?from ; ckg:refArea ?to .
  # places only: not the codes Total and Not stated of a dimension left unset
  FILTER(STRSTARTS(STR(?from), "%(place)s") && STRSTARTS(STR(?to), "%(place)s"))
  FILTER(!?totals || EXISTS { ?o ckg:sex <%(concept)ssex/total> ; ckg:ageGroup <%(concept)sage/total> })
  OPTIONAL { ?o ckg:count ?count }
  OPTIONAL { ?o ckg:suppressed ?sup }
  OPTIONAL { ?o ckg:refYear ?year }
}
GROUP BY ?ds ?ind ?from ?to
"""

# Frontex detections (indicator illegal-border-crossings) by nationality and smuggling route
_ROUTE_DETECTIONS = """
SELECT ?from ?route (SUM(?count) AS ?n) (COUNT(?o) AS ?observations) (MIN(STR(?year)) AS ?first) (MAX(STR(?year)) AS ?last) WHERE {
  ?o qb:dataSet <%(ds)sfrontex> ; ckg:indicator <%(ind)sillegal-border-crossings> ;
     ckg:route ?route ; ckg:citizenship ?from ; ckg:count ?count .
  FILTER(STRSTARTS(STR(?from), "%(place)s"))
  OPTIONAL { ?o ckg:refYear ?year }
}
GROUP BY ?from ?route
""" % _BASES

# IOM incidents (indicator dead-and-missing) by smuggling route; the 2025 table gives no dead/missing split
_ROUTE_INCIDENTS = """
SELECT ?route (COUNT(?o) AS ?incidents) (SUM(COALESCE(?c, 0)) AS ?total) (SUM(COALESCE(?d, 0)) AS ?dead)
       (SUM(COALESCE(?m, 0)) AS ?missing) (COUNT(?d) AS ?withDead) (COUNT(?m) AS ?withMissing) WHERE {
  ?o qb:dataSet <%(ds)siom> ; ckg:indicator <%(ind)sdead-and-missing> ; ckg:route ?route .
  OPTIONAL { ?o ckg:count ?c }
  OPTIONAL { ?o ckg:dead ?d }
  OPTIONAL { ?o ckg:missing ?m }
}
GROUP BY ?route
""" % _BASES


def shown_count(count: float | None, suppressed: int) -> str:
    """A count as it may be shown: published counts, plus suppressed cells as ``<5``, never as 0.

    >>> shown_count(273, 0), shown_count(None, 1), shown_count(None, 3), shown_count(12, 2), shown_count(0, 0)
    ('273', '<5', '3 × <5', '12 + 2 × <5', '0')
    """
    if not suppressed:
        return f"{count or 0:,.0f}"
    cells = "<5" if suppressed == 1 else f"{suppressed} \u00d7 <5"
    return cells if count is None else f"{count:,.0f} + {cells}"


_LABELS = """
SELECT ?s ?label WHERE {
  VALUES ?s { %s }
  ?s rdfs:label|skos:prefLabel|dct:title ?label .
}
"""

_TYPES = """
SELECT ?s ?type WHERE {
  VALUES ?s { %s }
  ?s a ?type . FILTER(STRSTARTS(STR(?type), STR(ckg:)))
}
"""

_CLASS_KIND = {"Factor": "factor", "Response": "response", "Pattern": "pattern", "DataSource": "source", "InformationGap": "gap", "CrimeType": "crime", "Topic": "topic", "Country": "country", "Region": "region"}


def _local(iri: str) -> str:
    """The local name of an IRI: after the last ``#`` or ``/``."""
    return iri.rstrip("/#:").replace("#", "/").replace(":", "/").rsplit("/", 1)[-1]


def _keep(node: dict, filters: dict) -> bool:
    """True if ``node`` matches every filter on a facet it has (facets it lacks do not count)."""
    for k, v in filters.items():
        key = _FACET_KEYS[k]
        if key in node and not _matches(node[key], v):
            return False
    return True


def check_filter_values(store: GraphStore, **filters: str | Iterable[str] | None) -> dict:
    """Resolve each filter value to the slug the filters compare, or raise :class:`graph.errors.InvalidInput`.

    Categories, crime types, actors and levels are named by slug, IRI, label in any language the
    schemes carry or notation (``TIP``); places by ISO3/ISO2 code, M49 code or a name in any
    language the places graph carries; sessions by id, IRI or title. Returns the filters with every
    value in canonical form (a concept slug, an ISO3 code, an M49 code).

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         ok = check_filter_values(store, crime="TIP", place="Western Africa")
    ...         check_filter_values(store, category="enabeling")
    Traceback (most recent call last):
    crimekg.graph.errors.InvalidInput: --category enabeling: unknown; use one of concealment, enabling, impunity, profiting; did you mean enabling?
    >>> ok
    {'crime': 'trafficking-in-persons', 'place': '011'}
    """
    from crimekg.graph.errors import InvalidInput
    from crimekg.graph.resolve import Words

    filters = _check_filters(filters)
    if not filters:
        return {}
    words = Words(store)
    out: dict = {}
    for facet, wanted in filters.items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        canonical = []
        for value in values:
            iri = words.resolve(facet, value)
            if iri is None:
                raise InvalidInput(f"--{facet} {value}: unknown; {words.hint(facet, value)}")
            canonical.append(_slug(iri))
        out[facet] = canonical[0] if isinstance(wanted, str) else set(canonical)
    return out


def _check_filters(filters: dict) -> dict:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filter(s) {sorted(unknown)}; use {', '.join(FILTERS)}")
    return {k: v for k, v in filters.items() if v is not None}


def _items(store: GraphStore) -> dict[str, dict]:
    """Patterns, data sources and information gaps with their facets (slugs) and topics (IRIs)."""
    attrs: dict[str, dict] = {}
    sets: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in store.select(_ITEM_ROWS):
        i = str(row["i"])
        attrs.setdefault(i, {"label": str(row["label"]), "kind": _CLASS_KIND[_local(str(row["cls"]))]})
        kind = str(row["kind"])
        if kind != "none":
            value = str(row["value"])
            sets[i][kind].add(value if kind in ("topic", "contribution") else _slug(value))
    out = {}
    for i, a in attrs.items():
        out[i] = _node_attrs(a, sets[i], {"topic": "topics"})
    return out


def session_graph(store: GraphStore, **filters: str | Iterable[str] | None) -> nx.MultiDiGraph:
    """Return the session's layered network: crime types -> topics -> factors, patterns, data sources, gaps.

    Node ``kind`` is one of ``crime``, ``topic``, ``factor``, ``pattern``, ``source``, ``gap``;
    ``layer`` is 0, 1 or 2. Topics point to the data sources (``dcat:theme``) and gaps
    (``ckg:topic``) about them; factors and patterns, which name no topic, hang from their crime
    types. ``filters`` work as in :func:`factor_graph` on every item that has the facet.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         G = session_graph(store)
    >>> sorted({G.nodes[n]["kind"] for n in G}), sum(G.nodes[n]["kind"] == "topic" for n in G)
    (['crime', 'topic'], 13)
    """
    filters = _check_filters(filters)
    G = nx.MultiDiGraph()
    crime_filter = filters.get("crime")
    for row in store.select(_CRIMES_TOPICS):
        x, kind = str(row["x"]), _CLASS_KIND[_local(str(row["cls"]))]
        if x not in G:
            G.add_node(x, label=str(row["label"]), kind=kind, layer=0 if kind == "crime" else 1,
                       order=int(row["order"]) if "order" in row else 0, crimes=[])
        if "crime" in row:
            G.nodes[x]["crimes"] = sorted(set(G.nodes[x]["crimes"]) | {_slug(str(row["crime"]))})
    for x in list(G):
        n = G.nodes[x]
        if n["kind"] == "crime":
            n["crimes"] = [_slug(x)]
        if crime_filter is not None and not _matches(n["crimes"], crime_filter):
            G.remove_node(x)
    for x in [x for x in G if G.nodes[x]["kind"] == "topic"]:
        for c in G.nodes[x]["crimes"]:
            crime = f"{terms.CONCEPT}crime/{c}"
            if crime in G:
                G.add_edge(crime, x, key="topic", relation="topic of")
    F = factor_graph(store, **filters)
    items = {i: a for i, a in _items(store).items() if _keep(a, filters)}
    for node, a in list(F.nodes(data=True)) + list(items.items()):
        G.add_node(node, **{k: v for k, v in a.items() if k != "topics"}, layer=2)
        for t in a.get("topics", []):
            if t in G:
                G.add_edge(t, node, key="about", relation="about")
        if not a.get("topics"):
            for c in a["crimes"]:
                crime = f"{terms.CONCEPT}crime/{c}"
                if crime in G:
                    G.add_edge(crime, node, key="concerns", relation="concerns")
    return G


def _place_iri(slug: str) -> str:
    return terms.PLACE + ("m49/" + slug if slug.isdigit() else slug)


def places_graph(store: GraphStore, **filters: str | Iterable[str] | None) -> nx.MultiDiGraph:
    """Return factors with the countries they are named for, and those countries' M49 regions.

    Edges: factor -> country or region (``relation`` "named for"), country -> region and
    region -> region (``relation`` "part of", from ``skos:broader``). Only the places some kept
    factor names, and their ancestors, are nodes.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         G = places_graph(store)
    >>> len(G)
    0
    """
    F = factor_graph(store, **_check_filters(filters))
    places: dict[str, dict] = {}
    for row in store.select(_PLACES):
        p = str(row["p"])
        places.setdefault(p, {"label": str(row["label"]), "kind": _CLASS_KIND[_local(str(row["cls"]))], "broader": set()})
        if "broader" in row:
            places[p]["broader"].add(str(row["broader"]))
    G = nx.MultiDiGraph()
    G.add_nodes_from(F.nodes(data=True))
    todo = []
    for f, a in F.nodes(data=True):
        for slug in a["places"]:
            p = _place_iri(slug)
            if p in places:
                G.add_edge(f, p, key="place", relation="named for")
                todo.append(p)
    while todo:
        p = todo.pop()
        info = places[p]
        if "kind" in G.nodes[p]:
            continue
        G.add_node(p, label=info["label"], kind=info["kind"], places=[_slug(p)])
        for b in sorted(info["broader"]):
            if b in places:
                G.add_edge(p, b, key="broader", relation="part of")
                todo.append(b)
    return G


def flows_graph(store: GraphStore, flows: str = "all", indicator: str = "detected-trafficking-victims",
                **filters: str | Iterable[str] | None) -> nx.MultiDiGraph:
    """Return flows from victims' citizenship to the country of detection, and from nationalities to routes.

    ``flows`` is one of :data:`FLOWS`; ``indicator`` one of :data:`FLOW_INDICATORS` (detected
    victims by default: GLOTIP's detected victims and CTDC's victim records). Every edge counts one
    indicator of one source, never a sum of two. ``citizenship``: one edge (key ``flow:{source}``,
    relation ``flow``) per source and (citizenship, country of detection) pair, with ``source``,
    ``indicator``, ``count`` (the published counts added over the years in ``years``; ``None``
    when every cell is suppressed), ``suppressed`` (cells published as "<5"), ``low`` and ``high``
    (the range the true figure lies in), ``value`` (the text to show: "273", "<5", "12 + 2 × <5")
    and ``observations``. Where two sources name the same flow there are two edges, side by side.
    ``routes``: one node (kind ``route``) per smuggling-route concept, with IOM's figures
    (``iom_incidents``, ``iom_dead_and_missing``, and ``iom_dead``, ``iom_missing`` where the file
    splits them) and Frontex's (``frontex_detections``) as separate attributes, each there only when
    its source is imported; one edge (key ``route:frontex``, relation ``route``) per (nationality,
    route) pair with ``count`` the Frontex detections. ``all``: both, when there are.
    Only the ``place`` filter applies: a flow is kept if either end matches, a route if a kept
    edge reaches it. Raises :class:`graph.errors.InvalidInput` when there is nothing to show.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         flows_graph(store, "citizenship")
    Traceback (most recent call last):
    crimekg.graph.errors.InvalidInput: no flows: the workspace has no observations with ckg:citizenship and ckg:refArea; import evidence first (e.g. GLOTIP data)
    """
    from crimekg.graph.errors import InvalidInput

    if flows not in FLOWS:
        raise InvalidInput(f"unknown flows {flows!r}; use one of {', '.join(FLOWS)}")
    if indicator not in FLOW_INDICATORS:
        raise InvalidInput(f"unknown flow indicator {indicator!r}; use one of {', '.join(FLOW_INDICATORS)}")
    filters = _check_filters(filters)
    series = " ".join(f"(<{_DATASET}{src}> <{_INDICATOR}{ind}> {'true' if totals else 'false'})"
                      for src, ind, totals in FLOW_INDICATORS[indicator])
    rows = store.select(_FLOWS % {"series": series, **_BASES}) if flows != "routes" else []
    detections = store.select(_ROUTE_DETECTIONS) if flows != "citizenship" else []
    incidents = store.select(_ROUTE_INCIDENTS) if flows != "citizenship" else []
    if flows == "citizenship" and not rows:
        raise InvalidInput("no flows: the workspace has no observations with ckg:citizenship and ckg:refArea; import evidence first (e.g. GLOTIP data)")
    if flows == "routes" and not (detections or incidents):
        raise InvalidInput("no route flows: the workspace has no observations with ckg:route; import Frontex or IOM data first")
    if not (rows or detections or incidents):
        raise InvalidInput("no flows: the workspace has no observations with ckg:citizenship and ckg:refArea, nor with ckg:route; "
                           "import evidence first (e.g. GLOTIP, Frontex or IOM data)")

    def country(p: str) -> None:
        if p not in G:
            G.add_node(p, label=_local(p), kind="country", places=[_local(p)])

    G = nx.MultiDiGraph()
    for row in rows:
        u, v = str(row["from"]), str(row["to"])
        if "place" in filters and not _matches([_local(u), _local(v)], filters["place"]):
            continue
        country(u)
        country(v)
        source = str(row["ds"]).rsplit("/", 1)[-1]
        suppressed = int(row["suppressed"])
        count = float(row["n"]) if int(row["published"]) else None
        G.add_edge(u, v, key=f"flow:{source}", relation="flow", source=source, indicator=str(row["ind"]),
                   count=count, suppressed=suppressed, low=float((count or 0) + suppressed), high=float((count or 0) + 4 * suppressed),
                   value=shown_count(count, suppressed), observations=int(row["observations"]),
                   years=f"{row['first']}-{row['last']}" if "first" in row else None)
    routes: dict[str, dict] = {}
    for row in incidents:
        info = {"iom_indicator": _INDICATOR + "dead-and-missing", "iom_incidents": int(row["incidents"]),
                "iom_dead_and_missing": int(row["total"])}
        if int(row["withDead"]) or int(row["withMissing"]):
            info.update(iom_dead=int(row["dead"]), iom_missing=int(row["missing"]))
        routes[str(row["route"])] = info
    for row in detections:  # every nationality counts in the route's total, a place or not
        info = routes.setdefault(str(row["route"]), {})
        info["frontex_indicator"] = _INDICATOR + "illegal-border-crossings"
        info["frontex_detections"] = info.get("frontex_detections", 0) + int(row["n"])
    for row in detections:
        u, r = str(row["from"]), str(row["route"])
        if not u.startswith(("http://", "https://")):
            continue  # a nationality the source gives as text, no place
        if "place" in filters and not _matches([_local(u)], filters["place"]):
            continue
        country(u)
        if r not in G:
            G.add_node(r, label=_local(r), kind="route", **routes.get(r, {}))
        G.add_edge(u, r, key="route:frontex", relation="route", source="frontex", indicator=_INDICATOR + "illegal-border-crossings",
                   count=float(row["n"]), observations=int(row["observations"]),
                   years=f"{row['first']}-{row['last']}" if "first" in row else None)
    if "place" not in filters:
        for r, info in routes.items():
            if r not in G:
                G.add_node(r, label=_local(r), kind="route", **info)
    _add_labels(store, G)
    _add_subregions(store, G)
    return G


_SUBREGIONS = """
SELECT ?c ?r ?label ?up WHERE {
  VALUES ?c { %s }
  ?c skos:broader ?r . ?r a ckg:Region .
  OPTIONAL { ?r rdfs:label ?label . FILTER(LANG(?label) = "en" || LANG(?label) = "") }
  OPTIONAL { ?r skos:broader ?up }
}
"""


def _add_subregions(store: GraphStore, G: nx.MultiDiGraph) -> None:
    """Give each country node its most specific UN M49 region: ``subregion`` (IRI) and ``subregion_label``."""
    countries = [n for n, a in G.nodes(data=True) if a.get("kind") == "country"]
    for start in range(0, len(countries), 500):
        chunk = countries[start:start + 500]
        broader: dict[str, dict[str, str]] = defaultdict(dict)
        ups: dict[str, set] = defaultdict(set)
        for row in store.select(_SUBREGIONS % " ".join(f"<{c}>" for c in chunk)):
            c, r = str(row["c"]), str(row["r"])
            broader[c].setdefault(r, str(row["label"]) if "label" in row else _local(r))
            if "up" in row:
                ups[r].add(str(row["up"]))
        for c, regions in broader.items():
            # the region no other of the country's regions lies inside (Western Africa, not Sub-Saharan Africa)
            specific = sorted(r for r in regions if not any(r in ups[o] for o in regions if o != r)) or sorted(regions)
            G.nodes[c]["subregion"] = specific[0]
            G.nodes[c]["subregion_label"] = regions[specific[0]]


def _add_labels(store: GraphStore, G: nx.MultiDiGraph, only_unlabelled: bool = False) -> None:
    """Give IRI nodes their rdfs:label, skos:prefLabel or dct:title (English or plain first) and kind."""
    iris = [n for n in G if n.startswith(("http://", "https://", "urn:"))]
    for start in range(0, len(iris), 500):
        chunk = iris[start:start + 500]
        found: dict[str, tuple[int, str]] = {}
        for row in store.select(_LABELS % " ".join(f"<{i}>" for i in chunk)):
            lit = row["label"]
            rank = 0 if getattr(lit, "language", None) in (None, "en") else 1
            s = str(row["s"])
            if s not in found or rank < found[s][0]:
                found[s] = (rank, str(lit))
        for s, (_, label) in found.items():
            if not (only_unlabelled and G.nodes[s].get("label") != _local(s)):
                G.nodes[s]["label"] = label
        for row in store.select(_TYPES % " ".join(f"<{i}>" for i in chunk)):
            kind = _CLASS_KIND.get(_local(str(row["type"])))
            if kind and G.nodes[str(row["s"])].get("kind") in (None, "resource"):
                G.nodes[str(row["s"])]["kind"] = kind


def rdf_to_networkx(g, store: GraphStore | None = None) -> nx.MultiDiGraph:
    """Turn an RDF graph (e.g. a CONSTRUCT result) into a network: resources are nodes, literals attributes.

    Every triple whose object is an IRI or blank node becomes an edge (``relation``: the
    predicate's local name, ``predicate``: its IRI), except ``rdf:type``, which gives the node's
    ``kind``. Literal values become node attributes named by the predicate's local name (several
    values joined by "; "). Nodes are labelled by ``rdfs:label``, ``skos:prefLabel`` or
    ``dct:title`` from the graph, else from ``store`` when given, else by their local name.

    >>> import rdflib
    >>> g = rdflib.Graph()
    >>> a, b = rdflib.URIRef("urn:x:a"), rdflib.URIRef("urn:x:b")
    >>> g.add((a, rdflib.RDFS.label, rdflib.Literal("A"))); g.add((a, rdflib.URIRef("urn:p:enables"), b))  # doctest: +ELLIPSIS
    <Graph ...>
    <Graph ...>
    >>> G = rdf_to_networkx(g)
    >>> G.nodes["urn:x:a"]["label"], G.nodes["urn:x:b"]["label"], list(G.edges(data="relation"))
    ('A', 'b', [('urn:x:a', 'urn:x:b', 'enables')])
    """
    import rdflib

    label_preds = {rdflib.RDFS.label, rdflib.SKOS.prefLabel, rdflib.DCTERMS.title}
    G = nx.MultiDiGraph()
    literals: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def node(term) -> str:
        key = str(term) if isinstance(term, rdflib.URIRef) else "_:" + str(term)
        if key not in G:
            G.add_node(key, label=_local(str(term)), kind="resource")
        return key

    labelled = set()
    for s, p, o in sorted(g):
        u = node(s)
        if p == rdflib.RDF.type:
            G.nodes[u]["kind"] = _CLASS_KIND.get(_local(str(o)), _local(str(o)).lower() or "resource")
        elif isinstance(o, rdflib.Literal):
            if p in label_preds and u not in labelled:
                G.nodes[u]["label"] = str(o)
                labelled.add(u)
            else:
                literals[u][_local(str(p))].append(str(o))
        else:
            G.add_edge(u, node(o), key=f"{p}", relation=_local(str(p)), predicate=str(p))
    for u, attrs in literals.items():
        for k, values in attrs.items():
            if k not in ("label", "kind"):
                G.nodes[u][k] = "; ".join(values)
    if store is not None:
        _add_labels(store, G, only_unlabelled=True)
    return G


def query_graph(store: GraphStore, sparql: str) -> nx.MultiDiGraph:
    """Return the result of a SPARQL query as a network.

    A CONSTRUCT or DESCRIBE result goes through :func:`rdf_to_networkx`. A SELECT result gives
    one node per IRI or blank node it returns, and per row an edge from the row's first resource
    to each other one (``relation``: the variable's name); literals become attributes of the
    first resource (see :func:`rows_to_networkx` for tables of edges). An ASK query has no network and raises :class:`graph.errors.InvalidQuery`.

    >>> from crimekg.graph.store import init_store
    >>> import tempfile
    >>> q = "SELECT ?topic ?crime WHERE { ?topic a ckg:Topic ; ckg:crimeType ?crime }"
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         G = query_graph(store, q)
    >>> G.nodes["https://w3id.org/crimekg/concept/crime/smuggling-of-migrants"]["label"]
    'Smuggling of migrants'
    """
    from crimekg.graph.errors import InvalidQuery

    result = store.query(sparql)
    if result.type == "ASK":
        raise InvalidQuery("an ASK query answers yes or no and gives no network; use CONSTRUCT or SELECT")
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return rdf_to_networkx(result.graph, store)
    names = [str(v) for v in result.vars]
    rows = [{name: row[name] for name in names if row[name] is not None} for row in result]
    return rows_to_networkx(names, rows, store)


def _value(t):
    """A literal's number as a float, anything else as its text."""
    import rdflib

    if isinstance(t, rdflib.Literal):
        v = t.toPython()
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return float(v)
    return str(t)


def rows_to_networkx(variables: Sequence[str], rows: Iterable[Mapping], store: GraphStore | None = None) -> nx.MultiDiGraph:
    """Turn SELECT rows (dicts of rdflib terms by variable) into a network, as :func:`query_graph` does.

    Rows with ``from`` and ``to`` (or ``source`` and ``target``) columns are a table of edges:
    one edge per row, its other columns the edge's attributes, and literal ends become nodes
    named by their text.

    >>> import rdflib
    >>> rows = [{"f": rdflib.URIRef("urn:f:a"), "label": rdflib.Literal("A"), "to": rdflib.URIRef("urn:f:b")}]
    >>> G = rows_to_networkx(["f", "label", "to"], rows)
    >>> G.nodes["urn:f:a"]["label"], list(G.edges(data="relation"))
    ('A', [('urn:f:a', 'urn:f:b', 'to')])
    """
    import rdflib

    def node(t) -> str:
        if isinstance(t, rdflib.Literal):
            key = "text:" + str(t)
        else:
            key = str(t) if isinstance(t, rdflib.URIRef) else "_:" + str(t)
        if key not in G:
            G.add_node(key, label=str(t) if isinstance(t, rdflib.Literal) else _local(str(t)), kind="resource")
        return key

    G = nx.MultiDiGraph()
    ends = next(((a, b) for a, b in (("from", "to"), ("source", "target"), ("subject", "object")) if a in variables and b in variables), None)
    for i, row in enumerate(rows):
        if ends:  # a table of edges: one edge per row, the other columns its attributes
            if row.get(ends[0]) is None or row.get(ends[1]) is None:
                continue
            rest = {name: _value(row[name]) for name in variables if name not in ends and row.get(name) is not None}
            rest.setdefault("relation", "linked")
            G.add_edge(node(row[ends[0]]), node(row[ends[1]]), key=i, **rest)
            continue
        terms = [(name, row[name]) for name in variables if row.get(name) is not None]
        resources = [(n, t) for n, t in terms if not isinstance(t, rdflib.Literal)] or terms[:1]
        if not resources:
            continue
        ids = [node(t) for _, t in resources]
        first = ids[0]
        for (name, _), key in zip(resources[1:], ids[1:]):
            G.add_edge(first, key, key=name, relation=name)
        # a literal describes the resource named before it in the SELECT (?category ?factor ?label:
        # the label is the factor's), or the first resource when none comes before it
        owner = first
        by_name = dict(zip((n for n, _ in resources), ids))
        for name, t in terms:
            if name in by_name:
                owner = by_name[name]
            elif isinstance(t, rdflib.Literal) and (name, t) != resources[0]:
                if name == "label":
                    G.nodes[owner]["label"] = str(t)
                else:
                    old = G.nodes[owner].get(name)
                    G.nodes[owner][name] = str(t) if not old or old == str(t) else f"{old}; {t}"
    if store is not None:
        _add_labels(store, G, only_unlabelled=True)
    return G


def write_network(G: nx.Graph, out, format: str = "graphml") -> None:
    """Write ``G`` as GraphML or GEXF for Gephi and similar tools, every attribute included.

    Lists become strings joined by "; ", ``None`` values are left out, and other values that
    are not numbers or strings become strings (GraphML and GEXF hold scalars only).

    >>> import io
    >>> G = nx.MultiDiGraph(); G.add_node("a", label="A", places=["NGA", "ITA"], strength=None)
    >>> buf = io.BytesIO(); write_network(G, buf, "graphml")
    >>> b"NGA; ITA" in buf.getvalue(), b"strength" in buf.getvalue()
    (True, False)
    """
    import re

    from crimekg.graph.errors import UnknownFormat

    # XML 1.0 cannot hold these characters at all: networkx writes them as they are, and the
    # file is then refused by Gephi and every XML parser (a control character in an imported label)
    not_xml = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

    def clean(attrs: dict) -> dict:
        out_ = {}
        for k, v in attrs.items():
            if v is None:
                continue
            if isinstance(v, (list, tuple, set)):
                v = "; ".join(str(x) for x in v)
            elif not isinstance(v, (bool, int, float, str)):
                v = str(v)
            out_[k] = not_xml.sub(" ", v) if isinstance(v, str) else v
        return out_

    H = nx.MultiDiGraph() if G.is_multigraph() else nx.DiGraph()
    H.add_nodes_from((n, clean(a)) for n, a in G.nodes(data=True))
    if G.is_multigraph():
        H.add_edges_from((u, v, k, clean(a)) for u, v, k, a in G.edges(keys=True, data=True))
    else:
        H.add_edges_from((u, v, clean(a)) for u, v, a in G.edges(data=True))
    if format == "graphml":
        nx.write_graphml(H, out)
    elif format == "gexf":
        nx.write_gexf(H, out)
    else:
        raise UnknownFormat(f"unknown network format {format!r}; use graphml or gexf")
