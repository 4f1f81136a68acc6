"""Inference kernels: pure NumPy on magnitudes in base units, no pint, no pydantic.

Every name carries its unit (``bytes_per_token``, ``peak_flop_per_s``, ``step_time_s``); inputs
broadcast against each other (scalars, lists, arrays: batch x context x device-count grids). Units:
byte, FLOP, FLOP/s, byte/s, s, and plain counts (tokens, layers, heads, parameters, devices).

An architecture with several kinds of attention layer (gpt-oss: sliding and full; Qwen3-Next: linear
and full) is given as *groups* on the LAST axis of the per-group arguments (``bytes_per_token``,
``window_tokens``, ...), one entry per group; the kernels sum over that axis, and the scenario
arguments (context, batch) broadcast over the leading axes.

The roofline functions are LOWER bounds on time (upper bounds on throughput): every simplification
leaves out work (activations, the linear layers' state updates, all-reduce bandwidth, kernel launch
overheads), so a measured time can only be longer. :func:`expected_distinct_experts` is an expectation
under uniform, independent routing, not a bound: skewed routing reads fewer experts.

References
----------
.. [1] Pope et al., "Efficiently Scaling Transformer Inference", MLSys 2023 (memory-bound decode,
   KV cache size 2 x layers x kv_heads x head_dim per token, tensor-parallel partitioning).
.. [2] Ainslie et al., "GQA: Training Generalized Multi-Query Transformer Models from Multi-Head
   Checkpoints", EMNLP 2023.
.. [3] DeepSeek-AI, "DeepSeek-V2", arXiv:2405.04434, Section 2.1 (MLA caches (d_c + d_h^R) elements
   per token per layer); "DeepSeek-V3 Technical Report", arXiv:2412.19437.
.. [4] Shoeybi et al., "Megatron-LM", arXiv:1909.08053, Section 3 (two all-reduces per transformer
   layer in the forward pass under tensor parallelism).
.. [5] NVIDIA Transformer Engine documentation, "MXFP8": one E8M0 scaling factor shared by a block of 32
   elements (the OCP MX block); https://nvidia.github.io/TransformerEngine/features/low_precision_training/mxfp8/mxfp8.html
.. [6] Modular MAX kernels, ``linalg.fp4_utils``: MXFP4_SF_DTYPE float8_e8m0fnu, MXFP4_SF_VECTOR_SIZE 32;
   NVFP4_SF_DTYPE float8_e4m3fn, NVFP4_SF_VECTOR_SIZE 16; https://docs.modular.com/max/api/kernels/linalg/fp4_utils/
.. [7] Patarasuk and Yuan, "Bandwidth optimal all-reduce algorithms for clusters of workstations",
   J. Parallel Distrib. Comput. 69(2), 2009: a ring all-reduce of ``S`` bytes over ``n`` devices sends and
   receives ``2 (n - 1) / n x S`` bytes per device, the least any all-reduce can.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BYTES_PER_PARAMETER",
    "BLOCK_SCALED_FORMATS",
    "block_scaled_bytes_per_element",
    "weight_bytes",
    "kv_cache_bytes_per_token",
    "mla_cache_bytes_per_token",
    "linear_state_bytes_per_sequence",
    "attended_tokens",
    "cache_bytes_per_sequence",
    "expected_distinct_experts",
    "moe_params_touched",
    "attention_flop",
    "prefill_flop",
    "decode_flop_per_step",
    "decode_bytes_per_step",
    "prefill_time_s",
    "decode_step_time_s",
    "tokens_per_s",
    "max_batch_in_memory",
    "ACTIVATION_BYTES",
    "allreduce_time_s",
]

#: Bytes per activation element exchanged by the tensor-parallel all-reduces: 16-bit (BF16), the
#: activation format of the serving frameworks whose rows the estimate is fitted on. An assumption;
#: the fitted link efficiency absorbs a different width.
ACTIVATION_BYTES = 2.0

#: Bytes per parameter (or per cached element) of plain formats: the element width only. Block-scaled
#: formats (MXFP4, NVFP4) also store a scale per block: see :func:`block_scaled_bytes_per_element`.
BYTES_PER_PARAMETER = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5, "int4": 0.5}

#: Block-scaled 4-bit formats as (element bits, scale bits, elements per scale) [5]_ [6]_: MXFP4 (OCP
#: microscaling) shares one E8M0 scale among 32 E2M1 elements, NVFP4 one FP8 E4M3 scale among 16 (plus
#: one FP32 scale per tensor, negligible and not counted). Bytes per element:
#: ``block_scaled_bytes_per_element(*BLOCK_SCALED_FORMATS["mxfp4"])`` = 4.25 / 8.
BLOCK_SCALED_FORMATS = {"mxfp4": (4.0, 8.0, 32.0), "nvfp4": (4.0, 8.0, 16.0)}


def _f(x):
    return np.asarray(x, dtype=float)


def block_scaled_bytes_per_element(element_bits, scale_bits, block_size):
    """Bytes per element of a block-scaled format: ``(element_bits + scale_bits / block_size) / 8``.

    For example a 4-bit element with one 8-bit scale per 32 elements is 4.25 bits. Which block size
    and scale width a format uses is the caller's (sourced) input, not assumed here.
    """
    return (_f(element_bits) + _f(scale_bits) / _f(block_size)) / 8.0


def weight_bytes(params, bytes_per_param):
    """Weights' size [byte]: ``params`` [parameters] x ``bytes_per_param`` [byte/parameter]."""
    return _f(params) * _f(bytes_per_param)


def kv_cache_bytes_per_token(layers, kv_heads, head_dim, bytes_per_element):
    """Key-value cache per token of context [byte/token], multi-head or grouped-query attention [1]_ [2]_.

    ``2 (key and value) x layers x kv_heads x head_dim x bytes_per_element``.
    """
    return 2.0 * _f(layers) * _f(kv_heads) * _f(head_dim) * _f(bytes_per_element)


def mla_cache_bytes_per_token(layers, kv_lora_rank, qk_rope_head_dim, bytes_per_element):
    """Multi-head latent attention cache per token [byte/token] [3]_.

    ``layers x (kv_lora_rank + qk_rope_head_dim) x bytes_per_element``: one compressed latent and one
    decoupled RoPE key per token per layer, shared by every head.
    """
    return _f(layers) * (_f(kv_lora_rank) + _f(qk_rope_head_dim)) * _f(bytes_per_element)


def linear_state_bytes_per_sequence(layers, value_heads, key_head_dim, value_head_dim, bytes_per_element,
                                    key_heads=0, conv_kernel=0):
    """State of linear-attention (Gated DeltaNet) layers per sequence [byte], constant in context.

    ``layers x (value_heads x key_head_dim x value_head_dim + (conv_kernel - 1) x conv_dim) x bytes``:
    a key-by-value state matrix per value head, and the last ``conv_kernel - 1`` inputs of the short
    convolution over ``conv_dim = 2 x key_heads x key_head_dim + value_heads x value_head_dim``
    channels (the Qwen3-Next GatedDeltaNet layer in Hugging Face transformers and Megatron-LM). With
    ``conv_kernel = 0`` only the state matrix is counted.
    """
    state = _f(value_heads) * _f(key_head_dim) * _f(value_head_dim)
    conv_dim = 2.0 * _f(key_heads) * _f(key_head_dim) + _f(value_heads) * _f(value_head_dim)
    conv = np.maximum(_f(conv_kernel) - 1.0, 0.0) * conv_dim
    return _f(layers) * (state + conv) * _f(bytes_per_element)


def attended_tokens(context_tokens, window_tokens=np.inf, chunked=False):
    """Tokens of context a layer holds and reads [token]: all, the last ``window_tokens`` (sliding),
    or those of the current chunk of ``window_tokens`` (chunked attention: ``(context - 1) mod window
    + 1``). ``context_tokens`` counts the cached tokens including the current one."""
    ctx, win = _f(context_tokens), _f(window_tokens)
    with np.errstate(invalid="ignore"):
        in_chunk = np.where(ctx > 0, np.mod(np.maximum(ctx - 1.0, 0.0), win) + 1.0, 0.0)
    return np.where(np.asarray(chunked, dtype=bool), in_chunk, np.minimum(ctx, win))


def cache_bytes_per_sequence(context_tokens, bytes_per_token, window_tokens=np.inf, chunked=False, state_bytes=0.0):
    """Cache of one sequence at ``context_tokens`` [byte], summed over attention groups.

    Per group (last axis of ``bytes_per_token``, ``window_tokens``, ``chunked``, ``state_bytes``):
    ``bytes_per_token x attended_tokens(context, window, chunked) + state_bytes``; full attention has
    an infinite window, linear attention zero ``bytes_per_token`` and its constant ``state_bytes``.
    The result has the shape of ``context_tokens`` broadcast with the groups' leading axes.
    """
    ctx = _f(context_tokens)[..., np.newaxis]
    per_group = _f(bytes_per_token) * attended_tokens(ctx, window_tokens, chunked) + _f(state_bytes)
    return np.sum(per_group, axis=-1)


def expected_distinct_experts(experts, experts_per_token, tokens):
    """Expected distinct experts a batch of ``tokens`` reads in one MoE layer [experts].

    ``E x (1 - (1 - k / E) ** tokens)`` when each token picks ``k`` of ``E`` experts uniformly and
    independently: ``k`` for one token, approaching ``E`` for many. An estimate, not a bound (real
    routing is skewed, so fewer distinct experts are read).
    """
    e, k = _f(experts), _f(experts_per_token)
    return e * (1.0 - np.power(1.0 - k / e, _f(tokens)))


def moe_params_touched(params, active_params, experts, experts_per_token, distinct_experts):
    """Parameters read in one forward step when ``distinct_experts`` of ``experts`` are used per MoE
    layer [parameters]; the total for a dense model (``active_params == params``).

    The routed-expert parameters ``R`` follow from the published totals alone: a token uses the
    always-on part ``params - R`` plus ``k / E`` of ``R``, so ``R = (params - active) / (1 - k / E)``;
    the step reads ``params - R + R x distinct / E``. With ``distinct = k`` this is ``active_params``,
    with ``distinct = E`` it is ``params``. Assumes every MoE layer has the same ``E`` and ``k``.
    """
    total, active = _f(params), _f(active_params)
    e, k = _f(experts), _f(experts_per_token)
    with np.errstate(divide="ignore", invalid="ignore"):
        routed = (total - active) / (1.0 - k / e)
        touched = total - routed + routed * np.minimum(_f(distinct_experts), e) / e
    return np.where(total == active, total, touched)


def _causal_sum(n, window, chunked):
    """sum over positions p = 1..n of the tokens position p attends (see :func:`attended_tokens`)."""
    n, w = _f(n), _f(window)
    finite = np.isfinite(w)
    wf = np.where(finite, w, 1.0)  # placeholder where infinite (never used there)
    m = np.where(finite, np.minimum(n, wf), n)
    sliding = m * (m + 1.0) / 2.0 + np.where(finite & (n > wf), (n - wf) * wf, 0.0)
    q, r = np.floor_divide(n, wf), np.mod(n, wf)
    in_chunks = np.where(finite, q * wf * (wf + 1.0) / 2.0 + r * (r + 1.0) / 2.0, sliding)
    return np.where(np.asarray(chunked, dtype=bool), in_chunks, sliding)


def attention_flop(new_tokens, cached_tokens, layers, heads, qk_head_dim, v_head_dim, window_tokens=np.inf, chunked=False):
    """Attention score and value FLOP of processing ``new_tokens`` after ``cached_tokens`` [FLOP],
    summed over attention groups (last axis of the per-group arguments).

    Per group: ``2 x layers x heads x (qk_head_dim + v_head_dim) x sum of attended tokens`` (a
    multiply-add is 2 FLOP; QK^T and AV); causal, each new token attends the tokens before it and
    itself, within its window or chunk. Linear-attention groups: give ``heads = 0`` (their per-token
    state update is not counted). Prefill: ``new_tokens`` = prompt; decode: ``new_tokens = 1``.
    """
    new = _f(new_tokens)[..., np.newaxis]
    cached = _f(cached_tokens)[..., np.newaxis]
    attended = _causal_sum(cached + new, window_tokens, chunked) - _causal_sum(cached, window_tokens, chunked)
    per_group = 2.0 * _f(layers) * _f(heads) * (_f(qk_head_dim) + _f(v_head_dim)) * attended
    return np.sum(per_group, axis=-1)


def prefill_flop(active_params, prompt_tokens, attention_flop_=0.0):
    """Prefill compute [FLOP]: ``2 x active_params x prompt_tokens`` (one multiply-add per parameter
    per token) plus the attention term (:func:`attention_flop` with ``new_tokens = prompt``)."""
    return 2.0 * _f(active_params) * _f(prompt_tokens) + _f(attention_flop_)


def decode_flop_per_step(active_params, batch, attention_flop_per_sequence=0.0):
    """Compute of one decode step [FLOP]: each of ``batch`` sequences makes one token:
    ``batch x (2 x active_params + attention)``."""
    return _f(batch) * (2.0 * _f(active_params) + _f(attention_flop_per_sequence))


def decode_bytes_per_step(weight_bytes_read, cache_bytes_per_sequence_, batch):
    """Memory read by one decode step [byte]: the weights the step touches, read once for the whole
    batch, plus each sequence's cache: ``weights + batch x cache``."""
    return _f(weight_bytes_read) + _f(batch) * _f(cache_bytes_per_sequence_)


def prefill_time_s(flop, peak_flop_per_s, n_devices=1.0, allreduce_latency_s=0.0, allreduces_per_step=0.0):
    """Roofline lower bound on prefill time [s]: ``flop / (n_devices x peak)`` plus, under tensor
    parallelism (``n_devices > 1``), ``allreduces_per_step x allreduce_latency_s`` (latency only; the
    data volume of the all-reduces is left out, so the bound stays a bound)."""
    n = _f(n_devices)
    comm = np.where(n > 1.0, _f(allreduces_per_step) * _f(allreduce_latency_s), 0.0)
    return _f(flop) / (n * _f(peak_flop_per_s)) + comm


def decode_step_time_s(bytes_per_step, bandwidth_byte_per_s, n_devices=1.0, flop_per_step=0.0,
                       peak_flop_per_s=np.inf, allreduce_latency_s=0.0, allreduces_per_step=0.0):
    """Roofline lower bound on one decode step [s] with tensor parallelism over ``n_devices``.

    Weights and cache are split over the devices (each reads ``1 / n`` of the bytes and does ``1 / n``
    of the FLOP): ``max(bytes / (n x bandwidth), flop / (n x peak)) + allreduces_per_step x latency``
    for ``n > 1`` [1]_ [4]_; Megatron-style tensor parallelism makes 2 all-reduces per layer per step
    (``allreduces_per_step = 2 x layers``), each costing at least ``allreduce_latency_s``.
    Where the cache cannot split (MLA's latent is replicated, KV heads fewer than devices), pass the
    bytes a device actually reads times ``n_devices`` to keep the bound honest.
    """
    n = _f(n_devices)
    memory = _f(bytes_per_step) / (n * _f(bandwidth_byte_per_s))
    compute = _f(flop_per_step) / (n * _f(peak_flop_per_s))
    comm = np.where(n > 1.0, _f(allreduces_per_step) * _f(allreduce_latency_s), 0.0)
    return np.maximum(memory, compute) + comm


def tokens_per_s(tokens, time_s):
    """Throughput [token/s]: ``tokens / time_s`` (a decode step makes ``batch`` tokens)."""
    with np.errstate(divide="ignore"):
        return _f(tokens) / _f(time_s)


def max_batch_in_memory(memory_bytes, n_devices, weight_bytes_, cache_bytes_per_sequence_):
    """Most sequences whose caches fit beside the weights [sequences], rounded down; 0 where the
    weights alone do not fit: ``floor((n_devices x memory - weights) / cache_per_sequence)``."""
    free = _f(n_devices) * _f(memory_bytes) - _f(weight_bytes_)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(free > 0, np.floor(free / _f(cache_bytes_per_sequence_)), 0.0)


def allreduce_time_s(tokens, hidden_size, layers, n_devices, link_bandwidth_byte_per_s, bytes_per_element=ACTIVATION_BYTES):
    """Time of the tensor-parallel all-reduces for ``tokens`` tokens at the link's bandwidth [s] (0 on one device).

    Megatron-style tensor parallelism all-reduces each token's ``hidden_size`` activations twice per
    layer [4]_; a ring all-reduce moves ``2 (n - 1) / n`` of the data through each device's link [7]_:
    ``2 x layers x 2 (n - 1) / n x tokens x hidden_size x bytes / link_bandwidth``, with the link's
    bandwidth in one direction. Bandwidth only (no latency), and no overlap with compute assumed.
    """
    n = _f(n_devices)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 1.0, 2.0 * (n - 1.0) / n, 0.0)
        volume = 2.0 * _f(layers) * share * _f(tokens) * _f(hidden_size) * _f(bytes_per_element)
        return np.where(volume > 0, volume / _f(link_bandwidth_byte_per_s), 0.0)
