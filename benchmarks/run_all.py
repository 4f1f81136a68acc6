"""Run every benchmark and print a summary of targets vs measured figures (never asserted).

Run: ``python benchmarks/run_all.py`` (``--quick`` stops the scenario sweep at N = 1e6; ``--peers`` adds
bench_peers.py, the same question timed in llm-analysis, skipped with a message when it is not installed;
``--peers --install`` pip-installs it first; ``--scale`` adds the Dask engine at 1e9 scenarios, a few
minutes more, with ``--quick`` at 1e8).
"""

from __future__ import annotations

import platform
import sys
import time

from _common import ensure_importable, header, table

installed = ensure_importable()

import bench_cli  # noqa: E402
import bench_core  # noqa: E402
import bench_specs  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    import numpy, os, pint, pydantic  # noqa: E401

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; numpy {numpy.__version__}, "
          f"pint {pint.__version__}, pydantic {pydantic.__version__}; computescale "
          f"{'importable as installed/PYTHONPATH' if installed else 'from src/ (added to sys.path)'}")
    sizes = tuple(s for s in bench_core.SIZES if s <= 10**6) if "--quick" in sys.argv else bench_core.SIZES
    rows = []
    rows += bench_core.main(sizes)
    rows += bench_cli.main()
    rows += bench_specs.main()
    if "--peers" in sys.argv:  # optional: needs llm-analysis, which is not a dependency
        import bench_peers

        rows += bench_peers.main([a for a in sys.argv[1:] if a in ("--install", "--quick")])
    if "--scale" in sys.argv:  # minutes on 2 cores; needs computescale[scale]
        import bench_scale

        rows += bench_scale.main(quick="--quick" in sys.argv)
    print(header("summary: targets vs measured (printed, not asserted)"))
    print(table(rows, ["target", "measured", "target", "status"], "lrrl"))
    print(f"\nall benchmarks: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
