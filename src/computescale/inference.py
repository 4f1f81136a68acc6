"""Inference estimates: the inference chain (:mod:`computescale.models.inference`) on the one pipeline.

>>> from computescale.inference import estimate_inference
>>> est = estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=64, input_tokens=1024, output_tokens=256)
>>> bool(est.results["fits"].m_as("") == 1)
True

Inputs are named as in :data:`computescale.parameters.INFERENCE_INPUTS`; the architecture comes
from ``specs/models.toml``, the device figures (dense peak at the weight precision, memory,
bandwidth, TDP, rated system, rental rate) from the device tables, the efficiencies of the
calibrated estimate from ``specs/defaults.toml`` (fitted on published measurements). Every value
may be an array; they broadcast. Each performance output has a ``bound`` and an ``estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import inference_kernels as ik
from . import precision as precision_policy
from .models.assumptions import Assumption, Resolver
from .cluster import Cluster, cluster as _parse_cluster
from .errors import InputError
from .inference_inputs import attention_profile, cache_profile, expert_profile
from .models.inference import INFERENCE, NOT_MODELLED, PERFORMANCE
from .models.pipeline import Model, Resolved, Settings, estimate as run_pipeline
from .parameters import INFERENCE_INPUTS, INFERENCE_OUTPUTS
from .units import BASE, Q_, magnitude_in, parse_unit

__all__ = ["estimate_inference", "InferenceEstimate", "INFERENCE_MODEL", "NOT_MODELLED", "GENERATIONS",
           "generation_efficiencies", "link_bandwidth"]

_KV_DEFAULT = ("bf16", "assumed: the cache in BF16, the 16-bit format the published checkpoints use; "
                       "give --kv-precision fp8 for an FP8 cache")


@dataclass
class InferenceEstimate:
    """Every inference output as a quantity (``results``), each performance output's bound beside it,
    the error band of the estimates, and every assumption with its source."""

    results: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    cluster: str = ""
    weight_precision: str = ""
    kv_precision: str = ""
    band: tuple[float, float] | None = None  # measured / estimate, 10th and 90th percentile of held-out rows
    assumptions: list[Assumption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_given: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str):
        results = self.__dict__.get("results", {})
        if name in results:
            return results[name]
        raise AttributeError(name)

    def performance(self, name: str) -> dict[str, Any]:
        """``{"bound", "estimate", "band"}`` of one performance output (band: the estimate's 10-90% range)."""
        est, bound = self.results.get(name), self.results.get(f"{name}_bound")
        band = None
        if est is not None and self.band is not None:
            lo, hi = self.band  # measured / estimate; a time scales the other way
            band = [est / hi, est / lo] if est.check("[time]") else [est * lo, est * hi]
        return {"bound": bound, "estimate": est, "band": band}

    def to_dict(self) -> dict:
        from .render import to_jsonable

        out = {k: v for k, v in self.results.items() if not k.endswith("_bound") and k not in PERFORMANCE}
        out |= {k: self.performance(k) for k in PERFORMANCE}
        return to_jsonable({"model": self.model, "cluster": self.cluster, "weight_precision": self.weight_precision,
                            "kv_precision": self.kv_precision, "results": out, "not_modelled": list(NOT_MODELLED),
                            "warnings": self.warnings, "not_given": self.not_given,
                            "assumptions": [a.to_dict() for a in self.assumptions]})

    def __str__(self) -> str:
        from .report_inference import render_inference

        return render_inference(self)


def estimate_inference(*, model: Any = None, cluster: Any = None, batch: Any = None, input_tokens: Any = None,
                       output_tokens: Any = None,
                       weight_precision: str | None = None, kv_precision: str | None = None,
                       compute_precision: str | None = None, moe_parallelism: str | None = None, catalog=None,
                       **factors: Any) -> InferenceEstimate:
    """Serve ``model`` on one replica ``cluster`` (tensor parallel over its devices): memory fit, KV
    cache, time to first token, time per output token, per-user and aggregate tokens/s (bound and
    estimate), energy, emissions and costs per token, and devices for a load.

    ``factors`` are the other inputs of :data:`computescale.parameters.INFERENCE_INPUTS`
    (``memory_fraction``, ``load``, ``tpot_target``, ``power``, ``pue``, ``rental_price``, ...).
    """
    given = {"model": model, "cluster": cluster, "batch": batch, "input_tokens": input_tokens,
             "output_tokens": output_tokens, "weight_precision": weight_precision, "kv_precision": kv_precision,
             "compute_precision": compute_precision, "moe_parallelism": moe_parallelism}
    return run_pipeline(INFERENCE_MODEL, catalog=catalog, **(given | factors))


def _resolve(catalog, given: dict) -> Resolved:
    unknown = [k for k in given if k not in INFERENCE_INPUTS]
    if unknown:
        raise InputError(f"{unknown[0]}: not an input of inference ({', '.join(INFERENCE_INPUTS)})")
    for name in ("model", "cluster", "batch", "input_tokens", "output_tokens"):
        if given.get(name) is None:
            raise InputError(f"{name}: required ({INFERENCE_INPUTS[name].description}); "
                             f"pass {name}= or {INFERENCE_INPUTS[name].flag}")
    est = InferenceEstimate()
    arch, how = catalog.resolve_architecture(str(given["model"]))
    est.model = arch.name
    c = given["cluster"] if isinstance(given["cluster"], Cluster) else _parse_cluster(given["cluster"], catalog)
    if len(c.members) != 1:
        raise InputError("cluster: one replica of one device type (e.g. '8 H100'); a mixed cluster is not modelled")
    est.cluster = c.label
    res = Resolver(catalog, cluster=c, specs=INFERENCE_INPUTS)
    x = _architecture(res, arch, given, est) | _device(res, c, est, given)
    x |= {n: res.resolve(n, given[n]) for n in ("batch", "input_tokens", "output_tokens")}
    x["count"] = np.asarray(c.n_devices, dtype=float)
    for name in ("load", "tpot_target", *(n for n in INFERENCE_INPUTS if n in given and n not in x)):
        if name in INFERENCE_INPUTS and INFERENCE_INPUTS[name].numeric:
            x[name] = res.resolve(name, given.get(name), required=False)
    present = [k for k, v in x.items() if v is not None]
    for name in INFERENCE.useful(present, [n for n, i in INFERENCE_INPUTS.items() if i.numeric and x.get(n) is None]):
        x[name] = res.resolve(name, required=INFERENCE_INPUTS[name].default is not None)
    return Resolved(x, res.assumptions, est.warnings, est)


def _architecture(res: Resolver, arch, given: dict, est: InferenceEstimate) -> dict[str, Any]:
    """The architecture as the kernels' arrays, at the weight and cache precisions."""
    kv = precision_policy.normalize(given.get("kv_precision"))
    est.kv_precision = kv or _KV_DEFAULT[0]
    kv_bytes = _bytes_per(est.kv_precision, "kv_precision")
    if kv is None:
        res.note(Assumption("kv_precision", est.kv_precision, None, _KV_DEFAULT[1]))
    res.note(Assumption("model", arch.name, ", ".join(dict.fromkeys(e.source for _, e in arch.entries())),
                        f"{arch.figure('parameters'):.4g} parameters, {arch.figure('active_params'):.4g} active per token"))
    return {"experts": expert_profile(arch), "cache": cache_profile(arch, kv_bytes), "attention": attention_profile(arch),
            "hidden_size": np.asarray(arch.figure("hidden_size"), dtype=float),
            "expert_parallel": _layout(res, arch, given.get("moe_parallelism"))}


_LAYOUTS = {"tensor": 0.0, "expert": 1.0}


def _layout(res: Resolver, arch, given) -> np.ndarray:
    """1 for expert parallelism with attention data parallelism, 0 for tensor parallelism (the default)."""
    name = str(given).strip().lower() if given is not None else None
    if name is not None and name not in _LAYOUTS:
        raise InputError(f"moe_parallelism: {given!r} is not a layout; give tensor or expert")
    if name == "expert" and arch.experts is None:
        raise InputError(f"moe_parallelism: {arch.name} is dense; expert parallelism applies to a mixture of experts")
    if arch.experts is not None:
        res.note(Assumption("moe_parallelism", name or "tensor", None, "given" if name else
                            "default: tensor parallel, every device holds 1/n of every weight; --moe-parallelism "
                            "expert splits the experts and holds the always-on weights on every device"))
    return np.asarray(_LAYOUTS[name or "tensor"])


def _bytes_per(p: str, what: str) -> float:
    if p not in ik.BYTES_PER_PARAMETER:
        raise InputError(f"{what}: {p.upper()} has no byte width here; give one of {', '.join(ik.BYTES_PER_PARAMETER)}")
    return ik.BYTES_PER_PARAMETER[p]


def _formats(device, weight_precision, compute_precision) -> tuple[str, str, str]:
    """(weight format, compute format, why) through the one precision policy. The compute format is the
    weights' unless given (weight-only quantization: INT4 or FP4 weights multiplied in BF16 on a device
    without that peak); a weight format the device has no peak for, with no compute format, is an error
    that says how to ask for weight-only quantization."""
    compute = precision_policy.normalize(compute_precision)
    weights = precision_policy.normalize(weight_precision)
    if compute is None:
        try:
            prec, why = precision_policy.choose([device], weights)
        except InputError as exc:
            raise InputError(f"{exc}; or, for {weights.upper() if weights else 'these'} weights multiplied in another "
                             "format (weight-only quantization), give --compute-precision bf16") from None
        return prec, prec, why
    prec, why = precision_policy.choose([device], compute)
    return weights or prec, prec, f"{why}: the compute format given"


def _device(res: Resolver, c: Cluster, est: InferenceEstimate, given: dict) -> dict[str, Any]:
    """Dense peak at the weight precision (the one precision policy), memory and bandwidth per device."""
    d = c.members[0].device
    weights, prec, why = _formats(d, given.get("weight_precision"), given.get("compute_precision"))
    est.weight_precision = weights
    peak, metric = precision_policy.peak_per_device(c, prec)
    how = f"weights and compute in {prec.upper()}" if weights == prec else f"{weights.upper()} weights, computed in {prec.upper()}"
    res.note(Assumption("peak per device", Q_(peak, "FLOP/s").to("TFLOP/s"), ", ".join(dict.fromkeys(c.sources(metric))),
                        f"{prec.upper()} dense ({how}); {why}"))
    out = {"weight_bytes_per_param": _bytes_per(weights, "weight_precision"), "peak_per_device": peak}
    if given.get("link_bandwidth") is not None:
        out["link_bandwidth"] = res.resolve("link_bandwidth", given["link_bandwidth"])
    else:
        link = link_bandwidth(d, c.n_devices)
        if link is not None:
            out["link_bandwidth"] = link[0]
            res.note(link[1])
    values, notes, warning = generation_efficiencies(res.catalog, d, given)
    out |= values
    for a in notes:
        res.note(a)
    if warning:
        est.warnings.append(warning)
    est.band = _band(res.catalog, d)
    for key, name, dim in (("bandwidth", "bandwidth_per_device", "bandwidth"), ("capacity", "memory_per_device", "information")):
        e = getattr(d.memory, key, None) if d.memory is not None else None
        if e is None:
            raise InputError(f"cluster: {d.name} has no published memory {key}; inference needs it")
        res.note(Assumption(f"memory {key}", e.value, e.source, f"{d.name}, per device"))
        out[name] = magnitude_in(e.value, dim)
    return out


#: Device families whose published measurements the efficiencies are fitted on, and their key suffix in
#: ``specs/defaults.toml`` (Blackwell Ultra takes Blackwell's: none of its rows is in the fit, said so).
GENERATIONS = {"Hopper": "hopper", "Blackwell": "blackwell", "Blackwell Ultra": "blackwell"}
#: The efficiencies fitted per device generation (the others are one value for all).
PER_GENERATION = ("prefill_efficiency", "decode_compute_efficiency")


def generation_efficiencies(catalog, device, given: dict | None = None):
    """(values, assumptions, warning) of the per-generation efficiencies of ``device`` not in ``given``:
    its generation's fitted values, else the values pooled over the fitted generations (and a warning)."""
    gen = GENERATIONS.get(device.family)
    values, notes, pooled = {}, [], False
    for name in PER_GENERATION:
        if (given or {}).get(name) is not None:
            continue
        key = INFERENCE_INPUTS[name].default
        d = catalog.defaults.get(f"{key}_{gen}") if gen else None
        if d is None:
            d, pooled = catalog.defaults.get(key), True
        if d is None:
            continue
        where = f"fitted on {device.family} rows" if not pooled else "pooled over the fitted generations"
        notes.append(Assumption(name, d.value, d.source, f"default, {where}; derived: {d.derived}. {d.note}".strip()))
        values[name] = d.value.m_as("")
    warning = (f"no published measurement of the {device.family or device.name} generation is in the fit: the estimate "
               "uses efficiencies pooled over Hopper and Blackwell rows and has no band; on the one other generation "
               "checked (8 MI300X with vLLM, tests/data/inference_measurements.csv) the measured throughput was "
               "0.6-0.85x such an estimate, so read it as optimistic") if pooled and values else None
    return values, notes, warning


def link_bandwidth(device, count):
    """(one-way scale-up bandwidth per device [byte/s], assumption) of ``device``; infinite on one device
    (no all-reduce); None where several devices have no published interconnect."""
    if np.all(np.asarray(count) <= 1):
        return np.inf, Assumption("link_bandwidth", "not used", None, "one device: no tensor-parallel all-reduce")
    ic = device.interconnect
    if ic is None:
        return None
    v = magnitude_in(ic.bandwidth.value, "bandwidth")
    halve = ic.direction != "per-direction"
    note = {"bidirectional": "the published total of both directions, halved",
            "unstated": "the published figure states no direction: taken as both directions and halved",
            "per-direction": "the published figure is per direction"}[ic.direction]
    one_way = v / 2.0 if halve else v
    return one_way, Assumption("link_bandwidth", Q_(one_way, "byte/s").to("GB/s"), ic.bandwidth.source,
                               f"{device.name} {ic.name}, one direction: {note}")


def _band(catalog, device=None) -> tuple[float, float] | None:
    """The estimate's 10-90% band (measured / estimate on the fit rows); None for a device of a
    generation without measurements in the fit (no band is known to hold there)."""
    if device is not None and not GENERATIONS.get(device.family):
        return None
    lo, hi = (catalog.defaults.get(k) for k in ("inference_band_low", "inference_band_high"))
    return None if lo is None or hi is None else (lo.value.m_as(""), hi.value.m_as(""))


def _package(r: Resolved, out: dict, catalog) -> InferenceEstimate:
    est: InferenceEstimate = r.context
    present = [k for k, v in r.x.items() if v is not None]
    for name, spec in INFERENCE_OUTPUTS.items():
        if name in out:
            v = np.asarray(out[name], dtype=float)
            est.results[name] = Q_(v.item() if v.ndim == 0 else v, BASE[spec.dimension]).to(parse_unit(spec.unit))
        elif spec.report_missing:
            est.not_given[name] = INFERENCE_MODEL.why(name, present)
    if "fits" in out and not np.all(np.asarray(out["fits"]) == 1):
        est.warnings.insert(0, "the batch does not fit in memory at its full context (see max_batch): "
                               "the times assume it does")
        room = np.asarray(r.x["memory_per_device"]) * np.asarray(r.x["count"])
        weights = np.asarray(out["weights_memory"])
        if np.any(weights > room):
            est.warnings.insert(0, f"the weights alone ({np.max(weights) / 1e9:,.4g} GB) exceed the replica's memory "
                                   f"({np.min(room) / 1e9:,.4g} GB): more devices, or a smaller weight format, are needed")
    est.assumptions = r.assumptions
    return est


def _device_inputs(catalog, device, precision: str) -> tuple[dict[str, float], list[Assumption]]:
    """A sweep's per-device inputs: training's (peak, TDP, rated-system overhead) plus memory, bandwidth
    and the weights' bytes per parameter at ``precision``."""
    from .training import TRAINING_MODEL

    values, assumptions = TRAINING_MODEL.device_inputs(catalog, device, precision)
    single = Cluster.of(device, 1, catalog=catalog)
    values |= {"bandwidth_per_device": float(single.per_device("memory_bandwidth")[0]),
               "memory_per_device": float(single.per_device("memory")[0]),
               "weight_bytes_per_param": ik.BYTES_PER_PARAMETER.get(precision, np.nan)}
    link = link_bandwidth(single.members[0].device, 2)  # a sweep's count axis may exceed one device
    values["link_bandwidth"] = link[0] if link is not None else np.nan
    gen, notes, _ = generation_efficiencies(catalog, single.members[0].device)
    return values | gen, assumptions + ([link[1]] if link is not None else []) + notes


def _prepare(catalog, settings: dict) -> Settings:
    """A sweep's fixed architecture and precisions (model, weight_precision, kv_precision)."""
    if settings.get("model") is None:
        raise InputError("model: a sweep of inference needs a model (e.g. model='llama-3.1-70b')")
    compute, weights = (precision_policy.normalize(settings.get(k)) for k in ("compute_precision", "weight_precision"))
    if compute is not None and compute != weights:
        raise InputError("compute_precision: a sweep computes in the weight format; weight-only quantization "
                         "(weights in one format, products in another) is for single estimates (estimate_inference)")
    arch, _ = catalog.resolve_architecture(str(settings["model"]))
    res = Resolver(catalog, specs=INFERENCE_INPUTS)
    x = _architecture(res, arch, settings, InferenceEstimate())
    return Settings(x, res.assumptions, weights)


#: The inference model: its chain, glossary, resolver and packager (what every engine runs).
INFERENCE_MODEL = Model("inference", INFERENCE, INFERENCE_INPUTS, INFERENCE_OUTPUTS, resolve=_resolve, package=_package,
                        device_inputs=_device_inputs, prepare=_prepare,
                        hints={"peak_per_device": "a cluster (--cluster)", "count": "a cluster (--cluster '8 H100')",
                               "load": "a load (--load, token/s)",
                               "link_bandwidth": "a scale-up link bandwidth (--link-bandwidth, GB/s one way): the "
                                                 "device has no published interconnect", "tpot_target": "a latency target (--tpot-target, ms)",
                               "rental_price": "a rental rate (--rental-price; no sourced rate for this device)"})
