"""CLI commands ``train``, ``runs`` and ``clusters``: parse, call the API, render. No arithmetic here.

:func:`register` adds the subparsers and puts the command functions in ``cli.COMMANDS``; ``cli.py``
calls it from ``build_parser``.
"""

from __future__ import annotations

import argparse

from ..errors import InputError

__all__ = ["register"]


def _catalog(args):
    from ..data.specs import load_catalog

    return load_catalog(args.specs or None)


# ---- train -----------------------------------------------------------------------------------------------------
#: Glossary inputs `train` takes as options (device and count come in --cluster).
_TRAIN_INPUTS = ("run", "compute", "params", "active_params", "tokens", "recomputation", "cluster", "duration", "mfu",
                 "achieved", "precision", "device_time", "power", "power_fraction", "server_overhead", "pue",
                 "electricity_price", "carbon_intensity", "rental_price", "unit_price", "lifetime")
_GROUPS = {"run": "what is trained", "cluster": "on what, how fast", "power": "energy, cost, emissions"}


def _cmd_train(args) -> str:
    from ..render import dumps
    from ..report import references, source_ids
    from .sweep import engine_options
    from ..engines.scenarios import estimate

    import numpy as np

    from ..limits import check_finite, check_train_grid

    inputs = {name: getattr(args, name) for name in _TRAIN_INPUTS}
    check_train_grid(inputs, args.max_rows)  # counted from the text: nothing is built to find out
    _check_active_params(inputs)
    catalog = _catalog(args)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # an overflow is refused below, in one line
        result = estimate(ranges=args.ranges, samples=args.samples, seed=args.seed, catalog=catalog,
                          engine_options=engine_options(args), **inputs)
    check_finite(getattr(result, "results", {}), {k: v for k, v in inputs.items() if isinstance(v, str)})
    thresholds = getattr(result, "thresholds", [])
    ids = source_ids(result.assumptions, [t for t in thresholds if hasattr(t, "source")])
    if args.json:
        return dumps(result.to_dict() | {"sources": {s: catalog.sources[s] for s in ids if s in catalog.sources}})
    from ..render import terminal_width
    from ..report import render_estimate

    width = terminal_width()
    text = render_estimate(result, verbose=args.verbose, width=width) if hasattr(result, "not_given") else str(result)
    return text + "\n\n" + references(catalog, ids, width)


def _check_active_params(inputs: dict) -> None:
    """Active parameters (a mixture of experts) are a part of all parameters, never more."""
    from ..limits import grid_points
    from ..engines.scenarios import is_uncertain

    active, total = inputs.get("active_params"), inputs.get("params")
    if active is None or total is None or any(grid_points(v) > 1 or is_uncertain(v) for v in (active, total)):
        return
    from ..units import read_number

    try:
        a, n = read_number(active), read_number(total)
    except Exception:  # not a plain number: the model's own check names it
        return
    if a > n:
        raise InputError(f"active_params {active} is larger than params {total}: the parameters active per token "
                         "are a part of all parameters (give --active-params <= --params)")


def _add_train_options(p) -> None:
    """One option per glossary input: its flag, its aliases, and its meaning with the unit."""
    from .sweep import Once
    from ..parameters import INPUTS

    group = None
    for name in _TRAIN_INPUTS:
        spec = INPUTS[name]
        if name in _GROUPS:
            group = p.add_argument_group(_GROUPS[name])
        default = f" (default: sourced '{spec.default}')" if spec.default else ""
        if spec.kind == "flag":
            group.add_argument(*spec.flags, dest=name, action="store_true", help=spec.description)
        else:
            group.add_argument(*spec.flags, dest=name, metavar=name.upper(), action=Once, help=spec.description + default)


# ---- runs --------------------------------------------------------------------------------------------------------
_RUN_FIELDS = ("training_compute", "parameters", "active_params", "tokens", "duration", "mfu", "throughput_per_device", "gpu_hours",
               "power", "energy", "emissions")


def _cmd_runs(args) -> str:
    from ..render import dumps, fmt, table

    catalog = _catalog(args)
    if args.action == "show":
        if not args.name:
            raise InputError("runs show needs a run NAME (e.g. computescale runs show gpt-4)")
        return _runs_show(catalog, args)
    runs = list(catalog.runs.values())
    if args.json:
        return dumps([_run_summary(r) for r in runs])
    rows = []
    for r in runs:
        tc = r.training_compute
        rows.append([
            r.name, ", ".join(r.aliases) or "—", r.organization, r.year,
            fmt(tc.value) if tc else "—",
            f"{r.cluster.count:,} × {r.cluster.device}" if r.cluster else "—",
            fmt(r.duration.value.to("day")) if r.duration else "—",
            fmt(r.mfu.value.m_as("")) if r.mfu else "—",
            (tc.confidence or "—") if tc else (r.cluster.confidence if r.cluster else "—"),
            tc.source if tc else (r.cluster.source if r.cluster else "—"),
        ])
    out = table(rows, ["run", "aliases", "organization", "year", "compute", "cluster", "duration", "MFU", "confidence", "source"], "llllrlrrll")
    return out + f"\n\n{len(runs)} runs. Every figure with its source: computescale runs show NAME; estimate: computescale train --run NAME"


def _run_summary(r) -> dict:
    out = {"name": r.name, "aliases": list(r.aliases), "organization": r.organization, "year": r.year}
    for f in _RUN_FIELDS:
        e = getattr(r, f)
        out[f] = None if e is None else {"value": e.value, "source": e.source, "confidence": e.confidence}
    out["cluster"] = None if r.cluster is None else {
        "device": r.cluster.device, "count": r.cluster.count, "source": r.cluster.source, "confidence": r.cluster.confidence}
    return out


def _runs_show(catalog, args) -> str:
    from ..render import dumps, fmt, table

    r, resolved = catalog.run(args.name)
    if args.json:
        return dumps({"query": args.name, "resolved": r.name, "run": r,
                      "sources": {s: catalog.sources[s] for s in _run_source_ids(r)}})
    head = [f"{r.name}  ({r.organization}, {r.year})", f"resolved: {args.name!r} -> {r.name} (by {resolved.via})"]
    if r.architecture:
        head.append(f'architecture: {r.architecture} (computescale models show "{r.architecture}")')
    if r.notes:
        head.append(f"notes: {r.notes}")
    rows = []
    if r.cluster:
        rows.append(["cluster", f"{r.cluster.count:,} × {r.cluster.device}", r.cluster.confidence or "", r.cluster.source, r.cluster.note])
    for f in _RUN_FIELDS:
        e = getattr(r, f)
        if e is None:
            continue
        value = fmt(e.value, 6)
        if e.min is not None or e.max is not None:
            value += f" ({fmt(e.min or e.value)} – {fmt(e.max or e.value)})"
        note = "; ".join(x for x in (e.derived and f"derived: {e.derived}", e.note) if x)
        rows.append([f, value, e.confidence or "", e.source, note])
    body = table(rows, ["field", "value", "confidence", "source", "note"])
    statements = [f"- [{s.source}] {s.date}: {s.text}" for s in r.statement]
    out = "\n".join(head) + "\n\n" + body
    if statements:
        out += "\n\nStatements:\n" + "\n".join(statements)
    from ..report import references

    return out + "\n\n" + references(catalog, _run_source_ids(r))


def _run_source_ids(r) -> list[str]:
    ids = [r.cluster.source] if r.cluster else []
    ids += [getattr(r, f).source for f in _RUN_FIELDS if getattr(r, f) is not None]
    ids += [s.source for s in r.statement]
    return list(dict.fromkeys(ids))


# ---- clusters ----------------------------------------------------------------------------------------------------
def _cmd_clusters(args) -> str:
    from ..cluster import cluster
    from ..compare import h100_equivalents, h100e_definition
    from ..render import dumps, table
    from ..training import facility_power

    catalog = _catalog(args)
    items = []
    for k in catalog.clusters.values():
        c = cluster(k.name, catalog)
        bf16 = c.total("bf16.dense") if c.has("bf16.dense") else None
        items.append((k, c, bf16, h100_equivalents(c, catalog), facility_power(c, catalog=catalog)[0]))
    if args.json:
        return dumps([
            {"name": k.name, "aliases": list(k.aliases), "owner": k.owner, "date": k.date, "status": k.status or None,
             "members": [{"device": m.device, "count": m.count, "max": m.max, "stated": m.stated or None} for m in k.members],
             "n_devices": c.n_devices, "count_is_low_end_of_range": k.ranged,
             "bf16_dense": bf16, "h100_equivalents": None if h != h else h, "h100e_definition": h100e_definition(catalog),
             "power_tdp": c.total("power") if c.has("power") else None,
             "facility_power": fp if fp.magnitude == fp.magnitude else None,  # the model's estimate, as in train
             "facility_power_reported": k.power, "reported_pue": k.pue,
             "source": k.source, "confidence": k.confidence, "notes": k.notes}
            for k, c, bf16, h, fp in items
        ])
    rows = [[k.name, ", ".join(k.aliases) or "—", k.owner, k.date, c.label.removeprefix(f"{k.name} (").removesuffix(")"),
             bf16.to("EFLOP/s") if bf16 is not None else None, f"{h:,.0f}" + ("+" if k.ranged else "") if h == h else "—",
             fp if fp.magnitude == fp.magnitude else None, _reported(k), k.confidence, k.source]
            for k, c, bf16, h, fp in items]
    out = table(rows, ["cluster", "aliases", "owner", "date", "members", "BF16 dense", "H100e", "facility power (est.)",
                       "reported", "confidence", "source"], "llllllrrlll")
    return (out + f"\n\n{h100e_definition(catalog)}; '+': a vague count, low end used."
            "\nfacility power (est.): count x TDP x average draw x server overhead x PUE at the sourced defaults "
            "(computescale train --cluster NAME lists each with its source); reported: the facility power the "
            "cluster's source publishes [its source id], '—' where none is published."
            f'\n{len(items)} clusters. Use a name or alias in other commands, e.g. computescale train --flop 3.8e25 --cluster "{items[0][0].aliases[0] if items and items[0][0].aliases else "100k H100"}"')


def _reported(k) -> str:
    """A cluster's published facility power (and PUE) with its source id, or '—'."""
    if k.power is None:
        return "—"
    pue = f", PUE {k.pue.value.m_as(''):g} [{k.pue.source}]" if k.pue is not None else ""
    return f"{k.power.value:~P} [{k.power.source}]{pue}"


# ---- parsers ------------------------------------------------------------------------------------------------------
_TRAIN_EPILOG = """\
examples:
  computescale train --run gpt-4
  computescale train --flop 2.15e25 --cluster "100k H100" --mfu 0.34
  computescale train --params 405e9 --tokens 15.6e12 --cluster "16k H100"
  computescale train --flop 2.15e25 --cluster "25k A100" --days 90,95,100
  computescale train --cluster "100k H100" --days 95 --mfu 0.4
  computescale train --run megatron-lm-1t --achieved "163 TFLOP/s"
  computescale train --flop "3640 PF-day" --cluster "10k V100" --precision fp16 --pue 1.1 --overhead 1 --json
  computescale train --run llama-3.1-405b --lifetime "4 year" --rental-price 2 --carbon-intensity 0.4
  computescale train --flop 2.15e25 --cluster "25k±10% A100" --days 90..100
  computescale train --run gpt-4 --ranges          # every input drawn from its published range

Any number may be grid values, a list a,b,c or start:stop:num[:log] (one row per grid point), or an
uncertain value, a range or a distribution: --mfu 0.32..0.36, --days 90..100, --cluster "25k±10% A100",
--pue "normal(1.2, 0.05)"; computescale then runs a seeded Monte Carlo (--samples, --seed) and prints
p5 / p50 / p95 of every output, the probability of crossing each threshold, and the assumptions.
A device without a count (--cluster H100) with compute and a duration gives the devices needed.
Defaults (MFU, server overhead, PUE, electricity price, grid intensity, H100 rental) come from
specs/defaults.toml with their sources; every assumption used is printed with its source."""


def register(sub, common) -> dict:
    """Add ``train``, ``runs``, ``clusters`` and ``thresholds`` to the parser; return their command functions."""
    p = sub.add_parser(
        "train", parents=[common], help="estimate a training run: time, MFU, energy, cost, emissions, thresholds",
        description="Training compute (6·N·D, 8·N·D with recomputation, given, or a known run), time to train on a "
        "cluster at an MFU, and the inverses (compute in a duration, devices for a duration, implied MFU); energy, "
        "costs (electricity, rental, amortized hardware: separate, never summed), emissions and regulatory thresholds.",
        epilog=_TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_train_options(p)
    g = p.add_argument_group("uncertainty (when any input is a range or a distribution)")
    g.add_argument("--ranges", action="store_true", help="with --run: draw each input from the run's published range (e.g. GPT-4's 90-100 days, 32-36%% MFU)")
    g.add_argument("--samples", type=int, default=100_000, help="Monte Carlo samples (default 100000)")
    g.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same percentiles (default 0)")
    g = p.add_argument_group("output")
    g.add_argument("--max-rows", type=int, metavar="N", help="largest grid to print, in rows (default 1,000; larger grids: "
                   "computescale sweep)")
    g.add_argument("--verbose", action="store_true", help="every assumption's note in full (the text leads with the answer; notes are clipped without it)")
    from .sweep import add_engine_options

    add_engine_options(p)

    p = sub.add_parser(
        "runs", parents=[common], help="list known training runs, or show one with every sourced figure",
        description="Known training runs (specs/runs.toml): compute, cluster, duration, MFU, confidence and source.",
        epilog="examples:\n  computescale runs\n  computescale runs show gpt-4\n  computescale runs --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list", help="list (default) or show NAME")
    p.add_argument("name", nargs="?", help="run name or alias (with show)")

    p = sub.add_parser(
        "clusters", parents=[common], help="list known clusters with their size, BF16 peak and source",
        description="Known clusters (specs/clusters.toml): members, total BF16 dense peak, confidence and source.",
        epilog="examples:\n  computescale clusters\n  computescale clusters --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    p = sub.add_parser(
        "thresholds", parents=[common], help="list regulatory compute thresholds with their status and source",
        description="Regulatory training-compute thresholds (specs/thresholds.toml): value, jurisdiction, status, source.",
        epilog="examples:\n  computescale thresholds\n  computescale thresholds --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_parser(
        "glossary", parents=[common], help="every input and output of the training model: name, flags, unit, default",
        description="The glossary (computescale.parameters): one name per concept in the API, the CLI, JSON and CSV.",
        epilog="examples:\n  computescale glossary\n  computescale glossary --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return {"train": _cmd_train, "runs": _cmd_runs, "clusters": _cmd_clusters, "thresholds": _cmd_thresholds,
            "glossary": _cmd_glossary}


def _cmd_glossary(args) -> str:
    from ..parameters import glossary_table
    from ..render import dumps, table

    inputs, outputs = glossary_table()
    if args.json:
        return dumps({"inputs": [dict(zip(("name", "model", "flags", "unit", "default", "description"), r)) for r in inputs],
                      "outputs": [dict(zip(("name", "model", "unit", "description"), r)) for r in outputs]})
    return "\n".join(["Inputs (API keyword = JSON and CSV key; CLI flag and accepted aliases):",
                      table(inputs, ["name", "model", "flags", "unit", "sourced default", "meaning [unit]"]), "",
                      "Outputs:", table(outputs, ["name", "model", "unit", "meaning [unit]"])])


def _cmd_thresholds(args) -> str:
    from ..render import dumps
    from ..report import render_thresholds

    catalog = _catalog(args)
    if args.json:
        return dumps(list(catalog.thresholds.values()))
    return render_thresholds(catalog)
