"""The glossary: every input and output of the training model, once.

One record per concept: its canonical name (the API keyword, the sweep axis, the JSON and CSV key),
its CLI flag and the other names it accepts, its dimension (a :data:`units.BASE` key), the unit of
bare numbers and of display, its valid range, the key of its sourced default in
``specs/defaults.toml``, and a one-line meaning with the unit in brackets (in the manner of
pvlib's nomenclature page). CLI options, sweep axes, Monte Carlo inputs, validation messages and
output keys are generated from these tables; nothing else lists them.

>>> INPUTS["pue"].description
'Power usage effectiveness: facility power / IT power [dimensionless], >= 1'
>>> canonical("gpu_hours")
'device_time'
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError, UnknownNameError
from .kernels import min_max

__all__ = ["Input", "Output", "INPUTS", "OUTPUTS", "INFERENCE_INPUTS", "INFERENCE_OUTPUTS", "canonical", "check_domain", "glossary_table"]


@dataclass(frozen=True)
class Input:
    """One input of the training model."""

    name: str
    description: str  # one line, the unit in brackets
    dimension: str | None = None  # units.BASE key; None for counts, names and flags
    unit: str = ""  # unit of bare numbers and of display
    aliases: tuple[str, ...] = ()  # other accepted names (API keyword, sweep axis, CLI flag)
    lo: float = 0.0
    lo_open: bool = True
    hi: float = math.inf
    default: str | None = None  # key of the sourced default in specs/defaults.toml
    kind: str = "number"  # number | count | name | flag
    example: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def flags(self) -> list[str]:
        return [self.flag] + ["--" + a.replace("_", "-") for a in self.aliases]

    @property
    def accepted(self) -> str:
        """What the input accepts, for error messages: 'a ratio >= 1 (e.g. 1.2)'."""
        if self.kind == "count":
            return "a whole positive number of devices (e.g. 25000, 25,000, 100k)"
        if self.hi == 1.0 and self.lo == 0.0:
            rng = "a fraction in (0, 1]"
        elif self.lo == 1.0 and not self.lo_open:
            rng = "a ratio >= 1"
        elif not self.lo_open:
            rng = "a finite value >= 0"
        else:
            rng = "a positive, finite value"
        unit = f" [{self.unit}]" if self.unit else ""
        return f"{rng}{unit} (e.g. {self.example})" if self.example else rng + unit

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "count")


@dataclass(frozen=True)
class Output:
    """One output of the training model: name, meaning, dimension and display unit."""

    name: str
    description: str
    dimension: str
    unit: str
    report_missing: bool = False  # a report says why it is missing (the answers a reader looks for)


def _inputs(*items: Input) -> dict[str, Input]:
    return {i.name: i for i in items}


#: Every input, in the order a Monte Carlo run draws them (fixed, so a seed reproduces a result).
INPUTS: dict[str, Input] = _inputs(
    Input("run", "A known training run (computescale runs): its sourced figures fill what is not given", kind="name"),
    Input("device", "Accelerator name or alias (computescale specs)", kind="name", aliases=("devices",)),
    Input("cluster", "Cluster: '100k H100', '16k H100 + 8k A100', a known cluster, or a device (count to be found)",
          kind="name"),
    Input("precision", "Dense peak used: bf16 (default), fp16, fp8, tf32, ...", kind="name"),
    Input("count", "Devices in the cluster [devices]", kind="count"),
    Input("compute", "Training compute [FLOP] (or PF-day, ...)", "compute", "FLOP", aliases=("flop",),
          example="2.15e25 or '3640 PF-day'"),
    Input("params", "Parameters N for C = 6·N·D [dimensionless]; a mixture of experts: its total", "dimensionless",
          example="405e9"),
    Input("active_params", "Active parameters per token of a mixture of experts, used in C = 6·N_active·D "
          "[dimensionless]", "dimensionless", example="37e9"),
    Input("tokens", "Training tokens D [dimensionless]", "dimensionless", example="15.6e12"),
    Input("recomputation", "Count full activation recomputation: C = 8·N·D (hardware FLOP)", kind="flag",
          aliases=("recompute",)),
    Input("duration", "Wall-clock training time [day] (or hour, ...)", "time", "day", aliases=("days",), example="95"),
    Input("device_time", "Device-time stated by a source [GPU_hour]", "device_time", "GPU_hour",
          aliases=("gpu_hours",), example="30.84e6"),
    Input("mfu", "Model FLOP utilization: achieved / dense peak [dimensionless], in (0, 1]", "dimensionless",
          hi=1.0, default="mfu", example="0.4"),
    Input("achieved", "Achieved throughput per device [TFLOP/s], instead of mfu", "compute_rate", "TFLOP/s",
          example="'140 TFLOP/s'"),
    Input("power", "Power per device [W]; default: its TDP", "power", "W", example="700"),
    Input("power_fraction", "Average draw as a fraction of power [dimensionless], in (0, 1]", "dimensionless",
          hi=1.0, default="average_power_fraction", example="0.8"),
    Input("server_overhead", "Server (host) power / device power [dimensionless], >= 1", "dimensionless",
          aliases=("overhead",), lo=1.0, lo_open=False, default="server_overhead", example="1.82"),
    Input("pue", "Power usage effectiveness: facility power / IT power [dimensionless], >= 1", "dimensionless",
          lo=1.0, lo_open=False, default="pue", example="1.2"),
    Input("electricity_price", "Electricity price [USD/kWh], >= 0", "energy_price", "USD/kWh", lo_open=False,
          default="electricity_price", example="0.08"),
    Input("carbon_intensity", "Grid carbon intensity [kgCO2e/kWh], >= 0", "carbon_intensity", "kgCO2e/kWh",
          lo_open=False, default="grid_carbon_intensity", example="0.4"),
    Input("rental_price", "Cloud rental rate [USD/GPU_hour], >= 0", "hourly_rate", "USD/GPU_hour", lo_open=False,
          example="2.95"),
    Input("unit_price", "Purchase price per device [USD], >= 0", "currency", "USD", lo_open=False, example="27500"),
    Input("lifetime", "Depreciation period of the hardware [year]", "time", "year", example="4"),
)

#: Every output, in display order.
OUTPUTS: dict[str, Output] = {o.name: o for o in (
    Output("peak", "Cluster dense peak [EFLOP/s]", "compute_rate", "EFLOP/s"),
    Output("ratio", "Cluster peak / reference cluster peak, same precision [dimensionless]", "dimensionless", ""),
    Output("compute", "Training compute [FLOP]", "compute", "FLOP", report_missing=True),
    Output("count", "Devices used: given, or the devices needed for the duration, rounded up [devices]",
           "dimensionless", ""),
    Output("time_to_train", "Time to train at the MFU used [day]", "time", "day", report_missing=True),
    Output("compute_in_duration", "Compute reachable in the duration at the MFU used [FLOP]", "compute", "FLOP"),
    Output("implied_mfu", "MFU implied by compute, cluster and duration [dimensionless]", "dimensionless", ""),
    Output("devices_for_duration", "Devices needed to train the compute in the duration [devices]",
           "dimensionless", ""),
    Output("device_time", "Device-time [GPU_hour]", "device_time", "GPU_hour", report_missing=True),
    Output("facility_power", "Facility power: count x power x average draw x server overhead x PUE [MW]",
           "power", "MW", report_missing=True),
    Output("device_energy", "Device energy, before server overhead and PUE [MWh]", "energy", "MWh"),
    Output("energy", "Facility energy [MWh]", "energy", "MWh", report_missing=True),
    Output("emissions", "Emissions [tCO2e]", "emissions", "tCO2e", report_missing=True),
    Output("electricity_cost", "Electricity cost: facility energy x price [USD]", "currency", "USD", report_missing=True),
    Output("rental_cost", "Cloud rental cost: device-time x rate [USD]", "currency", "USD", report_missing=True),
    Output("amortized_hardware_cost", "Amortized hardware: unit price x device-time / lifetime [USD]",
           "currency", "USD", report_missing=True),
    Output("electricity_cost_per_compute", "Electricity cost per unit of training compute [USD/PF_day]",
           "cost_per_compute", "USD/PF_day"),
    Output("rental_cost_per_compute", "Rental cost per unit of training compute [USD/PF_day]",
           "cost_per_compute", "USD/PF_day"),
    Output("amortized_hardware_cost_per_compute", "Amortized hardware cost per unit of training compute "
           "[USD/PF_day]", "cost_per_compute", "USD/PF_day"),
)}

# ---- inference (models/inference.py) ---------------------------------------------------------------------------
_SHARED = ("power", "power_fraction", "server_overhead", "pue", "electricity_price", "carbon_intensity", "rental_price",
           "unit_price", "lifetime")

#: Every input of the inference model (the factors of power, energy and costs are the training glossary's).
INFERENCE_INPUTS: dict[str, Input] = _inputs(
    Input("model", "Model architecture (computescale models)", kind="name"),
    Input("cluster", "One replica: '8 H100' (tensor parallelism over its devices)", kind="name"),
    INPUTS["device"],
    Input("count", "Devices of one replica: the tensor-parallel degree [devices]", kind="count"),
    Input("batch", "Requests decoded together (concurrency) [sequences], >= 1", "dimensionless", lo=1.0, lo_open=False,
          example="64"),
    Input("input_tokens", "Prompt length [token], >= 1", "dimensionless", lo=1.0, lo_open=False, example="1024"),
    Input("output_tokens", "Generated tokens per request [token], >= 1", "dimensionless", lo=1.0, lo_open=False,
          example="256"),
    Input("weight_precision", "Weights' format, and the dense peak used: bf16 (default), fp8, fp4, ...", kind="name"),
    Input("moe_parallelism", "How a mixture of experts is split over the replica: tensor (default: every device holds "
          "1/n of every weight) or expert (experts split, attention data parallel: every device holds the always-on "
          "weights)", kind="name"),
    Input("compute_precision", "Format the matrix products run in, when not the weights' (weight-only quantization: "
          "fp4 or int4 weights computed in bf16)", kind="name"),
    Input("kv_precision", "Key-value cache format: bf16 (default), fp8, ...", kind="name"),
    Input("memory_fraction", "Share of device memory for weights and cache [dimensionless], in (0, 1]", "dimensionless",
          hi=1.0, default="inference_memory_fraction", example="0.9"),
    Input("load", "Token rate to serve, all users together [token/s]", "token_rate", "token/s", example="100000"),
    Input("tpot_target", "Latency target: time per output token each user may see [ms]", "time", "ms", example="50"),
    Input("layer_latency", "Fixed time of each layer in every forward pass (kernel launches, synchronization) [us], "
          "fitted; >= 0", "time", "us", lo=0.0, lo_open=False, default="inference_layer_latency", example="40"),
    Input("allreduce_latency", "Fixed time of one tensor-parallel all-reduce (two per layer per forward pass) [us], "
          "fitted; >= 0", "time", "us", lo=0.0, lo_open=False, default="inference_allreduce_latency", example="8"),
    Input("link_bandwidth", "Scale-up link bandwidth per device, one direction [GB/s] (default: the device's "
          "published interconnect)", "bandwidth", "GB/s", example="450"),
    Input("prefill_efficiency", "Achieved / peak compute in prefill [dimensionless], in (0, 1] (fitted per device "
          "generation)", "dimensionless", hi=1.0, default="inference_prefill_efficiency", example="0.6"),
    Input("decode_compute_efficiency", "Achieved / peak compute in a decode step [dimensionless], in (0, 1] (fitted "
          "per device generation)", "dimensionless", hi=1.0, default="inference_decode_compute_efficiency",
          example="0.5"),
    Input("memory_efficiency", "Achieved / published memory bandwidth in a decode step [dimensionless], in (0, 1]",
          "dimensionless", hi=1.0, default="inference_memory_efficiency", example="0.85"),
    Input("link_efficiency", "Achieved / published link bandwidth in the tensor-parallel all-reduces [dimensionless], "
          "in (0, 1]", "dimensionless", hi=1.0, default="inference_link_efficiency", example="0.7"),
    Input("moe_compute_efficiency", "Mixture of experts: compute efficiency relative to a dense model's "
          "[dimensionless], in (0, 1]", "dimensionless", hi=1.0, default="inference_moe_compute_efficiency",
          example="0.8"),
    Input("moe_memory_efficiency", "Mixture of experts: memory-read efficiency relative to a dense model's "
          "[dimensionless], in (0, 1]", "dimensionless", hi=1.0, default="inference_moe_memory_efficiency",
          example="0.4"),
    *(INPUTS[n] for n in _SHARED),
)


def _twins(name: str, description: str, dimension: str, unit: str) -> tuple[Output, Output]:
    return (Output(name, f"{description}, calibrated estimate [{unit}]", dimension, unit, report_missing=True),
            Output(f"{name}_bound", f"{description}, physical bound [{unit}]", dimension, unit))


#: Every output of the inference model, in display order.
INFERENCE_OUTPUTS: dict[str, Output] = {o.name: o for o in (
    Output("weights_memory", "Weights in memory, every expert [GB]", "information", "GB", report_missing=True),
    Output("kv_cache_per_token", "Cache per token of context [kB/token]", "information_per_token", "kB/token",
           report_missing=True),
    Output("kv_cache_per_sequence", "Cache of one request at its full context [GB]", "information", "GB"),
    Output("max_batch", "Most requests that fit in memory at the full context [sequences]", "dimensionless", "",
           report_missing=True),
    Output("fits", "1 if the batch fits in memory, else 0 [dimensionless]", "dimensionless", ""),
    *_twins("time_to_first_token", "Time to first token of one request (prefill, no queueing)", "time", "ms"),
    *_twins("time_per_output_token", "Time per output token while decoding", "time", "ms"),
    *_twins("throughput_per_user", "Tokens per second one request sees", "token_rate", "token/s"),
    *_twins("throughput", "Output tokens per second of the batch, prefill included", "token_rate", "token/s"),
    *_twins("max_throughput", "Output tokens per second at the largest batch that fits", "token_rate", "token/s"),
    Output("devices_for_load", "Devices to serve the load with every user under the latency target [devices]",
           "dimensionless", ""),
    OUTPUTS["facility_power"],  # the same record as training's: one unit wherever the name appears
    Output("energy_per_token", "Facility energy per output token [J/token]", "energy_per_token", "J/token",
           report_missing=True),
    Output("emissions_per_token", "Emissions per million output tokens [gCO2e/Mtoken]", "emissions_per_token",
           "gCO2e/Mtoken", report_missing=True),
    Output("electricity_cost_per_million_tokens", "Electricity per million output tokens [USD/Mtoken]", "cost_per_token",
           "USD/Mtoken", report_missing=True),
    Output("cost_per_million_tokens", "Cloud rental per million output tokens [USD/Mtoken]", "cost_per_token",
           "USD/Mtoken", report_missing=True),
    Output("amortized_cost_per_million_tokens", "Amortized hardware per million output tokens [USD/Mtoken]",
           "cost_per_token", "USD/Mtoken", report_missing=True),
)}

#: Costs: separate answers (running, renting, owning), never summed.
COSTS = ("electricity_cost", "rental_cost", "amortized_hardware_cost")

_ALIASES = {a: i.name for i in INPUTS.values() for a in i.aliases}


def canonical(name: str, what: str = "input") -> str:
    """The canonical name of an input, from itself or any alias (``'flop'`` -> ``'compute'``)."""
    key = str(name).strip().lower().replace("-", "_").lstrip("_")
    key = _ALIASES.get(key, key)
    if key not in INPUTS:
        names = list(INPUTS) + list(_ALIASES)
        raise UnknownNameError(what, str(name), difflib.get_close_matches(key, names, n=3, cutoff=0.5) or list(INPUTS))
    return key


def check_domain(name: str, values, shown_unit: str | None = None, spec: Input | None = None) -> None:
    """InputError naming the input, the first bad value and what is accepted, if any value is out of range.

    ``values`` are magnitudes in the input's base unit (NaN and infinities are out of range).
    ``spec`` is the input's record (default: ``INPUTS[name]``).
    """
    spec = spec or INPUTS[name]
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise InputError(f"{name} is empty; expected {spec.accepted}")
    lo, hi = min_max(v)  # one blocked pass, no temporaries; NaN fails both tests
    if (lo > spec.lo if spec.lo_open else lo >= spec.lo) and hi <= spec.hi and math.isfinite(hi):
        return
    lo_ok = (v > spec.lo) if spec.lo_open else (v >= spec.lo)
    ok = lo_ok & (v <= spec.hi) & np.isfinite(v)
    if ok.all():
        return
    bad = float(v[~ok].flat[0])
    unit = f" {shown_unit}" if shown_unit else ""
    raise InputError(f"{name} must be {spec.accepted}, got {bad:g}{unit}")


def _by_model(*tables: tuple[str, dict]) -> list[tuple[str, object]]:
    """(models, record) for every record of the glossaries, once; a name two models define alike is one row."""
    rows: dict[int, list] = {}
    for model, table in tables:
        for record in table.values():
            rows.setdefault(id(record), [[], record])[0].append(model)
    return [(", ".join(models), record) for models, record in rows.values()]


def glossary_table() -> tuple[list[list[str]], list[list[str]]]:
    """``computescale glossary``: rows (name, model, CLI flags, unit, sourced default, meaning) of every input,
    and rows (name, model, unit, meaning) of every output; a name each model means differently (``cluster``)
    has a row per model."""
    inputs = [[i.name, m, ", ".join(i.flags), i.unit or "—", i.default or "—", i.description]
              for m, i in _by_model(("training", INPUTS), ("inference", INFERENCE_INPUTS))]
    outputs = [[o.name, m, o.unit or "—", o.description]
               for m, o in _by_model(("training", OUTPUTS), ("inference", INFERENCE_OUTPUTS))]
    return inputs, outputs
