"""The estimate pipeline, written once: a model is a chain of declared stages.

A :class:`Stage` is a plain function on arrays in base units that declares the names it needs and
the names it gives (glossary names, :mod:`computescale.parameters`). A :class:`Chain` is an
ordered tuple of stages; several stages may give the same name (alternatives: the first that can
run wins). Stages run in chain order, in one pass, so a chain lists them in the order of their
dependencies. Everything the rest of the package used to list by hand is derived
from the declarations:

* which outputs a set of inputs determines (:meth:`Chain.available`),
* which inputs and stages a wanted output needs (:meth:`Chain.plan`, :meth:`Chain.inputs_for`),
* why an output is missing, naming the inputs to give (:meth:`Chain.why`).

A :class:`Model` is a chain with its glossary (inputs and outputs with units and ranges), a resolver
(given -> sourced figure -> sourced default -> clear error) and a packager (quantities, assumptions,
sources, notes). Every engine runs ANY model: the scalar API (:func:`estimate`), the NumPy sweep
and the Dask engine (:mod:`computescale.engines.sweep`, :mod:`computescale.engines.dask_engine`) and Monte Carlo
(:mod:`computescale.engines.montecarlo`).

Adding a model: write its stage functions, declare them with :func:`stage`, put them in a
:class:`Chain` (reusing the shared stages of :mod:`computescale.models.stages`), and give the
chain a :class:`Model` with its inputs and outputs. ``tests/test_chains.py`` defines a two-stage
toy model in the test file and runs it through every engine.

>>> area = Stage("area", ("width", "height"), lambda width, height: width * height)
>>> Chain("toy", (area,)).evaluate({"width": 2.0, "height": 3.0})["area"]
6.0
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["Stage", "stage", "Chain", "Model", "Resolved", "Settings", "Estimate", "estimate"]


@dataclass(frozen=True)
class Stage:
    """One step of a chain: ``func(**needs, **optional present)`` gives ``gives``.

    ``gives`` is a name or a tuple of names (then ``func`` returns a dict, and may leave out a name
    it cannot give). A name ending in ``:*`` is a family (``crosses:*`` gives ``crosses:<id>``).
    ``optional`` names are passed when present. A stage runs when all its ``needs`` are present and
    none of its ``gives`` is yet.
    """

    gives: str | tuple[str, ...]
    needs: tuple[str, ...]
    func: Callable[..., Any]
    optional: tuple[str, ...] = ()
    name: str = ""

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.gives,) if isinstance(self.gives, str) else tuple(self.gives)

    def __reduce__(self):
        # a stage made by @stage replaces its function under the module's name: pickle it by that name
        mod, name = getattr(self.func, "__module__", None), getattr(self.func, "__name__", None)
        if mod and name and getattr(sys.modules.get(mod), name, None) is self:
            return (_module_attribute, (mod, name))
        return (Stage, (self.gives, self.needs, self.func, self.optional, self.name))

    def run(self, values: Mapping[str, Any]) -> dict[str, Any]:
        kwargs = {n: values[n] for n in self.needs}
        kwargs.update((n, values[n]) for n in self.optional if values.get(n) is not None)
        got = self.func(**kwargs)
        if isinstance(self.gives, str) and not self.gives.endswith(":*"):
            return {self.gives: got}
        return {k: v for k, v in got.items() if v is not None}


def _module_attribute(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(module), name)


def stage(gives: str | Sequence[str], needs: Sequence[str] = (), optional: Sequence[str] = ()):
    """Declare a function a stage: ``@stage("energy", needs=("device_energy", "pue"))``.

    Without ``needs``, they are read from the signature: parameters without a default are needed,
    those with a default optional.
    """
    def wrap(func):
        params = [p for p in inspect.signature(func).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        need, opt = tuple(needs), tuple(optional)
        if not needs:
            need = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
            opt = opt or tuple(p.name for p in params if p.default is not inspect.Parameter.empty)
        return Stage(gives if isinstance(gives, str) else tuple(gives), need, func, opt, func.__name__)
    return wrap


def _family(name: str) -> str:
    return name.split(":", 1)[0] + ":*" if ":" in name else name


class Chain:
    """An ordered chain of stages; planning is symbolic (on names), evaluation on arrays."""

    def __init__(self, name: str, stages: Iterable[Stage]):
        self.name = name
        self.stages: tuple[Stage, ...] = tuple(stages)
        gives = [g for s in self.stages for g in s.outputs]
        #: every name some stage gives, in chain order
        self.outputs: tuple[str, ...] = tuple(dict.fromkeys(gives))
        #: every name some stage needs or uses
        self.used: tuple[str, ...] = tuple(dict.fromkeys(n for s in self.stages for n in s.needs + s.optional))
        #: names used that no stage gives: inputs the chain cannot do without (others, such as a
        #: count or a compute, may be given or derived)
        self.inputs: tuple[str, ...] = tuple(n for n in self.used if n not in self.outputs)
        self._plans: dict = {}
        self._forwards: dict = {}

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, {len(self.stages)} stages)"

    # -- symbolic ---------------------------------------------------------------------------------------------
    def _forward(self, present: frozenset[str]) -> tuple[list[Stage], frozenset[str]]:
        """Stages that can run from ``present``, in chain order (one pass), and every name then known; memoized."""
        got = self._forwards.get(present)
        if got is None:
            known, ran = set(present), []
            for s in self.stages:
                if all(n in known for n in s.needs) and not all(g in known for g in s.outputs):
                    ran.append(s)
                    known.update(s.outputs)
            got = self._forwards[present] = (tuple(ran), frozenset(known))
        return list(got[0]), got[1]

    def available(self, present: Iterable[str]) -> tuple[str, ...]:
        """Outputs the inputs named in ``present`` determine, in chain order (families as ``name:*``)."""
        _, known = self._forward(frozenset(present))
        return tuple(o for o in self.outputs if o in known and o not in present)

    def plan(self, present: Iterable[str], want: Iterable[str] | None = None) -> tuple[Stage, ...]:
        """The stages to run for ``want`` (all that can run when None), in run order; memoized."""
        key = (frozenset(present), None if want is None else frozenset(_family(w) for w in want))
        got = self._plans.get(key)
        if got is None:
            ran, _ = self._forward(key[0])
            if key[1] is not None:
                ran = _prune(ran, key[1], key[0])
            got = self._plans[key] = tuple(ran)
        return got

    def inputs_for(self, want: Iterable[str], present: Iterable[str]) -> tuple[str, ...]:
        """The inputs of ``present`` that the outputs ``want`` depend on."""
        present = frozenset(present)
        used = {n for s in self.plan(present, want) for n in s.needs + s.optional}
        return tuple(n for n in self.used if n in used and n in present)

    def useful(self, present: Iterable[str], candidates: Iterable[str]) -> tuple[str, ...]:
        """The ``candidates`` (inputs that could be filled, e.g. by a sourced default) that some output
        determined by ``present`` plus the candidates would use: fill only those."""
        candidates = [c for c in candidates if c not in present]
        both = frozenset(present) | frozenset(candidates)
        used = {n for s in self.plan(both) for n in s.needs + s.optional}
        return tuple(c for c in candidates if c in used)

    def unused(self, given: Iterable[str], present: Iterable[str] = ()) -> list[str]:
        """Why inputs in ``given`` would go unused (with ``present``, the other inputs known): the stage
        that uses them gives a name that is itself given. A caller refuses these rather than drop them
        silently (``params`` and ``tokens`` with ``compute``)."""
        given = frozenset(given)
        used = {n for s in self.plan(given | frozenset(present)) for n in s.needs + s.optional}
        by_clash: dict[str, list[str]] = {}
        for name in sorted(given - used):
            clash = [g for s in self.stages if name in s.needs + s.optional for g in s.outputs if g in given]
            if clash:
                by_clash.setdefault(clash[0], []).append(name)
        return [f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} not used: {g} is given "
                f"(give either {g}, or {' and '.join(names)})" for g, names in by_clash.items()]

    def missing(self, output: str, present: Iterable[str]) -> list[str]:
        """The fewest inputs to add to ``present`` so that ``output`` is determined ([] if it is)."""
        present = frozenset(present)
        return sorted(self._missing(_family(output), present, frozenset()) or [])

    def _missing(self, name: str, present: frozenset, seen: frozenset) -> set[str] | None:
        _, known = self._forward(present)
        if name in known:
            return set()
        if name not in self.outputs:
            return {name}
        best = None
        for s in self.stages:
            if name not in s.outputs or s in seen:
                continue
            need: set[str] = set()
            for n in s.needs:
                sub = self._missing(n, present, seen | {s})
                if sub is None:
                    break
                need |= sub
            else:
                if best is None or len(need) < len(best):
                    best = need
        return best

    def why(self, output: str, present: Iterable[str], flags: Callable[[str], str] = str) -> str:
        """One line: what ``output`` needs that ``present`` lacks (``flags`` names an input for a reader)."""
        miss = self.missing(output, present)
        if not miss:
            return ""
        return "needs " + " and ".join(flags(n) for n in miss)

    # -- numeric ----------------------------------------------------------------------------------------------
    def evaluate(self, x: Mapping[str, Any], want: Iterable[str] | None = None) -> dict[str, Any]:
        """Run the planned stages on inputs ``x`` (None values are absent); returns what they gave."""
        values = {k: v for k, v in x.items() if v is not None}
        out: dict[str, Any] = {}
        for s in self.plan(values.keys(), want):
            got = s.run(values)
            for k, v in got.items():
                if k not in values:
                    values[k] = out[k] = v
        return out


def _prune(ran: list[Stage], want: frozenset[str], present: frozenset[str]) -> list[Stage]:
    """Keep the stages the wanted names depend on (walking the run order backwards)."""
    needed = set(want)
    keep = []
    for s in reversed(ran):
        if any(g in needed for g in s.outputs):
            keep.append(s)
            needed.update(s.needs + s.optional)
    return keep[::-1]


# ---- a model: chain + glossary + resolve + package ------------------------------------------------------------
@dataclass
class Resolved:
    """A model's inputs for one estimate: base-unit values, their assumptions, and the estimate so far."""

    x: dict[str, Any]
    assumptions: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    context: Any = None  # the model's own record (a TrainingEstimate for training)


@dataclass
class Settings:
    """A model's named (not numeric) inputs for a sweep, resolved once: chain inputs, assumptions, and the
    precision the per-device tables use (None: the policy's default)."""

    x: dict[str, Any]
    assumptions: list = field(default_factory=list)
    precision: str | None = None


@dataclass
class Estimate:
    """A generic estimate: output quantities by glossary name, assumptions, warnings, why each output is missing."""

    results: dict[str, Any] = field(default_factory=dict)
    assumptions: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_given: dict[str, str] = field(default_factory=dict)
    model: str = ""

    def __getattr__(self, name: str):
        results = self.__dict__.get("results", {})
        if name in results:
            return results[name]
        raise AttributeError(name)

    def to_dict(self) -> dict:
        from ..render import to_jsonable

        return to_jsonable({"model": self.model, "results": self.results, "not_given": self.not_given,
                            "warnings": self.warnings, "assumptions": [a.to_dict() for a in self.assumptions]})


@dataclass(frozen=True)
class Model:
    """A chain with its glossary, resolver and packager: what every engine runs.

    ``inputs``/``outputs`` map glossary names to :class:`parameters.Input`/:class:`parameters.Output`.
    ``resolve(catalog, given) -> Resolved`` turns keywords into base-unit inputs (default: the
    generic resolver, given -> sourced default); ``package(resolved, out, catalog)`` turns the
    chain's outputs into the result (default: an :class:`Estimate`). ``device_inputs(device,
    precision) -> {input: base value}`` gives a sweep's per-device inputs (None: no device axis).
    """

    name: str
    chain: Chain
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    resolve: Callable[..., Resolved] | None = None
    package: Callable[..., Any] | None = None
    device_inputs: Callable[..., dict] | None = None
    hints: Mapping[str, str] = field(default_factory=dict)  # how to give an input that has no CLI flag
    implied: Mapping[str, str] = field(default_factory=dict)  # input -> the output that implies it: no default then
    constants: Mapping[str, Any] = field(default_factory=dict)  # chain inputs with a fixed value unless resolved
    prepare: Callable[..., Any] | None = None  # (catalog, settings) -> Settings: a sweep's named inputs (a model)
    limits: Mapping[str, tuple[float, str]] = field(default_factory=dict)  # output -> (upper bound, warning above it)
    sampled: Mapping[str, Callable] = field(default_factory=dict)  # a sampled input the resolver converts:
    #   name -> f(base values, chain inputs) -> (chain input, values), for engines that skip the resolver

    def flag(self, name: str) -> str:
        spec = self.inputs.get(name)
        return self.hints.get(name) or (f"{name} ({spec.flag})" if spec is not None else name)

    def why(self, output: str, present: Iterable[str]) -> str:
        return self.chain.why(output, present, self.flag)

    def warnings(self, values: Mapping[str, Any]) -> list[str]:
        """The model's warnings for output values past their stated limits (an implied MFU above 1)."""
        return [msg for name, (hi, msg) in self.limits.items()
                if values.get(name) is not None and np.nanmax(np.asarray(values[name], dtype=float), initial=-np.inf) > hi]

    def resolved(self, catalog, given: Mapping[str, Any]) -> Resolved:
        if self.resolve is not None:
            return self.resolve(catalog, dict(given))
        return resolve_generic(self, catalog, given)

    def packaged(self, r: Resolved, out: dict, catalog) -> Any:
        if self.package is not None:
            return self.package(r, out, catalog)
        return package_generic(self, r, out)


def resolve_generic(model: Model, catalog, given: Mapping[str, Any]) -> Resolved:
    """Each input: given -> its sourced default -> absent (an output that needs it says why)."""
    from .assumptions import Resolver

    unknown = [k for k in given if k not in model.inputs]
    if unknown:
        raise InputError(f"{unknown[0]}: not an input of the {model.name} model ({', '.join(model.inputs)})")
    for why in model.chain.unused(given):
        raise InputError(why)
    res = Resolver(catalog, specs=model.inputs)
    x = dict(model.constants) | {name: res.resolve(name, value) for name, value in given.items()}
    for name in model.chain.useful(x, [n for n in model.inputs if n not in x]):
        x[name] = res.resolve(name, required=False)
    return Resolved(x, res.assumptions)


def package_generic(model: Model, r: Resolved, out: dict) -> Estimate:
    """Outputs as quantities in their display units; why each missing one is missing."""
    from ..units import BASE, Q_, parse_unit

    present = [k for k, v in r.x.items() if v is not None]
    values = {k: r.x[k] for k in present} | out  # an output may be given (a stated compute)
    est = Estimate(model=model.name, assumptions=list(r.assumptions), warnings=model.warnings(values) + r.warnings)
    for name, spec in model.outputs.items():
        if name in values:
            v = np.asarray(values[name], dtype=float)
            est.results[name] = Q_(v.item() if v.ndim == 0 else v, BASE[spec.dimension]).to(parse_unit(spec.unit))
        else:
            est.not_given[name] = model.why(name, present)
    return est


def estimate(model: Model, /, *, catalog=None, **given: Any):
    """The scalar (or array) pipeline: resolve -> evaluate the chain -> package. (``model`` is
    positional: a model may have an input named ``model``.)"""
    from ..data.specs import load_catalog

    from ..limits import check_finite

    catalog = catalog or load_catalog()
    r = model.resolved(catalog, {k: v for k, v in given.items() if v is not None})
    with np.errstate(over="ignore", divide="ignore"):  # an overflow is refused below, in one line
        out = model.chain.evaluate(r.x)
    result = model.packaged(r, out, catalog)
    check_finite(getattr(result, "results", {}), {k: v for k, v in given.items() if isinstance(v, (str, int, float))})
    return result
