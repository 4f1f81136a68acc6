"""From a sourced :class:`~computescale.data.schema_architecture.Architecture` to the plain arrays the
inference kernels take (one entry per attention group on the last axis). No arithmetic of its own
beyond picking fields: the sizes come from :mod:`computescale.inference_kernels`.

>>> from computescale.data.specs import load_catalog
>>> arch = load_catalog().architecture("gpt-oss-120b")
>>> profile = cache_profile(arch, kv_bytes_per_element=2.0)
>>> profile.window_tokens.tolist()
[128.0, inf]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import inference_kernels as ik

__all__ = ["CacheProfile", "AttentionProfile", "ExpertProfile", "cache_profile", "attention_profile", "expert_profile"]


@dataclass(frozen=True)
class CacheProfile:
    """Per attention group: cache bytes per token [byte/token], window [token] (inf: whole context),
    whether the window is a chunk, and constant state per sequence [byte]."""

    bytes_per_token: np.ndarray
    window_tokens: np.ndarray
    chunked: np.ndarray
    state_bytes: np.ndarray

    def bytes_per_sequence(self, context_tokens):
        """Cache of one sequence at ``context_tokens`` [byte] (:func:`inference_kernels.cache_bytes_per_sequence`)."""
        return ik.cache_bytes_per_sequence(context_tokens, self.bytes_per_token, self.window_tokens, self.chunked, self.state_bytes)


@dataclass(frozen=True)
class AttentionProfile:
    """Per attention group: layers, query heads, query/key and value widths, window [token], chunked."""

    layers: np.ndarray
    heads: np.ndarray
    qk_head_dim: np.ndarray
    v_head_dim: np.ndarray
    window_tokens: np.ndarray
    chunked: np.ndarray

    def flop(self, new_tokens, cached_tokens=0.0):
        """Attention FLOP of ``new_tokens`` after ``cached_tokens`` (:func:`inference_kernels.attention_flop`)."""
        return ik.attention_flop(new_tokens, cached_tokens, self.layers, self.heads, self.qk_head_dim,
                                 self.v_head_dim, self.window_tokens, self.chunked)


@dataclass(frozen=True)
class ExpertProfile:
    """Total and active parameters, routed experts per MoE layer and experts per token (1 and 1 for a
    dense model)."""

    params: float
    active_params: float
    experts: float
    experts_per_token: float

    @property
    def always_on(self) -> float:
        """Parameters every token uses [parameters]: attention, shared experts, embeddings (all of a dense
        model's): ``params - routed``, the routed experts' ``(params - active) / (1 - k / E)``."""
        if self.params == self.active_params:
            return self.params
        return self.params - (self.params - self.active_params) / (1.0 - self.experts_per_token / self.experts)

    def params_touched(self, tokens):
        """Parameters a step of ``tokens`` reads, at the expected distinct experts (uniform routing)."""
        distinct = ik.expected_distinct_experts(self.experts, self.experts_per_token, tokens)
        return ik.moe_params_touched(self.params, self.active_params, self.experts, self.experts_per_token, distinct)


def _window(group) -> float:
    return group.figure("window") if group.window is not None else np.inf


def cache_profile(arch, kv_bytes_per_element: float, state_bytes_per_element: float | None = None) -> CacheProfile:
    """The cache of ``arch`` at a KV precision [byte per cached element]; linear-attention state at
    ``state_bytes_per_element`` (default: the KV precision; implementations often keep it in fp32)."""
    state_b = kv_bytes_per_element if state_bytes_per_element is None else state_bytes_per_element
    per_token, window, chunked, state = [], [], [], []
    for g in arch.attention:
        f = g.figure
        if g.kind == "mla":
            per_token.append(ik.mla_cache_bytes_per_token(f("layers"), f("kv_lora_rank"), f("qk_rope_head_dim"), kv_bytes_per_element))
        elif g.kind == "linear":
            per_token.append(0.0)
        else:
            per_token.append(ik.kv_cache_bytes_per_token(f("layers"), f("kv_heads"), f("head_dim"), kv_bytes_per_element))
        if g.kind == "linear":
            conv = f("conv_kernel") if g.conv_kernel is not None else 0.0
            state.append(ik.linear_state_bytes_per_sequence(f("layers"), f("linear_value_heads"), f("linear_key_head_dim"),
                                                            f("linear_value_head_dim"), state_b, f("linear_key_heads"), conv))
        else:
            state.append(0.0)
        window.append(_window(g))
        chunked.append(g.kind == "chunked")
    return CacheProfile(*(np.asarray(v, dtype=float) for v in (per_token, window)), np.asarray(chunked), np.asarray(state, dtype=float))


def attention_profile(arch) -> AttentionProfile:
    """Attention sizes of ``arch`` per group (query heads from the model; MLA: nope + rope for QK)."""
    rows = []
    for g in arch.attention:
        f = g.figure
        if g.kind == "mla":
            qk, v = f("qk_nope_head_dim") + f("qk_rope_head_dim"), f("v_head_dim")
        elif g.kind == "linear":
            qk = v = 0.0
        else:
            qk = v = f("head_dim")
        heads = 0.0 if g.kind == "linear" else arch.figure("attention_heads")
        rows.append((f("layers"), heads, qk, v, _window(g), g.kind == "chunked"))
    cols = list(zip(*rows))
    return AttentionProfile(*(np.asarray(c, dtype=float) for c in cols[:5]), np.asarray(cols[5], dtype=bool))


def expert_profile(arch) -> ExpertProfile:
    """Parameter counts and routing of ``arch`` (a dense model: one expert, used by every token)."""
    e = arch.experts
    experts, k = (e.routed.value.m_as(""), e.per_token.value.m_as("")) if e is not None else (1.0, 1.0)
    return ExpertProfile(arch.figure("parameters"), arch.figure("active_params"), float(experts), float(k))
