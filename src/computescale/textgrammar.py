"""The grammar ``check-text`` reads prose with: numbers as written, sentences, and the spans of cluster
mentions, factors, durations, compute amounts and training verbs; regexes over the catalog's names only
(:mod:`computescale.text` does the checking).

>>> parse_number("1.5 million"), parse_number("ten thousand"), parse_number("25 000"), parse_number("100k")
(1500000.0, 10000.0, 25000.0, 100000.0)

Every pattern scans in linear time (bounded repetitions only), so text of any size can be read.
"""

from __future__ import annotations

import functools
import math
import re
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ComputescaleError, InputError

if TYPE_CHECKING:  # imported where used: the grammar loads without the catalog
    from .cluster import Cluster
    from .data.specs import Catalog

__all__ = ["parse_number", "sentences", "Span", "NUM", "HEDGE", "find_factors", "find_durations", "find_computes", "TRAINING_VERB",
           "YEAR", "SUBJECT", "word_alternation", "Mention", "grammar_for", "find_mentions", "combine", "whole", "Sentence",
           "read_sentence", "inside", "unusable", "article_year", "devices_meant", "named_nearby", "run_cluster", "GROWTH", "COMPARED", "lazy"]

# ---- numbers -------------------------------------------------------------------------------------------
_ONES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                                     "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_WORD = "|".join(sorted([*_ONES, *_TENS, *_SCALES], key=len, reverse=True))
#: A number in words: "ten thousand", "a hundred thousand", "twenty-five thousand", "half a million".
WORDS = (rf"(?:half\s+a\s+(?:million|billion)|(?:a\s+)?(?:{_WORD})(?:(?:\s+and)?[\s-]+(?:{_WORD})){{0,6}})(?![\w])")
#: A number in digits, with thousands separators (comma or a space, as in "25 000") and a scale.
DIGITS = (r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])|[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+(?![0-9,.])"
          r"|[0-9]+(?:\.[0-9]+)?(?![0-9]))")
_SCALE_SUFFIX = r"(?:[kKmM](?![\w])|\s+(?:thousand|million|billion)(?![\w]))"
#: A number as written: digits (optionally scaled: "100k", "1.5 million") or words.
NUM = rf"(?:(?<![\w.,$€£¥])(?<![A-Za-z]-){DIGITS}{_SCALE_SUFFIX}?|(?<![\w-]){WORDS})"  # not the 4 of "GPT-4"
HEDGE = (r"(?:about|around|roughly|approximately|approx\.|nearly|almost|some|over|more\s+than|at\s+least|up\s+to|"
         r"close\s+to|fewer\s+than|less\s+than|as\s+many\s+as|an\s+estimated|upwards\s+of|~|≈)")  # words that hedge a number
_SUFFIX_VALUE = {"k": 1e3, "m": 1e6, "thousand": 1e3, "million": 1e6, "billion": 1e9}
#: A number at a position (``lazy(NUM_AT).match(text, pos)``), with what follows in parentheses: "200k (50k H200s)".
NUM_AT = (rf"{NUM}(?:\s*\([^()]{{0,40}}\))?", re.I)


@functools.cache
def lazy(pattern: tuple[str, int]) -> re.Pattern:
    """The big patterns compile on first use, not at import (about 0.1 s that a CLI call may not need)."""
    return re.compile(*pattern)


def parse_number(text: str) -> float | None:
    """A number as written in prose, or None if the words do not make a number."""
    t = text.strip().lower().replace("\u00a0", " ").replace("\u202f", " ")
    m = re.fullmatch(r"([0-9][0-9, ]*(?:\.[0-9]+)?)\s*(k|m|thousand|million|billion)?", t)
    if m:
        digits = m.group(1).replace(",", "").replace(" ", "")
        try:
            value = float(digits)
        except ValueError:
            return None
        return value * _SUFFIX_VALUE.get(m.group(2) or "", 1.0)
    return _parse_words(t)


def _parse_words(t: str) -> float | None:
    if re.fullmatch(r"half\s+a\s+(million|billion)", t):
        return 0.5 * _SCALES[t.split()[-1]]
    words = [w for w in re.split(r"[\s-]+", t) if w and w != "and"]
    if words and words[0] == "a":
        if len(words) < 2 or words[1] not in _SCALES:
            return None
        words[0] = "one"
    total, current, seen = 0, 0, False
    for w in words:
        if w in _ONES:
            current += _ONES[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _SCALES:
            total += max(current, 1) * _SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


# ---- sentences ---------------------------------------------------------------------------------------------
_ABBREV = r"(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\bU\.S)(?<!\bInc)(?<!\bCo)(?<!\bapprox)(?<!\bNo)"
_BREAK = (rf"(?:{_ABBREV}[.!?…][\"'”’)\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])|\n\s*\n|\r?\n(?=\s*[-*•]))", 0)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed of surrounding whitespace; offsets index ``text``."""
    out, start = [], 0
    for m in lazy(_BREAK).finditer(text):
        end = m.start() + len(m.group(0).rstrip())
        if m.group(0).strip() == "":
            end = m.start()
        out.append((start, end))
        start = m.end()
    out.append((start, len(text)))
    trimmed = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


# ---- spans within a sentence ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A piece of the input the grammar understood: its offsets, its text and what it means."""

    start: int
    end: int
    text: str
    kind: str
    value: object = None  # the meaning: a float, a (lo, hi) pair, a name
    hedge: str = ""


def word_alternation(words) -> str:
    """A regex alternation that matches each phrase with flexible spaces and hyphens, longest first."""
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        chunks = [c for c in re.split(r"[\s_-]+", w.strip()) if c]
        if chunks:
            parts.append(r"[\s-]?".join(_letters_digits(c) for c in chunks))
    return "|".join(parts) if parts else r"(?!)"


def _letters_digits(chunk: str) -> str:
    """'H100' -> 'H-?100': a hyphen may split letters from digits ("H-100"), a space may not ("a 100")."""
    pieces = re.findall(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+", chunk)
    out = [re.escape(pieces[0])] if pieces else []
    for prev, cur in zip(pieces, pieces[1:]):
        sep = "-?" if (prev[0].isalpha() != cur[0].isalpha() and prev[0].isalnum() and cur[0].isalnum()) else ""
        out.append(sep + re.escape(cur))
    return "".join(out)


_FACTOR_WORDS = {"half": 0.5, "twice": 2.0, "double": 2.0, "doubles": 2.0, "doubled": 2.0, "doubling": 2.0, "triple": 3.0, "triples": 3.0,
                 "tripled": 3.0, "tripling": 3.0, "thrice": 3.0, "quadruple": 4.0}
_FACTOR = (  # every alternative starts a word: the lookbehind skips the inside of words fast
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?:"
    rf"(?<![\w.,-])(?P<n>[0-9]+(?:\.[0-9]+)?|{WORDS})\s*(?:x|×|times)(?![\w])(?!\s*10\s*\^|\s*10[⁰¹²³⁴⁵⁶⁷⁸⁹])"
    rf"(?:\s+(?:(?P<inv>less|smaller|fewer|slower|weaker)|more|larger|bigger|greater|as\s+much|as\s+many|as\s+large|as\s+big|as\s+powerful|the))?"
    rf"|(?<![\w.,-])(?:(?P<fold>[0-9]+(?:\.[0-9]+)?|{WORDS})[\s-]fold|(?P<fold1>{_WORD})fold(?![\w]))"
    rf"|(?P<word>half(?!\s+of)|twice|thrice|double[sd]?|doubling|triple[sd]?|tripling|quadruple)(?![\w])"
    rf"|(?<![\w.,-])(?P<pct>[0-9]+(?:\.[0-9]+)?)\s*(?:%|per\s?cent|percent)\s+(?P<dir>more|larger|greater|bigger|less|fewer|smaller)"
    rf"(?:\s+[\w-]+){{0,3}}?\s+than"
    rf"|(?P<same>as\s+much(?:\s+[\w-]+){{0,2}}?\s+as|the\s+same\s+(?:compute|computing\s+power|capacity)\s+as|equal\s+to))",
    re.I,
)


def find_factors(sentence: str, offset: int) -> list[Span]:
    """Claimed ratios: "about 20 times", "20x", "twice", "8-fold", "30% more than", "as much as"."""
    out = []
    for m in lazy(_FACTOR).finditer(sentence):
        g = m.groupdict()
        if g["n"] or g["fold"] or g["fold1"]:
            value = parse_number(g["n"] or g["fold"] or g["fold1"])
        elif g["word"]:
            value = _FACTOR_WORDS[g["word"].lower()]
        elif g["pct"]:
            pct = float(g["pct"]) / 100
            value = 1 + pct if g["dir"].lower() in ("more", "larger", "greater", "bigger") else 1 - pct
        else:
            value = 1.0
        if value is None or not math.isfinite(value) or value <= 0:
            continue
        value = 1 / value if g["inv"] else value  # "four times less than": A is a quarter of B
        kind = "same" if g["same"] else "factor"
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), kind, value, (g["hedge"] or "").lower()))
    return out


_DUR_UNIT = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
_DURATION = (
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?:between\s+)?(?P<lo>{NUM})(?:\s*(?:to|-|–|—|or|and)\s*(?P<hi>{NUM}))?"
    rf"[\s-]*(?P<unit>hours?|days?|weeks?|months?|years?)(?![\w])",
    re.I,
)


def find_durations(sentence: str, offset: int) -> list[Span]:
    """Durations, single or ranges: "122 days", "3 to 4 months", "90-100 days" -> value (lo, hi) in days."""
    out = []
    for m in lazy(_DURATION).finditer(sentence):
        lo = parse_number(m.group("lo"))
        hi = parse_number(m.group("hi")) if m.group("hi") else lo
        if lo is None or hi is None or not (0 < lo <= hi) or not math.isfinite(hi):
            continue
        unit = _DUR_UNIT[m.group("unit").lower().rstrip("s")]
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), "duration", (lo * unit, hi * unit),
                        (m.group("hedge") or "").lower()))
    return out


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_COMPUTE = (
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?P<num>(?<![\w.])(?:[0-9]+(?:\.[0-9]+)?\s*(?:[x×\*]|times)\s*)?10\s*(?:\^\s*|\*\*\s*)?(?:[0-9]{{1,3}}|[⁰¹²³⁴⁵⁶⁷⁸⁹]{{1,3}})"
    rf"|(?<![\w.])[0-9]+(?:\.[0-9]+)?[eE][+]?[0-9]{{1,3}}|{NUM})"
    rf"\s*(?P<unit>FLOPs?|FLOP|floating[\s-]point\s+operations|operations|(?:PF|petaflops?|petaflop/s)[\s-]*days?)(?![\w/])",
    re.I,
)


def find_computes(sentence: str, offset: int) -> list[Span]:
    """Amounts of compute: "2.15e25 FLOP", "3.8 x 10^25 FLOPs", "10²⁶ operations", "3,640 PF-days" -> FLOP."""
    out = []
    for m in lazy(_COMPUTE).finditer(sentence):
        value = _sci(m.group("num"))
        if value is None or not math.isfinite(value) or value <= 0:
            continue
        unit = m.group("unit").lower()
        if "day" in unit:
            value *= 8.64e19  # 1 PF-day = 1e15 FLOP/s x 86,400 s (the registry's PF-day, units.txt)
        elif unit == "operations" and value < 1e15:
            continue  # "10,000 operations" is not a training-compute amount
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), "compute", value, (m.group("hedge") or "").lower()))
    return out


def _sci(text: str) -> float | None:
    t = text.translate(_SUPERSCRIPT).replace(" ", "")
    m = re.fullmatch(r"(?:([0-9]+(?:\.[0-9]+)?)(?:[x×\*]|times))?10(?:\^|\*\*)?(-?[0-9]{1,3})", t, re.I)
    if m:
        return float(m.group(1) or 1) * 10.0 ** int(m.group(2))
    try:
        return float(t) if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?[eE]\+?[0-9]{1,3}", t) else parse_number(text)
    except (ValueError, OverflowError):
        return None


GROWTH = re.compile(r"\s+(?:in\s+size\s+)?to\s+", re.I)  # after a factor: "double in size to ..."
COMPARED = re.compile(r"\b(?:compared\s+(?:with|to)|relative\s+to|against|versus|vs\.?|unlike)\s", re.I)  # B first
#: Words that make a sentence a statement about training.
TRAINING_VERB = re.compile(r"\b(?:trained|training|train|trains|pre-?trained|pre-?training|will\s+take|took|takes)\b", re.I)
#: A four-digit year an article may be dated by.
YEAR = re.compile(r"(?<![0-9,.])(20[1-3][0-9])(?![0-9,])")
#: The subject of a comparison that refers back to an earlier cluster: a pronoun or a noun phrase.
SUBJECT = re.compile(
    r"\b(?:it|this|that|they|these|those|the\s+(?:new\s+|same\s+|whole\s+|entire\s+|expanded\s+|planned\s+)?"
    r"(?:[\w-]+\s+)?(?:facility|cluster|system|supercomputer|machine|site|data\s?cent(?:er|re)|campus|installation|"
    r"build-?out|deployment|fleet|computer|project))\b",
    re.I,
)


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

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"text": self.span.text, "start": self.span.start, "end": self.span.end}
        out.update({k: v for k, v in (("hedge", self.span.hedge), ("named", self.named), ("source", self.source)) if v})
        if self.cluster is not None:
            out.update(self.cluster.to_dict())
            out["resolved"] = self.cluster.resolutions
        else:
            out.update({"count": self.count, "device_as_written": self.query or self.generic or None,
                        "known_cluster": self.known, "error": self.error or None})
        return out


# ---- cluster mentions: the grammar bound to a catalog's names --------------------------------------------------------------------------
_Grammar = namedtuple("_Grammar", "mention run org")  # the compiled patterns for one catalog's names
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
                       re.compile(rf"\b(?:{_ORGS})\b"))
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
        if count is None or (unit and (unit.group(1) or count <= 72)):
            continue
        query = m.group("dev") or m.group("gdev") or m.group("unk")  # an unknown model name fails to resolve, said so
        generic = "" if query else re.sub(r"\s+", " ", m.group("gen"))
        out.append(_resolve(Mention(span, index, count=count, query=query, generic=generic), catalog))
    return _appositions(out, sentence, offset)


_RANGE_BEFORE = (rf"(?:between\s+)?{NUM}\s*(?:to|-|–|—|and)\s*$", re.I)
_PER_UNIT = re.compile(r"\s*((?:per|each|every|in\s+(?:each|every)|on\s+(?:each|every))\s+)?"
                       r"(?:server|node|rack|board|box|tray|baseboard|chassis|instance|pod|system)s?\b", re.I)
_LOCATIVE = re.compile(r"\s+(?:in|at|near|outside)\s+(?:the\s+)?", re.I)
_APPOSITION = re.compile(r"\s*(?:,|\(|—|–|:)?\s*(?:(?:which|that|a|an|the)\s+)?(?:(?:has|had|have|with|of|houses|housed|contains|"
                         r"packs|uses|used|is|was|comprises|comprising|boasts|runs|consists\s+of|will\s+have|now\s+has)\s+)?")


def _appositions(mentions: list[Mention], sentence: str, offset: int) -> list[Mention]:
    """ "Colossus, with 100,000 H100s": the count describes the known cluster; keep the text's figures."""
    out: list[Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        between = sentence[prev.span.end - offset:m.span.start - offset] if prev is not None else ""
        if prev is not None and prev.known and not m.known and _APPOSITION.fullmatch(between):
            m.named = prev.known
            out[-1] = m
            continue
        if prev is not None and m.known and not prev.known and _LOCATIVE.fullmatch(between):
            continue  # "65,536 H200 GPUs in Abilene": a place, not a cluster of its own
        out.append(m)
    return out


def _is_date(sentence: str, at: int, num: str, has_adjectives: bool) -> bool:
    """ "In 2024 Nvidia H100s ..." : a bare year before a device is a date, not a count."""
    if not re.fullmatch(r"(?:199[0-9]|20[0-3][0-9])", num.strip()):
        return False
    before = re.findall(r"[\w-]+", sentence[max(0, at - 20):at])
    return has_adjectives or (bool(before) and before[-1].lower() in _DATE_WORDS)


def _resolve(m: Mention, catalog: "Catalog") -> Mention:
    from .cluster import Cluster, cluster
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
    from .cluster import Cluster, validate_counts

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


def read_sentence(text: str, index: int, start: int, end: int, grammar: _Grammar, catalog: "Catalog") -> Sentence:
    """Every span in ``text[start:end]``: clusters, factors, durations and compute amounts, none inside another."""
    body = text[start:end]
    mentions = find_mentions(body, start, index, grammar, catalog)
    computes = find_computes(body, start)
    durations = [d for d in find_durations(body, start) if not inside(d, mentions)]
    factors = [f for f in find_factors(body, start) if not inside(f, mentions) and not inside(f, computes)]
    return Sentence(index, start, end, body, mentions, factors, durations, computes, bool(TRAINING_VERB.search(body)))


def inside(span: Span, others) -> bool:
    return any(getattr(o, "span", o).start <= span.start and span.end <= getattr(o, "span", o).end for o in others)


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


def run_cluster(grammar: _Grammar, catalog: "Catalog", s: Sentence) -> Mention | None:
    """The cluster the catalog records for a known run named in the sentence, as a mention of it."""
    hit = grammar.run.search(s.text)
    run = catalog.run(hit.group(0))[0] if hit else None
    if run is None or run.cluster is None:
        return None
    span = Span(s.start + hit.start(), s.start + hit.end(), hit.group(0), "cluster")
    m = Mention(span, s.index, count=float(run.cluster.count), query=run.cluster.device, named=f"{run.name}'s training cluster",
                source=run.cluster.source)
    return _resolve(m, catalog)
