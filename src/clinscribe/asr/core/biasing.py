"""Targeted decoder biasing: re-hear likely-misheard drug names with their candidates as hotwords.

A vocabulary-list prompt on the whole recording made tiny.en drop whole prescription sentences.
Here only short clips around suspect spans are decoded again, all of a recording's clips glued
into one call (each call pays a fixed 30 s encoder pass), and the biased words are used only to
confirm one of the sound-alike candidates — never to replace any other word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clinscribe.asr.core.correction import DrugCorrector, Suspect
from clinscribe.asr.core.lexicon import letters
from clinscribe.asr.core.schemas import Segment
from clinscribe.asr.core.scoring import CandidateScorer
from clinscribe.asr.core.soundalike import check_soundalikes, soundalikes_of
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

PAD = 1.5  # seconds of context either side of a suspect (word times are estimates)
GAP = 0.6  # silence between glued clips, so the decoder starts a new segment
MAX_BATCH_SECONDS = 28.0  # one Whisper window
MAX_HOTWORDS = 12
SCORE_PAD = 0.2
# Log-probability a brand must fit the unbiased audio by, against the words heard there.
BRAND_LEAD = 0.0

# Decodes a clip with the given hotwords; returns segments timed from the clip's start.
BiasedDecoder = Callable[[FloatArray, list[str]], list[Segment]]


@dataclass(frozen=True)
class _Window:
    segment: int
    suspects: tuple[Suspect, ...]
    start: float
    end: float


def _windows(segments: list[Segment], suspects: list[list[Suspect]]) -> list[_Window]:
    windows: list[_Window] = []
    for index, (segment, found) in enumerate(zip(segments, suspects, strict=True)):
        group: list[Suspect] = []
        for suspect in [*found, None]:
            if suspect is not None and (not group or suspect.start - group[-1].end < 2 * PAD):
                group.append(suspect)
                continue
            if group:
                start = max(0.0, group[0].start - PAD, segment.start - 0.3)
                end = min(group[-1].end + PAD, segment.end + 0.3)
                windows.append(_Window(index, tuple(group), start, end))
            group = [suspect] if suspect is not None else []
    return windows


def _batches(windows: list[_Window]) -> list[list[_Window]]:
    batches: list[list[_Window]] = [[]]
    length = 0.0
    for window in windows:
        size = window.end - window.start + GAP
        if batches[-1] and length + size > MAX_BATCH_SECONDS:
            batches.append([])
            length = 0.0
        batches[-1].append(window)
        length += size
    return [b for b in batches if b]


def rebias(
    samples: FloatArray,
    segments: list[Segment],
    corrector: DrugCorrector,
    decode: BiasedDecoder,
    prior: frozenset[str] = frozenset(),
    score: CandidateScorer | None = None,
) -> list[Segment]:
    """Confirm suspect drug names by decoding their clips again, biased towards candidates;
    with `score`, then let the audio decide between sound-alike drugs (`soundalike`)."""
    suspects = [corrector.suspects(s, prior) for s in segments]
    windows = _windows(segments, suspects)
    confirmed: dict[int, list[tuple[Suspect, str, float]]] = {}
    gap = np.zeros(int(GAP * SAMPLE_RATE), dtype=np.float32)
    for batch in _batches(windows):
        pieces, offsets, cursor = [], [], 0.0
        for w in batch:
            clip = samples[int(w.start * SAMPLE_RATE) : int(w.end * SAMPLE_RATE)]
            pieces += [clip, gap]
            offsets.append((cursor, cursor + len(clip) / SAMPLE_RATE))
            cursor += (len(clip) + len(gap)) / SAMPLE_RATE
        names = [n for w in batch for s in w.suspects for n in s.candidates]
        heard = decode(np.concatenate(pieces), list(dict.fromkeys(names))[:MAX_HOTWORDS])
        for w, (start, end) in zip(batch, offsets, strict=True):
            text = " ".join(s.text for s in heard if s.start < end and s.end > start)
            fixed = corrector.correct_segment(Segment(id=0, start=0, end=1, text=text))
            heard_keys = letters(fixed.text)
            words = segments[w.segment].words
            have_keys = letters("".join(x.word for x in words if w.start <= x.start < w.end))
            for suspect in w.suspects:
                # Confirmed only if the biased pass says a candidate more often than we had it.
                name = next(
                    (
                        n
                        for n in suspect.candidates
                        if heard_keys.count(letters(n)) > have_keys.count(letters(n))
                    ),
                    None,
                )
                if name is not None:
                    confirmed.setdefault(w.segment, []).append((suspect, name, suspect.score))
    if score is not None:
        confirmed = {
            i: [c for c in found if _audio_allows(samples, segments[i], c, corrector, score)]
            for i, found in confirmed.items()
        }
    segments = [
        corrector.apply(s, confirmed[i], source="biased_redecode") if confirmed.get(i) else s
        for i, s in enumerate(segments)
    ]
    if score is None:
        return segments
    # Last: a drug name chosen above, or heard as it is, may be its real sound-alike rival.
    return check_soundalikes(samples, segments, soundalikes_of(corrector), score)


def _audio_allows(
    samples: FloatArray,
    segment: Segment,
    choice: tuple[Suspect, str, float],
    corrector: DrugCorrector,
    score: CandidateScorer,
) -> bool:
    """A brand picked by the biased pass must also fit the audio at least as well as the words
    heard there, scored without bias: thousands of invented brand names sit close to English
    and to misheard words, and hotwords alone pull the decoder towards them."""
    entry = corrector.lexicon.by_key.get(letters(choice[1]))
    if entry is None or not entry.generic:
        return True
    rewritten = corrector.apply(segment, [choice], source="biased_redecode")
    start = max(0.0, segment.start - SCORE_PAD)
    clip = samples[int(start * SAMPLE_RATE) : int((segment.end + SCORE_PAD) * SAMPLE_RATE)]
    brand, heard = score(clip.astype(np.float32), [rewritten.text, segment.text])
    return brand - heard >= BRAND_LEAD
