from __future__ import annotations

import pytest

from clinscribe.nlp.core import parse_number, split_sentences, split_turns


@pytest.mark.parametrize(
    ("spoken", "value"),
    [
        ("one forty two", 142),
        ("eighty eight", 88),
        ("a hundred and one point two", 101.2),
        ("one hundred and one point four", 101.4),
        ("ninety eight point six", 98.6),
        ("one oh five", 105),
        ("two fifty", 250),
        ("thirty seven point five", 37.5),
        ("twenty-two", 22),
        ("1,200", 1200),
        ("98.6", 98.6),
    ],
)
def test_spoken_and_written_numbers_are_parsed(spoken: str, value: float) -> None:
    assert parse_number(spoken) == pytest.approx(value)


def test_words_that_are_not_numbers_give_none() -> None:
    assert parse_number("fever") is None
    assert parse_number("") is None


def test_bracketed_dialogue_turns_get_speakers() -> None:
    text = "[doctor] any fever\n[patient] no\n[doctor] okay"
    turns = split_turns(text)
    assert [t.speaker for t in turns] == ["clinician", "patient", "clinician"]
    assert text[turns[1].begin : turns[1].end].strip() == "no"


def test_colon_dialogue_turns_get_speakers() -> None:
    turns = split_turns("Doctor: Any chest pain?\nPatient: No.\nPlan: rest")
    assert [t.speaker for t in turns] == ["clinician", "patient"]


def test_sentences_never_cross_a_speaker_turn_in_unpunctuated_asr_text() -> None:
    text = (
        "[doctor] any chest pain or shortness of breath\n[patient] no\n"
        "[doctor] and your cough\n[patient] i have a cough every morning"
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "any chest pain or shortness of breath",
        "no",
        "and your cough",
        "i have a cough every morning",
    ]
    assert sentences[0].is_question and sentences[0].speaker == "clinician"


def test_long_unpunctuated_stretches_are_cut_at_discourse_markers() -> None:
    text = "[patient] " + " ".join(
        ["i went to the store and bought some bread for the kids"] * 3
        + ["okay so then my knee started hurting"] * 3
    )
    sentences = split_sentences(text)
    assert len(sentences) > 1
    assert max(len(s.text.split()) for s in sentences) <= 45


def test_leading_answer_word_is_its_own_sentence() -> None:
    sentences = split_sentences("[patient] no, but i have a cough")
    assert [s.text for s in sentences] == ["no,", "but i have a cough"]


def test_abbreviation_periods_do_not_end_sentences() -> None:
    sentences = split_sentences("Seen by Dr. Smith today. Take 1 tab b.i.d. with food.")
    assert [s.text for s in sentences] == [
        "Seen by Dr. Smith today.",
        "Take 1 tab b.i.d. with food.",
    ]


def test_dictation_without_turns_has_no_speaker() -> None:
    sentences = split_sentences("No fever. Cough for two weeks.")
    assert len(sentences) == 2
    assert all(s.speaker is None for s in sentences)
