"""A 1e6-point inference sweep (device x batch x prompt length) through the pipeline vs raw NumPy.

Run: ``python benchmarks/bench_inference.py``. Prints the time of ``Sweep(...).run()`` and
``.summary()`` on the inference chain (time per output token, estimate) and of the same formula
written directly in NumPy on broadcast arrays (a dense model: bytes per step = weights + batch x
cache per request at the mean context, each part of the step over its efficiency), the
largest relative difference between them, and their ratio. Nothing is asserted.
"""

from __future__ import annotations

import numpy as np

from _common import ensure_importable, fmt_ratio, fmt_time, header, median_time, table

ensure_importable()

import computescale as cs  # noqa: E402
from computescale.inference import INFERENCE_MODEL  # noqa: E402

DEVICES = ["H100", "H200", "B200", "MI300X"]
GRID = dict(device=",".join(DEVICES), count=8, batch="1:1024:250", input_tokens="128:32768:1000", output_tokens=256)


def raw(sweep) -> np.ndarray:
    """The same time per output token in NumPy: dense Llama 3.1 70B, BF16 weights and cache, on 8 devices, at
    steady state: the decode step (memory / (bandwidth x efficiency) + compute / (peak x its generation's
    efficiency) + all-reduce data / (one-way link x efficiency) + fixed latencies) plus the other requests'
    prefills (batch - 1 of them per 256 output tokens), each device's figures read from the tables once."""
    from computescale.inference import generation_efficiencies, link_bandwidth

    cat = cs.load_catalog()
    arch = cat.architecture("llama-3.1-70b")
    params, layers, kv, hd, hidden = (arch.figure("parameters"), 80.0, 8.0, 128.0, 8192.0)  # config.json (specs/models.toml)
    heads = arch.figure("attention_heads")
    d = {k: cat.defaults[f"inference_{k}"].value.m_as("") for k in ("memory_efficiency", "link_efficiency")}
    fixed = layers * cat.defaults["inference_layer_latency"].value.m_as("s") \
        + 2 * layers * cat.defaults["inference_allreduce_latency"].value.m_as("s")
    devs = [cat.device(n) for n in DEVICES]
    col = lambda v: np.array(v, dtype=float)[:, None, None]  # noqa: E731
    bw = col([x.memory.bandwidth.value.m_as("byte/s") for x in devs])
    peak = col([x.peak("bf16").value.m_as("FLOP/s") for x in devs])
    gen = [generation_efficiencies(cat, x)[0] for x in devs]
    e_dc, e_p = col([g["decode_compute_efficiency"] for g in gen]), col([g["prefill_efficiency"] for g in gen])
    link = col([link_bandwidth(x, 8)[0] for x in devs]) * d["link_efficiency"]
    b = sweep.axis("batch").base[None, :, None]
    isl = sweep.axis("input_tokens").base[None, None, :]
    ctx = isl + 128.0
    step_bytes = params * 2.0 + b * 2.0 * layers * kv * hd * 2.0 * ctx
    flop = b * (2.0 * params + 2.0 * layers * heads * 2.0 * hd * (ctx + 1.0))
    allreduce = 2.0 * layers * (2.0 * 7.0 / 8.0) * hidden * 2.0  # bytes per token
    step = step_bytes / (8 * bw * d["memory_efficiency"]) + flop / (8 * peak * e_dc) + b * allreduce / link + fixed
    prefill = (2.0 * params * isl + 2.0 * layers * heads * 2.0 * hd * isl * (isl + 1.0) / 2.0) / (8 * peak * e_p)
    return step + (b - 1.0) * (prefill + isl * allreduce / link) / 256.0  # the other requests' prefills


def main() -> None:
    print(header("Inference sweep: 1e6 scenarios (4 devices x 250 batches x 1,000 prompt lengths)"))
    sweep = cs.Sweep(estimator=INFERENCE_MODEL, model="llama-3.1-70b", outputs=["time_per_output_token"], **GRID)
    result = sweep.run()
    ours = result.quantity("time_per_output_token").m_as("s").reshape(len(DEVICES), 250, 1000)
    reference = raw(sweep)
    diff = float(np.max(np.abs(ours / reference - 1.0)))
    t_run = median_time(lambda: sweep.run(), repeats=5)
    t_sum = median_time(lambda: sweep.summary(), repeats=5)
    t_raw = median_time(lambda: raw(sweep), repeats=5)
    rows = [["Sweep.run (pipeline, every scenario kept)", fmt_time(t_run), fmt_ratio(t_run / t_raw)],
            ["Sweep.summary (pipeline, chunked)", fmt_time(t_sum), fmt_ratio(t_sum / t_raw)],
            ["raw NumPy, the same formula", fmt_time(t_raw), "1.00x"]]
    print(table(rows, ["path", "median", "vs raw NumPy"], "lrr"))
    print(f"\n{sweep.size:,} scenarios; largest relative difference pipeline vs raw: {diff:.2e}")


if __name__ == "__main__":
    main()
