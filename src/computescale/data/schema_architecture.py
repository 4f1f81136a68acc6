"""Pydantic models of model architectures (``specs/models.toml``; format in ``specs/README.md``).

A model's architecture is the published configuration an inference estimate needs: parameter counts,
layers, attention heads, the kind of attention of each group of layers (full / grouped-query, sliding
window, chunked, multi-head latent, linear / recurrent), experts, vocabulary and context. Every figure
is a sourced quantity (``{ value = "80", source = "..." }``), dimensionless, since counts are not
measured in a unit. Kept apart from ``schema.py`` (devices, clusters, runs) so each module stays short.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .schema import Count, QuantityEntry, _Strict

__all__ = ["Architecture", "AttentionGroup", "Experts", "ATTENTION_KINDS"]

#: Attention kinds: ``full`` (multi-head or grouped-query over the whole context), ``sliding`` (a
#: window of the last ``window`` tokens), ``chunked`` (attention within fixed chunks of ``window``
#: tokens: at most ``window`` cached tokens are read), ``mla`` (multi-head latent attention: a
#: compressed latent of ``kv_lora_rank`` plus a decoupled RoPE key of ``qk_rope_head_dim`` per token),
#: ``linear`` (linear attention / recurrent layers: a state of constant size per sequence).
ATTENTION_KINDS = ("full", "sliding", "chunked", "mla", "linear")

#: A count that may be zero (e.g. no shared expert), unlike :class:`~computescale.data.schema.Count`. Made
#: here, not with ``schema._entry`` (which names schema.py as its module), so the catalog cache can pickle it.
CountOrZero = type("CountOrZero", (QuantityEntry,), {"dimension": "dimensionless", "allow_zero": True, "__module__": __name__})

#: The fields each attention kind needs; any other field given for that kind is an error.
_NEEDS = {
    "full": ("kv_heads", "head_dim"),
    "sliding": ("kv_heads", "head_dim", "window"),
    "chunked": ("kv_heads", "head_dim", "window"),
    "mla": ("kv_lora_rank", "qk_rope_head_dim"),
    "linear": ("linear_key_heads", "linear_value_heads", "linear_key_head_dim", "linear_value_head_dim"),
}
_OPTIONAL = {"mla": ("qk_nope_head_dim", "v_head_dim"), "linear": ("conv_kernel",)}


def _whole(entry: QuantityEntry | None, what: str) -> None:
    if entry is not None and float(entry.value.m_as("")) != int(entry.value.m_as("")):
        raise ValueError(f"{what} must be a whole number, got {entry.value.m_as('')}")


class AttentionGroup(_Strict):
    """Layers of one attention kind: how many, which ones (``pattern``), and the figures that size
    their cache. ``kv_heads`` x ``head_dim`` for full / sliding / chunked; MLA's latent and RoPE widths;
    linear attention's head counts and widths (its state does not grow with the context)."""

    kind: Literal["full", "sliding", "chunked", "mla", "linear"]
    layers: Count
    pattern: str = ""  # which layers, as the source says ("odd layers (1, 3, ..., 23)", "every 4th layer")
    kv_heads: Count | None = None
    head_dim: Count | None = None
    window: Count | None = None  # tokens: sliding window, or chunk size of chunked attention
    kv_lora_rank: Count | None = None
    qk_rope_head_dim: Count | None = None
    qk_nope_head_dim: Count | None = None
    v_head_dim: Count | None = None
    linear_key_heads: Count | None = None
    linear_value_heads: Count | None = None
    linear_key_head_dim: Count | None = None
    linear_value_head_dim: Count | None = None
    conv_kernel: Count | None = None
    note: str = ""

    @model_validator(mode="after")
    def _fields_of_kind(self):
        needed, optional = _NEEDS[self.kind], _OPTIONAL.get(self.kind, ())
        for name in needed:
            if getattr(self, name) is None:
                raise ValueError(f"{self.kind} attention needs {name}")
        for name in {n for ns in _NEEDS.values() for n in ns} | {n for ns in _OPTIONAL.values() for n in ns}:
            if name not in needed and name not in optional and getattr(self, name) is not None:
                raise ValueError(f"{name} does not apply to {self.kind} attention (it needs {', '.join(needed)})")
        for name, entry in self.entries():
            _whole(entry, name)
        return self

    def entries(self):
        """Every sourced figure of the group as (field, entry) pairs."""
        for name in ("layers", *(n for n in type(self).model_fields if n not in ("kind", "layers", "pattern", "note"))):
            entry = getattr(self, name)
            if entry is not None:
                yield name, entry

    def figure(self, name: str) -> float:
        """A figure as a plain number (NaN where the group has none)."""
        entry = getattr(self, name)
        return float("nan") if entry is None else float(entry.value.m_as(""))


class Experts(_Strict):
    """Mixture of experts: routed experts per MoE layer, how many a token uses, shared experts, and
    how many layers are MoE layers (the others are dense)."""

    routed: Count
    per_token: Count
    shared: CountOrZero
    moe_layers: Count
    expert_intermediate_size: Count | None = None

    @model_validator(mode="after")
    def _k_le_e(self):
        for name, entry in self.entries():
            _whole(entry, name)
        if self.per_token.value > self.routed.value:
            raise ValueError("per_token exceeds routed (a token cannot use more experts than there are)")
        return self

    def entries(self):
        for name in ("routed", "per_token", "shared", "moe_layers", "expert_intermediate_size"):
            entry = getattr(self, name)
            if entry is not None:
                yield name, entry


class Architecture(_Strict):
    """A model's published architecture. ``parameters`` is the total (every expert); ``active_params``
    the parameters used per token (the total for a dense model). ``attention`` lists the groups of
    layers by kind; their ``layers`` add up to ``layers``."""

    name: str
    aliases: tuple[str, ...] = ()
    organization: str = ""
    config: str = ""  # where the configuration is published (a config.json at a repo and revision)
    notes: str = ""
    parameters: Count
    active_params: Count
    layers: Count
    hidden_size: Count
    attention_heads: Count
    kv_heads: Count
    head_dim: Count
    vocab_size: Count
    max_context: Count
    attention: tuple[AttentionGroup, ...] = Field(min_length=1)
    experts: Experts | None = None
    see_also: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self):
        if self.active_params.value > self.parameters.value:
            raise ValueError("active_params exceeds parameters (total)")
        for name, entry in self.entries():
            if "." not in name and name not in ("parameters", "active_params"):
                _whole(entry, name)
        total = sum(group.figure("layers") for group in self.attention)
        if total != self.figure("layers"):
            raise ValueError(f"the attention groups have {total:g} layers in all, but layers is {self.figure('layers'):g}")
        if self.experts is not None and self.experts.moe_layers.value > self.layers.value:
            raise ValueError("experts.moe_layers exceeds layers")
        if self.experts is None and self.active_params.value != self.parameters.value:
            raise ValueError("a dense model (no [architecture.experts]) has active_params equal to parameters")
        return self

    @property
    def moe(self) -> bool:
        return self.experts is not None

    def figure(self, name: str) -> float:
        """A top-level figure as a plain number."""
        return float(getattr(self, name).value.m_as(""))

    def entries(self):
        """Every sourced figure as (field path, entry) pairs, for display and source checks."""
        for name in ("parameters", "active_params", "layers", "hidden_size", "attention_heads", "kv_heads",
                     "head_dim", "vocab_size", "max_context"):
            yield name, getattr(self, name)
        for i, group in enumerate(self.attention):
            for name, entry in group.entries():
                yield f"attention[{i}].{name}", entry
        if self.experts is not None:
            for name, entry in self.experts.entries():
                yield f"experts.{name}", entry

    def attention_kinds(self) -> str:
        """A short description: ``"full 12 + sliding(128) 12"``."""
        parts = []
        for g in self.attention:
            size = f"({g.figure('window'):g})" if g.window is not None else ""
            parts.append(f"{g.kind}{size} {g.figure('layers'):g}")
        return " + ".join(parts)
