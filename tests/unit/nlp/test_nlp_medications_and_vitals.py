from __future__ import annotations

import pytest

from clinscribe.nlp.core import extract
from tests.unit.nlp.conftest import entity


def attrs(text: str, drug: str) -> dict[str, str | None]:
    found = entity(extract(text), drug)
    assert found.attributes is not None
    return found.attributes.model_dump()


def test_written_dose_route_and_abbreviated_frequency() -> None:
    assert attrs("metformin 500 mg PO BID", "metformin") == {
        "dosage": "500 mg",
        "route": "PO",
        "frequency": "BID",
        "duration": None,
    }


def test_spoken_dose_and_frequency() -> None:
    found = attrs("[doctor] take omeprazole forty milligrams twice a day", "omeprazole")
    assert found["dosage"] == "forty milligrams"
    assert found["frequency"] == "twice a day"


def test_dotted_latin_abbreviation_b_i_d() -> None:
    assert attrs("Start amoxicillin 875 mg b.i.d. for 10 days.", "amoxicillin") == {
        "dosage": "875 mg",
        "route": None,
        "frequency": "b.i.d.",
        "duration": "for 10 days",
    }


def test_every_six_hours_as_needed_is_one_frequency() -> None:
    found = attrs("oxycodone 5 mg every six hours as needed for pain", "oxycodone")
    assert found["frequency"] == "every six hours as needed"


def test_at_bedtime_and_spoken_duration() -> None:
    found = attrs("Trazodone 50 mg at bedtime for two weeks.", "trazodone")
    assert found["frequency"] == "at bedtime"
    assert found["duration"] == "for two weeks"


def test_attributes_do_not_leak_to_the_next_drug() -> None:
    result = extract("lisinopril 20 mg daily and metformin 500 mg twice daily")
    assert entity(result, "lisinopril").attributes.dosage == "20 mg"  # type: ignore[union-attr]
    assert entity(result, "metformin").attributes.frequency == "twice daily"  # type: ignore[union-attr]


def test_patient_answer_gives_the_dose_of_the_drug_asked_about() -> None:
    text = (
        "[doctor] are you still taking the furosemide\n[patient] yes forty milligrams every morning"
    )
    found = attrs(text, "furosemide")
    assert found["dosage"] == "forty milligrams"
    assert found["frequency"] == "every morning"


def test_iv_route_and_gram_dose() -> None:
    found = attrs("Start ceftriaxone 1 gram IV daily.", "ceftriaxone")
    assert (found["dosage"], found["route"], found["frequency"]) == ("1 gram", "IV", "daily")


def vitals(text: str) -> list[dict[str, object]]:
    return [v.model_dump() for v in extract(text).vitals]


def test_spoken_blood_pressure_one_forty_two_over_eighty_eight() -> None:
    found = vitals("[doctor] your blood pressure is one forty two over eighty eight")
    assert found[0]["type"] == "blood_pressure"
    assert (found[0]["systolic"], found[0]["diastolic"], found[0]["unit"]) == (142, 88, "mmHg")
    assert "value" not in found[0]


def test_temp_of_a_hundred_and_one_point_two_is_fahrenheit() -> None:
    found = vitals("she had a temp of a hundred and one point two last night")
    assert found[0]["type"] == "temperature"
    assert found[0]["value"] == pytest.approx(101.2)
    assert found[0]["unit"] == "[degF]"


def test_celsius_temperature() -> None:
    assert vitals("Temp 38.4 C.")[0]["unit"] == "Cel"


@pytest.mark.parametrize(
    ("text", "kind", "value", "unit"),
    [
        ("HR 78.", "heart_rate", 78, "/min"),
        ("pulse is ninety six", "heart_rate", 96, "/min"),
        ("respiratory rate twenty two", "respiratory_rate", 22, "/min"),
        ("oxygen saturation ninety two percent on room air", "oxygen_saturation", 92, "%"),
        ("your oxygen is ninety six percent", "oxygen_saturation", 96, "%"),
        ("weight 82 kg", "weight", 82, "kg"),
        ("she weighs two hundred and ten pounds", "weight", 210, "[lb_av]"),
        ("height 5 feet 10 inches", "height", 70, "[in_i]"),
        ("height 178 cm", "height", 178, "cm"),
        ("BMI 27.4", "bmi", 27.4, "kg/m2"),
        ("blood sugar of 180", "glucose", 180, "mg/dL"),
    ],
)
def test_vitals_have_numeric_values_and_ucum_units(
    text: str, kind: str, value: float, unit: str
) -> None:
    found = vitals(text)
    assert len(found) == 1
    assert found[0]["type"] == kind
    assert found[0]["value"] == pytest.approx(value)
    assert found[0]["unit"] == unit


def test_written_blood_pressure_and_heart_rate_offsets() -> None:
    text = "BP 150/95, HR 78."
    result = extract(text)
    assert [text[v.begin : v.end] for v in result.vitals] == ["BP 150/95", "HR 78"]


def test_implausible_values_are_not_vitals() -> None:
    assert vitals("heart rate 900") == []
    assert vitals("walked 5 feet to the door") == []
