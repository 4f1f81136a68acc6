"""The article reader: find and check every compute-scale statement in prose.

``check_text(text) -> TextReport``. The package, by concern: :mod:`.grammar` (numbers, sentences, spans),
:mod:`.mentions` (cluster mentions bound to a catalog's names), :mod:`.figures` (stated figures: compute,
power, per-chip peaks, speed-ups, GPU-hours), :mod:`.reader` (context across sentences), :mod:`.stated`
and :mod:`.training_claims` (the reader's judging of stated figures and of training statements),
:mod:`.judge` (verdicts through the public API), :mod:`.report` (what is returned).
"""

from .reader import check_text
from .report import TextClaim, TextReport

__all__ = ["check_text", "TextReport", "TextClaim"]
