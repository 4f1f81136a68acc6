"""Plots: files are written where matplotlib is installed; a clear error where it is not."""

import sys

import pytest

from computescale.compare import check_claim
from computescale.errors import InputError
from computescale.engines.sweep import sweep


def test_without_matplotlib_the_error_says_how_to_install(monkeypatch, tmp_path):
    from computescale.plot import plot_claim, plot_sweep

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = sweep(device="H100", count="10k,20k", compute=1e26, mfu=0.4)
    with pytest.raises(InputError, match=r"pip install 'computescale\[plot\]'"):
        plot_sweep(r, tmp_path / "x.png")
    with pytest.raises(InputError, match=r"computescale\[plot\]"):
        plot_claim(check_claim("100k H100", "25k A100", 20), tmp_path / "c.png")


def test_sweep_plot_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    from computescale.plot import plot_sweep

    r = sweep(device="H100,B200,A100", count="1k:200k:30:log", compute=1e26, mfu=0.4)
    png = plot_sweep(r, tmp_path / "days.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    svg = open(plot_sweep(r, tmp_path / "days.svg")).read()
    for text in ("cluster size [devices]", "time to train [day]", "MFU 40%", "B200", "computescale"):
        assert text in svg
    fig = plot_sweep(r)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and len(ax.get_lines()) == 3


def test_sweep_plot_refuses_too_many_lines_and_bad_names(tmp_path):
    pytest.importorskip("matplotlib")
    from computescale.plot import plot_sweep

    r = sweep(device="H100,B200", count="1k:2k:3", compute=1e26, mfu="0.1:0.9:9")
    with pytest.raises(InputError, match="too many"):
        plot_sweep(r, tmp_path / "x.png")
    with pytest.raises(InputError, match=".png"):
        plot_sweep(r.sel(mfu=0.1), tmp_path / "x.txt")


def test_claim_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from computescale.plot import plot_claim

    path = plot_claim(check_claim("100k H100", "25k A100", 20), tmp_path / "claim.svg")
    svg = open(path).read()
    assert "claimed 20x" in svg and "BF16 dense" in svg and "missing (not drawn)" in svg


def test_cli_sweep_plot(cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = cli("sweep", "--device", "H100,B200", "--count", "10k:200k:20", "--flop", "1e26", "--mfu", "0.4",
              "--plot", str(tmp_path / "d.png")).stdout
    assert "wrote plot" in out and (tmp_path / "d.png").stat().st_size > 10_000
