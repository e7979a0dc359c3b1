"""Word times by forced alignment of decoded text: Whisper's cross-attention, one pass per window.

faster-whisper's own ``word_timestamps=True`` aligns while it decodes, and then moves each next
30 s window to the last aligned word: on the dev set that decoded more windows, cost about half
the CPU throughput of tiny.en and raised WER (5.6% -> 7.2%; docs/benchmarks.md). Aligning the
finished text instead leaves decoding exactly as it was; its cost is one encoder pass (most of
it) and one teacher-forced decoder pass per window aligned, which is why the engine aligns only
the segments the coverage check needs unless every word's time is asked for.

Segments of one window are aligned together (as faster-whisper does), so each word lands in
order against the audio that window holds, and every word gets its own probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clinscribe.asr.core.schemas import Segment, Word
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

WINDOW = 30.0
ESTIMATED = "estimated_word_times"
# Which punctuation joins the word after / before it (faster-whisper's defaults, English part).
PREPEND = "\"'([{-"
APPEND = "\"'.,!?:)]}"


Interval = tuple[float, float]


def _within(speech: list[Interval] | None, start: float, end: float) -> list[Interval]:
    """The parts of ``speech`` between ``start`` and ``end`` (all of it without ``speech``)."""
    if speech is None:
        return [(start, end)]
    parts = [(max(a, start), min(b, end)) for a, b in speech if b > start and a < end]
    return [(a, b) for a, b in parts if b - a > 0.01] or [(start, end)]


def _length(speech: list[Interval] | None, start: float, end: float) -> float:
    return sum(b - a for a, b in _within(speech, start, end))


def _windows(
    segments: list[Segment], only: set[int] | None, speech: list[Interval] | None = None
) -> list[tuple[float, list[int]]]:
    """Runs of consecutive (chosen) segments whose speech fits a 30 s window: (start, indices)."""
    groups: list[tuple[float, list[int]]] = []
    chosen = range(len(segments)) if only is None else sorted(only)
    for i in chosen:
        seg = segments[i]
        if (
            groups
            and groups[-1][1][-1] == i - 1
            and _length(speech, groups[-1][0], seg.end) <= WINDOW
        ):
            groups[-1][1].append(i)
        else:
            groups.append((max(0.0, seg.start - 0.2), [i]))
    return groups


class _Glued:
    """Audio of the speech parts of a span glued together, as Whisper decoded it (the
    detector drops long pauses first, so one segment may span more than 30 s of the
    recording), and the way back from a time in the glued clip to one in the recording."""

    def __init__(self, samples: FloatArray, parts: list[Interval]) -> None:
        self.parts = parts
        pieces = [samples[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in parts]
        self.clip = np.concatenate(pieces) if pieces else samples[:0]
        self.offsets: list[float] = []
        cursor = 0.0
        for a, b in parts:
            self.offsets.append(cursor)
            cursor += b - a

    def original(self, t: float, *, within: float | None = None) -> float:
        """The recording time of glued time ``t``; with ``within`` (a glued time), no later
        than the end of the part holding it (a word does not run across a dropped pause)."""
        for (a, b), offset in zip(reversed(self.parts), reversed(self.offsets), strict=True):
            if t >= offset:
                found = a + min(t - offset, b - a)
                return found if within is None else min(found, self.original_end(within))
        return self.parts[0][0] + t

    def original_end(self, t: float) -> float:
        for (_, b), offset in zip(reversed(self.parts), reversed(self.offsets), strict=True):
            if t >= offset:
                return b
        return self.parts[0][1]


def align_words(
    model: Any,
    samples: FloatArray,
    segments: list[Segment],
    only: set[int] | None = None,
    speech: list[Interval] | None = None,
) -> list[Segment]:
    """The segments (or those indexed by ``only``) with aligned word times and per-word
    probabilities; times are in ``samples``. Each run of segments is aligned against the audio
    its time span claims (a little either side), so text is never stretched over speech
    another segment holds; with ``speech`` (the intervals the segments were decoded from),
    only those parts of it, glued as for decoding. Segments the alignment cannot place keep
    what they had.
    """
    from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]
    from faster_whisper.transcribe import merge_punctuations  # type: ignore[import-untyped]

    if not segments:
        return segments
    tokenizer = Tokenizer(
        model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
    )
    out = list(segments)
    for start, indices in _windows(segments, only, speech):
        glued = _Glued(samples, _within(speech, start, segments[indices[-1]].end + 0.3))
        clip = glued.clip[: int(WINDOW * SAMPLE_RATE)]
        if len(clip) < SAMPLE_RATE // 10:
            continue
        tokens = [tokenizer.encode(" " + segments[i].text.strip()) for i in indices]
        counts = [len(tokenizer.split_to_word_tokens([*t, tokenizer.eot])[0]) - 1 for t in tokens]
        features = model.feature_extractor(clip)
        frames = min(features.shape[-1], model.feature_extractor.nb_max_frames)
        padded = np.zeros((features.shape[0], model.feature_extractor.nb_max_frames), np.float32)
        padded[:, :frames] = features[:, :frames]
        encoded = model.encode(padded)
        joined = [t for part in tokens for t in part]
        found = model.find_alignment(tokenizer, [joined], encoded, frames)
        words = found[0] if found else []
        if len(words) != sum(counts):
            continue
        cursor = 0
        for i, count in zip(indices, counts, strict=True):
            mine = [dict(w) for w in words[cursor : cursor + count]]
            cursor += count
            # Punctuation is aligned as words of its own; fold it into its neighbours.
            merge_punctuations(mine, PREPEND, APPEND)
            mine = [w for w in mine if w["word"]]
            if mine:
                out[i] = _retimed(segments[i], glued, mine)
    return out


def _retimed(segment: Segment, glued: _Glued, aligned: list[dict[str, Any]]) -> Segment:
    durations = sorted(max(float(w["end"]) - float(w["start"]), 0.0) for w in aligned)
    # Where the text is short for the audio, the alignment stretches a word over the speech
    # that was never decoded; a word is never longer than this (faster-whisper clips the same).
    cap = max(0.8, 3 * durations[len(durations) // 2])
    words = [
        Word(
            start=round(glued.original(float(w["start"])), 3),
            end=round(
                glued.original(
                    min(max(float(w["end"]), float(w["start"])), w["start"] + cap),
                    within=float(w["start"]),
                ),
                3,
            ),
            word=str(w["word"]),
            probability=round(min(max(float(w["probability"]), 0.0), 1.0), 4),
        )
        for w in aligned
    ]
    return segment.model_copy(
        update={
            "words": words,
            "start": min(segment.start, words[0].start),
            "end": max(segment.end, words[-1].end),
            "flags": [f for f in segment.flags if f != ESTIMATED],
        }
    )


def estimated_words(start: float, end: float, text: str, probability: float) -> list[Word]:
    """Words spread over the segment by length: cheap stand-ins when alignment is off."""
    parts = text.split()
    total = sum(len(p) + 1 for p in parts) or 1
    words, cursor = [], start
    for part in parts:
        length = (end - start) * (len(part) + 1) / total
        words.append(
            Word(
                start=round(cursor, 3),
                end=round(cursor + length, 3),
                word=f" {part}",
                probability=probability,
            )
        )
        cursor += length
    return words
