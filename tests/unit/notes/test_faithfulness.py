"""The faithfulness check flags sentences whose entities, numbers or negation lack evidence."""

from __future__ import annotations

import pytest

from clinscribe.notes.core import Evidence, NoteSentence, get_template
from clinscribe.notes.core.drafter import assemble
from clinscribe.notes.core.faithfulness import check_sentences
from clinscribe.notes.core.units import Prepared, prepare

from .conftest import VISIT, make_transcript


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(make_transcript(VISIT).segments)


def whole(prepared: Prepared, *segments: int) -> list[Evidence]:
    return [Evidence(segment=i, begin=0, end=len(prepared.segment_text[i])) for i in segments]


def check(prepared: Prepared, text: str, *segments: int) -> list[str]:
    sentence = NoteSentence(text=text, kind="hpi", evidence=whole(prepared, *segments))
    check_sentences([sentence], prepared)
    return sentence.flags


def test_a_sentence_stated_by_its_evidence_passes(prepared: Prepared) -> None:
    assert check(prepared, "Reports cough for 3 days.", 1) == []
    assert check(prepared, "Denies fever or shortness of breath.", 2, 3) == []
    assert check(prepared, "Lisinopril 20 mg once a day.", 5) == []


def test_a_number_missing_from_the_evidence_is_flagged(prepared: Prepared) -> None:
    assert check(prepared, "Reports cough for 5 days.", 1) == ["number:5"]


def test_an_entity_missing_from_the_evidence_is_flagged(prepared: Prepared) -> None:
    flags = check(prepared, "Reports cough and takes warfarin.", 1)
    assert flags == ["entity:warfarin"]


def test_a_negation_the_evidence_does_not_state_is_flagged(prepared: Prepared) -> None:
    assert check(prepared, "Denies cough.", 1) == ["negation:cough"]


def test_a_finding_the_evidence_negates_is_flagged_when_stated_as_present(
    prepared: Prepared,
) -> None:
    assert check(prepared, "Reports fever.", 2, 3) == ["negation:fever"]


def test_a_sentence_without_evidence_is_flagged(prepared: Prepared) -> None:
    sentence = NoteSentence(text="Reports cough.", kind="hpi", evidence=[])
    check_sentences([sentence], prepared)
    assert sentence.flags == ["no_evidence"]


def test_a_flagged_sentence_is_marked_in_the_note_and_counted(prepared: Prepared) -> None:
    good = NoteSentence(text="Reports cough for 3 days.", kind="hpi", evidence=whole(prepared, 1))
    bad = NoteSentence(text="Reports cough for 9 days.", kind="hpi", evidence=whole(prepared, 1))
    faithfulness = check_sentences([good, bad], prepared)
    assert (faithfulness.sentences, faithfulness.supported, faithfulness.share) == (2, 1, 0.5)
    sections, text = assemble(get_template("soap"), [good, bad])
    subjective = sections[0]
    assert subjective.unsupported == 1
    assert "Reports cough for 9 days. [unsupported]" in text
    assert subjective.sentences[1].flags == ["number:9"]
