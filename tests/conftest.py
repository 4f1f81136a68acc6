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

DATA = Path(__file__).parent / "data"


def _cli_command() -> list[str]:
    """The real entry point: the installed console script, else ``python -m computescale``."""
    exe = shutil.which("computescale", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "computescale"]


@pytest.fixture(scope="session")
def cli():
    base = _cli_command()

    def run(*args: str, check: bool = True, cwd=None) -> subprocess.CompletedProcess:
        proc = subprocess.run([*base, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"computescale {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    return run


@pytest.fixture(scope="session")
def catalog():
    from computescale import load_catalog

    return load_catalog()
