"""Privacy: keyed identifiers for contributions.

A contribution's IRI ends in a key derived from its text, question, contributor code and group.
That key must not let anyone holding a public export test guesses ("was this text written by
P07 in group A?"), so it is an HMAC-SHA256 under a random secret created once per workspace and
kept in an internal graph (``urn:crimekg:secret``), which no listing, export or release includes.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from crimekg.graph.store import INTERNAL
from crimekg.graph.terms import CKG

if TYPE_CHECKING:
    from crimekg.graph.store import Changeset, GraphStore

__all__ = ["SECRET_GRAPH", "keyed_digest", "legacy_digest", "workspace_secret"]

SECRET_GRAPH = INTERNAL + "secret"
_SECRET_PREDICATE = CKG + "workspaceSecret"
_KEY_LENGTH = 12


def keyed_digest(secret: bytes, basis: str) -> str:
    """The short keyed digest of ``basis`` (HMAC-SHA256 under ``secret``, 12 hex digits).

    >>> keyed_digest(b"k" * 32, "x") == keyed_digest(b"k" * 32, "x") != keyed_digest(b"j" * 32, "x")
    True
    >>> len(keyed_digest(b"k" * 32, "x"))
    12
    """
    return hmac.new(secret, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:_KEY_LENGTH]


def legacy_digest(basis: str) -> str:
    """The unkeyed digest workspaces used before they had a secret (kept so their keys stay)."""
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:_KEY_LENGTH]


def workspace_secret(store: GraphStore, changes: Changeset | None = None) -> bytes:
    """The workspace's key for contribution identifiers, created when it has none.

    A new secret (32 random bytes) is added to ``changes`` so it is stored by the same write as
    the contributions keyed with it; without ``changes`` it is written at once.
    """
    import secrets

    from rdflib import Literal, URIRef

    from crimekg.graph.store import Changeset

    # the query names its dataset: a server workspace shows no internal graph to a query that does not
    rows = store.select(f"SELECT ?s FROM NAMED <{SECRET_GRAPH}> WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?w <{_SECRET_PREDICATE}> ?s }} }}")
    if rows:
        return bytes.fromhex(str(sorted(str(r["s"]) for r in rows)[0]))
    secret = secrets.token_bytes(32)
    own = changes is None
    changes = changes if changes is not None else Changeset()
    changes.add_triples(SECRET_GRAPH, [(URIRef(SECRET_GRAPH), URIRef(_SECRET_PREDICATE), Literal(secret.hex()))])
    if own:
        store.write(changes)
    return secret
