"""Post-ASR drug-name correction: phonetic and edit-distance lexicon matching, in context."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from clinscribe.asr.lexicon import DrugEntry, DrugLexicon, letters, phonetic, sound_class
from clinscribe.asr.schemas import Correction, Segment, Word

MAX_SPAN_WORDS = 4


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that make a medication mention likely nearby: doses, units, schedules, and verbs.
DOSE_WORDS = _words(
    "mg milligram milligrams mcg microgram micrograms gram grams units unit ml tablet tablets "
    "capsule capsules puff puffs spray sprays drops patch daily twice nightly weekly "
    "bid tid qid prn bedtime morning dose doses"
)
MED_VERBS = _words(
    "take takes taking took start started starting stop stopped continue continues "
    "prescribe prescribed increase increased decrease reduce switch add added using uses "
    "use on lowering lower restart hold"
)
NUMBER_WORDS = _words(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty sixty seventy eighty ninety hundred thousand half point zero"
)
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class CorrectionConfig:
    """Acceptance thresholds; "in context" means dose words or a medication verb nearby."""

    in_context: float = 0.72
    out_of_context: float = 0.84
    plain_words: float = 0.85  # a span of ordinary English words needs a near-perfect match
    confident_extra: float = 0.1  # the recogniser was sure of these words: ask for more
    confident_probability: float = 0.9
    min_chars: int = 5
    suspect_floor: float = 0.62  # below this a span is not worth a biased re-decode


@dataclass(frozen=True)
class Suspect:
    """A span that may be a misheard drug name, with the lexicon names it could be."""

    first: int
    last: int
    start: float
    end: float
    candidates: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class _Tok:
    text: str
    key: str
    start: float
    end: float
    probability: float
    timed: bool = True


@dataclass(frozen=True)
class _Match:
    first: int
    last: int  # inclusive
    name: str
    score: float


def _tokens(segment: Segment) -> list[_Tok]:
    if segment.words:
        # Estimated words carry the segment's mean probability: no use for confidence gating.
        timed = "estimated_word_times" not in segment.flags
        return [
            _Tok(w.word, letters(w.word), w.start, w.end, w.probability, timed)
            for w in segment.words
        ]
    parts = segment.text.split()
    step = (segment.end - segment.start) / max(len(parts), 1)
    return [
        _Tok(
            f" {p}",
            letters(p),
            segment.start + i * step,
            segment.start + (i + 1) * step,
            1.0,
            False,
        )
        for i, p in enumerate(parts)
    ]


def _has_context(toks: list[_Tok], first: int, last: int) -> bool:
    after = [t.text.strip().lower().strip(".,;:!?") for t in toks[last + 1 : last + 5]]
    before = [t.key for t in toks[max(0, first - 3) : first]]
    if any(a in DOSE_WORDS or a in NUMBER_WORDS or _NUMBER.search(a) for a in after):
        return True
    return any(b in MED_VERBS for b in before)


RARE_PENALTY = 0.04
PRIOR_BONUS = 0.05
CLEAR_MENTION = 0.8


def _similarity(key: str, sound: str, entry: DrugEntry) -> float:
    """Blend of spelling, metaphone and coarse-sound similarity, minus a prior for rare drugs."""
    spelled = Levenshtein.normalized_similarity(key, entry.key)
    heard = Levenshtein.normalized_similarity(sound, entry.sound) if sound else 0.0
    coarse = Levenshtein.normalized_similarity(sound_class(sound), entry.coarse) if sound else 0.0
    return 0.4 * spelled + 0.3 * heard + 0.3 * coarse - (0.0 if entry.common else RARE_PENALTY)


class DrugCorrector:
    """Rewrites misrecognised drug names to lexicon spellings, keeping the original words."""

    def __init__(
        self,
        lexicon: DrugLexicon,
        common_words: frozenset[str] = frozenset(),
        config: CorrectionConfig | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.common_words = common_words
        self.config = config or CorrectionConfig()
        # The same heard strings are ranked by several passes; remember the answers.
        self._cache: dict[tuple[str, int, frozenset[str]], list[tuple[str, float]]] = {}

    def rank(
        self, heard: str, limit: int = 3, prior: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        """Closest lexicon names to a heard string, best first, with similarity in [0, 1].

        Names in ``prior`` (drugs already named clearly in the same recording) get a small
        bonus: a dictation that says "sumatriptan" once likely says it again.
        """
        key = letters(heard)
        if len(key) < self.config.min_chars:
            return []
        if key in self.lexicon.by_key:
            return [(self.lexicon.by_key[key].name, 1.0)]
        cached = self._cache.get((key, limit, prior))
        if cached is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            cached = self._cache[(key, limit, prior)] = self._rank(key, limit, prior)
        return cached

    def _rank(self, key: str, limit: int, prior: frozenset[str]) -> list[tuple[str, float]]:
        sound = phonetic(key)
        pool: set[int] = set()
        for query, choices in ((key, self.lexicon.keys), (sound, self.lexicon.sounds)):
            hits = process.extract(
                query, choices, scorer=Levenshtein.normalized_similarity, limit=8
            )
            pool.update(index for _, _, index in hits)
        scored = [
            (entry.name, min(0.99, _similarity(key, sound, entry) + PRIOR_BONUS))
            if entry.name in prior
            else (entry.name, _similarity(key, sound, entry))
            for entry in (self.lexicon.entries[i] for i in pool)
            if 0.6 <= len(key) / len(entry.key) <= 1.5
        ]
        return sorted(scored, key=lambda pair: -pair[1])[:limit]

    def best_match(self, heard: str) -> tuple[str, float] | None:
        """Closest lexicon name to a heard string and its similarity in [0, 1]."""
        ranked = self.rank(heard, 1)
        return ranked[0] if ranked else None

    def _spans(
        self, toks: list[_Tok], prior: frozenset[str] = frozenset()
    ) -> Iterator[tuple[int, int, list[tuple[str, float]]]]:
        for first in range(len(toks)):
            for last in range(first, min(first + MAX_SPAN_WORDS, len(toks))):
                span = toks[first : last + 1]
                if any(not t.key for t in span) or _ends_sentence(span[:-1]):
                    break
                ranked = self.rank("".join(t.key for t in span), prior=prior)
                if ranked:
                    yield first, last, ranked

    def _candidates(self, toks: list[_Tok], prior: frozenset[str] = frozenset()) -> list[_Match]:
        return [
            _Match(first, last, ranked[0][0], ranked[0][1])
            for first, last, ranked in self._spans(toks, prior)
            if ranked[0][1] >= 1.0 or ranked[0][1] >= self._threshold(toks, first, last)
        ]

    def suspects(self, segment: Segment, prior: frozenset[str] = frozenset()) -> list[Suspect]:
        """Spans that sound like a drug near a dose but fell short of a confident correction.

        They are worth a second, biased decoding of their audio with the candidates as hotwords.
        """
        toks = _tokens(segment)
        # Words already settled (corrected, or a drug spelled right) and dose words are kept out:
        # hotwords tempt the decoder to say the candidate, so only unusual words qualify.
        settled = {
            i for m in self._candidates(toks) if m.score >= 1.0 for i in range(m.first, m.last + 1)
        }
        settled |= {i for i, w in enumerate(segment.words) if w.original_text is not None}
        found: list[Suspect] = []
        for first, last, ranked in self._spans(toks, prior):
            score = ranked[0][1]
            span = toks[first : last + 1]
            if (
                score >= 1.0
                or score < self.config.suspect_floor
                or settled & set(range(first, last + 1))
                or any(
                    t.key in DOSE_WORDS or t.key in NUMBER_WORDS or not t.key.isalpha()
                    for t in span
                )
                or all(t.key in self.common_words for t in span)
                or not _has_context(toks, first, last)
                or score >= self._threshold(toks, first, last)
            ):
                continue
            names = tuple(n for n, sc in ranked if sc >= self.config.suspect_floor)
            found.append(Suspect(first, last, span[0].start, span[-1].end, names, score))
        chosen: list[Suspect] = []
        for suspect in sorted(found, key=lambda x: (-x.score, x.first - x.last)):
            if all(suspect.last < c.first or suspect.first > c.last for c in chosen):
                chosen.append(suspect)
        return sorted(chosen, key=lambda x: x.first)

    def apply(
        self, segment: Segment, replacements: list[tuple[Suspect, str, float]], source: str
    ) -> Segment:
        """Replace suspect spans (found by ``suspects`` on this segment) with drug names."""
        matches = [_Match(s.first, s.last, name, score) for s, name, score in replacements]
        return _apply(segment, _tokens(segment), sorted(matches, key=lambda m: m.first), source)

    def _threshold(self, toks: list[_Tok], first: int, last: int) -> float:
        cfg = self.config
        span = toks[first : last + 1]
        if all(t.key in self.common_words for t in span):
            threshold = cfg.plain_words
        elif _has_context(toks, first, last):
            threshold = cfg.in_context
        else:
            threshold = cfg.out_of_context
        if all(t.timed and t.probability >= cfg.confident_probability for t in span):
            threshold += cfg.confident_extra
        return threshold

    def correct_segment(self, segment: Segment, prior: frozenset[str] = frozenset()) -> Segment:
        """Return the segment with drug names corrected; unchanged when nothing matched."""
        toks = _tokens(segment)
        chosen: list[_Match] = []
        taken: set[int] = set()
        # Best first; on a tie the longer span wins, so split words ("loss art in") merge.
        ranked = sorted(self._candidates(toks, prior), key=lambda m: (-m.score, m.first - m.last))
        for m in ranked:
            span = set(range(m.first, m.last + 1))
            if span & taken:
                continue
            taken |= span
            if m.score < 1.0:
                chosen.append(m)
        if not chosen:
            return segment
        return _apply(segment, toks, sorted(chosen, key=lambda m: m.first), "drug_lexicon")

    def mentioned(self, segments: list[Segment]) -> frozenset[str]:
        """Drugs a recording names clearly: spelled right, or corrected with a high score."""
        names: set[str] = set()
        for segment in segments:
            corrected = {i for i, w in enumerate(segment.words) if w.original_text is not None}
            names.update(
                m.name
                for m in self._candidates(_tokens(segment))
                if m.score >= 1.0 and not corrected & set(range(m.first, m.last + 1))
            )
            names.update(c.replacement for c in segment.corrections if c.score >= CLEAR_MENTION)
        return frozenset(names)

    def correct(self, segments: list[Segment]) -> list[Segment]:
        """Correct every segment, preferring drugs the same recording names clearly."""
        first_pass = [self.correct_segment(s) for s in segments]
        prior = self.mentioned(first_pass)
        if not prior:
            return first_pass
        return [self.correct_segment(s, prior) for s in segments]


def _ends_sentence(span: list[_Tok]) -> bool:
    return any(t.text.rstrip().endswith((".", "?", "!")) for t in span)


def _apply(segment: Segment, toks: list[_Tok], chosen: list[_Match], source: str) -> Segment:
    words: list[Word] = []
    corrections: list[Correction] = []
    index = 0
    for m in chosen:
        words.extend(_word(t) for t in toks[index : m.first])
        span = toks[m.first : m.last + 1]
        original = "".join(t.text for t in span).strip()
        lead = re.match(r"^\W*", original)
        trail = re.search(r"[^\w]*$", original)
        name = m.name
        if original[:1].isupper() and (m.first == 0 or _ends_sentence([toks[m.first - 1]])):
            name = name[:1].upper() + name[1:]
        text = f"{lead.group(0) if lead else ''}{name}{trail.group(0) if trail else ''}"
        words.append(
            Word(
                start=span[0].start,
                end=span[-1].end,
                word=f" {text}",
                probability=round(min(m.score, 1.0), 3),
                original_text=original,
            )
        )
        corrections.append(
            Correction(
                original=original,
                replacement=m.name,
                start=span[0].start,
                end=span[-1].end,
                score=round(min(m.score, 1.0), 3),
                source=source,
            )
        )
        index = m.last + 1
    words.extend(_word(t) for t in toks[index:])
    text = "".join(w.word for w in words).strip()
    return segment.model_copy(
        update={
            "text": text,
            "words": words if segment.words else [],
            "original_text": segment.original_text or segment.text,
            "corrections": [*segment.corrections, *corrections],
        }
    )


def _word(t: _Tok) -> Word:
    return Word(start=t.start, end=t.end, word=t.text, probability=t.probability)
