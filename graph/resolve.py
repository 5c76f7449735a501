"""What a user's word means: one "did you mean" and one resolver for concepts, places, factors and sessions.

Every command that takes a category, crime type, actor, level or place resolves it here, so the
same word means the same thing everywhere: a slug, an IRI, a preferred or alternative label in any
language the schemes carry, a notation (``TIP``, ``SOM``), case- and accent-insensitive; a place
by ISO3 or ISO2 code, M49 code, or a name in any language the places graph carries. A factor is
named by its IRI or ``factor:slug``, its slug, a preferred or alternative label in any language,
an unambiguous prefix of one (case- and accent-insensitive, any script) or, within a session, the
id of a contribution it comes from (:func:`match_factor`, :meth:`Words.factor`). A session is
named by its id, IRI, ``session:id`` or title (:meth:`Words.session`).

Concept words come from :class:`crimekg.graph.contributions.Vocabulary` and place words from
:class:`crimekg.graph.evidence.Places`; this module only puts them behind one door.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from crimekg import ontology
from crimekg.graph.errors import InvalidInput, UnknownFactor

CONCEPT_KINDS = ("category", "crime", "actor", "level")
KINDS = (*CONCEPT_KINDS, "place", "factor", "session")

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FACTOR_BASE = ontology.DATA + "factor/"
_SESSION_BASE = ontology.SESSION
_FACTOR_LABELS = """SELECT ?f ?pref ?l WHERE {
  ?f a ckg:Factor ; skos:prefLabel ?pref . { ?f skos:prefLabel ?l } UNION { ?f skos:altLabel ?l } }"""
_SESSIONS = "SELECT ?s ?title WHERE { ?s a ckg:Session . OPTIONAL { ?s dct:title ?title } }"


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The (at most ``n``) choices closest to ``word``, best first, compared case- and accent-insensitively.

    >>> did_you_mean("enabeling", ["concealment", "enabling", "impunity", "profiting"])
    ['enabling']
    >>> did_you_mean("zzz", ["enabling"])
    []
    """
    from rapidfuzz import fuzz, process

    from crimekg.graph.contributions import normalize

    choices = list(dict.fromkeys(c for c in choices if c))
    if not (word or "").strip() or not choices:
        return []
    out: dict[str, str] = {}
    for h in process.extract(word, choices, scorer=fuzz.WRatio, processor=normalize, limit=n * 3, score_cutoff=70):
        out.setdefault(normalize(h[0]), h[0])  # "enabling" and "Enabling" are one suggestion
    return list(out.values())[:n]


def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def match_factor(word: str, factors: Mapping[str, tuple[str, Sequence[str]]], *, where: str = "in the workspace") -> str:
    """The factor ``word`` names among ``factors`` (IRI -> (display label, every label)).

    In this order: the IRI (``<...>`` too) or ``factor:slug``; the slug (case-insensitive); a
    label, preferred or alternative, in any language, compared case- and accent-insensitively;
    an unambiguous prefix of a label. Several factors with that label, or with labels starting
    so, are refused with the candidates listed; no match with the closest names.

    >>> F = {_FACTOR_BASE + "rare-convictions": ("Rare convictions", ["Rare convictions", "有罪判決が少ない", "Nobody goes to prison"]),
    ...      _FACTOR_BASE + "rare-raids": ("Rare raids", ["Rare raids"])}
    >>> [_tail(match_factor(w, F)) for w in ("factor:rare-convictions", "RARE CONVICTIONS", "有罪判決", "nobody goes", "rare c")]
    ['rare-convictions', 'rare-convictions', 'rare-convictions', 'rare-convictions', 'rare-convictions']
    >>> match_factor("rare", F)
    Traceback (most recent call last):
    crimekg.graph.errors.InvalidInput: "rare" names 2 factors: "Rare convictions" <https://w3id.org/crimekg/data/factor/rare-convictions>; "Rare raids" <https://w3id.org/crimekg/data/factor/rare-raids>; give more of the label or the IRI
    """
    from crimekg.graph.contributions import normalize

    name = (word or "").strip()
    text = name[1:-1] if name.startswith("<") and name.endswith(">") else name
    candidates = [text]
    if text.startswith("factor:"):
        candidates.append(_FACTOR_BASE + text[len("factor:"):])
    if _SLUG.match(text):
        candidates.append(_FACTOR_BASE + text)
    for c in candidates:
        if c in factors:
            return c
    if _SLUG.match(text):
        by_slug = [f for f in factors if _tail(f).casefold() == text.casefold()]
        if len(by_slug) == 1:
            return by_slug[0]
    norm = normalize(name)
    exact = sorted({f for f, (_, labels) in factors.items() if any(normalize(x) == norm for x in labels)})
    found = exact or (sorted({f for f, (_, labels) in factors.items() if any(normalize(x).startswith(norm) for x in labels)}) if norm else [])
    if len(found) == 1:
        return found[0]
    if found:
        listed = "; ".join(f'"{factors[f][0]}" <{f}>' for f in found[:8])
        more = f" (and {len(found) - 8} more)" if len(found) > 8 else ""
        raise InvalidInput(f'"{name}" names {len(found)} factors: {listed}{more}; give more of the label or the IRI')
    names = {_tail(f): f for f in factors} | {x: f for f, (_, labels) in factors.items() for x in labels}
    close = did_you_mean(text, list(names))
    hint = f" Did you mean: {', '.join(dict.fromkeys(_tail(names[c]) for c in close))}?" if close else ""
    raise UnknownFactor(f"no factor {name!r} {where}.{hint} `crimekg query factors-by-category` lists them.")


class Words:
    """The concept, place, factor and session words of one workspace, each read once when first needed."""

    def __init__(self, store) -> None:
        self._store = store
        self._vocab = None
        self._places = None
        self._factors = None
        self._sessions = None

    @property
    def vocab(self):
        if self._vocab is None:
            from crimekg.graph.contributions import Vocabulary

            self._vocab = Vocabulary.from_store(self._store)
        return self._vocab

    @property
    def places(self):
        if self._places is None and self._vocab is not None:
            self._places = self._vocab.places  # the vocabulary, once read, already holds them
        if self._places is None:
            from crimekg.graph.evidence import Places

            self._places = Places.from_store(self._store)
        return self._places

    @property
    def factors(self) -> dict[str, tuple[str, list[str]]]:
        """Every factor: IRI -> (display label, every preferred and alternative label)."""
        if self._factors is None:
            table: dict[str, tuple[str, list[str]]] = {}
            for r in self._store.select(_FACTOR_LABELS):
                pref = r["pref"]
                iri = str(r["f"])
                shown, labels = table.get(iri, (str(pref), []))
                if getattr(pref, "language", None) in (None, "en"):
                    shown = str(pref)
                labels.append(str(r["l"]))
                table[iri] = (shown, labels)
            self._factors = table
        return self._factors

    def factor(self, word: str, session: str | None = None, *, where: str = "in the workspace") -> str:
        """The factor ``word`` names (see :func:`match_factor`), or raise; ``session`` allows contribution ids.

        Raises :class:`~crimekg.graph.errors.UnknownFactor` when nothing matches and
        :class:`~crimekg.graph.errors.InvalidInput` when several factors do.
        """
        text = (word or "").strip()
        if session and _SLUG.match(text) and text not in self.factors and _FACTOR_BASE + text not in self.factors:
            import rdflib

            from crimekg.graph.terms import contribution_iri

            hits = self._store.select("SELECT ?f ?c WHERE { ?f a ckg:Factor ; prov:wasDerivedFrom ?c }",
                                      {"c": rdflib.URIRef(contribution_iri(session, text))})
            if hits:
                return str(hits[0]["f"])
        return match_factor(text, self.factors, where=where)

    @property
    def sessions(self) -> dict[str, str]:
        """Every session: IRI -> title (or its id when it has none)."""
        if self._sessions is None:
            self._sessions = {str(r["s"]): str(r.get("title", _tail(str(r["s"])))) for r in self._store.select(_SESSIONS)}
        return self._sessions

    def session(self, word: str) -> str | None:
        """The session ``word`` names: its id, IRI, ``session:id`` or title (case- and accent-insensitive), or ``None``."""
        from crimekg.graph.contributions import normalize

        text = (word or "").strip().strip("<>")
        if not text:
            return None
        if text.startswith("session:"):
            text = text[len("session:"):]
        for iri in (text, _SESSION_BASE + text):
            if iri in self.sessions:
                return iri
        titled = [i for i, t in self.sessions.items() if normalize(t) == normalize(text)]
        return titled[0] if len(titled) == 1 else None

    def resolve(self, kind: str, word: str) -> str | None:
        """The IRI ``word`` means as a ``kind`` (one of :data:`KINDS`), or ``None``."""
        if kind == "place":
            return self.place(word)
        if kind == "session":
            return self.session(word)
        if kind == "factor":
            try:
                return self.factor(word)
            except (InvalidInput, UnknownFactor):
                return None
        if kind not in CONCEPT_KINDS:
            raise ValueError(f"unknown kind of word {kind!r}; use one of {', '.join(KINDS)}")
        return self.concept(kind, word)

    def concept(self, scheme: str, word: str) -> str | None:
        """The concept of scheme ``scheme`` that ``word`` names (slug, IRI, label or notation), or ``None``."""
        text = (word or "").strip().strip("<>")
        if not text:
            return None
        known = {str(i) for i in self.vocab.names.get(scheme, {})}
        base = f"{ontology.CONCEPT}{scheme}/"
        for iri in (text, base + text, base + text.split(":", 1)[-1] if text.startswith(scheme + ":") else ""):
            if iri and iri in known:
                return str(iri)
        hit = self.vocab.words.get(scheme, {}) and self.vocab.match(scheme, text)
        return str(hit) if hit else None

    def place(self, word: str) -> str | None:
        """The country or M49 region ``word`` names (ISO3, ISO2, M49 code, IRI or name in any language), or ``None``."""
        text = (word or "").strip().strip("<>")
        if not text:
            return None
        known = {str(i) for i in self.vocab.names.get("place", {})}
        if text in known:
            return text
        if text.startswith("place:"):
            text = text[len("place:"):]
        code = self.places.iso3(text)
        if code:
            return f"{ontology.PLACE}{code}"
        iri = self.places.region(text)
        if iri and iri in known:
            return iri
        hit = self.vocab.match("place", text)
        return str(hit) if hit else None

    def names(self, kind: str) -> list[str]:
        """Display names and slugs a hint may offer for ``kind``."""
        if kind == "place":
            return list(self.places.labels.values()) + sorted(self.places.labels)
        if kind == "session":
            return [_tail(i) for i in self.sessions] + list(self.sessions.values())
        if kind == "factor":
            return [_tail(i) for i in self.factors] + [shown for shown, _ in self.factors.values()]
        names = self.vocab.names.get(kind, {})
        return [str(i).rsplit("/", 1)[-1] for i in names] + list(names.values())

    def hint(self, kind: str, word: str) -> str:
        """What is accepted (the slugs of a short scheme), then ``did you mean a, b?`` when something is close."""
        close = did_you_mean(word, self.names(kind))
        guess = "did you mean " + ", ".join(close) + "?" if close else ""
        if kind == "place":
            return guess or "give a country or region by name, ISO code or M49 code (e.g. NGA, Nigeria, 011)"
        if kind in ("session", "factor"):
            some = sorted(_tail(i) for i in (self.sessions if kind == "session" else self.factors))
            return guess or (f"e.g. {', '.join(some[:5])}" if some else "the workspace has none yet")
        slugs = sorted(str(i).rsplit("/", 1)[-1] for i in self.vocab.names.get(kind, {}))
        if not slugs:
            return "the workspace has none yet"
        listed = f"use one of {', '.join(slugs)}" if len(slugs) <= 12 else f"e.g. {', '.join(slugs[:5])}"
        return f"{listed}; {guess}" if guess else listed
