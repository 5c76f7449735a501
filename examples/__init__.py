"""The example session that ``crimekg demo`` builds from (files only; see README.md here)."""

from importlib.resources import files

__all__ = ["path"]


def path(name: str):
    """Return the bundled example file ``name`` as an ``importlib.resources`` Traversable."""
    return files(__name__) / name
