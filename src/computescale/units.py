"""The one pint registry of computescale, and the parsing of quantities at the package's edges.

Everything that enters computescale as a number with a unit goes through :func:`parse_quantity`
(strings, pint quantities, or plain numbers with a default unit) and is checked against the
dimension it must have. The NumPy core never sees pint: :func:`magnitude_in` strips units into a
fixed base unit (:data:`BASE`), and results get their unit back once, on the way out.

The definitions live in ``units.txt`` beside this module (grammar and sources in its header).
"""

from __future__ import annotations

import functools
import math
import copyreg
import re
import sys
from importlib import resources
from typing import Any

import numpy as np


def _import_pint():
    """``import pint`` without importing dask and xarray, with pint's dask support intact.

    pint imports dask at import time when it is installed (``pint.compat``), which costs a command
    ~70-100 ms of start-up here, and computescale never puts quantities in dask objects (its Dask
    engine passes plain floats and arrays; units travel as attribute text). So dask is hidden
    while pint is imported, and pint's dask hooks are then put back as lazy ones: a user's
    ``Quantity(dask_array, ...).compute()`` works as it would without computescale, and dask is
    imported when such a quantity is first used. Where pint is already imported, it is left as it is.
    """
    import sys
    from importlib.util import find_spec

    if "pint" in sys.modules:
        import pint
        return pint
    hidden = [m for m in ("dask", "xarray") if m not in sys.modules]
    for m in hidden:
        sys.modules[m] = None  # type: ignore[assignment]  # "not installed" for the duration of the import
    try:
        import pint
        import pint.facets.dask as pint_dask
    finally:
        for m in hidden:
            sys.modules.pop(m, None)
    if "dask" in hidden and not pint.compat.HAS_DASK and find_spec("dask") is not None:
        lazy = {"compute": _LazyDask("dask.base", "compute"), "persist": _LazyDask("dask.base", "persist"),
                "visualize": _LazyDask("dask.base", "visualize"), "dask_array": _LazyDask("dask.array")}
        for module in (pint.compat, pint_dask):
            for name, value in lazy.items():
                setattr(module, name, value)
        pint.compat.HAS_DASK = True
    return pint


class _LazyDask:
    """A dask module (or one of its functions) imported on first use: what pint.compat holds when dask is installed."""

    def __init__(self, module: str, attr: str | None = None):
        self._module, self._attr = module, attr

    def _target(self):
        import importlib

        m = importlib.import_module(self._module)
        return getattr(m, self._attr) if self._attr else m

    def __getattr__(self, name: str):
        return getattr(self._target(), name)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)


pint = _import_pint()

from .errors import InputError, UnitError

__all__ = [
    "ureg",
    "Q_",
    "BASE",
    "DIMENSIONS",
    "parse_quantity",
    "parse_unit",
    "read_number",
    "magnitude_in",
    "quantity_to_json",
    "format_quantity",
    "DimensionalityError",
]

# Spellings users type that pint's grammar cannot read as written ("PF-day", "GPU-hours",
# "kg CO2e", "TFLOPs/s", "%"). Each rule rewrites them to a name defined in units.txt.
_PREPROCESS = [
    (re.compile(r"\b(?:PF|PFLOPS|PFLOP/s|petaflop/s|petaflops?)[-\s_]days?\b", re.I), "PF_day"),
    (re.compile(r"\b(GPU|device|chip|accelerator)[-\s](hour|day)s?\b", re.I), r"\1_\2"),
    (re.compile(r"\b(k?g|t|tonnes?)\s*CO2(?:e|eq|-eq)?\b"), lambda m: {"tonne": "t", "tonnes": "t"}.get(m.group(1), m.group(1)) + "CO2e"),
    (re.compile(r"%"), " percent"),
]


def _preprocess(text: str) -> str:
    for pattern, replacement in _PREPROCESS:
        text = pattern.sub(replacement, text)
    return text


def _build_registry() -> pint.UnitRegistry:
    registry = pint.UnitRegistry(
        filename=None,  # nothing from pint's default file: units.txt is the whole system
        preprocessors=[_preprocess],
        autoconvert_offset_to_baseunit=False,
        on_redefinition="raise",
    )
    definitions = resources.files(__package__).joinpath("units.txt")
    with resources.as_file(definitions) as path:
        registry.load_definitions(str(path))
    registry.formatter.default_format = "~"  # symbols ("TFLOP/s"), not names, when printed
    return registry


ureg: pint.UnitRegistry = _build_registry()
Q_ = ureg.Quantity


@functools.lru_cache(maxsize=None)
def _unit_from_text(text: str):
    return ureg.Unit(text)


def _rebuild_quantity(magnitude, units: str):
    """Unpickle a quantity into this package's registry (pint's default unpickles into its own).

    Units travel as text (prefixed units such as gibibyte are defined on first parse), each
    distinct text parsed once.
    """
    return Q_(magnitude, _unit_from_text(units))


def _reduce_quantity(q):
    return _rebuild_quantity, (q._magnitude, str(q._units))


copyreg.pickle(Q_, _reduce_quantity)  # quantities pickle (the catalog cache) and come back in ureg


class DimensionalityError(UnitError, pint.DimensionalityError):
    """pint's DimensionalityError raised by a quantity of computescale's registry (``Q_("1 FLOP") +
    Q_("1 byte")``): a :class:`~computescale.errors.UnitError`, and still pint's error for code that
    catches that. Quantities of other registries are not touched."""

    def __init__(self, units1, units2, dim1: str = "", dim2: str = "", extra_msg: str = ""):
        pint.DimensionalityError.__init__(self, units1, units2, dim1, dim2, extra_msg)
        Exception.__init__(self, units1, units2, dim1, dim2, extra_msg)

    __str__ = pint.DimensionalityError.__str__
    __reduce__ = pint.DimensionalityError.__reduce__


def _as_unit_error(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except DimensionalityError:
            raise
        except pint.DimensionalityError as exc:
            raise DimensionalityError(exc.units1, exc.units2, exc.dim1, exc.dim2, exc.extra_msg) from None

    return wrapper


# Every method of this registry's Quantity class that converts units (pint makes the class per registry).
for _name in ("__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "to", "ito", "m_as", "to_base_units",
              "compare", "__lt__", "__le__", "__gt__", "__ge__", "__array_ufunc__", "__array_function__", "__float__",
              "__int__", "__complex__", "__index__"):
    if hasattr(Q_, _name):
        setattr(Q_, _name, _as_unit_error(getattr(Q_, _name)))

#: The fixed units the NumPy core works in; every magnitude entering a kernel is in these.
BASE: dict[str, pint.Unit] = {
    "compute": ureg.FLOP,
    "compute_rate": ureg.FLOP / ureg.second,
    "ops_rate": ureg.OP / ureg.second,
    "information": ureg.byte,
    "bandwidth": ureg.byte / ureg.second,
    "time": ureg.second,
    "power": ureg.watt,
    "energy": ureg.joule,
    "currency": ureg.USD,
    "hourly_rate": ureg.USD / ureg.device_hour,
    "energy_price": ureg.USD / ureg.kWh,
    "emissions": ureg.kgCO2e,
    "carbon_intensity": ureg.kgCO2e / ureg.kWh,
    "device_time": ureg.device_hour,
    "cost_per_compute": ureg.USD / ureg.FLOP,
    "token_rate": ureg.token / ureg.second,
    "information_per_token": ureg.byte / ureg.token,
    "energy_per_token": ureg.joule / ureg.token,
    "cost_per_token": ureg.USD / ureg.token,
    "emissions_per_token": ureg.kgCO2e / ureg.token,
    "dimensionless": ureg.dimensionless,
}

#: Human names for the dimensions an input may be asked to have, with an example unit each.
DIMENSIONS: dict[str, tuple[str, str]] = {
    key: (name, example)
    for key, name, example in [
        ("compute", "compute", "FLOP, PF-day"),
        ("compute_rate", "compute per time", "TFLOP/s"),
        ("ops_rate", "integer operations per time", "TOPS"),
        ("information", "information", "GB, GiB"),
        ("bandwidth", "information per time", "TB/s, GB/s"),
        ("time", "time", "day, hour"),
        ("power", "power", "W, kW"),
        ("energy", "energy", "kWh, MWh"),
        ("currency", "currency", "USD"),
        ("hourly_rate", "currency per device-hour", "USD/GPU_hour"),
        ("energy_price", "currency per energy", "USD/kWh"),
        ("emissions", "emissions", "kgCO2e, tCO2e"),
        ("carbon_intensity", "emissions per energy", "kgCO2e/kWh"),
        ("device_time", "device-time", "GPU_hour"),
        ("cost_per_compute", "currency per compute", "USD/PF_day"),
        ("token_rate", "tokens per time", "token/s"),
        ("information_per_token", "information per token", "kB/token"),
        ("energy_per_token", "energy per token", "J/token"),
        ("cost_per_token", "currency per token", "USD/Mtoken"),
        ("emissions_per_token", "emissions per token", "gCO2e/Mtoken"),
        ("dimensionless", "dimensionless", "a plain number"),
    ]
}

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


# Characters a unit may contain: names, digits (exponents), spaces, * / ^ ** ( ) . - + and %.
# pint silently drops some others ("W;" reads as W) and crashes on more ("W)", ":"), so check first.
_UNIT_CHARS = re.compile(r"[\w\s*/^().+%-]")
_MAX_EXPONENT = 12


@functools.lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string once and keep the Unit (pint re-parses strings on every call)."""
    if not text:
        return ureg.dimensionless
    stray = [c for c in text if not _UNIT_CHARS.fullmatch(c)]
    if stray:
        raise UnitError(f"cannot read the unit {text!r}: {stray[0]!r} is not part of a unit (e.g. 'TFLOP/s', 'USD/kWh')")
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            break
    if depth:
        raise UnitError(f"cannot read the unit {text!r}: unbalanced parentheses")
    try:
        unit = ureg.Unit(_preprocess(text))
        # pint evaluates exponents ("W**9^99999", "W**-1e400"): a huge one breaks every later step
        if any(not abs(float(e)) <= _MAX_EXPONENT for e in unit._units.values()):
            raise UnitError(f"cannot read the unit {text!r}: an exponent beyond ±{_MAX_EXPONENT}")
        return unit
    except UnitError:
        raise
    except pint.errors.UndefinedUnitError as exc:
        raise UnitError(f"unknown unit {text!r} ({exc})") from None
    except ZeroDivisionError:
        raise UnitError(f"cannot read the unit {text!r}: it divides by zero") from None
    except OverflowError:
        raise UnitError(f"cannot read the unit {text!r}: an exponent beyond ±{_MAX_EXPONENT}") from None
    except Exception as exc:  # noqa: BLE001 - pint's parser raises TokenError, AssertionError, ... on malformed text
        reason = str(exc) or "not a unit expression pint can read"
        raise UnitError(f"cannot read the unit {text!r}: {reason}") from None


def _dimensionality(key: str):
    return BASE[key].dimensionality


def parse_quantity(value: Any, dimension: str, *, what: str = "value", default_unit: str | None = None):
    """Parse ``value`` into a pint Quantity of the given dimension, or raise :class:`UnitError`.

    Parameters
    ----------
    value : str, pint.Quantity, int or float
        ``"989.4 TFLOP/s"``, ``Q_(80, "GB")``, or a bare number (then ``default_unit`` applies;
        with no default unit only a dimensionless input may be bare).
    dimension : str
        A key of :data:`BASE`, e.g. ``"compute_rate"``.
    what : str
        The input's name, used in error messages.
    """
    if isinstance(value, pint.Quantity):
        if value._REGISTRY is not ureg:
            raise UnitError(f"{what}: quantity from another pint registry; use computescale.ureg / computescale.Q_")
        quantity = value
    elif isinstance(value, str):
        match = _NUMBER_UNIT.match(value)
        if not match:
            raise UnitError(f"{what}: cannot read {value!r} as '<number> <unit>' (e.g. '{_example(dimension)}')")
        number = read_number(match.group(1), what)
        unit_text = match.group(2)
        if not unit_text and default_unit is not None:
            unit_text = default_unit
        quantity = Q_(number, _unit_for(unit_text, what, value))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        unit_text = default_unit if default_unit is not None else ""
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range, e.g. 10**400
            raise InputError(f"{what}: {_short(value)} is too large (beyond {sys.float_info.max:.3g})") from None
        quantity = Q_(number, _unit_for(unit_text, what))
    else:
        raise UnitError(f"{what}: expected a quantity such as '{_example(dimension)}', got {type(value).__name__}")
    if quantity.dimensionality != _dimensionality(dimension):
        name, example = DIMENSIONS[dimension]
        got = str(quantity.dimensionality) if quantity.dimensionality else "dimensionless"
        raise UnitError(f"{what}: expected {name} (e.g. {example}), got {_short(value)} with dimension {got}")
    magnitude = quantity.magnitude
    if isinstance(magnitude, float) and math.isnan(magnitude):
        raise UnitError(f"{what}: value is NaN")
    # Infinite, or finite but overflowing once in base units ("1e300 EFLOP"): no input may be infinite.
    if _has_inf(lambda: quantity.m_as(BASE[dimension])):
        if _has_inf(lambda: magnitude):
            raise InputError(f"{what}: {_short(value)} is infinite or beyond {sys.float_info.max:.3g}; give a finite value")
        raise InputError(f"{what}: {_short(value)} is too large: it overflows a float (beyond {sys.float_info.max:.3g}) "
                         f"in {BASE[dimension]:~}; give a finite value")
    return quantity


def _has_inf(get) -> bool:
    """Whether the magnitude ``get()`` returns holds an infinity (an int beyond float range counts)."""
    try:
        return bool(np.isinf(np.asarray(get(), dtype=float)).any())
    except (OverflowError, ZeroDivisionError):
        return True


_NUMBER = re.compile(r"[-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def read_number(text: str, what: str = "value") -> float:
    """A decimal number as users write it: ``"2.15e25"``, ``"25,000"``, ``"1_000"``.

    A comma separates thousands only, in groups of three digits (``"1,5"`` is an error, not 15:
    in many locales it means 1.5). Raises :class:`UnitError` for anything else,
    :class:`InputError` for a number too large for a float (``"1e400"``).
    """
    if not isinstance(text, str) or not _NUMBER.fullmatch(text.strip()):
        raise UnitError(f"{what}: cannot read the number {text!r} (e.g. 2.15e25, 25,000)")
    digits = text.strip().lstrip("+-")
    if "," in digits:
        whole = re.split(r"[.eE]", digits, maxsplit=1)[0]
        if not re.fullmatch(r"\d{1,3}(?:,\d{3})+", whole):
            raise UnitError(f"{what}: cannot read {text!r}: a comma separates thousands in groups of three digits "
                            "(25,000); write a decimal with a point (1.5)")
    try:
        number = float(text.replace(",", ""))  # float() itself accepts '_' only between digits
    except ValueError:
        raise UnitError(f"{what}: cannot read the number {text!r} (e.g. 2.15e25, 25,000)") from None
    if math.isinf(number):
        raise InputError(f"{what}: {text!r} is too large (beyond {sys.float_info.max:.3g}); give a finite value")
    return number


def _unit_for(unit_text: str, what: str, given: Any = None) -> pint.Unit:
    try:
        return parse_unit(unit_text)
    except UnitError as exc:
        raise UnitError(f"{what}: {_short(given)!r}: {exc}" if isinstance(given, str) else f"{what}: {exc}") from None


def _short(value: Any, limit: int = 60) -> str:
    """An input as shown in a message, clipped (a 10**400 int has 401 digits)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _example(dimension: str) -> str:
    return {"dimensionless": "0.4"}.get(dimension, "1 " + DIMENSIONS[dimension][1].split(",")[0])


def magnitude_in(quantity, dimension: str):
    """The magnitude of ``quantity`` in the fixed base unit of ``dimension`` (float or ndarray)."""
    return quantity.m_as(BASE[dimension])


def quantity_to_json(quantity) -> dict[str, Any]:
    """``{"magnitude": <number or list>, "units": "<pint unit string>"}``."""
    magnitude = quantity.magnitude
    if hasattr(magnitude, "tolist"):
        magnitude = magnitude.tolist()
    return {"magnitude": magnitude, "units": f"{quantity.units:~}"}


def format_quantity(quantity, digits: int = 4) -> str:
    """A short human string: ``'989.4 TFLOP/s'``, ``'3.35 TB/s'``."""
    magnitude = quantity.magnitude
    units = f"{quantity.units:~}".replace(" ", "")
    if isinstance(magnitude, float) and (magnitude == 0 or 1e-3 <= abs(magnitude) < 1e6):
        text = f"{magnitude:.{digits}g}"
    elif isinstance(magnitude, float):
        text = f"{magnitude:.{digits - 1}e}"
    else:
        text = str(magnitude)
    return f"{text} {units}" if units else text
