"""The coverage check on its own: holes in word coverage, re-decoding, gaps and looped tails."""

from __future__ import annotations

from clinscribe.asr.core.coverage import (
    GAP_FLAG,
    LOOP_FLAG,
    RECOVERED_FLAG,
    check_coverage,
    gap_ranges,
    remove_looped_tails,
    uncovered_speech,
    with_gaps,
)
from clinscribe.asr.core.schemas import Segment, Transcript, Word


def timed(i: int, start: float, text: str, step: float = 0.4) -> Segment:
    """A segment whose words are ``step`` s long each, back to back from ``start``."""
    words = [
        Word(start=start + k * step, end=start + (k + 1) * step, word=f" {w}", probability=0.9)
        for k, w in enumerate(text.split())
    ]
    return Segment(id=i, start=start, end=words[-1].end, text=text, words=words)


def test_speech_no_word_covers_is_found_but_short_pauses_are_not() -> None:
    speech = [(0.0, 10.0), (12.0, 14.0)]
    segments = [timed(0, 0.1, "first part here now"), timed(1, 7.5, "last part here")]
    # 1.7-7.5 s is speech with no words; 14 s region has none at all; 8.7-10 s is too.
    assert uncovered_speech(speech, segments) == [(1.85, 7.35), (8.85, 10.0), (12.0, 14.0)]
    # Words that stop 0.4 s before a region ends leave no hole (edges are approximate).
    assert uncovered_speech([(0.0, 2.0)], [timed(0, 0.0, "one two three four")]) == []


def test_skipped_speech_is_re_decoded_with_context_and_spliced_in_order() -> None:
    speech = [(0.0, 8.3)]
    segments = [timed(0, 0.0, "he takes lisinopril daily"), timed(1, 7.0, "follow up soon")]
    calls: list[tuple[float, float]] = []

    def redecode(start: float, end: float) -> list[Segment]:
        calls.append((start, end))
        # The context either side is heard again; only the words in the hole are kept.
        return [timed(0, start, "daily start atorvastatin forty milligrams now", step=1.0)]

    merged, gaps, warnings = check_coverage(segments, speech, redecode)
    assert calls == [(0.75, 7.85)]
    assert [s.text for s in merged] == [
        "he takes lisinopril daily",
        "start atorvastatin forty milligrams now",
        "follow up soon",
    ]
    assert [s.id for s in merged] == [0, 1, 2]
    assert RECOVERED_FLAG in merged[1].flags
    assert gaps == []
    assert warnings == ["recovered speech skipped by the decoder at 1.8s"]


def test_speech_that_still_yields_nothing_becomes_an_explicit_gap() -> None:
    before = [timed(0, 0.0, "blood pressure is fine")]
    merged, gaps, warnings = check_coverage(before, [(0.0, 5.0)], lambda s, e: [])
    assert merged == before
    assert gaps == [(1.75, 5.0)]
    assert warnings == ["speech not recognised at 1.8-5.0s (marked as a gap)"]
    marked = with_gaps(merged, gaps)
    assert [s.flags for s in marked] == [[], [GAP_FLAG]]
    assert (marked[1].start, marked[1].end, marked[1].text) == (1.75, 5.0, "")
    assert gap_ranges(marked) == [(1.75, 5.0)]


def test_a_recovery_that_only_repeats_the_text_before_it_is_not_taken() -> None:
    segments = [timed(0, 0.0, "take it three times a day")]

    def loops_again(start: float, end: float) -> list[Segment]:
        return [timed(0, start + 1.0, "a day", step=0.5)]

    merged, gaps, _ = check_coverage(segments, [(0.0, 5.0)], loops_again)
    assert merged == segments
    assert gaps == [(2.55, 5.0)]


def test_a_segment_repeating_the_tail_before_a_seam_is_removed() -> None:
    segments = [
        timed(0, 0.0, "follow up in three months"),
        timed(1, 2.0, "in three months"),  # over speech, but only a copy of the tail
    ]
    out, warnings = remove_looped_tails(segments, [(0.0, 3.5)])
    assert [s.text for s in out] == ["follow up in three months"]
    assert warnings == ["repeated tail removed at 2.0s"]


def test_a_repeated_ending_over_silence_is_cut_but_real_speech_is_kept() -> None:
    looped = timed(0, 0.0, "take it in three times three months three months")
    out, warnings = remove_looped_tails([looped], [(0.0, 2.9)])
    assert out[0].text == "take it in three times three months"
    assert LOOP_FLAG in out[0].flags
    assert warnings == ["repeated tail removed at 2.8s"]
    # The same words said twice, each over speech of its own, stay.
    said_twice = timed(0, 0.0, "twice a day twice a day")
    kept, none = remove_looped_tails([said_twice], [(0.0, 2.5)])
    assert kept[0].text == "twice a day twice a day"
    assert none == []


def test_old_transcript_json_without_gap_fields_still_loads() -> None:
    old = {
        "text": "Blood pressure is fine.",
        "duration": 2.0,
        "engine": "faster-whisper",
        "model": "tiny.en",
        "segments": [
            {
                "id": 0,
                "start": 0.0,
                "end": 2.0,
                "text": "Blood pressure is fine.",
                "speaker": None,
                "words": [{"start": 0.0, "end": 0.5, "word": "Blood", "probability": 0.9}],
            }
        ],
    }
    transcript = Transcript.model_validate(old)
    assert transcript.warnings == []
    assert gap_ranges(transcript.segments) == []
    again = Transcript.model_validate_json(transcript.model_dump_json())
    assert again == transcript
