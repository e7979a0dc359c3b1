"""The pure parts of write-back: vitals in OpenEMR units, list items, OpenEMR-style uuids."""

from __future__ import annotations

import uuid

import pytest

from clinscribe.nlp.core import Vital
from clinscribe.openemr.core.ids import comb_uuid
from clinscribe.openemr.core.lists import Coded, ListItem, diagnosis, list_items
from clinscribe.openemr.core.vitals import VitalsForm, vitals_form


def _v(kind: str, value: float | None = None, unit: str = "", **bp: int) -> Vital:
    return Vital(type=kind, value=value, unit=unit, begin=0, end=1, **bp)  # type: ignore[arg-type]


def test_metric_vitals_are_converted_to_pounds_inches_and_fahrenheit() -> None:
    form = vitals_form(
        [
            _v("blood_pressure", unit="mmHg", systolic=128, diastolic=84),
            _v("weight", 70, "kg"),
            _v("height", 175, "cm"),
            _v("temperature", 37, "Cel"),
            _v("heart_rate", 64, "/min"),
            _v("respiratory_rate", 14, "/min"),
            _v("oxygen_saturation", 99, "%"),
            _v("bmi", 22.86, "kg/m2"),
        ]
    )
    assert form == VitalsForm(
        bps="128",
        bpd="84",
        weight=154.32,
        height=68.9,
        temperature=98.6,
        pulse=64,
        respiration=14,
        oxygen_saturation=99,
        bmi=22.9,
    )
    assert form.columns()["BMI"] == 22.9 and "bmi" not in form.columns()


def test_us_units_pass_through_and_a_height_in_metres_is_converted() -> None:
    form = vitals_form(
        [_v("weight", 180, "[lb_av]"), _v("height", 1.8, "m"), _v("temperature", 99.1, "[degF]")]
    )
    assert form is not None
    assert (form.weight, form.height, form.temperature) == (180, 70.87, 99.1)
    assert form.columns() == {"weight": 180, "height": 70.87, "temperature": 99.1}


def test_the_first_reading_wins_and_unmappable_readings_give_no_form() -> None:
    form = vitals_form([_v("heart_rate", 80, "/min"), _v("heart_rate", 96, "/min")])
    assert form is not None and form.pulse == 80
    assert vitals_form([]) is None
    assert vitals_form([_v("glucose", 110, "mg/dL")]) is None
    assert vitals_form([_v("weight", 70, "stone")]) is None  # a unit we cannot convert
    assert vitals_form([_v("blood_pressure", unit="mmHg", systolic=120)]) is None


def test_the_vitals_digest_changes_with_any_value() -> None:
    a = VitalsForm(pulse=70)
    assert a.digest() == VitalsForm(pulse=70).digest() != VitalsForm(pulse=71).digest()


def test_list_items_code_problems_and_tell_allergies_from_medications() -> None:
    items = list_items(
        problems=[
            Coded("Hypertension", (("ICD10", "I10"),)),
            Coded("hypertension", (("ICD10", "I10"),)),  # the same item once
            Coded("Allergic to penicillin", (("ICD10", "Z88.0"),)),
            Coded("Peanut allergy", (("ICD10", "Z91.010"),)),
        ],
        medications=[Coded("lisinopril"), Coded("amoxicillin"), Coded("  ")],
        allergy_section="She reports a rash with Amoxicillin.",
    )
    assert items == [
        ListItem("medical_problem", "Hypertension", "ICD10:I10"),
        ListItem("allergy", "Allergic to penicillin", "ICD10:Z88.0"),
        ListItem("allergy", "Peanut allergy", "ICD10:Z91.010"),
        ListItem("medication", "lisinopril", None),
        ListItem("allergy", "amoxicillin", None),
    ]


def test_a_medication_named_only_inside_another_word_is_not_an_allergy() -> None:
    [item] = list_items([], [Coded("statin")], allergy_section="Allergic to nystatin.")
    assert item.type == "medication"


def test_diagnosis_joins_codes_and_never_cuts_one() -> None:
    assert diagnosis([("ICD10", "I10"), ("ICD10", "E11.9"), ("ICD10", "I10")]) == (
        "ICD10:I10;ICD10:E11.9"
    )
    assert diagnosis([]) is None
    long = diagnosis([("ICD10", f"Z{i:02d}.{i:03d}") for i in range(40)])
    assert long is not None and len(long) <= 255
    assert all(len(code) == len("ICD10:Z00.000") for code in long.split(";"))


def test_titles_are_collapsed_and_fit_the_column() -> None:
    [item] = list_items([Coded("Chronic   low\nback pain " + "x" * 400)], [])
    assert item.title.startswith("Chronic low back pain ") and len(item.title) == 255


def test_comb_uuids_put_the_time_first_and_are_valid_v4() -> None:
    early = comb_uuid(now=1_700_000_000.0, noise=b"\xff" * 10)
    late = comb_uuid(now=1_700_000_000.5, noise=b"\x00" * 10)
    assert early < late  # sorts by creation, whatever the random part
    parsed = uuid.UUID(bytes=early)
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert len(comb_uuid()) == 16 and comb_uuid() != comb_uuid()
    with pytest.raises(ValueError, match="10 bytes"):
        comb_uuid(noise=b"short")
