"""The calibration's outputs: a JSON-able summary, the ``[[default]]`` entries of ``specs/defaults.toml``,
and the chain itself run on the rows at a stated batch (the stored values, as a user gets them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .calibration import Fit, STATED_METRICS, _GENERATIONS, _inputs, _read, _stated
from .errors import ComputescaleError

__all__ = ["describe", "toml_entries", "stated_batch"]


def describe(f: Fit) -> dict[str, Any]:
    return {"values": {k: (round(v, 3) if not k.endswith("latency") else f"{v * 1e6:.2f} us") for k, v in f.values.items()},
            "band": [round(x, 3) for x in f.band], "errors": f.errors, "other_generations": f.other_generations,
            "rows_fitted_generations": f.used, "skipped": f.skipped}


_MEANING = {
    "prefill_efficiency": "prefill compute (one request's prompt) at this share of the dense peak",
    "decode_compute_efficiency": "a decode step's compute at this share of the dense peak",
    "memory_efficiency": "weight and cache reads at this share of the published memory bandwidth",
    "link_efficiency": "the tensor-parallel all-reduces (two per layer, ring, 16-bit activations) at this share of the "
                       "published one-way scale-up link bandwidth",
    "moe_compute_efficiency": "a mixture of experts' compute parts are also divided by this factor (grouped expert "
                              "matrix products run below a dense model's)",
    "moe_memory_efficiency": "a mixture of experts' memory parts are also divided by this factor (scattered expert "
                             "weights read below a dense model's bandwidth)",
    "layer_latency": "a fixed time per layer in every forward pass (a prefill, a decode step): kernel launches and "
                     "synchronization that no bandwidth or peak explains",
    "allreduce_latency": "a fixed time per tensor-parallel all-reduce (two per layer per forward pass, on more than "
                         "one device)",
}


def toml_entries(f: Fit) -> str:
    """The ``[[default]]`` entries of ``specs/defaults.toml`` for a fit (3 decimals; latencies in us, 2 decimals)."""
    t = f.errors["test"]
    n = f"{f.errors['train']['rows']} fit rows (maximum-load and stated-batch rows on Hopper and Blackwell)"
    err = (f"held-out rows: median error {t['median']:.1%}, {t['within_25pct']:.0%} within 25%; rows that do not "
           "state their KV-cache format are taken as FP8 (an assumption of the fit)")
    out = []
    for key, value in f.values.items():
        gen = key.rsplit("_", 1)[1] if key.endswith(_GENERATIONS) else None
        name = key.rsplit("_", 1)[0] if gen else key
        if gen:
            devices = {"hopper": "H100 and H200", "blackwell": "B200 and GB200"}[gen]
            derived = f"fitted jointly on {n}; this value from their {devices} rows"
        elif name in ("prefill_efficiency", "decode_compute_efficiency"):
            derived = (f"fitted on the same {n} as one value for every generation, the others fixed: for devices of "
                       "generations without measurements")
        else:
            derived = f"fitted on {n}, every generation"
        shown = f"{value * 1e6:.2f} us" if name.endswith("latency") else f"{value:.3f}"
        limit = (" At the fit's upper limit of 1: the rows do not tell this bandwidth apart from the per-layer "
                 "latency, so read the two together; it is not a measurement of the bandwidth a device sustains."
                 if not name.endswith("latency") and value >= 0.999 else "")
        out.append(_entry(f"inference_{key}", shown, derived, f"The calibrated estimate: {_MEANING[name]}; {err}.{limit}"))
    lo, hi = f.band
    out.append(_entry("inference_band_low", f"{lo:.3f}", "10th percentile of measured / estimated speed on the fit rows",
                      "With inference_band_high: the estimate's 10-90% band on Hopper and Blackwell devices (none is "
                      "given for other generations)."))
    out.append(_entry("inference_band_high", f"{hi:.3f}", "90th percentile of measured / estimated speed on the fit rows",
                      "See inference_band_low."))
    return "\n".join(out)


def _entry(name: str, value: str, derived: str, note: str) -> str:
    return (f'[[default]]\nname = "{name}"\nvalue = "{value}"\nsource = "computescale-inference-calibration"\n'
            f'derived = "{derived} (python benchmarks/fit_inference.py)"\nconfidence = "estimate"\nnote = "{note}"\n')


_OUTPUT = {"rate": "throughput", "tpot": "time_per_output_token", "ttft": "time_to_first_token"}


def stated_batch(path: str | Path, catalog=None) -> list[dict[str, Any]]:
    """The chain at the stored values on every row that states its batch: ``ratio`` is measured speed /
    estimated speed (below 1: the system ran slower than estimated); ``beats_bound`` whether the measurement
    is faster than the chain's bound. A row the chain cannot run carries ``skipped`` with the reason."""
    from .data.specs import load_catalog
    from .inference import estimate_inference

    out = []
    for r in _read(path):
        batch = _stated(r)
        if batch is None:
            continue
        metric = STATED_METRICS[r["metric"]]
        row = {"model": r["model"], "cluster": f"{r['count']} {r['device']}", "batch": batch,
               "lengths": f"{r['input_tokens']}/{r['output_tokens']}", "metric": metric, "framework": r["framework"]}
        try:
            est = estimate_inference(**_inputs(r, float(batch), catalog or load_catalog()), catalog=catalog)
        except ComputescaleError as exc:
            out.append(row | {"skipped": str(exc)})
            continue
        name = _OUTPUT[metric]
        value = float(r["value"]) * (float(r["count"]) if r["metric"].endswith("_per_device") else 1.0)
        unit = "token/s" if metric == "rate" else "ms"
        e, b = est.results[name].m_as(unit), est.results[f"{name}_bound"].m_as(unit)
        ratio, beats = (value / e, value > b * (1 + 1e-9)) if metric == "rate" else (e / value, value < b * (1 - 1e-9))
        out.append(row | {"measured": value, "estimate": e, "bound": b, "ratio": float(ratio), "beats_bound": bool(beats)})
    return out

