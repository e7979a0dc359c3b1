from __future__ import annotations

import simple_icd_10_cm as icd  # type: ignore[import-untyped]

from clinscribe.nlp.core import suggest_icd10
from clinscribe.nlp.core.icd_displays import DISPLAYS
from clinscribe.nlp.core.lexicon_conditions import CONDITIONS


def top(term: str) -> str:
    return suggest_icd10(term, limit=3)[0].code


def test_abbreviations_rank_the_usual_code_first() -> None:
    assert top("HTN") == "I10"
    assert top("DM2") == "E11.9"
    assert top("CHF") == "I50.9"
    assert top("COPD") == "J44.9"


def test_lay_terms_map_to_clinical_codes() -> None:
    assert top("high blood pressure") == "I10"
    assert top("heart attack") == "I21.9"


def test_unlisted_terms_are_ranked_from_official_descriptions() -> None:
    assert top("type 2 diabetes with neuropathy") == "E11.40"
    # Categories the text matches become the billable code the ICD-10-CM index gives when
    # the text says no more (G43.1 and M17 are not billable).
    assert top("migraine with aura") == "G43.109"
    assert top("migraine without aura") == "G43.009"
    assert top("osteoarthritis of the knee") == "M17.9"


def test_every_suggestion_is_billable_with_its_official_display() -> None:
    # A code on a claim or a FHIR Condition must be billable (a leaf of the tabular list).
    terms = [
        "migraine with aura",
        "osteoarthritis of the knee",
        "pneumonia",
        "back pain",
        "gout",
        "glaucoma",
        "sinusitis",
        "fracture of wrist",
        "heart failure",
    ]
    for term in terms:
        found = suggest_icd10(term, limit=5)
        assert found, term
        for candidate in found:
            assert icd.is_leaf(candidate.code), (term, candidate.code)
            assert candidate.display == icd.get_description(candidate.code)
        assert len({c.code for c in found}) == len(found), term


def test_candidates_are_ranked_with_scores_between_zero_and_one() -> None:
    found = suggest_icd10("heart failure", limit=5)
    assert len(found) == 5
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)
    assert found[0].system == "http://hl7.org/fhir/sid/icd-10-cm"


def test_nonsense_and_bad_input_give_no_candidates() -> None:
    assert suggest_icd10("") == []
    assert suggest_icd10("zzqx") == []
    assert suggest_icd10(42) == []  # type: ignore[arg-type]


def test_every_lexicon_code_is_a_billable_icd10cm_code_with_its_official_display() -> None:
    for line in CONDITIONS.strip().splitlines():
        code = line.split("|")[0]
        assert icd.is_valid_item(code) and icd.is_leaf(code), code
        assert DISPLAYS[code] == icd.get_description(code)
