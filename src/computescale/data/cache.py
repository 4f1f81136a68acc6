"""A cache of the validated catalog on disk, so that a warm start reads no TOML and validates nothing.

The key is a SHA-256 of the Python, NumPy, pint and pydantic versions, the source of the modules
that define the catalog's classes and units (the package's ``__init__.py``, with its version,
included), and the path and bytes of every spec file read (the built-in tables and the user's
``--specs`` files alike): a changed, added or removed file is a different key, so stale data is
never served. Entries live in the user's cache directory (``$COMPUTESCALE_CACHE_DIR``, else
``$XDG_CACHE_HOME/computescale``, else ``~/.cache/computescale``); ``COMPUTESCALE_NO_CACHE=1``
turns the cache off. A cache that cannot be read or written is skipped silently: the catalog is
then built from the files, as without a cache.

An entry is data only: JSON text (numbers, strings, lists; a quantity is its magnitude and unit
text; a spec record names its class, looked up among :mod:`computescale.data.schema`'s models and
nothing else), so reading it runs no code. Its first line holds a SHA-256 digest of the key and
the JSON text: an entry edited by hand, truncated or planted is not served, it is rebuilt.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable

__all__ = ["cache_dir", "cache_key", "load", "store", "encode", "decode"]

_KEEP = 16  # entries kept; older ones are removed when a new one is written
_MODULES = ("__init__.py", "data/schema.py", "data/schema_architecture.py", "data/specs.py", "units.py", "units.txt",
            "cluster.py", "data/cache.py")
_MAGIC = b"computescale-catalog-json 1 sha256="
_SUFFIX = ".json"


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

    h = hashlib.sha256()
    h.update(f"{sys.version}|{numpy.__version__}|{pint.__version__}|{pydantic.__version__}|{builtin}".encode())
    here = Path(__file__).resolve().parent.parent  # the package folder (this file is in data/)
    for name in _MODULES:  # __init__.py carries __version__ (read as bytes: no import of the package)
        h.update((here / name).read_bytes())
    for f in files:
        h.update(b"\0" + str(f).encode("utf-8", "surrogateescape") + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()


# ---- data-only encoding ------------------------------------------------------------------------------------------
def encode(obj: Any) -> Any:
    """The catalog as JSON-able data. Raises TypeError for anything that is not plain data."""
    from pydantic import BaseModel

    from ..units import Q_

    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, Q_):
        m = obj.magnitude
        if not isinstance(m, (int, float)):
            m = m.item() if hasattr(m, "item") and getattr(m, "ndim", 1) == 0 else _reject(m)
        return {"$q": [m, str(obj.units)]}
    if isinstance(obj, BaseModel):
        fields = {k: encode(getattr(obj, k)) for k in type(obj).model_fields}
        return {"$m": type(obj).__name__, "set": sorted(obj.model_fields_set), "f": fields}
    if isinstance(obj, (list, tuple)):
        items = [encode(v) for v in obj]
        return items if isinstance(obj, list) else {"$t": items}
    if isinstance(obj, dict):
        return {"$d": [[encode(k), encode(v)] for k, v in obj.items()]}
    return _reject(obj)


def _reject(obj: Any):
    raise TypeError(f"not plain data: {type(obj).__name__}")


def decode(data: Any, units: dict | None = None) -> Any:
    """The inverse of :func:`encode` (for data already parsed; :func:`load` parses and decodes in one pass)."""
    return json.loads(json.dumps(data), object_hook=_hook(units))


def _hook(units: dict | None = None):
    """A ``json.loads`` object hook that rebuilds each record as it is parsed (innermost first). Only spec
    models (:mod:`computescale.data.schema` and :mod:`computescale.data.schema_architecture`) are made,
    without validation (they were validated before they were stored); anything else raises ValueError."""
    from ..units import Q_, ureg
    from . import schema, schema_architecture

    units = {} if units is None else units
    classes: dict[str, type] = {}

    def model(name: str) -> type:
        cls = classes.get(name)
        if cls is None:
            cls = getattr(schema, name, None) or getattr(schema_architecture, name, None)
            if not (isinstance(cls, type) and issubclass(cls, schema._Strict)):
                raise ValueError(f"not a spec model: {name!r}")
            classes[name] = cls
        return cls

    def hook(d: dict) -> Any:
        if "$q" in d:
            m, u = d["$q"]
            unit = units.get(u)
            if unit is None:
                unit = units[u] = ureg.Unit(u)
            return Q_(m, unit)
        if "$t" in d:
            return tuple(d["$t"])
        if "$d" in d:
            return {_hashable(k): v for k, v in d["$d"]}
        if "$m" in d:
            return _construct(model(d["$m"]), d["set"], d["f"])
        return d  # a record's fields, decoded already

    return hook


def _construct(cls: type, fields_set: list, fields: dict):
    """What ``cls.model_construct(_fields_set=..., **fields)`` makes when every field is given (encode stores
    them all), without its per-call overhead: ~1,500 records on every warm start."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields_set))
    object.__setattr__(obj, "__pydantic_extra__", None)
    private = cls.__private_attributes__  # memos such as Device._base_values: fresh, as model_construct makes them
    object.__setattr__(obj, "__pydantic_private__", {k: v.default_factory() if v.default_factory is not None
                                                     else copy.copy(v.default) for k, v in private.items()} or None)
    return obj


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


# ---- entries -------------------------------------------------------------------------------------------------------
def _digest(key: str, payload: bytes) -> bytes:
    return hashlib.sha256(key.encode() + b"\0" + payload).hexdigest().encode()


def load(key: str) -> Any | None:
    """The data stored under ``key`` (the catalog's fields), or None (absent, unreadable, altered, or
    not plain data)."""
    d = cache_dir()
    if d is None:
        return None
    try:
        raw = (d / f"catalog-{key}{_SUFFIX}").read_bytes()
        head, _, payload = raw.partition(b"\n")
        if head != _MAGIC + _digest(key, payload):  # edited by hand, truncated, or written for another key
            return None
        return json.loads(payload, object_hook=_hook())
    except Exception:  # absent, unreadable, or malformed: rebuild from the files
        return None


def store(key: str, catalog: Any) -> None:
    """Write ``catalog`` (plain data: the catalog's fields) under ``key`` atomically; any failure
    (read-only home, full disk, something that is not plain data) is ignored."""
    d = cache_dir()
    if d is None:
        return
    tmp = None
    try:
        payload = json.dumps(encode(catalog), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".catalog-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + _digest(key, payload) + b"\n" + payload)
        os.replace(tmp, d / f"catalog-{key}{_SUFFIX}")
        _prune(d)
    except Exception:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(d: Path) -> None:
    entries = sorted(d.glob(f"catalog-*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEEP:]:
        old.unlink(missing_ok=True)
    for stale in d.glob("catalog-*.pickle"):  # entries of older versions: never read, removed
        stale.unlink(missing_ok=True)
