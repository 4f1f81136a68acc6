"""check-text reading time vs article size: does it read in linear time, whatever the line structure?

Three layouts of the same prose, each at 0.3, 1.25 and 5 MB: ordinary sentences with claims
(sentences end with ". "), one long line with no sentence break at all (the splitter's cap bounds the
work per sentence), and one claim per line with no full stops. Prints seconds, MB/s, and the time ratio
between successive sizes beside the size ratio (linear: the two agree). Nothing is asserted: speed is
measured here, not in tests.

Run: ``python benchmarks/bench_text.py`` (``--quick`` stops at 1.25 MB).
"""

from __future__ import annotations

import sys
import time

from _common import ensure_importable

ensure_importable()

from computescale import check_text  # noqa: E402

CLAIMS = ("The new facility houses 50,000 H200 accelerators. Its operator says it is roughly eight times the "
          "16,000 A100s the lab used last year. ")
#: About 1 KB of prose with no claim after every pair of claim sentences: a news article's density.
FILLER = ("Shares rose 3% on Monday while critics were unconvinced. The weather was mild and the board met twice "
          "to discuss the plan in detail. A spokesperson declined to comment on the schedule. ") * 6


def layouts(size: int) -> dict[str, str]:
    """The same prose three ways, ``size`` characters each."""
    unit = CLAIMS + FILLER
    reps = size // len(unit) + 1
    return {"sentences": (unit * reps)[:size],
            "one line, no breaks": (unit.replace(". ", " ") * reps)[:size],
            "lines, no full stops": (unit.replace(". ", "\n") * reps)[:size]}


def main(sizes=(300_000, 1_250_000, 5_000_000)) -> dict:
    check_text(CLAIMS)  # warm-up: the grammar compiles once per catalog
    results: dict[str, list[tuple[int, float, int]]] = {}
    for size in sizes:
        for name, text in layouts(size).items():
            t0 = time.perf_counter()
            n = len(check_text(text).claims)
            results.setdefault(name, []).append((size, time.perf_counter() - t0, n))
    for name, rows in results.items():
        print(f"\n{name}")
        print(f"  {'size':>10} {'seconds':>9} {'MB/s':>7} {'claims':>8} {'time ratio':>11} {'size ratio':>11}")
        for i, (size, s, n) in enumerate(rows):
            ratio = f"{s / rows[i - 1][1]:.2f}x" if i else "-"
            sratio = f"{size / rows[i - 1][0]:.2f}x" if i else "-"
            print(f"  {size / 1e6:>8.2f}MB {s:>9.2f} {size / 1e6 / s:>7.2f} {n:>8,} {ratio:>11} {sratio:>11}")
    return results


if __name__ == "__main__":
    main((300_000, 1_250_000) if "--quick" in sys.argv else (300_000, 1_250_000, 5_000_000))
