"""crimekg: a knowledge graph of the factors behind trafficking in persons and migrant smuggling.

The package is the library behind the ``crimekg`` command. Modules are imported on demand
(``from crimekg.graph import store``) so that the command line starts quickly.
"""

__all__ = ["__version__"]

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("crimekg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
