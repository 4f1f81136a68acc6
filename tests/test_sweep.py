"""Scenario sweeps: point-by-point equality with the scalar API, chunking, labelled export, bad input, CLI."""

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computescale.compare import compare
from computescale.errors import InputError, UnknownNameError
from computescale.engines.sweep import Sweep, parse_axis, sweep
from computescale.training import estimate_training

RTOL = 1e-12  # the sweep multiplies per-device figures; the scalar API divides cluster totals: last-bit differences


def _check_point(r, idx, device, count, compute, mfu, pue, price):
    est = estimate_training(compute=f"{compute} FLOP", cluster=f"{int(count)} {device}", mfu=mfu, pue=pue,
                            electricity_price=f"{price} USD/kWh")
    for name, attr in [("time_to_train", "time_to_train"), ("device_time", "device_time"), ("energy", "energy"),
                       ("electricity_cost", "electricity_cost"), ("emissions", "emissions")]:
        expected = getattr(est, attr).to(r[name].units).magnitude
        assert r[name].magnitude[idx] == pytest.approx(expected, rel=RTOL), name
    ratio = compare(f"{int(count)} {device}", "25k A100").ratio("bf16.dense")
    assert r.outputs["ratio"][idx] == pytest.approx(ratio, rel=RTOL)


@settings(max_examples=15, deadline=None)
@given(
    devices=st.lists(st.sampled_from(["H100", "B200", "A100", "MI300X"]), min_size=1, max_size=3, unique=True),
    counts=st.lists(st.integers(1, 300_000), min_size=1, max_size=4),
    computes=st.lists(st.floats(1e20, 1e28), min_size=1, max_size=3),
    mfus=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=3),
    pues=st.lists(st.floats(1.0, 2.0), min_size=1, max_size=2),
    prices=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=2),
    chunk=st.sampled_from([1, 3, 7, 1 << 18]),
    seed=st.integers(0, 2**16),
)
def test_sweep_equals_scalar_api_point_by_point(devices, counts, computes, mfus, pues, prices, chunk, seed):
    r = Sweep(device=devices, count=counts, compute=computes, mfu=mfus, pue=pues, electricity_price=prices,
              reference="25k A100", chunk_size=chunk).run()
    assert r.shape == (len(devices), len(counts), len(computes), len(mfus), len(pues), len(prices))
    rng = np.random.default_rng(seed)
    for _ in range(3):  # a few random points of the grid against the scalar API
        idx = tuple(int(rng.integers(n)) for n in r.shape)
        d, n, c, m, p, e = (a.values[i] for a, i in zip(r.axes, idx))
        _check_point(r, idx, d, n, c, m, p, e)


def test_chunked_equals_unchunked_and_summary():
    kw = dict(device="H100,B200,A100", count="1k:100k:37", compute="1e24:1e26:5:log", mfu="0.3:0.5:3", duration=None)
    full = Sweep(**kw).run()
    for chunk in (1, 5, 100, 1000):
        part = Sweep(**kw, chunk_size=chunk).run()
        for k in full.outputs:
            np.testing.assert_array_equal(part.outputs[k], full.outputs[k])
    s = Sweep(**kw, chunk_size=17).summary()
    for k, v in full.outputs.items():
        assert s.stats[k]["min"] == v.min() and s.stats[k]["max"] == v.max()
        assert s.stats[k]["mean"] == pytest.approx(v.mean(), rel=1e-12)
    where = s.stats["time_to_train"]["argmin"]
    assert where["device"] == "B200" and where["count"] == 100_000 and where["mfu"] == 0.5


def test_duration_axis_matches_training():
    r = sweep(device="A100", count=25_000, days="90:100:3", mfu=0.34)
    est = estimate_training(cluster="25000 A100", duration="95 day", mfu=0.34)
    assert r["compute_in_duration"].magnitude[0, 0, 1, 0] == pytest.approx(est.compute.m_as("FLOP"), rel=RTOL)
    assert r["energy"].magnitude[0, 0, 1, 0] == pytest.approx(est.energy.m_as("MWh"), rel=RTOL)


def test_compute_and_duration_give_implied_mfu_and_devices():
    r = sweep(device="A100", count=25_000, compute="2.15e25 FLOP", days=95, mfu=0.34)
    est = estimate_training(compute="2.15e25 FLOP", cluster="25000 A100", duration="95 day", mfu=0.34)
    assert float(r["implied_mfu"].magnitude.squeeze()) == pytest.approx(est.implied_mfu.m_as(""), rel=RTOL)
    assert float(r["devices_for_duration"].magnitude.squeeze()) == pytest.approx(est.devices_for_duration.m_as(""), rel=RTOL)


def test_missing_precision_is_nan_never_filled():
    r = sweep(device="H100,A100", precision="bf16,fp8", count=1000, compute=1e24, mfu=0.4)
    ttt = r["time_to_train"].magnitude
    assert np.isnan(ttt[1, 1]).all() and np.isfinite(ttt[0]).all() and np.isfinite(ttt[1, 0]).all()
    assert any("A100" in n and "FP8" in n for n in r.notes)


def test_labelled_exports():
    r = sweep(device="H100,B200", count="10k,20k", compute=1e26, mfu=0.4)
    rows = list(csv.DictReader(io.StringIO(r.to_csv())))
    assert len(rows) == 4 and rows[0]["device"] == "H100 SXM5 80GB" and rows[0]["count"] == "10000"
    assert float(rows[3]["time_to_train [day]"]) == r["time_to_train"].magnitude[1, 1, 0, 0]
    data = json.loads(r.to_json())
    assert data["shape"] == [2, 2, 1, 1] and data["outputs"]["energy"]["unit"] == "MWh"
    assert [a["name"] for a in data["axes"]] == ["device", "count", "compute", "mfu"]
    assert r["energy"].units == r["energy"].to("MWh").units
    sub = r.sel(device="B200", count=20_000)
    assert sub.shape == (1, 1) and sub.outputs["peak"].squeeze() == r.outputs["peak"][1, 1, 0, 0]


def test_to_pandas_needs_pandas(monkeypatch):
    r = sweep(device="H100", count="10k", compute=1e26, mfu=0.4)
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    with pytest.raises(InputError, match="pip install pandas"):
        r.to_pandas()


def test_streamed_csv_equals_full(tmp_path):
    s = Sweep(device="H100,B200", count="1k:50k:9", compute="1e25,1e26", mfu=0.4, chunk_size=5)
    path = s.to_csv(tmp_path / "s.csv")
    assert open(path).read() == s.run().to_csv()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(count=""), InputError, "empty value"),
    (dict(count="10k,,20k"), InputError, "empty value"),
    (dict(count=[]), InputError, "no values"),
    (dict(count="200k:10k:20"), InputError, "runs backwards"),
    (dict(count="10k:10k:5"), InputError, "step of zero"),
    (dict(count="10k:20k:0"), InputError, "num must be >= 1"),
    (dict(count="10k:20k:1"), InputError, "1 point"),
    (dict(count="10k:20k"), InputError, "start:stop:num"),
    (dict(count="1.5"), InputError, "whole"),
    (dict(mfu="0:1:3"), InputError, r"mfu must be a fraction in \(0, 1\]"),
    (dict(pue=0.9), InputError, "pue must be a ratio >= 1"),
    (dict(compute="1e26 W"), Exception, "expected compute"),
    (dict(compute=1e26, flop=1e25), InputError, "given twice"),
    (dict(mfuu=0.4), UnknownNameError, "did you mean 'mfu'"),
    (dict(device="H100,H100 SXM"), InputError, "same device twice"),
    (dict(precision="bf61"), UnknownNameError, "unknown precision"),
])
def test_bad_input_is_a_clear_error(kwargs, error, message):
    base = dict(device="H100", count="10k", compute=1e26, mfu=0.4)
    if "flop" in kwargs:
        base.pop("compute")
    with pytest.raises(error, match=message):
        Sweep({**base, **kwargs}).run()


def test_axis_named_twice_through_pairs():
    with pytest.raises(InputError, match="given twice"):
        Sweep([("device", "H100"), ("count", 10), ("count", 20)])


def test_too_big_without_chunking_is_refused_but_summary_works():
    s = Sweep(device="H100,B200", count="1:1M:1000", compute="1e20:1e28:1000:log", mfu="0.1:1:200")
    assert s.size == 400_000_000
    with pytest.raises(InputError, match=r"GiB in full.*summary"):
        s.run()
    small = Sweep(device="H100", count="1:100:100", compute=1e24, mfu=0.4, max_memory="1 kB")
    with pytest.raises(InputError, match="over the"):
        small.run()
    assert small.summary().stats["time_to_train"]["count"] == 100


def test_counts_in_a_range_are_rounded_and_said_so():
    a = parse_axis("count", "1:3:5")
    assert a.values.tolist() == [1, 2, 3] and "rounded to whole devices" in a.note and "duplicate" in a.note


def test_log_range_and_trailing_unit():
    assert parse_axis("compute", "1e24:1e26:3:log").values.tolist() == pytest.approx([1e24, 1e25, 1e26])
    assert parse_axis("duration", "48:72:2 hour").values.tolist() == [2.0, 3.0]
    assert parse_axis("electricity_price", "5,10 USD/MWh").values.tolist() == pytest.approx([0.005, 0.01])


# ---- CLI ---------------------------------------------------------------------------------------------------
def test_cli_sweep_json_matches_api(cli):
    out = cli("sweep", "--device", "H100,B200", "--count", "10k:200k:20", "--flop", "1e26", "--mfu", "0.4", "--json")
    data = json.loads(out.stdout)
    r = sweep(device="H100,B200", count="10k:200k:20", compute=1e26, mfu=0.4)
    assert data["shape"] == list(r.shape)
    assert np.allclose(np.array(data["outputs"]["time_to_train"]["values"], dtype=float), r.outputs["time_to_train"], rtol=0)


def test_cli_sweep_table_csv_and_summary(cli, tmp_path):
    out = cli("sweep", "--device", "H100", "--count", "25k,50k", "--days", "90", "--mfu", "0.4",
              "--csv", str(tmp_path / "x.csv")).stdout
    assert "compute_in_duration [FLOP]" in out and "25,000" in out and "wrote 2 rows" in out
    assert (tmp_path / "x.csv").read_text().startswith("device,count,duration [day],mfu,")
    out = cli("sweep", "--device", "H100,B200", "--count", "1k:1M:300", "--flop", "1e24:1e27:30:log", "--mfu", "0.3:0.5:5",
              "--summary").stdout
    assert "90,000 scenarios" in out and "min at" in out
    assert out.count("\r") == 0  # no progress bar when stderr is not a terminal


@pytest.mark.parametrize("args, message", [
    (["--count", "200k:10k:20"], "runs backwards"),
    (["--count", "10k:20k:0"], "num must be >= 1"),
    (["--count", ""], "empty value"),
    (["--count", "10k", "--precision", "fp9"], "unknown precision"),
    (["--count", "10k", "--flop", "1e26", "--days", "90", "--duration", "2000 hour"], "give one of them"),
    (["--count", "10k", "--flop", "1e26", "--mfu", "0.3..0.5"], "uncertain value"),
])
def test_cli_sweep_errors_are_one_line(cli, args, message):
    proc = cli("sweep", "--device", "H100", *args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_write_csv_keeps_what_fits_and_streams_the_rest(tmp_path):
    from computescale.engines.sweep import SweepResult, SweepSummary

    kw = dict(device="H100,B200", count="1k:50k:9", compute="1e25,1e26", mfu=0.4, chunk_size=5)
    kept = Sweep(**kw).write_csv(tmp_path / "kept.csv")
    streamed = Sweep(**kw, max_memory="1 kB").write_csv(tmp_path / "streamed.csv")
    assert isinstance(kept, SweepResult) and isinstance(streamed, SweepSummary)
    assert (tmp_path / "kept.csv").read_text() == (tmp_path / "streamed.csv").read_text()
    full = Sweep(**kw).summary()
    assert streamed.stats["energy"]["min"] == full.stats["energy"]["min"]
    assert streamed.stats["energy"]["argmax"] == full.stats["energy"]["argmax"]
