"""Figures an article states, read and judged: aggregate or per-chip compute rates, power, GPU-hours.

>>> [(f.kind, f.value) for f in find_figures("It delivers 9.89 exaFLOPs and draws 150MW.", 0)]
[('rate', 9.89e+18), ('power', 150000000.0)]

A stated figure is compared with what computescale computes on every basis it can (each precision,
dense and sparse; facility, IT and devices-only power), as ``claim`` judges a factor: the verdict is on
the like-for-like basis, and the bases on which the figure holds are listed beside it.
"""

from __future__ import annotations

import math
import re

from ..cluster import Cluster, metric_label
from .grammar import HEDGE, NUM, SCI, Span, lazy, parse_number, sci_value

__all__ = ["find_figures", "rate_bases", "power_bases", "judge_figure", "RATE_AS_TOTAL"]

_PREFIX = {"t": 1e12, "tera": 1e12, "p": 1e15, "peta": 1e15, "e": 1e18, "exa": 1e18, "z": 1e21, "zetta": 1e21}
_RATE = (
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?P<num>{SCI}|{NUM})\s*(?P<pre>tera|peta|exa|zetta|(?-i:[TPEZ]))[\s-]?"
    rf"(?:flop(?:s|/s)?)(?:\s*/\s*s(?![\w])|\s+per\s+second)?(?![\w/])",
    re.I,
)
_OPS = (  # "18 billion billion operations per second", "1.2 quintillion calculations a second"
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?P<num>{NUM})\s*(?P<mult>billion\s+billion|quintillion|trillion)?\s+"
    rf"(?:operations|calculations|FLOPs?|floating[\s-]point\s+operations)\s+(?:per|a|each)\s+second(?![\w])",
    re.I,
)
_MULT = {"billion billion": 1e18, "quintillion": 1e18, "trillion": 1e12}
_POWER = (
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?P<num>{NUM})(?:\s*(?:to|-|–)\s*(?P<hi>{NUM}))?\s*"
    rf"(?P<unit>GW|MW|kW|gigawatts?|megawatts?|kilowatts?)(?![\w])(?P<per>\s+(?:per|each|for\s+each|a)\s+(?:GPU|chip|accelerator|device))?",
    re.I,
)
#: A token rate: "30,000 tokens per second", "1,000 tok/s per user", "about 12k output tokens/s per GPU".
_TOKENS = (
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?P<num>{NUM})\s*(?:output\s+)?(?:tokens?|tok)\s*(?:/\s*s(?:ec)?|per\s+second|"
    rf"(?:a|each|every)\s+second)(?![\w/])(?:\s*(?P<per>(?:per|for\s+(?:each|a\s+single|one|a))\s+(?:(?P<user>user|request|"
    rf"stream|query|person)|(?P<device>GPU|chip|accelerator|device|card)))(?![\w]))?",
    re.I,
)
_PER_USER_BEFORE = re.compile(r"\bper[\s-]user\b|\bfor\s+(?:a\s+single|one|each)\s+user\b|\bsingle[\s-]user\b", re.I)
_WATTS = {"gw": 1e9, "gigawatt": 1e9, "mw": 1e6, "megawatt": 1e6, "kw": 1e3, "kilowatt": 1e3}
#: A stated "rate" at or above this [FLOP/s] is read as an amount of compute: "21.5 million exaFLOPs" is
#: 2.15e25 FLOP; no cluster reaches 1e22 FLOP/s (10,000 EFLOP/s), so the reading is never ambiguous.
RATE_AS_TOTAL = 1e22


_HINT = re.compile(r"flop|watt|W(?![\w])|operations|calculations|tok", re.I)


def find_figures(sentence: str, offset: int) -> list[Span]:
    """Stated compute rates [FLOP/s] (kind 'rate'), totals [FLOP] ('total'), power [W] ('power') and token
    rates [token/s] ('token-rate', 'token-rate-user' per user or request, 'token-rate-device' per device)."""
    out = []
    if not _HINT.search(sentence):  # every pattern needs one of these words: skip the full scans
        return out
    for m in lazy(_RATE).finditer(sentence):
        value = sci_value(m.group("num"))
        if value is None or not math.isfinite(value) or value <= 0:
            continue
        value *= _PREFIX[m.group("pre").lower()]
        kind = "total" if value >= RATE_AS_TOTAL else "rate"
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), kind, value, (m.group("hedge") or "").lower()))
    for m in lazy(_OPS).finditer(sentence):
        value = sci_value(m.group("num"))
        if value is None or not math.isfinite(value) or value <= 0:
            continue
        value *= _MULT.get(re.sub(r"\s+", " ", (m.group("mult") or "").lower()), 1.0)
        if value >= 1e12:  # "10,000 operations per second" is not a compute claim
            out.append(Span(offset + m.start(), offset + m.end(), m.group(0), "rate", value, (m.group("hedge") or "").lower()))
    for m in lazy(_POWER).finditer(sentence):
        lo = sci_value(m.group("num"))
        hi = sci_value(m.group("hi")) if m.group("hi") else lo
        if lo is None or hi is None or not (0 < lo <= hi) or not math.isfinite(hi):
            continue
        watts = _WATTS[m.group("unit").lower().rstrip("s")]
        kind = "power-per-device" if m.group("per") else "power"
        value = lo * watts if lo == hi else (lo * watts, hi * watts)
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), kind, value, (m.group("hedge") or "").lower()))
    out += _token_rates(sentence, offset)
    return sorted(out, key=lambda s: s.start)


def _token_rates(sentence: str, offset: int) -> list[Span]:
    out = []
    for m in lazy(_TOKENS).finditer(sentence):
        value = parse_number(m.group("num"))
        if value is None or not math.isfinite(value) or value <= 0:
            continue
        user = m.group("user") or _PER_USER_BEFORE.search(sentence, max(0, m.start() - 40), m.start())
        kind = "token-rate-user" if user else "token-rate-device" if m.group("device") else "token-rate"
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), kind, value, (m.group("hedge") or "").lower()))
    return out


def rate_bases(c: Cluster) -> list[dict]:
    """The cluster's peak on every precision it publishes, dense then sparse [FLOP/s]."""
    out = []
    for metric in c.metrics():
        if metric.endswith((".dense", ".sparse")):
            out.append({"basis": metric, "label": metric_label(metric), "value": float(c.total_magnitude(metric)),
                        "sources": c.sources(metric)})
    return out


def power_bases(c: Cluster, catalog) -> list[dict]:
    """Facility power (the training model's defaults), IT power (no PUE) and the devices' TDP alone [W]."""
    from ..training import facility_power

    if not c.has("power"):
        return []
    out = []
    for key, label, kwargs in (("facility", "facility (TDP x draw x server overhead x PUE)", {}),
                               ("it", "IT load (no PUE)", {"pue": 1}),
                               ("devices", "devices' TDP alone", {"pue": 1, "server_overhead": 1, "power_fraction": 1})):
        power, assumptions = facility_power(c, catalog=catalog, **kwargs)
        out.append({"basis": key, "label": label, "value": float(power.m_as("W")),
                    "sources": [x.source for x in assumptions if x.source]})
    return out


def judge_figure(stated: float | tuple, bases: list[dict], primary: str, tolerance: float) -> dict:
    """Stated vs computed: the verdict on the ``primary`` basis and every basis on which the figure holds."""
    lo, hi = stated if isinstance(stated, tuple) else (stated, stated)
    main = next((b for b in bases if b["basis"] == primary), bases[0])

    def verdict(b):
        ratio_lo, ratio_hi = lo / b["value"], hi / b["value"]
        if ratio_lo <= 1 + tolerance and ratio_hi >= 1 - tolerance:
            return "holds", ratio_hi
        return ("overstated", ratio_lo) if ratio_lo > 1 + tolerance else ("understated", ratio_hi)

    v, ratio = verdict(main)
    holds = [b for b in bases if verdict(b)[0] == "holds"]
    return {"verdict": v, "basis": main["basis"], "label": main["label"], "computed": main["value"],
            "stated_over_computed": ratio, "holds_on": [{"basis": b["basis"], "label": b["label"], "computed": b["value"]} for b in holds],
            "sources": list(dict.fromkeys(s for b in (main, *holds) for s in b["sources"]))}


def describe(j: dict, unit: str, fmt) -> str:
    """One line: the verdict on the like-for-like basis and the bases on which the stated figure holds."""
    dev = j["stated_over_computed"] - 1
    how = "holds" if j["verdict"] == "holds" else f"{j['verdict']}: the stated figure is {abs(dev):.0%} {'above' if dev > 0 else 'below'} it"
    holds = "; ".join(f"{h['label']} ({fmt(h['computed'], unit)})" for h in j["holds_on"]) or "no basis"
    return f"computed ({j['label']}): {fmt(j['computed'], unit)} -> {how}; holds on: {holds}"
