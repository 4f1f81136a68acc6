"""Size limits checked before any work: grid points, memory, output size, and finite results.

A command states what it is about to build or write and refuses, in one line, what is over a
limit: a ``train`` grid of more rows than a person reads (``--max-rows``), a full result or a JSON
document over ``--max-memory``, a file over ``--max-output``. Grid sizes are counted from the text
(``0.3:0.5:1000000`` is a million points) so that nothing is allocated to find out.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

import numpy as np

from .errors import InputError
from .output import human_size

__all__ = ["grid_points", "check_train_grid", "csv_size", "check_output_size", "json_nbytes", "check_json_memory",
           "check_finite", "DEFAULT_MAX_ROWS", "DEFAULT_MAX_OUTPUT"]

#: Rows `train` prints before it points to `sweep` (more than a person reads).
DEFAULT_MAX_ROWS = 1_000
#: Rows a printed grid may have at most, whatever --max-rows says (each costs ~1 kB while it is built).
_MAX_ROWS_CEILING = 100_000
#: Largest file `sweep --csv` writes without being told a larger --max-output [byte].
DEFAULT_MAX_OUTPUT = 2**30
#: Memory of one value in a JSON document while it is built: a float object, a list slot, its text [byte].
_JSON_BYTES_PER_VALUE = 120

_RANGE_NUM = re.compile(r"^\s*(\d+)")


def grid_points(value: Any) -> int:
    """The number of grid values in ``value`` ('a,b,c': 3; 'start:stop:num[:log]': num), read from the
    text alone; 1 for anything else (one value, an uncertain value: the command validates it)."""
    if not isinstance(value, str):
        return int(np.size(value)) if isinstance(value, (list, tuple, np.ndarray)) else 1
    if ":" in value:
        parts = value.split(":")
        m = _RANGE_NUM.match(parts[2]) if len(parts) in (3, 4) else None
        return int(m.group(1)) if m else 1
    if "," in value and "(" not in value:
        return value.count(",") + 1
    return 1


def check_train_grid(inputs: dict[str, Any], max_rows: int | None) -> None:
    """Refuse a `train` grid of more than ``max_rows`` rows, pointing to `sweep` (one line)."""
    limit = DEFAULT_MAX_ROWS if max_rows is None else max_rows
    if not 1 <= limit <= _MAX_ROWS_CEILING:
        raise InputError(f"--max-rows must be a whole number from 1 to {_MAX_ROWS_CEILING:,} (larger grids are "
                         f"sweeps: computescale sweep), got {limit:,}")
    sizes = {k: grid_points(v) for k, v in inputs.items() if k not in ("run", "cluster", "precision")}
    sizes = {k: n for k, n in sizes.items() if n > 1}
    rows = math.prod(sizes.values())
    if rows > limit:
        dims = " x ".join(f"{k}: {n:,} values" for k, n in sizes.items())
        raise InputError(f"the grid has {rows:,} rows ({dims}), more than --max-rows {limit:,} rows to read; "
                         "computescale sweep summarizes it (--summary), streams it to a file (--csv FILE) or runs it on "
                         "Dask (--engine dask); or raise --max-rows")


def csv_size(axes: Iterable, n_outputs: int, rows: int) -> float:
    """About how many bytes ``rows`` CSV rows take: each axis as its widest shown value, each output
    as a float's shortest repr (about 20 characters) [byte]."""
    width = 0
    for a in axes:
        sample = a.values[:64]
        width += 1 + max((len(str(v.item() if hasattr(v, "item") else v)) for v in sample), default=1)
    return float(rows) * (width + 20 * n_outputs)


def check_output_size(flag: str, nbytes: float, limit: float | None) -> None:
    """Refuse a file over ``limit`` bytes, saying its size before anything is written."""
    limit = DEFAULT_MAX_OUTPUT if limit is None else limit
    if nbytes > limit:
        raise InputError(f"{flag} would write about {human_size(nbytes)}, over the --max-output limit of "
                         f"{human_size(limit)}; write a summary (--summary) or a zarr store (--engine dask --zarr OUT), "
                         "sweep fewer points, or raise --max-output")


def json_nbytes(values: int) -> float:
    """About how much memory a JSON document of ``values`` numbers takes while it is built [byte]."""
    return float(values) * _JSON_BYTES_PER_VALUE


def check_json_memory(values: int, max_memory: float) -> None:
    need = json_nbytes(values)
    if need > max_memory:
        raise InputError(f"--json of {values:,} values needs about {human_size(need)} of memory, over the --max-memory "
                         f"limit of {human_size(max_memory)}; stream rows with --csv FILE (or --csv -), ask for "
                         "--summary, or raise --max-memory")


def check_finite(results: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Refuse results that overflowed to infinity (``--mfu 1e-300``, ``--pue 1e300``), naming the inputs given."""
    bad = []
    for name, q in results.items():
        if q is None:
            continue
        m = np.asarray(getattr(q, "magnitude", q))
        if m.dtype.kind in "fc" and np.isinf(m).any():
            bad.append(name)
    if bad:
        given = ", ".join(f"{k} {v}" for k, v in inputs.items() if v is not None and not isinstance(v, bool))
        raise InputError(f"{', '.join(bad)} overflow to infinity for these inputs ({given}); "
                         "check their sizes (an MFU of 1e-300 or a PUE of 1e300 is not a physical value)")
