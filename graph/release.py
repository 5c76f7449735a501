"""``crimekg release DIR``: a folder a researcher can deposit and cite.

The folder holds the data (Turtle, N-Quads and compacted JSON-LD with its ``@context``), the
ontology, concept schemes, places, course plan and shapes each in a file of their own, a VoID and
DCAT description (``void.ttl``), ``CITATION.cff``, a ``README.md`` written from the data, one page
of HTML documentation of the ontology, and ``SHA256SUMS``. It is reproducible: the same workspace
gives the same bytes, release after release. Blank nodes get canonical labels, everything is
sorted, and the only date is the data's own (its latest date), or ``SOURCE_DATE_EPOCH`` when set;
the clock is never read. The ``public`` profile (the default) applies the privacy profile of
:mod:`crimekg.graph.export` to every file, the merge history included.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crimekg import ontology
from crimekg.graph.errors import InvalidInput
from crimekg.graph.export import PLACE_LEVELS, PROFILES, compact_iri, compact_jsonld, export_workspace, json_bytes, profiled_quads
from crimekg.graph.store import PREFIXES, GraphStore, graph_iri, graph_name
from crimekg.graph.terms import DCAT, DCT, OWL, RDF, RDF_TYPE, SD, VOID, XSD

__all__ = ["LICENCES", "ReleaseInfo", "BUNDLED", "release", "release_date", "data_graphs", "compact_jsonld",
           "describe", "described", "release_info", "release_files", "load_release"]

#: Data licences known by SPDX id; any other licence is given as a URL.
LICENCES = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
}

#: The graphs crimekg ships, each written to a file of its own (``meta`` stays out of a release).
BUNDLED = {"ontology": "ontology.ttl", "schemes": "schemes.ttl", "places": "places.ttl",
           "session": "course.ttl", "shapes": "shapes.ttl"}
_SKIP = {"meta", *BUNDLED}


@dataclass
class ReleaseInfo:
    """What a release says about itself: title, description, licence, people and version."""

    title: str = "crimekg knowledge graph"
    description: str | None = None
    licence: str = "CC-BY-4.0"
    creators: list[str] = field(default_factory=list)
    publisher: str | None = None
    version: str = "1.0"
    endpoint: str | None = None

    def licence_iri(self) -> str:
        if self.licence in LICENCES:
            return LICENCES[self.licence]
        if self.licence.startswith(("http://", "https://")):
            return self.licence
        raise InvalidInput(
            f"--licence {self.licence!r}: give an SPDX id ({', '.join(LICENCES)}) or the licence's URL"
        )

    def spdx(self) -> str | None:
        return self.licence if self.licence in LICENCES else next((k for k, v in LICENCES.items() if v == self.licence), None)


def data_graphs(store: GraphStore) -> list[str]:
    """The graphs that make the data of a release: all but crimekg's own (ontology, shapes...)."""
    return [g for g in store.graphs() if graph_name(g) not in _SKIP]


def release_date(store: GraphStore) -> str | None:
    """The release's date: ``SOURCE_DATE_EPOCH`` when set, else the latest date in the data.

    Never the clock, so that the same workspace always gives the same release.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        from crimekg.graph.store import source_date

        return source_date().date().isoformat()
    graphs = data_graphs(store)
    if not graphs:
        return None
    values = " ".join(f"<{g}>" for g in graphs)
    rows = store.select(
        f"SELECT ?d WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s dct:date|dct:issued|dct:modified|prov:generatedAtTime ?d }} }}"
    )
    dates = sorted(str(r["d"])[:10] for r in rows if len(str(r["d"])) >= 10 and str(r["d"])[4] == "-")
    return dates[-1] if dates else None


# ------------------------------------------------------------------------------------------------
# the release


def release(
    store: GraphStore, directory: str | os.PathLike, info: ReleaseInfo | None = None, *,
    profile: str = "public", place_level: str = "country", redact: bool = False,
) -> dict:
    """Write a citable, reproducible release of the workspace into ``directory``.

    ``redact=True`` (public profile) replaces likely e-mail addresses, phone numbers and names in
    participants' text with markers (see :func:`graph.export.export_workspace`).

    Returns the files written (name: size in bytes), the triples per data graph and the date.

    >>> import tempfile, pathlib
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         out = release(store, d + "/rel")
    ...     sorted(out["files"])[:3]
    ['CITATION.cff', 'README.md', 'SHA256SUMS']
    """
    import io

    import pyoxigraph as ox

    info = info or ReleaseInfo()
    if profile not in PROFILES:
        raise InvalidInput(f"unknown profile {profile!r}; use one of: {', '.join(PROFILES)}")
    if place_level not in PLACE_LEVELS:
        raise InvalidInput(f"unknown place level {place_level!r}; use one of: {', '.join(PLACE_LEVELS)}")
    licence = info.licence_iri()
    root = Path(directory)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InvalidInput(f"{root} exists and is not an empty directory; choose another path or remove it")
    present = store.graphs()
    data = data_graphs(store)
    # everything is built in memory first: a failure leaves no half-written release
    files: dict[str, bytes] = {}
    quads = profiled_quads(store, data, profile=profile, place_level=place_level, sort=True, redact=redact) if data else []
    files["data.nq"] = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b""
    files["data.ttl"] = _tidy(ox.serialize(_triples(quads), format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)))
    doc, context = compact_jsonld(quads, PREFIXES)
    files["data.jsonld"] = json_bytes(doc)
    files["context.jsonld"] = json_bytes(context)
    for name, filename in BUNDLED.items():
        if graph_iri(name) in present:
            b = io.BytesIO()
            # crimekg's own vocabularies hold no participant data: no profile to apply
            export_workspace(store, b, "ttl", [graph_iri(name)], profile="full", sort=True)
            files[filename] = b.getvalue()
    date = release_date(store)
    stats = _stats(quads)
    counts = {graph_name(g): n for g, n in stats["graphs"].items()}
    files["ontology.html"] = _ontology_html(store).encode("utf-8")
    files["void.ttl"] = _void(store, info, licence, date, quads, stats, files, profile, place_level)
    files["CITATION.cff"] = _citation(info, date).encode("utf-8")
    files["README.md"] = _readme(info, licence, date, stats, files, profile, place_level).encode("utf-8")
    sums = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))
    files["SHA256SUMS"] = sums.encode("ascii")
    _write_folder(root, files)
    return {"directory": str(root), "files": {n: len(files[n]) for n in sorted(files)}, "graphs": counts, "date": date}


def _write_folder(root: Path, files: dict[str, bytes]) -> None:
    """Write the release's files into a folder beside ``root`` and rename it into place: a stopped
    or failed write (a full disk) leaves no release at all rather than half of one. A folder inside
    a workspace is refused, as every output is."""
    import shutil
    import uuid

    from crimekg.graph.outputs import check_output_folder, new_file_mode

    root.parent.mkdir(parents=True, exist_ok=True)
    check_output_folder(root)
    aside = root.parent / f".{root.name}.{uuid.uuid4().hex[:8]}.part"
    aside.mkdir()
    try:
        for name in sorted(files):
            with open(aside / name, "wb") as f:
                f.write(files[name])
                f.flush()
                os.fsync(f.fileno())
        aside.chmod(new_file_mode(folder=True))  # as a folder made by mkdir would be
        os.replace(aside, root)  # an empty folder at ``root`` is replaced too
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise


def _tidy(data: bytes) -> bytes:
    from crimekg.graph.store import tidy_prefixes

    return tidy_prefixes(data)


def _triples(quads: Sequence[Any]) -> list[Any]:
    import pyoxigraph as ox

    return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))


def _stats(quads: Sequence[Any]) -> dict:
    """Counts read from the release's own quads (so they describe exactly what is published)."""
    import pyoxigraph as ox

    rdf_type = RDF_TYPE
    graphs: dict[str, int] = {}
    types: dict[str, set[str]] = {}
    props: dict[str, dict[str, set[str]]] = {}
    vocab: set[str] = set()
    for q in quads:
        g = getattr(q.graph_name, "value", "")
        graphs[g] = graphs.get(g, 0) + 1
        p = q.predicate.value
        vocab.add(p)
        if p == rdf_type and isinstance(q.object, ox.NamedNode):
            types.setdefault(q.object.value, set()).add(str(q.subject))
            vocab.add(q.object.value)
        elif isinstance(q.object, ox.NamedNode) and p in (ontology.CKG + "category", ontology.CKG + "crimeType"):
            props.setdefault(p, {}).setdefault(q.object.value, set()).add(str(q.subject))
    namespaces = sorted(ns for ns in set(PREFIXES.values())
                        if (ns == ontology.CKG or not ns.startswith(ontology.BASE)) and any(v.startswith(ns) for v in vocab))
    return {"graphs": dict(sorted(graphs.items())), "types": types, "props": props,
            "vocabularies": namespaces, "triples": len(quads)}


def _count(stats: dict, cls: str) -> int:
    return len(stats["types"].get(ontology.CKG + cls, ()))


def _void(store: GraphStore, info: ReleaseInfo, licence: str, date: str | None, quads: Sequence[Any], stats: dict,
          files: dict[str, bytes], profile: str, place_level: str) -> bytes:
    import pyoxigraph as ox

    from crimekg.graph.store import canonical_quads
    from crimekg.graph.terms import slugify

    N = ox.NamedNode

    def L(v: Any, dt: str | None = None, lang: str | None = None) -> Any:
        if lang:
            return ox.Literal(str(v), language=lang)
        return ox.Literal(str(v), datatype=N(dt)) if dt else ox.Literal(str(v))

    base = f"{ontology.BASE}release/{slugify(info.title) or 'crimekg'}/{slugify(info.version) or '1'}"
    ds = N(base)
    out: list[tuple] = []
    dct, dcat, rdf = PREFIXES["dct"], PREFIXES["dcat"], PREFIXES["rdf"]

    def add(s: Any, p: str, o: Any) -> None:
        out.append(ox.Quad(s, N(p), o, ox.DefaultGraph()))

    add(ds, rdf + "type", N(VOID + "Dataset"))
    add(ds, rdf + "type", N(dcat + "Dataset"))
    add(ds, dct + "title", L(info.title, lang="en"))
    add(ds, dct + "description", L(_description(info, stats), lang="en"))
    add(ds, dct + "license", N(licence))
    for c in info.creators:
        add(ds, dct + "creator", L(c))
    if info.publisher:
        add(ds, dct + "publisher", L(info.publisher))
    if date:
        add(ds, dct + "issued", L(date, XSD + "date"))
        add(ds, dct + "modified", L(date, XSD + "date"))
    add(ds, dcat + "version", L(info.version))
    add(ds, PREFIXES["owl"] + "versionInfo", L(info.version))
    add(ds, dct + "conformsTo", N(ontology.BASE + "ontology"))
    add(ds, PREFIXES["rdfs"] + "comment", L("export profile: " + (profile if profile == "full" else f"{profile} (places at {place_level} level)"), lang="en"))
    add(ds, VOID + "triples", L(stats["triples"], XSD + "integer"))
    for ns in stats["vocabularies"]:
        add(ds, VOID + "vocabulary", N(ns))
    for cls in ("Factor", "FactorLink", "Session"):
        for ex in sorted(stats["types"].get(ontology.CKG + cls, ()))[:2]:
            add(ds, VOID + "exampleResource", N(ex.strip("<>")))
    if info.endpoint:
        add(ds, VOID + "sparqlEndpoint", N(info.endpoint))
    for name in sorted(files):
        dist = N(f"{base}/file/{name}")
        add(ds, dcat + "distribution", dist)
        add(dist, rdf + "type", N(dcat + "Distribution"))
        add(dist, dct + "title", L(name))
        add(dist, dcat + "byteSize", L(len(files[name]), XSD + "integer"))
        add(dist, dct + "identifier", L("sha256:" + hashlib.sha256(files[name]).hexdigest()))
        add(dist, dcat + "mediaType", L(_MEDIA.get(Path(name).suffix, "text/plain")))
    # one subset per graph, with its size and where it came from (sessions; imports with the SHA-256 of the file)
    origin = _origins(store)
    for g, n in stats["graphs"].items():
        sub = N(f"{base}/graph/{graph_name(g)}")
        add(ds, VOID + "subset", sub)
        add(sub, rdf + "type", N(VOID + "Dataset"))
        add(sub, SD + "name", N(g))
        add(sub, VOID + "triples", L(n, XSD + "integer"))
        for p, o in origin.get(g, ()):
            add(sub, p, o)
    for s, p, o in origin.get("", ()):  # the import activities and files: terms already
        out.append(ox.Quad(s, p, o, ox.DefaultGraph()))
    data = ox.serialize(canonical_quads(out, sort=True), format=ox.RdfFormat.TURTLE,
                        prefixes={**PREFIXES, "void": VOID, "sd": SD})
    return _tidy(data)


_MEDIA = {".ttl": "text/turtle", ".nq": "application/n-quads", ".jsonld": "application/ld+json",
          ".html": "text/html", ".md": "text/markdown", ".cff": "application/x-yaml"}


def _origins(store: GraphStore) -> dict[str, list]:
    """Where each data graph came from: the import activity and file (with its SHA-256), or its session."""
    import pyoxigraph as ox

    from crimekg.graph.store import to_oxigraph_term

    out: dict[str, list] = {}
    prov, dct = PREFIXES["prov"], PREFIXES["dct"]
    rows = store.select(
        "SELECT ?g ?act ?dist ?id ?file ?src ?v WHERE { GRAPH ?g { ?g prov:wasGeneratedBy ?act . "
        "?act prov:used ?dist . ?dist dct:identifier ?id ; dct:title ?file . "
        "OPTIONAL { ?g prov:wasDerivedFrom ?src } OPTIONAL { ?act ckg:importerVersion ?v } } }"
    )
    for r in rows:
        g = str(r["g"])
        act, dist = to_oxigraph_term(r["act"]), to_oxigraph_term(r["dist"])
        out.setdefault(g, []).append((prov + "wasGeneratedBy", act))
        if "src" in r:
            out[g].append((prov + "wasDerivedFrom", to_oxigraph_term(r["src"])))
        extra = out.setdefault("", [])
        extra += [(act, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(prov + "Activity")),
                  (act, ox.NamedNode(prov + "used"), dist),
                  (dist, ox.NamedNode(dct + "identifier"), ox.Literal(str(r["id"]))),
                  (dist, ox.NamedNode(dct + "title"), ox.Literal(str(r["file"])))]
        if "v" in r:
            extra.append((act, ox.NamedNode(ontology.CKG + "importerVersion"), ox.Literal(str(r["v"]))))
    for r in store.select("SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s a ckg:Session } }"):
        out.setdefault(str(r["g"]), []).append((prov + "wasGeneratedBy", ox.NamedNode(str(r["s"]))))
    return out


def _description(info: ReleaseInfo, stats: dict) -> str:
    if info.description:
        return info.description
    return (f"A knowledge graph of the factors behind trafficking in persons and smuggling of migrants: "
            f"{_count(stats, 'Session')} session(s), {_count(stats, 'Contribution')} contribution(s), "
            f"{_count(stats, 'Factor')} factor(s) and {_count(stats, 'FactorLink')} link(s) between them, "
            f"in {len(stats['graphs'])} named graph(s).")


def _citation(info: ReleaseInfo, date: str | None) -> str:
    q = lambda v: json.dumps(v, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    lines = ["cff-version: 1.2.0", 'message: "If you use this dataset, please cite it as below."', "type: dataset",
             f"title: {q(info.title)}", f"version: {q(info.version)}"]
    if date:
        lines.append(f"date-released: {q(date)}")
    spdx = info.spdx()
    lines.append(f"license: {q(spdx)}" if spdx else f"license-url: {q(info.licence_iri())}")
    lines.append("authors:")
    for c in info.creators or [info.publisher or "crimekg contributors"]:
        lines.append(f"  - name: {q(c)}")
    lines.append(f"abstract: {q(info.description or 'A knowledge graph of the factors behind trafficking in persons and smuggling of migrants.')}")
    lines.append('keywords: ["trafficking in persons", "smuggling of migrants", "knowledge graph", "RDF"]')
    return "\n".join(lines) + "\n"


def _readme(info: ReleaseInfo, licence: str, date: str | None, stats: dict, files: dict[str, bytes], profile: str,
            place_level: str) -> str:
    def md(text: str) -> str:
        return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in str(text))

    lines = [f"# {md(info.title)}", "", md(_description(info, stats)), ""]
    lines += [f"- Version: {md(info.version)}", f"- Date: {date or 'not given'}", f"- Licence: {md(info.licence)} ({licence})"]
    if info.creators:
        lines.append(f"- Creators: {md('; '.join(info.creators))}")
    if info.publisher:
        lines.append(f"- Publisher: {md(info.publisher)}")
    lines.append(f"- Profile: {profile}" + ("" if profile == "full" else
                 f" (no participants, contributor codes, groups, times or local places; places at {place_level} level)"))
    lines += ["", "## Contents", "", "| what | how many |", "|---|---|"]
    for cls, what in (("Session", "sessions"), ("Contribution", "contributions"), ("Factor", "factors"), ("FactorLink", "links")):
        lines.append(f"| {what} | {_count(stats, cls)} |")
    lines += ["", "Factors per category and crime type:", "", "| concept | factors |", "|---|---|"]
    for p in (ontology.CKG + "category", ontology.CKG + "crimeType"):
        for concept, subjects in sorted(stats["props"].get(p, {}).items()):
            n = len([s for s in subjects if s in stats["types"].get(ontology.CKG + "Factor", set())])
            if n:
                lines.append(f"| {md(concept.rsplit('/', 2)[-2] + '/' + concept.rsplit('/', 1)[-1])} | {n} |")
    lines += ["", "Triples per named graph:", "", "| graph | triples |", "|---|---|"]
    for g, n in stats["graphs"].items():
        lines.append(f"| {md(graph_name(g))} | {n} |")
    lines += ["", "## Files", "", "| file | bytes |", "|---|---|"]
    for name in sorted(files):
        lines.append(f"| {md(name)} | {len(files[name])} |")
    lines += ["", "`data.ttl` holds the union of the data graphs; `data.nq` and `data.jsonld` keep each graph's name. "
              "`ontology.ttl`, `schemes.ttl`, `places.ttl`, `course.ttl` and `shapes.ttl` are the vocabularies "
              "and shapes the data uses; `void.ttl` describes the release (VoID and DCAT); `ontology.html` documents "
              "the ontology. Check the files with `sha256sum -c SHA256SUMS`; load them into a crimekg workspace with "
              "`crimekg load data.nq`.", "", "## Citation", "", "See `CITATION.cff`.", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# ontology documentation


def _ontology_html(store: GraphStore) -> str:
    """One offline page: the ontology's classes and properties, and the concept schemes with their concepts."""
    e = html.escape
    onto = graph_iri("ontology")
    present = store.graphs()
    head = {}
    if onto in present:
        for r in store.select(f"SELECT ?p ?o WHERE {{ GRAPH <{onto}> {{ ?o0 a owl:Ontology ; ?p ?o }} }} ORDER BY ?p ?o".replace("?o0", f"<{ontology.BASE}ontology>")):
            head.setdefault(str(r["p"]), []).append(str(r["o"]))
    terms = store.select(
        f"SELECT ?t ?kind ?label ?def ?comment WHERE {{ GRAPH <{onto}> {{ ?t a ?kind . "
        "VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty } "
        "OPTIONAL { ?t rdfs:label ?label FILTER(LANG(?label) IN (\"en\", \"\")) } "
        "OPTIONAL { ?t skos:definition ?def FILTER(LANG(?def) IN (\"en\", \"\")) } "
        "OPTIONAL { ?t rdfs:comment ?comment FILTER(LANG(?comment) IN (\"en\", \"\")) } } } ORDER BY ?kind ?t"
    ) if onto in present else []
    concepts = store.select(
        "SELECT ?scheme ?stitle ?c ?label ?def WHERE { GRAPH ?g { ?c skos:inScheme ?scheme ; skos:prefLabel ?label . "
        "FILTER(LANG(?label) IN (\"en\", \"\")) OPTIONAL { ?c skos:definition ?def FILTER(LANG(?def) IN (\"en\", \"\")) } } "
        "GRAPH ?g { ?scheme a skos:ConceptScheme OPTIONAL { ?scheme skos:prefLabel|dct:title ?stitle FILTER(LANG(?stitle) IN (\"en\", \"\")) } } "
        f"FILTER(?g = <{graph_iri('schemes')}>) }} ORDER BY ?scheme ?c"
    ) if graph_iri("schemes") in present else []
    kinds = {OWL + "Class": "Classes", OWL + "ObjectProperty": "Object properties",
             OWL + "DatatypeProperty": "Datatype properties",
             OWL + "AnnotationProperty": "Annotation properties"}
    title = (head.get(PREFIXES["dct"] + "title") or ["crimekg ontology"])[0]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{e(title)}</title>",
           "<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
           "dt{font-weight:bold;margin-top:1em}code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}</style>",
           "</head><body>", f"<h1>{e(title)}</h1>", "<table>"]
    for p, values in head.items():
        out.append(f"<tr><th>{e(compact_iri(p, PREFIXES))}</th><td>{'<br>'.join(e(v) for v in values)}</td></tr>")
    out.append("</table>")
    seen: dict[str, dict] = {}
    for r in terms:
        t = seen.setdefault(str(r["t"]), {"kind": str(r["kind"]), "label": "", "def": ""})
        t["label"] = t["label"] or str(r.get("label", ""))
        t["def"] = t["def"] or str(r.get("def", "") or r.get("comment", ""))
    for kind, heading in kinds.items():
        items = [(iri, t) for iri, t in seen.items() if t["kind"] == kind]
        if not items:
            continue
        out.append(f"<h2>{e(heading)} ({len(items)})</h2><dl>")
        for iri, t in items:
            anchor = e(iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
            out.append(f'<dt id="{anchor}"><code>{e(compact_iri(iri, PREFIXES))}</code> {e(t["label"])}</dt><dd>{e(t["def"])}</dd>')
        out.append("</dl>")
    if concepts:
        out.append("<h2>Concept schemes</h2>")
        current = None
        done = set()
        for r in concepts:
            if (str(r["scheme"]), str(r["c"])) in done:
                continue
            done.add((str(r["scheme"]), str(r["c"])))
            if str(r["scheme"]) != current:
                if current is not None:
                    out.append("</dl>")
                current = str(r["scheme"])
                out.append(f"<h3><code>{e(compact_iri(current, PREFIXES))}</code> {e(str(r.get('stitle', '')))}</h3><dl>")
            out.append(f"<dt><code>{e(compact_iri(str(r['c']), PREFIXES))}</code> {e(str(r['label']))}</dt><dd>{e(str(r.get('def', '')))}</dd>")
        out.append("</dl>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------
# release metadata kept in the workspace (the meta graph, as DCAT/DCT terms)

_DESCRIBED = "#release"  # appended to the meta graph's IRI: the data set the workspace describes
_FIELDS = {"title": DCT + "title", "description": DCT + "description", "licence": DCT + "license",
           "publisher": DCT + "publisher", "version": DCAT + "version", "endpoint": VOID + "sparqlEndpoint"}
_IRI_FIELDS = {"licence", "endpoint"}
_CREATOR = DCT + "creator"


def described(store: GraphStore) -> dict[str, Any]:
    """The release metadata set in the workspace (``crimekg describe``): only the fields set.

    ``creators`` is a list in the order given; the other fields are strings.
    """
    from crimekg.graph.store import META

    node = META + _DESCRIBED
    rows = store.select(f"SELECT ?p ?o WHERE {{ GRAPH <{META}> {{ <{node}> ?p ?o }} }}")
    by_p = {v: k for k, v in _FIELDS.items()}
    out: dict[str, Any] = {}
    creators = []
    for r in rows:
        p, o = str(r["p"]), str(r["o"])
        if p in by_p:
            out[by_p[p]] = o
        elif p.startswith(RDF_NS_MEMBER):
            creators.append((int(p[len(RDF_NS_MEMBER):]), o))
    if "licence" in out:
        out["licence"] = next((k for k, v in LICENCES.items() if v == out["licence"]), out["licence"])
    if creators:
        out["creators"] = [c for _i, c in sorted(creators)]
    order = ["title", "description", "licence", "creators", "publisher", "version", "endpoint"]
    return {k: out[k] for k in order if k in out}


RDF_NS_MEMBER = RDF + "_"


def describe(store: GraphStore, **fields: Any) -> dict[str, Any]:
    """Set release metadata in the workspace; a field given replaces the one stored (``creators``
    replaces the whole list; an empty string or list clears a field). Returns what is then set.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws", with_ontology=False) as store:
    ...         _ = describe(store, title="人身取引の要因", creators=["山田 花子", "José Pérez"])
    ...         described(store)
    {'title': '人身取引の要因', 'creators': ['山田 花子', 'José Pérez']}
    """
    import rdflib

    from crimekg.graph.store import META, Changeset

    unknown = set(fields) - set(_FIELDS) - {"creators"}
    if unknown:
        raise InvalidInput(f"unknown release field(s): {', '.join(sorted(unknown))}; use {', '.join([*_FIELDS, 'creators'])}")
    current = described(store)
    for k, v in fields.items():
        if v is None:
            continue
        if k == "creators":
            v = [c.strip() for c in v if c and c.strip()]
        elif isinstance(v, str):
            v = v.strip()
        if v:
            current[k] = list(v) if k == "creators" else v
        else:
            current.pop(k, None)
    if "licence" in current:
        ReleaseInfo(licence=current["licence"]).licence_iri()  # a bad licence is refused before anything is stored
    for k in _IRI_FIELDS - {"licence"}:
        if k in current and not current[k].startswith(("http://", "https://")):
            raise InvalidInput(f"--{k} {current[k]!r}: give a URL starting with http:// or https://")
    node = rdflib.URIRef(META + _DESCRIBED)
    meta = store.graph_triples(META)
    kept = [t for t in meta if t[0] != node]
    new = [(node, rdflib.RDF.type, rdflib.URIRef(DCAT + "Dataset"))]
    for k, p in _FIELDS.items():
        if k not in current:
            continue
        v = current[k]
        if k == "licence":
            obj = rdflib.URIRef(ReleaseInfo(licence=v).licence_iri())
        elif k in _IRI_FIELDS:
            obj = rdflib.URIRef(v)
        else:
            obj = rdflib.Literal(v)
        new.append((node, rdflib.URIRef(p), obj))
    for i, c in enumerate(current.get("creators", []), 1):
        new.append((node, rdflib.URIRef(f"{RDF_NS_MEMBER}{i}"), rdflib.Literal(c)))
    changes = Changeset()
    changes.replace_graph(META, kept + new)
    store.write(changes)
    return described(store)


def release_info(store: GraphStore, **given: Any) -> ReleaseInfo:
    """The :class:`ReleaseInfo` of a release: the options given (not None) win over what
    ``describe`` set in the workspace, which wins over the defaults."""
    values = {**described(store), **{k: v for k, v in given.items() if v is not None and v != () and v != []}}
    if "creators" in values:
        values["creators"] = list(values["creators"])
    return ReleaseInfo(**values)


# ------------------------------------------------------------------------------------------------
# loading a release folder back


def release_files(directory: str | os.PathLike) -> list[tuple[Path, str | None]]:
    """The files of a release folder to load, each with its graph (None: the N-Quads name theirs).

    ``SHA256SUMS`` is checked first: a missing or changed file is refused, naming it.
    """
    root = Path(directory)
    sums = root / "SHA256SUMS"
    if not sums.is_file() or not (root / "data.nq").is_file():
        raise InvalidInput(f"{root}: not a release folder (no SHA256SUMS and data.nq); "
                           "give a folder `crimekg release` wrote, or load its files one by one")
    listed = {}
    for n, line in enumerate(sums.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name or "/" in name or name.startswith("."):
            raise InvalidInput(f"{sums}, line {n}: not a checksum line (\"<sha256>  <file>\"); the release is damaged")
        listed[name] = digest.lower()
    for name in ("data.nq", *BUNDLED.values()):
        if name not in listed and (root / name).exists():
            raise InvalidInput(f"{root / name}: not listed in SHA256SUMS; the release is damaged or was edited")
    for name, digest in sorted(listed.items()):
        path = root / name
        if not path.is_file():
            raise InvalidInput(f"{path}: missing (listed in SHA256SUMS); the release is incomplete, nothing was stored")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise InvalidInput(f"{path}: SHA-256 differs from SHA256SUMS (the file changed since the release); nothing was stored")
    if "data.nq" not in listed:
        raise InvalidInput(f"{sums}: does not list data.nq; not a release folder")
    out: list[tuple[Path, str | None]] = [(root / "data.nq", None)]
    out += [(root / f, graph_iri(g)) for g, f in BUNDLED.items() if f in listed]
    return out


def load_release(store: GraphStore, directory: str | os.PathLike) -> dict[str, int]:
    """Load a release folder: its data into the graphs ``data.nq`` names, its ontology, schemes,
    places, course plan and shapes into crimekg's graphs of those names, all or nothing.

    Returns the triples loaded per graph. The checksums are checked before anything is read.
    """
    import tempfile

    import pyoxigraph as ox

    from crimekg.graph.store import RESERVED

    files = release_files(directory)
    quads: list[Any] = []
    for path, graph in files:
        try:
            if graph is None:
                for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
                    if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in RESERVED:
                        raise InvalidInput(f"{path}: names crimekg's graph {graph_name(q.graph_name.value)!r}, "
                                           "which a release keeps in a file of its own; nothing was stored")
                    quads.append(q)
            else:
                g = ox.NamedNode(graph)
                quads += [ox.Quad(t.subject, t.predicate, t.object, g) for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        except SyntaxError as exc:
            raise InvalidInput(f"{path}: not valid RDF ({exc}); nothing was stored") from None
    with tempfile.TemporaryDirectory(prefix="crimekg-release-") as tmp:
        combined = Path(tmp) / "release.nq"
        combined.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b"")
        return store.load([combined], force=True)
