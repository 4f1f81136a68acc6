"""``python -m computescale``: the same as the ``computescale`` command."""

from .cli.main import run

if __name__ == "__main__":
    run()
