"""Learned cue words: how strongly a patient sentence reads as part of the present illness.

The weights come from the ACI-Bench train split (see `learned.py`, written by
bench/learn_sections.py); this module only tokenises and adds them up.
"""

from __future__ import annotations

import re

from clinscribe.notes.core.learned import PRIOR, WEIGHTS

_WORD = re.compile(r"[a-z][a-z']*")


def words(text: str) -> list[str]:
    """Lower-case word tokens, contractions joined the way the tokenised dialogue splits them."""
    joined = re.sub(r"\s+'", "'", re.sub(r"\s+n't\b", "n't", text.lower()))
    return _WORD.findall(joined)


def hpi_score(text: str) -> float:
    """Log-odds that the sentence belongs in the HPI (each distinct word counted once)."""
    return PRIOR + sum(WEIGHTS.get(w, 0.0) for w in set(words(text)))
