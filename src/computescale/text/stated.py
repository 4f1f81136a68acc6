"""The reader's judging of stated figures: aggregate compute and power beside a cluster, a chip's peak,
a chip-to-chip speed-up, GPU-hours (a mixin of :class:`computescale.text.reader._Reader`)."""

from __future__ import annotations

import re

from ..cluster import Cluster
from ..compare import check_claim
from ..errors import ComputescaleError
from ..units import Q_
from .figures import describe, judge_figure, power_bases, rate_bases
from .grammar import Span
from .judge import _distinct, _q
from .mentions import Mention, Sentence
from .report import TextClaim

__all__ = ["StatedFigures"]

_PER_CHIP = re.compile(r"\b(?:each|per\s+(?:GPU|chip|accelerator|device|card)|a\s+single|one\s+(?:GPU|chip))\b", re.I)
_INFERENCE = re.compile(r"\binferenc", re.I)
_NEXT_CLAUSE = re.compile(r"[;,]\s*(?:while|whereas|but|and|although)\b|;", re.I)
_COST = re.compile(r"\b(?:costs?|cheaper|pric(?:e|es|ed|ier)|per\s+dollar|dollars?|expensive|TCO)\b|\$", re.I)
_UNITS = {"FLOP/s": "EFLOP/s", "W": "MW"}


def _fmt(value: float, unit: str) -> str:
    q = Q_(value, unit)
    big = {"FLOP/s": "EFLOP/s" if value >= 1e17 else "TFLOP/s", "W": "MW" if value >= 1e6 else ("kW" if value >= 1e3 else "W")}[unit]
    return _q(q.to(big), 4)


class StatedFigures:
    """Stated figures compared with what computescale computes, each with a verdict and the bases it holds on."""

    def _figures(self, s: Sentence, made: dict[int, TextClaim]) -> None:
        counted = [k for k, m in enumerate(s.mentions) if m.cluster is not None and m.per != "hours"]
        for f in s.figures:
            if f.kind.startswith("token-rate"):
                self._token_rate(s, f, counted)
                continue
            if f.kind == "power-per-device" or (f.kind == "rate" and s.devices and (not counted or _PER_CHIP.search(s.text))):
                self._per_chip(s, f, counted)
                continue
            k = self._nearest(s, f, counted)
            m = s.mentions[k] if k is not None else self._pronoun_target(s, f)
            if m is None:
                generic = next((x for x in s.mentions if x.cluster is None), None)
                if generic is None:
                    continue  # a figure with no cluster to belong to ("the site's grid link is 300 MW") is not checked
                claim = self._claim(s, "stated-" + ("compute" if f.kind == "rate" else "power"))
                self._stated_fields(claim, f)
                if f.kind == "power" and generic.count:  # "10 GW equals 5 million GPUs": the per-device figure it implies
                    lo, hi = f.value if isinstance(f.value, tuple) else (f.value, f.value)
                    per = " to ".join(dict.fromkeys(_fmt(v / generic.count, "W") for v in (lo, hi)))
                    claim.lines.append(f"implies {per} per device at the facility for {generic.count:,.0f} devices")
                claim.unchecked.append(f"the device type of {generic.span.text!r} is not stated, so no single figure to compare with"
                                       if generic is not None else "no cluster named in this sentence or just before it to compare with")
                continue
            claim = made.get(k) if k is not None else None
            if claim is None:
                claim = self._claim(s, "stated-" + ("compute" if f.kind == "rate" else "power"))
                claim.understood["clusters"] = [m.to_dict()]
                claim.lines.append(f"cluster: {m.cluster.label}")
            self._judge_aggregate(claim, f, m)

    def _nearest(self, s: Sentence, f: Span, counted: list[int]) -> int | None:
        before = [k for k in counted if s.mentions[k].span.end <= f.start]
        return before[-1] if before else (counted[0] if counted else None)

    def _pronoun_target(self, s: Sentence, f: Span) -> Mention | None:
        """ "It will draw 150 MW": the cluster the previous sentences named, when a pronoun or noun phrase points to it."""
        if s.mentions or self.salient is None or self.salient.sentence < s.index - 2:
            return None
        from .grammar import SUBJECT
        return self.salient if SUBJECT.search(self.text, s.start, f.start) else None

    @staticmethod
    def _stated_fields(claim: TextClaim, f: Span) -> None:
        unit = "FLOP/s" if f.kind == "rate" else "W"
        value = f.value if not isinstance(f.value, tuple) else list(f.value)
        claim.answer["stated"] = {"as_written": f.text.strip(), "value": [Q_(v, unit) for v in value] if isinstance(value, list) else Q_(value, unit),
                                  "hedge": f.hedge or None}
        shown = (" to ".join(_fmt(v, unit) for v in value)) if isinstance(value, list) else _fmt(value, unit)
        claim.lines.append(f"stated: {f.text.strip()!r}, read as {shown}")

    def _judge_aggregate(self, claim: TextClaim, f: Span, m: Mention) -> None:
        self._stated_fields(claim, f)
        c = m.cluster
        if f.kind == "rate":
            bases, unit, primary = rate_bases(c), "FLOP/s", (self._peak(c) or "bf16.dense")
        elif m.per == "equivalents":
            claim.unchecked.append(f"power: {m.span.text!r} counts H100-equivalents, a compute measure: no power figure applies")
            return
        else:
            alone = re.search(r"\b(?:GPUs|chips|accelerators|devices)\s+alone\b|\bIT\s+(?:load|power)\b", claim.quote, re.I)
            bases, unit, primary = power_bases(c, self.catalog), "W", ("it" if alone and "IT" in alone.group(0) else "devices" if alone else "facility")
        if not bases:
            claim.unchecked.append(f"{c.label} has no published figure to compare the stated {'compute' if unit == 'FLOP/s' else 'power'} with")
            return
        self._record(claim, judge_figure(f.value, bases, primary, self.tolerance), unit)

    def _record(self, claim: TextClaim, j: dict, unit: str) -> None:
        claim.answer.update({"verdict": j["verdict"], "computed": {"value": Q_(j["computed"], unit), "basis": j["label"]},
                             "stated_over_computed": j["stated_over_computed"],
                             "holds_on": [{"basis": h["basis"], "label": h["label"], "value": Q_(h["computed"], unit)} for h in j["holds_on"]]})
        claim.answer.setdefault("sources", []).extend(j["sources"])
        claim.lines.append(describe(j, unit, _fmt))

    def _per_chip(self, s: Sentence, f: Span, counted: list[int]) -> None:
        """ "each H100 delivering up to 2,000 teraflops", "1.4 kW per GPU": one device's figure."""
        device = self._device_named(s, f, counted)
        claim = self._claim(s, "chip-peak" if f.kind == "rate" else "chip-power")
        self._stated_fields(claim, f)
        if device is None:
            claim.unchecked.append("no device named in this sentence or the one before: nothing to compare one chip's figure with")
            return
        one = Cluster.of(device, 1, catalog=self.catalog)
        claim.understood["device"] = one.members[0].device.name
        claim.lines.append(f"device: {one.members[0].device.name}  (resolved: {'; '.join(one.resolutions)})")
        if f.kind == "rate":
            bases, unit, primary = rate_bases(one), "FLOP/s", (self._peak(one) or "bf16.dense")
        else:
            bases, unit, primary = power_bases(one, self.catalog), "W", "facility"
        if not bases:
            claim.unchecked.append(f"{one.members[0].device.name} has no published figure to compare with")
            return
        self._record(claim, judge_figure(f.value, bases, primary, self.tolerance), unit)

    def _device_named(self, s: Sentence, f: Span, counted: list[int]) -> str | None:
        before = [d for d in s.devices if d.end <= f.start]
        if before or s.devices:
            return (before[-1] if before else s.devices[0]).value
        if counted:
            dev = s.mentions[counted[-1]].cluster.single_device
            return dev.name if dev is not None else None
        dev = self.salient.cluster.single_device if self.salient is not None and self.salient.sentence >= s.index - 1 else None
        return dev.name if dev is not None else None

    def _chip_comparison(self, s: Sentence, factor: Span) -> bool:
        """ "The B200 is 2.5 times faster than the H100": one chip of each, on every peak basis. False if not one."""
        after = [d for d in s.devices if d.start >= factor.end]
        before = [d for d in s.devices if d.end <= factor.start]
        if not after:
            return False
        a_name = before[-1].value if before else None
        if a_name is None and self.salient is not None and self.salient.cluster is not None and self.salient.sentence >= s.index - 1:
            dev = self.salient.cluster.single_device
            a_name = dev.name if dev is not None else None
        claim = self._claim(s, "chip-comparison")
        claim.understood.update({"factor": factor.value, "factor_as_written": factor.text, "a": a_name, "b": after[0].value})
        if a_name is None:
            claim.unchecked.append("the speed-up has no subject: no device before it in this sentence or the one before")
            return True
        try:
            a, b = Cluster.of(a_name, 1, catalog=self.catalog), Cluster.of(after[0].value, 1, catalog=self.catalog)
            check = check_claim(a, b, factor.value, tolerance=self.tolerance, precision=self.precision, catalog=self.catalog)
        except ComputescaleError as exc:
            claim.unchecked.append(str(exc))
            return True
        ends = [f.start for f in s.factors if f.start > factor.start]
        starts = [f.end for f in s.factors if f.end <= factor.start]
        clause = self.text[factor.start:min([*ends, s.end])]  # "... and the GB200 gives 30x for inference": its own clause
        clause = _NEXT_CLAUSE.split(clause, maxsplit=1)[0]  # "3x faster for training, while inference is ...": not this one's
        lead = self.text[max([*starts, s.start]):factor.start]  # "The MI300X's inference throughput is 1.6 times"
        if _COST.search(lead + clause):
            claim.unchecked.append("a comparison of cost or price, not of performance: not checked here")
            return True
        self._chip_verdict(claim, s, lead + clause, a, b, factor, check)
        return True

    def _chip_verdict(self, claim: TextClaim, s: Sentence, clause: str, a: Cluster, b: Cluster, factor: Span, check) -> None:
        p = check.primary
        holding = [v for v in check.holding if v.basis.kind in ("like-for-like", "cross")]
        claim.lines.append(f"A: one {a.members[0].device.name}; B: one {b.members[0].device.name}")
        claim.lines.append(f"claimed: A is {factor.value:g}x B ({factor.text.strip()!r})")
        if _INFERENCE.search(clause):
            self._inference_speedup(claim, s, a.members[0].device, b.members[0].device, factor)
            return
        claim.answer.update({"verdict": p.verdict, "factor": factor.value,
                             "computed": {"ratio": None if p.basis.missing else p.basis.ratio, "basis": p.basis.label},
                             "holds_on": [{"basis": v.basis.key, "label": v.basis.label, "ratio": v.basis.ratio} for v in holding],
                             "sources": list(dict.fromkeys(x for v in (p, *holding) for x in v.basis.sources))})
        if p.basis.missing:
            claim.lines.append(f"like-for-like: missing ({p.basis.missing})")
        else:
            claim.lines.append(f"like-for-like ({p.basis.label}): {p.basis.ratio:.3g}x -> {p.describe()}")
        shown = _distinct(sorted(holding, key=lambda v: v.basis.key != p.basis.key))
        claim.lines.append(f"holds (±{self.tolerance:.0%}) on: " + ("; ".join(shown[:4]) if shown else "no peak basis"))

    def _gpu_hours(self, s: Sentence, m: Mention) -> None:
        """ "2.788 million H800 GPU hours": device-time, never a cluster; the compute it gives at the default MFU."""
        claim = self._claim(s, "gpu-hours")
        claim.understood["gpu_hours"] = {"as_written": m.span.text, "value": Q_(m.count, "hour"), "device": m.query}
        claim.answer["stated"] = {"as_written": m.span.text, "value": Q_(m.count, "hour")}
        claim.lines.append(f"stated: {m.count:,.0f} device-hours ({m.span.text!r}), not a count of devices")
        if m.cluster is None:
            claim.unchecked.append(f"the device type of {m.span.text!r} is not stated: no compute without it")
            return
        one = Cluster.of(m.cluster.members[0].device, 1, catalog=self.catalog)
        hours = Span(m.span.start, m.span.end, m.span.text, "duration", (m.count / 24, m.count / 24))
        self._train_answer(claim, one, hours, None)
