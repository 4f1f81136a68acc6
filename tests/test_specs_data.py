"""The spec data added for 2024-2026 (issue 9): vendor tables as printed, the conventions behind them
(sourced dates, price scope, measured power, per-device dense rules, vague cluster counts), names as
people type them, and the H100-equivalents basis.

Every expected number below is copied from the vendor document named in the case, in the unit and
with the sparse/dense convention the vendor prints; a figure NVIDIA prints only per board or rack is
checked against the board or rack total, not against the per-GPU value the spec file divides out.
"""

import math
import textwrap
from pathlib import Path

import pytest

from computescale import SpecFileError, UnknownNameError, cluster, compare, load_catalog
from computescale.compare import h100_equivalents, h100e_definition
from computescale.units import Q_

DATA = Path(__file__).parent / "data"


# ---- counts ----------------------------------------------------------------------------------------
def test_counts_of_devices_runs_clusters(catalog):
    assert len(catalog.devices) >= 30
    assert len(catalog.runs) >= 20
    assert len(catalog.clusters) >= 18


def test_cli_lists_every_device_run_and_cluster(cli, catalog, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # the content, not the layout: no cell wrapped to the terminal's width
    specs_out = cli("specs").stdout
    assert all(name in specs_out for name in catalog.devices)
    runs_out = cli("runs").stdout
    assert "aliases" in runs_out.splitlines()[0] and "deepseek-v3" in runs_out
    clusters_out = cli("clusters").stdout
    assert "aliases" in clusters_out.splitlines()[0] and "H100e" in clusters_out.splitlines()[0]
    assert "H100e = count × fastest dense tensor-float peak" in clusters_out
    assert "400,000–800,000 (range, low end used) × GB200" in clusters_out  # Stargate Abilene's range


# ---- vendor tables, as printed ------------------------------------------------------------------------
# (device, field, printed value, multiplier from per-device to the printed figure, document and table)
_HGX = "NVIDIA HGX page, Blackwell table, HGX B300 (8 GPUs)"
_BU = "NVIDIA Blackwell Ultra datasheet, Individual GPU Specifications"
_NVL = "NVIDIA GB300 NVL72 page (72 GPUs per rack)"
_ROCM = "AMD ROCm 10.0.0 MI350 Series microarchitecture, peak theoretical performance table"
PRINTED = [
    ("B300", "fp4.sparse", "144 PFLOP/s", 8, f"{_HGX}: 'FP4 Tensor Core 144 PFLOPS | 108 PFLOPS' (sparse | dense)"),
    ("B300", "fp4.dense", "108 PFLOP/s", 8, f"{_HGX}: 'FP4 Tensor Core 144 PFLOPS | 108 PFLOPS' (sparse | dense)"),
    ("B300", "fp4.sparse", "18 PFLOP/s", 1, f"{_BU}, HGX B300: 'FP4 18 | 14 PFLOPS'"),
    ("B300", "fp8.sparse", "72 PFLOP/s", 8, f"{_HGX}: 'FP8/FP6 Tensor Core 72 PFLOPS' (sparse; dense is 1/2)"),
    ("B300", "bf16.sparse", "36 PFLOP/s", 8, f"{_HGX}: 'FP16/BF16 36 PFLOPS' (sparse)"),
    ("B300", "int8.sparse", "307 TOPS", 1, f"{_BU}, HGX B300: 'INT8 307 TOPS'"),
    ("B300", "fp64.dense", "1.2 TFLOP/s", 1, f"{_BU}, HGX B300: 'FP64 1.2 TFLOPS'"),
    ("B300", "memory", "270 GB", 1, f"{_BU}, HGX B300: '270 GB HBM3E | 7.7 TB/s'"),
    ("B300", "power", "1100 W", 1, f"{_BU}, HGX B300: max TDP up to 1,100 W"),
    ("GB300", "fp4.sparse", "1440 PFLOP/s", 72, f"{_NVL}: 'FP4 Tensor Core 1,440 | 1,080 PFLOPS'"),
    ("GB300", "fp4.dense", "1080 PFLOP/s", 72, f"{_NVL}: '1,080' footnoted 'Without sparsity'"),
    ("GB300", "fp4.dense", "15 PFLOP/s", 1, f"{_BU}, GB300: 'FP4 20 | 15 PFLOPS'"),
    ("GB300", "fp8.sparse", "720 PFLOP/s", 72, f"{_NVL}: 'FP8/FP6 720 PFLOPS'"),
    ("GB300", "int8.sparse", "330 TOPS", 1, f"{_BU}, GB300: 'INT8 330 TOPS'"),
    ("GB300", "fp64.dense", "1.3 TFLOP/s", 1, f"{_BU}, GB300: 'FP64 1.3 TFLOPS'"),
    ("GB300", "memory", "279 GB", 1, f"{_BU}, GB300: '279 GB HBM3E | 8 TB/s'"),
    ("GB300", "power", "1400 W", 1, f"{_BU}, GB300: max TDP up to 1,400 W"),
    ("B200", "tf32.sparse", "18 PFLOP/s", 8, "NVIDIA HGX page, HGX B200: 'TF32 Tensor Core 18 PFLOPS' (sparse; dense 1.125 per GPU)"),
    ("H800 SXM5 80GB", "bf16.sparse", "1979 TFLOP/s", 1, "Qiangchuan H800 SXM table: 'BF16/FP16 1,979 TFLOPS*' (*with sparsity)"),
    ("H800 SXM5 80GB", "fp64.dense", "1 TFLOP/s", 1, "Qiangchuan H800 SXM table: 'FP64 1 TFLOPS'"),
    ("H800 SXM5 80GB", "scaleup_bandwidth", "400 GB/s", 1, "Qiangchuan H800 SXM page: NVLink '400 GB/s'"),
    ("H20", "memory_bandwidth", "4.0 TB/s", 1, "Baidu Baike H20 entry: 96GB HBM3, 4.0 TB/s"),
    ("H20", "scaleup_bandwidth", "900 GB/s", 1, "Baidu Baike H20 entry: NVLink 900 GB/s"),
    ("A800 40GB Active", "memory_bandwidth", "1555.2 GB/s", 1, "NVIDIA A800 40GB Active page: 1,555.2 GB/s"),
    ("A800 40GB Active", "scaleup_bandwidth", "400 GB/s", 1, "NVIDIA A800 40GB Active page: NVLink 400 GB/s"),
    ("MI355X", "fp8.dense", "5.0 PFLOP/s", 1, f"{_ROCM}: matrix OCP-FP8 5.0 PF"),
    ("MI355X", "fp8.sparse", "10 PFLOP/s", 1, f"{_ROCM}: OCP-FP8 with sparsity 10 PF"),
    ("MI355X", "bf16.dense", "2.5 PFLOP/s", 1, f"{_ROCM}: matrix BF16 2.5 PF"),
    ("MI355X", "fp4.dense", "10 PFLOP/s", 1, f"{_ROCM}: matrix MXFP4 10 PF"),
    ("MI355X", "fp64.dense", "78.6 TFLOP/s", 1, f"{_ROCM}: matrix and vector FP64 78.6 TF"),
    ("MI355X", "power", "1400 W", 1, "AMD MI355X product page: typical board power 1400W"),
    ("MI350X", "fp8.dense", "4.6 PFLOP/s", 1, f"{_ROCM}: matrix OCP-FP8 4.6 PF"),
    ("MI350X", "int8.sparse", "9.2 POPS", 1, f"{_ROCM}: INT8 with sparsity 9.2 POPs"),
    ("MI350X", "fp4.dense", "9.2 PFLOP/s", 1, f"{_ROCM}: matrix MXFP4 9.2 PF"),
    ("MI350X", "power", "1000 W", 1, "AMD MI350X product page: typical board power 1000W"),
    ("TPU7x", "bf16.dense", "2307 TFLOP/s", 1, "Google Cloud TPU7x page: 'Peak compute per chip (BF16) (TFLOPs) 2307'"),
    ("TPU7x", "fp8.dense", "4614 TFLOP/s", 1, "Google Cloud TPU7x page: 'Peak compute per chip (FP8) (TFLOPs) 4614'"),
    ("TPU7x", "memory", "192 GiB", 1, "Google Cloud TPU7x page: 'HBM capacity per chip (GiB) 192'"),
    ("TPU v6e", "memory", "32 GiB", 1, "Google Cloud TPU7x page comparison column v6e: 'HBM capacity per chip (GiB) 32'"),
    ("Trainium2", "fp8.dense", "1299 TFLOP/s", 1, "AWS Neuron Trainium2 architecture: '1,299 FP8 TFLOPS'"),
    ("Trainium2", "bf16.dense", "667 TFLOP/s", 1, "AWS Neuron Trainium2 architecture: '667 BF16/FP16/TF32 TFLOPS'"),
    ("Trainium2", "memory", "96 GiB", 1, "AWS Neuron Trainium2 NKI guide: '96GiB'"),
    ("Trainium3", "fp8.dense", "2517 TFLOP/s", 1, "AWS Neuron Trainium3 architecture: '2,517 MXFP8/MXFP4 TFLOPS'"),
    ("Trainium3", "bf16.dense", "671 TFLOP/s", 1, "AWS Neuron Trainium3 architecture: '671 BF16/FP16/TF32 TFLOPS'"),
    ("Trainium3", "memory", "144 GiB", 1, "AWS Neuron Trainium3 architecture: '144 GiB of device memory'"),
    ("Trainium3", "memory_bandwidth", "4.9 TB/s", 1, "AWS Neuron Trainium3 architecture: '4.9 TB/sec of bandwidth'"),
]


@pytest.mark.parametrize("device, metric, printed, per, document", PRINTED, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in PRINTED])
def test_device_figure_matches_vendor_table(catalog, device, metric, printed, per, document):
    from computescale.cluster import device_entry

    entry = device_entry(catalog.device(device), metric)
    assert entry is not None, f"{device} has no {metric} ({document})"
    assert (entry.value * per).to(Q_(printed).units).magnitude == pytest.approx(Q_(printed).magnitude, rel=1e-6), document


def test_google_and_aws_print_no_structured_sparsity(catalog):
    """Google prints dense only; AWS's 'sparse' line is not 2:4 sparsity: neither is stored as `sparse`."""
    for device in catalog.devices.values():
        if device.vendor in ("Google", "AWS"):
            assert all(t.sparse is None for t in device.precisions().values()), device.name
    assert "not 2:4" in catalog.device("Trainium2").notes


def test_google_and_aws_memory_in_gib(catalog):
    for name in ("TPU7x", "Trainium2", "Trainium3"):
        assert str(catalog.device(name).memory.capacity.value.units) == "GiB", name


# ---- dense rules: per device, never a global factor ---------------------------------------------------
FP4_DENSE_OVER_SPARSE = {"B200": 0.5, "GB200": 0.5, "B300": 0.75, "GB300": 0.75}


@pytest.mark.parametrize("device, ratio", FP4_DENSE_OVER_SPARSE.items())
def test_fp4_dense_rule_is_per_device(catalog, device, ratio):
    """Blackwell prints FP4 'sparse | dense' with dense = 1/2 sparse; Blackwell Ultra with dense = 3/4."""
    table = catalog.device(device).compute.fp4
    assert (table.dense.value / table.sparse.value).to("").magnitude == pytest.approx(ratio)


def test_every_derived_dense_figure_states_its_rule(catalog):
    """A derived figure names its rule: 'sparse / 2' (checked exactly elsewhere) or a division of a board,
    rack or superchip figure that the rule quotes."""
    for device in catalog.devices.values():
        for field, entry in device.entries():
            if not (field.startswith("compute.") and entry.derived):
                continue
            rule = entry.derived
            assert rule.startswith("sparse / 2") or ("/" in rule and any(w in rule for w in ("GPUs", "rack", "superchip", "board"))), (device.name, field, rule)
            assert "(" in rule or "'" in rule, f"{device.name} {field}: the rule should quote or cite its basis: {rule}"


def test_export_variants_differ_from_parents_where_stated(catalog):
    h100, h800, h20 = catalog.device("H100"), catalog.device("H800"), catalog.device("H20")
    a100, a800 = catalog.device("A100"), catalog.device("A800 40GB Active")
    bw = lambda d: d.interconnect.bandwidth.value.m_as("GB/s")
    assert bw(h800) < bw(h100) and h800.peak("fp64").value < h100.peak("fp64").value
    assert h800.peak("bf16", sparse=True).value.m_as("TFLOP/s") == pytest.approx(h100.peak("bf16", sparse=True).value.m_as("TFLOP/s"), rel=1e-3)
    assert bw(h20) == bw(h100) and h20.peak("fp64").value < h100.peak("fp64").value
    assert bw(a800) < bw(a100)


def test_blackwell_ultra_cuts_fp64_and_int8(catalog):
    for ultra, parent in (("B300", "B200"), ("GB300", "GB200")):
        u, p = catalog.device(ultra), catalog.device(parent)
        assert u.peak("fp64").value < p.peak("fp64").value / 10
        assert u.peak("int8", sparse=True).value < p.peak("int8", sparse=True).value / 10


# ---- dates, prices, measured power ---------------------------------------------------------------------
NEW_DEVICES = ["B300", "GB300", "A800 40GB Active", "MI350X", "MI355X", "TPU7x"]


@pytest.mark.parametrize("name", NEW_DEVICES)
def test_new_devices_have_a_sourced_announcement_date(catalog, name):
    entry = catalog.device(name).dates.announced
    assert entry is not None and entry.source in catalog.sources and str(catalog.device(name).launch_year) >= entry.date[:4]


def test_dates_are_sourced_and_ordered(catalog):
    seen = 0
    for device in catalog.devices.values():
        for _, entry in device.dated():
            assert entry.source in catalog.sources
            seen += 1
        d = device.dates
        if d.announced and d.available:
            assert d.available.date[:4] >= d.announced.date[:4]
    assert seen >= 15


def test_every_device_has_a_price_or_says_there_is_none(catalog):
    for device in catalog.devices.values():
        assert device.price is not None, device.name
        p = device.price
        if p.unit_price is None:
            assert len(p.no_citable_price) > 20, device.name
        else:
            assert p.unit_price.scope and p.unit_price.date and p.unit_price.source in catalog.sources


def test_a_kit_price_divided_by_its_devices_is_not_an_accelerator_price(catalog):
    for device in catalog.devices.values():
        up = device.price.unit_price if device.price else None
        if up is not None and up.derived and ("/ 8" in up.derived or "kit" in up.derived):
            assert up.scope != "accelerator", device.name
    assert catalog.device("Gaudi 3").price.unit_price.scope == "board-share"


def test_measured_power_is_not_a_tdp(catalog):
    tpu = catalog.device("TPU v4")
    assert tpu.power.tdp is None
    assert tpu.power.measured_max.value.m_as("W") == 192 and tpu.power.measured_mean.value.m_as("W") == 170
    assert tpu.power.measured_max.min.m_as("W") == 90
    assert math.isnan(cluster("4096 TPU v4").total_magnitude("power"))  # TDP sums leave measured power out


_MINI = (DATA / "mini.toml").read_text()


@pytest.mark.parametrize(
    "extra, field, reason",
    [
        ('[device.dates]\nannounced = { date = "2024-13", source = "test-source" }', "dates.announced.date", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ('[device.dates]\nannounced = { date = "2024-05", source = "test-source" }\navailable = { date = "2023", source = "test-source" }', "dates", "is before announced"),
        ('[device.dates]\nannounced = { date = "2024", source = "nope" }', "dates.announced.source", "not in any [[source]] table"),
        ('[device.price]\nunit_price = { value = "100 USD", source = "test-source", date = "2024" }', "price.unit_price.scope", "required field is missing"),
        ('[device.price]\nunit_price = { value = "100 USD", source = "test-source", date = "2024", scope = "server" }', "price.unit_price.scope", "Input should be"),
        ('[device.price]\nunit_price = { value = "100 USD", source = "test-source", date = "2024", scope = "accelerator" }\nno_citable_price = "none"', "price", "not both"),
        ('[device.price]\n', "price", "give unit_price or no_citable_price"),
        ('[device.power.measured_max]\nvalue = "5 TFLOP/s"\nsource = "test-source"', "power.measured_max.value", "expected power"),
    ],
)
def test_malformed_new_fields_name_file_field_reason(tmp_path, extra, field, reason):
    path = tmp_path / "dev.toml"
    path.write_text(_MINI + "\n" + extra + "\n")
    with pytest.raises(SpecFileError) as info:
        load_catalog(path, builtin=False)
    message = str(info.value)
    assert str(path) in message and field in message and reason in message, message


def test_malformed_cluster_range(tmp_path):
    path = tmp_path / "clu.toml"
    path.write_text(_MINI + textwrap.dedent("""
        [[cluster]]
        name = "C"
        members = [{ device = "X1", count = 500, max = 100 }]
        source = "test-source"
        confidence = "estimate"
    """))
    with pytest.raises(SpecFileError, match=r"max \(100\) is below count \(500\)"):
        load_catalog(path, builtin=False)


# ---- runs ---------------------------------------------------------------------------------------------------
def test_moe_runs_record_total_and_active_parameters(catalog):
    moe = {name: r for name, r in catalog.runs.items() if r.active_params is not None}
    assert {"DeepSeek-V3", "DeepSeek-R1", "Llama 4 Scout", "Llama 4 Maverick", "Llama 4 Behemoth", "Qwen3-235B-A22B"} <= set(moe)
    for r in moe.values():
        assert r.parameters is not None and r.active_params.value < r.parameters.value


def test_deepseek_v3_paper_figures(catalog):
    """DeepSeek-V3 Technical Report (arXiv:2412.19437): 671B total / 37B active, 14.8T tokens,
    2.788M H800 GPU hours, 2,048 H800 GPUs."""
    r, _ = catalog.run("deepseek-v3")
    assert r.parameters.value.m_as("") == 671e9 and r.active_params.value.m_as("") == 37e9
    assert r.tokens.value.m_as("") == 14.8e12 and r.gpu_hours.value.m_as("GPU_hour") == 2.788e6
    assert (r.cluster.device, r.cluster.count) == ("H800 SXM5 80GB", 2048)


def test_deepseek_r1_keeps_both_conflicting_counts(catalog):
    r, _ = catalog.run("deepseek-r1")
    assert (r.cluster.min, r.cluster.max) == (512, 648)
    texts = " ".join(s.text for s in r.statement)
    assert "512" in texts and "648" in texts and "50,000 Hopper" in texts


def test_outside_estimates_are_labelled_as_such(catalog):
    """A figure from an outside estimator (source kind 'estimate') is marked confidence 'estimate', and
    is never the lab's: Epoch AI's Gemini Ultra and Llama 3 70B figures are estimates."""
    for run in catalog.runs.values():
        for name in type(run).model_fields:
            entry = getattr(run, name)
            if hasattr(entry, "source") and hasattr(entry, "confidence") and catalog.sources[entry.source].kind == "estimate":
                assert entry.confidence == "estimate", (run.name, name)
    assert catalog.run("gemini ultra")[0].training_compute.confidence == "estimate"


# ---- clusters: vague counts ---------------------------------------------------------------------------------
def test_vague_counts_keep_their_words(catalog):
    fair, _ = catalog.cluster("fairwater")
    assert fair.ranged and "hundreds of thousands" in fair.members[0].stated
    stargate, _ = catalog.cluster("stargate")
    assert (stargate.members[0].count, stargate.members[0].max) == (400_000, 800_000)
    for c in catalog.clusters.values():
        for m in c.members:
            if m.max is not None:
                assert m.count <= m.max and (m.stated or c.notes), c.name


def test_vague_cluster_compares_on_its_low_end_and_says_so():
    c = cluster("stargate")
    assert c.n_devices == 400_000
    assert "400,000–800,000 (range, low end used)" in c.label
    assert any("arithmetic uses 400,000" in r for r in c.resolutions)
    cmp = compare("stargate", "100k H100")
    assert cmp.ratio("bf16.dense") == pytest.approx(400_000 * 2.5e15 / (100_000 * 989.4e12))
    assert "low end used" in str(cmp)


# ---- H100-equivalents --------------------------------------------------------------------------------------
def test_h100_equivalents_definition_and_values():
    assert h100_equivalents("100k H100") == pytest.approx(100_000)
    # A100 has no FP8: its fastest dense >= 8-bit format is BF16 (312 TFLOP/s, A100 datasheet);
    # H100 SXM5 dense FP8 1978.9 TFLOP/s (H100 whitepaper V1.04).
    assert h100_equivalents("25k A100") == pytest.approx(25_000 * 312 / 1978.9)
    assert "1978.9 TFLOP/s" in h100e_definition()
    c = compare("100k H100", "25k A100")
    assert c.ratio("h100e") == pytest.approx(c.ratio("fastest-dense-8bit"))
    assert "H100e" in str(c)


def test_news_case_unchanged():
    assert compare("100k H100", "25k A100").ratio("bf16.dense") == pytest.approx(12.68, abs=0.01)


# ---- names as people type them ------------------------------------------------------------------------------
@pytest.mark.parametrize("query, device", [("H100s", "H100 SXM5 80GB"), ("A100s", "A100 SXM4 40GB"),
                                            ("H100 GPUs", "H100 SXM5 80GB"), ("B300s", "B300"), ("MI355Xs", "MI355X")])
def test_plural_device_names_resolve_and_say_so(catalog, query, device):
    dev, resolved = catalog.resolve_device(query)
    assert dev.name == device and str(resolved).startswith(repr(query))


def test_counts_with_plural_devices():
    c = cluster("100k H100s + 25k A100s")
    assert c.n_devices == 125_000 and "'H100s' -> H100 SXM5 80GB" in c.resolutions


@pytest.mark.parametrize("query, known", [
    ("gpt-4", "GPT-4 training cluster (SemiAnalysis estimate)"),
    ("GPT-4's cluster", "GPT-4 training cluster (SemiAnalysis estimate)"),
    ("gpt-4 training cluster", "GPT-4 training cluster (SemiAnalysis estimate)"),
    ("Llama 3.1 405B's cluster", "Llama 3.1 405B training allocation (2024)"),
])
def test_run_names_where_a_cluster_is_expected(query, known):
    c = cluster(query)
    assert c.known == known and any("run" in r or "known cluster" in r for r in c.resolutions)


def test_run_without_known_cluster_uses_its_sourced_cluster():
    c = cluster("DeepSeek-V3's cluster")
    assert c.n_devices == 2048 and "run DeepSeek-V3's cluster" in c.resolutions[0]


def test_every_displayed_cluster_name_resolves(catalog):
    for name in catalog.clusters:
        assert cluster(name).known == name
        assert cluster(name.replace("(", "").replace(")", "")).known == name  # typed without brackets


@pytest.mark.parametrize("query, kind, suggestion", [
    ("colosus", "cluster", "xAI Colossus (2024)"),
    ("stargaet", "cluster", "Stargate Abilene (planned, Oracle / OpenAI)"),
    ("deepsek-v3", "run", "DeepSeek-V3"),
    ("lama 4 scout", "run", "Llama 4 Scout"),
])
def test_misspelt_cluster_and_run_names_suggest_close_names(catalog, query, kind, suggestion):
    with pytest.raises(UnknownNameError) as info:
        getattr(catalog, kind)(query)
    assert suggestion in info.value.suggestions


def test_misspelt_name_where_a_cluster_is_expected_never_falls_back():
    with pytest.raises(UnknownNameError) as info:
        cluster("colosus")
    assert "device, cluster or run" in str(info.value) and "xAI Colossus (2024)" in info.value.suggestions


def test_specs_show_prints_dates_price_marker_and_measured_power(cli):
    out = cli("specs", "show", "B300").stdout
    assert "announced: 2025-03-18" in out and "price: no citable price" in out
    assert "measured, not a rating" in cli("specs", "show", "TPU v4").stdout
    assert "scope: board-share" in cli("specs", "show", "Gaudi 3").stdout
