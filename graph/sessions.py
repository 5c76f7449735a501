"""Sessions: the workshop runs that contributions belong to.

A session is ``https://w3id.org/crimekg/session/{id}``, described in its contributions graph
``contributions/{id}`` (title, date, place, the session plan it follows). Commands that take
``--session`` find it here (:func:`find_session`: the one given, or the only one there is), and
``crimekg session new`` / ``crimekg session list`` describe and list them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rdflib import RDF, XSD, Literal, URIRef

from crimekg import ontology
from crimekg.graph.contributions import CKG, DCT, IDENTIFIER, PROV, SESSION_PLAN, Vocabulary
from crimekg.graph.errors import InvalidInput
from crimekg.graph.sheets import Problem
from crimekg.graph.store import Changeset, GraphStore, graph_iri
from crimekg.graph.terms import contribution_iri, session_iri

__all__ = ["check_session_id", "check_code_pattern", "NAME_LIKE_CODES", "find_session", "find_contributions", "session_info", "session_changeset", "list_sessions"]


def check_session_id(session_id: str) -> None:
    """Refuse a session id that cannot be part of an IRI."""
    if not IDENTIFIER.match(session_id or ""):
        raise InvalidInput(
            f"session id {session_id!r} is not usable in an IRI: use letters, digits, '.', '_' or '-' "
            "(at most 64), e.g. unafei-172-2026"
        )


#: Contributor "codes" that are names: a session's code pattern may accept none of them.
NAME_LIKE_CODES = ("JohnSmith", "Maria.Garcia", "Kofi_Mensah", "Smith", "maria", "Иван", "محمد", "田中", "王小明", "สมชาย")


def check_code_pattern(pattern: str) -> None:
    r"""Refuse a contributor-code pattern that is not a regular expression, or that accepts a name.

    A code must match the whole pattern. A pattern that would accept any of
    :data:`NAME_LIKE_CODES` (``JohnSmith``, ``Maria.Garcia``...) is refused rather than warned about:
    the pattern is what keeps names out of the workspace.

    >>> check_code_pattern(r"^P\d{2}$")
    >>> check_code_pattern(r"[A-Za-z._]+")
    Traceback (most recent call last):
    ...
    crimekg.graph.errors.InvalidInput: --code-pattern '[A-Za-z._]+' accepts "JohnSmith", which is a name: a contributor code is a pseudonym such as P07; write a narrower pattern such as '^P\d{2}$' (P00 to P99)
    """
    import re

    hint = r"such as '^P\d{2}$' (P00 to P99)"
    if not pattern.strip():
        raise InvalidInput(f"--code-pattern is empty; give a regular expression that codes match, {hint}")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(f"--code-pattern {pattern!r} is not a regular expression ({exc}); write one {hint}") from exc
    for name in NAME_LIKE_CODES:
        if compiled.fullmatch(name):
            raise InvalidInput(f'--code-pattern {pattern!r} accepts "{name}", which is a name: a contributor code is a '
                               f"pseudonym such as P07; write a narrower pattern {hint}")


def find_session(store: GraphStore, session_id: str | None) -> str | None:
    """The session to use: the one given, or the only session in the workspace (else None)."""
    if session_id:
        check_session_id(session_id)
        return session_id
    rows = store.select("SELECT DISTINCT ?s WHERE { ?s a ckg:Session }")
    ids = sorted(str(r["s"])[len(ontology.SESSION):] for r in rows if str(r["s"]).startswith(ontology.SESSION))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise InvalidInput("no session given: add --session ID (e.g. --session unafei-172-2026); it is created if new")
    raise InvalidInput(f"several sessions in the workspace ({', '.join(ids)}); choose one with --session")


def find_contributions(store: GraphStore | None, names: Sequence[str], session_id: str | None = None) -> list[URIRef]:
    """The contributions ``names`` means: IRIs, or ids in ``session_id`` (the only session when not given).

    >>> find_contributions(None, ["https://w3id.org/crimekg/data/contribution/s1/2a-01"])
    [rdflib.term.URIRef('https://w3id.org/crimekg/data/contribution/s1/2a-01')]
    """
    sid = find_session(store, session_id) if any(":" not in n for n in names) else None
    return [URIRef(n) if ":" in n else contribution_iri(sid, n) for n in names]


def session_info(store: GraphStore, session_id: str) -> dict | None:
    """The session's title, date and start time, or ``None`` when there is no such session."""
    rows = store.select(
        "SELECT ?s ?title ?date ?start WHERE { ?s a ckg:Session . OPTIONAL { ?s dct:title ?title } "
        "OPTIONAL { ?s dct:date ?date } OPTIONAL { ?s prov:startedAtTime ?start } }",
        {"s": session_iri(session_id)},
    )
    if not rows:
        return None
    r = rows[0]
    d = r.get("date")
    return {"title": str(r.get("title", "")), "date": d.toPython() if d is not None and isinstance(d.toPython(), date) else None, "start": r.get("start")}


def session_changeset(
    store: GraphStore, session_id: str, *, title: str | None = None, on: str | None = None,
    place: str | None = None, local_place: str | None = None, code_pattern: str | None = None,
) -> Changeset:
    """Describe a session (new, or replace the description of an existing one) as a changeset.

    The session node goes into its contributions graph, ``contributions/{session_id}``.
    ``code_pattern`` is the regular expression its contributor codes must match whole
    (``ckg:contributorCodePattern``; checked by :func:`check_code_pattern`); without it the
    session accepts the default codes (P07, AB12). Replacing a description replaces the pattern.
    """
    check_session_id(session_id)
    if code_pattern is not None:
        check_code_pattern(code_pattern)
    vocab = Vocabulary.from_store(store)
    s = session_iri(session_id)
    triples = [(s, RDF.type, CKG.Session), (s, RDF.type, PROV.Activity), (s, DCT.title, Literal(title or f"Session {session_id}")),
               (s, CKG.followsPlan, SESSION_PLAN)]
    if on:
        try:
            d = date.fromisoformat(on)
        except ValueError as exc:
            raise InvalidInput(f"--date {on!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-17") from exc
        triples.append((s, DCT.date, Literal(d.isoformat(), datatype=XSD.date)))
    if place:
        problems: list[Problem] = []
        iris = vocab.parse("place", "place", place, 0, problems)
        if problems:
            raise InvalidInput(f"--place: {problems[0].message}")
        triples += [(s, CKG.place, p) for p in iris]
    if local_place:
        triples.append((s, CKG.localPlace, Literal(local_place)))
    if code_pattern is not None:
        triples.append((s, CKG.contributorCodePattern, Literal(code_pattern)))
    g_iri = graph_iri("contributions/" + session_id)
    changes = Changeset()
    if g_iri in store.graphs():
        g = store.graph_triples(g_iri)
        for t in list(g.triples((s, None, None))):
            g.remove(t)
        for t in triples:
            g.add(t)
        changes.replace_graph(g_iri, g)
    else:
        changes.add_triples(g_iri, triples)
    return changes


def list_sessions(store: GraphStore) -> list[dict]:
    """Every session with its title, date and numbers of contributions and participants.

    >>> import tempfile
    >>> from crimekg.graph.store import init_store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with init_store(d + "/ws") as store:
    ...         store.write(session_changeset(store, "s1", title="Morning", on="2026-03-17"))
    ...         rows = list_sessions(store)
    >>> [(r["id"], r["title"], r["date"], r["contributions"]) for r in rows]
    [('s1', 'Morning', '2026-03-17', 0)]
    """
    rows = store.select(
        "SELECT ?s ?title ?date (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?p) AS ?people) WHERE { "
        "?s a ckg:Session . OPTIONAL { ?s dct:title ?title } OPTIONAL { ?s dct:date ?date } "
        "OPTIONAL { ?c a ckg:Contribution ; prov:wasGeneratedBy ?s . OPTIONAL { ?c prov:wasAttributedTo ?p } } "
        "} GROUP BY ?s ?title ?date ORDER BY ?s"
    )
    out = []
    for r in rows:
        sid = str(r["s"])
        out.append({
            "id": sid[len(ontology.SESSION):] if sid.startswith(ontology.SESSION) else sid,
            "title": str(r.get("title", "")),
            "date": str(r.get("date", "")),
            "contributions": int(r["n"]),
            "participants": int(r["people"]),
        })
    return out
