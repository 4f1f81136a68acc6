"""Shared helpers for the benchmarks: import path, timing, tables. No timed assertions anywhere.

Timings are wall-clock medians of repeated runs after a warm-up (``time.perf_counter``). Every
ratio a script prints is between figures measured in the same run, on the same machine.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"


def ensure_importable() -> bool:
    """Make ``import computescale`` work from a checkout (adds ``src/`` when it is not installed).

    Returns True when the package was already importable (installed or on PYTHONPATH).
    """
    if importlib.util.find_spec("computescale") is not None:
        return True
    sys.path.insert(0, str(SRC))
    return False


def subprocess_env() -> dict[str, str]:
    """Environment for child interpreters that can import the package from this checkout."""
    env = dict(os.environ)
    if importlib.util.find_spec("computescale") is None or _from_checkout():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def _from_checkout() -> bool:
    spec = importlib.util.find_spec("computescale")
    return bool(spec and spec.origin and Path(spec.origin).resolve().is_relative_to(SRC))


def median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` [s] over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def per_call_time(fn: Callable[[], Any], calls: int, batches: int = 5) -> float:
    """Median over ``batches`` of the mean time per call of ``calls`` back-to-back calls [s]."""
    fn()
    times = []
    per_batch = max(1, calls // batches)
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(per_batch):
            fn()
        times.append((time.perf_counter() - t0) / per_batch)
    return statistics.median(times)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}x"
    return f"{x:.2f}x"


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], align: str | None = None) -> str:
    """A plain-text table; ``align`` is one letter per column, 'l' or 'r' (default: first l, rest r)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or ("l" + "r" * (len(headers) - 1))

    def line(r):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def target_line(name: str, measured: str, target: str, met: bool | None) -> list[str]:
    """One row of a targets table: name, measured, target, met / MISSED / n/a (never asserted)."""
    status = "n/a" if met is None else ("met" if met else "MISSED")
    return [name, measured, target, status]


def header(title: str) -> str:
    return f"\n{'=' * len(title)}\n{title}\n{'=' * len(title)}"
