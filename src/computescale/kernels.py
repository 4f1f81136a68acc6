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


# ---- training --------------------------------------------------------------------------------------
def _quotient(numerator, *factors):
    """numerator / prod(factors), with one temporary reused in place (saves passes at large N)."""
    denom = np.multiply(factors[0], factors[1], dtype=float)
    for f in factors[2:]:
        denom = np.multiply(denom, f, out=denom if isinstance(denom, np.ndarray) and np.shape(f) in ((), denom.shape) else None)
    if isinstance(denom, np.ndarray) and np.shape(numerator) in ((), denom.shape):
        return np.divide(numerator, denom, out=denom)
    return np.divide(numerator, denom)


def train_time_s(compute_flop, n_devices, peak_flop_per_s, mfu):
    """Wall time to train ``compute_flop`` on ``n_devices`` at ``mfu`` of dense peak [s]."""
    return _quotient(compute_flop, n_devices, mfu, peak_flop_per_s)


def compute_in_time_flop(time_s, n_devices, peak_flop_per_s, mfu):
    """Compute reachable in ``time_s`` [FLOP]."""
    return np.asarray(time_s, dtype=float) * n_devices * peak_flop_per_s * mfu


def devices_for_time(compute_flop, time_s, peak_flop_per_s, mfu):
    """Devices needed to train ``compute_flop`` in ``time_s`` (fractional; round up for a count)."""
    return np.asarray(compute_flop, dtype=float) / (np.asarray(time_s, dtype=float) * peak_flop_per_s * mfu)


def implied_mfu(compute_flop, n_devices, time_s, peak_flop_per_s):
    """The model-FLOP utilization a reported run implies."""
    return np.asarray(compute_flop, dtype=float) / (np.asarray(n_devices, dtype=float) * time_s * peak_flop_per_s)


def energy_j(n_devices, time_s, power_w, power_fraction, server_overhead, pue):
    """Facility energy [J]: device-time x device power x average-draw fraction x host overhead x PUE."""
    return np.asarray(n_devices, dtype=float) * time_s * power_w * power_fraction * server_overhead * pue


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
    return flop_per_param_token * np.asarray(params, dtype=float) * np.asarray(tokens, dtype=float)


def mfu_from_achieved(achieved_flop_per_s, peak_flop_per_s):
    """Utilization from an achieved per-device rate: ``achieved / peak`` (dimensionless)."""
    return np.asarray(achieved_flop_per_s, dtype=float) / peak_flop_per_s


def facility_energy_from_device_hours_j(device_hours, power_w, power_fraction, server_overhead, pue):
    """Facility energy [J] from device-time [device-hours] and mean power per device [W].

    Same product as :func:`energy_j`, for runs whose sources give GPU-hours, not count and time.
    """
    return np.asarray(device_hours, dtype=float) * SECONDS_PER_HOUR * power_w * power_fraction * server_overhead * pue


def electricity_cost_usd(energy_j, usd_per_kwh):
    """Electricity cost [USD] of ``energy_j`` [J] at ``usd_per_kwh`` [USD/kWh]."""
    return np.asarray(energy_j, dtype=float) / JOULES_PER_KWH * usd_per_kwh


def emissions_kg(energy_j, kg_per_kwh):
    """Emissions [kgCO2e] of ``energy_j`` [J] at grid intensity ``kg_per_kwh`` [kgCO2e/kWh]."""
    return np.asarray(energy_j, dtype=float) / JOULES_PER_KWH * kg_per_kwh


def rental_cost_usd(device_hours, usd_per_device_hour):
    """Cloud rental cost [USD]: device-time [device-hours] x rate [USD/device-hour]."""
    return np.asarray(device_hours, dtype=float) * usd_per_device_hour


def amortized_hardware_cost_usd(unit_price_usd, device_hours, lifetime_s):
    """Straight-line depreciation [USD] of the devices' purchase price over the run.

    ``unit_price [USD/device] x device-time [device-hours] / lifetime [h]``; no resale value, no
    cost of capital, no host or network hardware.
    """
    return np.asarray(unit_price_usd, dtype=float) * device_hours * SECONDS_PER_HOUR / np.asarray(lifetime_s, dtype=float)
