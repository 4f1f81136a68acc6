"""CLI command ``sweep``: parse, call :mod:`computescale.engines.sweep`, render. No arithmetic here.

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
    from ..errors import InputError
    from ..render import dumps
    from ..data.specs import load_catalog
    from ..engines.scenarios import AXES
    from ..engines.sweep import Sweep, SweepResult

    catalog = load_catalog(args.specs or None)
    axes = [(name, getattr(args, name)) for name in AXES]
    outputs = [o.strip() for o in args.outputs.split(",")] if args.outputs else None
    _check_options(args)
    max_memory = _max_memory(args)
    check_axes_memory(axes, max_memory)  # counted from the text, before any axis is built
    s = Sweep(axes, reference=args.reference, outputs=outputs, catalog=catalog,
              **({"max_memory": args.max_memory} if args.max_memory else {}))
    if engine_options(args):
        return _sweep_dask(s, args)
    progress = _progress()
    if args.summary:
        _say_long(s, progress)
        return dumps(s.summary(progress).to_dict()) if args.json else str(s.summary(progress))
    notes = []
    if args.json and (not args.csv or s.full_nbytes <= s.max_memory):  # every value as JSON text, built in memory
        from ..limits import check_json_memory

        check_json_memory(s.size * (len(s.outputs) + len(s.axes)), s.max_memory)
    if args.csv:  # kept when it fits --max-memory, streamed otherwise (the API decides)
        _check_csv_size(s, args)
        if args.plot and s.full_nbytes > s.max_memory:
            raise InputError("--plot needs the full sweep, which is over the --max-memory limit; drop --plot")
        _say_long(s, progress)
        result = s.write_csv(args.csv, progress)
        if args.csv == "-":
            return None  # standard output holds the CSV, nothing else
        notes.append(f"wrote {s.size:,} rows to {args.csv}")
        if not isinstance(result, SweepResult):
            return dumps(result.to_dict()) if args.json else notes[0] + "\n\n" + str(result)
    else:
        result = s.run(progress)
    if args.plot:
        from ..plot import plot_sweep

        output = "time_to_train" if "time_to_train" in result.outputs else result.outputs and next(iter(result.outputs))
        notes.append(f"wrote plot of {output} to {plot_sweep(result, args.plot, output=output)}")
    if args.json:
        if notes:  # stdout holds the JSON document; the notes go to stderr, marked as notes
            print("\n".join(f"computescale: note: {n}" for n in notes), file=sys.stderr)
        return result.to_json()
    return str(result) + ("\n\n" + "\n".join(notes) if notes else "")


def _say_long(s, progress) -> None:
    """Off a terminal (no progress bar), say once, as the work starts, that a long sweep takes a while."""
    if s.size >= _LONG and progress is None:
        print(f"computescale: note: evaluating {s.size:,} scenarios; this takes a while (Ctrl-C stops it cleanly)",
              file=sys.stderr)


def _check_options(args) -> None:
    """Options that exclude each other, refused before any work."""
    from ..errors import InputError

    if args.summary and args.plot:
        raise InputError("--plot needs the full sweep; drop --summary")
    if args.summary and args.csv:
        raise InputError("--csv writes every row; drop --summary (or drop --csv)")
    if args.csv == "-" and (args.json or args.plot):
        raise InputError("--csv - writes the rows to standard output; drop --json and --plot, or give --csv a file name")


def _max_memory(args) -> float:
    from ..engines.sweep import DEFAULT_MAX_MEMORY, _parse_memory

    return _parse_memory(args.max_memory) if args.max_memory else float(DEFAULT_MAX_MEMORY)


def _check_csv_size(s, args) -> None:
    """State the CSV's size before writing it; refuse it over --max-output."""
    from ..errors import InputError
    from ..limits import check_output_size, csv_size
    from ..output import human_size
    from ..units import parse_quantity

    nbytes = csv_size(s.axes, len(s.outputs), s.size)
    limit = None
    if args.max_output:
        limit = float(parse_quantity(args.max_output, "information", what="max_output").m_as("byte"))
        if not limit > 0:
            raise InputError(f"--max-output must be a positive size (e.g. '20 GB'), got {args.max_output!r}")
    check_output_size("--csv", nbytes, limit)
    if nbytes > 1e8 and args.csv != "-":
        print(f"computescale: note: writing {s.size:,} rows, about {human_size(nbytes)}, to {args.csv}", file=sys.stderr)


#: Scenarios from which a sweep says, off a terminal, that it is long (~10 s or more on one core).
_LONG = 200_000_000
#: Values one sweep axis may have (80 MB as floats): finer than any plot or summary resolves.
_MAX_AXIS_POINTS = 10_000_000


def check_axes_memory(axes, max_memory: float) -> None:
    """Refuse axes whose values alone (8 bytes each, a few copies while parsed) exceed ``max_memory``."""
    from ..errors import InputError
    from ..limits import grid_points
    from ..output import human_size

    for name, value in axes:
        n = grid_points(value)
        if n > _MAX_AXIS_POINTS:
            raise InputError(f"{name}: {n:,} values on one axis is more than any plot or summary resolves (at most "
                             f"{_MAX_AXIS_POINTS:,}); use fewer points, or a :log range")
        if n * 32 > max_memory:
            raise InputError(f"{name}: {n:,} values need about {human_size(n * 32)} to build, over the --max-memory limit "
                             f"of {human_size(max_memory)}; use fewer points (a sweep of {n:,} points per axis is more "
                             "than any plot or summary resolves)")


def engine_options(args) -> dict:
    """``--engine dask`` options as API keywords ({} for the NumPy engine); Dask-only flags need it."""
    from ..errors import InputError

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
    from ..engines import dask_engine as engine
    from ..errors import InputError
    from ..render import dumps

    if args.csv or args.plot:
        raise InputError("--csv and --plot use the NumPy engine; with --engine dask write --zarr OUT (or --summary)")
    opts = engine_options(args)
    notes = []
    if args.zarr:
        from ..output import write_zarr_atomically

        path = write_zarr_atomically(args.zarr, lambda target: engine.to_zarr(s, target, **opts))
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
    from ..parameters import INPUTS
    from ..engines.scenarios import AXES

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
    g.add_argument("--csv", metavar="FILE", help="write every scenario as a CSV row, streamed in blocks (- for standard "
                   "output); the file appears complete or not at all")
    g.add_argument("--plot", metavar="FILE", help="plot time to train vs count, one line per device (.png/.svg; needs computescale[plot])")
    g.add_argument("--summary", action="store_true", help="min / mean / max of each output only (bounded memory, any size)")
    g.add_argument("--max-memory", metavar="SIZE", help="largest full result to build, e.g. '4 GiB' (default 1 GiB)")
    g.add_argument("--max-output", metavar="SIZE", help="largest --csv file to write, e.g. '20 GB' (default 1 GiB); the "
                   "size is stated before writing")
    g.add_argument("--force", action="store_true", help="replace an existing --csv or --plot file (refused otherwise)")
    add_engine_options(p, zarr=True)
    return {"sweep": _cmd_sweep}
