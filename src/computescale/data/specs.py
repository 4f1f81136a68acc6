"""Load, validate and look up the spec tables in ``specs/`` (and users' own spec files).

>>> from computescale import load_catalog
>>> catalog = load_catalog()
>>> catalog.device("H100").name
'H100 SXM5 80GB'

A user's file or folder (``load_catalog(extra=["my_specs/"])``, ``--specs PATH`` on the CLI) is
validated the same way; a device of the same canonical name replaces the built-in one (listed in
``Catalog.overrides``, which the CLI prints as a note), and a new device adds to the table. A name
defined twice within one load (a file, a folder, every ``--specs`` together) is an error naming both
places. Names are matched ignoring case, spaces, hyphens and underscores.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

from ..errors import SpecFileError, UnknownNameError
from .reader import DEFAULT_DIMENSIONS, _check_links, _files, _read_into, normalize_name
from .schema import Cluster, Device, QuantityEntry, Run, Source, System, Threshold
from .schema_architecture import Architecture

__all__ = ["Catalog", "Resolved", "load_catalog", "builtin_specs_dir", "normalize_name", "DEFAULT_DIMENSIONS"]



def builtin_specs_dir() -> Path:
    """Where the shipped specs are: inside the installed package, or the repo's ``specs/``."""
    here = Path(__file__).resolve().parent.parent  # the package folder (this file is in data/)
    packaged = here / "_specs"  # wheels and sdists put specs/ here (pyproject force-include)
    if packaged.is_dir():
        return packaged
    repo = here.parent.parent / "specs"  # editable install or PYTHONPATH=src
    if repo.is_dir():
        return repo
    raise SpecFileError(str(packaged), "", "computescale's spec tables are missing from this install")


#: Words people append to a device name ("100k H100 GPUs"); dropped only when the bare name is known.
_DEVICE_NOUNS = ("gpus", "gpu", "chips", "chip", "accelerators", "accelerator", "cards", "card")
#: Suffixes that turn a run into "the run's cluster" ("GPT-4's cluster", "llama 3 405b training cluster").
_CLUSTER_OF = re.compile(r"(?:['\u2019]s)?\s*(?:training\s+)?(?:cluster|supercomputer|hardware)$", re.I)


@dataclass(frozen=True)
class Resolved:
    """What a name a user typed resolved to (always shown to the user)."""

    query: str
    name: str
    via: str  # "name" or "alias"

    def __str__(self) -> str:
        return self.name if normalize_name(self.query) == normalize_name(self.name) else f"{self.query!r} -> {self.name}"


@dataclass
class Catalog:
    """All spec tables, validated, with name lookup."""

    sources: dict[str, Source] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    systems: dict[str, System] = field(default_factory=dict)  # rated system power (specs/systems.toml)
    defaults: dict[str, QuantityEntry] = field(default_factory=dict)
    architectures: dict[str, Architecture] = field(default_factory=dict)  # model architectures (specs/models.toml)
    origin: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> file
    overrides: list[str] = field(default_factory=list)  # built-in entries a user's file replaced, one line each
    _index: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    memo: dict[str, dict] = field(default_factory=dict, repr=False, compare=False)  # parsed inputs, per catalog

    # ---- lookup -----------------------------------------------------------------------------------
    def _lookup(self, kind: str, table: dict[str, Any], query: str) -> tuple[Any, Resolved]:
        if not isinstance(query, str) or not query.strip():
            raise UnknownNameError(kind, str(query), [])
        index = self._index.get(kind, {})
        key = normalize_name(query)
        if key in index:
            name = index[key]
            via = "name" if normalize_name(name) == key else "alias"
            return table[name], Resolved(query, name, via)
        # Plurals and nouns as people type them: "H100s", "100k A100 GPUs". Only when the bare name
        # is known, and the result says so (Resolved shows what the name became).
        for bare, via in self._plural_forms(kind, key):
            if bare in index:
                return table[index[bare]], Resolved(query, index[bare], via)
        raise UnknownNameError(kind, query, self._suggest(kind, table, query))

    @staticmethod
    def _plural_forms(kind: str, key: str):
        if kind != "device":
            return
        for noun in _DEVICE_NOUNS:
            if key.endswith(noun) and len(key) > len(noun):
                stem = key[: -len(noun)]
                yield stem, "name + noun"
                if stem.endswith("s") and len(stem) > 2:
                    yield stem[:-1], "plural + noun"
        if key.endswith("s") and len(key) > 2:
            yield key[:-1], "plural"

    def _suggest(self, kind: str, table: dict[str, Any], query: str) -> list[str]:
        index = self._index.get(kind, {})
        key = normalize_name(query)
        close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.5)
        names = list(dict.fromkeys(index[k] for k in close))
        if not names:  # a prefix such as "MI3" or "TPU"
            names = [n for k, n in index.items() if key and (k.startswith(key) or key in k)]
            names = list(dict.fromkeys(names))
        return names[:5]

    def device(self, query: str) -> Device:
        return self._lookup("device", self.devices, query)[0]

    def resolve_device(self, query: str) -> tuple[Device, Resolved]:
        return self._lookup("device", self.devices, query)

    def cluster(self, query: str) -> tuple[Cluster, Resolved]:
        return self._lookup("cluster", self.clusters, query)

    def run(self, query: str) -> tuple[Run, Resolved]:
        return self._lookup("run", self.runs, query)

    def architecture(self, query: str) -> Architecture:
        """A model architecture by name or alias (``"llama 3.1 70b"``, ``"DeepSeek-R1"``)."""
        return self._lookup("architecture", self.architectures, query)[0]

    def resolve_architecture(self, query: str) -> tuple[Architecture, Resolved]:
        return self._lookup("architecture", self.architectures, query)

    def run_of_cluster_phrase(self, query: str) -> tuple[Run, Resolved] | None:
        """The run named by "GPT-4's cluster", "gpt-4 cluster" or plain "gpt-4", or None.

        Used where a cluster is expected: the caller then takes the run's cluster (``cluster_ref``,
        else its sourced device and count) and says so.
        """
        if not isinstance(query, str) or not query.strip():
            return None
        for text in (query, _CLUSTER_OF.sub("", query.strip())):
            if text.strip() and normalize_name(text) in self._index.get("run", {}):
                return self.run(text)
        return None

    def suggest_any(self, query: str, kinds=("device", "cluster", "run")) -> list[str]:
        """Close names among several kinds (for a name that could be a device, cluster or run)."""
        tables = {"device": self.devices, "cluster": self.clusters, "run": self.runs}
        out: list[str] = []
        for kind in kinds:
            out += [n for n in self._suggest(kind, tables[kind], query) if n not in out]
        return out[:6]

    def system_for(self, device: Device) -> System | None:
        """The rated system used for ``device``'s per-device IT power (its ``primary`` one), or None."""
        found = [s for s in self.systems.values() if normalize_name(s.device) == normalize_name(device.name)]
        return next((s for s in found if s.primary), found[0] if found else None)

    def source(self, source_id: str) -> Source:
        try:
            return self.sources[source_id]
        except KeyError:
            raise UnknownNameError("source", source_id, difflib.get_close_matches(source_id, list(self.sources), n=3)) from None

    def default(self, name: str) -> QuantityEntry:
        try:
            return self.defaults[name]
        except KeyError:
            raise UnknownNameError("default", name, difflib.get_close_matches(name, list(self.defaults), n=3)) from None

    # ---- building -----------------------------------------------------------------------------------
    def _add(self, kind: str, table: dict, item: Any, names: Iterable[str], path: str, where: str) -> None:
        index = self._index.setdefault(kind, {})
        if item.name in table:  # a user's file overrides a device of the same canonical name
            old = table[item.name]
            for alias in (old.name, *getattr(old, "aliases", ())):
                index.pop(normalize_name(alias), None)
        for alias in names:
            key = normalize_name(alias)
            if not key:
                raise SpecFileError(path, where, "empty name or alias")
            if key in index and index[key] != item.name:
                raise SpecFileError(
                    path, where, f"name or alias {alias!r} is already used by {kind} {index[key]!r} ({self.origin.get((kind, index[key]), '?')})"
                )
            index[key] = item.name
        table[item.name] = item
        self.origin[(kind, item.name)] = path


def _content_stamp(extra: tuple[str, ...], builtin: bool) -> tuple | None:
    """What identifies the content of a load: each built-in file's path, mtime and size, and each user
    file's path and SHA-256 (an edited ``--specs`` file is a new catalog within one process too)."""
    import hashlib

    try:
        stamp: list[tuple] = []
        for f in _files([builtin_specs_dir()]) if builtin else []:
            st = f.stat()
            stamp.append((str(f), st.st_mtime_ns, st.st_size))
        for f in _files(Path(p) for p in extra) if extra else []:
            stamp.append((str(f), hashlib.sha256(f.read_bytes()).hexdigest()))
    except (OSError, SpecFileError):  # read below, for the precise error
        return None
    return tuple(stamp)


@functools.lru_cache(maxsize=8)
def _load(extra: tuple[str, ...], builtin: bool, stamp: tuple | None = None) -> Catalog:
    """The catalog of one load; ``stamp`` (:func:`_content_stamp`) keys the in-memory cache by content."""
    from ..data import cache

    builtin_files = _files([builtin_specs_dir()]) if builtin else []
    extra_files = _files(Path(p) for p in extra) if extra else []
    try:
        key = cache.cache_key(builtin_files + extra_files, builtin)
    except OSError:  # a file vanished or is unreadable: read it below for the precise error
        key = None
    cached = cache.load(key) if key else None
    if isinstance(cached, dict):
        try:
            return Catalog(**cached)
        except TypeError:  # fields of another version: rebuild
            pass
    catalog = Catalog()
    if builtin_files:
        _read_into(catalog, builtin_files)
    if extra_files:
        _read_into(catalog, extra_files)
    _check_links(catalog)
    if key:
        cache.store(key, {f.name: getattr(catalog, f.name) for f in fields(catalog) if f.name != "memo"})
    return catalog


def load_catalog(extra: Iterable[str | Path] | str | Path | None = None, *, builtin: bool = True) -> Catalog:
    """The validated spec tables: the built-in ``specs/`` plus the user's files or folders in ``extra``.

    ``builtin=False`` reads only ``extra`` (for a self-contained table of one's own).

    Raises :class:`~computescale.errors.SpecFileError` (file, field, reason) on a malformed file,
    a file that is not UTF-8, an empty path, or a name defined twice among ``extra``. Built-in
    entries that ``extra`` replaces are listed, one line each, in ``Catalog.overrides``.
    The result is cached per content of the files read; treat it as read-only.
    """
    if extra is None:
        given: list[Any] = []
    elif isinstance(extra, (str, Path)):
        given = [extra]
    else:
        given = list(extra)
    for p in given:
        if not isinstance(p, (str, Path)):
            raise SpecFileError(repr(p), "", f"a spec path is text or a Path, got {type(p).__name__}")
        if isinstance(p, str) and not p.strip():  # Path("") is the current folder: never scan it by accident
            raise SpecFileError(repr(p), "", "an empty path names no spec file or folder")
    try:
        key = tuple(dict.fromkeys(str(Path(p).resolve()) for p in given))  # the same file twice is one file
    except (OSError, ValueError) as exc:  # an embedded NUL byte, a symlink loop
        raise SpecFileError(", ".join(map(str, given)), "", f"cannot read ({exc})") from None
    return _load(key, builtin, _content_stamp(key, builtin))
