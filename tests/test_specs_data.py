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
    # issue 19, second pass
    ("TPU7x", "memory_bandwidth", "7380 GB/s", 1, "Google Cloud TPU7x page: 'HBM bandwidth per chip (GB/s) 7380'"),
    ("TPU7x", "scaleup_bandwidth", "1200 GB/s", 1, "Google Cloud TPU7x page: 'Bi-directional ... ICI bandwidth per chip (GB/s) 1200'"),
    ("Trainium2", "scaleup_bandwidth", "1280 GB/s", 1, "AWS Neuron trainium2.rst: 'Inter-chip Interconnect (GB/sec/chip) 1280' ('1.28 TB/sec')"),
    ("H20", "bf16.dense", "148 TFLOP/s", 1, "Tom's Hardware H20 table: 'BF16 I FP16 Tensor 148 I 148 TFLOPS'"),
    ("H20", "fp16.dense", "148 TFLOP/s", 1, "zangshuxian H20 analysis: 'FP16稠密算力为148TFLOPS' (FP16 dense)"),
    ("H20", "fp8.dense", "296 TFLOP/s", 1, "Tom's Hardware H20 table: 'INT8 I FP8 Tensor 296 I 296 TFLOPS'"),
    ("H20", "int8.dense", "296 TOPS", 1, "Tom's Hardware H20 table: 'INT8 I FP8 Tensor 296 I 296'"),
    ("H20", "tf32.dense", "74 TFLOP/s", 1, "Tom's Hardware H20 table: 'TF32 Tensor 74 TFLOPS'"),
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
# A800 40GB Active has none: its former date cited a story about another product (issue 19); see its notes.
NEW_DEVICES = ["B300", "GB300", "MI350X", "MI355X", "TPU7x"]


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


def test_deepseek_r1_uses_512_and_says_why_648_is_a_misreading(catalog):
    # Issue 19: '648' is '64x8' misread. The stated cost only works with 512: 512 GPUs x (198 h R1-Zero + 80 h R1)
    # + 5,000 GPU-hours (HyperAI's reading of the supplementary) at DeepSeek's $2 per H800-hour (V3 paper) ~ $294k.
    r, _ = catalog.run("deepseek-r1")
    assert r.cluster.count == 512 and r.cluster.max is None
    assert (512 * (198 + 80) + 5_000) * 2 == pytest.approx(294_000, rel=0.01)
    assert (648 * (198 + 80) + 5_000) * 2 > 294_000 * 1.2
    texts = " ".join(s.text for s in r.statement)
    assert "512" in texts and "64x8" in texts and "50,000 Hopper" in texts and "64x8" in r.notes


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


# ---- issue 19: rated system power, PUE, prices -----------------------------------------------------------
# (system, printed rating, devices it holds, document and table); typed from the document, not computed.
SYSTEM_PRINTED = [
    ("DGX H100", "10.2 kW", 8, "NVIDIA DGX H100/H200 User Guide, Power Specifications: '10.2 kW max.'"),
    ("DGX H200", "10.2 kW", 8, "NVIDIA DGX H100/H200 User Guide, one power table for both systems: '10.2 kW max.'"),
    ("DGX B200", "14.3 kW", 8, "NVIDIA DGX B200 User Guide, Power Specifications: '200-240 volts AC | 14.3 kW max.'"),
    ("DGX GB200 NVL72 rack", "120 kW", 72, "Yahoo-syndicated report of the GTC 2024 rack (ServeTheHome photos): 'consumes a 120kW'"),
    ("DGX GB200 compute tray", "6667 W", 4, "NVIDIA DPS device specifications, DGX_GB200: 'maxLoadWatts: 6667', GPU GB200 'count: 4'"),
]


def test_gb200_rack_figure_agrees_with_nvidias_tray_rating(catalog):
    # 18 compute trays per NVL72 rack (DGX GB200 user guide) x 6,667 W (DPS) vs the reported 120 kW rack
    tray, rack = catalog.systems["DGX GB200 compute tray"], catalog.systems["DGX GB200 NVL72 rack"]
    assert 18 * tray.power.value.m_as("W") == pytest.approx(rack.power.value.m_as("W"), rel=1e-3)
    assert catalog.system_for(catalog.device("GB200")).name == "DGX GB200 NVL72 rack"  # the primary one


@pytest.mark.parametrize("name, printed, devices, document", SYSTEM_PRINTED, ids=[c[0] for c in SYSTEM_PRINTED])
def test_system_rating_matches_its_document(catalog, name, printed, devices, document):
    system = catalog.systems[name]
    assert system.power.value.m_as("W") == pytest.approx(Q_(printed).m_as("W")), document
    assert system.devices == devices and system.power.source in catalog.sources


# (device, printed rate [USD per instance- or slice-hour], devices it covers, kind, document and row): the rate
# per device-hour in the spec times the devices must give the printed figure.
_AWS, _GCP, _OCI = "SkyPilot catalog aws/vms.csv", "SkyPilot catalog gcp/vms.csv", "SkyPilot catalog oci/vms.csv"
RENTAL_PRINTED = [
    ("V100 SXM2 32GB", 31.212, 8, "on-demand", f"{_AWS}: p3dn.24xlarge, V100-32GB x 8, us-east-1, 31.212"),
    ("A100 SXM4 40GB", 21.957642, 8, "on-demand", f"{_AWS}: p4d.24xlarge, A100 x 8, us-east-1, 21.957642"),
    ("A100 SXM4 80GB", 27.44705, 8, "on-demand", f"{_AWS}: p4de.24xlarge, A100-80GB x 8, us-east-1, 27.44705"),
    ("H200 SXM 141GB", 63.296, 8, "on-demand", f"{_AWS}: p5en.48xlarge, H200 x 8, us-east-1, 63.296"),
    ("B200", 113.9328, 8, "on-demand", f"{_AWS}: p6-b200.48xlarge, B200 x 8, us-east-1, 113.9328"),
    ("B300", 142.416, 8, "on-demand", f"{_AWS}: p6-b300.48xlarge, B300 x 8, us-west-2, 142.416"),
    ("L40S", 1.861, 1, "on-demand", f"{_AWS}: g6e.xlarge, L40S x 1, us-east-1, 1.861"),
    ("TPU v4", 12.88, 4, "on-demand", f"{_GCP}: tpu-v4-8 (4 chips), us-central2, 12.88"),
    ("TPU v5e", 1.2, 1, "on-demand", f"{_GCP}: tpu-v5litepod-1, us-central1, 1.2"),
    ("TPU v5p", 16.8, 4, "on-demand", f"{_GCP}: tpu-v5p-8 (4 chips, v5p docs 2x2x1 = 4 chips), us-central1, 16.8"),
    ("TPU v6e", 2.7, 1, "on-demand", "Google's Trillium GA price as quoted: 'starting at $2.7000 per chip-hour'"),
    ("GB200", 64, 4, "on-demand", f"{_OCI}: BM.GPU.GB200.4, GB200 x 4, 64"),
    ("GB300", 72, 4, "on-demand", f"{_OCI}: BM.GPU.GB300.4, GB300 x 4, 72"),
    ("MI355X", 68.8, 8, "on-demand", f"{_OCI}: BM.GPU.MI355X.8, MI355X x 8, 68.8"),
    ("MI300X", 48, 8, "on-demand", f"{_OCI}: BM.GPU.MI300X.8, MI300X x 8, 48"),
    ("A10", 2, 1, "on-demand", f"{_OCI}: VM.GPU.A10.1, A10 x 1, 2"),
    ("H100 PCIe 80GB", 3.29, 1, "on-demand", "SkyPilot catalog lambda/vms.csv: gpu_1x_h100_pcie, H100 x 1, 3.29"),
    ("A100 PCIe 80GB", 1.39, 1, "on-demand", "SkyPilot catalog runpod/vms.csv: 1x_A100-80GB_SECURE ('A100 PCIe'), 1.39"),
    ("H100 NVL", 6.38, 2, "on-demand", "SkyPilot catalog runpod/vms.csv: 2x_H100-NVL_SECURE, H100 NVL x 2, 6.38"),
    ("H100 SXM5 80GB", 2.95, 1, "on-demand", "AIMultiple GPU index: H100 median 'around $2.95/GPU-hour'"),
    ("MI325X", 2.000, 1, "on-demand", "Vultr Cloud GPU (2026-07-31 capture): MI325X '$2.000/GPU/hr', 'Pricing shown is on-demand'"),
    ("MI350X", 4.76, 1, "reserved-1y", "DigitalOcean GPU Droplets (2026-07-31 capture): MI350X '$4.76', '12 Month Reserved Price'"),
]


@pytest.mark.parametrize("device, printed, per, kind, document", RENTAL_PRINTED, ids=[c[0] for c in RENTAL_PRINTED])
def test_rental_rate_matches_the_price_list(catalog, device, printed, per, kind, document):
    rental = catalog.device(device).rental
    assert rental.hourly.value.m_as("USD/device_hour") * per == pytest.approx(printed, rel=1e-4), document
    assert rental.kind == kind and rental.scope in ("accelerator", "server-share")


# AWS EC2 Capacity Blocks page: 'Effective Accelerator Hourly Rate' per row (a short prepaid reservation)
CAPACITY_BLOCKS = [("H100 SXM5 80GB", 4.916), ("H200 SXM 141GB", 5.408), ("A100 SXM4 40GB", 1.844)]


@pytest.mark.parametrize("device, printed", CAPACITY_BLOCKS, ids=[c[0] for c in CAPACITY_BLOCKS])
def test_capacity_block_rates_are_kept_as_reserved(catalog, device, printed):
    rental = catalog.device(device).rental
    assert rental.reserved.value.m_as("USD/device_hour") == pytest.approx(printed)
    assert rental.reserved_kind == "capacity-block" and rental.reserved.source == "aws-ec2-capacity-blocks-pricing-2024"


def test_a800_40gb_active_has_no_borrowed_date(catalog):
    device = catalog.device("A800 40GB Active")
    assert device.dates.announced is None and "another product" in device.notes


def test_tpu_v6e_reserved_rate_is_kept_apart():
    # Google's GA quote: '$1.8900' per chip-hour with a 1-year commitment
    rental = load_catalog().device("TPU v6e").rental
    assert rental.reserved.value.m_as("USD/device_hour") == pytest.approx(1.89) and rental.reserved_kind == "reserved-1y"


def test_pue_defaults_frontier_and_industry_average(catalog):
    # Google 2024 Environmental Report: 'average annual power usage effectiveness ... was 1.10 compared with
    # the industry average of 1.58'; Uptime Institute 2023 survey: 1.58.
    assert catalog.default("pue").value.m_as("") == pytest.approx(1.10)
    assert catalog.default("pue").source == "google-environmental-report-2024"
    assert catalog.default("pue_industry_average").value.m_as("") == pytest.approx(1.58)
    assert "FALLBACK" in catalog.default("server_overhead").note


def test_colossus_facility_power_within_20_percent_of_reported(catalog):
    power, assumptions = cluster_facility_power("colossus", catalog)
    reported = catalog.cluster("colossus")[0].power.value.m_as("MW")
    assert reported == 150  # Tom's Hardware: '150 MW from ... MLGW and ... TVA'
    assert abs(power.m_as("MW") / reported - 1) <= 0.20
    overhead = next(a for a in assumptions if a.name == "server_overhead")
    assert overhead.source == "nvidia-dgx-h100-user-guide" and "DGX H100 rated 10.2 kW / 8" in overhead.note


def test_gb200_nvl72_facility_power_per_gpu(catalog):
    power, assumptions = cluster_facility_power("72 GB200", catalog)
    assert 1.7 <= power.m_as("kW") / 72 <= 2.4
    overhead = next(a for a in assumptions if a.name == "server_overhead")
    assert "DGX GB200 NVL72 rack rated 120 kW / 72" in overhead.note


def test_device_without_a_system_keeps_the_labelled_fallback(catalog):
    _, assumptions = cluster_facility_power("1000 A100 80GB", catalog)
    overhead = next(a for a in assumptions if a.name == "server_overhead")
    assert overhead.value.m_as("") == pytest.approx(catalog.default("server_overhead").value.m_as(""))
    assert "FALLBACK" in overhead.note


def test_mixed_cluster_weights_system_overheads(catalog):
    # 200,000 H100 (DGX H100: 10.2 kW / 8) + 30,000 GB200 (120 kW / 72): IT power is the sum of system shares
    power, _ = cluster_facility_power("colossus 2025", catalog)
    it_w = 200_000 * 10_200 / 8 + 30_000 * 120_000 / 72
    assert power.m_as("W") == pytest.approx(it_w * catalog.default("pue").value.m_as(""))


RENTED = sorted({c[0] for c in RENTAL_PRINTED})


@pytest.mark.parametrize("device", RENTED)
def test_train_gives_a_rental_cost_for_every_device_with_a_rental(catalog, device):
    from computescale import estimate_training

    est = estimate_training(compute="1e24 FLOP", cluster=f"1000 {device}", mfu=0.4, catalog=catalog)
    assert est.assumption("rental_price").source == catalog.device(device).rental.hourly.source
    assert est.rental_cost.m_as("USD") > 0


def test_every_device_with_a_rental_is_checked_and_most_have_a_price(catalog):
    assert {d.name for d in catalog.devices.values() if d.rental is not None} == set(RENTED)
    priced = [d for d in catalog.devices.values() if d.rental is not None or (d.price and d.price.unit_price)]
    assert len(priced) >= 25  # issue 19 second pass: Gaudi 2 kit price, MI325X and MI350X cloud rates


def test_clusters_command_shows_reported_beside_computed(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # the content, not the layout
    out = cli("clusters").stdout
    assert "reported" in out.splitlines()[0] and "150.0 MW [tomshardware-colossus-200k-2025]" in out


def cluster_facility_power(name, catalog):
    from computescale.training import facility_power

    return facility_power(name, catalog=catalog)


def test_nemotron_4_340b_tokens_and_mfu(catalog):
    # Model card: 'pre-trained for a total of 9 trillion tokens'; report Table 2 (second-hand): MFU 41-42%
    run, _ = catalog.run("nemotron-4 340b")
    assert run.tokens.value.m_as("") == 9e12 and run.tokens.source == "nvidia-nemotron-4-340b-base-card"
    assert (run.mfu.value.m_as(""), run.mfu.max.m_as("")) == (0.41, 0.42)


def test_specs_show_prints_rated_system_and_rental_kind(cli):
    out = cli("specs", "show", "H200").stdout
    assert "rated system: DGX H200, 10.2 kW for 8 devices" in out and "(used for facility power)" in out
    assert "rental: on-demand, scope server-share; reserved: capacity-block" in out


def test_colossus_2025_facility_power_near_reported(catalog):
    # SemiAnalysis (outside estimate): 'about 300 MW' for ~200,000 H100/H200 + ~30,000 GB200
    power, _ = cluster_facility_power("colossus 2025", catalog)
    assert catalog.cluster("colossus 2025")[0].power.value.m_as("MW") == 300
    assert abs(power.m_as("MW") / 300 - 1) <= 0.20


def test_clusters_json_carries_reported_power_and_pue_keys(cli):
    import json

    data = json.loads(cli("clusters", "--json").stdout)
    colossus = next(c for c in data if c["name"] == "xAI Colossus (2024)")
    assert colossus["facility_power_reported"]["value"]["magnitude"] == 150 and "reported_pue" in colossus


def test_a_clusters_reported_pue_replaces_the_default(tmp_path):
    from computescale.training import facility_power

    (tmp_path / "site.toml").write_text(textwrap.dedent("""
        [[source]]
        id = "my-site-report"
        title = "My site report"
        publisher = "Me"
        url = "https://example.org/report"
        kind = "other"
        date = "2026"
        accessed = "2026-12-04"

        [[cluster]]
        name = "My site"
        members = [{ device = "H100", count = 1000 }]
        source = "my-site-report"
        confidence = "lab-statement"
        pue = { value = "1.3", source = "my-site-report" }
    """))
    catalog = load_catalog([tmp_path / "site.toml"])
    power, assumptions = facility_power("my site", catalog=catalog)
    pue = next(a for a in assumptions if a.name == "pue")
    assert pue.source == "my-site-report" and "reported PUE" in pue.note
    assert power.m_as("W") == pytest.approx(1000 * 10_200 / 8 * 1.3)  # DGX H100 share x the site's PUE


def test_h20_tensor_rates_are_dense_by_the_export_rules_arithmetic(catalog):
    # TweakTown (NVIDIA's specifications): H100 SXM '6.68x faster' than H20; 'performance density' 2.9 vs H100's 19.4,
    # i.e. TPP (dense FP8 TFLOP/s x 8 bits) per 814 mm^2 of GH100 die. Both only hold with H20's 148 / 296 dense.
    h20, h100 = catalog.device("H20"), catalog.device("H100")
    ratio = h100.peak("fp16").value / h20.peak("fp16").value
    assert ratio.m_as("") == pytest.approx(6.68, abs=0.01)
    density = lambda d: d.peak("fp8").value.m_as("TFLOP/s") * 8 / 814
    assert round(density(h20), 1) == 2.9 and round(density(h100), 1) == 19.4
    assert h20.peak("fp8").value.m_as("TFLOP/s") * 8 == pytest.approx(2368)  # the TPP quoted in analyses


@pytest.mark.parametrize("run", ["Llama 4 Scout", "Llama 4 Maverick"])
def test_llama_4_hardware_is_the_model_cards_h100_80gb(catalog, run):
    # Llama 4 model card: '7.38M GPU hours of computation on H100-80GB (TDP of 700W) type hardware'; 5.0M + 2.38M
    r, _ = catalog.run(run)
    assert "H100-80GB" in r.gpu_hours.note and r.power.value.m_as("W") == 700
    assert "H100-80GB (TDP of 700W)" in catalog.sources["meta-llama-4-model-card"].notes
    scout, maverick = catalog.run("Llama 4 Scout")[0], catalog.run("Llama 4 Maverick")[0]
    assert (scout.gpu_hours.value + maverick.gpu_hours.value).m_as("GPU_hour") == pytest.approx(7.38e6)


def test_colossus_200k_phase_and_stargate_partial_operation_cite_what_they_read(catalog):
    # Grok 3 launch (2025-02-17): Musk, training used '200,000 NVIDIA GPUs'; OpenAI (2025-07-22): Stargate I 'some parts
    # of the site is now operational', early training and inference started. Neither gives a split or a count.
    expansion, _ = catalog.cluster("colossus 200k")
    assert sum(m.count for m in expansion.members) == 200_000 and "grok-3-launch-reports-2025" in expansion.see_also
    assert "200,000 NVIDIA GPUs" in catalog.sources["grok-3-launch-reports-2025"].notes
    stargate, _ = catalog.cluster("stargate")
    assert "latestly-openai-oracle-stargate-2025" in stargate.see_also and stargate.status == "under-construction"
    source = catalog.sources["latestly-openai-oracle-stargate-2025"]
    assert source.date == "2025-07-22" and "now operational" in source.notes


# (device, printed kit price [USD], devices in the kit, document): Intel's Computex 2024 list prices for 8-accelerator
# kits (baseboard included), so the per-device price is a board-share, never an accelerator price.
KIT_PRICES = [
    ("Gaudi 2", 65_000, 8, "Lion Herald, Computex 2024: '$65,000 for a kit with eight Gaudi 2 accelerators'"),
    ("Gaudi 3", 125_000, 8, "y-ic.de: a kit of eight Gaudi 3 chips costs USD 125,000 (Lion Herald: '$125,000 ... eight Gaudi 3')"),
]


@pytest.mark.parametrize("device, printed, per, document", KIT_PRICES, ids=[c[0] for c in KIT_PRICES])
def test_gaudi_kit_prices_divide_to_board_shares(catalog, device, printed, per, document):
    price = catalog.device(device).price.unit_price
    assert price.value.m_as("USD") * per == pytest.approx(printed), document
    assert price.scope == "board-share" and price.date.startswith("2024")
