"""No speech lost without a trace, on real synthesised audio with the real model and VAD.

Whisper's own skips need long recordings (they happen at 30 s window seams); these tests keep
clips a few seconds long by making the first decode fail the way Whisper does (dropping the
end of a segment, looping its tail) and checking what the coverage check makes of it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from clinscribe.asr.core import FasterWhisperEngine, Segment, TranscribeOptions
from clinscribe.asr.core.alignment import estimated_words
from clinscribe.asr.core.coverage import GAP_FLAG, LOOP_FLAG, gap_ranges, uncovered_speech
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray, decode_audio
from tests.unit.asr.asr_media import Clips


class FirstDecodeFails(FasterWhisperEngine):
    """The first decode of a transcription drops every word after `keep_until` seconds (or
    loops its last words over the silence after them); later decodes (re-decodes) behave,
    or hear nothing when `deaf_redecode` is set."""

    def __init__(self, base: FasterWhisperEngine, *, keep_until: float = 99.0) -> None:
        super().__init__(base.config)
        self.keep_until = keep_until
        self.loop_tail = False
        self.deaf_redecode = False
        self.calls = 0

    def _decode(self, samples: Any, speech: Any, opts: Any, **kwargs: Any) -> list[Segment]:
        found = super()._decode(samples, speech, opts, **kwargs)
        self.calls += 1
        if self.calls > 1:
            return [] if self.deaf_redecode else found
        kept = []
        for seg in found:
            words = [w for w in seg.words if w.end <= self.keep_until]
            if words:
                kept.append(seg.part(words))
        if self.loop_tail and kept:
            last = kept[-1]
            end = len(samples) / SAMPLE_RATE
            copy = [
                w.model_copy(update={"start": end - 0.6 + 0.2 * i, "end": end - 0.4 + 0.2 * i})
                for i, w in enumerate(last.words[-2:])
            ]
            kept[-1] = last.model_copy(
                update={
                    "words": [*last.words, *copy],
                    "text": last.text + "".join(w.word for w in copy),
                }
            )
        return kept


@pytest.fixture(scope="module")
def dictation(clips: Clips) -> FloatArray:
    return decode_audio(clips.piper_dictation).samples


def test_speech_the_first_decode_dropped_is_recovered(
    engine: FasterWhisperEngine, dictation: FloatArray
) -> None:
    skipping = FirstDecodeFails(engine, keep_until=3.0)
    transcript = skipping.transcribe(dictation)
    assert "pressure" in transcript.text.lower()
    assert any("recovered" in s.flags for s in transcript.segments)
    assert gap_ranges(transcript.segments) == []
    assert any(w.startswith("recovered speech") for w in transcript.warnings)


def test_dropped_speech_nothing_recovers_is_marked_as_a_gap_with_its_time_range(
    engine: FasterWhisperEngine, dictation: FloatArray
) -> None:
    deaf = FirstDecodeFails(engine, keep_until=3.0)
    deaf.deaf_redecode = True
    transcript = deaf.transcribe(dictation)
    gaps = gap_ranges(transcript.segments)
    assert len(gaps) >= 1
    start, end = gaps[0]
    # The dropped words ran from about 3 s to the end of the speech (about 6.5 s).
    assert 2.5 <= start <= 4.0 and end >= 5.5
    gap = next(s for s in transcript.segments if GAP_FLAG in s.flags)
    assert gap.text == "" and gap.words == []
    assert f"speech not recognised at {start:.1f}-{end:.1f}s (marked as a gap)" in (
        transcript.warnings
    )
    assert "pressure" not in transcript.text.lower()
    # The gap keeps its place in time and the JSON round-trips.
    assert [s.start for s in transcript.segments] == sorted(s.start for s in transcript.segments)
    again = type(transcript).model_validate_json(transcript.model_dump_json())
    assert gap_ranges(again.segments) == gaps


def test_a_looped_tail_over_silence_is_removed_without_a_gap(
    engine: FasterWhisperEngine, dictation: FloatArray
) -> None:
    padded = np.concatenate([dictation, np.zeros(SAMPLE_RATE * 2, dtype=np.float32)])
    looping = FirstDecodeFails(engine)
    looping.loop_tail = True
    transcript = looping.transcribe(padded)
    assert transcript.text.rstrip(".").endswith("over 80")
    assert any(LOOP_FLAG in s.flags for s in transcript.segments)
    assert any(w.startswith("repeated tail removed") for w in transcript.warnings)
    assert gap_ranges(transcript.segments) == []


def test_clean_speech_and_silence_give_no_gaps(
    engine: FasterWhisperEngine, dictation: FloatArray, clips: Clips
) -> None:
    for audio in (dictation, decode_audio(clips.espeak_sentence).samples):
        transcript = engine.transcribe(audio)
        assert gap_ranges(transcript.segments) == []
        assert not [w for w in transcript.warnings if "not recognised" in w]
    silent = engine.transcribe(np.zeros(SAMPLE_RATE * 3, dtype=np.float32))
    assert silent.segments == [] and silent.warnings == ["no speech detected"]


def test_every_word_can_be_aligned_on_request(
    engine: FasterWhisperEngine, dictation: FloatArray
) -> None:
    estimated = engine.transcribe(dictation)
    aligned = engine.transcribe(dictation, options=TranscribeOptions(word_timestamps=True))
    assert estimated.text == aligned.text
    assert all("estimated_word_times" not in s.flags for s in aligned.segments)
    words = [w for s in aligned.segments for w in s.words]
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    # Aligned words cover the speech: the coverage check finds nothing left over.
    speech = engine._speech(dictation, fine=True)
    assert uncovered_speech(speech, aligned.segments) == []


class SeamSkips(FasterWhisperEngine):
    """The first decode behaves as Whisper does at a 30 s window seam: the words between
    `lost_from` and `resume_at` are missing, yet the text before them is timed up to the seam
    at `resume_at` (estimated word times hide the hole) and the next window starts there."""

    def __init__(self, base: FasterWhisperEngine, lost_from: float, resume_at: float) -> None:
        super().__init__(base.config)
        self.lost = (lost_from, resume_at)
        self.calls = 0

    def _decode(self, samples: Any, speech: Any, opts: Any, **kwargs: Any) -> list[Segment]:
        seams = kwargs.get("seams")
        found = super()._decode(samples, speech, opts, **kwargs)
        self.calls += 1
        if self.calls > 1:
            return found
        lost_from, resume_at = self.lost
        words = [w for s in found for w in s.words]
        if seams is not None:
            seams.append(resume_at)
        mean = words[0].probability
        parts = [
            (found[0].start, resume_at, [w for w in words if w.start <= lost_from]),
            (resume_at, found[-1].end, [w for w in words if w.start >= resume_at]),
        ]
        out = []
        for start, end, kept in parts:
            text = "".join(w.word for w in kept).strip()
            words_now = estimated_words(start, end, text, mean)
            out.append(
                found[0].model_copy(
                    update={"start": start, "end": end, "text": text, "words": words_now}
                )
            )
        return out


def test_words_lost_at_a_window_seam_are_recovered_though_the_timing_hides_the_hole(
    engine: FasterWhisperEngine, dictation: FloatArray
) -> None:
    plain = engine.transcribe(dictation, options=TranscribeOptions(correct_vocabulary=False))
    said = [w for s in plain.segments for w in s.words]
    # Lose the run of words that starts about a second before the end of the speech.
    lost_from = said[-6].start - 0.05
    resume_at = said[-2].start - 0.05
    lost = "".join(w.word for w in said[-6:-2]).lower()
    skipping = SeamSkips(engine, lost_from, resume_at)
    transcript = skipping.transcribe(dictation, options=TranscribeOptions(correct_vocabulary=False))
    heard = transcript.text.lower()
    recovered = [s for s in transcript.segments if "recovered" in s.flags]
    gaps = gap_ranges(transcript.segments)
    # Either the lost words are back (re-decoded) or the hole is marked; never silence.
    assert recovered or gaps
    if recovered:
        assert sum(word.strip(".,") in heard for word in lost.split()) >= 3
    else:
        assert any(a < resume_at and b > lost_from for a, b in gaps)
