"""The crimekg ontology: namespace constants and the paths of the bundled Turtle files.

Nothing else lives here: the files are data, and all code that reads them is in ``graph/``, so
the package stays importable without any heavy dependency.
IRI design (stable, never random; the same input always yields the same IRI):

- ontology terms        https://w3id.org/crimekg/ontology#Term          (prefix ``ckg:``)
- concept schemes       https://w3id.org/crimekg/scheme/{scheme}
- concepts              https://w3id.org/crimekg/concept/{scheme}/{slug}
- the course and its session plan (from the seed document)
                        https://w3id.org/crimekg/course/unafei-172[/session-1[/...]]
- a session as held     https://w3id.org/crimekg/session/{id}
- published sources     https://w3id.org/crimekg/resource/{slug}
- organisations, people https://w3id.org/crimekg/agent/{slug}  (publishers, presenters; never participants)
- places                https://w3id.org/crimekg/place/{ISO3} and .../place/m49/{code}
- participant data      https://w3id.org/crimekg/data/{kind}/{key}
- named graphs          https://w3id.org/crimekg/graph/{name}
"""

from importlib.resources import files

__all__ = [
    "BASE",
    "CKG",
    "SCHEME",
    "CONCEPT",
    "COURSE",
    "SESSION",
    "RESOURCE",
    "AGENT",
    "PLACE",
    "DATA",
    "GRAPH",
    "ONTOLOGY_VERSION",
    "FILES",
    "path",
]

BASE = "https://w3id.org/crimekg/"
CKG = BASE + "ontology#"
SCHEME = BASE + "scheme/"
CONCEPT = BASE + "concept/"
COURSE = BASE + "course/"
SESSION = BASE + "session/"
RESOURCE = BASE + "resource/"
AGENT = BASE + "agent/"
PLACE = BASE + "place/"
DATA = BASE + "data/"
GRAPH = BASE + "graph/"

#: Bumped whenever a bundled .ttl changes in a way a stored workspace would notice.
ONTOLOGY_VERSION = "0.3.0"

#: Bundled files and the named graph each one is loaded into by ``crimekg init``.
FILES = {
    "crimekg.ttl": "ontology",
    "schemes.ttl": "schemes",
    "places.ttl": "places",
    "session.ttl": "session",
    "shapes.ttl": "shapes",
}


def path(name: str):
    """Return the bundled file ``name`` as an ``importlib.resources`` Traversable."""
    return files(__name__) / name
