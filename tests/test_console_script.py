"""One real subprocess per command: the installed console script (or ``python -m computescale``) runs.

Every other CLI test calls the entry point in-process (``main(argv)``), which is faster and tests the
same code; these prove the script itself, its exit codes and its one-line errors."""

import pytest

from computescale.cli.main import build_parser

COMMANDS = {
    "specs": ["specs", "show", "H100"],
    "compare": ["compare", "100k H100", "25k A100"],
    "claim": ["claim", "100k H100 = 20x 25k A100"],
    "train": ["train", "--run", "gpt-4"],
    "runs": ["runs"],
    "clusters": ["clusters"],
    "thresholds": ["thresholds"],
    "glossary": ["glossary"],
    "models": ["models", "show", "qwen3-next"],
    "infer": ["infer", "--model", "llama-3.1-8b", "--cluster", "1 H100", "--batch", "8", "--input-tokens", "512",
              "--output-tokens", "128"],
    "sweep": ["sweep", "--device", "H100", "--count", "10k,20k", "--flop", "1e25", "--mfu", "0.4"],
}


def test_every_command_has_a_subprocess_case():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) <= set(COMMANDS) | {"check-text"}  # check-text: its own subprocess tests


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_console_script_runs(cli_subprocess, name):
    proc = cli_subprocess(*COMMANDS[name])
    assert proc.returncode == 0 and proc.stdout.strip() and not proc.stderr.strip()


def test_console_script_error_is_one_line_exit_2(cli_subprocess):
    proc = cli_subprocess("train", "--flop", "1e25", "--cluster", "10k H999", check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
