"""Offline drafting: section classification, clinical rewriting, facts and evidence."""

from __future__ import annotations

import pytest

from clinscribe.asr.core.schemas import Segment, Transcript
from clinscribe.notes.core import (
    EmptyTranscriptError,
    Note,
    UnknownTemplateError,
    draft_from_segments,
    draft_note,
    validate_template,
)

from .conftest import DICTATION, VISIT, make_transcript


@pytest.fixture(scope="module")
def soap() -> Note:
    return draft_note(make_transcript(VISIT), "soap")


@pytest.fixture(scope="module")
def hp() -> Note:
    return draft_note(make_transcript(VISIT), "history_and_physical")


def section(note: Note, key: str) -> str:
    return next(s.text for s in note.sections if s.key == key)


def test_the_note_has_the_contract_shape(soap: Note) -> None:
    data = soap.model_dump(mode="json")
    assert {"template", "status", "sections", "text", "entities", "vitals"} <= set(data)
    assert data["template"] == "soap" and data["status"] == "draft"
    first = data["sections"][0]
    assert {"key", "title", "text", "evidence"} <= set(first)
    assert {"segment", "begin", "end"} == set(first["evidence"][0])


def test_the_note_text_has_capitalised_headings_in_template_order(soap: Note) -> None:
    heads = [line for line in soap.text.splitlines() if line.isupper()]
    assert heads == ["SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"]


def test_patient_speech_is_rewritten_in_clinical_third_person(hp: Note) -> None:
    hpi = section(hp, "history_of_present_illness")
    assert "The patient reports cough for 3 days" in hpi
    assert " i " not in f" {hpi.lower()} " and "my " not in hpi.lower()


def test_the_chief_complaint_comes_from_the_reason_for_the_visit(hp: Note) -> None:
    assert section(hp, "chief_complaint") == "Cough."


def test_negated_findings_become_pertinent_negatives_in_review_of_systems(hp: Note) -> None:
    ros = section(hp, "review_of_systems").splitlines()
    assert "Constitutional: Denies fever." in ros
    assert "Respiratory: Reports cough. Denies shortness of breath." in ros


def test_the_patients_assent_to_the_plan_is_documented_with_its_evidence() -> None:
    transcript = make_transcript(VISIT.strip() + "\n[patient] okay, that sounds good, thank you.")
    note = draft_note(transcript, "soap")
    plan = next(s for s in note.sections if s.key == "plan")
    assert plan.text.endswith("agrees with the recommended medical treatment plan.")
    assert plan.sentences[-1].evidence[0].segment == len(transcript.segments) - 1


def test_medications_keep_their_dose_and_frequency(hp: Note) -> None:
    assert "Lisinopril 20 mg once a day." in section(hp, "medications")


def test_allergies_family_and_social_history_go_to_their_sections(hp: Note) -> None:
    assert "penicillin" in section(hp, "allergies")
    assert "father had a heart attack" in section(hp, "family_history")
    assert "Does not smoke." in section(hp, "social_history")


def test_vitals_and_the_doctors_exam_narration_go_to_the_exam(hp: Note) -> None:
    exam = section(hp, "physical_examination")
    assert "Blood pressure: 142/88 mmHg." in exam
    assert "Heart rate: 96 per minute." in exam
    assert "Lungs are clear" in exam
    assert [v.type for v in hp.vitals] == ["blood_pressure", "heart_rate"]


def test_results_talk_goes_to_results(hp: Note) -> None:
    assert section(hp, "results") == "Chest X-ray demonstrates no pneumonia."


def test_problems_carry_their_icd10_codes(hp: Note) -> None:
    codes = {p.text: p.code for p in hp.problems}
    assert codes["Acute bronchitis"] == "J20.9"
    assert codes["Hypertension"] == "I10"
    assert "Acute bronchitis (J20.9)." in section(hp, "assessment")


def test_lets_get_and_prescriptions_go_to_the_plan(hp: Note) -> None:
    plan = section(hp, "plan")
    assert "We will get a chest X-ray again" in plan
    assert "benzonatate 100 mg 3 times a day" in plan


def test_every_sentence_cites_segments_whose_text_it_rests_on(hp: Note) -> None:
    transcript = make_transcript(VISIT)
    for sec in hp.sections:
        for sentence in sec.sentences:
            assert sentence.evidence, sentence.text
            for ev in sentence.evidence:
                seg = transcript.segments[ev.segment]
                assert 0 <= ev.begin < ev.end <= len(seg.text)
    cough = next(
        s
        for sec in hp.sections
        for s in sec.sentences
        if s.text.startswith("The patient reports cough")
    )
    ev = cough.evidence[0]
    assert "cough for three days" in transcript.segments[ev.segment].text[ev.begin : ev.end]


def test_the_offline_draft_passes_its_own_faithfulness_check(hp: Note) -> None:
    assert hp.faithfulness.sentences > 10
    assert hp.faithfulness.share == 1.0
    assert all(s.unsupported == 0 for s in hp.sections)


def test_a_dictation_that_speaks_in_sections_keeps_them() -> None:
    note = draft_note(make_transcript(DICTATION), "history_and_physical")
    assert section(note, "chief_complaint") == "Follow-up of type 2 diabetes."
    assert "Lungs clear, no edema." in section(note, "physical_examination")
    assert "Type 2 diabetes, well controlled." in section(note, "assessment")
    plan = section(note, "plan")
    assert "Continue metformin 1000 mg twice daily." in plan and "A1c" in plan
    assert "Metformin 1000 mg twice daily." in section(note, "medications")


def test_a_tenant_template_receives_the_fact_kinds_it_names() -> None:
    template = validate_template(
        {
            "key": "brief",
            "title": "Brief",
            "sections": [
                {"key": "story", "title": "Story", "fact_kinds": ["hpi", "ros"]},
                {"key": "todo", "title": "To do", "fact_kinds": ["plan"]},
            ],
        }
    )
    note = draft_note(make_transcript(VISIT), template)
    assert note.template == "brief"
    assert note.text.startswith("STORY\n") and "\n\nTO DO\n" in note.text
    assert "Denies fever" in section(note, "story")
    assert "Lisinopril" not in note.text  # medications have no section here


def test_apso_and_progress_templates_draft_the_same_facts_in_their_order() -> None:
    apso = draft_note(make_transcript(VISIT), "apso")
    assert apso.text.startswith("ASSESSMENT\n")
    progress = draft_note(make_transcript(VISIT), "progress_note")
    assert "benzonatate" in section(progress, "assessment_and_plan")


def test_an_empty_transcript_is_refused() -> None:
    empty = Transcript(text="", duration=0, engine="t", model="t", segments=[])
    with pytest.raises(EmptyTranscriptError):
        draft_note(empty)
    blank = [Segment(id=0, start=0, end=1, text="   ")]
    with pytest.raises(EmptyTranscriptError):
        draft_from_segments(blank)


def test_an_unknown_template_key_is_refused() -> None:
    with pytest.raises(UnknownTemplateError):
        draft_note(make_transcript(VISIT), "nonexistent")


def test_small_talk_does_not_reach_the_note() -> None:
    note = draft_note(
        make_transcript(
            "[doctor] how was your weekend?\n[patient] great, we went to the lake.\n"
            "[patient] i've had a headache for two weeks."
        )
    )
    assert "lake" not in note.text and "reports headache for 2 weeks." in note.text


KNEE = """
[doctor] hi jane, how are you doing?
[patient] my right knee hurts since i fell playing soccer four days ago.
[doctor] do you have any numbness or tingling?
[patient] no.
[doctor] hey dragon, show me the knee x-ray.
[doctor] so looking at your x-ray, there's no fracture.
[patient] on exam you have tenderness over the medial knee and a small effusion.
[doctor] i'm going to order physical therapy and i want you to wear a knee brace for two weeks.
"""


@pytest.fixture(scope="module")
def knee() -> Note:
    return draft_note(make_transcript(KNEE), "history_and_physical")


def test_a_spoken_complaint_without_a_coded_entity_still_gives_the_chief_complaint(
    knee: Note,
) -> None:
    assert section(knee, "chief_complaint") == "Right knee pain."


def test_talk_after_turning_to_an_image_goes_to_results_and_voice_commands_are_dropped(
    knee: Note,
) -> None:
    assert section(knee, "results") == "X-ray demonstrates no fracture."
    assert "dragon" not in knee.text.lower()


def test_exam_narration_under_a_mislabelled_patient_tag_still_goes_to_the_exam(
    knee: Note,
) -> None:
    assert section(knee, "physical_examination") == (
        "Tenderness over the medial knee and a small effusion."
    )


def test_review_of_systems_groups_findings_under_their_organ_system(knee: Note) -> None:
    assert section(knee, "review_of_systems") == "Neurological: Denies numbness or tingling."


def test_a_clinician_plan_keeps_the_first_person_and_puts_the_patient_in_third(
    knee: Note,
) -> None:
    assert section(knee, "plan") == (
        "I will order physical therapy and I want the patient to wear a knee brace for 2 weeks."
    )
