"""The conditions a crimekg user can hit, one class each.

``cli.py`` turns every :class:`CrimeKGError` into a one-line message and exit code 1;
the library itself never prints or exits.
"""

__all__ = [
    "CrimeKGError",
    "CrimeKGWarning",
    "StoreError",
    "StoreLocked",
    "StoreVersionMismatch",
    "StoreNotFound",
    "UnknownGraph",
    "UnknownFormat",
    "InvalidRDF",
    "InvalidQuery",
    "InvalidInput",
    "ValidationFailed",
    "UnknownQuery",
    "UnknownFactor",
]


class CrimeKGError(Exception):
    """Base class of every error crimekg raises on purpose."""


class CrimeKGWarning(UserWarning):
    """Something worked but the user should know (e.g. an older workspace)."""


class StoreError(CrimeKGError):
    """The workspace could not be opened or written."""


class StoreLocked(StoreError):
    """Another process has the workspace open for writing."""


class StoreVersionMismatch(StoreError):
    """The workspace was made by a newer version of the crimekg ontology."""


class StoreNotFound(StoreError):
    """No crimekg workspace exists at the given path."""


class UnknownGraph(CrimeKGError):
    """The named graph does not exist in the workspace."""


class UnknownFormat(CrimeKGError):
    """The RDF format could not be told from the option or the file name."""


class InvalidRDF(CrimeKGError):
    """An RDF file could not be parsed (the message names file, line and column)."""


class InvalidQuery(CrimeKGError):
    """A SPARQL query could not be parsed or run."""


class InvalidInput(CrimeKGError):
    """User input (a file, a row, an option value) is not acceptable."""


class ValidationFailed(CrimeKGError):
    """The data does not conform to the crimekg SHACL shapes."""


class UnknownQuery(CrimeKGError):
    """No named query has the given name."""


class UnknownFactor(CrimeKGError):
    """No factor in the network matches the given slug or label."""
