"""The inference estimate's efficiencies, fitted on published measurements, and their error.

The rows are ``tests/data/inference_measurements.csv`` (each with its source). The fit uses the
rows that state a model, device, count, precision and input/output lengths and measure the
throughput at maximum load (NVIDIA's TensorRT-LLM performance tables): for each, the inference
chain's ``max_throughput`` is ``B·osl / (B·t_prefill / e_prefill + osl·t_step / e_decode)``, with
``t_prefill`` and ``t_step`` the bound's times. The two efficiencies are fitted on the even rows
(least median absolute log error on a grid) and tested on the odd ones; the band is the 10th and
90th percentile of measured / estimate on the fit rows. ``python benchmarks/fit_inference.py``
prints all of it; ``specs/defaults.toml`` holds the result.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ComputescaleError

__all__ = ["Fit", "fit_rows", "fit", "terms"]


@dataclass(frozen=True)
class Fit:
    prefill_efficiency: float
    decode_efficiency: float
    band: tuple[float, float]  # measured / estimate on the fit rows: 10th, 90th percentile
    train_error: dict[str, float]  # median and 80th percentile of |estimate / measured - 1|, share within 25%
    test_error: dict[str, float]
    by_device: dict[str, dict[str, float]]  # test rows per device
    used: int
    skipped: dict[str, int]


def fit_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of the measurements file that the fit can use (throughput at max load, lengths stated)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if r["metric"] == "throughput_tokens_per_s" and r["batch_or_concurrency"].startswith("max load")
            and r["input_tokens"] and r["output_tokens"] and r["weight_precision"] in ("bf16", "fp8", "fp4")]


def terms(row: dict[str, str], catalog) -> tuple[float, float, float]:
    """(tokens, prefill seconds, decode seconds) of one row at efficiency 1: measured throughput =
    tokens / (prefill / e_prefill + decode / e_decode). A KV precision the row does not state is taken
    as FP8: an assumption of the fit, not a figure of the rows."""
    from .inference import estimate_inference

    kw = dict(model=row["model"], cluster=f"{row['count']} {row['device']}", batch=1, input_tokens=float(row["input_tokens"]),
              output_tokens=float(row["output_tokens"]), weight_precision=row["weight_precision"],
              kv_precision=row["kv_precision"] if row["kv_precision"] in ("bf16", "fp8", "fp4") else "fp8", catalog=catalog)
    one = estimate_inference(**kw, prefill_efficiency=1.0, decode_efficiency=1.0).max_throughput.m_as("token/s")
    half = estimate_inference(**kw, prefill_efficiency=0.5, decode_efficiency=1.0).max_throughput.m_as("token/s")
    # T(e) = tokens·(1/tp(e)): T(1,1) = a + b, T(0.5,1) = 2a + b, with tokens = 1 (per-token seconds)
    t11, t51 = 1.0 / one, 1.0 / half
    return 1.0, t51 - t11, 2.0 * t11 - t51


def _errors(ratio: np.ndarray) -> dict[str, float]:
    e = np.abs(1.0 / ratio - 1.0)  # |estimate / measured - 1|
    return {"median": float(np.median(e)), "p80": float(np.percentile(e, 80)), "within_25pct": float(np.mean(e <= 0.25)),
            "rows": int(e.size)}


def fit(path: str | Path, catalog=None) -> Fit:
    """Fit the two efficiencies on the even usable rows; errors on the odd ones."""
    from .data.specs import load_catalog

    catalog = catalog or load_catalog()
    data, skipped = [], {}
    for r in fit_rows(path):
        try:
            tok, a, b = terms(r, catalog)
        except ComputescaleError as exc:  # a model or device the tables lack, a format a device lacks
            why = type(exc).__name__
            skipped[why] = skipped.get(why, 0) + 1
            continue
        data.append((a, b, 1.0 / float(r["value"]), r["device"]))
    a, b, t_meas = (np.array([d[i] for d in data]) for i in range(3))
    devices = np.array([d[3] for d in data])
    train, test = np.arange(len(data))[::2], np.arange(len(data))[1::2]
    grid = np.geomspace(1.0, 50.0, 200)  # 1 / efficiency
    cost = [np.median(np.abs(np.log((a[train, None] * g + b[train, None] * grid[None, :]) / t_meas[train, None])), axis=0)
            for g in grid]
    i, j = np.unravel_index(int(np.argmin(cost)), (grid.size, grid.size))
    ip, idec = grid[i], grid[j]
    ratio = (a * ip + b * idec) / t_meas  # measured throughput / estimated throughput
    by_device = {d: _errors(ratio[test][devices[test] == d]) for d in sorted(set(devices[test]))}
    lo, hi = np.percentile(ratio[train], [10, 90])
    return Fit(float(1 / ip), float(1 / idec), (float(lo), float(hi)), _errors(ratio[train]), _errors(ratio[test]),
               by_device, len(data), skipped)


def describe(f: Fit) -> dict[str, Any]:
    return {"prefill_efficiency": round(f.prefill_efficiency, 3), "decode_efficiency": round(f.decode_efficiency, 3),
            "band": [round(x, 3) for x in f.band], "train": f.train_error, "test": f.test_error, "by_device": f.by_device,
            "rows_used": f.used, "skipped": f.skipped}
