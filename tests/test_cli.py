"""The CLI through its real entry point (the installed console script, or python -m)."""

import json

import pytest

from computescale import load_catalog


def test_every_command_has_help_with_an_example(cli):
    from computescale.cli import build_parser

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
