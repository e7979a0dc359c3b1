from __future__ import annotations

from clinscribe.nlp.core import extract
from tests.unit.nlp.conftest import entity


def test_generic_brand_and_abbreviated_drug_names_are_medications() -> None:
    result = extract("On lisinopril, Lasix, HCTZ and baby aspirin. Tylenol for pain.")
    assert entity(result, "lisinopril").type == "GENERIC_NAME"
    assert entity(result, "Lasix").type == "BRAND_NAME"
    assert entity(result, "HCTZ").category == "MEDICATION"
    assert entity(result, "baby aspirin").category == "MEDICATION"
    assert entity(result, "Tylenol").codes[0].code == "DB00316"  # acetaminophen in DrugBank


def test_asr_misspelled_drug_names_are_recognised() -> None:
    result = extract("[patient] i take lysinopril and metforman every day")
    assert entity(result, "lysinopril").codes[0].display == "Lisinopril"
    assert entity(result, "metforman").codes[0].display == "Metformin"


def test_ordinary_words_are_not_read_as_misspelt_drugs() -> None:
    result = extract("[patient] better doctor the weather has been lovely and my garden grows")
    assert not [e for e in result.entities if e.category == "MEDICATION"]


def test_drug_codes_name_their_system_honestly() -> None:
    med = entity(extract("metformin 500 mg"), "metformin")
    assert {c.system for c in med.codes} == {
        "https://go.drugbank.com/drugs",
        "https://medlineplus.gov/druginfo/meds",
    }


def test_conditions_carry_symptom_sign_or_diagnosis_traits() -> None:
    result = extract("Cough and fever. Crackles on exam. Diagnosed with pneumonia.")
    assert "SYMPTOM" in entity(result, "cough").traits
    assert "SIGN" in entity(result, "crackles").traits
    assert "DIAGNOSIS" in entity(result, "pneumonia").traits


def test_clinical_abbreviations_are_conditions_with_icd10_codes() -> None:
    result = extract("PMH: HTN, DM2, CHF and COPD.")
    codes = {e.text: e.codes[0].code for e in result.entities}
    assert codes == {"HTN": "I10", "DM2": "E11.9", "CHF": "I50.9", "COPD": "J44.9"}
    assert all(
        c.system == "http://hl7.org/fhir/sid/icd-10-cm" for e in result.entities for c in e.codes
    )


def test_tests_and_procedures_are_found() -> None:
    result = extract("Chest x-ray and EKG today; colonoscopy last year; start physical therapy.")
    found = {e.text.lower(): e.type for e in result.entities}
    assert found["chest x-ray"] == "TEST_NAME"
    assert found["ekg"] == "TEST_NAME"
    assert found["colonoscopy"] == "TEST_NAME"
    assert found["physical therapy"] == "TREATMENT_NAME"


def test_anatomy_includes_laterality_and_position() -> None:
    result = extract("Crackles in the right lower lobe.")
    assert entity(result, "right lower lobe").category == "ANATOMY"


def test_body_site_before_pain_makes_one_condition() -> None:
    pain = entity(extract("She has left knee pain."), "left knee pain")
    assert pain.category == "MEDICAL_CONDITION"
    assert pain.codes[0].code == "M25.562"


def test_mouth_in_by_mouth_is_a_route_not_anatomy() -> None:
    result = extract("azithromycin 500 mg by mouth daily")
    assert not [e for e in result.entities if e.category == "ANATOMY"]


def test_a_condition_followed_by_screening_is_a_test() -> None:
    found = entity(extract("Depression screening was negative."), "depression screening")
    assert found.category == "TEST_TREATMENT_PROCEDURE"


def test_lay_phrasings_with_possessives_are_matched() -> None:
    result = extract("[doctor] any blood in your stool or pain in your belly")
    assert entity(result, "blood in your stool").category == "MEDICAL_CONDITION"


def test_entity_offsets_point_at_the_text() -> None:
    text = "Denies chest pain. Takes metoprolol."
    for found in extract(text).entities:
        assert text[found.begin : found.end] == found.text
