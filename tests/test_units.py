"""The unit system: dimensions that cannot be mixed, conversions that round-trip, ratios that
do not depend on the units each side was given in."""

import math

import pint
import pytest
from hypothesis import given, strategies as st

from computescale import Q_, UnitError, parse_quantity, ureg
from computescale.units import BASE, magnitude_in, quantity_to_json

pos = st.floats(min_value=1e-6, max_value=1e30, allow_nan=False, allow_infinity=False)
scale = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    "text, expected",
    [
        # (unit, value in base units); definitions from units.txt and its cited conventions
        ("1 PF-day", 8.64e19),  # OpenAI "AI and Compute" (2018): 1 PF/s-day = 8.64e19 FLOP
        ("1 petaflop/s-day", 8.64e19),
        ("3640 PF-days", 3640 * 8.64e19),  # GPT-3 paper Table D.1 uses this unit
        ("1 TFLOP", 1e12),
        ("2 FLOPs", 2.0),
        ("1 EFLOP", 1e18),
    ],
)
def test_compute_amounts(text, expected):
    assert magnitude_in(parse_quantity(text, "compute"), "compute") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "text, expected_flop_per_s",
    [("989.4 TFLOP/s", 989.4e12), ("989.4 TFLOPS", 989.4e12), ("1 PFLOP/s", 1e15), ("1 EFLOP/s", 1e18)],
)
def test_compute_rates(text, expected_flop_per_s):
    assert magnitude_in(parse_quantity(text, "compute_rate"), "compute_rate") == pytest.approx(expected_flop_per_s)


@pytest.mark.parametrize(
    "text, dimension, base_value",
    [
        ("80 GB", "information", 80e9),
        ("80 GiB", "information", 80 * 2**30),
        ("3.35 TB/s", "bandwidth", 3.35e12),
        ("1200 GBps", "bandwidth", 1200e9),
        ("4800 Gbit/s", "bandwidth", 600e9),
        ("700 W", "power", 700.0),
        ("1 MWh", "energy", 3.6e9),
        ("30.84e6 GPU-hours", "device_time", 30.84e6),
        ("1 GPU-day", "device_time", 24.0),
        ("11390 tCO2e", "emissions", 11390e3),
        ("0.4 kg CO2e/kWh", "carbon_intensity", 0.4),
        ("95 days", "time", 95 * 86400.0),
        ("34%", "dimensionless", 0.34),
        ("2 USD/GPU_hour", "hourly_rate", 2.0),
        ("1978.9 TOPS", "ops_rate", 1978.9e12),
    ],
)
def test_parse_known_units(text, dimension, base_value):
    assert magnitude_in(parse_quantity(text, dimension), dimension) == pytest.approx(base_value, rel=1e-12)


@pytest.mark.parametrize(
    "a, b",
    [
        ("1 FLOP", "1 byte"),  # compute and information
        ("1 FLOP", "1 OP"),  # floating-point and integer operations kept apart
        ("1 TFLOP/s", "1 TOPS"),
        ("1 GPU_hour", "1 hour"),  # device-time is not time
        ("1 USD", "1 kWh"),
        ("1 tCO2e", "1 MWh"),
        ("1 GB", "1 GB/s"),
    ],
)
def test_incompatible_dimensions_cannot_be_added(a, b):
    with pytest.raises(pint.DimensionalityError):
        Q_(a) + Q_(b)


@pytest.mark.parametrize("unit", ["FLOP", "byte", "GB", "OP", "GPU", "USD", "gCO2e"])
def test_plain_numbers_do_not_add_to_dimensioned_units(unit):
    with pytest.raises(pint.DimensionalityError):
        Q_(1, unit) + 1


@given(pos)
def test_round_trip_tflops(x):
    q = Q_(x, "TFLOP/s")
    assert q.to("FLOP/s").to("TFLOP/s").magnitude == pytest.approx(x, rel=1e-12)
    assert q.to("FLOP/s").magnitude == pytest.approx(x * 1e12, rel=1e-12)


@given(pos)
def test_round_trip_pf_day(x):
    q = Q_(x, "PF_day")
    assert q.to("FLOP").magnitude == pytest.approx(x * 8.64e19, rel=1e-12)
    assert q.to("FLOP").to("PF_day").magnitude == pytest.approx(x, rel=1e-12)


@given(pos)
def test_round_trip_bytes(x):
    q = Q_(x, "GB")
    assert q.to("byte").magnitude == pytest.approx(x * 1e9, rel=1e-12)
    assert q.to("GiB").magnitude == pytest.approx(x * 1e9 / 2**30, rel=1e-12)
    assert q.to("GiB").to("byte").to("GB").magnitude == pytest.approx(x, rel=1e-12)


_SAME_DIMENSION = [("TFLOP/s", "PFLOP/s", "FLOP/s"), ("GB", "GiB", "TB"), ("W", "kW", "MW"), ("PF_day", "FLOP", "EFLOP")]


@given(pos, pos, st.sampled_from(_SAME_DIMENSION), st.integers(0, 2), st.integers(0, 2))
def test_ratio_is_dimensionless_and_unit_independent(a, b, units, i, j):
    qa, qb = Q_(a, units[0]), Q_(b, units[0])
    ratio = (qa / qb).to("")
    assert ratio.dimensionless
    # express each side in an arbitrary unit of the same dimension: the ratio does not change
    other = (qa.to(units[i]) / qb.to(units[j])).to("")
    assert other.magnitude == pytest.approx(ratio.magnitude, rel=1e-9)


@given(pos, pos, scale)
def test_scaling_one_side_scales_the_ratio(a, b, k):
    r = (Q_(a, "TFLOP/s") / Q_(b, "PFLOP/s")).to("").magnitude
    rk = (Q_(a * k, "TFLOP/s") / Q_(b, "PFLOP/s")).to("").magnitude
    assert rk == pytest.approx(k * r, rel=1e-9)


def test_one_registry():
    import computescale.data.schema as schema
    import computescale.units as units

    assert units.ureg is ureg and schema.parse_quantity is units.parse_quantity
    for unit in BASE.values():
        assert unit._REGISTRY is ureg


def test_quantity_from_another_registry_is_refused():
    other = pint.UnitRegistry()
    with pytest.raises(UnitError, match="another pint registry"):
        parse_quantity(other.Quantity(1, "second"), "time")


@pytest.mark.parametrize(
    "value, dimension, message",
    [
        ("989 TB/s", "compute_rate", "expected compute per time"),
        ("989 TFLOPs", "compute_rate", "expected compute per time"),  # an amount, not a rate
        ("80 GB", "bandwidth", "expected information per time"),
        ("12 parsecs", "time", "unknown unit"),
        ("fast", "time", "cannot read"),
        ("nan days", "time", "cannot read"),
        (float("nan"), "dimensionless", "NaN"),
        ([1, 2], "time", "expected a quantity"),
    ],
)
def test_bad_quantities_raise_unit_error(value, dimension, message):
    with pytest.raises(UnitError, match=message):
        parse_quantity(value, dimension)


def test_json_form():
    assert quantity_to_json(Q_(2.5, "TB/s")) == {"magnitude": 2.5, "units": "TB / s"}
    back = Q_(**{"value": 2.5, "units": "TB / s"})
    assert back == Q_(2.5, "TB/s")
    assert math.isclose(Q_("1 PF_day").m_as("FLOP"), 8.64e19)
