"""Grammar-driven fuzzing of every input path (issue 11): the README's error promise, kept.

* The CLI, in-process: argument vectors built from a grammar whose commands and flags come from
  ``build_parser()`` itself (so a new flag is fuzzed the day it appears), with values drawn from
  device, cluster and run names, numbers with units, lists, sweep ranges, uncertain ranges,
  distributions, malformed units, paths and random Unicode. Every outcome must be exit 0, or
  exit 2 with exactly one line on stderr and no traceback.
* Every public parser (``parse_quantity``, ``parse_unit``, ``read_number``, ``parse_count``,
  ``cluster``, ``parse_claim``, ``parse_uncertain``, and spec files through ``load_catalog``):
  nothing escapes but a ``ComputescaleError``.

Example counts come from the hypothesis profiles in ``conftest.py``: ``fuzz`` (CI: bounded and
derandomized, a few seconds) or, with ``COMPUTESCALE_FUZZ=big``, ``fuzz-big`` (20,000 CLI vectors,
12,000 strings per parser; about 15 minutes). Every output file goes to a temporary folder, which is
also the working directory while the CLI is fuzzed.

``KNOWN`` lists failures whose fix belongs to modules under the one-model refactor (the lead's):
each entry matches one exception type and message exactly, so anything new still fails.
``COMPUTESCALE_FUZZ_STRICT=1`` ignores ``KNOWN`` (to check whether they are fixed).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import traceback
from pathlib import Path

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import computescale as cs
from computescale.cli.main import build_parser, main
from computescale.cluster import parse_count
from computescale.errors import ComputescaleError
from computescale.parameters import OUTPUTS as GLOSSARY_OUTPUTS
from computescale.units import BASE, parse_unit, read_number

BIG = os.environ.get("COMPUTESCALE_FUZZ") == "big"
STRICT = os.environ.get("COMPUTESCALE_FUZZ_STRICT") == "1"
CLI_SETTINGS = settings.get_profile("fuzz-big" if BIG else "fuzz")
PARSER_SETTINGS = settings(CLI_SETTINGS, max_examples=12_000 if BIG else CLI_SETTINGS.max_examples)
DATA = Path(__file__).parent / "data"
TMP = "@TMP@"  # replaced by the fuzz folder when an argv runs

# ---- failures left for the lead: (exception type, message regex), matched exactly ----------------------------
KNOWN: list[tuple[type, str, str, str]] = [  # every failure found so far is fixed
]


def _raised_in(exc: BaseException) -> str:
    """``'module.py:function'`` of the innermost computescale frame of the exception's traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{os.sep}computescale{os.sep}" in f.filename]
    return f"{Path(frames[-1].filename).name}:{frames[-1].name}" if frames else "?"


def known_lead_failure(exc: BaseException) -> str | None:
    if STRICT:
        return None
    for kind, pattern, where, what in KNOWN:
        if type(exc) is kind and re.fullmatch(pattern, str(exc)) and re.fullmatch(where, _raised_in(exc)):
            return f"{where}: {what}"
    return None


# ---- the grammar ------------------------------------------------------------------------------------------------
_catalog = cs.load_catalog()
DEVICES = sorted({n for d in _catalog.devices.values() for n in (d.name, *d.aliases)})
CLUSTERS = sorted({n for k in _catalog.clusters.values() for n in (k.name, *k.aliases)})
RUNS = sorted({n for r in _catalog.runs.values() for n in (r.name, *r.aliases)})
PRECISIONS = ["bf16", "fp16", "fp8", "tf32", "fp32", "fp64", "fp4", "fp6", "int8", "BF16", "fp8.dense", "bf17", "x"]
OUTPUTS = list(GLOSSARY_OUTPUTS) + ["nonsense"]  # every output of the glossary (issue 21), and a wrong one

UNITS = {  # valid spellings per kind of input, then some of the wrong dimension
    "compute": ["FLOP", "PF-day", "PFLOP", "EFLOP", "ZFLOP", "TFLOPs", "petaflop-days"],
    "rate": ["TFLOP/s", "TFLOPS", "PFLOP/s", "FLOP/s", "TOPS"],
    "time": ["day", "days", "hour", "h", "s", "year", "week", "min", "ms"],
    "power": ["W", "kW", "MW", "mW"],
    "energy_price": ["USD/kWh", "USD/MWh", "USD / kWh"],
    "carbon": ["kgCO2e/kWh", "kg CO2e/kWh", "gCO2e/kWh", "tCO2e/MWh"],
    "hourly": ["USD/GPU_hour", "USD/GPU-hour", "USD/device_hour", "USD/hour"],
    "currency": ["USD", "kUSD"],
    "information": ["GiB", "GB", "TB", "MiB", "byte", "bit", "TiB"],
    "device_time": ["GPU_hour", "GPU-hours", "device_hour", "GPU_day"],
    "dimensionless": ["", "%", "percent"],
}
WRONG_UNITS = ["W)", "(W", ":", "USD/0", "0/0", "W**", "**2", "€", "W;", "W,", "W=", "kg CO2", "FLOP FLOP", "1/0",
               "W^^2", "W**999999", "W**-1e400", "'W'", "\"W\"", "W\\", "FLOP/byte", "GPU", "m", "K", "degC", "%%", "W @ 2",
               "USD/2", "W[", "W{", "⁄", "µW", "W\r", "W\n"]

#: Plausible bare numbers per kind (bare numbers take the input's default unit), and values with units.
GOOD_NUM = {
    "compute": [2.15e25, 1e24, 3.8e25, 1e26, 5e23], "rate": [140.0, 163.0, 400.0], "time": [90.0, 95.0, 30.0, 365.0],
    "power": [700.0, 400.0, 1000.0], "energy_price": [0.08, 0.05, 0.12], "carbon": [0.4, 0.2, 0.05],
    "hourly": [2.0, 1.5, 3.2], "currency": [25000.0, 30000.0], "information": [1.0, 4.0], "device_time": [30.84e6, 1e6],
    "dimensionless": [0.3, 0.34, 0.4, 0.5, 1.0, 1.1, 1.2], "count": [8.0, 1000.0, 25000.0, 100000.0],
}
GOOD = {k: [f"{v:g}" for v in vs] for k, vs in GOOD_NUM.items()}
GOOD["compute"] += ["3640 PF-day", "2.15e25 FLOP", "1e26 FLOP"]
GOOD["time"] += ["95 day", "2200 hour", "3 week"]
GOOD["rate"] += ["163 TFLOP/s", "0.4 PFLOP/s"]
GOOD["power"] += ["700 W", "1.2 kW"]
GOOD["energy_price"] += ["0.08 USD/kWh"]
GOOD["carbon"] += ["0.4 kgCO2e/kWh", "400 gCO2e/kWh"]
GOOD["hourly"] += ["2 USD/GPU_hour"]
GOOD["information"] = ["1 GiB", "4 GiB", "512 MiB", "1 TB"]
GOOD["count"] += ["25k", "100k", "1.5M", "25,000"]

_num_text = st.one_of(
    st.sampled_from(["0", "1", "-1", "0.5", ".5", "1e25", "2.15e25", "1e400", "-1e400", "1e-400", "1,5", "1,500", "25,000",
                     "1,000,000.5", "1_000", "1__0", "1_", "12,34", "nan", "inf", "-0", "+3", "1e", "1.2.3", "١٢٣", "0x10",
                     "9" * 400, "1" + "0" * 309, "5e-324", "1.7976931348623157e308"]),
    st.integers(-10**6, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=1e-3, max_value=1e3).map(lambda x: f"{x:.3g}"),
)
_count_text = st.one_of(
    st.sampled_from(["1", "8", "100k", "25,000", "1.5M", "1,5", "0", "-5", "10**400", "1e5", "2.5", "1,500.5k", "9" * 30,
                     "9007199254740993", "25k±10%", "25k±200%", "10..20", "normal(100, 10)", "1,000,000,000,000,000,000"]),
    st.integers(-10, 10**7).map(str),
    st.builds(lambda n, s: f"{n}{s}", st.integers(0, 999), st.sampled_from(["k", "K", "m", "M", "", "x", "G"])),
)


def _with_unit(kind: str):
    units = st.one_of(st.sampled_from(UNITS.get(kind, [""])), st.sampled_from(sum(UNITS.values(), [])), st.sampled_from(WRONG_UNITS))
    return st.builds(lambda n, u, sp: f"{n}{sp}{u}".strip() if u else n, _num_text, units, st.sampled_from([" ", "", "  "]))


def _uncertain(kind: str):
    n, u = _num_text, st.sampled_from(UNITS.get(kind, [""]) + WRONG_UNITS[:6])
    return st.one_of(
        st.builds(lambda a, b, unit: f"{a}..{b} {unit}".strip(), n, n, u),
        st.builds(lambda a, b, pct: f"{a}±{b}{pct}", n, n, st.sampled_from(["%", ""])),
        st.builds(lambda a, b: f"{a} +- {b}", n, n),
        st.builds(lambda f, a, b, unit: f"{f}({a}, {b}) {unit}".strip(), st.sampled_from(["normal", "lognormal", "uniform", "Normal"]), n, n, u),
        st.builds(lambda a, b, c, unit: f"triangular({a}, {b}, {c}) {unit}".strip(), n, n, n, u),
        st.sampled_from(["normal(1)", "lognormal(1, a)", "lognormal(0.3, 40%)", "uniform()", "normal(1,2,3)", "0.5..0.3", "..", "1..",
                         "..1", "beta(1, 2)", "normal(0.34, 0.01", "±", "1±", "(", ")"]),
    )


def _sweep_values(item):
    small_n = st.integers(-2, 12).map(str) | st.sampled_from(["2.5", "0", "1e3", "x", ""])
    return st.one_of(
        item,
        st.lists(item, min_size=1, max_size=4).map(",".join),
        st.builds(lambda a, b, k, log: f"{a}:{b}:{k}{log}", item, item, small_n, st.sampled_from(["", ":log", ":lin", ":", ":log:x"])),
    )


def _value(kind: str, *, sweep: bool = False):
    """Values for one kind of input: plausible first, then malformed, then anything."""
    if kind == "count":
        plausible = _count_text
    elif kind == "dimensionless":
        plausible = st.one_of(_num_text, _with_unit("dimensionless"))
    else:
        plausible = st.one_of(_num_text, _with_unit(kind))
    good = st.sampled_from(GOOD.get(kind, ["1"]))
    base = _sweep_values(plausible) if sweep else st.one_of(plausible, _uncertain(kind), st.lists(_num_text, min_size=2, max_size=3).map(",".join))
    good = _sweep_values(good) if sweep else st.one_of(good, good, _uncertain_good(kind))
    return _weighted((5, good), (3, base), (1, _mutated(good)), (1, _random_text), (1, _huge_grid(kind)))


def _huge_grid(kind: str):
    """Grids far too large to build or print (issue 22): each must be refused in one line, at once.

    Ten million points or more on one axis: over sweep's limit per axis and train's --max-rows at any
    setting, so no example runs for minutes."""
    return st.builds(lambda a, b, n, log: f"{min(a, b)}:{max(a, b) * 2}:{n}{log}", st.sampled_from(GOOD_NUM.get(kind, [1.0])),
                     st.sampled_from(GOOD_NUM.get(kind, [1.0])), st.sampled_from([10**7 + 1, 10**8, 10**9, 10**10]),
                     st.sampled_from(["", ":log"]))


def _weighted(*choices):
    """one_of with integer weights (hypothesis' one_of picks branches evenly)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def _uncertain_good(kind: str):
    good = GOOD.get(kind, ["1"])
    return st.one_of(
        st.builds(lambda a, b: f"{min(a, b)}..{max(a, b)}", st.sampled_from(GOOD_NUM.get(kind, [1.0])), st.sampled_from(GOOD_NUM.get(kind, [1.0]))),
        st.builds(lambda a, p: f"{a}±{p}%", st.sampled_from(good), st.integers(0, 30)),
        st.builds(lambda a: f"normal({a}, {a * 0.05:.3g})", st.sampled_from(GOOD_NUM.get(kind, [1.0]))),
        st.builds(lambda a: f"lognormal({a}, 0.1)", st.sampled_from(GOOD_NUM.get(kind, [1.0]))),
        st.builds(lambda a: f"triangular({a * 0.9:.4g}, {a:.4g}, {a * 1.1:.4g})", st.sampled_from(GOOD_NUM.get(kind, [1.0]))),
    )


_random_text = st.text(max_size=12) | st.text(st.characters(codec="utf-8"), max_size=6) | st.sampled_from(
    ["", " ", "\r", "\x00", "\u2028", "\udcff", "-", "--", "--json", "-h", "--help", "--version", "@", "%", "\x1b[31m"])


def _mutated(strategy):
    """A value with one character inserted, replaced or deleted (stray characters, typos)."""
    def mutate(value, pos, char, how):
        if not value:
            return char
        i = pos % (len(value) + 1)
        return {"insert": value[:i] + char + value[i:], "replace": value[:i] + char + value[i + 1:], "delete": value[:i] + value[i + 1:]}[how]

    chars = st.sampled_from(list(")(:;,./%±×*^_-+= \r\n\t\x00'\"")) | st.characters(codec="utf-8")
    return st.builds(mutate, strategy, st.integers(0, 40), chars, st.sampled_from(["insert", "replace", "delete"]))


_device = st.sampled_from(DEVICES) | st.sampled_from(["H100", "h-100", "A100 80GB", "B200", "MI300X", "tpu v5p", "H1OO", "Z9", "gpu"])
_cluster = st.one_of(
    st.sampled_from(CLUSTERS),
    _device,
    st.builds(lambda n, d: f"{n} {d}", _count_text, _device),
    st.builds(lambda n, d, m, e: f"{n} {d} + {m} {e}", _count_text, _device, _count_text, _device),
    st.builds(lambda n, d: f"{n}x {d}", _count_text, _device),
    st.builds(lambda n, d: f"{n}{d}", _count_text, _device),
)
_claim = st.builds(lambda a, op, f, x, b: f"{a} {op} {f}{x} {b}", _cluster, st.sampled_from(["=", "≈", "is", "is about", "vs", ":", "~", "=="]),
                   _num_text, st.sampled_from(["x", "×", " times", " times the", ""]), _cluster)
_path = st.one_of(
    st.sampled_from(["-", f"{TMP}/exists.csv", f"{TMP}/exists.png", f"{TMP}/missing/exists.csv"]),  # issue 22: stdout, existing files
    st.sampled_from([f"{TMP}/out.png", f"{TMP}/out.svg", f"{TMP}/out.pdf", f"{TMP}/rows.csv", f"{TMP}/out.txt", f"{TMP}/missing/out.png",
                     f"{TMP}/missing/rows.csv", TMP, f"{TMP}/", f"{TMP}/{'x' * 300}.png", f"{TMP}/a\x00b.png", "/nonexistent-folder/out.png",
                     f"{TMP}/out.PNG", f"{TMP}/.png"]),
    st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=10).map(lambda t: f"{TMP}/{t}"),
)
_specs_path = st.sampled_from([str(DATA / "mini.toml"), f"{TMP}/specs/binary.toml", f"{TMP}/specs/twice.toml", f"{TMP}/specs/h100.toml",
                               f"{TMP}/specs/again.toml", f"{TMP}/specs/empty.toml", f"{TMP}/specs/junk.toml", f"{TMP}/specs/missing.toml",
                               f"{TMP}/specs", f"{TMP}/nothing-here", ""]) | _random_text.map(lambda t: f"{TMP}/{t.replace('/', '')}x")

#: dest -> values. A flag not listed (a new one) still gets fuzzed with _GENERIC.
_GENERIC = st.one_of(_num_text, _with_unit("dimensionless"), _random_text)
_KIND = {
    "flop": "compute", "compute": "compute", "achieved": "rate", "days": "time", "duration": "time", "lifetime": "time", "power": "power",
    "electricity_price": "energy_price", "carbon_intensity": "carbon", "rental_price": "hourly", "unit_price": "currency",
    "gpu_hours": "device_time", "device_time": "device_time", "mfu": "dimensionless", "pue": "dimensionless",
    "overhead": "dimensionless", "server_overhead": "dimensionless", "year": "dimensionless", "active_params": "dimensionless",
    "power_fraction": "dimensionless", "params": "dimensionless", "tokens": "dimensionless", "max_memory": "information",
    "batch": "dimensionless", "input_tokens": "dimensionless", "output_tokens": "dimensionless", "load": "dimensionless",
    "memory_fraction": "dimensionless", "prefill_efficiency": "dimensionless", "decode_compute_efficiency": "dimensionless",
    "memory_efficiency": "dimensionless", "link_efficiency": "dimensionless", "moe_compute_efficiency": "dimensionless",
    "moe_memory_efficiency": "dimensionless", "link_bandwidth": "bandwidth",
    "tpot_target": "time", "allreduce_latency": "time", "layer_latency": "time",
    "max_output": "information",
}


def _values_for(command: str, action: argparse.Action):
    dest = action.dest
    if action.choices:
        return st.sampled_from(list(action.choices)) | _random_text
    if dest in ("a", "b", "cluster", "reference"):
        return st.one_of(_cluster, _cluster, _claim if dest == "a" else _cluster, _mutated(_cluster), _random_text)
    if dest == "device":
        return st.one_of(st.lists(_device, min_size=1, max_size=3).map(",".join), _mutated(_device), _random_text)
    if dest == "count":
        return _value("count", sweep=True)
    if dest == "name":
        return st.one_of(_device, st.sampled_from(RUNS), _mutated(_device), _random_text)
    if dest == "model":  # inference: an architecture
        return st.one_of(st.sampled_from(MODELS), _mutated(st.sampled_from(MODELS)), _random_text)
    if dest in ("weight_precision", "kv_precision", "compute_precision", "moe_parallelism"):
        return st.one_of(st.sampled_from(list(PRECISIONS) + ["fp4", "FP8"]), _random_text)
    if dest == "run":
        return st.one_of(st.sampled_from(RUNS), _mutated(st.sampled_from(RUNS)), _random_text)
    if dest == "precision":
        return st.one_of(st.sampled_from(PRECISIONS), st.lists(st.sampled_from(PRECISIONS), min_size=2, max_size=3).map(",".join), _random_text)
    if dest == "outputs":
        return st.one_of(st.lists(st.sampled_from(OUTPUTS), min_size=1, max_size=3).map(",".join), _random_text)
    if dest in ("plot", "csv", "zarr"):
        return _path
    if dest == "max_rows":  # train's grid limit: refused outside 1..100,000
        return st.integers(-2, 200_000).map(str) | st.sampled_from(["1000", "x", "1e3", ""])
    if dest == "chunks":  # scenarios or samples per Dask block
        return st.integers(-2, 10**6).map(str) | st.sampled_from(["x", "1e3", ""])
    if dest == "scheduler":  # never a real address: connecting would wait for a timeout
        return st.sampled_from(["sync", "threads", "nonsense", "", "single-threaded"])
    if dest == "specs":
        return _specs_path
    if dest == "samples":  # small: a Monte Carlo of the default 100,000 samples per example is too slow to fuzz
        return st.integers(-3, 300).map(str) | st.sampled_from(["0", "x", "2000001", "1e3", ""])
    if dest == "seed":
        return st.integers(-3, 2**64).map(str) | st.sampled_from(["x", "-1", ""])
    if dest == "max_size":  # check-text's size limit [MB]: 0, negative, tiny, NaN
        return st.sampled_from(["20", "0", "-1", "0.000001", "nan", "inf", "x", "1e3", ""])
    if dest in ("factor", "tolerance"):
        return _num_text | _random_text
    if dest in _KIND:
        return _value(_KIND[dest], sweep=(command == "sweep" and dest not in ("max_memory",)))
    return _GENERIC


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


PARSER = build_parser()
MODELS = ["llama-3.1-70b", "llama-3.1-8b", "mixtral-8x7b", "deepseek-v3", "qwen3-30b-a3b", "gpt-oss-120b",
          "qwen3-next-80b-a3b", "llama-4-scout"]
COMMANDS = _subparsers(PARSER)


def _examples() -> list[list[str]]:
    """The examples in each command's --help (sweep sizes capped: a fuzz example must be quick)."""
    out = []
    for sub in COMMANDS.values():
        for line in (sub.epilog or "").splitlines():
            m = re.match(r"\s*computescale\s+(.*)", line)
            if m:
                argv = shlex.split(m.group(1), comments=True)
                out.append([re.sub(r"^([^:]+:[^:]+:)(\d{3,})", r"\g<1>50", a) for a in argv])
    return out


EXAMPLES = _examples()


@st.composite
def mutated_examples(draw) -> list[str]:
    """A --help example with one to three options replaced, dropped or added, or a positional replaced."""
    argv = list(draw(st.sampled_from(EXAMPLES)))
    sub = COMMANDS[argv[0]]
    by_flag = {f: a for a in sub._actions for f in a.option_strings}
    positionals = [a for a in sub._actions if not a.option_strings and a.dest != "help"]
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["replace", "replace", "drop", "add", "positional"]))
        valued = [i for i, a in enumerate(argv) if a in by_flag and by_flag[a].nargs != 0 and i + 1 < len(argv)]
        if how == "replace" and valued:
            i = draw(st.sampled_from(valued))
            argv[i + 1] = draw(_values_for(argv[0], by_flag[argv[i]]))
        elif how == "drop" and valued:
            i = draw(st.sampled_from(valued))
            del argv[i:i + 2]
        elif how == "positional" and positionals and len(argv) > 1 and not argv[1].startswith("-"):
            argv[1] = draw(_values_for(argv[0], positionals[0]))
        else:
            options = [a for a in sub._actions if a.option_strings and a.dest != "help"]
            action = draw(st.sampled_from(options))
            argv += [action.option_strings[-1]] + ([] if action.nargs == 0 else [draw(_values_for(argv[0], action))])
    return argv


@st.composite
def argvs(draw) -> list[str]:
    """A mutated --help example, or ``[command, positionals..., --flag value, ...]`` built from the parser."""
    argv = draw(mutated_examples()) if draw(st.integers(0, 9)) < 6 else draw(built_argvs())
    if argv and argv[0] in ("train", "claim") and not any(a.startswith("--samples") for a in argv):
        argv += ["--samples", "64"]  # keep Monte Carlo examples fast; --samples itself is fuzzed
    if draw(st.integers(0, 9)) == 0:  # a stray token somewhere
        argv.insert(draw(st.integers(0, len(argv))), draw(_random_text | st.sampled_from(["--nope", "-x", "--json"])))
    return argv


@st.composite
def built_argvs(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    sub = COMMANDS[command]
    argv = [command]
    for action in sub._actions:
        if action.option_strings or action.dest == "help":
            continue
        optional = action.nargs == "?"
        if not optional or draw(st.booleans()):
            argv.append(draw(_values_for(command, action)))
    options = [a for a in sub._actions if a.option_strings and a.dest != "help"]
    chosen = draw(st.lists(st.sampled_from(options), max_size=6, unique_by=lambda a: a.dest)) if options else []
    for action in sorted(chosen, key=lambda a: a.dest):
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(flag)
        else:
            argv += [flag, draw(_values_for(command, action))]
            if isinstance(action, argparse._AppendAction) and draw(st.integers(0, 4)) == 0:
                argv += [flag, draw(_values_for(command, action))]
    return argv


# ---- fixtures: a working folder for output files and bad spec files -----------------------------------------------
@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    """The folder TMP stands for, and the working directory while the CLI is fuzzed."""
    folder = tmp_path_factory.mktemp("fuzz")
    specs = folder / "specs"
    specs.mkdir()
    mini = (DATA / "mini.toml").read_text()
    device = mini[mini.index("[[device]]"):]
    (specs / "binary.toml").write_bytes(b"\xff\xfe[[device]]\x00\x81")
    (specs / "twice.toml").write_text(mini + "\n" + device)
    (specs / "h100.toml").write_text(mini.replace('name = "Test X1"', 'name = "H100 SXM5 80GB"').replace('aliases = ["X1"]', "aliases = []"))
    (specs / "again.toml").write_text(mini)
    (specs / "empty.toml").write_text("")
    (specs / "junk.toml").write_text("[[device]]\nname = 3\n[[nonsense]]\n")
    (folder / "exists.csv").write_text("an existing file: replaced only with --force\n")
    (folder / "exists.png").write_bytes(b"an existing file")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(cwd)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def check_outcome(argv: list[str]) -> None:
    """Exit 0, or exit 2 with one line on stderr and no traceback; a traceback fails (with the argv)."""
    try:
        rc, out, err = run_cli(argv)
    except Exception as exc:  # noqa: BLE001 - this is what the test looks for
        where = known_lead_failure(exc)
        if where is not None:
            event(f"known (lead): {where}")
        assume(where is None)  # a known failure of the lead's modules: not counted, not shrunk
        raise AssertionError(f"computescale {argv!r} raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}") from None
    event(f"{argv[0] if argv and argv[0] in COMMANDS else '(no command)'} exit {rc}")  # events must encode as UTF-8
    if rc == 0:  # stderr may carry notes ("wrote plot ...", "--specs replaces ..."), never a traceback
        assert "Traceback" not in err and "error" not in err, f"{argv!r}: exit 0 with stderr {err!r}"
        return
    assert rc == 2, f"{argv!r}: exit {rc}, stderr {err!r}"
    assert err.endswith("\n") and err.count("\n") == 1, f"{argv!r}: not one line on stderr: {err!r}"
    assert err.startswith("computescale") and "Traceback" not in err, f"{argv!r}: {err!r}"


@CLI_SETTINGS
@given(argv=argvs())
def test_fuzz_cli(fuzz_dir, argv):
    check_outcome([a.replace(TMP, str(fuzz_dir)) for a in argv])


def test_grammar_covers_every_flag():
    """The grammar reads the parser: every command and flag of `computescale` is reachable."""
    assert set(COMMANDS) >= {"specs", "compare", "claim", "train", "runs", "clusters", "sweep"}
    unknown = [(c, a.dest) for c, sub in COMMANDS.items() for a in sub._actions
               if a.option_strings and a.nargs != 0 and _values_for(c, a) is _GENERIC and a.dest not in ("help", "version")]
    assert unknown == [], f"flags fuzzed only with generic values (add them to the grammar): {unknown}"


# ---- the parsers: nothing escapes but a ComputescaleError ---------------------------------------------------------
def expect_computescale_error(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ComputescaleError:
        return None
    except Exception as exc:  # noqa: BLE001
        where = known_lead_failure(exc)
        if where is not None:
            event(f"known (lead): {where}")
        assume(where is None)
        raise AssertionError(f"{call.__name__}{args!r} raised {type(exc).__name__}: {exc}") from None


_any_quantity = st.one_of(*(_with_unit(k) for k in UNITS), _num_text, _uncertain("time"), _mutated(_with_unit("power")), _random_text)


@PARSER_SETTINGS
@given(text=_any_quantity, dimension=st.sampled_from(sorted(BASE)), default_unit=st.sampled_from([None, "", "FLOP", "day", "W", "x)"]))
def test_fuzz_parse_quantity(text, dimension, default_unit):
    expect_computescale_error(cs.parse_quantity, text, dimension, default_unit=default_unit)


@PARSER_SETTINGS
@given(value=st.one_of(st.floats(), st.integers(-10**400, 10**400), st.sampled_from([None, [], b"1", True])), dimension=st.sampled_from(["compute", "dimensionless"]))
def test_fuzz_parse_quantity_numbers(value, dimension):
    expect_computescale_error(cs.parse_quantity, value, dimension, default_unit="FLOP" if dimension == "compute" else None)


@PARSER_SETTINGS
@given(text=st.one_of(st.sampled_from(WRONG_UNITS), st.sampled_from(sum(UNITS.values(), [])), _mutated(st.sampled_from(sum(UNITS.values(), []))), _random_text))
def test_fuzz_parse_unit(text):
    expect_computescale_error(parse_unit, text)


@PARSER_SETTINGS
@given(text=st.one_of(_num_text, _mutated(_num_text), _random_text))
def test_fuzz_read_number(text):
    expect_computescale_error(read_number, text)


@PARSER_SETTINGS
@given(text=st.one_of(_count_text, _mutated(_count_text), _random_text))
def test_fuzz_parse_count(text):
    expect_computescale_error(parse_count, text)


@PARSER_SETTINGS
@given(text=st.one_of(_cluster, _mutated(_cluster), _random_text))
def test_fuzz_cluster(text):
    expect_computescale_error(cs.cluster, text)


@PARSER_SETTINGS
@given(text=st.one_of(_claim, _mutated(_claim), _random_text))
def test_fuzz_parse_claim(text):
    expect_computescale_error(cs.parse_claim, text)


@PARSER_SETTINGS
@given(text=st.one_of(_uncertain("dimensionless"), _uncertain("time"), _mutated(_uncertain("dimensionless")), _random_text),
       key=st.sampled_from(["mfu", "duration", "compute", "count", "pue"]))
def test_fuzz_parse_uncertain(text, key):
    """parse_uncertain, then one tiny Monte Carlo draw: a bad bound surfaces when it is sampled."""
    import numpy as np

    value = expect_computescale_error(cs.parse_uncertain, text, key)
    if isinstance(value, (cs.Uniform, cs.Normal, cs.Triangular, cs.LogNormal)):
        expect_computescale_error(value.sample, np.random.default_rng(0), 4, key)


_toml_lines = st.sampled_from((DATA / "mini.toml").read_text().splitlines())


@PARSER_SETTINGS
@given(lines=st.lists(_toml_lines | _mutated(_toml_lines) | _random_text, max_size=30), binary=st.binary(max_size=8))
def test_fuzz_spec_files(tmp_path_factory, lines, binary):
    """A spec file built from the lines of a good one, mutated: a catalog or a SpecFileError."""
    path = tmp_path_factory.mktemp("spec", numbered=True) / "fuzz.toml"
    path.write_bytes(binary + "\n".join(lines).encode("utf-8", "surrogatepass"))
    expect_computescale_error(cs.load_catalog, path, builtin=False)

