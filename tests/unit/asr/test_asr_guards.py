"""Repetition/hallucination guards and the coverage check that never drops speech silently."""

from __future__ import annotations

from clinscribe.asr.core.guards import (
    collapse_repetitions,
    fill_coverage_gaps,
    find_repeated_ngram,
    remove_hallucinations,
    uncovered_speech,
)
from clinscribe.asr.core.schemas import Segment


def seg(i: int, start: float, end: float, text: str, **extra: object) -> Segment:
    return Segment.model_validate({"id": i, "start": start, "end": end, "text": text, **extra})


def test_a_looped_phrase_is_found_with_its_length_and_count() -> None:
    words = ["take", "one", "tablet", "daily", "daily", "daily", "daily"]
    assert find_repeated_ngram(words) == (3, 1, 4)
    words = [
        "i",
        "will",
        "call",
        "you",
        "i",
        "will",
        "call",
        "you",
        "i",
        "will",
        "call",
        "you",
        "tomorrow",
    ]
    assert find_repeated_ngram(words) == (0, 4, 3)


def test_natural_short_repeats_are_not_called_loops() -> None:
    assert find_repeated_ngram(["no", "no", "no", "it", "does", "not", "hurt"]) is None
    assert find_repeated_ngram(["very", "very", "good"]) is None


def test_a_repetition_loop_collapses_to_one_copy_and_is_flagged() -> None:
    looped = seg(
        0, 0, 9, "Take it with food. Take it with food. Take it with food. Take it with food."
    )
    out = collapse_repetitions(looped)
    assert out.text == "Take it with food."
    assert out.original_text == looped.text
    assert "repetition_removed" in out.flags


def test_weakly_supported_stock_phrases_are_dropped_but_spoken_ones_kept() -> None:
    segments = [
        seg(0, 0, 4, "Blood pressure is stable."),
        seg(1, 4, 6, "Thank you for watching!", no_speech_prob=0.7, avg_logprob=-1.1),
        seg(2, 6, 8, "Thank you for watching the video I sent.", no_speech_prob=0.01),
    ]
    kept, warnings = remove_hallucinations(segments)
    assert [s.id for s in kept] == [0, 2]
    assert any("hallucinated" in w for w in warnings)


def test_a_segment_repeated_back_to_back_is_dropped() -> None:
    segments = [
        seg(0, 0, 3, "Start physical therapy."),
        seg(1, 3.2, 5, "Start physical therapy."),
        seg(2, 5, 7, "Recheck in a month."),
    ]
    kept, warnings = remove_hallucinations(segments)
    assert [s.text for s in kept] == ["Start physical therapy.", "Recheck in a month."]
    assert warnings


def test_speech_regions_the_transcript_skips_are_found() -> None:
    speech = [(0.0, 10.0), (12.0, 14.0)]
    segments = [seg(0, 0.1, 4.0, "First part."), seg(1, 7.5, 9.9, "Last part.")]
    assert uncovered_speech(speech, segments) == [(4.0, 7.5), (12.0, 14.0)]


def test_skipped_speech_is_re_decoded_and_spliced_back_in_order() -> None:
    speech = [(0.0, 10.0)]
    segments = [seg(0, 0.0, 4.0, "He takes lisinopril daily."), seg(1, 7.0, 10.0, "Follow up.")]
    calls: list[tuple[float, float]] = []

    def redecode(start: float, end: float) -> list[Segment]:
        calls.append((start, end))
        return [seg(0, start + 0.3, end - 0.3, "Start atorvastatin 40 milligrams.")]

    merged, warnings = fill_coverage_gaps(segments, speech, redecode)
    assert calls == [(3.75, 7.25)]
    assert [s.text for s in merged] == [
        "He takes lisinopril daily.",
        "Start atorvastatin 40 milligrams.",
        "Follow up.",
    ]
    assert [s.id for s in merged] == [0, 1, 2]
    assert "recovered" in merged[1].flags
    assert warnings == ["recovered speech skipped by the decoder at 4.0s"]


def test_speech_that_still_yields_nothing_is_reported_not_ignored() -> None:
    merged, warnings = fill_coverage_gaps([], [(1.0, 3.0)], lambda s, e: [])
    assert merged == []
    assert warnings == ["speech at 1.0-3.0s produced no text"]
