"""Window seams on their own: which clips are decoded again and which heard words are spliced."""

from __future__ import annotations

import numpy as np

from clinscribe.asr.core.alignment import _Glued, _windows
from clinscribe.asr.core.coverage import RECOVERED_FLAG
from clinscribe.asr.core.schemas import Segment, Word
from clinscribe.asr.core.seams import missing_run, recover_at_seams, seam_clips
from clinscribe.audio.decode import SAMPLE_RATE
from tests.unit.asr.test_asr_coverage import timed


def words_at(start: float, text: str, step: float = 0.4) -> list[Word]:
    return timed(0, start, text, step).words


def test_a_clip_is_centred_on_each_seam_with_speech_near_it_only() -> None:
    speech = [(20.0, 34.0), (50.0, 58.0)]
    clips = seam_clips([30.0, 45.0, 57.0], speech, duration=58.5)
    # 45 s lies in a long pause: nothing to lose there. 57 s is cut at the recording's end.
    assert clips == [(30.0, (26.5, 33.5)), (57.0, (53.5, 58.5))]


def test_words_heard_between_the_text_before_and_after_a_seam_are_spliced_in() -> None:
    # Whisper timed "slightly raised" up to the seam at 30 s and began again at "both".
    segments = [
        timed(0, 20.0, "the rash is red warm and slightly raised", step=1.2),
        timed(1, 30.0, "both great toes"),
    ]
    heard = words_at(26.6, "slightly raised monofilament sensation is reduced over both great toes")
    found = missing_run(segments, 30.0, (26.5, 33.5), heard)
    assert found is not None
    assert found.text == "monofilament sensation is reduced over"
    assert RECOVERED_FLAG in found.flags
    assert found.start == heard[2].start and found.end == heard[6].end


def test_nothing_is_spliced_when_the_re_decode_hears_what_the_transcript_has() -> None:
    segments = [timed(0, 26.0, "the rash is slightly raised"), timed(1, 30.0, "both great toes")]
    heard = words_at(27.0, "is slightly raised both great toes")
    assert missing_run(segments, 30.0, (26.5, 33.5), heard) is None
    # One extra word is too often a variant of a word heard: not claimed.
    heard = words_at(27.0, "is slightly raised over both great toes")
    assert missing_run(segments, 30.0, (26.5, 33.5), heard) is None


def test_nothing_is_claimed_when_the_text_after_the_seam_is_not_heard_again() -> None:
    segments = [timed(0, 26.0, "the rash is slightly raised"), timed(1, 30.0, "both great toes")]
    heard = words_at(27.0, "slightly raised and then some other words entirely")
    assert missing_run(segments, 30.0, (26.5, 33.5), heard) is None


def test_words_at_a_cut_clip_edge_are_not_taken_as_missing() -> None:
    segments = [timed(0, 20.0, "plan as discussed"), timed(1, 30.0, "both great toes")]
    # "sensation" starts within 0.4 s of the clip's cut start: it may be half a word.
    heard = [
        Word(start=26.6, end=27.0, word=" sensation", probability=0.9),
        *words_at(29.0, "is reduced over both great toes"),
    ]
    found = missing_run(segments, 30.0, (26.5, 33.5), heard)
    assert found is not None and found.text == "is reduced over"


def test_seam_clips_are_decoded_in_one_call_and_spliced_in_time_order() -> None:
    samples = np.zeros(70 * SAMPLE_RATE, dtype=np.float32)
    segments = [
        timed(0, 20.0, "the rash is slightly raised", step=2.0),
        timed(1, 30.0, "both great toes"),
        timed(2, 58.0, "take it daily"),
    ]
    clips = [(30.0, (26.5, 33.5)), (60.0, (56.5, 63.5))]
    calls: list[float] = []

    def decode(clip: np.ndarray) -> list[Segment]:
        calls.append(len(clip) / SAMPLE_RATE)
        # Clip 1 (7 s + 0.6 s pause) hears the lost words; clip 2 hears nothing new.
        first = timed(0, 0.5, "slightly raised monofilament sensation reduced both great toes")
        second = timed(1, 7.6 + 1.5, "take it daily")
        return [first, second]

    out, warnings = recover_at_seams(samples, segments, clips, decode)
    assert calls == [(7.0 + 0.6) * 2]
    texts = [s.text for s in out]
    assert texts == [
        "the rash is slightly raised",
        "monofilament sensation reduced",
        "both great toes",
        "take it daily",
    ]
    assert [s.id for s in out] == [0, 1, 2, 3]
    assert len(warnings) == 1 and "window seam at 27.8s" in warnings[0]


def test_a_segment_spanning_a_dropped_pause_is_aligned_in_the_audio_whisper_heard() -> None:
    samples = np.zeros(60 * SAMPLE_RATE, dtype=np.float32)
    speech = [(0.0, 20.0), (35.0, 50.0)]
    glued = _Glued(samples, [(0.0, 20.0), (35.0, 50.0)])
    assert len(glued.clip) == 35 * SAMPLE_RATE
    # A glued time after the first part lies after the dropped pause in the recording.
    assert glued.original(25.0) == 40.0
    assert glued.original(5.0) == 5.0
    # A word does not run across the dropped pause.
    assert glued.original(21.0, within=19.5) == 20.0
    # One 45 s segment over 35 s of speech fits one window in glued time.
    long = [Segment(id=0, start=0.0, end=50.0, text="words")]
    assert _windows(long, None, speech) == [(0.0, [0])]
    two = [timed(0, 0.0, "a b c", 5.0), timed(1, 36.0, "d e", 4.0)]
    assert _windows(two, None, speech) == [(0.0, [0, 1])]
    assert _windows(two, None) == [(0.0, [0]), (35.8, [1])]
