"""Exam narration without the clinician's asides, stated negatives, results read out after a
test is brought up, and the side of a chief complaint."""

from __future__ import annotations

import pytest

from clinscribe.asr.core.schemas import Transcript
from clinscribe.notes.core import Note, NoteSentence, draft_note
from clinscribe.notes.core.rewrite import clinician_to_clinical, detect_gender

from .conftest import make_transcript

KNEE = """
[doctor] hi, ms. lopez. what brings you in today?
[patient] my left knee pain has been bad since i slipped on the stairs.
[doctor] are you allergic to anything?
[patient] i'm not taking any medications and i have no known allergies.
[doctor] let's look at your x-ray.
[doctor] hey dragon, show me the last x-ray.
[doctor] so what i'm seeing here is a small avulsion fracture of the tibial plateau.
[doctor] i will do a quick physical exam.
[doctor] i-i do appreciate some swelling of the left knee, and i don't see any redness.
[doctor] we'll have you use crutches for a week.
"""


@pytest.fixture(scope="module")
def knee() -> tuple[Transcript, Note]:
    transcript = make_transcript(KNEE)
    return transcript, draft_note(transcript, "history_and_physical")


def _section(note: Note, key: str) -> list[NoteSentence]:
    return next((s.sentences for s in note.sections if s.key == key), [])


def _spans(transcript: Transcript, sentence: NoteSentence) -> list[str]:
    return [transcript.segments[e.segment].text[e.begin : e.end] for e in sentence.evidence]


def test_exam_keeps_findings_and_turns_i_dont_see_into_no() -> None:
    said = "i-i do appreciate some swelling of the left knee, and i don't see any redness."
    assert clinician_to_clinical(said, "female", exam=True) == (
        "Some swelling of the left knee, and no redness."
    )
    assert clinician_to_clinical("i will do a quick physical exam.", None, exam=True) == ""
    assert "s-" not in clinician_to_clinical("a 2 out of 6 s- s- systolic murmur", None)


def test_plan_reads_she_will_and_one_greeting_sets_the_pronoun() -> None:
    assert detect_gender(["hi, ms. lopez. what brings you in today?"]) == "female"
    assert detect_gender(["hi, ms. lopez.", "how is he doing?"]) is None
    out = clinician_to_clinical("we'll have you use crutches for a week.", "female")
    assert out == "She will use crutches for a week."


def test_the_drafted_note_has_no_announcement_and_its_evidence_holds(
    knee: tuple[Transcript, Note],
) -> None:
    transcript, note = knee
    assert "quick physical exam" not in note.text.lower()
    assert note.faithfulness.share == 1.0
    for section in note.sections:
        for sentence in section.sentences:
            assert sentence.evidence and all(_spans(transcript, sentence))


def test_medications_stated_as_none_fill_the_section(knee: tuple[Transcript, Note]) -> None:
    transcript, note = knee
    meds = [s for s in _section(note, "medications") if "Denies taking" in s.text]
    assert meds, note.text
    assert "not taking any medications" in _spans(transcript, meds[0])[0]


def test_a_test_brought_up_then_read_out_is_a_result(knee: tuple[Transcript, Note]) -> None:
    transcript, note = knee
    results = _section(note, "results")
    assert results, note.text
    found = next(s for s in results if "avulsion fracture" in s.text)
    assert found.text.startswith("X-ray:")
    spans = _spans(transcript, found)
    assert len(spans) == 2 and "x-ray" in spans[0] and "avulsion" in spans[1]
