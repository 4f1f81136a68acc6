"""The inference estimate's efficiencies, fitted on published measurements, and their errors.

The rows are ``tests/data/inference_measurements.csv`` (each with its source). The fit uses the rows
that state a model, device, count, precision and input/output lengths and measure the output
throughput at maximum load (NVIDIA's TensorRT-LLM performance tables, ``trtllm-bench throughput``:
requests at an infinite rate, so the concurrency is what memory holds). For each row the inference
chain gives the parts of its time at efficiency 1 (:data:`computescale.models.inference.PARTS`, at
the chain's ``max_batch``); the estimate divides each part by its efficiency
(:func:`computescale.models.inference.serving_times`, the same formula the chain runs). Eight
efficiencies are fitted: prefill and decode compute per device generation (Hopper, Blackwell),
memory bandwidth, link bandwidth, and the mixture-of-experts factors for compute and memory.

The fit is robust least squares on ``log(estimate / measured)`` (``scipy.optimize.least_squares``,
soft-L1 loss at scale 0.2) on the even rows; the odd rows are held out. Also reported: a
leave-one-model-out refit (each model predicted by a fit that never saw it), the prefill-dominated
rows, and the H200/H100 ratio on the same model, precision and lengths. The band is the 10th and
90th percentile of measured / estimate on the fit rows. Devices of other generations take prefill
and decode-compute efficiencies pooled over the fitted generations (the other six fixed), with
their own, wider band. ``python benchmarks/fit_inference.py`` prints everything;
``specs/defaults.toml`` holds the result. scipy is needed for the fit only (``pip install
'computescale[calibrate]'``), never to use the stored values.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ComputescaleError

__all__ = ["Fit", "Rows", "fit_rows", "row_parts", "fit", "describe", "PARAMETERS"]

#: The fitted efficiencies, in the order of the fit's parameter vector.
PARAMETERS = ("prefill_efficiency_hopper", "prefill_efficiency_blackwell", "decode_compute_efficiency_hopper",
              "decode_compute_efficiency_blackwell", "memory_efficiency", "link_efficiency", "moe_compute_efficiency",
              "moe_memory_efficiency")
_GENERATIONS = ("hopper", "blackwell")


@dataclass(frozen=True)
class Fit:
    efficiencies: dict[str, float]  # PARAMETERS, then the pooled prefill_efficiency and decode_compute_efficiency
    band: tuple[float, float]  # measured / estimate on the fit rows: 10th, 90th percentile
    band_pooled: tuple[float, float]  # the same with the pooled per-generation efficiencies
    train_error: dict[str, float]  # median and 80th percentile of |estimate / measured - 1|, share within 25%
    test_error: dict[str, float]
    by_device: dict[str, dict[str, float]]  # held-out rows per device
    by_model: dict[str, dict[str, float]]  # held-out rows per model
    leave_one_model_out: dict[str, Any]  # each model's rows predicted by a fit without that model
    prefill_dominated: dict[str, float]  # rows whose estimated prefill time is over half the total (all rows)
    h200_over_h100: dict[str, float]  # error of the estimated H200/H100 ratio on matching rows
    pooled_error: dict[str, float]  # held-out rows with the pooled efficiencies
    used: int
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rows:
    """The usable rows as arrays: the parts of each row's time at efficiency 1, its batch and lengths."""

    parts: dict[str, np.ndarray]
    batch: np.ndarray
    output_tokens: np.ndarray
    generation: np.ndarray  # index into _GENERATIONS, -1 for another
    is_moe: np.ndarray
    measured: np.ndarray  # token/s
    device: np.ndarray
    model: np.ndarray
    key: list[tuple]  # (model, precision, input, output): rows of the same setting on other devices


def fit_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of the measurements file that the fit can use (throughput at max load, lengths stated)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if r["metric"] == "throughput_tokens_per_s" and r["batch_or_concurrency"].startswith("max load")
            and r["input_tokens"] and r["output_tokens"] and r["weight_precision"] in ("bf16", "fp8", "fp4")]


def row_parts(row: dict[str, str], catalog) -> tuple[dict[str, float], float, Any]:
    """(parts at efficiency 1 [s], batch, device) of one row at the chain's ``max_batch``. A KV
    precision the row does not state is taken as FP8: an assumption of the fit, not of the rows."""
    from .inference import INFERENCE_MODEL
    from .models.inference import EFFICIENCIES, PARTS

    kw = dict(model=row["model"], cluster=f"{row['count']} {row['device']}", batch=1.0,
              input_tokens=float(row["input_tokens"]), output_tokens=float(row["output_tokens"]),
              weight_precision=row["weight_precision"],
              kv_precision=row["kv_precision"] if row["kv_precision"] in ("bf16", "fp8", "fp4") else "fp8")
    kw |= dict.fromkeys(EFFICIENCIES, 1.0)  # the parts do not depend on them; given, so no default is looked up
    r = INFERENCE_MODEL.resolved(catalog, kw)
    batch = float(INFERENCE_MODEL.chain.evaluate(r.x, want=["max_batch"])["max_batch"])
    out = INFERENCE_MODEL.chain.evaluate(r.x | {"batch": np.asarray(batch)}, want=list(PARTS))
    device = catalog.device(row["device"])
    return {k: float(out[k]) for k in PARTS}, batch, device


def _load(path, catalog) -> tuple[Rows, dict[str, int]]:
    from .inference import GENERATIONS

    data, skipped = [], {}
    for r in fit_rows(path):
        try:
            parts, batch, device = row_parts(r, catalog)
        except ComputescaleError as exc:  # a model or device the tables lack, a format a device lacks
            skipped[type(exc).__name__] = skipped.get(type(exc).__name__, 0) + 1
            continue
        gen = GENERATIONS.get(device.family)
        moe = catalog.resolve_architecture(r["model"])[0].experts is not None
        data.append((parts, batch, float(r["output_tokens"]), _GENERATIONS.index(gen) if gen else -1, moe,
                     float(r["value"]), r["device"], r["model"],
                     (r["model"], r["weight_precision"], r["input_tokens"], r["output_tokens"])))
    col = list(zip(*data))
    parts = {k: np.array([p[k] for p in col[0]]) for k in col[0][0]}
    return Rows(parts, *(np.array(c) for c in col[1:8]), list(col[8])), skipped


def _efficiencies(p: np.ndarray, gen: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-row (prefill, decode compute, memory, link, MoE compute, MoE memory) from the parameter vector."""
    e = np.asarray(p, dtype=float)
    pick = np.clip(gen, 0, 1)
    return e[0:2][pick], e[2:4][pick], e[4], e[5], e[6], e[7]


def estimate(rows: Rows, p, idx=slice(None)) -> np.ndarray:
    """Estimated throughput [token/s] of ``rows[idx]`` at efficiencies ``p`` (:data:`PARAMETERS` order)."""
    from .models.inference import output_rate, serving_times

    parts = {k: v[idx] for k, v in rows.parts.items()}
    ttft, step = serving_times(parts, *_efficiencies(p, rows.generation[idx]), rows.is_moe[idx])
    return output_rate(rows.batch[idx], rows.output_tokens[idx], ttft, step)


def _solve(rows: Rows, idx, p0, free=None) -> np.ndarray:
    """Least squares on log(estimate / measured) over ``idx``; only the ``free`` parameters move."""
    from scipy.optimize import least_squares

    p0 = np.asarray(p0, dtype=float)
    free = np.arange(p0.size) if free is None else np.asarray(free)

    def residual(q):
        p = p0.copy()
        p[free] = np.exp(-q)  # efficiency = exp(-q): positive, and at most 1 for q >= 0
        return np.log(estimate(rows, p, idx) / rows.measured[idx])

    q = least_squares(residual, -np.log(p0[free]), bounds=(0.0, np.inf), loss="soft_l1", f_scale=0.2).x
    p = p0.copy()
    p[free] = np.exp(-q)
    return p


def _errors(ratio: np.ndarray) -> dict[str, float]:
    """``ratio``: measured / estimate. Median and 80th percentile of |estimate / measured - 1|, share within 25%."""
    e = np.abs(1.0 / np.asarray(ratio) - 1.0)
    if e.size == 0:
        return {"rows": 0}
    return {"median": float(np.median(e)), "p80": float(np.percentile(e, 80)), "within_25pct": float(np.mean(e <= 0.25)),
            "rows": int(e.size)}


def fit(path: str | Path, catalog=None) -> Fit:
    """Fit the efficiencies on the even usable rows; errors on the odd ones and by leaving each model out."""
    from .data.specs import load_catalog

    catalog = catalog or load_catalog()
    rows, skipped = _load(path, catalog)
    n = rows.measured.size
    train, test = np.arange(n)[::2], np.arange(n)[1::2]
    p = _solve(rows, train, np.full(len(PARAMETERS), 0.5))
    ratio = rows.measured / estimate(rows, p)
    one = replace(rows, generation=np.zeros_like(rows.generation))  # every row on the first pair: one value for all
    pooled = _solve(one, train, p.copy(), free=[0, 2])
    pooled[[1, 3]] = pooled[[0, 2]]
    ratio_pooled = rows.measured / estimate(rows, pooled)
    effs = dict(zip(PARAMETERS, (float(v) for v in p))) | {"prefill_efficiency": float(pooled[0]),
                                                           "decode_compute_efficiency": float(pooled[2])}
    return Fit(effs, _band(ratio[train]), _band(ratio_pooled[train]), _errors(ratio[train]), _errors(ratio[test]),
               {d: _errors(ratio[test][rows.device[test] == d]) for d in sorted(set(rows.device))},
               {m: _errors(ratio[test][rows.model[test] == m]) for m in sorted(set(rows.model))},
               _leave_one_model_out(rows), _prefill_dominated(rows, p, ratio), _pair_ratio(rows, ratio),
               _errors(ratio_pooled[test]), n, skipped)


def _band(ratio) -> tuple[float, float]:
    lo, hi = np.percentile(ratio, [10, 90])
    return float(lo), float(hi)


def _leave_one_model_out(rows: Rows) -> dict[str, Any]:
    out, all_ratios = {}, []
    for m in sorted(set(rows.model)):
        inside = np.flatnonzero(rows.model != m)
        p = _solve(rows, inside, np.full(len(PARAMETERS), 0.5))
        held = np.flatnonzero(rows.model == m)
        ratio = rows.measured[held] / estimate(rows, p, held)
        out[m] = _errors(ratio)
        all_ratios.append(ratio)
    return {"all": _errors(np.concatenate(all_ratios)), "by_model": out}


def _prefill_dominated(rows: Rows, p, ratio) -> dict[str, float]:
    """Rows where the estimated prefill takes over half of each output token's time (long prompts,
    short outputs): the throughput rows that test the prefill estimate."""
    from .models.inference import serving_times

    ttft, step = serving_times(rows.parts, *_efficiencies(p, rows.generation), rows.is_moe)
    share = rows.batch * ttft / (rows.batch * ttft + rows.output_tokens * step)
    e = _errors(ratio[share > 0.5])
    e["within_30pct"] = float(np.mean(np.abs(1.0 / ratio[share > 0.5] - 1.0) <= 0.30)) if e["rows"] else float("nan")
    return e


def _pair_ratio(rows: Rows, ratio) -> dict[str, float]:
    """|estimated H200/H100 / measured H200/H100 - 1| over rows of the same model, precision and lengths."""
    where: dict[tuple, dict[str, int]] = {}
    for i, (key, dev) in enumerate(zip(rows.key, rows.device)):
        where.setdefault(key, {})[dev.split()[0]] = i
    pairs = [(v["H200"], v["H100"]) for v in where.values() if "H200" in v and "H100" in v]
    e = np.array([abs(ratio[j] / ratio[i] - 1.0) for i, j in pairs])  # (est_a/est_b) / (meas_a/meas_b)
    return {"pairs": len(pairs), "median": float(np.median(e)), "within_15pct": float(np.mean(e <= 0.15))}


def stated_batch(path: str | Path, catalog=None) -> list[dict[str, Any]]:
    """Rows outside the fit that state their batch (or concurrency) and lengths, against the estimate
    at the stored efficiencies: an out-of-sample check at set batches, on other generations and
    frameworks. ``ratio`` is measured / estimate."""
    import re

    from .inference import estimate_inference

    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        m = re.fullmatch(r"(?:concurrency )?(\d+)", r["batch_or_concurrency"].strip())
        if m is None or not r["input_tokens"] or not r["output_tokens"] or r["weight_precision"] not in ("bf16", "fp8", "fp4"):
            continue
        kv = r["kv_precision"] if r["kv_precision"] in ("bf16", "fp8", "fp4") else "fp8"
        est = estimate_inference(model=r["model"], cluster=f"{r['count']} {r['device']}", batch=float(m.group(1)),
                                 input_tokens=float(r["input_tokens"]), output_tokens=float(r["output_tokens"]),
                                 weight_precision=r["weight_precision"], kv_precision=kv, catalog=catalog)
        measured = float(r["value"]) * (float(r["count"]) if r["metric"].endswith("_per_device") else 1.0)
        e = est.throughput.m_as("token/s")
        out.append({"model": r["model"], "cluster": f"{r['count']} {r['device']}", "batch": int(m.group(1)),
                    "lengths": f"{r['input_tokens']}/{r['output_tokens']}", "framework": r["framework"],
                    "measured": measured, "estimate": round(e, 1), "ratio": round(measured / e, 3),
                    "bound": round(est.throughput_bound.m_as("token/s"), 1)})
    return out


def describe(f: Fit) -> dict[str, Any]:
    return {"efficiencies": {k: round(v, 3) for k, v in f.efficiencies.items()}, "band": [round(x, 3) for x in f.band],
            "band_pooled": [round(x, 3) for x in f.band_pooled], "train": f.train_error, "test": f.test_error,
            "by_device": f.by_device, "by_model": f.by_model, "leave_one_model_out": f.leave_one_model_out,
            "prefill_dominated": f.prefill_dominated, "h200_over_h100": f.h200_over_h100,
            "pooled_test": f.pooled_error, "rows_used": f.used, "skipped": f.skipped}


_MEANING = {
    "prefill_efficiency": "prefill compute (one request's prompt) at this share of the dense peak",
    "decode_compute_efficiency": "a decode step's compute at this share of the dense peak",
    "memory_efficiency": "a decode step's memory reads (weights touched and every request's cache) at this share of the "
                         "published memory bandwidth",
    "link_efficiency": "the tensor-parallel all-reduces (two per layer, ring, 16-bit activations) at this share of the "
                       "published one-way scale-up link bandwidth",
    "moe_compute_efficiency": "a mixture of experts' compute parts are also divided by this factor (grouped expert "
                              "matrix products run below a dense model's)",
    "moe_memory_efficiency": "a mixture of experts' memory part is also divided by this factor (scattered expert "
                             "weights read below a dense model's bandwidth)",
}


def toml_entries(f: Fit) -> str:
    """The ``[[default]]`` entries of ``specs/defaults.toml`` for a fit (values rounded to 3 decimals)."""
    t = f.test_error
    err = (f"held-out rows: median error {t['median']:.1%}, {t['within_25pct']:.0%} within 25%; rows that do not "
           "state their KV-cache format are taken as FP8 (an assumption of the fit)")
    out = []
    for key, value in f.efficiencies.items():
        name = key.rsplit("_", 1)[0] if key.endswith(_GENERATIONS) else key
        gen = key.rsplit("_", 1)[1] if key.endswith(_GENERATIONS) else None
        if gen:
            devices = {"hopper": "H100 and H200", "blackwell": "B200 and GB200"}[gen]
            derived = (f"fitted jointly on {f.used // 2} TensorRT-LLM maximum-throughput rows; this value from "
                       f"their {devices} rows")
        elif name in ("prefill_efficiency", "decode_compute_efficiency"):
            derived = (f"fitted on all {f.used // 2} fit rows as one value for every generation, the other six "
                       "efficiencies fixed: for devices of generations without measurements")
        else:
            derived = f"fitted on {f.used // 2} TensorRT-LLM maximum-throughput rows, every generation"
        out.append(_entry(f"inference_{key}", value, derived, f"The calibrated estimate: {_MEANING[name]}; {err}."))
    lo, hi = f.band
    out.append(_entry("inference_band_low", lo, "10th percentile of measured / estimated throughput on the fit rows",
                      "With inference_band_high: the estimate's 10-90% band on Hopper and Blackwell devices (none is "
                      "given for other generations)."))
    out.append(_entry("inference_band_high", hi, "90th percentile of measured / estimated throughput on the fit rows",
                      "See inference_band_low."))
    return "\n".join(out)


def _entry(name: str, value: float, derived: str, note: str) -> str:
    return (f'[[default]]\nname = "{name}"\nvalue = "{value:.3f}"\nsource = "computescale-inference-calibration"\n'
            f'derived = "{derived} (python benchmarks/fit_inference.py)"\nconfidence = "estimate"\nnote = "{note}"\n')
