"""Compare two clusters on every basis, and check a claimed factor against them.

>>> from computescale import compare, check_claim
>>> compare("100k H100", "25k A100").ratio("bf16.dense")
12.68...
>>> check_claim("100k H100", "25k A100", 20).primary.verdict
'overstated'

Bases:

* like-for-like: the same precision on both sides, dense (and sparse where both publish it);
* cross: each side's fastest dense tensor float format (>= 8-bit, and any width), each side's
  largest printed figure (sparse headlines included), and the sparse-vs-dense mixes — each
  labelled with the precision it used on each side;
* H100-equivalents (``h100e``): each side's count x its fastest dense tensor-float peak at >= 8
  bits (FP8 where the device publishes it, else BF16/FP16/TF32), divided by the H100 SXM5's dense
  FP8 peak (1978.9 TFLOP/s). Its ratio equals the ``fastest-dense-8bit`` one; the values are the
  cluster sizes in H100 units;
* memory, memory bandwidth, scale-up bandwidth, power and hardware price.

A basis one side lacks (A100 has no FP8) is reported as missing, never filled in.
Ratios broadcast: a cluster whose counts are an array gives an array of ratios in one call.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import kernels
from .cluster import Cluster, cluster, device_entry, device_value, fastest, metric_dimension, metric_label
from .errors import InputError, UnknownNameError
from . import precision as precision_policy
from .data.schema import PRECISIONS, TENSOR_FLOAT_PRECISIONS
from .data.specs import Catalog
from .units import BASE, Q_

__all__ = ["BASIS_KEYS", "Basis", "Comparison", "compare", "h100_equivalents", "h100e_definition", "Verdict", "ClaimCheck", "check_claim", "parse_claim", "DEFAULT_TOLERANCE"]

#: Default tolerance of a claim: "about 20x" holds for ratios within ±10% of 20 (claim/actual - 1).
DEFAULT_TOLERANCE = 0.10

_WIDE = tuple(p for p in TENSOR_FLOAT_PRECISIONS if p not in ("fp6", "fp4"))  # >= 8-bit formats


@dataclass(frozen=True)
class Basis:
    """One way of comparing two clusters, with the figure used on each side."""

    key: str  # "bf16.dense", "fastest-dense-8bit", "memory", ...
    kind: str  # "like-for-like", "cross", "memory", "power", "price", "interconnect"
    label: str
    a_metrics: tuple[str, ...]  # the metric each member of A contributes
    b_metrics: tuple[str, ...]
    a_magnitude: Any  # each side's total in ``unit`` (NaN when missing)
    b_magnitude: Any
    ratio: Any  # float or ndarray; NaN when missing
    missing: str = ""  # why the basis has no ratio
    sources: tuple[str, ...] = ()
    unit: Any = None  # the pint unit of both totals; None where the sides are not one dimension

    @property
    def a_value(self):
        """Side A's total as a quantity (made on demand: most callers only read the ratio)."""
        return self.a_magnitude if self.unit is None else Q_(self.a_magnitude, self.unit)

    @property
    def b_value(self):
        return self.b_magnitude if self.unit is None else Q_(self.b_magnitude, self.unit)

    @property
    def available(self) -> bool:
        return not self.missing

    def detail(self, side: str) -> str:
        metrics = self.a_metrics if side == "a" else self.b_metrics
        return ", ".join(dict.fromkeys(metric_label(m) for m in metrics if m)) or "—"

    def to_dict(self) -> dict:
        return {
            "key": self.key, "kind": self.kind, "label": self.label,
            "a": {"figure": self.detail("a"), "value": None if self.missing else self.a_value},
            "b": {"figure": self.detail("b"), "value": None if self.missing else self.b_value},
            "ratio": None if self.missing else self.ratio,
            "missing": self.missing or None, "sources": list(self.sources),
        }


def _basis(a: Cluster, b: Cluster, key: str, kind: str, label: str, a_metrics: list, b_metrics: list) -> Basis:
    dims = {metric_dimension(m) for m in [*a_metrics, *b_metrics] if m}
    unit = BASE[dims.pop()] if len(dims) == 1 else None  # INT8 TOPS vs FP FLOP/s: not one unit, by design
    totals, missing, sources = [], [], []
    for c, metrics in ((a, a_metrics), (b, b_metrics)):
        per = [device_value(member.device, m) if m else math.nan for member, m in zip(c.members, metrics)]
        for member, m, v in zip(c.members, metrics, per):
            if math.isnan(v):
                missing.append(f"{member.device.name} has no {metric_label(m) if m else label} figure")
            elif (entry := device_entry(member.device, m)) is not None:
                sources.append(entry.source)
        if c.shape:  # scenario arrays of counts: the vectorized sum
            total = kernels.cluster_total(c.counts, per)
            totals.append(total.item() if np.ndim(total) == 0 else total)
        else:  # one cluster: plain floats (a NumPy call costs more than the sum)
            totals.append(sum(n * v for n, v in zip(c.counts.tolist(), per)))
    ratio = totals[0] / totals[1] if not (a.shape or b.shape) else kernels.ratio(totals[0], totals[1])
    return Basis(key, kind, label, tuple(a_metrics), tuple(b_metrics), totals[0], totals[1],
                 float(ratio) if np.ndim(ratio) == 0 else ratio, "; ".join(missing), tuple(dict.fromkeys(sources)), unit)


@dataclass(frozen=True)
class Comparison:
    """The ratio A/B on every basis. ``ratio(key)`` gives one; ``str()`` a table; ``to_dict()`` JSON."""

    a: Cluster
    b: Cluster
    bases: tuple[Basis, ...]

    def basis(self, key: str) -> Basis:
        for basis in self.bases:
            if basis.key == key:
                return basis
        raise UnknownNameError("basis", key, [b.key for b in self.bases if key.split(".")[0] in b.key][:5])

    def ratio(self, key: str):
        """A/B on one basis (NaN where either side lacks it)."""
        return self.basis(key).ratio

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s for b in self.bases for s in b.sources))

    def to_dict(self) -> dict:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "bases": [b.to_dict() for b in self.bases]}

    def __repr__(self) -> str:
        like = [b for b in self.bases if b.kind == "like-for-like" and b.available and np.ndim(b.ratio) == 0]
        shown = ", ".join(f"{b.key}={b.ratio:.3g}" for b in like[:3])
        return f"<Comparison {self.a.label} / {self.b.label}: {shown}{', ...' if len(self.bases) > 3 else ''}>"

    def __str__(self) -> str:
        from .report import render_comparison

        return render_comparison(self)


#: Keys of the cross bases, in display order (like-for-like keys are metric keys: "bf16.dense").
CROSS_BASES = ("fastest-dense-8bit", "fastest-dense-any", "headline", "a-sparse-vs-b-dense", "a-dense-vs-b-sparse")
OTHER_BASES = ("memory", "memory_bandwidth", "scaleup_bandwidth", "power", "price")
#: The H100-equivalents basis and its reference: device and metric.
H100E_KEY, H100E_DEVICE, H100E_METRIC = "h100e", "H100 SXM5 80GB", "fp8.dense"
BASIS_KEYS = tuple(f"{p}.{k}" for k in ("dense", "sparse") for p in PRECISIONS) + CROSS_BASES + (H100E_KEY,) + OTHER_BASES


def h100e_definition(catalog: Catalog | None = None) -> str:
    """The one-line definition printed with every H100-equivalents figure."""
    ref = _h100e_reference(catalog)
    peak = f"{ref[1].value.m_as('TFLOP/s'):g} TFLOP/s" if ref else "n/a"
    return (f"H100e = count × fastest dense tensor-float peak at >= 8 bits (FP8 where published) / "
            f"{H100E_DEVICE} dense FP8 ({peak})")


def _h100e_reference(catalog: Catalog | None):
    from .data.specs import load_catalog

    catalog = catalog or load_catalog()
    try:
        dev = catalog.device(H100E_DEVICE)
    except UnknownNameError:
        return None
    entry = device_entry(dev, H100E_METRIC)
    return (dev, entry) if entry is not None else None


def h100_equivalents(c: "str | Cluster", catalog: Catalog | None = None):
    """A cluster's size in H100-equivalents (see :func:`h100e_definition`) [dimensionless].

    NaN where a member has no dense tensor-float figure, or the reference is not in the tables.
    """
    c = cluster(c, catalog)
    ref = _h100e_reference(c.catalog or catalog)
    per = [device_value(m.device, metric) if metric else math.nan
           for m, metric in zip(c.members, (fastest(m.device, _WIDE, ("dense",)) for m in c.members))]
    total = kernels.cluster_total(c.counts, per)
    total = total.item() if np.ndim(total) == 0 else total
    if ref is None:
        return total * math.nan
    return total / float(ref[1].value.m_as(BASE["compute_rate"]))


_H100E_UNIT = Q_(1.0, "").units  # H100-equivalents: a count, dimensionless


def _h100e_basis(a: Cluster, b: Cluster, base: Basis) -> Basis:
    ref = _h100e_reference(a.catalog)
    label = "H100-equivalents (fastest dense >= 8-bit peak / H100 SXM5 dense FP8)"
    if ref is None:
        return Basis(H100E_KEY, "cross", label, base.a_metrics, base.b_metrics, math.nan, math.nan, math.nan,
                     f"the reference device {H100E_DEVICE} (dense FP8) is not in the spec tables", unit=_H100E_UNIT)
    per_h100 = float(ref[1].value.m_as(BASE["compute_rate"]))
    sources = tuple(dict.fromkeys((*base.sources, ref[1].source)))
    return Basis(H100E_KEY, "cross", label, base.a_metrics, base.b_metrics, np.divide(base.a_magnitude, per_h100),
                 np.divide(base.b_magnitude, per_h100), base.ratio, base.missing, sources, _H100E_UNIT)


def compare(a: "str | Cluster", b: "str | Cluster", catalog: Catalog | None = None, *, bases=None) -> Comparison:
    """Compare cluster A with cluster B on every basis (ratio A/B).

    Parameters
    ----------
    a, b : str or Cluster
        ``"100k H100"``, ``"16k H100 + 8k A100"``, a known cluster name, or a :class:`Cluster`
        (whose counts may be arrays: ratios then broadcast).
    bases : iterable of str, optional
        Compute only these bases (keys of :data:`BASIS_KEYS`, e.g. ``["bf16.dense"]``); default all.
        With scenario arrays each basis costs two arrays, so asking for one is much cheaper.
    """
    a, b = cluster(a, catalog), cluster(b, catalog)
    wanted = None
    if bases is not None:
        wanted = set([bases] if isinstance(bases, str) else bases)
        for key in wanted:
            if key not in BASIS_KEYS:
                raise UnknownNameError("basis", key, difflib.get_close_matches(key, BASIS_KEYS, n=3, cutoff=0.4))
    bases: list[Basis] = []
    # like-for-like, every precision either side has
    for kind in ("dense", "sparse"):
        for p in PRECISIONS:
            m = f"{p}.{kind}"
            if wanted is not None and m not in wanted:
                continue
            if any(device_entry(x.device, m) is not None for c in (a, b) for x in c.members):
                label = metric_label(m) + (" (2:4 sparsity, both sides)" if kind == "sparse" else "")
                bases.append(_basis(a, b, m, "like-for-like", label, [m] * len(a.members), [m] * len(b.members)))

    def pick(c: Cluster, precisions, kinds):
        return [fastest(x.device, precisions, kinds) for x in c.members]

    cross = [
        ("fastest-dense-8bit", "fastest dense tensor float, >= 8-bit, each side", pick(a, _WIDE, ("dense",)), pick(b, _WIDE, ("dense",))),
        ("fastest-dense-any", "fastest dense tensor float incl. FP6/FP4, each side", pick(a, TENSOR_FLOAT_PRECISIONS, ("dense",)), pick(b, TENSOR_FLOAT_PRECISIONS, ("dense",))),
        ("headline", "largest printed float figure each side (sparse where printed)", pick(a, TENSOR_FLOAT_PRECISIONS, ("dense", "sparse")), pick(b, TENSOR_FLOAT_PRECISIONS, ("dense", "sparse"))),
        ("a-sparse-vs-b-dense", "A's fastest sparse figure vs B's fastest dense (mixed)", pick(a, _WIDE, ("sparse",)), pick(b, _WIDE, ("dense",))),
        ("a-dense-vs-b-sparse", "A's fastest dense figure vs B's fastest sparse (mixed)", pick(a, _WIDE, ("dense",)), pick(b, _WIDE, ("sparse",))),
    ]
    for key, label, am, bm in cross:
        if wanted is None or key in wanted or (key == "fastest-dense-8bit" and H100E_KEY in wanted):
            basis = _basis(a, b, key, "cross", label, am, bm)
            if wanted is None or key in wanted:
                bases.append(basis)
            if key == "fastest-dense-8bit" and (wanted is None or H100E_KEY in wanted):
                bases.append(_h100e_basis(a, b, basis))
    for key, kind in (("memory", "memory"), ("memory_bandwidth", "memory"), ("scaleup_bandwidth", "interconnect"), ("power", "power"), ("price", "price")):
        if wanted is not None and key not in wanted:
            continue
        bases.append(_basis(a, b, key, kind, metric_label(key), [key] * len(a.members), [key] * len(b.members)))
    return Comparison(a, b, tuple(bases))


# ---- claims -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """A claim on one basis: ``verdict`` is 'holds', 'overstated', 'understated' or 'missing'."""

    basis: Basis
    verdict: Any  # str, or an array of str for scenario arrays
    deviation: Any  # claimed / actual - 1 (positive: the claim overstates)
    needed_scale: Any  # how many times larger A must be for the claim to hold on this basis

    def describe(self) -> str:
        b = self.basis
        if b.missing:
            return f"missing ({b.missing})"
        if np.ndim(b.ratio) != 0:
            return f"[{np.size(b.ratio)} scenarios]"
        if self.verdict == "holds":
            return f"holds ({b.ratio:.3g}x, claim {self.deviation:+.0%})"
        if self.verdict == "overstated":
            return f"overstated by {self.deviation:.0%}"
        return f"understated: the figures give {1 / (1 + self.deviation) - 1:.0%} more than claimed"

    def to_dict(self) -> dict:
        return {"basis": self.basis.key, "label": self.basis.label, "ratio": None if self.basis.missing else self.basis.ratio,
                "verdict": self.verdict, "deviation": None if self.basis.missing else self.deviation,
                "needed_scale": None if self.basis.missing else self.needed_scale,
                "a_figure": self.basis.detail("a"), "b_figure": self.basis.detail("b"), "missing": self.basis.missing or None}


def _verdict(deviation, tolerance):
    dev = np.asarray(deviation, dtype=float)
    out = np.where(np.abs(dev) <= tolerance, "holds", np.where(dev > 0, "overstated", "understated"))
    out = np.where(np.isnan(dev), "missing", out)
    return str(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ClaimCheck:
    """A claim "A is ``factor`` x B" checked on every basis; ``primary`` is the like-for-like one."""

    comparison: Comparison
    factor: float
    tolerance: float
    primary: Verdict
    verdicts: tuple[Verdict, ...]
    primary_note: str = ""

    @property
    def holding(self) -> list[Verdict]:
        """The bases under which the claim holds within tolerance (compute bases only)."""
        return [v for v in self.verdicts if _is_compute(v.basis) and np.ndim(v.verdict) == 0 and v.verdict == "holds"]

    @property
    def closest(self) -> Verdict | None:
        """The compute basis whose ratio is nearest the claimed factor (None for scenario arrays)."""
        scored = [v for v in self.verdicts if _is_compute(v.basis) and not v.basis.missing and np.ndim(v.deviation) == 0]
        return min(scored, key=lambda v: abs(math.log1p(v.deviation)), default=None)

    @property
    def count_ratio(self):
        return kernels.ratio(self.comparison.a.n_devices, self.comparison.b.n_devices)

    @property
    def implied_per_device_factor(self):
        """The per-device ratio the claim implies: factor / (devices in A / devices in B)."""
        return self.factor / self.count_ratio

    def to_dict(self) -> dict:
        c = self.comparison
        return {
            "claim": {"a": c.a.to_dict(), "b": c.b.to_dict(), "factor": self.factor, "tolerance": self.tolerance},
            "count_ratio": self.count_ratio,
            "implied_per_device_factor": self.implied_per_device_factor,
            "primary": self.primary.to_dict(),
            "primary_note": self.primary_note or None,
            "holds_on": [v.basis.key for v in self.holding],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "sources": {sid: c.a.catalog.sources[sid] for sid in c.sources} if c.a.catalog else c.sources,
        }

    def __repr__(self) -> str:
        return f"<ClaimCheck {self.factor:g}x: {self.primary.basis.key} {self.primary.verdict}>"

    def __str__(self) -> str:
        from .report import render_claim

        return render_claim(self)


def _is_compute(b: Basis) -> bool:
    return b.kind in ("like-for-like", "cross")


def check_claim(a, b, factor: float, tolerance: float = DEFAULT_TOLERANCE, precision: str = "bf16",
                catalog: Catalog | None = None) -> ClaimCheck:
    """Check the claim "A is ``factor`` times B" on every basis.

    Parameters
    ----------
    a, b : str or Cluster
        The clusters (``"100k H100"``, ``"25k A100"``).
    factor : float
        The claimed ratio A/B [dimensionless], > 0.
    tolerance : float
        The claim holds on a basis when ``|claimed / actual - 1| <= tolerance`` (default 0.10).
    precision : str
        The like-for-like precision of the primary verdict (dense); default bf16. If either side
        lacks it, the first precision both have among bf16, fp16, tf32, fp8, fp32 is used, and
        ``primary_note`` says so.
    """
    factor = _positive(factor, "factor")
    if not _MIN_FACTOR <= factor <= _MAX_FACTOR:  # beyond these the devices needed overflow (or a ratio underflows)
        raise InputError(f"factor must be between {_MIN_FACTOR:g} and {_MAX_FACTOR:g} (a ratio of two clusters), got {factor:g}")
    tolerance = _nonneg(tolerance, "tolerance")
    precision = precision_policy.normalize(precision) or precision_policy.DEFAULT
    comparison = compare(a, b, catalog)
    verdicts = []
    for basis in comparison.bases:
        deviation = kernels.claim_deviation(basis.ratio, factor)
        needed = kernels.ratio(factor, basis.ratio)
        deviation = float(deviation) if np.ndim(deviation) == 0 else deviation
        needed = float(needed) if np.ndim(needed) == 0 else needed
        verdicts.append(Verdict(basis, _verdict(deviation, tolerance), deviation, needed))
    by_key = {v.basis.key: v for v in verdicts}
    note = ""
    key = f"{precision}.dense"
    if key not in by_key or by_key[key].basis.missing:  # the one policy: BF16 falls back to FP16, nothing else
        key, note = _like_for_like(by_key, precision)
    primary = by_key.get(key)
    if primary is None:  # neither side has the precision: a missing verdict, never another basis
        nan = math.nan
        basis = Basis(key, "like-for-like", f"{precision.upper()} dense", (), (), nan, nan, nan, note or f"neither side has {precision.upper()} dense")
        primary = Verdict(basis, "missing", nan, nan)
    return ClaimCheck(comparison, factor, tolerance, primary, tuple(verdicts), note)


def _like_for_like(by_key: dict, precision: str) -> tuple[str, str]:
    """The like-for-like basis where the requested dense format is missing: FP16 for BF16 (said so), else
    a missing verdict that names the format (never another format: :mod:`computescale.precision`)."""
    first = f"{precision}.dense"
    why = by_key[first].basis.missing if first in by_key else "neither side has it"
    for p in precision_policy.fallbacks(precision)[1:]:
        if f"{p}.dense" in by_key and not by_key[f"{p}.dense"].basis.missing:
            return f"{p}.dense", f"{precision.upper()} dense is missing ({why}); like-for-like verdict on {p.upper()} dense"
    return first, (f"{precision.upper()} dense is missing ({why}); no like-for-like verdict (other formats are "
                   "listed below; --precision chooses another)")


_MIN_FACTOR, _MAX_FACTOR = 1e-9, 1e9


def _positive(x, what: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number > 0, got {x!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{what} must be a finite number > 0, got {x!r}")
    return value


def _nonneg(x, what: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number >= 0, got {x!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{what} must be a finite number >= 0 (e.g. 0.1 for ±10%), got {x!r}")
    return value


# ---- one-sentence claims --------------------------------------------------------------------------------
_CLAIM = re.compile(
    r"^\s*(?P<a>.+?)\s*(?:=|==|≈|~|\bis\b|\bequals\b|\bvs\.?\b|:)\s*"
    r"(?:about\s+|roughly\s+|approximately\s+|around\s+|~\s*|≈\s*)?"
    r"(?P<f>\d+(?:\.\d+)?)\s*(?:x|×|times)\s*(?:the\s+|as\s+much\s+as\s+)?(?P<b>.+?)\s*$",
    re.I,
)


def parse_claim(sentence: str) -> tuple[str, float, str]:
    """``"100k H100 = 20x 25k A100"`` -> ``("100k H100", 20.0, "25k A100")``.

    Accepted forms: ``A = Nx B``, ``A ≈ N x B``, ``A is about N times B``, ``A is N times the B``.
    """
    if not isinstance(sentence, str):
        raise InputError(f"a claim is text such as '100k H100 = 20x 25k A100', got {type(sentence).__name__}")
    match = _CLAIM.match(sentence)
    if not match:
        raise InputError(
            f"cannot read the claim {sentence!r}; write it as 'A = 20x B' (e.g. '100k H100 = 20x 25k A100') "
            "or give A, B and --factor"
        )
    factor = float(match.group("f"))
    if not math.isfinite(factor):  # 400 digits overflow a float
        raise InputError(f"the factor {match.group('f')[:20]!r}... in the claim is too large; give a finite factor")
    return match.group("a"), factor, match.group("b")
