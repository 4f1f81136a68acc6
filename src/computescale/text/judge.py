"""Judging what a sentence says through the public API: training estimates, peaks, facility power, bases."""

from __future__ import annotations

from ..cluster import Cluster
from ..errors import ComputescaleError, InputError
from ..data.specs import Catalog
from ..units import format_quantity
from .report import TextClaim

def _describe_training(claim: TextClaim, ests: list, c: Cluster | None, flop) -> None:
    """The compute (or time, or MFU) the statement implies, and the regulatory thresholds it crosses."""
    lo, hi = ests[0], ests[-1]
    a, lines = claim.answer, claim.lines
    if c is not None:
        lines.append(f"cluster: {c.label}  (resolved: {'; '.join(c.resolutions)})")
    for x in lo.assumptions:
        if x.name in ("mfu", "peak per device") and x.source:
            a.setdefault("sources", []).extend(s.strip() for s in x.source.split(","))
    if flop is None:  # cluster and duration: the compute reachable at the default MFU
        a["compute"] = {"low": lo.compute, "high": hi.compute}
        mfu = lo.assumption("mfu")
        which = "stated MFU" if "mfu_stated" in claim.understood else f"default MFU [{mfu.source}]"
        a["mfu"] = {"value": lo.mfu, "source": mfu.source, "note": mfu.note or None}
        span = _q(lo.compute, 3) if lo is hi else f"{_q(lo.compute, 3)} to {_q(hi.compute, 3)}"
        lines.append(f"implies {span} at {float(lo.mfu.m):.0%} MFU ({lo.precision.upper()} dense peak; "
                     f"{which}), i.e. count x peak x MFU x duration")
    elif lo.implied_mfu is not None:
        a["implied_mfu"] = {"low": lo.implied_mfu, "high": hi.implied_mfu}
        lines.append(f"{_q(flop, 3)} in that time implies an MFU of {_mfu_span(hi.implied_mfu, lo.implied_mfu)} "
                     f"({lo.precision.upper()} dense peak)" + ("; above 100%: the figures are inconsistent" if float(lo.implied_mfu.m) > 1 else ""))
    elif lo.time_to_train is not None:
        a["time_to_train"] = lo.time_to_train
        lines.append(f"{_q(flop, 3)} takes {_q(lo.time_to_train, 3)} on this cluster at {float(lo.mfu.m):.0%} MFU ({'stated' if 'mfu_stated' in claim.understood else 'default'})")
    crossed = []
    for t_lo, t_hi in zip(lo.thresholds, hi.thresholds):
        if t_lo.crosses is None:
            continue
        both, either = bool(t_lo.crosses) and bool(t_hi.crosses), bool(t_lo.crosses) or bool(t_hi.crosses)
        crossed.append({"id": t_lo.id, "name": t_lo.name, "threshold": t_lo.threshold, "status": t_lo.status,
                        "crosses": both, "crosses_at_upper_end_only": either and not both, "source": t_lo.source})
        a.setdefault("sources", []).append(t_lo.source)
    a["thresholds"] = crossed  # "crosses" a bool, as in train's JSON
    over = [f"{_threshold_label(t)} ({_q(t['threshold'], 2)}, {'yes' if t['crosses'] else 'at the upper end only'})"
            for t in crossed if t["crosses"] or t["crosses_at_upper_end_only"]]
    lines.append("thresholds crossed: " + ("; ".join(over) if over else "none"))


def _threshold_label(t: dict) -> str:
    label = t["name"].split(":")[0]
    if "biological" in t["id"]:
        label += ", biological-sequence models only"
    status = next((w for w in ("revoked", "vetoed") if w in t["status"]), "")
    return f"{label}, {status}" if status else label


def _mfu_span(lo_q, hi_q) -> str:
    return f"{float(lo_q.m):.0%}" if abs(float(hi_q.m) - float(lo_q.m)) < 5e-3 else f"{float(lo_q.m):.0%} to {float(hi_q.m):.0%}"


_POWER_LABELS = {"power": "TDP", "power_fraction": "average draw", "server_overhead": "server overhead", "pue": "PUE"}


def _facility_power(c: Cluster, catalog: Catalog | None):
    """The training model's facility power (:func:`computescale.training.facility_power`), or why not."""
    from ..training import facility_power

    if not c.has("power"):
        return None, [], f"no TDP figure for {', '.join(m.device.name for m in c.members if m.device.power.tdp is None)}"
    power, assumptions = facility_power(c, catalog=catalog or c.catalog)
    return power, assumptions, ""


def _peak_metric(c: Cluster, precision: str, fallback: bool = True) -> str | None:
    """The dense peak metric to use: ``precision``'s, else (only for the default precision) FP16's."""
    for metric in (f"{precision}.dense", "fp16.dense") if fallback else (f"{precision}.dense",):
        try:
            if c.has(metric):
                return metric
        except ComputescaleError:
            continue
    return None


def _basis(v) -> dict:
    b = v.basis
    return {"basis": b.key, "label": b.label, "a_figure": b.detail("a"), "b_figure": b.detail("b"), "ratio": b.ratio}


def _distinct(verdicts) -> list[str]:
    """One line per distinct ratio (the same ratio on ten precisions is one finding)."""
    seen: dict[str, str] = {}
    for v in verdicts:
        seen.setdefault(f"{v.basis.ratio:.3g}", f"{v.basis.detail('a')} vs {v.basis.detail('b')} {v.basis.ratio:.3g}x")
    return list(seen.values())


_q = format_quantity  # a quantity in a line of text: '98.94 EFLOP/s'


def require_peak(c: Cluster, precision: str) -> str:
    """The dense peak metric at a precision the user asked for, or :class:`InputError` (as ``train`` refuses)."""
    metric = _peak_metric(c, precision, fallback=False)
    if metric is None:
        missing = next(m.device for m in c.members if not Cluster.of(m.device, 1, catalog=c.catalog).has(f"{precision}.dense"))
        have = [p for p in missing.precisions() if missing.peak(p) is not None]
        raise InputError(f"precision: {missing.name} has no published {precision.upper()} dense peak; choose one it has "
                         f"({', '.join(have)}), or leave --precision out")
    return metric
