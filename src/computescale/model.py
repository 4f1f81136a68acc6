"""The training model: short stage functions on NumPy arrays in base units, run in a fixed order.

Every path feeds this one model: :func:`computescale.estimate_training` calls it on 0-d inputs,
:mod:`computescale.sweep` on a chunked broadcast grid, :mod:`computescale.uncertainty` on sampled
inputs. Inputs and outputs are named as in :mod:`computescale.parameters`; values are floats or
arrays that broadcast, in base units (FLOP, FLOP/s, s, device-hours, W, J, USD, kgCO2e; prices
USD/kWh and USD/device-hour; intensity kgCO2e/kWh). A value the inputs do not determine is absent
from the result (and :data:`WHY` says what it needs); a missing device figure is NaN and stays NaN.

Stages: compute -> devices -> utilization -> time -> device-time -> power -> energy -> costs ->
emissions -> thresholds.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from . import kernels
from .parameters import COSTS

__all__ = ["evaluate", "STAGES", "WHY", "FLOP_PER_PF_DAY"]

#: 1 PF-day = 1e15 FLOP/s x 86,400 s (OpenAI, "AI and Compute", 2018).
FLOP_PER_PF_DAY = 8.64e19

#: What each output needs, shown where it is not given.
WHY = {
    "compute": "give compute, params and tokens, a run, or a duration with a cluster",
    "time_to_train": "needs a cluster (--cluster, or a run with one)",
    "count": "needs a count, or compute and a duration to find the devices needed",
    "device_time": "needs a cluster with a duration or compute, or a device-time",
    "facility_power": "needs a count and a power per device",
    "energy": "needs device-time and a power per device (no cluster with a TDP: give --power)",
    "emissions": "needs energy",
    "electricity_cost": "needs energy",
    "rental_cost": "no sourced rental rate for this device (specs: [device.rental]; H100 has a default); give --rental-price",
    "amortized_hardware_cost": "needs a unit price (--unit-price) and a hardware lifetime (--lifetime; no sourced default)",
}


def compute_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Training compute [FLOP]: given, or k·N·D (N: the active parameters of a mixture of experts)."""
    if x.get("compute") is not None:
        out["compute"] = x["compute"]
    elif x.get("params") is not None and x.get("tokens") is not None:
        n = x["active_params"] if x.get("active_params") is not None else x["params"]
        out["compute"] = kernels.transformer_training_flop(n, x["tokens"], x.get("flop_per_param_token", 6.0))


def devices_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Devices [devices]: the given count, or those needed to train the compute in the duration."""
    if x.get("count") is not None:
        out["count"] = x["count"]
    elif _all(x, "peak", "duration", "mfu") and "compute" in out:
        needed = kernels.devices_for_time(out["compute"], x["duration"], x["peak"], x["mfu"])
        out["devices_for_duration"] = needed
        out["count"] = np.ceil(needed)


def utilization_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """The MFU compute, count and duration imply; it is the MFU used where none was given."""
    if "compute" in out and _all(x, "count", "duration", "peak") and (
            x.get("mfu") is None or _wants(want, "implied_mfu")):
        out["implied_mfu"] = kernels.implied_mfu(out["compute"], out["count"], x["duration"], x["peak"])
    out["mfu"] = x["mfu"] if x.get("mfu") is not None else out.get("implied_mfu")


def time_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Time to train [s]; or, with a duration and no compute, the compute reachable in it [FLOP]."""
    if x.get("peak") is None or out.get("mfu") is None or "count" not in out:
        return
    n, peak, mfu, T = out["count"], x["peak"], out["mfu"], x.get("duration")
    if "compute" not in out and T is not None:
        out["compute"] = out["compute_in_duration"] = kernels.compute_in_time_flop(T, n, peak, mfu)
        out["compute_reachable"] = True
    elif T is not None and x.get("mfu") is not None and "compute" in out:
        if _wants(want, "compute_in_duration"):
            out["compute_in_duration"] = kernels.compute_in_time_flop(T, n, peak, mfu)
        if x.get("count") is not None and _wants(want, "devices_for_duration"):
            out["devices_for_duration"] = kernels.devices_for_time(out["compute"], T, peak, mfu)
    if "compute" in out and _wants(want, "time_to_train", "device_time"):
        out["time_to_train"] = kernels.train_time_s(out["compute"], n, peak, mfu)


def device_time_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Device-time [device-hours]: stated, else count x (duration, else time to train)."""
    if x.get("device_time") is not None:
        out["device_time"] = x["device_time"]
        return
    if want is not None and not (want - {"peak", "ratio", "compute", "time_to_train", "compute_in_duration",
                                         "implied_mfu", "devices_for_duration", "facility_power"}):
        return  # nothing downstream of device-time is wanted
    span = x.get("duration") if x.get("duration") is not None else out.get("time_to_train")
    if span is not None and "count" in out:
        out["device_time"] = kernels.product(1.0 / kernels.SECONDS_PER_HOUR, out["count"], span)


def power_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Facility power [W]: count x power x average draw x server overhead x PUE."""
    if "count" in out and _all(x, "power", "power_fraction", "server_overhead", "pue") and _wants(want, "facility_power"):
        out["facility_power"] = kernels.energy_j(out["count"], 1.0, x["power"], x["power_fraction"],
                                                 x["server_overhead"], x["pue"])


def energy_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Device energy and facility energy [J] from device-time and power per device."""
    if "device_time" not in out or not _all(x, "power", "power_fraction", "server_overhead", "pue"):
        return
    out["device_energy"] = kernels.facility_energy_from_device_hours_j(out["device_time"], x["power"],
                                                                       x["power_fraction"], 1.0, 1.0)
    out["energy"] = kernels.product(x["server_overhead"], x["pue"], out["device_energy"])


def cost_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Electricity, rental and amortized hardware costs [USD], each per unit of compute [USD/FLOP] too."""
    if "energy" in out and x.get("electricity_price") is not None:
        out["electricity_cost"] = kernels.electricity_cost_usd(out["energy"], x["electricity_price"])
    if "device_time" in out and x.get("rental_price") is not None:
        out["rental_cost"] = kernels.rental_cost_usd(out["device_time"], x["rental_price"])
    if "device_time" in out and _all(x, "unit_price", "lifetime"):
        out["amortized_hardware_cost"] = kernels.amortized_hardware_cost_usd(x["unit_price"], out["device_time"],
                                                                             x["lifetime"])
    if "compute" in out and _wants(want, *(k + "_per_compute" for k in COSTS)):
        for k in COSTS:
            if k in out:
                out[k + "_per_compute"] = kernels.ratio(out[k], out["compute"])


def emissions_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Emissions [kgCO2e]: facility energy x grid intensity."""
    if "energy" in out and x.get("carbon_intensity") is not None:
        out["emissions"] = kernels.emissions_kg(out["energy"], x["carbon_intensity"])


def threshold_stage(x: dict, out: dict, want: frozenset | None = None) -> None:
    """Per threshold [FLOP]: whether the compute exceeds it, and the time this cluster needs to reach it [s]."""
    thresholds = x.get("thresholds") or {}  # id -> FLOP
    for tid, flop in thresholds.items():
        if "compute" in out:
            out[f"crosses:{tid}"] = np.greater(out["compute"], flop)
        if x.get("peak") is not None and out.get("mfu") is not None and "count" in out:
            out[f"time_to_reach:{tid}"] = kernels.train_time_s(flop, out["count"], x["peak"], out["mfu"])


STAGES = (compute_stage, devices_stage, utilization_stage, time_stage, device_time_stage, power_stage,
          energy_stage, cost_stage, emissions_stage, threshold_stage)


def evaluate(x: dict[str, Any], want: Iterable[str] | None = None) -> dict[str, Any]:
    """Run the stages on inputs ``x`` (base units); returns every output they determine.

    ``want`` (optional) names the outputs needed: optional work that feeds none of them is skipped
    (a sweep asks for a few outputs over millions of scenarios).
    """
    w = None if want is None else frozenset(want)
    out: dict[str, Any] = {}
    for stage in STAGES:
        stage(x, out, w)
    return out


def _wants(want: frozenset | None, *names: str) -> bool:
    return want is None or not want.isdisjoint(names)


def _all(x: dict, *names: str) -> bool:
    return all(x.get(n) is not None for n in names)
