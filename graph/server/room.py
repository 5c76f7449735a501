"""One room's live session: the workspace, the join codes and the participants' pending submissions.

A submission waits for the facilitator in a journal file inside the workspace directory
(``crimekg-serve/pending.jsonl``, readable by its owner only): one JSON line per event (submit,
edit, withdraw, accept, reject), written and ``fsync``-ed before the participant sees the
acknowledgement, so a restart keeps every pending submission. A restart also rewrites the journal as
where each submission stands: earlier versions of an edited text, the text as written before an
*Accept with markers*, and withdrawn submissions are not kept. Accepting one writes its contribution to the store in one transaction first,
then journals it: a kill in between leaves it pending, and accepting it again changes nothing
(its contribution IRI is a hash of what it says), so no accepted contribution is lost.

Submissions are checked with the same code and messages as ``crimekg import``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from crimekg import ontology
from crimekg.graph.contributions import Vocabulary
from crimekg.graph.importers.contributions import FIELDS, check_rows, plan_rows, session_code_pattern
from crimekg.graph.sessions import list_sessions, session_changeset
from crimekg.graph.sheets import Sheet
from crimekg.graph.errors import InvalidInput
from crimekg.graph.store import GraphStore, write_private
from crimekg.graph.terms import SKOS

__all__ = ["FORM_FIELDS", "LANGUAGES", "Submission", "Room"]

#: The form's fields, in the template's order (the sheet's names), with what a form shows.
FORM_FIELDS = ("text", "label", "kind", "category", "crime", "place", "question", "contributor", "language")
#: The form's free-text fields, where a participant might write a name, an e-mail address or a phone number.
FREE_TEXT = ("text", "label")
#: The languages the session's concepts are labelled in.
LANGUAGES = {"en": "English", "fr": "Français", "es": "Español", "ru": "Русский", "ar": "العربية", "zh": "中文", "ja": "日本語"}
SERVE_DIR = "crimekg-serve"
#: The concept schemes a form's values come from (the vocabulary reads these).
_VOCABULARY_SCHEMES = ("crime", "category", "actor", "level", "relation", "polarity", "topic")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone


@dataclass
class Submission:
    """A participant's contribution as the form gave it, and where it stands."""

    id: str
    session: str
    owner: str
    fields: dict[str, str]
    status: str = "pending"  # pending, accepted, rejected, withdrawn
    at: str = ""
    item: str | None = None
    note: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _fsync_append(path: Path, lines: list[str]) -> None:
    # readable by its owner only: it holds what participants wrote before anyone checked it
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()
        os.fsync(f.fileno())


class _Entry:
    """One event waiting to be journaled: its line, and whether (and how) it was written."""

    __slots__ = ("event", "line", "done", "error")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event, self.line = event, json.dumps(event, ensure_ascii=False)
        self.done, self.error = False, None


def changes_concepts(changes: Any) -> bool:
    """Whether a changeset changes what the vocabulary is read from: a concept of one of the
    vocabulary's schemes, an exercise question, a country or a region (contributions and the
    factors derived from them do not)."""
    from rdflib import RDF, URIRef

    in_scheme = URIRef(SKOS + "inScheme")
    schemes = {URIRef(ontology.SCHEME + s) for s in _VOCABULARY_SCHEMES}
    kinds = {URIRef(ontology.CKG + k) for k in ("ExerciseQuestion", "Country", "Region")}
    if changes.replace or changes.drop or changes.ntriples:
        return True  # whole graphs replaced or dropped: assume the worst
    return any((p == in_scheme and o in schemes) or (p == RDF.type and o in kinds)
               for triples in changes.add.values() for _s, p, o in triples)


def changes_sessions(changes: Any) -> bool:
    """Whether a changeset sets what the room keeps of a session: its contributor-code pattern."""
    from rdflib import URIRef

    pattern = URIRef(ontology.CKG + "contributorCodePattern")
    return any(p == pattern for triples in changes.add.values() for _s, p, _o in triples)


class Room:
    """The server's state: the store (the one writer), join codes, submissions and a change counter.

    Reads (queries, pages) go to the store without a lock: Oxigraph reads a snapshot while a write
    goes on. Writes take :attr:`write_lock`, one at a time.
    """

    def __init__(self, store: GraphStore, session: str | None = None) -> None:
        self.store = store
        self.write_lock = threading.Lock()
        self._journal_lock = threading.Lock()  # guards the events waiting to be journaled
        self._flush_lock = threading.Lock()  # one thread writes and fsyncs them at a time
        self._waiting: list[_Entry] = []
        self.version = 0  # bumped after every accepted write: the live view listens to it
        self.dir = Path(store.location) / SERVE_DIR
        self.dir.mkdir(exist_ok=True)
        self.journal = self.dir / "pending.jsonl"
        for kept in (self.journal, self.dir / "key"):  # made readable by others before they were made private
            if kept.is_file() and kept.stat().st_mode & 0o077:
                kept.chmod(0o600)
        self.submissions: dict[str, Submission] = {}
        self._replay()
        self._compact()
        if session and not any(s["id"] == session for s in list_sessions(store)):
            with self.write_lock:
                store.write(session_changeset(store, session))
        self.codes = self._load_codes()
        self.key = self._load_key()
        self._vocab: Vocabulary | None = None
        self._label_cache: dict[str, dict[str, str]] = {}
        self._vocab_lock = threading.Lock()
        self._words: tuple[Any, Any] | None = None
        self._patterns: dict[str, str] = {}  # session -> its contributor-code pattern, kept with the vocabulary
        self._pieces: dict[Any, str] = {}  # parts of pages drawn from the vocabulary alone

    # -- join codes and keys ---------------------------------------------------------------------
    def _load_codes(self) -> dict[str, str]:
        """A code per session, kept across restarts so that a printed QR code stays good."""
        path = self.dir / "codes.json"
        codes: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        have = set(codes.values())
        for s in list_sessions(self.store):
            if s["id"] not in have:
                codes["".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))] = s["id"]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(codes, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return codes

    def _load_key(self) -> bytes:
        """The key of the room's tokens: made once, readable by its owner only from the start, and
        made again when the file holds less than a key (a kill while it was first written)."""
        path = self.dir / "key"
        key = path.read_bytes() if path.is_file() else b""
        if len(key) >= 32:
            return key
        key = secrets.token_bytes(32)
        write_private(path, key)
        return key

    def token(self, purpose: str, who: str) -> str:
        """An unforgeable token for ``who`` (a CSRF token, a cookie value)."""
        return hmac.new(self.key, f"{purpose}\x1f{who}".encode(), hashlib.sha256).hexdigest()[:32]

    def check_token(self, purpose: str, who: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.token(purpose, who), given)

    def session_of(self, code: str) -> str | None:
        return self.codes.get((code or "").strip().upper())

    def code_of(self, session: str) -> str | None:
        return next((c for c, s in self.codes.items() if s == session), None)

    # -- the journal -------------------------------------------------------------------------------
    def _replay(self) -> None:
        if not self.journal.is_file():
            return
        with open(self.journal, encoding="utf-8") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill: it was never acknowledged
                self._apply(event)

    def _compact(self) -> None:
        """Rewrite the journal as where each submission stands, before the server answers anyone:
        what a participant wrote before an edit, the text as written before an *Accept with
        markers* and withdrawn submissions are no longer kept on disk."""
        if not self.journal.is_file():
            return
        events: list[dict[str, Any]] = []
        for sub in self.submissions.values():
            if sub.status == "withdrawn":
                continue
            events.append({"op": "submit", "id": sub.id, "session": sub.session, "owner": sub.owner, "fields": sub.fields, "at": sub.at})
            if sub.status == "accepted":
                events.append({"op": "accept", "id": sub.id, "item": sub.item, "at": sub.at})
            elif sub.status == "rejected":
                events.append({"op": "reject", "id": sub.id, "note": sub.note, "at": sub.at})
        write_private(self.journal, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode("utf-8"))
        self.submissions = {k: v for k, v in self.submissions.items() if v.status != "withdrawn"}

    def _apply(self, e: dict[str, Any]) -> None:
        op, sid = e.get("op"), e.get("id")
        if op == "submit":
            self.submissions[sid] = Submission(sid, e["session"], e["owner"], dict(e["fields"]), at=e.get("at", ""))
            return
        sub = self.submissions.get(sid)
        if sub is None:
            return
        if op == "edit":
            sub.fields = dict(e["fields"])
        elif op in ("withdraw", "reject"):
            sub.status = "withdrawn" if op == "withdraw" else "rejected"
            sub.note = e.get("note")
        elif op == "accept":
            sub.status, sub.item = "accepted", e.get("item")
            if "fields" in e:
                sub.fields = dict(e["fields"])

    def _record(self, event: dict[str, Any]) -> None:
        """Journal an event (written and fsync-ed) and then apply it; returns once both are done.

        Group commit: events that arrive while another thread fsyncs wait together, and the next
        thread to get the journal writes them all with one fsync, in the order they came. An fsync
        takes milliseconds on a busy disk; one per event would queue a burst of participants behind
        each other's.
        """
        event.setdefault("at", _now())
        entry = _Entry(event)
        with self._journal_lock:
            self._waiting.append(entry)
        with self._flush_lock:
            if not entry.done:
                with self._journal_lock:
                    batch, self._waiting = self._waiting, []
                try:
                    _fsync_append(self.journal, [e.line for e in batch])
                except OSError as exc:
                    for e in batch:
                        e.done, e.error = True, exc
                else:
                    for e in batch:
                        self._apply(e.event)
                        e.done = True
        if entry.error is not None:
            raise entry.error

    # -- checking ------------------------------------------------------------------------------------
    @property
    def vocab(self) -> Vocabulary:
        if self._vocab is None:
            with self._vocab_lock:  # built once (seconds), not by every request that arrives meanwhile
                if self._vocab is None:
                    self._vocab = Vocabulary.from_store(self.store)
        return self._vocab

    def words(self) -> Any:
        """The workspace's words (:class:`graph.resolve.Words`) for the named queries' parameters:
        one set per version of the data (factors change with each accept), sharing the vocabulary
        and the places the room keeps rather than reading them (seconds) per request."""
        from crimekg.graph.resolve import Words

        cached, vocab = self._words, self.vocab
        if cached is None or cached[0] != (self.version, id(vocab)):
            words = Words(self.store)
            words._vocab, words._places = vocab, vocab.places  # what Words would read again, the same tables
            cached = self._words = ((self.version, id(vocab)), words)
        return cached[1]

    def forget_vocabulary(self) -> None:
        """Read the vocabulary (and the concepts' labels) again at next use: the concepts changed."""
        with self._vocab_lock:
            self._vocab = None
            self._label_cache = {}
            self._patterns = {}
            self.__dict__.pop("_places", None)
            self._pieces = {}

    def piece(self, key: Any, make: Any) -> str:
        """A part of a page that depends on the vocabulary alone (a blank form in one language):
        made once, kept until the vocabulary changes."""
        pieces = self._pieces
        text = pieces.get(key)
        if text is None:
            text = pieces[key] = make()
        return text

    def warm_up(self) -> None:
        """Read what every form needs (the vocabulary, the concept labels), before the room arrives."""
        for lang in LANGUAGES:
            self._labels(lang)
        self.concept_options("place")
        self.sessions()

    def code_pattern(self, session: str) -> str:
        """The contributor-code pattern of ``session``, read once and kept with the vocabulary (every
        write that could change it goes through this room, and forgets it)."""
        pattern = self._patterns.get(session)
        if pattern is None:
            pattern = self._patterns[session] = session_code_pattern(self.store, session)
        return pattern

    def check(self, fields: dict[str, str], session: str | None = None) -> dict[str, list[str]]:
        """The problems of a form, by field, in the words ``crimekg import`` uses (empty: it is valid).
        A contributor code is checked against ``session``'s own pattern, as accepting it will be."""
        values = {k: (fields.get(k) or "").strip() for k in FORM_FIELDS}
        headers = [FIELDS[k][0] for k in FORM_FIELDS]
        sheet = Sheet("form", "form", headers, [(1, {FIELDS[k][0]: values[k] for k in FORM_FIELDS})], unit="item")
        pattern = self.code_pattern(session) if session else None
        _records, problems = check_rows(sheet, self.vocab, code_pattern=pattern)
        by_header = {FIELDS[k][0]: k for k in FORM_FIELDS}
        out: dict[str, list[str]] = {}
        for p in problems.get(1, []):
            out.setdefault(by_header.get(p.column, "text"), []).append(p.message)
        return out

    # -- participants ----------------------------------------------------------------------------
    def submit(self, session: str, owner: str, fields: dict[str, str]) -> tuple[Submission | None, dict[str, list[str]]]:
        fields = {k: (fields.get(k) or "").strip() for k in FORM_FIELDS}
        problems = self.check(fields, session)
        if problems:
            return None, problems
        sid = secrets.token_hex(6)
        self._record({"op": "submit", "id": sid, "session": session, "owner": owner, "fields": fields})
        return self.submissions[sid], {}

    def _all(self) -> list[Submission]:
        # a copy made in one step: request threads add submissions while others list them
        return list(self.submissions.values())

    def mine(self, session: str, owner: str) -> list[Submission]:
        return [s for s in self._all() if s.session == session and s.owner == owner and s.status != "withdrawn"]

    def owned(self, sid: str, owner: str) -> Submission:
        sub = self.submissions.get(sid)
        if sub is None or sub.owner != owner:
            raise InvalidInput("no such submission of yours")
        if sub.status != "pending":
            raise InvalidInput(f"this submission is {sub.status}: it can no longer be changed")
        return sub

    def edit(self, sid: str, fields: dict[str, str], owner: str | None = None) -> dict[str, list[str]]:
        """Change a pending submission (``owner``: only its participant's; None: the facilitator)."""
        sub = self.owned(sid, owner) if owner is not None else self.pending(sid)
        fields = {k: (fields.get(k) or "").strip() for k in FORM_FIELDS}
        problems = self.check(fields, sub.session)
        if not problems:
            self._record({"op": "edit", "id": sub.id, "fields": fields})
        return problems

    def withdraw(self, sid: str, owner: str) -> None:
        sub = self.owned(sid, owner)
        self._record({"op": "withdraw", "id": sub.id})

    # -- the facilitator ---------------------------------------------------------------------------
    def queue(self) -> list[Submission]:
        return sorted((s for s in self._all() if s.status == "pending"), key=lambda s: (s.at, s.id))

    def pending(self, sid: str) -> Submission:
        sub = self.submissions.get(sid)
        if sub is None or sub.status != "pending":
            raise InvalidInput(f"submission {sid} is not waiting in the queue (accepted, rejected or withdrawn already)")
        return sub

    def accept(self, sid: str, label: str | None = None, redact: bool = False) -> str:
        """Write a pending submission to the store as a contribution; ``label`` joins it to an
        existing factor of that label (a merge); ``redact`` stores each likely personal detail of
        its free text as a marker (:func:`personal_details`). Returns the IRI of the item it gives."""
        sub = self.pending(sid)
        fields = dict(sub.fields)
        if redact:
            from crimekg.graph.pii import redact as redacted

            fields.update({k: redacted(fields[k]) for k in FREE_TEXT if fields.get(k)})
        if label:
            fields["label"], fields["kind"] = label, fields.get("kind") or "factor"
        row = {k: v for k, v in fields.items() if v}
        with self.write_lock:
            plan = plan_rows(self.store, [row], sub.session, vocab=self.vocab)
            self.store.write(plan.changes)
            if changes_concepts(plan.changes) or changes_sessions(plan.changes):
                self.forget_vocabulary()
        item = plan.summary.get("item")
        if item == "(already there)":  # accepted before a kill cut the journal short: find what it gave
            item = self._item_of(plan.changes)
        self._record({"op": "accept", "id": sid, "item": item, "fields": fields})
        self.version += 1
        return item

    @staticmethod
    def personal_details(sub: Submission) -> list[tuple[str, str]]:
        """The likely personal details (kind, text) in a submission's free text, for the facilitator."""
        from crimekg.graph.pii import find_pii

        return [(f.kind, f.text) for k in FREE_TEXT for f in find_pii(sub.fields.get(k) or "")]

    def _item_of(self, changes: Any) -> str | None:
        from rdflib import RDF, URIRef

        ckg_contribution = URIRef(ontology.CKG + "Contribution")
        for triples in changes.add.values():
            for s, p, o in triples:
                if p == RDF.type and o == ckg_contribution:
                    rows = self.store.select("SELECT ?x ?c WHERE { ?x prov:wasDerivedFrom ?c }", {"c": s})
                    return str(rows[0]["x"]) if rows else None
        return None

    def reject(self, sid: str, note: str = "") -> None:
        self.pending(sid)
        self._record({"op": "reject", "id": sid, "note": note or None})

    def suggestions(self, sid: str, limit: int = 5, factors: list | None = None) -> list[tuple[str, str, float]]:
        """Existing factors most like a submission (label, IRI, score 0-100), as harmonisation scores
        them; ``factors`` is :func:`graph.harmonize.factor_table`, read once for a whole queue."""
        from rapidfuzz import fuzz, process

        from crimekg.graph.harmonize import factor_table

        sub = self.submissions[sid]
        wording = sub.fields.get("label") or sub.fields.get("text") or ""
        factors = factor_table(self.store) if factors is None else factors
        if not factors or not wording:
            return []
        hits = process.extract(wording, [f.label for f in factors], scorer=fuzz.token_sort_ratio, limit=limit,
                               processor=lambda s: s.casefold())
        return [(factors[i].label, factors[i].iri, round(score, 1)) for _label, score, i in hits if score >= 40]

    def sessions(self) -> list[dict]:
        """The sessions with their join codes and counts (read again only after a write)."""
        cached = getattr(self, "_sessions", None)
        if cached is None or cached[0] != self.version:
            rows = list_sessions(self.store)
            for r in rows:
                r["code"] = self.code_of(r["id"])
            cached = self._sessions = (self.version, rows)
        return [dict(r) for r in cached[1]]

    def concept_options(self, what: str, language: str = "en") -> list[tuple[str, str]]:
        """(value, label shown) for a form's drop-down list, labelled in ``language`` where the concept has it."""
        vocab = self.vocab
        if what in ("place", "kind", "question"):
            names = vocab.names[what]
            if what == "place":
                if not hasattr(self, "_places"):
                    self._places = sorted(((vocab.names["place"][p], vocab.names["place"][p]) for p in vocab.countries), key=lambda t: t[1])
                return self._places
            return [(v, v) for v in dict.fromkeys(names.values())]
        labels = self._labels(language)
        return [(str(iri), labels.get(str(iri), name)) for iri, name in vocab.names[what].items()]

    def display(self, what: str, value: str) -> str:
        """A form value as people read it: the English name of the concept it means, else the value."""
        iri = self.vocab.match(what, value) if what in self.vocab.words else None
        return self.vocab.names.get(what, {}).get(iri, value) if iri is not None else value

    def _labels(self, language: str) -> dict[str, str]:
        if language not in LANGUAGES:  # also keeps the query text to the fixed codes above
            return {}
        if language not in self._label_cache:
            rows = self.store.select(f'SELECT ?c ?l WHERE {{ ?c skos:prefLabel ?l FILTER(LANG(?l) = "{language}") }}')
            self._label_cache[language] = {str(r["c"]): str(r["l"]) for r in rows}
        return self._label_cache[language]
