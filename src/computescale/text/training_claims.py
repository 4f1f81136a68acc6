"""The reader's training statements: compute, duration and cluster, a stated MFU, the catalog's figure for
a named run (a mixin of :class:`computescale.text.reader._Reader`)."""

from __future__ import annotations

import re

from ..cluster import Cluster
from ..errors import ComputescaleError
from ..training import estimate_training
from ..units import Q_
from .grammar import Span
from .judge import _describe_training, _q
from .mentions import Sentence, run_cluster
from .report import TextClaim

__all__ = ["TrainingClaims"]

_MFU = re.compile(r"(?<![\w.])([0-9]{1,3}(?:\.[0-9]+)?)\s*%\s+(?:MFU|(?:model\s+FLOPs?\s+)?utili[sz]ation)\b", re.I)


def _mfu_text(lo: float, hi: float) -> str:
    return f"{lo:.0%}" if abs(hi - lo) < 5e-3 else f"{lo:.0%} to {hi:.0%}"



class TrainingClaims:
    """Training and compute statements, through :func:`computescale.estimate_training`."""

    def _training(self, s: Sentence, used: set[int], kind: str) -> None:
        claim = self._claim(s, kind)
        u = claim.understood
        free = [k for k, m in enumerate(s.mentions) if k not in used]
        m = s.mentions[free[0]] if free else None
        if m is not None:
            used.add(free[0])
            u["clusters"] = [m.to_dict()]
        elif (m := run_cluster(self.grammar, self.catalog, s)) is not None:  # "GPT-4 was trained in 95 days"
            u["clusters"] = [m.to_dict()]
            claim.answer.setdefault("sources", []).append(m.source)
            claim.lines.append(f"no cluster in the text: the catalog records {m.named} [{m.source}]")
        elif self.salient is not None and s.durations and kind == "training":
            m = self.salient
            u["clusters"] = [{**m.to_dict(), "referred_to_as": "(implicit)", "from_sentence": m.sentence + 1}]
        duration = s.durations[0] if s.durations else None
        compute = s.computes[0] if s.computes else None
        if duration is not None:
            u["duration"] = {"as_written": duration.text, "low": Q_(duration.value[0], "day"), "high": Q_(duration.value[1], "day")}
        if compute is not None and compute.note:  # a figure read but not usable: say so, never guess
            u["compute"] = {"as_written": compute.text, "value": None}
            claim.unchecked.append(compute.note)
            return
        if compute is not None:
            u["compute"] = {"as_written": compute.text, "value": Q_(compute.value, "FLOP")}
            claim.lines.append(f"stated: {compute.text.strip()!r}, read as {_q(Q_(compute.value, 'FLOP'), 3)}")
        if m is not None and m.cluster is None and m.generic and duration is not None:
            claim.unchecked.append(f"the device type of {m.span.text!r} is not stated: no compute range without it")
            self._undisclosed(s, m, claim)
            return
        if m is not None and m.cluster is None:
            claim.unchecked.append(f"{m.span.text!r}: {m.error or 'device type not stated'}")
            m = None
        self._train_answer(claim, m.cluster if m is not None else None, duration, compute)

    def _train_answer(self, claim: TextClaim, c: Cluster | None, duration: Span | None, compute: Span | None) -> None:
        if c is None and compute is None:
            claim.unchecked.append("a duration with no cluster named in this sentence or an earlier one: nothing to compute")
            return
        days = [None] if duration is None else list(dict.fromkeys(duration.value))
        flop = None if compute is None else Q_(compute.value, "FLOP")
        precision = (self._peak(c) or self.precision).split(".")[0] if c is not None else self.precision
        ests, mfu = [], _MFU.search(claim.quote)
        mfu = float(mfu.group(1)) / 100 if mfu and 0 < float(mfu.group(1)) <= 100 else None  # "at 40% utilisation"
        if mfu is not None:
            claim.understood["mfu_stated"] = mfu
        both = flop is not None and duration is not None  # then the MFU is implied, and a stated one is compared with it
        for d in days:
            try:
                ests.append(estimate_training(compute=flop, cluster=c, duration=None if d is None else Q_(d, "day"),
                                              precision=precision, mfu=None if both else mfu, catalog=self.catalog))
            except ComputescaleError as exc:
                claim.unchecked.append(str(exc))
                return
        _describe_training(claim, ests, c, flop)
        if both and mfu is not None and ests[0].implied_mfu is not None:
            self._mfu_verdict(claim, mfu, ests)
        self._catalog_figure(claim, flop)

    def _mfu_verdict(self, claim: TextClaim, mfu: float, ests: list) -> None:
        """A stated MFU beside the one the stated compute, cluster and duration imply."""
        implied = sorted(float(e.implied_mfu.m) for e in ests)
        lo, hi = implied[0], implied[-1]
        holds = lo * (1 - self.tolerance) <= mfu <= hi * (1 + self.tolerance)
        verdict = "holds" if holds else ("overstated" if mfu > hi else "understated")
        claim.answer.update({"verdict": verdict, "stated": {"as_written": f"{mfu:.0%} MFU", "value": mfu},
                             "computed": {"value": [lo, hi], "basis": "MFU implied by the stated compute, cluster and duration"}})
        claim.lines.append(f"stated MFU {mfu:.0%} vs implied {_mfu_text(lo, hi)} -> {verdict}")

    def _catalog_figure(self, claim: TextClaim, flop) -> None:
        """A stated compute for a known run, beside the catalog's sourced figure for it."""
        model = claim.understood.get("model")
        run = self.catalog.runs.get(model["run"]) if model else None
        if flop is None or run is None or run.training_compute is None:
            return
        entry = run.training_compute
        ratio = float(flop.m_as("FLOP") / entry.value.m_as("FLOP"))
        claim.answer["catalog_compute"] = {"run": run.name, "value": entry.value, "source": entry.source, "stated_over_catalog": ratio}
        claim.answer.setdefault("sources", []).append(entry.source)
        claim.lines.append(f"the catalog's figure for {run.name}: {_q(entry.value, 3)} [{entry.source}]; the text's figure is {ratio:.3f}x that")


