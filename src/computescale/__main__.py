"""``python -m computescale``: the same as the ``computescale`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
