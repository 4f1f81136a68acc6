"""The reader's judging of inference claims: stated token rates ("30,000 tokens per second on eight H100s",
"1,000 tokens/s per user on a single B200") and speed-ups between chips ("1.6x the inference performance
of the H100 on Llama 2 70B"): which regime of the inference chain makes them possible (a mixin of
:class:`computescale.text.reader._Reader`).

A speed-up is set against every regime :mod:`computescale.speedups` gives: the per-chip figures
(memory bandwidth, dense peaks) and, where a model is named, the chain on the same number of chips of
each (one user; the largest batch memory holds), its bound and its calibrated estimate. A regime whose
ratio is within the tolerance makes the claim possible there; a factor no regime gives is not judged
(software can leave one chip further below its bound than the other), only said to rest on conditions
outside the model.

Two bounds of the chain (:mod:`computescale.models.inference`), each at the most favourable settings
the device allows (a one-token context; compute at its fastest dense format):

- one user, without speculative decoding: every decode step reads the active weights once, so at most
  ``throughput_per_user_bound`` at batch 1 on all the stated devices' bandwidth, the weights at 4 bits
  (any device can read 4-bit weights: weight-only quantization);
- all users together: every token costs at least ``2 x active parameters`` FLOP, so at most the
  devices' dense peak over that, in any regime (speculative decoding verifies every token it keeps).

A model and a device count must both be stated (or a single device): otherwise the claim is listed
as not checked, with the reason. Nothing here is a second calculator: the figures come from
:func:`computescale.inference.estimate_inference` and the kernels.
"""

from __future__ import annotations

import functools
import re

from ..cluster import Cluster
from ..errors import ComputescaleError
from ..speedups import FORMATS  # the formats tried for the most favourable bound, fastest first
from ..units import Q_
from .grammar import Span
from .mentions import Sentence
from .report import TextClaim

__all__ = ["InferenceClaims", "FORMATS"]

_BOUND_INPUTS = ("model", "peak per device", "memory bandwidth", "memory capacity")  # what the two bounds read
_SINGLE = re.compile(r"\b(?:a\s+single|one|each|per)\s+$", re.I)


def _rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


@functools.lru_cache(maxsize=4)
def _model_pattern(names: tuple[str, ...]) -> re.Pattern:
    words = sorted({n for n in names if len(n) >= 4}, key=len, reverse=True)
    body = "|".join(re.escape(w).replace(r"\ ", r"[\s-]?").replace(r"\-", r"[\s-]?") for w in words)
    return re.compile(rf"(?<![\w.]){'(?:' + body + ')'}(?![\w])(?!\.\d)", re.I)  # a sentence's full stop may follow


class InferenceClaims:
    """Token rates beside a model and a cluster: the regime in which the stated rate is possible."""

    def _token_rate(self, s: Sentence, f: Span, counted: list[int]) -> None:
        claim = self._claim(s, "token-rate")
        per = {"token-rate-user": "user", "token-rate-device": "device"}.get(f.kind)
        claim.answer["stated"] = {"as_written": f.text.strip(), "value": Q_(f.value, "token/s"), "hedge": f.hedge or None,
                                  "per": per}
        claim.lines.append(f"stated: {f.text.strip()!r}, read as {_rate(f.value)} tokens/s" + (f" per {per}" if per else ""))
        arch, earlier = self._model_named(s, f)
        if earlier:
            claim.lines.append(f"model: {arch.name}, named in the sentence before (taken as the one meant)")
            claim.understood["model_from"] = "the sentence before"
        if arch is None:
            claim.unchecked.append("no model named in this sentence or the one before: tokens per second depend on the "
                                   "model's size, so there is no bound to compare with")
            return
        found = self._serving_cluster(s, f, counted, per == "device")
        if isinstance(found, str):
            claim.understood["architecture"] = arch.name
            claim.unchecked.append(found)
            return
        claim.understood.update({"architecture": arch.name, "cluster": found.label})
        try:
            self._token_bounds(claim, f, arch, found, per)
        except ComputescaleError as exc:
            claim.unchecked.append(str(exc))

    def _model_named(self, s: Sentence, f: Span):
        names = tuple(n for a in self.catalog.architectures.values() for n in (a.name, *a.aliases))
        pattern = _model_pattern(names)
        for text in (s.text, self.previous):
            found = list(pattern.finditer(text))
            if found:
                return self.catalog.architecture(found[-1].group(0)), text is not s.text
        return None, False

    def _serving_cluster(self, s: Sentence, f: Span, counted: list[int], per_device: bool):
        """The devices the rate is stated for: a counted cluster, a single device, or why none."""
        if per_device or _SINGLE.search(s.text[:max(0, min((d.start for d in s.devices), default=0) - s.start)]):
            device = self._device_named(s, f, counted)
            return Cluster.of(device, 1, catalog=self.catalog) if device else "no device named for the per-device rate"
        near = [k for k in counted if s.mentions[k].cluster is not None]
        rates = [g for g in s.figures if g.kind.startswith("token-rate")]
        if len(rates) > 1 and len({s.mentions[k].cluster.label for k in near}) > 1:
            return ("several token rates and several clusters in one sentence: which rate goes with which devices is "
                    "not read, so none is checked")
        if near:
            c = s.mentions[min(near, key=lambda k: abs(s.mentions[k].span.start - f.start))].cluster
            return c if len(c.members) == 1 else "a rate stated for a mixed cluster: no single device to bound it with"
        if s.devices:
            return (f"the number of {s.devices[0].value} devices is not stated: the bound scales with it, so the rate "
                    "cannot be checked")
        return "no device named in this sentence: no bound to compare the rate with"

    def _token_bounds(self, claim: TextClaim, f: Span, arch, c: Cluster, per: str | None) -> None:
        from .. import inference_kernels as ik
        from ..inference import estimate_inference

        device = c.members[0].device
        fmt = next((p for p in FORMATS if device.peak(p) is not None), None)
        if fmt is None:
            claim.unchecked.append(f"{device.name} publishes no dense FP4, FP8, BF16 or FP16 peak")
            return
        n = float(c.n_devices)
        est = estimate_inference(model=arch.name, cluster=c, batch=1, input_tokens=1, output_tokens=1, weight_precision=fmt,
                                 kv_precision=fmt, catalog=self.catalog)
        four_bit = est if fmt == "fp4" else estimate_inference(  # one user: 4-bit weights read, even where no FP4 peak is
            model=arch.name, cluster=c, batch=1, input_tokens=1, output_tokens=1, weight_precision="fp4", kv_precision="fp4",
            compute_precision=fmt, catalog=self.catalog)      # published (weight-only quantization)
        one_user = four_bit.throughput_per_user_bound.m_as("token/s")
        peak = device.peak(fmt)
        ceiling = n * peak.value.m_as("FLOP/s") / float(ik.prefill_flop(arch.figure("active_params"), 1.0))
        sources = [s for a in est.assumptions if a.name in _BOUND_INPUTS for s in (a.source or "").split(", ") if s]
        claim.answer.update({"bounds": {"one_user": Q_(one_user, "token/s"), "all_users": Q_(ceiling, "token/s"),
                                        "format": fmt}, "sources": list(dict.fromkeys([*sources, peak.source]))})
        claim.lines.append(f"model: {arch.name} ({arch.figure('active_params'):.3g} active parameters); devices: {c.label}; "
                           f"compute bound at {fmt.upper()}, the fastest dense format it publishes")
        claim.lines.append(f"one user, no speculative decoding: at most {_rate(one_user)} tokens/s (active weights at 4 bits "
                           f"read once per token at full memory bandwidth); all users together: at most {_rate(ceiling)} "
                           "tokens/s (2 x active parameters FLOP per token at the dense peak)")
        if n > 8:
            claim.lines.append(f"the one-user bound spreads one request over all {n:,.0f} devices: a request runs on one "
                               "replica (8 devices in a server, 72 in an NVL72 rack), so for one user it is loose")
        weights = est.results["weights_memory"]
        if per != "device" and weights.m_as("byte") > n * device.memory.capacity.value.m_as("byte"):
            claim.lines.append(f"the weights ({weights.m_as('GB'):,.4g} GB at {fmt.upper()}) exceed the stated devices' "
                               "memory: more devices, or weights kept elsewhere, are needed")
        rate, tol = f.value, self.tolerance
        if rate > ceiling * (1 + tol):
            verdict, why = "beyond-bound", (f"{rate / ceiling:.3g}x what {c.label} can compute for this model at the "
                                             f"{fmt.upper()} dense peak: not possible in any regime as stated")
        elif per == "device":
            verdict, why = "within-bounds", ("within one device's share of the compute bound (what one user sees depends "
                                             "on how many devices serve a request)")
        elif per == "user" and rate > one_user * (1 + tol):
            verdict, why = "beyond-one-user-bound", ("above one user's decode bound: possible only with speculative or "
                                                     "multi-token decoding, or on hardware other than stated")
        elif per != "user" and rate > one_user * (1 + tol):
            verdict, why = "aggregate-only", ("possible only as the total of many concurrent requests (or for one user "
                                              "with speculative decoding)")
        else:
            verdict, why = "within-bounds", ("within both bounds, even for one user at batch 1" if n <= 8 else
                                             "within both bounds, the one-user bound taken over every device (loose)")
        if verdict.startswith("beyond") and claim.understood.get("model_from"):  # no "impossible" on a guessed model
            claim.unchecked.append(f"{verdict} for {arch.name}, but that model is named only in the sentence before: "
                                   "not judged on a model the sentence itself does not name")
            return
        claim.answer["verdict"] = verdict
        claim.lines.append(f"-> {verdict}: {why}")

    def _inference_speedup(self, claim: TextClaim, s: Sentence, a, b, factor: Span) -> None:
        """A speed-up "for inference" of chip A over chip B: the regimes that give it, or why none is judged."""
        from ..speedups import ASSUMED_LENGTHS, inference_regimes, model_regimes

        (arch, earlier), regimes, missing = self._model_named(s, factor), inference_regimes(a, b, self.catalog), []
        if earlier:
            claim.lines.append(f"model: {arch.name}, named in the sentence before (taken as the one meant)")
        if arch is not None:
            claim.understood["architecture"] = arch.name
            try:
                chain, missing = model_regimes(arch.name, a, b, catalog=self.catalog)
            except ComputescaleError as exc:  # a device without the figures the chain needs
                chain, missing = [], [str(exc)]
            regimes = chain + regimes
            claim.lines.append(f"model: {arch.name}; the chain at {ASSUMED_LENGTHS[0]:,} prompt and {ASSUMED_LENGTHS[1]:,} "
                               "output tokens (assumed: the claim states no lengths)")
        claim.lines += [f"  {r.describe()}" for r in regimes] + [f"  not computed: {m}" for m in missing]
        claim.answer.update({"regimes": [{"key": r.key, "label": r.label.rstrip(":"), "bound_ratio": r.ratio,
                                          "estimate_ratio": r.estimate} for r in regimes],
                             "sources": list(dict.fromkeys(x for r in regimes for x in r.sources if x))})
        reached = [r for r in regimes if r.reaches(factor.value, self.tolerance)]
        if reached:
            claim.answer["verdict"] = "possible-in-regime"
            claim.lines.append(f"-> possible-in-regime: {factor.value:g}x is within ±{self.tolerance:.0%} of the ratio in: "
                               + "; ".join(r.label.rstrip(":") for r in reached)
                               + " (a ratio of bounds or of calibrated estimates, not a measurement)")
            return
        span = f" (their bounds give {min(r.ratio for r in regimes):.3g}-{max(r.ratio for r in regimes):.3g}x)" if regimes else ""
        where = "per chip" if arch is None else f"with {arch.name}"
        claim.unchecked.append(
            f"cannot check {where}: an inference speed-up depends on the model, batch, latency and system, and no regime "
            f"computed gives {factor.value:g}x{span}; the claim rests on what they do not model (rack-scale interconnect, "
            "a chosen batch and latency point, another precision, software, or one chip run further below its bound "
            "than the other)" + ("" if arch is not None else "; naming the model would let the inference chain check it"))
