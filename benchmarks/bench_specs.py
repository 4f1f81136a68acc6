"""Spec loading and validation time, and unit-registry build time, inside one process.

* ``load_catalog()`` with its cache cleared (``computescale.data.specs._load.cache_clear()``): read every
  TOML file under ``specs/``, validate with pydantic, parse every quantity with pint. Split into
  TOML parsing alone and the rest (validation, quantity parsing, cross-checks).
* ``computescale.units._build_registry()``: the package's pint registry from ``units.txt``, next to
  pint's default registry (``pint.UnitRegistry()``) for scale.

Run: ``python benchmarks/bench_specs.py``.
"""

from __future__ import annotations


import os

from _common import ensure_importable, fmt_time, header, median_time, table, target_line

ensure_importable()

import pint  # noqa: E402

from computescale import units
from computescale.data import reader, specs  # noqa: E402


def load_cold():
    """Read and validate every file: the in-process memo cleared and the disk cache off."""
    specs._load.cache_clear()
    os.environ["COMPUTESCALE_NO_CACHE"] = "1"
    try:
        return specs.load_catalog()
    finally:
        del os.environ["COMPUTESCALE_NO_CACHE"]


def load_warm_disk():
    """A new process's first load: the in-process memo cleared, the disk cache warm."""
    specs._load.cache_clear()
    return specs.load_catalog()


def main() -> list[list[str]]:
    print(header("bench_specs: spec loading and registry build"))
    catalog = load_cold()
    files = specs._files([specs.builtin_specs_dir()])
    n_items = {k: len(getattr(catalog, k)) for k in ("sources", "devices", "clusters", "runs", "thresholds", "defaults")}
    print(f"{len(files)} TOML files: " + ", ".join(f"{v} {k}" for k, v in n_items.items()))

    t_load = median_time(load_cold, 9)
    load_warm_disk()
    t_disk = median_time(load_warm_disk, 9)
    t_toml = median_time(lambda: [reader._load_toml(f) for f in files], 9)
    specs._load.cache_clear()
    specs.load_catalog()
    t_cached = median_time(specs.load_catalog, 200)
    t_reg = median_time(units._build_registry, 7)
    t_default = median_time(pint.UnitRegistry, 3)
    rows = [
        ["load_catalog(), cache cleared", fmt_time(t_load), ""],
        ["  of which: TOML parsing (tomllib)", fmt_time(t_toml), f"{t_toml / t_load:.0%}"],
        ["  of which: validation, quantities, cross-checks", fmt_time(t_load - t_toml), f"{(t_load - t_toml) / t_load:.0%}"],
        ["load_catalog(), from the disk cache (a warm start)", fmt_time(t_disk), f"{t_disk / t_load:.0%} of cold"],
        ["load_catalog(), cached in the process", fmt_time(t_cached), ""],
        ["units._build_registry() (units.txt)", fmt_time(t_reg), ""],
        ["pint.UnitRegistry() (pint's default file, for scale)", fmt_time(t_default), f"{t_default / t_reg:.0f}x ours"],
    ]
    print(table(rows, ["step (median)", "time", "share"], "lrr"))
    specs._load.cache_clear()  # leave the process as it was: next use reloads
    return [
        target_line("spec load + validation (cold, no disk cache)", fmt_time(t_load), "(no target)", None),
        target_line("spec load from the disk cache (warm start)", fmt_time(t_disk), "(no target)", None),
        target_line("unit registry build", fmt_time(t_reg), "(no target)", None),
    ]


if __name__ == "__main__":
    main()
