"""Stages any chain reuses: power, energy, costs, emissions, regulatory thresholds.

Each is a plain function on arrays in base units (W, J, device-hours, USD, kgCO2e, FLOP, s),
declared with the names it needs and gives (:func:`computescale.models.pipeline.stage`). A chain
that produces ``device_time`` (training: the run; inference: per token) gets energy, costs and
emissions by listing :data:`POWER_AND_COSTS`.

References
----------
.. [1] Patterson et al., "Carbon Emissions and Large Neural Network Training", 2021, Table 4
   (energy = device-hours x average power x PUE).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import kernels
from ..parameters import COSTS
from .pipeline import Stage, stage

__all__ = ["POWER_AND_COSTS", "COSTS", "threshold_stages"]

@stage("facility_power")
def facility_power(count, power, power_fraction, server_overhead, pue):
    """Facility power [W]: count x power x average draw x server overhead x PUE."""
    return kernels.energy_j(count, 1.0, power, power_fraction, server_overhead, pue)


@stage("device_energy")
def device_energy(device_time, power, power_fraction):
    """Energy of the devices alone [J]: device-hours x power x average draw [1]_."""
    return kernels.facility_energy_from_device_hours_j(device_time, power, power_fraction, 1.0, 1.0)


@stage("energy")
def energy(device_energy, server_overhead, pue):
    """Facility energy [J]: device energy x server overhead x PUE."""
    return kernels.product(server_overhead, pue, device_energy)


@stage("electricity_cost")
def electricity_cost(energy, electricity_price):
    """Electricity cost [USD]: facility energy x price."""
    return kernels.electricity_cost_usd(energy, electricity_price)


@stage("rental_cost")
def rental_cost(device_time, rental_price):
    """Cloud rental cost [USD]: device-hours x hourly rate."""
    return kernels.rental_cost_usd(device_time, rental_price)


@stage("amortized_hardware_cost")
def amortized_hardware_cost(unit_price, device_time, lifetime):
    """Amortized hardware [USD]: unit price x device-time / lifetime."""
    return kernels.amortized_hardware_cost_usd(unit_price, device_time, lifetime)


@stage("emissions")
def emissions(energy, carbon_intensity):
    """Emissions [kgCO2e]: facility energy x grid intensity."""
    return kernels.emissions_kg(energy, carbon_intensity)


def _ratio_to_compute(cost: str, **kw):
    return kernels.ratio(kw[cost], kw["compute"])


def _per_compute(cost: str) -> Stage:
    """``<cost>_per_compute`` [USD/FLOP]: a cost per unit of training compute."""
    return Stage(f"{cost}_per_compute", (cost, "compute"), partial(_ratio_to_compute, cost), name=f"{cost}_per_compute")


#: Power, energy, the three costs (each per unit of compute too) and emissions, in dependency order.
POWER_AND_COSTS = (facility_power, device_energy, energy, electricity_cost, rental_cost, amortized_hardware_cost,
                   emissions) + tuple(_per_compute(c) for c in COSTS)


@stage("crosses:*")
def crosses(compute, thresholds):
    """Per threshold id: whether the compute exceeds it (the instruments say "greater than")."""
    return {f"crosses:{tid}": np.greater(compute, flop) for tid, flop in thresholds.items()}


def _times_to_reach(time_fn, rate_needs: tuple[str, ...], mfu_name: str, thresholds, **kw):
    return {f"time_to_reach:{tid}": time_fn(flop, *(kw[n] for n in rate_needs), kw[mfu_name])
            for tid, flop in thresholds.items()}


def threshold_stages(time_fn, rate_needs: tuple[str, ...], *mfu_names: str) -> tuple[Stage, ...]:
    """``crosses:*`` and ``time_to_reach:*`` [s]: the time ``time_fn(flop, *rate_needs, mfu)`` this
    cluster needs to reach each threshold, with the first MFU name present (given, else implied).
    ``time_fn`` must be a module-level function (stages pickle by reference into Dask workers)."""
    return (crosses,) + tuple(
        Stage("time_to_reach:*", ("thresholds",) + rate_needs + (m,), partial(_times_to_reach, time_fn, rate_needs, m),
              name=f"time_to_reach_at_{m}") for m in mfu_names)
