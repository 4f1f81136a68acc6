"""Plain-text tables and JSON conversion shared by every CLI command (no arithmetic here).

A hand-written aligned table rather than a table library: the output is a few dozen rows, and
start-up time matters for a CLI that already imports numpy, pint and pydantic.
"""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

import pint

from .units import format_quantity, quantity_to_json

__all__ = ["table", "to_jsonable", "dumps", "fmt", "wrap_lines", "terminal_width"]


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
          width: int | None = None) -> str:
    """An aligned text table. ``align`` is one letter per column: 'l' or 'r' (default: 'l').

    With ``width``, left-aligned text columns wider than 16 characters are narrowed, widest first,
    and their cells wrapped onto continuation lines until the table fits ``width`` columns.
    """
    cells = [[fmt(c) for c in row] for row in rows]
    if headers:
        cells = [list(headers)] + cells
    if not cells:
        return ""
    ncol = max(len(r) for r in cells)
    cells = [r + [""] * (ncol - len(r)) for r in cells]
    widths = [max(len(r[i]) for r in cells) for i in range(ncol)]
    align = (align or "l" * ncol).ljust(ncol, "l")
    if width is not None:  # only prose is wrapped: a column of names, ids or numbers keeps its width
        prose = "".join(a if a == "l" and any(" " in r[i] for r in cells[1 if headers else 0:]) else "r"
                        for i, a in enumerate(align))
        widths = _fit(widths, prose, width)
    lines = []
    for k, row in enumerate(cells):
        wrapped = [_wrap(c, w) if a == "l" and len(c) > w else [c] for c, w, a in zip(row, widths, align)]
        for j in range(max(len(w) for w in wrapped)):
            parts = [(c[j] if j < len(c) else "") for c in wrapped]
            parts = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(parts, widths, align)]
            lines.append("  ".join(parts).rstrip())
        if headers and k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


_MIN_WRAP = 16


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
    """The terminal's width in columns (``$COLUMNS``, else the terminal's, else 100)."""
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns)


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
