"""Segments from faster-whisper's output, and moving them in time."""

from __future__ import annotations

from typing import Any

import numpy as np

from clinscribe.asr.core.alignment import estimated_words
from clinscribe.asr.core.coverage import Interval
from clinscribe.asr.core.schemas import Segment, Word


def clamp_end(end: float, speech: list[Interval]) -> float:
    """Whisper may end a short clip's last segment at the 30 s window; cap it at real speech."""
    ends = [b for a, b in speech if a < end]
    return min(end, max(ends)) if ends else end


def from_whisper(raw: Any, end: float) -> Segment:
    """Our segment for a faster-whisper one (words estimated when it has none), ending at
    ``end``."""
    flags: list[str] = []
    if raw.words:
        words = [
            Word(
                start=round(w.start, 3),
                end=round(w.end, 3),
                word=w.word,
                probability=round(min(max(w.probability, 0.0), 1.0), 4),
            )
            for w in raw.words
        ]
    else:
        # Only when word timestamps are switched off: word times are then estimated (and
        # flagged so), and every word carries the segment's mean token probability.
        mean = round(float(np.exp(raw.avg_logprob)), 4)
        words = estimated_words(raw.start, end, raw.text, min(max(mean, 0.0), 1.0))
        flags.append("estimated_word_times")
    return Segment(
        id=raw.id,
        start=round(raw.start, 3),
        end=round(max(end, raw.start), 3),
        text=raw.text.strip(),
        words=words,
        avg_logprob=round(raw.avg_logprob, 4),
        no_speech_prob=round(raw.no_speech_prob, 4),
        compression_ratio=round(raw.compression_ratio, 3),
        flags=flags,
    )


def shift(segment: Segment, offset: float) -> Segment:
    """The segment and its words ``offset`` seconds later."""
    words = [
        w.model_copy(update={"start": w.start + offset, "end": w.end + offset})
        for w in segment.words
    ]
    return segment.model_copy(
        update={"start": segment.start + offset, "end": segment.end + offset, "words": words}
    )
