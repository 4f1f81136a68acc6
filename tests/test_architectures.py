"""Model architectures (specs/models.toml): loading, lookup, validation errors with file/field/reason,
links to runs, and the ``computescale models`` command."""

import json

import pytest

from computescale import SpecFileError, UnknownNameError, load_catalog

# The brief's list: each must be in the catalog (by an alias people type)
REQUIRED = ["llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x7b", "deepseek-v3",
            "deepseek-r1", "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b", "gpt-oss-20b", "gpt-oss-120b",
            "llama-4-scout", "llama-4-maverick", "qwen3-next"]


@pytest.mark.parametrize("name", REQUIRED)
def test_required_architectures_resolve(catalog, name):
    arch = catalog.architecture(name)
    assert arch.figure("layers") == sum(g.figure("layers") for g in arch.attention)
    assert all(e.source in catalog.sources for _, e in arch.entries())


def test_kinds_of_attention_are_covered(catalog):
    kinds = {g.kind for a in catalog.architectures.values() for g in a.attention}
    assert kinds == {"full", "sliding", "chunked", "mla", "linear"}


def test_published_figures_spot_checks(catalog):
    # DeepSeek-V3 config.json: kv_lora_rank 512, qk_rope_head_dim 64, 256 routed experts, 8 per token
    v3 = catalog.architecture("DeepSeek-V3")
    assert (v3.attention[0].figure("kv_lora_rank"), v3.attention[0].figure("qk_rope_head_dim")) == (512, 64)
    assert (v3.experts.routed.value.m_as(""), v3.experts.per_token.value.m_as("")) == (256, 8)
    # gpt-oss-120b config.json: sliding_window 128 on half of 36 layers
    oss = catalog.architecture("gpt-oss-120b")
    assert [(g.kind, g.figure("layers"), g.figure("window")) for g in oss.attention][0] == ("sliding", 18, 128)


def test_unknown_architecture_suggests_close_names(catalog):
    with pytest.raises(UnknownNameError, match="did you mean 'Llama 3.1 405B'"):
        catalog.architecture("llama 3.1 450b")


def test_runs_link_to_their_architecture(catalog):
    linked = {r.name: catalog.architecture(r.architecture).name for r in catalog.runs.values() if r.architecture}
    assert linked["Llama 3.1 405B"] == "Llama 3.1 405B" and linked["DeepSeek-R1"] == "DeepSeek-R1"
    assert len(linked) >= 8


def test_a_run_naming_an_unknown_architecture_is_an_error(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(_SOURCE + '[[run]]\nname = "R"\narchitecture = "No Such Model"\n')
    with pytest.raises(SpecFileError, match=r"run \(R\)\.architecture: unknown architecture 'No Such Model'"):
        load_catalog(path, builtin=False)


_SOURCE = '''[[source]]
id = "s1"
title = "t"
publisher = "p"
url = "https://example.org"
kind = "documentation"
date = "2025"
accessed = "2026-12-04"
'''
_ARCH = '''[[architecture]]
name = "Tiny"
{extra}
parameters = {{ value = "1e9", source = "s1" }}
active_params = {{ value = "{active}", source = "s1" }}
layers = {{ value = "4", source = "s1" }}
hidden_size = {{ value = "512", source = "s1" }}
attention_heads = {{ value = "8", source = "s1" }}
kv_heads = {{ value = "2", source = "s1" }}
head_dim = {{ value = "64", source = "s1" }}
vocab_size = {{ value = "1000", source = "s1" }}
max_context = {{ value = "2048", source = "s1" }}

[[architecture.attention]]
kind = "{kind}"
layers = {{ value = "{group_layers}", source = "s1" }}
kv_heads = {{ value = "2", source = "s1" }}
head_dim = {{ value = "64", source = "s1" }}
'''


@pytest.mark.parametrize(
    "changes, field, reason",
    [
        ({"group_layers": "3"}, "architecture[0] (Tiny)", "the attention groups have 3 layers in all, but layers is 4"),
        ({"kind": "sliding"}, "attention.0", "sliding attention needs window"),
        ({"kind": "mla"}, "attention.0", "mla attention needs kv_lora_rank"),
        ({"kind": "ring"}, "attention.0.kind", "Input should be"),
        ({"active": "2e9"}, "architecture[0] (Tiny)", "active_params exceeds parameters"),
        ({"active": "5e8"}, "architecture[0] (Tiny)", "a dense model (no [architecture.experts]) has active_params equal to parameters"),
        ({"extra": 'speed = "fast"'}, "speed", "unknown field"),
    ],
)
def test_malformed_architecture_names_file_field_reason(tmp_path, changes, field, reason):
    values = {"extra": "", "active": "1e9", "kind": "full", "group_layers": "4"} | changes
    path = tmp_path / "bad.toml"
    path.write_text(_SOURCE + _ARCH.format(**values))
    with pytest.raises(SpecFileError) as info:
        load_catalog(path, builtin=False)
    message = str(info.value)
    assert str(path) in message and field in message and reason in message, message


def test_a_users_architecture_loads(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(_SOURCE + _ARCH.format(extra='aliases = ["tiny-1b"]', active="1e9", kind="full", group_layers="4"))
    assert load_catalog(path, builtin=False).architecture("TINY 1B").name == "Tiny"


# ---- CLI ----------------------------------------------------------------------------------------------------
def test_models_lists_every_architecture(cli, catalog, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # the content, not the layout: no cell wrapped to the terminal's width
    out = cli("models").stdout
    for name in catalog.architectures:
        assert name in out
    assert "sliding(128) 18 + full 18" in out and "mla 61" in out


def test_models_show_prints_sources(cli):
    out = cli("models", "show", "deepseek r1").stdout
    assert "resolved: 'deepseek r1' -> DeepSeek-R1" in out
    assert "attention[0].kv_lora_rank" in out and "[deepseek-r1-readme]" in out and "https://" in out
    assert "training run: DeepSeek-R1" in out


def test_runs_show_names_the_architecture(cli):
    assert 'architecture: DeepSeek-V3 (computescale models show "DeepSeek-V3")' in cli("runs", "show", "deepseek-v3").stdout


def test_models_json(cli):
    listed = json.loads(cli("models", "--json").stdout)
    assert {m["name"] for m in listed} >= {"gpt-oss-20b", "Llama 4 Scout"}
    shown = json.loads(cli("models", "show", "llama-4-scout", "--json").stdout)
    assert shown["resolved"] == "Llama 4 Scout" and "maxtext-llama4-configs" in shown["sources"]


def test_models_errors(cli):
    proc = cli("models", "show", check=False)
    assert proc.returncode == 2 and "models show needs a model NAME" in proc.stderr
    proc = cli("models", "show", "gpt-5", check=False)
    assert proc.returncode == 2 and "unknown architecture 'gpt-5'" in proc.stderr


def test_architectures_survive_the_catalog_cache(tmp_path, monkeypatch):
    from computescale.data.specs import _load

    monkeypatch.setenv("COMPUTESCALE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("COMPUTESCALE_NO_CACHE", raising=False)
    _load.cache_clear()
    try:
        cold = load_catalog()
        assert list(tmp_path.glob("catalog-*")), "the catalog with architectures was not cached"
        _load.cache_clear()
        import tomllib

        def no_toml(*_a, **_k):
            raise AssertionError("a warm start read TOML: the cache entry was not used")

        monkeypatch.setattr(tomllib, "load", no_toml)
        warm = load_catalog()
        monkeypatch.undo()
        assert warm is not cold and warm.architectures == cold.architectures and warm.systems == cold.systems
        assert warm.architecture("qwen3-next").experts.shared.value.m_as("") == 1
    finally:
        _load.cache_clear()
