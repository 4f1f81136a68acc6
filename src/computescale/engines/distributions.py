"""Uncertain values: ranges and small distributions, read from text or given as objects.

``"0.32..0.36"`` and ``(lo, hi)`` are :class:`Uniform`; ``"25k±10%"`` is uniform around the value;
``"normal(0.34, 0.01)"``, ``"triangular(90, 95, 100) day"``, ``"lognormal(2e25, 0.3)"`` are
:class:`Normal`, :class:`Triangular`, :class:`LogNormal`. Bounds are read in the unit of the input
they belong to (its glossary record); :mod:`computescale.engines.montecarlo` samples them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..cluster import parse_count
from ..errors import InputError
from ..parameters import INPUTS
from ..units import BASE, parse_quantity

__all__ = ["Uniform", "Normal", "Triangular", "LogNormal", "parse_uncertain", "DISTRIBUTIONS"]


def _to_base(value: Any, key: str, spec=None) -> float:
    """One bound of a distribution, in the base unit of the input ``key`` (``spec``: its glossary record,
    default the training glossary's)."""
    spec = spec or INPUTS[key]
    dim, unit = (None if spec.kind == "count" else spec.dimension), spec.unit
    if dim is None:
        if isinstance(value, str):
            return float(parse_count(value, what=key)) if re.fullmatch(r"[\d.,_]+[kKmM]?", value.strip()) else _bad(key, value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return _bad(key, value)
    q = parse_quantity(value, dim, what=key, default_unit=unit or None)
    return float(q.m_as(BASE[dim]))


def _bad(key, value):
    raise InputError(f"{key}: cannot read {value!r} as a number")


@dataclass(frozen=True)
class Uniform:
    """Uniform between ``lo`` and ``hi`` (inclusive of a zero-width range)."""

    lo: Any
    hi: Any

    def _bounds(self, key, spec=None):
        lo, hi = _to_base(self.lo, key, spec) + 0.0, _to_base(self.hi, key, spec) + 0.0  # + 0.0: -0.0 is 0.0 (numpy refuses 0..-0)
        if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(hi - lo)):
            raise InputError(f"{key}: range bounds must be finite (and their difference too), got {self.lo!r}..{self.hi!r}")
        if lo > hi:
            raise InputError(f"{key}: range {self.lo!r}..{self.hi!r} runs backwards; give (low, high)")
        return lo, hi

    def sample(self, rng, n, key, spec=None):
        lo, hi = self._bounds(key, spec)
        return rng.uniform(lo, hi, n)

    def describe(self) -> str:
        return f"uniform({self.lo}, {self.hi})"


@dataclass(frozen=True)
class Normal:
    """Normal with mean and standard deviation ``sd`` (same unit as the mean)."""

    mean: Any
    sd: Any

    def sample(self, rng, n, key, spec=None):
        m = _to_base(self.mean, key, spec)
        sd = _to_base(self.sd, key, spec) + 0.0  # in the mean's unit, bare numbers too (95, 5 days); -0.0 is 0.0
        if not sd >= 0 or not math.isfinite(sd):
            raise InputError(f"{key}: normal sd must be a finite number >= 0, got {self.sd!r}")
        return rng.normal(m, sd, n)

    def describe(self) -> str:
        return f"normal(mean {self.mean}, sd {self.sd})"


@dataclass(frozen=True)
class Triangular:
    """Triangular on [lo, hi] with its peak at ``mode``."""

    lo: Any
    mode: Any
    hi: Any

    def sample(self, rng, n, key, spec=None):
        lo, mode, hi = (_to_base(x, key, spec) for x in (self.lo, self.mode, self.hi))
        if not lo <= mode <= hi:
            raise InputError(f"{key}: triangular needs lo <= mode <= hi, got {self.lo!r}, {self.mode!r}, {self.hi!r}")
        if lo == hi:
            return np.full(n, lo)
        return rng.triangular(lo, mode, hi, n)

    def describe(self) -> str:
        return f"triangular({self.lo}, {self.mode}, {self.hi})"


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with the given median and ``sigma``, the standard deviation of its natural log."""

    median: Any
    sigma: float

    def sample(self, rng, n, key, spec=None):
        med = _to_base(self.median, key, spec)
        try:
            sigma = float(self.sigma)
        except (TypeError, ValueError):
            raise InputError(f"{key}: lognormal sigma (the standard deviation of the log) must be a number "
                             f"such as 0.3, got {self.sigma!r}") from None
        if not med > 0:
            raise InputError(f"{key}: lognormal median must be > 0, got {self.median!r}")
        if not (sigma >= 0 and math.isfinite(sigma)):
            raise InputError(f"{key}: lognormal sigma must be a finite number >= 0, got {self.sigma!r}")
        if not sigma:
            return np.full(n, med)
        with np.errstate(over="ignore"):  # a huge sigma overflows to inf: refused by the input's range check, in one line
            return med * np.exp(rng.normal(0.0, sigma, n))

    def describe(self) -> str:
        return f"lognormal(median {self.median}, sigma {self.sigma})"


_DISTRIBUTIONS = (Uniform, Normal, Triangular, LogNormal)
_FUNC = re.compile(r"^\s*(uniform|normal|triangular|lognormal)\s*\((.*)\)\s*(.*?)\s*$", re.I)
_RANGE = re.compile(r"^\s*([^\s.][^\s]*?|\.\d\S*?)\s*\.\.\s*(\S+)\s*(.*?)\s*$")
_PM = re.compile(r"^\s*(\S+?)\s*(?:±|\+-|\+/-)\s*([\d.eE+-]+)\s*(%?)\s*(.*?)\s*$")


def _with_unit(x: str, unit: str) -> str:
    return f"{x} {unit}" if unit and re.fullmatch(r"[-+\d.eE_,]+", x) else x


def parse_uncertain(value: Any, what: str = "value"):
    """Read an uncertain input from text; anything else (and plain values) is returned unchanged.

    ``"0.32..0.36"``, ``"90..100 day"``: uniform. ``"25k±10%"``, ``"0.34 +- 0.02"``: uniform around
    the value. ``"normal(0.34, 0.01)"``, ``"triangular(90, 95, 100) day"``, ``"lognormal(2e25, 0.3)"``,
    ``"uniform(0.32, 0.36)"``. A tuple ``(lo, hi)`` is uniform.
    """
    if isinstance(value, _DISTRIBUTIONS):
        return value
    if isinstance(value, tuple):
        if len(value) != 2:
            raise InputError(f"{what}: a range is (low, high), got {len(value)} values {value!r}")
        return Uniform(*value)
    if not isinstance(value, str):
        return value
    m = _FUNC.match(value)
    if m:
        kind, args, unit = m.group(1).lower(), [a.strip() for a in m.group(2).split(",")], m.group(3)
        want = {"uniform": 2, "normal": 2, "triangular": 3, "lognormal": 2}[kind]
        if len(args) != want or not all(args):
            raise InputError(f"{what}: {kind}(...) takes {want} values, got {value!r}")
        if kind == "normal":
            return Normal(_with_unit(args[0], unit), _with_unit(args[1], unit))
        if kind == "lognormal":
            try:
                sigma = float(args[1])
            except ValueError:
                raise InputError(f"{what}: lognormal(median, sigma) takes sigma, the standard deviation of the log, "
                                 f"as a plain number such as 0.3; got {args[1]!r}") from None
            return LogNormal(_with_unit(args[0], unit), sigma)
        cls = Uniform if kind == "uniform" else Triangular
        return cls(*(_with_unit(a, unit) for a in args))
    m = _PM.match(value)
    if m:
        return _plus_minus(value, what, *m.groups())
    if ".." in value:
        m = _RANGE.match(value)
        if not m:
            raise InputError(f"{what}: cannot read the range {value!r}; write low..high, e.g. '0.32..0.36' or '90..100 day'")
        lo, hi, unit = m.groups()
        if _bare(lo) and _bare(hi) and float(_num(lo)) > float(_num(hi)):
            raise InputError(f"{what}: the range {value!r} runs backwards; write low..high")
        return Uniform(_with_unit(lo, unit), _with_unit(hi, unit))
    return value


def _bare(x: str) -> bool:
    try:
        float(_num(x))
        return True
    except ValueError:
        return False


def _num(x: str) -> str:
    return x.replace("_", "").replace(",", "")


def _plus_minus(value: str, what: str, centre: str, spread: str, pct: str, unit: str):
    """'25k±10%' -> Uniform(22500, 27500): bounds as numbers (or quantities), never re-read as text."""
    try:
        c = float(parse_count(centre)) if re.fullmatch(r"[\d.,_]+[kKmM]", centre) else float(_num(centre))
        d = float(spread)
    except (ValueError, InputError):
        raise InputError(f"{what}: cannot read {value!r}; write e.g. '25k±10%' or '0.34 +- 0.02'") from None
    d = abs(c) * d / 100 if pct else d
    if not (math.isfinite(c) and math.isfinite(d)) or d < 0:
        raise InputError(f"{what}: the ± spread in {value!r} must be a finite number >= 0")
    if c - d < 0:
        raise InputError(f"{what}: {value!r} reaches below zero ({c:g} - {d:g}); give a spread smaller than the value")
    if unit:
        from ..units import Q_, parse_unit

        return Uniform(Q_(c - d, parse_unit(unit)), Q_(c + d, parse_unit(unit)))
    return Uniform(c - d, c + d)


DISTRIBUTIONS = _DISTRIBUTIONS
