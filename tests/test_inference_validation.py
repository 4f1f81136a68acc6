"""The inference chain against published measurements (tests/data/inference_measurements.csv, each
row with its source): no bound below a measurement, the stored calibration equal to a refit, the
chain and the fit computing the same estimate, and the issue's validation targets on held-out rows.

The fit (:mod:`computescale.calibration`) uses the even maximum-throughput rows; the errors asserted
here are on the odd rows, which the fit never saw, and on each model left out of a refit. The H200 /
H100 ratio misses the issue's ±15% target on over a third of the pairs: the test pins the figure the
note reports instead of pretending otherwise.
"""

import numpy as np
import pytest

from computescale import load_catalog
from computescale.calibration import PARAMETERS, fit, fit_rows
from computescale.inference import estimate_inference

from conftest import DATA

pytest.importorskip("scipy")  # the refit needs it (the test extra installs it); using the stored values does not

ROWS = DATA / "inference_measurements.csv"


@pytest.fixture(scope="module")
def fitted():
    return fit(ROWS)


def _kw(row, unstated_kv="fp8"):
    """The row's inputs; a KV precision the row does not state is ``unstated_kv`` (the fit assumes FP8;
    the bound check takes the most favourable, FP4, so that a bound stays a bound)."""
    kv = row["kv_precision"] if row["kv_precision"] in ("bf16", "fp8", "fp4") else unstated_kv
    return dict(model=row["model"], cluster=f"{row['count']} {row['device']}", batch=1,
                input_tokens=float(row["input_tokens"]), output_tokens=float(row["output_tokens"]),
                weight_precision=row["weight_precision"], kv_precision=kv)


def test_no_measured_throughput_beats_the_chains_bound():
    worst = 0.0
    for row in fit_rows(ROWS):
        bound = estimate_inference(**_kw(row, unstated_kv="fp4")).max_throughput_bound.m_as("token/s")
        worst = max(worst, float(row["value"]) / bound)
        assert float(row["value"]) <= bound, (row["model"], row["device"], row["value"], bound)
    assert worst > 0.3  # the bound is not vacuous: some row comes within a factor of about 3


def test_stored_calibration_equals_a_refit(fitted):
    d = load_catalog().defaults
    assert set(fitted.efficiencies) == set(PARAMETERS) | {"prefill_efficiency", "decode_compute_efficiency"}
    for name, value in fitted.efficiencies.items():
        assert d[f"inference_{name}"].value.m_as("") == pytest.approx(value, abs=6e-4), name
    assert d["inference_band_low"].value.m_as("") == pytest.approx(fitted.band[0], abs=6e-4)
    assert d["inference_band_high"].value.m_as("") == pytest.approx(fitted.band[1], abs=6e-4)
    assert fitted.used >= 200 and not fitted.skipped
    assert all(0.0 < v <= 1.0 for v in fitted.efficiencies.values())  # an efficiency above 1 would beat the bound


def test_the_chain_runs_the_fitted_formula_with_the_stored_values():
    """The estimate the API prints is the one the fit scored: a row's max_throughput through the chain
    (stored defaults, per generation) equals the calibration's estimate at the stored values."""
    from computescale.calibration import _load, estimate

    cat = load_catalog()
    rows, _ = _load(ROWS, cat)
    stored = np.array([cat.defaults[f"inference_{p}"].value.m_as("") for p in PARAMETERS])
    ours = estimate(rows, stored)
    for i, row in list(enumerate(fit_rows(ROWS)))[::23]:
        chain = estimate_inference(**_kw(row)).max_throughput.m_as("token/s")
        assert chain == pytest.approx(ours[i], rel=1e-9), (row["model"], row["device"])


def test_the_band_fitted_on_even_rows_covers_most_odd_rows(fitted):
    lo, hi = fitted.band
    inside = [lo <= float(row["value"]) / estimate_inference(**_kw(row)).max_throughput.m_as("token/s") <= hi
              for row in fit_rows(ROWS)[1::2]]
    assert np.mean(inside) >= 0.7, np.mean(inside)


def test_held_out_throughput_meets_the_issues_target(fitted):
    # issue 17: the calibrated decode-dominated throughput within ±25% on at least 80% of rows
    assert fitted.test_error["within_25pct"] >= 0.80, fitted.test_error
    assert fitted.test_error["median"] < 0.12


def test_prefill_dominated_rows_meet_the_issues_target(fitted):
    # issue 17: prefill within ±30%; the rows where the estimated prefill is over half the time
    p = fitted.prefill_dominated
    assert p["rows"] >= 30 and p["within_30pct"] >= 0.80, p


def test_each_model_left_out_is_still_predicted(fitted):
    # a model the fit never saw: the dense ones within 25% on 90% of rows; mixtures of experts are
    # weaker (the note reports them), and no model is off by a factor of two at the median
    by = fitted.leave_one_model_out["by_model"]
    for m in ("Llama 3.1 8B", "Llama 3.3 70B", "Llama 3.1 405B"):
        assert by[m]["within_25pct"] >= 0.9, (m, by[m])
    assert all(e["median"] < 0.5 for e in by.values()), by
    assert fitted.leave_one_model_out["all"]["median"] == pytest.approx(0.153, abs=0.01)


def test_h200_over_h100_is_what_the_note_reports(fitted):
    # the issue's ±15% target is met on 63% of the 52 pairs, not all: pinned so a change updates the note
    r = fitted.h200_over_h100
    assert r["pairs"] == 52
    assert r["median"] == pytest.approx(0.101, abs=0.01)
    assert r["within_15pct"] == pytest.approx(0.635, abs=0.03)


def test_rows_at_a_stated_batch_outside_the_fit():
    """Out of sample: rows that state their batch (none is in the fit). On NVIDIA devices with
    TensorRT-LLM the estimate holds within about 30% but for one 2023 preliminary row; on MI300X with
    vLLM (a generation without rows in the fit) the measurement is about half the estimate at every
    batch from 1 to 256, which the estimate's warning says; no bound is beaten."""
    from computescale.calibration import stated_batch

    rows = stated_batch(ROWS)
    assert len(rows) == 15
    assert all(r["measured"] <= r["bound"] for r in rows)
    amd = [r["ratio"] for r in rows if "MI300X" in r["cluster"]]
    nvidia = [r["ratio"] for r in rows if "MI300X" not in r["cluster"]]
    assert len(amd) == 9 and 0.35 <= min(amd) and max(amd) <= 0.6, amd
    assert sorted(nvidia)[0] == pytest.approx(0.386, abs=0.01)  # 2 H200, Llama 2 70B, 128/2048 (2023 blog, 'preliminary')
    assert all(0.75 <= x <= 1.0 for x in sorted(nvidia)[1:]), nvidia


def test_a_generation_outside_the_fit_has_no_band_and_says_why():
    est = estimate_inference(model="llama-3.1-70b", cluster="8 MI300X", batch=64, input_tokens=1024, output_tokens=256)
    assert est.band is None and est.performance("throughput")["band"] is None
    assert any("CDNA 3 generation is in the fit" in w and "optimistic" in w for w in est.warnings)
    ok = estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=64, input_tokens=1024, output_tokens=256)
    assert ok.band is not None and not any("generation" in w for w in ok.warnings)
