"""Faithfulness edges that mutation testing found untested (docs/mutation.md).

Each test pins one rule of the check: which evidence entities count (same segment, inside the
span, boundaries included), what an empty or unknown span is, where a negation cue may come
from, that every entity of a sentence is checked, and how numbers and labels are read.
"""

from __future__ import annotations

import pytest

from clinscribe.notes.core import Evidence, NoteSentence
from clinscribe.notes.core.faithfulness import check_sentences
from clinscribe.notes.core.units import Prepared, prepare

from .conftest import VISIT, make_transcript


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(make_transcript(VISIT).segments)


def whole(prepared: Prepared, *segments: int) -> list[Evidence]:
    return [Evidence(segment=i, begin=0, end=len(prepared.segment_text[i])) for i in segments]


def flags(prepared: Prepared, text: str, evidence: list[Evidence]) -> list[str]:
    sentence = NoteSentence(text=text, kind="hpi", evidence=evidence)
    check_sentences([sentence], prepared)
    return sentence.flags


def fever_span(prepared: Prepared) -> Evidence:
    """Exactly the word "fever" in "any fever or shortness of breath?" (negated by "no.")."""
    begin = prepared.segment_text[2].index("fever")
    return Evidence(segment=2, begin=begin, end=begin + len("fever"))


def test_an_evidence_entity_on_the_span_boundaries_counts(prepared: Prepared) -> None:
    # The span is exactly the negated entity: it is found, so stating it as present is flagged.
    assert flags(prepared, "Reports fever.", [fever_span(prepared)]) == ["negation:fever"]
    # Negated on both sides: supported, with or without a cue word in the sentence.
    assert flags(prepared, "Denies fever.", [fever_span(prepared)]) == []
    assert flags(prepared, "Free of fever.", [fever_span(prepared)]) == []


def test_entities_of_other_segments_are_not_evidence(prepared: Prepared) -> None:
    # Segment 0 is the greeting; fever (segment 2) sits at offsets inside its length.
    assert flags(prepared, "Reports fever.", whole(prepared, 0)) == ["entity:fever"]


def test_an_empty_or_unknown_span_is_no_evidence(prepared: Prepared) -> None:
    assert flags(prepared, "Reports cough.", [Evidence(segment=1, begin=0, end=0)]) == [
        "no_evidence"
    ]
    assert flags(prepared, "Reports cough.", [Evidence(segment=99, begin=0, end=10)]) == [
        "no_evidence"
    ]


def test_a_negation_cue_in_any_span_supports_a_negated_sentence(prepared: Prepared) -> None:
    # "no." is a span of its own, from its first character; the cue must survive the join.
    assert flags(prepared, "Denies cough.", whole(prepared, 1, 3)) == []
    assert flags(prepared, "Denies cough.", whole(prepared, 1)) == ["negation:cough"]


def test_a_negated_entity_found_only_in_the_words_needs_a_cue(prepared: Prepared) -> None:
    # "my chest hurts" reads as chest pain, but nothing there negates it.
    assert flags(prepared, "Denies chest pain.", whole(prepared, 1)) == ["negation:chest pain"]


def test_every_entity_of_a_sentence_is_checked(prepared: Prepared) -> None:
    assert flags(prepared, "Takes warfarin and metformin.", whole(prepared, 1)) == [
        "entity:warfarin",
        "entity:metformin",
    ]
    # A supported entity before an unsupported one does not end the check.
    assert flags(prepared, "Reports chest pain and takes warfarin.", whole(prepared, 1)) == [
        "entity:warfarin"
    ]


def test_a_section_label_is_dropped_before_the_sentence_is_read(prepared: Prepared) -> None:
    assert flags(prepared, "Medications: warfarin.", whole(prepared, 1)) == ["entity:warfarin"]
    assert flags(prepared, "Medications: lisinopril.", whole(prepared, 5)) == []


def test_spoken_numbers_and_spelling_variants_match_the_evidence() -> None:
    spoken = prepare(
        make_transcript(
            "[patient] my pulse was sixty five this morning.\n[doctor] your chest xray was clear."
        ).segments
    )
    assert flags(spoken, "Pulse 65 this morning.", whole(spoken, 0)) == []
    assert flags(spoken, "Pulse 66 this morning.", whole(spoken, 0)) == ["number:66"]
    # Hyphens and spaces do not make a different word.
    assert flags(spoken, "Chest x-ray was clear.", whole(spoken, 1)) == []


def test_the_supported_share_is_rounded_to_four_places(prepared: Prepared) -> None:
    sentences = [
        NoteSentence(text="Reports cough for 3 days.", kind="hpi", evidence=whole(prepared, 1)),
        NoteSentence(text="Reports cough for 4 days.", kind="hpi", evidence=whole(prepared, 1)),
        NoteSentence(text="Reports cough for 5 days.", kind="hpi", evidence=whole(prepared, 1)),
    ]
    result = check_sentences(sentences, prepared)
    assert (result.sentences, result.supported, result.share) == (3, 1, 0.3333)


def test_list_numbers_and_icd_codes_are_not_numbers_to_support(prepared: Prepared) -> None:
    # A problem list line: neither "1." nor the code right after it is a stated number.
    assert flags(prepared, "1. I10 hypertension, not well controlled.", whole(prepared, 15)) == []
    assert flags(prepared, "2. J20.9 acute bronchitis.", whole(prepared, 15)) == []
