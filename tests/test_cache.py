"""The catalog cache on disk: warm equals cold, never stale, off by one variable, harmless when broken."""

import os
import stat
import subprocess
import sys

import pytest

from computescale.specs import _load, load_catalog

from conftest import DATA


@pytest.fixture
def cache_in(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("COMPUTESCALE_CACHE_DIR", str(d))
    monkeypatch.delenv("COMPUTESCALE_NO_CACHE", raising=False)
    _load.cache_clear()
    yield d
    _load.cache_clear()


def _entries(d):
    return sorted(d.glob("catalog-*.pickle")) if d.exists() else []


def test_warm_load_equals_cold_load(cache_in):
    cold = load_catalog()
    assert len(_entries(cache_in)) == 1
    _load.cache_clear()
    warm = load_catalog()
    assert warm is not cold
    assert list(warm.devices) == list(cold.devices) and list(warm.runs) == list(cold.runs)
    for name, dev in cold.devices.items():
        assert warm.devices[name] == dev
    q = warm.device("H100").peak("bf16").value
    assert q.to("TFLOP/s").magnitude == 989.4  # quantities come back in computescale's registry
    assert warm.device("H100 SXM5 80GB").name == "H100 SXM5 80GB"  # the name index came back too


def test_a_changed_spec_file_is_never_served_stale(cache_in, tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text((DATA / "mini.toml").read_text())
    first = load_catalog(str(mine), builtin=False)
    _load.cache_clear()
    text = mine.read_text()
    mine.write_text(text.replace('name = "X1"', 'name = "X2"') if 'name = "X1"' in text else text + "\n# changed\n")
    second = load_catalog(str(mine), builtin=False)
    assert len(_entries(cache_in)) == 2
    if 'name = "X1"' in text:
        assert "X2" in second.devices and "X1" not in second.devices and "X1" in first.devices


def test_no_cache_variable_writes_nothing(cache_in, monkeypatch):
    monkeypatch.setenv("COMPUTESCALE_NO_CACHE", "1")
    load_catalog()
    assert _entries(cache_in) == []


def test_unwritable_or_corrupt_cache_is_harmless(cache_in):
    cache_in.mkdir()
    os.chmod(cache_in, stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert len(load_catalog().devices) > 20  # cannot write: built from the files, no error
    finally:
        os.chmod(cache_in, stat.S_IRWXU)
    _load.cache_clear()
    load_catalog()
    (entry,) = _entries(cache_in)
    entry.write_bytes(b"not a pickle")
    _load.cache_clear()
    assert len(load_catalog().devices) > 20


def test_cli_warm_start_uses_the_cache(cache_in):
    env = dict(os.environ, COMPUTESCALE_CACHE_DIR=str(cache_in))
    cmd = [sys.executable, "-m", "computescale", "specs"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == second.returncode == 0 and first.stdout == second.stdout
    assert len(_entries(cache_in)) == 1
