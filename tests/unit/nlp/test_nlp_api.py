from __future__ import annotations

import json

import pytest

from clinscribe.nlp import core as nlp
from clinscribe.nlp.core import MAX_TEXT_CHARS, NlpInputError, deidentify, extract


def test_extraction_dumps_to_the_contract_shape() -> None:
    text = "Aspirin 81 mg daily. BP 142/88, HR 96. Denies chest pain."
    data = json.loads(extract(text).model_dump_json())
    assert set(data) == {"entities", "vitals"}
    aspirin = data["entities"][0]
    assert set(aspirin) >= {
        "text",
        "category",
        "type",
        "begin",
        "end",
        "score",
        "traits",
        "attributes",
        "codes",
    }
    assert aspirin["attributes"] == {
        "dosage": "81 mg",
        "route": None,
        "frequency": "daily",
        "duration": None,
    }
    assert data["vitals"][0] == {
        "type": "blood_pressure",
        "systolic": 142,
        "diastolic": 88,
        "unit": "mmHg",
        "begin": text.index("BP"),
        "end": text.index(","),
    }
    assert data["vitals"][1] == {
        "type": "heart_rate",
        "value": 96,
        "unit": "/min",
        "begin": text.index("HR"),
        "end": text.index(". Denies"),
    }


def test_deid_result_dumps_to_text_and_phi() -> None:
    data = deidentify("Call 555-390-1188.").model_dump()
    assert data == {
        "text": "Call [PHONE].",
        "phi": [{"text": "555-390-1188", "type": "PHONE", "begin": 5, "end": 17}],
    }


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_gives_empty_results(text: str) -> None:
    assert extract(text).model_dump() == {"entities": [], "vitals": []}
    assert deidentify(text).model_dump() == {"text": text, "phi": []}


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_non_string_input_is_rejected(bad: object) -> None:
    with pytest.raises(NlpInputError, match="must be a string"):
        extract(bad)  # type: ignore[arg-type]
    with pytest.raises(NlpInputError):
        deidentify(bad)  # type: ignore[arg-type]


def test_too_long_text_is_rejected_before_processing() -> None:
    with pytest.raises(NlpInputError, match="longer than"):
        extract("a" * (MAX_TEXT_CHARS + 1))


def test_unknown_deid_mode_is_rejected() -> None:
    with pytest.raises(NlpInputError, match="mode"):
        deidentify("text", mode="shred")  # type: ignore[arg-type]


def test_a_large_dialogue_is_processed_whole() -> None:
    # How fast is measured by bench/nlp.py (target: 100k characters in under 10 s).
    turn = (
        "[doctor] any chest pain or shortness of breath\n[patient] no\n"
        "[doctor] are you taking the metformin five hundred milligrams twice a day\n"
        "[patient] yes and my blood pressure was one thirty over eighty\n"
    )
    text = turn * 500  # ~100k characters
    result = extract(text)
    assert len(result.vitals) == 500
    chest = [e for e in result.entities if e.text == "chest pain"]
    assert len(chest) == 500 and all("NEGATION" in e.traits for e in chest)


def test_odd_characters_do_not_break_offsets() -> None:
    text = "Ünïcode ☃ patient\x00 with HTN 🙂 on lisinopril"
    for found in extract(text).entities:
        assert text[found.begin : found.end] == found.text


def test_public_api_is_small_and_typed() -> None:
    assert {"extract", "deidentify", "find_phi", "suggest_icd10", "warm_up"} <= set(nlp.__all__)
