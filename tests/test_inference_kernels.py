"""Inference kernels: the cache of each architecture equal to what its published configuration implies
(worked out by hand here from the numbers printed in the config / model card, not from the catalog),
MoE limits, brute-force checks of the closed forms, broadcasting, and properties of the bounds."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from computescale import inference_kernels as ik
from computescale.inference_inputs import attention_profile, cache_profile, expert_profile
from computescale.data.specs import load_catalog

BF16 = 2.0


def _arch(name):
    return load_catalog().architecture(name)


# (model, context tokens, expected cache bytes per sequence at BF16, where the numbers come from)
KV_CASES = [
    # Llama: n_layers, n_kv_heads from meta-llama/llama-models sku_list.py; head_dim 128 = dim / n_heads
    ("Llama 3.1 8B", 1, 2 * 32 * 8 * 128 * 2, "sku_list.py: n_layers 32, n_kv_heads 8, dim 4096 / n_heads 32"),
    ("Llama 3.1 70B", 1, 2 * 80 * 8 * 128 * 2, "sku_list.py: n_layers 80, n_kv_heads 8, dim 8192 / n_heads 64"),
    ("Llama 3.1 405B", 1, 2 * 126 * 8 * 128 * 2, "sku_list.py: n_layers 126, n_kv_heads 8, dim 16384 / n_heads 128"),
    ("Llama 2 70B", 4096, 2 * 80 * 8 * 128 * 2 * 4096, "MaxText llama2-70b.yml: 80 layers, 8 kv heads, head_dim 128; 4k context"),
    ("Mixtral 8x7B", 1000, 2 * 32 * 8 * 128 * 2 * 1000, "Mixtral-8x7B config.json: 32 layers, 8 kv heads, 4096 / 32 heads"),
    ("Qwen3-32B", 1, 2 * 64 * 8 * 128 * 2, "Qwen3-32B card: 64 layers, 8 KV heads; config head_dim 128"),
    ("Qwen3-30B-A3B", 1, 2 * 48 * 4 * 128 * 2, "Qwen3-30B-A3B card: 48 layers, 4 KV heads; config head_dim 128"),
    ("Qwen3-235B-A22B", 1, 2 * 94 * 4 * 128 * 2, "Qwen3-235B-A22B card: 94 layers, 4 KV heads; config head_dim 128"),
    # MLA: (kv_lora_rank 512 + qk_rope_head_dim 64) per token per layer, 61 layers (DeepSeek-V3 config.json);
    # DeepSeek-V2 Table 1 gives MLA's cache as (d_c + d_h^R) x l elements per token.
    ("DeepSeek-V3", 1, 61 * (512 + 64) * 2, "DeepSeek-V3 config.json: 61 layers, kv_lora_rank 512, qk_rope_head_dim 64"),
    ("DeepSeek-R1", 100_000, 61 * (512 + 64) * 2 * 100_000, "same configuration as V3 (R1 README)"),
    # gpt-oss-120b: 18 sliding layers (window 128) and 18 full layers, 8 kv heads of 64 (config.json)
    ("gpt-oss-120b", 1024, 18 * 2 * 8 * 64 * 2 * 128 + 18 * 2 * 8 * 64 * 2 * 1024, "config.json layer_types, sliding_window 128"),
    ("gpt-oss-20b", 100, 24 * 2 * 8 * 64 * 2 * 100, "below the window every layer holds the whole context"),
    # Llama 4 Scout: 36 chunked layers (chunk 8192) hold only the current chunk, 12 global layers all of it
    ("Llama 4 Scout", 10_000, 36 * 2 * 8 * 128 * 2 * (10_000 - 8192) + 12 * 2 * 8 * 128 * 2 * 10_000,
     "MaxText llama4-17b-16e.yml: nope_layer_interval 4, chunk_attn_window_size 8192, 8 kv heads, 5120 / 40"),
    # Qwen3-Next: 12 full layers (2 KV heads of 256) + 36 Gated DeltaNet layers with a state of
    # 32 V heads x 128 x 128 and a conv state of (4 - 1) x (2 x 16 x 128 + 32 x 128) channels (card; MaxText yml)
    ("Qwen3-Next-80B-A3B", 5000, 12 * 2 * 2 * 256 * 2 * 5000 + 36 * (32 * 128 * 128 + 3 * (2 * 16 * 128 + 32 * 128)) * 2,
     "Qwen3-Next-80B-A3B card: hybrid layout 12 x (3 DeltaNet + 1 attention); linear heads 16 QK / 32 V of 128"),
]


@pytest.mark.parametrize("name, context, expected, where", KV_CASES, ids=[c[0] for c in KV_CASES])
def test_cache_per_sequence_equals_published_config(name, context, expected, where):
    got = cache_profile(_arch(name), BF16).bytes_per_sequence(context)
    assert float(got) == pytest.approx(expected, rel=1e-12), where


# A published figure, not our own arithmetic: Zhao et al., "Insights into DeepSeek-V3: Scaling Challenges and
# Reflections on Hardware for AI Architectures", ISCA '25 (arXiv:2505.09343), Table 1, KV cache per token at
# BF16: DeepSeek-V3 (MLA) 70.272 KB, LLaMA-3.1 405B (GQA) 516.096 KB (decimal kB).
@pytest.mark.parametrize("name, published_kb", [("DeepSeek-V3", 70.272), ("Llama 3.1 405B", 516.096)])
def test_kv_per_token_equals_deepseek_isca25_table1(name, published_kb):
    assert float(cache_profile(_arch(name), BF16).bytes_per_sequence(1)) == pytest.approx(published_kb * 1000, rel=1e-12)


def test_kv_per_token_kernels_by_formula():
    assert ik.kv_cache_bytes_per_token(80, 8, 128, 2) == 327_680  # Llama 3.1 70B at BF16, 320 KiB per token
    assert ik.mla_cache_bytes_per_token(61, 512, 64, 1) == 35_136  # DeepSeek-V3 at FP8
    assert ik.linear_state_bytes_per_sequence(1, 32, 128, 128, 4) == 32 * 128 * 128 * 4  # no conv state


def test_fp8_kv_halves_the_cache():
    arch = _arch("Llama 3.1 70B")
    assert cache_profile(arch, 1.0).bytes_per_sequence(8192) * 2 == cache_profile(arch, 2.0).bytes_per_sequence(8192)


def test_linear_state_does_not_grow_with_context():
    p = cache_profile(_arch("Qwen3-Next-80B-A3B"), BF16, state_bytes_per_element=4.0)
    full_per_token = 12 * 2 * 2 * 256 * 2
    assert float(p.bytes_per_sequence(2000) - p.bytes_per_sequence(1000)) == full_per_token * 1000


# ---- experts ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("e, k", [(8, 2), (256, 8), (128, 4), (512, 10), (16, 1)])
def test_distinct_experts_limits(e, k):
    assert ik.expected_distinct_experts(e, k, 0) == 0
    assert ik.expected_distinct_experts(e, k, 1) == pytest.approx(k)
    assert ik.expected_distinct_experts(e, k, 100_000) == pytest.approx(e)
    many = ik.expected_distinct_experts(e, k, np.arange(1, 200))
    assert np.all(np.diff(many) >= 0) and np.all(many <= e)


def test_params_touched_limits():
    ep = expert_profile(_arch("DeepSeek-V3"))  # 671B total, 37B active (V3 paper abstract)
    assert ep.params_touched(1) == pytest.approx(37e9)
    assert ep.params_touched(1e6) == pytest.approx(671e9)
    assert ik.moe_params_touched(70e9, 70e9, 1, 1, 1) == 70e9  # dense: every parameter, every step
    assert ik.moe_params_touched(47e9, 13e9, 8, 2, 8) == pytest.approx(47e9)  # Mixtral, all experts read


# ---- attention FLOP: closed forms against a brute-force sum -------------------------------------------------
def _brute(new, cached, window, chunked):
    total = 0
    for p in range(cached + 1, cached + new + 1):
        total += ((p - 1) % window) + 1 if chunked else min(p, window)
    return total


@given(st.integers(0, 300), st.integers(0, 300), st.integers(1, 64), st.booleans())
def test_attended_sum_matches_brute_force(new, cached, window, chunked):
    got = ik.attention_flop(new, cached, 1, 1, 0.5, 0.5, window, chunked)  # 2 x 1 x 1 x 1 = 2 per attended token
    assert float(got) == 2 * _brute(new, cached, window, chunked)


def test_full_attention_prefill_is_quadratic():
    t = 4096
    assert float(ik.attention_flop(t, 0, 80, 64, 128, 128)) == 2 * 80 * 64 * 256 * t * (t + 1) / 2


def test_prefill_flop_counts_two_per_active_parameter():
    arch = _arch("Llama 3.1 8B")
    attn = attention_profile(arch).flop(1000)
    assert float(ik.prefill_flop(8e9, 1000, attn)) == pytest.approx(2 * 8e9 * 1000 + float(attn))


# ---- broadcasting -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch", [8, [1, 8, 64], np.array([1, 8, 64]), np.array([1, 8, 64])[:, None]])
def test_decode_broadcasts_batch_by_context(batch):
    context = np.array([1024, 8192, 32768])
    cache = cache_profile(_arch("gpt-oss-120b"), 1.0).bytes_per_sequence(context)
    step = ik.decode_step_time_s(ik.decode_bytes_per_step(117e9 * 0.5, cache, batch), 4.8e12, n_devices=[[1], [2], [8]])
    assert step.shape == np.broadcast_shapes(np.shape(batch), context.shape, (3, 1))


def test_cache_groups_broadcast_over_a_grid():
    p = cache_profile(_arch("Llama 4 Maverick"), BF16)
    grid = np.array([[1, 10], [100, 100_000]])
    assert p.bytes_per_sequence(grid).shape == (2, 2)


def test_block_scaled_and_weight_bytes():
    assert ik.block_scaled_bytes_per_element(4, 8, 32) == 4.25 / 8
    # MXFP4: 32 x 4-bit elements + one 8-bit scale = 17 bytes a block; NVFP4: 16 x 4 bits + 8 bits = 9 bytes
    assert ik.block_scaled_bytes_per_element(*ik.BLOCK_SCALED_FORMATS["mxfp4"]) * 32 == 17
    assert ik.block_scaled_bytes_per_element(*ik.BLOCK_SCALED_FORMATS["nvfp4"]) * 16 == 9
    np.testing.assert_allclose(ik.weight_bytes([70e9, 405e9], ik.BYTES_PER_PARAMETER["fp8"]), [70e9, 405e9])


def test_max_batch_in_memory():
    # 8 devices x 80 GB, 140 GB of weights, 10 GB a sequence -> 50; weights that do not fit -> 0
    assert ik.max_batch_in_memory(80e9, 8, 140e9, 10e9) == 50
    assert ik.max_batch_in_memory(80e9, 1, 140e9, 10e9) == 0


# ---- properties of the bounds -------------------------------------------------------------------------------
finite = st.floats(1.0, 1e6)


@given(st.integers(1, 512), st.integers(1, 512), st.integers(1, 100_000), st.integers(1, 100_000))
def test_step_time_monotone_in_batch_and_context(b1, b2, c1, c2):
    p = cache_profile(_arch("Llama 3.1 70B"), 1.0)
    ap = attention_profile(_arch("Llama 3.1 70B"))

    def t(b, c):
        flop = ik.decode_flop_per_step(70e9, b, ap.flop(1, c))
        return float(ik.decode_step_time_s(ik.decode_bytes_per_step(70e9, p.bytes_per_sequence(c), b), 3.35e12, 1, flop, 989e12))

    (b1, b2), (c1, c2) = sorted((b1, b2)), sorted((c1, c2))
    assert t(b1, c1) <= t(b2, c1) and t(b1, c1) <= t(b1, c2)


@given(finite, finite, st.integers(1, 64))
def test_bounds_scale_as_one_over_devices_without_comm(bytes_g, flop_t, n):
    step1 = ik.decode_step_time_s(bytes_g * 1e9, 3e12, 1, flop_t * 1e12, 1e15)
    stepn = ik.decode_step_time_s(bytes_g * 1e9, 3e12, n, flop_t * 1e12, 1e15)
    assert float(stepn) == pytest.approx(float(step1) / n, rel=1e-12)
    assert float(ik.prefill_time_s(flop_t, 1e15, n)) == pytest.approx(flop_t / 1e15 / n, rel=1e-12)


def test_allreduce_latency_only_with_several_devices():
    one = ik.decode_step_time_s(1e9, 1e12, 1, allreduce_latency_s=1e-5, allreduces_per_step=160)
    eight = ik.decode_step_time_s(8e9, 1e12, 8, allreduce_latency_s=1e-5, allreduces_per_step=160)
    assert float(one) == pytest.approx(1e-3) and float(eight) == pytest.approx(1e-3 + 160e-5)


def test_throughput_of_a_step():
    assert float(ik.tokens_per_s(64, 0.02)) == pytest.approx(3200)
    assert math.isinf(float(ik.tokens_per_s(1, 0.0)))


# ---- every kernel on scalar, list, ndarray and broadcast inputs --------------------------------------------
# (kernel, positional arguments; the first is the one varied). Each result must equal the kernel applied to
# the scalars one at a time, whatever container the first argument comes in.
SCALAR_CASES = [
    (ik.weight_bytes, (70e9, 1.0)),
    (ik.kv_cache_bytes_per_token, (80, 8, 128, 2.0)),
    (ik.mla_cache_bytes_per_token, (61, 512, 64, 1.0)),
    (ik.linear_state_bytes_per_sequence, (36, 32, 128, 128, 2.0, 16, 4)),
    (ik.attended_tokens, (10_000, 8192, True)),
    (ik.expected_distinct_experts, (256, 8, 64)),
    (ik.moe_params_touched, (671e9, 37e9, 256, 8, 100)),
    (ik.prefill_flop, (8e9, 2048, 1e12)),
    (ik.decode_flop_per_step, (70e9, 64, 1e9)),
    (ik.decode_bytes_per_step, (70e9, 1e9, 64)),
    (ik.prefill_time_s, (1e15, 1e15, 8, 1e-5, 160)),
    (ik.decode_step_time_s, (80e9, 3.35e12, 8, 1e13, 1e15, 1e-5, 160)),
    (ik.tokens_per_s, (64, 0.02)),
    (ik.max_batch_in_memory, (80e9, 8, 140e9, 1e9)),
]
VALUES = [1.0, 2.0, 4.0]


@pytest.mark.parametrize("kind", ["list", "ndarray", "broadcast"])
@pytest.mark.parametrize("fn, args", SCALAR_CASES, ids=[f.__name__ for f, _ in SCALAR_CASES])
def test_every_kernel_broadcasts(fn, args, kind):
    first = [args[0] * v for v in VALUES]
    varied = {"list": first, "ndarray": np.array(first), "broadcast": np.array(first)[:, None]}[kind]
    got = fn(varied, *args[1:])
    expected = np.array([float(fn(x, *args[1:])) for x in first])
    np.testing.assert_allclose(np.ravel(got), expected, rtol=1e-12)
    assert np.shape(got) == np.shape(varied)
    assert np.ndim(fn(*args)) == 0  # scalars in, a scalar out


def test_distinct_experts_matches_a_seeded_simulation():
    """Each token draws k distinct experts of E uniformly: the mean number of distinct experts a batch
    reads approaches E x (1 - (1 - k/E) ** tokens)."""
    rng = np.random.default_rng(0)
    e, k, tokens, trials = 8, 2, 5, 20_000
    picks = np.argsort(rng.random((trials, tokens, e)), axis=-1)[..., :k]  # k distinct experts per token
    used = np.zeros((trials, e), dtype=bool)
    np.put_along_axis(used, picks.reshape(trials, -1), True, axis=-1)
    assert used.sum(axis=-1).mean() == pytest.approx(float(ik.expected_distinct_experts(e, k, tokens)), rel=0.01)


@given(st.floats(1.0, 256.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_params_touched_lies_between_active_and_total(experts, k_share, d_share):
    experts = float(np.floor(experts))
    k = max(1.0, np.floor(k_share * experts))
    if k == experts:
        return  # every expert used by every token: a dense model
    distinct = k + d_share * (experts - k)
    touched = float(ik.moe_params_touched(671e9, 37e9, experts, k, distinct))
    assert 37e9 * (1 - 1e-12) <= touched <= 671e9 * (1 + 1e-12)
    assert touched <= float(ik.moe_params_touched(671e9, 37e9, experts, k, min(experts, distinct + 1))) * (1 + 1e-12)
