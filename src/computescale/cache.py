"""A cache of the validated catalog on disk, so that a warm start reads no TOML and validates nothing.

The key is a SHA-256 of the package version, the Python, NumPy, pint and pydantic versions, the
source of the modules that define the catalog's classes and units, and the path and bytes of every
spec file read (the built-in tables and the user's ``--specs`` files alike): a changed, added or
removed file is a different key, so stale data is never served. Entries live in the user's cache
directory (``$COMPUTESCALE_CACHE_DIR``, else ``$XDG_CACHE_HOME/computescale``, else
``~/.cache/computescale``); ``COMPUTESCALE_NO_CACHE=1`` turns the cache off. A cache that cannot be
read or written is skipped silently: the catalog is then built from the files, as without a cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable

__all__ = ["cache_dir", "cache_key", "load", "store"]

_KEEP = 16  # entries kept; older ones are removed when a new one is written
_MODULES = ("schema.py", "schema_architecture.py", "specs.py", "units.py", "units.txt", "cluster.py")


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is turned off."""
    if os.environ.get("COMPUTESCALE_NO_CACHE", "").strip() not in ("", "0"):
        return None
    root = os.environ.get("COMPUTESCALE_CACHE_DIR")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "computescale"


def cache_key(files: Iterable[Path], builtin: bool) -> str:
    """The key of a catalog read from ``files`` (their paths and bytes, in order)."""
    import numpy
    import pint
    import pydantic

    from . import __version__

    h = hashlib.sha256()
    h.update(f"{__version__}|{sys.version}|{numpy.__version__}|{pint.__version__}|{pydantic.__version__}|{builtin}".encode())
    here = Path(__file__).parent
    for name in _MODULES:
        h.update((here / name).read_bytes())
    for f in files:
        h.update(b"\0" + str(f).encode("utf-8", "surrogateescape") + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()


def load(key: str) -> Any | None:
    """The catalog stored under ``key``, or None (absent, unreadable, or written by other code)."""
    d = cache_dir()
    if d is None:
        return None
    try:
        with open(d / f"catalog-{key}.pickle", "rb") as fh:
            return pickle.load(fh)
    except Exception:  # absent, truncated, or unpicklable: rebuild from the files
        return None


def store(key: str, catalog: Any) -> None:
    """Write ``catalog`` under ``key`` atomically; any failure (read-only home, full disk) is ignored."""
    d = cache_dir()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".catalog-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"catalog-{key}.pickle")
        _prune(d)
    except Exception:
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except Exception:
            pass


def _prune(d: Path) -> None:
    entries = sorted(d.glob("catalog-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEEP:]:
        old.unlink(missing_ok=True)
