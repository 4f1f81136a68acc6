"""Inference speed-ups between two chips, regime by regime: which regime, if any, gives a claimed factor.

Without a model, the per-chip figures that bound inference (:func:`inference_regimes`): memory
bandwidth (decode at small batches) and the dense peaks (prefill, large batches), like for like and
each chip's fastest format. With a model, the inference chain itself on the same number of chips of
each (:func:`model_regimes`): one user at batch 1, and the largest batch memory holds, each
with the chain's physical bound and, where both chips' generations are in the calibration, its
estimate. A ratio of bounds is not a measured speed-up: software can leave either chip further below
its bound, so a factor no regime gives is not impossible, only not explained by the hardware.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import precision as precision_policy
from .errors import InputError

__all__ = ["Regime", "inference_regimes", "model_regimes", "FORMATS", "ASSUMED_LENGTHS"]

#: The formats tried for a chip's fastest dense format, fastest first.
FORMATS = ("fp4", "fp8", "bf16", "fp16")
#: Prompt and output lengths of the model regimes when a claim states none (an assumption, said so).
ASSUMED_LENGTHS = (1024, 1024)


@dataclass(frozen=True)
class Regime:
    """One inference regime's ratio A/B: its label, the bound's ratio, the figures' sources and, for the
    chain's regimes, the calibrated estimate's ratio (None where a chip's generation is outside the fit)."""

    key: str
    label: str
    ratio: float
    sources: tuple[str, ...]
    estimate: float | None = None

    def reaches(self, factor: float, tolerance: float) -> bool:
        """Whether the bound's or the estimate's ratio is within ``tolerance`` of ``factor``."""
        return any(r is not None and r > 0 and abs(factor / r - 1.0) <= tolerance for r in (self.ratio, self.estimate))

    def describe(self) -> str:
        est = f", estimate {self.estimate:.3g}x" if self.estimate is not None else ""
        return f"{self.label} {self.ratio:.3g}x" + (f" (bound){est}" if self.key.startswith("chain") else "")


def _devices(a_device: Any, b_device: Any, catalog):
    from .data.specs import load_catalog

    catalog = catalog or load_catalog()
    return catalog, [d if hasattr(d, "peak") else catalog.device(str(d)) for d in (a_device, b_device)]


def inference_regimes(a_device: Any, b_device: Any, catalog=None) -> list[Regime]:
    """Per-chip ratios A/B of the physical bounds of inference, regime by regime.

    Decode (one token per step) is bound by memory bandwidth at small batches; prefill, and decode at
    large batches, by the dense peak: like-for-like (BF16, the one precision policy) and each side's
    fastest dense format (a newer chip's FP4 against an older one's FP8). A claimed speed-up that
    none of these reaches rests on system-level conditions (rack-scale interconnect, a chosen batch
    and latency point, another precision, software), which a per-chip figure cannot check.
    """
    catalog, (a, b) = _devices(a_device, b_device, catalog)
    out = []
    bw = [d.memory.bandwidth if d.memory is not None else None for d in (a, b)]
    if all(bw):
        out.append(Regime("decode-bandwidth", "decode at small batches: memory bandwidth per chip",
                          bw[0].value.m_as("byte/s") / bw[1].value.m_as("byte/s"), (bw[0].source, bw[1].source)))
    try:
        p, _ = precision_policy.choose([a, b])
        pa, pb = a.peak(p), b.peak(p)
        out.append(Regime(f"{p}.dense", f"prefill and large batches: {p.upper()} dense peak, like for like",
                          pa.value.m_as("FLOP/s") / pb.value.m_as("FLOP/s"), (pa.source, pb.source)))
    except InputError:
        pass
    fast = [_fastest_dense(d) for d in (a, b)]
    if all(fast):
        (fa, ea), (fb, eb) = fast
        out.append(Regime("fastest-dense", f"prefill and large batches: {fa.upper()} dense vs {fb.upper()} dense "
                          "(each chip's fastest format)", ea.value.m_as("FLOP/s") / eb.value.m_as("FLOP/s"),
                          (ea.source, eb.source)))
    return out


def _fastest_dense(device):
    """(format, entry) of the device's fastest dense floating-point tensor peak, or None."""
    from .data.schema import TENSOR_FLOAT_PRECISIONS

    found = [(p, device.peak(p)) for p in TENSOR_FLOAT_PRECISIONS if device.peak(p) is not None]
    return max(found, key=lambda pe: pe[1].value.m_as("FLOP/s"), default=None)


def _settings(a, b) -> list[tuple[str, str, str]]:
    """(label, A's format, B's format): the fastest format both publish, then each chip's fastest if different."""
    first = [next((p for p in FORMATS if d.peak(p) is not None), None) for d in (a, b)]
    common = next((p for p in FORMATS if a.peak(p) is not None and b.peak(p) is not None), None)
    out = [(f"{common.upper()} on both", common, common)] if common else []
    if None not in first and tuple(first) != (common, common):
        out.append((f"{first[0].upper()} vs {first[1].upper()}, each chip's fastest", first[0], first[1]))
    return out


#: Chip counts tried for a model regime, fewest first: one chip, then up to one 8-GPU server.
COUNTS = (1, 2, 4, 8)


def _count(weights: list[float], a, b) -> int | None:
    """The fewest chips of each (same number both sides, :data:`COUNTS`) on which the weights [byte] take at most
    half of the smaller memory, so that both hold a batch worth serving; the most that hold them at all otherwise;
    None where even :data:`COUNTS`' last does not."""
    memory = [d.memory.capacity.value.m_as("byte") if d.memory is not None and d.memory.capacity else 0.0 for d in (a, b)]
    roomy = [n for n in COUNTS if all(w <= 0.5 * n * m for w, m in zip(weights, memory))]
    held = [n for n in COUNTS if all(w < n * m for w, m in zip(weights, memory))]
    return roomy[0] if roomy else (held[-1] if held else None)


def model_regimes(model: str, a_device: Any, b_device: Any, *, input_tokens: float = ASSUMED_LENGTHS[0],
                  output_tokens: float = ASSUMED_LENGTHS[1], catalog=None) -> tuple[list[Regime], list[str]]:
    """The inference chain's ratios A/B for ``model`` on the same number of chips of each (:func:`_count`): one
    user (batch 1) and the largest batch each side's memory holds, in the fastest format both chips publish and
    in each chip's fastest (weights in that format, the KV cache in it or in FP8 for FP4 weights). Returns the
    regimes and, for each format in which the weights fit on neither up to 8 chips, why it is missing."""
    from .inference import GENERATIONS, estimate_inference

    catalog, (a, b) = _devices(a_device, b_device, catalog)
    arch, _ = catalog.resolve_architecture(model)
    fitted = all(d.family in GENERATIONS for d in (a, b))
    out, missing = [], []
    for label, fa, fb in _settings(a, b):
        def run(n: int):
            return [estimate_inference(model=arch.name, cluster=f"{n} {dev.name}", batch=1, input_tokens=input_tokens,
                                       output_tokens=output_tokens, weight_precision=fmt,
                                       kv_precision="fp8" if fmt == "fp4" else fmt, catalog=catalog)
                    for dev, fmt in ((a, fa), (b, fb))]

        n = _count([e.results["weights_memory"].m_as("byte") for e in run(1)], a, b)
        if n is None:
            missing.append(f"{label}: {arch.name}'s weights do not fit on {COUNTS[-1]} chips of each")
            continue
        ests = run(n)
        sources = tuple(dict.fromkeys(s for e in ests for x in e.assumptions for s in (x.source or "").split(", ")
                                      if s and x.name in ("model", "peak per device", "memory bandwidth", "memory capacity")))
        chips = "one chip each" if n == 1 else f"{n} chips each"
        for key, name, what in (("one-user", "throughput_per_user", "one user (batch 1)"),
                                ("largest-batch", "max_throughput", "the largest batch memory holds")):
            bound = [e.results[f"{name}_bound"].m_as("token/s") for e in ests]
            est = [e.results[name].m_as("token/s") for e in ests] if fitted else None
            out.append(Regime(f"chain-{key}", f"{arch.name} on {chips}, {what}, {label}:", bound[0] / bound[1], sources,
                              est[0] / est[1] if est and min(est) > 0 else None))
    return out, missing
