"""The text report of an inference estimate: the answer first, then assumptions and what is not modelled."""

from __future__ import annotations

import numpy as np
import pint

from .models.inference import NOT_MODELLED, PERFORMANCE
from .parameters import INFERENCE_OUTPUTS
from .render import table
from .units import Q_, format_quantity

__all__ = ["render_inference"]

_LABELS = {"time_to_first_token": "time to first token", "time_per_output_token": "time per output token",
           "throughput_per_user": "tokens/s per user", "throughput": "tokens/s, whole batch",
           "max_throughput": "tokens/s at the largest batch"}
_PER_TOKEN = ("energy_per_token", "emissions_per_token", "electricity_cost_per_million_tokens", "cost_per_million_tokens",
              "amortized_cost_per_million_tokens")


def _q(q) -> str:
    if q is None:
        return "—"
    m = np.asarray(q.magnitude, dtype=float)
    if m.ndim == 0:
        return format_quantity(Q_(float(m), q.units))
    return "[" + ", ".join(f"{v:.4g}" for v in m.ravel()[:8]) + (", ..." if m.size > 8 else "") + f"] {q.units:~}"


def _head(est) -> list[str]:
    r = est.results
    fits = r.get("fits")
    fit_text = "—"
    if fits is not None:
        f = np.asarray(fits.magnitude)
        fit_text = ("yes" if f.all() else "NO" if not f.any() else "in part") + f" (at most {_q(r.get('max_batch'))} requests)"
    return [f"{est.model} on {est.cluster} (tensor parallel), weights {est.weight_precision.upper()}, "
            f"KV cache {est.kv_precision.upper()}",
            f"memory: weights {_q(r.get('weights_memory'))}; KV cache {_q(r.get('kv_cache_per_token'))}, "
            f"{_q(r.get('kv_cache_per_sequence'))} per request at full context; fits: {fit_text}"]


def _performance_rows(est) -> list[list[str]]:
    rows = []
    for name in PERFORMANCE:
        p = est.performance(name)
        if p["estimate"] is None and p["bound"] is None:
            continue
        band = "" if p["band"] is None else f"{_q(min(p['band'], key=_first))} – {_q(max(p['band'], key=_first))}"
        rows.append([_LABELS[name], _q(p["estimate"]), band, _q(p["bound"])])
    return rows


def _first(q) -> float:
    return float(np.asarray(q.magnitude).ravel()[0])


def render_inference(est) -> str:
    """Answer, per-token energy and costs, then assumptions, what is not modelled, and warnings."""
    out = [f"! {w}" for w in est.warnings] + _head(est) + [""]
    out.append(table(_performance_rows(est), ["", "estimate", "10-90% band", "physical bound"]))
    why = next((est.not_given[k] for k in PERFORMANCE if k in est.not_given), None)
    if why:
        out.append(f"estimate not given: {why}")
    per_token = [[INFERENCE_OUTPUTS[k].description, _q(est.results.get(k)) if k in est.results else "not given",
                  est.not_given.get(k, "") if k not in est.results else ""] for k in _PER_TOKEN]
    load = est.results.get("devices_for_load")
    out += ["", "Per output token, at the estimated throughput of the batch (costs are separate answers, not summed):",
            table(per_token, ["", "value", "why not given"])]
    if load is not None:
        out += ["", f"devices for the load: {_q(load)} (replicas of {est.cluster} meeting the latency target; "
                    "NaN where the batch misses it)"]
    out += ["", "Not modelled: " + "; ".join(NOT_MODELLED) + "."]
    arows = [[a.name, _q(a.value) if isinstance(a.value, pint.Quantity) else a.value, a.source or "no source",
              (a.note[:100] + "…") if len(a.note) > 100 else a.note] for a in est.assumptions]
    out += ["", "Assumptions (full notes with --json):", table(arows, ["assumption", "value", "source", "note"])]
    return "\n".join(out)
