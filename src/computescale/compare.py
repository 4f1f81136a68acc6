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
from .cluster import Cluster, cluster, device_entry, fastest, metric_dimension, metric_label
from .errors import InputError, UnknownNameError
from .schema import FLOAT_PRECISIONS, PRECISIONS, TENSOR_FLOAT_PRECISIONS
from .specs import Catalog
from .units import BASE, Q_, format_quantity

__all__ = ["BASIS_KEYS", "Basis", "Comparison", "compare", "Verdict", "ClaimCheck", "check_claim", "parse_claim", "DEFAULT_TOLERANCE"]

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
    a_value: Any  # quantity (NaN magnitude when missing)
    b_value: Any
    ratio: Any  # float or ndarray; NaN when missing
    missing: str = ""  # why the basis has no ratio
    sources: tuple[str, ...] = ()

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


def _side_total(c: Cluster, metrics: list[str | None]):
    """Total over members, each member contributing its own metric (NaN if any is None)."""
    if any(m is None for m in metrics):
        return math.nan if not c.shape else np.full(c.shape, math.nan)
    per_device = np.array([c.per_device(m)[i] for i, m in enumerate(metrics)])
    total = kernels.cluster_total(c.counts, per_device)
    return total.item() if np.ndim(total) == 0 else total


def _basis(a: Cluster, b: Cluster, key: str, kind: str, label: str, a_metrics: list, b_metrics: list) -> Basis:
    dims = {metric_dimension(m) for m in [*a_metrics, *b_metrics] if m}
    if len(dims) > 1:  # INT8 TOPS vs FP FLOP/s: not comparable, by design of the unit system
        unit = None
    else:
        unit = BASE[dims.pop()] if dims else None
    a_total, b_total = _side_total(a, a_metrics), _side_total(b, b_metrics)
    missing = []
    for side, c, metrics in (("A", a, a_metrics), ("B", b, b_metrics)):
        for member, m in zip(c.members, metrics):
            if m is None or np.isnan(c.per_device(m)[c.members.index(member)]):
                what = metric_label(m) if m else label
                missing.append(f"{member.device.name} has no {what} figure")
    ratio = kernels.ratio(a_total, b_total)
    if np.ndim(ratio) == 0:
        ratio = float(ratio)
    sources = tuple(dict.fromkeys(
        s for c, metrics in ((a, a_metrics), (b, b_metrics)) for member, m in zip(c.members, metrics) if m
        for s in [getattr(device_entry(member.device, m), "source", None)] if s
    ))
    to_q = (lambda v: Q_(v, unit)) if unit is not None else (lambda v: v)
    return Basis(key, kind, label, tuple(a_metrics), tuple(b_metrics), to_q(a_total), to_q(b_total), ratio,
                 "; ".join(missing), sources)


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
        from .render import table

        rows = []
        for b in self.bases:
            ratio = "missing" if b.missing else (f"{b.ratio:.3g}x" if np.ndim(b.ratio) == 0 else f"[{np.size(b.ratio)} ratios]")
            rows.append([b.label, _fmt_side(b, "a"), _fmt_side(b, "b"), ratio])
        head = f"A: {self.a.label}\nB: {self.b.label}\nresolved: {'; '.join(self.a.resolutions + self.b.resolutions)}\n\n"
        return head + table(rows, ["basis", "A", "B", "A/B"], "lrrr")


def _fmt_side(b: Basis, side: str) -> str:
    value = b.a_value if side == "a" else b.b_value
    metrics = b.a_metrics if side == "a" else b.b_metrics
    if not any(metrics) or (np.ndim(getattr(value, "magnitude", value)) == 0 and math.isnan(getattr(value, "magnitude", math.nan))):
        return "—"
    if np.ndim(value.magnitude) != 0:
        return f"[{np.size(value.magnitude)} values]"
    text = format_quantity(_compact(value))
    return f"{text} ({b.detail(side)})" if b.kind == "cross" else text


def _compact(q):
    if q.dimensionality == BASE["currency"].dimensionality:
        return q  # "2.75e+09 USD", not "2.75 GUSD"
    try:
        return q.to_compact()
    except Exception:  # pragma: no cover - to_compact on odd units
        return q


#: Keys of the cross bases, in display order (like-for-like keys are metric keys: "bf16.dense").
CROSS_BASES = ("fastest-dense-8bit", "fastest-dense-any", "headline", "a-sparse-vs-b-dense", "a-dense-vs-b-sparse")
OTHER_BASES = ("memory", "memory_bandwidth", "scaleup_bandwidth", "power", "price")
BASIS_KEYS = tuple(f"{p}.{k}" for k in ("dense", "sparse") for p in PRECISIONS) + CROSS_BASES + OTHER_BASES


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
        if wanted is None or key in wanted:
            bases.append(_basis(a, b, key, "cross", label, am, bm))
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
    if not isinstance(precision, str) or not precision.strip():
        raise InputError(f"precision is empty; give one of {', '.join(FLOAT_PRECISIONS)} (default bf16)"
                         if isinstance(precision, str) else f"precision must be text such as 'bf16', got {precision!r}")
    precision = precision.strip().lower()
    if precision not in FLOAT_PRECISIONS and precision not in PRECISIONS:
        raise UnknownNameError("precision", precision, [p for p in PRECISIONS if p[:2] == precision[:2]])
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
    if key not in by_key or by_key[key].basis.missing:
        for p in ("bf16", "fp16", "tf32", "fp8", "fp32"):
            if f"{p}.dense" in by_key and not by_key[f"{p}.dense"].basis.missing:
                note = f"{precision.upper()} dense is missing ({by_key[key].basis.missing if key in by_key else 'neither side has it'}); like-for-like verdict on {p.upper()} dense"
                key = f"{p}.dense"
                break
        else:
            note = "no dense precision in common; the like-for-like verdict is missing"
    primary = by_key.get(key)
    if primary is None:  # neither side has the precision: a missing verdict, never another basis
        nan = math.nan
        basis = Basis(key, "like-for-like", f"{precision.upper()} dense", (), (), nan, nan, nan, note or f"neither side has {precision.upper()} dense")
        primary = Verdict(basis, "missing", nan, nan)
    return ClaimCheck(comparison, factor, tolerance, primary, tuple(verdicts), note)


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


_SHORT = {
    "fastest-dense-8bit": "fastest dense format each side", "fastest-dense-any": "fastest dense format incl. FP6/FP4",
    "headline": "largest printed figures", "a-sparse-vs-b-dense": "sparse vs dense, mixed",
    "a-dense-vs-b-sparse": "dense vs sparse, mixed",
}


def _brief(verdicts) -> list[str]:
    """'FP8 dense vs BF16 dense 25.4x (fastest dense format each side)', one per distinct figure pair."""
    out, seen = [], set()
    for v in verdicts:
        b = v.basis
        pair = (b.detail("a"), b.detail("b"), round(float(b.ratio), 9))
        if pair in seen:
            continue
        seen.add(pair)
        what = _SHORT.get(b.key, "like-for-like")
        out.append(f"{pair[0]} vs {pair[1]} {b.ratio:.3g}x ({what})")
    return out


# ---- text rendering of a claim -------------------------------------------------------------------------
def render_claim(check: ClaimCheck) -> str:
    from .render import table

    c = check.comparison
    a, b = c.a, c.b
    lines = [
        f"Claim: {a.label} is {check.factor:g}x {b.label} (holds within ±{check.tolerance:.0%})",
        f"resolved: {'; '.join(a.resolutions + b.resolutions)}",
    ]
    if np.ndim(check.count_ratio) == 0:
        per = check.implied_per_device_factor
        da, db = a.single_device, b.single_device
        if da is not None and db is not None:
            lines.append(f"Device counts differ {check.count_ratio:.3g}x, so the claim implies each {da.name} = {per:.3g}x one {db.name}.")
        else:
            lines.append(f"Device counts differ {check.count_ratio:.3g}x, so the claim implies {per:.3g}x per device on average.")
    p = check.primary
    lines.append("")
    if p.basis.missing:
        lines.append(f"Like-for-like: missing ({p.basis.missing})")
    elif np.ndim(p.basis.ratio) == 0:
        verdict = p.describe()
        need = ""
        if p.verdict != "holds" and a.single_device is not None and np.ndim(a.n_devices) == 0:
            need_devices = math.ceil(a.n_devices * p.needed_scale)
            need = f"; {check.factor:g}x on this basis needs {need_devices:,} × {a.single_device.name}"
        lines.append(f"Like-for-like ({p.basis.label}): {p.basis.ratio:.3g}x -> {verdict}{need}")
    if check.primary_note:
        lines.append(f"  note: {check.primary_note}")
    holding = check.holding
    if holding:
        lines.append(f"The claim holds (±{check.tolerance:.0%}) only on: " + "; ".join(_brief(holding)))
    else:
        lines.append(f"The claim holds (±{check.tolerance:.0%}) on no compute basis.")
    reaching = [v for v in check.verdicts if _is_compute(v.basis) and not v.basis.missing and np.ndim(v.basis.ratio) == 0
                and v.basis.ratio >= check.factor and v.verdict != "holds"]
    if reaching:
        lines.append(f"Bases that give {check.factor:g}x or more: " + "; ".join(_brief(reaching)))
    closest = check.closest
    if closest is not None and closest.verdict != "holds":
        lines.append(f"Closest: {_brief([closest])[0]}, {closest.describe()}")
    lines.append("")
    rows = []
    for v in check.verdicts:
        if not _is_compute(v.basis):
            continue
        bb = v.basis
        rows.append([bb.label, _fmt_side(bb, "a"), _fmt_side(bb, "b"), "—" if bb.missing else f"{bb.ratio:.3g}x",
                     "missing" if bb.missing else v.verdict])
    lines.append(table(rows, ["compute basis", "A", "B", "A/B", f"vs {check.factor:g}x"], "lrrrl"))
    other = [f"{v.basis.label} {v.basis.ratio:.3g}x" for v in check.verdicts if not _is_compute(v.basis) and not v.basis.missing and np.ndim(v.basis.ratio) == 0]
    if other:
        lines.append("\nOther ratios: " + "; ".join(other))
    if a.catalog is not None:
        lines.append("\nSources:")
        for sid in c.sources:
            lines.append(f"  [{sid}] {a.catalog.sources[sid].cite()}")
    return "\n".join(lines)
