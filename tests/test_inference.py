"""The inference chain on the one pipeline (issue 17): the API, the CLI, grids, Monte Carlo, and the
figures checked by hand from published configurations."""

import json

import numpy as np
import pytest

import computescale as cs
from computescale import InputError, monte_carlo_training
from computescale.inference import INFERENCE_MODEL, estimate_inference

DONE_WHEN = ["infer", "--model", "llama-3.1-70b", "--cluster", "8 H100", "--batch", "64", "--input-tokens", "1024",
             "--output-tokens", "256"]


@pytest.fixture(scope="module")
def llama70():
    return estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=64, input_tokens=1024, output_tokens=256)


def test_memory_figures_follow_the_published_configuration(llama70):
    # Llama 3.1 70B config.json: 80 layers, 8 KV heads, head_dim 128; BF16 = 2 bytes
    assert llama70.kv_cache_per_token.m_as("byte/token") == 2 * 80 * 8 * 128 * 2
    assert llama70.kv_cache_per_sequence.m_as("byte") == pytest.approx(2 * 80 * 8 * 128 * 2 * (1024 + 256), rel=1e-12)
    assert llama70.weights_memory.m_as("GB") == pytest.approx(cs.load_catalog().architecture("llama-3.1-70b").figure("parameters") * 2 / 1e9)
    assert llama70.fits.m_as("") == 1 and llama70.max_batch.m_as("") > 64


def test_decode_bound_is_bytes_over_bandwidth(llama70):
    # one step reads the weights once and each request's cache at the prompt's context; 8 x 3.35 TB/s (H100 SXM)
    params = cs.load_catalog().architecture("llama-3.1-70b").figure("parameters")
    step_bytes = params * 2 + 64 * 2 * 80 * 8 * 128 * 2 * 1024
    assert llama70.time_per_output_token_bound.m_as("s") == pytest.approx(step_bytes / (8 * 3.35e12), rel=0.01)
    assert llama70.throughput_per_user_bound.m_as("token/s") == pytest.approx(1 / llama70.time_per_output_token_bound.m_as("s"))


def test_every_performance_output_has_a_bound_and_an_estimate_with_its_band(llama70):
    d = llama70.to_dict()
    for name in ("time_to_first_token", "time_per_output_token", "throughput_per_user", "throughput", "max_throughput"):
        p = d["results"][name]
        assert set(p) == {"bound", "estimate", "band"}
        lo, hi = (b["magnitude"] for b in p["band"])
        assert lo <= p["estimate"]["magnitude"] <= hi
        if name.startswith("time"):
            assert p["bound"]["magnitude"] <= p["estimate"]["magnitude"]
        else:
            assert p["bound"]["magnitude"] >= p["estimate"]["magnitude"]


def test_energy_and_costs_per_token_come_from_the_shared_stages(llama70):
    # facility power of the replica x time per token = energy per token; rental = 8 devices x rate x time per token
    per_token_s = 1 / llama70.throughput.m_as("token/s")
    assert llama70.energy_per_token.m_as("J/token") == pytest.approx(llama70.facility_power.m_as("W") * per_token_s, rel=1e-9)
    rate = next(a for a in llama70.assumptions if a.name == "rental_price").value.m_as("USD/device_hour")
    assert llama70.cost_per_million_tokens.m_as("USD/Mtoken") == pytest.approx(8 * rate * per_token_s / 3600 * 1e6, rel=1e-9)
    assert "lifetime" in llama70.not_given["amortized_cost_per_million_tokens"]


def test_moe_estimate_reads_more_experts_than_the_bound():
    one = estimate_inference(model="mixtral-8x7b", cluster="2 H100", batch=1, input_tokens=512, output_tokens=128)
    many = estimate_inference(model="mixtral-8x7b", cluster="2 H100", batch=256, input_tokens=512, output_tokens=128)
    assert many.time_per_output_token.m_as("ms") / many.time_per_output_token_bound.m_as("ms") > \
        one.time_per_output_token.m_as("ms") / one.time_per_output_token_bound.m_as("ms")


def test_precisions_are_separate_and_follow_the_one_policy():
    fp8 = estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=8, input_tokens=1024, output_tokens=256,
                             weight_precision="FP8", kv_precision="fp8")
    assert fp8.weights_memory.m_as("GB") == pytest.approx(cs.load_catalog().architecture("llama-3.1-70b").figure("parameters") / 1e9)
    assert fp8.kv_cache_per_token.m_as("byte/token") == 80 * 8 * 128 * 2
    with pytest.raises(InputError, match="A100 SXM4 40GB has no published FP8 dense peak"):
        estimate_inference(model="llama-3.1-8b", cluster="1 A100", batch=1, input_tokens=8, output_tokens=8,
                           weight_precision="fp8")


def test_a_batch_over_memory_says_so_first():
    est = estimate_inference(model="llama-3.1-70b", cluster="2 H100", batch=64, input_tokens=8192, output_tokens=1024)
    assert est.fits.m_as("") == 0 and est.warnings[0].startswith("the batch does not fit")


def test_devices_for_load_under_a_latency_target():
    est = estimate_inference(model="llama-3.1-8b", cluster="1 H100", batch=32, input_tokens=1024, output_tokens=256,
                             load="50000 token/s", tpot_target="100 ms")
    replicas = np.ceil(50000 / est.throughput.m_as("token/s"))
    assert est.devices_for_load.m_as("") == replicas
    missed = estimate_inference(model="llama-3.1-8b", cluster="1 H100", batch=32, input_tokens=1024, output_tokens=256,
                                load=50000, tpot_target=1)
    assert np.isnan(missed.devices_for_load.m_as(""))


def test_missing_required_input_is_one_clear_error():
    with pytest.raises(InputError, match="input_tokens: required"):
        estimate_inference(model="llama-3.1-8b", cluster="1 H100", batch=1, input_tokens=None, output_tokens=8)
    with pytest.raises(cs.UnknownNameError, match="llama"):
        estimate_inference(model="llama-9", cluster="1 H100", batch=1, input_tokens=8, output_tokens=8)


def test_arrays_broadcast_and_monte_carlo_runs_the_same_chain():
    grid = estimate_inference(model="llama-3.1-8b", cluster="1 H100", batch=np.array([1.0, 8.0, 64.0]),
                              input_tokens=1024, output_tokens=256)
    assert grid.throughput.magnitude.shape == (3,) and np.all(np.diff(grid.throughput.magnitude) > 0)
    mc = monte_carlo_training(estimator=INFERENCE_MODEL, model="llama-3.1-8b", cluster="1 H100", batch=8,
                              input_tokens="1024..1024", output_tokens=256, samples=32)
    assert mc.interval("throughput")[1].m_as("token/s") == pytest.approx(grid.throughput.m_as("token/s")[1], rel=1e-9)


def test_done_when_command_prints_every_answer(cli):
    out = cli(*DONE_WHEN).stdout
    for text in ("fits: yes", "kB/token", "time to first token", "time per output token", "tokens/s per user",
                 "tokens/s, whole batch", "physical bound", "10-90% band", "J/token", "USD/Mtoken", "Not modelled",
                 "computescale-inference-calibration"):
        assert text in out, text
    data = json.loads(cli(*DONE_WHEN, "--json").stdout)
    assert set(data["results"]["throughput"]) == {"bound", "estimate", "band"}
    curve = cli(*DONE_WHEN[:6], "1,8,64,256", *DONE_WHEN[7:]).stdout
    assert "4 grid points" in curve


def test_an_inference_sweep_agrees_with_the_scalar_api():
    # three generations: Hopper and Blackwell efficiencies, and the pooled ones for CDNA 3
    s = cs.Sweep(estimator=INFERENCE_MODEL, model="llama-3.1-70b", device="H100,B200,MI300X", count=8, batch="1,64",
                 input_tokens=1024, output_tokens=256, outputs=["time_per_output_token", "throughput", "energy_per_token"])
    r = s.run()
    for i, dev in enumerate(("H100", "B200", "MI300X")):
        for j, b in enumerate((1, 64)):
            one = estimate_inference(model="llama-3.1-70b", cluster=f"8 {dev}", batch=b, input_tokens=1024,
                                     output_tokens=256)
            for name in r.outputs:
                got = float(r.quantity(name).magnitude[i, 0, j].ravel()[0])
                assert got == pytest.approx(one.results[name].m_as(r.unit(name)), rel=1e-12), (dev, b, name)


def test_the_throughput_interactivity_curve_is_one_command(cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curve.png"
    cli(*DONE_WHEN[:6], "1,8,64,256", *DONE_WHEN[7:], "--plot", str(path))
    assert path.stat().st_size > 10_000
    proc = cli(*DONE_WHEN, "--plot", str(tmp_path / "one.png"), check=False)
    assert proc.returncode == 2 and "over batch values" in proc.stderr


def test_inference_regimes_per_chip():
    from computescale.speedups import inference_regimes

    cat = cs.load_catalog()
    regimes = {r.key: r for r in inference_regimes("B200", "H100", cat)}
    b200, h100 = cat.device("B200"), cat.device("H100")
    assert regimes["decode-bandwidth"].ratio == pytest.approx(
        b200.memory.bandwidth.value.m_as("TB/s") / h100.memory.bandwidth.value.m_as("TB/s"))
    assert regimes["bf16.dense"].ratio == pytest.approx(b200.peak("bf16").value.m_as("TFLOP/s") / 989.4, rel=1e-3)
    assert "FP4 dense vs FP8 dense" in regimes["fastest-dense"].label  # H100 publishes no FP4
    assert all(r.sources for r in regimes.values())


def test_latencies_add_to_every_forward_pass_of_the_estimate_not_the_bound():
    kw = dict(model="llama-3.1-70b", cluster="8 H100", batch=1, input_tokens=1024, output_tokens=256)
    base = estimate_inference(**kw, layer_latency=0, allreduce_latency=0)
    more = estimate_inference(**kw, layer_latency="10 us", allreduce_latency="5 us")
    # Megatron-LM tensor parallelism: two all-reduces per transformer layer per pass; Llama 3.1 70B has 80 layers
    per_pass = 80 * 10e-3 + 2 * 80 * 5e-3  # ms
    assert more.time_to_first_token.m_as("ms") - base.time_to_first_token.m_as("ms") == pytest.approx(per_pass)
    assert more.time_per_output_token.m_as("ms") - base.time_per_output_token.m_as("ms") == pytest.approx(per_pass)
    assert more.time_per_output_token_bound == base.time_per_output_token_bound  # the bound counts no latency
    one = dict(kw, cluster="1 H200")
    a = estimate_inference(**one, layer_latency="10 us", allreduce_latency=0)
    b = estimate_inference(**one, layer_latency="10 us", allreduce_latency="5 us")
    assert a.time_per_output_token == b.time_per_output_token  # one device: no all-reduce


def test_the_glossary_keeps_each_models_meaning_of_a_shared_name(cli):
    rows = json.loads(cli("glossary", "--json").stdout)["inputs"]
    clusters = {r["model"]: r["description"] for r in rows if r["name"] == "cluster"}
    assert set(clusters) == {"training", "inference"} and "replica" in clusters["inference"]
    assert [r["model"] for r in rows if r["name"] == "pue"] == ["training, inference"]  # one record, both models


def test_the_estimate_is_its_parts_each_over_its_efficiency(llama70):
    """TPOT at steady state = decode step + the other requests' prefills; the step = memory / (bandwidth x
    e_mem) + compute / (peak x e_compute) + all-reduce data / (link x e_link) + fixed latencies, by hand for
    Llama 3.1 70B on 8 H100 (Hopper values from specs/defaults.toml)."""
    d = cs.load_catalog().defaults
    e = {k: d[f"inference_{k}"].value.m_as("") for k in ("memory_efficiency", "link_efficiency",
                                                          "decode_compute_efficiency_hopper", "prefill_efficiency_hopper")}
    lat = {k: d[f"inference_{k}"].value.m_as("s") for k in ("layer_latency", "allreduce_latency")}
    arch = cs.load_catalog().architecture("llama-3.1-70b")
    params, heads = arch.figure("parameters"), arch.figure("attention_heads")
    ctx = 1024 + 256 / 2  # the mean context of the decode
    memory = (params * 2 + 64 * 2 * 80 * 8 * 128 * 2 * ctx) / (8 * 3.35e12)
    compute = 64 * (2 * params + 2 * 80 * heads * 256 * (ctx + 1)) / (8 * 989.4e12)  # attention: 2 x (QK + AV) per head
    # ring all-reduce: 2 per layer, 2 (n - 1) / n of the tokens x 8192 hidden x 2 bytes through 450 GB/s one way
    link = lambda tokens: 2 * 80 * (2 * 7 / 8) * tokens * 8192 * 2 / 450e9  # noqa: E731
    fixed = 80 * lat["layer_latency"] + 2 * 80 * lat["allreduce_latency"]
    step = memory / e["memory_efficiency"] + compute / e["decode_compute_efficiency_hopper"] + link(64) / e["link_efficiency"] + fixed
    causal = 1024 * 1025 / 2  # attention over the prompt: each token attends those before it and itself
    prefill_work = ((2 * params * 1024 + 2 * 80 * heads * 256 * causal) / (8 * 989.4e12) / e["prefill_efficiency_hopper"]
                    + link(1024) / e["link_efficiency"])
    # while one request decodes its 256 steps, each of the other 63 is replaced by a new one, prefilled in between
    assert llama70.time_per_output_token.m_as("s") == pytest.approx(step + 63 * prefill_work / 256, rel=1e-6)
    assert llama70.throughput.m_as("token/s") == pytest.approx(64 * 256 / (64 * prefill_work + 256 * step), rel=1e-6)
    ttft = prefill_work + params * 2 / (8 * 3.35e12) / e["memory_efficiency"] + fixed  # plus one read of the weights
    assert llama70.time_to_first_token.m_as("s") == pytest.approx(ttft, rel=1e-6)


def test_one_device_has_no_allreduce_and_a_device_without_a_link_says_what_is_missing():
    from computescale import inference_kernels as ik

    assert ik.allreduce_time_s(64, 8192, 80, 1, 450e9) == 0.0
    assert ik.allreduce_time_s(64, 8192, 80, 2, 450e9) == pytest.approx(2 * 80 * 1.0 * 64 * 8192 * 2 / 450e9)
    one = estimate_inference(model="llama-3.1-8b", cluster="1 H100", batch=8, input_tokens=512, output_tokens=128)
    assert any(a.name == "link_bandwidth" and a.value == "not used" for a in one.assumptions)
    given = estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=64, input_tokens=1024, output_tokens=256,
                               link_bandwidth="900 GB/s")
    default = estimate_inference(model="llama-3.1-70b", cluster="8 H100", batch=64, input_tokens=1024, output_tokens=256)
    assert given.time_per_output_token < default.time_per_output_token  # twice the link: less all-reduce time
    assert given.time_per_output_token_bound == default.time_per_output_token_bound  # the bound counts no data


def test_efficiencies_follow_the_device_generation():
    kw = dict(model="llama-3.1-70b", batch=64, input_tokens=1024, output_tokens=256, weight_precision="fp8")
    found = {}
    for cluster in ("8 H100", "8 B200", "8 MI300X"):
        est = estimate_inference(cluster=cluster, **kw)
        found[cluster] = {a.name: a for a in est.assumptions}
    d = cs.load_catalog().defaults
    assert found["8 H100"]["prefill_efficiency"].value == d["inference_prefill_efficiency_hopper"].value
    assert found["8 B200"]["decode_compute_efficiency"].value == d["inference_decode_compute_efficiency_blackwell"].value
    assert found["8 MI300X"]["decode_compute_efficiency"].value == d["inference_decode_compute_efficiency"].value
    assert "pooled" in found["8 MI300X"]["decode_compute_efficiency"].note
    given = estimate_inference(cluster="8 B200", prefill_efficiency=0.5, **kw)
    assert next(a for a in given.assumptions if a.name == "prefill_efficiency").note == "given"


from hypothesis import given as hgiven, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@hgiven(model=st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "qwen3-30b-a3b", "gpt-oss-120b", "deepseek-v3"]),
        cluster=st.sampled_from(["1 H200", "4 H100", "8 B200", "8 MI300X", "8 H200"]),
        batch=st.integers(1, 4096), isl=st.integers(1, 32768), osl=st.integers(1, 8192),
        eff=st.lists(st.floats(0.01, 1.0), min_size=6, max_size=6))
def test_no_estimate_beats_its_bound(model, cluster, batch, isl, osl, eff):
    """Every efficiency is at most 1 and the estimate reads at least the bound's bytes and FLOP, so
    each time estimate is at least its bound and each rate at most its bound, whatever the inputs."""
    from computescale.models.inference import EFFICIENCIES

    try:
        est = estimate_inference(model=model, cluster=cluster, batch=batch, input_tokens=isl, output_tokens=osl,
                                 weight_precision="fp8" if "MI300X" not in cluster else "bf16",
                                 **dict(zip(EFFICIENCIES, eff)))
    except InputError:
        return  # a model that does not fit, say: a clear error, tested elsewhere
    for name in ("time_to_first_token", "time_per_output_token"):
        assert est.results[name].m >= est.results[f"{name}_bound"].to(est.results[name].u).m * (1 - 1e-12)
    for name in ("throughput_per_user", "throughput", "max_throughput"):
        assert est.results[name].m <= est.results[f"{name}_bound"].to(est.results[name].u).m * (1 + 1e-12)


def test_grids_and_monte_carlo_show_the_estimates_warnings(cli):
    grid = cli("infer", "--model", "llama-3.1-70b", "--cluster", "8 MI300X", "--batch", "1,64", "--input-tokens", "1024",
               "--output-tokens", "256")
    mc = cli("infer", "--model", "llama-3.1-70b", "--cluster", "8 MI300X", "--batch", "64", "--input-tokens",
             "512..2048", "--output-tokens", "256", "--samples", "200")
    for out in (grid, mc):
        assert out.returncode == 0 and out.stdout.startswith("! no published measurement of the CDNA 3 generation")


def test_weights_that_do_not_fit_say_so_first():
    est = estimate_inference(model="llama-3.1-405b", cluster="1 H100", batch=1, input_tokens=128, output_tokens=128,
                             weight_precision="fp8")
    assert est.warnings[0].startswith("the weights alone (405 GB) exceed the replica's memory (80 GB)")


def test_weight_only_quantization_needs_its_compute_format_said():
    kw = dict(model="gpt-oss-120b", cluster="2 H100", batch=4, input_tokens=1024, output_tokens=1024, weight_precision="fp4")
    with pytest.raises(InputError, match="give --compute-precision bf16"):
        estimate_inference(**kw)
    est = estimate_inference(**kw, compute_precision="bf16")
    assert est.weight_precision == "fp4"
    assert est.weights_memory.m_as("GB") == pytest.approx(cs.load_catalog().architecture("gpt-oss-120b").figure("parameters") * 0.5 / 1e9)
    peak = next(a for a in est.assumptions if a.name == "peak per device")
    assert peak.value.m_as("TFLOP/s") == pytest.approx(989.4, rel=1e-3) and "FP4 weights, computed in BF16" in peak.note


def test_expert_parallelism_holds_the_always_on_weights_on_every_device():
    from computescale.inference_inputs import expert_profile

    arch = cs.load_catalog().architecture("qwen3-235b-a22b")
    ex = expert_profile(arch)
    # routed experts from the published totals alone: (params - active) / (1 - k / E); the rest every token uses
    routed = (ex.params - ex.active_params) / (1 - ex.experts_per_token / ex.experts)
    assert ex.always_on == pytest.approx(ex.params - routed)
    kw = dict(model="qwen3-235b-a22b", cluster="8 H200", batch=64, input_tokens=1024, output_tokens=1024,
              weight_precision="fp8")
    tp, ep = estimate_inference(**kw), estimate_inference(**kw, moe_parallelism="expert")
    assert ep.weights_memory.m_as("byte") - tp.weights_memory.m_as("byte") == pytest.approx(7 * ex.always_on * 1.0)
    assert ep.max_batch < tp.max_batch and ep.time_per_output_token > tp.time_per_output_token
    assert ep.max_throughput_bound == tp.max_throughput_bound  # the bound holds every weight once
    with pytest.raises(InputError, match="is dense"):
        estimate_inference(**(kw | {"model": "llama-3.1-70b"}), moe_parallelism="expert")
    with pytest.raises(InputError, match="give tensor or expert"):
        estimate_inference(**kw, moe_parallelism="pipeline")


def test_a_device_without_a_published_link_gives_the_bound_and_says_why_no_estimate(cli):
    out = cli("infer", "--model", "llama-3.1-70b", "--cluster", "8 MI355X", "--batch", "64", "--input-tokens", "1024",
              "--output-tokens", "256").stdout
    assert "estimate not given: needs a scale-up link bandwidth (--link-bandwidth" in out
    one = estimate_inference(model="llama-3.1-70b", cluster="8 MI355X", batch=64, input_tokens=1024, output_tokens=256,
                             link_bandwidth="400 GB/s")
    assert one.time_per_output_token.m > one.time_per_output_token_bound.to("ms").m > 0


def test_a_sweep_takes_the_moe_layout_and_refuses_weight_only_quantization():
    kw = dict(model="qwen3-235b-a22b", device="H200", count=8, batch="64", input_tokens=1024, output_tokens=1024,
              weight_precision="fp8", outputs=["time_per_output_token"])
    got = cs.Sweep(estimator=INFERENCE_MODEL, moe_parallelism="expert", **kw).run().quantity("time_per_output_token")
    one = estimate_inference(model="qwen3-235b-a22b", cluster="8 H200", batch=64, input_tokens=1024, output_tokens=1024,
                             weight_precision="fp8", moe_parallelism="expert")
    assert float(got.m_as("ms").ravel()[0]) == pytest.approx(one.time_per_output_token.m_as("ms"), rel=1e-12)
    with pytest.raises(InputError, match="weight-only quantization"):
        cs.Sweep(estimator=INFERENCE_MODEL, compute_precision="bf16", **(kw | {"weight_precision": "fp4", "device": "H100"}))


def test_readme_infer_output_is_current(cli):
    """The README's `infer` example: each line it shows is printed (whitespace and wrapping aside)."""
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = next(b for b in re.findall(r"```console\n(.*?)```", readme, re.S) if b.startswith("$ computescale infer"))
    command, *shown = block.strip().splitlines()
    flat = " ".join(cli(*shlex.split(command.removeprefix("$ "))[1:]).stdout.split())
    lines = [line for line in shown if line.strip() not in ("", "...")]
    assert len(lines) >= 3
    for line in lines:
        assert " ".join(line.split()) in flat, line
