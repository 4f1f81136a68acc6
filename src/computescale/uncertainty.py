"""Uncertain inputs: ranges and small distributions, propagated by seeded, vectorized Monte Carlo.

>>> from computescale.uncertainty import monte_carlo_training
>>> mc = monte_carlo_training(device="A100", count=25_000, duration=("90 day", "100 day"), mfu=(0.32, 0.36))
>>> lo, mid, hi = mc.interval("compute")          # the compute GPT-4's reported setup implies

Any numeric input of :func:`computescale.training.estimate_training` (and ``count``) may be:

* a fixed value, as the training layer takes it;
* a range ``(lo, hi)`` or text ``"0.32..0.36"`` / ``"90..100 day"``: uniform;
* ``"25k±10%"`` / ``"25000 +- 2500"``: uniform around the value;
* :class:`Uniform`, :class:`Normal` (mean, sd), :class:`Triangular` (lo, mode, hi),
  :class:`LogNormal` (median, sigma of the log), or text ``"normal(0.34, 0.01)"`` and the like.

Samples are drawn from ``numpy.random.default_rng(seed)``, one input after another in a fixed order,
and the whole sample goes through the training layer as arrays (no loop per sample), so a fixed
seed reproduces every percentile, and a zero-width range reproduces the scalar answer exactly.
Counts are rounded to whole devices, through cluster.py (a draw under one device is an error).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cluster import Cluster, parse_count, validate_counts
from .errors import InputError, UnknownNameError
from .parameters import INPUTS, OUTPUTS
from .specs import Catalog, load_catalog
from .units import BASE, Q_, parse_quantity, parse_unit

__all__ = ["Uniform", "Normal", "Triangular", "LogNormal", "parse_uncertain", "monte_carlo_training",
           "monte_carlo_claim", "MonteCarloResult", "UNCERTAIN_INPUTS", "MAX_SAMPLES", "run_ranges"]

#: Most samples one call draws (every sampled input and output is kept in memory until percentiles).
MAX_SAMPLES = 2_000_000
_CHUNK = 1 << 18

#: Inputs that may be uncertain, in the order they are drawn: name -> (dimension, unit of bare numbers),
#: from the glossary (counts have no dimension).
UNCERTAIN_INPUTS: dict[str, tuple[str | None, str]] = {
    i.name: (None if i.kind == "count" else i.dimension, i.unit) for i in INPUTS.values() if i.numeric}

#: Outputs reported, with their display units (the glossary's).
_OUTPUTS = {k: OUTPUTS[k].unit for k in ("compute", "time_to_train", "compute_in_duration", "implied_mfu",
                                         "devices_for_duration", "device_time", "facility_power", "energy", "emissions",
                                         "electricity_cost", "rental_cost", "amortized_hardware_cost",
                                         "electricity_cost_per_compute", "rental_cost_per_compute",
                                         "amortized_hardware_cost_per_compute")}


def _to_base(value: Any, key: str) -> float:
    """One bound of a distribution, in the base unit of the input ``key``."""
    dim, unit = UNCERTAIN_INPUTS[key]
    if dim is None:
        if isinstance(value, str):
            return float(parse_count(value, what=key)) if re.fullmatch(r"[\d.,_]+[kKmM]?", value.strip()) else _bad(key, value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return _bad(key, value)
    q = parse_quantity(value, dim, what=key, default_unit=unit or None)
    return float(q.m_as(BASE[dim]))


def _bad(key, value):
    raise InputError(f"{key}: cannot read {value!r} as a number")


@dataclass(frozen=True)
class Uniform:
    """Uniform between ``lo`` and ``hi`` (inclusive of a zero-width range)."""

    lo: Any
    hi: Any

    def _bounds(self, key):
        lo, hi = _to_base(self.lo, key) + 0.0, _to_base(self.hi, key) + 0.0  # + 0.0: -0.0 is 0.0 (numpy refuses 0..-0)
        if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(hi - lo)):
            raise InputError(f"{key}: range bounds must be finite (and their difference too), got {self.lo!r}..{self.hi!r}")
        if lo > hi:
            raise InputError(f"{key}: range {self.lo!r}..{self.hi!r} runs backwards; give (low, high)")
        return lo, hi

    def sample(self, rng, n, key):
        lo, hi = self._bounds(key)
        return rng.uniform(lo, hi, n)

    def describe(self) -> str:
        return f"uniform({self.lo}, {self.hi})"


@dataclass(frozen=True)
class Normal:
    """Normal with mean and standard deviation ``sd`` (same unit as the mean)."""

    mean: Any
    sd: Any

    def sample(self, rng, n, key):
        m = _to_base(self.mean, key)
        sd = _to_base(self.sd, key) + 0.0  # in the mean's unit, bare numbers too (95, 5 days); -0.0 is 0.0
        if not sd >= 0 or not math.isfinite(sd):
            raise InputError(f"{key}: normal sd must be a finite number >= 0, got {self.sd!r}")
        return rng.normal(m, sd, n)

    def describe(self) -> str:
        return f"normal(mean {self.mean}, sd {self.sd})"


@dataclass(frozen=True)
class Triangular:
    """Triangular on [lo, hi] with its peak at ``mode``."""

    lo: Any
    mode: Any
    hi: Any

    def sample(self, rng, n, key):
        lo, mode, hi = (_to_base(x, key) for x in (self.lo, self.mode, self.hi))
        if not lo <= mode <= hi:
            raise InputError(f"{key}: triangular needs lo <= mode <= hi, got {self.lo!r}, {self.mode!r}, {self.hi!r}")
        if lo == hi:
            return np.full(n, lo)
        return rng.triangular(lo, mode, hi, n)

    def describe(self) -> str:
        return f"triangular({self.lo}, {self.mode}, {self.hi})"


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with the given median and ``sigma``, the standard deviation of its natural log."""

    median: Any
    sigma: float

    def sample(self, rng, n, key):
        med = _to_base(self.median, key)
        try:
            sigma = float(self.sigma)
        except (TypeError, ValueError):
            raise InputError(f"{key}: lognormal sigma (the standard deviation of the log) must be a number "
                             f"such as 0.3, got {self.sigma!r}") from None
        if not med > 0:
            raise InputError(f"{key}: lognormal median must be > 0, got {self.median!r}")
        if not (sigma >= 0 and math.isfinite(sigma)):
            raise InputError(f"{key}: lognormal sigma must be a finite number >= 0, got {self.sigma!r}")
        if not sigma:
            return np.full(n, med)
        with np.errstate(over="ignore"):  # a huge sigma overflows to inf: refused by the input's range check, in one line
            return med * np.exp(rng.normal(0.0, sigma, n))

    def describe(self) -> str:
        return f"lognormal(median {self.median}, sigma {self.sigma})"


_DISTRIBUTIONS = (Uniform, Normal, Triangular, LogNormal)
_FUNC = re.compile(r"^\s*(uniform|normal|triangular|lognormal)\s*\((.*)\)\s*(.*?)\s*$", re.I)
_RANGE = re.compile(r"^\s*([^\s.][^\s]*?|\.\d\S*?)\s*\.\.\s*(\S+)\s*(.*?)\s*$")
_PM = re.compile(r"^\s*(\S+?)\s*(?:±|\+-|\+/-)\s*([\d.eE+-]+)\s*(%?)\s*(.*?)\s*$")


def _with_unit(x: str, unit: str) -> str:
    return f"{x} {unit}" if unit and re.fullmatch(r"[-+\d.eE_,]+", x) else x


def parse_uncertain(value: Any, what: str = "value"):
    """Read an uncertain input from text; anything else (and plain values) is returned unchanged.

    ``"0.32..0.36"``, ``"90..100 day"``: uniform. ``"25k±10%"``, ``"0.34 +- 0.02"``: uniform around
    the value. ``"normal(0.34, 0.01)"``, ``"triangular(90, 95, 100) day"``, ``"lognormal(2e25, 0.3)"``,
    ``"uniform(0.32, 0.36)"``. A tuple ``(lo, hi)`` is uniform.
    """
    if isinstance(value, _DISTRIBUTIONS):
        return value
    if isinstance(value, tuple):
        if len(value) != 2:
            raise InputError(f"{what}: a range is (low, high), got {len(value)} values {value!r}")
        return Uniform(*value)
    if not isinstance(value, str):
        return value
    m = _FUNC.match(value)
    if m:
        kind, args, unit = m.group(1).lower(), [a.strip() for a in m.group(2).split(",")], m.group(3)
        want = {"uniform": 2, "normal": 2, "triangular": 3, "lognormal": 2}[kind]
        if len(args) != want or not all(args):
            raise InputError(f"{what}: {kind}(...) takes {want} values, got {value!r}")
        if kind == "normal":
            return Normal(_with_unit(args[0], unit), _with_unit(args[1], unit))
        if kind == "lognormal":
            try:
                sigma = float(args[1])
            except ValueError:
                raise InputError(f"{what}: lognormal(median, sigma) takes sigma, the standard deviation of the log, "
                                 f"as a plain number such as 0.3; got {args[1]!r}") from None
            return LogNormal(_with_unit(args[0], unit), sigma)
        cls = Uniform if kind == "uniform" else Triangular
        return cls(*(_with_unit(a, unit) for a in args))
    m = _PM.match(value)
    if m:
        return _plus_minus(value, what, *m.groups())
    if ".." in value:
        m = _RANGE.match(value)
        if not m:
            raise InputError(f"{what}: cannot read the range {value!r}; write low..high, e.g. '0.32..0.36' or '90..100 day'")
        lo, hi, unit = m.groups()
        if _bare(lo) and _bare(hi) and float(_num(lo)) > float(_num(hi)):
            raise InputError(f"{what}: the range {value!r} runs backwards; write low..high")
        return Uniform(_with_unit(lo, unit), _with_unit(hi, unit))
    return value


def _bare(x: str) -> bool:
    try:
        float(_num(x))
        return True
    except ValueError:
        return False


def _num(x: str) -> str:
    return x.replace("_", "").replace(",", "")


def _plus_minus(value: str, what: str, centre: str, spread: str, pct: str, unit: str):
    """'25k±10%' -> Uniform(22500, 27500): bounds as numbers (or quantities), never re-read as text."""
    try:
        c = float(parse_count(centre)) if re.fullmatch(r"[\d.,_]+[kKmM]", centre) else float(_num(centre))
        d = float(spread)
    except (ValueError, InputError):
        raise InputError(f"{what}: cannot read {value!r}; write e.g. '25k±10%' or '0.34 +- 0.02'") from None
    d = abs(c) * d / 100 if pct else d
    if not (math.isfinite(c) and math.isfinite(d)) or d < 0:
        raise InputError(f"{what}: the ± spread in {value!r} must be a finite number >= 0")
    if c - d < 0:
        raise InputError(f"{what}: {value!r} reaches below zero ({c:g} - {d:g}); give a spread smaller than the value")
    if unit:
        from .units import Q_, parse_unit

        return Uniform(Q_(c - d, parse_unit(unit)), Q_(c + d, parse_unit(unit)))
    return Uniform(c - d, c + d)


# ---- the result --------------------------------------------------------------------------------------------
@dataclass
class MonteCarloResult:
    """Percentile intervals of every output a Monte Carlo run determined.

    ``intervals[name]`` is ``{"p5": Quantity, "p50": ..., "p95": ...}`` (keys follow ``percentiles``);
    ``thresholds`` holds, per regulatory threshold, the probability that the run crosses it and the
    percentiles of the time this cluster needs to reach it; ``samples[name]`` holds every sample
    (a Quantity array) when asked for with ``keep_samples``.
    """

    samples_drawn: int
    seed: Any
    percentiles: tuple[float, ...]
    inputs: dict[str, str]
    intervals: dict[str, dict[str, Any]]
    samples: dict[str, Any] = field(default_factory=dict)
    assumptions: list = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    thresholds: list[dict] = field(default_factory=list)

    def interval(self, name: str) -> tuple:
        """(low, median, high) quantities of one output (the first, middle and last percentile)."""
        if name not in self.intervals:
            raise UnknownNameError("Monte Carlo output", name, list(self.intervals))
        v = list(self.intervals[name].values())
        return v[0], v[len(v) // 2], v[-1]

    def to_dict(self) -> dict:
        from .render import to_jsonable

        return to_jsonable({"samples": self.samples_drawn, "seed": self.seed, "percentiles": list(self.percentiles),
                            "inputs": self.inputs, "intervals": self.intervals, "thresholds": self.thresholds,
                            "extra": self.extra,
                            "assumptions": [a.to_dict() if hasattr(a, "to_dict") else a for a in self.assumptions]})

    def __str__(self) -> str:
        from .report import render_monte_carlo

        return render_monte_carlo(self)


def _percentile_dict(values: np.ndarray, unit: str, percentiles) -> dict[str, Any]:
    p = np.nanpercentile(values, percentiles) if np.isnan(values).any() else np.percentile(values, percentiles)
    return {f"p{q:g}": Q_(float(v), parse_unit(unit)) for q, v in zip(percentiles, p)}


def _check_samples(samples: Any) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 1 <= samples <= MAX_SAMPLES:
        raise InputError(f"samples must be a whole number in 1..{MAX_SAMPLES:,}, got {samples!r}")
    return int(samples)


def _check_seed(seed: Any):
    """None (fresh entropy) or a whole number >= 0: what numpy.random.default_rng accepts."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0 (or None), got {seed!r}")
    return int(seed)


def _check_percentiles(percentiles) -> tuple[float, ...]:
    ps = tuple(float(p) for p in percentiles)
    if not ps or any(not 0 <= p <= 100 for p in ps) or list(ps) != sorted(ps):
        raise InputError(f"percentiles must be increasing numbers in [0, 100], got {percentiles!r}")
    return ps


def _draw(rng, n: int, uncertain: dict[str, Any]) -> dict[str, np.ndarray]:
    """Samples in base units, drawn in the fixed order of UNCERTAIN_INPUTS."""
    out = {}
    for key in UNCERTAIN_INPUTS:
        if key in uncertain:
            x = np.asarray(uncertain[key].sample(rng, n, key), dtype=float)
            if key == "count":  # whole devices, validated by the one count route (a draw below 0.5 is an error)
                x = validate_counts(np.rint(x), "count (a sampled value)")
            out[key] = x
    return out


def _as_input(key: str, base: np.ndarray):
    dim, _ = UNCERTAIN_INPUTS[key]
    return base if dim in (None, "dimensionless") else Q_(base, BASE[dim])


def monte_carlo_training(*, samples: int = 100_000, seed: Any = 0, keep_samples: bool = False,
                         percentiles=(5, 50, 95), device: Any = None, count: Any = None,
                         catalog: Catalog | None = None, **inputs: Any) -> MonteCarloResult:
    """Propagate uncertain inputs through :func:`computescale.training.estimate_training`.

    ``computescale.monte_carlo_training(..., engine="dask")`` runs the same on Dask
    (:func:`computescale.scenarios.monte_carlo_training`).

    Parameters
    ----------
    samples : int
        Number of samples, 1..MAX_SAMPLES.
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same percentiles.
    keep_samples : bool
        Keep every sample of every output in :attr:`MonteCarloResult.samples`.
    percentiles : sequence of float
        Percentiles reported [%], default 5, 50, 95.
    device, count : optional
        A device name and its count (the count may be uncertain: ``"25k±10%"``, ``(22_500, 27_500)``);
        instead of ``cluster``.
    **inputs
        Any keyword of ``estimate_training`` (``compute``, ``duration``, ``mfu``, ``pue``, ...). The
        numeric ones in :data:`UNCERTAIN_INPUTS` may be ranges or distributions.

    Returns
    -------
    MonteCarloResult
        p5/p50/p95 (by default) of compute, time to train, implied MFU, device-time, energy,
        emissions and costs, as far as the inputs determine them.
    """
    n, ps, seed = _check_samples(samples), _check_percentiles(percentiles), _check_seed(seed)
    catalog = catalog or load_catalog()
    uncertain, fixed = _split_inputs(inputs, device, count)
    draws = _draw(np.random.default_rng(seed), n, uncertain)
    collected: dict[str, np.ndarray] = {}
    est = None
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        est = _estimate_chunk(catalog, device, fixed, {k: v[start:stop] for k, v in draws.items()}, uncertain)
        for name, values in _chunk_outputs(est, stop - start).items():
            collected.setdefault(name, np.empty(n))[start:stop] = values
    intervals = {k: _percentile_dict(v, _OUTPUTS[k], ps) for k, v in collected.items() if k in _OUTPUTS}
    thresholds = _threshold_summary(est, collected, ps) if est is not None else []
    kept = {k: Q_(v, parse_unit(_OUTPUTS[k])) for k, v in collected.items() if k in _OUTPUTS} if keep_samples else {}
    if keep_samples:
        kept |= {f"input:{k}": _as_input(k, v) for k, v in draws.items()}
    descriptions = {k: v.describe() for k, v in uncertain.items()}
    return MonteCarloResult(n, seed, ps, descriptions, intervals, kept, list(est.assumptions) if est else [],
                            thresholds=thresholds)


def _split_inputs(inputs: dict, device: Any, count: Any) -> tuple[dict, dict]:
    """Inputs that are distributions (to sample) and those that are fixed."""
    if count is not None and device is None:
        raise InputError("count: an uncertain count needs device= (e.g. device='A100', count='25k±10%')")
    if device is not None and inputs.get("cluster") is not None:
        raise InputError("device: give device and count, or cluster, not both")
    uncertain: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    pairs = list(inputs.items()) + ([("count", count if count is not None else 1)] if device is not None else [])
    for key, value in pairs:
        v = parse_uncertain(value, key)
        if isinstance(v, _DISTRIBUTIONS):
            if key not in UNCERTAIN_INPUTS:
                raise InputError(f"{key}: only numeric inputs may be uncertain ({', '.join(UNCERTAIN_INPUTS)})")
            uncertain[key] = v
        else:
            fixed[key] = v
    if "count" in fixed:
        fixed["count"] = parse_count(fixed["count"]) if isinstance(fixed["count"], str) else fixed["count"]
    return uncertain, fixed


def _estimate_chunk(catalog, device, fixed: dict, draws: dict, uncertain: dict):
    """The training model on one chunk of samples (through estimate_training, as every path)."""
    from .training import estimate_training
    try:
        return estimate_training(catalog=catalog, **_chunk_inputs(catalog, device, fixed, draws))
    except InputError as exc:
        raise _sampled_error(exc, uncertain) from None


def _chunk_inputs(catalog, device, fixed: dict, draws: dict) -> dict:
    """The keywords of estimate_training for one chunk of samples (base-unit draws as quantities)."""
    kw = {k: v for k, v in fixed.items() if k != "count"} | {k: _as_input(k, v) for k, v in draws.items() if k != "count"}
    n = draws["count"] if "count" in draws else fixed.get("count")
    return kw if device is None else kw | {"cluster": Cluster.of(device, n, catalog=catalog)}


def _sampled_error(exc: InputError, uncertain: dict) -> InputError:
    return InputError(f"{exc} (in a sampled scenario: a distribution of {', '.join(uncertain)} reaches outside the "
                      "accepted range; narrow it or use a bounded one)") if uncertain else exc


def _chunk_outputs(est, size: int) -> dict[str, np.ndarray]:
    """Every output of one chunk's estimate, and each threshold's crossing and time to reach, as arrays."""
    out = {}
    for name, unit in _OUTPUTS.items():
        q = est.results.get(name)
        if q is not None:
            out[name] = np.broadcast_to(np.asarray(q.m_as(parse_unit(unit)), dtype=float), (size,))
    for t in est.thresholds:
        if t.crosses is not None:
            out[f"crosses:{t.id}"] = np.broadcast_to(np.asarray(t.crosses, dtype=float), (size,))
        if t.time_to_reach is not None:
            out[f"reach:{t.id}"] = np.broadcast_to(np.asarray(t.time_to_reach.m_as("day"), dtype=float), (size,))
    return out


def _threshold_summary(est, collected: dict, ps) -> list[dict]:
    """Per threshold: the share of samples that cross it, and percentiles of the time to reach it [day]."""
    out = []
    for t in est.thresholds:
        crosses, reach = collected.get(f"crosses:{t.id}"), collected.get(f"reach:{t.id}")
        out.append({"id": t.id, "name": t.name, "threshold": t.threshold, "status": t.status, "source": t.source,
                    "probability": None if crosses is None else float(crosses.mean()),
                    "time_to_reach": None if reach is None else _percentile_dict(reach, "day", ps)})
    return out


def run_ranges(run: Any, catalog=None) -> dict:
    """The published ranges of a known run, as distributions: its sourced min..max of each input."""
    if not run:
        raise InputError("ranges: a known run's published ranges need a run (e.g. --run gpt-4)")
    catalog = catalog or load_catalog()
    r, _ = catalog.run(run)
    out: dict[str, Any] = {}
    for key, name in (("compute", "training_compute"), ("duration", "duration"), ("mfu", "mfu")):
        entry = getattr(r, name)
        if entry is not None and entry.min is not None and entry.max is not None:
            out[key] = Uniform(entry.min, entry.max)
    if r.cluster is not None and r.cluster.min is not None and r.cluster.max is not None:
        out["device"], out["count"] = r.cluster.device, Uniform(r.cluster.min, r.cluster.max)
    if not out:
        raise InputError(f"ranges: run {r.name!r} publishes no ranges (no min/max in specs/runs.toml)")
    return out


def monte_carlo_claim(a_device: Any, b_device: Any, factor: float, *, a_count: Any = 1, b_count: Any = 1,
                      tolerance: float = 0.10, precision: str = "bf16", samples: int = 100_000, seed: Any = 0,
                      percentiles=(5, 50, 95), catalog: Catalog | None = None) -> MonteCarloResult:
    """The claim "A is ``factor`` x B" with uncertain counts: the like-for-like ratio's interval and
    the share of samples in which the claim holds, is overstated or understated.

    >>> mc = monte_carlo_claim("H100", "A100", 20, a_count="100k", b_count="25k±10%")
    """
    from .compare import check_claim

    n, ps, seed = _check_samples(samples), _check_percentiles(percentiles), _check_seed(seed)
    catalog = catalog or load_catalog()
    dists = {"a": parse_uncertain(a_count, "a_count"), "b": parse_uncertain(b_count, "b_count")}
    rng = np.random.default_rng(seed)
    counts = {}
    for side, d in dists.items():
        if isinstance(d, _DISTRIBUTIONS):
            counts[side] = validate_counts(np.rint(d.sample(rng, n, "count")), f"{side}_count (a sampled value)")
        else:
            counts[side] = np.full(n, validate_counts(parse_count(d) if isinstance(d, str) else d, f"{side}_count"))
    check = check_claim(Cluster.of(a_device, counts["a"], catalog), Cluster.of(b_device, counts["b"], catalog), factor,
                        tolerance=tolerance, precision=precision, catalog=catalog)
    ratio = np.asarray(check.primary.basis.ratio, dtype=float)
    verdict = np.asarray(check.primary.verdict)
    share = {f"share {v}": float(np.mean(verdict == v)) for v in ("holds", "overstated", "understated")}
    inputs = {f"{s} count": (d.describe() if isinstance(d, _DISTRIBUTIONS) else str(d)) for s, d in dists.items()}
    inputs["basis"] = check.primary.basis.label
    return MonteCarloResult(n, seed, ps, inputs, {"ratio": _percentile_dict(ratio, "", ps)}, extra=share)
