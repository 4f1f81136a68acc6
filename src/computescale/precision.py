"""The one precision policy: names, case, the default, the fallback, and a device lacking a format.

* Names are case-insensitive and stripped (``"BF16"`` is ``bf16``); an empty name is an
  :class:`InputError`, an unknown one an :class:`UnknownNameError` with the close names.
* Peaks are dense: a sparse headline is never used as a training or like-for-like peak.
* The default is BF16; where a device publishes no BF16 figure, its FP16 figure (BF16's 16-bit
  counterpart) is used and the result says so. No other format is ever substituted.
* A single estimate, claim or article check that needs a format a device lacks is an
  :class:`InputError` naming the device and the formats it has. A grid that lists formats
  explicitly (a sweep's precision axis) shows NaN in the cells a device lacks, with a note.

Every path (``train``, ``sweep``, Monte Carlo, ``claim``, ``compare``, ``check-text``) uses these
functions.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterable

from .errors import InputError, UnknownNameError

__all__ = ["normalize", "choose", "fallbacks", "peak_per_device", "DEFAULT", "FALLBACK_NOTE"]

DEFAULT = "bf16"
FALLBACK_NOTE = "the device has no BF16 figure, so its FP16 dense tensor peak is used (BF16's 16-bit counterpart)"


def normalize(precision: Any) -> str | None:
    """``'BF16'`` -> ``'bf16'``; None stays None; empty text or an unknown name is an error."""
    from .data.schema import FLOAT_PRECISIONS, TENSOR_FLOAT_PRECISIONS

    if precision is None:
        return None
    if not isinstance(precision, str):
        raise InputError(f"precision must be text such as 'bf16', got {precision!r}")
    p = precision.strip().lower()
    if not p:
        raise InputError(f"precision is empty; give one of {', '.join(TENSOR_FLOAT_PRECISIONS)}")
    if p not in FLOAT_PRECISIONS:
        raise UnknownNameError("precision", precision, difflib.get_close_matches(p, FLOAT_PRECISIONS, n=3)
                               or list(TENSOR_FLOAT_PRECISIONS))
    return p


def fallbacks(precision: str | None) -> tuple[str, ...]:
    """The formats tried, in order, for a requested (or default) precision: BF16 falls back to FP16 only."""
    p = normalize(precision) or DEFAULT
    return (p, "fp16") if p == "bf16" else (p,)


def _has(device, p: str) -> bool:
    return device.peak(p) is not None


def _formats(device) -> str:
    return ", ".join(p for p in device.precisions() if _has(device, p)) or "none"


def choose(devices: Iterable, precision: Any = None) -> tuple[str, str]:
    """The precision used for ``devices`` and why (``'chosen'``, the default, or the FP16 fallback).

    Raises :class:`InputError` where a device lacks the format (and, for the default, FP16 too).
    """
    devices = list(devices)
    chosen = normalize(precision)
    options = (chosen,) if chosen else fallbacks(None)
    for p in options:
        if all(_has(d, p) for d in devices):
            why = "chosen" if chosen else ("default (BF16 dense tensor peak)" if p == DEFAULT else FALLBACK_NOTE)
            return p, why
    lacking = (next((d for d in devices if not any(_has(d, p) for p in options)), None)
               or next(d for d in devices if not _has(d, options[0])))
    wanted = chosen.upper() if chosen else "BF16 or FP16"
    raise InputError(f"precision: {lacking.name} has no published {wanted} dense peak; choose one it has "
                     f"(--precision {_formats(lacking)})")


def peak_per_device(cluster, precision: str) -> tuple[Any, str]:
    """Mean dense peak per device [FLOP/s] of a cluster at ``precision``, and its metric key.

    A scalar for one device type; InputError naming the member that lacks the format.
    """
    from . import kernels

    p = normalize(precision)
    metric = f"{p}.dense"
    per = cluster.per_device(metric)
    missing = [m.device for m, v in zip(cluster.members, per) if math.isnan(v)]
    if missing:
        raise InputError(f"precision: {missing[0].name} has no published {p.upper()} dense peak; "
                         f"choose one it has ({_formats(missing[0])})")
    if len(cluster.members) == 1:  # one device type: the peak is a scalar, not an N-array of copies
        return float(per[0]), metric
    return kernels.ratio(cluster.total_magnitude(metric), cluster.n_devices), metric
