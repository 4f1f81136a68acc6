"""Clusters: whole, positive counts of devices, and their aggregate figures.

>>> from computescale import cluster
>>> c = cluster("100k H100")
>>> c.total("bf16.dense").to("EFLOP/s")
<Quantity(98.94, 'exaFLOP / second')>

A cluster may mix devices (``"16k H100 + 8k A100"``) or name a known cluster (``"colossus"``).
Counts may be NumPy arrays (``Cluster.of("H100", np.arange(1, 10**6) * 1000)``): every figure
then comes back as an array, computed in one vectorized step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from . import kernels
from .errors import InputError, UnknownNameError
from .data.schema import INTEGER_PRECISIONS, PRECISIONS, Device
from .data.specs import Catalog, Resolved, load_catalog
from .units import BASE, Q_

__all__ = ["Cluster", "Member", "cluster", "parse_count", "validate_counts", "METRICS", "metric_dimension"]

#: Non-compute metrics a cluster aggregates: key -> (label, dimension, field path in a Device).
_OTHER_METRICS = {
    "memory": ("memory capacity", "information", "memory.capacity"),
    "memory_bandwidth": ("memory bandwidth", "bandwidth", "memory.bandwidth"),
    "scaleup_bandwidth": ("scale-up interconnect bandwidth", "bandwidth", "interconnect.bandwidth"),
    "power": ("power (sum of device TDP)", "power", "power.tdp"),
    "price": ("hardware price (sum of unit prices)", "currency", "price.unit_price"),
}

#: Every metric key: "<precision>.dense", "<precision>.sparse", then the others above.
METRICS: tuple[str, ...] = tuple(f"{p}.{k}" for p in PRECISIONS for k in ("dense", "sparse")) + tuple(_OTHER_METRICS)


def metric_dimension(metric: str) -> str:
    if metric in _OTHER_METRICS:
        return _OTHER_METRICS[metric][1]
    precision = metric.split(".")[0]
    return "ops_rate" if precision in INTEGER_PRECISIONS else "compute_rate"


def metric_label(metric: str) -> str:
    if metric in _OTHER_METRICS:
        return _OTHER_METRICS[metric][0]
    precision, kind = metric.split(".")
    return f"{precision.upper().replace('_TENSOR', ' tensor')} {kind}"


def device_entry(device: Device, metric: str):
    """The sourced entry behind a per-device metric, or None where the device lacks it."""
    if metric in _OTHER_METRICS:
        node: Any = device
        for part in _OTHER_METRICS[metric][2].split("."):
            node = getattr(node, part, None) if node is not None else None
        return node
    precision, kind = metric.split(".")
    if precision not in PRECISIONS or kind not in ("dense", "sparse"):
        raise UnknownNameError("metric", metric, [m for m in METRICS if m.startswith(precision)][:5])
    return device.peak(precision, sparse=(kind == "sparse"))


def device_value(device: Device, metric: str) -> float:
    """A per-device figure in the base unit of its dimension; NaN where the device lacks it.

    Memoized on the (immutable) device: a comparison asks for the same figures many times.
    """
    cache = device.__pydantic_private__["_base_values"]  # direct: pydantic's __getattr__ costs ~2 µs a call
    value = cache.get(metric)
    if value is None:
        entry = device_entry(device, metric)
        value = cache[metric] = math.nan if entry is None else float(entry.value.m_as(BASE[metric_dimension(metric)]))
    return value


def fastest(device: Device, precisions: Iterable[str], kinds: Iterable[str] = ("dense",)) -> str | None:
    """The metric key of the device's fastest published figure among ``precisions`` x ``kinds``."""
    best, best_value = None, -math.inf
    for p in precisions:
        for k in kinds:
            v = device_value(device, f"{p}.{k}")
            if v > best_value:  # NaN compares False: a missing figure is never picked
                best, best_value = f"{p}.{k}", v
    return best


# ---- counts ------------------------------------------------------------------------------------------
#: The largest count: every whole number up to 2**53 is exact in a float64 (the core's dtype).
_MAX_COUNT = 2**53
_SUFFIX = {"": 1, "k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}
_COUNT = re.compile(r"^(?P<num>\d[\d,_]*(?:\.\d+)?|\.\d+)(?P<suf>[kKmM]?)$")
_COUNTLIKE = re.compile(r"^[-+]?(?:nan|inf(?:inity)?|[\d.,_]+[kKmM]?)$", re.I)


def parse_count(text: str, what: str = "count") -> int:
    """``"100k"`` -> 100000, ``"25,000"`` -> 25000, ``"1.5M"`` -> 1500000. Whole and positive only."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be text such as '25000' or '100k', got {type(text).__name__}")
    match = _COUNT.match(text.strip())
    if not match:
        raise InputError(f"{what} must be a whole positive number (e.g. 25000, 25,000, 100k, 1.5M), got {text!r}")
    num = match.group("num")
    if "," in num and not re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", num):
        raise InputError(f"{what}: cannot read {text!r}: a comma separates thousands in groups of three digits "
                         "(25,000); for a fraction write a point (1.5k)")
    try:
        number = float(num.replace(",", ""))  # float() accepts '_' only between digits
    except ValueError:
        raise InputError(f"{what} must be a whole positive number (e.g. 25000, 25,000, 100k, 1.5M), got {text!r}") from None
    value = number * _SUFFIX[match.group("suf")]
    if value > _MAX_COUNT:
        raise InputError(f"{what} is too large (at most {_MAX_COUNT:,} devices), got {_clip(text)}")
    return int(validate_counts(value, what))


def validate_counts(counts: Any, what: str = "count") -> np.ndarray:
    """Counts as a float array, or :class:`InputError` if any is NaN, infinite, <= 0 or fractional."""
    try:
        given = np.asarray(counts)
        arr = given.astype(float, copy=False)
    except OverflowError:  # a Python int beyond float range, e.g. 10**400
        raise InputError(f"{what} is too large (at most {_MAX_COUNT:,} devices), got {_clip(counts)}") from None
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number or an array of numbers, got {_clip(counts)}") from None
    if arr.size == 0:
        raise InputError(f"{what} is empty")
    if _all_whole_in_range(arr, given.dtype.kind in "iu"):
        return arr
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(f"{what} must be finite, got {arr[bad].flat[0]}")
    if (arr <= 0).any():
        raise InputError(f"{what} must be positive (a whole number of devices), got {arr[arr <= 0].flat[0]:g}")
    if (arr != np.round(arr)).any():
        raise InputError(f"{what} must be a whole number of devices, got {arr[arr != np.round(arr)].flat[0]:g}")
    if (arr > _MAX_COUNT).any():
        raise InputError(f"{what} is too large (at most {_MAX_COUNT:,} devices, the largest whole number a float holds exactly), "
                         f"got {arr[arr > _MAX_COUNT].flat[0]:g}")
    return arr


_BLOCK = 1 << 15  # 256 KiB of float64: a block stays in cache for the three checks below


def _all_whole_in_range(arr: np.ndarray, integer: bool) -> bool:
    """The fast path of validate_counts: every count in [1, 2**53] and whole (NaN fails).

    Checked block by block so that the min, max and whole-number tests read each block from
    cache: about one pass over memory instead of four (np.trunc; np.mod is 5x slower).
    """
    flat = arr.reshape(-1)
    for i in range(0, flat.size, _BLOCK):
        blk = flat[i:i + _BLOCK]
        if not (blk.min() >= 1 and blk.max() <= _MAX_COUNT):
            return False
        if not integer and not np.array_equal(np.trunc(blk), blk):
            return False
    return True


def _clip(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- clusters --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    device: Device
    resolved: Resolved


@dataclass(frozen=True, eq=False)
class Cluster:
    """Devices and their counts. ``counts`` has the members on its last axis."""

    members: tuple[Member, ...]
    counts: np.ndarray
    known: str | None = None  # the known cluster this came from, if any
    catalog: Catalog | None = None
    #: Per member, the source's range where a known cluster's count is vague: (low, high or None,
    #: stated words). Arithmetic uses the low end (``counts``); labels show the range.
    ranges: tuple | None = None
    via: str = ""  # how a name became this cluster, e.g. "run GPT-4's cluster"

    @classmethod
    def of(cls, device: str | Device, count: Any = 1, catalog: Catalog | None = None) -> "Cluster":
        """One device type, ``count`` devices (an int or an array of scenario counts)."""
        catalog = catalog or load_catalog()
        if isinstance(device, Device):
            member = Member(device, Resolved(device.name, device.name, "name"))
        else:
            dev, resolved = catalog.resolve_device(device)
            member = Member(dev, resolved)
        counts = validate_counts(count)
        return cls((member,), counts[..., np.newaxis], catalog=catalog)

    @property
    def shape(self) -> tuple[int, ...]:
        """The scenario shape (counts' shape without the member axis); () for one cluster."""
        return self.counts.shape[:-1]

    @property
    def n_devices(self):
        total = self.counts[..., 0] if self.counts.shape[-1] == 1 else self.counts.sum(axis=-1)
        return total.item() if total.ndim == 0 else total

    @property
    def single_device(self) -> Device | None:
        return self.members[0].device if len(self.members) == 1 else None

    def per_device(self, metric: str) -> np.ndarray:
        """Per-member figure in base units (NaN where a device lacks it)."""
        return np.array([device_value(m.device, metric) for m in self.members])

    def total_magnitude(self, metric: str):
        """The cluster total of a metric in its base unit (float or ndarray)."""
        total = kernels.cluster_total(self.counts, self.per_device(metric))
        return total.item() if np.ndim(total) == 0 else total

    def total(self, metric: str):
        """The cluster total of a metric as a quantity; NaN magnitude where any member lacks it."""
        return Q_(self.total_magnitude(metric), BASE[metric_dimension(metric)])

    def has(self, metric: str) -> bool:
        return all(device_entry(m.device, metric) is not None for m in self.members)

    def sources(self, metric: str) -> list[str]:
        return [e.source for m in self.members if (e := device_entry(m.device, metric)) is not None]

    def metrics(self) -> list[str]:
        """The metrics every member of the cluster has."""
        return [m for m in METRICS if self.has(m)]

    def with_counts(self, counts: Any) -> "Cluster":
        """The same devices with other counts (last axis = members)."""
        counts = validate_counts(counts)
        if len(self.members) == 1 and (counts.ndim == 0 or counts.shape[-1] != 1):
            counts = counts[..., np.newaxis]
        if counts.shape[-1] != len(self.members):
            raise InputError(f"counts need {len(self.members)} members on their last axis, got shape {counts.shape}")
        return Cluster(self.members, counts, None, self.catalog)

    @property
    def label(self) -> str:
        """``'100,000 × H100 SXM5 80GB'`` (scenario arrays are shown by their size)."""
        if self.shape:
            parts = [f"[{self.counts[..., i].size} counts] × {m.device.name}" for i, m in enumerate(self.members)]
        else:
            parts = [f"{_count_text(int(c), r)} × {m.device.name}"
                     for c, m, r in zip(self.counts, self.members, self.ranges or [None] * len(self.members))]
        text = " + ".join(parts)
        return f"{self.known} ({text})" if self.known else text

    @property
    def resolutions(self) -> list[str]:
        """What each name the user typed resolved to."""
        out = [f"{m.resolved.query!r} -> {m.device.name}" for m in self.members]
        head = [self.via] if self.via else ([f"{self.known!r} (known cluster)"] if self.known else [])
        for member, rng in zip(self.members, self.ranges or ()):
            if rng:
                low, high, stated = rng
                span = f"{low:,}–{high:,}" if high is not None else f"{low:,}"
                words = f" (source: {stated!r})" if stated else ""
                head.append(f"vague count of {member.device.name}: {span}{words}; arithmetic uses {low:,}")
        return head + out

    def __repr__(self) -> str:
        return f"Cluster({self.label})"

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "known_cluster": self.known,
            "via": self.via or None,
            "members": [
                {"device": m.device.name, "query": m.resolved.query, "count": self.counts[..., i].astype(np.int64).tolist()}
                for i, m in enumerate(self.members)
            ],
        }


def cluster(spec: "str | Cluster", catalog: Catalog | None = None) -> Cluster:
    """Read a cluster: ``"100k H100"``, ``"25,000 A100-40GB"``, ``"16k H100 + 8k A100"``, a known
    cluster name (``"colossus"``), or a bare device name (one device).

    Raises :class:`InputError` for a zero, negative, fractional or NaN count and
    :class:`UnknownNameError` (with suggestions) for an unknown device or cluster.
    """
    if isinstance(spec, Cluster):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"a cluster is text such as '100k H100' or '16k H100 + 8k A100', got {spec!r}")
    catalog = catalog or load_catalog()
    memo = catalog.memo.setdefault("cluster", {})  # the same text always reads the same: parse it once
    hit = memo.get(spec)
    if hit is None:
        if len(memo) >= 4096:  # bounded: a reader of long texts may try many strings
            memo.clear()
        hit = memo[spec] = _read_cluster(spec, catalog)
        hit.counts.flags.writeable = False  # shared between callers: read-only
    return hit


def _read_cluster(spec: str, catalog: Catalog) -> Cluster:
    text = spec.strip()
    parts = [p.strip() for p in text.split("+")]
    if len(parts) == 1 and normalize_known(catalog, text):
        known, resolved = catalog.cluster(text)
        return _known(catalog, known, "" if resolved.via == "name" else f"{resolved} (known cluster)")
    if len(parts) == 1 and not _COUNTLIKE.match(text.partition(" ")[0].rstrip("x×*")):
        as_run = _run_cluster(catalog, text)
        if as_run is not None:
            return as_run
    members, counts = [], []
    for part in parts:
        if not part:
            raise InputError(f"cannot read cluster {spec!r}: empty part around '+'")
        head, _, rest = part.partition(" ")
        head = head.rstrip("x×*")
        if _COUNTLIKE.match(head) and rest.strip():
            count = parse_count(head, what=f"count in {part!r}")
            name = rest.strip().removeprefix("x ").removeprefix("× ").strip()
        elif re.match(r"^[-+]?\d", part):  # "100kH100", "-5 H100" and the like
            raise InputError(f"cannot read {part!r}: write '<count> <device>' with a whole positive count, e.g. '100k H100'")
        else:
            count, name = 1, part
        try:
            dev, resolved = catalog.resolve_device(name)
        except UnknownNameError as exc:
            if len(parts) == 1 and count == 1:  # a bare name: it may be a misspelt cluster or run
                raise UnknownNameError("device, cluster or run", name, catalog.suggest_any(name)) from None
            raise exc from None
        members.append(Member(dev, resolved))
        counts.append(count)
    names = [m.device.name for m in members]
    if len(set(names)) != len(names):
        raise InputError(f"cluster {spec!r} names a device twice; add the counts instead")
    return Cluster(tuple(members), validate_counts(counts), None, catalog)


def _count_text(count: int, rng) -> str:
    """A count as shown: ``400,000–800,000 (range, low end used)`` or ``200,000 (vague)``."""
    if not rng:
        return f"{count:,}"
    low, high, _ = rng
    return f"{low:,}–{high:,} (range, low end used)" if high is not None else f"{count:,} (vague)"


def _known(catalog: Catalog, known, via: str = "") -> Cluster:
    """A known cluster (clusters.toml) as a Cluster; vague counts keep their range for display."""
    members, counts, ranges = [], [], []
    for m in known.members:
        dev, resolved = catalog.resolve_device(m.device)
        members.append(Member(dev, resolved))
        counts.append(m.count)
        ranges.append((m.count, m.max, m.stated) if m.ranged else None)
    return Cluster(tuple(members), validate_counts(counts), known.name, catalog,
                   tuple(ranges) if any(ranges) else None, via)


def _run_cluster(catalog: Catalog, text: str) -> Cluster | None:
    """``"gpt-4"``, ``"GPT-4's cluster"`` where a cluster is expected: the run's cluster, said so."""
    found = catalog.run_of_cluster_phrase(text)
    if found is None:
        return None
    run, _ = found
    if run.cluster_ref:
        known, _ = catalog.cluster(run.cluster_ref)
        return _known(catalog, known, f"{text!r} -> run {run.name}'s cluster: known cluster {known.name!r}")
    if run.cluster is None:
        raise InputError(f"{text!r} names the run {run.name!r}, which has no sourced cluster; give a cluster such as '16k H100'")
    dev, resolved = catalog.resolve_device(run.cluster.device)
    via = (f"{text!r} -> run {run.name}'s cluster: {run.cluster.count:,} × {dev.name} "
           f"({run.cluster.confidence or 'unrated'}, source {run.cluster.source})")
    rc = run.cluster
    rng = None
    if (rc.min is not None and rc.min != rc.count) or (rc.max is not None and rc.max != rc.count):
        rng = ((rc.min if rc.min is not None else rc.count), rc.max, "sources give a range")
    return Cluster((Member(dev, resolved),), validate_counts([rc.count]), f"{run.name}'s cluster", catalog,
                   (rng,) if rng else None, via)


def normalize_known(catalog: Catalog, text: str) -> bool:
    try:
        catalog.cluster(text)
        return True
    except UnknownNameError:
        return False
