"""Reading and validating spec files: TOML, the pydantic models of :mod:`.schema`, one reader per
kind of entry, and the checks across files (source ids resolve, names and aliases unique). The
result fills a :class:`~computescale.data.specs.Catalog` (the ``catalog`` argument below); errors name file,
field and reason.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from ..errors import SpecFileError, UnitError
from .schema import Cluster, Device, Run, Source, System, Threshold, default_entry
from .schema_architecture import Architecture

__all__ = ["DEFAULT_DIMENSIONS", "normalize_name"]

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
    "inference_prefill_efficiency_hopper": "dimensionless",
    "inference_prefill_efficiency_blackwell": "dimensionless",
    "inference_decode_compute_efficiency": "dimensionless",
    "inference_decode_compute_efficiency_hopper": "dimensionless",
    "inference_decode_compute_efficiency_blackwell": "dimensionless",
    "inference_memory_efficiency": "dimensionless",
    "inference_layer_latency": "time",
    "inference_allreduce_latency": "time",
    "inference_link_efficiency": "dimensionless",
    "inference_moe_compute_efficiency": "dimensionless",
    "inference_moe_memory_efficiency": "dimensionless",
    "inference_band_low": "dimensionless",
    "inference_band_high": "dimensionless",
}


def normalize_name(name: str) -> str:
    """Lookup key: case-, space-, hyphen-, underscore-, bracket-, quote- and comma-insensitive
    (so the display name ``xAI Colossus (2024)`` also matches ``xai colossus 2024``)."""
    return re.sub(r"[\s\-_(),'\"\u2019]+", "", name).casefold()


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

    def __init__(self, catalog: Any):
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


def _read_into(catalog: Any, files: list[Path]) -> None:
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


def _check_source(catalog: Any, source_id: str, path: Path, where: str) -> None:
    if source_id not in catalog.sources:
        close = difflib.get_close_matches(source_id, list(catalog.sources), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SpecFileError(str(path), where, f"source id {source_id!r} is not in any [[source]] table{hint}")


def _check_device(catalog: Any, name: str, path: Path, where: str) -> None:
    if normalize_name(name) not in catalog._index.get("device", {}):
        raise SpecFileError(str(path), where, f"unknown device {name!r}")


def _check_links(catalog: Any) -> None:
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
