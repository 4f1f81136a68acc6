"""One syntax for scenario values in every command: grid values and uncertain values.

* ``a,b,c`` and ``start:stop:num[:log]`` (optionally followed by a unit) are **grid values**: each
  is evaluated (:func:`parse_axis`, an :class:`Axis`).
* ``a..b``, ``25k±10%``, ``0.34 +- 0.02`` and ``normal(...)``, ``triangular(...)``,
  ``lognormal(...)``, ``uniform(...)`` are **uncertain values**: sampled by a seeded Monte Carlo
  (:mod:`computescale.engines.montecarlo`).
* Anything else is one value.

Names, units and valid ranges come from the glossary (:mod:`computescale.parameters`); counts go
through :mod:`computescale.cluster` like every other count.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pint

from ..cluster import parse_count
from ..errors import InputError, UnitError, UnknownNameError
from ..models.training import TRAINING
from ..parameters import INPUTS, canonical, check_domain
from ..units import BASE, Q_, parse_quantity, parse_unit

__all__ = ["Axis", "parse_axis", "is_uncertain", "is_grid", "AXES"]

def axes_of(specs, chain) -> tuple[str, ...]:
    """Inputs that may be a grid axis: the numeric inputs of the chain, and device and precision."""
    return tuple(n for n, i in specs.items() if n in ("device", "precision") or (i.numeric and n in chain.used))


#: Inputs of the training chain that may be a grid axis (sweep, and train with grid values).
AXES = axes_of(INPUTS, TRAINING)

_UNCERTAIN = re.compile(r"\.\.|±|\+-|\+/-|^\s*(uniform|normal|triangular|lognormal)\s*\(", re.I)


def is_uncertain(value: Any) -> bool:
    """Text that states a range or a distribution ('0.32..0.36', '25k±10%', 'normal(0.34, 0.01)')."""
    return isinstance(value, str) and bool(_UNCERTAIN.search(value))


def is_grid(value: Any) -> bool:
    """Text that lists grid values ('0.3,0.4' or '10k:200k:20'); a list or array of several values."""
    if isinstance(value, str):
        return not is_uncertain(value) and ("," in value or ":" in value)
    return isinstance(value, (list, tuple, np.ndarray)) and np.size(value) > 1


@dataclass(frozen=True)
class Axis:
    """One labelled dimension of a grid: its name, values (display unit) and unit."""

    name: str
    values: np.ndarray  # float (display unit) or object (names) array
    unit: str = ""
    base: np.ndarray | None = None  # numeric axes: values in the model's base unit
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


def find_axis(axes: Sequence[Axis], name: str) -> Axis:
    """The axis of ``axes`` named ``name`` (or an alias), or InputError listing the axes there are."""
    exact = [a for a in axes if a.name == name]
    if exact:  # any model's own name (a training alias such as 'flop' is read through the glossary)
        return exact[0]
    key = canonical(name, "sweep axis")
    for a in axes:
        if a.name == key:
            return a
    raise InputError(f"this sweep has no {key!r} axis; its axes are {', '.join(a.name for a in axes)}")


def _axis_name(name: str, specs=None, axes=AXES) -> str:
    key = canonical(name, "sweep axis") if specs is None else str(name).strip().lower().replace("-", "_")
    if key not in axes:
        raise UnknownNameError("sweep axis", name, difflib.get_close_matches(key, axes, n=3) or list(axes))
    return key


def parse_axis(name: str, value: Any, catalog=None, specs=None, axes=AXES) -> Axis:
    """Read one axis: ``parse_axis("count", "10k:200k:20")``, ``parse_axis("device", ["H100", "B200"])``.

    Raises :class:`UnknownNameError` for an unknown axis (with suggestions) and :class:`InputError`
    for empty, reversed or zero-step ranges, ``num < 1``, uncertain values, and values outside the
    input's range.
    """
    key = _axis_name(name, specs, axes)
    specs = specs if specs is not None else INPUTS
    spec = specs[key]
    if is_uncertain(value):
        raise InputError(f"{key}: {value!r} is an uncertain value (a range or distribution), which Monte Carlo samples; "
                         "a grid takes a value, a list a,b,c or start:stop:num (use train for Monte Carlo)")
    if spec.kind == "name":
        from ..data.specs import load_catalog

        return _categorical(key, value, catalog or load_catalog())
    note = ""
    if isinstance(value, str):
        values, note = _parse_text(value, key, spec)
    elif isinstance(value, pint.Quantity):
        if spec.dimension is None:
            raise UnitError(f"{key}: a count is a plain number, got a quantity {value!s}")
        q = parse_quantity(value, spec.dimension, what=key)
        values = np.atleast_1d(np.asarray(q.m_as(parse_unit(spec.unit)), dtype=float)).ravel()
    elif isinstance(value, (list, tuple)) and any(isinstance(v, (str, pint.Quantity)) for v in value):
        values = np.concatenate([parse_axis(key, v, catalog, specs, axes).values for v in value]) if value else np.array([])
    else:
        try:
            values = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
        except (TypeError, ValueError):
            raise InputError(f"{key}: expected numbers, a list or a range 'start:stop:num', got {value!r}") from None
    if values.size == 0:
        raise InputError(f"{key}: no values (an empty list or range); give at least one")
    factor = 1.0 if spec.dimension is None else float(Q_(1.0, parse_unit(spec.unit)).m_as(BASE[spec.dimension]))
    base = values if factor == 1.0 else values * factor
    _check(key, values, base, spec)
    return Axis(key, values, spec.unit, base, note)


def _check(key: str, values: np.ndarray, base: np.ndarray, spec) -> None:
    if spec.kind == "count":
        bad = ~np.isfinite(values) | (values < 1) | (values != np.rint(values))
        if bad.any():
            raise InputError(f"count must be {spec.accepted}, got {values[bad][0]:g}")
        return
    try:
        check_domain(key, base, spec=spec)
    except InputError:
        check_domain(key, values, spec.unit or None, spec=spec)  # the message in the unit the user typed
        raise


_RANGE_NUM = re.compile(r"^\s*(\d+)(?:\s+(.*?))?\s*$")


def _split_list(text: str, name: str) -> list[str]:
    items = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in items):
        raise InputError(f"{name}: empty value in {text!r}; give a number, a list 'a,b,c' or a range 'start:stop:num'")
    return items


def _numbers(items: Sequence[str], key: str, unit: str, spec) -> np.ndarray:
    """Items of text -> magnitudes in the input's display unit."""
    if spec.kind == "count":
        if unit:
            raise InputError(f"count: a count has no unit, got {unit!r}")
        return np.array([float(parse_count(i, what="count")) for i in items])
    out = [parse_quantity(i, spec.dimension, what=key, default_unit=unit or spec.unit or None).m_as(parse_unit(spec.unit))
           for i in items]
    return np.array(out, dtype=float)


def _parse_text(text: str, key: str, spec) -> tuple[np.ndarray, str]:
    if ":" not in text:
        items = _split_list(text, key)
        unit = ""
        last = re.match(r"^(\S+)\s+(.+)$", items[-1])
        if spec.kind != "count" and len(items) > 1 and last and all(_bare(i) for i in items[:-1]):
            unit = last.group(2)  # "0.05,0.1 USD/kWh": a trailing unit applies to every bare number
        return _numbers(items, key, unit, spec), ""
    parts = [p.strip() for p in text.split(":")]
    if len(parts) not in (3, 4) or not all(parts):
        raise InputError(f"{key}: cannot read range {text!r}; write start:stop:num (inclusive, num points), "
                         "e.g. 10k:200k:20, optionally :log")
    spacing = parts[3].lower() if len(parts) == 4 else "lin"
    if spacing not in ("lin", "log"):
        raise InputError(f"{key}: range spacing must be 'lin' or 'log', got {parts[3]!r}")
    m = _RANGE_NUM.match(parts[2])
    if not m:
        raise InputError(f"{key}: the number of points in {text!r} must be a whole number >= 1, got {parts[2]!r}")
    num, unit = int(m.group(1)), m.group(2) or ""
    start, stop = _numbers([parts[0], parts[1]], key, unit, spec)
    _check_range(key, text, parts, num, start, stop, spacing)
    values = np.geomspace(start, stop, num) if spacing == "log" else np.linspace(start, stop, num)
    if spec.kind != "count":
        return values, ""
    rounded = np.unique(np.maximum(np.rint(values), 1.0))
    note = "counts rounded to whole devices"
    if rounded.size < values.size:
        note += f" ({values.size - rounded.size} duplicate(s) after rounding dropped)"
    return rounded, note


def _check_range(key, text, parts, num, start, stop, spacing) -> None:
    if num < 1:
        raise InputError(f"{key}: range {text!r} asks for {num} points; num must be >= 1")
    if start > stop:
        raise InputError(f"{key}: range {text!r} runs backwards ({parts[0]} > {parts[1]}); write start:stop:num with start <= stop")
    if num > 1 and start == stop:
        raise InputError(f"{key}: range {text!r} has a step of zero (start == stop with {num} points); give one value instead")
    if num == 1 and start != stop:
        raise InputError(f"{key}: range {text!r} has 1 point but start != stop; give num >= 2, or one value")
    if spacing == "log" and start <= 0:
        raise InputError(f"{key}: a log range needs start > 0, got {parts[0]!r}")


def _bare(item: str) -> bool:
    try:
        float(item.replace("_", ""))
        return True
    except ValueError:
        return False


def _categorical(key: str, value: Any, catalog) -> Axis:
    names = _split_list(value, key) if isinstance(value, str) else (
        [value] if not isinstance(value, (list, tuple, np.ndarray)) else list(value))
    if not names:
        raise InputError(f"{key}: no values (an empty list); give at least one")
    if key == "precision":
        from ..training import normalize_precision

        out = [normalize_precision(n) for n in names]
        if len(set(out)) != len(out):
            raise InputError(f"precision: {value!r} names a precision twice")
        return Axis(key, np.array(out, dtype=object))
    if key != "device":
        raise InputError(f"{key}: cannot be a grid axis")
    devices = [n if hasattr(n, "peak") else catalog.resolve_device(str(n))[0] for n in names]
    canon = [d.name for d in devices]
    if len(set(canon)) != len(canon):
        raise InputError(f"device: {value!r} names the same device twice ({', '.join(canon)})")
    return Axis(key, np.array(canon, dtype=object), note="; ".join(f"{n!r} -> {c}" for n, c in zip(names, canon) if str(n) != c))


# ---- one entry point for every kind of training input ----------------------------------------------------------
def estimate(*, ranges: bool = False, samples: int = 100_000, seed: Any = 0, catalog=None,
             engine_options: dict | None = None, **inputs: Any):
    """Estimate a training run whatever its inputs hold: the path follows the values.

    Every input may be one value, grid values (``"0.3,0.4"``, ``"1e25:1e26:5:log"``) or an
    uncertain value (``"0.3..0.4"``, ``"normal(0.34, 0.01)"``; a cluster ``"25k±10% A100"``). One
    values give :func:`~computescale.training.estimate_training`; grid values its outer-product grid
    (:func:`training_grid`, a row per point); uncertain values a seeded Monte Carlo
    (:func:`~computescale.engines.montecarlo.monte_carlo_training`). ``ranges=True`` draws every input a
    known ``run`` publishes as a range (``runs show NAME``) from that range. ``engine_options``
    (``scheduler``, ``chunks``, ...) run that Monte Carlo on Dask (:func:`computescale.engines.dask_montecarlo.monte_carlo`).
    """
    from ..data.specs import load_catalog
    from .distributions import DISTRIBUTIONS as _DISTRIBUTIONS
    from .montecarlo import run_ranges

    catalog = catalog or load_catalog()
    inputs = {canonical(k): v for k, v in inputs.items() if v is not None}
    split = _uncertain_cluster(inputs.get("cluster"))
    if split:
        inputs.pop("cluster")
        inputs["device"], inputs["count"] = split
    if ranges:
        filled = run_ranges(inputs.get("run"), catalog)
        if "cluster" in inputs:
            filled = {k: v for k, v in filled.items() if k not in ("device", "count")}
        inputs = filled | inputs
    uncertain = [k for k, v in inputs.items() if is_uncertain(v) or isinstance(v, _DISTRIBUTIONS)]
    grid = [k for k, v in inputs.items() if k not in ("run", "cluster", "device", "precision") and is_grid(v)]
    if uncertain and grid:
        raise InputError(f"{', '.join(grid)} hold grid values and {', '.join(uncertain)} uncertain values; give one kind "
                         "per command (a grid of Monte Carlo runs is not supported: use computescale sweep for the grid)")
    if engine_options and not uncertain:
        raise InputError("--engine dask runs a Monte Carlo: give an uncertain value (e.g. --mfu 0.3..0.4, or --ranges); "
                         "grids run on Dask with computescale sweep --engine dask")
    if uncertain:
        return monte_carlo_training(samples=samples, seed=seed, catalog=catalog,
                                    **({"engine": "dask"} | engine_options if engine_options else {}), **inputs)
    if "device" in inputs:  # the one count rule: a device without a count means the devices needed
        device, count = inputs.pop("device"), inputs.pop("count", None)
        inputs["cluster"] = device if count is None else f"{count} {device}"
    if grid:
        return training_grid(catalog=catalog, **inputs)
    from ..training import estimate_training

    return estimate_training(catalog=catalog, **inputs)


def monte_carlo_training(*, engine: str = "numpy", chunks: Any = None, scheduler: Any = None, progress: bool = False,
                         **kwargs: Any):
    """A seeded Monte Carlo of the training model on either engine: ``"numpy"`` (default,
    :func:`computescale.engines.montecarlo.monte_carlo_training`) or ``"dask"`` (seeded blocks, ``chunks``,
    ``scheduler``: :func:`computescale.engines.dask_montecarlo.monte_carlo`; needs ``computescale[scale]``). Same result type.
    """
    if engine == "dask":
        from .dask_montecarlo import monte_carlo

        return monte_carlo(chunks=chunks, scheduler=scheduler, progress=progress, **kwargs)
    if engine != "numpy":
        raise InputError(f"engine must be 'numpy' or 'dask', got {engine!r}")
    if chunks is not None or scheduler is not None:
        raise InputError("chunks and scheduler need engine='dask'")
    from .montecarlo import monte_carlo_training as run

    return run(**kwargs)


def _uncertain_cluster(text: Any):
    """``'25k±10% A100'`` -> ``('A100', '25k±10%')``; None when the count is not uncertain."""
    if not isinstance(text, str) or "+ " in text:
        return None
    head, _, rest = text.strip().partition(" ")
    return (rest.strip(), head) if is_uncertain(head) and rest.strip() else None


def outer_grid(inputs: dict, specs=INPUTS, axes: Sequence[str] = AXES, catalog=None) -> tuple[dict, list[Axis]]:
    """Every input given as grid values becomes one dimension of an outer product (in the order given):
    returns the inputs with those values as broadcasting arrays (base units), and the axes."""
    names = [k for k, v in inputs.items() if k in axes and specs[k].numeric and is_grid(v)]
    grid_axes = [parse_axis(k, inputs[k], catalog, None if specs is INPUTS else specs, axes) for k in names]
    out = dict(inputs)
    for i, a in enumerate(grid_axes):
        shape = [1] * len(grid_axes)
        shape[i] = len(a)
        dim = specs[a.name].dimension
        values = a.base.reshape(shape)
        out[a.name] = values if dim in (None, "dimensionless") else Q_(values, BASE[dim])
    return out, grid_axes


def training_grid(*, catalog=None, **inputs: Any):
    """``estimate_training`` over the outer product of every input given as grid values.

    Each such input becomes one dimension of the result (in the order given); :attr:`grid` of the
    returned estimate names them and holds their values, and every output has the grid's shape.
    """
    from ..training import estimate_training

    inputs, axes = outer_grid({k: v for k, v in inputs.items()}, catalog=catalog)
    if any(a.categorical or a.name == "count" for a in axes):
        bad = next(a.name for a in axes if a.categorical or a.name == "count")
        raise InputError(f"{bad}: grid values of {bad} are a sweep: use computescale sweep (or the sweep() API)")
    est = estimate_training(catalog=catalog, **inputs)
    est.grid = {a.name: a.values for a in axes}
    return est
