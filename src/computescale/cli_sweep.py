"""CLI command ``sweep``: parse, call :mod:`computescale.sweep`, render. No arithmetic here.

:func:`register` adds the subparser and puts the command in ``cli.COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["register", "Once"]


class Once(argparse.Action):
    """An option that may be given once, under any of its names (--days and --duration are one input)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string}: {self.dest} is already given (by {'/'.join(self.option_strings)}); give one of them")
        setattr(namespace, self.dest, values)

_EPILOG = """\
examples:
  computescale sweep --device H100,B200 --count 10k:200k:20 --flop 1e26 --mfu 0.4
  computescale sweep --device H100,B200,A100 --count 1k:200k:30:log --flop 1e26 --mfu 0.4 --plot days.png
  computescale sweep --device H100 --count 25k,50k,100k --days 90:100:11 --mfu 0.3,0.4 --csv out.csv
  computescale sweep --device H100 --count 100k --flop 1e26 --mfu 0.4 --pue 1.1:1.6:6 --electricity-price 0.05,0.1
  computescale sweep --device H100,B200 --count 10k:1M:10000 --flop 1e24:1e27:100:log --mfu 0.3:0.5:21 --summary
  computescale sweep --device H100 --count 10k:100k:10 --reference "25k A100" --json
  computescale sweep --device H100,B200 --count 10k:1M:100 --flop 1e24:1e27:50:log --mfu 0.3:0.5:21 --engine dask --zarr out.zarr

Values: one number, a list a,b,c, or an inclusive range start:stop:num (num points, linspace;
add :log for geometric spacing). Counts take k/M suffixes and are rounded to whole devices.
Factors not swept (PUE, server overhead, electricity price, grid intensity, MFU) take the sourced
defaults of specs/defaults.toml, listed under "Assumptions". Large sweeps: --summary (min/mean/max,
bounded memory) or --csv FILE (rows streamed in chunks); on Dask (--engine dask, locally or on
--scheduler ADDRESS), --zarr OUT writes every output block by block, and the summary adds quantiles."""


def _progress():
    """A one-line progress bar on stderr, only when stderr is a terminal (and only for slow sweeps)."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()
    state = {"shown": False}

    def show(done: int, total: int) -> None:
        if time.monotonic() - started < 0.5 and done < total:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done / total:6.1%} of {total:,} scenarios")
        state["shown"] = True
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _cmd_sweep(args) -> str:
    from .errors import InputError
    from .render import dumps
    from .specs import load_catalog
    from .scenarios import AXES
    from .sweep import Sweep, SweepResult

    catalog = load_catalog(args.specs or None)
    axes = [(name, getattr(args, name)) for name in AXES]
    outputs = [o.strip() for o in args.outputs.split(",")] if args.outputs else None
    s = Sweep(axes, reference=args.reference, outputs=outputs, catalog=catalog,
              **({"max_memory": args.max_memory} if args.max_memory else {}))
    if engine_options(args):
        return _sweep_dask(s, args)
    progress = _progress()
    if args.summary:
        if args.plot:
            raise InputError("--plot needs the full sweep; drop --summary")
        summary = s.summary(progress)
        if args.csv:
            raise InputError("--csv writes every row; drop --summary (or drop --csv)")
        return dumps(summary.to_dict()) if args.json else str(summary)
    notes = []
    if args.csv:  # kept when it fits --max-memory, streamed otherwise (the API decides)
        result = s.write_csv(args.csv, progress)
        notes.append(f"wrote {s.size:,} rows to {args.csv}")
        if not isinstance(result, SweepResult):
            if args.plot:
                raise InputError("--plot needs the full sweep, which is over the --max-memory limit; drop --plot")
            return dumps(result.to_dict()) if args.json else notes[0] + "\n\n" + str(result)
    else:
        result = s.run(progress)
    if args.plot:
        from .plot import plot_sweep

        output = "time_to_train" if "time_to_train" in result.outputs else result.outputs and next(iter(result.outputs))
        notes.append(f"wrote plot of {output} to {plot_sweep(result, args.plot, output=output)}")
    if args.json:
        if notes:  # stdout holds the JSON document; the notes go to stderr, marked as notes
            print("\n".join(f"computescale: note: {n}" for n in notes), file=sys.stderr)
        return result.to_json()
    return str(result) + ("\n\n" + "\n".join(notes) if notes else "")


def engine_options(args) -> dict:
    """``--engine dask`` options as API keywords ({} for the NumPy engine); Dask-only flags need it."""
    from .errors import InputError

    if args.engine != "dask":
        given = [f for f, v in (("--scheduler", args.scheduler), ("--chunks", args.chunks),
                                ("--zarr", getattr(args, "zarr", None))) if v is not None]
        if given:
            raise InputError(f"{given[0]} needs --engine dask")
        return {}
    return {"scheduler": args.scheduler, "chunks": args.chunks, "progress": True}


def add_engine_options(p, zarr: bool = False) -> None:
    """--engine, --scheduler, --chunks (and --zarr): the Dask engine (needs computescale[scale])."""
    g = p.add_argument_group("engine (--engine dask needs pip install 'computescale[scale]')")
    g.add_argument("--engine", choices=["numpy", "dask"], default="numpy", help="numpy (default) or dask: evaluated "
                   "block by block on Dask, on this machine's threads or on --scheduler")
    g.add_argument("--scheduler", metavar="ADDRESS", help="a Dask distributed scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default: local threads)")
    g.add_argument("--chunks", metavar="N", type=int, help="scenarios (or samples) per Dask block")
    if zarr:
        g.add_argument("--zarr", metavar="OUT", help="write every output to a zarr store, block by block")


def _sweep_dask(s, args) -> str:
    """The sweep on Dask: a zarr store written block by block, and / or a summary with quantiles."""
    from . import engine
    from .errors import InputError
    from .render import dumps

    if args.csv or args.plot:
        raise InputError("--csv and --plot use the NumPy engine; with --engine dask write --zarr OUT (or --summary)")
    opts = engine_options(args)
    notes = []
    if args.zarr:
        path = engine.to_zarr(s, args.zarr, **opts)
        notes.append(f"wrote {s.size:,} scenarios x {len(s.outputs)} outputs to {path} ({_disk_size(path) / 1e6:,.1f} MB)")
        if not args.summary:
            return "\n".join(notes)
    summary = engine.summary(s, **opts)
    if args.json:
        return dumps(summary.to_dict() | ({"notes": summary.notes + notes} if notes else {}))
    return str(summary) + ("\n\n" + "\n".join(notes) if notes else "")


def _disk_size(path) -> int:
    from pathlib import Path

    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def register(sub, common) -> dict:
    from .parameters import INPUTS
    from .scenarios import AXES

    """Add ``sweep`` to the ``computescale`` parser; return its command function."""
    p = sub.add_parser(
        "sweep", parents=[common], help="scenario sweep: time, energy, cost, emissions over devices x counts x ...",
        description="Evaluate every combination of the given axes (devices, counts, compute or duration, MFU, PUE, "
        "prices, ...) in NumPy: peak, time to train, device-time, energy, electricity cost, emissions, and the ratio to "
        "a reference cluster.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("axes (a value, a list a,b,c, or a range start:stop:num[:log])")
    for name in AXES:
        spec = INPUTS[name]
        default = f" (default: sourced '{spec.default}')" if spec.default else ""
        g.add_argument(*spec.flags, dest=name, metavar=name.upper(), action=Once, required=name in ("device", "count"),
                       help=spec.description + default)
    g = p.add_argument_group("output")
    g.add_argument("--reference", metavar="CLUSTER", help='ratio of each cluster\'s peak to this one\'s, e.g. "25k A100"')
    g.add_argument("--outputs", help="comma-separated outputs to keep (default: all the axes determine)")
    g.add_argument("--csv", metavar="FILE", help="write every scenario as a CSV row (streamed for large sweeps)")
    g.add_argument("--plot", metavar="FILE", help="plot time to train vs count, one line per device (.png/.svg; needs computescale[plot])")
    g.add_argument("--summary", action="store_true", help="min / mean / max of each output only (bounded memory, any size)")
    g.add_argument("--max-memory", metavar="SIZE", help="largest full result to build, e.g. '4 GiB' (default 1 GiB)")
    add_engine_options(p, zarr=True)
    return {"sweep": _cmd_sweep}
