"""Privacy: keyed identifiers for contributions.

A contribution's IRI ends in a key derived from its text, question, contributor code and group.
That key must not let anyone holding a public export test guesses ("was this text written by
P07 in group A?"), so it is an HMAC-SHA256 under a random secret created once per workspace and
kept apart from the data: in a file beside the store of a workspace directory, in the internal graph
``urn:crimekg:secret`` on a server (left out of the dataset every query names). No listing, query,
export or release shows it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from crimekg.graph.store import SECRET_GRAPH

if TYPE_CHECKING:
    from crimekg.graph.store import Changeset, GraphStore

__all__ = ["SECRET_GRAPH", "keyed_digest", "legacy_digest", "workspace_secret"]

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

    A new secret (32 random bytes) is kept with ``changes``, so it is stored by the same write as
    the contributions keyed with it (a directory writes its secret file first); without
    ``changes`` it is written at once.
    """
    import secrets

    from crimekg.graph.store import Changeset

    found = store.read_secret()
    if found is not None:
        return found
    secret = secrets.token_bytes(32)
    own = changes is None
    changes = changes if changes is not None else Changeset()
    store.keep_secret(secret, changes)
    if own and not changes.is_empty():
        store.write(changes)
    return secret
