"""Repetition and hallucination guards (the coverage check has its own tests)."""

from __future__ import annotations

from clinscribe.asr.core.guards import (
    collapse_repetitions,
    find_repeated_ngram,
    remove_hallucinations,
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
