import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
# The fuzz suite (tests/test_fuzz.py) picks one of these itself. "fuzz": CI and every plain pytest run,
# bounded and derandomized (the same vectors each run, a few seconds on 2 cores); "fuzz-big": the long
# local run, COMPUTESCALE_FUZZ=big pytest tests/test_fuzz.py (20,000 CLI vectors, 12,000 per parser).
_FUZZ_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.large_base_example]
settings.register_profile("fuzz", max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=_FUZZ_HEALTH)
settings.register_profile("fuzz-big", max_examples=20_000, deadline=None, suppress_health_check=_FUZZ_HEALTH)

DATA = Path(__file__).parent / "data"

# The catalog cache goes to a folder of this test run, not the user's cache directory.
if "COMPUTESCALE_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["COMPUTESCALE_CACHE_DIR"] = tempfile.mkdtemp(prefix="computescale-test-cache-")


def _cli_command() -> list[str]:
    """The real entry point: the installed console script, else ``python -m computescale``."""
    exe = shutil.which("computescale", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "computescale"]


def _in_process(args, cwd=None) -> subprocess.CompletedProcess:
    """The CLI entry point called in this interpreter (``main(argv)``), stdout and stderr captured."""
    import contextlib
    import io

    from computescale.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors and --help exit through SystemExit
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["computescale", *args], code, out.getvalue(), err.getvalue())


def _runner(real: bool):
    base = _cli_command()

    def run(*args: str, check: bool = True, cwd=None) -> subprocess.CompletedProcess:
        if real:
            proc = subprocess.run([*base, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
        else:
            proc = _in_process(args, cwd)
        if check and proc.returncode != 0:
            raise AssertionError(f"computescale {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    return run


@pytest.fixture(scope="session")
def cli():
    """The CLI in-process (fast); ``cli_subprocess`` runs the installed console script for real."""
    return _runner(real=False)


@pytest.fixture(scope="session")
def cli_subprocess():
    return _runner(real=True)


@pytest.fixture(scope="session")
def catalog():
    from computescale import load_catalog

    return load_catalog()


@pytest.fixture(autouse=True)
def _fixed_terminal_width(monkeypatch):
    """Text output is fitted to the terminal's width ($COLUMNS first): the same 100 columns for every test,
    whatever terminal runs pytest."""
    monkeypatch.setenv("COLUMNS", "100")
