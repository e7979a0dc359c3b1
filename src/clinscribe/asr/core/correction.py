"""Post-ASR drug-name correction: phonetic and edit-distance lexicon matching, in context."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from clinscribe.asr.core.extension import extends
from clinscribe.asr.core.lexicon import DrugLexicon, letters, phonetic
from clinscribe.asr.core.schemas import Segment
from clinscribe.asr.core.spans import (
    DOSE_WORDS,
    FUNCTION_WORDS,
    NUMBER_WORDS,
    Match,
    Tok,
    apply_matches,
    comparable,
    dose_follows,
    ends_sentence,
    has_context,
    similarity,
    tokens,
)

MAX_SPAN_WORDS = 4
MAX_CANDIDATES = 6
POOL = 8  # closest names by spelling and by sound, scored in full
PRIOR_BONUS = 0.05
CLEAR_MENTION = 0.8
# How closely the words after a drug heard right must spell the rest of a longer name.


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
    # Ordinary words run together ("hour vast that in") must come close to the in-context
    # acceptance level before they are worth re-hearing: plain English is everywhere.
    plain_suspect: float = 0.68
    brand_by_spelling: float = 0.9


@dataclass(frozen=True)
class Suspect:
    """A span that may be a misheard drug name, with the lexicon names it could be."""

    first: int
    last: int
    start: float
    end: float
    candidates: tuple[str, ...]
    score: float


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
        self._cache: dict[str, tuple[str, list[tuple[str, float]]]] = {}

    def rank(
        self, heard: str, limit: int = 3, prior: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        """Closest lexicon names to a heard string, best first, with similarity in [0, 1].

        Names in ``prior`` (drugs already named clearly in the same recording) are always
        scored and get a small bonus: a dictation that says "sumatriptan" once likely says it
        again.
        """
        key = letters(heard)
        if len(key) < self.config.min_chars:
            return []
        if key in self.lexicon.by_key:
            return [(self.lexicon.by_key[key].name, 1.0)]
        self._score([key])
        return self._ranked(key, limit, prior)

    def _score(self, keys: list[str]) -> None:
        """Score keys not seen before against the whole lexicon, in one matrix call each way.

        The answer does not depend on the recording, so it is cached by key alone; the prior
        is applied afterwards. One batched call per segment instead of one per span keeps the
        lexicon pass a small fraction of decoding time.
        """
        todo = [
            k
            for k in dict.fromkeys(keys)
            if k not in self._cache
            and k not in self.lexicon.by_key
            and len(k) >= self.config.min_chars
        ]
        if not todo:
            return
        if len(self._cache) > 50_000:
            self._cache.clear()
        sounds = [phonetic(k) for k in todo]
        lex = self.lexicon
        matrices = [
            process.cdist(
                queries, choices, scorer=Levenshtein.normalized_similarity, dtype=np.float32
            )
            for queries, choices in ((todo, lex.keys), (sounds, lex.sounds))
        ]
        for row, (key, sound) in enumerate(zip(todo, sounds, strict=True)):
            pool: set[int] = set(range(len(lex.entries))) if len(lex.entries) <= POOL else set()
            for matrix in matrices if not pool else ():
                pool.update(int(i) for i in np.argpartition(-matrix[row], POOL)[:POOL])
            scored = [
                (lex.entries[i].name, similarity(key, sound, lex.entries[i]))
                for i in pool
                if comparable(key, lex.entries[i])
            ]
            self._cache[key] = (sound, sorted(scored, key=lambda pair: -pair[1]))

    def _ranked(self, key: str, limit: int, prior: frozenset[str]) -> list[tuple[str, float]]:
        sound, base = self._cache[key]
        if not prior:
            return base[:limit]
        scores = dict(base)
        for name in prior:
            entry = self.lexicon.by_key.get(letters(name))
            if entry is None or not comparable(key, entry):
                continue
            plain = scores.get(name, similarity(key, sound, entry))
            scores[name] = min(0.99, plain + PRIOR_BONUS)
        return sorted(scores.items(), key=lambda pair: -pair[1])[:limit]

    def best_match(self, heard: str) -> tuple[str, float] | None:
        """Closest lexicon name to a heard string and its similarity in [0, 1]."""
        ranked = self.rank(heard, 1)
        return ranked[0] if ranked else None

    def _spans(
        self, toks: list[Tok], prior: frozenset[str] = frozenset()
    ) -> Iterator[tuple[Match, list[tuple[str, float]]]]:
        """Every run of up to four words (and its best names), scored in one batch."""
        spans: list[tuple[int, int, str, str]] = []
        for first in range(len(toks)):
            for last in range(first, min(first + MAX_SPAN_WORDS, len(toks))):
                span = toks[first : last + 1]
                if any(not t.key for t in span) or ends_sentence(span[:-1]):
                    break
                # A number heard as digits may be part of a name, never all of it, nor two.
                if sum(t.digits for t in span) > 1:
                    break
                if len(span) == 1 and span[0].digits:
                    continue
                head = "".join(t.key for t in span[:-1])
                spans.append((first, last, head + span[-1].key, ""))
                if last > first:
                    spans.extend(
                        (first, last, head + front, rest) for front, rest in self._splits(span[-1])
                    )
        self._score([key for *_, key, _ in spans])
        for first, last, key, keep in spans:
            if key in self.lexicon.by_key:
                ranked = [(self.lexicon.by_key[key].name, 1.0)]
            elif len(key) < self.config.min_chars:
                continue
            else:
                ranked = self._ranked(key, 3, prior)
            if ranked:
                yield Match(first, last, ranked[0][0], ranked[0][1], keep), ranked

    def _splits(self, tok: Tok) -> list[tuple[str, str]]:
        """Ways to read one common word as two glued ones: "into" as "in" + "to"."""
        bare = tok.text.strip().rstrip(".,;:!?")
        if not bare.isalpha() or tok.key not in self.common_words:
            return []
        return [
            (tok.key[:cut], tok.key[cut:])
            for cut in range(2, len(tok.key) - 1)
            if tok.key[cut:] in FUNCTION_WORDS and tok.key[:cut] in self.common_words
        ]

    def _candidates(self, toks: list[Tok], prior: frozenset[str] = frozenset()) -> list[Match]:
        return [
            m
            for m, _ in self._spans(toks, prior)
            if m.score >= 1.0
            or (m.score >= self._threshold(toks, m.first, m.last) and self._plausible(toks, m))
        ]

    def _plausible(self, toks: list[Tok], m: Match) -> bool:
        """Brand names are thousands of short invented words close to English ("nostrilla"
        for "nostril"): spelling alone may pick one only when it is nearly exact and the words
        are not ordinary ones. Otherwise a brand must be confirmed by the biased re-decode."""
        entry = self.lexicon.by_key.get(letters(m.name))
        if entry is None or not entry.generic:
            return True
        span = toks[m.first : m.last + 1]
        ordinary = all(t.key in self.common_words for t in span)
        return m.score >= self.config.brand_by_spelling and not ordinary

    def suspects(self, segment: Segment, prior: frozenset[str] = frozenset()) -> list[Suspect]:
        """Spans that sound like a drug near a dose but fell short of a confident correction.

        They are worth a second, biased decoding of their audio with the candidates as hotwords.
        """
        toks = tokens(segment)
        # Words already settled (corrected, or a drug spelled right) and dose words are kept out:
        # hotwords tempt the decoder to say the candidate, so only unusual words qualify.
        settled = {
            i for m in self._candidates(toks) if m.score >= 1.0 for i in range(m.first, m.last + 1)
        }
        settled |= {i for i, w in enumerate(segment.words) if w.original_text is not None}
        found: list[Suspect] = []
        for m, ranked in self._spans(toks, prior):
            first, last, score = m.first, m.last, m.score
            span = toks[first : last + 1]
            if (
                m.keep
                or score >= 1.0
                or score < self.config.suspect_floor
                or settled & set(range(first, last + 1))
                or any(
                    t.key in DOSE_WORDS or t.key in NUMBER_WORDS or not t.key.isalpha()
                    for t in span
                )
                or (all(t.key in self.common_words for t in span) and not self._split_name(toks, m))
                or not has_context(toks, first, last)
                # Close enough to rewrite outright; a brand spelling alone may not pick is
                # still worth re-hearing.
                or (score >= self._threshold(toks, first, last) and self._plausible(toks, m))
            ):
                continue
            names = tuple(n for n, sc in ranked if sc >= self.config.suspect_floor)
            found.append(Suspect(first, last, span[0].start, span[-1].end, names, score))
        found += self._disputed(segment, toks, prior)
        chosen: list[Suspect] = []
        for suspect in sorted(found, key=lambda x: (-x.score, x.first - x.last)):
            if all(suspect.last < c.first or suspect.first > c.last for c in chosen):
                chosen.append(suspect)
        return sorted((_with_rivals(c, found) for c in chosen), key=lambda x: x.first)

    def _disputed(self, segment: Segment, toks: list[Tok], prior: frozenset[str]) -> list[Suspect]:
        """Uncertain corrections that a drug named clearly elsewhere in the recording rivals.

        "Silmetrip" is closest to salmeterol, but if the same dictation says sumatriptan, the
        audio should decide: both go to the biased re-decode. Only this conflict triggers it,
        so recordings without one pay nothing.
        """
        found: list[Suspect] = []
        fixes = {(c.start, c.original): c for c in segment.corrections}
        for i, w in enumerate(segment.words):
            fix = fixes.get((w.start, w.original_text or ""))
            if fix is None or fix.score >= CLEAR_MENTION or not has_context(toks, i, i):
                continue
            # Every prior name is scored; with thousands of brands it may rank below six others.
            ranked = self.rank(fix.original, MAX_CANDIDATES + len(prior), prior)
            rivals = [n for n, _ in ranked if n in prior and n != fix.replacement]
            if rivals:
                names = (fix.replacement, *rivals)
                found.append(Suspect(i, i, w.start, w.end, names, fix.score))
        return found

    def _split_name(self, toks: list[Tok], m: Match) -> bool:
        """Ordinary words may be a drug name heard as several words ("loss art in") only when
        there are two or more of them and a dose or number comes straight after."""
        return (
            m.last > m.first and m.score >= self.config.plain_suspect and dose_follows(toks, m.last)
        )

    def apply(
        self, segment: Segment, replacements: list[tuple[Suspect, str, float]], source: str
    ) -> Segment:
        """Replace suspect spans (found by ``suspects`` on this segment) with drug names."""
        matches = [
            # Not confirmed by scoring the audio: always shown for review.
            Match(s.first, s.last, name, score, low=score < 1.0)
            for s, name, score in replacements
        ]
        return apply_matches(
            segment, tokens(segment), sorted(matches, key=lambda m: m.first), source
        )

    def _threshold(self, toks: list[Tok], first: int, last: int) -> float:
        cfg = self.config
        span = toks[first : last + 1]
        if all(t.key in self.common_words for t in span):
            threshold = cfg.plain_words
        elif has_context(toks, first, last):
            threshold = cfg.in_context
        else:
            threshold = cfg.out_of_context
        if all(t.timed and t.probability >= cfg.confident_probability for t in span):
            threshold += cfg.confident_extra
        return threshold

    def correct_segment(self, segment: Segment, prior: frozenset[str] = frozenset()) -> Segment:
        """Return the segment with drug names corrected; unchanged when nothing matched."""
        toks = tokens(segment)
        chosen: list[Match] = []
        taken: set[int] = set()
        candidates = self._candidates(toks, prior)
        exact = [m for m in candidates if m.score >= 1.0]
        # Best first; on a tie the longer span wins, so split words ("loss art in") merge. A
        # longer name that contains a drug spelled right ("insulin" + "glargine") goes first.
        ranked = sorted(
            candidates,
            key=lambda m: (
                not extends(toks, m, exact, self.common_words),
                -m.score,
                m.first - m.last,
            ),
        )
        for m in ranked:
            span = set(range(m.first, m.last + 1))
            if span & taken:
                continue
            taken |= span
            if m.score < 1.0:
                # A weak reading of unclear words by spelling alone: shown, flagged for review.
                chosen.append(replace(m, low=True))
            elif self._split_exact(toks, m):
                chosen.append(m)
        if not chosen:
            return segment
        return apply_matches(segment, toks, sorted(chosen, key=lambda m: m.first), "drug_lexicon")

    def _split_exact(self, toks: list[Tok], m: Match) -> bool:
        """A name heard exactly but cut into words, maybe with a number ("10 or min" for
        tenormin), next to a dose or a medication verb: joined back into the name."""
        span = toks[m.first : m.last + 1]
        words = [t.key for t in span]
        if m.keep:
            words[-1] = words[-1][: -len(m.keep)]
        if len(span) < 2 or words == [letters(w) for w in m.name.split()]:
            return False
        return has_context(toks, m.first, m.last)

    def mentioned(self, segments: list[Segment]) -> frozenset[str]:
        """Drugs a recording names clearly: spelled right, or corrected with a high score."""
        names: set[str] = set()
        for segment in segments:
            corrected = {i for i, w in enumerate(segment.words) if w.original_text is not None}
            names.update(
                m.name
                for m in self._candidates(tokens(segment))
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


def _with_rivals(chosen: Suspect, found: list[Suspect]) -> Suspect:
    """Add the names of overlapping, weaker readings: the re-decode decides between them."""
    names = list(chosen.candidates)
    for other in sorted(found, key=lambda x: -x.score):
        if other.first <= chosen.last and other.last >= chosen.first:
            names.extend(n for n in other.candidates if n not in names)
    return replace(chosen, candidates=tuple(names[:MAX_CANDIDATES]))
