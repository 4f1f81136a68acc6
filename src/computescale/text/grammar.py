"""The grammar ``check-text`` reads prose with: numbers as written, sentences, and the spans of cluster
mentions, factors, durations, compute amounts and training verbs; regexes over the catalog's names only
(:mod:`computescale.text.mentions` binds them to a catalog's names; :mod:`computescale.text.reader` checks).

>>> parse_number("1.5 million"), parse_number("ten thousand"), parse_number("25 000"), parse_number("100k")
(1500000.0, 10000.0, 25000.0, 100000.0)

Every pattern scans in linear time (bounded repetitions only), so text of any size can be read.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

__all__ = ["parse_number", "sentences", "MAX_SENTENCE", "Span", "NUM", "HEDGE", "find_factors", "find_durations", "find_computes", "TRAINING_VERB",
           "YEAR", "SUBJECT", "word_alternation", "GROWTH", "COMPARED", "lazy", "inside"]

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
        for s, e in _capped(text, s, e):
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                trimmed.append((s, e))
    return trimmed


#: The longest sentence read as one [characters]: text with no sentence break (one long line, a table
#: dump) is cut into pieces of at most this size, at a space where there is one, so the work per
#: sentence is bounded and the whole read is linear in the text's size.
MAX_SENTENCE = 1_000


def _capped(text: str, start: int, end: int):
    """(start, end) pieces of one sentence, each at most :data:`MAX_SENTENCE` characters."""
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        yield start, cut
        start = cut
    yield start, end


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
    note: str = ""  # why the figure as read cannot be used ("looks like a lost superscript")


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
    rf"(?<![\w.,-])(?P<n>[0-9]+(?:\.[0-9]+)?|{WORDS})(?P<half>\s+and\s+a\s+half\s)?\s*(?:x|×|times)(?![\w])(?!\s*10\s*\^|\s*10[⁰¹²³⁴⁵⁶⁷⁸⁹])"
    rf"(?:\s+(?:(?P<inv>less|smaller|fewer|slower|weaker)|more|larger|bigger|greater|as\s+much|as\s+many|as\s+large|as\s+big|as\s+powerful|the))?"
    rf"|(?<![\w.,-])(?:(?P<fold>[0-9]+(?:\.[0-9]+)?|{WORDS})[\s-]fold|(?P<fold1>{_WORD})fold(?![\w]))"
    rf"|(?P<word>half(?!\s+of)|twice|thrice|double[sd]?|doubling|triple[sd]?|tripling|quadruple)(?![\w])"
    rf"|(?<![\w.,-])(?P<pct>[0-9]+(?:\.[0-9]+)?)\s*(?:%|per\s?cent|percent)\s+(?P<dir>more|larger|greater|bigger|less|fewer|smaller)"
    rf"(?:\s+[\w-]+){{0,3}}?\s+than"
    rf"|(?P<same>as\s+much(?:\s+[\w-]+){{0,2}}?\s+as|the\s+same\s+(?:compute|computing\s+power|capacity)\s+as|equal\s+to))",
    re.I,
)


_FACTOR_HINT = re.compile(r"[×%]|x(?![\w])|times|fold|half|twice|doubl|tripl|thrice|quadrupl|per\s?cent|as\s+much|same|equal", re.I)


def find_factors(sentence: str, offset: int) -> list[Span]:
    """Claimed ratios: "about 20 times", "20x", "twice", "8-fold", "30% more than", "as much as"."""
    out = []
    if not _FACTOR_HINT.search(sentence):  # every alternative needs one of these: skip the full scan
        return out
    for m in lazy(_FACTOR).finditer(sentence):
        g = m.groupdict()
        if g["n"] or g["fold"] or g["fold1"]:
            value = parse_number(g["n"] or g["fold"] or g["fold1"])
            value = value + 0.5 if g["half"] and value is not None else value  # "two and a half times"
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


_DURATION_HINT = re.compile(r"hour|day|week|month|year", re.I)


def find_durations(sentence: str, offset: int) -> list[Span]:
    """Durations, single or ranges: "122 days", "3 to 4 months", "90-100 days" -> value (lo, hi) in days."""
    out = []
    if not _DURATION_HINT.search(sentence):
        return out
    for m in lazy(_DURATION).finditer(sentence):
        lo = parse_number(m.group("lo"))
        hi = parse_number(m.group("hi")) if m.group("hi") else lo
        if lo is None or hi is None or not (0 < lo <= hi) or not math.isfinite(hi):
            continue
        unit = _DUR_UNIT[m.group("unit").lower().rstrip("s")]
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), "duration", (lo * unit, hi * unit),
                        (m.group("hedge") or "").lower()))
    return out


def inside(span: Span, others) -> bool:
    return any(getattr(o, "span", o).start <= span.start and span.end <= getattr(o, "span", o).end for o in others)


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻·", "0123456789-.")
_POW10 = r"10\s*(?:\^|\*\*)\s*-?[0-9]{1,4}(?:\.[0-9]{1,3})?|10[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,4}(?:·[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})?"
#: A figure in scientific notation as written: "3.8 x 10^25", "10²⁶", "10^25.3", "10**25", "2.15e25".
SCI = (rf"(?<![\w.])(?:[0-9]+(?:\.[0-9]+)?\s*(?:[x×\*]|times)\s*)?(?:{_POW10})"
       rf"|(?<![\w.])[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]{{1,4}}(?![\w.])")
_COMPUTE = (
    rf"(?<![\w.,-])(?:(?P<hedge>{HEDGE})\s+)?(?P<num>{SCI}|{NUM})"
    rf"\s*(?P<unit>FLOPs?|FLOP|floating[\s-]point\s+operations|operations|(?:PF|petaflops?|petaflop/s)[\s-]*days?|of\s+(?:training\s+)?compute)(?![\w/]|\s+per\s+second)",
    re.I,
)
_LOST_SUPERSCRIPT = re.compile(r"10(?:1[5-9]|2[0-9]|3[0-5])")  # "1026 FLOPs": 10²⁶ with its superscript lost


_COMPUTE_HINT = re.compile(r"flop|operations|PF|petaflop|compute", re.I)


def find_computes(sentence: str, offset: int) -> list[Span]:
    """Amounts of compute: "2.15e25 FLOP", "3.8 x 10^25 FLOPs", "10²⁶ operations", "3,640 PF-days" -> FLOP.

    A figure that cannot be a real amount (beyond a float, "2 x 10^1000 FLOPs") or that looks like a power of
    ten whose superscript was lost ("1026 FLOPs") comes back with value None and a note saying so.
    """
    out = []
    if not _COMPUTE_HINT.search(sentence):
        return out
    for m in lazy(_COMPUTE).finditer(sentence):
        num, unit, note = m.group("num"), m.group("unit").lower(), ""
        value = sci_value(num)
        if _LOST_SUPERSCRIPT.fullmatch(num.strip()) and "day" not in unit:
            value, note = None, (f"{m.group(0).strip()!r} reads as {num.strip()} FLOP, which looks like 10^{num.strip()[2:]} with its "
                                 f"superscript lost; not guessed (write 10^{num.strip()[2:]} or 1e{num.strip()[2:]} to check it)")
        elif value is not None and not math.isfinite(value):
            value, note = None, f"{m.group(0).strip()!r} is beyond any floating-point figure (more than 1e308): not a real amount of compute"
        elif value is None or value <= 0:
            continue
        elif "day" in unit:
            value *= 8.64e19  # 1 PF-day = 1e15 FLOP/s x 86,400 s (the registry's PF-day, units.txt)
        elif (unit == "operations" and value < 1e15) or (unit.endswith("compute") and value < 1e20):
            continue  # "10,000 operations", "50 of compute": not a training-compute amount
        out.append(Span(offset + m.start(), offset + m.end(), m.group(0), "compute", value, (m.group("hedge") or "").lower(), note))
    return out


def sci_value(text: str) -> float | None:
    """A figure as written ("3.8 x 10^25", "10^25.3", "10²⁶", "1e25", "1.5 million"); inf beyond a float, never an error."""
    t = text.translate(_SUPERSCRIPT).replace(" ", "")
    power = r"(?:\^|\*\*)?" if t != text.replace(" ", "") else r"(?:\^|\*\*)"  # "10²⁶" (superscripts), else "10^26": never "100"
    m = re.fullmatch(rf"(?:([0-9]+(?:\.[0-9]+)?)(?:[x×\*]|times))?10{power}(-?[0-9]{{1,4}}(?:\.[0-9]{{1,3}})?)", t, re.I)
    if m is None:
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)[eE]([+-]?[0-9]{1,4})", t)
    if m is None:
        return parse_number(text)
    mantissa = float(m.group(1) or 1)
    if mantissa == 0:
        return 0.0
    exponent = float(m.group(2)) + math.log10(mantissa)
    if exponent > 308:
        return math.inf
    return mantissa * 10.0 ** int(m.group(2)) if float(m.group(2)).is_integer() else 10.0 ** exponent


#: After a factor: "double in size to ...", "double Colossus's capacity to ...": the old size, then the new.
GROWTH = re.compile(r"\s+(?:in\s+size\s+|(?:[\w'’.-]+\s+){0,3}(?:capacity|size|compute|fleet|footprint|count)\s+)?to\s+", re.I)
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


