from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from .. import precision as precision_policy
from ..models.assumptions import Assumption, Resolver
from ..cluster import cluster as _parse_cluster
from ..errors import InputError, UnknownNameError
from .blocks import DEFAULT_MAX_MEMORY, Accumulator, GridModel, SweepSummary, c_order_runs
from ..parameters import INPUTS, OUTPUTS, canonical
from .scenarios import AXES, Axis, axes_of, find_axis as _find_axis, parse_axis
from ..data.specs import Catalog, load_catalog
from ..report import plain, csv_blocks, csv_header, csv_rows, open_output, output_header, render_sweep, sweep_to_dict
from ..units import BASE, Q_, parse_quantity, parse_unit

__all__ = ["Sweep", "SweepResult", "SweepSummary", "Axis", "sweep", "parse_axis", "AXES",
           "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_MEMORY"]

#: Scenarios evaluated at once: 2**18 keeps each float array at 2 MiB (a dozen live at a time).
DEFAULT_CHUNK_SIZE = 1 << 18


def _factor(spec) -> float:
    """Base unit -> display unit of one output."""
    return float(Q_(1.0, BASE[spec.dimension]).m_as(parse_unit(spec.unit)))


def _overflow(names) -> str:
    return (f"{', '.join(names)} overflow to infinity in some scenarios: an input out of any physical range "
            "(an MFU of 1e-300, a PUE of 1e300); those values are inf, not figures")


def _parse_memory(value: Any) -> float:
    if isinstance(value, bool):
        raise InputError(f"max_memory must be a positive size (e.g. '4 GiB'), got {value!r}")
    size = float(value) if isinstance(value, (int, float)) else float(parse_quantity(value, "information", what="max_memory").m_as("byte"))
    if not (size > 0 and math.isfinite(size)):
        raise InputError(f"max_memory must be a positive, finite size (e.g. '4 GiB'), got {value!r}")
    return size


class _Grid:
    """Shape, size and axis lookup of anything laid out on sweep axes."""

    axes: tuple[Axis, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def axis(self, name: str) -> Axis:
        return _find_axis(self.axes, name)


class Sweep(_Grid):
    """A grid of scenarios over named axes, not yet evaluated.

    Parameters
    ----------
    axes : mapping or sequence of (name, value) pairs, optional
        Axes in grid order (glossary names or aliases); ``**named`` adds more. An axis given twice,
        also through an alias such as ``flop``/``compute``, is an error.
    reference : str or Cluster, optional
        A cluster (``"25k A100"``) for the ``ratio`` output: cluster peak / reference peak at the
        same precision (the like-for-like basis of :func:`computescale.compare.compare`).
    outputs : sequence of str, optional
        Outputs to compute (default: every one the axes determine, derived from the model's chain).
    chunk_size : int
        Scenarios evaluated at once [scenarios].
    max_memory : int or str
        Largest full result :meth:`run` may build [bytes, or e.g. ``"4 GiB"``].
    estimator : computescale.models.Model, optional
        The model swept (default: training); any model of the pipeline runs here (named so that a
        model's own input may be called ``model``).
    """

    def __init__(self, axes: Mapping[str, Any] | Sequence[tuple[str, Any]] = (), /, *, reference: Any = None,
                 outputs: Sequence[str] | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 max_memory: Any = DEFAULT_MAX_MEMORY, catalog: Catalog | None = None, estimator: Any = None, **named: Any):
        from ..training import TRAINING_MODEL

        self.catalog = catalog or load_catalog()
        self.model = estimator or TRAINING_MODEL
        self._axes_ok = axes_of(self.model.inputs, self.model.chain)
        settings = {k: named.pop(k) for k in list(named) if k in self.model.inputs and k not in self._axes_ok}
        self._settings = self.model.prepare(self.catalog, settings) if self.model.prepare else None
        if settings and self._settings is None:
            raise InputError(f"{', '.join(settings)}: not a sweep axis of the {self.model.name} model")
        self.axes: tuple[Axis, ...] = tuple(self._parse_axes(list(axes.items()) if isinstance(axes, Mapping) else list(axes),
                                                             named))
        if self.model.device_inputs is not None and not self._has("device"):
            raise InputError("a sweep needs a device axis (e.g. device='H100,B200')")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
            raise InputError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
        self.chunk_size = int(chunk_size)
        self.max_memory = _parse_memory(max_memory)
        self.reference = None if reference is None else _parse_cluster(reference, self.catalog)
        self.notes: list[str] = [f"{a.name}: {a.note}" for a in self.axes if a.note]
        tables = self._setup_tables()
        numeric = {a.name for a in self.axes} - {"device", "precision"}
        settings = set(self._settings.x) if self._settings is not None else set()
        for why in self.model.chain.unused(numeric, set(tables) | set(self.model.constants) | settings):
            raise InputError(why)
        self._setup_outputs(outputs, tables)
        fixed = self._setup_fixed(tables)
        self.grid_model = GridModel(self.model.chain, tuple(a.name for a in self.axes), tuple(a.base for a in self.axes),
                                    fixed, tables, self.outputs, {k: _factor(self.model.outputs[k]) for k in self.outputs})

    def _parse_axes(self, pairs, named) -> list[Axis]:
        seen: dict[str, str] = {}
        parsed = []
        specs = None if self.model.inputs is INPUTS else self.model.inputs
        for name, value in pairs + list(named.items()):
            key = canonical(name, "sweep axis") if specs is None else name
            if key in seen:
                raise InputError(f"axis {key!r} is given twice ({seen[key]!r} and {name!r}); give each axis once")
            seen[key] = name
            if value is not None:
                parsed.append(parse_axis(key, value, self.catalog, specs, self._axes_ok))
        return parsed

    @property
    def full_nbytes(self) -> int:
        """Memory a full result needs: one float64 per scenario per output [bytes]."""
        return self.size * len(self.outputs) * 8

    def _has(self, name: str) -> bool:
        return any(a.name == name for a in self.axes)

    # -- per-device tables (devices and precisions are categorical: a small table, indexed per scenario) --
    def _setup_tables(self) -> dict[str, np.ndarray]:
        """Per-device inputs [device, precision] from the model (peak, TDP) and the reference's peak."""
        if not self._has("device"):
            return {}
        devices = [self.catalog.device(n) for n in self.axis("device").values]
        if self._has("precision"):  # an explicit grid of formats: a cell a device lacks is NaN (said below)
            precisions = [list(self.axis("precision").values)] * len(devices)
        else:  # the one policy: BF16 dense, FP16 where a device has no BF16 figure (said so), else an error
            chosen = self._settings.precision if self._settings is not None else None
            precisions = [[precision_policy.choose([d], chosen)[0]] for d in devices]
            self.notes += [f"{d.name} has no BF16 figure; its FP16 dense peak is used" for d, p in zip(devices, precisions)
                           if p[0] != precision_policy.DEFAULT]
        cells = [[self.model.device_inputs(self.catalog, d, p) for p in ps] for d, ps in zip(devices, precisions)]
        self._device_assumptions = list(dict.fromkeys(a for row in cells for _, found in row[:1] for a in found))
        names = [k for k in cells[0][0][0] if all(k in values for row in cells for values, _ in row) and not self._has(k)]
        tables = {k: np.array([[values[k] for values, _ in row] for row in cells]) for k in names}
        for d, row, ps in zip(devices, tables.get("peak_per_device", []), precisions):
            missing = [p.upper() for p, v in zip(ps, row) if np.isnan(v)]
            if missing:
                self.notes.append(f"{d.name} has no published {', '.join(missing)} dense peak: NaN in those scenarios "
                                  "(never another figure)")
        self.notes += [f"{d.name} has no published TDP: power, energy, cost and emissions are NaN for it"
                       for d, p in zip(devices, tables.get("power", np.zeros((len(devices), 1)))[:, 0]) if np.isnan(p)]
        if self.reference is not None:
            ref = {p: self.reference.total_magnitude(f"{p}.dense") for p in {p for ps in precisions for p in ps}}
            tables["reference_peak"] = np.array([[ref[p] for p in ps] for ps in precisions])
            self.notes.append(f"ratio: peak / peak of {self.reference.label} at the same precision")
        return tables

    def _present(self, tables) -> set[str]:
        """Inputs a scenario has: axes, per-device tables, the model's settings, every input with a sourced-default key."""
        tables = set(tables) | (set(self._settings.x) if self._settings is not None else set())
        defaults = {n for n, i in self.model.inputs.items() if i.default}
        implied = self.model.implied
        if any(out in self.model.chain.available({a.name for a in self.axes} | set(tables) | defaults - set(implied))
               for out in implied.values()):
            defaults -= set(implied)  # an input the chain implies takes no default (the MFU compute and duration imply)
        axes = {a.name for a in self.axes if a.name not in ("device", "precision")}
        return axes | set(tables) | defaults | set(self.model.constants)

    def _setup_outputs(self, outputs: Sequence[str] | None, tables) -> None:
        present = self._present(tables)
        determined = set(self.model.chain.available(present))
        available = [o for o in self.model.outputs if o in determined]
        if outputs is None:
            self.outputs = tuple(available)
            return
        chosen = []
        for o in outputs:
            if o not in self.model.outputs:
                names = list(self.model.outputs)
                raise UnknownNameError("sweep output", o, difflib.get_close_matches(o, names, n=3) or names)
            if o not in available:
                why = self.model.why(o, present) or "it is one of the axes"
                raise InputError(f"output {o!r} is not determined by these axes: {why}")
            if o in chosen:
                raise InputError(f"output {o!r} is asked for twice")
            chosen.append(o)
        if not chosen:
            raise InputError("outputs: no output asked for; give at least one of " + ", ".join(available))
        self.outputs = tuple(chosen)

    def _setup_fixed(self, tables) -> dict[str, Any]:
        """Inputs that are not axes and that the outputs need, resolved once as the scalar path does (sourced defaults)."""
        res = Resolver(self.catalog, specs=self.model.inputs)
        if self._settings is not None:
            res.assumptions.extend(self._settings.assumptions)
            tables = tables | dict.fromkeys(self._settings.x)  # present, as fixed inputs
        present = self._present(tables)
        settings = self._settings.x if self._settings is not None else {}
        fixed = {name: self.model.constants[name] if name in self.model.constants else res.resolve(name)
                 for name in self.model.chain.inputs_for(self.outputs, present) if not self._has(name) and name not in tables}
        fixed |= settings
        for given, out in self.model.implied.items():
            if given not in fixed and not self._has(given) and out in self.model.chain.available(present):
                self.notes.append(f"{given}: not given, so the {out.replace('_', ' ')} is used (as the scalar path does)")
        self.assumptions: list[Assumption] = res.assumptions + [
            a for a in getattr(self, "_device_assumptions", []) if any(a.name.startswith(k) for k in tables)]
        return fixed

    # -- chunked evaluation ----------------------------------------------------------------------------------
    def _blocks(self) -> Iterator[tuple[int, int, tuple[int, ...], list[np.ndarray]]]:
        """Contiguous C-order runs of at most ``chunk_size`` scenarios (:func:`blocks.c_order_runs`)."""
        return c_order_runs(self.shape, self.chunk_size)

    def _evaluate(self, idx: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs in base units for one block (run() and chunks() apply the unit factors): the one
        evaluation, shared with the Dask engine."""
        return self.grid_model.base(idx)

    def chunks(self, progress: Callable[[int, int], None] | None = None):
        """Yield ``(start, stop, block shape, index arrays, outputs)`` for each chunk, in C order."""
        total = self.size
        for start, stop, shape, idx in self._blocks():
            out = self._evaluate(idx)
            yield start, stop, shape, idx, {k: v * self.grid_model.factors[k] if self.grid_model.factors[k] != 1.0 else v for k, v in out.items()}
            if progress is not None:
                progress(stop, total)

    def run(self, progress: Callable[[int, int], None] | None = None) -> "SweepResult":
        """Evaluate every scenario and keep every output (refused above ``max_memory``)."""
        need = self.full_nbytes
        if need > self.max_memory:
            raise InputError(
                f"the sweep has {self.size:,} scenarios x {len(self.outputs)} outputs = {need / 2**30:.3g} GiB in full, "
                f"over the {self.max_memory / 2**30:.3g} GiB limit; ask for a summary (Sweep.summary(), --summary), "
                "stream rows to a file (Sweep.to_csv(path), --csv FILE), fewer outputs, or raise max_memory")
        data = {k: np.empty(self.size) for k in self.outputs}
        for start, stop, shape, idx in self._blocks():
            for k, v in self._evaluate(idx).items():  # unit factor and copy into the result in one pass
                dest = data[k][start:stop].reshape(shape)
                np.multiply(v, self.grid_model.factors[k], out=dest) if self.grid_model.factors[k] != 1.0 else np.copyto(dest, v)
            if progress is not None:
                progress(stop, self.size)
        outputs = {k: v.reshape(self.shape) for k, v in data.items()}
        overflow = [k for k, v in outputs.items() if np.isinf(v).any()]
        notes = self.model.warnings(outputs) + [_overflow(overflow)] * bool(overflow) + self.notes
        return SweepResult(self.axes, outputs, notes, list(self.assumptions),
                           None if self.reference is None else self.reference.label, self.model.outputs, self.catalog)

    def summary(self, progress: Callable[[int, int], None] | None = None) -> "SweepSummary":
        """Min, max (with the scenario giving each), mean and NaN count of every output, chunk by chunk.

        Memory stays bounded by ``chunk_size`` whatever the number of scenarios.
        """
        acc = {k: Accumulator() for k in self.outputs}
        for start, stop, shape, _, out in self.chunks(progress):
            for k, v in out.items():
                acc[k].add(np.broadcast_to(v, shape).reshape(-1), start)
        return self._summary(acc)

    def _summary(self, acc: dict) -> "SweepSummary":
        stats = {}
        for k, a in acc.items():
            spec = self.model.outputs[k]
            stats[k] = {"unit": spec.unit, "label": spec.description, "count": a.count, "nan": self.size - a.count,
                        "min": a.min if a.count else None, "max": a.max if a.count else None,
                        "mean": a.total / a.count if a.count else None,
                        "argmin": self.scenario(a.argmin) if a.count else None,
                        "argmax": self.scenario(a.argmax) if a.count else None}
        maxima = {k: st["max"] for k, st in stats.items() if st["max"] is not None}
        overflow = [k for k, m in maxima.items() if math.isinf(m)]
        notes = self.model.warnings(maxima) + [_overflow(overflow)] * bool(overflow) + self.notes
        return SweepSummary(self.axes, self.size, stats, notes, list(self.assumptions))

    def scenario(self, flat_index: int) -> dict[str, Any]:
        """The axis values of one scenario, by its flat (C-order) index."""
        ix = np.unravel_index(int(flat_index), self.shape)
        return {a.name: plain(a.values[i]) for a, i in zip(self.axes, ix)}

    def to_dask(self, chunks: Any = None):
        """Every output as a lazy ``xarray.Dataset`` on dask arrays, evaluated block by block by the same
        model (:func:`computescale.engines.dask_engine.to_dask`; needs ``computescale[scale]``)."""
        from .dask_engine import to_dask

        return to_dask(self, chunks)

    def to_csv(self, path, progress: Callable[[int, int], None] | None = None) -> str:
        """Stream every scenario as a CSV row to ``path``, chunk by chunk (bounded memory). Returns ``path``."""
        with open_output(path) as fh:
            fh.write(csv_header(self.axes, self.outputs))
            for _, _, shape, idx, out in self.chunks(progress):
                fh.write(csv_rows(self.axes, idx, shape, out))
        return str(path)

    def write_csv(self, path, progress: Callable[[int, int], None] | None = None) -> "SweepResult | SweepSummary":
        """Write every scenario to ``path`` as CSV, keeping what fits.

        When the full result fits ``max_memory`` it is kept and returned (a :class:`SweepResult`);
        otherwise the rows are streamed chunk by chunk (bounded memory) and the summary gathered on
        the way is returned (a :class:`SweepSummary`), with no second pass over the grid.
        """
        if self.full_nbytes <= self.max_memory:
            result = self.run(progress)
            result.to_csv(path)
            return result
        acc = {k: Accumulator() for k in self.outputs}
        with open_output(path) as fh:
            fh.write(csv_header(self.axes, self.outputs))
            for start, _, shape, idx, out in self.chunks(progress):
                fh.write(csv_rows(self.axes, idx, shape, out))
                for k, v in out.items():
                    acc[k].add(np.broadcast_to(v, shape).reshape(-1), start)
        return self._summary(acc)


# ---- results ----------------------------------------------------------------------------------------------------
@dataclass
class SweepResult(_Grid):
    """Every output of a sweep, labelled by its axes. ``result["energy"]`` is a Quantity of the grid's shape."""

    axes: tuple[Axis, ...]
    outputs: dict[str, np.ndarray]  # display units (OUTPUTS), shape = tuple(len(a) for a in axes)
    notes: list[str] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    reference: str | None = None
    specs: Mapping[str, Any] = field(default_factory=lambda: OUTPUTS, repr=False)  # the model's outputs
    catalog: Any = field(default=None, repr=False)  # the sweep's own catalog (device aliases in sel)

    def unit(self, output: str) -> str:
        return self.specs[self._output(output)].unit

    def _output(self, name: str) -> str:
        if name not in self.outputs:
            raise UnknownNameError("sweep output", name, difflib.get_close_matches(name, list(self.outputs), n=3) or list(self.outputs))
        return name

    def quantity(self, output: str):
        """One output as a pint Quantity (array of the grid's shape)."""
        k = self._output(output)
        return Q_(self.outputs[k], parse_unit(self.specs[k].unit))

    __getitem__ = quantity

    def sel(self, **where: Any) -> "SweepResult":
        """Fix axes at one value each (``sel(device="H100", mfu=0.4)``); those axes are dropped."""
        axes, index = list(self.axes), [slice(None)] * len(self.axes)
        drop = set()
        for name, value in where.items():
            a = self.axis(name)
            i = self.axes.index(a)
            if a.categorical:
                wanted = str(value).strip()
                hits = [j for j, v in enumerate(a.values) if v == wanted]
                if not hits and a.name == "device":
                    try:
                        dev = (self.catalog or load_catalog()).device(wanted).name
                    except UnknownNameError:
                        dev = None
                    hits = [j for j, v in enumerate(a.values) if v == dev]
                if not hits and a.name == "precision":
                    hits = [j for j, v in enumerate(a.values) if v == wanted.lower()]
            else:
                hits = list(np.flatnonzero(np.isclose(a.values, float(value), rtol=1e-12, atol=0)))
            if not hits:
                raise InputError(f"{a.name}: {value!r} is not on the axis ({', '.join(map(str, a.values[:6]))}"
                                 f"{', ...' if len(a) > 6 else ''})")
            index[i] = hits[0]
            drop.add(i)
        new_axes = tuple(a for i, a in enumerate(axes) if i not in drop)
        return SweepResult(new_axes, {k: np.asarray(v[tuple(index)]) for k, v in self.outputs.items()},
                           self.notes, self.assumptions, self.reference, self.specs, self.catalog)

    # -- export ------------------------------------------------------------------------------------------
    def to_csv(self, path=None) -> str:
        """One row per scenario (axes, then outputs; units in the headers). Returns the text, or
        writes it to ``path`` and returns the path."""
        if path is None:
            return "".join(csv_blocks(self))
        with open_output(path) as fh:  # streamed block by block, renamed into place when complete
            fh.writelines(csv_blocks(self))
        return str(path)

    def to_xarray(self):
        """An ``xarray.Dataset``: dims = axes, labelled coordinates, units in attrs (:func:`computescale.engines.dask_engine.to_xarray`)."""
        from .dask_engine import to_xarray

        return to_xarray(self)

    def to_dict(self) -> dict:
        """Axes (name, unit, values) and outputs (unit, label, nested values indexed in axis order)."""
        return sweep_to_dict(self)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **({"indent": 2} | kwargs))

    def to_pandas(self):
        """A long DataFrame (one row per scenario). Needs pandas, which computescale does not depend on."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("SweepResult.to_pandas needs pandas, which computescale does not install: pip install pandas") from None
        idx = np.unravel_index(np.arange(self.size), self.shape)
        cols = {a.header: a.values[ix] for a, ix in zip(self.axes, idx)}
        cols |= {output_header(k): v.reshape(-1) for k, v in self.outputs.items()}
        return pd.DataFrame(cols)

    def __str__(self) -> str:
        return render_sweep(self)


def sweep(axes: Mapping[str, Any] | Sequence[tuple[str, Any]] = (), /, *, engine: str = "numpy", chunks: Any = None,
          scheduler: Any = None, **kwargs: Any):
    """Evaluate a sweep in full: ``sweep(device="H100,B200", count="10k:200k:20", compute=1e26, mfu=0.4)``.

    Keywords are those of :class:`Sweep` (axes, ``reference``, ``outputs``, ``chunk_size``,
    ``max_memory``, ``catalog``); see the module docstring for the axes and outputs.
    ``engine="dask"`` returns a lazy ``xarray.Dataset`` instead (``chunks``: scenarios per block, or
    ``{axis: size}``); with a ``scheduler`` (``"sync"``, an address or a ``distributed.Client``) it is
    computed there within the call (``Dataset.persist``), leaving dask's own default as it was
    (:mod:`computescale.engines.dask_engine`).
    """
    if engine not in ("numpy", "dask"):
        raise InputError(f"engine must be 'numpy' or 'dask', got {engine!r}")
    if engine == "numpy":
        if chunks is not None or scheduler is not None:
            raise InputError("chunks and scheduler are options of engine='dask' (the NumPy engine takes chunk_size)")
        return Sweep(axes, **kwargs).run()
    from .dask_engine import persist_on

    ds = Sweep(axes, **kwargs).to_dask(chunks)
    return ds if scheduler is None else persist_on(ds, scheduler)
