"""Every command and example in the README runs (house style: keep the README runnable)."""

import doctest
import re
import shlex
from pathlib import Path

import pytest

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)


def _cli_lines():
    for lang, body in BLOCKS[1:]:  # the first block is the install-and-run pair, run by CI itself
        if lang == "sh":
            for line in body.splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("computescale "):
                    yield line


@pytest.mark.parametrize("line", list(_cli_lines()))
def test_readme_command_runs(cli, line, tmp_path):
    args = shlex.split(line)[1:]
    args = [str(tmp_path / a) if a.endswith((".png", ".svg", ".csv", ".zarr")) else a for a in args]
    if "--specs" in args and not Path(args[args.index("--specs") + 1]).exists():
        pytest.skip("example names a user's own spec file")
    cli(*args)


def test_readme_console_output_is_current(cli):
    lang, body = next((lang, body) for lang, body in BLOCKS if lang == "console")
    command, *shown = body.strip().splitlines()
    out = cli(*shlex.split(command.removeprefix("$ "))[1:]).stdout
    for line in shown:
        if line.strip() and line.strip() != "...":
            assert line in out, line


def test_readme_python_examples():
    text = "\n".join(body for lang, body in BLOCKS if lang == "python")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 3


@pytest.mark.parametrize("index", range(sum(1 for lang, _ in BLOCKS if lang == "python")))
def test_each_readme_python_block_runs_on_its_own(index):
    """Issue 22: a block that relied on an earlier block's import failed when copied alone."""
    body = [body for lang, body in BLOCKS if lang == "python"][index]
    if "LocalCluster" in body:
        pytest.skip("the Dask cluster block starts worker processes; it runs in test_readme_python_examples")
    test = doctest.DocTestParser().get_doctest(body, {}, f"README block {index}", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0


def test_readme_states_the_python_version():
    import tomllib

    need = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"Python {need.replace('>=', '>= ')}" in README.replace("\n", " ")
