"""Read an article and check every compute-scale statement in it: ``check_text(text) -> TextReport``.

>>> from computescale import check_text
>>> report = check_text("The new facility houses 50,000 H200 accelerators. Its operator says it is "
...                     "roughly eight times the 16,000 A100s the lab used last year.")
>>> [c.kind for c in report.claims]
['cluster', 'comparison']
>>> report.claims[1].answer["verdict"]
'understated'

A reader in front of the rest of the package, not a second calculator: the grammar
(:mod:`computescale.text.grammar`, :mod:`computescale.text.mentions`) finds the spans; the catalog resolves names; :func:`check_claim`
gives verdicts; :func:`estimate_training` gives compute and thresholds; :class:`Cluster` gives
peaks and TDP. Deterministic and offline.
"""

from __future__ import annotations

import math
import re

from ..cluster import Cluster, metric_label
from ..compare import DEFAULT_TOLERANCE, check_claim
from ..errors import ComputescaleError, InputError
from ..data.specs import Catalog, load_catalog
from ..training import normalize_precision
from ..units import Q_
from . import grammar as g
from .judge import _basis, _distinct, _facility_power, _peak_metric, _POWER_LABELS, _q, require_peak
from .mentions import (Mention, Sentence, article_year, carry_device, combine, devices_meant, grammar_for, named_nearby, read_sentence,
                       run_cluster, unusable, whole)
from .grammar import Span
from .report import TextClaim, TextReport
from .inference_claims import InferenceClaims
from .stated import StatedFigures
from .training_claims import TrainingClaims

__all__ = ["check_text", "MAX_SIZE_MB"]

#: The largest article read by default [MB]: at about 4 s per MB, a minute or two (``--max-size`` raises it).
MAX_SIZE_MB = 20


# ---- the reader --------------------------------------------------------------------------------------------
def check_text(text: str, *, tolerance: float = DEFAULT_TOLERANCE, precision: str | None = None, year: int | None = None,
               catalog: Catalog | None = None, max_size_mb: float = MAX_SIZE_MB) -> TextReport:
    """Find and check every compute-scale statement in ``text``.

    Parameters
    ----------
    text : str
        An article, a press release, a post: any size, any Unicode.
    tolerance : float
        A comparison holds when ``|claimed / actual - 1| <= tolerance`` (as in :func:`check_claim`).
    precision : str, optional
        The like-for-like precision of comparison verdicts and of peak compute (dense), any case ("BF16").
        Default bf16, with FP16 for a device that publishes no BF16 peak; a precision given explicitly that
        a device lacks is an :class:`InputError`, as in ``train`` (never another precision's figure).
    year : int, optional
        The article's year, for accelerators of undisclosed type (those launched by then). Default:
        the latest year the text mentions.
    max_size_mb : float
        The largest text read [MB, millions of characters]; larger is an :class:`InputError` naming the
        limit (reading is linear: about 4 s per MB on a 2-core machine).

    Returns
    -------
    TextReport
        One :class:`TextClaim` per statement, in order; empty when the text holds none.
    """
    if not isinstance(text, str):
        raise InputError(f"check_text reads text (a str), got {type(text).__name__}")
    if not (isinstance(max_size_mb, (int, float)) and max_size_mb > 0):
        raise InputError(f"max_size_mb must be a number of megabytes > 0, got {max_size_mb!r}")
    if len(text) > max_size_mb * 1e6:
        raise InputError(f"the text is {len(text) / 1e6:.1f} MB, over check-text's limit of {max_size_mb:g} MB; "
                         f"raise it with --max-size {math.ceil(len(text) / 1e6)} (check_text(..., max_size_mb=...))")
    strict = precision is not None
    precision = normalize_precision(precision) if strict else "bf16"
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < float("inf")):
        raise InputError(f"tolerance must be a number >= 0 (e.g. 0.1 for ±10%), got {tolerance!r}")
    catalog = catalog or load_catalog()
    year, year_note = article_year(text, year)
    text = _HEADER.sub(lambda m: " " * len(m.group(0)), text)  # "# source: ..." lines: blanked, offsets kept
    reader = _Reader(text, catalog, grammar_for(catalog), tolerance, precision, year)
    reader.strict = strict
    reader.year_note = year_note
    for index, (start, end) in enumerate(g.sentences(text)):
        reader.sentence(index, start, end)
    return TextReport(reader.claims, year, year_note, catalog)


#: A header line naming where the text comes from; it dates the article but is not part of its prose.
_HEADER = re.compile(r"^[ \t]*#[ \t]*source[ \t]*:[^\n]*", re.I | re.M)
_CONTRAST = re.compile(r"\b(?:unlike|rather\s+than|instead\s+of|not\s+to\s+be\s+confused\s+with|as\s+opposed\s+to)\s+(?:the\s+)?$", re.I)
_SHIPMENT = re.compile(r"\b(?:shipped|shipping|shipments?|ships|sold|sales|order\s+book|backlog)\b", re.I)
_SITE = re.compile(r"\b(?:cluster|supercomputer|supercluster|data\s?cent(?:er|re)|facility|site|campus|hall|installation)s?\b", re.I)
_CORRECTION = re.compile(r"^\W*(?:correction|clarification|update|editor['’]s\s+note)\b", re.I)


def _aside(s: Sentence, m: Mention) -> bool:
    """A known cluster named in a contrast or a correction note, with no count of its own: not a claim about it."""
    return bool(_CORRECTION.match(s.text) or _CONTRAST.search(s.text, 0, m.span.start - s.start))


class _CountOnly:
    """A grown size given as a count of unnamed devices ("to 200,000 GPUs"): compared in devices only."""

    def __init__(self, text: str, count: float):
        self.text, self.count = text, count

    def group(self, _=0) -> str:
        return self.text


class _Reader(StatedFigures, TrainingClaims, InferenceClaims):
    """Walks the sentences in order, keeping the last cluster mentioned for pronouns to refer to."""

    def __init__(self, text, catalog, grammar, tolerance, precision, year):
        self.text, self.catalog, self.grammar = text, catalog, grammar
        self.tolerance, self.precision, self.year, self.year_note = tolerance, precision, year, "the year given"
        self.claims: list[TextClaim] = []
        self.salient: Mention | None = None  # the cluster a pronoun in a later sentence refers to
        self.previous = ""
        self.strict = False  # a precision the user asked for: no FP16 stand-in
        self.last_device: tuple[str, int] | None = None  # the last device named, and in which sentence
        self.reported: set[str] = set()  # known clusters already reported

    def sentence(self, index: int, start: int, end: int) -> None:
        s = read_sentence(self.text, index, start, end, self.grammar, self.catalog)
        hours = [m for m in s.mentions if m.per == "hours"]  # device-time, never a cluster
        s.mentions = [self._carry(s, m) for m in s.mentions if m.per != "hours"]
        used: set[int] = set()
        as_b: set[int] = set()
        made: dict[int, TextClaim] = {}
        self.subject = None  # the A of this sentence's first comparison: "X is 2x Y and 3x Z"
        for factor in s.factors:
            self._comparison(s, factor, used, as_b)
        if s.computes or (s.training and s.durations):
            self._training(s, used, "training" if s.training else "compute")
        for k, m in enumerate(s.mentions):
            if k not in used:
                made[k] = self._cluster(s, m)
        for m in hours:
            self._gpu_hours(s, m)
        if s.figures:
            self._figures(s, {k: c for k, c in made.items() if c is not None})
        standing = [m for k, m in enumerate(s.mentions) if k not in as_b and m.cluster is not None]
        if standing:
            self.salient = standing[-1]
        named = [d.value for d in s.devices] + [m.query for m in s.mentions if m.query and m.cluster is not None]
        if named:
            self.last_device = (named[-1], s.index)
        self.previous = s.text

    def _carry(self, s: Sentence, m: Mention) -> Mention:
        """A count of unnamed devices takes the device this sentence, or one of the two before, names."""
        if m.cluster is not None or not m.generic or m.known:
            return m
        if s.devices:
            return carry_device(m, s.devices[0].value, "this sentence", self.catalog)
        if self.last_device is not None and self.last_device[1] >= s.index - 2:
            return carry_device(m, self.last_device[0], f"sentence {self.last_device[1] + 1}", self.catalog)
        return m

    def _peak(self, c: Cluster) -> str | None:
        return require_peak(c, self.precision) if self.strict else _peak_metric(c, self.precision)

    # -- claims --------------------------------------------------------------------------------------------
    def _claim(self, s: Sentence, kind: str) -> TextClaim:
        claim = TextClaim(s.text, s.start, s.end, kind)
        claim.understood.update(named_nearby(self.grammar, self.catalog, s.text, self.previous))
        named = [f"model {claim.understood['model']['as_written']!r} -> {claim.understood['model']['run']}"] if "model" in claim.understood else []
        named += [f"organisation {claim.understood['organisation']}"] if "organisation" in claim.understood else []
        if named:
            claim.lines.append("named nearby: " + "; ".join(named))
        self.claims.append(claim)
        return claim

    def _referent(self, s: Sentence, upto: int) -> tuple[Mention | None, str]:
        """The cluster an earlier sentence named, and the pronoun or noun phrase that refers to it."""
        subjects = list(g.SUBJECT.finditer(self.text, s.start, upto))
        phrase = subjects[-1].group(0) if subjects else ""
        if self.salient is None or self.salient.sentence >= s.index:
            return None, phrase
        return self.salient, phrase or "(implicit subject)"

    def _comparison(self, s: Sentence, factor: Span, used: set[int], as_b: set[int]) -> None:
        before = [k for k, m in enumerate(s.mentions) if m.span.end <= factor.start and k not in used]
        after = [k for k, m in enumerate(s.mentions) if m.span.start >= factor.end and k not in used]
        growth = g.GROWTH.match(self.text, factor.end, s.end)
        if growth and factor.kind == "factor":  # "it will double in size to 200,000 H100s": new = factor x old
            return self._growth(s, factor, growth.end(), before, after, used)
        if not after and len(before) >= 2 and g.COMPARED.search(self.text, s.start, s.mentions[before[-2]].span.start):
            before, after = before[-1:], before[-2:-1]  # "Compared with B, A is N times ..."
        if not after and self._chip_comparison(s, factor):
            return  # "the B200 is 2.5 times faster than the H100": one chip of each
        if not after and (run := run_cluster(self.grammar, self.catalog, s, factor.end - s.start)) is not None:
            s.mentions.append(run)  # "three times the compute of GPT-4": the run's recorded cluster
            after = [len(s.mentions) - 1]
        if not after:
            return  # a factor with nothing to compare against ("revenue grew 3x") is not a compute claim
        tail = self.text[s.mentions[after[-1]].span.end:s.end]
        b_keys = after if len(after) > 1 and re.search(r"\b(?:combined|together|in\s+total|put\s+together)\b", tail, re.I) else after[:1]
        claim = self._claim(s, "comparison")
        u = claim.understood
        u.update({"factor": factor.value, "factor_as_written": factor.text})
        if before or self.subject is not None:
            a, a_keys = (s.mentions[before[-1]], [before[-1]]) if before else (self.subject, [])
            u["a"] = a.to_dict()
        else:
            a, phrase = self._referent(s, factor.start)
            a_keys = []
            u["a"] = None if a is None else {**a.to_dict(), "referred_to_as": phrase, "from_sentence": a.sentence + 1}
        b, self.subject = [s.mentions[k] for k in b_keys], self.subject or a
        u["b"] = [m.to_dict() for m in b]
        used.update(a_keys + b_keys)
        as_b.update(b_keys)
        problems = (unusable([a], "A") if a is not None else
                    ["the comparison has no subject: no cluster before it in this sentence or in an earlier one"]) + unusable(b, "B")
        if problems:
            claim.unchecked.extend(problems)
            return
        self._verdict(claim, a, b, factor)

    def _growth(self, s: Sentence, factor: Span, at: int, before: list[int], after: list[int], used: set[int]) -> None:
        inner = [k for k in after if s.mentions[k].span.end <= at]  # "double Colossus's capacity to 200,000": the old
        before, after = (before + inner, [k for k in after if k not in inner]) if inner else (before, after)
        new = after[0] if after and s.mentions[after[0]].span.start == at else None
        size = None if new is not None else g.lazy(g.NUM_AT).match(self.text, at, s.end)  # "to 200k (50k H200s)"
        if new is not None and s.mentions[new].cluster is None and s.mentions[new].generic:  # "to 200,000 GPUs": a count only
            used.add(new)
            size, new = _CountOnly(s.mentions[new].span.text, s.mentions[new].count), None
        if new is None and (size is None or (not before and self.salient is None)):
            return
        claim = self._claim(s, "comparison")
        u = claim.understood
        u.update({"factor": factor.value, "factor_as_written": factor.text, "growth": True})
        old, phrase = (s.mentions[before[-1]], "") if before else self._referent(s, factor.start)
        u["b"] = [] if old is None else [{**old.to_dict(), **({"referred_to_as": phrase, "from_sentence": old.sentence + 1} if phrase else {})}]
        if old is not None and old.cluster is not None:
            claim.lines.append(f"grows from: {old.cluster.label}" + (f"  ({phrase!r} refers to \"{old.span.text}\", sentence {old.sentence + 1})" if phrase else ""))
        if new is None:
            used.update(before[-1:])
            count = size.count if isinstance(size, _CountOnly) else g.parse_number(size.group(0).split("(")[0])
            if old is not None and old.cluster is not None and count:
                ratio = count / float(old.cluster.n_devices)
                verdict = "holds" if abs(factor.value / ratio - 1) <= self.tolerance else ("overstated" if factor.value > ratio else "understated")
                claim.answer.update({"device_count_ratio": ratio, "verdict": verdict, "verdict_basis": "device count",
                                     "computed": {"ratio": ratio, "basis": "device count"}})
                claim.lines.append(f"in devices: {old.cluster.n_devices:,.0f} -> {count:,.0f} = {ratio:.3g}x (claimed {factor.value:g}x) "
                                   f"-> {verdict} on device count")
            claim.unchecked.append(f"compute: the new size {size.group(0)!r} does not name the type of every device, so the grown "
                                   "cluster's compute cannot be compared with the old one's")
            return
        used.update([new] + before[-1:])
        u["a"] = s.mentions[new].to_dict()
        problems = unusable([s.mentions[new]], "new") + (unusable([old], "old") if old else ["no cluster to grow from"])
        if problems:
            claim.unchecked.extend(problems)
            return
        self._verdict(claim, s.mentions[new], [old], factor)

    def _verdict(self, claim: TextClaim, a: Mention, b: list[Mention], factor: Span) -> None:
        b_cluster = combine(b, self.catalog)
        try:
            check = check_claim(a.cluster, b_cluster, factor.value, tolerance=self.tolerance, precision=self.precision,
                                catalog=self.catalog)
        except ComputescaleError as exc:
            claim.unchecked.append(str(exc))
            return
        p = check.primary
        compute = [v for v in check.verdicts if v.basis.kind in ("like-for-like", "cross") and not v.basis.missing]
        reaching = [v for v in compute if v.basis.ratio >= factor.value and v.verdict != "holds"]
        claim.answer.update({
            "factor": factor.value, "verdict": p.verdict,
            "like_for_like": {"basis": p.basis.key, "label": p.basis.label, "ratio": None if p.basis.missing else p.basis.ratio,
                              "deviation": None if p.basis.missing else p.deviation, "missing": p.basis.missing or None},
            "note": check.primary_note or None,
            "holds_on": [_basis(v) for v in check.holding], "reach_factor_on": [_basis(v) for v in reaching],
            "count_ratio": check.count_ratio, "implied_per_device_factor": check.implied_per_device_factor,
            "sources": list(dict.fromkeys(x for v in (p, *check.holding) for x in v.basis.sources)),
        })
        lines, u = claim.lines, claim.understood
        for side, m, label, said in (("A", a, a.cluster.label, u["a"]), ("B", b[0], b_cluster.label, u["b"][0])):
            ref = said.get("referred_to_as")
            lines.append(f"{side}: {label}" + (f"  ({ref!r} refers to \"{m.span.text}\", sentence {m.sentence + 1})" if ref else "")
                         + (f"  ({m.named}, as the catalog records it [{m.source}])" if m.source else ""))
        lines.append("resolved: " + "; ".join(a.cluster.resolutions + b_cluster.resolutions))
        written = re.sub(r"\s+the$", "", factor.text.strip())
        lines.append(f"claimed: A is {factor.value:g}x B ({written!r})")
        if p.basis.missing:
            lines.append(f"like-for-like: missing ({p.basis.missing})")
        else:
            lines.append(f"like-for-like ({p.basis.label}): {p.basis.ratio:.3g}x -> {p.describe()}")
        if check.primary_note:
            lines.append(f"note: {check.primary_note}")
        holding = "; ".join(_distinct(sorted(check.holding, key=lambda v: v.basis.key != p.basis.key))) or "no compute basis"
        lines.append(f"holds (±{self.tolerance:.0%}) on: {holding}")
        if reaching and p.verdict == "overstated":
            shown = _distinct(sorted(reaching, key=lambda v: v.basis.ratio))
            lines.append(f"bases that give {factor.value:g}x or more: " + "; ".join(shown[:4]) + ("; ..." if len(shown) > 4 else ""))

    def _cluster(self, s: Sentence, m: Mention) -> TextClaim | None:
        if m.cluster is None and m.generic:
            self._undisclosed(s, m)
            return None
        if _SHIPMENT.search(s.text) and not _SITE.search(s.text):
            return None  # "Nvidia shipped 500,000 H100s": a vendor's sales or order book, not a cluster (a lab's own order is)
        if m.known and _aside(s, m):
            return None  # "Unlike Colossus, ...", "Correction: ... Colossus ...": named, not claimed
        if m.known and m.cluster is not None:  # a known cluster named again adds nothing to its first report
            if m.cluster.known in self.reported:
                return None
            self.reported.add(m.cluster.known)
        claim = self._claim(s, "cluster")
        claim.understood["clusters"] = [m.to_dict()]
        if m.cluster is None:
            claim.unchecked.append(f"{m.span.text!r}: {m.error}")
            return claim
        c = m.cluster
        named = (f", which the text calls {m.named!r}" if m.named else "") + (f" ({m.span.hedge})" if "range" in m.span.hedge else "")
        named += f" (device type: {m.carried})" if m.carried else ""
        claim.lines.append(f"read {m.span.text!r}{named} as {c.label}  (resolved: {'; '.join(c.resolutions)})")
        metric = self._peak(c)
        if metric is None:
            claim.unchecked.append(f"peak compute: {c.label} has no dense {self.precision.upper()} or FP16 figure")
        else:
            peak = c.total(metric).to("EFLOP/s")
            claim.answer["peak_compute"] = {"value": peak, "basis": metric, "sources": c.sources(metric)}
            claim.answer.setdefault("sources", []).extend(c.sources(metric))
            claim.lines.append(f"peak compute: {_q(peak)} ({metric_label(metric)})")
        if m.per == "equivalents":
            claim.lines.append("facility power: not given: H100-equivalents measure compute, not physical devices")
            return claim
        power, assumptions, why = _facility_power(c, self.catalog)
        if power is None:
            claim.unchecked.append(f"facility power: {why}")
            return claim
        claim.answer["facility_power"] = {"value": power, "assumptions": [x.to_dict() for x in assumptions]}
        claim.answer.setdefault("sources", []).extend(x.source for x in assumptions if x.source)
        factors = " x ".join(f"{_POWER_LABELS.get(x.name, x.name)} {_q(x.value)}" + ("" if x.source else " (no sourced default: full TDP)")
                             for x in assumptions)
        claim.lines.append(f"facility power: {_q(power)} = count x {factors}")
        return claim

    def _undisclosed(self, s: Sentence, m: Mention, claim: TextClaim | None = None) -> None:
        """A count of accelerators whose type the text does not give: the range across plausible types."""
        claim = claim or self._claim(s, "undisclosed-devices")
        claim.understood.setdefault("clusters", [m.to_dict()])
        try:
            count = whole(m.count)
        except InputError as exc:
            claim.unchecked.append(str(exc))
            return
        devices, kinds = devices_meant(self.catalog, m.generic, self.year)
        family = [d for d in devices if d.family and re.search(rf"\b{re.escape(d.family.split()[0])}\b", m.span.text, re.I)]
        if family:  # "8,000 Hopper GPUs": the family's devices only
            devices, kinds = family, f"{family[0].family.split()[0]} devices"
        rows = []
        for d in devices:
            c = Cluster.of(d, count, catalog=self.catalog)
            metric = _peak_metric(c, self.precision, fallback=not self.strict)
            if metric is not None:
                rows.append((c.total_magnitude(metric), d, metric, c.sources(metric)))
        if not rows:
            claim.unchecked.append(f"no accelerator in the catalog fits {m.generic!r} launched by {self.year}")
            return
        rows.sort(key=lambda r: r[0])
        (lo, d_lo, m_lo, s_lo), (hi, d_hi, _, s_hi) = rows[0], rows[-1]
        when = f"launched by {self.year} ({self.year_note})" if self.year is not None else "(no date in the text: all of them)"
        claim.answer.update({
            "peak_compute_range": {"low": Q_(lo, "FLOP/s").to("EFLOP/s"), "low_device": d_lo.name,
                                   "high": Q_(hi, "FLOP/s").to("EFLOP/s"), "high_device": d_hi.name},
            "devices_considered": [r[1].name for r in rows], "article_year": self.year, "sources": [*s_lo, *s_hi],
        })
        claim.lines.append(
            f"{count:,.0f} {m.generic} of undisclosed type: the text does not say which, so the peak compute could be anything "
            f"from {_q(Q_(lo, 'FLOP/s').to('EFLOP/s'))} (all {d_lo.name}, {metric_label(m_lo)}) to "
            f"{_q(Q_(hi, 'FLOP/s').to('EFLOP/s'))} (all {d_hi.name}), a {hi / lo:.3g}x spread across the {len(rows)} data-centre "
            f"{kinds} in the catalog {when}.")
        if claim.kind == "undisclosed-devices":
            claim.unchecked.append(f"the device type of {m.span.text!r} is not stated, so no single figure can be checked")
