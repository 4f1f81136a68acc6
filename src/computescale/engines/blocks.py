"""One block of a sweep as plain arrays: per-axis index arrays in, display-unit outputs out.

:class:`GridModel` is what a :class:`computescale.engines.sweep.Sweep` evaluates, whoever runs it: the
NumPy path calls it chunk by chunk (``Sweep.chunks``), the Dask engine (:mod:`computescale.engines.dask_engine`)
calls it once per block on a worker. It holds only NumPy arrays, floats and strings (axis values in
base units, the per-device peak / power / reference tables, the fixed inputs the Resolver found,
one unit factor per output), so it pickles into another process without pint or the catalog.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from ..models.assumptions import Assumption
from ..parameters import canonical

__all__ = ["GridModel", "evaluate_block", "c_order_runs", "run_size"]

def run_size() -> int:
    """Scenarios evaluated at once inside a Dask block [scenarios]: temporaries stay under glibc's mmap
    threshold, above which every temporary is page-faulted afresh.

    Dask workers pin that threshold at 128 KiB (``MALLOC_TRIM_THRESHOLD_`` in
    ``distributed.nanny.pre-spawn-environ`` turns off its dynamic growth): runs of 2**14 float64
    there; 2**16 where it is free to grow or set higher (``MALLOC_MMAP_THRESHOLD_``). Measured on 2
    cores, a 2e7-scenario summary: under the pinned threshold, 2**18 runs 1.5 s and 2**14 runs 0.5 s;
    without it, 2**16 runs 0.2 s and 2**14 runs 0.35 s (Python overhead per run).
    """
    pinned = os.environ.get("MALLOC_MMAP_THRESHOLD_") or (os.environ.get("MALLOC_TRIM_THRESHOLD_") and 1 << 17)
    return 1 << 16 if not pinned else max(1 << 10, min(1 << 16, int(pinned) // 8))


@dataclass(frozen=True)
class GridModel:
    """A model's chain on index arrays (one per axis, each broadcastable to the block's shape).

    ``names[i]`` is the glossary name of axis ``i``; ``bases[i]`` its values in base units (None for
    the categorical device and precision axes, which index ``tables``: per-device inputs such as
    ``peak_per_device[device, precision]`` and ``power[device, precision]``). ``fixed`` holds the
    inputs that are not axes [base units]; ``factors`` the base -> display factor of each output.
    """

    chain: Any  # models.pipeline.Chain
    names: tuple[str, ...]
    bases: tuple[np.ndarray | None, ...]
    fixed: dict[str, Any]
    tables: dict[str, np.ndarray]
    outputs: tuple[str, ...]
    factors: dict[str, float]

    def __call__(self, idx: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs in display units for one block (arrays broadcastable to the block's shape)."""
        return {k: v * self.factors[k] if self.factors[k] != 1.0 else v for k, v in self.base(idx).items()}

    def base(self, idx: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs in the model's base units for one block (a caller may fold the unit factor into a copy)."""
        x: dict[str, Any] = dict(self.fixed)
        dev = prec = 0
        for name, base, ix in zip(self.names, self.bases, idx):
            if name == "device":
                dev = ix
            elif name == "precision":
                prec = ix
            else:
                x[name] = base[ix]
        for name, table in self.tables.items():
            x[name] = table[dev, prec]
        with np.errstate(over="ignore", divide="ignore"):  # an overflow shows as inf, said in the sweep's notes
            out = self.chain.evaluate(x, self.outputs)
        return {k: out[k] for k in self.outputs}


def c_order_runs(shape: tuple[int, ...], size: int) -> Iterator[tuple[int, int, tuple[int, ...], list[np.ndarray]]]:
    """Contiguous C-order runs of at most ``size`` scenarios of a grid of ``shape``: (start, stop, run
    shape, one index array per axis).

    The trailing axes that fit in a run stay broadcast (each index array reshaped to its own
    dimension); the leading ones are unravelled into per-row indices.
    """
    nd = len(shape)
    split, inner = nd, 1
    while split > 0 and inner * shape[split - 1] <= size:
        split -= 1
        inner *= shape[split]
    outer_shape = shape[:split]
    n_outer = math.prod(outer_shape)
    rows = max(1, size // inner)
    inner_idx = []
    for i in range(split, nd):
        s = [1] * (nd - split + 1)
        s[i - split + 1] = shape[i]
        inner_idx.append(np.arange(shape[i]).reshape(s))
    for r0 in range(0, n_outer, rows):
        r1 = min(n_outer, r0 + rows)
        k = r1 - r0
        tail = (1,) * (nd - split)
        outer_idx = [ix.reshape((k,) + tail) for ix in np.unravel_index(np.arange(r0, r1), outer_shape)] if split else []
        yield r0 * inner, r1 * inner, (k,) + shape[split:], outer_idx + inner_idx


def evaluate_block(model: GridModel, *index: np.ndarray) -> np.ndarray:
    """One dense block: ``index[i]`` are the 1-D indices of axis ``i`` in the block; returns an array of
    shape ``(len(model.outputs), len(index[0]), len(index[1]), ...)`` [display units].

    The block is evaluated in C-order runs of :func:`run_size` scenarios, as the NumPy path does;
    each run broadcasts its own slices of the 1-D indices, so the grid is never built outside it.
    """
    shape = tuple(len(ix) for ix in index)
    block = np.empty((len(model.outputs), math.prod(shape)))
    index = [np.asarray(ix) for ix in index]
    for start, stop, run_shape, local in c_order_runs(shape, run_size()):
        out = model([ix[loc] for ix, loc in zip(index, local)])
        for k, name in enumerate(model.outputs):
            block[k, start:stop] = np.broadcast_to(out[name], run_shape).reshape(-1)
    return block.reshape((len(model.outputs),) + shape)


#: Largest full result :meth:`Sweep.run` builds [bytes]; above it, use summary() or to_csv().
DEFAULT_MAX_MEMORY = 1 << 30


class Accumulator:
    """Min, max (with where each is), sum and count of one output, chunk by chunk (NaN skipped)."""

    def __init__(self):
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.argmin = self.argmax = -1

    def add(self, v: np.ndarray, start: int) -> None:
        ok = ~np.isnan(v)
        n = int(ok.sum())
        if not n:
            return
        w = v if n == v.size else np.where(ok, v, np.nan)
        i, j = int(np.nanargmin(w)), int(np.nanargmax(w))
        if w[i] < self.min:
            self.min, self.argmin = float(w[i]), start + i
        if w[j] > self.max:
            self.max, self.argmax = float(w[j]), start + j
        self.total += float(np.sum(v, where=ok))
        self.count += n


@dataclass
class SweepSummary:
    """Min / max (with their scenarios) / mean of every output over a sweep too large to keep."""

    axes: tuple  # of scenarios.Axis
    size: int
    stats: dict[str, dict]
    notes: list[str] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)

    def to_dict(self) -> dict:
        from ..render import to_jsonable

        return to_jsonable({"scenarios": self.size, "axes": [a.to_dict() for a in self.axes], "outputs": self.stats,
                            "notes": self.notes, "assumptions": self.assumptions})

    def __str__(self) -> str:
        from ..report import render_summary

        return render_summary(self)

    def axis(self, name: str):
        key = canonical(name, "sweep axis")
        return next(a for a in self.axes if a.name == key)
