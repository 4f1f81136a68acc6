"""CSV text of sweep results: the header from the glossary, and rows formatted block by block.

Text costs ~15x the floats' memory, so rows are formatted in slices and written (or yielded) one
block at a time; files are opened through :func:`computescale.output.open_output` (atomic; ``-`` is
standard output).
"""

from __future__ import annotations

import io

import numpy as np

from .parameters import OUTPUTS

__all__ = ["output_header", "open_output", "csv_header", "csv_blocks", "csv_rows"]


def output_header(name: str) -> str:
    from .parameters import INFERENCE_OUTPUTS

    unit = (OUTPUTS[name] if name in OUTPUTS else INFERENCE_OUTPUTS[name]).unit
    return f"{name} [{unit}]" if unit else name


def open_output(path, what: str = "csv file"):
    """Open ``path`` for writing text, atomically (:func:`computescale.output.open_output`); ``-`` is stdout."""
    from .output import open_output as _open

    return _open(path, what)


def csv_header(axes, outputs) -> str:
    return ",".join([a.header for a in axes] + [output_header(k) for k in outputs]) + "\n"


def csv_blocks(result, step: int = 1 << 14):
    """The CSV text of a :class:`~computescale.engines.sweep.SweepResult`, header first, one block at a time."""
    yield csv_header(result.axes, result.outputs)
    flat = {k: v.reshape(-1) for k, v in result.outputs.items()}
    for start in range(0, result.size, step):
        stop = min(result.size, start + step)
        idx = list(np.unravel_index(np.arange(start, stop), result.shape))
        yield csv_rows(result.axes, idx, (stop - start,), {k: v[start:stop] for k, v in flat.items()})


def csv_rows(axes, idx, shape, out) -> str:
    """CSV text of one block, formatted in slices of 16k rows (text costs ~15x the floats' memory)."""
    cols = []
    for a, ix in zip(axes, idx):
        v = a.values[ix]
        cols.append(np.broadcast_to(v.astype(np.int64) if a.name == "count" else v, shape).reshape(-1))
    cols += [np.broadcast_to(v, shape).reshape(-1) for v in out.values()]
    buf = io.StringIO()
    n = cols[0].size if cols else 0
    step = 1 << 14
    for s0 in range(0, n, step):
        lists = [c[s0:s0 + step].tolist() for c in cols]  # Python scalars: str() gives the shortest round-trip repr
        buf.write("".join(",".join(map(str, row)) + "\n" for row in zip(*lists)))
    return buf.getvalue()
