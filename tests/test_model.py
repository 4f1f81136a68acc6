"""The one training model: every path (scalar, grid, sweep, Monte Carlo) gives the same answer, and
the problems found before it existed (issue 8, "What was found") stay fixed."""

import json

import numpy as np
import pytest
from hypothesis import given, strategies as st

from computescale import InputError, estimate_training, load_catalog, monte_carlo_training, sweep
from computescale.cli.main import main
from computescale.models.training import TRAINING
from computescale.parameters import INPUTS, OUTPUTS, canonical
from computescale.engines.scenarios import estimate

from conftest import DATA


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- what was found --------------------------------------------------------------------------------------
def test_no_defaults_is_a_clear_error_on_every_path():
    cat = load_catalog(str(DATA / "mini.toml"), builtin=False)
    with pytest.raises(InputError, match=r"server_overhead: not given and no sourced default.*--server-overhead"):
        estimate_training(compute="1e24 FLOP", cluster="100 X1", mfu=0.4, catalog=cat)
    with pytest.raises(InputError, match=r"server_overhead: not given and no sourced default.*--server-overhead"):
        sweep(device="X1", count=100, compute=1e24, mfu=0.4, catalog=cat)
    # given explicitly, the same inputs work on both paths and agree
    kw = dict(power_fraction=1, server_overhead=1.2, pue=1.1, electricity_price=0.1, carbon_intensity=0.4)
    est = estimate_training(compute="1e24 FLOP", cluster="100 X1", mfu=0.4, catalog=cat, **kw)
    r = sweep(device="X1", count=100, compute=1e24, mfu=0.4, catalog=cat, **kw)
    assert float(r["energy"].m_as("MWh").ravel()[0]) == pytest.approx(est.energy.m_as("MWh"), rel=1e-12)


def test_precision_names_ignore_case(catalog):
    est = estimate_training(compute="1e24 FLOP", cluster="1k H100", mfu=0.4, precision="BF16", catalog=catalog)
    assert est.precision == "bf16" and not est.warnings


def test_train_grid_values_give_one_row_per_point(capsys):
    code, out, err = run_cli(capsys, "train", "--flop", "1e25", "--cluster", "10k H100", "--mfu", "0.3,0.4",
                             "--pue", "1.1,1.2,1.3")
    assert code == 0 and not err
    assert "6 grid points over mfu (2) x pue (3)" in out
    rows = [line for line in out.splitlines() if line.strip().startswith(("0.3 ", "0.4 "))]
    assert len(rows) == 6


def test_train_range_keeps_thresholds_and_assumptions(capsys):
    code, out, _ = run_cli(capsys, "train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "90..120")
    assert code == 0
    assert "P(crosses)" in out and "eu-ai-act-systemic-risk" in out and "100.0%" in out
    assert "Assumptions (fixed inputs)" in out and "google-environmental-report-2024" in out
    data = json.loads(run_cli(capsys, "train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "90..120",
                              "--json")[1])
    eu = next(t for t in data["thresholds"] if t["id"] == "eu-ai-act-systemic-risk")
    assert eu["probability"] == 1.0 and set(eu["time_to_reach"]) == {"p5", "p50", "p95"}


def test_sweep_refuses_an_uncertain_value_and_says_why(capsys):
    code, _, err = run_cli(capsys, "sweep", "--device", "H100", "--count", "10k", "--flop", "1e26", "--mfu", "0.3..0.5")
    assert code == 2 and "uncertain value" in err and len(err.strip().splitlines()) == 1


def test_device_without_count_answers_devices_needed(catalog):
    est = estimate_training(compute="1e26 FLOP", cluster="H100", duration="90 day", catalog=catalog)
    mfu = catalog.default("mfu").value.m_as("")
    needed = 1e26 / (90 * 86400 * 989.4e12 * mfu)
    assert est.devices_for_duration.m_as("") == pytest.approx(needed, rel=1e-9)
    assert est.n_devices == np.ceil(needed)
    assert est.mfu.m_as("") == mfu  # the sourced default, not an MFU implied by one device
    assert est.time_to_train.m_as("day") <= 90
    assert "count not given" in est.cluster and any("devices needed" in w for w in est.warnings)


def test_device_without_count_cli(capsys):
    code, out, _ = run_cli(capsys, "train", "--flop", "1e26", "--cluster", "H100", "--days", "90")
    assert code == 0 and "needed" in out and "MFU used: 0.41" in out


def test_one_name_per_concept_in_api_cli_and_json(capsys):
    assert canonical("flop") == "compute" and canonical("gpu_hours") == "device_time"
    assert canonical("overhead") == "server_overhead" and canonical("days") == "duration"
    a = json.loads(run_cli(capsys, "train", "--compute", "1e25", "--cluster", "10k H100", "--server-overhead", "1.3",
                           "--json")[1])
    b = json.loads(run_cli(capsys, "train", "--flop", "1e25", "--cluster", "10k H100", "--overhead", "1.3", "--json")[1])
    assert a["results"] == b["results"]
    assert {x["name"] for x in a["assumptions"]} >= {"server_overhead", "pue", "power_fraction", "carbon_intensity"}
    assert set(a["results"]) <= set(OUTPUTS) | {"duration"}


# ---- new outputs -------------------------------------------------------------------------------------------
def test_facility_power_is_count_times_power_times_factors(catalog):
    # 100k H100 at the defaults: 100,000 x DGX H100 '10.2 kW max.' / 8 GPUs (NVIDIA DGX H100/H200 User Guide,
    # Power Specifications) x 1.0 x PUE; the model's TDP x server_overhead equals the system share.
    est = estimate_training(cluster="100k H100", duration="1 day", mfu=0.4, catalog=catalog)
    expected = 100_000 * 10_200 / 8 * catalog.defaults["pue"].value.m_as("")
    assert est.facility_power.m_as("W") == pytest.approx(expected, rel=1e-12)
    assert est.facility_power.units == "megawatt"


def test_cost_per_unit_of_compute(catalog):
    est = estimate_training(compute="1e25 FLOP", cluster="10k H100", mfu=0.4, catalog=catalog)
    per = est.electricity_cost_per_compute.m_as("USD/PF_day")
    assert per == pytest.approx(est.electricity_cost.m_as("USD") / (1e25 / 8.64e19), rel=1e-12)
    assert est.rental_cost_per_compute is not None


def test_thresholds_command_lists_every_threshold(capsys, catalog, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # the content, not the layout: no cell wrapped to the terminal's width
    code, out, _ = run_cli(capsys, "thresholds")
    assert code == 0
    for t in catalog.thresholds.values():
        assert t.id in out and t.status[:20] in out
    assert "Sources:" in out


# ---- one model, every path --------------------------------------------------------------------------------
_SHARED = ("compute", "time_to_train", "device_time", "facility_power", "energy", "emissions", "electricity_cost",
           "electricity_cost_per_compute")


@given(count=st.integers(1, 200_000), compute=st.floats(1e20, 1e27), mfu=st.floats(0.05, 1.0),
       pue=st.floats(1.0, 2.0), overhead=st.floats(1.0, 2.5), price=st.floats(0.0, 0.5),
       device=st.sampled_from(["H100", "A100", "MI300X", "B200"]))
def test_scalar_sweep_and_monte_carlo_agree(count, compute, mfu, pue, overhead, price, device):
    cat = load_catalog()
    kw = dict(mfu=mfu, pue=pue, server_overhead=overhead, electricity_price=price)
    est = estimate_training(compute=compute, cluster=f"{count} {device}", catalog=cat, **kw)
    r = sweep(device=device, count=count, compute=compute, catalog=cat, **kw)
    mc = monte_carlo_training(device=device, count=(count, count), compute=compute, samples=3, catalog=cat,
                              **{k: (v, v) for k, v in kw.items()})
    for name in _SHARED:
        unit = OUTPUTS[name].unit
        scalar = est.results[name].m_as(unit)
        if name in r.outputs:  # a sweep's compute is its axis, not an output
            assert float(r[name].m_as(unit).ravel()[0]) == pytest.approx(scalar, rel=1e-12, abs=1e-300), name
        assert mc.interval(name)[1].m_as(unit) == pytest.approx(scalar, rel=1e-12, abs=1e-300), name


def test_dispatch_follows_the_values(catalog):
    one = estimate(compute="1e25", cluster="10k H100", mfu="0.4", catalog=catalog)
    grid = estimate(compute="1e25", cluster="10k H100", mfu="0.3,0.4", catalog=catalog)
    mc = estimate(compute="1e25", cluster="10k H100", mfu="0.4..0.4", samples=10, catalog=catalog)
    assert grid.grid["mfu"].tolist() == [0.3, 0.4]
    assert grid.time_to_train.m_as("day")[1] == pytest.approx(one.time_to_train.m_as("day"), rel=1e-12)
    assert mc.interval("time_to_train")[1].m_as("day") == pytest.approx(one.time_to_train.m_as("day"), rel=1e-12)
    with pytest.raises(InputError, match="one kind per command"):
        estimate(compute="1e25", cluster="10k H100", mfu="0.3,0.4", pue="1.1..1.2", catalog=catalog)


# ---- the model on scalar, list, ndarray and broadcast inputs ------------------------------------------------
@pytest.mark.parametrize("count", [1000.0, [1000.0, 2000.0], np.array([1000.0, 2000.0]), np.array([[1000.0], [2000.0]])],
                         ids=["scalar", "list", "ndarray", "broadcast"])
def test_model_input_kinds(count):
    x = dict(count=np.asarray(count), peak_per_device=1e15, compute=1e24, mfu=np.array([0.3, 0.5]), power=700.0, power_fraction=1.0,
             server_overhead=1.5, pue=1.2, electricity_price=0.1, carbon_intensity=0.4)
    out = TRAINING.evaluate(x)
    expected_t = 1e24 / (np.asarray(count, dtype=float) * 1e15 * np.array([0.3, 0.5]))
    np.testing.assert_allclose(out["time_to_train"], expected_t, rtol=1e-15)
    np.testing.assert_allclose(out["energy"], out["device_time"] * 3600 * 700 * 1.5 * 1.2, rtol=1e-14)
    np.testing.assert_allclose(out["emissions"], out["energy"] / 3.6e6 * 0.4, rtol=1e-15)
    assert "rental_cost" not in out  # not determined: no rate given


def test_glossary_is_complete():
    for spec in INPUTS.values():
        assert spec.description and spec.flag.startswith("--")
        if spec.kind == "number":
            assert spec.dimension and "[" in spec.description
    for out in OUTPUTS.values():
        assert f"[{out.unit}]" in out.description or not out.unit or out.unit in out.description


def test_facility_power_in_compare_and_clusters(capsys, catalog):
    from computescale.training import facility_power

    q, assumptions = facility_power("100k H100", catalog=catalog)
    est = estimate_training(cluster="100k H100", duration="1 day", mfu=0.4, catalog=catalog)
    assert q.m_as("MW") == pytest.approx(est.facility_power.m_as("MW"), rel=1e-12)
    assert {a.name for a in assumptions} == {"power", "power_fraction", "server_overhead", "pue"}
    data = json.loads(run_cli(capsys, "compare", "100k H100", "25k A100", "--json")[1])
    assert data["facility_power"]["a"]["magnitude"] == pytest.approx(q.m_as("MW"), rel=1e-12)
    code, out, _ = run_cli(capsys, "clusters")
    assert code == 0 and "facility power (est.)" in out and f"{q.m_as('MW'):.4g} MW" in out


def test_report_knows_the_h100e_basis_key():
    import importlib

    report, compare = (importlib.import_module(f"computescale.{m}") for m in ("report", "compare"))
    assert report.H100E_KEY == compare.H100E_KEY


def test_glossary_command_lists_every_input_and_output(capsys):
    from computescale.parameters import INFERENCE_INPUTS, INFERENCE_OUTPUTS, INPUTS, OUTPUTS

    code, out, _ = run_cli(capsys, "glossary")
    assert code == 0 and all(name in out for name in list(INPUTS) + list(OUTPUTS) + list(INFERENCE_OUTPUTS))
    data = json.loads(run_cli(capsys, "glossary", "--json")[1])
    assert {r["name"] for r in data["inputs"]} == set(INPUTS) | set(INFERENCE_INPUTS)
    assert {r["name"] for r in data["outputs"]} == set(OUTPUTS) | set(INFERENCE_OUTPUTS)
