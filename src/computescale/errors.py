"""The exceptions computescale raises on bad input. All derive from :class:`ComputescaleError`.

The CLI catches :class:`ComputescaleError` and prints its message as one line on stderr with a
non-zero exit; API users can catch the base class or a specific one.
"""

from __future__ import annotations

__all__ = ["ComputescaleError", "UnitError", "InputError", "UnknownNameError", "SpecFileError", "one_line"]


def one_line(text: str) -> str:
    """``text`` with every non-printable character escaped (``'\\r'``, ``'\\u2028'``, ``'\\x00'``).

    The CLI's promise is one line per error: a control character echoed from the input would break
    it (``'\\r'`` rewrites the line on a terminal), and a lone surrogate (undecodable bytes in argv)
    would not even print.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ComputescaleError(Exception):
    """Base class of every error computescale raises on purpose."""


class UnitError(ComputescaleError, ValueError):
    """A quantity has the wrong dimension, an unknown unit, or cannot be read."""


class InputError(ComputescaleError, ValueError):
    """An input is out of its allowed range (negative or NaN count, utilization outside (0, 1], ...)."""


class UnknownNameError(ComputescaleError, LookupError):
    """A device, cluster, run, precision or other name is not known. ``suggestions`` holds close names."""

    def __init__(self, kind: str, name: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.kind = kind
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return self.args[0]


class SpecFileError(ComputescaleError):
    """A spec file is malformed: the message names the file, the field and the reason."""

    def __init__(self, path: str, field: str, reason: str):
        self.path = path
        self.field = field
        self.reason = reason
        where = f"{path}: {field}: " if field else f"{path}: "
        super().__init__(where + reason)
