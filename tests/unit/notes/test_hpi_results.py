"""History of present illness and results: what goes in, from which span, and nothing else."""

from __future__ import annotations

import pytest

from clinscribe.asr.core.schemas import Transcript
from clinscribe.notes.core import Note, NoteSentence, draft_note, validate_template
from clinscribe.notes.core.results import result_sentence

from .conftest import make_transcript

WRIST = """
[doctor] hi there, what's going on with your wrist?
[patient] i fell off my bike on sunday and landed on my right hand.
[patient] the wrist has been swollen and it aches when i try to open jars.
[doctor] so the pain is worse when you grip things?
[patient] yes.
[doctor] did you hit your head?
[patient] no.
[doctor] how was the rest of your weekend?
[patient] we had friends over for a barbecue on the deck.
[doctor] on exam there is tenderness over the anatomical snuffbox.
[doctor] the x-ray of your right wrist showed no fracture.
[doctor] your hemoglobin came back at 13.2, which is normal.
[doctor] i'm going to put you in a thumb spica splint and repeat the x-ray in ten days.
"""


@pytest.fixture(scope="module")
def wrist() -> tuple[Transcript, Note]:
    transcript = make_transcript(WRIST)
    return transcript, draft_note(transcript, "history_and_physical")


def _sentences(note: Note, key: str) -> list[NoteSentence]:
    return next(s.sentences for s in note.sections if s.key == key)


def _spans(transcript: Transcript, sentence: NoteSentence) -> list[str]:
    return [transcript.segments[e.segment].text[e.begin : e.end] for e in sentence.evidence]


def test_the_hpi_tells_the_patients_own_account_with_its_evidence(
    wrist: tuple[Transcript, Note],
) -> None:
    transcript, note = wrist
    hpi = _sentences(note, "history_of_present_illness")
    fell = next(s for s in hpi if "fell off" in s.text)
    assert "i fell off my bike on sunday" in _spans(transcript, fell)[0]
    assert " my " not in f" {fell.text.lower()} " and " i " not in f" {fell.text.lower()} "
    swollen = next(s for s in hpi if "open jars" in s.text)
    assert "aches when i try to open jars" in _spans(transcript, swollen)[0]


def test_a_summarising_question_the_patient_confirms_becomes_a_statement(
    wrist: tuple[Transcript, Note],
) -> None:
    transcript, note = wrist
    hpi = _sentences(note, "history_of_present_illness")
    grip = next(s for s in hpi if "grip" in s.text)
    assert grip.text == "The pain is worse when the patient grips things."
    assert [e.segment for e in grip.evidence] == [3, 4]  # the question and the "yes"
    assert _spans(transcript, grip)[1].startswith("yes")


def test_a_question_answered_no_is_not_turned_into_a_statement(
    wrist: tuple[Transcript, Note],
) -> None:
    _, note = wrist
    assert "hit" not in " ".join(s.text for s in _sentences(note, "history_of_present_illness"))


def test_small_talk_stays_out_of_the_hpi(wrist: tuple[Transcript, Note]) -> None:
    _, note = wrist
    assert "barbecue" not in note.text


def test_the_hpi_opens_with_the_reason_for_the_visit_when_nobody_introduced_the_patient(
    wrist: tuple[Transcript, Note],
) -> None:
    _, note = wrist
    first = _sentences(note, "history_of_present_illness")[0]
    assert first.text.startswith("The patient") and "presents today for" in first.text
    assert first.evidence


def test_the_clinicians_introduction_opens_the_hpi() -> None:
    note = draft_note(
        make_transcript(
            "[doctor] hi, nice to see you.\n"
            "[patient] i've had a cough for two weeks.\n"
            "[doctor] mr. reyes is a 64 year old male here for a cough.\n"
        ),
        "history_and_physical",
    )
    hpi = _sentences(note, "history_of_present_illness")
    assert hpi[0].text == "Mr. reyes is a 64-year-old male, who presents today for a cough."
    assert hpi[0].evidence[0].segment == 2


def test_results_keep_each_test_with_its_finding_and_value(
    wrist: tuple[Transcript, Note],
) -> None:
    transcript, note = wrist
    results = _sentences(note, "results")
    assert [s.text for s in results] == [
        "X-ray of the right wrist demonstrates no fracture.",
        "Hemoglobin came back at 13.2, which is normal.",
    ]
    assert "x-ray of your right wrist showed no fracture" in _spans(transcript, results[0])[0]
    assert "13.2" in _spans(transcript, results[1])[0]


def test_the_hpi_and_results_pass_the_faithfulness_check(wrist: tuple[Transcript, Note]) -> None:
    _, note = wrist
    for key in ("history_of_present_illness", "results"):
        for sentence in _sentences(note, key):
            assert sentence.supported, (sentence.text, sentence.flags)
    assert note.faithfulness.share == 1.0


def test_a_result_sentence_never_drops_a_negation() -> None:
    said = "The X-ray did not show a fracture."
    assert result_sentence(said) == said
    assert result_sentence("I don't think the MRI shows a tear.") == (
        "I don't think the MRI shows a tear."
    )
    assert result_sentence("Looking at the labs, the A1c is 7.9.") == "A1c is 7.9."


def test_results_said_inside_a_long_unpunctuated_turn_are_found() -> None:
    note = draft_note(
        make_transcript(
            "[patient] my knee hurts when i climb stairs\n"
            "[doctor] okay so on exam you have pain over the medial joint line and we did look "
            "at the x-ray of your knee and it shows some mild arthritis so let's start with "
            "physical therapy"
        ),
        "history_and_physical",
    )
    results = _sentences(note, "results")
    assert len(results) == 1 and "mild arthritis" in results[0].text
    assert results[0].supported


def test_templates_without_hpi_or_results_sections_still_draft() -> None:
    transcript = make_transcript(WRIST)
    soap = draft_note(transcript, "soap")
    subjective = next(s for s in soap.sections if s.key == "subjective")
    objective = next(s for s in soap.sections if s.key == "objective")
    assert any(s.kind == "hpi" for s in subjective.sentences)
    assert any(s.kind == "results" for s in objective.sentences)
    brief = validate_template(
        {
            "key": "brief",
            "title": "Brief",
            "sections": [{"key": "plan", "title": "Plan", "fact_kinds": ["plan"]}],
        }
    )
    note = draft_note(transcript, brief)
    assert [s.key for s in note.sections] == ["plan"]
    assert "splint" in note.text and "fell off" not in note.text
    assert all(s.kind == "plan" for s in note.sections[0].sentences)


def test_a_short_answer_to_when_or_how_long_completes_the_clinicians_question() -> None:
    transcript = make_transcript(
        "[doctor] when did your shoulder start hurting?\n"
        "[patient] um, maybe three weeks ago.\n"
        "[doctor] what do you do for work?\n"
        "[patient] i'm a mail carrier.\n"
    )
    note = draft_note(transcript, "history_and_physical")
    hpi = _sentences(note, "history_of_present_illness")
    onset = next(s for s in hpi if "started" in s.text)
    assert onset.text == "The patient's shoulder started hurting maybe 3 weeks ago."
    assert [e.segment for e in onset.evidence] == [0, 1]
    assert onset.supported


def test_an_answer_to_the_past_medical_history_question_goes_to_the_history() -> None:
    note = draft_note(
        make_transcript(
            "[doctor] do you have any other past medical history?\n"
            "[patient] i had my appendix taken out when i was eighteen.\n"
        ),
        "history_and_physical",
    )
    history = _sentences(note, "past_medical_history")
    assert any("appendix" in s.text for s in history)
    assert all(s.supported for s in history)
