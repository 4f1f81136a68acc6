"""Inference speed-ups between two chips (computescale.speedups): the per-chip regimes, and the inference
chain on the same number of chips of each for a named model."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computescale import load_catalog
from computescale.inference import estimate_inference
from computescale.speedups import COUNTS, inference_regimes, model_regimes

CAT = load_catalog()
DEVICES = ["H100", "H200", "B200", "GB200", "MI300X", "MI325X", "A100"]
MODELS = ["Llama 3.1 8B", "Llama 2 70B", "Llama 3.1 70B", "Qwen3-30B-A3B", "gpt-oss-120b", "Llama 3.1 405B"]


def _by_label(regimes):
    return {r.label: r for r in regimes}


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(DEVICES), st.sampled_from(DEVICES), st.sampled_from(MODELS))
def test_swapping_the_chips_inverts_every_ratio(a, b, model):
    """A/B and B/A: the same regimes (the count and formats chosen symmetrically), each ratio inverted."""
    ab, missing_ab = model_regimes(model, a, b, catalog=CAT)
    ba, missing_ba = model_regimes(model, b, a, catalog=CAT)
    assert len(ab) == len(ba) and len(missing_ab) == len(missing_ba)
    for x, y in zip(ab, ba):
        assert x.ratio * y.ratio == pytest.approx(1.0, rel=1e-9)
        assert (x.estimate is None) == (y.estimate is None)
        if x.estimate is not None:
            assert x.estimate * y.estimate == pytest.approx(1.0, rel=1e-9)
    for x, y in zip(inference_regimes(a, b, CAT), inference_regimes(b, a, CAT)):
        assert x.ratio * y.ratio == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("a, b", [("MI300X", "H100"), ("H200", "H100"), ("B200", "H100")])
def test_one_user_bound_ratio_is_the_bandwidth_ratio_in_one_format(a, b):
    """At batch 1, in the same format on the same count, both sides read the same bytes per token: the bound's
    ratio is the memory-bandwidth ratio (MI300X 5.3 / H100 3.35 TB/s = 1.58x)."""
    chain, _ = model_regimes("Llama 2 70B", a, b, catalog=CAT)
    bandwidth = next(r for r in inference_regimes(a, b, CAT) if r.key == "decode-bandwidth").ratio
    one_user = [r for r in chain if r.key == "chain-one-user" and "on both" in r.label]
    assert len(one_user) == 1 and one_user[0].ratio == pytest.approx(bandwidth, rel=1e-9)
    if (a, b) == ("MI300X", "H100"):
        assert bandwidth == pytest.approx(5.3 / 3.35, rel=1e-3)


@pytest.mark.parametrize("model, a, b, chips", [
    ("Llama 3.1 8B", "H200", "H100", "one chip each"),  # 8 GB of FP8 weights: under half of 80 GB
    ("Llama 2 70B", "MI300X", "H100", "2 chips each"),  # 69 GB: over half of one H100's 80 GB, under half of 160 GB
    ("Llama 3.1 405B", "GB200", "H100", "8 chips each"),  # 405 GB: over half of 4 x 80 GB; fits 8 x 80 GB
])
def test_the_same_number_of_chips_each_the_fewest_with_room(model, a, b, chips):
    chain, missing = model_regimes(model, a, b, catalog=CAT)
    assert chain and not missing and all(chips in r.label for r in chain)


def test_weights_that_fit_no_server_are_said_not_computed():
    # DeepSeek-R1: 671 GB of FP8 weights, more than 8 x 80 GB of H100 memory (and 335 GB at FP4 on the B200 side)
    chain, missing = model_regimes("DeepSeek-R1", "B200", "H100", catalog=CAT)
    assert chain == [] and len(missing) == 2 and all(f"do not fit on {COUNTS[-1]} chips of each" in m for m in missing)


def test_estimates_only_where_both_generations_are_calibrated():
    fitted, _ = model_regimes("Llama 3.1 70B", "B200", "H100", catalog=CAT)
    outside, _ = model_regimes("Llama 3.1 70B", "MI300X", "H100", catalog=CAT)
    assert all(r.estimate is not None for r in fitted) and all(r.estimate is None for r in outside)


def test_regime_reaches_within_the_tolerance_on_bound_or_estimate():
    r = next(r for r in model_regimes("Llama 2 70B", "H200", "H100", catalog=CAT)[0] if r.key == "chain-largest-batch")
    assert r.ratio == pytest.approx(1.24, abs=0.01) and r.estimate == pytest.approx(1.35, abs=0.01)
    assert r.reaches(1.24 * 1.09, 0.10) and r.reaches(1.35 * 0.92, 0.10)  # near the bound's ratio, near the estimate's
    assert not r.reaches(1.9, 0.10) and not r.reaches(1.0, 0.10)  # NVIDIA's 1.9x; parity
    assert r.reaches(r.estimate, 0.0) and r.reaches(r.ratio, 0.0)


def test_nothing_served_at_the_largest_batch_when_the_weights_do_not_fit():
    est = estimate_inference(model="llama-3.1-405b", cluster="1 H100", batch=1, input_tokens=1024, output_tokens=256,
                             weight_precision="fp8")
    assert est.results["fits"].m_as("") == 0 and est.results["max_batch"].m_as("") == 0
    assert est.max_throughput.m_as("token/s") == 0 and est.max_throughput_bound.m_as("token/s") == 0
    assert est.throughput_bound.m_as("token/s") > 0  # the stated batch's figures still say what it would take
