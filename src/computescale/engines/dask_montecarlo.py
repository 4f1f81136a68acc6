"""Monte Carlo on Dask: seeded blocks of samples through any model's chain, the same result type as NumPy's.

Samples are drawn in seed blocks of :data:`SEED_BLOCK` samples, block ``k`` from
``numpy.random.SeedSequence(seed).spawn(...)[k]``: the draws, and so every percentile, are the same
whatever the chunking and whichever worker runs a block. The model is resolved once on the client
(its resolver, on seed block 0); each block evaluates the model's chain on plain arrays.
Needs ``pip install 'computescale[scale]'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .blocks import DEFAULT_MAX_MEMORY, run_size
from .dask_engine import _compute, _need
from ..errors import InputError
from ..units import BASE, Q_, parse_unit

__all__ = ["monte_carlo", "MonteCarloBlocks", "SEED_BLOCK", "MAX_DASK_SAMPLES"]

#: Samples drawn from one seed [samples]: chunks of a Monte Carlo are whole multiples of it.
SEED_BLOCK = 1 << 16
#: Most samples a Dask Monte Carlo draws (the percentiles gather each output's samples once).
MAX_DASK_SAMPLES = 50_000_000


# ---- Monte Carlo on dask ----------------------------------------------------------------------------------------
def _seed_rng(entropy: int, k: int):
    """The generator of seed block ``k``: ``SeedSequence(entropy, spawn_key=(k,))`` is exactly the
    ``k``-th child of ``SeedSequence(seed).spawn(...)``, so it needs no other block to be made."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k,)))


def _portable(dist, key: str, spec):
    """A distribution with its bounds in base units as plain numbers or text (no pint object in a task)."""
    import dataclasses

    from .distributions import _to_base

    dim = None if spec.kind == "count" else spec.dimension
    changes = {}
    for f in dataclasses.fields(dist):
        v = getattr(dist, f.name)
        if f.name == "sigma":
            continue  # read by .sample as it is: the standard deviation of the log
        b = _to_base(v, key, spec)
        changes[f.name] = b if dim in (None, "dimensionless") else f"{b!r} {BASE[dim]}"
    return dataclasses.replace(dist, **changes)


@dataclass(frozen=True)
class MonteCarloBlocks:
    """A Monte Carlo as plain data: the model's chain and glossary, distributions in base units, the
    inputs resolved once, what to keep.

    ``rows`` are (result name, chain output key, base -> display factor); ``x`` the chain's inputs
    without the sampled ones [base units]; ``keep`` adds the sampled inputs as rows.
    """

    samples: int
    entropy: int
    uncertain: dict
    x: dict
    rows: tuple[tuple[str, str, float], ...]
    keep: bool
    chain: Any
    specs: Any  # the model's inputs (glossary records)
    sampled: Any  # the model's hooks: sampled input -> (chain input, value)

    def __call__(self, lo: int, hi: int) -> np.ndarray:
        """Samples ``lo:hi`` (``lo`` a multiple of SEED_BLOCK): one row per output [display units]."""
        from .montecarlo import _draw

        parts = [_draw(_seed_rng(self.entropy, k), min(SEED_BLOCK, self.samples - k * SEED_BLOCK), self.uncertain,
                       self.specs) for k in range(lo // SEED_BLOCK, -(-hi // SEED_BLOCK))]
        draws = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        x, sampled = self._inputs(draws)
        block = np.empty((len(self.rows) + (len(draws) if self.keep else 0), hi - lo))
        step = run_size()
        for a in range(0, hi - lo, step):  # runs of blocks.run_size() samples
            b = min(hi - lo, a + step)
            xs = {k: v[a:b] if k in sampled and np.ndim(v) else v for k, v in x.items()}
            with np.errstate(over="ignore", divide="ignore"):  # refused below, as the NumPy engine refuses it
                out = xs | self.chain.evaluate(xs)  # an output may be given (a stated compute)
            for i, (_, key, factor) in enumerate(self.rows):
                block[i, a:b] = out[key] * factor if factor != 1.0 else out[key]
        for j, v in enumerate(draws.values() if self.keep else ()):
            block[len(self.rows) + j] = v
        inf = [name for i, (name, _, _) in enumerate(self.rows) if np.isinf(block[i]).any()]
        if inf:
            raise InputError(f"{', '.join(inf)} overflow to infinity in sampled scenarios (inputs {', '.join(self.uncertain)} "
                             "reach outside any physical range); narrow the distributions")
        return block

    def _inputs(self, draws: dict) -> tuple[dict, set]:
        """The chain's inputs with the draws in place, read as the resolver reads them (range checks included)."""
        from ..models.assumptions import to_base
        from .montecarlo import _as_input, _sampled_error

        x, sampled = dict(self.x), set()
        try:
            for key, v in draws.items():
                if self.specs[key].kind == "count":
                    name, value = key, v
                elif key in self.sampled:
                    name, value = self.sampled[key](to_base(key, _as_input(key, v, self.specs), self.specs[key]), x)
                else:
                    name, value = key, to_base(key, _as_input(key, v, self.specs), self.specs[key])
                x[name] = value
                sampled.add(name)
        except InputError as exc:
            raise _sampled_error(exc, self.uncertain) from None
        return x, sampled


def _mc_setup(n, seed, keep, device, count, catalog, inputs, model):
    """Resolve once on the client (the NumPy path's resolution, on seed block 0): the blocks' plain data,
    and the estimate whose assumptions and thresholds the result reports."""
    from .montecarlo import _chunk_inputs, _draw, _sampled_error, _split_inputs

    uncertain, fixed = _split_inputs(inputs, device, count, model.inputs)
    for k in fixed:
        if k not in model.inputs:
            raise TypeError(f"monte_carlo_training() got an unexpected keyword argument {k!r}")
    entropy = int(np.random.SeedSequence(seed).entropy)
    portable = {k: _portable(d, k, model.inputs[k]) for k, d in uncertain.items()}
    probe = _draw(_seed_rng(entropy, 0), min(n, SEED_BLOCK), portable, model.inputs)
    try:
        r = model.resolved(catalog, _chunk_inputs(catalog, device, fixed, probe, model.inputs))
    except InputError as exc:
        raise _sampled_error(exc, uncertain) from None
    with np.errstate(over="ignore", divide="ignore"):  # an overflow is refused by the blocks, in one line
        out = model.chain.evaluate(r.x)
    est = model.packaged(r, out, catalog)
    rows = [(k, k, float(Q_(1.0, BASE[spec.dimension]).m_as(parse_unit(spec.unit))))
            for k, spec in model.outputs.items() if k in est.results]
    day = float(Q_(1.0, "s").m_as("day"))
    for t in getattr(est, "thresholds", ()):
        rows += [(f"crosses:{t.id}", f"crosses:{t.id}", 1.0)] if t.crosses is not None else []
        rows += [(f"reach:{t.id}", f"time_to_reach:{t.id}", day)] if t.time_to_reach is not None else []
    hooks = dict(model.sampled)
    sampled = {hooks[k](np.ones(1), r.x)[0] if k in hooks else k for k in probe}
    plain_x = {k: v for k, v in r.x.items() if k not in sampled}
    blocks = MonteCarloBlocks(n, entropy, portable, plain_x, tuple(rows), keep, model.chain, model.inputs, hooks)
    return blocks, est, uncertain


def monte_carlo(*, samples: int = 100_000, seed: Any = 0, keep_samples: bool = False, percentiles=(5, 50, 95),
                device: Any = None, count: Any = None, catalog=None, engine: str = "dask", chunks: Any = None,
                scheduler: Any = None, progress: bool = False, estimator: Any = None, **inputs: Any):
    """:func:`computescale.engines.montecarlo.monte_carlo_training` on Dask, returning the same MonteCarloResult.

    Samples are drawn in seed blocks of :data:`SEED_BLOCK` (block ``k`` from the ``k``-th child of
    ``SeedSequence(seed)``) and evaluated ``chunks`` samples at a time (rounded up to whole seed
    blocks; default 4), so a seed gives the same samples and percentiles whatever the chunking and
    whichever worker runs a block (not the same draws as the NumPy engine's one generator).
    Percentiles are exact: each output's samples are gathered once (at most DEFAULT_MAX_MEMORY).
    """
    from ..data.specs import load_catalog
    from ..training import TRAINING_MODEL
    from .montecarlo import _check_percentiles, _check_seed, _result, uncertain_inputs

    if engine != "dask":
        raise InputError(f"engine must be 'numpy' or 'dask', got {engine!r}")
    (dask,) = _need("dask")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 1 <= samples <= MAX_DASK_SAMPLES:
        raise InputError(f"samples must be a whole number in 1..{MAX_DASK_SAMPLES:,} on the Dask engine, got {samples!r}")
    n, ps, seed = int(samples), _check_percentiles(percentiles), _check_seed(seed)
    step = _mc_chunk(chunks)
    model = estimator or TRAINING_MODEL
    blocks, est, uncertain = _mc_setup(n, seed, keep_samples, device, count, catalog or load_catalog(), inputs, model)
    rows = len(blocks.rows) + (len(uncertain) if keep_samples else 0)
    if rows * n * 8 > DEFAULT_MAX_MEMORY:
        raise InputError(f"samples: {n:,} samples x {rows} outputs = {rows * n * 8 / 2**30:.3g} GiB to rank, over "
                         f"{DEFAULT_MAX_MEMORY / 2**30:.3g} GiB; draw fewer samples or drop keep_samples")
    task = dask.delayed(blocks, pure=True)
    parts = [dask.delayed(_call, pure=True)(task, lo, min(n, lo + step)) for lo in range(0, n, step)]
    data = np.concatenate(_compute(*parts, scheduler=scheduler, progress=progress), axis=1)
    collected = {name: data[i] for i, (name, _, _) in enumerate(blocks.rows)}
    drawn = [k for k in uncertain_inputs(model.inputs) if k in uncertain]  # the order the blocks draw them
    draws = {k: data[len(blocks.rows) + j] for j, k in enumerate(drawn)} if keep_samples else None
    return _result(model, est, n, seed, ps, uncertain, collected, draws)


def _call(blocks: MonteCarloBlocks, lo: int, hi: int) -> np.ndarray:
    return blocks(lo, hi)


def _mc_chunk(chunks: Any) -> int:
    if chunks is None:
        return 4 * SEED_BLOCK
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise InputError(f"chunks must be a whole number of samples per block >= 1, got {chunks!r}")
    return -(-int(chunks) // SEED_BLOCK) * SEED_BLOCK
