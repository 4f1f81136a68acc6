"""The NumPy core: every kernel on scalar, list, ndarray and broadcast inputs against the formula written
out, inputs never written to (the kernels reuse their own temporaries in place), NaN kept as NaN."""

import numpy as np
import pytest

from computescale import kernels as k

KINDS = {
    "scalar": lambda v: v[0],
    "list": lambda v: list(v),
    "ndarray": lambda v: np.array(v),
    "broadcast": lambda v: np.array(v)[:, None],
}
A, B, C = [2.0, 3.0, 5.0], [0.5, 0.25, 0.125], [7.0, 11.0, 13.0]

# kernel, reference formula, how many array arguments (the rest are scalars)
CASES = [
    (k.train_time_s, lambda c, n, p, m: c / (n * m * p)),
    (k.compute_in_time_flop, lambda t, n, p, m: t * n * p * m),
    (k.devices_for_time, lambda c, t, p, m: c / (t * p * m)),
    (k.implied_mfu, lambda c, n, t, p: c / (n * t * p)),
    (k.energy_j, lambda n, t, w, f, o, u: n * t * w * f * o * u),
    (k.facility_energy_from_device_hours_j, lambda h, w, f, o, u: h * 3600 * w * f * o * u),
    (k.electricity_cost_usd, lambda e, p: e / 3.6e6 * p),
    (k.emissions_kg, lambda e, i: e / 3.6e6 * i),
    (k.rental_cost_usd, lambda h, r: h * r),
    (k.amortized_hardware_cost_usd, lambda u, h, life: u * h * 3600 / life),
    (k.transformer_training_flop, lambda n, d, f: f * n * d),
]


def _args(fn, kind):
    nargs = fn.__code__.co_argcount
    pools = [A, B, C]
    args = [KINDS[kind](pools[i % 3]) if i < 2 else float(pools[i % 3][0]) for i in range(nargs)]
    if kind == "broadcast":  # the second array runs along another axis: the result is 3 x 3
        args[1] = np.array(pools[1])[None, :]
    return args


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("fn, formula", CASES, ids=[c[0].__name__ for c in CASES])
def test_kernel_matches_formula_and_leaves_inputs_alone(fn, formula, kind):
    args = _args(fn, kind)
    before = [np.array(a, copy=True) for a in args]
    got = fn(*args)
    expected = formula(*[np.asarray(a, dtype=float) for a in args])
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert np.shape(got) == np.shape(expected)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(np.asarray(a), b)  # never written to


def test_missing_figure_stays_missing():
    assert np.isnan(k.train_time_s(1e24, 100.0, np.nan, 0.4))
    out = k.energy_j(np.array([1.0, 2.0]), 3600.0, np.array([700.0, np.nan]), 1.0, 1.5, 1.2)
    assert np.isfinite(out[0]) and np.isnan(out[1])


@pytest.mark.parametrize("values", [[3.0], [1.0, -2.0, 5.0], np.linspace(-1, 1, 100_003), [1.0, np.nan, 2.0]])
def test_min_max_blocked_equals_numpy(values):
    lo, hi = k.min_max(values)
    a = np.asarray(values, dtype=float)
    if np.isnan(a).any():
        assert np.isnan(lo) and np.isnan(hi)
    else:
        assert (lo, hi) == (a.min(), a.max())
