"""Words of a segment as tokens, the context tests around them, and rewriting a segment with
chosen drug names while keeping what was heard (used by `correction`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz.distance import Levenshtein

from clinscribe.asr.core.lexicon import DrugEntry, letters, sound_class
from clinscribe.asr.core.schemas import Correction, Segment, Word


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that make a medication mention likely nearby: doses, units, schedules, and verbs.
DOSE_WORDS = word_set(
    "mg milligram milligrams mcg microgram micrograms gram grams units unit ml tablet tablets "
    "capsule capsules puff puffs spray sprays drops patch daily twice nightly weekly "
    "bid tid qid prn bedtime morning dose doses"
)
MED_VERBS = word_set(
    "take takes taking took start started starting stop stopped continue continues "
    "prescribe prescribed increase increased decrease reduce switch add added using uses "
    "use on lowering lower restart hold"
)
NUMBER_WORDS = word_set(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty sixty seventy eighty ninety hundred thousand half point zero"
)
NUMBER = re.compile(r"\d")
# Whisper glues a short function word onto the syllable before it ("simvastat in to" heard as
# "symbostat into"): a span may take the front of such a word and leave this part standing.
FUNCTION_WORDS = word_set("to a an and in on at the for of or is as")


@dataclass(frozen=True)
class Tok:
    text: str
    key: str
    start: float
    end: float
    probability: float
    timed: bool = True
    original: str | None = None  # what was heard, when an earlier pass corrected this word
    low: bool = False  # flagged for review by an earlier pass
    digits: bool = False  # written as a number by the recogniser; ``key`` is it spoken


_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spoken_number(text: str) -> str:
    """Letters of a small whole number as said ("7" -> "seven", "42" -> "fortytwo"), or "".

    Whisper writes numbers it hears as digits, so part of a drug name heard as a number
    ("a pic 7") would otherwise have no letters to match on: the name is matched on what was
    said, before any number reading.
    """
    bare = text.strip().rstrip(".,;:!?")
    if not bare.isdigit() or len(bare) > 2 or (len(bare) == 2 and bare[0] == "0"):
        return ""
    value = int(bare)
    if value < 20:
        return _UNITS[value]
    tens, unit = divmod(value, 10)
    return _TENS[tens - 2] + (_UNITS[unit] if unit else "")


@dataclass(frozen=True)
class Match:
    first: int
    last: int  # inclusive
    name: str
    score: float
    keep: str = ""  # letters at the end of the last word that stay as a word of their own
    low: bool = False  # the engine is unsure: flag the name for review


def tokens(segment: Segment) -> list[Tok]:
    if segment.words:
        # Estimated words carry the segment's mean probability: no use for confidence gating.
        timed = "estimated_word_times" not in segment.flags
        return [
            Tok(
                w.word,
                letters(w.word) or spoken_number(w.word),
                w.start,
                w.end,
                w.probability,
                timed,
                w.original_text,
                w.low_confidence,
                not letters(w.word) and bool(spoken_number(w.word)),
            )
            for w in segment.words
        ]
    parts = segment.text.split()
    step = (segment.end - segment.start) / max(len(parts), 1)
    return [
        Tok(
            f" {p}",
            letters(p) or spoken_number(p),
            segment.start + i * step,
            segment.start + (i + 1) * step,
            1.0,
            False,
            digits=not letters(p) and bool(spoken_number(p)),
        )
        for i, p in enumerate(parts)
    ]


def dose_follows(toks: list[Tok], last: int) -> bool:
    """The very next word is a number or a dose word: the strongest sign of a drug name."""
    if last + 1 >= len(toks):
        return False
    word = toks[last + 1].text.strip().lower().strip(".,;:!?")
    return word in DOSE_WORDS or word in NUMBER_WORDS or bool(NUMBER.search(word))


def has_context(toks: list[Tok], first: int, last: int) -> bool:
    after = [t.text.strip().lower().strip(".,;:!?") for t in toks[last + 1 : last + 5]]
    before = [t.key for t in toks[max(0, first - 3) : first]]
    if any(a in DOSE_WORDS or a in NUMBER_WORDS or NUMBER.search(a) for a in after):
        return True
    return any(b in MED_VERBS for b in before)


RARE_PENALTY = 0.04
# Thousands of brands, most of them rare: a brand must sound a little closer than a generic.
BRAND_PENALTY = 0.03


def comparable(key: str, entry: DrugEntry) -> bool:
    return 0.6 <= len(key) / len(entry.key) <= 1.5


def similarity(key: str, sound: str, entry: DrugEntry) -> float:
    """Blend of spelling, metaphone and coarse-sound similarity, minus a prior for rare drugs."""
    spelled = Levenshtein.normalized_similarity(key, entry.key)
    heard = Levenshtein.normalized_similarity(sound, entry.sound) if sound else 0.0
    coarse = Levenshtein.normalized_similarity(sound_class(sound), entry.coarse) if sound else 0.0
    penalty = (0.0 if entry.common else RARE_PENALTY) + (BRAND_PENALTY if entry.generic else 0.0)
    return 0.4 * spelled + 0.3 * heard + 0.3 * coarse - penalty


def ends_sentence(span: list[Tok]) -> bool:
    return any(t.text.rstrip().endswith((".", "?", "!")) for t in span)


def apply_matches(segment: Segment, toks: list[Tok], chosen: list[Match], source: str) -> Segment:
    words: list[Word] = []
    corrections: list[Correction] = []
    replaced: set[tuple[float, str]] = set()  # earlier corrections this one supersedes
    index = 0
    for m in chosen:
        words.extend(to_word(t) for t in toks[index : m.first])
        span = toks[m.first : m.last + 1]
        end, tail = span[-1].end, None
        if m.keep:
            span[-1], tail = split_tok(span[-1], m.keep)
            end = tail.start
        shown = "".join(t.text for t in span).strip()
        original = "".join(f" {t.original}" if t.original else t.text for t in span).strip()
        replaced.update((t.start, t.original) for t in span if t.original)
        lead = re.match(r"^\W*", shown)
        trail = re.search(r"[^\w]*$", shown)
        name = m.name
        if shown[:1].isupper() and (m.first == 0 or ends_sentence([toks[m.first - 1]])):
            name = name[:1].upper() + name[1:]
        text = f"{lead.group(0) if lead else ''}{name}{trail.group(0) if trail else ''}"
        words.append(
            Word(
                start=span[0].start,
                end=end,
                word=f" {text}",
                probability=round(min(m.score, 1.0), 3),
                original_text=original,
                low_confidence=m.low,
            )
        )
        corrections.append(
            Correction(
                original=original,
                replacement=m.name,
                start=span[0].start,
                end=end,
                score=round(min(m.score, 1.0), 3),
                source=source,
            )
        )
        if tail is not None:
            words.append(to_word(tail))
        index = m.last + 1
    words.extend(to_word(t) for t in toks[index:])
    text = "".join(w.word for w in words).strip()
    return segment.model_copy(
        update={
            "text": text,
            "words": words if segment.words else [],
            "original_text": segment.original_text or segment.text,
            "corrections": [
                *(c for c in segment.corrections if (c.start, c.original) not in replaced),
                *corrections,
            ],
        }
    )


def split_tok(tok: Tok, keep: str) -> tuple[Tok, Tok]:
    """Cut "into" into "in" (for the drug name) and "to" (kept), sharing its time by length."""
    bare = tok.text.strip()
    cut = len(bare.rstrip(".,;:!?")) - len(keep)
    at = tok.start + (tok.end - tok.start) * cut / len(bare)
    lead = tok.text[: tok.text.index(bare)]
    front = replace(tok, text=lead + bare[:cut], key=tok.key[:cut], end=at)
    return front, replace(tok, text=f" {bare[cut:]}", key=keep, start=at)


def to_word(t: Tok) -> Word:
    return Word(
        start=t.start,
        end=t.end,
        word=t.text,
        probability=t.probability,
        original_text=t.original,
        low_confidence=t.low,
    )
