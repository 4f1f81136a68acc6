"""The benchmark scripts still run against the current API, and their three implementations
(public API, raw NumPy, pint loop) agree. Smallest size only; no timing is asserted here."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench_modules():
    if not BENCH.is_dir():
        pytest.skip("benchmarks/ is not in this checkout")
    sys.path.insert(0, str(BENCH))
    try:
        import bench_core
        import bench_specs

        yield bench_core, bench_specs
    finally:
        sys.path.remove(str(BENCH))


def test_bench_core_smallest_size_agrees(bench_modules, capsys):
    bench_core, _ = bench_modules
    rows = bench_core.main(sizes=(1000,))
    out = capsys.readouterr().out
    assert "results agree" in out and "DISAGREE" not in out
    agree = [r for r in rows if "results agree" in r[0]]
    assert agree and agree[0][1] == "yes"


def test_bench_specs_runs(bench_modules, capsys):
    _, bench_specs = bench_modules
    bench_specs.main()
    assert "load_catalog()" in capsys.readouterr().out


def test_bench_peers_skips_without_llm_analysis(monkeypatch, capsys):
    """Without llm-analysis (not a dependency) the peers script prints how to install it and returns."""
    if not BENCH.is_dir():
        pytest.skip("benchmarks/ is not in this checkout")
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setitem(sys.modules, "llm_analysis", None)  # makes `import llm_analysis...` fail
    monkeypatch.setitem(sys.modules, "llm_analysis.analysis", None)
    import bench_peers

    assert bench_peers.main([]) == []
    out = capsys.readouterr().out
    assert "skipped" in out and "pip install llm-analysis" in out


def test_bench_inference_raw_formula_agrees_with_the_chain(monkeypatch):
    """The inference benchmark's raw-NumPy reference computes what the chain computes (a small grid): a
    benchmark against a formula that has drifted from the chain measures nothing."""
    if not BENCH.is_dir():
        pytest.skip("benchmarks/ is not in this checkout")
    monkeypatch.syspath_prepend(str(BENCH))
    import numpy as np

    import bench_inference
    import computescale as cs
    from computescale.inference import INFERENCE_MODEL

    grid = bench_inference.GRID | {"batch": "1:1024:5", "input_tokens": "128:32768:7"}
    sweep = cs.Sweep(estimator=INFERENCE_MODEL, model="llama-3.1-70b", outputs=["time_per_output_token"], **grid)
    ours = sweep.run().quantity("time_per_output_token").m_as("s").reshape(len(bench_inference.DEVICES), 5, 7)
    np.testing.assert_allclose(ours, bench_inference.raw(sweep), rtol=1e-12)
