"""When a drug heard right may grow into a longer multi-word drug name around it."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from clinscribe.asr.core.lexicon import letters
from clinscribe.asr.core.spans import Match, Tok

EXTENSION_SIMILARITY = 0.85
LOOSE_EXTENSION_SIMILARITY = 0.5


def extends(toks: list[Tok], m: Match, exact: list[Match], common_words: frozenset[str]) -> bool:
    """A multi-word name growing out of a drug heard right, with unusual extra words.

    Extra words that are ordinary English ("potassium diet") never make it grow, however
    close the longer name sounds: the recogniser heard a real word there.
    """
    if m.score >= 1.0:
        return False
    for e in exact:
        inside = m.first <= e.first and e.last <= m.last
        if not inside or (e.first, e.last) == (m.first, m.last):
            continue
        if f" {e.name} " not in f" {m.name} ":
            continue
        span = enumerate(toks[m.first : m.last + 1], m.first)
        extra = [t for i, t in span if not e.first <= i <= e.last]
        if all(t.key in common_words for t in extra):
            return False
        # The drug heard right is itself a real drug: growing it into another one is a
        # swap between real drugs. A word heard exactly as part of the rest of the name
        # ("nitrate" of "mono nitrate" for dinitrate) shows the words around it were
        # heard too, so they must then spell the rest closely; a garbled rest ("insulin
        # cargen") may be read more loosely.
        rest = letters(m.name).replace(letters(e.name), "", 1)
        heard = "".join(t.key for t in extra)
        anchored = any(len(t.key) >= 4 and t.key in rest for t in extra)
        need = EXTENSION_SIMILARITY if anchored else LOOSE_EXTENSION_SIMILARITY
        return Levenshtein.normalized_similarity(heard, rest) >= need
    return False
