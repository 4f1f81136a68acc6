"""The Dask engine and xarray datasets (issue 13): the same model, the same numbers, whatever the chunking.

Expected values come from the NumPy path (``Sweep.run``, ``monte_carlo_training``), which the other
test files check against published figures; here the claim under test is that the engines agree.
"""

import json
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import computescale as cs
from computescale.engines import dask_engine as engine, dask_montecarlo as engine_mc
from computescale.cli.main import main
from computescale.errors import InputError

_SCALE = ("dask", "dask.array", "distributed", "xarray", "zarr")


def _have_scale() -> bool:
    try:
        for m in _SCALE:
            __import__(m)
    except ImportError:
        return False
    return True


needs_scale = pytest.mark.skipif(not _have_scale(), reason="needs pip install 'computescale[scale]'")

# Categorical device and precision axes (A100 has no FP8: NaN scenarios), a reference cluster, costs.
GRID = dict(device="H100,B200,A100", precision="bf16,fp8", count="10k:200k:7", compute="1e24:1e27:4:log",
            mfu="0.3:0.5:3", rental_price="2,3", unit_price=30_000, lifetime=4)
# Compute and duration, no MFU: the implied-MFU path.
GRID_DURATION = dict(device="H100,A100", count="1k:100k:9:log", compute="1e25,2e25", duration="30:120:4")


@pytest.fixture(scope="module")
def grid():
    s = cs.Sweep(reference="25k A100", **GRID)
    return s, s.run()


@needs_scale
@pytest.mark.parametrize("chunks", [None, 50, {"count": 2, "mfu": 1}, (1, 2, 3, 4, 5, 2, 1, 1)])
def test_dask_equals_numpy_on_every_output_whatever_the_chunking(grid, chunks):
    s, r = grid
    ds = s.to_dask(chunks).compute(scheduler="sync")
    assert list(ds.data_vars) == list(s.outputs) and "ratio" in ds and "amortized_hardware_cost" in ds
    for k in s.outputs:
        np.testing.assert_array_equal(ds[k].values, r.outputs[k], err_msg=k)  # NaN where NaN, bit for bit


@needs_scale
def test_dask_equals_numpy_on_the_implied_mfu_path():
    s = cs.Sweep(**GRID_DURATION)
    r = s.run()
    ds = cs.sweep(engine="dask", chunks=7, **GRID_DURATION)
    assert ds["implied_mfu"].chunks is not None  # lazy: dask arrays until asked
    out = ds.compute(scheduler="sync")
    for k in s.outputs:
        np.testing.assert_array_equal(out[k].values, r.outputs[k], err_msg=k)
    with pytest.raises(InputError, match="engine='dask'"):
        cs.sweep(chunks=7, **GRID_DURATION)
    with pytest.raises(InputError, match="engine must be"):
        cs.sweep(engine="spark", **GRID_DURATION)


@needs_scale
def test_to_xarray_round_trip_selects_what_the_flat_result_selects(grid):
    _, r = grid
    ds = r.to_xarray()
    assert ds["time_to_train"].dims == ("device", "precision", "count", "compute", "mfu", "rental_price", "unit_price",
                                        "lifetime")
    where = dict(count=73_333, compute=1e25, mfu=0.4, rental_price=3, unit_price=30_000, lifetime=4)
    for k in r.outputs:
        for device, precision in (("B200", "fp8"), ("H100", "bf16"), ("A100", "fp8")):  # A100 FP8: NaN both ways
            flat = r.sel(device=device, precision=precision, **where).outputs[k]
            labelled = ds[k].sel(device=cs.load_catalog().device(device).name, precision=precision, **where).item()
            np.testing.assert_equal(labelled, float(flat), err_msg=k)
        assert cs.ureg.Quantity(1.0, ds[k].attrs["units"]).dimensionality == r[k].dimensionality  # units readable
    assumptions = json.loads(ds.attrs["assumptions"])
    assert {a["name"] for a in assumptions} >= {"pue", "electricity_price"}
    assert all(a["source"] is None or a["source"] in ds.attrs["sources"] for a in assumptions)
    assert any("ratio" in n for n in json.loads(ds.attrs["notes"]))


@needs_scale
def test_summary_without_the_grid_matches_the_numpy_summary():
    s = cs.Sweep(device="H100,B200,A100", precision="bf16,fp8", count="1k:1M:200", compute="1e24:1e27:40:log",
                 mfu="0.3:0.5:9", outputs=["time_to_train", "energy"])  # 432,000 scenarios, NaN for A100 FP8
    r, numpy_summary = s.run(), s.summary()
    dask_summary = engine.summary(s, chunks=30_000, scheduler="sync", quantiles=(5, 50, 95))
    for k in s.outputs:
        a, b = dask_summary.stats[k], numpy_summary.stats[k]
        assert (a["min"], a["max"], a["count"], a["nan"], a["argmin"], a["argmax"]) == \
               (b["min"], b["max"], b["count"], b["nan"], b["argmin"], b["argmax"])
        assert a["mean"] == pytest.approx(b["mean"], rel=1e-12)
        values = r.outputs[k][~np.isnan(r.outputs[k])]
        for q, v in zip((5, 50, 95), a["quantiles"].values()):  # merged from per-block percentiles
            assert abs(np.mean(values <= v) - q / 100) < 0.005, (k, q)
    exact = engine.summary(s, chunks=s.size, scheduler="sync").stats["energy"]["quantiles"]  # one block: exact
    assert list(exact.values()) == pytest.approx(list(np.nanpercentile(r.outputs["energy"], [5, 50, 95])), rel=1e-12)
    assert "p50" in str(dask_summary)


MC = dict(device="A100", count="25k±10%", duration=("90 day", "100 day"), mfu="normal(0.34, 0.01)",
          compute="2.15e25 FLOP", rental_price="2..3")


@needs_scale
def test_monte_carlo_same_seed_same_percentiles_whatever_the_chunking():
    n = 3 * engine_mc.SEED_BLOCK + 123
    runs = [cs.monte_carlo_training(samples=n, seed=7, engine="dask", chunks=c, scheduler="sync", keep_samples=True,
                                    **MC) for c in (1, 2 * engine_mc.SEED_BLOCK, None)]
    for other in runs[1:]:
        assert other.intervals == runs[0].intervals and other.thresholds == runs[0].thresholds
        for k in ("input:mfu", "input:duration", "time_to_train"):
            np.testing.assert_array_equal(getattr(other.samples[k], "m", other.samples[k]),
                                          getattr(runs[0].samples[k], "m", runs[0].samples[k]))
    numpy_mc = cs.monte_carlo_training(samples=n, seed=7, **MC)
    assert type(runs[0]) is type(numpy_mc) and runs[0].intervals.keys() == numpy_mc.intervals.keys()
    for k, iv in numpy_mc.intervals.items():  # other draws, the same distribution: within sampling error
        assert [q.m for q in runs[0].intervals[k].values()] == pytest.approx([q.m for q in iv.values()], rel=5e-3), k
    other_seed = cs.monte_carlo_training(samples=n, seed=8, engine="dask", scheduler="sync", **MC)
    assert other_seed.intervals["time_to_train"] != runs[0].intervals["time_to_train"]


@needs_scale
def test_monte_carlo_on_dask_checks_sampled_values_like_the_numpy_path():
    with pytest.raises(InputError, match="in a sampled scenario"):
        cs.monte_carlo_training(samples=200_000, engine="dask", scheduler="sync", device="A100", count=25_000,
                                compute=2e25, mfu="normal(0.9, 0.2)")
    with pytest.raises(InputError, match="samples must be"):
        cs.monte_carlo_training(samples=10**9, engine="dask", device="A100", count=1, compute=2e25, mfu="0.3..0.4")


@needs_scale
def test_only_plain_numbers_cross_process_boundaries(grid):
    s, _ = grid
    from computescale.training import TRAINING_MODEL

    blocks, _, _ = engine_mc._mc_setup(1000, 0, False, "A100", "25k±10%", cs.load_catalog(), {"compute": "2e25 FLOP",
                                    "duration": "90..100 day", "mfu": 0.4}, TRAINING_MODEL)
    for payload in (pickle.dumps(s.grid_model), pickle.dumps(blocks)):
        assert b"pint" not in payload and b"pydantic" not in payload


def test_without_the_extra_the_core_runs_and_the_engine_is_a_one_line_error(monkeypatch, capsys):
    for m in _SCALE:
        monkeypatch.setitem(sys.modules, m, None)  # import of m now raises ImportError
    r = cs.sweep(device="H100", count="10k,20k", compute=1e25, mfu=0.4)  # the NumPy engine needs none of them
    for call in (lambda: cs.sweep(device="H100", count="10k", compute=1e25, engine="dask"), r.to_xarray,
                 lambda: cs.monte_carlo_training(engine="dask", device="A100", count="25k±10%", compute=2e25)):
        with pytest.raises(InputError, match=r"pip install 'computescale\[scale\]'") as exc:
            call()
        assert "\n" not in str(exc.value)
    assert main(["sweep", "--device", "H100", "--count", "10k", "--flop", "1e25", "--engine", "dask"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "computescale[scale]" in err


def test_importing_computescale_imports_no_xarray_zarr_or_distributed():
    # (dask itself is imported by pint.compat when it is installed, not by computescale)
    code = "import sys, computescale; print(sorted(m for m in ('xarray', 'zarr', 'distributed') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@needs_scale
def test_cli_flags_of_the_dask_engine_need_it(capsys):
    assert main(["sweep", "--device", "H100", "--count", "10k", "--flop", "1e25", "--zarr", "x.zarr"]) == 2
    assert "--zarr needs --engine dask" in capsys.readouterr().err
    assert main(["train", "--flop", "2e25", "--cluster", "25k A100", "--mfu", "0.4", "--engine", "dask"]) == 2
    assert "uncertain value" in capsys.readouterr().err


# ---- one real cluster: two worker processes ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    engine.close_clients()
    client.close()
    cluster.close()


@needs_scale
def test_local_cluster_sweep_zarr_and_monte_carlo(dask_client, grid, tmp_path, capsys):
    import xarray as xr

    s, r = grid
    path = engine.to_zarr(s, tmp_path / "grid.zarr", chunks=200, scheduler=dask_client)
    back = xr.open_zarr(path)
    assert list(back["device"].values) == list(r.axis("device").values)
    for k in s.outputs:
        np.testing.assert_array_equal(back[k].values, r.outputs[k], err_msg=k)
    assert back[k].attrs["units"] == r.to_xarray()[k].attrs["units"]
    # by address, as on a multi-machine cluster; the CLI the same way
    address = dask_client.scheduler.address
    summary = engine.summary(s, chunks=200, scheduler=address)
    assert summary.stats["energy"]["max"] == s.summary().stats["energy"]["max"]
    args = ["train", "--flop", "2.15e25", "--cluster", "25k±10% A100", "--days", "90..100", "--samples", "150000",
            "--seed", "3", "--engine", "dask", "--scheduler", address, "--json"]
    assert main(args) == 0
    on_cluster = json.loads(capsys.readouterr().out)
    local = cs.monte_carlo_training(samples=150_000, seed=3, engine="dask", scheduler="sync", device="A100",
                                    count="25k±10%", compute="2.15e25", duration="90..100")
    assert on_cluster["intervals"]["time_to_train"]["p50"]["magnitude"] == local.intervals["time_to_train"]["p50"].m
    numpy_mc = cs.monte_carlo_training(samples=150_000, seed=3, device="A100", count="25k±10%", compute="2.15e25",
                                       duration="90..100")  # other draws: equal within sampling error
    for k, iv in numpy_mc.intervals.items():
        assert [on_cluster["intervals"][k][p]["magnitude"] for p in iv] == pytest.approx([q.m for q in iv.values()],
                                                                                          rel=5e-3), k
    flat = tmp_path / "flat.zarr"  # the NumPy result, labelled, through zarr: values, units, assumptions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr 3: consolidated metadata is outside the v3 spec
        r.to_xarray().to_zarr(flat)
    again = xr.open_zarr(flat)
    assert json.loads(again.attrs["assumptions"]) == json.loads(r.to_xarray().attrs["assumptions"])
    np.testing.assert_array_equal(again["energy"].values, r.outputs["energy"])
    out = tmp_path / "cli.zarr"
    assert main(["sweep", "--device", "H100,B200", "--count", "10k:100k:10", "--flop", "1e26", "--mfu", "0.3:0.5:5",
                 "--engine", "dask", "--scheduler", address, "--zarr", str(out), "--chunks", "20"]) == 0
    assert "wrote 100 scenarios" in capsys.readouterr().out
    assert xr.open_zarr(out)["time_to_train"].shape == (2, 10, 1, 5)
    with pytest.raises(InputError, match="already exists"):  # never overwritten
        engine.to_zarr(s, out)
