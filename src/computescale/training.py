"""Training-run estimates: the one model (:mod:`computescale.model`) on scalar or array inputs.

>>> from computescale.training import estimate_training
>>> est = estimate_training(compute="2.15e25 FLOP", cluster="25k A100", mfu=0.34)
>>> round(est.time_to_train.m_as("day"), 1)
93.8

Inputs are named as in :mod:`computescale.parameters`, parsed and checked at the edge, resolved
once (given -> run -> device -> sourced default -> error, :mod:`computescale.models.assumptions`),
stripped to base units, and evaluated by the model's stage functions. Counts, MFU, durations, PUE
and the other factors may be arrays; they broadcast and every result has the broadcast shape.
Costs are separate answers (running, renting, owning) and are never summed.

References
----------
.. [1] Kaplan et al., "Scaling Laws for Neural Language Models", 2020, Section 2.1 (C = 6ND).
.. [2] Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
   Megatron-LM", SC21, 2021, Section 5.1 (8TP/nX, activation recomputation).
.. [3] Patterson et al., "Carbon Emissions and Large Neural Network Training", 2021, Table 4.
"""

from __future__ import annotations

import math
import re
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import kernels
from . import precision as precision_policy
from .models.assumptions import Assumption, Resolver, to_base
from .cluster import Cluster, cluster as _parse_cluster
from .errors import InputError
from .models.pipeline import Model, Resolved, estimate as run_pipeline
from .models.training import TRAINING, implies_mfu
from .parameters import INPUTS, OUTPUTS
from .data.specs import Catalog, load_catalog
from .units import BASE, Q_, format_quantity, magnitude_in, parse_unit

__all__ = [
    "training_compute", "time_to_train", "compute_in_time", "devices_for_time", "implied_mfu",
    "mfu_from_achieved", "estimate_training", "TrainingEstimate", "Assumption", "ThresholdCheck",
    "FLOP_PER_PARAM_TOKEN", "FLOP_PER_PARAM_TOKEN_RECOMPUTE", "normalize_precision", "facility_power",
]

#: Forward + backward FLOP per parameter per token of a dense transformer (Kaplan et al. 2020, §2.1).
FLOP_PER_PARAM_TOKEN = 6.0
#: With full activation recomputation, one more forward pass: hardware FLOP (Narayanan et al. 2021, eq. 3).
FLOP_PER_PARAM_TOKEN_RECOMPUTE = 8.0

_DEFAULT_PRECISION = precision_policy.DEFAULT


# ---- precision and peak: the one policy (computescale.precision) ---------------------------------------------
normalize_precision = precision_policy.normalize


def _peak_per_device(c: Cluster, precision: str) -> tuple[Any, str]:
    return precision_policy.peak_per_device(c, precision)


def _shape(x) -> Any:
    return x.item() if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0) else x


def _as_cluster(spec: Any, catalog: Catalog) -> Cluster:
    return spec if isinstance(spec, Cluster) else _parse_cluster(spec, catalog)


# ---- thin functions over the kernels ------------------------------------------------------------------------
def training_compute(params: Any, tokens: Any, *, recomputation: bool = False):
    """Training compute of a dense transformer [FLOP]: 6·N·D, or 8·N·D with full recomputation [1]_ [2]_.

    ``params`` N and ``tokens`` D are numbers or arrays [dimensionless] (for a mixture of experts,
    N is the active parameter count).
    """
    n, d = to_base("params", params), to_base("tokens", tokens)
    k = FLOP_PER_PARAM_TOKEN_RECOMPUTE if recomputation else FLOP_PER_PARAM_TOKEN
    return Q_(_shape(kernels.transformer_training_flop(n, d, k)), "FLOP")


def time_to_train(compute: Any, cluster: Any, mfu: Any, *, precision: str = _DEFAULT_PRECISION, catalog: Catalog | None = None):
    """Wall time to train ``compute`` [FLOP] on ``cluster`` at ``mfu`` of its dense peak [day]."""
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    # dividing the scalar compute by seconds-per-day first saves a pass over the scenario array
    t_day = kernels.train_time_s(to_base("compute", compute) / 86400.0, c.n_devices, peak, to_base("mfu", mfu))
    return Q_(_shape(t_day), "day")


def compute_in_time(duration: Any, cluster: Any, mfu: Any, *, precision: str = _DEFAULT_PRECISION, catalog: Catalog | None = None):
    """Compute ``cluster`` reaches in ``duration`` [day] at ``mfu`` [FLOP]."""
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    flop = kernels.compute_in_time_flop(to_base("duration", duration), c.n_devices, peak, to_base("mfu", mfu))
    return Q_(_shape(flop), "FLOP")


def devices_for_time(compute: Any, duration: Any, device: Any, mfu: Any, *, precision: str = _DEFAULT_PRECISION,
                     catalog: Catalog | None = None):
    """Devices of type ``device`` needed to train ``compute`` within ``duration`` [dimensionless, fractional]."""
    c = _as_cluster(device, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    n = kernels.devices_for_time(to_base("compute", compute), to_base("duration", duration), peak, to_base("mfu", mfu))
    return Q_(_shape(n), "")


def implied_mfu(compute: Any, cluster: Any, duration: Any, *, precision: str = _DEFAULT_PRECISION,
                catalog: Catalog | None = None):
    """The MFU a reported run implies: C / (n · peak · T) [dimensionless]; above 1 is inconsistent (not clipped)."""
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    m = kernels.implied_mfu(to_base("compute", compute), c.n_devices, to_base("duration", duration), peak)
    return Q_(_shape(m), "")


def mfu_from_achieved(achieved: Any, cluster: Any, *, precision: str = _DEFAULT_PRECISION, catalog: Catalog | None = None):
    """MFU from an achieved throughput per device (e.g. ``"140 TFLOP/s"``): achieved / dense peak."""
    c = _as_cluster(cluster, catalog or load_catalog())
    peak, _ = _peak_per_device(c, precision)
    return Q_(_shape(_achieved_to_mfu(achieved, peak, normalize_precision(precision))), "")


def _achieved_to_mfu(achieved: Any, peak: Any, precision: str):
    a = to_base("achieved", achieved)
    m = np.asarray(kernels.mfu_from_achieved(a, peak))
    if (m > 1).any():
        raise InputError(
            f"achieved throughput per device {format_quantity(Q_(float(np.max(a)), 'FLOP/s').to('TFLOP/s'))} exceeds the "
            f"{precision.upper()} dense peak {format_quantity(Q_(float(np.min(peak)), 'FLOP/s').to('TFLOP/s'))}; "
            "give a rate at or below peak, or choose another --precision")
    return m.item() if m.ndim == 0 else m


def facility_power(cluster: Any, *, power: Any = None, power_fraction: Any = None, server_overhead: Any = None,
                   pue: Any = None, catalog: Catalog | None = None):
    """Facility power of a cluster [MW]: count x power x average draw x server overhead x PUE.

    The model's power stage with the same resolution as :func:`estimate_training` (device TDP and
    sourced defaults where not given). Returns ``(Quantity, assumptions)``; NaN where a device has
    no published TDP.
    """
    catalog = catalog or load_catalog()
    c = _as_cluster(cluster, catalog)
    res = Resolver(catalog, None, c)
    x = {"count": c.n_devices, "power": res.resolve("power", power, required=False)}
    if x["power"] is None:  # a device without a TDP: the total is missing, never filled in
        x["power"] = math.nan
    for name, given in (("power_fraction", power_fraction), ("server_overhead", server_overhead), ("pue", pue)):
        x[name] = res.resolve(name, given)
    out = TRAINING.evaluate(x, want=("facility_power",))
    return Q_(_shape(np.asarray(out["facility_power"], dtype=float)), "W").to("MW"), res.assumptions


# ---- the result -------------------------------------------------------------------------------------------------
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


@dataclass
class TrainingEstimate:
    """Everything a training estimate found, as quantities, with every assumption and its source.

    :attr:`results` maps output names (:data:`parameters.OUTPUTS`) to quantities; each is also an
    attribute (``est.energy``). A result is absent (``None``) where the inputs do not determine it,
    and :attr:`not_given` says why. The three costs are never summed.
    """

    results: dict[str, Any] = field(default_factory=dict)
    compute_basis: str = ""
    run: str | None = None
    cluster: str | None = None
    n_devices: Any = None
    precision: str | None = None
    peak_per_device: Any = None
    mfu: Any = None
    thresholds: list[ThresholdCheck] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_given: dict[str, str] = field(default_factory=dict)
    grid: dict[str, Any] = field(default_factory=dict)  # input name -> values, where inputs form a grid

    def __getattr__(self, name: str):
        if name in OUTPUTS or name == "duration":
            return self.__dict__.get("results", {}).get(name)
        raise AttributeError(name)

    def assumption(self, name: str) -> Assumption:
        for a in self.assumptions:
            if a.name == name:
                return a
        raise KeyError(name)

    def to_dict(self) -> dict:
        from .report import estimate_to_dict

        return estimate_to_dict(self)

    def __str__(self) -> str:
        from .report import render_estimate

        return render_estimate(self)


# ---- the estimate: the training chain on the one pipeline ----------------------------------------------------
def estimate_training(*, run: str | None = None, compute: Any = None, params: Any = None, active_params: Any = None,
                      tokens: Any = None, recomputation: bool = False, cluster: Any = None, duration: Any = None,
                      device_time: Any = None, mfu: Any = None, achieved: Any = None, precision: str | None = None,
                      power: Any = None, power_fraction: Any = None, server_overhead: Any = None, pue: Any = None,
                      electricity_price: Any = None, carbon_intensity: Any = None, rental_price: Any = None,
                      unit_price: Any = None, lifetime: Any = None, catalog: Catalog | None = None) -> TrainingEstimate:
    """Estimate a training run: compute, time, utilization, power, energy, costs, emissions, thresholds.

    Every keyword is an input of the glossary (:data:`computescale.parameters.INPUTS`, where each
    one's unit and range are listed); numbers may be arrays that broadcast. ``run`` fills what is
    not given from a known run; a ``cluster`` given here replaces the run's, and then the run's
    duration and GPU-hours (which belong to its hardware) are not used. A ``cluster`` that is a
    device without a count (``"H100"``) with compute and a duration answers the devices needed.
    Where a run states its device-time (GPU-hours), the MFU and duration it implies are used.
    Missing factors take their sourced defaults; where none exists, :class:`InputError` names the
    option to pass.
    """
    given = {k: v for k, v in locals().items() if k != "catalog"}
    return run_pipeline(TRAINING_MODEL, catalog=catalog, **given)


def _resolve(catalog: Catalog, given: dict) -> Resolved:
    """The training chain's inputs for the keywords of :func:`estimate_training` (base units, with sources)."""
    given = {k: given.get(k) for k in _KEYWORDS}
    est = TrainingEstimate()
    r = _resolve_run(est, given["run"], catalog)
    res, c, count_given = _resolve_cluster(est, r, given["cluster"], catalog)
    x: dict[str, Any] = {"thresholds": {t.id: magnitude_in(t.compute.value, "compute") for t in catalog.thresholds.values()}}
    _resolve_compute(est, res, x, r, **{k: given[k] for k in ("compute", "params", "active_params", "tokens",
                                                              "recomputation")})
    if c is not None:
        x["count"] = c.n_devices if count_given else None
        x["peak_per_device"] = _resolve_peak(est, res, c, given["precision"])
    elif given["precision"] is not None:
        est.precision = normalize_precision(given["precision"])
    x["duration"] = res.resolve("duration", given["duration"], required=False)
    x["device_time"] = res.resolve("device_time", given["device_time"], required=False)
    _resolve_mfu(est, res, x, given["mfu"], given["achieved"])
    _check_count(c, x, count_given)
    _resolve_factors(res, x, given)
    return Resolved(x, res.assumptions, est.warnings, est)


_KEYWORDS = tuple(k for k in INPUTS if k not in ("device", "count"))


def _resolve_run(est: TrainingEstimate, run: str | None, catalog: Catalog):
    if run is None:
        return None
    r, resolved = catalog.run(run)
    est.run = r.name if resolved.via == "name" else f"{run!r} -> {r.name}"
    return r


_DEVICE_ONLY = re.compile(r"^\s*[^\d+\s][^+]*$")


def _resolve_cluster(est: TrainingEstimate, r, cluster: Any, catalog: Catalog):
    """The cluster used (given, else the run's), its Resolver, and whether its count was given."""
    run_hardware, count_given, c = False, True, None
    if cluster is not None:
        c = _as_cluster(cluster, catalog)
        count_given = not (isinstance(cluster, str) and _DEVICE_ONLY.match(cluster) and c.known is None)
        if r is not None and (r.duration is not None or r.gpu_hours is not None):
            est.warnings.append("a cluster was given, so the run's duration and GPU-hours (for its own hardware) are not used")
    elif r is not None and r.cluster is not None:
        c = Cluster.of(r.cluster.device, r.cluster.count, catalog=catalog)
        run_hardware = True
    elif r is not None:
        run_hardware = True
    res = Resolver(catalog, r, c, run_hardware)
    if cluster is None and c is not None:
        rc = r.cluster
        res.note(Assumption("cluster", c.label, rc.source, "; ".join(p for p in (rc.note, rc.confidence and f"confidence: {rc.confidence}") if p)))
    if c is not None:
        est.cluster = c.label if count_given else f"{c.members[0].device.name} (count not given)"
        est.n_devices = c.n_devices if count_given else None
    return res, c, count_given


def _check_count(c, x: dict, count_given: bool) -> None:
    """The one count rule: a device without a count means the devices needed, or a clear error."""
    if c is None or count_given:
        return
    present = [k for k, v in x.items() if v is not None]
    if "count" not in TRAINING.available(present):
        raise InputError(f"cluster: {c.members[0].device.name} has no count; give one (e.g. '25k {c.members[0].device.name}'), "
                         "or compute and a duration to find the devices needed")


def _resolve_compute(est, res: Resolver, x: dict, r, *, compute, params, active_params, tokens, recomputation) -> None:
    if compute is not None and (params is not None or tokens is not None):
        raise InputError("compute: give either compute, or params and tokens, not both")
    if (params is None) != (tokens is None):
        raise InputError(f"{'tokens' if tokens is None else 'params'}: params and tokens go together (C = 6·N·D)")
    k = FLOP_PER_PARAM_TOKEN_RECOMPUTE if recomputation else FLOP_PER_PARAM_TOKEN
    x["flop_per_param_token"] = k
    rule = f"{k:g}·N·D" + (" (with full activation recomputation: hardware FLOP)" if recomputation else " (dense transformer)")
    if compute is not None:
        x["compute"] = to_base("compute", compute)
        est.compute_basis = "given"
    elif params is not None:
        x["params"] = res.resolve("params", params)
        x["tokens"] = res.resolve("tokens", tokens)
        x["active_params"] = res.resolve("active_params", active_params, required=False)
        _check_active(x)
        est.compute_basis = f"{k:g}·N_active·D (mixture of experts)" if active_params is not None else rule
    elif r is not None and r.training_compute is not None:
        e = r.training_compute
        x["compute"] = magnitude_in(e.value, "compute")
        est.compute_basis = f"run's training_compute [{e.source}]"
        res.note(Assumption("compute", e.value, e.source, "; ".join(
            p for p in (e.derived and f"derived: {e.derived}", e.note, e.confidence and f"confidence: {e.confidence}") if p)))
    elif r is not None and r.parameters is not None and r.tokens is not None:
        active = getattr(r, "active_params", None)
        n = active if active is not None else r.parameters
        x["params"], x["tokens"] = magnitude_in(n.value, "dimensionless"), magnitude_in(r.tokens.value, "dimensionless")
        est.compute_basis = (f"{k:g}·N_active·D (mixture of experts) from the run's active parameters and tokens"
                             if active is not None else f"{rule} from the run's parameters and tokens")
        res.note(Assumption("params", n.value, n.source, n.note))
        res.note(Assumption("tokens", r.tokens.value, r.tokens.source, r.tokens.note))


def _check_active(x: dict) -> None:
    a = x.get("active_params")
    if a is not None and (np.asarray(a) > np.asarray(x["params"])).any():
        raise InputError("active_params: the active parameters per token exceed the total parameters (params); "
                         "give active <= total")


def _resolve_peak(est: TrainingEstimate, res: Resolver, c: Cluster, precision: str | None):
    prec, why = precision_policy.choose([m.device for m in c.members], precision)
    peak, metric = _peak_per_device(c, prec)
    est.precision = prec
    est.peak_per_device = Q_(_shape(peak), "FLOP/s").to("TFLOP/s")
    res.note(Assumption("peak per device", est.peak_per_device, ", ".join(dict.fromkeys(c.sources(metric))),
                        f"{prec.upper()} dense; {why}"))
    if precision is None and prec != _DEFAULT_PRECISION:
        est.warnings.append(f"{c.label} has no BF16 figure; its FP16 dense peak is used")
    return peak


def _resolve_mfu(est: TrainingEstimate, res: Resolver, x: dict, mfu: Any, achieved: Any) -> None:
    """MFU: given, or from an achieved rate, else the run's, else implied (by compute with count and
    duration, or with a stated device-time), else the sourced default."""
    if mfu is not None and achieved is not None:
        raise InputError("mfu: give mfu or achieved throughput per device, not both")
    if achieved is not None:
        if x.get("peak_per_device") is None:
            raise InputError("achieved: an achieved throughput needs a cluster (to know the peak it is a fraction of)")
        x["mfu"] = _achieved_to_mfu(achieved, x["peak_per_device"], est.precision)
        res.note(Assumption("achieved", res.shown("achieved", to_base("achieved", achieved)), None,
                            f"given; MFU = achieved / {est.precision.upper()} dense peak"))
        return
    if mfu is not None or x.get("peak_per_device") is None:
        x["mfu"] = res.resolve("mfu", mfu) if mfu is not None else None
        return
    x["mfu"] = res.from_run("mfu", "mfu")
    if x["mfu"] is None and not implies_mfu(k for k, v in x.items() if v is not None):
        x["mfu"] = res.resolve("mfu")  # the sourced default, or an error naming --mfu


#: Factors filled from sourced defaults (or the device) only where some output uses them.
_FACTORS = ("power", "power_fraction", "server_overhead", "pue", "electricity_price", "carbon_intensity",
            "rental_price", "unit_price", "lifetime")


def _resolve_factors(res: Resolver, x: dict, given: dict) -> None:
    """Power, energy and cost factors: given ones always; others only where an output uses them."""
    for name in _FACTORS:
        if given[name] is not None:
            x[name] = res.resolve(name, given[name])
    x["power"] = x.get("power") if x.get("power") is not None else res.resolve("power", required=False)
    present = [k for k, v in x.items() if v is not None]
    for name in TRAINING.useful(present, [n for n in _FACTORS if x.get(n) is None]):
        x[name] = res.resolve(name, required=INPUTS[name].default is not None)


def _package(r: Resolved, out: dict, catalog: Catalog) -> TrainingEstimate:
    """Outputs as quantities in display units, thresholds, and why each missing output is missing."""
    est, x = r.context, r.x
    _package_counts(est, r, out)
    out = {k: x[k] for k in ("compute", "device_time") if x.get(k) is not None} | out  # given outputs
    for name, spec in OUTPUTS.items():
        if name in out and name not in ("peak", "ratio", "count"):
            unit = parse_unit(spec.unit)
            est.results[name] = Q_(_shape(np.asarray(out[name], dtype=float)), BASE[spec.dimension]).to(unit)
    span = x.get("duration") if x.get("duration") is not None else out.get("time_to_train")
    if span is not None:
        est.results["duration"] = Q_(_shape(np.asarray(span, dtype=float)), "s").to("day")
    present = [k for k, v in x.items() if v is not None]
    for name, spec in OUTPUTS.items():
        if spec.report_missing and name not in est.results:
            est.not_given[name] = TRAINING_MODEL.why(name, present)
    est.assumptions = r.assumptions
    est.thresholds = _thresholds(out, catalog)
    return est


def _package_counts(est: TrainingEstimate, r: Resolved, out: dict) -> None:
    """The count used, the basis of the compute, the MFU used and where it came from, and warnings."""
    x = r.x
    if x.get("compute") is None and x.get("params") is None and "compute" in out:
        est.compute_basis = "compute reachable in the duration (count x peak x MFU x duration)"
    if x.get("count") is None and "count" in out:
        est.n_devices = _shape(out["count"])
        if np.ndim(est.n_devices) == 0:
            est.cluster = est.cluster.replace("(count not given)", f"(count not given: {est.n_devices:,.0f} needed)")
        est.warnings.append("no count was given: the devices needed for the duration (rounded up) are used")
    implied = out.get("implied_mfu")
    if x.get("mfu") is None and implied is not None:
        by = "a stated device-time" if x.get("device_time") is not None and x.get("duration") is None else "count and duration"
        r.assumptions.append(Assumption("mfu", Q_(_shape(np.asarray(implied)), ""), None,
                                        f"implied by compute, peak and {by} (no MFU given)"))
    used = x.get("mfu") if x.get("mfu") is not None else implied
    if used is not None:
        est.mfu = Q_(_shape(np.asarray(used, dtype=float)), "")
    est.warnings[:0] = TRAINING_MODEL.warnings(out)


def _thresholds(out: dict, catalog: Catalog) -> list[ThresholdCheck]:
    checks = []
    for t in catalog.thresholds.values():
        crosses, reach = out.get(f"crosses:{t.id}"), out.get(f"time_to_reach:{t.id}")
        if crosses is None and reach is None:
            continue
        checks.append(ThresholdCheck(t.id, t.name, t.compute.value, t.status, t.status_source or t.compute.source,
                                     None if crosses is None else _shape(np.asarray(crosses)),
                                     None if reach is None else Q_(_shape(np.asarray(reach)), "s").to("day")))
    return checks


def _device_inputs(catalog: Catalog, device, precision: str) -> tuple[dict[str, float], list[Assumption]]:
    """A sweep's per-device inputs: dense peak at ``precision`` [FLOP/s] (NaN where not published), TDP [W]
    and, where the device has a rated system (systems.py), its server overhead; with their assumptions."""
    single = Cluster.of(device, 1, catalog=catalog)
    values = {"peak_per_device": float(single.per_device(f"{precision}.dense")[0]),
              "power": float(single.per_device("power")[0])}
    res = Resolver(catalog, cluster=single)
    overhead = res.resolve("server_overhead", required=False)  # its rated system, else the generic default
    if overhead is not None:
        values["server_overhead"] = float(overhead)
    return values, [dataclasses.replace(a, name=f"{a.name} ({device.name})") for a in res.assumptions]


def _sampled_achieved(achieved_flop_per_s, x: dict) -> tuple[str, Any]:
    """A sampled achieved throughput becomes the MFU it is of the dense peak (a Monte Carlo block's hook)."""
    m = np.asarray(kernels.mfu_from_achieved(achieved_flop_per_s, x["peak_per_device"]))
    if (m > 1).any():
        raise InputError("achieved: a sampled achieved throughput per device exceeds the dense peak; "
                         "give rates at or below peak")
    return "mfu", m


#: The training model: its chain, glossary, resolver and packager (what every engine runs).
TRAINING_MODEL = Model("training", TRAINING, INPUTS, OUTPUTS, resolve=_resolve, package=_package,
                       device_inputs=_device_inputs, implied={"mfu": "implied_mfu"},
                       sampled={"achieved": _sampled_achieved}, constants={"flop_per_param_token": FLOP_PER_PARAM_TOKEN},
                       limits={"implied_mfu": (1.0, "the implied MFU exceeds 1: compute, cluster and duration are "
                                                    "inconsistent with the peak")},
                       hints={"peak_per_device": "a cluster (--cluster)", "count": "a count in the cluster (--cluster '25k H100')",
                              "thresholds": "the catalog's thresholds", "flop_per_param_token": "params and tokens",
                              "reference_peak": "a reference cluster (--reference)",
                              "rental_price": "a rental rate (--rental-price; no sourced rate for this device)",
                              "device_time": "a duration or compute with a cluster, or a device-time (--device-time)"})
