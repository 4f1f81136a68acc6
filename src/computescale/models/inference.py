"""The inference chain: memory fit, prefill and decode, throughput, then the shared power, energy,
cost and emission stages per output token.

Every performance output comes twice. The physical **bound** (roofline: a prompt's prefill at the
larger of its compute at the dense peak and one read of the active weights, a decode step at the
larger of its memory and compute times, tensor parallelism over the cluster's devices, only the active
parameters of a mixture of experts read, no communication, no fixed latency) is a limit no
measurement may beat. The calibrated **estimate** splits the same work into parts (:data:`PARTS`:
a prompt's compute, weight reads and all-reduces; a decode step's memory reads, compute and
all-reduces, reading the expected distinct experts under uniform routing at the mean decode
context), divides each by its efficiency (:data:`EFFICIENCIES`: prefill and decode compute per device
generation, memory and link bandwidth, two factors for a mixture of experts) and adds a fixed time per
forward pass (:data:`LATENCIES`: per layer, and per all-reduce), all fitted on published
measurements (:mod:`computescale.calibration`, ``specs/defaults.toml``; :func:`serving_times`). The
all-reduces are Megatron-style (two per layer) over a ring at the device's one-way scale-up bandwidth.
At steady state (in-flight batching) each arriving request's prefill joins the decode steps: the
throughput counts every request's, and the time per output token each user sees the other requests'
(:func:`output_rate`, :func:`steady_tpot`); the time to first token is a request's prefill alone,
without queueing.

A mixture of experts is split tensor-parallel (every device holds 1/n of every weight) or, with
``moe_parallelism="expert"``, expert-parallel with attention data parallelism (experts split over the
devices, the always-on weights held and read on every device), as TensorRT-LLM serves them.

Not modelled (:data:`NOT_MODELLED`, said with every answer): queueing, speculative decoding, prefix
caching, disaggregated prefill, pipeline parallelism, and expert parallelism's all-to-all as such.

Inputs besides the glossary's (:data:`computescale.parameters.INFERENCE_INPUTS`) come from the
resolver: ``experts``, ``cache`` and ``attention`` (the architecture as arrays,
:mod:`computescale.inference_inputs`), ``hidden_size``, ``weight_bytes_per_param`` and per-device
``peak_per_device`` [FLOP/s], ``bandwidth_per_device`` [byte/s], ``memory_per_device`` [byte] and
``link_bandwidth`` [byte/s, one way]; ``count`` is the tensor-parallel degree (the devices of one
replica).

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

__all__ = ["INFERENCE", "PERFORMANCE", "NOT_MODELLED", "PARTS", "EFFICIENCIES", "LATENCIES", "serving_times",
           "output_rate", "steady_tpot", "pass_latency"]

#: What the chain leaves out, said with every answer.
NOT_MODELLED = ("queueing (the time to first token is a request's prefill alone)", "speculative decoding",
                "prefix caching", "disaggregated prefill", "pipeline parallelism",
                "expert parallelism's all-to-all (with --moe-parallelism expert its volume is taken as the all-reduces')")

#: Performance outputs, each with a ``_bound`` twin.
PERFORMANCE = ("time_to_first_token", "time_per_output_token", "throughput_per_user", "throughput", "max_throughput")


def _replicated(experts, count, expert_parallel):
    """Parameters held (and read) again on the other devices of a replica [parameters]: under expert
    parallelism with attention data parallelism every device holds the always-on weights; under
    tensor parallelism none."""
    return np.multiply(expert_parallel, np.multiply(np.subtract(count, 1.0), experts.always_on))


@stage("weights_memory")
def weights_memory(experts, weight_bytes_per_param, count, expert_parallel):
    """Weights held in memory over the replica [byte]: every expert at the weight precision, and the
    always-on weights once per device under expert parallelism (attention data parallel)."""
    return ik.weight_bytes(np.add(experts.params, _replicated(experts, count, expert_parallel)), weight_bytes_per_param)


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
def max_batch_bound(memory_per_device, count, experts, weight_bytes_per_param, cache, input_tokens):
    """Most requests the whole memory could hold at the prompt's context, the weights held once (tensor
    parallel) [sequences]: the bound's batch."""
    return ik.max_batch_in_memory(memory_per_device, count, ik.weight_bytes(experts.params, weight_bytes_per_param),
                                  cache.bytes_per_sequence(input_tokens))


@stage("fits")
def fits(batch, max_batch):
    """1 where the batch fits in memory at its full context, else 0."""
    return (np.asarray(batch) <= max_batch).astype(float)


@stage("time_to_first_token_bound")
def time_to_first_token_bound(experts, attention, input_tokens, peak_per_device, bandwidth_per_device, count,
                              weight_bytes_per_param):
    """Prefill of one request alone [s]: the larger of its compute at the dense peak and one read of the
    active weights at full bandwidth, over every device (no queueing)."""
    memory = np.divide(ik.weight_bytes(experts.active_params, weight_bytes_per_param),
                       np.multiply(count, np.asarray(bandwidth_per_device, dtype=float)))
    return np.maximum(_prefill_compute_s(experts, attention, input_tokens, peak_per_device, count), memory)


def _prefill_compute_s(experts, attention, input_tokens, peak_per_device, count):
    flop = ik.prefill_flop(experts.active_params, input_tokens, attention.flop(input_tokens))
    return ik.prefill_time_s(flop, peak_per_device, count)


def _step_s(experts, cache, attention, batch, input_tokens, output_tokens, weight_bytes_per_param,
            bandwidth_per_device, peak_per_device, count):
    """The bound's decode step [s]: only the active parameters, at the prompt's context (the fewest
    bytes a step can read), ``max(bytes / bandwidth, FLOP / peak)`` over ``count`` devices."""
    context = np.asarray(input_tokens, dtype=float)
    step_bytes = ik.decode_bytes_per_step(ik.weight_bytes(experts.active_params, weight_bytes_per_param),
                                          cache.bytes_per_sequence(context), batch)
    flop = ik.decode_flop_per_step(experts.active_params, batch, attention.flop(1.0, context))
    return ik.decode_step_time_s(step_bytes, bandwidth_per_device, count, flop, peak_per_device)


_STEP = ("experts", "cache", "attention", "batch", "input_tokens", "output_tokens", "weight_bytes_per_param",
         "bandwidth_per_device", "peak_per_device", "count")

# -- the calibrated estimate: the same work as the bound, split into parts, each over its efficiency --------
#: The parts of a request's time at efficiency 1 [s]: prefill compute, weight reads and all-reduces
#: (one request's prompt), and a decode step's memory reads, compute and all-reduces (``batch`` requests).
PARTS = ("prefill_compute_time", "prefill_memory_time", "prefill_link_time", "step_memory_time", "step_compute_time",
         "step_link_time")
#: The efficiencies the parts are divided by (inputs of the chain; sourced defaults per device generation).
EFFICIENCIES = ("prefill_efficiency", "decode_compute_efficiency", "memory_efficiency", "link_efficiency",
                "moe_compute_efficiency", "moe_memory_efficiency")
#: Fixed times of every forward pass (a prefill, a decode step) [s]: per layer, and per all-reduce (two per
#: layer, on more than one device). Fitted defaults; the bound counts neither.
LATENCIES = ("layer_latency", "allreduce_latency")
_PARTS_NEED = _STEP + ("hidden_size", "link_bandwidth", "expert_parallel")


def _touched(experts, tokens, count, expert_parallel):
    """Parameters a pass of ``tokens`` tokens reads over the replica: the expected distinct experts, and
    the always-on weights again on every other device under expert parallelism."""
    return np.add(experts.params_touched(tokens), _replicated(experts, count, expert_parallel))


def _prefill_parts(experts, attention, input_tokens, peak_per_device, bandwidth_per_device, count,
                   weight_bytes_per_param, hidden_size, link_bandwidth, expert_parallel):
    """One request's prompt alone: its compute, one read of the weights its tokens touch (the expected
    distinct experts of ``input_tokens`` tokens), and its all-reduces, at efficiency 1."""
    weights = ik.weight_bytes(_touched(experts, input_tokens, count, expert_parallel), weight_bytes_per_param)
    return {"prefill_compute_time": _prefill_compute_s(experts, attention, input_tokens, peak_per_device, count),
            "prefill_memory_time": np.divide(weights, np.multiply(count, np.asarray(bandwidth_per_device, dtype=float))),
            "prefill_link_time": ik.allreduce_time_s(input_tokens, hidden_size, np.sum(attention.layers), count,
                                                     link_bandwidth)}


def _step_parts(experts, cache, attention, batch, input_tokens, output_tokens, weight_bytes_per_param,
                bandwidth_per_device, peak_per_device, count, hidden_size, link_bandwidth, expert_parallel):
    """A decode step of ``batch`` requests at the mean decode context, reading the expected distinct
    experts of the batch (uniform routing): memory, compute and all-reduce times at efficiency 1."""
    context = np.add(input_tokens, np.multiply(output_tokens, 0.5))
    n = np.asarray(count, dtype=float)
    weights = ik.weight_bytes(_touched(experts, batch, count, expert_parallel), weight_bytes_per_param)
    step_bytes = ik.decode_bytes_per_step(weights,
                                          cache.bytes_per_sequence(context), batch)
    flop = ik.decode_flop_per_step(experts.active_params, batch, attention.flop(1.0, context))
    return {"step_memory_time": np.divide(step_bytes, n * np.asarray(bandwidth_per_device, dtype=float)),
            "step_compute_time": np.divide(flop, n * np.asarray(peak_per_device, dtype=float)),
            "step_link_time": ik.allreduce_time_s(batch, hidden_size, np.sum(attention.layers), count, link_bandwidth)}


def _parts(batch_name: str = "batch", **kw):
    step = {k: kw[k] for k in _PARTS_NEED if k != "batch"} | {"batch": np.maximum(kw[batch_name], 1.0)}
    return _prefill_parts(**{k: kw[k] for k in ("experts", "attention", "input_tokens", "peak_per_device",
                                                 "bandwidth_per_device", "count", "weight_bytes_per_param",
                                                 "hidden_size", "link_bandwidth", "expert_parallel")}) | _step_parts(**step)


def pass_latency(layers, count, layer_latency, allreduce_latency):
    """Fixed time of one forward pass [s]: ``layers x layer_latency``, plus ``2 x layers x allreduce_latency``
    on more than one device."""
    return np.multiply(layers, layer_latency) + np.where(np.asarray(count) > 1, 2.0 * np.multiply(layers, allreduce_latency),
                                                         0.0)


def serving_times(parts, prefill, decode_compute, memory, link, moe_compute, moe_memory, is_moe, latency=0.0):
    """The calibrated estimate's times [s] from its ``parts`` at efficiency 1: ``(time to first token of a
    request alone, decode step, prefill work)``. Each part is over its own efficiency (a mixture of
    experts' compute and memory parts also over the MoE factors); ``latency`` is the fixed time of a
    forward pass (:func:`pass_latency`). The prefill work is what one request's prompt adds to a batch
    running at steady state: its compute and all-reduces (its weight reads ride on the decode step's).
    The one formula of the estimate: the chain's stages and the calibration fit both use it."""
    moe = np.asarray(is_moe, dtype=bool)
    mc, mm = np.where(moe, moe_compute, 1.0), np.where(moe, moe_memory, 1.0)
    work = parts["prefill_compute_time"] / (prefill * mc) + parts["prefill_link_time"] / link
    ttft = work + parts["prefill_memory_time"] / (memory * mm) + latency
    step = (parts["step_memory_time"] / (memory * mm) + parts["step_compute_time"] / (decode_compute * mc)
            + parts["step_link_time"] / link + latency)
    return ttft, step, work


def output_rate(batch, output_tokens, prefill_work, step):
    """Output tokens per second of ``batch`` requests in flight at steady state (in-flight batching: each
    request's prefill work joins the decode steps) [token/s]."""
    b = np.maximum(batch, 1.0)
    return np.multiply(b, output_tokens) / (np.multiply(b, prefill_work) + np.multiply(output_tokens, step))


def steady_tpot(batch, output_tokens, prefill_work, step):
    """Time per output token each of ``batch`` requests sees at steady state [s]: the decode step plus the
    prefills interleaved with it. While one request decodes its ``output_tokens`` steps, each of the other
    ``batch - 1`` requests in flight finishes and a new one is prefilled: ``(batch - 1) x prefill_work /
    output_tokens`` per step (none for a request alone, whose own prefill is its time to first token)."""
    return step + (np.maximum(batch, 1.0) - 1.0) * prefill_work / np.asarray(output_tokens, dtype=float)


def _estimate(kw, batch_name: str = "batch"):
    parts = _parts(batch_name, **kw)
    latency = pass_latency(np.sum(kw["attention"].layers), kw["count"], kw["layer_latency"], kw["allreduce_latency"])
    return serving_times(parts, *(kw[e] for e in EFFICIENCIES), kw["experts"].experts > 1, latency)


def _ttft(**kw):
    return _estimate(kw)[0]


def _tpot(**kw):
    _, step, work = _estimate(kw)
    return steady_tpot(kw["batch"], kw["output_tokens"], work, step)


def _rate(batch_name: str, **kw):
    _, step, work = _estimate(kw, batch_name)
    return _none_held(batch_name, kw, output_rate(kw[batch_name], kw["output_tokens"], work, step))


def _none_held(batch_name: str, kw, rate):
    """At the largest batch memory holds: 0 where it holds none (the weights alone do not fit)."""
    return rate if batch_name == "batch" else np.where(np.asarray(kw[batch_name]) >= 1.0, rate, 0.0)


def _tpot_bound(**kw):
    return _step_s(**{k: kw[k] for k in _STEP})


def _rate_bound(batch_name: str, **kw):
    """The bound's rate: the total time is at least the larger of all the requests' prefill compute at peak
    and their decode steps' time (weights read once per step, shared by the prefills riding on it)."""
    x = {k: kw[k] for k in _STEP if k != "batch"} | {"batch": np.maximum(kw[batch_name], 1.0)}
    b, osl = x["batch"], x["output_tokens"]
    prefill = np.multiply(b, _prefill_compute_s(kw["experts"], kw["attention"], kw["input_tokens"], kw["peak_per_device"],
                                                kw["count"]))
    decode = np.multiply(osl, _step_s(**x))
    return _none_held(batch_name, kw, np.multiply(b, osl) / np.maximum(prefill, decode))


_EST = _PARTS_NEED + EFFICIENCIES + LATENCIES
serving_parts = Stage(PARTS, _PARTS_NEED, _parts, name="serving_parts")
ttft = Stage("time_to_first_token", _EST, _ttft, name="time_to_first_token")
tpot_bound = Stage("time_per_output_token_bound", _STEP, _tpot_bound, name="time_per_output_token_bound")
tpot = Stage("time_per_output_token", _EST, _tpot, name="time_per_output_token")
throughput_bound = Stage("throughput_bound", _STEP, partial(_rate_bound, "batch"), name="throughput_bound")
throughput = Stage("throughput", _EST, partial(_rate, "batch"), name="throughput")
max_throughput_bound = Stage("max_throughput_bound", _STEP + ("max_batch_bound",), partial(_rate_bound, "max_batch_bound"),
                             name="max_throughput_bound")
max_throughput = Stage("max_throughput", _EST + ("max_batch",), partial(_rate, "max_batch"), name="max_throughput")


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
    serving_parts, ttft, tpot_bound, tpot, throughput_per_user_bound, throughput_per_user, throughput_bound, throughput,
    max_throughput_bound, max_throughput, devices_for_load, device_time_per_token, *POWER_AND_COSTS,
    _alias("energy_per_token", "energy"), _alias("emissions_per_token", "emissions"),
    _alias("cost_per_million_tokens", "rental_cost"), _alias("electricity_cost_per_million_tokens", "electricity_cost"),
    _alias("amortized_cost_per_million_tokens", "amortized_hardware_cost"),
))
