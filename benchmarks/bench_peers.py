"""The same training-time question in a peer tool, llm-analysis, timed next to computescale (optional).

The question (PERF_NOTES.md, issue 12): GPT-3 175B trained on 300B tokens on 1024 A100 SXM4 40GB at
an efficiency (MFU) of 0.5 -> time to train. Both tools are asked it here, their answers are printed
side by side (they differ by ~2.5%: llm-analysis counts its own FLOP, see ``explain_difference``), and
three things are timed, each figure measured in this run:

* one scenario in-process: ``llm_analysis.analysis.train(...)`` vs ``computescale.time_to_train(...)``
  (medians of batches of repeated calls);
* 10,000 (count, MFU) scenarios: llm-analysis's ``train`` in a Python loop (it takes one scenario per
  call; time-boxed, extrapolated beyond and labelled so) vs computescale as arrays
  (``Cluster.of("A100 SXM4 40GB", counts)`` + ``time_to_train(compute, c, mfu_array)``);
* cold start of both command lines, each a fresh interpreter, interleaved, medians after a warm-up,
  ``OPENBLAS_NUM_THREADS=1`` on both: ``python -m llm_analysis.analysis train ...`` (run in a temporary
  directory: it writes nothing without ``--output_dir``, but it may log) vs
  ``computescale train --flop 3.15e23 --cluster "1024 A100" --mfu 0.5``.

llm-analysis is NOT a dependency of computescale. When it is not importable the script prints one
line saying how to install it and exits 0; ``--install`` pip-installs it into the running
interpreter's environment first (``python -m pip install llm-analysis``). Nothing is asserted.

Run: ``python benchmarks/bench_peers.py [--install] [--quick]`` (or ``run_all.py --peers``).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_cli import walls
from _common import (ensure_importable, fmt_ratio, fmt_time, header, median_time, per_call_time, subprocess_env, table,
                     target_line)

ensure_importable()

import numpy as np  # noqa: E402

import computescale  # noqa: E402
from computescale.cluster import Cluster  # noqa: E402

PEER = "llm-analysis"
INSTALL_HINT = "install it with `pip install llm-analysis`, or rerun with --install"

# ---- the question -------------------------------------------------------------------------------------------------
PARAMS, TOKENS, N_GPUS, MFU = 175e9, 300e9, 1024, 0.5
COMPUTE = "3.15e23 FLOP"  # 6 · 175e9 · 300e9
DEVICE = "A100 SXM4 40GB"
#: llm-analysis's description of the same run: its GPT-3-shaped config (96 layers, hidden 12288, 96 heads,
#: vocab 50272, seq 2048), its A100 SXM 40GB (312 TFLOP/s fp16), BF16/FP16 weights and activations, the
#: Megatron-LM layout for 175B on 1024 A100 (tensor 8 x pipeline 16 x data 8) and GPT-3's batch of 1536
#: sequences; no activation recomputation (MFU counts model FLOP only).
LLA_ARGS = dict(model_name="megatron-lm-175b", gpu_name="a100-sxm-40gb", dtype_name="w16a16e16", log_level="ERROR",
                batch_size_per_gpu=1, global_batch_size=1536, seq_len=2048, total_num_tokens=TOKENS,
                tp_size=8, pp_size=16, activation_recomputation=0)
SECONDS_PER_DAY = 86400.0

N_SCENARIOS = 10_000
LOOP_BUDGET_S = 20.0  # the peer's loop is time-boxed; the rest is extrapolated from its cost per scenario
RUNS = 7  # cold starts per command, after one warm-up


def lla_cli_args(n_gpus: int = N_GPUS, mfu: float = MFU) -> list[str]:
    args = dict(LLA_ARGS, total_num_gpus=n_gpus, flops_efficiency=mfu)
    return [f"--{k}={v}" for k, v in args.items()]


# ---- is the peer there? ---------------------------------------------------------------------------------------------
def load_peer(install: bool):
    """``llm_analysis.analysis`` or None; with ``install``, pip-installs the package first when it is missing."""
    try:
        return importlib.import_module("llm_analysis.analysis")
    except ImportError:
        if not install:
            return None
    print(f"installing {PEER}: {sys.executable} -m pip install {PEER}", flush=True)
    rc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", PEER]).returncode
    importlib.invalidate_caches()
    try:
        return importlib.import_module("llm_analysis.analysis")
    except ImportError as exc:
        print(f"bench_peers: {PEER} still not importable after pip (exit {rc}): {exc}")
        return None


def quiet_train(lla, **kw) -> dict:
    """``llm_analysis.analysis.train`` with its logging at ERROR (it logs every step at INFO/WARNING)."""
    return lla.train(**dict(LLA_ARGS, **kw))


# ---- the answers ----------------------------------------------------------------------------------------------------
def answers(lla) -> tuple[float, float, dict]:
    cs_days = computescale.time_to_train(COMPUTE, f"{N_GPUS} {DEVICE}", MFU).m_as("day")
    d = quiet_train(lla, total_num_gpus=N_GPUS, flops_efficiency=MFU)
    return cs_days, d["total_training_latency"] / SECONDS_PER_DAY, d


def explain_difference(d: dict) -> list[str]:
    """Where llm-analysis's FLOP count departs from 6·N·D, factor by factor (from its own summary dict)."""
    L, h, V, s = 96, 12288, 50272, d["seq_len"]
    iters_exact = TOKENS / (d["global_batch_size"] * s)
    flop_lla = d["num_flops_total_per_micro_batch"] * d["gradient_accumulation_steps"] * d["dp_size"] * int(iters_exact)
    n_matmul = 12 * L * h * h
    f_params = n_matmul / PARAMS
    f_attn, f_logit = s / (6 * h), V / (12 * L * h)
    f_trunc = int(iters_exact) / iters_exact
    return [
        f"llm-analysis's FLOP: 3 x forward, forward = 24·B·L·s·h² (1 + s/6h + V/12Lh) per micro-batch, over "
        f"int({iters_exact:.2f}) iterations = {flop_lla:.4e} FLOP vs 6·N·D = {6 * PARAMS * TOKENS:.4e} ({flop_lla / (6 * PARAMS * TOKENS):.4f}x):",
        f"  12·L·h² = {n_matmul / 1e9:.2f}B weights in matmuls instead of N = 175B: x{f_params:.4f} "
        f"(its parameter count, embeddings included, is {d['num_params_total'] / 1e9:.2f}B)",
        f"  attention scores and softmax·V, s/6h: x{1 + f_attn:.4f}; logit layer, V/12Lh: x{1 + f_logit:.4f} (their sum: x{1 + f_attn + f_logit:.4f})",
        f"  whole iterations only, int(D / (batch · s)): x{f_trunc:.6f}",
        f"  product: x{f_params * (1 + f_attn + f_logit) * f_trunc:.4f}; same peak on both sides "
        f"(llm-analysis {d['achieved_flops'] / MFU:.0f} TFLOP/s fp16, computescale BF16 dense 312 TFLOP/s) and the same efficiency 0.5",
    ]


# ---- 10,000 scenarios -----------------------------------------------------------------------------------------------
def scenarios(n: int):
    """(counts, mfu): counts = 128 x dp with dp dividing 1536 (so llm-analysis's batch of 1536 splits evenly
    over tensor 8 x pipeline 16 x dp), MFU uniform in [0.2, 0.6]. The same pairs go to both tools."""
    rng = np.random.default_rng(12)
    dps = np.array([d for d in range(1, 1537) if 1536 % d == 0], dtype=float)
    return 128.0 * rng.choice(dps, n), rng.uniform(0.2, 0.6, n)


def peer_loop(lla, counts, mfu, budget_s: float):
    """llm-analysis's own Python loop, one ``train`` per scenario; (seconds, done, days of the done ones)."""
    out = np.empty(len(counts))
    t0 = time.perf_counter()
    done = 0
    for i in range(len(counts)):
        out[i] = quiet_train(lla, total_num_gpus=int(counts[i]), flops_efficiency=float(mfu[i]))["total_training_latency"]
        done += 1
        if (done & 31) == 0 and time.perf_counter() - t0 > budget_s:
            break
    return time.perf_counter() - t0, done, out[:done] / SECONDS_PER_DAY


def cs_arrays(counts, mfu):
    return computescale.time_to_train(COMPUTE, Cluster.of(DEVICE, counts), mfu)


# ---- cold start -------------------------------------------------------------------------------------------------------
def cli_prefix() -> list[str]:
    script = Path(sys.executable).parent / "computescale"
    return [str(script)] if script.exists() else [sys.executable, "-m", "computescale"]


# ---- main ---------------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> list[list[str]]:
    argv = sys.argv[1:] if argv is None else argv
    lla = load_peer("--install" in argv)
    if lla is None:
        print(f"bench_peers: skipped: {PEER} is not installed ({INSTALL_HINT}; it is not a dependency of computescale)")
        return []
    quick = "--quick" in argv
    from importlib.metadata import PackageNotFoundError, version

    def ver(p):
        try:
            return version(p)
        except PackageNotFoundError:
            return "absent"

    print(header(f"bench_peers: the same question in {PEER} and computescale"))
    print(f"{PEER} {ver(PEER)} from {lla.__file__} (fire {ver('fire')}, transformers {ver('transformers')}); "
          f"computescale {computescale.__version__}")
    print(f"question: GPT-3 175B, 300B tokens, {N_GPUS} A100 SXM4 40GB, efficiency {MFU} -> time to train")
    print(f"  computescale: time_to_train({COMPUTE!r}, '{N_GPUS} {DEVICE}', {MFU})")
    print("  llm-analysis: train(" + ", ".join(f"{k}={v!r}" for k, v in dict(LLA_ARGS, total_num_gpus=N_GPUS, flops_efficiency=MFU).items()) + ")")

    cs_days, lla_days, d = answers(lla)
    print(table([["computescale (6·N·D = 3.15e23 FLOP)", f"{cs_days:.3f} d", "1"],
                 [f"{PEER} (its own FLOP count)", f"{lla_days:.3f} d", f"{lla_days / cs_days:.4f}"]],
                ["answer", "time to train", "/ computescale"], "lrr"))
    for line in explain_difference(d):
        print("  " + line)

    print("\n-- one scenario, in-process (median of batches of calls)")
    t_lla1 = per_call_time(lambda: quiet_train(lla, total_num_gpus=N_GPUS, flops_efficiency=MFU), 200 if quick else 1000)
    t_cs1 = per_call_time(lambda: computescale.time_to_train(COMPUTE, f"{N_GPUS} {DEVICE}", MFU), 500 if quick else 2000)
    c1 = Cluster.of(DEVICE, N_GPUS)
    t_cs1c = per_call_time(lambda: computescale.time_to_train(COMPUTE, c1, MFU), 500 if quick else 2000)
    print(table([[f"{PEER}: train(...)", fmt_time(t_lla1), "1"],
                 [f"computescale: time_to_train(compute, \"{N_GPUS} {DEVICE}\", {MFU})", fmt_time(t_cs1), fmt_ratio(t_lla1 / t_cs1)],
                 ["computescale: time_to_train(compute, Cluster, 0.5)  (cluster built once)", fmt_time(t_cs1c), fmt_ratio(t_lla1 / t_cs1c)]],
                ["one scenario", "per call", "llm-analysis / this"], "lrr"))

    n = N_SCENARIOS
    print(f"\n-- {n:,} scenarios (count, MFU): {PEER} in its own Python loop vs computescale as arrays")
    counts, mfu = scenarios(n)
    budget = 4.0 if quick else LOOP_BUDGET_S
    elapsed, done, lla_out = peer_loop(lla, counts, mfu, budget)
    t_loop = elapsed / done * n
    loop_label = fmt_time(t_loop) + ("" if done == n else f" (extrapolated from {done:,} in {elapsed:.1f} s)")
    cs_out = cs_arrays(counts, mfu).m_as("day")
    ratio = lla_out / cs_out[:done]
    print(f"  answers: {PEER} / computescale over the {done:,} scenarios it ran: {ratio.min():.4f} ... {ratio.max():.4f} "
          f"(the FLOP-count factor above, the same for every count and MFU up to whole iterations)")
    t_arr = median_time(lambda: cs_arrays(counts, mfu), 25)
    print(table([[f"{PEER}: train(...) per scenario, Python loop", loop_label, "1"],
                 [f"computescale: Cluster.of(\"{DEVICE}\", counts) + time_to_train(compute, c, mfu_array)", fmt_time(t_arr),
                  fmt_ratio(t_loop / t_arr)]],
                [f"{n:,} scenarios", "wall (median)", "llm-analysis / this"], "lrr"))

    runs = 3 if quick else RUNS
    print(f"\n-- cold start: each command a fresh interpreter, 1 warm-up then {runs} runs interleaved; medians; "
          "OPENBLAS_NUM_THREADS=1 on every command")
    env = subprocess_env()
    env["OPENBLAS_NUM_THREADS"] = "1"
    py = sys.executable
    cs_cmd = cli_prefix() + ["train", "--flop", "3.15e23", "--cluster", f"{N_GPUS} A100", "--mfu", str(MFU)]
    lla_cmd = [py, "-m", "llm_analysis.analysis", "train"] + lla_cli_args()
    cases = [
        ('python -c "import numpy"  (baseline)', [py, "-c", "import numpy"]),
        ('python -c "import llm_analysis.analysis"', [py, "-c", "import llm_analysis.analysis"]),
        ("python -m llm_analysis.analysis train ... (the question)", lla_cmd),
        (f"computescale train --flop 3.15e23 --cluster \"{N_GPUS} A100\" --mfu {MFU}", cs_cmd),
    ]
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as tmp:  # llm-analysis runs with a throwaway cwd
        res = walls([c for _, c in cases], env, runs=runs, cwd=tmp)
    base = res[0][0]
    rows = [[name, f"{t * 1e3:.0f} ms", f"{lo * 1e3:.0f}-{hi * 1e3:.0f} ms", f"{t / base:.2f}x", rc if rc == 0 else f"{rc} ({err[:60]})"]
            for (name, _), (t, rc, err, lo, hi) in zip(cases, res)]
    print(table(rows, ["command", "wall (median)", "min-max", "vs import numpy", "exit"], "lrrrl"))
    t_lla_cli, t_cs_cli = res[2][0], res[3][0]
    print(f"  llm-analysis's cold start / computescale's: {t_lla_cli / t_cs_cli:.2f}x (a margin inside the min-max spread is noise)")

    targets = [
        target_line(f"CLI cold start: computescale train faster than {PEER}'s (re-measured)",
                    f"{t_cs_cli * 1e3:.0f} vs {t_lla_cli * 1e3:.0f} ms", f"< {t_lla_cli * 1e3:.0f} ms",
                    t_cs_cli < t_lla_cli and res[2][1] == 0 and res[3][1] == 0),
        target_line(f"  {n:,} scenarios: {PEER} loop / computescale arrays", fmt_ratio(t_loop / t_arr), "(no target)", None),
        target_line(f"  one scenario: {PEER} train / computescale time_to_train", fmt_ratio(t_lla1 / t_cs1), "(no target)", None),
        target_line(f"  answers agree: {PEER} / computescale time to train", f"{lla_days / cs_days:.4f}",
                    "(its FLOP count, explained)", None),
    ]
    print("\n-- targets (printed, not asserted)")
    print(table(targets, ["target", "measured", "target", "status"], "lrrl"))
    return targets


if __name__ == "__main__":
    main()
