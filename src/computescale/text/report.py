"""What :func:`computescale.text.check_text` returns: one :class:`TextClaim` per statement, in a :class:`TextReport`."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data.specs import Catalog

__all__ = ["TextClaim", "TextReport"]


@dataclass
class TextClaim:
    """One statement found in the text: where it is, what was understood, the answer, what was not checked."""

    quote: str
    start: int
    end: int
    kind: str  # "comparison", "cluster", "training", "compute", "undisclosed-devices"
    understood: dict = field(default_factory=dict)
    answer: dict = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the answer in words

    def to_dict(self) -> dict:
        a = self.answer
        computed = a.get("computed") or a.get("like_for_like") or a.get("peak_compute") or a.get("compute") or a.get("implied_mfu")
        return {"quote": self.quote, "start": self.start, "end": self.end, "kind": self.kind,
                "stated": a.get("stated") or self.understood.get("compute") or self._stated_factor(),
                "computed": computed, "verdict": a.get("verdict"), "why": "; ".join(self.unchecked) or None,
                "sources": list(dict.fromkeys(a.get("sources", []))),
                "understood": self.understood, "answer": a, "unchecked": self.unchecked}

    def _stated_factor(self) -> dict | None:
        u = self.understood
        return {"as_written": u["factor_as_written"], "factor": u["factor"]} if "factor" in u else None


@dataclass
class TextReport:
    """Every claim :func:`check_text` found, in order of appearance (empty when there is none)."""

    claims: list[TextClaim]
    year: int | None
    year_note: str
    catalog: Catalog

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s for c in self.claims for s in c.answer.get("sources", ())))

    def to_dict(self) -> dict:
        return {"claims": [c.to_dict() for c in self.claims], "article_year": self.year, "article_year_note": self.year_note,
                "sources": {s: self.catalog.sources[s] for s in self.sources if s in self.catalog.sources}}

    def __str__(self) -> str:
        if not self.claims:
            return "No compute-scale statement found."
        out = []
        for i, c in enumerate(self.claims, 1):
            out.append(f"[{i}] {c.kind} (characters {c.start}-{c.end}): \"{c.quote}\"")
            out.extend(f"    {line}" for line in c.lines)
            out.extend(f"    not checked: {why}" for why in c.unchecked)
            out.append("")
        if self.sources:
            out.append("Sources:")
            out.extend(f"  [{s}] {self.catalog.sources[s].cite()}" for s in self.sources if s in self.catalog.sources)
        return "\n".join(out).rstrip()
