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


# Each branch of the check, on a dialogue of its own so the evidence says exactly one thing.


def flags_for(dialogue: str, text: str) -> list[str]:
    """The flags of `text` with every line of `dialogue` as its evidence."""
    prepared = prepare(make_transcript(dialogue).segments)
    return check(prepared, text, *prepared.segment_text)


def test_evidence_that_covers_no_text_is_no_evidence() -> None:
    prepared = prepare(make_transcript("[patient] cough for three days.").segments)
    empty_span = NoteSentence(
        text="Cough.", kind="hpi", evidence=[Evidence(segment=0, begin=4, end=4)]
    )
    unknown_segment = NoteSentence(
        text="Cough.", kind="hpi", evidence=[Evidence(segment=7, begin=0, end=10)]
    )
    faithfulness = check_sentences([empty_span, unknown_segment], prepared)
    assert empty_span.flags == unknown_segment.flags == ["no_evidence"]
    assert (faithfulness.sentences, faithfulness.supported, faithfulness.share) == (2, 0, 0.0)


def test_no_sentences_is_an_empty_result() -> None:
    prepared = prepare(make_transcript("[patient] cough.").segments)
    faithfulness = check_sentences([], prepared)
    assert (faithfulness.sentences, faithfulness.supported, faithfulness.share) == (0, 0, 1.0)


def test_numbers_are_checked_against_digits_and_spoken_numbers() -> None:
    dialogue = "[patient] cough for twenty one days and three nights, pressure 142/88."
    assert flags_for(dialogue, "Cough for 21 days and 3 nights; BP 142/88.") == []
    # Every missing number is flagged, in order.
    assert flags_for(dialogue, "Cough for 9 days and 5 nights.") == ["number:5", "number:9"]


def test_list_numbers_and_icd_codes_are_not_numbers_of_the_sentence() -> None:
    dialogue = "[doctor] you have acute bronchitis."
    assert flags_for(dialogue, "1. Acute bronchitis (J20.9).") == []


def test_an_entity_matches_its_evidence_by_code_as_well_as_by_name() -> None:
    # "high blood pressure" is not in the words of the evidence; its code (I10) is.
    assert flags_for("[doctor] you have hypertension.", "Reports high blood pressure.") == []
    assert flags_for("[doctor] you have asthma.", "Reports high blood pressure.") == [
        "entity:high blood pressure"
    ]


def test_an_unextracted_mention_in_the_evidence_supports_an_entity() -> None:
    # The evidence says "hurts", which the check reads as "pain" without extracting an entity.
    assert flags_for("[patient] my chest hurts when i cough.", "Reports chest pain.") == []


def test_a_negated_entity_found_only_in_the_evidence_text_needs_a_negation_cue_there() -> None:
    # Not an extracted entity of the evidence: the negation is checked on its words alone.
    assert flags_for("[patient] my chest hurts when i cough.", "Denies chest pain.") == [
        "negation:chest pain"
    ]
    assert flags_for("[patient] my chest hurts but no fever.", "Denies chest pain.") == []


def test_a_negated_sentence_passes_when_its_evidence_has_a_negation_cue() -> None:
    # Scopes differ between a sentence and the dialogue: a cue anywhere in the evidence will do.
    dialogue = "[patient] i have had a cough for three days but no fever."
    assert flags_for(dialogue, "Denies cough.") == []
    assert flags_for("[patient] i have had a cough for three days.", "Denies cough.") == [
        "negation:cough"
    ]


def test_a_finding_negated_in_the_evidence_passes_when_the_sentence_has_a_negation_cue() -> None:
    # The sentence's own extraction misses the negation, but "not" is there.
    assert flags_for("[patient] no fever.", "Fever not measured.") == []
    assert flags_for("[patient] no fever.", "Fever measured.") == ["negation:Fever"]
    assert flags_for("[patient] no fever.", "Denies fever.") == []


def test_a_structural_label_states_no_fact_of_its_own() -> None:
    # "Allergies:" would be an unsupported entity if the label were checked.
    assert flags_for("[patient] penicillin gives me a rash.", "Allergies: penicillin.") == []
    assert flags_for("[patient] penicillin gives me a rash.", "Penicillin allergies.") == [
        "entity:allergies"
    ]


def test_identical_sentences_are_judged_on_their_own_evidence() -> None:
    prepared = prepare(make_transcript("[patient] cough for three days.\n[patient] no.").segments)
    supported = NoteSentence(text="Cough for 3 days.", kind="hpi", evidence=whole(prepared, 0))
    unsupported = NoteSentence(text="Cough for 3 days.", kind="hpi", evidence=whole(prepared, 1))
    faithfulness = check_sentences([supported, unsupported], prepared)
    assert supported.flags == [] and unsupported.flags == ["number:3", "entity:Cough"]
    assert faithfulness.supported == 1
