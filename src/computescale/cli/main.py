"""The ``computescale`` command: parse arguments, call the API, render. No arithmetic here.

Each command is one function ``_cmd_<name>(args) -> str`` that calls the public API and returns
the text (or JSON) to print. Errors of type :class:`ComputescaleError` print as one line on stderr
and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Callable, Sequence

from ..errors import ComputescaleError, InputError, one_line

__all__ = ["main", "run", "build_parser"]

COMMANDS: dict[str, Callable[[argparse.Namespace], str]] = {}


def _command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def _catalog(args):
    from ..data.specs import load_catalog

    return load_catalog(args.specs or None)


# ---- specs -----------------------------------------------------------------------------------------
@_command("specs")
def _cmd_specs(args) -> str:
    from ..render import dumps, table

    catalog = _catalog(args)
    if args.action == "show":
        return _specs_show(catalog, args)
    devices = sorted(catalog.devices.values(), key=lambda d: (d.vendor, d.launch_year, d.name))
    if args.json:
        return dumps([_device_summary(d) for d in devices])
    rows = []
    for d in devices:
        bf16 = d.peak("bf16")
        rows.append([
            d.name, d.vendor, d.launch_year,
            bf16.value.to("TFLOP/s") if bf16 else None,
            d.memory.capacity.value if d.memory.capacity else None,
            d.memory.bandwidth.value.to("TB/s") if d.memory.bandwidth else None,
            d.power.tdp.value if d.power.tdp else None,
        ])
    out = table(rows, ["device", "vendor", "year", "BF16 dense", "memory", "bandwidth", "TDP"], "lllrrrr")
    return out + f"\n\n{len(devices)} devices, {len(catalog.sources)} sources. Every figure with its source: computescale specs show NAME"


def _device_summary(d) -> dict:
    bf16 = d.peak("bf16")
    return {
        "name": d.name, "vendor": d.vendor, "family": d.family, "launch_year": d.launch_year,
        "bf16_dense": bf16.value if bf16 else None,
        "memory": d.memory.capacity.value if d.memory.capacity else None,
        "memory_bandwidth": d.memory.bandwidth.value if d.memory.bandwidth else None,
        "tdp": d.power.tdp.value if d.power.tdp else None,
    }


def _flags(field: str, entry) -> list[str]:
    from ..units import format_quantity

    flags = []
    if field.endswith(".sparse"):
        flags.append("sparse (2:4 structured sparsity)")
    if entry.derived:
        flags.append(f"derived: {entry.derived}")
    if entry.min is not None or entry.max is not None:
        flags.append("range " + " – ".join(format_quantity(q) for q in (entry.min or entry.value, entry.max or entry.value)))
    if entry.date:
        flags.append(f"as of {entry.date}")
    if getattr(entry, "scope", None):
        flags.append(f"scope: {entry.scope}")
    if field.startswith("power.measured"):
        flags.append("measured, not a rating")
    if entry.note:
        flags.append(f"note: {entry.note}")
    return flags


def _specs_show(catalog, args) -> str:
    from ..render import dumps, fmt, table
    from ..units import format_quantity

    device, resolved = catalog.resolve_device(args.name)
    fields = list(device.entries())
    dated = list(device.dated())
    systems = [x for x in catalog.systems.values() if x.device == device.name]  # rated system power (systems.toml)
    source_ids = list(dict.fromkeys([*(entry.source for _, entry in fields), *(e.source for _, e in dated), *device.see_also,
                                     *(x.power.source for x in systems)]))
    if args.json:
        return dumps({
            "query": args.name,
            "resolved": device.name,
            "device": {k: getattr(device, k) for k in ("name", "vendor", "family", "aliases", "form_factor", "launch_year", "memory_type", "notes")},
            "interconnect": {"name": device.interconnect.name, "direction": device.interconnect.direction} if device.interconnect else None,
            "fields": [
                {"field": f, "value": e.value, "min": e.min, "max": e.max, "sparse": f.endswith(".sparse"),
                 "derived": e.derived or None, "note": e.note or None, "date": e.date or None, "source": e.source}
                for f, e in fields
            ],
            "dates": {f.split(".")[1]: {"date": e.date, "source": e.source, "note": e.note or None} for f, e in dated},
            "no_citable_price": (device.price.no_citable_price or None) if device.price else None,
            "systems": [{"name": x.name, "power": x.power.value, "devices": x.devices, "primary": x is catalog.system_for(device),
                         "source": x.power.source} for x in systems],
            "sources": {sid: catalog.sources[sid] for sid in source_ids},
        })
    head = [f"{device.name}  ({device.vendor} {device.family}, {device.form_factor or 'form factor n/a'}, {device.launch_year})"]
    head.append(f"resolved: {args.name!r} -> {device.name} (by {resolved.via})")
    if device.aliases:
        head.append("aliases: " + ", ".join(device.aliases))
    if device.memory_type:
        head.append(f"memory type: {device.memory_type}")
    if device.interconnect:
        head.append(f"interconnect: {device.interconnect.name} ({device.interconnect.direction})")
    for f, e in dated:
        head.append(f"{f.split('.')[1]}: {e.date} [{source_ids.index(e.source) + 1}]" + (f" ({e.note})" if e.note else ""))
    for x in systems:
        used = " (used for facility power)" if x is catalog.system_for(device) else ""
        head.append(f"rated system: {x.name}, {format_quantity(x.power.value)} for {x.devices} devices "
                    f"[{source_ids.index(x.power.source) + 1}]{used}")
    if device.price is not None and device.price.no_citable_price:
        head.append(f"price: no citable price ({device.price.no_citable_price})")
    if device.rental is not None:
        reserved = f"; reserved: {device.rental.reserved_kind}" if device.rental.reserved is not None else ""
        head.append(f"rental: {device.rental.kind}, scope {device.rental.scope}{reserved}")
    if device.notes:
        head.append(f"notes: {device.notes}")
    rows = [[f, fmt(e.value, 6), f"[{source_ids.index(e.source) + 1}]", "; ".join(_flags(f, e))] for f, e in fields]
    body = table(rows, ["field", "value", "src", "flags"], "lrll")
    refs = []
    for i, sid in enumerate(source_ids, 1):
        s = catalog.sources[sid]
        rev = f", {s.revision}" if s.revision else ""
        refs.append(f"[{i}] {s.title}. {s.publisher}{rev}, {s.date or 'n.d.'}. {s.url} (accessed {s.accessed}) [{sid}]")
    return "\n".join(head) + "\n\n" + body + "\n\nSources:\n" + "\n".join(refs)


# ---- compare and claim ---------------------------------------------------------------------------------
@_command("compare")
def _cmd_compare(args) -> str:
    from ..compare import compare
    from ..render import dumps

    from ..report import render_facility_power
    from ..training import facility_power

    catalog = _catalog(args)
    result = compare(args.a, args.b, catalog)
    power = {side: facility_power(c, catalog=catalog) for side, c in (("a", result.a), ("b", result.b))}
    if args.json:
        return dumps(result.to_dict() | {"facility_power": {k: v[0] for k, v in power.items()},
                                         "sources": {s: catalog.sources[s] for s in result.sources}})
    return str(result) + "\n\n" + render_facility_power(result.a, result.b, power["a"], power["b"])


@_command("claim")
def _cmd_claim(args) -> str:
    from ..compare import check_claim, parse_claim
    from ..errors import InputError
    from ..render import dumps

    if args.b is None:
        if args.factor is not None:
            raise InputError("give the claim as one sentence ('100k H100 = 20x 25k A100') or as A B --factor N, not both")
        a, factor, b = parse_claim(args.a)
    else:
        if args.factor is None:
            raise InputError("claim A B needs --factor N (the claimed ratio A/B), e.g. --factor 20")
        a, factor, b = args.a, args.factor, args.b
    from ..engines.scenarios import _uncertain_cluster

    ua, ub = _uncertain_cluster(a), _uncertain_cluster(b)
    if ua or ub:  # a count given as a range or distribution: Monte Carlo over the like-for-like ratio
        from ..engines.montecarlo import monte_carlo_claim

        catalog = _catalog(args)
        (da, na), (db, nb) = (ua or _device_and_count(a, catalog)), (ub or _device_and_count(b, catalog))
        result = monte_carlo_claim(da, db, factor, a_count=na, b_count=nb, tolerance=args.tolerance,
                                   precision=args.precision, samples=args.samples, seed=args.seed, catalog=catalog)
        return dumps(result.to_dict()) if args.json else str(result)
    result = check_claim(a, b, factor, tolerance=args.tolerance, precision=args.precision, catalog=_catalog(args))
    if args.plot:
        from ..plot import plot_claim

        plot_claim(result, args.plot)
    return dumps(result.to_dict()) if args.json else str(result)


def _device_and_count(text: str, catalog):
    from ..cluster import cluster

    c = cluster(text, catalog)
    if c.single_device is None:
        from ..errors import InputError

        raise InputError(f"with uncertain counts, each side is one device type; {text!r} mixes devices")
    return c.single_device.name, int(c.n_devices)


@_command("check-text")
def _cmd_check_text(args) -> str:
    from ..errors import InputError
    from ..render import dumps
    from ..text import check_text

    try:
        if args.file == "-":  # bytes where there are (a pipe): undecodable bytes become U+FFFD, as for a file
            buffer = getattr(sys.stdin, "buffer", None)
            text = buffer.read().decode("utf-8", errors="replace") if buffer is not None else sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {args.file!r}: {exc.strerror}") from None
    except ValueError:  # a NUL byte in the path
        raise InputError(f"cannot read {args.file!r}: a file name cannot hold a NUL character") from None
    report = check_text(text, tolerance=args.tolerance, precision=args.precision, year=args.year, catalog=_catalog(args),
                        max_size_mb=args.max_size)
    return dumps(report.to_dict()) if args.json else str(report)


# ---- parser --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON (quantities as {magnitude, units})")
    common.add_argument("--specs", action="append", metavar="PATH", help="extra spec file or folder (repeatable); overrides built-in devices of the same name")

    parser = _Parser(
        prog="computescale",
        description="How much compute is this cluster, how does it compare, and what can it train? With units and sources.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"computescale {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "specs", parents=[common], help="list devices, or show one device's sourced figures",
        description="List the accelerator spec table, or show every field of one device with its unit, flags and source.",
        epilog="examples:\n  computescale specs\n  computescale specs show H100\n  computescale specs show mi300x --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list", help="list (default) or show NAME")
    p.add_argument("name", nargs="?", help="device name or alias (with show)")

    p = sub.add_parser(
        "compare", parents=[common], help="compare two clusters on every basis",
        description="Ratio A/B on every basis: like-for-like per precision (dense, and sparse where both publish it), "
        "cross bases (each side's fastest format, sparse headlines), memory, bandwidth, power, price.",
        epilog='examples:\n  computescale compare "100k H100" "25k A100"\n  computescale compare "16k H100 + 8k A100" colossus --json',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("a", help='cluster A: "100k H100", "16k H100 + 8k A100", a known cluster, or a device')
    p.add_argument("b", help="cluster B")

    _add_claim_parser(sub, common)
    _add_check_text_parser(sub, common)

    # train, runs, clusters, models and sweep live in their own modules; each adds its parsers and COMMANDS
    from ..cli import infer as cli_infer
    from ..cli import models as cli_models
    from ..cli import sweep as cli_sweep
    from ..cli import train as cli_train

    COMMANDS.update(cli_train.register(sub, common))
    COMMANDS.update(cli_models.register(sub, common))
    COMMANDS.update(cli_sweep.register(sub, common))
    COMMANDS.update(cli_infer.register(sub, common))
    return parser


def _add_claim_parser(sub, common) -> None:
    p = sub.add_parser(
        "claim", parents=[common], help='check a claim such as "100k H100 = 20x 25k A100"',
        description="Check the claim 'A is FACTOR times B' on every basis: the like-for-like verdict first, then the bases "
        "under which it would hold, with sources.",
        epilog='examples:\n  computescale claim "100k H100" "25k A100" --factor 20\n  computescale claim "100k H100 = 20x 25k A100"\n'
        '  computescale claim "100k H100" "25k A100" --factor 20 --tolerance 0.25 --precision fp16 --json\n'
        '  computescale claim "100k H100" "25k±10% A100" --factor 20        # a count known to ±10%: Monte Carlo\n'
        '  computescale claim "100k H100" "25k A100" --factor 20 --plot claim.png',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("a", help="cluster A, or the whole claim as one sentence")
    p.add_argument("b", nargs="?", help="cluster B (omit when A is a sentence)")
    p.add_argument("--factor", type=float, help="the claimed ratio A/B (e.g. 20)")
    p.add_argument("--tolerance", type=float, default=0.10, help="the claim holds when |claimed/actual - 1| <= this (default 0.10)")
    p.add_argument("--precision", default="bf16", help="precision of the like-for-like verdict, dense (default bf16)")
    p.add_argument("--plot", metavar="FILE", help="draw the ratio per basis with the claimed factor (.png or .svg; needs computescale[plot])")
    p.add_argument("--force", action="store_true", help="replace an existing --plot file (refused otherwise)")
    p.add_argument("--samples", type=int, default=100_000, help="Monte Carlo samples when a count is a range (default 100000)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the Monte Carlo (default 0)")


def _add_check_text_parser(sub, common) -> None:
    p = sub.add_parser(
        "check-text", parents=[common], help="find and check every compute claim in an article (a file, or - for stdin)",
        description="Read prose (an article, a press release, a post) and check each compute-scale statement in it: "
        "comparisons between clusters (the verdict of `claim`), clusters (peak compute, facility power), training "
        "statements (the compute implied at the default MFU, thresholds crossed), and counts of accelerators of "
        "undisclosed type (the range across types). Each with the sentence quoted and its character offsets.",
        epilog="examples:\n  computescale check-text article.txt\n  pbpaste | computescale check-text - --json\n"
        "  computescale check-text article.txt --tolerance 0.25 --year 2024",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="a UTF-8 text file, or - for standard input")
    p.add_argument("--tolerance", type=float, default=0.10, help="a comparison holds when |claimed/actual - 1| <= this (default 0.10)")
    p.add_argument("--precision", default=None, help="precision of like-for-like verdicts and peak compute, dense (default bf16; "
                   "a precision a device lacks is refused)")
    p.add_argument("--max-size", type=float, default=20, metavar="MB",
                   help="refuse a text larger than this many MB (millions of characters; default 20)")
    p.add_argument("--year", type=int, help="the article's year, for accelerators of undisclosed type (default: the latest year it mentions)")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other error, and a
    negative number ("--flop -1e25") is a value, so that it reaches validation and its range error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str):
        self.exit(2, one_line(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")


#: Options that name a file to write (checked before any work, so a typo costs no sweep).
_OUTPUT_FILES = ("plot", "csv")


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    raise LookupError(command)  # pragma: no cover - every command has a subparser


def _check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse lets through but no command can use: empty values, unwritable output files."""
    for action in _subparser(parser, args.command)._actions:
        if action.nargs == 0 or action.dest in ("help", "command"):
            continue
        values = getattr(args, action.dest, None)
        flag = action.option_strings[-1] if action.option_strings else (action.metavar or action.dest).upper()
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and not value.strip():
                raise InputError(f"{flag}: empty value {value!r}; give a value or leave {flag} out")
            if isinstance(value, str) and action.dest in _OUTPUT_FILES:
                from ..output import check_target

                check_target(flag, value, force=getattr(args, "force", False), stdout_ok=action.dest == "csv")
    if args.command == "specs" and args.action == "show" and not args.name:
        raise InputError("specs show needs a device NAME (e.g. computescale specs show H100)")


def _catalog_notes(args: argparse.Namespace) -> list[str]:
    """Built-in entries that the user's --specs files replaced (allowed, but never silent)."""
    if not getattr(args, "specs", None):
        return []
    from ..data.specs import load_catalog

    return [f"note: {o}" for o in load_catalog(args.specs).overrides]


#: Commands whose text is not fitted to the terminal (check-text quotes sentences at fixed offsets).
_UNFITTED = ("check-text",)


def _render(args: argparse.Namespace) -> str | None:
    """The command's output; its text (not JSON) fitted to the terminal's width."""
    from ..render import fit_prose, fitting, terminal_width

    if getattr(args, "json", False) or args.command in _UNFITTED:
        return COMMANDS[args.command](args)
    width = terminal_width()
    with fitting(width):
        out = COMMANDS[args.command](args)
    return fit_prose(out, width) if out else out


def run() -> None:
    """The console script: :func:`main`, then exit without the interpreter's teardown.

    Freeing every object of numpy, pint and pydantic at exit costs more CPU than most commands
    (measured: 450 -> 260 ms for importing the CLI alone); the output is flushed first and every
    file the command wrote is already closed, so nothing is lost.
    """
    try:
        code = main()
    except KeyboardInterrupt:  # before or after the command (imports, parsing): the same one line
        print("computescale: interrupted", file=sys.stderr)
        code = 130
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `computescale specs | head`
        pass
    os._exit(code)


def _close_clients() -> None:
    """Close the Dask clients a command opened for a --scheduler address (their clusters keep running)."""
    engine = sys.modules.get(f"{__package__.rpartition('.')[0]}.engines.dask_engine")
    if engine is not None:
        engine.close_clients()


def main(argv: Sequence[str] | None = None) -> int:
    """The ``computescale`` command. Returns the exit status: 0, or 2 after one line on stderr."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return the status, in-process too
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _check_arguments(parser, args)
        out = _render(args)
        notes = _catalog_notes(args)
    except ComputescaleError as exc:
        print(f"computescale: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `computescale specs | head`
        return 0
    except KeyboardInterrupt:  # output files are written under a temporary name: nothing half-written is left
        print("\ncomputescale: interrupted" if sys.stderr.isatty() else "computescale: interrupted", file=sys.stderr)
        return 130
    finally:
        _close_clients()
    for note in notes:
        print(f"computescale: {one_line(note)}", file=sys.stderr)
    try:
        if out:  # None: the command wrote its output itself (--csv -)
            print(out)
    except BrokenPipeError:
        pass
    return 0
