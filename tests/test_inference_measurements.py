"""Published inference measurements (tests/data/inference_measurements.csv) never beat the roofline
bounds of the inference kernels: a measured throughput is at most the bound's throughput, a measured
time per output token or time to first token at least the bound's time.

The bounds are made as optimistic as the row allows, so that a bound is a bound whatever the row leaves
unstated: weights touched = the active parameters only (MoE: the fewest experts a step can read); an
unstated weight precision is 0.5 byte per parameter at the device's fastest published float peak; an
unstated KV precision is 0.5 byte per element; tensor parallelism splits every byte and FLOP evenly; no
communication. Where the rows give input and output lengths, the batch is at most what fits in the
devices' memory beside the weights (all parameters resident) at the input length, and at most the
stated concurrency.
"""

import csv
import math

import numpy as np
import pytest

from computescale import inference_kernels as ik
from computescale.inference_inputs import attention_profile, cache_profile
from computescale.data.specs import load_catalog

from conftest import DATA

ROWS = list(csv.DictReader((DATA / "inference_measurements.csv").open(encoding="utf-8")))
KV_BYTES = 0.5
_FASTEST = ("fp4", "fp8", "bf16")


def _int(text):
    return int(text) if text.strip().isdigit() else None


def _concurrency(text):
    """The most sequences in flight: a stated batch, or 'concurrency N'."""
    words = text.split()
    return _int(words[-1]) if words and (text.strip().isdigit() or words[0] == "concurrency") else None


def _precision(device, stated):
    """(bytes per parameter, dense peak FLOP/s) for the row's weight precision, or the most optimistic."""
    if stated in ik.BYTES_PER_PARAMETER and device.peak(stated) is not None:
        return ik.BYTES_PER_PARAMETER[stated], device.peak(stated).value.m_as("FLOP/s")
    peak = next(device.peak(p) for p in _FASTEST if device.peak(p) is not None)
    return 0.5, peak.value.m_as("FLOP/s")


class Bound:
    def __init__(self, row, catalog):
        self.row, self.arch, dev = row, catalog.architecture(row["model"]), catalog.device(row["device"])
        self.n = float(row["count"])
        self.wb, self.peak = _precision(dev, row["weight_precision"])
        self.bw = dev.memory.bandwidth.value.m_as("byte/s")
        self.capacity = dev.memory.capacity.value.m_as("byte")
        self.active = self.arch.figure("active_params")
        kv = ik.BYTES_PER_PARAMETER.get(row["kv_precision"], KV_BYTES)
        self.cache = cache_profile(self.arch, kv)
        self.attn = attention_profile(self.arch)
        self.isl, self.osl = _int(row["input_tokens"]), _int(row["output_tokens"])
        self.batch, self.in_flight = _int(row["batch_or_concurrency"]), _concurrency(row["batch_or_concurrency"])

    def compute_tokens_per_s(self):
        """Output tokens per second if every FLOP of every request ran at peak on every device."""
        if self.isl is None or self.osl is None:
            return self.n * self.peak / (2.0 * self.active)  # at least 2 FLOP per active parameter per token
        flop = ik.prefill_flop(self.active, self.isl + self.osl, self.attn.flop(self.isl + self.osl))
        return float(self.n * self.peak * self.osl / flop)

    def memory_tokens_per_s(self):
        """Output tokens per second of decode steps at the largest batch that fits (or the stated batch)."""
        if self.isl is None:
            return math.inf
        per_seq = float(self.cache.bytes_per_sequence(self.isl))
        resident = ik.weight_bytes(self.arch.figure("parameters"), self.wb)  # every expert is held in memory
        batch = self.batch or float(ik.max_batch_in_memory(self.capacity, self.n, resident, per_seq))
        batch = min(batch, self.in_flight or batch)
        assert batch >= 1, f"{self.row['model']} does not fit on {self.row['count']} x {self.row['device']}: check the row"
        step = ik.decode_step_time_s(ik.decode_bytes_per_step(ik.weight_bytes(self.active, self.wb), per_seq, batch), self.bw, self.n)
        return float(ik.tokens_per_s(batch, step))

    def step_time_s(self):
        """The fastest possible decode step: one sequence, one token of context."""
        per_seq = self.cache.bytes_per_sequence(1)
        return float(ik.decode_step_time_s(ik.decode_bytes_per_step(ik.weight_bytes(self.active, self.wb), per_seq, 1),
                                           self.bw, self.n, ik.decode_flop_per_step(self.active, 1), self.peak))

    def ttft_s(self):
        tokens = self.isl or 1
        return float(ik.prefill_time_s(ik.prefill_flop(self.active, tokens, self.attn.flop(tokens)), self.peak, self.n))


def _measured(row):
    value = float(row["value"])
    if row["metric"] == "throughput_tokens_per_s_per_device":
        return value * float(row["count"])
    return value / 1000.0 if row["unit"] == "ms" else value


@pytest.fixture(scope="module")
def bounds(catalog):
    return [Bound(r, catalog) for r in ROWS]


def test_no_measured_throughput_exceeds_the_bound(bounds):
    checked = 0
    for b in bounds:
        if not b.row["metric"].startswith("throughput"):
            continue
        limit = min(b.compute_tokens_per_s(), b.memory_tokens_per_s())
        assert _measured(b.row) <= limit, f"{b.row} measured above the roofline bound {limit:.0f} token/s"
        checked += 1
    assert checked >= 30


def test_no_measured_time_beats_the_bound(bounds):
    for b in bounds:
        if b.row["metric"].startswith("tpot"):
            assert _measured(b.row) >= b.step_time_s(), b.row
        elif b.row["metric"].startswith("ttft"):
            assert _measured(b.row) >= b.ttft_s(), b.row


def test_the_bounds_are_not_vacuous(bounds):
    """The tightest row comes within a factor of ten of its bound (a check that units are not off by 1e3)."""
    ratios = [_measured(b.row) / min(b.compute_tokens_per_s(), b.memory_tokens_per_s())
              for b in bounds if b.row["metric"].startswith("throughput")]
    assert 0.1 < max(ratios) <= 1.0


def test_rows_are_well_formed(catalog):
    metrics = {"throughput_tokens_per_s": "token/s", "throughput_tokens_per_s_per_device": "token/s/GPU",
               "tpot_ms_mean": "ms", "tpot_ms_min": "ms", "ttft_ms_mean": "ms"}
    for r in ROWS:
        catalog.architecture(r["model"])
        catalog.device(r["device"])
        assert metrics[r["metric"]] == r["unit"], r
        assert r["source_url"].startswith("https://") and r["source_title"], r
        assert float(r["value"]) > 0 and int(r["count"]) >= 1, r
    devices = {r["device"] for r in ROWS}
    assert {"H100 SXM5 80GB", "H200 SXM 141GB", "B200", "MI300X"} <= devices


def test_stated_batch_rows_use_the_batch(bounds):
    """Oracle's MI300X rows give the batch: throughput rises with it, and so does the bound."""
    rows = [b for b in bounds if b.row["model"] == "Llama 3.1 405B" and b.batch]
    limits = np.array([b.memory_tokens_per_s() for b in rows])
    assert np.all(np.diff(limits) > 0) and np.all(np.array([_measured(b.row) for b in rows]) <= limits)
