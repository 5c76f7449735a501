"""Export profiles: ``full`` (everything, for the workspace owner) and ``public`` (what you share).

The ``public`` profile keeps every contribution, factor, link and count, and drops what could point
at a person in the room: participants and their contributor codes (``prov:wasAttributedTo``),
breakout groups, times (``prov:generatedAtTime``, a session's start and end), and local place
names. Places are generalised to the level asked for: ``country`` keeps countries, ``region``
replaces each country with its UN M49 subregion. Each session gets ``ckg:participantCount`` so the
number of people stays known. Everything else (ontology, schemes, evidence) is exported as it is.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import IO

from crimekg import ontology
from crimekg.graph.errors import UnknownFormat
from crimekg.graph.store import PREFIXES, GraphStore, rdf_format

__all__ = ["PROFILES", "PLACE_LEVELS", "DEFAULT_PROFILE", "export_workspace"]

#: Export profiles; ``full`` is the default (the workspace owner's own copy).
PROFILES = ("full", "public")
DEFAULT_PROFILE = "full"
PLACE_LEVELS = ("country", "region")

_PROV = "http://www.w3.org/ns/prov#"
_DROP_PREDICATES = {
    _PROV + "wasAttributedTo",
    _PROV + "generatedAtTime",
    _PROV + "startedAtTime",
    _PROV + "endedAtTime",
    ontology.CKG + "contributorCode",
    ontology.CKG + "group",
    ontology.CKG + "localPlace",
}


def export_workspace(
    store: GraphStore, out: IO[bytes] | str | os.PathLike, format: str = "ttl", graphs: Sequence[str] | None = None,
    *, profile: str = DEFAULT_PROFILE, place_level: str = "country",
) -> None:
    """Write the workspace (or some graphs) as RDF under an export profile.

    >>> import tempfile, io
    >>> from graph.store import init_store
    >>> from crimekg.graph.sessions import session_changeset
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         buf = io.BytesIO()
    ...         export_workspace(store, buf, "nt", profile="public")
    >>> buf.getvalue().count(b"ontologyVersion")
    1
    """
    if profile not in PROFILES:
        raise UnknownFormat(f"unknown export profile {profile!r}; use one of: {', '.join(PROFILES)}")
    if place_level not in PLACE_LEVELS:
        raise UnknownFormat(f"unknown place level {place_level!r}; use one of: {', '.join(PLACE_LEVELS)}")
    if profile == "full":
        store.export(out, format, graphs)
        return
    import pyoxigraph as ox

    fmt = rdf_format(format)
    buf = io.BytesIO()
    store.export(buf, "nq", graphs)
    region = {}
    if place_level == "region":
        rows = store.select(
            "SELECT ?c ?r WHERE { ?c a ckg:Country ; skos:broader ?r . ?r a ckg:Region ; ckg:m49 ?code . "
            "FILTER NOT EXISTS { ?r skos:broader/skos:broader/skos:broader ?x } "
            "FILTER EXISTS { ?r skos:broader/skos:broader ?world } }"
        )
        for r in rows:
            region.setdefault(str(r["c"]), str(r["r"]))
    participants = {}
    for r in store.select(
        "SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s a ckg:Session . "
        "OPTIONAL { ?c prov:wasGeneratedBy ?s ; prov:wasAttributedTo ?p } } GROUP BY ?s"
    ):
        participants[str(r["s"])] = int(r["n"])
    people = {str(r["p"]) for r in store.select("SELECT DISTINCT ?p WHERE { ?p a ckg:Participant }")}
    place_p = ontology.CKG + "place"
    count_p = ox.NamedNode(ontology.CKG + "participantCount")
    quads = []
    seen_sessions = set()
    for q in ox.parse(input=buf.getvalue(), format=ox.RdfFormat.N_QUADS):
        s, p, o = q.subject, q.predicate.value, q.object
        if p in _DROP_PREDICATES or (isinstance(s, ox.NamedNode) and s.value in people):
            continue
        if p == place_p and isinstance(o, ox.NamedNode) and o.value in region and _is_participant_data(s):
            o = ox.NamedNode(region[o.value])
        quads.append(ox.Quad(s, q.predicate, o, q.graph_name))
        if isinstance(s, ox.NamedNode) and s.value in participants and s.value not in seen_sessions:
            seen_sessions.add(s.value)
            quads.append(ox.Quad(s, count_p, ox.Literal(str(participants[s.value]), datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#integer")), q.graph_name))
    if fmt.supports_datasets:
        data = ox.serialize(quads, format=fmt, prefixes=dict(PREFIXES))
    else:
        data = ox.serialize(list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads)),
                            format=fmt, prefixes=dict(PREFIXES))
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        from crimekg.graph.store import tidy_prefixes

        data = tidy_prefixes(data)
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as f:
            f.write(data)
    else:
        out.write(data)


def _is_participant_data(s) -> bool:
    value = getattr(s, "value", "")
    return value.startswith(ontology.DATA) or value.startswith(ontology.SESSION)
