"""Pure NumPy on magnitudes in fixed base units: no pint, no pydantic, no Python loop per scenario.

Every name carries its unit (``peak_flop_per_s``, ``power_w``). Inputs broadcast against each
other; a missing per-device figure is NaN and stays NaN through every sum (never filled in).

Base units (see ``units.BASE``): FLOP, FLOP/s, OP/s, byte, byte/s, s, W, J, USD, kgCO2e.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cluster_total",
    "ratio",
    "claim_deviation",
    "train_time_s",
    "compute_in_time_flop",
    "devices_for_time",
    "implied_mfu",
    "energy_j",
    "transformer_training_flop",
    "mfu_from_achieved",
    "facility_energy_from_device_hours_j",
    "electricity_cost_usd",
    "emissions_kg",
    "rental_cost_usd",
    "amortized_hardware_cost_usd",
    "SECONDS_PER_HOUR",
    "min_max",
    "product",
    "quotient",
    "JOULES_PER_KWH",
]

SECONDS_PER_HOUR = 3600.0
JOULES_PER_KWH = 3.6e6


def cluster_total(counts, per_device):
    """Sum over a cluster's members: ``counts[..., m] · per_device[m]`` -> ``[...]``.

    ``counts`` has the members on its last axis (broadcast over any leading scenario axes);
    ``per_device`` holds one figure per member, NaN where the device lacks it, so a cluster
    with a member lacking the figure has a NaN total.
    """
    counts = np.asarray(counts, dtype=float)
    per_device = np.asarray(per_device, dtype=float)
    if counts.shape[-1:] == (1,) and per_device.shape == (1,):
        return counts[..., 0] * per_device[0]  # the common single-device case, no reduction
    return np.sum(counts * per_device, axis=-1)


def ratio(a, b):
    """a / b elementwise; NaN where either side is missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(a, b)


def claim_deviation(actual_ratio, claimed_factor):
    """Relative deviation of a claimed factor from the actual ratio: ``claimed / actual - 1``.

    Positive: the claim overstates (says more than the figures give); negative: understates.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(claimed_factor, actual_ratio) - 1.0


# ---- validation ----------------------------------------------------------------------------------
_BLOCK = 1 << 15  # 256 KiB of float64: a block stays in cache between the reductions on it


def min_max(values) -> tuple[float, float]:
    """(min, max) of an array, read block by block (about one pass over memory, not two); NaN if any is NaN."""
    flat = np.asarray(values, dtype=float).reshape(-1)
    if flat.size <= _BLOCK:
        return float(flat.min()), float(flat.max())
    lo, hi = np.inf, -np.inf
    for i in range(0, flat.size, _BLOCK):
        blk = flat[i:i + _BLOCK]
        lo, hi = min(lo, blk.min()), max(hi, blk.max())
        if lo != lo or hi != hi:  # NaN: no need to read further
            return float("nan"), float("nan")
    return float(lo), float(hi)


# ---- training --------------------------------------------------------------------------------------
def _combine(op, first, operands):
    """``first`` op operand op operand ..., left to right, temporaries reused in place.

    The order is fixed (so results do not depend on how a sweep is chunked); callers put constants
    and per-device figures first, so that with scenario axes that broadcast (a sweep's count along
    one axis, MFU along another) the full-size array appears as late as possible and full-size
    temporaries made here are reused (``out=``). Inputs are never written to.
    """
    acc, owned = first, False
    for f in operands:
        shape = np.broadcast_shapes(np.shape(acc), np.shape(f))
        if owned and acc.shape == shape:
            op(acc, f, out=acc)
        else:
            acc = op(acc, f, dtype=float)
            owned = isinstance(acc, np.ndarray) and acc.ndim > 0  # a NumPy scalar cannot be written in place
    return acc if owned else np.asarray(acc, dtype=float)


def quotient(numerator, *factors):
    """numerator / prod(factors), in as few passes over the scenario array as the shapes allow."""
    return _combine(np.divide, numerator, factors)


def product(*factors):
    """prod(factors), in as few passes over the scenario array as the shapes allow."""
    return _combine(np.multiply, factors[0], factors[1:])


def train_time_s(compute_flop, n_devices, peak_flop_per_s, mfu):
    """Wall time to train ``compute_flop`` on ``n_devices`` at ``mfu`` of dense peak [s]."""
    return quotient(compute_flop, peak_flop_per_s, n_devices, mfu)


def compute_in_time_flop(time_s, n_devices, peak_flop_per_s, mfu):
    """Compute reachable in ``time_s`` [FLOP]."""
    return product(peak_flop_per_s, n_devices, mfu, time_s)


def devices_for_time(compute_flop, time_s, peak_flop_per_s, mfu):
    """Devices needed to train ``compute_flop`` in ``time_s`` (fractional; round up for a count)."""
    return quotient(compute_flop, peak_flop_per_s, mfu, time_s)


def implied_mfu(compute_flop, n_devices, time_s, peak_flop_per_s):
    """The model-FLOP utilization a reported run implies."""
    return quotient(compute_flop, peak_flop_per_s, n_devices, time_s)


def energy_j(n_devices, time_s, power_w, power_fraction, server_overhead, pue):
    """Facility energy [J]: device-time x device power x average-draw fraction x server overhead x PUE."""
    return product(power_w, power_fraction, server_overhead, pue, n_devices, time_s)


def transformer_training_flop(params, tokens, flop_per_param_token=6.0):
    """Dense-transformer training compute ``k · N · D`` [FLOP].

    ``k = 6`` counts forward (2) and backward (4) passes [1]_; ``k = 8`` adds the extra forward
    pass of full activation recomputation, i.e. hardware FLOP [2]_.

    References
    ----------
    .. [1] Kaplan et al., "Scaling Laws for Neural Language Models", 2020, Section 2.1.
    .. [2] Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters
       Using Megatron-LM", SC21, 2021, Section 5.1, eq. (3)-(4).
    """
    return product(flop_per_param_token, params, tokens)


def mfu_from_achieved(achieved_flop_per_s, peak_flop_per_s):
    """Utilization from an achieved per-device rate: ``achieved / peak`` (dimensionless)."""
    return np.asarray(achieved_flop_per_s, dtype=float) / peak_flop_per_s


def facility_energy_from_device_hours_j(device_hours, power_w, power_fraction, server_overhead, pue):
    """Facility energy [J] from device-time [device-hours] and mean power per device [W].

    Same product as :func:`energy_j`, for runs whose sources give GPU-hours, not count and time.
    """
    return product(SECONDS_PER_HOUR, power_w, power_fraction, server_overhead, pue, device_hours)


def electricity_cost_usd(energy_j, usd_per_kwh):
    """Electricity cost [USD] of ``energy_j`` [J] at ``usd_per_kwh`` [USD/kWh]."""
    return product(1.0 / JOULES_PER_KWH, usd_per_kwh, energy_j)


def emissions_kg(energy_j, kg_per_kwh):
    """Emissions [kgCO2e] of ``energy_j`` [J] at grid intensity ``kg_per_kwh`` [kgCO2e/kWh]."""
    return product(1.0 / JOULES_PER_KWH, kg_per_kwh, energy_j)


def rental_cost_usd(device_hours, usd_per_device_hour):
    """Cloud rental cost [USD]: device-time [device-hours] x rate [USD/device-hour]."""
    return product(usd_per_device_hour, device_hours)


def amortized_hardware_cost_usd(unit_price_usd, device_hours, lifetime_s):
    """Straight-line depreciation [USD] of the devices' purchase price over the run.

    ``unit_price [USD/device] x device-time [device-hours] / lifetime [h]``; no resale value, no
    cost of capital, no host or network hardware.
    """
    return product(SECONDS_PER_HOUR, unit_price_usd, np.divide(1.0, lifetime_s), device_hours)
