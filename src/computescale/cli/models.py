"""``computescale models``: list model architectures, or show one with every sourced figure.

Like ``specs`` and ``runs``: one API call (the catalog), then rendering; no arithmetic beyond the
KV-cache size per token at BF16, which the inference kernels compute.
"""

from __future__ import annotations

import argparse

from ..errors import InputError

__all__ = ["register"]


def _catalog(args):
    from ..data.specs import load_catalog

    return load_catalog(args.specs or None)


def _cache_gb(arch, context: float) -> float:
    """Cache of one sequence at BF16 at ``context`` tokens [GB] (windows, chunks and states included)."""
    from ..inference_inputs import cache_profile

    return float(cache_profile(arch, 2.0).bytes_per_sequence(context)) / 1e9


def _billions(entry) -> str:
    return f"{entry.value.m_as('') / 1e9:,.4g}B"


def _cmd_models(args) -> str:
    from ..render import dumps, table

    catalog = _catalog(args)
    if args.action == "show":
        if not args.name:
            raise InputError("models show needs a model NAME (e.g. computescale models show llama-3.1-70b)")
        return _models_show(catalog, args)
    archs = list(catalog.architectures.values())
    if args.json:
        return dumps([_summary(a) for a in archs])
    rows = []
    for a in archs:
        e = a.experts
        rows.append([
            a.name, a.organization, _billions(a.parameters), _billions(a.active_params),
            f"{a.figure('layers'):g}", f"{a.figure('attention_heads'):g}/{a.figure('kv_heads'):g}", a.attention_kinds(),
            f"{e.per_token.value.m_as(''):g} of {e.routed.value.m_as(''):g}" + (f" + {e.shared.value.m_as(''):g} shared" if e.shared.value.m_as("") else "") if e else "dense",
            f"{_cache_gb(a, 32768):,.3g}", f"{a.figure('max_context'):,.0f}",
        ])
    out = table(rows, ["model", "organization", "params", "active", "layers", "heads q/kv", "attention (kind layers)",
                       "experts", "cache GB @32k (BF16)", "max context"], "llrrrrllrr")
    return (out + f"\n\n{len(archs)} architectures. cache GB @32k: one sequence's KV cache (and linear-attention state) "
            "at 32,768 tokens of context, 2 bytes an element. Every figure with its source: computescale models show NAME")


def _summary(a) -> dict:
    return {
        "name": a.name, "aliases": list(a.aliases), "organization": a.organization,
        **{f: getattr(a, f).value for f in ("parameters", "active_params", "layers", "hidden_size", "attention_heads",
                                             "kv_heads", "head_dim", "vocab_size", "max_context")},
        "attention": [{"kind": g.kind, "layers": g.layers.value, "window": g.window.value if g.window else None,
                       "pattern": g.pattern} for g in a.attention],
        "experts": None if a.experts is None else {k: e.value for k, e in a.experts.entries()},
    }


def _models_show(catalog, args) -> str:
    from ..render import dumps, fmt, table
    from ..report import references

    a, resolved = catalog.resolve_architecture(args.name)
    fields = list(a.entries())
    ids = list(dict.fromkeys([*(e.source for _, e in fields), *a.see_also]))
    if args.json:
        return dumps({"query": args.name, "resolved": a.name, "architecture": a, "sources": {s: catalog.sources[s] for s in ids}})
    head = [f"{a.name}  ({a.organization})", f"resolved: {args.name!r} -> {a.name} (by {resolved.via})"]
    if a.aliases:
        head.append("aliases: " + ", ".join(a.aliases))
    head.append(f"attention: {a.attention_kinds()}")
    head += [f"  {g.kind}: {g.pattern}" for g in a.attention if g.pattern]
    runs = ", ".join(r.name for r in catalog.runs.values() if r.architecture and catalog.architecture(r.architecture) is a)
    for label, text in (("configuration", a.config), ("training run", runs), ("notes", a.notes)):
        if text:
            head.append(f"{label}: {text}")
    rows = []
    for f, e in fields:
        value = fmt(e.value.m_as(""), 6)
        if e.max is not None:
            value += f" (up to {fmt(e.max.m_as(''), 6)})"
        note = "; ".join(x for x in (e.derived and f"derived: {e.derived}", e.note) if x)
        rows.append([f, value, e.source, note])
    body = table(rows, ["field", "value", "source", "note"], "lrll")
    return "\n".join(head) + "\n\n" + body + "\n\n" + references(catalog, ids)


def register(sub, common) -> dict:
    """Add ``models`` to the parser; return its command function."""
    p = sub.add_parser(
        "models", parents=[common], help="list model architectures, or show one with every sourced figure",
        description="Model architectures (specs/models.toml): parameters, layers, attention heads, the kind of "
        "attention of each group of layers (full, sliding window, chunked, MLA, linear), experts, vocabulary, context.",
        epilog="examples:\n  computescale models\n  computescale models show deepseek-r1\n  computescale models show gpt-oss-120b --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list", help="list (default) or show NAME")
    p.add_argument("name", nargs="?", help="model name or alias (with show)")
    return {"models": _cmd_models}
