"""The inference estimate's efficiencies and latencies, fitted on published measurements, and their errors.

The rows are ``tests/data/inference_measurements.csv`` (each with its source). Two kinds are used:

- **maximum load**: a model, device, count, precision and lengths, and the output throughput when
  requests arrive at an infinite rate (NVIDIA's TensorRT-LLM performance tables, ``trtllm-bench``:
  the concurrency is what memory holds, the chain's ``max_batch``);
- **stated batch**: the same at a stated batch or concurrency, measuring throughput, the time per
  output token or the time to first token (TensorRT-LLM, NIM, vLLM, SGLang), on the generations the
  fit covers (Hopper, Blackwell); rows of other generations are only reported.

For each row the chain gives the parts of its time at efficiency 1
(:data:`computescale.models.inference.PARTS`); the estimate divides each by its efficiency and adds
the fixed time of a forward pass (:func:`computescale.models.inference.serving_times`, the formula
the chain runs). Ten values are fitted (:data:`PARAMETERS`): prefill and decode compute per device
generation, memory bandwidth, link bandwidth, the two mixture-of-experts factors, and the latencies
per layer and per all-reduce. The fit is robust least squares on ``log(estimated speed / measured
speed)`` (``scipy.optimize.least_squares``, soft-L1 loss at scale 0.2) on the even rows of each kind;
the odd rows are held out. Each row's mixture of experts is split as its source says (:func:`_layout`).
Also reported: each model left out of a refit, the prefill-dominated rows,
the H200/H100 ratio, and the rows of other generations at the pooled values that such devices get
(prefill and decode compute fitted as one value for all rows, the rest fixed). The band is the
10th-90th percentile of measured / estimated speed on the fit rows.

``python benchmarks/fit_inference.py`` prints everything; ``specs/defaults.toml`` holds the result
(:mod:`computescale.calibration_report`). scipy is needed for the fit only (``pip install
'computescale[calibrate]'``), never to use the stored values.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ComputescaleError

__all__ = ["Fit", "Rows", "fit_rows", "load_rows", "predict", "fit", "PARAMETERS", "STATED_METRICS"]

#: The fitted values, in the order of the fit's parameter vector: eight efficiencies, two latencies [s].
PARAMETERS = ("prefill_efficiency_hopper", "prefill_efficiency_blackwell", "decode_compute_efficiency_hopper",
              "decode_compute_efficiency_blackwell", "memory_efficiency", "link_efficiency", "moe_compute_efficiency",
              "moe_memory_efficiency", "layer_latency", "allreduce_latency")
_GENERATIONS = ("hopper", "blackwell")
_N_EFF = 8
#: Metrics of the rows at a stated batch, as the chain's outputs: a rate, or one of two times.
STATED_METRICS = {"throughput_tokens_per_s": "rate", "throughput_tokens_per_s_per_device": "rate",
                  "tpot_ms_mean": "tpot", "ttft_ms_mean": "ttft"}
_FORMATS = ("bf16", "fp8", "fp4")


@dataclass(frozen=True)
class Rows:
    """The usable rows as arrays: each row's parts at efficiency 1, its batch, lengths and what it measured."""

    parts: dict[str, np.ndarray]
    batch: np.ndarray
    output_tokens: np.ndarray
    layers: np.ndarray
    count: np.ndarray
    generation: np.ndarray  # index into _GENERATIONS, -1 for another generation
    is_moe: np.ndarray
    metric: np.ndarray  # "rate" [token/s], "tpot" or "ttft" [s]
    measured: np.ndarray
    kind: np.ndarray  # "max-load" or "stated"
    device: np.ndarray
    model: np.ndarray
    key: list[tuple]  # (model, precision, input, output): rows of the same setting on other devices
    label: list[str]


@dataclass(frozen=True)
class Fit:
    values: dict[str, float]  # PARAMETERS, then the pooled prefill_efficiency and decode_compute_efficiency
    band: tuple[float, float]  # measured / estimated speed on the fit rows: 10th, 90th percentile
    errors: dict[str, Any]  # name -> {median, p80, within_25pct, rows}
    other_generations: list[dict[str, Any]]  # rows of generations outside the fit, at the pooled values
    used: int
    skipped: dict[str, int] = field(default_factory=dict)


def fit_rows(path: str | Path) -> list[dict[str, str]]:
    """The maximum-load rows of the measurements file (throughput, lengths and weight format stated)."""
    return [r for r in _read(path) if _max_load(r)]


def _max_load(r: dict[str, str]) -> bool:
    return (r["metric"] == "throughput_tokens_per_s" and r["batch_or_concurrency"].startswith("max load")
            and bool(r["input_tokens"]) and bool(r["output_tokens"]) and r["weight_precision"] in _FORMATS)


def _read(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _stated(r: dict[str, str]) -> int | None:
    """The row's stated batch, when it is a usable stated-batch row."""
    m = re.fullmatch(r"(?:concurrency )?(\d+)", r["batch_or_concurrency"].strip())
    if m is None or not r["input_tokens"] or not r["output_tokens"] or r["metric"] not in STATED_METRICS:
        return None
    return int(m.group(1)) if r["weight_precision"] in _FORMATS else None


def _inputs(r: dict[str, str], batch: float, catalog) -> dict[str, Any]:
    """The chain's inputs for a row. Assumptions of the fit, not figures of the rows: a KV format the row
    does not state is FP8; weights in a format the device has no peak for (MXFP4 on Hopper) are multiplied
    in BF16, as a device without FP4 tensor cores must (weight-only quantization)."""
    lacks = catalog.device(r["device"]).peak(r["weight_precision"]) is None
    moe = catalog.resolve_architecture(r["model"])[0].experts is not None
    return dict(model=r["model"], cluster=f"{r['count']} {r['device']}", batch=batch,
                input_tokens=float(r["input_tokens"]), output_tokens=float(r["output_tokens"]),
                weight_precision=r["weight_precision"], kv_precision=r["kv_precision"] if r["kv_precision"] in _FORMATS else "fp8",
                compute_precision="bf16" if lacks else None, moe_parallelism=_layout(r) if moe else None)


def _layout(r: dict[str, str]) -> str:
    """How the row's mixture of experts was split: expert parallel with attention data parallel where the
    source says so (the TensorRT-LLM performance overview runs every MoE model with ``--ep`` and
    ``enable_attention_dp: true`` in its ``llm_options``; the DeepSeek-R1 guide's rows say "attention DP"),
    else tensor parallel (InferenceMAX's rows: ``ep=1``)."""
    expert = "Performance Overview" in r["source_title"] or "attention DP" in r["notes"]
    return "expert" if expert else "tensor"


def _row(r: dict[str, str], catalog, stated: int | None):
    """(parts at efficiency 1, batch, device, architecture) of one row; a maximum-load row at ``max_batch``."""
    from .inference import INFERENCE_MODEL
    from .models.inference import EFFICIENCIES, LATENCIES, PARTS

    kw = _inputs(r, float(stated or 1), catalog) | dict.fromkeys(EFFICIENCIES, 1.0) | dict.fromkeys(LATENCIES, 0.0)
    res = INFERENCE_MODEL.resolved(catalog, kw)  # efficiencies and latencies given: no default is looked up
    batch = float(stated) if stated else float(INFERENCE_MODEL.chain.evaluate(res.x, want=["max_batch"])["max_batch"])
    out = INFERENCE_MODEL.chain.evaluate(res.x | {"batch": np.asarray(batch)}, want=list(PARTS))
    return {k: float(out[k]) for k in PARTS}, batch, catalog.device(r["device"]), catalog.resolve_architecture(r["model"])[0]


def load_rows(path: str | Path, catalog) -> tuple[Rows, dict[str, int]]:
    """Every maximum-load and stated-batch row the chain can run, as :class:`Rows`; the others counted by reason."""
    from .inference import GENERATIONS

    data, skipped = [], {}
    for r in _read(path):
        stated = _stated(r)
        if stated is None and not _max_load(r):
            continue
        try:
            parts, batch, device, arch = _row(r, catalog, stated)
        except ComputescaleError as exc:  # a format a device has no peak for (FP4 weights on Hopper)
            skipped[type(exc).__name__] = skipped.get(type(exc).__name__, 0) + 1
            continue
        gen = GENERATIONS.get(device.family)
        metric = STATED_METRICS[r["metric"]] if stated else "rate"
        value = float(r["value"]) * (float(r["count"]) if r["metric"].endswith("_per_device") else 1.0)
        value = value / 1000.0 if metric != "rate" else value  # ms -> s
        data.append((parts, batch, float(r["output_tokens"]), float(sum(g.figure("layers") for g in arch.attention)),
                     float(r["count"]), _GENERATIONS.index(gen) if gen else -1, arch.experts is not None, metric, value,
                     "stated" if stated else "max-load", r["device"], r["model"],
                     (r["model"], r["weight_precision"], r["input_tokens"], r["output_tokens"]),
                     f"{r['model']} on {r['count']} {r['device']}, batch {stated or 'max'}, {r['input_tokens']}/"
                     f"{r['output_tokens']}, {metric} ({r['framework'][:40]})"))
    col = list(zip(*data))
    parts = {k: np.array([p[k] for p in col[0]]) for k in col[0][0]}
    return Rows(parts, *(np.array(c) for c in col[1:12]), list(col[12]), list(col[13])), skipped


def _values(p, gen):
    """Per-row (efficiencies..., layer latency, all-reduce latency) from the parameter vector."""
    e = np.asarray(p, dtype=float)
    pick = np.clip(gen, 0, 1)
    return (e[0:2][pick], e[2:4][pick], e[4], e[5], e[6], e[7]), e[8], e[9]


def predict(rows: Rows, p, idx=slice(None)) -> np.ndarray:
    """The estimate of what ``rows[idx]`` measured, at ``p`` (:data:`PARAMETERS` order): token/s or s."""
    from .models.inference import output_rate, pass_latency, serving_times, steady_tpot

    parts = {k: v[idx] for k, v in rows.parts.items()}
    effs, layer, allreduce = _values(p, rows.generation[idx])
    latency = pass_latency(rows.layers[idx], rows.count[idx], layer, allreduce)
    ttft, step, work = serving_times(parts, *effs, rows.is_moe[idx], latency)
    b, osl, metric = rows.batch[idx], rows.output_tokens[idx], rows.metric[idx]
    return np.where(metric == "rate", output_rate(b, osl, work, step),
                    np.where(metric == "tpot", steady_tpot(b, osl, work, step), ttft))


def speed_ratio(rows: Rows, p, idx=slice(None)) -> np.ndarray:
    """Measured speed / estimated speed (a rate measured / estimate; a time estimate / measured)."""
    est = predict(rows, p, idx)
    return np.where(rows.metric[idx] == "rate", rows.measured[idx] / est, est / rows.measured[idx])


def _solve(rows: Rows, idx, p0, free=None) -> np.ndarray:
    """Least squares on log(estimated / measured speed) over ``idx``; only the ``free`` parameters move.
    Efficiencies are ``exp(-q)`` with ``q >= 0`` (positive, at most 1); latencies ``exp(q)`` seconds."""
    from scipy.optimize import least_squares

    p0 = np.asarray(p0, dtype=float)
    free = np.arange(p0.size) if free is None else np.asarray(free)
    is_eff = free < _N_EFF
    to_p = lambda q: np.where(is_eff, np.exp(-q), np.exp(q))  # noqa: E731
    lo = np.where(is_eff, 0.0, np.log(1e-9))
    hi = np.where(is_eff, np.inf, np.log(1e-3))

    def residual(q):
        p = p0.copy()
        p[free] = to_p(q)
        return np.log(speed_ratio(rows, p, idx))

    q0 = np.clip(np.where(is_eff, -np.log(p0[free]), np.log(np.maximum(p0[free], 1e-9))), lo, hi)
    q = least_squares(residual, q0, bounds=(lo, hi), loss="soft_l1", f_scale=0.2).x
    p = p0.copy()
    p[free] = to_p(q)
    return p


_START = np.array([0.5] * _N_EFF + [5e-6, 5e-6])


def _errors(ratio) -> dict[str, float]:
    """``ratio``: measured / estimated speed. Median and 80th percentile of |estimate / measured - 1|, share within 25%."""
    e = np.abs(1.0 / np.asarray(ratio, dtype=float) - 1.0)
    if e.size == 0:
        return {"rows": 0}
    return {"median": float(np.median(e)), "p80": float(np.percentile(e, 80)), "within_25pct": float(np.mean(e <= 0.25)),
            "within_30pct": float(np.mean(e <= 0.30)), "rows": int(e.size)}


def fit(path: str | Path, catalog=None) -> Fit:
    """Fit on the even rows of each kind (fitted generations); errors on the odd ones, and the rest reported."""
    from .data.specs import load_catalog

    catalog = catalog or load_catalog()
    rows, skipped = load_rows(path, catalog)
    fitted = np.flatnonzero(rows.generation >= 0)
    split = {k: fitted[rows.kind[fitted] == k] for k in ("max-load", "stated")}
    train = np.concatenate([v[::2] for v in split.values()])
    test = {k: v[1::2] for k, v in split.items()}
    p = _solve(rows, train, _START)
    ratio = speed_ratio(rows, p)
    one = replace(rows, generation=np.zeros_like(rows.generation))  # every row on the first pair: one value for all
    pooled = _solve(one, train, p.copy(), free=[0, 2])
    pooled[[1, 3]] = pooled[[0, 2]]
    values = dict(zip(PARAMETERS, (float(v) for v in p))) | {"prefill_efficiency": float(pooled[0]),
                                                             "decode_compute_efficiency": float(pooled[2])}
    held = np.concatenate(list(test.values()))
    errors = {"train": _errors(ratio[train]), "test": _errors(ratio[held]),
              "test_max_load": _errors(ratio[test["max-load"]]), "test_stated": _errors(ratio[test["stated"]]),
              "pooled_test": _errors(speed_ratio(rows, pooled)[held])}
    errors |= {f"test_stated_{m}": _errors(ratio[test["stated"]][rows.metric[test["stated"]] == m]) for m in ("rate", "tpot", "ttft")}
    errors |= {f"device: {d}": _errors(ratio[held][rows.device[held] == d]) for d in sorted(set(rows.device[held]))}
    errors |= {f"model: {m}": _errors(ratio[held][rows.model[held] == m]) for m in sorted(set(rows.model[held]))}
    errors |= _leave_one_model_out(rows, fitted) | {"prefill_dominated": _prefill_dominated(rows, p, ratio, split["max-load"]),
                                                   "h200_over_h100": _pair_ratio(rows, ratio, split["max-load"])}
    others = np.flatnonzero(rows.generation < 0)
    other = [{"row": rows.label[i], "measured_over_estimate": round(float(r), 3)}
             for i, r in zip(others, speed_ratio(rows, pooled, others))]
    return Fit(values, _band(ratio[train]), errors, other, int(fitted.size), skipped)


def _band(ratio) -> tuple[float, float]:
    lo, hi = np.percentile(ratio, [10, 90])
    return float(lo), float(hi)


def _leave_one_model_out(rows: Rows, fitted) -> dict[str, Any]:
    out, all_ratios = {}, []
    for m in sorted(set(rows.model[fitted])):
        inside, held = fitted[rows.model[fitted] != m], fitted[rows.model[fitted] == m]
        ratio = speed_ratio(rows, _solve(rows, inside, _START), held)
        out[f"left out: {m}"] = _errors(ratio)
        all_ratios.append(ratio)
    return {"leave_one_model_out": _errors(np.concatenate(all_ratios))} | out


def _prefill_dominated(rows: Rows, p, ratio, idx) -> dict[str, float]:
    """Maximum-load rows where the estimated prefill takes over half of each output token's time (long
    prompts, short outputs): the throughput rows that test the prefill estimate."""
    from .models.inference import pass_latency, serving_times

    effs, layer, allreduce = _values(p, rows.generation[idx])
    latency = pass_latency(rows.layers[idx], rows.count[idx], layer, allreduce)
    _, step, work = serving_times({k: v[idx] for k, v in rows.parts.items()}, *effs, rows.is_moe[idx], latency)
    b, osl = rows.batch[idx], rows.output_tokens[idx]
    return _errors(ratio[idx][b * work / (b * work + osl * step) > 0.5])


def _pair_ratio(rows: Rows, ratio, idx) -> dict[str, float]:
    """|estimated H200/H100 / measured H200/H100 - 1| over maximum-load rows of the same model, precision, lengths."""
    where: dict[tuple, dict[str, int]] = {}
    for i in idx:
        where.setdefault(rows.key[i], {})[rows.device[i].split()[0]] = i
    pairs = [(v["H200"], v["H100"]) for v in where.values() if "H200" in v and "H100" in v]
    e = np.array([abs(ratio[j] / ratio[i] - 1.0) for i, j in pairs])  # (est_a/est_b) / (meas_a/meas_b)
    return {"pairs": len(pairs), "median": float(np.median(e)), "within_15pct": float(np.mean(e <= 0.15))}
