"""The CLI through its real entry point (the installed console script, or python -m)."""

import json

import pytest



def test_every_command_has_help_with_an_example(cli):
    from computescale.cli.main import build_parser

    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    assert subcommands
    for name in subcommands:
        out = cli(name, "--help").stdout
        assert "example" in out.lower(), f"{name} --help has no example"


def test_specs_table_lists_devices(cli, catalog):
    out = cli("specs").stdout
    for name in catalog.devices:
        assert name in out


def test_specs_json_matches_api(cli, catalog):
    rows = json.loads(cli("specs", "--json").stdout)
    assert {r["name"] for r in rows} == set(catalog.devices)
    for row in rows:
        device = catalog.devices[row["name"]]
        bf16 = device.peak("bf16")
        if bf16 is not None:
            assert row["bf16_dense"]["magnitude"] == pytest.approx(bf16.value.magnitude)


def test_specs_show_prints_sources_and_resolution(cli, catalog):
    name = next(iter(catalog.devices))
    device = catalog.devices[name]
    query = name.lower().replace(" ", "-")
    out = cli("specs", "show", query).stdout
    assert f"resolved: {query!r} -> {name} (by name)" in out
    assert "Sources:" in out
    for _, entry in device.entries():
        assert f"[{entry.source}]" in out


def test_specs_show_json(cli, catalog):
    name = next(iter(catalog.devices))
    data = json.loads(cli("specs", "show", name, "--json").stdout)
    assert data["resolved"] == name
    assert data["fields"] and all(f["source"] in data["sources"] for f in data["fields"])
    for f in data["fields"]:
        assert set(f["value"]) == {"magnitude", "units"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["specs", "show", "Nonexistent GPU 9000"], "unknown device 'Nonexistent GPU 9000'"),
        (["specs", "show"], "specs show needs a device NAME"),
        (["specs", "--specs", "/no/such/file.toml"], "/no/such/file.toml: no such file or folder"),
    ],
)
def test_errors_are_one_line_without_traceback(cli, args, message):
    proc = cli(*args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_user_specs_on_the_cli(cli, tmp_path):
    from pathlib import Path

    mini = Path(__file__).parent / "data" / "mini.toml"
    out = cli("specs", "show", "x1", "--specs", str(mini)).stdout
    assert "Test X1" in out and "100 TFLOP/s" in out


# ---- compare and claim --------------------------------------------------------------------------------
def test_claim_cli_answers_the_news_case(cli):
    out = cli("claim", "100k H100", "25k A100", "--factor", "20").stdout
    assert "resolved: 'H100' -> H100 SXM5 80GB; 'A100' -> A100 SXM4 40GB" in out
    assert "Like-for-like (BF16 dense): 12.7x -> overstated by 58%" in out
    assert "the claim implies each H100 SXM5 80GB = 5x one A100 SXM4 40GB" in out
    assert "Sources:" in out and "nvidia-h100-whitepaper-v104" in out


def test_claim_json_matches_api(cli):
    from computescale.compare import check_claim

    data = json.loads(cli("claim", "100k H100 = 20x 25k A100", "--json", "--tolerance", "0.3").stdout)
    api = check_claim("100k H100", "25k A100", 20, tolerance=0.3)
    assert data["primary"]["basis"] == api.primary.basis.key
    assert data["primary"]["ratio"] == pytest.approx(api.primary.basis.ratio)
    assert data["primary"]["verdict"] == api.primary.verdict
    assert data["holds_on"] == [v.basis.key for v in api.holding]
    assert data["implied_per_device_factor"] == pytest.approx(5.0)
    assert {v["basis"]: v["verdict"] for v in data["verdicts"]} == {v.basis.key: v.verdict for v in api.verdicts}
    assert all(sid in data["sources"] for sid in api.comparison.sources)


def test_compare_json_matches_api(cli):
    from computescale.compare import compare

    data = json.loads(cli("compare", "16k H100 + 8k A100", "colossus", "--json").stdout)
    api = compare("16k H100 + 8k A100", "colossus")
    for row, basis in zip(data["bases"], api.bases):
        assert row["key"] == basis.key
        if basis.available:
            assert row["ratio"] == pytest.approx(basis.ratio)
            assert set(row["a"]["value"]) == {"magnitude", "units"}
        else:
            assert row["ratio"] is None and row["missing"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["claim", "0 H100", "25k A100", "--factor", "20"], "must be positive"),
        (["claim", "100k H100", "25k A100", "--factor", "0"], "factor must be a finite number > 0"),
        (["claim", "100k H100", "25k A100"], "needs --factor"),
        (["claim", "100k H100 is twenty A100"], "cannot read the claim"),
        (["claim", "1k H100", "1k A1000", "--factor", "2"], "unknown device 'A1000'; did you mean"),
        (["claim", "1k H100", "1k A100", "--factor", "2", "--precision", "fp9"], "unknown precision 'fp9'"),
        (["compare", "2.5 H100", "A100"], "whole number of devices"),
        (["compare", "nan H100", "A100"], "whole positive number"),
    ],
)
def test_claim_compare_errors(cli, args, message):
    proc = cli(*args, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_claim_plot_writes_a_png(cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "claim.png"
    cli("claim", "100k H100", "25k A100", "--factor", "20", "--plot", str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["claim", "1k H100", "1k A100", "--factor", "abc"], "argument --factor: invalid float value: 'abc'"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_usage_errors_are_one_line(cli, args, message):
    proc = cli(*args, check=False)
    assert proc.returncode == 2 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
