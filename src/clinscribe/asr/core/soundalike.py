"""Look-alike/sound-alike drugs: the audio, not the spelling, decides between two real drugs.

A drug name in a transcript (heard that way or corrected to it) may be its sound-alike rival
("hydralazine" for "hydroxyzine"): both are real, so no lexicon rule can tell them apart.
Every such name is checked against its closest rivals by forcing the decoder through each
wording of its segment (`scoring.score_candidates`). The name is swapped only when a rival fits
the audio clearly better; when the two fit about equally well the name is kept and flagged
``low_confidence`` for the reviewer. Segments with drug names are glued into ≤ 28 s clips, so
a recording usually pays one extra encoder pass.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from clinscribe.asr.core.correction import DrugCorrector
from clinscribe.asr.core.lexicon import DrugEntry, letters
from clinscribe.asr.core.schemas import Segment
from clinscribe.asr.core.scoring import CandidateScorer
from clinscribe.asr.core.spans import Match, apply_matches, similarity, tokens
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

RIVAL_SIMILARITY = 0.6  # sound/spelling blend; celebrex-celexa and zantac-xanax sit near it
MAX_RIVALS = 3
# Summed log-probability lead a rival needs to replace a name (about e^3 = 20 times likelier);
# a lead smaller than FLAG_MARGIN either way leaves the name flagged for review.
SWAP_MARGIN = 3.0
FLAG_MARGIN = 2.0
PAD = 0.2
GAP = 0.6
MAX_CLIP_SECONDS = 28.0
MIN_NAME_LETTERS = 5


@dataclass(frozen=True)
class _Check:
    segment: int
    word: int
    entry: DrugEntry
    rivals: tuple[DrugEntry, ...]


class SoundAlikes:
    """Rivals of each lexicon name, found once and cached."""

    def __init__(self, corrector: DrugCorrector) -> None:
        self.lexicon = corrector.lexicon
        self._rivals: dict[str, tuple[DrugEntry, ...]] = {}

    def rivals(self, entry: DrugEntry) -> tuple[DrugEntry, ...]:
        cached = self._rivals.get(entry.key)
        if cached is not None:
            return cached
        lex = self.lexicon
        near = process.extract(
            entry.key, lex.keys, scorer=Levenshtein.normalized_similarity, limit=40
        )
        same = entry.generic or entry.name
        scored = []
        for key, _, index in near:
            other = lex.entries[index]
            if key == entry.key or (other.generic or other.name) == same:
                continue
            score = similarity(entry.key, entry.sound, other)
            if score >= RIVAL_SIMILARITY:
                scored.append((score, other))
        scored.sort(key=lambda pair: -pair[0])
        found = tuple(other for _, other in scored[:MAX_RIVALS])
        self._rivals[entry.key] = found
        return found

    def checks(self, segments: list[Segment]) -> list[_Check]:
        found: list[_Check] = []
        for s_index, segment in enumerate(segments):
            for w_index, tok in enumerate(tokens(segment)):
                entry = self.lexicon.by_key.get(tok.key)
                if entry is None or len(tok.key) < MIN_NAME_LETTERS or tok.digits:
                    continue
                rivals = self.rivals(entry)
                if rivals:
                    found.append(_Check(s_index, w_index, entry, rivals))
        return found


_ALIKES: weakref.WeakKeyDictionary[DrugCorrector, SoundAlikes] = weakref.WeakKeyDictionary()


def soundalikes_of(corrector: DrugCorrector) -> SoundAlikes:
    """The rival finder of a corrector's lexicon, built once per corrector."""
    found = _ALIKES.get(corrector)
    if found is None:
        found = _ALIKES[corrector] = SoundAlikes(corrector)
    return found


def _wording(segment: Segment, word: int, name: str) -> str:
    toks = tokens(segment)
    parts = [t.text for t in toks]
    bare = toks[word].text.strip()
    core = bare.strip(".,;:!?\"'()")
    parts[word] = " " + bare.replace(core, name, 1) if core else f" {name}"
    return "".join(parts).strip()


def check_soundalikes(
    samples: FloatArray,
    segments: list[Segment],
    alikes: SoundAlikes,
    score: CandidateScorer,
) -> list[Segment]:
    """Swap drug names a rival fits clearly better, flag those it fits about as well."""
    checks = alikes.checks(segments)
    if not checks:
        return segments
    involved = sorted({c.segment for c in checks})
    batches: list[list[int]] = [[]]
    length = 0.0
    for index in involved:
        seconds = segments[index].end - segments[index].start + 2 * PAD + GAP
        if batches[-1] and length + seconds > MAX_CLIP_SECONDS:
            batches.append([])
            length = 0.0
        batches[-1].append(index)
        length += seconds
    gap = np.zeros(int(GAP * SAMPLE_RATE), dtype=np.float32)
    decided: dict[int, list[Match]] = {}
    for batch in batches:
        pieces = []
        for index in batch:
            seg = segments[index]
            start = max(0.0, seg.start - PAD)
            pieces += [samples[int(start * SAMPLE_RATE) : int((seg.end + PAD) * SAMPLE_RATE)], gap]
        clip = np.concatenate(pieces).astype(np.float32)
        texts = {index: segments[index].text for index in batch}
        for check in (c for c in checks if c.segment in batch):
            names = [check.entry.name, *(r.name for r in check.rivals)]
            wordings = []
            for name in names:
                varied = dict(texts)
                varied[check.segment] = _wording(segments[check.segment], check.word, name)
                # The decoder reads left to right: the segments after the checked one
                # barely differ between names, so they are left out (a shorter forced pass).
                wordings.append(" ".join(varied[i] for i in batch if i <= check.segment))
            fits = score(clip, wordings)
            best = int(np.argmax(fits))
            lead = fits[best] - max(f for i, f in enumerate(fits) if i != best)
            current = fits[0]
            if best != 0 and fits[best] - current >= SWAP_MARGIN:
                low = fits[best] - current < SWAP_MARGIN + FLAG_MARGIN
                match = Match(check.word, check.word, names[best], 1.0, low=low)
            elif best == 0 and lead >= FLAG_MARGIN:
                continue
            else:
                match = Match(check.word, check.word, check.entry.name, 1.0, low=True)
            decided.setdefault(check.segment, []).append(match)
    out = list(segments)
    for index, matches in decided.items():
        out[index] = _apply(segments[index], matches)
    return out


def _apply(segment: Segment, matches: list[Match]) -> Segment:
    """Rewrite swapped names (kept as corrections); only flag names that stay as they were."""
    toks = tokens(segment)
    swaps = [m for m in matches if letters(m.name) != toks[m.first].key]
    flagged = {m.first for m in matches if m not in swaps}
    if flagged:
        words = [
            w.model_copy(update={"low_confidence": True}) if i in flagged else w
            for i, w in enumerate(segment.words)
        ]
        segment = segment.model_copy(update={"words": words})
        toks = tokens(segment)
    if not swaps:
        return segment
    return apply_matches(segment, toks, sorted(swaps, key=lambda m: m.first), "soundalike_audio")
