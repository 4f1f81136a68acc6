"""Training-run calculator: compute, time, utilization, energy, cost, emissions and thresholds.

>>> from computescale.training import estimate_training
>>> est = estimate_training(compute="2.15e25 FLOP", cluster="25k A100", mfu=0.34)
>>> round(est.time_to_train.m_as("day"), 1)
93.8

Quantities in, quantities out: inputs are parsed and checked at the edge (:func:`units.parse_quantity`),
stripped to base units once, and the arithmetic is the vectorized NumPy in :mod:`kernels`. Counts,
MFU, durations, PUE and the other factors may be arrays; they broadcast against each other and every
result comes back with the broadcast shape.

Every default comes from ``specs/defaults.toml`` with its source, and every assumption used shows in
:attr:`TrainingEstimate.assumptions` (value, source id, note). Costs are reported separately and never
summed: electricity, cloud rental and amortized hardware answer different questions.

References
----------
.. [1] Kaplan et al., "Scaling Laws for Neural Language Models", 2020, Section 2.1 (C = 6ND).
.. [2] Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
   Megatron-LM", SC21, 2021, Section 5.1 (8TP/nX, activation recomputation).
.. [3] Patterson et al., "Carbon Emissions and Large Neural Network Training", 2021, Table 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from . import kernels
from .cluster import Cluster, cluster as _parse_cluster
from .errors import InputError, UnknownNameError
from .specs import Catalog, load_catalog
from .units import BASE, Q_, format_quantity, magnitude_in, parse_quantity, ureg

__all__ = [
    "training_compute",
    "time_to_train",
    "compute_in_time",
    "devices_for_time",
    "implied_mfu",
    "mfu_from_achieved",
    "estimate_training",
    "TrainingEstimate",
    "Assumption",
    "ThresholdCheck",
    "FLOP_PER_PARAM_TOKEN",
    "FLOP_PER_PARAM_TOKEN_RECOMPUTE",
]

#: Forward + backward FLOP per parameter per token of a dense transformer (Kaplan et al. 2020, §2.1).
FLOP_PER_PARAM_TOKEN = 6.0
#: With full activation recomputation, one more forward pass: hardware FLOP (Narayanan et al. 2021, eq. 3).
FLOP_PER_PARAM_TOKEN_RECOMPUTE = 8.0

_DEFAULT_PRECISION = "bf16"


# ---- input checks ---------------------------------------------------------------------------------------
def _quantity(value: Any, key: str, what: str, default_unit: str | None = None):
    """parse_quantity, extended to lists and arrays of numbers (read in ``default_unit``)."""
    # A NaN is a range problem here (InputError from _bounded, naming what is accepted), not a unit one.
    if isinstance(value, float) and math.isnan(value):
        value = np.asarray(value)
    elif isinstance(value, pint.Quantity) and isinstance(value.magnitude, float) and math.isnan(value.magnitude):
        value = Q_(np.asarray(value.magnitude), value.units) if value._REGISTRY is Q_._REGISTRY else value
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{what}: expected a number or an array of numbers, got {value!r}") from None
        value = Q_(arr, default_unit or "")
    return parse_quantity(value, key, what=what, default_unit=default_unit)


def _bounded(value: Any, key: str, what: str, *, lo: float = 0.0, lo_open: bool = True, hi: float = math.inf,
             accepted: str, default_unit: str | None = None):
    """Magnitude in base units, or InputError naming the input, the bad value and what is accepted."""
    q = _quantity(value, key, what, default_unit)
    m = np.asarray(magnitude_in(q, key), dtype=float)
    if m.size == 0:
        raise InputError(f"{what} is empty; expected {accepted}")
    ok = ((m > lo) if lo_open else (m >= lo)) & (m <= hi)  # NaN fails every comparison
    if not ok.all():
        bad = ~ok
        shown = Q_(m[bad].flat[0], BASE[key]).to(q.units) if key != "dimensionless" else m[bad].flat[0]
        shown = format_quantity(shown) if isinstance(shown, pint.Quantity) else f"{shown:g}"
        raise InputError(f"{what} must be {accepted}, got {shown}")
    return m.item() if m.ndim == 0 else m


_DAY = ureg.day


def _mfu(value: Any, what: str = "mfu"):
    return _bounded(value, "dimensionless", what, lo=0.0, hi=1.0, accepted="a fraction in (0, 1] (e.g. 0.4 for 40%)")


def _shape(x) -> Any:
    return x.item() if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0) else x


def _as_cluster(spec: Any, catalog: Catalog) -> Cluster:
    if isinstance(spec, Cluster):
        return spec
    return _parse_cluster(spec, catalog)


def _peak_per_device(c: Cluster, precision: str) -> tuple[Any, str]:
    """Mean dense peak per device [FLOP/s] at ``precision``; InputError if any member lacks it."""
    from .schema import TENSOR_FLOAT_PRECISIONS, FLOAT_PRECISIONS

    precision = precision.lower()
    if precision not in FLOAT_PRECISIONS:
        import difflib

        raise UnknownNameError("precision", precision, difflib.get_close_matches(precision, FLOAT_PRECISIONS, n=3)
                               or list(TENSOR_FLOAT_PRECISIONS))
    metric = f"{precision}.dense"
    per = c.per_device(metric)  # UnknownNameError (with suggestions) for a precision that does not exist
    missing = [m.device.name for m, v in zip(c.members, per) if math.isnan(v)]
    if missing:
        have = [p for p in c.members[0].device.precisions() if c.members[0].device.peak(p) is not None]
        raise InputError(
            f"precision: {missing[0]} has no published {precision.upper()} dense peak; "
            f"choose one it has ({', '.join(have)})"
        )
    if len(c.members) == 1:  # one device type: the peak is a scalar, not an N-array of copies
        return float(per[0]), metric
    return kernels.ratio(c.total_magnitude(metric), c.n_devices), metric


def _default_precision(c: Cluster, precision: str | None) -> tuple[str, str]:
    """The precision to use and a note; BF16 unless the caller chose, FP16 (said so) where BF16 is missing."""
    if precision:
        return precision.lower(), "chosen"
    if all(m.device.peak(_DEFAULT_PRECISION) is not None for m in c.members):
        return _DEFAULT_PRECISION, "default (BF16 dense tensor peak)"
    if all(m.device.peak("fp16") is not None for m in c.members):
        return "fp16", "the device has no BF16 figure, so its FP16 dense tensor peak is used (BF16's 16-bit counterpart)"
    return _DEFAULT_PRECISION, "default"


# ---- thin functions over the kernels ------------------------------------------------------------------------
def training_compute(params: Any, tokens: Any, *, recomputation: bool = False):
    """Training compute of a dense transformer [FLOP]: 6·N·D, or 8·N·D with full recomputation.

    Parameters
    ----------
    params : float or array_like
        Parameters N [dimensionless], e.g. ``405e9``.
    tokens : float or array_like
        Training tokens D [dimensionless], e.g. ``15.6e12``.
    recomputation : bool
        Count the extra forward pass of full activation recomputation (hardware FLOP) [2]_.
    """
    n = _bounded(params, "dimensionless", "params", accepted="a positive number of parameters (e.g. 405e9)")
    d = _bounded(tokens, "dimensionless", "tokens", accepted="a positive number of tokens (e.g. 15.6e12)")
    k = FLOP_PER_PARAM_TOKEN_RECOMPUTE if recomputation else FLOP_PER_PARAM_TOKEN
    return Q_(_shape(kernels.transformer_training_flop(n, d, k)), "FLOP")


def _compute(value: Any, what: str = "compute"):
    return _bounded(value, "compute", what, accepted="a positive amount of compute (e.g. '2.15e25 FLOP', '3640 PF-day')",
                    default_unit="FLOP")


def _duration(value: Any, what: str = "duration"):
    return _bounded(value, "time", what, accepted="a positive, finite duration (e.g. '95 day')")


def time_to_train(compute: Any, cluster: Any, mfu: Any, *, precision: str = _DEFAULT_PRECISION, catalog: Catalog | None = None):
    """Wall time to train ``compute`` on ``cluster`` at ``mfu`` of its dense peak [day].

    Parameters
    ----------
    compute : str or Quantity
        Training compute [FLOP], e.g. ``"3.8e25 FLOP"``.
    cluster : str or Cluster
        ``"16k H100"``, a known cluster name, or a :class:`Cluster` (counts may be arrays).
    mfu : float or array_like
        Model FLOP utilization in (0, 1].
    precision : str
        Peak used: ``"bf16"`` (default), ``"fp16"``, ``"fp8"``, ``"tf32"``...
    """
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    # dividing the scalar compute by seconds-per-day first saves a pass over the scenario array
    t_day = kernels.train_time_s(_compute(compute) / 86400.0, c.n_devices, peak, _mfu(mfu))
    return Q_(_shape(t_day), _DAY)


def compute_in_time(duration: Any, cluster: Any, mfu: Any, *, precision: str = _DEFAULT_PRECISION, catalog: Catalog | None = None):
    """Compute ``cluster`` reaches in ``duration`` at ``mfu`` [FLOP]."""
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    return Q_(_shape(kernels.compute_in_time_flop(_duration(duration), c.n_devices, peak, _mfu(mfu))), "FLOP")


def devices_for_time(compute: Any, duration: Any, device: Any, mfu: Any, *, precision: str = _DEFAULT_PRECISION,
                     catalog: Catalog | None = None):
    """Devices of type ``device`` needed to train ``compute`` within ``duration`` [dimensionless].

    Fractional: round up for a whole count. ``device`` is a device name (or a cluster, whose mean
    peak per device is used).
    """
    c = _as_cluster(device, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    n = kernels.devices_for_time(_compute(compute), _duration(duration), peak, _mfu(mfu))
    return Q_(_shape(n), "")


def implied_mfu(compute: Any, cluster: Any, duration: Any, *, precision: str = _DEFAULT_PRECISION,
                catalog: Catalog | None = None):
    """The model FLOP utilization a reported run implies: C / (n · peak · T) [dimensionless].

    Above 1 means the reported figures are inconsistent with the peak (not clipped).
    """
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    return Q_(_shape(kernels.implied_mfu(_compute(compute), c.n_devices, _duration(duration), peak)), "")


def mfu_from_achieved(achieved: Any, cluster: Any, *, precision: str = _DEFAULT_PRECISION, catalog: Catalog | None = None):
    """MFU from an achieved throughput per device (e.g. ``"140 TFLOP/s"``): achieved / dense peak.

    Raises :class:`InputError` where the achieved rate exceeds the device's peak.
    """
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    return Q_(_shape(_achieved_to_mfu(achieved, peak, precision)), "")


def _achieved_to_mfu(achieved: Any, peak: Any, precision: str):
    a = _bounded(achieved, "compute_rate", "achieved throughput per device",
                 accepted="a positive rate per device (e.g. '140 TFLOP/s')", default_unit="TFLOP/s")
    m = np.asarray(kernels.mfu_from_achieved(a, peak))
    if (m > 1).any():
        raise InputError(
            f"achieved throughput per device {format_quantity(Q_(float(np.max(a)), 'FLOP/s').to('TFLOP/s'))} exceeds the "
            f"{precision.upper()} dense peak {format_quantity(Q_(float(np.min(peak)), 'FLOP/s').to('TFLOP/s'))}; "
            "give a rate at or below peak, or choose another --precision"
        )
    return m.item() if m.ndim == 0 else m


# ---- the result -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assumption:
    """One input the estimate used: its value, where it came from, and what it means."""

    name: str
    value: Any  # a Quantity, a number, or text
    source: str | None  # a source id in the catalog; None where no source exists (said in note)
    note: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "source": self.source, "note": self.note or None}


@dataclass(frozen=True)
class ThresholdCheck:
    """One regulatory compute threshold against the estimate's training compute."""

    id: str
    name: str
    threshold: Any  # Quantity [FLOP]
    status: str
    source: str
    crosses: Any  # bool or bool array: compute > threshold (the instruments say "greater than")
    time_to_reach: Any  # Quantity [day] on the given cluster at the estimate's MFU, or None

    def to_dict(self) -> dict:
        c = self.crosses
        return {"id": self.id, "name": self.name, "threshold": self.threshold, "status": self.status,
                "source": self.source, "crosses": c.tolist() if hasattr(c, "tolist") else c,
                "time_to_reach": self.time_to_reach}


#: Result fields, in display order: (attribute, label, display unit).
_RESULTS = (
    ("compute", "training compute", "FLOP"),
    ("time_to_train", "time to train (at the MFU used)", "day"),
    ("duration", "duration used for energy and cost", "day"),
    ("compute_in_duration", "compute reachable in the duration", "FLOP"),
    ("implied_mfu", "MFU implied by compute, cluster and duration", ""),
    ("devices_for_duration", "devices needed for the duration", ""),
    ("device_time", "device-time", "GPU_hour"),
    ("device_energy", "device energy (before host overhead and PUE)", "MWh"),
    ("energy", "facility energy", "MWh"),
    ("emissions", "emissions", "tCO2e"),
)
_COSTS = (
    ("electricity_cost", "electricity (energy x price)"),
    ("rental_cost", "cloud rental (device-hours x rate)"),
    ("amortized_hardware_cost", "amortized hardware (unit price x device-time / lifetime)"),
)


@dataclass
class TrainingEstimate:
    """Everything a training estimate found, as quantities, with every assumption and its source.

    A result is ``None`` where the inputs do not determine it; :attr:`not_given` says why. The three
    costs are separate answers (running cost, renting cost, owning cost) and are never summed.
    """

    compute: Any = None
    compute_basis: str = ""
    run: str | None = None
    cluster: str | None = None
    n_devices: Any = None
    precision: str | None = None
    peak_per_device: Any = None
    mfu: Any = None
    time_to_train: Any = None
    duration: Any = None
    compute_in_duration: Any = None
    implied_mfu: Any = None
    devices_for_duration: Any = None
    device_time: Any = None
    device_energy: Any = None
    energy: Any = None
    emissions: Any = None
    electricity_cost: Any = None
    rental_cost: Any = None
    amortized_hardware_cost: Any = None
    thresholds: list[ThresholdCheck] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_given: dict[str, str] = field(default_factory=dict)

    def assumption(self, name: str) -> Assumption:
        for a in self.assumptions:
            if a.name == name:
                return a
        raise KeyError(name)

    def to_dict(self) -> dict:
        from .render import to_jsonable

        return to_jsonable({
            "run": self.run,
            "cluster": self.cluster,
            "n_devices": self.n_devices,
            "precision": self.precision,
            "peak_per_device": self.peak_per_device,
            "mfu": self.mfu,
            "compute_basis": self.compute_basis,
            "results": {k: getattr(self, k) for k, _, _ in _RESULTS},
            "costs": {k: getattr(self, k) for k, _ in _COSTS},
            "thresholds": [t.to_dict() for t in self.thresholds],
            "assumptions": [a.to_dict() for a in self.assumptions],
            "warnings": self.warnings,
            "not_given": self.not_given,
        })

    def __str__(self) -> str:
        from .render import table

        head = []
        if self.run:
            head.append(f"run: {self.run}")
        head.append(f"cluster: {self.cluster or 'not given'}")
        if self.precision:
            head.append(f"peak: {self.precision.upper()} dense, {_show(self.peak_per_device, 'TFLOP/s')} per device")
        if self.mfu is not None:
            head.append(f"MFU used: {_show(self.mfu, '')}")
        head.append(f"compute basis: {self.compute_basis or 'not given'}")
        rows = []
        for key, label, unit in _RESULTS:
            value = getattr(self, key)
            if value is None and key not in self.not_given:
                continue
            shown = _show(value, unit) if value is not None else "not given"
            if key == "compute" and value is not None:
                shown += f"  (= {_show(value, 'PF_day')})"
            rows.append([label, shown, self.not_given.get(key, "") if value is None else ""])
        out = ["\n".join(head), "", table(rows, ["result", "value", "why not given"])]
        cost_rows = []
        for key, label in _COSTS:
            value = getattr(self, key)
            cost_rows.append([label, _show(value, "USD") if value is not None else "not given", self.not_given.get(key, "")])
        out += ["", "Costs (separate answers, not summed):", table(cost_rows, ["cost", "value", "why not given"])]
        if self.thresholds:
            trows = [[t.id, _show(t.threshold, "FLOP"), _yesno(t.crosses),
                      _show(t.time_to_reach, "day") if t.time_to_reach is not None else "—", t.status] for t in self.thresholds]
            out += ["", "Thresholds (covered when compute is greater than the threshold):",
                    table(trows, ["threshold", "compute", "crosses", "time on this cluster", "status"])]
        arows = [[a.name, a.value if not isinstance(a.value, pint.Quantity) else _show(a.value, None), a.source or "no source",
                  _clip(a.note, 110)] for a in self.assumptions]
        out += ["", "Assumptions (full notes with --json):",
                table(arows, ["assumption", "value", "source", "note"])]
        if self.warnings:
            out += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(out)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _yesno(x) -> str:
    a = np.asarray(x)
    if a.ndim == 0:
        return "yes" if bool(a) else "no"
    return f"{int(a.sum())} of {a.size} scenarios"


def _show(q, unit: str | None) -> str:
    """A quantity in a display unit; arrays as a bracketed list of short numbers."""
    if q is None:
        return "—"
    if not isinstance(q, pint.Quantity):
        return str(q)
    if unit is not None:
        q = q.to(unit)
    m = q.magnitude
    units = f"{q.units:~}".replace(" ", "")
    if np.ndim(m) == 0:
        return format_quantity(Q_(float(m), q.units))
    flat = np.asarray(m, dtype=float).ravel()
    cells = [format_quantity(Q_(float(v), "")) for v in flat[:8]]
    more = f", … ({flat.size} values)" if flat.size > 8 else ""
    return f"[{', '.join(cells)}{more}] {units}".rstrip()


# ---- the estimate -----------------------------------------------------------------------------------------------
def _src_note(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def estimate_training(
    *,
    run: str | None = None,
    compute: Any = None,
    params: Any = None,
    tokens: Any = None,
    recomputation: bool = False,
    cluster: Any = None,
    duration: Any = None,
    device_time: Any = None,
    mfu: Any = None,
    achieved: Any = None,
    precision: str | None = None,
    power: Any = None,
    power_fraction: Any = None,
    server_overhead: Any = None,
    pue: Any = None,
    electricity_price: Any = None,
    carbon_intensity: Any = None,
    rental_price: Any = None,
    unit_price: Any = None,
    lifetime: Any = None,
    catalog: Catalog | None = None,
) -> TrainingEstimate:
    """Estimate a training run: compute, time, utilization, energy, costs, emissions, thresholds.

    Parameters
    ----------
    run : str, optional
        A known run (``"gpt-4"``): its sourced compute, cluster, duration, GPU-hours and MFU are used
        where not given here. A ``cluster`` given here replaces the run's, and then the run's duration
        and GPU-hours (which belong to its hardware) are not used.
    compute : str or Quantity, optional
        Training compute [FLOP or PF-day]; a bare number is FLOP.
    params, tokens : float or array_like, optional
        N and D for C = 6·N·D (8·N·D with ``recomputation``). Not together with ``compute``.
    cluster : str or Cluster, optional
        ``"100k H100"``, a known cluster, or a :class:`Cluster` with array counts.
    duration : str or Quantity, optional
        Wall time [day, hour]. With compute: the MFU it implies; without: the compute reachable.
    device_time : str or Quantity, optional
        Device-time [GPU_hour] for energy and cost, where a source states it.
    mfu : float or array_like, optional
        Model FLOP utilization in (0, 1]. Default: the run's, else the MFU implied by compute and
        duration, else ``defaults.toml`` ``mfu`` (sourced).
    achieved : str or Quantity, optional
        Achieved throughput per device [TFLOP/s], instead of ``mfu`` (MFU = achieved / peak).
    precision : str, optional
        Dense peak used: ``"bf16"`` by default (FP16 where a device has no BF16, said so).
    power : str or Quantity, optional
        Power per device [W]. Default: the devices' TDP (sourced), else the run's stated power.
    power_fraction : float or array_like, optional
        Average draw as a fraction of ``power``, in (0, 1]. Default 1.0 (no sourced default exists).
    server_overhead : float or array_like, optional
        Server/host power over device power, >= 1. Default ``defaults.toml`` ``server_overhead``.
    pue : float or array_like, optional
        Power usage effectiveness, >= 1. Default ``defaults.toml`` ``pue``.
    electricity_price : str or Quantity, optional
        [USD/kWh], >= 0. Default ``defaults.toml`` ``electricity_price``.
    carbon_intensity : str or Quantity, optional
        [kgCO2e/kWh], >= 0. Default ``defaults.toml`` ``grid_carbon_intensity``.
    rental_price : str or Quantity, optional
        [USD/GPU_hour], >= 0. Default only for H100 (``gpu_hour_rental_h100``) or a device with a
        sourced rental rate; otherwise the rental cost is not given.
    unit_price : str or Quantity, optional
        Purchase price per device [USD]. Default: the device's sourced price, if any.
    lifetime : str or Quantity, optional
        Depreciation period [year]. Required for the amortized hardware cost (no sourced default).

    Returns
    -------
    TrainingEstimate
    """
    catalog = catalog or load_catalog()
    est = TrainingEstimate()
    A = est.assumptions.append

    # -- the run ------------------------------------------------------------------------------------------
    r = None
    if run is not None:
        r, resolved = catalog.run(run)
        est.run = r.name if resolved.via == "name" else f"{run!r} -> {r.name}"

    # -- compute ------------------------------------------------------------------------------------------
    if compute is not None and (params is not None or tokens is not None):
        raise InputError("compute: give either compute, or params and tokens, not both")
    if (params is None) != (tokens is None):
        raise InputError(f"{'tokens' if tokens is None else 'params'}: params and tokens go together (C = 6·N·D)")
    k = FLOP_PER_PARAM_TOKEN_RECOMPUTE if recomputation else FLOP_PER_PARAM_TOKEN
    rule = f"{k:g}·N·D" + (" (with full activation recomputation: hardware FLOP)" if recomputation else " (dense transformer)")
    C = None
    if compute is not None:
        C = _compute(compute)
        est.compute_basis = "given"
    elif params is not None:
        n = _bounded(params, "dimensionless", "params", accepted="a positive number of parameters (e.g. 405e9)")
        d = _bounded(tokens, "dimensionless", "tokens", accepted="a positive number of tokens (e.g. 15.6e12)")
        C = kernels.transformer_training_flop(n, d, k)
        est.compute_basis = rule
        A(Assumption("params", Q_(n, ""), None, "given"))
        A(Assumption("tokens", Q_(d, ""), None, "given"))
    elif r is not None and r.training_compute is not None:
        C = magnitude_in(r.training_compute.value, "compute")
        est.compute_basis = f"run's training_compute [{r.training_compute.source}]"
        A(Assumption("training_compute", r.training_compute.value, r.training_compute.source,
                     _src_note(r.training_compute.derived and f"derived: {r.training_compute.derived}", r.training_compute.note,
                               r.training_compute.confidence and f"confidence: {r.training_compute.confidence}")))
    elif r is not None and r.parameters is not None and r.tokens is not None:
        C = magnitude_in(training_compute(r.parameters.value, r.tokens.value, recomputation=recomputation), "compute")
        est.compute_basis = f"{rule} from the run's parameters and tokens"
        A(Assumption("params", r.parameters.value, r.parameters.source, r.parameters.note))
        A(Assumption("tokens", r.tokens.value, r.tokens.source, r.tokens.note))

    # -- cluster --------------------------------------------------------------------------------------------
    c = None
    run_hardware = False  # whether the run's own duration and GPU-hours still apply
    if cluster is not None:
        c = _as_cluster(cluster, catalog)
        if r is not None and (r.duration is not None or r.gpu_hours is not None):
            est.warnings.append("a cluster was given, so the run's duration and GPU-hours (for its own hardware) are not used")
    elif r is not None and r.cluster is not None:
        c = Cluster.of(r.cluster.device, r.cluster.count, catalog=catalog)
        run_hardware = True
        A(Assumption("cluster", c.label, r.cluster.source, _src_note(r.cluster.note, r.cluster.confidence and f"confidence: {r.cluster.confidence}")))
    elif r is not None:
        run_hardware = True
    if c is not None:
        est.cluster = c.label
        est.n_devices = c.n_devices

    # -- duration -------------------------------------------------------------------------------------------
    T = None
    if duration is not None:
        T = _duration(duration)
        A(Assumption("duration", Q_(T, "s").to("day"), None, "given"))
    elif run_hardware and r.duration is not None:
        T = magnitude_in(r.duration.value, "time")
        A(Assumption("duration", r.duration.value, r.duration.source, _src_note(r.duration.note, r.duration.derived)))

    # -- peak and utilization ----------------------------------------------------------------------------------
    peak = None
    mfu_used = None
    if c is not None:
        prec, why = _default_precision(c, precision)
        peak, metric = _peak_per_device(c, prec)
        est.precision = prec
        est.peak_per_device = Q_(_shape(peak), "FLOP/s").to("TFLOP/s")
        A(Assumption("peak per device", est.peak_per_device, ", ".join(dict.fromkeys(c.sources(metric))), f"{prec.upper()} dense; {why}"))
        if prec != (precision or _DEFAULT_PRECISION):
            est.warnings.append(f"{c.label} has no BF16 figure; its FP16 dense peak is used")
    elif precision is not None:
        est.precision = precision.lower()
    if mfu is not None and achieved is not None:
        raise InputError("mfu: give mfu or achieved throughput per device, not both")
    if achieved is not None:
        if peak is None:
            raise InputError("achieved: an achieved throughput needs a cluster (to know the peak it is a fraction of)")
        mfu_used = _achieved_to_mfu(achieved, peak, est.precision)
        A(Assumption("achieved throughput per device", _quantity(achieved, "compute_rate", "achieved", "TFLOP/s"), None,
                     f"given; MFU = achieved / {est.precision.upper()} dense peak"))
    elif mfu is not None:
        mfu_used = _mfu(mfu)
        A(Assumption("mfu", Q_(mfu_used, ""), None, "given"))
    elif r is not None and r.mfu is not None and (run_hardware or c is not None):
        mfu_used = magnitude_in(r.mfu.value, "dimensionless")
        A(Assumption("mfu", r.mfu.value, r.mfu.source, _src_note(r.mfu.derived and f"derived: {r.mfu.derived}", r.mfu.note)))
    implied = None
    if C is not None and T is not None and peak is not None:
        implied = kernels.implied_mfu(C, est.n_devices, T, peak)
        est.implied_mfu = Q_(_shape(implied), "")
        if (np.asarray(implied) > 1).any():
            est.warnings.append("the implied MFU exceeds 1: compute, cluster and duration are inconsistent with the peak")
    if mfu_used is None and peak is not None:
        if implied is not None:
            mfu_used = implied
            A(Assumption("mfu", est.implied_mfu, None, "implied by compute, cluster and duration (no MFU given)"))
        else:
            d = catalog.default("mfu")
            mfu_used = magnitude_in(d.value, "dimensionless")
            A(Assumption("mfu", d.value, d.source, _src_note("default", d.note)))
    if mfu_used is not None:
        est.mfu = Q_(_shape(np.asarray(mfu_used, dtype=float)), "")

    # -- time and compute ----------------------------------------------------------------------------------------
    if peak is not None:
        reachable = C is None and T is not None
        if reachable:
            C = kernels.compute_in_time_flop(T, est.n_devices, peak, mfu_used)
            est.compute_basis = "compute reachable in the duration (count x peak x MFU x duration)"
        if T is not None and not reachable and mfu_used is not implied:
            est.compute_in_duration = Q_(_shape(kernels.compute_in_time_flop(T, est.n_devices, peak, mfu_used)), "FLOP")
        if C is not None:
            est.time_to_train = Q_(_shape(kernels.train_time_s(C, est.n_devices, peak, mfu_used)), "s").to("day")
            if T is not None and implied is not None and mfu_used is not implied:
                est.devices_for_duration = Q_(_shape(kernels.devices_for_time(C, T, peak, mfu_used)), "")
    else:
        est.not_given["time_to_train"] = "needs a cluster (--cluster, or a run with one)"
    if C is not None:
        est.compute = Q_(_shape(np.asarray(C, dtype=float)), "FLOP")
    else:
        est.not_given["compute"] = "give compute, params and tokens, a run, or a duration with a cluster"

    # -- device-time ------------------------------------------------------------------------------------------------
    dev_h = None
    if device_time is not None:
        dev_h = _bounded(device_time, "device_time", "device_time", accepted="a positive device-time (e.g. '30.84e6 GPU_hour')",
                         default_unit="GPU_hour")
        A(Assumption("device-time", Q_(dev_h, "GPU_hour"), None, "given"))
    elif run_hardware and r.gpu_hours is not None:
        dev_h = magnitude_in(r.gpu_hours.value, "device_time")
        A(Assumption("device-time", r.gpu_hours.value, r.gpu_hours.source,
                     _src_note("the run's stated GPU-hours, used instead of count x duration", r.gpu_hours.note, r.gpu_hours.derived)))
    if T is not None:
        est.duration = Q_(_shape(np.asarray(T, dtype=float)), "s").to("day")
    elif est.time_to_train is not None:
        est.duration = est.time_to_train
    if dev_h is None and est.duration is not None and c is not None:
        dev_h = np.asarray(est.n_devices, dtype=float) * magnitude_in(est.duration, "time") / kernels.SECONDS_PER_HOUR
    if dev_h is not None:
        dev_h = np.asarray(dev_h, dtype=float)
        est.device_time = Q_(_shape(dev_h), "GPU_hour")
    else:
        est.not_given["device_time"] = "needs a cluster with a duration or compute, or a device-time"

    # -- power and energy ---------------------------------------------------------------------------------------------
    power_w = None
    if power is not None:
        power_w = _bounded(power, "power", "power", accepted="a positive power per device (e.g. '700 W')", default_unit="W")
        A(Assumption("power per device", Q_(power_w, "W"), None, "given"))
    elif c is not None and c.has("power"):
        power_w = kernels.ratio(c.total_magnitude("power"), c.n_devices)
        A(Assumption("power per device", Q_(_shape(np.asarray(power_w)), "W"), ", ".join(dict.fromkeys(c.sources("power"))),
                     "device TDP (a maximum, not a measured draw)"))
    elif r is not None and r.power is not None:
        power_w = magnitude_in(r.power.value, "power")
        A(Assumption("power per device", r.power.value, r.power.source, _src_note("the run's stated power per device", r.power.note)))
    frac = _factor(catalog, A, power_fraction, "average_power_fraction", "power fraction",
                   lo=0.0, lo_open=True, hi=1.0, accepted="a fraction of device power in (0, 1]",
                   fallback=(1.0, "1.0 = devices draw their full TDP throughout; no sourced average-draw default exists, "
                                  "so this is an upper-bound style assumption (Patterson et al. 2021 note V100s run close to TDP)"))
    overhead = _factor(catalog, A, server_overhead, "server_overhead", "server overhead",
                       lo=1.0, lo_open=False, accepted="a ratio >= 1 (server power / device power; 1 = devices only)")
    pue_v = _factor(catalog, A, pue, "pue", "pue", lo=1.0, lo_open=False, accepted="a ratio >= 1 (facility power / IT power)")
    if dev_h is not None and power_w is not None:
        dev_e = kernels.facility_energy_from_device_hours_j(dev_h, power_w, frac, 1.0, 1.0)
        energy = kernels.facility_energy_from_device_hours_j(dev_h, power_w, frac, overhead, pue_v)
        est.device_energy = Q_(_shape(np.asarray(dev_e)), "J").to("MWh")
        est.energy = Q_(_shape(np.asarray(energy)), "J").to("MWh")
    else:
        why = "needs device-time" if dev_h is None else "needs a power per device (no cluster with a TDP, give --power)"
        est.not_given["energy"] = why
        energy = None

    # -- emissions and costs ------------------------------------------------------------------------------------------
    price = _rate(catalog, A, electricity_price, "electricity_price", "energy_price", "electricity price", "USD/kWh")
    intensity = _rate(catalog, A, carbon_intensity, "grid_carbon_intensity", "carbon_intensity", "carbon intensity", "kgCO2e/kWh")
    if energy is not None:
        est.emissions = Q_(_shape(np.asarray(kernels.emissions_kg(energy, intensity))), "kgCO2e").to("tCO2e")
        est.electricity_cost = Q_(_shape(np.asarray(kernels.electricity_cost_usd(energy, price))), "USD")
    else:
        est.not_given["emissions"] = est.not_given["electricity_cost"] = "needs energy"

    rate = None
    if rental_price is not None:
        rate = _bounded(rental_price, "hourly_rate", "rental price", lo=0.0, lo_open=False,
                        accepted="a price >= 0 per device-hour (e.g. '2.95 USD/GPU_hour')", default_unit="USD/GPU_hour")
        A(Assumption("rental price", Q_(rate, "USD/GPU_hour"), None, "given"))
    elif c is not None and len(c.members) == 1:
        dev = c.members[0].device
        if dev.rental is not None:
            entry = dev.rental.hourly
            rate = magnitude_in(entry.value, "hourly_rate")
            A(Assumption("rental price", entry.value, entry.source, _src_note(f"{dev.name}'s sourced rental rate", entry.note)))
        elif dev.name.startswith("H100"):
            d = catalog.default("gpu_hour_rental_h100")
            rate = magnitude_in(d.value, "hourly_rate")
            A(Assumption("rental price", d.value, d.source, _src_note("default for H100", d.note)))
    if rate is not None and dev_h is not None:
        est.rental_cost = Q_(_shape(np.asarray(kernels.rental_cost_usd(dev_h, rate))), "USD")
    else:
        est.not_given["rental_cost"] = ("needs device-time" if rate is not None else
                                        "no sourced rental rate for this device (defaults exist only for H100); give --rental-price")

    unit_usd = None
    if unit_price is not None:
        unit_usd = _bounded(unit_price, "currency", "unit price", lo=0.0, lo_open=False,
                            accepted="a price >= 0 per device (e.g. '27500 USD')", default_unit="USD")
        A(Assumption("unit price", Q_(unit_usd, "USD"), None, "given"))
    elif c is not None and c.has("price"):
        unit_usd = kernels.ratio(c.total_magnitude("price"), c.n_devices)
        A(Assumption("unit price", Q_(_shape(np.asarray(unit_usd)), "USD"), ", ".join(dict.fromkeys(c.sources("price"))),
                     "device's sourced price (mean per device)"))
    life_s = None
    if lifetime is not None:
        life_s = _bounded(lifetime, "time", "lifetime", accepted="a positive depreciation period (e.g. '4 year')", default_unit="year")
        A(Assumption("hardware lifetime", Q_(life_s, "s").to("year"), None, "given; straight-line depreciation, no resale value"))
    elif (d := catalog.defaults.get("hardware_lifetime")) is not None:
        life_s = magnitude_in(d.value, "time")
        A(Assumption("hardware lifetime", d.value, d.source, d.note))
    if unit_usd is not None and life_s is not None and dev_h is not None:
        est.amortized_hardware_cost = Q_(_shape(np.asarray(kernels.amortized_hardware_cost_usd(unit_usd, dev_h, life_s))), "USD")
    else:
        est.not_given["amortized_hardware_cost"] = (
            "needs a hardware lifetime (--lifetime; no sourced default)" if life_s is None else
            "no sourced unit price for this device; give --unit-price" if unit_usd is None else "needs device-time")

    # -- thresholds --------------------------------------------------------------------------------------------------------
    for t in catalog.thresholds.values():
        thr = magnitude_in(t.compute.value, "compute")
        crosses = None if C is None else _shape(np.asarray(C) > thr)
        reach = None
        if peak is not None and mfu_used is not None:
            reach = Q_(_shape(np.asarray(kernels.train_time_s(thr, est.n_devices, peak, mfu_used))), "s").to("day")
        if crosses is None and reach is None:
            continue
        est.thresholds.append(ThresholdCheck(t.id, t.name, t.compute.value, t.status, t.status_source or t.compute.source,
                                             crosses, reach))
    return est


def _factor(catalog, add, value, default_name, what, *, lo, lo_open, accepted, hi=math.inf, fallback=None):
    if value is not None:
        v = _bounded(value, "dimensionless", what, lo=lo, lo_open=lo_open, hi=hi, accepted=accepted)
        add(Assumption(what, Q_(v, ""), None, "given"))
        return v
    d = catalog.defaults.get(default_name)
    if d is not None:
        add(Assumption(what, d.value, d.source, _src_note("default", d.derived and f"derived: {d.derived}", d.note)))
        return magnitude_in(d.value, "dimensionless")
    v, note = fallback
    add(Assumption(what, Q_(v, ""), None, note))
    return v


def _rate(catalog, add, value, default_name, key, what, unit):
    if value is not None:
        v = _bounded(value, key, what, lo=0.0, lo_open=False, accepted=f"a value >= 0 (e.g. '0.08 {unit}')", default_unit=unit)
        add(Assumption(what, Q_(v, BASE[key]), None, "given"))
        return v
    d = catalog.default(default_name)
    add(Assumption(what, d.value, d.source, _src_note("default", d.note)))
    return magnitude_in(d.value, key)
