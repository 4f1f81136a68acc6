"""The Dask engine at scale (issue 13): a 1e9-scenario summary on a 2-worker LocalCluster against the
NumPy chunked ``Sweep.summary()`` on the same machine, and a grid too large for a flat in-memory result
(over the 1 GiB ``max_memory``) written to zarr.

Run: ``python benchmarks/bench_scale.py`` (about 3-5 minutes on 2 cores; ``--quick``: 1e8 and 3e7);
``python benchmarks/run_all.py --scale`` runs it after the others. Needs ``computescale[scale]``;
skipped with a message without it. Wall times are single runs (each is seconds to minutes long), so
they move with whatever else runs on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ensure_importable, header, subprocess_env, table

ensure_importable()

#: 2 devices x 500 counts x 1,000 compute values x 1,000 MFU values = 1e9 scenarios.
BIG = dict(device="H100,B200", count="10k:1M:500", compute="1e24:1e27:1000:log", mfu="0.3:0.5:1000")
#: 2 x 150 x 1,000 x 1,000 = 3e8 scenarios: 2.4 GB as one flat float64 output, over the 1 GiB default.
ZARR = dict(device="H100,B200", count="10k:1M:150", compute="1e24:1e27:1000:log", mfu="0.3:0.5:1000")
QUICK = {"count": "10k:1M:50"}  # 1e8 and (with 15 counts) 3e7


def _numpy_summary(axes: dict) -> dict:
    """Sweep.summary() in a fresh interpreter: wall time and its peak resident memory."""
    code = (
        "import json, resource, time, computescale as cs\n"
        f"s = cs.Sweep(outputs=['time_to_train'], **{axes!r})\n"
        "t = time.perf_counter(); r = s.summary(); t = time.perf_counter() - t\n"
        "st = r.stats['time_to_train']\n"
        "print(json.dumps({'wall_s': t, 'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'min': st['min'], 'mean': st['mean'], 'max': st['max']}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _worker_peak_rss_mib(client) -> list[float]:
    import resource

    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return sorted(peaks.values())


#: Worker environment that lets glibc keep freed temporaries (Dask's default pins its mmap threshold at
#: 128 KiB through MALLOC_TRIM_THRESHOLD_=65536; see computescale.engines.blocks.run_size).
TUNED_ENV = {"MALLOC_TRIM_THRESHOLD_": str(1 << 27), "MALLOC_MMAP_THRESHOLD_": str(1 << 26), "OMP_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _cluster(env: dict | None = None):
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ": env} if env else {}):
        cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                               memory_limit="4GiB")
    return cluster, Client(cluster)


def _dask_summary(axes: dict, quantiles, env: dict | None = None) -> dict:
    import computescale as cs
    from computescale.engines import dask_engine as engine

    cluster, client = _cluster(env)  # fresh workers: the peak memory is this run's
    try:
        s = cs.Sweep(outputs=["time_to_train"], **axes)
        t = time.perf_counter()
        r = engine.summary(s, scheduler=client, quantiles=quantiles)
        wall = time.perf_counter() - t
        st = r.stats["time_to_train"]
        return {"wall_s": wall, "peak_rss_mib": _worker_peak_rss_mib(client), "min": st["min"], "mean": st["mean"],
                "max": st["max"], "quantiles": st["quantiles"], "size": s.size}
    finally:
        client.close()
        cluster.close()


def _zarr(axes: dict) -> dict:
    import computescale as cs
    from computescale.engines import dask_engine as engine

    s = cs.Sweep(outputs=["time_to_train"], **axes)
    try:
        s.run()
        fits = True
    except cs.InputError:
        fits = False  # refused: over max_memory as a flat result
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    cluster, client = _cluster()
    try:
        t = time.perf_counter()
        path = engine.to_zarr(s, folder / "sweep.zarr", scheduler=client)
        wall = time.perf_counter() - t
        disk = sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
        return {"size": s.size, "flat_gib": s.full_nbytes / 2**30, "refused_flat": not fits, "wall_s": wall,
                "disk_gb": disk / 1e9, "peak_rss_mib": _worker_peak_rss_mib(client)}
    finally:
        client.close()
        cluster.close()
        shutil.rmtree(folder, ignore_errors=True)


def main(quick: bool = False) -> list[list[str]]:
    try:
        import dask, distributed, xarray, zarr  # noqa: F401, E401
    except ImportError as exc:
        print(header("scale: skipped") + f"\nneeds pip install 'computescale[scale]' (missing: {exc.name})")
        return [["Dask engine benchmark", "skipped", "", "needs computescale[scale]"]]
    big = BIG | (QUICK if quick else {})
    zarr_axes = ZARR | ({"count": "10k:1M:15"} if quick else {})
    print(header(f"scale: summary of time_to_train, 2-worker LocalCluster vs NumPy chunks ({os.cpu_count()} CPUs)"))
    load0 = os.getloadavg()
    base = _numpy_summary(big)
    plain = _dask_summary(big, ())
    tuned = _dask_summary(big, (), TUNED_ENV)
    with_q = _dask_summary(big, (5, 50, 95), TUNED_ENV)
    n = plain["size"]
    rows = [["NumPy Sweep.summary() (1 process)", f"{base['wall_s']:.1f} s", f"{n / base['wall_s'] / 1e6:.0f} M/s",
             f"peak RSS {base['peak_rss_mib']:.0f} MiB"],
            ["Dask summary, min/mean/max", f"{plain['wall_s']:.1f} s", f"{n / plain['wall_s'] / 1e6:.0f} M/s",
             "worker peak RSS " + " / ".join(f"{m:.0f}" for m in plain["peak_rss_mib"]) + " MiB"],
            ["Dask summary, min/mean/max, TUNED_ENV workers", f"{tuned['wall_s']:.1f} s",
             f"{n / tuned['wall_s'] / 1e6:.0f} M/s",
             "worker peak RSS " + " / ".join(f"{m:.0f}" for m in tuned["peak_rss_mib"]) + " MiB"],
            ["Dask summary + p5/p50/p95, TUNED_ENV workers", f"{with_q['wall_s']:.1f} s", f"{n / with_q['wall_s'] / 1e6:.0f} M/s",
             "worker peak RSS " + " / ".join(f"{m:.0f}" for m in with_q["peak_rss_mib"]) + " MiB"]]
    print(f"{n:,} scenarios; min / mean / max agree: "
          f"{plain['min'] == base['min'] and plain['max'] == base['max'] and abs(plain['mean'] / base['mean'] - 1) < 1e-9}")
    print(table(rows, ["path", "wall", "scenarios/s", "memory"], "lrrl"))
    print(f"quantiles (days): {with_q['quantiles']}")
    print(f"load average before / after: {load0} / {os.getloadavg()} (other processes share these {os.cpu_count()} CPUs)")
    z = _zarr(zarr_axes)
    print(header("scale: a grid over max_memory as a flat result, written to zarr by 2 workers"))
    print(f"{z['size']:,} scenarios x 1 output = {z['flat_gib']:.2f} GiB flat (Sweep.run refused: {z['refused_flat']}); "
          f"written in {z['wall_s']:.1f} s ({z['size'] / z['wall_s'] / 1e6:.0f} M scenarios/s), {z['disk_gb']:.2f} GB on "
          "disk; worker peak RSS " + " / ".join(f"{m:.0f}" for m in z["peak_rss_mib"]) + " MiB")
    return [[f"Dask summary of {n:.0e} scenarios, 2 workers", f"{plain['wall_s']:.1f} s", f"NumPy {base['wall_s']:.1f} s",
             "printed, not asserted"],
            [f"zarr write of {z['size']:.0e} scenarios", f"{z['wall_s']:.1f} s", f"{z['disk_gb']:.2f} GB on disk",
             "printed, not asserted"]]


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
