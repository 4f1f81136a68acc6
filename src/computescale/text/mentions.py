"""Cluster mentions: the grammar bound to a catalog's device, cluster and run names; one sentence read whole."""

from __future__ import annotations

import math
import re
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ComputescaleError, InputError
from .figures import find_figures
from .grammar import HEDGE, NUM, TRAINING_VERB, YEAR, Span, parse_number, find_computes, find_durations, find_factors, inside, lazy, word_alternation

if TYPE_CHECKING:  # imported where used: the grammar loads without the catalog
    from ..cluster import Cluster
    from ..data.specs import Catalog

__all__ = ["Mention", "grammar_for", "find_mentions", "combine", "whole", "Sentence", "read_sentence", "unusable", "article_year",
           "devices_meant", "named_nearby", "run_cluster", "carry_device", "bare_devices"]

_VENDOR = r"(?:Nvidia|AMD|Intel|Google|Habana)(?:['’]s)?"
_GENERIC = (r"(?:GPUs?|chips?|accelerators?|graphics\s+(?:processing\s+units?|cards?|processors?)|"
            r"AI\s+(?:chips?|processors?|accelerators?)|superchips?|processors?)")
_ADJ = (rf"(?:{_VENDOR}|[A-Za-z]+-[A-Za-z-]+|new|more|additional|extra|advanced|powerful|latest|flagship|older|newer|"
        r"used|installed|coveted|expensive|top|interconnected|networked|the|its|their|Hopper|Blackwell|Ampere|Instinct|"
        r"Tensor\s+Core|high-end|specialized|specialised|dedicated|graphics)")
_ORGS = (r"OpenAI|xAI|Meta|Google\s+DeepMind|DeepMind|Google|Microsoft|Anthropic|Amazon|AWS|Mistral|Tesla|Oracle|"
         r"CoreWeave|Alibaba|Baidu|ByteDance|Tencent|DeepSeek|Inflection|Apple|IBM")
_DATE_WORDS = {"in", "since", "by", "from", "until", "during", "early", "late", "mid", "of", "through", "before", "after"}


@dataclass
class Mention:
    """A cluster as written: a count and a device, a count of unnamed devices, or a known cluster."""

    span: Span
    sentence: int
    count: float | None = None
    query: str | None = None  # the device name as written, vendor prefix and plural stripped
    generic: str = ""  # "GPUs", when the device type is not named
    known: str | None = None
    cluster: "Cluster | None" = None
    error: str = ""
    named: str | None = None  # a known cluster's name the text gives to this count ("Colossus, with 100k H100s")
    source: str | None = None  # where the count comes from when the text does not give it (a run's cluster)
    per: str = ""  # "hours": GPU-hours, not devices; "equivalents": H100-equivalents (compute only, no power)
    carried: str = ""  # where the device type comes from when the count names none ("H800, sentence 1")

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"text": self.span.text, "start": self.span.start, "end": self.span.end}
        out.update({k: v for k, v in (("hedge", self.span.hedge), ("named", self.named), ("source", self.source)) if v})
        out.update({k: v for k, v in (("per", self.per), ("device_from", self.carried)) if v})
        if self.cluster is not None:
            out.update(self.cluster.to_dict())
            out["resolved"] = self.cluster.resolutions
        else:
            out.update({"count": self.count, "device_as_written": self.query or self.generic or None,
                        "known_cluster": self.known, "error": self.error or None})
        return out


# ---- cluster mentions: the grammar bound to a catalog's names --------------------------------------------------------------------------
_Grammar = namedtuple("_Grammar", "mention run org device")  # the compiled patterns for one catalog's names
_GRAMMARS: dict[int, tuple["Catalog", _Grammar]] = {}  # id(catalog) -> (catalog, its grammar)


def grammar_for(catalog: "Catalog") -> _Grammar:
    """The regexes for one catalog's device, cluster and run names (built once per catalog)."""
    cached = _GRAMMARS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    dev = word_alternation(n for d in catalog.devices.values() for n in (d.name, *d.aliases))
    known = word_alternation(n for c in catalog.clusters.values() for n in (c.name, *c.aliases))
    runs = word_alternation(n for r in catalog.runs.values() for n in (r.name, *r.aliases))
    sep = rf"(?:(?:\s+of)?(?P<{{p}}adj>(?:\s+{_ADJ}){{{{0,3}}}})\s+|-)"
    pattern = (  # every alternative starts a word: the lookbehind skips the inside of words fast
        rf"(?<![\w.,])(?:(?:(?P<hedge>{HEDGE})\s+)?(?P<num>{NUM}){sep.format(p='')}(?:{_VENDOR}\s+)?(?P<dev>{dev})(?:s|['’]s)?(?![\w])"
        rf"(?:[\s-]+{_GENERIC}(?![\w]))?"
        rf"|(?:(?P<ghedge>{HEDGE})\s+)?(?P<gnum>{NUM}){sep.format(p='g')}(?:(?-i:(?P<unk>[A-Z]{{1,4}}-?[0-9]{{1,4}}[A-Za-z]{{0,3}}))\s+)?"
        rf"(?P<gen>{_GENERIC})(?![\w])"
        rf"(?:\s*\(\s*(?:{_VENDOR}\s+)?(?P<gdev>{dev})(?:s|['’]s)?\s*\))?"
        rf"|(?P<known>{known})(?![\w-]))"
    )
    grammar = _Grammar(re.compile(pattern, re.I), re.compile(rf"(?<![\w-])(?:{runs})(?![\w-])", re.I),
                       re.compile(rf"\b(?:{_ORGS})\b"), re.compile(rf"(?<![\w.,-])(?P<dev>{dev})(?:s|['’]s|-(?:based|powered|class))?(?![\w-])", re.I))
    _GRAMMARS[id(catalog)] = (catalog, grammar)
    return grammar


def find_mentions(sentence: str, offset: int, index: int, grammar: _Grammar, catalog: "Catalog") -> list[Mention]:
    """Clusters as written in one sentence: counts with devices, counts of unnamed devices, known clusters."""
    out = []
    for m in grammar.mention.finditer(sentence):
        start, hedge = m.start(), (m.group("hedge") or m.group("ghedge") or "").lower()
        if not hedge and (r := lazy(_RANGE_BEFORE).search(sentence, max(0, start - 40), start)):  # "20,000 to 25,000 H100s"
            start, hedge = r.start(), f"range {r.group(0).strip()} {m.group('num') or m.group('gnum')}: the upper end is used"
        span = Span(offset + start, offset + m.end(), sentence[start:m.end()], "cluster", None, hedge)
        if m.group("known"):
            out.append(_resolve(Mention(span, index, known=m.group("known")), catalog))
            continue
        num = m.group("num") or m.group("gnum")
        if _is_date(sentence, m.start(m.group("num") and "num" or "gnum"), num, bool(m.group("adj") or m.group("gadj"))):
            continue
        count = parse_number(num)
        unit = _PER_UNIT.match(sentence, m.end())  # "eight H100s per server", "an 8-GPU node": a server, not a cluster
        if count is None or (unit and (unit.group(1) or count <= 72)) or _AFTER_NAME.search(sentence, max(0, m.start() - 12), m.start()):
            continue
        per = "hours" if _HOURS.match(sentence, m.end()) else ("equivalents" if _EQUIV.match(sentence, m.end()) else "")
        if per == "hours" and m.group("gen"):  # "2.6 million GPU hours": no device type, no cluster
            out.append(Mention(span, index, count=count, generic=m.group("gen"), per=per, error="GPU-hours of undisclosed type"))
            continue
        query = m.group("dev") or m.group("gdev") or m.group("unk")  # an unknown model name fails to resolve, said so
        generic = "" if query else re.sub(r"\s+", " ", m.group("gen"))
        out.append(_resolve(Mention(span, index, count=count, query=query, generic=generic, per=per), catalog))
    return _appositions(out, sentence, offset, catalog)


_RANGE_BEFORE = (rf"(?:between\s+)?{NUM}\s*(?:to|-|–|—|and)\s*$", re.I)
_PER_UNIT = re.compile(r"\s*((?:per|each|every|in\s+(?:each|every)|on\s+(?:each|every))\s+)?"
                       r"(?:server|node|rack|board|box|tray|baseboard|chassis|instance|pod|system)s?\b", re.I)
_HOURS = re.compile(r"[\s-]*(?:GPU|chip|accelerator|device)?[\s-]*hours?\b", re.I)  # "2.788 million H800 GPU hours"
_EQUIV = re.compile(r"[\s-]*(?:GPU[\s-]*)?equivalents?\b", re.I)  # "600,000 H100 equivalents"
_AFTER_NAME = re.compile(r"(?:Trainium|Gaudi|TPU|Ironwood|Trillium|Maia|Inferentia|MTIA|v)\s*$", re.I)  # "Trainium 2 AI chips"
_LOCATIVE = re.compile(r"\s+(?:in|at|near|outside)\s+(?:the\s+)?", re.I)
_APPOSITION = re.compile(r"\s*(?:,|\(|—|–|:)?\s*(?:(?:which|that|a|an|the)\s+)?(?:(?:has|had|have|with|of|houses|housed|contains|"
                         r"packs|uses|used|is|was|comprises|comprising|boasts|runs|consists\s+of|will\s+have|now\s+has)\s+)?")


def _appositions(mentions: list[Mention], sentence: str, offset: int, catalog: "Catalog") -> list[Mention]:
    """ "Colossus, with 100,000 H100s": the count describes the known cluster; keep the text's figures.

    A count of unnamed devices ("Colossus, with 150,000 GPUs") takes the known cluster's device type with
    the count the text states, never the catalog's count.
    """
    out: list[Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        between = sentence[prev.span.end - offset:m.span.start - offset] if prev is not None else ""
        if prev is not None and prev.known and not m.known and _APPOSITION.fullmatch(between):
            m.named = prev.known
            if m.cluster is None and m.generic and prev.cluster is not None and prev.cluster.single_device is not None and not m.per:
                m = carry_device(m, prev.cluster.single_device.name, f"the catalog's {prev.cluster.known}", catalog)
            out[-1] = m
            continue
        if prev is not None and m.known and not prev.known and _LOCATIVE.fullmatch(between):
            continue  # "65,536 H200 GPUs in Abilene": a place, not a cluster of its own
        out.append(m)
    return out


def carry_device(m: Mention, device: str, where: str, catalog: "Catalog") -> Mention:
    """A count of unnamed devices given the device type named elsewhere ("a 512-chip cluster of H800s")."""
    carried = Mention(m.span, m.sentence, count=m.count, query=device, named=m.named, per=m.per, carried=f"{device}, from {where}")
    return _resolve(carried, catalog)


def _is_date(sentence: str, at: int, num: str, has_adjectives: bool) -> bool:
    """ "In 2024 Nvidia H100s ..." : a bare year before a device is a date, not a count."""
    if not re.fullmatch(r"(?:199[0-9]|20[0-3][0-9])", num.strip()):
        return False
    before = re.findall(r"[\w-]+", sentence[max(0, at - 20):at])
    return has_adjectives or (bool(before) and before[-1].lower() in _DATE_WORDS)


def _resolve(m: Mention, catalog: "Catalog") -> Mention:
    from ..cluster import Cluster, cluster
    try:
        if m.known is not None:
            m.cluster = cluster(m.known, catalog)
        elif m.query is not None:
            m.cluster = Cluster.of(m.query, whole(m.count), catalog=catalog)
    except ComputescaleError as exc:
        m.error = str(exc)
    return m


def whole(count: float) -> float:
    """A count read from text, or :class:`InputError` if it is not a whole number."""
    if not math.isfinite(count) or count != round(count):  # "2.5 H100s"
        raise InputError(f"the count {count:g} is not a whole number of devices")
    return count


def combine(mentions: list[Mention], catalog: "Catalog") -> "Cluster":
    """Clusters named together ("X and Y combined") as one cluster; counts of the same device add."""
    from ..cluster import Cluster, validate_counts

    if len(mentions) == 1:
        return mentions[0].cluster
    members, counts = {}, {}  # device name -> member, total count
    for m in mentions:
        for i, member in enumerate(m.cluster.members):
            members.setdefault(member.device.name, member)
            counts[member.device.name] = counts.get(member.device.name, 0.0) + float(m.cluster.counts[..., i])
    return Cluster(tuple(members.values()), validate_counts(list(counts.values())), None, catalog)


@dataclass
class Sentence:
    """One sentence and every span the grammar found in it (offsets index the whole input)."""

    index: int
    start: int
    end: int
    text: str
    mentions: list[Mention]
    factors: list[Span]
    durations: list[Span]
    computes: list[Span]
    training: bool  # a training verb is present
    figures: list[Span] = None  # stated rates, totals and power (computescale.text.figures)
    devices: list[Span] = None  # device names with no count ("the B200 is 2.5 times the H100")


def read_sentence(text: str, index: int, start: int, end: int, grammar: _Grammar, catalog: "Catalog") -> Sentence:
    """Every span in ``text[start:end]``: clusters, factors, durations and compute amounts, none inside another."""
    body = text[start:end]
    mentions = find_mentions(body, start, index, grammar, catalog)
    computes = find_computes(body, start)
    durations = [d for d in find_durations(body, start) if not inside(d, mentions)]
    factors = [f for f in find_factors(body, start) if not inside(f, mentions) and not inside(f, computes)]
    figures = [f for f in find_figures(body, start) if not inside(f, mentions) and not inside(f, computes)]
    computes += [Span(f.start, f.end, f.text, "compute", f.value, f.hedge) for f in figures if f.kind == "total"]
    figures = [f for f in figures if f.kind != "total"]
    durations = [d for d in durations if not inside(d, figures)]
    return Sentence(index, start, end, body, mentions, factors, durations, computes, _is_training(body, grammar), figures,
                    bare_devices(body, start, grammar, mentions))


_BUILD = re.compile(r"\b(?:buil[dt]|building|construct\w*|erect\w*|online|found(?:ed|ing)|assembl\w*|install\w*|set\s+up|"
                    r"deliver\w*|ship\w*|stood\s+up|brought\s+up|ramp\w*|order\w*)\b", re.I)
_TRAIN_WORD = re.compile(r"\b(?:trained|training|train|trains|pre-?trained|pre-?training)\b", re.I)


def _is_training(body: str, grammar: _Grammar) -> bool:
    """A statement about training: a training word, or "took 95 days" with a run named and nothing built."""
    if _TRAIN_WORD.search(body):
        return not (_BUILD.search(body) and not re.search(r"\btrain(?:ed|s)?\s+(?:on|for|with|in)\b", body, re.I))
    return bool(TRAINING_VERB.search(body)) and bool(grammar.run.search(body)) and not _BUILD.search(body)


def bare_devices(body: str, offset: int, grammar: _Grammar, mentions: list[Mention]) -> list[Span]:
    """Device names with no count before them, outside every cluster mention: "the B200", "Nvidia's H100"."""
    out = []
    for m in grammar.device.finditer(body):
        span = Span(offset + m.start(), offset + m.end(), m.group(0), "device", m.group("dev"))
        if not inside(span, mentions):
            out.append(span)
    return out


def unusable(mentions: list[Mention], side: str) -> list[str]:
    """Why each mention cannot be checked (unknown device, undisclosed type, not a whole count)."""
    out = []
    for m in mentions:
        if m.cluster is None:
            why = m.error or f"the device type is not stated ({m.generic})"
            out.append(f"{side} {m.span.text!r}: {why}")
    return out


def article_year(text: str, year: int | None) -> tuple[int | None, str]:
    """The article's year: given, else the latest year it mentions, else None (with a note saying which)."""
    if year is not None:
        return int(year), "the year given"
    years = [int(y) for y in YEAR.findall(text)]
    if years:
        return max(years), "the latest year the text mentions, as no date was given"
    return None, "no date given or found in the text: every accelerator in the catalog is considered"


#: Vendors whose accelerators are graphics processors: "GPUs" of undisclosed type are not TPUs or Gaudi.
GPU_VENDORS = ("NVIDIA", "AMD")


def devices_meant(catalog: "Catalog", word: str, year: int | None) -> tuple[list, str]:
    """The catalog devices a word for unnamed accelerators can denote ("GPUs", "chips"), launched by ``year``."""
    gpus = bool(re.match(r"(?:GPU|graphics)", word, re.I))
    devices = [d for d in catalog.devices.values()
               if (year is None or d.launch_year <= year) and (not gpus or d.vendor.upper() in GPU_VENDORS)]
    return devices, ("NVIDIA and AMD GPUs" if gpus else "accelerators")


def named_nearby(grammar: _Grammar, catalog: "Catalog", sentence: str, previous: str) -> dict:
    """The model (a known run) and the organisation named in the sentence, else in the one before."""
    out: dict[str, Any] = {}
    for text in (sentence, previous):
        if "model" not in out and (m := grammar.run.search(text)):
            out["model"] = {"as_written": m.group(0), "run": catalog.run(m.group(0))[0].name}
        if "organisation" not in out and (m := grammar.org.search(text)):
            out["organisation"] = m.group(0)
    return out


def run_cluster(grammar: _Grammar, catalog: "Catalog", s: Sentence, at: int = 0) -> Mention | None:
    """The cluster the catalog records for a known run named in the sentence (from ``at``), as a mention of it."""
    hit = grammar.run.search(s.text, at)
    run = catalog.run(hit.group(0))[0] if hit else None
    if run is None or run.cluster is None:
        return None
    span = Span(s.start + hit.start(), s.start + hit.end(), hit.group(0), "cluster")
    m = Mention(span, s.index, count=float(run.cluster.count), query=run.cluster.device, named=f"{run.name}'s training cluster",
                source=run.cluster.source)
    return _resolve(m, catalog)
