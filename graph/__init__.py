"""crimekg: a knowledge graph of the factors behind trafficking in persons and migrant smuggling.

The package is the library behind the ``crimekg`` command. Modules are imported on demand
(``from crimekg.graph import store``) so that the command line starts quickly.
"""

__all__ = ["__version__"]

# The one place the package's version is read: setup.cfg's ``version``, as installed. The command's
# --version, the workspace's meta graph and recorded analyses all take it from here.
try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("crimekg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
