"""Scenario sweeps: every combination of a few named axes, evaluated in NumPy without a loop per scenario.

>>> from computescale.sweep import sweep
>>> r = sweep(device="H100,B200", count="10k:200k:20", compute="1e26 FLOP", mfu=0.4)
>>> r.shape, r["time_to_train"].units
((2, 20, 1, 1), <Unit('day')>)

Axes (any order; the grid has one dimension per axis, in the order given):

========================  ===========================================  =====================
axis (alias)              values                                       unit of bare numbers
========================  ===========================================  =====================
``device``                device names (categorical)                   —
``precision``             ``bf16``, ``fp8``, ... dense peak used         —
``count``                 whole devices (``10k``, ``1.5M``)             devices
``compute`` (``flop``)    training compute                             FLOP
``duration`` (``days``)   wall time                                    day
``mfu``                   model FLOP utilization, (0, 1]                —
``pue``                   power usage effectiveness, >= 1               —
``server_overhead``       server power / device power, >= 1             —
(``overhead``)
``power_fraction``        average draw / TDP, (0, 1]                    —
``electricity_price``     >= 0                                          USD/kWh
``carbon_intensity``      >= 0                                          kgCO2e/kWh
========================  ===========================================  =====================

A value is a number, a quantity, a list or array, or text: a list ``"0.3,0.4,0.5"``, or an
inclusive range ``"start:stop:num"`` (``num`` points, linspace; ``:log`` for geometric spacing),
optionally followed by a unit for its bare numbers (``"90:100:11 day"``). Counts in a range are
rounded to whole devices (duplicates after rounding are dropped; :attr:`SweepResult.notes` says so).

Outputs follow :func:`computescale.training.estimate_training` and :func:`computescale.compare.compare`
(same formulas through :mod:`kernels`, same sourced defaults for factors that are not axes):
``peak`` (cluster dense peak), ``ratio`` (peak / a reference cluster's peak, same precision),
``time_to_train``, ``compute_in_duration``, ``implied_mfu``, ``devices_for_duration``,
``device_time``, ``energy``, ``electricity_cost``, ``emissions``. A device that lacks a figure gives
NaN for what needs it (never another device's figure).

Large grids run in chunks of contiguous scenarios: :meth:`Sweep.run` keeps every output (refused
with a clear error above ``max_memory``), :meth:`Sweep.summary` reduces each chunk to min / max /
mean (bounded memory for any size), :meth:`Sweep.to_csv` streams rows to a file chunk by chunk.
"""

from __future__ import annotations

import difflib
import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pint

from . import kernels
from .cluster import Cluster, cluster as _parse_cluster, parse_count
from .errors import InputError, UnitError, UnknownNameError
from .schema import PRECISIONS
from .specs import Catalog, load_catalog
from .units import BASE, Q_, parse_quantity, parse_unit

__all__ = [
    "Sweep",
    "SweepResult",
    "SweepSummary",
    "Axis",
    "sweep",
    "parse_axis",
    "AXES",
    "OUTPUTS",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_MEMORY",
]

#: Scenarios evaluated at once: 2**18 keeps each float array at 2 MiB (a dozen live at a time).
DEFAULT_CHUNK_SIZE = 1 << 18
#: Largest full result :meth:`Sweep.run` builds [bytes]; above it, use summary() or to_csv().
DEFAULT_MAX_MEMORY = 1 << 30


@dataclass(frozen=True)
class _AxisSpec:
    name: str
    dimension: str | None  # a units.BASE key; None for categorical axes and counts
    unit: str  # display unit, and the unit of bare numbers
    lo: float = 0.0
    lo_open: bool = True
    hi: float = math.inf
    accepted: str = ""
    categorical: bool = False


#: The axes a sweep knows, by canonical name.
AXES: dict[str, _AxisSpec] = {s.name: s for s in [
    _AxisSpec("device", None, "", categorical=True),
    _AxisSpec("precision", None, "", categorical=True),
    _AxisSpec("count", None, "", accepted="whole positive numbers of devices (e.g. 25000, 100k)"),
    _AxisSpec("compute", "compute", "FLOP", accepted="positive compute (e.g. 1e26, '3640 PF-day')"),
    _AxisSpec("duration", "time", "day", accepted="positive durations (e.g. 90, '2200 hour')"),
    _AxisSpec("mfu", "dimensionless", "", hi=1.0, accepted="fractions in (0, 1] (e.g. 0.4)"),
    _AxisSpec("pue", "dimensionless", "", lo=1.0, lo_open=False, accepted="ratios >= 1 (facility / IT power)"),
    _AxisSpec("server_overhead", "dimensionless", "", lo=1.0, lo_open=False, accepted="ratios >= 1 (server / device power)"),
    _AxisSpec("power_fraction", "dimensionless", "", hi=1.0, accepted="fractions of device power in (0, 1]"),
    _AxisSpec("electricity_price", "energy_price", "USD/kWh", lo_open=False, accepted="prices >= 0 (e.g. 0.08 USD/kWh)"),
    _AxisSpec("carbon_intensity", "carbon_intensity", "kgCO2e/kWh", lo_open=False, accepted="intensities >= 0 (e.g. 0.4 kgCO2e/kWh)"),
]}
_ALIASES = {"flop": "compute", "days": "duration", "overhead": "server_overhead", "devices": "device"}

#: Outputs: name -> (display unit, label, base dimension).
OUTPUTS: dict[str, tuple[str, str, str]] = {
    "peak": ("EFLOP/s", "cluster dense peak", "compute_rate"),
    "ratio": ("", "peak / reference peak (same precision)", "dimensionless"),
    "time_to_train": ("day", "time to train", "time"),
    "compute_in_duration": ("FLOP", "compute reachable in the duration", "compute"),
    "implied_mfu": ("", "MFU implied by compute, cluster and duration", "dimensionless"),
    "devices_for_duration": ("", "devices needed for the duration", "dimensionless"),
    "device_time": ("GPU_hour", "device-time", "device_time"),
    "energy": ("MWh", "facility energy", "energy"),
    "electricity_cost": ("USD", "electricity cost", "currency"),
    "emissions": ("tCO2e", "emissions", "emissions"),
}
# The base units the kernels work in (device-time: the kernels count device-hours).
_FACTORS = {k: float(Q_(1.0, BASE[dim]).m_as(parse_unit(unit))) for k, (unit, _, dim) in OUTPUTS.items()}

# Factors that are not axes take the training layer's sourced defaults (specs/defaults.toml).
_DEFAULT_NAMES = {"mfu": "mfu", "pue": "pue", "server_overhead": "server_overhead",
                  "power_fraction": "average_power_fraction", "electricity_price": "electricity_price",
                  "carbon_intensity": "grid_carbon_intensity"}


# ---- axes ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """One labelled dimension of a sweep: its name, values (display unit) and unit."""

    name: str
    values: np.ndarray  # float (display unit) or object (names) array
    unit: str = ""
    base: np.ndarray | None = None  # numeric axes: values in the kernels' base unit
    note: str = ""

    @property
    def categorical(self) -> bool:
        return self.values.dtype == object

    @property
    def header(self) -> str:
        return f"{self.name} [{self.unit}]" if self.unit else self.name

    def __len__(self) -> int:
        return len(self.values)

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit or None, "values": self.values.tolist(), "note": self.note or None}


def _canonical(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in AXES:
        names = list(AXES) + list(_ALIASES)
        raise UnknownNameError("sweep axis", name, difflib.get_close_matches(key, names, n=3, cutoff=0.5) or list(AXES))
    return key


_RANGE_NUM = re.compile(r"^\s*(\d+)\s*(.*?)\s*$")


def _split_list(text: str, name: str) -> list[str]:
    items = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in items):
        raise InputError(f"{name}: empty value in {text!r}; give a number, a list 'a,b,c' or a range 'start:stop:num'")
    return items


def _numbers(items: Sequence[str], spec: _AxisSpec, unit: str) -> np.ndarray:
    """Items of text -> magnitudes in the axis's display unit."""
    if spec.name == "count":
        if unit:
            raise InputError(f"count: a count has no unit, got {unit!r}")
        return np.array([float(parse_count(i, what="count")) for i in items])
    out = []
    for item in items:
        q = parse_quantity(item, spec.dimension, what=spec.name, default_unit=unit or spec.unit or None)
        out.append(q.m_as(parse_unit(spec.unit)))
    return np.array(out, dtype=float)


def _parse_text(text: str, spec: _AxisSpec) -> tuple[np.ndarray, str]:
    name = spec.name
    if ":" not in text:
        items = _split_list(text, name)
        unit = ""
        last = re.match(r"^(\S+)\s+(.+)$", items[-1])
        if spec.name != "count" and len(items) > 1 and last and all(_bare(i) for i in items[:-1]):
            unit = last.group(2)  # "0.05,0.1 USD/kWh": a trailing unit applies to every bare number
        return _numbers(items, spec, unit), ""
    parts = [p.strip() for p in text.split(":")]
    if len(parts) not in (3, 4) or not all(parts):
        raise InputError(f"{name}: cannot read range {text!r}; write start:stop:num (inclusive, num points), "
                         "e.g. 10k:200k:20, optionally :log")
    spacing = "lin"
    if len(parts) == 4:
        spacing = parts[3].lower()
        if spacing not in ("lin", "log"):
            raise InputError(f"{name}: range spacing must be 'lin' or 'log', got {parts[3]!r}")
    m = _RANGE_NUM.match(parts[2])
    if not m:
        raise InputError(f"{name}: the number of points in {text!r} must be a whole number >= 1, got {parts[2]!r}")
    num, unit = int(m.group(1)), m.group(2)
    if num < 1:
        raise InputError(f"{name}: range {text!r} asks for {num} points; num must be >= 1")
    start, stop = _numbers([parts[0], parts[1]], spec, unit)
    if start > stop:
        raise InputError(f"{name}: range {text!r} runs backwards ({parts[0]} > {parts[1]}); write start:stop:num with start <= stop")
    if num > 1 and start == stop:
        raise InputError(f"{name}: range {text!r} has a step of zero (start == stop with {num} points); give one value instead")
    if num == 1 and start != stop:
        raise InputError(f"{name}: range {text!r} has 1 point but start != stop; give num >= 2, or one value")
    if spacing == "log":
        if start <= 0:
            raise InputError(f"{name}: a log range needs start > 0, got {parts[0]!r}")
        values = np.geomspace(start, stop, num)
    else:
        values = np.linspace(start, stop, num)
    note = ""
    if name == "count":
        rounded = np.unique(np.maximum(np.rint(values), 1.0))
        note = "counts rounded to whole devices"
        if rounded.size < values.size:
            note += f" ({values.size - rounded.size} duplicate(s) after rounding dropped)"
        values = rounded
    return values, note


def _bare(item: str) -> bool:
    try:
        float(item.replace("_", ""))
        return True
    except ValueError:
        return False


def parse_axis(name: str, value: Any, catalog: Catalog | None = None) -> Axis:
    """Read one axis: ``parse_axis("count", "10k:200k:20")``, ``parse_axis("device", ["H100", "B200"])``.

    Raises :class:`UnknownNameError` for an unknown axis (with suggestions) and :class:`InputError`
    for empty, reversed or zero-step ranges, ``num < 1``, and values outside the axis's domain.
    """
    key = _canonical(name)
    spec = AXES[key]
    if spec.categorical:
        return _categorical(key, value, catalog or load_catalog())
    note = ""
    if isinstance(value, str):
        values, note = _parse_text(value, spec)
    elif isinstance(value, pint.Quantity):
        if spec.dimension is None:
            raise UnitError(f"{key}: a count is a plain number, got a quantity {value!s}")
        q = parse_quantity(value, spec.dimension, what=key)
        values = np.atleast_1d(np.asarray(q.m_as(parse_unit(spec.unit)), dtype=float)).ravel()
    else:
        if isinstance(value, (list, tuple)) and any(isinstance(v, (str, pint.Quantity)) for v in value):
            values = np.concatenate([parse_axis(key, v, catalog).values for v in value]) if value else np.array([])
        else:
            try:
                values = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
            except (TypeError, ValueError):
                raise InputError(f"{key}: expected numbers, a list or a range 'start:stop:num', got {value!r}") from None
    if values.size == 0:
        raise InputError(f"{key}: no values (an empty list or range); give at least one")
    _check_domain(spec, values)
    base = values if spec.dimension is None else values * float(Q_(1.0, parse_unit(spec.unit)).m_as(BASE[spec.dimension]))
    return Axis(key, values, spec.unit, base, note)


def _check_domain(spec: _AxisSpec, values: np.ndarray) -> None:
    bad = ~np.isfinite(values)
    if spec.name == "count":
        bad |= (values < 1) | (values != np.rint(values))
        accepted = spec.accepted
    else:
        bad |= (values <= spec.lo) if spec.lo_open else (values < spec.lo)
        bad |= values > spec.hi
        accepted = spec.accepted
    if bad.any():
        unit = f" {spec.unit}" if spec.unit else ""
        raise InputError(f"{spec.name} must be {accepted}, got {values[bad][0]:g}{unit}")


def _categorical(key: str, value: Any, catalog: Catalog) -> Axis:
    if isinstance(value, str):
        names = _split_list(value, key)
    else:
        names = [value] if not isinstance(value, (list, tuple, np.ndarray)) else list(value)
    if not names:
        raise InputError(f"{key}: no values (an empty list); give at least one")
    if key == "precision":
        out = []
        for n in names:
            p = str(n).strip().lower()
            if p not in PRECISIONS:
                raise UnknownNameError("precision", str(n), difflib.get_close_matches(p, PRECISIONS, n=3) or list(PRECISIONS))
            out.append(p)
        if len(set(out)) != len(out):
            raise InputError(f"precision: {value!r} names a precision twice")
        return Axis(key, np.array(out, dtype=object))
    devices = []
    for n in names:
        dev = n if hasattr(n, "peak") else catalog.resolve_device(str(n))[0]
        devices.append(dev)
    canon = [d.name for d in devices]
    if len(set(canon)) != len(canon):
        raise InputError(f"device: {value!r} names the same device twice ({', '.join(canon)})")
    return Axis(key, np.array(canon, dtype=object), note="; ".join(f"{n!r} -> {c}" for n, c in zip(names, canon) if str(n) != c))


# ---- the sweep -----------------------------------------------------------------------------------------
def _parse_memory(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(parse_quantity(value, "information", what="max_memory").m_as("byte"))


def _find_axis(axes: Sequence[Axis], name: str) -> Axis:
    key = _canonical(name)
    for a in axes:
        if a.name == key:
            return a
    raise InputError(f"this sweep has no {key!r} axis; its axes are {', '.join(a.name for a in axes)}")


class Sweep:
    """A grid of scenarios over named axes, not yet evaluated.

    Parameters
    ----------
    axes : mapping or sequence of (name, value) pairs, optional
        Axes in grid order; ``**named`` adds more (an axis given twice, also through an alias such
        as ``flop``/``compute``, is an error).
    reference : str or Cluster, optional
        A cluster (``"25k A100"``) for the ``ratio`` output: cluster peak / reference peak at the
        same precision (the like-for-like basis of :func:`computescale.compare.compare`).
    outputs : sequence of str, optional
        Outputs to compute (default: every one the axes determine).
    chunk_size : int
        Scenarios evaluated at once [scenarios].
    max_memory : int or str
        Largest full result :meth:`run` may build [bytes, or e.g. ``"4 GiB"``].
    """

    def __init__(self, axes: Mapping[str, Any] | Sequence[tuple[str, Any]] = (), /, *, reference: Any = None,
                 outputs: Sequence[str] | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 max_memory: Any = DEFAULT_MAX_MEMORY, catalog: Catalog | None = None, **named: Any):
        self.catalog = catalog or load_catalog()
        pairs = list(axes.items()) if isinstance(axes, Mapping) else list(axes)
        pairs += list(named.items())
        seen: dict[str, str] = {}
        parsed: list[Axis] = []
        for name, value in pairs:
            key = _canonical(name)
            if key in seen:
                raise InputError(f"axis {key!r} is given twice ({seen[key]!r} and {name!r}); give each axis once")
            seen[key] = name
            if value is None:
                continue
            parsed.append(parse_axis(key, value, self.catalog))
        self.axes: tuple[Axis, ...] = tuple(parsed)
        names = {a.name for a in self.axes}
        if "device" not in names:
            raise InputError("a sweep needs a device axis (e.g. device='H100,B200')")
        if "count" not in names:
            raise InputError("a sweep needs a count axis (e.g. count='10k:200k:20')")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
            raise InputError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
        self.chunk_size = int(chunk_size)
        self.max_memory = _parse_memory(max_memory)
        self.reference = None if reference is None else _parse_cluster(reference, self.catalog)
        self.notes: list[str] = [f"{a.name}: {a.note}" for a in self.axes if a.note]
        self.assumptions: list[dict] = []
        self._setup_tables()
        self._setup_outputs(outputs)
        self._setup_defaults()

    # -- shape ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def full_nbytes(self) -> int:
        """Memory a full result needs: one float64 per scenario per output [bytes]."""
        return self.size * len(self.outputs) * 8

    def axis(self, name: str) -> Axis:
        return _find_axis(self.axes, name)

    def _has(self, name: str) -> bool:
        return any(a.name == name for a in self.axes)

    # -- per-device tables (devices and precisions are categorical: a small table, indexed per scenario) --
    def _setup_tables(self) -> None:
        devices = [self.catalog.device(n) for n in self.axis("device").values]
        single = [Cluster.of(d, 1, catalog=self.catalog) for d in devices]
        self._power_w = np.array([c.per_device("power")[0] for c in single])
        if self._has("precision"):
            precisions = list(self.axis("precision").values)
            self._peak = np.array([[c.per_device(f"{p}.dense")[0] for p in precisions] for c in single])
            self._metric = np.array([[f"{p}.dense" for p in precisions] for _ in single], dtype=object)
            for i, d in enumerate(devices):
                missing = [p for j, p in enumerate(precisions) if np.isnan(self._peak[i, j])]
                if missing:
                    self.notes.append(f"{d.name} has no published {', '.join(m.upper() for m in missing)} dense peak: "
                                      "NaN in those scenarios (never another figure)")
        else:
            # The training layer's default: BF16 dense, FP16 where a device has no BF16 figure (said so).
            chosen = []
            for d in devices:
                p = "bf16" if d.peak("bf16") is not None else "fp16" if d.peak("fp16") is not None else "bf16"
                if p != "bf16":
                    self.notes.append(f"{d.name} has no BF16 figure; its FP16 dense peak is used")
                chosen.append(p)
            self._peak = np.array([[c.per_device(f"{p}.dense")[0]] for c, p in zip(single, chosen)])
            self._metric = np.array([[f"{p}.dense"] for p in chosen], dtype=object)
        for i, d in enumerate(devices):
            if np.isnan(self._power_w[i]):
                self.notes.append(f"{d.name} has no published TDP: energy, cost and emissions are NaN for it")
        if self.reference is not None:
            ref = {m: self.reference.total_magnitude(m) for m in set(self._metric.ravel())}
            self._ref = np.vectorize(lambda m: ref[m], otypes=[float])(self._metric)
            self.notes.append(f"ratio: peak / peak of {self.reference.label} at the same precision")
        else:
            self._ref = None

    def _setup_outputs(self, outputs: Sequence[str] | None) -> None:
        has_c, has_t = self._has("compute"), self._has("duration")
        available = ["peak"]
        if self.reference is not None:
            available.append("ratio")
        if has_c:
            available.append("time_to_train")
        if has_t:
            available.append("compute_in_duration")
        if has_c and has_t:
            available.append("implied_mfu")
            if self._has("mfu"):
                available.append("devices_for_duration")
        if has_c or has_t:
            available += ["device_time", "energy", "electricity_cost", "emissions"]
        if outputs is None:
            self.outputs = tuple(available)
            return
        chosen = []
        for o in outputs:
            if o not in OUTPUTS:
                raise UnknownNameError("sweep output", o, difflib.get_close_matches(o, list(OUTPUTS), n=3) or list(OUTPUTS))
            if o not in available:
                need = {"ratio": "a reference cluster", "time_to_train": "a compute axis", "compute_in_duration": "a duration axis",
                        "implied_mfu": "compute and duration axes", "devices_for_duration": "compute, duration and mfu axes"}
                raise InputError(f"output {o!r} needs {need.get(o, 'a compute or duration axis')}")
            if o in chosen:
                raise InputError(f"output {o!r} is asked for twice")
            chosen.append(o)
        if not chosen:
            raise InputError("outputs: no output asked for; give at least one of " + ", ".join(available))
        self.outputs = tuple(chosen)

    def _setup_defaults(self) -> None:
        self._defaults: dict[str, float] = {}
        energy = any(o in self.outputs for o in ("device_time", "energy", "electricity_cost", "emissions"))
        needed = []
        if not self._has("mfu") and not (self._has("compute") and self._has("duration")):
            needed.append("mfu")
        if energy:
            needed += ["pue", "server_overhead", "power_fraction", "electricity_price", "carbon_intensity"]
        for name in needed:
            if self._has(name):
                continue
            d = self.catalog.defaults.get(_DEFAULT_NAMES[name])
            if d is None:  # no sourced default: devices draw full TDP (as the training layer assumes)
                self._defaults[name] = 1.0
                self.assumptions.append({"name": name, "value": 1.0, "source": None,
                                         "note": "no sourced default; 1.0 = devices draw their full TDP"})
                continue
            spec = AXES[name]
            self._defaults[name] = float(d.value.m_as(BASE[spec.dimension]))
            self.assumptions.append({"name": name, "value": d.value, "source": d.source, "note": "default (specs/defaults.toml)"})
        if self._has("compute") and self._has("duration") and not self._has("mfu"):
            self.notes.append("mfu: not given, so the MFU implied by compute, count and duration is used (as train does)")

    # -- chunked evaluation ----------------------------------------------------------------------------------
    def _blocks(self) -> Iterator[tuple[int, int, tuple[int, ...], list[np.ndarray]]]:
        """Contiguous C-order runs of scenarios: (start, stop, chunk shape, one index array per axis).

        The trailing axes that fit in a chunk stay broadcast (each index array reshaped to its own
        dimension); the leading ones are unravelled into per-row indices.
        """
        shape = self.shape
        nd = len(shape)
        split, inner = nd, 1
        while split > 0 and inner * shape[split - 1] <= self.chunk_size:
            split -= 1
            inner *= shape[split]
        outer_shape = shape[:split]
        n_outer = math.prod(outer_shape)
        rows = max(1, self.chunk_size // inner)
        inner_idx = []
        for i in range(split, nd):
            s = [1] * (nd - split + 1)
            s[i - split + 1] = shape[i]
            inner_idx.append(np.arange(shape[i]).reshape(s))
        for r0 in range(0, n_outer, rows):
            r1 = min(n_outer, r0 + rows)
            k = r1 - r0
            tail = (1,) * (nd - split)
            outer_idx = [ix.reshape((k,) + tail) for ix in np.unravel_index(np.arange(r0, r1), outer_shape)] if split else []
            yield r0 * inner, r1 * inner, (k,) + shape[split:], outer_idx + inner_idx

    def _evaluate(self, idx: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs in display units for one block (arrays broadcastable to the block's shape)."""
        g: dict[str, Any] = dict(self._defaults)
        dev = prec = 0
        for axis, ix in zip(self.axes, idx):
            if axis.name == "device":
                dev = ix
            elif axis.name == "precision":
                prec = ix
            else:
                g[axis.name] = axis.base[ix]
        n = g["count"]
        peak = self._peak[dev, prec]
        out: dict[str, np.ndarray] = {}
        want = set(self.outputs)
        if "peak" in want or "ratio" in want:
            total = n * peak
            if "peak" in want:
                out["peak"] = total
            if "ratio" in want:
                out["ratio"] = kernels.ratio(total, self._ref[dev, prec])
        C, T = g.get("compute"), g.get("duration")
        mfu = g.get("mfu")
        implied = None
        if C is not None and T is not None:
            implied = kernels.implied_mfu(C, n, T, peak)
            out["implied_mfu"] = implied
            if mfu is None:
                mfu = implied
            elif "devices_for_duration" in want:
                out["devices_for_duration"] = kernels.devices_for_time(C, T, peak, mfu)
        t = None
        if C is not None:
            t = kernels.train_time_s(C, n, peak, mfu)
            out["time_to_train"] = t
        if T is not None and "compute_in_duration" in want:
            out["compute_in_duration"] = kernels.compute_in_time_flop(T, n, peak, mfu)
        span = T if T is not None else t
        if span is not None and want & {"device_time", "energy", "electricity_cost", "emissions"}:
            dev_h = n * span / kernels.SECONDS_PER_HOUR
            out["device_time"] = dev_h
            energy = kernels.facility_energy_from_device_hours_j(dev_h, self._power_w[dev], g["power_fraction"],
                                                                 g["server_overhead"], g["pue"])
            out["energy"] = energy
            out["electricity_cost"] = kernels.electricity_cost_usd(energy, g["electricity_price"])
            out["emissions"] = kernels.emissions_kg(energy, g["carbon_intensity"])
        return {k: out[k] * _FACTORS[k] if _FACTORS[k] != 1.0 else out[k] for k in self.outputs}

    def chunks(self, progress: Callable[[int, int], None] | None = None):
        """Yield ``(start, stop, block shape, index arrays, outputs)`` for each chunk, in C order."""
        total = self.size
        for start, stop, shape, idx in self._blocks():
            yield start, stop, shape, idx, self._evaluate(idx)
            if progress is not None:
                progress(stop, total)

    def run(self, progress: Callable[[int, int], None] | None = None) -> "SweepResult":
        """Evaluate every scenario and keep every output (refused above ``max_memory``)."""
        need = self.full_nbytes
        if need > self.max_memory:
            raise InputError(
                f"the sweep has {self.size:,} scenarios x {len(self.outputs)} outputs = {need / 2**30:.3g} GiB in full, "
                f"over the {self.max_memory / 2**30:.3g} GiB limit; ask for a summary (Sweep.summary(), --summary), "
                "stream rows to a file (Sweep.to_csv(path), --csv FILE), fewer outputs, or raise max_memory")
        data = {k: np.empty(self.size) for k in self.outputs}
        for start, stop, shape, _, out in self.chunks(progress):
            for k, v in out.items():
                data[k][start:stop] = np.broadcast_to(v, shape).reshape(-1)
        outputs = {k: v.reshape(self.shape) for k, v in data.items()}
        return SweepResult(self.axes, outputs, list(self.notes), list(self.assumptions),
                           None if self.reference is None else self.reference.label)

    def summary(self, progress: Callable[[int, int], None] | None = None) -> "SweepSummary":
        """Min, max (with the scenario giving each), mean and NaN count of every output, chunk by chunk.

        Memory stays bounded by ``chunk_size`` whatever the number of scenarios.
        """
        acc = {k: _Accumulator() for k in self.outputs}
        for start, stop, shape, _, out in self.chunks(progress):
            for k, v in out.items():
                acc[k].add(np.broadcast_to(v, shape).reshape(-1), start)
        stats = {}
        for k, a in acc.items():
            stats[k] = {"unit": OUTPUTS[k][0], "label": OUTPUTS[k][1], "count": a.count, "nan": self.size - a.count,
                        "min": a.min if a.count else None, "max": a.max if a.count else None,
                        "mean": a.total / a.count if a.count else None,
                        "argmin": self.scenario(a.argmin) if a.count else None,
                        "argmax": self.scenario(a.argmax) if a.count else None}
        return SweepSummary(self.axes, self.size, stats, list(self.notes), list(self.assumptions))

    def scenario(self, flat_index: int) -> dict[str, Any]:
        """The axis values of one scenario, by its flat (C-order) index."""
        ix = np.unravel_index(int(flat_index), self.shape)
        return {a.name: _plain(a.values[i]) for a, i in zip(self.axes, ix)}

    def to_csv(self, path, progress: Callable[[int, int], None] | None = None) -> str:
        """Stream every scenario as a CSV row to ``path``, chunk by chunk (bounded memory). Returns ``path``."""
        with open(path, "w", newline="") as fh:
            fh.write(_csv_header(self.axes, self.outputs))
            for _, _, shape, idx, out in self.chunks(progress):
                fh.write(_csv_rows(self.axes, idx, shape, out))
        return str(path)


class _Accumulator:
    def __init__(self):
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.argmin = self.argmax = -1

    def add(self, v: np.ndarray, start: int) -> None:
        ok = ~np.isnan(v)
        n = int(ok.sum())
        if not n:
            return
        w = v if n == v.size else np.where(ok, v, np.nan)
        i, j = int(np.nanargmin(w)), int(np.nanargmax(w))
        if w[i] < self.min:
            self.min, self.argmin = float(w[i]), start + i
        if w[j] > self.max:
            self.max, self.argmax = float(w[j]), start + j
        self.total += float(np.sum(v, where=ok))
        self.count += n


def _plain(x):
    return x.item() if hasattr(x, "item") else x


def _csv_header(axes, outputs) -> str:
    cols = [a.header for a in axes] + [f"{k} [{OUTPUTS[k][0]}]" if OUTPUTS[k][0] else k for k in outputs]
    return ",".join(cols) + "\n"


def _csv_rows(axes, idx, shape, out) -> str:
    """CSV text of one block, formatted in slices of 16k rows (text costs ~15x the floats' memory)."""
    cols = []
    for a, ix in zip(axes, idx):
        v = a.values[ix]
        cols.append(np.broadcast_to(v.astype(np.int64) if a.name == "count" else v, shape).reshape(-1))
    cols += [np.broadcast_to(v, shape).reshape(-1) for v in out.values()]
    buf = io.StringIO()
    n = cols[0].size if cols else 0
    step = 1 << 14
    for s0 in range(0, n, step):
        lists = [c[s0:s0 + step].tolist() for c in cols]  # Python scalars: str() gives the shortest round-trip repr
        buf.write("".join(",".join(map(str, row)) + "\n" for row in zip(*lists)))
    return buf.getvalue()


# ---- results ----------------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    """Every output of a sweep, labelled by its axes. ``result["energy"]`` is a Quantity of the grid's shape."""

    axes: tuple[Axis, ...]
    outputs: dict[str, np.ndarray]  # display units (OUTPUTS), shape = tuple(len(a) for a in axes)
    notes: list[str] = field(default_factory=list)
    assumptions: list[dict] = field(default_factory=list)
    reference: str | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def axis(self, name: str) -> Axis:
        return _find_axis(self.axes, name)

    def unit(self, output: str) -> str:
        return OUTPUTS[self._output(output)][0]

    def _output(self, name: str) -> str:
        if name not in self.outputs:
            raise UnknownNameError("sweep output", name, difflib.get_close_matches(name, list(self.outputs), n=3) or list(self.outputs))
        return name

    def quantity(self, output: str):
        """One output as a pint Quantity (array of the grid's shape)."""
        k = self._output(output)
        return Q_(self.outputs[k], parse_unit(OUTPUTS[k][0]))

    __getitem__ = quantity

    def sel(self, **where: Any) -> "SweepResult":
        """Fix axes at one value each (``sel(device="H100", mfu=0.4)``); those axes are dropped."""
        axes, index = list(self.axes), [slice(None)] * len(self.axes)
        drop = set()
        for name, value in where.items():
            a = self.axis(name)
            i = self.axes.index(a)
            if a.categorical:
                wanted = str(value).strip()
                hits = [j for j, v in enumerate(a.values) if v == wanted]
                if not hits and a.name == "device":
                    from .specs import load_catalog as _lc

                    try:
                        dev = _lc().device(wanted).name
                    except UnknownNameError:
                        dev = None
                    hits = [j for j, v in enumerate(a.values) if v == dev]
                if not hits and a.name == "precision":
                    hits = [j for j, v in enumerate(a.values) if v == wanted.lower()]
            else:
                hits = list(np.flatnonzero(np.isclose(a.values, float(value), rtol=1e-12, atol=0)))
            if not hits:
                raise InputError(f"{a.name}: {value!r} is not on the axis ({', '.join(map(str, a.values[:6]))}"
                                 f"{', ...' if len(a) > 6 else ''})")
            index[i] = hits[0]
            drop.add(i)
        new_axes = tuple(a for i, a in enumerate(axes) if i not in drop)
        return SweepResult(new_axes, {k: np.asarray(v[tuple(index)]) for k, v in self.outputs.items()},
                           self.notes, self.assumptions, self.reference)

    # -- export ------------------------------------------------------------------------------------------
    def to_csv(self, path=None) -> str:
        """One row per scenario (axes, then outputs; units in the headers). Returns the text, or
        writes it to ``path`` and returns the path."""
        chunks = [_csv_header(self.axes, self.outputs)]
        flat = {k: v.reshape(-1) for k, v in self.outputs.items()}
        shape = self.shape
        step = DEFAULT_CHUNK_SIZE
        for start in range(0, self.size, step):
            stop = min(self.size, start + step)
            idx = [ix for ix in np.unravel_index(np.arange(start, stop), shape)]
            chunks.append(_csv_rows(self.axes, idx, (stop - start,), {k: v[start:stop] for k, v in flat.items()}))
        text = "".join(chunks)
        if path is None:
            return text
        with open(path, "w", newline="") as fh:
            fh.write(text)
        return str(path)

    def to_dict(self) -> dict:
        """Axes (name, unit, values) and outputs (unit, label, nested values indexed in axis order)."""
        def clean(a):
            return np.where(np.isfinite(a), a, np.nan).tolist() if a.ndim else (float(a) if np.isfinite(a) else None)

        def nan_to_none(x):
            if isinstance(x, list):
                return [nan_to_none(v) for v in x]
            return None if isinstance(x, float) and math.isnan(x) else x

        from .render import to_jsonable

        return {
            "shape": list(self.shape),
            "axes": [a.to_dict() for a in self.axes],
            "outputs": {k: {"unit": OUTPUTS[k][0] or None, "label": OUTPUTS[k][1], "values": nan_to_none(clean(v))}
                        for k, v in self.outputs.items()},
            "reference": self.reference,
            "notes": self.notes,
            "assumptions": to_jsonable(self.assumptions),
        }

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **({"indent": 2} | kwargs))

    def to_pandas(self):
        """A long DataFrame (one row per scenario). Needs pandas, which computescale does not depend on."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("SweepResult.to_pandas needs pandas, which computescale does not install: pip install pandas") from None
        idx = np.unravel_index(np.arange(self.size), self.shape)
        cols = {a.header: a.values[ix] for a, ix in zip(self.axes, idx)}
        cols |= {f"{k} [{OUTPUTS[k][0]}]" if OUTPUTS[k][0] else k: v.reshape(-1) for k, v in self.outputs.items()}
        return pd.DataFrame(cols)

    def __str__(self) -> str:
        return render_result(self)


@dataclass
class SweepSummary:
    """Min / max (with their scenarios) / mean of every output over a sweep too large to keep."""

    axes: tuple[Axis, ...]
    size: int
    stats: dict[str, dict]
    notes: list[str] = field(default_factory=list)
    assumptions: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        from .render import to_jsonable

        return to_jsonable({"scenarios": self.size, "axes": [a.to_dict() for a in self.axes], "outputs": self.stats,
                            "notes": self.notes, "assumptions": self.assumptions})

    def __str__(self) -> str:
        from .render import table

        rows = []
        for k, s in self.stats.items():
            if not s["count"]:
                rows.append([s["label"], "—", "—", "—", "all NaN"])
                continue
            where = ", ".join(f"{n}={_short(v, n)}" for n, v in s["argmin"].items() if len(self.axis_named(n)) > 1)
            rows.append([s["label"] + (f" [{s['unit']}]" if s["unit"] else ""), _num(s["min"]), _num(s["mean"]), _num(s["max"]),
                         f"min at {where}" if where else ""])
        head = f"{self.size:,} scenarios over " + " x ".join(f"{a.name} ({len(a)})" for a in self.axes)
        return "\n".join([head, "", table(rows, ["output", "min", "mean", "max", ""], "lrrrl")] + _tail(self.notes, self.assumptions))

    def axis_named(self, name: str) -> Axis:
        return next(a for a in self.axes if a.name == name)


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.4g}"


def _short(v, name: str = "") -> str:
    if name == "count":
        return f"{int(v):,}"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _tail(notes, assumptions) -> list[str]:
    from .render import fmt

    out = []
    if assumptions:
        out += ["", "Assumptions (not swept):"] + [f"  {a['name']} = {fmt(a['value'])}  [{a['source'] or 'no source'}] {a['note']}"
                                                  for a in assumptions]
    if notes:
        out += ["", "Notes:"] + [f"  - {n}" for n in notes]
    return out


#: Rows shown by the text rendering before it switches to a summary.
MAX_TABLE_ROWS = 200


def render_result(r: SweepResult) -> str:
    from .render import table

    varying = [a for a in r.axes if len(a) > 1]
    fixed = [a for a in r.axes if len(a) == 1]
    head = [f"{r.size:,} scenarios over " + (" x ".join(f"{a.name} ({len(a)})" for a in varying) or "one point")]
    if fixed:
        head.append("fixed: " + ", ".join(f"{a.name} = {_short(_plain(a.values[0]), a.name)}{' ' + a.unit if a.unit else ''}" for a in fixed))
    if r.size > MAX_TABLE_ROWS:
        lines = head + ["", f"(more than {MAX_TABLE_ROWS} rows: --csv FILE or --json for all of them; ranges below)"]
        rows = []
        for k, v in r.outputs.items():
            ok = v[~np.isnan(v)]
            rows.append([OUTPUTS[k][1] + (f" [{OUTPUTS[k][0]}]" if OUTPUTS[k][0] else ""),
                         _num(float(ok.min())) if ok.size else "—", _num(float(ok.max())) if ok.size else "—"])
        lines.append(table(rows, ["output", "min", "max"], "lrr"))
        return "\n".join(lines + _tail(r.notes, r.assumptions))
    idx = np.unravel_index(np.arange(r.size), r.shape)
    cols = [[_short(_plain(x), a.name) for x in a.values[ix]] for a, ix in zip(r.axes, idx) if len(a) > 1]
    cols += [[_num(float(x)) for x in v.reshape(-1)] for v in r.outputs.values()]
    headers = [a.header for a in varying] + [f"{k} [{OUTPUTS[k][0]}]" if OUTPUTS[k][0] else k for k in r.outputs]
    align = "".join("l" if a.categorical else "r" for a in varying) + "r" * len(r.outputs)
    return "\n".join(head + ["", table(list(zip(*cols)), headers, align)] + _tail(r.notes, r.assumptions))


def sweep(axes: Mapping[str, Any] | Sequence[tuple[str, Any]] = (), /, **kwargs: Any) -> SweepResult:
    """Evaluate a sweep in full: ``sweep(device="H100,B200", count="10k:200k:20", compute=1e26, mfu=0.4)``.

    Keywords are those of :class:`Sweep` (axes, ``reference``, ``outputs``, ``chunk_size``,
    ``max_memory``, ``catalog``); see the module docstring for the axes and outputs.
    """
    return Sweep(axes, **kwargs).run()
