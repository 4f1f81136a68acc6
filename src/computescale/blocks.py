"""One block of a sweep as plain arrays: per-axis index arrays in, display-unit outputs out.

:class:`GridModel` is what a :class:`computescale.sweep.Sweep` evaluates, whoever runs it: the
NumPy path calls it chunk by chunk (``Sweep.chunks``), the Dask engine (:mod:`computescale.engine`)
calls it once per block on a worker. It holds only NumPy arrays, floats and strings (axis values in
base units, the per-device peak / power / reference tables, the fixed inputs the Resolver found,
one unit factor per output), so it pickles into another process without pint or the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from . import kernels
from .model import evaluate

__all__ = ["GridModel", "evaluate_block", "ENERGY_OUTPUTS"]

#: Outputs that need power and the energy factors.
ENERGY_OUTPUTS = ("facility_power", "energy", "electricity_cost", "emissions", "electricity_cost_per_compute")


@dataclass(frozen=True)
class GridModel:
    """The sweep's model on index arrays (one per axis, each broadcastable to the block's shape).

    ``names[i]`` is the glossary name of axis ``i``; ``bases[i]`` its values in base units (None for
    the categorical device and precision axes, which index the tables ``peak_flop_per_s[device,
    precision]``, ``power_w[device]`` and ``ref_flop_per_s[device, precision]``). ``fixed`` holds the
    inputs that are not axes [base units]; ``factors`` the base -> display factor of each output.
    """

    names: tuple[str, ...]
    bases: tuple[np.ndarray | None, ...]
    fixed: dict[str, Any]
    peak_flop_per_s: np.ndarray
    power_w: np.ndarray
    ref_flop_per_s: np.ndarray | None
    outputs: tuple[str, ...]
    factors: dict[str, float]

    def __call__(self, idx: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs in display units for one block (arrays broadcastable to the block's shape)."""
        x: dict[str, Any] = dict(self.fixed)
        dev = prec = 0
        for name, base, ix in zip(self.names, self.bases, idx):
            if name == "device":
                dev = ix
            elif name == "precision":
                prec = ix
            else:
                x[name] = base[ix]
        x["peak"] = self.peak_flop_per_s[dev, prec]
        want = set(self.outputs)
        if want & set(ENERGY_OUTPUTS + ("device_time",)):
            x["power"] = self.power_w[dev]
        out = evaluate(x, want)
        if want & {"peak", "ratio"}:
            out["peak"] = x["count"] * x["peak"]
            if "ratio" in want:
                out["ratio"] = kernels.ratio(out["peak"], self.ref_flop_per_s[dev, prec])
        return {k: out[k] * self.factors[k] if self.factors[k] != 1.0 else out[k] for k in self.outputs}


def evaluate_block(model: GridModel, *index: np.ndarray) -> np.ndarray:
    """One dense block: ``index[i]`` are the 1-D indices of axis ``i`` in the block; returns an array of
    shape ``(len(model.outputs), len(index[0]), len(index[1]), ...)`` [display units].

    Each 1-D slice is broadcast against the others here, inside the block, so the grid is never
    built outside it.
    """
    nd = len(index)
    shaped = [np.asarray(ix).reshape([-1 if j == i else 1 for j in range(nd)]) for i, ix in enumerate(index)]
    shape = tuple(len(ix) for ix in index)
    out = model(shaped)
    block = np.empty((len(model.outputs),) + shape)
    for k, name in enumerate(model.outputs):
        block[k] = out[name]
    return block
