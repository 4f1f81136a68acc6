"""The training chain: compute -> utilization -> devices -> time -> device-time, then the shared
power, energy, cost, emission and threshold stages.

Inputs are the glossary's (:data:`computescale.parameters.INPUTS`) plus three the resolver fills
from the catalog: ``peak_per_device`` [FLOP/s] (the dense peak at the precision used),
``flop_per_param_token`` (6, or 8 with recomputation) and ``thresholds`` (id -> FLOP); a sweep
adds ``reference_peak`` [FLOP/s] for ``ratio``. All values are in base units (FLOP, FLOP/s, s,
device-hours, W, J, USD, kgCO2e) and broadcast.

The MFU used is the one given (or the run's, or the sourced default); where none is given, the
one implied by compute with the count and duration, or with a stated device-time. The resolver
takes the default only when the chain cannot imply one (:func:`implies_mfu`).

References
----------
.. [1] Kaplan et al., "Scaling Laws for Neural Language Models", 2020, Section 2.1 (C = 6ND).
.. [2] Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
   Megatron-LM", SC21, 2021, Section 5.1 (8TP/nX, activation recomputation).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import kernels
from .pipeline import Chain, Stage, stage
from .stages import POWER_AND_COSTS, threshold_stages

__all__ = ["TRAINING", "implies_mfu", "FLOP_PER_PF_DAY"]

#: 1 PF-day = 1e15 FLOP/s x 86,400 s (OpenAI, "AI and Compute", 2018).
FLOP_PER_PF_DAY = 8.64e19


@stage("compute")
def compute_from_params(params, tokens, flop_per_param_token, active_params=None):
    """Training compute [FLOP]: k·N·D, N the active parameters of a mixture of experts [1]_ [2]_."""
    n = active_params if active_params is not None else params
    return kernels.transformer_training_flop(n, tokens, flop_per_param_token)


@stage("implied_mfu")
def implied_mfu_from_duration(compute, count, duration, peak_per_device):
    """The MFU compute, a given count and duration imply: C / (n · peak · T)."""
    return kernels.implied_mfu(compute, count, duration, peak_per_device)


@stage("implied_mfu")
def implied_mfu_from_device_time(compute, device_time, peak_per_device):
    """The MFU compute and a stated device-time imply: C / (device-seconds · peak)."""
    return kernels.implied_mfu(compute, 1.0, device_time * kernels.SECONDS_PER_HOUR, peak_per_device)


@stage("devices_for_duration")
def devices_for_duration(compute, duration, peak_per_device, mfu):
    """Devices needed to train the compute in the duration at the given MFU [devices, fractional]."""
    return kernels.devices_for_time(compute, duration, peak_per_device, mfu)


@stage("count")
def count_from_devices_needed(devices_for_duration):
    """Devices used where no count is given: those needed, rounded up."""
    return np.ceil(devices_for_duration)


@stage("compute_in_duration")
def compute_in_duration(duration, count, peak_per_device, mfu):
    """Compute reachable in the duration at the given MFU [FLOP]."""
    return kernels.compute_in_time_flop(duration, count, peak_per_device, mfu)


@stage("compute")
def compute_from_duration(compute_in_duration):
    """Without a compute: the compute reachable in the duration."""
    return compute_in_duration


def _train_time(mfu_name: str, **kw):
    return kernels.train_time_s(kw["compute"], kw["count"], kw["peak_per_device"], kw[mfu_name])


def _time_to_train(mfu_name: str) -> Stage:
    """Time to train [s] at the MFU named (given, else implied)."""
    return Stage("time_to_train", ("compute", "count", "peak_per_device", mfu_name), partial(_train_time, mfu_name),
                 name=f"time_to_train_at_{mfu_name}")


@stage("device_time")
def device_time_from_duration(count, duration):
    """Device-time [device-hours]: count x duration."""
    return kernels.product(1.0 / kernels.SECONDS_PER_HOUR, count, duration)


@stage("device_time")
def device_time_from_time_to_train(count, time_to_train):
    """Device-time [device-hours]: count x time to train."""
    return kernels.product(1.0 / kernels.SECONDS_PER_HOUR, count, time_to_train)


@stage("peak")
def cluster_peak(count, peak_per_device):
    """Cluster dense peak [FLOP/s]."""
    return kernels.product(count, peak_per_device)


@stage("ratio")
def peak_ratio(peak, reference_peak):
    """Cluster peak / a reference cluster's peak at the same precision."""
    return kernels.ratio(peak, reference_peak)


#: The training chain, in dependency order (one pass).
TRAINING = Chain("training", (
    compute_from_params, implied_mfu_from_duration, implied_mfu_from_device_time, devices_for_duration,
    count_from_devices_needed, compute_in_duration, compute_from_duration, _time_to_train("mfu"),
    _time_to_train("implied_mfu"), device_time_from_duration, device_time_from_time_to_train, cluster_peak,
    peak_ratio, *POWER_AND_COSTS,
    *threshold_stages(kernels.train_time_s, ("count", "peak_per_device"), "mfu", "implied_mfu"),
))


def implies_mfu(present) -> bool:
    """Whether the inputs named in ``present`` imply an MFU (then no default MFU is taken)."""
    return "implied_mfu" in TRAINING.available(set(present) - {"mfu"})
