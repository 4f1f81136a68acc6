"""Uncertain inputs: ranges and small distributions, propagated by seeded, vectorized Monte Carlo.

>>> from computescale.engines.montecarlo import monte_carlo_training
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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..cluster import Cluster, parse_count, validate_counts
from .distributions import DISTRIBUTIONS as _DISTRIBUTIONS, LogNormal, Normal, Triangular, Uniform, parse_uncertain
from ..errors import InputError, UnknownNameError
from ..parameters import INPUTS
from ..data.specs import Catalog, load_catalog
from ..units import BASE, Q_, parse_unit

__all__ = ["Uniform", "Normal", "Triangular", "LogNormal", "parse_uncertain", "monte_carlo_training",
           "monte_carlo_claim", "MonteCarloResult", "ThresholdInterval", "UNCERTAIN_INPUTS", "MAX_SAMPLES",
           "run_ranges", "uncertain_inputs"]

#: Most samples one call draws (every sampled input and output is kept in memory until percentiles).
MAX_SAMPLES = 2_000_000
_CHUNK = 1 << 18


def uncertain_inputs(specs) -> dict[str, Any]:
    """Inputs of a model that may be uncertain, in the order they are drawn (the glossary's order,
    fixed, so a seed reproduces a result): name -> glossary record."""
    return {n: i for n, i in specs.items() if i.numeric}


#: The training model's uncertain inputs.
UNCERTAIN_INPUTS = uncertain_inputs(INPUTS)


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
    thresholds: list = field(default_factory=list)  # of ThresholdInterval
    warnings: list = field(default_factory=list)  # the model's warnings (of the last chunk's estimate)

    def interval(self, name: str) -> tuple:
        """(low, median, high) quantities of one output (the first, middle and last percentile)."""
        if name not in self.intervals:
            raise UnknownNameError("Monte Carlo output", name, list(self.intervals))
        v = list(self.intervals[name].values())
        return v[0], v[len(v) // 2], v[-1]

    def to_dict(self) -> dict:
        from ..render import to_jsonable

        return to_jsonable({"samples": self.samples_drawn, "seed": self.seed, "percentiles": list(self.percentiles),
                            "inputs": self.inputs, "intervals": self.intervals,
                            "thresholds": [t.to_dict() for t in self.thresholds],
                            "extra": self.extra, "warnings": list(self.warnings),
                            "assumptions": [a.to_dict() if hasattr(a, "to_dict") else a for a in self.assumptions]})

    def __str__(self) -> str:
        from ..report import render_monte_carlo

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


def _draw(rng, n: int, uncertain: dict[str, Any], specs=INPUTS) -> dict[str, np.ndarray]:
    """Samples in base units, drawn in the fixed order of the model's glossary."""
    out = {}
    for key, spec in uncertain_inputs(specs).items():
        if key in uncertain:
            x = np.asarray(uncertain[key].sample(rng, n, key, spec), dtype=float)
            if spec.kind == "count":  # whole devices, validated by the one count route (a draw below 0.5 is an error)
                x = validate_counts(np.rint(x), f"{key} (a sampled value)")
            out[key] = x
    return out


def _as_input(key: str, base: np.ndarray, specs=INPUTS):
    spec = specs[key]
    dim = None if spec.kind == "count" else spec.dimension
    return base if dim in (None, "dimensionless") else Q_(base, BASE[dim])


def monte_carlo_training(*, samples: int = 100_000, seed: Any = 0, keep_samples: bool = False,
                         percentiles=(5, 50, 95), device: Any = None, count: Any = None,
                         catalog: Catalog | None = None, estimator: Any = None, **inputs: Any) -> MonteCarloResult:
    """Propagate uncertain inputs through a model of the pipeline (default: training).

    ``computescale.monte_carlo_training(..., engine="dask")`` runs the same on Dask
    (:func:`computescale.engines.scenarios.monte_carlo_training`).

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
        instead of ``cluster``. A device without a count means the devices needed (or a clear error).
    estimator : computescale.models.Model, optional
        The model sampled (default: training); any model of the pipeline runs here.
    **inputs
        Any keyword of the model (training: ``compute``, ``duration``, ``mfu``, ``pue``, ...); its
        numeric inputs may be ranges or distributions.

    Returns
    -------
    MonteCarloResult
        p5/p50/p95 (by default) of every output the inputs determine, and per regulatory threshold
        the probability of crossing it (:class:`ThresholdInterval`, with its source).
    """
    from ..models.pipeline import estimate
    from ..training import TRAINING_MODEL

    model = estimator or TRAINING_MODEL
    n, ps, seed = _check_samples(samples), _check_percentiles(percentiles), _check_seed(seed)
    catalog = catalog or load_catalog()
    uncertain, fixed = _split_inputs(inputs, device, count, model.inputs)
    draws = _draw(np.random.default_rng(seed), n, uncertain, model.inputs)
    collected: dict[str, np.ndarray] = {}
    est = None
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        kw = _chunk_inputs(catalog, device, fixed, {k: v[start:stop] for k, v in draws.items()}, model.inputs)
        try:
            est = estimate(model, catalog=catalog, **kw)
        except InputError as exc:
            raise _sampled_error(exc, uncertain) from None
        for name, values in chunk_outputs(est, stop - start, model.outputs).items():
            collected.setdefault(name, np.empty(n))[start:stop] = values
    return _result(model, est, n, seed, ps, uncertain, collected, draws if keep_samples else None)


def _result(model, est, n, seed, ps, uncertain, collected, draws) -> MonteCarloResult:
    """Percentiles of every output, threshold probabilities with their sources, and (asked for) the samples."""
    units = {k: s.unit for k, s in model.outputs.items()}
    intervals = {k: _percentile_dict(v, units[k], ps) for k, v in collected.items() if k in units}
    kept = {}
    if draws is not None:
        kept = {k: Q_(v, parse_unit(units[k])) for k, v in collected.items() if k in units}
        kept |= {f"input:{k}": _as_input(k, v, model.inputs) for k, v in draws.items()}
    return MonteCarloResult(n, seed, ps, {k: v.describe() for k, v in uncertain.items()}, intervals, kept,
                            list(est.assumptions) if est else [], thresholds=threshold_summary(est, collected, ps),
                            warnings=list(dict.fromkeys(getattr(est, "warnings", None) or [])))


def _split_inputs(inputs: dict, device: Any, count: Any, specs=INPUTS) -> tuple[dict, dict]:
    """Inputs that are distributions (to sample) and those that are fixed."""
    if count is not None and device is None:
        raise InputError("count: an uncertain count needs device= (e.g. device='A100', count='25k±10%')")
    if device is not None and inputs.get("cluster") is not None:
        raise InputError("device: give device and count, or cluster, not both")
    if device is not None and count is None:  # the one count rule: a device alone means the devices needed
        inputs = inputs | {"cluster": getattr(device, "name", device)}
    numeric = uncertain_inputs(specs)
    uncertain: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    pairs = list(inputs.items()) + ([("count", count)] if count is not None else [])
    for key, value in pairs:
        v = parse_uncertain(value, key)
        if isinstance(v, _DISTRIBUTIONS):
            if key not in numeric:
                raise InputError(f"{key}: only numeric inputs may be uncertain ({', '.join(numeric)})")
            uncertain[key] = v
        else:
            fixed[key] = v
    if "count" in fixed:
        fixed["count"] = parse_count(fixed["count"]) if isinstance(fixed["count"], str) else fixed["count"]
    return uncertain, fixed


def _chunk_inputs(catalog, device, fixed: dict, draws: dict, specs=INPUTS) -> dict:
    """The model's keywords for one chunk of samples (base-unit draws as quantities; device and count as a cluster)."""
    if device is None or "cluster" in fixed:
        return fixed | {k: _as_input(k, v, specs) for k, v in draws.items()}
    kw = {k: v for k, v in fixed.items() if k != "count"} | {k: _as_input(k, v, specs) for k, v in draws.items() if k != "count"}
    n = draws["count"] if "count" in draws else fixed.get("count")
    return kw | {"cluster": Cluster.of(device, n, catalog=catalog)}


def _sampled_error(exc: InputError, uncertain: dict) -> InputError:
    return InputError(f"{exc} (in a sampled scenario: a distribution of {', '.join(uncertain)} reaches outside the "
                      "accepted range; narrow it or use a bounded one)") if uncertain else exc


def chunk_outputs(est, size: int, specs) -> dict[str, np.ndarray]:
    """Every output of one chunk's estimate, and each threshold's crossing and time to reach, as arrays."""
    out = {}
    for name, spec in specs.items():
        q = est.results.get(name)
        if q is not None:
            out[name] = np.broadcast_to(np.asarray(q.m_as(parse_unit(spec.unit)), dtype=float), (size,))
    for t in getattr(est, "thresholds", ()):
        if t.crosses is not None:
            out[f"crosses:{t.id}"] = np.broadcast_to(np.asarray(t.crosses, dtype=float), (size,))
        if t.time_to_reach is not None:
            out[f"reach:{t.id}"] = np.broadcast_to(np.asarray(t.time_to_reach.m_as("day"), dtype=float), (size,))
    return out


@dataclass(frozen=True)
class ThresholdInterval:
    """One regulatory threshold under uncertainty: the share of samples whose compute exceeds it, and
    percentiles of the time this cluster needs to reach it [day]; with the threshold's source."""

    id: str
    name: str
    threshold: Any  # Quantity [FLOP]
    status: str
    source: str
    probability: float | None
    time_to_reach: dict[str, Any] | None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "threshold": self.threshold, "status": self.status,
                "source": self.source, "probability": self.probability, "time_to_reach": self.time_to_reach}


def threshold_summary(est, collected: dict, ps) -> list[ThresholdInterval]:
    """Per threshold of the estimate: the share of samples that cross it, and percentiles of the time to reach it."""
    out = []
    for t in getattr(est, "thresholds", None) or ():
        crosses, reach = collected.get(f"crosses:{t.id}"), collected.get(f"reach:{t.id}")
        out.append(ThresholdInterval(t.id, t.name, t.threshold, t.status, t.source,
                                     None if crosses is None else float(crosses.mean()),
                                     None if reach is None else _percentile_dict(reach, "day", ps)))
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
    from ..compare import check_claim

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
