"""Vitals said aloud, and conditions in lay words mapped to their clinical concept."""

from __future__ import annotations

from typing import Any

from clinscribe.nlp import core as nlp
from clinscribe.nlp.core.lay_conditions import lay_spans
from clinscribe.nlp.core.numbers import VALUE_PATTERN, parse_number


def vitals(text: str) -> list[tuple[str, Any, str]]:
    found: list[tuple[str, Any, str]] = []
    for v in nlp.extract(text).vitals:
        value = (v.systolic, v.diastolic) if v.type == "blood_pressure" else v.value
        found.append((v.type, value, v.unit))
    return found


def codes(text: str) -> dict[str, str]:
    return {text[b:e]: code for b, e, code, _ in lay_spans(text)}


def test_value_pattern_reads_one_number_at_a_time() -> None:
    import re

    values = [
        parse_number(m.group())
        for m in re.finditer(VALUE_PATTERN, "seventy two one fifty over ninety a hundred and four")
    ]
    assert values == [72, 150, 90, 104]


def test_keyword_then_two_spoken_values() -> None:
    assert vitals("pulse seventy two one fifty over ninety") == [
        ("heart_rate", 72, "/min"),
        ("blood_pressure", (150, 90), "mmHg"),
    ]


def test_contractions_and_bare_pressure() -> None:
    assert vitals(
        "[doctor] your temp's a hundred point two and the pressure's one ten over seventy"
    ) == [("temperature", 100.2, "[degF]"), ("blood_pressure", (110, 70), "mmHg")]


def test_feet_and_inches_and_breathing_rate() -> None:
    assert vitals("she is five foot seven and breathing about eighteen times a minute") == [
        ("height", 67, "[in_i]"),
        ("respiratory_rate", 18, "/min"),
    ]


def test_answer_in_the_next_turn_and_unitless_oxygen() -> None:
    found = vitals(
        "[doctor] and your weight\n[patient] around two oh five\n[doctor] oxygen is ninety six"
    )
    assert found == [("weight", 205, "[lb_av]"), ("oxygen_saturation", 96, "%")]


def test_weight_change_is_not_a_weight() -> None:
    assert vitals("[patient] i lost twelve pounds since spring") == []
    assert vitals("your weight is up two pounds") == []


def test_body_part_with_pain_or_swelling_word() -> None:
    found = codes("my left shoulder has been killing me and my feet are puffy")
    assert found == {
        "my left shoulder has been killing me": "M25.519",
        "my feet are puffy": "R60.0",
    }


def test_lay_symptom_phrases_map_to_the_concept() -> None:
    text = (
        "it burns when i pee, the room starts spinning, i'm wiped out and "
        "i'm up three times a night"
    )
    assert set(codes(text).values()) == {"R30.0", "R42", "R53.83", "R35.1"}


def test_lay_condition_is_an_entity_with_its_code_and_context() -> None:
    result = nlp.extract("[patient] no my heart has not been racing")
    found = [e for e in result.entities if e.category == "MEDICAL_CONDITION"]
    assert [c.code for e in found for c in e.codes] == ["R00.2"]
    assert "NEGATION" in found[0].traits


def test_lexicon_term_is_kept_when_the_lay_rule_names_the_same_concept() -> None:
    result = nlp.extract("if the swelling in his ankle gets worse he should call")
    assert [e.text for e in result.entities if e.category == "MEDICAL_CONDITION"] == ["swelling"]


def test_ordinary_sentences_give_no_lay_conditions() -> None:
    assert codes("my back yard is tight on space and the heart of the matter is time") == {}
