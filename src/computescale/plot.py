"""Plots of sweeps and claim checks. matplotlib is an optional extra: ``pip install 'computescale[plot]'``.

>>> from computescale.engines.sweep import sweep
>>> from computescale.plot import plot_sweep
>>> plot_sweep(sweep(device="H100,B200", count="1k:200k:40:log", compute=1e26, mfu=0.4), "days.png")

matplotlib is imported inside each function (never at package import), with the non-interactive
Agg backend when writing a file, so the CLI starts as fast without it.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path


import numpy as np

from .errors import InputError

__all__ = ["plot_sweep", "plot_claim", "SOURCE_NOTE"]

SOURCE_NOTE = "computescale; peaks from vendor datasheets (computescale specs show NAME for sources)"
_MAX_LINES = 12


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        matplotlib = None
    if matplotlib is None:
        raise InputError("plotting needs matplotlib, an optional extra: pip install 'computescale[plot]'")
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> str:
    """Write ``fig`` to ``path``; on any error close it first (pyplot keeps every open figure)."""
    path = Path(path)
    try:
        if path.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise InputError(f"plot file {str(path)!r}: use a .png, .svg or .pdf name")
        from .output import write_atomically

        write_atomically(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=150, bbox_inches="tight"),
                         what="plot file")
    except InputError:
        _pyplot().close(fig)
        raise
    return str(path)


def plot_sweep(result, path=None, *, output: str = "time_to_train", x: str = "count", title: str | None = None):
    """Plot one sweep output against one axis, one line per device (and per other varying axis).

    Parameters
    ----------
    result : SweepResult
        From :func:`computescale.engines.sweep.sweep`.
    path : str or Path, optional
        Write the figure there (.png, .svg or .pdf) and return the path; otherwise return the Figure.
    output : str
        The output on the y axis (default ``time_to_train`` [day]).
    x : str
        The axis on the x axis (default ``count``).
    """
    from .parameters import OUTPUTS

    plt = _pyplot()
    xa = result.axis(x)
    if xa.categorical:
        raise InputError(f"plot: the x axis must be numeric, not {xa.name!r}")
    if len(xa) < 2:
        raise InputError(f"plot: {xa.name} has one value, so there is no line to draw; give {xa.name} several values "
                         f"(e.g. --{xa.name} 10k:200k:20), or drop --plot and read the table")
    y = result.quantity(output)
    unit = OUTPUTS[output].unit
    name = OUTPUTS[output].description.split(' [')[0].replace(' at the MFU used', '')
    name = name[0].lower() + name[1:]
    others = [a for a in result.axes if a is not xa and len(a) > 1]
    combos = math.prod(len(a) for a in others)
    if combos > _MAX_LINES:
        raise InputError(f"plot: {combos} lines (one per {' x '.join(a.name for a in others)}) is too many to read; "
                         f"fix some axes to one value (at most {_MAX_LINES} lines)")
    data = np.moveaxis(np.asarray(y.magnitude), result.axes.index(xa), -1)
    fig, ax = plt.subplots(figsize=(10 if others else 7.5, 4.8), layout="constrained")  # room for the legend outside
    xs = xa.values.astype(float)
    _draw_lines(ax, result, xa, others, data, xs, combos)
    _log_scales(ax, xs, np.asarray(y.magnitude, dtype=float))
    xlabel = "cluster size [devices]" if xa.name == "count" else xa.header
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{name} [{unit}]" if unit else name)
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
    if title is None:
        fixed = [a for a in result.axes if len(a) == 1]
        bits = [f"{_fmt_axis_value(a)}" for a in fixed]
        title = f"{name.capitalize()} vs {xlabel.split(' [')[0]}" + (f" ({', '.join(bits)})" if bits else "")
    ax.set_title(title, fontsize=11)
    if others:  # outside the axes, so it never covers the data
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.text(0.99, -0.01, SOURCE_NOTE, ha="right", va="top", fontsize=7, color="0.4")
    if path is None:
        return fig
    out = _save(fig, path)
    plt.close(fig)
    return out


_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _draw_lines(ax, result, xa, others, data, xs, combos) -> None:
    """One line per combination; lines with the same values are drawn once, labelled with every name
    ("H100 = H200 (within 1%)": closer than a plot resolves), and each line has its own dash and marker,
    so none is hidden."""
    groups: list[tuple[np.ndarray, list[str]]] = []
    for flat in range(combos):
        sel, label = _line(result, xa, others, np.unravel_index(flat, tuple(len(a) for a in others)) if others else ())
        ys = np.asarray(data[tuple(sel)], dtype=float)
        same = next((g for g in groups if np.allclose(g[0], ys, rtol=0.01, atol=0, equal_nan=True)), None)
        if same is None:
            groups.append((ys, [", ".join(label)]))
        else:
            same[1].append(", ".join(label))
    every = max(1, len(xs) // 12)
    for k, (ys, labels) in enumerate(groups):
        text = textwrap.fill(" = ".join(labels) + (" (within 1%)" if len(labels) > 1 else ""), 40)
        ax.plot(xs, ys, linestyle=_STYLES[k % len(_STYLES)], marker=_MARKERS[k % len(_MARKERS)], markevery=every,
                markersize=4, linewidth=1.6, label=text or None)


def _line(result, xa, others, idx) -> tuple[list[int], list[str]]:
    """The index of one line into the output (x axis moved last) and its legend label."""
    sel, label = [], []
    it = iter(idx)
    for a in result.axes:
        if a is xa:
            continue
        if len(a) == 1:
            sel.append(0)
            continue
        j = next(it)
        sel.append(j)
        v = a.values[j]
        label.append(str(v) if a.categorical else f"{a.name} {v:g}{' ' + a.unit if a.unit else ''}")
    return sel, label


def _log_scales(ax, xs, yv) -> None:
    """Log axes where values are positive and span 20x or more."""
    positive = np.all(xs > 0) and np.nanmin(yv) > 0
    if positive and xs.max() / xs.min() >= 20:
        ax.set_xscale("log")
    yv = yv[np.isfinite(yv)]
    if yv.size and yv.min() > 0 and yv.max() / yv.min() >= 20:
        ax.set_yscale("log")


def _fmt_axis_value(a) -> str:
    v = a.values[0]
    if a.categorical:
        return str(v)
    if a.name == "compute":
        return f"{v:.3g} FLOP"
    if a.name == "mfu":
        return f"MFU {v:.0%}"
    if a.name == "count":
        return f"{int(v):,} devices"
    return f"{a.name} {v:g}{' ' + a.unit if a.unit else ''}"


def plot_claim(check, path=None, *, title: str | None = None):
    """Horizontal bars of the ratio A/B on every compute basis, the claimed factor as a vertical line.

    Bars inside the tolerance band (shaded) hold; missing bases are listed, not drawn.
    """
    plt = _pyplot()
    if np.ndim(check.primary.basis.ratio) != 0:
        raise InputError("plot_claim: the claim has arrays of counts; plot one scenario at a time")
    verdicts = [v for v in check.verdicts if v.basis.kind in ("like-for-like", "cross")]
    shown = [v for v in verdicts if not v.basis.missing]
    missing = [v.basis.label for v in verdicts if v.basis.missing]
    if not shown:
        raise InputError("plot_claim: no compute basis has figures on both sides")
    labels = [v.basis.label + ("" if v.basis.kind == "like-for-like" else f"  [{v.basis.detail('a')} vs {v.basis.detail('b')}]")
              for v in shown]
    ratios = np.array([float(v.basis.ratio) for v in shown])
    colors = {"holds": "#2a9d8f", "overstated": "#e76f51", "understated": "#457b9d"}
    fig, ax = plt.subplots(figsize=(11, 0.34 * len(shown) + 1.6), layout="constrained")
    ypos = np.arange(len(shown))[::-1]
    ax.barh(ypos, ratios, color=[colors.get(str(v.verdict), "0.6") for v in shown], height=0.65)
    f, tol = check.factor, check.tolerance
    ax.axvspan(f / (1 + tol), f / (1 - tol) if tol < 1 else ratios.max() * 2, color="0.85", zorder=0,
               label=f"claim holds (±{tol:.0%})")
    ax.axvline(f, color="black", linestyle="--", linewidth=1.3, label=f"claimed {f:g}x")
    for y, r in zip(ypos, ratios):
        ax.text(r * 1.01, y, f"{r:.3g}x", va="center", fontsize=8,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.set_yticks(ypos, labels, fontsize=8)
    if ratios.max() / max(ratios.min(), 1e-12) > 30:
        ax.set_xscale("log")
    ax.set_xlim(right=max(ratios.max(), f) * 1.2)
    ax.margins(y=0.02)
    ax.set_xlabel("ratio A/B [dimensionless]")
    c = check.comparison
    ax.set_title(title or f"Claim: {c.a.label} = {f:g}x {c.b.label}\nratio A/B per basis (green: holds, red: overstated, blue: understated)",
                 fontsize=10, loc="left")
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=colors[k], label=k) for k in ("holds", "overstated", "understated")]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    note = SOURCE_NOTE + (f"\nmissing (not drawn): {'; '.join(missing)}" if missing else "")
    fig.text(0.99, -0.01, note, ha="right", va="top", fontsize=7, color="0.4")
    if path is None:
        return fig
    out = _save(fig, path)
    plt.close(fig)
    return out


def plot_inference_curve(est, batches, path=None, *, title: str | None = None):
    """Tokens/s of the batch against tokens/s per user, one point per batch: the throughput-interactivity
    curve, calibrated estimate (with its 10-90% band) and physical bound. ``est`` is an inference
    estimate over a batch axis (``estimate_inference(batch=[1, 8, 64, 256], ...)``)."""
    plt = _pyplot()
    b = np.asarray(batches, dtype=float).ravel()
    if b.size < 2:
        raise InputError("plot: the curve needs several batch values (e.g. --batch 1,8,64,256)")
    per_user, total = (np.asarray(est.results[k].m_as("token/s"), dtype=float).ravel() for k in ("throughput_per_user", "throughput"))
    per_user_b, total_b = (np.asarray(est.results[k].m_as("token/s"), dtype=float).ravel()
                           for k in ("throughput_per_user_bound", "throughput_bound"))
    if per_user.size != b.size:
        raise InputError("plot: vary only the batch to draw the curve (one value of every other input)")
    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    ax.plot(per_user_b, total_b, "--", marker="s", color="0.45", label="physical bound")
    ax.plot(per_user, total, "-", marker="o", color="#264653", label="calibrated estimate")
    if est.band is not None:
        lo, hi = est.band
        ax.fill_between(per_user, total * lo, total * hi, color="#2a9d8f", alpha=0.2, label="10-90% band")
    for x, y, n in zip(per_user, total, b):
        ax.annotate(f"batch {n:g}", (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tokens/s per user [token/s]")
    ax.set_ylabel("tokens/s, whole batch [token/s]")
    ax.set_title(title or f"{est.model} on {est.cluster}\nthroughput against interactivity", fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path) if path is not None else fig
