"""Export profiles: ``full`` (everything, for the workspace owner) and ``public`` (what you share).

The ``public`` profile keeps every contribution, factor, link and count, and drops what could point
at a person in the room: participants and their contributor codes (``prov:wasAttributedTo``),
breakout groups, times (``prov:generatedAtTime``, a session's start and end), and local place
names. Places are generalised to the level asked for: ``country`` keeps countries, ``region``
replaces each country with its UN M49 subregion. Each session gets ``ckg:participantCount`` so the
number of people stays known. Contributor codes, group names and local places written inside free
text (a link's evidence: "Group C said...") become ``[participant]``, ``[group]`` and ``[place]``. The merge history's
reified triples get the same treatment (an older workspace's history, kept as text, stays out). Generalised places that make two quads one are
written once. Everything else (ontology, schemes, evidence) is exported as it is.

Likely e-mail addresses, phone numbers and personal names that participants wrote in free text
(contribution texts, labels, link evidence, session titles, and the merge history's copies of
them) are found by :func:`personal_details`, so the command can warn with the subject and property
of each; ``redact=True`` replaces each with a marker such as ``[redacted: phone]`` in the output
(:mod:`graph.pii`), leaving the workspace as it is.

Output is reproducible: blank nodes get canonical labels and the quads a stable order (see
:func:`crimekg.graph.store.canonical_quads`).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Sequence
from typing import IO, Any

from crimekg import ontology
from crimekg.graph.errors import InvalidInput, UnknownFormat
from crimekg.graph.tables import check_xml_characters
from crimekg.graph.terms import PROV, RDF, RDF_TYPE, XSD
from crimekg.graph.store import PREFIXES, GraphStore, canonical_quads, rdf_format, tidy_prefixes

__all__ = ["PROFILES", "PLACE_LEVELS", "DEFAULT_PROFILE", "export_workspace", "profiled_quads", "subregions", "redactor", "personal_details",
           "personal_warnings", "iri_redactor"]

#: Export profiles; ``full`` is the default (the workspace owner's own copy).
PROFILES = ("full", "public")
DEFAULT_PROFILE = "full"
PLACE_LEVELS = ("country", "region")

_DROP_PREDICATES = {
    PROV + "wasAttributedTo",
    PROV + "generatedAtTime",
    PROV + "startedAtTime",
    PROV + "endedAtTime",
    ontology.CKG + "contributorCode",
    ontology.CKG + "group",
    ontology.CKG + "localPlace",
}


def export_workspace(
    store: GraphStore, out: IO[bytes] | str | os.PathLike, format: str = "ttl", graphs: Sequence[str] | None = None,
    *, profile: str = DEFAULT_PROFILE, place_level: str = "country", sort: bool = False, redact: bool = False,
) -> None:
    """Write the workspace (or some graphs) as RDF under an export profile.

    ``sort=True`` sorts every graph (a release does), not only those with blank nodes.
    ``redact=True`` (public profile only) also replaces likely e-mail addresses, phone numbers and
    names in participants' free text with markers (see :func:`personal_details`).

    >>> import tempfile, io
    >>> from crimekg.graph.store import init_store
    >>> from crimekg.graph.sessions import session_changeset
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         buf = io.BytesIO()
    ...         export_workspace(store, buf, "nt", profile="public")
    >>> buf.getvalue().count(b"ontologyVersion")
    1
    """
    if redact and profile != "public":
        raise InvalidInput("redacting personal details goes with the public profile (--profile public)")
    if profile not in PROFILES:
        raise UnknownFormat(f"unknown export profile {profile!r}; use one of: {', '.join(PROFILES)}")
    if place_level not in PLACE_LEVELS:
        raise UnknownFormat(f"unknown place level {place_level!r}; use one of: {', '.join(PLACE_LEVELS)}")
    if format in ("jsonld", "json-ld"):  # compacted, with its @context (the one a release writes), each graph named
        quads = profiled_quads(store, graphs, profile=profile, place_level=place_level, sort=True, redact=redact)
        doc, _context = compact_jsonld(quads, PREFIXES)
        _write(out, json_bytes(doc))
        return
    import pyoxigraph as ox

    fmt = rdf_format(format)
    if profile == "full" and not sort:
        if fmt != ox.RdfFormat.RDF_XML:
            store.export(out, format, graphs)
            return
        buf = io.BytesIO()  # checked before anything is written
        store.export(buf, format, graphs)
        data = buf.getvalue()
    else:
        data = ox.serialize(profiled_quads(store, graphs, profile=profile, place_level=place_level, union=not fmt.supports_datasets,
                                           sort=sort, redact=redact), format=fmt, prefixes=dict(PREFIXES))
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        data = tidy_prefixes(data)
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_characters(data)
    _write(out, data)


def profiled_quads(store: GraphStore, graphs: Sequence[str] | None = None, *, profile: str = DEFAULT_PROFILE, place_level: str = "country",
                   union: bool = False, sort: bool = False, redact: bool = False) -> list[Any]:
    """The quads an export under ``profile`` holds (pyoxigraph), canonical and in a stable order
    (:func:`graph.store.canonical_quads`; the full profile is always sorted)."""
    import pyoxigraph as ox

    buf = io.BytesIO()
    store.export(buf, "nq", graphs)
    if profile == "full":
        return canonical_quads(ox.parse(input=buf.getvalue(), format=ox.RdfFormat.N_QUADS), union=union, sort=True)
    region = subregions(store) if place_level == "region" else {}
    participants = {}
    for r in store.select(
        "SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s a ckg:Session . "
        "OPTIONAL { ?c prov:wasGeneratedBy ?s ; prov:wasAttributedTo ?p } } GROUP BY ?s"
    ):
        participants[str(r["s"])] = int(r["n"])
    people = {str(r["p"]) for r in store.select("SELECT DISTINCT ?p WHERE { ?p a ckg:Participant }")}
    redact_codes = redactor(store)
    redact_all = redactor(store, redact=True) if redact else redact_codes
    rename = iri_redactor(store) if redact else None
    place_p = ontology.CKG + "place"
    count_p = ox.NamedNode(ontology.CKG + "participantCount")
    quads = []
    seen_sessions = set()
    # the merge history holds the triples a merge changed as reified statements: the same profile
    # applies to them (a statement of a dropped property, or about a participant, goes altogether)
    hidden, placed = set(), set()
    rdf = RDF
    for q in ox.parse(input=buf.getvalue(), format=ox.RdfFormat.N_QUADS):
        if q.predicate.value in (rdf + "predicate", rdf + "subject", rdf + "object") and _is_history(q.graph_name):
            o = getattr(q.object, "value", None)
            if o in _DROP_PREDICATES or o in people:
                hidden.add(q.subject)
            elif o == place_p:
                placed.add(q.subject)
    for q in ox.parse(input=buf.getvalue(), format=ox.RdfFormat.N_QUADS):
        s, p, o = q.subject, q.predicate.value, q.object
        if p in _DROP_PREDICATES or (isinstance(s, ox.NamedNode) and s.value in people):
            continue
        if isinstance(o, ox.NamedNode) and o.value in people:
            continue
        if s in hidden or o in hidden:
            continue
        if p == rdf + "object" and s in placed and isinstance(o, ox.NamedNode) and o.value in region:
            o = ox.NamedNode(region[o.value])
        if p == PROV + "value" and _is_history(q.graph_name) and isinstance(o, ox.Literal):
            continue  # quads kept as text for undoing a merge: the profile cannot reach inside them
        if p == place_p and isinstance(o, ox.NamedNode) and o.value in region and _is_participant_data(s):
            o = ox.NamedNode(region[o.value])
        rule = redact_all if _is_participant_text(q.graph_name) else redact_codes
        if rule is not None and isinstance(o, ox.Literal) and (o.language or o.datatype.value == _XSD_STRING):
            text = rule(o.value)
            if text != o.value:
                o = ox.Literal(text, language=o.language) if o.language else ox.Literal(text, datatype=o.datatype)
        if rename is not None:
            s = ox.NamedNode(rename(s.value)) if isinstance(s, ox.NamedNode) else s
            o = ox.NamedNode(rename(o.value)) if isinstance(o, ox.NamedNode) else o
        quads.append(ox.Quad(s, q.predicate, o, q.graph_name))
        if isinstance(s, ox.NamedNode) and s.value in participants and s.value not in seen_sessions:
            seen_sessions.add(s.value)
            quads.append(ox.Quad(s, count_p, ox.Literal(str(participants[s.value]), datatype=ox.NamedNode(
                XSD + "integer")), q.graph_name))
    # generalising places can make two quads one (two countries of one region): canonical_quads
    # drops the repeats, and gives blank nodes stable labels and the output a stable order
    return canonical_quads(quads, union=union, sort=sort)


# ------------------------------------------------------------------------------------------------
# compacted JSON-LD


def compact_iri(iri: str, prefixes: dict[str, str]) -> str:
    best = ""
    for p, ns in prefixes.items():
        if iri.startswith(ns) and len(ns) > len(prefixes.get(best, "")) and not iri[len(ns):].startswith("//"):
            best = p
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri


def compact_jsonld(quads: Sequence[Any], prefixes: dict[str, str]) -> tuple[dict, dict]:
    """Compacted JSON-LD of pyoxigraph quads: (the document, its ``@context``).

    The context declares the prefixes the data uses; the document's ``@context`` holds the same,
    so it reads without fetching anything. Nodes and values keep the quads' order.

    >>> import pyoxigraph as ox
    >>> q = ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
    ...             ox.Literal("東京", language="ja"), ox.NamedNode("urn:g"))
    >>> doc, ctx = compact_jsonld([q], {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"})
    >>> doc["@graph"][0]["@graph"][0]["rdfs:label"]
    {'@value': '東京', '@language': 'ja'}
    """
    import pyoxigraph as ox

    used = {}
    graphs: dict[str, dict[str, dict]] = {}

    def iri(value: str) -> str:
        c = compact_iri(value, prefixes)
        if c != value:
            p = c.split(":", 1)[0]
            used[p] = prefixes[p]
        return c

    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            return {"@id": iri(t.value)}
        if isinstance(t, ox.BlankNode):
            return {"@id": "_:" + t.value}
        if t.language:
            return {"@value": t.value, "@language": t.language}
        if t.datatype.value == XSD + "string":
            return t.value
        return {"@value": t.value, "@type": iri(t.datatype.value)}

    for q in quads:
        g = "@default" if isinstance(q.graph_name, ox.DefaultGraph) else (
            "_:" + q.graph_name.value if isinstance(q.graph_name, ox.BlankNode) else iri(q.graph_name.value))
        s = "_:" + q.subject.value if isinstance(q.subject, ox.BlankNode) else iri(q.subject.value)
        node = graphs.setdefault(g, {}).setdefault(s, {"@id": s})
        if q.predicate.value == RDF_TYPE and isinstance(q.object, ox.NamedNode):
            node.setdefault("@type", []).append(iri(q.object.value))
            continue
        node.setdefault(iri(q.predicate.value), []).append(term(q.object))
    context = {"@context": dict(sorted(used.items()))}
    out = []
    for g, nodes in graphs.items():
        objs = [{k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in n.items()} for n in nodes.values()]
        if g == "@default":
            out.extend(objs)
        else:
            out.append({"@id": g, "@graph": objs})
    return {"@context": context["@context"], "@graph": out}, context


def json_bytes(doc: Any) -> bytes:
    """A JSON document as crimekg writes it: UTF-8 with every script as itself, one-space indent, a final newline."""
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _write(out: IO[bytes] | str | os.PathLike, data: bytes) -> None:
    if isinstance(out, (str, os.PathLike)):
        from crimekg.graph.outputs import write_output

        write_output(out, data)
    else:
        out.write(data)


_XSD_STRING = XSD + "string"


#: Letters of scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, Han).
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
#: A word character of a script that puts spaces between words.
_SPACED_WORD = f"[^\\W{_UNSPACED}]"


def _whole_word(word: str) -> str:
    """A pattern for ``word`` standing as a word of its own. An edge in a script that spaces its words
    may not touch a letter or digit of such a script; an edge in Thai, Japanese or Chinese, which do
    not, may touch anything, and any edge may touch a letter of those scripts ("Group Cによると",
    "Sabha的招募者", "ผู้จัดหาในSabha").

    >>> import re
    >>> [bool(re.search(_whole_word(w), t)) for w, t in [("Sabha", "Sabha的招募者"), ("Sabha", "Sabhatown"),
    ...     ("Group C", "Group Cによると"), ("P07", "P070"), ("新宿", "新宿区で"), ("Sabha", "ผู้จัดหาในSabha")]]
    [True, False, True, False, True, True]
    """
    import re

    spaced = re.compile(_SPACED_WORD)
    left = f"(?<!{_SPACED_WORD})" if spaced.match(word[0]) else ""
    right = f"(?!{_SPACED_WORD})" if spaced.match(word[-1]) else ""
    return left + re.escape(word) + right


def redactor(store: GraphStore, redact: bool = False) -> Callable[[str], str] | None:
    """The public profile's text rule, as a function of a text; None when it has nothing to do.

    It blanks out, in free text, the workspace's contributor codes, group names and local places
    (participants write "Group C said...", "via Istanbul"). With ``redact=True`` it also replaces
    likely e-mail addresses, phone numbers and names with markers (:func:`graph.pii.redact`), as
    ``export --profile public --redact`` does; views and briefs that share data call it so, and
    rename nodes with :func:`iri_redactor` (an item's IRI is made from its label).

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         plain, full = redactor(store), redactor(store, redact=True)
    >>> plain is None, full("Mr Okafor: +234 803 123 4567")
    (True, 'Mr [redacted: name]: [redacted: phone]')
    """
    import re

    codes = {str(r["c"]) for r in store.select("SELECT DISTINCT ?c WHERE { ?p ckg:contributorCode ?c }")}
    groups = {str(r["g"]) for r in store.select("SELECT DISTINCT ?g WHERE { ?c ckg:group ?g }")}
    local = {str(r["l"]) for r in store.select("SELECT DISTINCT ?l WHERE { ?s ckg:localPlace ?l }")}
    words = sorted((w for w in codes | groups | local if w.strip()), key=lambda w: (-len(w), w))
    codes_rule = None
    if words:
        pattern = re.compile("|".join(_whole_word(w) for w in words))
        kind = {**{w: "[place]" for w in local}, **{w: "[group]" for w in groups}, **{w: "[participant]" for w in codes}}
        codes_rule = lambda text: pattern.sub(lambda m: kind[m.group()], text)  # noqa: E731
    if not redact:
        return codes_rule
    from crimekg.graph.pii import redact as pii_redact

    if codes_rule is None:
        return pii_redact
    return lambda text: pii_redact(codes_rule(text))


def personal_details(store: GraphStore) -> list[tuple[str, str, Any]]:
    """The likely personal details a public export would share: (subject, property, finding).

    It reads participants' free text (every text literal of the contributions graphs and the
    merge history) after the public profile has dropped codes, groups, times and local places and
    marked them in text, so a finding here is one that ``export --profile public`` writes unless
    ``redact=True``. Each finding is a :class:`graph.pii.Finding`.

    >>> import tempfile
    >>> from rdflib import Literal, URIRef
    >>> from crimekg.graph.store import Changeset, graph_iri, init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         c = Changeset()
    ...         c.add_triples(graph_iri("contributions/s1"), [(URIRef("urn:x:c1"), URIRef(ontology.CKG + "text"),
    ...                                                      Literal("call 020 7946 0958"))])
    ...         store.write(c)
    ...         found = personal_details(store)
    >>> [(s, p.rsplit("#")[-1], f.kind, f.text) for s, p, f in found]
    [('urn:x:c1', 'text', 'phone', '020 7946 0958')]
    """
    from crimekg.graph.pii import find_pii

    rule = redactor(store)
    people = {str(r["p"]) for r in store.select("SELECT DISTINCT ?p WHERE { ?p a ckg:Participant }")}
    rows = store.select(
        "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER((STRSTARTS(STR(?g), "{ontology.GRAPH}contributions/") || STRSTARTS(STR(?g), "{ontology.GRAPH}history/")) '
        "&& isLiteral(?o) && (LANG(?o) != \"\" || DATATYPE(?o) = xsd:string)) }"
    )
    out = []
    for r in sorted(rows, key=lambda r: (str(r["s"]), str(r["p"]), str(r["o"]))):
        s, p = str(r["s"]), str(r["p"])
        if p in _DROP_PREDICATES or s in people or p == PROV + "value":
            continue
        text = str(r["o"])
        out += [(s, p, f) for f in find_pii(rule(text) if rule else text)]
    return out


def iri_redactor(store: GraphStore) -> Callable[[str], str] | None:
    """A function that renames the items whose IRI was made from a text holding a likely personal
    detail (a factor labelled "Ask Mr Okafor..." is ``data/factor/ask-mr-okafor...``), and the links
    named after them; None when there are none.

    The new name is ``redacted-`` and a keyed digest of the old one (the workspace's secret, see
    :mod:`graph.privacy`), so it is the same in every export and tells nothing of the old one.
    """
    from crimekg.graph.privacy import keyed_digest, workspace_secret

    skip = (ontology.DATA + "contribution/", ontology.DATA + "link/")
    segments = {s.rsplit("/", 1)[-1] for s, _p, _f in personal_details(store)
                if s.startswith(ontology.DATA) and not s.startswith(skip)}
    if not segments:
        return None
    secret = workspace_secret(store)
    new = {seg: "redacted-" + keyed_digest(secret, seg) for seg in segments}
    link = ontology.DATA + "link/"

    def rename(iri: str) -> str:
        if not iri.startswith(ontology.DATA):
            return iri
        head, _, seg = iri.rpartition("/")
        if iri.startswith(link):
            parts = seg.split("--")
            return head + "/" + "--".join(new.get(x, x) for x in parts) if len(parts) == 3 else iri
        return head + "/" + new[seg] if seg in new else iri

    return rename


def personal_warnings(store: GraphStore, redact: bool = False, limit: int = 10) -> list[str]:
    """:func:`personal_details` as warning lines (at most ``limit``, then how many more), and what to do."""
    from crimekg.graph.pii import summarise

    found = personal_details(store)
    if not found:
        return []
    lines = [f'{compact_iri(s, PREFIXES)} {compact_iri(p, PREFIXES)}: likely {f.kind} "{f.text}"' for s, p, f in found]
    head = (f"likely personal details in {len(found)} place(s) of participants' text: "
            + ("replaced by markers such as [redacted: phone] in the output" if redact
               else "add --redact to replace them with markers such as [redacted: phone] in the output"))
    return summarise(lines, limit) + [head]


def _is_history(g) -> bool:
    return getattr(g, "value", "").startswith(ontology.GRAPH + "history/")


def _is_participant_text(g) -> bool:
    value = getattr(g, "value", "")
    return value.startswith(ontology.GRAPH + "contributions/") or value.startswith(ontology.GRAPH + "history/")


def _is_participant_data(s) -> bool:
    value = getattr(s, "value", "")
    return value.startswith(ontology.DATA) or value.startswith(ontology.SESSION)


def subregions(store: GraphStore) -> dict[str, str]:
    """Each country's UN M49 subregion (IRI to IRI): the level ``place_level="region"`` generalises to.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d, init_store(d + "/ws") as store:
    ...     sub = subregions(store)
    >>> sub["https://w3id.org/crimekg/place/NGA"].rsplit("/", 1)[-1]
    '202'
    """
    region: dict[str, str] = {}
    rows = store.select(
        "SELECT ?c ?r WHERE { ?c a ckg:Country ; skos:broader ?r . ?r a ckg:Region ; ckg:m49 ?code . "
        "FILTER NOT EXISTS { ?r skos:broader/skos:broader/skos:broader ?x } "
        "FILTER EXISTS { ?r skos:broader/skos:broader ?world } }"
    )
    for r in rows:
        region.setdefault(str(r["c"]), str(r["r"]))
    return region
