"""CLI commands ``train``, ``runs`` and ``clusters``: parse, call the API, render. No arithmetic here.

:func:`register` adds the subparsers and puts the command functions in ``cli.COMMANDS``; ``cli.py``
calls it from ``build_parser``.
"""

from __future__ import annotations

import argparse

import numpy as np

from .errors import InputError

__all__ = ["register"]


def _catalog(args):
    from .specs import load_catalog

    return load_catalog(args.specs or None)


def _scenario(text: str | None, what: str):
    """A number, or a comma-separated list of numbers (scenarios that broadcast): '0.3,0.4,0.5'."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"{what}: expected a number or a comma-separated list of numbers (e.g. 0.3,0.4), got {text!r}") from None
    return values[0] if len(values) == 1 else values


def _duration(args):
    from .units import Q_

    if args.days is not None and args.duration is not None:
        raise InputError("--days and --duration: give one of them")
    if args.days is not None:
        days = _scenario(args.days, "--days")
        return Q_(days if isinstance(days, float) else np.asarray(days), "day")
    return args.duration


def is_uncertain(text) -> bool:
    """Text that states a range or a distribution ('0.32..0.36', '25k±10%', 'normal(0.34, 0.01)')."""
    return isinstance(text, str) and any(mark in text for mark in ("..", "±", "+-", "("))


def split_uncertain_cluster(text: str | None):
    """``'25k±10% A100'`` -> ``('A100', '25k±10%')``; None when the count is not uncertain."""
    if not text:
        return None
    head, _, rest = text.strip().partition(" ")
    return (rest.strip(), head) if is_uncertain(head) and rest.strip() and "+ " not in text else None


# ---- train -----------------------------------------------------------------------------------------------------
_UNCERTAIN_OPTIONS = {  # estimate_training keyword -> argparse attribute
    "compute": "flop", "params": "params", "tokens": "tokens", "duration": "days", "mfu": "mfu", "pue": "pue",
    "server_overhead": "overhead", "power_fraction": "power_fraction", "electricity_price": "electricity_price",
    "carbon_intensity": "carbon_intensity", "rental_price": "rental_price", "unit_price": "unit_price",
}


def _train_monte_carlo(args, catalog) -> str:
    """``train`` with ranges or distributions: seeded Monte Carlo, p5/p50/p95 of every output."""
    from .render import dumps
    from .uncertainty import monte_carlo_training, parse_uncertain

    kwargs = {}
    for key, attr in _UNCERTAIN_OPTIONS.items():
        text = getattr(args, attr)
        if text is not None:
            kwargs[key] = parse_uncertain(text, f"--{attr.replace('_', '-')}") if is_uncertain(text) else _scenario_or_text(text)
    if args.duration is not None:
        kwargs["duration"] = parse_uncertain(args.duration, "--duration")
    split = split_uncertain_cluster(args.cluster)
    if split:
        kwargs["device"], kwargs["count"] = split
    elif args.cluster:
        kwargs["cluster"] = args.cluster
    for key in ("run", "precision", "power", "lifetime", "achieved"):
        if getattr(args, key) is not None:
            kwargs[key] = getattr(args, key)
    if args.gpu_hours is not None:
        kwargs["device_time"] = args.gpu_hours
    if args.ranges:
        kwargs.update({k: v for k, v in _run_ranges(args, catalog).items() if k not in kwargs and not (k == "count" and "cluster" in kwargs)})
    result = monte_carlo_training(samples=args.samples, seed=args.seed, recomputation=args.recompute, catalog=catalog, **kwargs)
    return dumps(result.to_dict()) if args.json else str(result)


def _run_ranges(args, catalog) -> dict:
    """The published ranges of a known run (``--ranges``): its sourced min..max of each input."""
    from .uncertainty import Uniform

    if not args.run:
        raise InputError("--ranges uses a known run's published ranges: give --run NAME (e.g. --run gpt-4)")
    run, _ = catalog.run(args.run)
    out = {}
    for key, field in (("compute", "training_compute"), ("duration", "duration"), ("mfu", "mfu")):
        entry = getattr(run, field)
        if entry is not None and entry.min is not None and entry.max is not None:
            out[key] = Uniform(entry.min, entry.max)
    if run.cluster is not None and run.cluster.min is not None and run.cluster.max is not None:
        out["device"], out["count"] = run.cluster.device, Uniform(run.cluster.min, run.cluster.max)
    if not out:
        raise InputError(f"--ranges: run {run.name!r} publishes no ranges (no min/max in specs/runs.toml)")
    return out


def _scenario_or_text(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _cmd_train(args) -> str:
    from .render import dumps
    from .training import estimate_training

    catalog = _catalog(args)
    if args.ranges or any(is_uncertain(getattr(args, a)) for a in (*_UNCERTAIN_OPTIONS.values(), "duration")) or split_uncertain_cluster(args.cluster):
        return _train_monte_carlo(args, catalog)
    est = estimate_training(
        run=args.run,
        compute=args.flop,
        params=_scenario(args.params, "--params"),
        tokens=_scenario(args.tokens, "--tokens"),
        recomputation=args.recompute,
        cluster=args.cluster,
        duration=_duration(args),
        device_time=args.gpu_hours,
        mfu=_scenario(args.mfu, "--mfu"),
        achieved=args.achieved,
        precision=args.precision,
        power=args.power,
        power_fraction=_scenario(args.power_fraction, "--power-fraction"),
        server_overhead=_scenario(args.overhead, "--overhead"),
        pue=_scenario(args.pue, "--pue"),
        electricity_price=args.electricity_price,
        carbon_intensity=args.carbon_intensity,
        rental_price=args.rental_price,
        unit_price=args.unit_price,
        lifetime=args.lifetime,
        catalog=catalog,
    )
    ids = _source_ids(est)
    if args.json:
        return dumps(est.to_dict() | {"sources": {s: catalog.sources[s] for s in ids if s in catalog.sources}})
    return str(est) + "\n\n" + _references(catalog, ids)


def _source_ids(est) -> list[str]:
    ids = []
    for a in est.assumptions:
        if a.source:
            ids.extend(s.strip() for s in a.source.split(","))
    ids.extend(t.source for t in est.thresholds)
    return list(dict.fromkeys(ids))


def _references(catalog, ids) -> str:
    lines = ["Sources:"]
    for sid in ids:
        s = catalog.sources.get(sid)
        if s is not None:
            lines.append(f"[{sid}] {s.cite()}")
    return "\n".join(lines)


# ---- runs --------------------------------------------------------------------------------------------------------
_RUN_FIELDS = ("training_compute", "parameters", "active_params", "tokens", "duration", "mfu", "throughput_per_device", "gpu_hours",
               "power", "energy", "emissions")


def _cmd_runs(args) -> str:
    from .render import dumps, fmt, table

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
    from .render import dumps, fmt, table

    r, resolved = catalog.run(args.name)
    if args.json:
        return dumps({"query": args.name, "resolved": r.name, "run": r,
                      "sources": {s: catalog.sources[s] for s in _run_source_ids(r)}})
    head = [f"{r.name}  ({r.organization}, {r.year})", f"resolved: {args.name!r} -> {r.name} (by {resolved.via})"]
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
    return out + "\n\n" + _references(catalog, _run_source_ids(r))


def _run_source_ids(r) -> list[str]:
    ids = [r.cluster.source] if r.cluster else []
    ids += [getattr(r, f).source for f in _RUN_FIELDS if getattr(r, f) is not None]
    ids += [s.source for s in r.statement]
    return list(dict.fromkeys(ids))


# ---- clusters ----------------------------------------------------------------------------------------------------
def _cmd_clusters(args) -> str:
    from .cluster import cluster
    from .compare import h100_equivalents, h100e_definition
    from .render import dumps, table

    catalog = _catalog(args)
    items = []
    for k in catalog.clusters.values():
        c = cluster(k.name, catalog)
        bf16 = c.total("bf16.dense") if c.has("bf16.dense") else None
        items.append((k, c, bf16, h100_equivalents(c, catalog)))
    if args.json:
        return dumps([
            {"name": k.name, "aliases": list(k.aliases), "owner": k.owner, "date": k.date, "status": k.status or None,
             "members": [{"device": m.device, "count": m.count, "max": m.max, "stated": m.stated or None} for m in k.members],
             "n_devices": c.n_devices, "count_is_low_end_of_range": k.ranged,
             "bf16_dense": bf16, "h100_equivalents": None if h != h else h, "h100e_definition": h100e_definition(catalog),
             "power_tdp": c.total("power") if c.has("power") else None, "facility_power": k.power,
             "source": k.source, "confidence": k.confidence, "notes": k.notes}
            for k, c, bf16, h in items
        ])
    rows = [[k.name, ", ".join(k.aliases) or "—", k.owner, k.date, c.label.removeprefix(f"{k.name} (").removesuffix(")"),
             bf16.to("EFLOP/s") if bf16 is not None else None, f"{h:,.0f}" + ("+" if k.ranged else "") if h == h else "—",
             k.confidence, k.source] for k, c, bf16, h in items]
    out = table(rows, ["cluster", "aliases", "owner", "date", "members", "BF16 dense", "H100e", "confidence", "source"], "llllllrrll")
    return (out + f"\n\n{h100e_definition(catalog)}; '+': a vague count, low end used."
            f'\n{len(items)} clusters. Use a name or alias in other commands, e.g. computescale train --flop 3.8e25 --cluster "{items[0][0].aliases[0] if items and items[0][0].aliases else "100k H100"}"')


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

Numbers for --mfu, --days, --pue, --overhead, --power-fraction may be comma-separated lists (scenarios).
Any number (and a cluster's count) may instead be a range or a distribution: --mfu 0.32..0.36,
--days 90..100, --cluster "25k±10% A100", --pue "normal(1.2, 0.05)"; computescale then runs a seeded
Monte Carlo (--samples, --seed) and prints p5 / p50 / p95 of every output.
Defaults (MFU, server overhead, PUE, electricity price, grid intensity, H100 rental) come from
specs/defaults.toml with their sources; every assumption used is printed with its source."""


def register(sub, common) -> None:
    """Add ``train``, ``runs`` and ``clusters`` to the ``computescale`` parser and its COMMANDS table."""
    from .cli import COMMANDS

    p = sub.add_parser(
        "train", parents=[common], help="estimate a training run: time, MFU, energy, cost, emissions, thresholds",
        description="Training compute (6·N·D, 8·N·D with recomputation, given, or a known run), time to train on a "
        "cluster at an MFU, and the inverses (compute in a duration, devices for a duration, implied MFU); energy, "
        "costs (electricity, rental, amortized hardware: separate, never summed), emissions and regulatory thresholds.",
        epilog=_TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("what is trained")
    g.add_argument("--run", help="a known run (computescale runs): its sourced compute, cluster, duration, MFU")
    g.add_argument("--flop", metavar="C", help="training compute: 2.15e25 (FLOP), '3640 PF-day'")
    g.add_argument("--params", metavar="N", help="parameters, for C = 6·N·D (e.g. 405e9)")
    g.add_argument("--tokens", metavar="D", help="training tokens (e.g. 15.6e12)")
    g.add_argument("--recompute", action="store_true", help="8·N·D: count full activation recomputation (hardware FLOP)")
    g = p.add_argument_group("on what, how fast")
    g.add_argument("--cluster", help='"100k H100", "16k H100 + 8k A100", or a known cluster (computescale clusters)')
    g.add_argument("--days", metavar="DAYS", help="duration in days (list allowed); with --flop: the implied MFU")
    g.add_argument("--duration", metavar="T", help="duration with a unit, e.g. '2200 hour'")
    g.add_argument("--mfu", help="model FLOP utilization in (0, 1] (list allowed)")
    g.add_argument("--achieved", metavar="RATE", help="achieved throughput per device instead of --mfu, e.g. '140 TFLOP/s'")
    g.add_argument("--precision", help="peak used: bf16 (default), fp16, fp8, tf32, ...")
    g.add_argument("--gpu-hours", metavar="H", help="device-time for energy and cost, e.g. 30.84e6 (GPU-hours)")
    g = p.add_argument_group("energy, cost, emissions")
    g.add_argument("--power", metavar="W", help="power per device (default: TDP), e.g. '700 W'")
    g.add_argument("--power-fraction", metavar="F", help="average draw as a fraction of --power, (0, 1]; default 1.0")
    g.add_argument("--overhead", metavar="X", help="server/host overhead >= 1 (default: defaults.toml server_overhead)")
    g.add_argument("--pue", help="power usage effectiveness >= 1 (default: defaults.toml pue)")
    g.add_argument("--electricity-price", metavar="P", help="USD/kWh (default: defaults.toml electricity_price)")
    g.add_argument("--carbon-intensity", metavar="I", help="kgCO2e/kWh (default: defaults.toml grid_carbon_intensity)")
    g.add_argument("--rental-price", metavar="P", help="USD per device-hour (default only for H100)")
    g.add_argument("--unit-price", metavar="P", help="purchase price per device in USD (default: the device's sourced price)")
    g.add_argument("--lifetime", metavar="T", help="depreciation period for the amortized hardware cost, e.g. '4 year' (bare: years)")
    g = p.add_argument_group("uncertainty (when any input is a range or a distribution)")
    g.add_argument("--ranges", action="store_true", help="with --run: draw each input from the run's published range (e.g. GPT-4's 90-100 days, 32-36%% MFU)")
    g.add_argument("--samples", type=int, default=100_000, help="Monte Carlo samples (default 100000)")
    g.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same percentiles (default 0)")

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

    COMMANDS["train"] = _cmd_train
    COMMANDS["runs"] = _cmd_runs
    COMMANDS["clusters"] = _cmd_clusters
