"""Every bad input of issue 11, on the CLI and in the API: one readable line naming what was wrong.

The CLI runs in-process (``computescale.cli.main.main(argv)``): exit status 2, exactly one line on stderr,
no traceback, and the message names the input and what was wrong with it. The API raises a
:class:`~computescale.ComputescaleError` subclass with the same message.

The cases under "inputs read by the one model's modules" were strict xfails while those modules were
being rebuilt; each is fixed now and names the module that reads the input.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import computescale as cs
from computescale.cli.main import main
from computescale.cluster import Cluster, cluster, parse_count
from computescale.compare import check_claim, parse_claim
from computescale.errors import ComputescaleError, InputError, SpecFileError, UnitError, one_line
from computescale.units import parse_quantity

DATA = Path(__file__).parent / "data"
TRAIN = ["train", "--cluster", "10k H100", "--flop", "1e25"]
SWEEP = ["sweep", "--device", "H100", "--count", "10:100:3", "--flop", "1e25", "--mfu", "0.4"]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``computescale ARGV`` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def assert_one_line_error(argv: list[str], pattern: str) -> str:
    rc, _, err = run_cli(argv)
    assert rc == 2, f"exit {rc}, stderr {err!r}"
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("computescale") and "Traceback" not in err
    assert re.search(pattern, err), f"{pattern!r} not in {err!r}"
    return err


@pytest.fixture(scope="module")
def bad_specs(tmp_path_factory) -> Path:
    """Spec files: not UTF-8, a device twice in one file, one replacing a built-in device."""
    folder = tmp_path_factory.mktemp("specs")
    mini = (DATA / "mini.toml").read_text()
    device = mini[mini.index("[[device]]"):]
    (folder / "binary.toml").write_bytes(b"\xff\xfe[[device]]\x00\x81")
    (folder / "twice.toml").write_text(mini + "\n" + device)
    (folder / "h100.toml").write_text(mini.replace('name = "Test X1"', 'name = "H100 SXM5 80GB"').replace('aliases = ["X1"]', "aliases = []"))
    (folder / "again.toml").write_text(mini)  # Test X1 again, in another file of the same load
    return folder


# ---- the CLI: (argv, what the one line must say) ------------------------------------------------------------
CLI_CASES = [
    # a stray character in a quantity: the unit and what is wrong with it
    (TRAIN + ["--power", "700 W)"], r"power: '700 W\)': cannot read the unit 'W\)': unbalanced parentheses"),
    (TRAIN + ["--duration", "1 :"], r"duration: cannot read range '1 :'; write start:stop:num"),
    (TRAIN + ["--electricity-price", "1 USD/0"], r"electricity_price: '1 USD/0': cannot read the unit 'USD/0': it divides by zero"),
    (TRAIN + ["--power", "700 W;"], r"'W;': ';' is not part of a unit"),  # pint alone reads "W;" as W
    # a comma is a thousands separator in groups of three digits, nothing else
    (["train", "--cluster", "1,5 H100", "--flop", "1e25"], r"count in '1,5 H100': cannot read '1,5': a comma separates thousands in groups of three digits"),
    (["compare", "1,5 H100", "25k A100"], r"'1,5'.*comma separates thousands"),
    # overflow: never an 'inf' answer
    (TRAIN[:3] + ["--flop", "1e400"], r"compute: '1e400' is too large"),
    (TRAIN + ["--rental-price", "1e400"], r"rental_price: '1e400' is too large"),
    (TRAIN + ["--power", "1e300 EW"], r"power: 1e300 EW is too large: it overflows"),
    (["compare", "1" + "0" * 400 + " H100", "A100"], r"too large \(at most 9,007,199,254,740,992 devices\)"),
    (["claim", "10 H100 = " + "9" * 400 + "x 10 A100"], r"factor .* in the claim is too large"),
    (["claim", "100k H100", "25k A100", "--factor", "1.7976931348623157e308"], r"factor must be between"),  # found by test_fuzz
    (["claim", "100k H100", "25k A100", "--factor", "5e-324"], r"factor must be between"),  # found by test_fuzz
    # empty values
    (TRAIN + ["--precision", ""], r"--precision: empty value ''"),
    (SWEEP + ["--precision", ""], r"--precision: empty value ''"),
    (["claim", "10 H100", "10 A100", "--factor", "2", "--precision", " "], r"--precision: empty value ' '"),
    (["specs", "--specs", ""], r"--specs: empty value ''"),
    (["specs", "show"], r"specs show needs a device NAME"),
    # output files in a folder that does not exist
    (SWEEP + ["--plot", "/nonexistent-folder/days.png"], r"--plot '/nonexistent-folder/days.png': the folder '/nonexistent-folder' does not exist"),
    (SWEEP + ["--csv", "/nonexistent-folder/rows.csv"], r"--csv '/nonexistent-folder/rows.csv': the folder '/nonexistent-folder' does not exist"),
    (["claim", "10 H100", "10 A100", "--factor", "2", "--plot", "/nonexistent-folder/c.png"], r"the folder '/nonexistent-folder' does not exist"),
    (SWEEP + ["--csv", "/"], r"--csv '/' is a folder"),
    (["claim", "100k H100 = 20x 25k A100", "--plot", "/tmp/a\x00b.png"], r"--plot '/tmp/a\\x00b\.png': a file name cannot contain a NUL"),  # found by test_fuzz
    # control characters are shown escaped, so the line stays one line
    (["clusters", "\r"], r"unrecognized arguments: \\r "),
    (["compare", "10 H100", "A1\x0700"], r"unknown device(, cluster or run)? 'A1\\x0700'"),
    (["clusters", "a\u2028b"], r"unrecognized arguments: a\\u2028b "),
    (["train", "--cluster", "10k H100", "--flop", "1e25 FLOP\r\nfoo"], r"'\\r' is not part of a unit|\\r\\n"),
    (["compare", "10 H100", "\udcff"], r"unknown device(, cluster or run)? '\\udcff'"),  # undecodable bytes in argv
    (["specs", "show", "\x1b[31mH100"], r"\\x1b"),
]


@pytest.mark.parametrize("argv, pattern", CLI_CASES, ids=[" ".join(a)[:60] for a, _ in CLI_CASES])
def test_cli_bad_input_is_one_line(argv, pattern):
    assert_one_line_error(argv, pattern)


def test_cli_bad_spec_files(bad_specs):
    assert_one_line_error(["specs", "--specs", str(bad_specs / "binary.toml")], r"binary\.toml: not UTF-8 text \(byte 0xff at offset 0\)")
    assert_one_line_error(["specs", "--specs", str(bad_specs / "twice.toml")],
                          r"twice\.toml: device\[1\] \(Test X1\): device 'Test X1' is defined twice; first at .*twice\.toml: device\[0\]")
    assert_one_line_error(["specs", "--specs", str(DATA / "mini.toml"), "--specs", str(bad_specs / "again.toml")],
                          r"again\.toml: device\[0\] \(Test X1\): device 'Test X1' is defined twice; first at .*mini\.toml")


def test_cli_overriding_a_builtin_device_is_allowed_and_said(bad_specs):
    rc, out, err = run_cli(["specs", "show", "H100 SXM5 80GB", "--specs", str(bad_specs / "h100.toml")])
    assert rc == 0
    assert "100 TFLOP/s" in out  # the user's figure, not the datasheet's
    assert re.fullmatch(r"computescale: note: .*h100\.toml: device\[0\] \(H100 SXM5 80GB\) replaces the built-in device "
                        r"'H100 SXM5 80GB' \(.*\.toml\)\n", err)
    rc, out, err = run_cli(["specs", "show", "H100 SXM5 80GB", "--json", "--specs", str(bad_specs / "h100.toml")])
    assert rc == 0 and out.startswith("{") and "note:" in err  # the note never lands in the JSON


def test_cli_same_file_twice_is_one_file():
    rc, _, err = run_cli(["specs", "--specs", str(DATA / "mini.toml"), "--specs", str(DATA / "mini.toml")])
    assert (rc, err) == (0, "")


# ---- the API: (call, error class, what the message must say) ------------------------------------------------
API_CASES = [
    (lambda: parse_quantity("0)", "compute", default_unit="FLOP"), UnitError, r"'0\)': cannot read the unit '\)': unbalanced parentheses"),
    (lambda: parse_quantity("0:", "compute", default_unit="FLOP"), UnitError, r"':' is not part of a unit"),
    (lambda: parse_quantity("1 0/0", "compute"), UnitError, r"the unit '0/0': it divides by zero"),
    (lambda: parse_quantity("1 W)", "power", what="power"), UnitError, r"^power: '1 W\)'"),
    (lambda: parse_quantity("1,5 day", "time"), UnitError, r"cannot read '1,5': a comma separates thousands"),
    (lambda: parse_quantity("12,34,567 FLOP", "compute"), UnitError, r"comma separates thousands"),
    (lambda: parse_quantity("1__0 W", "power"), UnitError, r"cannot read the number '1__0'"),
    (lambda: parse_quantity("0 W**9^99999", "bandwidth"), UnitError, r"'W\*\*9\^99999': an exponent beyond"),  # found by test_fuzz
    (lambda: parse_quantity("1e400", "compute", default_unit="FLOP"), InputError, r"'1e400' is too large"),
    (lambda: parse_quantity(float("inf"), "dimensionless"), InputError, r"inf is infinite or beyond"),
    (lambda: parse_quantity(10**400, "dimensionless"), InputError, r"1000000.*\.\.\. is too large"),
    (lambda: parse_quantity(cs.Q_(1e300, "EFLOP"), "compute"), InputError, r"too large: it overflows a float .* in FLOP"),
    (lambda: parse_count("1,5"), InputError, r"cannot read '1,5': a comma separates thousands"),
    (lambda: parse_count("1,5k"), InputError, r"comma separates thousands"),
    (lambda: parse_count("9" * 400), InputError, r"too large"),
    (lambda: parse_count(5), InputError, r"count must be text"),
    (lambda: cluster("1,5 H100"), InputError, r"count in '1,5 H100': cannot read '1,5'"),
    (lambda: Cluster.of("H100", 10**400), InputError, r"count is too large \(at most 9,007,199,254,740,992 devices\)"),
    (lambda: Cluster.of("H100", 1e300), InputError, r"count is too large"),
    (lambda: Cluster.of("H100", [1, 10**400]), InputError, r"count is too large"),
    (lambda: parse_claim(None), InputError, r"a claim is text"),
    (lambda: parse_claim("10 H100 = " + "9" * 400 + "x 10 A100"), InputError, r"factor .* too large"),
    (lambda: check_claim("10 H100", "10 A100", 2, precision=""), InputError, r"precision is empty; give one of"),
    (lambda: check_claim("10 H100", "10 A100", 2, precision=5), InputError, r"precision must be text"),
    (lambda: check_claim("100k H100", "25k A100", 1.7976931348623157e308), InputError, r"factor must be between 1e-09 and 1e\+09"),  # found by test_fuzz
    (lambda: check_claim("100k H100", "25k A100", 5e-324), InputError, r"factor must be between .* got 4\.94066e-324"),  # found by test_fuzz
    (lambda: cs.load_catalog(""), SpecFileError, r"an empty path names no spec file or folder"),
    (lambda: cs.load_catalog(["a\x00b.toml"]), SpecFileError, r"cannot read"),
    (lambda: cs.load_catalog("x" * 300 + ".toml"), SpecFileError, r"cannot read \(File name too long\)"),
]


@pytest.mark.parametrize("call, error, pattern", API_CASES, ids=[f"api{i}" for i in range(len(API_CASES))])
def test_api_bad_input_raises_a_computescale_error(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_api_bad_spec_files(bad_specs):
    with pytest.raises(SpecFileError, match=r"binary\.toml: not UTF-8 text"):
        cs.load_catalog(bad_specs / "binary.toml")
    with pytest.raises(SpecFileError, match=r"twice\.toml: device\[1\].*defined twice; first at .*twice\.toml: device\[0\]"):
        cs.load_catalog(bad_specs / "twice.toml", builtin=False)
    catalog = cs.load_catalog(bad_specs / "h100.toml")
    assert catalog.device("H100 SXM5 80GB").peak("bf16").value.m_as("TFLOP/s") == 100
    assert len(catalog.overrides) == 1 and "replaces the built-in device 'H100 SXM5 80GB'" in catalog.overrides[0]
    assert cs.load_catalog().overrides == []


def test_plot_into_a_missing_folder_is_an_input_error(tmp_path):
    pytest.importorskip("matplotlib")
    from computescale.plot import plot_claim

    check = check_claim("100k H100", "25k A100", 20)
    with pytest.raises(InputError, match=r"plot file '.*/missing/c\.png': cannot write it: the folder '.*/missing' does not exist"):
        plot_claim(check, tmp_path / "missing" / "c.png")


def test_one_line_escapes_what_breaks_a_line():
    assert one_line("plain, ünïcode ×") == "plain, ünïcode ×"
    assert one_line("a\rb\nc\x00d\u2028e\udcff") == "a\\rb\\nc\\x00d\\u2028e\\udcff"


def test_valid_inputs_still_read():
    assert parse_quantity("25,000 GPU_hour", "device_time").m == 25_000
    assert parse_quantity("1,000,000.5 W", "power").m == 1_000_000.5
    assert parse_quantity("1_000 W", "power").m == 1000
    assert parse_count("25,000") == 25_000 and parse_count("1,500.5k") == 1_500_500
    assert Cluster.of("H100", 2**53).n_devices == 2**53
    assert check_claim("100k H100", "25k A100", 20, precision="BF16").primary.basis.key == "bf16.dense"


# ---- inputs read by the one model's modules (fixed there; each names the module that reads it) ---------------
def _lead(module: str):
    return ()  # was xfail(strict=True) until the one-model refactor fixed it in ``module``


LEAD_CLI_CASES = [
    pytest.param(TRAIN + ["--mfu", "lognormal(0.3, x)"], r"'x'", marks=_lead("uncertainty.py parse_uncertain"), id="lognormal-sigma-x"),
    pytest.param(TRAIN + ["--mfu", "0.3..0.4", "--seed", "-1"], r"seed.*-1", marks=_lead("uncertainty.py / cli_train.py seed"), id="seed-negative"),
    pytest.param(["claim", "100k H100", "25k±200% A100", "--factor", "20"], r"±200%|200%", marks=_lead("uncertainty.py parse_uncertain ±"), id="pm-200pct"),
    pytest.param(["sweep", "--device", "H100", "--count", "10k:100k:2.5", "--flop", "1e25"], r"'10k:100k:2\.5'.*whole|2\.5.*(whole|number of points)",
                 marks=_lead("sweep.py range parsing"), id="sweep-fractional-num"),
    pytest.param(SWEEP + ["--max-memory", "-1 GiB"], r"max.memory.*(positive|> ?0)", marks=_lead("sweep.py max_memory"), id="max-memory-negative"),
]


@pytest.mark.parametrize("argv, pattern", LEAD_CLI_CASES)
def test_lead_cli_bad_input_is_one_line(argv, pattern):
    assert_one_line_error(argv, pattern)


def _mc(**kw):
    return cs.monte_carlo_training(device="H100", count="10k", compute="1e25", mfu="0.3..0.4", samples=10, **kw)


def _train_precision_empty():
    est = cs.estimate_training(compute="1e25", cluster="10k H100", precision="")
    return est  # today: BF16, silently


def _sweep_max_memory_negative():
    from computescale.engines.sweep import Sweep

    return Sweep([("device", "H100"), ("count", "10"), ("compute", "1e25")], max_memory="-1 GiB").summary()


def _to_csv_missing_folder():
    return cs.sweep(device="H100", count="10:100:3", compute=1e25, mfu=0.4).to_csv("/nonexistent-folder/rows.csv")


LEAD_API_CASES = [
    pytest.param(lambda: cs.parse_uncertain("lognormal(1, a)"), r"'a'", marks=_lead("uncertainty.py parse_uncertain"), id="lognormal-a"),
    pytest.param(lambda: cs.parse_uncertain("lognormal(1, 40%)"), r"40%", marks=_lead("uncertainty.py parse_uncertain"), id="lognormal-pct"),
    pytest.param(lambda: cs.parse_uncertain("0.5..0.3"), r"backwards|low.*high", marks=_lead("uncertainty.py parse_uncertain"), id="range-backwards"),
    pytest.param(lambda: _mc(pue="1±1.7976931348623157e308"), r"pue", marks=_lead("uncertainty.py Uniform.sample / parse_uncertain ±"),
                 id="pm-range-overflows"),  # found by test_fuzz: OverflowError from numpy
    pytest.param(lambda: _mc(pue="0..-0"), r"pue", marks=_lead("uncertainty.py Uniform._bounds"), id="range-zero-to-minus-zero"),  # found by test_fuzz
    pytest.param(lambda: _mc(seed="abc"), r"seed", marks=_lead("uncertainty.py monte_carlo_training seed"), id="seed-text"),
    pytest.param(lambda: _mc(seed=-1), r"seed", marks=_lead("uncertainty.py monte_carlo_training seed"), id="seed-negative"),
    pytest.param(_train_precision_empty, r"precision", marks=_lead("training.py _default_precision"), id="train-precision-empty"),
    pytest.param(_sweep_max_memory_negative, r"max.memory.*(positive|> ?0)", marks=_lead("sweep.py max_memory"), id="sweep-max-memory-negative"),
    pytest.param(_to_csv_missing_folder, r"folder .* does not exist", marks=_lead("sweep.py SweepResult.to_csv"), id="to-csv-missing-folder"),
]


@pytest.mark.parametrize("call, pattern", LEAD_API_CASES)
def test_lead_api_bad_input_raises_a_computescale_error(call, pattern):
    with pytest.raises(ComputescaleError, match=pattern):
        call()


def test_comma_list_in_train_is_grid_values_not_a_decimal_comma(capsys):
    # One syntax in every command: "1,5 day" is the grid 1 day and 5 days (two rows, labelled), never 15 days.
    from computescale.cli.main import main

    assert main(["train", "--cluster", "10k H100", "--duration", "1,5 day", "--mfu", "0.4"]) == 0
    out = capsys.readouterr().out
    assert "2 grid points over duration (2)" in out
    assert [ln.split()[0] for ln in out.splitlines() if ln.strip()[:2] in ("1 ", "5 ")] == ["1", "5"]


def test_a_plot_that_cannot_be_written_leaves_no_open_figure(tmp_path):
    """Found by test_fuzz: every refused --plot used to keep its figure open in pyplot."""
    plt = pytest.importorskip("matplotlib.pyplot")
    from computescale.plot import plot_claim

    check = check_claim("100k H100", "25k A100", 20)
    before = len(plt.get_fignums())
    for path in (tmp_path / "claim.txt", tmp_path / "missing" / "claim.png"):
        with pytest.raises(InputError):
            plot_claim(check, path)
    assert len(plt.get_fignums()) == before


def test_a_minus_zero_spread_is_zero():
    """Found by test_fuzz: normal(m, -0) reached numpy as a negative scale; -0 is 0, a constant input."""
    mc = cs.monte_carlo_training(device="H100", count="10k", compute="1e25", mfu=0.4, pue="normal(1.2, -0)", samples=10)
    fixed = cs.estimate_training(compute="1e25", cluster="10k H100", mfu=0.4, pue=1.2)
    assert mc.interval("energy")[1].m_as("MWh") == pytest.approx(fixed.energy.m_as("MWh"), rel=1e-12)


def test_check_text_file_name_with_a_nul_is_one_line():
    """Found by the big fuzz run: check-text opened the path unchecked (ValueError: embedded null byte)."""
    assert_one_line_error(["check-text", "a\x00b"], r"cannot read .*NUL")


def test_a_huge_lognormal_sigma_is_one_line():
    """lognormal(0.3, 1000) overflows exp() to inf: refused by mfu's range check, with no warning on stderr."""
    assert_one_line_error(["train", "--cluster", "10k H100", "--flop", "1e25", "--mfu", "lognormal(0.3, 1000)"], r"mfu must be")
