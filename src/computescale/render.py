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

__all__ = ["table", "to_jsonable", "dumps", "fmt"]


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


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None, align: str | None = None) -> str:
    """An aligned text table. ``align`` is one letter per column: 'l' or 'r' (default: 'l')."""
    cells = [[fmt(c) for c in row] for row in rows]
    if headers:
        cells = [list(headers)] + cells
    if not cells:
        return ""
    ncol = max(len(r) for r in cells)
    cells = [r + [""] * (ncol - len(r)) for r in cells]
    widths = [max(len(r[i]) for r in cells) for i in range(ncol)]
    align = (align or "l" * ncol).ljust(ncol, "l")
    lines = []
    for k, row in enumerate(cells):
        parts = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, align)]
        lines.append("  ".join(parts).rstrip())
        if headers and k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


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
