"""Cold start of the command line vs ``python -c "import numpy"``, and what the import time is made of.

Each command runs in a fresh interpreter (subprocess), 1 warm-up (disk cache) then 7 timed runs interleaved across the commands;
medians. The ``computescale`` console script next to ``sys.executable`` is used when installed;
otherwise ``python -m computescale`` (with ``src/`` on PYTHONPATH), and the table says which.

Run: ``python benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, ensure_importable, header, subprocess_env, table, target_line

ensure_importable()

RUNS = 7
MAX_CLI_OVER_NUMPY = 2.5  # issue 12: every command that reads the spec tables; stretch 2x
STRETCH_CLI_OVER_NUMPY = 2.0
#: Peers' cold start measured on this kind of machine (issue 12); bench_peers.py re-measures llm-analysis.
PEERS_MS = {"ftune estimate (typer)": 258, "python -m llm_analysis.analysis (fire)": 427}


def cli_prefix() -> tuple[list[str], str]:
    script = Path(sys.executable).parent / "computescale"
    if script.exists():
        return [str(script)], "computescale (console script)"
    return [sys.executable, "-m", "computescale"], "python -m computescale (console script not installed)"


def walls(cmds: list[list[str]], env, runs: int = RUNS, cwd=None) -> list[tuple[float, int, str, float, float]]:
    """(median, exit, last stderr line, min, max) wall time [s] of each command over ``runs`` fresh processes,
    after one warm-up each. Runs are interleaved (round-robin over the commands) so that background load
    drifts hit every command alike and the ratios stay fair.
    """
    cwd = REPO if cwd is None else cwd
    first = [subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True) for cmd in cmds]
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=cwd, capture_output=True)
            times[i].append(time.perf_counter() - t0)
    return [(statistics.median(t), p.returncode, (p.stderr.strip().splitlines() or [""])[-1], min(t), max(t))
            for t, p in zip(times, first)]


def importtime(module: str, env, top: int = 10):
    """``python -X importtime -c "import <module>"``: (the top modules by cumulative time, total [s])."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], env=env, cwd=REPO,
                          capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)", line)
        if m:
            self_us, cum_us, indent, name = int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)
            rows.append((cum_us, self_us, (indent - 1) // 2, name))
    total = max((r[0] for r in rows if r[2] == 0 and r[3] == module.split(".")[0]), default=0)
    return sorted(rows, reverse=True)[:top], total / 1e6, rows


def main() -> list[list[str]]:
    print(header("bench_cli: cold start of the command line"))
    env = subprocess_env()
    env["OPENBLAS_NUM_THREADS"] = "1"  # OpenBLAS's thread pool start-up swings import numpy by ~50 ms with load
    prefix, label = cli_prefix()
    py = sys.executable
    cases = [
        ("python -c pass", [py, "-c", "pass"]),
        ("python -c \"import numpy\"  (baseline)", [py, "-c", "import numpy"]),
        ("python -c \"import pint\"", [py, "-c", "import pint"]),
        ("python -c \"import numpy, pint, pydantic\"  (the deps)", [py, "-c", "import numpy, pint, pydantic"]),
        ("python -c \"import computescale\"", [py, "-c", "import computescale"]),
        (f"{label.split(' (')[0]} claim \"100k H100\" \"25k A100\" --factor 20", prefix + ["claim", "100k H100", "25k A100", "--factor", "20"]),
        (f"{label.split(' (')[0]} specs", prefix + ["specs"]),
        (f"{label.split(' (')[0]} train --run gpt-4", prefix + ["train", "--run", "gpt-4"]),
        (f"{label.split(' (')[0]} compare \"100k H100\" \"25k A100\"", prefix + ["compare", "100k H100", "25k A100"]),
    ]
    print(f"CLI invoked as: {label}; {RUNS} runs each after a warm-up (the catalog cache is warm); medians; "
          "OPENBLAS_NUM_THREADS=1 on every command")
    results = {}
    rows = []
    for (name, cmd), (t, rc, err, _, _) in zip(cases, walls([c for _, c in cases], env)):
        results[name] = t
        rows.append([name, f"{t * 1e3:.0f} ms", rc if rc == 0 else f"{rc} ({err[:60]})"])
    base = results["python -c \"import numpy\"  (baseline)"]
    for r, (name, _) in zip(rows, cases):
        r.insert(2, f"{results[name] / base:.2f}x")
    print(table(rows, ["command", "wall (median)", "vs import numpy", "exit"], "lrrl"))

    print("\n-- python -X importtime -c \"import computescale\": top 10 by cumulative time")
    top, total, all_rows = importtime("computescale", env)
    trows = [["  " * depth + name, f"{cum / 1e3:.1f} ms", f"{self_ / 1e3:.1f} ms"] for cum, self_, depth, name in top]
    print(table(trows, ["module (indent = nesting)", "cumulative", "self"], "lrr"))
    by_root: dict[str, int] = {}
    for cum, self_, depth, name in all_rows:
        by_root[name.split(".")[0]] = by_root.get(name.split(".")[0], 0) + self_
    grand = sum(by_root.values())
    own = [(n, s) for c, s, d, n in all_rows if n.startswith("computescale")]
    print("\n-- the same run, self time summed by top-level package (what each package costs on its own)")
    prow = [[root, f"{us / 1e3:.1f} ms", f"{us / grand:.0%}"] for root, us in sorted(by_root.items(), key=lambda kv: -kv[1])[:10]]
    print(table(prow, ["package", "self time", "share"], "lrr"))
    print("  computescale's own modules (self): " + ", ".join(f"{n} {s / 1e3:.1f} ms" for n, s in sorted(own, key=lambda x: -x[1])[:5]))
    print("  (one -X importtime run; it adds overhead of its own: read the shares, not the totals)")

    targets = []
    for name, _ in cases[5:]:
        r = results[name] / base
        short = name.split(' ', 1)[1] if ' ' in name else name
        targets.append(target_line(f"CLI cold start: {short}", f"{r:.2f}x numpy ({results[name] * 1e3:.0f} ms)",
                                   f"≤ {MAX_CLI_OVER_NUMPY:g}x", r <= MAX_CLI_OVER_NUMPY))
        targets.append(target_line(f"  stretch: {short}", f"{r:.2f}x", f"≤ {STRETCH_CLI_OVER_NUMPY:g}x", r <= STRETCH_CLI_OVER_NUMPY))
    slowest = max(results[name] for name, _ in cases[5:]) * 1e3
    for peer, ms in PEERS_MS.items():
        targets.append(target_line(f"CLI slower command faster than {peer} ({ms} ms, issue 12 figure)", f"{slowest:.0f} ms",
                                   f"< {ms} ms", slowest < ms))
    cold = walls([prefix + ["claim", "100k H100", "25k A100", "--factor", "20"]], dict(env, COMPUTESCALE_NO_CACHE="1"))[0][0]
    targets.append(target_line("  claim with the catalog cache off (COMPUTESCALE_NO_CACHE=1)", f"{cold / base:.2f}x numpy ({cold * 1e3:.0f} ms)",
                               "(no target)", None))
    print("\n-- targets (printed, not asserted)")
    print(table(targets, ["target", "measured", "target", "status"], "lrrl"))
    return targets


if __name__ == "__main__":
    main()
