"""Every text table, JSON document and CSV row of a result: training estimates, grids, sweeps,
Monte Carlo runs and thresholds. Domain objects hold data; this module presents it. Names and
units come from the glossary (:mod:`computescale.parameters`), so the text, the JSON keys and
the CSV headers agree.
"""

from __future__ import annotations

import math

import numpy as np
import pint

from .parameters import COSTS, INPUTS, OUTPUTS
from .render import fmt, table, to_jsonable
from .csvrows import csv_blocks, csv_header, csv_rows, open_output, output_header  # noqa: F401  (sweep.py imports them from here)
from .units import BASE, Q_, format_quantity

__all__ = ["render_comparison", "render_claim", "render_estimate", "estimate_to_dict", "render_sweep", "render_summary", "sweep_to_dict",
           "csv_header", "csv_rows", "csv_blocks", "render_monte_carlo", "references", "source_ids", "render_thresholds"]

#: Outputs of a training estimate shown in its results table, in order (the costs have their own).
_RESULT_ROWS = ("compute", "time_to_train", "duration", "compute_in_duration", "implied_mfu", "devices_for_duration",
                "device_time", "facility_power", "device_energy", "energy", "emissions")
_LABELS = {"duration": "duration used for energy and cost [day]"}


def label(name: str) -> str:
    """An output's meaning with its unit, from the glossary."""
    return _LABELS.get(name) or OUTPUTS[name].description


def show(q, unit: str | None = None) -> str:
    """A quantity in a display unit; arrays as a bracketed list of short numbers."""
    if q is None:
        return "—"
    if not isinstance(q, pint.Quantity):
        return str(q)
    if unit is not None:
        q = q.to(unit)
    m = q.magnitude
    if np.ndim(m) == 0:
        return format_quantity(Q_(float(m), q.units))
    flat = np.asarray(m, dtype=float).ravel()
    cells = [format_quantity(Q_(float(v), "")) for v in flat[:8]]
    more = f", … ({flat.size} values)" if flat.size > 8 else ""
    return f"[{', '.join(cells)}{more}] {q.units:~}".replace(" ]", "]").rstrip()


def _yesno(x) -> str:
    a = np.asarray(x)
    if a.ndim == 0:
        return "yes" if bool(a) else "no"
    return f"{int(a.sum())} of {a.size} scenarios"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# ---- training estimates -------------------------------------------------------------------------------------
def _head(est) -> list[str]:
    head = [f"run: {est.run}"] if est.run else []
    head.append(f"cluster: {est.cluster or 'not given'}")
    if est.precision and est.peak_per_device is not None:
        head.append(f"peak: {est.precision.upper()} dense, {show(est.peak_per_device, 'TFLOP/s')} per device")
    if est.mfu is not None:
        head.append(f"MFU used: {show(est.mfu, '')}")
    head.append(f"compute basis: {est.compute_basis or 'not given'}")
    return head


def _result_rows(est) -> list[list[str]]:
    rows = []
    for key in _RESULT_ROWS:
        value = est.results.get(key)
        if value is None and key not in est.not_given:
            continue
        shown = show(value) if value is not None else "not given"
        if key == "devices_for_duration" and value is not None and np.ndim(value.magnitude) == 0:
            shown = f"{math.ceil(float(value.magnitude)):,} devices"
        if key == "compute" and value is not None:
            shown += f"  (= {show(value, 'PF_day')})"
        rows.append([label(key), shown, est.not_given.get(key, "") if value is None else ""])
    return rows


def _cost_rows(est) -> list[list[str]]:
    rows = []
    for key in COSTS:
        value, per = est.results.get(key), est.results.get(key + "_per_compute")
        per_text = "" if per is None else f"{show(per)} ({_per_1e24(per)} USD per 1e24 FLOP)"
        rows.append([label(key), show(value) if value is not None else "not given", per_text, est.not_given.get(key, "")])
    return rows


def _per_1e24(per) -> str:
    m = np.asarray(per.m_as("USD/FLOP"), dtype=float) * 1e24
    return f"{float(m):.4g}" if m.ndim == 0 else show(Q_(m, ""))


def _answer(est) -> list[str]:
    """The answer first: compute, time to train, devices, MFU, energy, cost (one line each)."""
    r, why = est.results, est.not_given

    def value(key, unit=None):
        q = r.get(key)
        return show(q, unit) if q is not None else f"not given ({why[key]})" if key in why else None

    compute = r.get("compute")
    rows = [("compute", compute is not None and f"{show(compute)} (= {show(compute, 'PF_day')})" or value("compute"))]
    rows.append(("time to train", value("time_to_train", "day")))
    rows.append(("devices", est.cluster or "not given"))
    implied = next((a.note.split(" (")[0] for a in est.assumptions if a.name == "mfu" and a.note.startswith("implied")),
                   None)  # where the MFU came from: "implied by compute, peak and a stated device-time"
    if implied and est.mfu is not None:
        rows.append(("MFU", f"{show(est.mfu, '')} ({implied})"))
    elif est.mfu is not None:
        also = r.get("implied_mfu")
        rows.append(("MFU", f"{show(est.mfu, '')} (used)" + (f"; {show(also)} implied by compute, cluster and duration"
                                                              if also is not None else "")))
    energy, power = r.get("energy"), r.get("facility_power")
    if energy is not None:
        rows.append(("energy", f"{show(energy)} at the facility" + (f" ({show(power)} facility power)" if power is not None else "")))
    costs = [f"{label(k).split(':')[0].lower()} {show(r[k])}" for k in COSTS if r.get(k) is not None]
    rows.append(("cost", "; ".join(costs) + " (separate answers, not summed)" if costs else "not given (see Costs below)"))
    return [f"{name + ':':<15}{text}" for name, text in rows if text]


def render_estimate(est, *, verbose: bool = False, width: int | None = None) -> str:
    """The text report of a :class:`~computescale.training.TrainingEstimate`: warnings (an implied MFU
    above 1 first), the answer, the details, then the assumptions (full notes with ``verbose``),
    every table fitted to ``width`` columns (default: the terminal's)."""
    if est.grid:
        return render_grid(est, width=width)
    from .render import terminal_width, wrap_lines

    width = width or terminal_width()
    warnings = sorted(est.warnings, key=lambda w: "exceeds 1" not in w)
    out = [f"warning: {w}" for w in warnings] + _answer(est)
    out += ["", "Details:", "\n".join(_head(est)), "", table(_result_rows(est), ["result", "value", "why not given"], width=width, wrap_first=True)]
    out += ["", "Costs (separate answers, not summed):",
            table(_cost_rows(est), ["cost", "value", "per unit of compute", "why not given"], width=width, wrap_first=True)]
    out += _threshold_lines(est.thresholds, width)
    arows = [[a.name, show(a.value) if isinstance(a.value, pint.Quantity) else a.value, a.source or "no source",
              a.note if verbose else _clip(a.note, 60)] for a in est.assumptions]
    out += ["", "Assumptions" + ("" if verbose else " (full notes with --verbose or --json)") + ":",
            table(arows, ["assumption", "value", "source", "note"], width=width)]
    return wrap_lines("\n".join(out), width)


def _threshold_lines(thresholds, width: int | None = None) -> list[str]:
    if not thresholds:
        return []
    rows = [[t.id, show(t.threshold, "FLOP"), _yesno(t.crosses) if t.crosses is not None else "—",
             show(t.time_to_reach, "day") if t.time_to_reach is not None else "—", t.status] for t in thresholds]
    return ["", "Thresholds (covered when compute is greater than the threshold):",
            table(rows, ["threshold", "compute", "crosses", "time on this cluster", "status"], width=width)]


def render_grid(est, width: int | None = None) -> str:
    """A training estimate over grid inputs: one row per grid point, then the assumptions."""
    axes = list(est.grid.items())
    shape = tuple(len(v) for _, v in axes)
    shown = [k for k in ("compute", "time_to_train", "implied_mfu", "device_time", "energy", "electricity_cost",
                         "emissions") if est.results.get(k) is not None]
    idx = np.unravel_index(np.arange(math.prod(shape)), shape)
    cols = [[f"{float(v[i]):,.0f}" if n == "count" else fmt(float(v[i])) for i in ix] for (n, v), ix in zip(axes, idx)]
    for k in shown:  # in the glossary's unit, as sweep shows it
        q = est.results[k]
        m = np.broadcast_to(q.m_as(OUTPUTS[k].unit) if OUTPUTS[k].unit else q.magnitude, shape).reshape(-1)
        cols.append([f"{x:.4g}" for x in m])
    headers = [f"{n} [{INPUTS[n].unit}]" if INPUTS[n].unit else n for n, _ in axes]
    headers += [output_header(k) for k in shown]
    est_head = _head(est)
    body = table(list(zip(*cols)), headers, "r" * len(headers))
    arows = [[a.name, show(a.value) if isinstance(a.value, pint.Quantity) else a.value, a.source or "no source"]
             for a in est.assumptions if a.name not in est.grid]
    warnings = [f"warning: {w}" for w in sorted(est.warnings, key=lambda w: "exceeds 1" not in w)]
    return "\n".join(warnings + est_head + ["", f"{math.prod(shape):,} grid points over " + " x ".join(f"{n} ({len(v)})" for n, v in axes),
                                 body, "", "Assumptions:", table(arows, ["assumption", "value", "source"], width=width)])


def estimate_to_dict(est) -> dict:
    return to_jsonable({
        "run": est.run, "cluster": est.cluster, "n_devices": est.n_devices, "precision": est.precision,
        "peak_per_device": est.peak_per_device, "mfu": est.mfu, "compute_basis": est.compute_basis,
        "grid": {k: np.asarray(v).tolist() for k, v in est.grid.items()} or None,
        "results": {k: est.results.get(k) for k in _RESULT_ROWS},
        "costs": {k: est.results.get(k) for k in COSTS},
        "cost_per_compute": {k: est.results.get(k + "_per_compute") for k in COSTS},
        "thresholds": [t.to_dict() for t in est.thresholds],
        "assumptions": [a.to_dict() for a in est.assumptions],
        "warnings": est.warnings, "not_given": est.not_given,
    })


def source_ids(assumptions, thresholds=()) -> list[str]:
    ids = []
    for a in assumptions:
        source = a.source if hasattr(a, "source") else a.get("source")
        if source:
            ids.extend(s.strip() for s in source.split(","))
    ids.extend(t.source for t in thresholds)
    return list(dict.fromkeys(ids))


def references(catalog, ids, width: int | None = None) -> str:
    from .render import wrap_lines

    lines = ["Sources:"]
    lines += [f"[{sid}] {catalog.sources[sid].cite()}" for sid in ids if sid in catalog.sources]
    return wrap_lines("\n".join(lines), width) if width else "\n".join(lines)


def render_facility_power(a, b, power_a, power_b) -> str:
    """Two clusters' facility power (the model's power stage) with the assumptions it used."""
    (qa, assumptions), (qb, _) = power_a, power_b
    factors = ", ".join(f"{x.name} {show(x.value) if isinstance(x.value, pint.Quantity) else x.value} "
                        f"[{x.source or 'no source'}]" for x in assumptions if x.name != "power")
    return (f"Facility power (count x TDP x average draw x server overhead x PUE): A {show(qa)}, B {show(qb)}"
            f"\n  at {factors}")


def render_thresholds(catalog) -> str:
    """``computescale thresholds``: every regulatory compute threshold with its status and source."""
    rows = [[t.id, show(t.compute.value, "FLOP"), t.jurisdiction, t.instrument, t.status,
             t.status_source or t.compute.source] for t in catalog.thresholds.values()]
    ids = list(dict.fromkeys(s for t in catalog.thresholds.values() for s in (t.compute.source, t.status_source) if s))
    return "\n".join([table(rows, ["threshold", "compute", "jurisdiction", "instrument", "status", "source"]),
                      "", "A run is covered when its training compute is greater than the threshold.", "",
                      references(catalog, ids)])


# ---- comparisons ------------------------------------------------------------------------------------------------
H100E_KEY = "h100e"  # computescale.compare.H100E_KEY (not imported: compare imports this module)


def _is_compute(b) -> bool:
    return b.kind in ("like-for-like", "cross")


def _fmt_side(b, side: str) -> str:
    value = b.a_value if side == "a" else b.b_value
    metrics = b.a_metrics if side == "a" else b.b_metrics
    if b.key == H100E_KEY:  # a count of H100s, not a quantity
        value = value.magnitude
        if b.missing or (np.ndim(value) == 0 and math.isnan(value)):
            return "—"
        return f"[{np.size(value)} values]" if np.ndim(value) else f"{value:,.0f} H100e ({b.detail(side)})"
    if not any(metrics) or (np.ndim(getattr(value, "magnitude", value)) == 0 and math.isnan(getattr(value, "magnitude", math.nan))):
        return "—"
    if np.ndim(value.magnitude) != 0:
        return f"[{np.size(value.magnitude)} values]"
    text = format_quantity(_compact(value))
    return f"{text} ({b.detail(side)})" if b.kind == "cross" else text


def _compact(q):
    if q.dimensionality == BASE["currency"].dimensionality:
        return q  # "2.75e+09 USD", not "2.75 GUSD"
    try:
        return q.to_compact()
    except Exception:  # pragma: no cover - to_compact on odd units
        return q




_SHORT = {
    "fastest-dense-8bit": "fastest dense format each side", "fastest-dense-any": "fastest dense format incl. FP6/FP4",
    "headline": "largest printed figures", "a-sparse-vs-b-dense": "sparse vs dense, mixed",
    "a-dense-vs-b-sparse": "dense vs sparse, mixed",
}


def _brief(verdicts) -> list[str]:
    """'FP8 dense vs BF16 dense 25.4x (fastest dense format each side)', one per distinct figure pair."""
    out, seen = [], set()
    for v in verdicts:
        b = v.basis
        pair = (b.detail("a"), b.detail("b"), round(float(b.ratio), 9))
        if pair in seen:
            continue
        seen.add(pair)
        what = _SHORT.get(b.key, "like-for-like")
        out.append(f"{pair[0]} vs {pair[1]} {b.ratio:.3g}x ({what})")
    return out


# ---- claims -----------------------------------------------------------------------------------------------------
def _claim_head(check) -> list[str]:
    c = check.comparison
    a, b = c.a, c.b
    lines = [f"Claim: {a.label} is {check.factor:g}x {b.label} (holds within ±{check.tolerance:.0%})",
             f"resolved: {'; '.join(a.resolutions + b.resolutions)}"]
    if np.ndim(check.count_ratio) == 0:
        per = check.implied_per_device_factor
        da, db = a.single_device, b.single_device
        if da is not None and db is not None:
            lines.append(f"Device counts differ {check.count_ratio:.3g}x, so the claim implies each {da.name} = {per:.3g}x one {db.name}.")
        else:
            lines.append(f"Device counts differ {check.count_ratio:.3g}x, so the claim implies {per:.3g}x per device on average.")
    return lines


def _claim_verdicts(check) -> list[str]:
    a, p = check.comparison.a, check.primary
    lines = [""]
    if p.basis.missing:
        lines.append(f"Like-for-like: missing ({p.basis.missing})")
    elif np.ndim(p.basis.ratio) == 0:
        need = ""
        if p.verdict != "holds" and a.single_device is not None and np.ndim(a.n_devices) == 0:
            need_devices = math.ceil(a.n_devices * p.needed_scale)
            need = f"; {check.factor:g}x on this basis needs {need_devices:,} × {a.single_device.name}"
        lines.append(f"Like-for-like ({p.basis.label}): {p.basis.ratio:.3g}x -> {p.describe()}{need}")
    if check.primary_note:
        lines.append(f"  note: {check.primary_note}")
    tol = f"±{check.tolerance:.0%}"
    holding = check.holding
    lines.append(f"The claim holds ({tol}) only on: " + "; ".join(_brief(holding)) if holding
                 else f"The claim holds ({tol}) on no compute basis.")
    reaching = [v for v in check.verdicts if _is_compute(v.basis) and not v.basis.missing and np.ndim(v.basis.ratio) == 0
                and v.basis.ratio >= check.factor and v.verdict != "holds"]
    if reaching:
        lines.append(f"Bases that give {check.factor:g}x or more: " + "; ".join(_brief(reaching)))
    closest = check.closest
    if closest is not None and closest.verdict != "holds":
        lines.append(f"Closest: {_brief([closest])[0]}, {closest.describe()}")
    return lines


def render_claim(check) -> str:
    """The text report of a :class:`~computescale.compare.ClaimCheck`."""
    c = check.comparison
    rows = [[v.basis.label, _fmt_side(v.basis, "a"), _fmt_side(v.basis, "b"),
             "—" if v.basis.missing else f"{v.basis.ratio:.3g}x", "missing" if v.basis.missing else v.verdict]
            for v in check.verdicts if _is_compute(v.basis)]
    lines = _claim_head(check) + _claim_verdicts(check) + [
        "", table(rows, ["compute basis", "A", "B", "A/B", f"vs {check.factor:g}x"], "lrrrl")]
    other = [f"{v.basis.label} {v.basis.ratio:.3g}x" for v in check.verdicts
             if not _is_compute(v.basis) and not v.basis.missing and np.ndim(v.basis.ratio) == 0]
    if other:
        lines.append("\nOther ratios: " + "; ".join(other))
    if c.a.catalog is not None:
        lines.append("\nSources:")
        lines += [f"  [{sid}] {c.a.catalog.sources[sid].cite()}" for sid in c.sources]
    return "\n".join(lines)


def render_comparison(comp) -> str:
    """The text report of a :class:`~computescale.compare.Comparison`: every basis, both sides, the ratio."""
    rows = []
    for b in comp.bases:
        ratio = "missing" if b.missing else (f"{b.ratio:.3g}x" if np.ndim(b.ratio) == 0 else f"[{np.size(b.ratio)} ratios]")
        rows.append([b.label, _fmt_side(b, "a"), _fmt_side(b, "b"), ratio])
    head = f"A: {comp.a.label}\nB: {comp.b.label}\nresolved: {'; '.join(comp.a.resolutions + comp.b.resolutions)}\n\n"
    return head + table(rows, ["basis", "A", "B", "A/B"], "lrrr")


# ---- sweeps ------------------------------------------------------------------------------------------------------
def _num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.4g}"


def _short(v, name: str = "") -> str:
    if name == "count":
        return f"{int(v):,}"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def plain(x):
    return x.item() if hasattr(x, "item") else x


def _spec(name: str):
    """An output's glossary record, training's or inference's."""
    from .parameters import INFERENCE_OUTPUTS

    return OUTPUTS[name] if name in OUTPUTS else INFERENCE_OUTPUTS[name]


def _tail(notes, assumptions) -> list[str]:
    out = []
    if assumptions:
        out += ["", "Assumptions (not swept):"] + [
            f"  {a.name} = {fmt(a.value)} [{a.source or 'no source'}] {_clip(a.note, 100)}" for a in assumptions]
    if notes:
        out += ["", "Notes:"] + [f"  - {n}" for n in notes]
    return out


#: Rows shown by the text rendering before it switches to ranges.
MAX_TABLE_ROWS = 200


def render_sweep(r) -> str:
    varying = [a for a in r.axes if len(a) > 1]
    fixed = [a for a in r.axes if len(a) == 1]
    head = [f"{r.size:,} scenarios over " + (" x ".join(f"{a.name} ({len(a)})" for a in varying) or "one point")]
    if fixed:
        head.append("fixed: " + ", ".join(f"{a.name} = {_short(plain(a.values[0]), a.name)}{' ' + a.unit if a.unit else ''}"
                                          for a in fixed))
    if r.size > MAX_TABLE_ROWS:
        rows = []
        for k, v in r.outputs.items():
            ok = v[~np.isnan(v)]
            rows.append([output_header(k), _num(float(ok.min())) if ok.size else "—", _num(float(ok.max())) if ok.size else "—"])
        lines = head + ["", f"(more than {MAX_TABLE_ROWS} rows: --csv FILE or --json for all of them; ranges below)",
                        table(rows, ["output", "min", "max"], "lrr")]
        return "\n".join(lines + _tail(r.notes, r.assumptions))
    idx = np.unravel_index(np.arange(r.size), r.shape)
    cols = [[_short(plain(x), a.name) for x in a.values[ix]] for a, ix in zip(r.axes, idx) if len(a) > 1]
    cols += [[_num(float(x)) for x in v.reshape(-1)] for v in r.outputs.values()]
    headers = [a.header for a in varying] + [output_header(k) for k in r.outputs]
    align = "".join("l" if a.categorical else "r" for a in varying) + "r" * len(r.outputs)
    return "\n".join(head + ["", table(list(zip(*cols)), headers, align)] + _tail(r.notes, r.assumptions))


def render_summary(s) -> str:
    qs = next((list(st["quantiles"]) for st in s.stats.values() if st.get("quantiles")), [])  # the Dask engine's
    rows = []
    for k, st in s.stats.items():
        if not st["count"]:
            rows.append([output_header(k), "—", "—", "—"] + ["—"] * len(qs) + ["all NaN"])
            continue
        where = ", ".join(f"{n}={_short(v, n)}" for n, v in st["argmin"].items() if len(s.axis(n)) > 1)
        rows.append([output_header(k), _num(st["min"]), _num(st["mean"]), _num(st["max"])]
                    + [_num(st["quantiles"][q]) for q in qs] + [f"min at {where}" if where else ""])
    head = f"{s.size:,} scenarios over " + " x ".join(f"{a.name} ({len(a)})" for a in s.axes)
    return "\n".join([head, "", table(rows, ["output", "min", "mean", "max"] + qs + [""], "lrrr" + "r" * len(qs) + "l")]
                     + _tail(s.notes, s.assumptions))


def sweep_to_dict(r) -> dict:
    def clean(a):
        a = np.asarray(a, dtype=float)
        return np.where(np.isfinite(a), a, np.nan).tolist() if a.ndim else (float(a) if np.isfinite(a) else None)

    def nan_to_none(x):
        if isinstance(x, list):
            return [nan_to_none(v) for v in x]
        return None if isinstance(x, float) and math.isnan(x) else x

    return {
        "shape": list(r.shape),
        "axes": [a.to_dict() for a in r.axes],
        "outputs": {k: {"unit": _spec(k).unit or None, "label": _spec(k).description, "values": nan_to_none(clean(v))}
                    for k, v in r.outputs.items()},
        "reference": r.reference, "notes": r.notes,
        "assumptions": to_jsonable([a.to_dict() for a in r.assumptions]),
    }


# ---- Monte Carlo ---------------------------------------------------------------------------------------------------
def _assumed(value) -> str:
    if isinstance(value, pint.Quantity) and np.ndim(value.magnitude) > 0:
        return "varies per sample"
    return show(value) if isinstance(value, pint.Quantity) else str(value)


def _mc_cell(name: str, q) -> str:
    """A percentile; a count of devices as a whole number with thousands separators."""
    if name in ("devices_for_duration", "count") and isinstance(q, pint.Quantity) and np.ndim(q.magnitude) == 0:
        return f"{math.ceil(float(q.magnitude)):,}"
    return fmt(q)


def render_monte_carlo(mc) -> str:
    keys = [f"p{p:g}" for p in mc.percentiles]
    rows = [[name] + [_mc_cell(name, iv[k]) for k in keys] for name, iv in mc.intervals.items()]
    head = [f"Monte Carlo: {mc.samples_drawn:,} samples, seed {mc.seed}"] + [f"  {k}: {v}" for k, v in mc.inputs.items()]
    out = [f"! {w}" for w in mc.warnings] + ["\n".join(head), "", table(rows, ["output"] + keys, "l" + "r" * len(keys))]
    if mc.thresholds:
        trows = [[t.id, show(t.threshold, "FLOP"), f"{t.probability:.1%}" if t.probability is not None else "—",
                  " / ".join(fmt(t.time_to_reach[k]) for k in keys) if t.time_to_reach else "—", t.status, t.source]
                 for t in mc.thresholds]
        out += ["", "Thresholds (share of samples whose compute is greater than the threshold):",
                table(trows, ["threshold", "compute", "P(crosses)", "time on this cluster " + "/".join(keys), "status",
                              "source"])]
    if mc.extra:
        out += [""] + [f"{k}: {fmt(v)}" for k, v in mc.extra.items()]
    if mc.assumptions:
        arows = [[a.name, _assumed(a.value), a.source or "no source", _clip(a.note, 90)]
                 for a in mc.assumptions if a.name not in mc.inputs]
        out += ["", "Assumptions (fixed inputs):", table(arows, ["assumption", "value", "source", "note"])]
    return "\n".join(out)
