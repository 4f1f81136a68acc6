"""Sweeps and Monte Carlo as labelled xarray datasets, evaluated block by block on Dask.

>>> import computescale as cs
>>> ds = cs.sweep(device="H100,B200", count="10k:100k:10", compute=1e26, mfu="0.3:0.5:5", engine="dask")
>>> float(ds["time_to_train"].sel(device="H100 SXM5 80GB", count=10_000, compute=1e26, mfu=0.5))  # computed now
233.96...

The engine evaluates the one model of :class:`computescale.engines.sweep.Sweep` (its :class:`GridModel`, the
function the NumPy chunks call) on each block: a block receives the 1-D index slices of its axes and
broadcasts them itself, so the grid exists only block by block, on whichever worker runs it. Only
NumPy arrays, floats and strings go into the tasks (pint quantities do not survive pickling into
another registry). ``scheduler`` is the local threaded scheduler by default, ``"sync"`` for
debugging, a ``distributed`` address (``"tcp://host:8786"``) or a ``distributed.Client``.

Monte Carlo on Dask lives in :mod:`computescale.engines.dask_montecarlo`.

Needs ``pip install 'computescale[scale]'`` (dask, distributed, xarray, zarr); :func:`to_xarray`
needs only xarray. Without them, asking for the engine is a one-line :class:`InputError`.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from typing import Any, Sequence

import numpy as np

from .blocks import Accumulator, SweepSummary, c_order_runs, evaluate_block, run_size
from ..errors import InputError
from ..parameters import OUTPUTS

__all__ = ["to_xarray", "to_dask", "summary", "to_zarr", "get_scheduler", "persist_on", "close_clients", "merge_quantiles",
           "DEFAULT_BLOCK_BYTES"]

_EXTRA = "pip install 'computescale[scale]'"
#: Default size of one block of a sweep, all its outputs together [bytes] (PERF_NOTES: ~100 MB blocks;
#: tiny ones drown in scheduler overhead).
DEFAULT_BLOCK_BYTES = 64 << 20


def _need(*modules: str):
    """Import optional modules, or one line naming the extra that installs them."""
    import importlib

    try:
        return [importlib.import_module(m) for m in modules]
    except ImportError as exc:
        raise InputError(f"the Dask engine needs {', '.join(m.split('.')[0] for m in modules)} "
                         f"(missing: {exc.name}): {_EXTRA}") from None


# ---- labelled datasets ----------------------------------------------------------------------------------------
def _unit(unit: str) -> str:
    return unit or "dimensionless"


def _attrs(notes, assumptions, reference, catalog=None) -> dict[str, str]:
    """Notes, assumptions and their sources as JSON text (netCDF and zarr keep text attributes)."""
    from ..render import to_jsonable
    from ..report import source_ids
    from ..data.specs import load_catalog

    catalog = catalog or load_catalog()
    ids = source_ids(assumptions)
    sources = {s: catalog.sources[s].cite() for s in ids if s in catalog.sources}
    attrs = {"notes": json.dumps(list(notes)), "assumptions": json.dumps(to_jsonable([a.to_dict() for a in assumptions])),
             "sources": json.dumps(sources), "model": "computescale.models (one pipeline for every engine)"}
    if reference:
        attrs["reference"] = str(reference)
    return attrs


def _dataset(axes, data: dict, notes, assumptions, reference, catalog=None, specs=OUTPUTS):
    """An xarray Dataset: dims = axes (glossary names), labelled coordinates, one variable per output."""
    (xr,) = _need("xarray")
    dims = tuple(a.name for a in axes)
    coords = {a.name: (a.name, a.values.astype(object) if a.categorical else a.values,  # object: vlen strings
                       {} if a.categorical else {"units": _unit(a.unit)}) for a in axes}
    variables = {k: (dims, v, {"units": _unit(specs[k].unit), "long_name": specs[k].description})
                 for k, v in data.items()}
    return xr.Dataset(variables, coords=coords, attrs=_attrs(notes, assumptions, reference, catalog))


def to_xarray(result):
    """A :class:`~computescale.engines.sweep.SweepResult` as an ``xarray.Dataset`` (needs only xarray).

    Dimensions are the sweep's axes, coordinates their values (device names, counts, MFU...), one
    variable per output with its unit in ``attrs["units"]`` (a string computescale's registry reads,
    so ``ds.pint.quantify(unit_registry=computescale.ureg)`` works); notes, assumptions and sources
    are JSON text in the dataset's attributes.
    """
    return _dataset(result.axes, dict(result.outputs), result.notes, result.assumptions, result.reference,
                    result.catalog, result.specs)


# ---- the sweep on dask ------------------------------------------------------------------------------------------
def _chunks(sweep, chunks: Any) -> tuple[tuple[int, ...], ...]:
    """Block sizes per axis: None (about DEFAULT_BLOCK_BYTES a block), a number of scenarios per block,
    ``{axis: size}`` (other axes whole) or one size per axis."""
    (dask_array,) = _need("dask.array")
    shape = sweep.shape
    if isinstance(chunks, dict):
        sizes = [-1] * len(shape)
        for name, size in chunks.items():
            sizes[sweep.axes.index(sweep.axis(name))] = size
        chunks = tuple(sizes)
    if chunks is None or isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        target = DEFAULT_BLOCK_BYTES // (8 * len(sweep.outputs)) if chunks is None else int(chunks)
        if target < 1:
            raise InputError(f"chunks must be a whole number of scenarios >= 1, got {chunks!r}")
        sizes, inner = [], 1  # trailing axes whole while they fit (contiguous blocks), then one axis split
        for n in reversed(shape):
            sizes.append(n if inner * n <= target else max(1, target // inner))
            inner *= sizes[-1]
        chunks = tuple(reversed(sizes))
    try:
        return dask_array.core.normalize_chunks(chunks, shape, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise InputError(f"chunks: {exc}; give a number of scenarios per block, {{axis: size}} or one size per "
                         f"axis ({', '.join(a.name for a in sweep.axes)})") from None


def _stacked(sweep, chunks: Any):
    """A dask array (outputs, *axes) whose blocks each run GridModel on their own axis slices."""
    dask, da = _need("dask", "dask.array")
    blocks = _chunks(sweep, chunks)
    letters = "abcdefghijklmnopqrstuvwxy"[:len(sweep.axes)]
    args = []
    for a, c, letter in zip(sweep.axes, blocks, letters):
        args += [da.arange(len(a), chunks=(c,)), letter]
    model = dask.delayed(sweep.grid_model, pure=True)  # one key in the graph, sent once per worker
    return da.blockwise(evaluate_block, "Z" + letters, model, None, *args, new_axes={"Z": len(sweep.outputs)},
                        dtype=np.float64, name="computescale-sweep-" + dask.base.tokenize(sweep.grid_model, blocks))


def to_dask(sweep, chunks: Any = None):
    """The sweep as a lazy ``xarray.Dataset`` on dask arrays (nothing is evaluated until asked)."""
    stacked = _stacked(sweep, chunks)
    data = {k: stacked[i] for i, k in enumerate(sweep.outputs)}
    return _dataset(sweep.axes, data, sweep.notes, sweep.assumptions,
                    None if sweep.reference is None else sweep.reference.label, sweep.catalog, sweep.model.outputs)


# ---- scheduler, progress ----------------------------------------------------------------------------------------
_CLIENTS: dict[str, Any] = {}


def get_scheduler(scheduler: Any = None):
    """What ``dask.compute(scheduler=...)`` takes: "threads" (default), "sync", a Client, or the Client
    of a ``distributed`` address (made once per address and kept for the process)."""
    if scheduler is None:
        return "threads"
    if isinstance(scheduler, str):
        s = scheduler.strip()
        if s in ("threads", "sync", "synchronous", "single-threaded", "processes"):
            return s
        if "://" not in s and ":" not in s:
            raise InputError(f"scheduler: {scheduler!r} is neither 'threads', 'sync', 'processes' nor a distributed "
                             "address such as 'tcp://10.0.0.5:8786'")
        if s not in _CLIENTS:
            (distributed,) = _need("distributed")
            try:
                _CLIENTS[s] = distributed.Client(s, set_as_default=False, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"scheduler: cannot reach a Dask scheduler at {s!r} ({exc})") from None
        return _CLIENTS[s]
    if hasattr(scheduler, "compute") and hasattr(scheduler, "gather"):
        return scheduler
    raise InputError(f"scheduler: expected None, 'threads', 'sync', an address or a distributed.Client, got {scheduler!r}")


def close_clients() -> None:
    """Close the Clients :func:`get_scheduler` made for addresses (their clusters keep running)."""
    while _CLIENTS:
        _CLIENTS.popitem()[1].close()


def _compute(*collections, scheduler: Any = None, progress: bool = False):
    """dask.compute on the chosen scheduler; a progress bar on stderr when asked (and it is a terminal)."""
    (dask,) = _need("dask")
    sched = get_scheduler(scheduler)
    show = progress and sys.stderr.isatty()
    if not isinstance(sched, str):  # a distributed Client
        futures = sched.compute(list(collections))
        if show:
            from distributed import progress as dprogress

            with contextlib.redirect_stdout(sys.stderr):
                dprogress(futures)
        return tuple(sched.gather(futures))
    ctx = contextlib.nullcontext()
    if show:
        from dask.diagnostics import ProgressBar

        ctx = ProgressBar(out=sys.stderr)
    with ctx:
        return dask.compute(*collections, scheduler=sched)


def persist_on(collection, scheduler: Any):
    """``collection`` computed on ``scheduler`` (kept in memory, or on the cluster's workers), with dask's
    default scheduler left as it was: the choice is local to this call."""
    (dask,) = _need("dask")
    sched = get_scheduler(scheduler)
    if not isinstance(sched, str):  # a distributed Client: its futures back the result
        return sched.persist(collection)
    with dask.config.set(scheduler=sched):
        return collection.persist()


# ---- summaries without the grid ---------------------------------------------------------------------------------
#: Percentiles each block keeps to merge quantiles: every 0.1 % [%] (the requested ones added exactly).
_QGRID = np.linspace(0.0, 100.0, 1001)


def summarize_block(model, offset: tuple[int, ...], shape: tuple[int, ...], qgrid: np.ndarray, *index: np.ndarray):
    """One block reduced where it is evaluated: per output, count, sum, min, its flat index in the grid,
    max, its flat index, then the block's percentiles at ``qgrid`` [%].

    Runs of :func:`blocks.run_size` scenarios go through the model and Sweep.summary's accumulator, as on the NumPy
    path; the block's values are kept (for one sort) only when quantiles are asked for.
    """

    bshape = tuple(len(ix) for ix in index)
    acc = [Accumulator() for _ in model.outputs]
    keep = np.empty((len(acc), math.prod(bshape))) if len(qgrid) else None
    for start, stop, run_shape, local in c_order_runs(bshape, run_size()):
        out = model([ix[loc] for ix, loc in zip(index, local)])
        for k, name in enumerate(model.outputs):
            v = np.broadcast_to(out[name], run_shape).reshape(-1)
            acc[k].add(v, start)
            if keep is not None:
                keep[k, start:stop] = v
    rows = np.full((len(acc), 6 + len(qgrid)), np.nan)
    for k, a in enumerate(acc):
        rows[k, :2] = a.count, a.total
        if not a.count:
            continue
        where = [np.ravel_multi_index(tuple(o + x for o, x in zip(offset, np.unravel_index(i, bshape))), shape)
                 for i in (a.argmin, a.argmax)]
        rows[k, 2:6] = a.min, where[0], a.max, where[1]
        if keep is not None:  # one sort: ~8x faster than np.percentile at 1,001 points
            v = np.sort(keep[k][~np.isnan(keep[k])] if a.count < keep.shape[1] else keep[k])
            pos = qgrid / 100.0 * (a.count - 1)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, a.count - 1)
            rows[k, 6:] = v[lo] + (v[hi] - v[lo]) * (pos - lo)  # linear, as np.percentile
    return rows


def merge_quantiles(counts: np.ndarray, grids: np.ndarray, qgrid: np.ndarray, wanted: Sequence[float]) -> list[float]:
    """Quantiles of the union of blocks from each block's percentiles [%] at ``qgrid`` (weighted by count).

    Each block's CDF is linear between its percentiles; the merged CDF is their count-weighted mean,
    inverted at ``wanted``. Exact for one block at percentiles on ``qgrid``; otherwise within the
    spacing of ``qgrid`` in probability (0.1 %) plus about 1 / (scenarios per block).
    """
    keep = counts > 0
    counts, grids = counts[keep], grids[keep]
    xs = np.unique(grids)
    cdf = sum(c * np.interp(xs, g, qgrid / 100.0, left=0.0, right=1.0) for c, g in zip(counts, grids)) / counts.sum()
    cdf = np.maximum.accumulate(cdf)
    return [float(np.interp(q / 100.0, cdf, xs)) for q in wanted]


def summary(sweep, *, quantiles: Sequence[float] = (5, 50, 95), chunks: Any = None, scheduler: Any = None,
            progress: bool = False) -> SweepSummary:
    """Min, mean, max (with the scenario of each), NaN count and quantiles [%] of every output.

    Each block is evaluated and reduced to a few numbers in the same task (:func:`summarize_block`),
    so only those numbers leave a worker. Memory: a few runs of scenarios per worker, plus
    the block for quantiles, which merge each block's percentiles every 0.1 % (:func:`merge_quantiles`)
    and cost a sort of each block, more than the evaluation: ``quantiles=()`` skips them.
    """
    dask, _ = _need("dask", "dask.array")
    qs = tuple(float(q) for q in quantiles)
    if any(not 0 <= q <= 100 for q in qs):
        raise InputError(f"quantiles must be percentiles in [0, 100], got {quantiles!r}")
    qgrid = np.union1d(_QGRID, qs) if qs else np.empty(0)
    blocks = _chunks(sweep, chunks)
    model = dask.delayed(sweep.grid_model, pure=True)
    stats = []
    for key in np.ndindex(*(len(c) for c in blocks)):
        offset = tuple(int(sum(c[:i])) for c, i in zip(blocks, key))
        index = [np.arange(o, o + c[i]) for o, c, i in zip(offset, blocks, key)]
        stats.append(dask.delayed(summarize_block, pure=True)(model, offset, sweep.shape, qgrid, *index))
    parts = np.stack(_compute(*stats, scheduler=scheduler, progress=progress))  # (blocks, outputs, stats)
    return SweepSummary(sweep.axes, sweep.size, {k: _output_stats(sweep, k, parts[:, i], qgrid, qs)
                                                 for i, k in enumerate(sweep.outputs)},
                        list(sweep.notes), list(sweep.assumptions))


def _output_stats(sweep, name: str, p: np.ndarray, qgrid, qs) -> dict:
    """One output's summary from its per-block rows (the keys of Sweep.summary, plus quantiles)."""
    count = int(p[:, 0].sum())
    spec = sweep.model.outputs[name]
    st: dict[str, Any] = {"unit": spec.unit, "label": spec.description, "count": count,
                          "nan": sweep.size - count}
    if not count:
        return st | {"min": None, "max": None, "mean": None, "argmin": None, "argmax": None, "quantiles": None}
    lo, hi = np.nanmin(p[:, 2]), np.nanmax(p[:, 4])
    i = int(np.nanargmin(np.where(p[:, 2] == lo, p[:, 3], np.nan)))  # ties: the first scenario in C order,
    j = int(np.nanargmin(np.where(p[:, 4] == hi, p[:, 5], np.nan)))  # as Sweep.summary reports
    q = merge_quantiles(p[:, 0], p[:, 6:], qgrid, qs) if qs else []
    return st | {"min": float(p[i, 2]), "max": float(p[j, 4]), "mean": float(p[:, 1].sum()) / count,
                 "argmin": sweep.scenario(int(p[i, 3])), "argmax": sweep.scenario(int(p[j, 5])),
                 "quantiles": {f"p{x:g}": v for x, v in zip(qs, q)} or None}


def to_zarr(sweep, path, *, chunks: Any = None, scheduler: Any = None, progress: bool = False, **kwargs) -> str:
    """Write every output of the sweep to a zarr store block by block (no gathering). Returns ``path``.

    On a multi-machine cluster ``path`` must be storage every worker reaches (a shared file system or
    an object store URL that zarr opens).
    """
    import os
    import warnings

    _need("zarr")
    if kwargs.get("mode", "w-") == "w-" and "://" not in str(path) and os.path.exists(path):
        raise InputError(f"zarr: {str(path)!r} already exists; give a new path (an existing store is never overwritten)")
    ds = to_dask(sweep, chunks)
    with warnings.catch_warnings():  # zarr 3 warns that consolidated metadata (what readers look for first)
        warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)  # is not in v3
        try:
            delayed = ds.to_zarr(str(path), compute=False, mode=kwargs.pop("mode", "w-"), **kwargs)
            _compute(delayed, scheduler=scheduler, progress=progress)
            from ..output import mark_zarr_complete

            mark_zarr_complete(path)  # last: a store without it was interrupted (output.open_zarr refuses it)
        except (OSError, ValueError) as exc:  # a missing folder, no permission, a name too long or with a NUL
            raise InputError(f"zarr: cannot write {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    return str(path)
