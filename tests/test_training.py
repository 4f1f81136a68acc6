"""The training calculator: published figures, properties, broadcasting and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from computescale import Q_, InputError, UnitError, UnknownNameError
from computescale.cluster import Cluster
from computescale.training import (
    compute_in_time,
    devices_for_time,
    estimate_training,
    implied_mfu,
    mfu_from_achieved,
    time_to_train,
    training_compute,
)


def run(catalog, name):
    return catalog.run(name)[0]


# Published figures: tests/test_published.py (one table, through the API and the CLI).


def test_gpt4_implied_mfu_range_is_vectorized(catalog):
    est = estimate_training(run="gpt-4", duration=Q_(np.array([90.0, 95.0, 100.0]), "day"), catalog=catalog)
    mfu = est.implied_mfu.m_as("")
    assert mfu.shape == (3,)
    assert np.all(np.diff(mfu) < 0)
    assert 0.31 < mfu[-1] < mfu[0] < 0.37


# ---- properties ----------------------------------------------------------------------------------------------------
counts = st.integers(min_value=1, max_value=200_000)
mfus = st.floats(min_value=0.01, max_value=1.0)
computes = st.floats(min_value=1e18, max_value=1e28)
H100_PEAK = 989.4e12


@given(c=computes, n=counts, m=mfus)
def test_time_times_throughput_is_compute(catalog, c, n, m):
    t = time_to_train(Q_(c, "FLOP"), Cluster.of("H100", n, catalog=catalog), m, catalog=catalog).m_as("s")
    assert t * n * H100_PEAK * m == pytest.approx(c, rel=1e-9)


@given(c=computes, n=st.integers(min_value=1, max_value=100_000), m=mfus)
def test_doubling_count_halves_time(catalog, c, n, m):
    t1 = time_to_train(Q_(c, "FLOP"), Cluster.of("H100", n, catalog=catalog), m, catalog=catalog)
    t2 = time_to_train(Q_(c, "FLOP"), Cluster.of("H100", 2 * n, catalog=catalog), m, catalog=catalog)
    assert (t1 / t2).m_as("") == pytest.approx(2.0, rel=1e-12)


@given(c=computes, n=counts, m=mfus)
def test_inverses_invert(catalog, c, n, m):
    cl = Cluster.of("H100", n, catalog=catalog)
    t = time_to_train(Q_(c, "FLOP"), cl, m, catalog=catalog)
    assert devices_for_time(Q_(c, "FLOP"), t, "H100", m, catalog=catalog).m_as("") == pytest.approx(n, rel=1e-9)
    assert implied_mfu(Q_(c, "FLOP"), cl, t, catalog=catalog).m_as("") == pytest.approx(m, rel=1e-9)
    assert compute_in_time(t, cl, m, catalog=catalog).m_as("FLOP") == pytest.approx(c, rel=1e-9)


@given(n=st.integers(min_value=1, max_value=100_000), days=st.floats(min_value=0.01, max_value=1000), k=st.integers(2, 5))
def test_energy_linear_in_time_and_count(catalog, n, days, k):
    def energy(count, d):
        return estimate_training(cluster=Cluster.of("H100", count, catalog=catalog), duration=Q_(d, "day"),
                                 compute="1e24 FLOP", catalog=catalog).energy.m_as("J")

    base = energy(n, days)
    assert energy(n, k * days) == pytest.approx(k * base, rel=1e-9)
    assert energy(k * n, days) == pytest.approx(k * base, rel=1e-9)


def test_broadcasting_counts_mfu_pue(catalog):
    cl = Cluster.of("H100", np.array([1000, 10_000, 100_000]), catalog=catalog)
    mfu = np.array([[0.3], [0.4]])
    est = estimate_training(compute="3.8e25 FLOP", cluster=cl, mfu=mfu, pue=np.array([1.1, 1.2, 1.58]), catalog=catalog)
    assert est.time_to_train.shape == (2, 3)
    assert est.energy.shape == (2, 3)
    expected = 3.8e25 / (np.array([1000, 10_000, 100_000]) * H100_PEAK * mfu) / 86400
    np.testing.assert_allclose(est.time_to_train.m_as("day"), expected, rtol=1e-12)
    # energy does not depend on MFU once compute is fixed? It does: time shrinks as MFU rises.
    assert np.all(est.energy[1] < est.energy[0])
    # thresholds broadcast too
    eu = next(t for t in est.thresholds if t.id == "eu-ai-act-systemic-risk")
    assert eu.time_to_reach.shape == (2, 3)
    assert est.to_dict()["results"]["energy"]["magnitude"][0][0] > 0


def test_params_tokens_array_broadcast():
    c = training_compute(np.array([7e9, 70e9]), np.array([[1e12], [2e12]]))
    assert c.shape == (2, 2)
    assert c.m_as("FLOP")[1, 1] == pytest.approx(6 * 70e9 * 2e12)
    assert training_compute(1e9, 1e9, recomputation=True).m_as("FLOP") == pytest.approx(8e18)


# ---- energy, cost, emissions, thresholds -----------------------------------------------------------------------------
def test_energy_chain_and_assumptions_sourced(catalog):
    est = estimate_training(compute="1e24 FLOP", cluster="1000 H100", mfu=0.4, catalog=catalog)
    hours = 1e24 / (1000 * H100_PEAK * 0.4) / 3600
    pue = catalog.default("pue").value.m_as("")
    over = 10_200 / 8 / 700  # DGX H100 '10.2 kW max.' (User Guide) / 8 GPUs / 700 W TDP: the system share
    assert est.device_time.m_as("GPU_hour") == pytest.approx(1000 * hours)
    assert est.energy.m_as("kWh") == pytest.approx(1000 * hours * 0.7 * over * pue)
    assert est.assumption("pue").source == catalog.default("pue").source
    assert est.assumption("server_overhead").source == catalog.default("server_overhead").source
    assert est.assumption("power_fraction").source is None
    assert "no sourced average-draw default" in est.assumption("power_fraction").note
    price = catalog.default("electricity_price").value.m_as("USD/kWh")
    assert est.electricity_cost.m_as("USD") == pytest.approx(est.energy.m_as("kWh") * price)
    ci = catalog.default("grid_carbon_intensity").value.m_as("kgCO2e/kWh")
    assert est.emissions.m_as("kgCO2e") == pytest.approx(est.energy.m_as("kWh") * ci)
    rent = catalog.default("gpu_hour_rental_h100")
    assert est.rental_cost.m_as("USD") == pytest.approx(1000 * hours * rent.value.m_as("USD/GPU_hour"))
    assert est.assumption("rental_price").source == rent.source


def test_costs_not_given_without_rate_or_lifetime(catalog):
    est = estimate_training(compute="1e24 FLOP", cluster="1000 MI250X", mfu=0.4, catalog=catalog)  # no rental rate (MI325X gained one in issue 19)
    assert est.rental_cost is None and "no sourced rate for this device" in est.not_given["rental_cost"]
    assert est.amortized_hardware_cost is None and "lifetime" in est.not_given["amortized_hardware_cost"]
    text = str(est)
    assert "not summed" in text and "not given" in text


def test_amortized_hardware(catalog):
    est = estimate_training(cluster="1000 H100", duration="365.25 day", compute="1e24 FLOP", lifetime="4 year",
                            unit_price="30000 USD", catalog=catalog)
    assert est.amortized_hardware_cost.m_as("USD") == pytest.approx(1000 * 30000 / 4)


def test_thresholds_greater_than_and_status(catalog):
    est = estimate_training(compute="1e25 FLOP", cluster="10k H100", mfu=0.4, catalog=catalog)
    by_id = {t.id: t for t in est.thresholds}
    assert by_id["eu-ai-act-systemic-risk"].crosses is False  # "greater than 10^25": exactly 1e25 is not covered
    assert "revoked" in by_id["us-eo-14110-dual-use-reporting"].status
    assert by_id["us-eo-14110-dual-use-reporting"].time_to_reach.m_as("day") == pytest.approx(
        1e26 / (10_000 * H100_PEAK * 0.4) / 86400)
    assert set(by_id) == set(catalog.thresholds)


def test_compute_reachable_in_duration(catalog):
    est = estimate_training(cluster="100k H100", duration="95 day", mfu=0.4, catalog=catalog)
    assert est.compute.m_as("FLOP") == pytest.approx(95 * 86400 * 100_000 * H100_PEAK * 0.4)
    assert "reachable" in est.compute_basis


def test_v100_uses_fp16_and_says_so(catalog):
    est = estimate_training(run="gpt-3", catalog=catalog)
    assert est.precision == "fp16"
    assert any("FP16" in w for w in est.warnings)


def test_achieved_converts_to_mfu(catalog):
    assert mfu_from_achieved("140 TFLOP/s", "A100 SXM4 80GB", catalog=catalog).m_as("") == pytest.approx(140 / 312)


def test_to_dict_shape(catalog):
    d = estimate_training(run="gpt-4", catalog=catalog).to_dict()
    assert d["results"]["compute"] == {"magnitude": 2.15e25, "units": "FLOP"}
    assert all({"name", "value", "source", "note"} <= set(a) for a in d["assumptions"])
    # GPT-4's cluster is 25,000 A100 40GB: AWS's p4d Capacity Block rate $1.844 per GPU-hour prices it
    assert d["costs"]["rental_cost"]["units"] == "USD" and "rental_cost" not in d["not_given"]


# ---- bad input ----------------------------------------------------------------------------------------------------------
BAD = [
    (dict(compute="1e24 FLOP", cluster="1k H100", mfu=0), InputError, "mfu must be a fraction in (0, 1]"),
    (dict(compute="1e24 FLOP", cluster="1k H100", mfu=1.5), InputError, "mfu must be a fraction in (0, 1]"),
    (dict(compute="1e24 FLOP", cluster="1k H100", mfu=math.nan), InputError, "mfu must be a fraction in (0, 1]"),
    (dict(compute="1e24 FLOP", cluster="1k H100", duration="0 day"), InputError, "duration must be a positive, finite value [day]"),
    (dict(compute="1e24 FLOP", cluster="1k H100", duration="-5 day"), InputError, "duration must be a positive, finite value [day]"),
    (dict(compute="1e24 FLOP", cluster="1k H100", duration=Q_(math.nan, "day")), InputError, "duration must be a positive"),
    (dict(compute="1e24 FLOP", cluster="1k H100", pue=0.9), InputError, "pue must be a ratio >= 1"),
    (dict(compute="1e24 FLOP", cluster="1k H100", server_overhead=0.5), InputError, "server_overhead must be a ratio >= 1"),
    (dict(compute="1e24 FLOP", cluster="1k H100", power_fraction=1.2), InputError, "power_fraction must be a fraction in (0, 1]"),
    (dict(compute="1e24 FLOP", cluster="1k H100", electricity_price="-0.1 USD/kWh"), InputError, "electricity_price must be a finite value >= 0"),
    (dict(compute="1e24 FLOP", cluster="1k H100", rental_price=-2), InputError, "rental_price must be a finite value >= 0"),
    (dict(compute="1e24 FLOP", cluster="1k H100", lifetime="0 year"), InputError, "lifetime must be a positive, finite value [year]"),
    (dict(compute="-1e24 FLOP", cluster="1k H100"), InputError, "compute must be a positive, finite value [FLOP]"),
    (dict(compute="1e24 W", cluster="1k H100"), UnitError, "compute: expected compute"),
    (dict(compute="1e24 FLOP", cluster="1k H100", duration="95 kWh"), UnitError, "duration: expected time"),
    (dict(compute="1e24 FLOP", params=1e9, tokens=1e12), InputError, "give either compute, or params and tokens, not both"),
    (dict(params=1e9), InputError, "params and tokens go together"),
    (dict(compute="1e24 FLOP", cluster="1k H100", mfu=0.4, achieved="100 TFLOP/s"), InputError, "give mfu or achieved"),
    (dict(compute="1e24 FLOP", cluster="1k A100", achieved="400 TFLOP/s"), InputError, "exceeds the BF16 dense peak 312 TFLOP/s"),
    (dict(compute="1e24 FLOP", cluster="1k A100", precision="fp4"), InputError, "has no published FP4 dense peak"),
    (dict(compute="1e24 FLOP", cluster="1k A100", precision="bf17"), UnknownNameError, "unknown precision 'bf17'; did you mean 'bf16'"),
    (dict(run="gpt-5"), UnknownNameError, "unknown run 'gpt-5'; did you mean"),
    (dict(compute="1e24 FLOP", cluster="1k Z9000"), UnknownNameError, "unknown device 'Z9000'"),
    (dict(compute="1e24 FLOP", cluster="-5 H100"), InputError, "must be a whole positive number"),
]


@pytest.mark.parametrize("kwargs, exc, message", BAD, ids=[b[2][:40] for b in BAD])
def test_bad_input(catalog, kwargs, exc, message):
    with pytest.raises(exc) as info:
        estimate_training(catalog=catalog, **kwargs)
    assert message in str(info.value)


def test_bad_array_input_names_value(catalog):
    with pytest.raises(InputError, match=r"pue must be a ratio >= 1 \(e.g. 1.2\), got 0.5"):
        estimate_training(compute="1e24 FLOP", cluster="1k H100", pue=np.array([1.2, 0.5]), catalog=catalog)
