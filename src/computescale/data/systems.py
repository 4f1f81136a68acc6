"""Per-device IT power from vendors' rated systems (``specs/systems.toml``).

A vendor's system rating (DGX B200 "14.3 kW max." for 8 GPUs) already counts CPUs, memory, NICs,
NVSwitches, fans and PSU losses. Where a device has one, the model's ``server_overhead`` becomes

    system power / (devices per system x device TDP)

so that count x TDP x server_overhead = count x system power / devices per system, and the model
formula is unchanged. A device without a system rating keeps the generic default overhead, labelled
as a fallback. Both are ratings (maxima), not measured draw.
"""

from __future__ import annotations

import numpy as np

__all__ = ["system_overhead"]


def _member_power_w(catalog, device, fallback: float):
    """(per-device IT power [W] or NaN, TDP [W] or NaN, system or None) for one device."""
    tdp = device.power.tdp
    tdp_w = float(tdp.value.m_as("W")) if tdp is not None else float("nan")
    system = catalog.system_for(device)
    if system is not None:
        return float(system.power.value.m_as("W")) / system.devices, tdp_w, system
    return tdp_w * fallback, tdp_w, None


def system_overhead(catalog, cluster, fallback: float):
    """``(server_overhead, source ids, note)`` from rated systems, or None where no member has one.

    ``cluster`` is a :class:`~computescale.cluster.Cluster`; ``fallback`` the generic overhead for
    members without a system. For a mix, the ratio is weighted by count x TDP, so that
    sum(count x TDP) x overhead = sum(count x per-device IT power). NaN where a member has no TDP.
    """
    rows = [(m.device, *_member_power_w(catalog, m.device, fallback)) for m in cluster.members]
    if all(system is None for *_, system in rows):
        return None
    it_w = np.array([r[1] for r in rows])
    tdp_w = np.array([r[2] for r in rows])
    counts = np.asarray(cluster.counts, dtype=float)
    ratio = (counts * it_w).sum(axis=-1) / (counts * tdp_w).sum(axis=-1)
    ratio = float(ratio) if np.ndim(ratio) == 0 else ratio
    sources, parts = [], []
    for device, it, tdp, system in rows:
        if system is not None:
            sources.append(system.power.source)
            parts.append(f"{system.name} rated {system.power.value.m_as('kW'):g} kW / {system.devices} devices"
                         f" / {device.name} TDP {tdp:g} W = {it / tdp:.3f}")
        else:
            parts.append(f"{device.name}: no rated system, generic fallback {fallback:g}")
    weighted = " (weighted by count x TDP)" if len(rows) > 1 else ""
    note = "derived: " + "; ".join(parts) + weighted + ". A rated maximum, like TDP; excludes facility overhead (PUE)"
    return ratio, ", ".join(dict.fromkeys(sources)), note
