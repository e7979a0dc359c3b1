from __future__ import annotations

from clinscribe.nlp.core import extract
from tests.unit.nlp.conftest import entity


def test_denied_findings_are_negated() -> None:
    result = extract("Denies chest pain or headache. No fever, chills, or night sweats.")
    for text in ("chest pain", "headache", "fever", "chills", "night sweats"):
        assert "NEGATION" in entity(result, text).traits


def test_doctor_question_answered_no_negates_the_finding() -> None:
    result = extract("[doctor] any chest pain\n[patient] no\n[doctor] okay")
    assert "NEGATION" in entity(result, "chest pain").traits


def test_doctor_question_answered_yes_affirms_the_finding() -> None:
    result = extract("[doctor] any shortness of breath\n[patient] yeah when i walk up the hill")
    assert "NEGATION" not in entity(result, "shortness of breath").traits


def test_colon_dialogue_question_answered_no_negates_every_finding_asked() -> None:
    result = extract("Doctor: Any fevers? Chills?\nPatient: No, not at all.")
    assert "NEGATION" in entity(result, "fevers").traits
    assert "NEGATION" in entity(result, "chills").traits


def test_no_answer_does_not_negate_what_the_patient_says_next() -> None:
    result = extract("[doctor] any fever\n[patient] no, but i have a bad cough")
    assert "NEGATION" in entity(result, "fever").traits
    assert "NEGATION" not in entity(result, "cough").traits


def test_negation_does_not_spread_across_turns_in_long_dialogue() -> None:
    turns = "\n".join(
        ["[doctor] no problem we will sort it out", "[patient] i have had a cough and wheezing"]
        * 20
    )
    result = extract(turns)
    coughs = [e for e in result.entities if e.text == "cough"]
    assert len(coughs) == 20
    assert all("NEGATION" not in e.traits for e in coughs)


def test_if_you_develop_a_fever_is_hypothetical() -> None:
    result = extract("[doctor] if you develop a fever call the office")
    fever = entity(result, "fever")
    assert "HYPOTHETICAL" in fever.traits
    assert "NEGATION" not in fever.traits


def test_worsening_of_an_existing_finding_is_not_hypothetical() -> None:
    result = extract("If the swelling in his ankle gets worse, he should return.")
    assert "HYPOTHETICAL" not in entity(result, "swelling").traits


def test_my_mother_had_breast_cancer_is_family_history() -> None:
    result = extract("[patient] my mother had breast cancer")
    assert "FAMILY_HISTORY" in entity(result, "breast cancer").traits


def test_family_member_after_the_condition_is_family_history() -> None:
    result = extract("Colon cancer in his father.")
    assert "FAMILY_HISTORY" in entity(result, "colon cancer").traits


def test_history_of_and_past_years_are_historical() -> None:
    result = extract("History of MI. Breast cancer treated in 2015, now in remission.")
    assert "HISTORICAL" in entity(result, "MI").traits
    assert "HISTORICAL" in entity(result, "breast cancer").traits


def test_possible_and_rule_out_are_uncertain() -> None:
    result = extract("Possible pneumonia. Rule out pulmonary embolism.")
    assert "UNCERTAIN" in entity(result, "pneumonia").traits
    assert "UNCERTAIN" in entity(result, "pulmonary embolism").traits


def test_affirmed_current_findings_have_no_context_traits() -> None:
    result = extract("She reports a dry cough and fatigue.")
    for text in ("dry cough", "fatigue"):
        assert entity(result, text).traits == ["SYMPTOM"]


def test_as_needed_does_not_make_a_medication_or_its_reason_hypothetical() -> None:
    result = extract("Ibuprofen 400 mg every six hours as needed for knee pain.")
    assert entity(result, "ibuprofen").traits == []
    assert "HYPOTHETICAL" not in entity(result, "knee pain").traits


def test_negation_scope_ends_where_a_new_clause_starts_in_unpunctuated_speech() -> None:
    result = extract("[patient] no fever some chills and i do feel a little nauseous")
    assert "NEGATION" in entity(result, "fever").traits
    assert "NEGATION" not in entity(result, "chills").traits
    assert "NEGATION" not in entity(result, "nauseous").traits


def test_finding_excepted_from_the_question_is_not_negated_by_the_answer() -> None:
    text = (
        "[doctor] other than the melanoma, how has your health been, any headaches?\n[patient] no"
    )
    result = extract(text)
    assert "NEGATION" not in entity(result, "melanoma").traits
    assert "NEGATION" in entity(result, "headaches").traits
