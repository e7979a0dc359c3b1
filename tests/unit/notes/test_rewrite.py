"""Conversational speech rewritten as clinical third person."""

from __future__ import annotations

import pytest

from clinscribe.notes.core.rewrite import (
    clinician_to_clinical,
    detect_gender,
    normalize_speech,
    patient_to_clinical,
)


@pytest.mark.parametrize(
    ("spoken", "gender", "written"),
    [
        ("I've had this cough for three days", None, "Reports cough for 3 days."),
        ("i've been having headaches for a month", "female", "Reports headaches for a month."),
        ("i don't have any chest pain", None, "Denies chest pain."),
        (
            "i take metformin 500 milligrams twice a day",
            "female",
            "She takes metformin 500 mg twice a day.",
        ),
        ("my mom has diabetes", None, "The patient's mom has diabetes."),
        ("it's been hurting for two weeks", "male", "It has been hurting for 2 weeks."),
        ("um , so i i smoke half a pack a day", "male", "He smokes half a pack a day."),
    ],
)
def test_patient_speech_becomes_clinical_third_person(
    spoken: str, gender: str | None, written: str
) -> None:
    assert patient_to_clinical(spoken, gender) == written  # type: ignore[arg-type]


def test_clinician_speech_keeps_the_clinician_and_refers_to_the_patient() -> None:
    text = (
        "okay so i'm gon na prescribe you lisinopril 10 milligrams "
        "and i want you to come back in two weeks"
    )
    assert clinician_to_clinical(text, "female") == (
        "I will prescribe her lisinopril 10 mg and I want her to come back in 2 weeks."
    )


def test_exam_narration_drops_the_address_to_the_patient() -> None:
    assert clinician_to_clinical("on exam your lungs are clear", None, exam=True) == (
        "Lungs are clear."
    )


def test_tokenised_asr_text_is_joined_and_fillers_are_dropped() -> None:
    assert normalize_speech("uh , i do n't know , you know , it's gon na be fine .") == (
        "i don't know, it's going to be fine."
    )


def test_gender_comes_from_how_the_clinician_speaks_about_the_patient() -> None:
    assert detect_gender(["she is a 50-year-old female", "her pain"]) == "female"
    assert detect_gender(["mr. smith is here", "he says his knee hurts"]) == "male"
    assert detect_gender(["how are you today"]) is None
