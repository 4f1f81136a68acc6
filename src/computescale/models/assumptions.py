"""One resolution of every input the training model uses, for every path (scalar, grid, samples).

The order is fixed: the value given -> the run's sourced figure -> the device's sourced figure ->
the sourced default in ``specs/defaults.toml`` -> a clear :class:`InputError` naming the option to
pass. Each resolved value comes back in its base unit (``units.BASE``) together with an
:class:`Assumption` that says where it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ..errors import InputError
from ..parameters import INPUTS, check_domain
from ..data.systems import system_overhead
from ..units import BASE, Q_, magnitude_in, parse_quantity, parse_unit

__all__ = ["Assumption", "Resolver", "to_base", "POWER_FRACTION_CONVENTION"]

#: No source measures average draw as a fraction of TDP: 1.0 (full TDP throughout) is a stated
#: upper-bound convention, listed as such wherever it is used, not a sourced default.
POWER_FRACTION_CONVENTION = (1.0, "1.0 = devices draw their full TDP throughout; no sourced average-draw default "
                                  "exists, so this is an upper-bound assumption (Patterson et al. 2021 note V100s "
                                  "run close to TDP); give --power-fraction to change it")


@dataclass(frozen=True)
class Assumption:
    """One input the estimate used: its value, where it came from, and what it means."""

    name: str
    value: Any  # a Quantity, a number, or text
    source: str | None  # source id(s) in the catalog; None where no source exists (said in note)
    note: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "source": self.source, "note": self.note or None}


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def to_base(name: str, value: Any, spec=None):
    """An input given as a number, list, array, Quantity or text, in its base unit, range-checked.

    Bare numbers are read in the input's unit (``duration=95`` is 95 days). Returns a float or an
    ndarray; raises :class:`UnitError` for a wrong dimension and :class:`InputError` out of range.
    ``spec`` is the input's glossary record (default: the training glossary's ``INPUTS[name]``).
    """
    spec = spec or INPUTS[name]
    dim = spec.dimension or "dimensionless"
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and dim == "dimensionless":
        check_domain(name, value, spec=spec)  # a float array already in its base unit: no copy, no unit parsing
        return value if value.ndim else value.item()
    if isinstance(value, (list, tuple, np.ndarray)) and not isinstance(value, pint.Quantity):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected a number or an array of numbers, got {value!r}") from None
        value = Q_(arr, parse_unit(spec.unit))
    elif isinstance(value, float) and math.isnan(value):
        value = Q_(np.asarray(value), parse_unit(spec.unit))
    q = parse_quantity(value, dim, what=name, default_unit=spec.unit or None) if not _nan_quantity(value) else value
    m = np.asarray(magnitude_in(q, dim), dtype=float)
    try:
        check_domain(name, m, spec=spec)
    except InputError:
        if not spec.unit or not m.size:
            raise
        factor = float(Q_(1.0, BASE[dim]).m_as(parse_unit(spec.unit)))  # the message in the unit the user reads
        check_domain(name, m * factor, shown_unit=spec.unit, spec=spec)
        raise
    return m.item() if m.ndim == 0 else m


def _nan_quantity(value) -> bool:
    return isinstance(value, pint.Quantity) and np.ndim(value.magnitude) == 0 and math.isnan(float(value.magnitude))


class Resolver:
    """Resolves inputs for one estimate: given -> run -> device -> default -> error.

    ``run`` is a catalog Run (or None); ``cluster`` a :class:`Cluster` (or None); ``run_hardware``
    whether the run's own duration and GPU-hours apply (its cluster is the one used).
    """

    def __init__(self, catalog, run=None, cluster=None, run_hardware: bool = False, specs=None):
        self.catalog = catalog
        self.specs = specs if specs is not None else INPUTS  # the model's glossary
        self.run = run
        self.cluster = cluster
        self.run_hardware = run_hardware
        self.assumptions: list[Assumption] = []

    def note(self, assumption: Assumption) -> None:
        self.assumptions.append(assumption)

    # -- the chain -------------------------------------------------------------------------------------
    def resolve(self, name: str, given: Any = None, *, required: bool = True):
        """The base-unit value of input ``name`` and where it came from; None if not required and absent.

        The :class:`Assumption` recorded carries the input's glossary name.
        """
        label = name
        if given is not None:
            v = to_base(name, given, self.specs[name])
            self.note(Assumption(label, self.shown(name, v), None, "given"))
            return v
        for step in (self.from_run, self._from_device, self._from_default):
            found = step(name, label)
            if found is not None:
                return found
        if not required:
            return None
        raise InputError(self._missing(name))

    def from_run(self, name: str, label: str):
        r = self.run
        field = {"mfu": "mfu", "duration": "duration", "device_time": "gpu_hours", "power": "power"}.get(name)
        if r is None or field is None or getattr(r, field) is None:
            return None
        if name in ("duration", "device_time") and not self.run_hardware:
            return None  # they belong to the run's own hardware
        if name == "mfu" and not (self.run_hardware or self.cluster is not None):
            return None
        e = getattr(r, field)
        note = {"device_time": "the run's stated GPU-hours, used instead of count x duration",
                "power": "the run's stated power per device"}.get(name, "")
        self.note(Assumption(label, e.value, e.source, _join(note, e.derived and f"derived: {e.derived}", e.note)))
        return magnitude_in(e.value, self.specs[name].dimension)

    def _from_device(self, name: str, label: str):
        c = self.cluster
        if c is None:
            return None
        if name == "power" and c.has("power"):
            v = _mean(c, "power")
            note = "device TDP (a maximum, not a measured draw)"
            self.note(Assumption(label, Q_(_plain(v), "W"), ", ".join(dict.fromkeys(c.sources("power"))), note))
            return v
        if name == "server_overhead":
            return self._system_overhead(label)
        known = self.catalog.clusters.get(c.known) if c.known else None
        if name == "pue" and known is not None and known.pue is not None:  # the site's own reported PUE
            e = known.pue
            self.note(Assumption(label, e.value, e.source, _join(f"{known.name}'s reported PUE", e.note)))
            return to_base("pue", e.value)  # range-checked: a PUE is >= 1
        if name == "unit_price" and c.has("price"):
            v = _mean(c, "price")
            self.note(Assumption(label, Q_(_plain(v), "USD"), ", ".join(dict.fromkeys(c.sources("price"))),
                                 "device's sourced price (mean per device)"))
            return v
        if name == "rental_price" and len(c.members) == 1:
            dev = c.members[0].device
            if dev.rental is not None:
                e = dev.rental.hourly
                self.note(Assumption(label, e.value, e.source, _join(f"{dev.name}'s sourced rental rate ({dev.rental.kind}, {dev.rental.scope})", e.note)))
                return magnitude_in(e.value, "hourly_rate")
            if dev.name.startswith("H100") and "gpu_hour_rental_h100" in self.catalog.defaults:
                d = self.catalog.defaults["gpu_hour_rental_h100"]
                self.note(Assumption(label, d.value, d.source, _join("default for H100", d.note)))
                return magnitude_in(d.value, "hourly_rate")
        return None

    def _system_overhead(self, label: str):
        """server_overhead from the devices' rated systems (systems.py); None where none has one."""
        d = self.catalog.defaults.get("server_overhead")
        fallback = d.value.m_as("") if d is not None else float("nan")
        found = system_overhead(self.catalog, self.cluster, fallback)
        if found is None:
            return None
        v, source, note = found
        self.note(Assumption(label, Q_(_plain(v), ""), source, note))
        return v

    def _from_default(self, name: str, label: str):
        key = self.specs[name].default
        if key is None:
            return None
        d = self.catalog.defaults.get(key)
        if d is None:
            if name == "power_fraction":
                v, note = POWER_FRACTION_CONVENTION
                self.note(Assumption(label, Q_(v, ""), None, note))
                return v
            return None
        self.note(Assumption(label, d.value, d.source, _join("default", d.derived and f"derived: {d.derived}", d.note)))
        return magnitude_in(d.value, self.specs[name].dimension or "dimensionless")

    def _missing(self, name: str) -> str:
        spec = self.specs[name]
        where = f"no sourced default '{spec.default}' in the spec tables" if spec.default else "no sourced value"
        return (f"{name}: not given and {where}; pass {name}= in the API or {spec.flag} on the command line "
                f"({spec.description})")

    def shown(self, name: str, v):
        spec = self.specs[name]
        dim = spec.dimension or "dimensionless"
        q = Q_(_plain(v), BASE[dim])
        return q.to(parse_unit(spec.unit)) if spec.unit else q


def _mean(c, metric: str):
    """Mean per-device figure of a cluster in base units (a scalar for one device type)."""
    per = c.per_device(metric)
    if len(c.members) == 1:
        return float(per[0])
    return np.asarray(c.total_magnitude(metric)) / np.asarray(c.n_devices, dtype=float)


def _plain(v):
    a = np.asarray(v, dtype=float)
    return a.item() if a.ndim == 0 else a
