"""What a user's word means: one "did you mean" and one resolver for concepts and places.

Every command that takes a category, crime type, actor, level or place resolves it here, so the
same word means the same thing everywhere: a slug, an IRI, a preferred or alternative label in any
language the schemes carry, a notation (``TIP``, ``SOM``), case- and accent-insensitive; a place
by ISO3 or ISO2 code, M49 code, or a name in any language the places graph carries.

Concept words come from :class:`crimekg.graph.contributions.Vocabulary` and place words from
:class:`crimekg.graph.evidence.Places`; this module only puts them behind one door.
"""

from __future__ import annotations

from collections.abc import Iterable

from crimekg import ontology

CONCEPT_KINDS = ("category", "crime", "actor", "level")
KINDS = (*CONCEPT_KINDS, "place")


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


class Words:
    """The concept and place words of one workspace, read once (three small queries)."""

    def __init__(self, store) -> None:
        self._store = store
        self._vocab = None
        self._places = None

    @property
    def vocab(self):
        if self._vocab is None:
            from crimekg.graph.contributions import Vocabulary

            self._vocab = Vocabulary.from_store(self._store)
        return self._vocab

    @property
    def places(self):
        if self._places is None:
            from crimekg.graph.evidence import Places

            self._places = Places.from_store(self._store)
        return self._places

    def resolve(self, kind: str, word: str) -> str | None:
        """The IRI ``word`` means as a ``kind`` (one of :data:`KINDS`), or ``None``."""
        if kind == "place":
            return self.place(word)
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
        names = self.vocab.names.get(kind, {})
        return [str(i).rsplit("/", 1)[-1] for i in names] + list(names.values())

    def hint(self, kind: str, word: str) -> str:
        """What is accepted (the slugs of a short scheme), then ``did you mean a, b?`` when something is close."""
        close = did_you_mean(word, self.names(kind))
        guess = "did you mean " + ", ".join(close) + "?" if close else ""
        if kind == "place":
            return guess or "give a country or region by name, ISO code or M49 code (e.g. NGA, Nigeria, 011)"
        slugs = sorted(str(i).rsplit("/", 1)[-1] for i in self.vocab.names.get(kind, {}))
        if not slugs:
            return "the workspace has none yet"
        listed = f"use one of {', '.join(slugs)}" if len(slugs) <= 12 else f"e.g. {', '.join(slugs[:5])}"
        return f"{listed}; {guess}" if guess else listed
