"""Plain-text tables and JSON conversion shared by every CLI command (no arithmetic here).

A hand-written aligned table rather than a table library: the output is a few dozen rows, and
start-up time matters for a CLI that already imports numpy, pint and pydantic.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any, Sequence

import pint

from .units import format_quantity, quantity_to_json

__all__ = ["table", "to_jsonable", "dumps", "fmt", "wrap_lines", "terminal_width", "fitting", "fit_prose"]


def fmt(value: Any, digits: int = 4) -> str:
    """Format a quantity, number or None for a table cell."""
    if value is None:
        return "—"
    if isinstance(value, pint.Quantity):
        return format_quantity(value, digits)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.{digits}g}"
    return str(value)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None, align: str | None = None,
          width: int | None = None, wrap_first: bool = False) -> str:
    """An aligned text table. ``align`` is one letter per column: 'l' or 'r' (default: 'l').

    With ``width``, left-aligned text columns wider than 12 characters are narrowed, widest first,
    and their cells wrapped onto continuation lines until the table fits ``width`` columns. The first
    column (each row's name, kept whole so that it can be found) only with ``wrap_first``.
    """
    cells = [[fmt(c) for c in row] for row in rows]
    if headers:
        cells = [list(headers)] + cells
    if not cells:
        return ""
    ncol = max(len(r) for r in cells)
    cells = [r + [""] * (ncol - len(r)) for r in cells]
    widths = [max(len(r[i]) for r in cells) for i in range(ncol)]
    align = (align or "l" * ncol).ljust(ncol, "l")[:ncol]
    width = width if width is not None else _FIT["width"]
    if width is not None:  # only prose is wrapped: a column of names, ids or numbers keeps its width
        widths = _fit_columns(cells, widths, align, width, bool(headers), wrap_first)
    lines = []
    for k, row in enumerate(cells):
        wrapped = [_wrap(c, w) if (a == "l" or (headers and k == 0)) and len(c) > w else [c] for c, w, a in zip(row, widths, align)]
        for j in range(max(len(w) for w in wrapped)):
            parts = [(c[j] if j < len(c) else "") for c in wrapped]
            parts = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(parts, widths, align)]
            lines.append("  ".join(parts).rstrip())
        if headers and k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


_MIN_WRAP = 12


def _fit_columns(cells, widths, align, width: int, headers: bool, wrap_first: bool) -> list[int]:
    """Widths that fit ``width``: prose columns (left-aligned, with spaces; the first only with
    ``wrap_first``) are narrowed; if that is not enough, headers wrap at their spaces where that makes
    it fit."""
    ncol = len(widths)
    prose = "".join(a if (i or wrap_first) and a == "l" and any(" " in r[i] for r in cells[1 if headers else 0:])
                    else "r" for i, a in enumerate(align))
    widths = _fit(widths, prose, width)
    if headers and sum(widths) + 2 * (ncol - 1) > width:
        narrow = [max([len(r[i]) for r in cells[1:]] + [len(w) for w in cells[0][i].split()] + [1])
                  if prose[i] == "r" else widths[i] for i in range(ncol)]
        if sum(narrow) + 2 * (ncol - 1) <= width:
            return narrow
    return widths


def _fit(widths: list[int], align: str, width: int) -> list[int]:
    """Column widths narrowed (left-aligned columns only, widest first) so the table fits ``width``."""
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    while excess > 0:
        candidates = [i for i, a in enumerate(align) if a == "l" and widths[i] > _MIN_WRAP]
        if not candidates:
            break
        i = max(candidates, key=lambda j: widths[j])
        others = sorted((widths[j] for j in candidates if j != i), reverse=True)
        cut = min(excess, widths[i] - max(_MIN_WRAP, others[0] if others else _MIN_WRAP), widths[i] - _MIN_WRAP) or 1
        widths[i] -= cut
        excess -= cut
    return widths


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def wrap_lines(text: str, width: int, indent: str = "  ") -> str:
    """Each line of ``text`` wrapped to ``width`` columns, continuation lines indented."""
    import textwrap

    out = []
    for line in text.split("\n"):
        out.extend(textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
                   if len(line) > width else [line])
    return "\n".join(out)


def terminal_width() -> int:
    """Columns to fit: ``$COLUMNS``, else the terminal's width when standard output is one, else 100."""
    import os
    import sys

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if not columns and sys.stdout is not None and sys.stdout.isatty():
        try:
            columns = os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
    return max(40, columns or 100)


#: The width every table fits while a CLI command renders (:func:`fitting`); None: no limit (the API).
_FIT: dict = {"width": None}


@contextlib.contextmanager
def fitting(width: int | None):
    """Within the block, :func:`table` fits ``width`` columns unless told otherwise."""
    before = _FIT["width"]
    _FIT["width"] = width
    try:
        yield
    finally:
        _FIT["width"] = before


def fit_prose(text: str, width: int) -> str:
    """Lines of prose (no column gap of two spaces) longer than ``width`` wrapped, continuation indented."""
    out = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if len(line) > width and "  " not in body:
            indent = " " * (len(line) - len(body))
            out.append(wrap_lines(line, width, indent + "  "))
        else:
            out.append(line)
    return "\n".join(out)


def to_jsonable(obj: Any) -> Any:
    """Quantities become ``{"magnitude", "units"}``; pydantic models and dataclasses become dicts."""
    if isinstance(obj, pint.Quantity):
        return quantity_to_json(obj)
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "model_dump"):
        return {k: to_jsonable(getattr(obj, k)) for k in type(obj).model_fields if getattr(obj, k) not in (None, "", ())}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False)
