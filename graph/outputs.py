"""Files crimekg writes for the user (exports, views, briefs, sheets, rejected rows), written safely.

Every output goes through :func:`output_file`:

- a path inside a crimekg workspace is refused (``export -o WS/CURRENT`` would destroy it);
- the file is written aside and renamed into place, so that a stopped command leaves the old file
  or the new one, never half of one;
- a symbolic link already at the path is replaced by the new file: its target is never written;
- a file replaced keeps its permissions (a full export its owner made private stays private).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crimekg.graph.errors import InvalidInput

__all__ = ["check_output", "check_output_folder", "new_file_mode", "output_file", "write_output"]

# Read once: a new file gets the permissions any file the user creates would have.
_UMASK = os.umask(0)
os.umask(_UMASK)


def _workspace_above(path: Path) -> Path | None:
    """The crimekg workspace that holds ``path`` (or is it), if any."""
    for folder in (path, *path.parents):
        if (folder / "CURRENT").is_file() and any(folder.glob("OPTIONS-*")):
            return folder
    return None


def check_output(path: str | os.PathLike) -> Path:
    """Refuse an output path that lies inside a crimekg workspace, or that is a folder.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     check_output(Path(d) / "out.ttl").name
    'out.ttl'
    """
    path = Path(path)
    where = Path(os.path.realpath(path.parent)) / path.name
    ws = _workspace_above(where.parent)
    if ws is not None:
        raise InvalidInput(
            f"{path}: this is inside the crimekg workspace {ws}, and writing there would damage it; "
            "write the file somewhere else (-o OTHER/PATH)"
        )
    if where.is_dir() and not where.is_symlink():
        raise InvalidInput(f"{path}: is a folder; give a file name (-o {path / 'out'})")
    return path


def check_output_folder(path: str | os.PathLike) -> Path:
    """Refuse a folder to write outputs into (a release) that lies inside a crimekg workspace."""
    path = Path(path)
    ws = _workspace_above(Path(os.path.realpath(path.parent)))
    if ws is not None:
        raise InvalidInput(f"{path}: this is inside the crimekg workspace {ws}, and writing there would damage it; "
                           "write it somewhere else")
    return path


def new_file_mode(folder: bool = False) -> int:
    """The permissions a new file (or folder) of the user's gets: what the umask leaves."""
    return (0o777 if folder else 0o666) & ~_UMASK


@contextlib.contextmanager
def output_file(path: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None) -> Iterator[IO[Any]]:
    """Open ``path`` for writing the safe way (see the module's description).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with output_file(Path(d) / "a.txt") as f:
    ...         _ = f.write("こんにちは")
    ...     (Path(d) / "a.txt").read_text(encoding="utf-8")
    'こんにちは'
    """
    path = check_output(path)
    binary = "b" in mode
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent if str(path.parent) else ".")
    except OSError as exc:  # name the file the user asked for, not the one written aside
        raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)  # replaces a link at ``path`` itself, never the file it points to
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """The permissions of the file written at ``path``: those of the regular file it replaces (a file
    its owner made private stays private), else those any new file of the user's gets."""
    import stat

    try:
        st = os.lstat(path)
    except OSError:
        return 0o666 & ~_UMASK
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else 0o666 & ~_UMASK


def write_output(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through :func:`output_file`; return the path."""
    with output_file(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)
