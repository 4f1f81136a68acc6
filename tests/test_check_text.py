"""check-text: the corpus of press-style passages, properties of the reader, and the CLI.

The corpus lives in tests/data/articles/*.toml: each passage lists the claims the reader must find,
with figures worked by hand from the datasheet values (see the comments there).
"""

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from computescale import ComputescaleError, check_text
from computescale.cli.main import main
from computescale.render import to_jsonable
from computescale.text.grammar import parse_number, sentences

ARTICLES = Path(__file__).parent / "data" / "articles"
PASSAGES = [p for f in sorted(ARTICLES.glob("*.toml")) for p in tomllib.loads(f.read_text())["passage"]]


def test_corpus_is_large_and_ids_unique():
    ids = [p["id"] for p in PASSAGES]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)
    assert sum(1 for p in PASSAGES if not p.get("claim")) >= 5  # passages with no claim at all


def _labels(claim) -> list[str]:
    u = claim.understood
    if claim.kind == "comparison":
        return [x["label"] for x in [u["a"], *u["b"]] if x and "label" in x]
    return [x["label"] for x in u.get("clusters", []) if "label" in x]


def _check_cluster(claim, want):
    if "peak_eflops" in want:
        assert claim.answer["peak_compute"]["value"].m_as("EFLOP/s") == pytest.approx(want["peak_eflops"], rel=1e-3)
    if "facility_mw" in want:
        assert claim.answer["facility_power"]["value"].m_as("MW") == pytest.approx(want["facility_mw"], rel=2e-3)
    if "hedges" in want:
        assert [x.get("hedge") for x in claim.understood["clusters"]] == want["hedges"]


def _check_comparison(claim, want):
    u, a = claim.understood, claim.answer
    assert u["factor"] == pytest.approx(want["factor"])
    if "a" in want:
        assert u["a"]["label"] == want["a"]
    if "b" in want:
        assert [x["label"] for x in u["b"]] == want["b"]
    if "verdict" in want:
        assert a["verdict"] == want["verdict"]
    if "ratio" in want:
        assert a["like_for_like"]["ratio"] == pytest.approx(want["ratio"], rel=2e-3)
    if "referred_to_as" in want:
        assert u["a"]["referred_to_as"].lower() == want["referred_to_as"].lower()
        assert u["a"]["from_sentence"] == want["a_from_sentence"]
    if "holds_on" in want:
        assert set(want["holds_on"]) <= {x["basis"] for x in a["holds_on"]}


def _check_training(claim, want):
    u, a = claim.understood, claim.answer
    if "duration_days" in want:
        assert [u["duration"]["low"].m_as("day"), u["duration"]["high"].m_as("day")] == pytest.approx(want["duration_days"], rel=1e-3)
    if "compute_flop" in want:
        assert u["compute"]["value"].m_as("FLOP") == pytest.approx(want["compute_flop"], rel=1e-3)
    if "compute_low" in want:
        assert a["compute"]["low"].m_as("FLOP") == pytest.approx(want["compute_low"], rel=1e-3)
        assert a["compute"]["high"].m_as("FLOP") == pytest.approx(want["compute_high"], rel=1e-3)
    if "time_to_train_days" in want:
        assert a["time_to_train"].m_as("day") == pytest.approx(want["time_to_train_days"], rel=1e-3)
    if "implied_mfu" in want:
        assert a["implied_mfu"]["low"].m_as("") == pytest.approx(want["implied_mfu"], rel=2e-3)
    if "thresholds" in want:
        assert {t["id"] for t in a["thresholds"] if t["crosses"] or t["crosses_at_upper_end_only"]} == set(want["thresholds"])
    if "referred_to_as" in want:
        assert u["clusters"][0]["referred_to_as"] == want["referred_to_as"]


def _check_undisclosed(claim, want):
    r = claim.answer["peak_compute_range"]
    assert (r["low_device"], r["high_device"]) == (want["low_device"], want["high_device"])
    if "low_eflops" in want:
        assert r["low"].m_as("EFLOP/s") == pytest.approx(want["low_eflops"], rel=1e-3)
        assert r["high"].m_as("EFLOP/s") == pytest.approx(want["high_eflops"], rel=1e-3)


def _check_stated(claim, want):
    """A stated figure (or a chip speed-up) judged: the verdict and bases it holds on."""
    if "verdict" in want:
        assert claim.answer["verdict"] == want["verdict"], str(claim.lines)
    if "holds_on" in want:
        assert set(want["holds_on"]) <= {x["basis"] for x in claim.answer["holds_on"]}


def _check_cluster_and_stated(claim, want):
    _check_cluster(claim, want)
    _check_stated(claim, want)


_CHECKS = {"cluster": _check_cluster_and_stated, "comparison": _check_comparison, "training": _check_training,
           "compute": _check_training, "undisclosed-devices": _check_undisclosed, "gpu-hours": _check_training,
           **{k: _check_stated for k in ("chip-comparison", "chip-peak", "chip-power", "stated-compute", "stated-power",
                                         "token-rate")}}


@pytest.mark.parametrize("passage", PASSAGES, ids=[p["id"] for p in PASSAGES])
def test_corpus_passage(passage):
    text = passage["text"]
    report = check_text(text, year=passage.get("year"))
    wanted = passage.get("claim", [])
    assert [c.kind for c in report.claims] == [w["kind"] for w in wanted], str(report)
    for claim, want in zip(report.claims, wanted):
        assert text[claim.start:claim.end] == claim.quote
        assert want.get("quote", "") in claim.quote
        if "clusters" in want:
            assert _labels(claim) == want["clusters"]
        if "model" in want:
            assert claim.understood["model"]["run"] == want["model"]
        if "organisation" in want:
            assert claim.understood["organisation"] == want["organisation"]
        for why in want.get("unchecked", []):
            assert any(why in u for u in claim.unchecked), claim.unchecked
        if not want.get("unchecked"):
            _CHECKS[claim.kind](claim, want)
    json.dumps(to_jsonable(report.to_dict()))  # the JSON form always serializes


# ---- the grammar's pieces -------------------------------------------------------------------------------
@pytest.mark.parametrize("written, value", [
    ("100,000", 100_000), ("100k", 100_000), ("100K", 100_000), ("25 000", 25_000), ("1.5 million", 1_500_000),
    ("1.5M", 1_500_000), ("ten thousand", 10_000), ("a hundred thousand", 100_000), ("twenty-five thousand", 25_000),
    ("half a million", 500_000), ("one hundred and twenty", 120), ("16,384", 16_384), ("eight", 8),
])
def test_numbers_as_written(written, value):
    assert parse_number(written) == value


@pytest.mark.parametrize("words", ["a", "apple", "thousand apples", ""])
def test_words_that_are_not_numbers(words):
    assert parse_number(words) is None


def test_sentence_offsets_index_the_input():
    text = "  Dr. Smith said 1.5 million H100s. It is e.g. big!\n\nNew paragraph with no stop"
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == ["Dr. Smith said 1.5 million H100s.", "It is e.g. big!", "New paragraph with no stop"]


# ---- properties -----------------------------------------------------------------------------------------
_CLAIM = "The new facility houses 50,000 H200 accelerators. Its operator says it is roughly eight times the 16,000 A100s the lab used last year."
_PROSE = st.lists(st.sampled_from([
    "The weather was mild.", "Shares rose 3% on Monday.", "The company employs 10,000 people.",
    "Each chip costs about $30,000.", "The model has 405 billion parameters.", "In 2024 the board met twice.",
    "Critics were unconvinced.", "A spokesperson declined to comment.", "It opened in March.",
]), max_size=4)


@given(before=_PROSE, after=_PROSE)
def test_known_claim_survives_surrounding_prose(before, after):
    text = " ".join([*before, _CLAIM, *after])
    report = check_text(text)
    comparisons = [c for c in report.claims if c.kind == "comparison"]
    assert len(comparisons) == 1
    c = comparisons[0]
    assert text[c.start:c.end] == c.quote and "roughly eight times" in c.quote
    assert c.understood["a"]["label"] == "50,000 × H200 SXM 141GB"
    assert c.answer["verdict"] == "understated"
    assert c.answer["like_for_like"]["ratio"] == pytest.approx(9.9108, rel=1e-3)  # 50,000 x 989.5 / (16,000 x 312)


_ALPHABET = st.characters(blacklist_categories=("Cs",))
_TOKENS = st.sampled_from([
    "100,000", "100k", "1.5 million", "ten thousand", "H100s", "Nvidia's", "A100", "GPUs", "(H100)", "times", "20x",
    "twice", "-fold", "% more than", "trained", "3 to 4 months", "90-100 days", "2e25 FLOP", "10^26", "PF-days", "It",
    "colossus", ".", ",", " ", "\n\n", "combined", "as much as", "0", "-5", "1e999", "2024", "liquid-cooled", "×", "²⁶",
    "double in size to", "compared with", "half", "(", ")", "GPT-4", "V100s", "200k (50k H200s)", "2.5", "Trillium",
])


@given(st.lists(st.one_of(_TOKENS, st.text(_ALPHABET, max_size=8)), max_size=40).map(" ".join))
def test_arbitrary_text_never_raises(text):
    try:
        report = check_text(text)
    except ComputescaleError:
        return
    for claim in report.claims:
        assert text[claim.start:claim.end] == claim.quote
    json.dumps(to_jsonable(report.to_dict()))
    str(report)


def test_large_text_is_read(benchmark_text=_CLAIM + " Unrelated words follow here. " * 20_000):
    report = check_text(benchmark_text)
    assert [c.kind for c in report.claims] == ["cluster", "comparison"]


def test_non_text_is_an_input_error():
    with pytest.raises(ComputescaleError, match="reads text"):
        check_text(b"100k H100")


# ---- the command --------------------------------------------------------------------------------------
def test_cli_reads_a_file(tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text(_CLAIM, encoding="utf-8")
    assert main(["check-text", str(path)]) == 0
    out = capsys.readouterr().out
    assert "'it' refers to \"50,000 H200 accelerators\", sentence 1" in out
    assert "like-for-like (BF16 dense): 9.91x -> understated" in out


def test_cli_json_from_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(_CLAIM))
    assert main(["check-text", "-", "--json", "--tolerance", "0.25"]) == 0
    data = json.loads(capsys.readouterr().out)
    kinds = [c["kind"] for c in data["claims"]]
    assert kinds == ["cluster", "comparison"]
    comparison = data["claims"][1]
    assert {"quote", "start", "end", "kind", "understood", "answer", "unchecked"} <= set(comparison)
    assert comparison["answer"]["verdict"] == "holds"  # 8 / 9.91 - 1 = -19%: within ±25%
    assert set(data["claims"][0]["answer"]["peak_compute"]["value"]) == {"magnitude", "units"}
    assert all(s in data["sources"] for s in comparison["answer"]["sources"])


def test_cli_no_claim_is_not_an_error(tmp_path, capsys):
    path = tmp_path / "empty.txt"
    path.write_text("Nothing to see here.", encoding="utf-8")
    assert main(["check-text", str(path)]) == 0
    assert "No compute-scale statement found." in capsys.readouterr().out


def test_cli_missing_file_is_one_line_exit_2(capsys):
    assert main(["check-text", "/nonexistent/article.txt"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read '/nonexistent/article.txt'" in err


def test_console_script_check_text(cli, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(_CLAIM, encoding="utf-8")
    out = cli("check-text", str(path), "--json").stdout
    assert json.loads(out)["claims"][1]["answer"]["verdict"] == "understated"


def test_readme_check_text_output_is_current(cli):
    import re
    import shlex

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = [b for b in re.findall(r"```console\n(.*?)```", readme, re.S) if b.startswith("$ computescale check-text")]
    assert len(blocks) >= 2  # a pronoun and comparison; a stated figure and a chip speed-up
    for block in blocks:
        command, *shown = block.strip().splitlines()
        assert len([line for line in shown if line.strip() not in ("", "...")]) >= 3, command  # never an empty block
        out = cli(*shlex.split(command.removeprefix("$ "))[1:], cwd=Path(__file__).parent.parent).stdout
        for line in shown:
            if line.strip() and line.strip() != "...":
                assert line in out, line


@pytest.mark.parametrize("kwargs, message", [
    ({"precision": "bf17"}, "unknown precision 'bf17'"),
    ({"tolerance": -1}, "tolerance must be a number >= 0"),
    ({"tolerance": float("nan")}, "tolerance must be a number >= 0"),
])
def test_bad_options_are_errors_before_reading(kwargs, message):
    with pytest.raises(ComputescaleError, match=message):
        check_text("100k H100s", **kwargs)


def test_cli_user_spec_file(tmp_path, capsys):
    path = tmp_path / "post.txt"
    path.write_text("The test lab bought 1,000 X1 chips.", encoding="utf-8")
    assert main(["check-text", str(path), "--specs", str(Path(__file__).parent / "data" / "mini.toml")]) == 0
    assert "'X1' -> Test X1" in capsys.readouterr().out


_WORDS = st.lists(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=9), min_size=1, max_size=12).map(
    lambda ws: " ".join(ws).capitalize() + ".")


@given(before=st.lists(_WORDS, max_size=3), after=st.lists(_WORDS, max_size=3))
def test_known_claim_survives_random_words(before, after):
    report = check_text(" ".join([*before, _CLAIM, *after]))
    (c,) = [c for c in report.claims if c.kind == "comparison"]
    assert (c.understood["a"]["label"], c.answer["verdict"]) == ("50,000 × H200 SXM 141GB", "understated")


def test_console_script_reads_undecodable_stdin():
    import subprocess

    from conftest import _cli_command

    proc = subprocess.run([*_cli_command(), "check-text", "-"], input=b"\xff\xfe 100k H100s", capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "read '100k H100s' as 100,000 × H100 SXM5 80GB" in proc.stdout.decode("utf-8")


# ---- the corpus scored as a whole (issue #18): recall of labelled claims, spurious items ------------------------
def _matches(claim, want) -> bool:
    return claim.kind == want["kind"] and want.get("quote", "") in claim.quote


def test_corpus_recall_and_no_spurious_items():
    """Each labelled claim found (same kind, quote, in order) or not; every item not labelled is spurious."""
    labelled = found = spurious = 0
    for p in PASSAGES:
        claims, wanted = check_text(p["text"], year=p.get("year")).claims, p.get("claim", [])
        labelled += len(wanted)
        left = list(claims)
        for want in wanted:
            hit = next((c for c in left if _matches(c, want)), None)
            if hit is not None:
                found += 1
                left.remove(hit)
        spurious += len(left)
    assert labelled >= 100
    assert found / labelled >= 0.9, f"recall {found}/{labelled}"
    assert spurious == 0


def test_readme_piped_check_text_output_is_current():
    """The README's piped blocks (``echo TEXT | computescale check-text -``: a token rate, an inference speed-up
    with a model named): each line they show is printed."""
    import re
    import shlex

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = [b for b in re.findall(r"```console\n(.*?)```", readme, re.S) if "| computescale check-text -" in b]
    assert len(blocks) >= 2
    for block in blocks:
        command, *shown = block.strip().splitlines()
        text = shlex.split(command.removeprefix("$ "))[1]
        out = str(check_text(text))
        assert len([line for line in shown if line.strip() not in ("", "...")]) >= 4
        for line in shown:
            if line.strip() and line.strip() != "...":
                assert line in out, line
