"""Speaker roles: channel attribution, and cautious text-based guesses for mono audio."""

from __future__ import annotations

import numpy as np

from clinscribe.asr.core.schemas import Segment, Word
from clinscribe.asr.core.speakers import guess_role, label_from_channels, label_from_text


def test_questions_and_orders_read_as_the_clinician() -> None:
    role, confidence = guess_role("Have you started any new medicines? We will recheck the INR.")
    assert role == "clinician"
    assert confidence >= 0.6


def test_first_person_complaints_read_as_the_patient() -> None:
    role, _ = guess_role("My throat has been sore and it hurts to swallow.")
    assert role == "patient"


def test_a_turn_without_cues_gets_no_speaker_rather_than_a_guess() -> None:
    assert guess_role("Okay.") == (None, 0.0)
    role, _ = guess_role("Yes, we will see.")
    assert role is None


def test_mono_segments_are_split_into_turns_before_labelling() -> None:
    words = [
        Word(start=0.0, end=0.5, word=" Any", probability=0.9),
        Word(start=0.5, end=1.0, word=" cough?", probability=0.9),
        Word(start=1.2, end=1.6, word=" My", probability=0.9),
        Word(start=1.6, end=2.0, word=" chest", probability=0.9),
        Word(start=2.0, end=2.4, word=" hurts.", probability=0.9),
    ]
    segment = Segment(id=0, start=0.0, end=2.4, text="Any cough? My chest hurts.", words=words)
    turns = label_from_text([segment])
    assert [t.text for t in turns] == ["Any cough?", "My chest hurts."]
    assert [t.speaker for t in turns] == ["clinician", "patient"]
    assert turns[1].start == 1.2


def test_the_louder_channel_names_the_speaker() -> None:
    loud = np.full(16_000, 0.3, dtype=np.float32)
    quiet = np.full(16_000, 0.01, dtype=np.float32)
    segments = [
        Segment(id=0, start=0.0, end=0.5, text="How are you?"),
        Segment(id=1, start=0.5, end=1.0, text="Fine."),
    ]
    left = np.concatenate([loud[:8000], quiet[:8000]])
    right = np.concatenate([quiet[:8000], loud[:8000]])
    labelled = label_from_channels([left, right], segments)
    assert [(s.speaker, s.channel) for s in labelled] == [("clinician", 0), ("patient", 1)]


def test_equal_energy_on_both_channels_leaves_the_speaker_unknown() -> None:
    same = np.full(16_000, 0.2, dtype=np.float32)
    labelled = label_from_channels([same, same], [Segment(id=0, start=0, end=1, text="Hm.")])
    assert labelled[0].speaker is None


def test_splitting_a_corrected_segment_keeps_what_was_heard_per_sentence() -> None:
    from clinscribe.asr.core.speakers import split_turns

    words = [
        Word(start=0.0, end=0.4, word=" Stop", probability=0.9),
        Word(start=0.4, end=1.0, word=" zolpidem.", probability=0.7, original_text="zalpide."),
        Word(start=1.1, end=1.5, word=" Walk", probability=0.9),
        Word(start=1.5, end=1.9, word=" daily.", probability=0.9),
    ]
    segment = Segment(
        id=0,
        start=0.0,
        end=1.9,
        text="Stop zolpidem. Walk daily.",
        words=words,
        original_text="Stop zalpide. Walk daily.",
    )
    first, second = split_turns(segment)
    assert (first.text, first.original_text) == ("Stop zolpidem.", "Stop zalpide.")
    assert (second.text, second.original_text) == ("Walk daily.", None)
