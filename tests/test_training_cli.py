"""``computescale train``, ``runs`` and ``clusters`` through the real entry point, checked against the API."""

import json

import pytest

from computescale.training import estimate_training


def test_train_run_json_matches_api(cli, catalog):
    data = json.loads(cli("train", "--run", "gpt-4", "--json").stdout)
    est = estimate_training(run="gpt-4", catalog=catalog)
    for key in ("compute", "time_to_train", "implied_mfu", "energy", "emissions", "device_time"):
        q = getattr(est, key)
        assert data["results"][key]["magnitude"] == pytest.approx(q.magnitude), key
        assert data["results"][key]["units"] == f"{q.units:~}"
    assert data["costs"]["electricity_cost"]["magnitude"] == pytest.approx(est.electricity_cost.m_as("USD"))
    assert data["costs"]["rental_cost"]["magnitude"] == pytest.approx(est.rental_cost.m_as("USD"))
    assert {t["id"] for t in data["thresholds"]} == set(catalog.thresholds)
    for a in data["assumptions"]:
        if a["source"]:
            for sid in a["source"].split(", "):
                assert sid in data["sources"]


def test_train_flop_cluster_mfu_text(cli):
    out = cli("train", "--flop", "2.15e25", "--cluster", "100k H100", "--mfu", "0.34").stdout
    assert "100,000 × H100 SXM5 80GB" in out
    assert "7.397 d" in out  # 2.15e25 / (1e5 x 989.4e12 x 0.34) s
    assert "Costs (separate answers, not summed)" in out
    assert "google-environmental-report-2024" in out and "Sources:" in out
    assert "revoked" in out


def test_train_params_tokens(cli, catalog):
    data = json.loads(cli("train", "--params", "405e9", "--tokens", "15.6e12", "--cluster", "16k H100", "--json").stdout)
    assert data["results"]["compute"]["magnitude"] == pytest.approx(6 * 405e9 * 15.6e12)
    assert data["compute_basis"].startswith("6·N·D")
    mfu = next(a for a in data["assumptions"] if a["name"] == "mfu")
    assert mfu["source"] == catalog.default("mfu").source


def test_train_days_list_and_implied_mfu(cli):
    data = json.loads(cli("train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "90,95,100", "--json").stdout)
    mfu = data["results"]["implied_mfu"]["magnitude"]
    assert len(mfu) == 3 and 0.31 < mfu[2] < mfu[0] < 0.36


def test_train_days_without_compute_gives_reachable_compute(cli):
    data = json.loads(cli("train", "--cluster", "100k H100", "--days", "95", "--mfu", "0.4", "--json").stdout)
    assert data["results"]["compute"]["magnitude"] == pytest.approx(95 * 86400 * 1e5 * 989.4e12 * 0.4)


def test_train_energy_options(cli):
    data = json.loads(cli("train", "--run", "bloom", "--pue", "1", "--overhead", "1", "--json").stdout)
    assert data["results"]["energy"]["magnitude"] == pytest.approx(433.196)
    data = json.loads(cli("train", "--run", "llama 3.1 405b", "--lifetime", "4", "--rental-price", "2",
                          "--electricity-price", "0.1", "--carbon-intensity", "0.4", "--power-fraction", "0.8", "--json").stdout)
    assert data["costs"]["rental_cost"]["magnitude"] == pytest.approx(2 * 30.84e6)
    assert data["costs"]["amortized_hardware_cost"]["magnitude"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--flop", "2.15e25", "--cluster", "25k A100", "--mfu", "1.2"], "mfu must be a fraction in (0, 1]"),
        (["train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "0"], "duration must be a positive"),
        (["train", "--flop", "2.15e25", "--cluster", "25k A100", "--pue", "0.8"], "pue must be a ratio >= 1"),
        (["train", "--flop", "2.15e25", "--cluster", "25k A100", "--electricity-price", "-1"], "electricity_price must be a finite value >= 0"),
        (["train", "--run", "gpt-5"], "unknown run 'gpt-5'; did you mean"),
        (["train", "--flop", "2.15e25", "--cluster", "25k Z100"], "unknown device 'Z100'"),
        (["train", "--flop", "2.15e25", "--cluster", "25k A100", "--mfu", "abc"], "mfu: cannot read 'abc'"),
        (["train", "--flop", "5 kWh"], "compute: expected compute"),
        (["runs", "show", "nothing-like-it"], "unknown run 'nothing-like-it'"),
        (["runs", "show"], "runs show needs a run NAME"),
    ],
)
def test_train_errors_are_one_line(cli, args, message):
    proc = cli(*args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_runs_lists_every_run(cli, catalog):
    out = cli("runs").stdout
    for name in catalog.runs:
        assert name in out
    rows = json.loads(cli("runs", "--json").stdout)
    assert {r["name"] for r in rows} == set(catalog.runs)
    gpt4 = next(r for r in rows if r["name"] == "GPT-4")
    assert gpt4["training_compute"]["value"]["magnitude"] == pytest.approx(2.15e25)
    assert gpt4["training_compute"]["confidence"] == "estimate"


def test_runs_show(cli, catalog):
    out = cli("runs", "show", "gpt-4").stdout
    r = catalog.run("gpt-4")[0]
    assert "resolved: 'gpt-4' -> GPT-4" in out
    assert r.training_compute.source in out and "Sources:" in out
    data = json.loads(cli("runs", "show", "grok-2", "--json").stdout)
    assert data["resolved"] == "Grok-2" and data["sources"]


def test_clusters_lists_every_cluster(cli, catalog):
    out = cli("clusters").stdout
    for name in catalog.clusters:
        assert name in out
    rows = json.loads(cli("clusters", "--json").stdout)
    colossus = next(r for r in rows if r["name"].startswith("xAI Colossus (2024)"))
    assert colossus["n_devices"] == 100_000
    assert colossus["bf16_dense"]["magnitude"] == pytest.approx(100_000 * 989.4e12)


# ---- ranges and distributions on the CLI (Monte Carlo) -------------------------------------------------------
def test_train_with_ranges_runs_monte_carlo(cli):
    import json

    from computescale.engines.montecarlo import monte_carlo_training

    data = json.loads(cli("train", "--flop", "2.15e25", "--cluster", "25k±10% A100", "--days", "90..100",
                          "--mfu", "0.32..0.36", "--samples", "20000", "--seed", "3", "--json").stdout)
    api = monte_carlo_training(compute=2.15e25, device="A100", count="25k±10%", duration="90..100",
                               mfu="0.32..0.36", samples=20_000, seed=3)
    lo, mid, hi = api.interval("time_to_train")
    got = data["intervals"]["time_to_train"]
    assert got["p5"]["magnitude"] == pytest.approx(lo.magnitude) and got["p95"]["magnitude"] == pytest.approx(hi.magnitude)
    assert lo < mid < hi


def test_claim_with_uncertain_count(cli):
    out = cli("claim", "100k H100", "25k±10% A100", "--factor", "20", "--samples", "20000").stdout
    assert "b count: uniform(22500.0, 27500.0)" in out and "share overstated: 1" in out


def test_bad_range_is_one_line(cli):
    proc = cli("train", "--flop", "2.15e25", "--cluster", "25k A100", "--days", "100..90", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_train_run_ranges_gives_the_interval_its_inputs_imply(cli):
    """GPT-4 (SemiAnalysis): 25k A100, 90-100 days, 32-36% MFU -> the compute those inputs reach."""
    data = json.loads(cli("train", "--run", "gpt-4", "--ranges", "--samples", "20000", "--json").stdout)
    iv = data["intervals"]["compute_in_duration"]
    lo, hi = iv["p5"]["magnitude"], iv["p95"]["magnitude"]
    # bounds of the inputs: 25000 x 312e12 x [0.32, 0.36] x [90, 100] days
    assert 25_000 * 312e12 * 0.32 * 90 * 86400 < lo < 2.15e25 < hi < 25_000 * 312e12 * 0.36 * 100 * 86400


def test_ranges_needs_a_run_with_ranges(cli):
    proc = cli("train", "--run", "gpt-3", "--ranges", check=False)
    assert proc.returncode == 2 and "publishes no ranges" in proc.stderr
    proc = cli("train", "--flop", "1e25", "--cluster", "1k H100", "--ranges", check=False)
    assert proc.returncode == 2 and "need a run (e.g. --run gpt-4)" in proc.stderr
