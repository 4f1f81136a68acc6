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
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from .errors import SpecFileError, UnitError, UnknownNameError
from .schema import Cluster, Device, QuantityEntry, Run, Source, System, Threshold, default_entry
from .schema_architecture import Architecture

__all__ = ["Catalog", "Resolved", "load_catalog", "builtin_specs_dir", "normalize_name", "DEFAULT_DIMENSIONS"]

# The dimension each known default parameter must have (specs/defaults.toml).
DEFAULT_DIMENSIONS = {
    "pue": "dimensionless",
    "pue_industry_average": "dimensionless",
    "server_overhead": "dimensionless",
    "average_power_fraction": "dimensionless",
    "grid_carbon_intensity": "carbon_intensity",
    "grid_carbon_intensity_us": "carbon_intensity",
    "electricity_price": "energy_price",
    "gpu_hour_rental_h100": "hourly_rate",
    "hardware_lifetime": "time",
    "mfu": "dimensionless",
    "measured_system_power_to_tdp_v100": "dimensionless",
    "inference_memory_fraction": "dimensionless",
    "inference_prefill_efficiency": "dimensionless",
    "inference_decode_efficiency": "dimensionless",
    "inference_band_low": "dimensionless",
    "inference_band_high": "dimensionless",
}


def builtin_specs_dir() -> Path:
    """Where the shipped specs are: inside the installed package, or the repo's ``specs/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "_specs"  # wheels and sdists put specs/ here (pyproject force-include)
    if packaged.is_dir():
        return packaged
    repo = here.parent.parent / "specs"  # editable install or PYTHONPATH=src
    if repo.is_dir():
        return repo
    raise SpecFileError(str(packaged), "", "computescale's spec tables are missing from this install")


def normalize_name(name: str) -> str:
    """Lookup key: case-, space-, hyphen-, underscore-, bracket-, quote- and comma-insensitive
    (so the display name ``xAI Colossus (2024)`` also matches ``xai colossus 2024``)."""
    return re.sub(r"[\s\-_(),'\"\u2019]+", "", name).casefold()


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


def _load_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecFileError(str(path), "", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        raise SpecFileError(str(path), "", f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                            "save the file as UTF-8") from None
    except (OSError, ValueError) as exc:
        raise SpecFileError(str(path), "", f"cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def _validate(model, data: Any, path: Path, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (see specs/README.md for the format)"
        elif err["type"] == "missing":
            message = "required field is missing"
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise SpecFileError(str(path), f"{where}.{loc}" if loc else where, message + more) from None
    except UnitError as exc:  # pragma: no cover - pydantic wraps these; kept for safety
        raise SpecFileError(str(path), where, str(exc)) from None


def _files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        try:
            if p.is_dir():
                out.extend(sorted(f for f in p.rglob("*.toml")))
            elif p.is_file():
                out.append(p)
            else:
                raise SpecFileError(str(p), "", "no such file or folder")
        except OSError as exc:  # a name too long, a folder without permission
            raise SpecFileError(str(p), "", f"cannot read ({exc.strerror or exc})") from None
    return out


_SECTIONS = {"source", "device", "cluster", "run", "threshold", "default", "system", "architecture"}


class _Load:
    """One load (a folder, or every --specs) into a catalog: an entry defined twice within it is an error
    naming both places; an entry of an earlier load (the built-in tables) may be replaced, and each
    replacement is listed in ``catalog.overrides``."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.seen: dict[tuple[str, str], str] = {}  # (kind, name) -> "file: where", within this load

    def once(self, kind: str, name: str, path: Path, where: str, replaces: bool) -> None:
        here = f"{path}: {where}"
        if (kind, name) in self.seen:
            raise SpecFileError(str(path), where, f"{kind} {name!r} is defined twice; first at {self.seen[(kind, name)]}")
        self.seen[(kind, name)] = here
        if replaces:
            self.catalog.overrides.append(
                f"{here} replaces the built-in {kind} {name!r} ({self.catalog.origin.get((kind, name), '?')})")

    def sources(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("source", [])):
            src = _validate(Source, raw, path, f"source[{i}]")
            if src.id in self.catalog.sources and self.catalog.sources[src.id] != src:
                raise SpecFileError(str(path), f"source[{i}].id", f"duplicate source id {src.id!r} (also in {self.catalog.origin[('source', src.id)]})")
            self.catalog.sources[src.id] = src
            self.catalog.origin[("source", src.id)] = str(path)

    def devices(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("device", [])):
            where = f"device[{i}]" + (f" ({raw.get('name')})" if isinstance(raw, dict) and raw.get("name") else "")
            dev = _validate(Device, raw, path, where)
            for fld, entry in dev.entries():
                _check_source(self.catalog, entry.source, path, f"{where}.{fld}.source")
            for j, sid in enumerate(dev.see_also):
                _check_source(self.catalog, sid, path, f"{where}.see_also[{j}]")
            self.once("device", dev.name, path, where, dev.name in self.catalog.devices)
            self.catalog._add("device", self.catalog.devices, dev, (dev.name, *dev.aliases), str(path), where)

    def thresholds(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("threshold", [])):
            thr = _validate(Threshold, raw, path, f"threshold[{i}]")
            _check_source(self.catalog, thr.compute.source, path, f"threshold[{i}].compute.source")
            if thr.status_source:
                _check_source(self.catalog, thr.status_source, path, f"threshold[{i}].status_source")
            self.once("threshold", thr.id, path, f"threshold[{i}]", thr.id in self.catalog.thresholds)
            self.catalog.thresholds[thr.id] = thr
            self.catalog.origin[("threshold", thr.id)] = str(path)

    def defaults(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("default", [])):
            where = f"default[{i}]"
            name = raw.get("name") if isinstance(raw, dict) else None
            dimension = DEFAULT_DIMENSIONS.get(name)
            if dimension is None:
                raise SpecFileError(str(path), f"{where}.name", f"unknown default {name!r}; known: {sorted(DEFAULT_DIMENSIONS)}")
            dft = _validate(default_entry(dimension), {k: v for k, v in raw.items() if k != "name"}, path, f"{where} ({name})")
            _check_source(self.catalog, dft.source, path, f"{where}.source")
            self.once("default", name, path, f"{where} ({name})", name in self.catalog.defaults)
            self.catalog.defaults[name] = dft
            self.catalog.origin[("default", name)] = str(path)

    def clusters(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("cluster", [])):
            where = f"cluster[{i}]"
            clu = _validate(Cluster, raw, path, where)
            _check_source(self.catalog, clu.source, path, f"{where}.source")
            for j, member in enumerate(clu.members):
                _check_device(self.catalog, member.device, path, f"{where}.members[{j}].device")
            self.once("cluster", clu.name, path, where, clu.name in self.catalog.clusters)
            self.catalog._add("cluster", self.catalog.clusters, clu, (clu.name, *clu.aliases), str(path), where)

    def systems(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("system", [])):
            where = f"system[{i}]"
            sys_ = _validate(System, raw, path, where)
            for key, sid in (("power.source", sys_.power.source), *((f"see_also[{j}]", x) for j, x in enumerate(sys_.see_also))):
                _check_source(self.catalog, sid, path, f"{where}.{key}")
            _check_device(self.catalog, sys_.device, path, f"{where}.device")
            sys_ = sys_.model_copy(update={"device": self.catalog.device(sys_.device).name})
            self.once("system", sys_.name, path, where, sys_.name in self.catalog.systems)
            others = [s for s in self.catalog.systems.values() if s.device == sys_.device and s.primary and s.name != sys_.name]
            if sys_.primary and others:
                raise SpecFileError(str(path), f"{where}.primary", f"device {sys_.device!r} already has a primary system ({others[0].name!r})")
            self.catalog.systems[sys_.name] = sys_
            self.catalog.origin[("system", sys_.name)] = str(path)

    def runs(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("run", [])):
            where = f"run[{i}]" + (f" ({raw.get('name')})" if isinstance(raw, dict) and raw.get("name") else "")
            run = _validate(Run, raw, path, where)
            for fld in ("training_compute", "duration", "mfu", "parameters", "tokens", "gpu_hours", "power", "energy", "emissions", "throughput_per_device"):
                entry = getattr(run, fld)
                if entry is not None:
                    _check_source(self.catalog, entry.source, path, f"{where}.{fld}.source")
            if run.cluster is not None:
                _check_source(self.catalog, run.cluster.source, path, f"{where}.cluster.source")
                _check_device(self.catalog, run.cluster.device, path, f"{where}.cluster.device")
            for j, st in enumerate(run.statement):
                _check_source(self.catalog, st.source, path, f"{where}.statement[{j}].source")
            self.once("run", run.name, path, where, run.name in self.catalog.runs)
            self.catalog._add("run", self.catalog.runs, run, (run.name, *run.aliases), str(path), where)


    def architectures(self, path: Path, doc: dict) -> None:
        for i, raw in enumerate(doc.get("architecture", [])):
            where = f"architecture[{i}]" + (f" ({raw.get('name')})" if isinstance(raw, dict) and raw.get("name") else "")
            arch = _validate(Architecture, raw, path, where)
            for fld, entry in arch.entries():
                _check_source(self.catalog, entry.source, path, f"{where}.{fld}.source")
            for j, sid in enumerate(arch.see_also):
                _check_source(self.catalog, sid, path, f"{where}.see_also[{j}]")
            self.once("architecture", arch.name, path, where, arch.name in self.catalog.architectures)
            self.catalog._add("architecture", self.catalog.architectures, arch, (arch.name, *arch.aliases), str(path), where)


def _read_into(catalog: Catalog, files: list[Path]) -> None:
    """Validate ``files`` (one load: a folder, or every --specs) into ``catalog`` (see :class:`_Load`)."""
    docs = [(f, _load_toml(f)) for f in files]
    for path, doc in docs:
        unknown = set(doc) - _SECTIONS
        if unknown:
            raise SpecFileError(str(path), sorted(unknown)[0], f"unknown table; expected one of {sorted(_SECTIONS)}")
    load = _Load(catalog)
    # Sources first, so every other file is checked against the full table; clusters and runs name
    # devices, so they come once every device is known.
    for steps in ((load.sources,), (load.devices, load.thresholds, load.defaults, load.architectures),
                  (load.clusters, load.runs, load.systems)):
        for path, doc in docs:
            for step in steps:
                step(path, doc)


def _check_source(catalog: Catalog, source_id: str, path: Path, where: str) -> None:
    if source_id not in catalog.sources:
        close = difflib.get_close_matches(source_id, list(catalog.sources), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SpecFileError(str(path), where, f"source id {source_id!r} is not in any [[source]] table{hint}")


def _check_device(catalog: Catalog, name: str, path: Path, where: str) -> None:
    if normalize_name(name) not in catalog._index.get("device", {}):
        raise SpecFileError(str(path), where, f"unknown device {name!r}")


def _check_links(catalog: Catalog) -> None:
    """Sources and names that the per-section reading does not check: device dates, cluster power,
    member sources, see_also lists, and runs' ``cluster_ref`` and ``architecture``."""
    for dev in catalog.devices.values():
        path = Path(catalog.origin.get(("device", dev.name), "?"))
        for fld, entry in dev.dated():
            _check_source(catalog, entry.source, path, f"device ({dev.name}).{fld}.source")
    for clu in catalog.clusters.values():
        path, where = Path(catalog.origin.get(("cluster", clu.name), "?")), f"cluster ({clu.name})"
        for key in ("power", "pue"):
            if getattr(clu, key) is not None:
                _check_source(catalog, getattr(clu, key).source, path, f"{where}.{key}.source")
        for j, member in enumerate(clu.members):
            if member.source:
                _check_source(catalog, member.source, path, f"{where}.members[{j}].source")
        for j, sid in enumerate(clu.see_also):
            _check_source(catalog, sid, path, f"{where}.see_also[{j}]")
    for run in catalog.runs.values():
        path, where = Path(catalog.origin.get(("run", run.name), "?")), f"run ({run.name})"
        if run.active_params is not None:
            _check_source(catalog, run.active_params.source, path, f"{where}.active_params.source")
        if run.cluster_ref and normalize_name(run.cluster_ref) not in catalog._index.get("cluster", {}):
            raise SpecFileError(str(path), f"{where}.cluster_ref", f"unknown cluster {run.cluster_ref!r}")
        if run.architecture and normalize_name(run.architecture) not in catalog._index.get("architecture", {}):
            raise SpecFileError(str(path), f"{where}.architecture", f"unknown architecture {run.architecture!r} (see specs/models.toml)")


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
    from . import cache

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
