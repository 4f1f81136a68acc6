"""CLI command ``infer``: parse, one API call (the inference model on the pipeline), render.

One value of each input gives one estimate; grid values (``--batch 1,8,64,256``) the outer product,
one row per point (a throughput-versus-latency curve is one command); uncertain values
(``--input-tokens 512..2048``) a seeded Monte Carlo, on the same engines as training.
"""

from __future__ import annotations

import argparse
import math

__all__ = ["register"]

_EPILOG = """\
examples:
  computescale infer --model llama-3.1-70b --cluster "8 H100" --batch 64 --input-tokens 1024 --output-tokens 256
  computescale infer --model llama-3.1-70b --cluster "8 H100" --batch 1,8,64,256 --input-tokens 1024 --output-tokens 256 --plot curve.png
  computescale infer --model deepseek-v3 --cluster "8 H200" --batch 32 --input-tokens 2048 --output-tokens 512 --weight-precision fp8 --kv-precision fp8
  computescale infer --model qwen3-32b --cluster "1 H100" --batch 16 --input-tokens 512..2048 --output-tokens 256 --samples 20000
  computescale infer --model llama-3.1-8b --cluster "1 H100" --batch 32 --input-tokens 1024 --output-tokens 256 --load 50000 --tpot-target 30

Each performance figure comes twice: the physical bound (roofline, a limit no system beats) and a
calibrated estimate with its 10-90% band (efficiencies fitted on published measurements; the fit's
error is in benchmarks/fit_inference.py). Architectures: computescale models."""

#: Inputs as options, in this order (from the glossary).
_OPTIONS = ("model", "cluster", "batch", "input_tokens", "output_tokens", "weight_precision", "kv_precision",
            "compute_precision", "moe_parallelism",
            "memory_fraction", "load", "tpot_target", "layer_latency", "allreduce_latency", "link_bandwidth", "prefill_efficiency", "decode_compute_efficiency",
            "memory_efficiency", "link_efficiency", "moe_compute_efficiency", "moe_memory_efficiency", "power", "power_fraction",
            "server_overhead", "pue", "electricity_price", "carbon_intensity", "rental_price", "unit_price", "lifetime")


def _cmd_infer(args) -> str:
    from ..inference import INFERENCE_MODEL, estimate_inference
    from ..parameters import INFERENCE_INPUTS
    from ..render import dumps
    from ..report import references, source_ids
    from ..engines.scenarios import is_uncertain, outer_grid
    from ..errors import InputError
    from ..data.specs import load_catalog

    catalog = load_catalog(args.specs or None)
    inputs = {k: getattr(args, k) for k in _OPTIONS if getattr(args, k) is not None}
    if any(is_uncertain(v) for v in inputs.values()):
        from ..engines.scenarios import monte_carlo_training

        result = monte_carlo_training(estimator=INFERENCE_MODEL, samples=args.samples, seed=args.seed, catalog=catalog,
                                      **inputs)
        return dumps(result.to_dict()) if args.json else str(result)
    from ..limits import check_train_grid

    check_train_grid(inputs, args.max_rows)  # counted from the text: nothing is built to find out
    numeric = tuple(k for k, i in INFERENCE_INPUTS.items() if i.numeric)
    inputs, axes = outer_grid(inputs, INFERENCE_INPUTS, numeric, catalog)
    est = estimate_inference(catalog=catalog, **inputs)
    ids = source_ids(est.assumptions)
    if args.json:
        data = est.to_dict() | {"grid": {a.name: a.values.tolist() for a in axes} or None}
        return dumps(data | {"sources": {s: catalog.sources[s] for s in ids if s in catalog.sources}})
    if args.plot:
        from ..plot import plot_inference_curve

        if [a.name for a in axes] != ["batch"]:
            raise InputError("--plot draws the curve over batch values: give several (--batch 1,8,64,256) and one "
                             "value of every other input")
        plot_inference_curve(est, axes[0].values, args.plot)
    text = _grid(est, axes) if axes else str(est)
    return text + "\n\n" + references(catalog, ids)


def _grid(est, axes) -> str:
    """One row per grid point: the axes, then each performance figure's estimate and bound."""
    import numpy as np

    from ..models.inference import PERFORMANCE
    from ..render import table
    from ..report_inference import _head

    shape = tuple(len(a) for a in axes)
    idx = np.unravel_index(np.arange(math.prod(shape)), shape)
    cols = [[f"{a.values[i]:g}" for i in ix] for a, ix in zip(axes, idx)]
    headers = [a.header for a in axes]
    for name in PERFORMANCE[1:4]:
        for key in (name, f"{name}_bound"):
            q = est.results[key]
            cols.append([f"{v:.4g}" for v in np.broadcast_to(q.magnitude, shape).reshape(-1)])
            headers.append(f"{key} [{q.units:~}]")
    fits = np.broadcast_to(est.results["fits"].magnitude, shape).reshape(-1)
    cols.append(["yes" if f else "NO" for f in fits])
    headers.append("fits")
    body = table(list(zip(*cols)), headers, "r" * len(headers))
    return "\n".join([f"! {w}" for w in est.warnings] + _head(est) + ["", f"{math.prod(shape)} grid points", body, "",
                                   "estimate: calibrated (band: computescale infer with one value); bound: physical limit"])


def register(sub, common) -> dict:
    """Add ``infer`` to the parser; return its command function."""
    from .sweep import Once
    from ..parameters import INFERENCE_INPUTS

    p = sub.add_parser(
        "infer", parents=[common], help="serve a model: memory fit, latency, tokens/s (bound and estimate), J and $ per token",
        description="Inference of a model architecture on one replica (tensor parallel over its devices): weights and "
        "KV cache, fit, time to first token, time per output token, per-user and aggregate tokens/s, energy, emissions "
        "and costs per token, devices for a load.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in _OPTIONS:
        spec = INFERENCE_INPUTS[name]
        default = f" (default: sourced '{spec.default}')" if spec.default else ""
        p.add_argument(*spec.flags, dest=name, metavar=name.upper(), action=Once, help=spec.description + default)
    p.add_argument("--plot", metavar="FILE", help="draw tokens/s of the batch against tokens/s per user over --batch "
                   "values (.png, .svg or .pdf; needs computescale[plot])")
    p.add_argument("--force", action="store_true", help="replace an existing --plot file (refused otherwise)")
    p.add_argument("--max-rows", type=int, default=None, help="most grid rows to print (default 1000)")
    g = p.add_argument_group("uncertainty (when any input is a range or a distribution)")
    g.add_argument("--samples", type=int, default=20_000, help="Monte Carlo samples (default 20000)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return {"infer": _cmd_infer}
