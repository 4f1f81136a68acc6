"""Cluster parsing, comparison and claim checking: invariants (hypothesis) and published figures."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from computescale import InputError, UnknownNameError, load_catalog
from computescale.cluster import Cluster, cluster
from computescale.compare import DEFAULT_TOLERANCE, check_claim, compare, parse_claim

CATALOG = load_catalog()
DEVICES = sorted(CATALOG.devices)
devices = st.sampled_from(DEVICES)
counts = st.integers(min_value=1, max_value=2_000_000)


def _ratios(comparison):
    return {b.key: b.ratio for b in comparison.bases if b.available}


# ---- published figures --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "a, b, key, expected, citation",
    [
        # H100 SXM5 dense BF16 989.4 TFLOP/s (NVIDIA H100 whitepaper V1.04, Table 3) vs A100 312 (A100 datasheet r4)
        ("100k H100", "25k A100", "bf16.dense", 100_000 * 989.4 / (25_000 * 312), "H100 WP v1.04 Tab.3; A100 DS r4"),
        # H100 FP8 dense 1978.9 vs A100 BF16 312: each side's fastest dense >= 8-bit format
        ("100k H100", "25k A100", "fastest-dense-8bit", 100_000 * 1978.9 / (25_000 * 312), "H100 WP v1.04; A100 DS r4"),
        # A100 80GB SXM bandwidth 2039 GB/s vs 40GB 1555 GB/s (A100 datasheet r4)
        ("1 A100 80GB", "1 A100", "memory_bandwidth", 2039 / 1555, "A100 DS r4"),
        # MI300X dense BF16 1307.4 TFLOP/s (AMD CDNA 3 white paper) vs H100 989.4
        ("1 MI300X", "1 H100", "bf16.dense", 1307.4 / 989.4, "AMD CDNA3 WP; H100 WP v1.04"),
        # H100 80 GB vs H200 141 GB (product pages)
        ("1 H200", "1 H100", "memory", 141 / 80, "H200 and H100 product pages"),
    ],
)
def test_published_ratios(a, b, key, expected, citation):
    assert compare(a, b).ratio(key) == pytest.approx(expected, rel=2e-3), citation


def test_the_news_case_is_overstated_like_for_like():
    """'100,000 H100s is about 20 times the 25,000 A100s used for GPT-4': 12.7x on dense BF16."""
    check = check_claim("100k H100", "25k A100", 20)
    assert check.primary.basis.key == "bf16.dense"
    assert check.primary.verdict == "overstated"
    assert check.primary.basis.ratio == pytest.approx(12.68, abs=0.01)
    assert check.implied_per_device_factor == pytest.approx(5.0)
    # it would take FP8 (A100 lacks it) against BF16, or sparse headlines, to reach ~20x or more
    assert check.comparison.ratio("fastest-dense-8bit") == pytest.approx(25.37, abs=0.01)
    assert check.comparison.basis("fp8.dense").missing.startswith("A100 SXM4 40GB has no FP8 dense")


def test_missing_precision_is_never_filled_in():
    c = compare("1 H100", "1 A100")
    basis = c.basis("fp8.dense")
    assert not basis.available and math.isnan(basis.ratio)
    assert "A100 SXM4 40GB has no FP8 dense figure" in basis.missing


# ---- invariants --------------------------------------------------------------------------------------------
@given(devices, counts)
def test_compare_with_itself_is_one(device, n):
    """Every symmetric basis gives 1; the two mixed (sparse vs dense) bases are each other's inverse."""
    ratios = _ratios(compare(Cluster.of(device, n), Cluster.of(device, n)))
    mixed = ("a-sparse-vs-b-dense", "a-dense-vs-b-sparse")
    for key, r in ratios.items():
        if key not in mixed:
            assert r == pytest.approx(1.0), key
    if all(k in ratios for k in mixed):
        assert ratios[mixed[0]] * ratios[mixed[1]] == pytest.approx(1.0)


@given(devices, counts, devices, counts)
def test_compare_is_antisymmetric(da, na, db, nb):
    ab, ba = compare(Cluster.of(da, na), Cluster.of(db, nb)), compare(Cluster.of(db, nb), Cluster.of(da, na))
    swapped = {"a-sparse-vs-b-dense": "a-dense-vs-b-sparse", "a-dense-vs-b-sparse": "a-sparse-vs-b-dense"}
    for basis in ab.bases:
        other = ba.basis(swapped.get(basis.key, basis.key))
        assert basis.available == other.available, basis.key
        if basis.available:
            assert basis.ratio * other.ratio == pytest.approx(1.0, rel=1e-9), basis.key


@given(devices, counts, devices, counts, st.integers(min_value=2, max_value=50))
def test_ratios_scale_linearly_with_counts(da, na, db, nb, k):
    base = _ratios(compare(Cluster.of(da, na), Cluster.of(db, nb)))
    scaled = _ratios(compare(Cluster.of(da, na * k), Cluster.of(db, nb)))
    assert base.keys() == scaled.keys()
    for key in base:
        assert scaled[key] == pytest.approx(k * base[key], rel=1e-9), key


def test_vectorized_counts_equal_scalar_calls():
    counts_a = np.array([1_000, 10_000, 123_456])
    vec = compare(Cluster.of("H100", counts_a), cluster("25k A100"))
    for i, n in enumerate(counts_a):
        scalar = compare(Cluster.of("H100", int(n)), cluster("25k A100"))
        for b in scalar.bases:
            if b.available:
                assert vec.ratio(b.key)[i] == pytest.approx(b.ratio, rel=1e-12), b.key


_UNITS = {"TFLOP/s": 1.0, "PFLOP/s": 1e-3, "GFLOP/s": 1e3, "TFLOPS": 1.0, "EFLOP/s": 1e-6}


@given(st.sampled_from(sorted(_UNITS)), st.sampled_from(sorted(_UNITS)), st.sampled_from(["GB", "GiB", "TB", "MB"]))
def test_results_do_not_depend_on_input_units(tmp_path_factory, unit_a, unit_b, mem_unit):
    """The same device written in other units gives the same ratios."""
    from computescale.units import Q_

    path = tmp_path_factory.mktemp("units") / "dev.toml"
    mem = Q_(80, "GB").m_as(mem_unit)
    path.write_text(f"""
[[source]]
id = "s"
title = "t"
publisher = "p"
url = "https://example.com"
kind = "datasheet"
date = "2024"
accessed = "2026-11-22"
[[device]]
name = "U1"
vendor = "v"
launch_year = 2024
[device.compute.bf16]
dense = {{ value = "{500 * _UNITS[unit_a]!r} {unit_a}", source = "s" }}
[device.memory]
capacity = {{ value = "{mem!r} {mem_unit}", source = "s" }}
[[device]]
name = "U2"
vendor = "v"
launch_year = 2024
[device.compute.bf16]
dense = {{ value = "{250 * _UNITS[unit_b]!r} {unit_b}", source = "s" }}
[device.memory]
capacity = {{ value = "40 GB", source = "s" }}
""")
    cat = load_catalog(path, builtin=False)
    c = compare("3 U1", "2 U2", cat)
    assert c.ratio("bf16.dense") == pytest.approx(3 * 500 / (2 * 250), rel=1e-9)
    assert c.ratio("memory") == pytest.approx(3 * 80 / (2 * 40), rel=1e-9)


@given(st.floats(min_value=0.5, max_value=100), st.floats(min_value=0.01, max_value=0.5))
def test_claim_verdict_changes_exactly_at_the_tolerance(ratio_target, tol):
    """A claim holds when |claimed/actual - 1| <= tolerance and not just beyond it."""
    actual = compare("100k H100", "25k A100").ratio("bf16.dense")
    for sign, verdict_beyond in ((1, "overstated"), (-1, "understated")):
        at = actual * (1 + sign * tol)
        inside = check_claim("100k H100", "25k A100", at * (1 - sign * 1e-9), tolerance=tol)
        beyond = check_claim("100k H100", "25k A100", at * (1 + sign * 1e-9), tolerance=tol)
        assert inside.primary.verdict == "holds"
        assert beyond.primary.verdict == verdict_beyond


@given(devices, counts, devices, counts, st.floats(min_value=0.1, max_value=100))
def test_claim_holding_list_matches_verdicts(da, na, db, nb, factor):
    check = check_claim(Cluster.of(da, na), Cluster.of(db, nb), factor)
    for v in check.holding:
        assert abs(factor / v.basis.ratio - 1) <= DEFAULT_TOLERANCE


# ---- parsing and bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, n, device",
    [("100k H100", 100_000, "H100 SXM5 80GB"), ("25,000 A100-40GB", 25_000, "A100 SXM4 40GB"),
     ("1.5M B200", 1_500_000, "B200"), ("25000 x A100", 25_000, "A100 SXM4 40GB"), ("H100", 1, "H100 SXM5 80GB")],
)
def test_cluster_text(text, n, device):
    c = cluster(text)
    assert c.n_devices == n and c.single_device.name == device


def test_mixed_and_known_clusters():
    mixed = cluster("16k H100 + 8k A100")
    assert mixed.n_devices == 24_000 and len(mixed.members) == 2
    expected = 16_000 * 989.4e12 + 8_000 * 312e12
    assert mixed.total_magnitude("bf16.dense") == pytest.approx(expected)
    assert math.isnan(mixed.total_magnitude("fp8.dense"))  # A100 has no FP8: the total is missing
    colossus = cluster("colossus")
    assert colossus.known and colossus.n_devices == 100_000


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("0 H100", InputError, "must be positive"),
        ("-5 H100", InputError, "whole positive number"),
        ("1.5 H100", InputError, "whole number of devices"),
        ("nan H100", InputError, "whole positive number"),
        ("100kH100", InputError, "<count> <device>"),
        ("10 H1000", UnknownNameError, "did you mean 'H100 SXM5 80GB'"),
        ("1k H100 + 2k H100", InputError, "names a device twice"),
        ("", InputError, "a cluster is text"),
    ],
)
def test_bad_clusters(text, error, message):
    with pytest.raises(error, match=message):
        cluster(text)


@pytest.mark.parametrize("bad", [0, -1, np.nan, [1, 0], [2.5]])
def test_bad_count_arrays(bad):
    with pytest.raises(InputError):
        Cluster.of("H100", bad)


@pytest.mark.parametrize("factor", [0, -3, float("nan"), "x"])
def test_bad_factor(factor):
    with pytest.raises(InputError, match="factor must be"):
        check_claim("1 H100", "1 A100", factor)


def test_unknown_precision():
    with pytest.raises(UnknownNameError, match="unknown precision 'fp9'"):
        check_claim("1 H100", "1 A100", 2, precision="fp9")


def test_primary_falls_back_only_from_bf16_to_fp16():
    """The one precision policy (computescale.precision): BF16 falls back to FP16; FP8 on an A100 is missing."""
    check = check_claim("1 H100", "1 A100", 3, precision="fp8")
    assert check.primary.verdict == "missing" and "FP8 dense is missing" in check.primary_note
    assert "no like-for-like verdict" in check.primary_note
    v100 = check_claim("1 V100", "1 V100", 1)  # V100 publishes FP16 tensor figures, no BF16
    assert v100.primary.basis.key == "fp16.dense" and "like-for-like verdict on FP16 dense" in v100.primary_note


@pytest.mark.parametrize(
    "sentence, parsed",
    [
        ("100k H100 = 20x 25k A100", ("100k H100", 20.0, "25k A100")),
        ("100k H100 is about 20 times the 25k A100", ("100k H100", 20.0, "25k A100")),
        ("100k H100 ≈ 20 × 25k A100", ("100k H100", 20.0, "25k A100")),
    ],
)
def test_parse_claim(sentence, parsed):
    assert parse_claim(sentence) == parsed


@pytest.mark.parametrize("sentence", ["100k H100 is twenty A100", "H100 = x A100", ""])
def test_malformed_claim_sentence(sentence):
    with pytest.raises(InputError, match="cannot read the claim"):
        parse_claim(sentence)


@given(devices, counts, devices, counts, st.lists(st.sampled_from(["bf16.dense", "fp8.sparse", "headline", "memory", "power"]), min_size=1, unique=True))
def test_selected_bases_equal_the_full_comparison(da, na, db, nb, keys):
    full = compare(Cluster.of(da, na), Cluster.of(db, nb))
    some = compare(Cluster.of(da, na), Cluster.of(db, nb), bases=keys)
    present = {b.key for b in full.bases}
    assert [b.key for b in some.bases] == [b.key for b in full.bases if b.key in keys]
    for b in some.bases:
        assert b.missing == full.basis(b.key).missing
        if b.available:
            assert b.ratio == full.ratio(b.key)
    assert set(keys) - present == set(keys) - {b.key for b in some.bases}


def test_unknown_basis_suggests():
    with pytest.raises(UnknownNameError, match=r"unknown basis 'bf16.dens'; did you mean 'bf16.dense'"):
        compare("1 H100", "1 A100", bases=["bf16.dens"])


def test_primary_is_missing_when_no_side_has_the_precision():
    """No silent fallback to another basis: TPU v5e and V100 share no dense precision."""
    check = check_claim("1 TPU v5e", "1 V100", 2, precision="fp4")
    assert check.primary.basis.key == "fp4.dense" and check.primary.verdict == "missing"
    assert "FP4 dense is missing" in check.primary_note and "no like-for-like verdict" in check.primary_note
    assert "Like-for-like: missing" in str(check)
    assert check.to_dict()["primary"]["verdict"] == "missing"
