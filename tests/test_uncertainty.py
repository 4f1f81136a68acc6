"""Monte Carlo over uncertain inputs: exactness at zero width, reproducibility, ordering, bad input."""

import numpy as np
import pytest

from computescale.errors import InputError
from computescale.training import estimate_training
from computescale.engines.montecarlo import (
    LogNormal, Normal, Triangular, Uniform, monte_carlo_claim, monte_carlo_training, parse_uncertain,
)


def test_zero_width_range_reproduces_the_scalar_answer_exactly():
    est = estimate_training(compute="2.15e25 FLOP", cluster="25000 A100", mfu=0.34, pue=1.2)
    mc = monte_carlo_training(compute="2.15e25 FLOP", device="A100", count="25k±0%", mfu=(0.34, 0.34),
                              pue=Normal(1.2, 0), samples=1000)
    for name in ("time_to_train", "device_time", "energy", "emissions", "electricity_cost"):
        expected = getattr(est, name)
        for q in mc.intervals[name].values():
            assert q.m_as(expected.units) == expected.magnitude, name


def test_fixed_seed_reproduces_percentiles_and_other_seed_differs():
    kw = dict(device="A100", count=25_000, duration=("90 day", "100 day"), mfu=(0.32, 0.36), samples=20_000)
    a, b = monte_carlo_training(seed=7, **kw), monte_carlo_training(seed=7, **kw)
    c = monte_carlo_training(seed=8, **kw)
    assert a.intervals == b.intervals
    assert a.intervals["compute"]["p50"] != c.intervals["compute"]["p50"]


def test_gpt4_implied_compute_interval():
    # 25k A100, 90-100 days, 32-36% MFU (SemiAnalysis' GPT-4 figures): the compute this setup implies.
    mc = monte_carlo_training(device="A100", count=25_000, duration="90..100 day", mfu="0.32..0.36")
    lo, mid, hi = (q.m_as("FLOP") for q in mc.interval("compute"))
    assert lo <= mid <= hi
    peak = 312e12 * 25_000 * 86400  # FLOP per (day x unit MFU)
    assert peak * 90 * 0.32 < lo and hi < peak * 100 * 0.36
    assert mid == pytest.approx(peak * 95 * 0.34, rel=0.01)


@pytest.mark.parametrize("dist", [Uniform(0.3, 0.4), Normal(0.35, 0.01), Triangular(0.3, 0.32, 0.4), LogNormal(0.35, 0.05)])
def test_percentiles_are_ordered(dist):
    mc = monte_carlo_training(compute=1e25, device="H100", count="16k±10%", mfu=dist, electricity_price="0.05..0.1",
                              samples=5000, keep_samples=True)
    for name, iv in mc.intervals.items():
        p5, p50, p95 = iv.values()
        assert p5 <= p50 <= p95, name
    assert mc.samples["input:count"].size == 5000 and np.all(mc.samples["input:count"] == np.rint(mc.samples["input:count"]))


@pytest.mark.parametrize("text, expected", [
    ("0.32..0.36", Uniform("0.32", "0.36")),
    ("90..100 day", Uniform("90 day", "100 day")),
    ("normal(0.34, 0.01)", Normal("0.34", "0.01")),
    ("triangular(90, 95, 100) day", Triangular("90 day", "95 day", "100 day")),
    ("lognormal(2e25, 0.3)", LogNormal("2e25", 0.3)),
    ("0.4", "0.4"),
])
def test_parse_uncertain(text, expected):
    assert parse_uncertain(text) == expected


def test_plus_minus_percent():
    d = parse_uncertain("25k±10%")
    assert (float(d.lo), float(d.hi)) == (22_500.0, 27_500.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(mfu=(0.36, 0.32)), "runs backwards"),
    (dict(mfu=Normal(0.34, -0.1)), "sd must be"),
    (dict(mfu=Triangular(0.3, 0.5, 0.4)), "lo <= mode <= hi"),
    (dict(mfu=Normal(0.9, 0.2)), "sampled scenario"),
    (dict(mfu=(0.3, 0.4, 0.5)), "a range is"),
    (dict(mfu=0.4, samples=0), "samples must be"),
    (dict(mfu=0.4, percentiles=(95, 5)), "percentiles"),
])
def test_bad_uncertain_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        monte_carlo_training(compute=1e25, device="H100", count=1000, **{"samples": 2000, **kwargs})


def test_uncertain_count_needs_a_device():
    with pytest.raises(InputError, match="needs device"):
        monte_carlo_training(compute=1e25, count="1000±10%", mfu=0.4)


def test_monte_carlo_claim():
    mc = monte_carlo_claim("H100", "A100", 20, a_count="100k", b_count="25k±10%", samples=5000)
    lo, mid, hi = mc.interval("ratio")
    assert lo.m < 12.7 < hi.m
    assert mc.extra["share overstated"] == 1.0


def test_normal_sd_as_a_bare_number_is_in_the_mean_unit():
    # Normal(95, 5) for a duration is 95 +- 5 days (both bare numbers in the input's unit), not +- 5 seconds.
    from computescale import Normal, monte_carlo_training

    mc = monte_carlo_training(device="A100", count=25_000, compute="2.15e25 FLOP", duration=Normal(95, 5), samples=20_000)
    lo, mid, hi = (q.m_as("") for q in mc.interval("implied_mfu"))
    assert hi / lo > 1.1  # +-5 days at 95 spreads the MFU by ~+-9% (p5-p95); +-5 s would not move it
