"""The inference chain against published measurements (tests/data/inference_measurements.csv, each
row with its source): no bound below a measurement, the stored calibration equal to a refit, the
chain and the fit computing the same estimate, and the issue's validation targets on held-out rows.

The fit (:mod:`computescale.calibration`) uses the even rows of each kind (maximum load; a stated
batch) on Hopper and Blackwell; the errors asserted here are on the odd rows, which the fit never saw,
and on each model left out of a refit. The H200 / H100 ratio misses the issue's ±15% target on a quarter
of the pairs: the test pins the figure the note reports instead of pretending otherwise.
"""

import numpy as np
import pytest

from computescale import load_catalog
from computescale.inference import estimate_inference

from conftest import DATA

pytest.importorskip("scipy")  # the refit needs it (the test extra installs it); using the stored values does not

from computescale.calibration import PARAMETERS, _inputs, fit, fit_rows, load_rows, predict  # noqa: E402
from computescale.calibration_report import stated_batch  # noqa: E402

ROWS = DATA / "inference_measurements.csv"


@pytest.fixture(scope="module")
def fitted():
    return fit(ROWS)


def _kw(row, unstated_kv="fp8"):
    """The row's inputs as the fit reads them (its MoE layout, as the source states); a KV precision the row
    does not state is ``unstated_kv`` (the fit assumes FP8; the bound check takes the most favourable, FP4,
    so that a bound stays a bound)."""
    kw = _inputs(row, 1.0, load_catalog())
    return kw | {"kv_precision": unstated_kv} if row["kv_precision"] not in ("bf16", "fp8", "fp4") else kw


def _stored(cat):
    return np.array([cat.defaults[f"inference_{p}"].value.m_as("s" if p.endswith("latency") else "") for p in PARAMETERS])


def test_no_measured_throughput_beats_the_chains_bound():
    worst = 0.0
    for row in fit_rows(ROWS):
        bound = estimate_inference(**_kw(row, unstated_kv="fp4")).max_throughput_bound.m_as("token/s")
        worst = max(worst, float(row["value"]) / bound)
        assert float(row["value"]) <= bound, (row["model"], row["device"], row["value"], bound)
    assert worst > 0.3  # the bound is not vacuous: some row comes within a factor of about 3


def test_stored_calibration_equals_a_refit(fitted):
    d = load_catalog().defaults
    assert set(fitted.values) == set(PARAMETERS) | {"prefill_efficiency", "decode_compute_efficiency"}
    for name, value in fitted.values.items():
        if name.endswith("latency"):
            assert d[f"inference_{name}"].value.m_as("us") == pytest.approx(value * 1e6, abs=6e-3), name
        else:
            assert d[f"inference_{name}"].value.m_as("") == pytest.approx(value, abs=6e-4), name
            assert 0.0 < value <= 1.0  # an efficiency above 1 would beat the bound
    assert d["inference_band_low"].value.m_as("") == pytest.approx(fitted.band[0], abs=6e-4)
    assert d["inference_band_high"].value.m_as("") == pytest.approx(fitted.band[1], abs=6e-4)
    assert fitted.used >= 250 and not fitted.skipped


def test_the_chain_runs_the_fitted_formula_with_the_stored_values():
    """The estimate the API prints is the one the fit scored: each kind of row through the chain (stored
    defaults, per generation) equals the calibration's prediction at the stored values."""
    cat = load_catalog()
    rows, _ = load_rows(ROWS, cat)
    ours = predict(rows, _stored(cat))
    by_label = {k: v for k, v, g in zip(rows.label, ours, rows.generation) if g >= 0}  # others: pooled values
    for row in list(fit_rows(ROWS))[::23]:
        chain = estimate_inference(**_kw(row)).max_throughput.m_as("token/s")
        label = next(k for k in by_label if k.startswith(f"{row['model']} on {row['count']} {row['device']}, batch max, "
                                                         f"{row['input_tokens']}/{row['output_tokens']}"))
        assert chain == pytest.approx(by_label[label], rel=1e-9), label
    checked = 0
    for r in stated_batch(ROWS, cat):
        if "skipped" in r or "MI300X" in r["cluster"]:
            continue
        label = next(k for k in by_label if k.startswith(f"{r['model']} on {r['cluster']}, batch {r['batch']}, {r['lengths']}, "
                                                         f"{r['metric']}"))
        unit = 1.0 if r["metric"] == "rate" else 1e-3
        assert r["estimate"] * unit == pytest.approx(by_label[label], rel=1e-9), label
        checked += 1
    assert checked >= 30


def test_the_band_fitted_on_even_rows_covers_most_odd_rows(fitted):
    lo, hi = fitted.band
    inside = [lo <= float(row["value"]) / estimate_inference(**_kw(row)).max_throughput.m_as("token/s") <= hi
              for row in fit_rows(ROWS)[1::2]]
    assert np.mean(inside) >= 0.7, np.mean(inside)


def test_held_out_rows_meet_the_issues_target(fitted):
    # issue 17: the calibrated estimate within ±25% on at least 80% of rows (held out: maximum-load and stated-batch)
    e = fitted.errors
    assert e["test"]["within_25pct"] >= 0.80 and e["test"]["median"] < 0.12, e["test"]
    assert e["test_max_load"]["within_25pct"] >= 0.80, e["test_max_load"]
    assert e["test_stated"]["rows"] >= 15 and e["test_stated"]["median"] < 0.15, e["test_stated"]
    assert e["test_stated_tpot"]["within_25pct"] >= 0.8, e["test_stated_tpot"]  # the decode time itself


def test_prefill_meets_the_issues_target(fitted):
    # issue 17: prefill within ±30%: the measured times to first token, and the rows where prefill dominates
    e = fitted.errors
    assert e["prefill_dominated"]["rows"] >= 30 and e["prefill_dominated"]["within_30pct"] >= 0.80, e["prefill_dominated"]
    assert e["test_stated_ttft"]["rows"] >= 2 and e["test_stated_ttft"]["within_30pct"] == 1.0


def test_each_model_left_out_is_still_predicted(fitted):
    # a model the fit never saw: the current dense ones within 25% on 90% of rows; mixtures of experts are
    # weaker (the note reports each); Qwen3-30B-A3B, the small one at TP1, is the worst at a 55% median
    e = fitted.errors
    for m in ("Llama 3.1 8B", "Llama 3.3 70B", "Llama 3.1 405B"):
        assert e[f"left out: {m}"]["within_25pct"] >= 0.9, (m, e[f"left out: {m}"])
    assert all(v["median"] < 0.6 for k, v in e.items() if k.startswith("left out: "))
    assert e["leave_one_model_out"]["median"] == pytest.approx(0.144, abs=0.01)
    assert e["leave_one_model_out"]["within_25pct"] == pytest.approx(0.772, abs=0.02)


def test_h200_over_h100_is_what_the_note_reports(fitted):
    # the issue's ±15% target is met on 75% of the 52 pairs, not all: pinned so a change updates the note
    r = fitted.errors["h200_over_h100"]
    assert r["pairs"] == 52
    assert r["median"] == pytest.approx(0.078, abs=0.01)
    assert r["within_15pct"] == pytest.approx(0.75, abs=0.03)


def test_generations_outside_the_fit_measure_below_the_estimate(fitted):
    """MI300X with vLLM (Oracle, batch 1 to 256) at the pooled values: measured 0.61-0.84 of the estimate,
    which is why such devices get no band and a warning; no bound is beaten at any stated batch."""
    other = [r["measured_over_estimate"] for r in fitted.other_generations]
    assert len(other) == 9 and 0.55 <= min(other) and max(other) <= 0.85, other
    rows = [r for r in stated_batch(ROWS) if "skipped" not in r]
    assert len(rows) >= 40 and not any(r["beats_bound"] for r in rows)


def test_a_generation_outside_the_fit_has_no_band_and_says_why():
    est = estimate_inference(model="llama-3.1-70b", cluster="8 MI300X", batch=64, input_tokens=1024, output_tokens=256)
    assert est.band is None and est.performance("throughput")["band"] is None
    assert any("CDNA 3 generation is in the fit" in w and "optimistic" in w for w in est.warnings)
    ok = estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=64, input_tokens=1024, output_tokens=256)
    assert ok.band is not None and not any("generation" in w for w in ok.warnings)
