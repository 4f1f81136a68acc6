"""Issue 22 (data loss, memory and size, silently wrong input, reading the output) and issue 20's
train-grid and Ctrl-C items. Each test failed on the code before the fix; the CLI runs in-process
(``main(argv)``) except the one real subprocess that sends Ctrl-C to a running sweep."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import computescale as cs
from computescale.cli.main import main

SWEEP = ["sweep", "--device", "H100", "--count", "10:100:10", "--flop", "1e25", "--mfu", "0.3,0.4"]
TRAIN = ["train", "--flop", "1e25", "--cluster", "100k H100"]


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def one_line_error(argv, pattern=""):
    import re

    rc, out, err = run_cli(argv)
    assert rc == 2, (rc, err)
    assert err.count("\n") == 1 and err.startswith("computescale: error:") and "Traceback" not in err, err
    assert re.search(pattern, err), err
    return err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---- data loss: output files --------------------------------------------------------------------------------------
def test_csv_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("precious\n")
    one_line_error(SWEEP + ["--csv", str(out)], r"already exists; pass --force")
    assert out.read_text() == "precious\n"
    rc, _, _ = run_cli(SWEEP + ["--csv", str(out), "--force"])
    assert rc == 0 and out.read_text().startswith("device,count")


def test_plot_refuses_to_overwrite_without_force(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "days.png"
    out.write_bytes(b"precious")
    one_line_error(SWEEP + ["--plot", str(out)], r"already exists; pass --force")
    one_line_error(["claim", "100k H100 = 20x 25k A100", "--plot", str(out)], r"already exists")
    assert out.read_bytes() == b"precious"
    assert run_cli(SWEEP + ["--plot", str(out), "--force"])[0] == 0
    assert out.read_bytes()[:4] == b"\x89PNG" and leftovers(tmp_path) == []


def _failing_rows(exc, after: int = 1):
    """A csv_rows that writes ``after`` blocks, then raises ``exc`` (Ctrl-C, a full disk)."""
    from computescale import csvrows

    real, calls = csvrows.csv_rows, []

    def rows(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise exc
        return real(*args, **kwargs)

    return rows


@pytest.mark.parametrize("exc, rc, pattern", [
    (KeyboardInterrupt(), 130, r"^computescale: interrupted\n$"),
    (OSError(errno.ENOSPC, "No space left on device"), 2, r"No space left on device.*unchanged"),
])
def test_an_interrupted_csv_leaves_the_old_file(tmp_path, monkeypatch, exc, rc, pattern):
    """Issue 22: a 1000-line file became a 41-byte header after a crash; a full disk gave a traceback."""
    import re

    from computescale import csvrows

    out = tmp_path / "rows.csv"
    out.write_text("old\n" * 1000)
    monkeypatch.setattr(csvrows, "csv_rows", _failing_rows(exc))
    big = ["sweep", "--device", "H100", "--count", "1:200k:2000", "--flop", "1e25", "--mfu", "0.3:0.5:200"]
    got, _, err = run_cli(big + ["--csv", str(out), "--force"])
    assert got == rc and re.search(pattern, err) and err.count("\n") == 1, err
    assert out.read_text() == "old\n" * 1000
    assert leftovers(tmp_path) == []  # no temporary file left behind


def test_csv_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(SWEEP + ["--csv", "-"])
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("count,mfu") or lines[0].startswith("device,") and len(lines) == 21
    assert not (tmp_path / "-").exists()
    one_line_error(SWEEP + ["--csv", "-", "--json"], r"standard output")
    one_line_error(SWEEP + ["--plot", "-"], r"--plot -")


def test_an_interrupted_zarr_store_is_refused(tmp_path):
    pytest.importorskip("zarr")
    pytest.importorskip("xarray")
    import zarr

    from computescale.engines import dask_engine as engine
    from computescale.errors import InputError
    from computescale.output import ZARR_COMPLETE, open_zarr

    s = cs.Sweep(device="H100", count="10:100:4", compute=1e25, mfu=0.4)
    path = engine.to_zarr(s, tmp_path / "ok.zarr")
    assert open_zarr(path)["time_to_train"].shape == (1, 4, 1, 1)
    del zarr.open_group(path, mode="r+").attrs[ZARR_COMPLETE]  # as a store interrupted before its last block
    with pytest.raises(InputError, match="incomplete"):
        open_zarr(path)


# ---- memory and size -----------------------------------------------------------------------------------------------
def test_a_train_grid_too_long_to_read_points_to_sweep():
    one_line_error(TRAIN + ["--mfu", "0.3:0.5:1000000"], r"1,000,000 rows .*computescale sweep.*--max-rows")
    assert run_cli(TRAIN + ["--mfu", "0.3:0.5:1001", "--max-rows", "2000"])[0] == 0
    one_line_error(TRAIN + ["--mfu", "0.3:0.5:100", "--pue", "1.1:1.3:20"], r"2,000 rows \(mfu: 100 values x pue: 20 values\)")


def test_a_grid_of_a_hundred_million_is_refused_within_seconds():
    started = time.monotonic()
    one_line_error(TRAIN + ["--mfu", "0.3:0.5:100000000"], r"100,000,000 rows")
    one_line_error(["sweep", "--device", "H100", "--count", "1:1M:1000000000", "--flop", "1e25", "--summary"], r"count: 1,000,000,000 values")
    assert time.monotonic() - started < 5


def test_sweep_csv_states_and_limits_its_size(tmp_path):
    huge = ["sweep", "--device", "H100", "--count", "1:1M:100000", "--flop", "1e25", "--mfu", "0.1:0.9:100000"]
    err = one_line_error(huge + ["--csv", str(tmp_path / "x.csv")], r"--csv would write about [\d.]+ TB, over the --max-output limit")
    assert not (tmp_path / "x.csv").exists() and leftovers(tmp_path) == []
    one_line_error(SWEEP + ["--csv", str(tmp_path / "y.csv"), "--max-output", "1 kB"], r"about [\d.]+ kB, over .* 1 kB")


def test_sweep_csv_streams_below_max_memory(tmp_path):
    """The CSV text was joined in memory below --max-memory (4.2M rows: 2.6 GB); now it is written block by block."""
    import tracemalloc

    result = cs.sweep(device="H100", count="1:200k:500", compute=1e25, mfu="0.3:0.5:400")  # 200,000 rows, ~37 MB of CSV
    tracemalloc.start()
    result.to_csv(tmp_path / "rows.csv")  # what Sweep.write_csv (sweep --csv) calls below --max-memory
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = (tmp_path / "rows.csv").stat().st_size
    assert size > 20e6 and peak < size / 2, (size, peak)  # bounded by one block, not the file


def test_sweep_json_respects_max_memory():
    one_line_error(["sweep", "--device", "H100", "--count", "1:10k:10000", "--flop", "1e25", "--mfu", "0.4", "--json",
                    "--max-memory", "1 MB"], r"--json of .* values needs about .* over the --max-memory limit")


# ---- silently wrong / bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [["--mfu", "1e-300"], ["--pue", "1e300"], ["--days", "1e300"]])
def test_results_that_overflow_are_refused(extra):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning either
        one_line_error(TRAIN + extra, r"overflow to infinity")


def test_active_params_larger_than_params_is_refused():
    one_line_error(["train", "--params", "1e9", "--active-params", "2e9", "--tokens", "1e12", "--cluster", "10k H100"],
                   r"active_params 2e9 is larger than params 1e9")


def test_negative_numbers_reach_validation():
    one_line_error(["train", "--flop", "-1e25", "--cluster", "10k H100"], r"compute must be a positive")
    one_line_error(["train", "--flop", "1e25", "--cluster", "10k H100", "--mfu", "-.5"], r"mfu must be")


def test_pint_dimensionality_error_is_a_unit_error():
    import pint

    with pytest.raises(cs.UnitError, match=r"Cannot convert from 'FLOP' \(\[compute\]\) to 'byte'"):
        cs.Q_("1 FLOP") + cs.Q_("1 byte")
    with pytest.raises(cs.UnitError):
        cs.Q_("1 FLOP").to("s")
    with pytest.raises(pint.DimensionalityError):  # still pint's error for code that catches that
        cs.Q_("1 GPU_hour") + cs.Q_("1 hour")
    other = pint.UnitRegistry()
    with pytest.raises(pint.DimensionalityError) as info:
        other.Quantity("1 m") + other.Quantity("1 s")
    assert not isinstance(info.value, cs.UnitError)  # other registries keep pint's behaviour


# ---- Ctrl-C ----------------------------------------------------------------------------------------------------------
def test_ctrl_c_in_any_command_is_one_line_exit_130(monkeypatch):
    from computescale.cli import main as cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "specs", interrupted)
    assert run_cli(["specs"]) == (130, "", "computescale: interrupted\n")


def test_ctrl_c_on_a_real_sweep_leaves_no_file(tmp_path):
    """The one real subprocess: SIGINT to a sweep writing a large CSV."""
    out = tmp_path / "rows.csv"
    cmd = [sys.executable, "-m", "computescale", "sweep", "--device", "H100,B200", "--count", "1:1M:10000", "--flop",
           "1e24:1e27:1000:log", "--mfu", "0.3:0.5:100", "--csv", str(out), "--max-output", "1 TB", "--max-memory", "64 MiB"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".part") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().endswith("computescale: interrupted") and "Traceback" not in stderr
    assert not out.exists() and leftovers(tmp_path) == []


# ---- reading the output ----------------------------------------------------------------------------------------------
def test_train_leads_with_the_answer_and_fits_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    rc, out, _ = run_cli(["train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "95"])
    assert rc == 0
    lines = out.splitlines()
    assert [ln.split(":")[0] for ln in lines[:6]] == ["compute", "time to train", "devices", "MFU", "energy", "cost"]
    assert "25,000 × A100" in lines[2] and "0.3358" in lines[3]
    too_wide = [ln for ln in lines if len(ln) > 100 and "http" not in ln]  # a URL is never broken
    assert too_wide == []
    assert out.index("Assumptions") < out.index("Sources:")
    verbose = run_cli(["train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "95", "--verbose"])[1]
    assert "Global Electricity Review" in verbose.replace("\n", " ") and len(verbose) > len(out)


def test_an_implied_mfu_above_one_is_the_first_line():
    out = run_cli(["train", "--flop", "2.15e25", "--cluster", "100 A100", "--days", "9"])[1]
    assert out.splitlines()[0].startswith("warning: the implied MFU exceeds 1")


def test_device_counts_print_with_thousands_separators():
    out = run_cli(["train", "--flop", "1e26", "--cluster", "H100", "--days", "90"])[1]
    assert "31,703 devices" in out and "3.17e+04" not in out
    mc = run_cli(["train", "--flop", "1e26", "--cluster", "H100", "--days", "90..100", "--samples", "500"])[1]
    row = next(ln for ln in mc.splitlines() if ln.startswith("devices_for_duration"))
    assert "e+04" not in row and "," in row


def test_device_time_has_one_name():
    out = run_cli(["train", "--flop", "1e25", "--cluster", "10k H100", "--mfu", "0.4"])[1]
    assert "device_hour" not in out and "GPU_hour" in out


def test_train_json_crosses_is_a_bool():
    import json

    doc = json.loads(run_cli(["train", "--flop", "2e25", "--cluster", "10k H100", "--mfu", "0.4", "--json"])[1])
    assert {type(t["crosses"]) for t in doc["thresholds"]} == {bool}


def test_a_plot_shows_every_device_with_the_legend_outside(tmp_path):
    pytest.importorskip("matplotlib")
    from computescale.plot import plot_sweep

    devices = "H100,H200,B200,B300,GB200,A100,MI300X,H800,V100"
    fig = plot_sweep(cs.sweep(device=devices, count="10k:200k:20", compute=1e26, mfu=0.4))
    (ax,) = fig.axes
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts()).replace("\n", " ")
    for name in ("H100", "H200", "H800", "B200", "B300", "GB200", "A100", "MI300X", "V100"):
        assert name in labels  # a line that would hide another is drawn once, with both names
    styles = {(ln.get_linestyle(), ln.get_marker()) for ln in ax.get_lines()}
    assert len(styles) == len(ax.get_lines())
    legend_box = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    assert legend_box.x0 >= ax.get_window_extent(fig.canvas.get_renderer()).x1  # outside the axes
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_a_single_count_plot_is_refused_with_a_reason(tmp_path):
    pytest.importorskip("matplotlib")
    one_line_error(["sweep", "--device", "H100,B200", "--count", "100k", "--flop", "1e26", "--mfu", "0.4", "--plot",
                    str(tmp_path / "p.png")], r"count has one value")
    assert not (tmp_path / "p.png").exists()


def test_an_interrupted_zarr_leaves_no_store_under_the_name_given(tmp_path, monkeypatch):
    pytest.importorskip("zarr")
    from computescale import output

    real = output.mark_zarr_complete

    def interrupted(path):  # every block written, Ctrl-C before the mark
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "mark_zarr_complete", interrupted)
    argv = ["sweep", "--device", "H100", "--count", "10:100:4", "--flop", "1e25", "--mfu", "0.4", "--engine", "dask",
            "--zarr", str(tmp_path / "out.zarr")]
    assert run_cli(argv) == (130, "", "computescale: interrupted\n")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(output, "mark_zarr_complete", real)
    assert run_cli(argv)[0] == 0
    assert output.open_zarr(tmp_path / "out.zarr")["time_to_train"].size == 4
