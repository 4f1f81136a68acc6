"""The catalog cache on disk: warm equals cold, never stale, off by one variable, harmless when broken."""

import os
import stat
import subprocess
import sys

import pytest

from computescale.data.specs import _load, load_catalog

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
    return sorted(d.glob("catalog-*.json")) if d.exists() else []


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
    entry.write_bytes(b"not an entry")
    _load.cache_clear()
    assert len(load_catalog().devices) > 20


def test_cli_warm_start_uses_the_cache(cache_in):
    env = dict(os.environ, COMPUTESCALE_CACHE_DIR=str(cache_in))
    cmd = [sys.executable, "-m", "computescale", "specs"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == second.returncode == 0 and first.stdout == second.stdout
    assert len(_entries(cache_in)) == 1


# ---- issue 22: the cache is data, checked, and never runs code -----------------------------------------------------
def test_a_value_altered_by_hand_in_the_cache_is_not_served(cache_in):
    load_catalog()
    (entry,) = _entries(cache_in)
    text = entry.read_bytes()
    assert b"989.4" in text  # H100 BF16 dense [TFLOP/s], as the datasheet gives it
    entry.write_bytes(text.replace(b"989.4", b"1989.4"))  # the digest in the first line no longer matches
    _load.cache_clear()
    assert load_catalog().device("H100").peak("bf16").value.m_as("TFLOP/s") == 989.4
    assert b"1989.4" not in entry.read_bytes()  # rebuilt and stored again


def test_a_planted_pickle_runs_no_code(cache_in, tmp_path):
    import pickle

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    load_catalog()
    (entry,) = _entries(cache_in)
    for name in (entry.name, entry.name.replace(".json", ".pickle")):  # where the old cache read pickles
        (cache_in / name).write_bytes(pickle.dumps(Payload()))
    _load.cache_clear()
    assert len(load_catalog().devices) > 20
    assert not marker.exists()


def test_decode_makes_only_spec_models():
    from computescale.data import cache

    with pytest.raises(ValueError):
        cache.decode({"$m": "Path", "set": [], "f": {}})
    with pytest.raises(ValueError):
        cache.decode({"$m": "__class__", "set": [], "f": {}})


def test_an_edited_specs_file_is_read_again_in_the_same_process(cache_in, tmp_path):
    mine = tmp_path / "mine.toml"
    text = (DATA / "mini.toml").read_text()
    mine.write_text(text)
    first = load_catalog(str(mine), builtin=False)
    assert first.device("X1").power.tdp.value.m_as("W") == 500
    mine.write_text(text.replace('tdp = { value = "500 W"', 'tdp = { value = "600 W"'))  # no cache_clear: one process
    second = load_catalog(str(mine), builtin=False)
    assert second.device("X1").power.tdp.value.m_as("W") == 600


def test_cache_does_not_import_the_package_init():
    """cache.py imported computescale.__init__ (for __version__), closing __init__ -> specs -> cache -> __init__."""
    import ast
    from pathlib import Path

    import computescale.data.cache as cache

    tree = ast.parse(Path(cache.__file__).read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module is None]
    assert all(alias.name not in ("__version__",) for n in imports for alias in n.names)
    assert "from . import __version__" not in Path(cache.__file__).read_text()


def test_concurrent_cold_starts_share_one_entry(cache_in):
    """Several processes starting at once on an empty cache: each succeeds, one complete entry remains."""
    env = dict(os.environ, COMPUTESCALE_CACHE_DIR=str(cache_in))
    cmd = [sys.executable, "-m", "computescale", "specs", "show", "H100", "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(6)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6 and len({o for o, _ in outs}) == 1
    (entry,) = _entries(cache_in)
    assert not [p for p in cache_in.iterdir() if p.name.endswith(".tmp")]
    _load.cache_clear()
    assert load_catalog().device("H100").peak("bf16").value.m_as("TFLOP/s") == 989.4
