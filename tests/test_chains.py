"""Model chains (issue 16): one estimate pipeline that any model plugs into, and the inconsistencies
that several copies of the rules around the training model used to give.

The toy model below is defined here, in the test file, with nothing added to the package: it runs
through the scalar API, a NumPy sweep, Monte Carlo on both engines — the proof that a new model plugs in.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import computescale as cs
from computescale import InputError, estimate_training, load_catalog, monte_carlo_training, sweep
from computescale.models import Chain, Model, estimate, stage
from computescale.models.training import TRAINING
from computescale.parameters import INPUTS, OUTPUTS, Input, Output
from computescale.engines.scenarios import estimate as estimate_any

from conftest import DATA

try:
    import dask  # noqa: F401

    HAS_DASK = True
except ImportError:
    HAS_DASK = False


# ---- a toy model: two stages, its own glossary --------------------------------------------------------------
@stage("transfer_time")
def transfer_time(size, bandwidth):
    """Time to move ``size`` [byte] at ``bandwidth`` [byte/s]: a memory-bound step [s]."""
    return size / bandwidth


@stage("transfer_energy")
def transfer_energy(transfer_time, link_power):
    """Energy of the transfer [J]."""
    return transfer_time * link_power


TOY_INPUTS = {"size": Input("size", "Bytes moved [GB]", "information", "GB", example="80"),
              "bandwidth": Input("bandwidth", "Memory bandwidth [GB/s]", "bandwidth", "GB/s", example="3350"),
              "link_power": Input("link_power", "Power while moving [W]", "power", "W", example="700")}
TOY_OUTPUTS = {"transfer_time": Output("transfer_time", "Transfer time [ms]", "time", "ms"),
               "transfer_energy": Output("transfer_energy", "Transfer energy [J]", "energy", "J")}
TOY = Model("toy", Chain("toy", (transfer_time, transfer_energy)), TOY_INPUTS, TOY_OUTPUTS)


def test_toy_chain_declares_its_inputs_and_outputs():
    assert TOY.chain.inputs == ("size", "bandwidth", "link_power")
    assert TOY.chain.outputs == ("transfer_time", "transfer_energy")
    assert TOY.chain.available({"size", "bandwidth"}) == ("transfer_time",)
    assert TOY.why("transfer_energy", {"size", "bandwidth"}) == "needs link_power (--link-power)"


def test_toy_chain_runs_through_the_scalar_api():
    est = estimate(TOY, size="80 GB", bandwidth=3350, link_power="700 W")
    assert est.transfer_time.m_as("ms") == pytest.approx(80 / 3350 * 1e3)
    assert est.transfer_energy.m_as("J") == pytest.approx(80 / 3350 * 700)
    est = estimate(TOY, size=[40.0, 80.0], bandwidth="3.35 TB/s")
    np.testing.assert_allclose(est.transfer_time.m_as("ms"), [40 / 3.35, 80 / 3.35])
    assert est.not_given["transfer_energy"] == "needs link_power (--link-power)"


def test_toy_chain_runs_through_a_sweep():
    r = cs.Sweep(estimator=TOY, size="10:30:3", bandwidth=1000, link_power="100,200").run()
    assert r.outputs["transfer_energy"].shape == (3, 1, 2)
    assert r.quantity("transfer_energy").m_as("J")[2, 0, 1] == pytest.approx(30 / 1000 * 200)
    with pytest.raises(InputError, match="needs link_power"):
        cs.Sweep(estimator=TOY, size="10:30:3", bandwidth=1000, outputs=["transfer_energy"])


def test_toy_chain_runs_through_monte_carlo():
    mc = monte_carlo_training(estimator=TOY, size="40..120", bandwidth=1000, link_power=100, samples=20_000, seed=1)
    lo, mid, hi = mc.interval("transfer_time")
    assert 40.0 < lo.m_as("ms") < mid.m_as("ms") < hi.m_as("ms") < 120.0
    assert mid.m_as("ms") == pytest.approx(80.0, rel=0.03)


@pytest.mark.skipif(not HAS_DASK, reason="the Dask engine needs computescale[scale]")
def test_toy_chain_runs_through_the_dask_engines():
    from computescale.engines.dask_engine import summary
    from computescale.engines.dask_montecarlo import monte_carlo

    one = monte_carlo(estimator=TOY, size="80..80", bandwidth=1000, link_power=100, samples=1000, scheduler="sync")
    assert one.interval("transfer_energy")[1].m_as("J") == pytest.approx(8.0)
    s = summary(cs.Sweep(estimator=TOY, size="10:30:3", bandwidth=1000, link_power=100), quantiles=(), scheduler="sync")
    assert s.stats["transfer_energy"]["max"] == pytest.approx(3.0)


# ---- every path agrees on every output of the training chain --------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(count=st.integers(100, 200_000), mfu=st.floats(0.1, 0.9), days=st.floats(1, 400), pue=st.floats(1.0, 2.0),
       compute=st.floats(1e22, 1e27))
def test_every_path_agrees_on_every_output(count, mfu, days, pue, compute):
    cat = load_catalog()
    kw = dict(compute=compute, mfu=mfu, pue=pue, rental_price=2.0)
    one = estimate_training(cluster=f"{count} H100", **kw, catalog=cat)
    with_days = estimate_training(cluster=f"{count} H100", duration=f"{days} day", **kw, catalog=cat)
    grid = sweep(device="H100", count=count, **kw, catalog=cat)
    mc = monte_carlo_training(device="H100", count=f"{count}..{count}", samples=64, seed=0, **kw, catalog=cat)
    for name in grid.outputs:
        if name in ("peak", "count") or name not in one.results:
            continue
        unit = OUTPUTS[name].unit
        want = one.results[name].m_as(unit)
        assert float(grid.quantity(name).magnitude.ravel()[0]) == pytest.approx(want, rel=1e-12), name
        assert mc.interval(name)[1].m_as(unit) == pytest.approx(want, rel=1e-12), name
    assert set(grid.outputs) >= {"time_to_train", "energy", "rental_cost"}
    days_grid = sweep(device="H100", count=count, duration=days, **kw, catalog=cat)
    for name in ("compute_in_duration", "devices_for_duration", "implied_mfu", "device_time"):
        assert float(days_grid.quantity(name).magnitude.ravel()[0]) == pytest.approx(
            with_days.results[name].m_as(OUTPUTS[name].unit), rel=1e-12), name


@pytest.mark.skipif(not HAS_DASK, reason="the Dask engine needs computescale[scale]")
def test_dask_sync_agrees_with_numpy_on_the_training_chain():
    s = cs.Sweep(device="H100,B200", count="10k,20k", compute=1e26, mfu="0.3,0.4")
    ds = s.to_dask().compute(scheduler="sync")
    r = s.run()
    for name in r.outputs:
        np.testing.assert_allclose(ds[name].values, r.outputs[name], rtol=1e-15)


# ---- what the copies got wrong ---------------------------------------------------------------------------------
def test_device_without_count_means_devices_needed_on_every_path(catalog):
    kw = dict(compute="1e26 FLOP", duration="90 day", catalog=catalog)
    train = estimate_training(cluster="H100", **kw)
    api = estimate_any(device="H100", **kw)
    mc = monte_carlo_training(device="H100", mfu="0.41..0.41", samples=16, **kw)
    needed = train.n_devices
    assert needed > 1000 and api.n_devices == needed
    assert api.mfu.m_as("") == pytest.approx(0.41)  # the sourced default, never an implied MFU of one GPU
    assert mc.interval("time_to_train")[1].m_as("day") == pytest.approx(train.time_to_train.m_as("day"))


def test_device_without_count_or_duration_is_a_clear_error(catalog):
    for call in (lambda: estimate_any(device="H100", compute="1e26 FLOP", catalog=catalog),
                 lambda: estimate_training(cluster="H100", compute="1e26 FLOP", catalog=catalog),
                 lambda: monte_carlo_training(device="H100", compute="1e26 FLOP", mfu="0.3..0.4", samples=8)):
        with pytest.raises(InputError, match="H100 SXM5 80GB has no count; give one"):
            call()


@pytest.fixture(scope="module")
def fp32_only(tmp_path_factory):
    """A catalog with a device that publishes only an FP32 figure (as the H20 did in these tables)."""
    path = tmp_path_factory.mktemp("specs") / "y1.toml"
    path.write_text((DATA / "mini.toml").read_text().split("[[device]]")[0] + '''
[[device]]
name = "Test Y1"
vendor = "Test Corp"
aliases = ["Y1"]
launch_year = 2024
[device.compute.fp32]
dense = { value = "40 TFLOP/s", source = "test-source" }
[device.power]
tdp = { value = "400 W", source = "test-source" }
''')
    return load_catalog(str(path))


def test_one_precision_policy_for_a_device_without_16_bit_figures(fp32_only):
    with pytest.raises(InputError, match=r"Test Y1 has no published BF16 or FP16 dense peak.*fp32"):
        estimate_training(compute="1e24 FLOP", cluster="100 Y1", mfu=0.4, catalog=fp32_only)
    with pytest.raises(InputError, match=r"Test Y1 has no published BF16 or FP16 dense peak"):
        sweep(device="Y1", count=100, compute=1e24, mfu=0.4, catalog=fp32_only)
    check = cs.check_claim("200 Y1", "100 Y1", 2, catalog=fp32_only)
    assert check.primary.verdict == "missing" and "no like-for-like verdict" in check.primary_note  # never FP32 silently
    est = estimate_training(compute="1e24 FLOP", cluster="100 Y1", mfu=0.4, precision="FP32", catalog=fp32_only)
    assert est.precision == "fp32"


def test_precision_names_ignore_case_on_every_path(catalog):
    report = cs.check_text("Meta trained on 16,000 H100 GPUs.", precision="BF16", catalog=catalog)
    assert report.claims
    assert cs.check_claim("100k H100", "25k A100", 5, precision="BF16", catalog=catalog).primary.basis.key == "bf16.dense"
    assert sweep(device="H100", count=10, compute=1e24, mfu=0.4, precision="BF16", catalog=catalog).axis("precision")


def test_thresholds_under_uncertainty_keep_their_sources(capsys):
    from computescale.cli.main import main

    mc = monte_carlo_training(device="A100", count=25_000, compute="2.15e25 FLOP", duration="90..100 day", samples=1000)
    eu = next(t for t in mc.thresholds if t.id == "eu-ai-act-systemic-risk")
    assert eu.source and eu.probability == 1.0
    assert mc.to_dict()["thresholds"][0]["source"]
    assert main(["train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "90..100"]) == 0
    out = capsys.readouterr().out
    assert eu.source in out.split("Thresholds")[1].split("Assumptions")[0]


def test_clusters_json_facility_power_is_the_estimate_as_everywhere(capsys):
    from computescale.cli.main import main

    assert main(["clusters", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    colossus = next(c for c in data if c["name"] == "xAI Colossus (2024)")
    estimate_mw = cs.facility_power(colossus["name"])[0].m_as("MW")
    assert colossus["facility_power"]["magnitude"] == pytest.approx(estimate_mw)
    assert "facility_power_reported" in colossus


def test_importing_computescale_leaves_pints_dask_support_alone():
    pytest.importorskip("dask")
    code = ("import computescale, pint, dask.array as da; u = pint.UnitRegistry(); "
            "q = u.Quantity(da.arange(3.0), 'm'); print(float(q.sum().compute().m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3.0"


@pytest.mark.skipif(not HAS_DASK, reason="the Dask engine needs computescale[scale]")
def test_a_scheduler_choice_is_local_to_the_call():
    import dask

    before = dask.config.get("scheduler", None)
    ds = sweep(device="H100", count="10k,20k", compute=1e26, mfu=0.4, engine="dask", scheduler="sync")
    assert dask.config.get("scheduler", None) == before
    assert float(ds["time_to_train"].values.ravel()[0]) > 0


def test_sweep_result_sel_uses_the_sweeps_own_catalog(tmp_path):
    extra = tmp_path / "z.toml"
    extra.write_text((DATA / "mini.toml").read_text().replace('aliases = ["X1"]', 'aliases = ["X1", "zed"]'))
    cat = load_catalog(str(extra))
    r = sweep(device="X1,H100", count=10, compute=1e24, mfu=0.4, catalog=cat)
    assert "device" not in [a.name for a in r.sel(device="zed").axes]


def test_stated_device_time_implies_the_mfu_and_duration(capsys):
    from computescale.cli.main import main

    est = estimate_training(run="deepseek-v3")
    # DeepSeek-V3 paper: 2.788M H800 GPU-hours on 2,048 H800; 6 x 37e9 x 14.8e12 FLOP; H800 BF16 dense 989.5 TFLOP/s (specs)
    mfu = 6 * 37e9 * 14.8e12 / (2.788e6 * 3600 * 989.5e12)
    assert est.mfu.m_as("") == pytest.approx(mfu, rel=1e-3)
    assert est.time_to_train.m_as("day") == pytest.approx(2.788e6 / 2048 / 24, rel=1e-9)
    assert est.assumption("mfu").note.startswith("implied by compute, peak and a stated device-time")
    assert main(["train", "--run", "deepseek-v3"]) == 0
    assert f"MFU used: {mfu:.4g}" in capsys.readouterr().out


@pytest.mark.parametrize("name", [o for o in OUTPUTS if o not in ("ratio",)])
def test_every_output_alone_in_a_sweep_gives_a_result_or_one_line(name, capsys):
    from computescale.cli.main import main

    code = main(["sweep", "--device", "H100", "--count", "10k", "--flop", "1e25", "--outputs", name])
    out, err = capsys.readouterr()
    assert (code == 0 and name in out) or (code == 2 and len(err.strip().splitlines()) == 1 and "needs" in err
                                           or "one of the axes" in err), (code, err)


def test_a_want_needs_only_what_it_uses():
    present = {"compute", "count", "peak_per_device", "mfu", "power", "power_fraction", "server_overhead", "pue",
               "electricity_price", "carbon_intensity"}
    assert TRAINING.inputs_for(["time_to_train"], present) == ("compute", "count", "peak_per_device", "mfu")
    assert set(TRAINING.inputs_for(["energy"], present)) == present - {"electricity_price", "carbon_intensity"}
    assert "energy" in TRAINING.available(present) and "rental_cost" not in TRAINING.available(present)
    assert TRAINING.missing("rental_cost", present) == ["rental_price"]


def test_sweep_reads_params_and_tokens_and_refuses_them_beside_a_compute(capsys):
    from computescale.cli.main import main

    r = sweep(device="H100", count="10k", params="1e9,2e9", tokens=1e12, mfu=0.4)
    # C = 6·N·D (Kaplan et al. 2020, §2.1): 6e21 and 1.2e22 FLOP
    np.testing.assert_allclose(r.quantity("compute").m_as("FLOP").ravel(), [6e21, 1.2e22])
    assert main(["sweep", "--device", "H100", "--count", "10k", "--flop", "1e25", "--params", "1e9", "--tokens",
                 "1e12"]) == 2
    assert "params and tokens are not used: compute is given" in capsys.readouterr().err


def test_an_implied_mfu_above_one_is_the_first_note_of_a_sweep():
    r = sweep(device="H100", count=10, compute=1e26, duration=1)  # 10 H100 for a day cannot reach 1e26 FLOP
    assert float(r.quantity("implied_mfu").magnitude.max()) > 1
    assert r.notes[0].startswith("the implied MFU exceeds 1")
    s = cs.Sweep(device="H100", count="10,20", compute=1e26, duration=1).summary()
    assert s.notes[0].startswith("the implied MFU exceeds 1")


def test_an_overflowing_scenario_is_said_in_a_sweep_without_a_numpy_warning(recwarn):
    r = sweep(device="H100", count=10, compute=1e25, mfu="1e-300,0.4")
    assert np.isinf(r.quantity("time_to_train").magnitude).any()
    assert r.notes[0].startswith("time_to_train") and "overflow to infinity in some scenarios" in r.notes[0]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
