"""The inference chain against published measurements (tests/data/inference_measurements.csv, each
row with its source): no bound below a measurement, the stored calibration equal to a refit, and the
stated error band covering the held-out rows. The error figures are printed by
benchmarks/fit_inference.py and quoted in the issue note; they are not asserted as targets here
beyond the band's coverage, because the fitted model does not reach the issue's ±25% target."""

import numpy as np
import pytest

from computescale import load_catalog
from computescale.calibration import fit, fit_rows
from computescale.inference import estimate_inference

from conftest import DATA

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
    assert d["inference_prefill_efficiency"].value.m_as("") == pytest.approx(fitted.prefill_efficiency, abs=6e-4)
    assert d["inference_decode_efficiency"].value.m_as("") == pytest.approx(fitted.decode_efficiency, abs=6e-4)
    assert d["inference_band_low"].value.m_as("") == pytest.approx(fitted.band[0], abs=6e-4)
    assert d["inference_band_high"].value.m_as("") == pytest.approx(fitted.band[1], abs=6e-4)
    assert fitted.used >= 200 and not fitted.skipped


def test_the_band_fitted_on_even_rows_covers_most_odd_rows(fitted):
    lo, hi = fitted.band
    rows = fit_rows(ROWS)[1::2]
    inside = []
    for row in rows:
        est = estimate_inference(**_kw(row)).max_throughput.m_as("token/s")
        inside.append(lo <= float(row["value"]) / est <= hi)
    assert np.mean(inside) >= 0.7, np.mean(inside)


def test_held_out_error_is_what_the_note_reports(fitted):
    # the note quotes these figures; a change in the model or the data must update both
    assert fitted.test_error["median"] == pytest.approx(0.298, abs=0.01)
    assert fitted.test_error["within_25pct"] == pytest.approx(0.476, abs=0.02)
