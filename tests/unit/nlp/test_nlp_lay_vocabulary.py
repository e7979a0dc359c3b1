"""Second-round rules: lay-symptom vocabulary, organisations by head noun, spoken ages, vitals."""

from __future__ import annotations

import pytest

from clinscribe.nlp import core as nlp
from clinscribe.nlp.core.lay_vocabulary import vocabulary_spans


def _conditions(text: str) -> dict[str, str]:
    result = nlp.extract(text)
    return {
        e.text: e.codes[0].code
        for e in result.entities
        if e.category == "MEDICAL_CONDITION" and e.codes
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("the kids have been throwing up all night", "R11.10"),
        ("i get lightheaded when i stand", "R42"),
        ("my feet are tingling", "R20.2"),
        ("she's been so forgetful lately", "R41.3"),
        ("it hurts to swallow", "R13.10"),
        ("my nose keeps bleeding", "R04.0"),
        ("i'm peeing all the time", "R35.0"),
        ("i've been seeing double", "H53.2"),
        ("she broke out in red bumps", "R21"),
    ],
)
def test_lay_symptom_families_map_to_their_code(text: str, code: str) -> None:
    assert code in _conditions(text).values()


def test_everyday_words_are_not_symptoms() -> None:
    for text in (
        "i'm going to the bathroom real quick",
        "we walked down the road",
        "we're backed up at work this week",
        "let me write that down",
    ):
        assert _conditions(text) == {}, text


def test_vocabulary_skips_rules_whose_keys_are_absent() -> None:
    assert vocabulary_spans("the weather was lovely on the lake") == []


def test_symptom_word_before_the_body_part() -> None:
    assert _conditions("pounding head and swollen ankles") == {
        "pounding head": "R51.9",
        "swollen ankles": "R60.0",
    }


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("i'm a teller at granite falls savings bank downtown", "granite falls savings bank"),
        ("Brought by Tri-Valley EMS this morning.", "Tri-Valley EMS"),
        ("Employer: Lakeside Freight Lines\n", "Lakeside Freight Lines"),
        ("my insurance is through bluewater mutual now", "bluewater mutual"),
    ],
)
def test_organisations_by_head_noun_label_or_cue(text: str, span: str) -> None:
    found = [s.text for s in nlp.find_phi(text) if s.type == "ORGANIZATION"]
    assert any(span in f or f in span for f in found), found


def test_mental_health_is_not_an_organisation() -> None:
    assert [
        s for s in nlp.find_phi("Discussed mental health and sleep.") if s.type == "ORGANIZATION"
    ] == []


@pytest.mark.parametrize(
    "text",
    [
        "my uncle's ninety three",
        "my aunt just turned ninety seven",
        "at ninety four she still gardens",
        "ninety six and still kicking",
        "[doctor] how old are you\n[patient] ninety nine in august",
    ],
)
def test_spoken_ages_over_89(text: str) -> None:
    assert [s.type for s in nlp.find_phi(text) if s.type == "AGE_OVER_89"] == ["AGE_OVER_89"]


def test_numbers_that_are_not_ages() -> None:
    for text in ("lisinopril ninety mg", "room ninety one", "bp was ninety four over sixty"):
        assert [s for s in nlp.find_phi(text) if s.type == "AGE_OVER_89"] == [], text


def test_vitals_phrasing_families() -> None:
    def vitals(text: str) -> list[tuple[str, float | None]]:
        return [(v.type, v.value) for v in nlp.extract(text).vitals]

    assert vitals("had a fever of 102") == [("temperature", 102)]
    assert vitals("sats are 93") == [("oxygen_saturation", 93)]
    assert vitals("[doctor] and your sugar\n[patient] i checked and it was two ten") == [
        ("glucose", 210)
    ]
    assert vitals("six foot two one eighty") == [("height", 74), ("weight", 180)]
    assert vitals("your weight is up two pounds") == []
