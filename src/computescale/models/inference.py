"""The inference chain: memory fit, prefill and decode, throughput, then the shared power, energy,
cost and emission stages per output token.

Every performance output comes twice: the physical **bound** (roofline: prefill at the dense peak,
a decode step at memory bandwidth over the bytes it must read, with tensor parallelism over the
cluster's devices) and a calibrated **estimate** (the bound's times divided by efficiencies fitted
on published measurements, ``specs/defaults.toml``; the fit and its error are in
``benchmarks/fit_inference.py``). Bounds read only the active parameters of a mixture of experts
(the fewest bytes a step can read); estimates read the expected distinct experts of the batch
(uniform routing). Not modelled: queueing and loaded latency, speculative decoding, prefix caching,
disaggregated prefill, pipeline and expert parallelism; all-reduce time only where a latency is given
(``allreduce_latency``: two all-reduces per layer per decode step, latency only, so a bound stays a bound).

Inputs besides the glossary's (:data:`computescale.parameters.INFERENCE_INPUTS`) come from the
resolver: ``experts``, ``cache`` and ``attention`` (the architecture as arrays,
:mod:`computescale.inference_inputs`), ``weight_bytes_per_param`` and per-device ``peak_per_device``
[FLOP/s], ``bandwidth_per_device`` [byte/s] and ``memory_per_device`` [byte]; ``count`` is the
tensor-parallel degree (the devices of one replica).

References
----------
.. [1] Pope et al., "Efficiently Scaling Transformer Inference", MLSys 2023.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import inference_kernels as ik
from .. import kernels
from .pipeline import Chain, Stage, stage
from .stages import POWER_AND_COSTS

__all__ = ["INFERENCE", "PERFORMANCE", "NOT_MODELLED"]

#: What the chain leaves out, said with every answer.
NOT_MODELLED = ("queueing and loaded latency", "speculative decoding", "prefix caching", "disaggregated prefill",
                "pipeline and expert parallelism", "all-reduce time under tensor parallelism unless --allreduce-latency "
                "is given (no sourced default)")

#: Performance outputs, each with a ``_bound`` twin.
PERFORMANCE = ("time_to_first_token", "time_per_output_token", "throughput_per_user", "throughput", "max_throughput")


@stage("weights_memory")
def weights_memory(experts, weight_bytes_per_param):
    """Weights held in memory [byte]: every expert, at the weight precision."""
    return ik.weight_bytes(experts.params, weight_bytes_per_param)


@stage("kv_cache_per_token")
def kv_cache_per_token(cache):
    """Cache one more token of context adds [byte/token], summed over attention groups (a windowed
    group stops growing at its window; linear attention adds none)."""
    return np.sum(cache.bytes_per_token)


@stage("kv_cache_per_sequence")
def kv_cache_per_sequence(cache, input_tokens, output_tokens):
    """Cache of one sequence at its full context, input + output [byte]."""
    return cache.bytes_per_sequence(np.add(input_tokens, output_tokens))


@stage("max_batch")
def max_batch(memory_per_device, memory_fraction, count, weights_memory, kv_cache_per_sequence):
    """Most sequences whose caches fit beside the weights in the usable memory [sequences]."""
    return ik.max_batch_in_memory(np.multiply(memory_per_device, memory_fraction), count, weights_memory,
                                  kv_cache_per_sequence)


@stage("max_batch_bound")
def max_batch_bound(memory_per_device, count, weights_memory, cache, input_tokens):
    """Most requests the whole memory could hold at the prompt's context [sequences]: the bound's batch."""
    return ik.max_batch_in_memory(memory_per_device, count, weights_memory, cache.bytes_per_sequence(input_tokens))


@stage("fits")
def fits(batch, max_batch):
    """1 where the batch fits in memory at its full context, else 0."""
    return (np.asarray(batch) <= max_batch).astype(float)


@stage("time_to_first_token_bound")
def time_to_first_token_bound(experts, attention, input_tokens, peak_per_device, count):
    """Prefill of one request at the dense peak on every device [s] (no queueing)."""
    flop = ik.prefill_flop(experts.active_params, input_tokens, attention.flop(input_tokens))
    return ik.prefill_time_s(flop, peak_per_device, count)


@stage("time_to_first_token")
def time_to_first_token(time_to_first_token_bound, prefill_efficiency):
    """Prefill estimate [s]: the bound over the fitted prefill efficiency."""
    return np.divide(time_to_first_token_bound, prefill_efficiency)


def _step_s(experts, cache, attention, batch, input_tokens, output_tokens, weight_bytes_per_param,
            bandwidth_per_device, peak_per_device, count, expected: bool, allreduce_latency=0.0):
    """One decode step at the mean decode context [s]: max(bytes / bandwidth, FLOP / peak) over ``count`` devices.

    ``expected``: the expected distinct experts of the batch are read, at the mean context of the
    decode (an estimate); else only the active parameters, at the prompt's context (the fewest
    bytes a step can read: a bound).
    """
    context = np.add(input_tokens, np.multiply(output_tokens, 0.5)) if expected else np.asarray(input_tokens, dtype=float)
    params = experts.params_touched(batch) if expected else experts.active_params
    step_bytes = ik.decode_bytes_per_step(ik.weight_bytes(params, weight_bytes_per_param),
                                          cache.bytes_per_sequence(context), batch)
    flop = ik.decode_flop_per_step(experts.active_params, batch, attention.flop(1.0, context))
    allreduces = 2.0 * np.sum(attention.layers)  # Megatron-style tensor parallelism: two per layer per step
    return ik.decode_step_time_s(step_bytes, bandwidth_per_device, count, flop, peak_per_device, allreduce_latency,
                                 allreduces)


_STEP = ("experts", "cache", "attention", "batch", "input_tokens", "output_tokens", "weight_bytes_per_param",
         "bandwidth_per_device", "peak_per_device", "count")


def _tpot(expected: bool, **kw):
    t = _step_s(**{k: kw[k] for k in _STEP}, expected=expected, allreduce_latency=kw.get("allreduce_latency", 0.0))
    return t / kw["decode_efficiency"] if expected else t


def _throughput(bound: bool, batch_name: str, **kw):
    """Output tokens per second of ``batch`` requests from prefill to their last token.

    Bound: the total time is at least the larger of all the requests' compute at peak and their
    decode steps' memory time. Estimate: prefill then decode, each over its efficiency.
    """
    x = {k: kw[k] for k in _STEP if k != "batch"} | {"batch": np.maximum(kw[batch_name], 1.0)}
    b, osl = x["batch"], x["output_tokens"]
    prefill = np.multiply(b, kw["time_to_first_token_bound"])
    decode = np.multiply(osl, _step_s(**x, expected=not bound, allreduce_latency=kw.get("allreduce_latency", 0.0)))
    total = np.maximum(prefill, decode) if bound else prefill / kw["prefill_efficiency"] + decode / kw["decode_efficiency"]
    return np.multiply(b, osl) / total


_TP_NEEDS = _STEP + ("time_to_first_token_bound",)
_EFF = ("prefill_efficiency", "decode_efficiency")

_AR = ("allreduce_latency",)  # optional: a stated all-reduce latency under tensor parallelism
tpot_bound = Stage("time_per_output_token_bound", _STEP, partial(_tpot, False), _AR, name="time_per_output_token_bound")
tpot = Stage("time_per_output_token", _STEP + ("decode_efficiency",), partial(_tpot, True), _AR, name="time_per_output_token")
throughput_bound = Stage("throughput_bound", _TP_NEEDS, partial(_throughput, True, "batch"), _AR, name="throughput_bound")
throughput = Stage("throughput", _TP_NEEDS + _EFF, partial(_throughput, False, "batch"), _AR, name="throughput")
max_throughput_bound = Stage("max_throughput_bound", _TP_NEEDS + ("max_batch_bound",),
                             partial(_throughput, True, "max_batch_bound"), _AR, name="max_throughput_bound")
max_throughput = Stage("max_throughput", _TP_NEEDS + ("max_batch",) + _EFF, partial(_throughput, False, "max_batch"),
                       _AR, name="max_throughput")


@stage("throughput_per_user_bound")
def throughput_per_user_bound(time_per_output_token_bound):
    """Tokens per second one request sees while decoding, at most [token/s]."""
    return 1.0 / np.asarray(time_per_output_token_bound)


@stage("throughput_per_user")
def throughput_per_user(time_per_output_token):
    """Tokens per second one request sees while decoding, estimated [token/s]."""
    return 1.0 / np.asarray(time_per_output_token)


@stage("device_time")
def device_time_per_token(count, throughput):
    """Device-time per output token [device-hours/token]: the shared cost and energy stages run per token."""
    return kernels.quotient(count, throughput, kernels.SECONDS_PER_HOUR)


def _alias(target: str, source: str) -> Stage:
    """The shared stages' per-token value under the inference glossary's name (units: per token)."""
    return Stage(target, (source,), partial(_identity, source), name=target)


def _identity(name: str, **kw):
    return kw[name]


@stage("devices_for_load")
def devices_for_load(load, tpot_target, count, max_batch, throughput_per_user, batch, throughput):
    """Devices to serve ``load`` [token/s] with every user at or under ``tpot_target`` [s]: replicas of
    ``count`` devices at the estimated throughput, where the estimate at this batch meets the target
    (NaN where it does not: give a smaller batch or a looser target)."""
    meets = (1.0 / np.asarray(throughput_per_user) <= tpot_target) & (np.asarray(batch) <= max_batch)
    replicas = np.ceil(np.divide(load, throughput))
    return np.where(meets, replicas * np.asarray(count, dtype=float), np.nan)


#: The inference chain, in dependency order (one pass).
INFERENCE = Chain("inference", (
    weights_memory, kv_cache_per_token, kv_cache_per_sequence, max_batch, max_batch_bound, fits, time_to_first_token_bound,
    time_to_first_token, tpot_bound, tpot, throughput_per_user_bound, throughput_per_user, throughput_bound, throughput,
    max_throughput_bound, max_throughput, devices_for_load, device_time_per_token, *POWER_AND_COSTS,
    _alias("energy_per_token", "energy"), _alias("emissions_per_token", "emissions"),
    _alias("cost_per_million_tokens", "rental_cost"), _alias("electricity_cost_per_million_tokens", "electricity_cost"),
    _alias("amortized_cost_per_million_tokens", "amortized_hardware_cost"),
))
