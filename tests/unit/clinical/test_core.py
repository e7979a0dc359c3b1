"""The pure rules of the record: codes, units, lifecycle changes and note proposals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clinscribe.clinical.core import rules
from clinscribe.clinical.core.keys import drug_key, observation_key, pair_key
from clinscribe.clinical.core.proposals import (
    NoteFacts,
    Proposal,
    Sentence,
    add_source,
    from_note,
    merge,
)
from clinscribe.clinical.core.vocab import (
    VITAL_CODES,
    icd10cm_problem,
    loinc_problem,
    unit_problem,
)
from clinscribe.nlp.core.schemas import Entity, Vital


@pytest.mark.parametrize("code", ["8867-4", "8480-6", "4548-4", "2345-7", "630-4", "57698-3"])
def test_real_loinc_codes_pass_their_check_digit(code: str) -> None:
    assert loinc_problem(code) is None


@pytest.mark.parametrize("code", ["8867-5", "8480-0", "4548", "LP1234-5", "12345678-1", ""])
def test_malformed_or_misspelt_loinc_codes_are_named(code: str) -> None:
    assert loinc_problem(code)


def test_every_vital_code_we_propose_is_valid_loinc_with_a_ucum_unit() -> None:
    for vital in VITAL_CODES.values():
        assert loinc_problem(vital.code) is None
        assert all(unit_problem(u, vital.code) is None for u in vital.units)


def test_icd10cm_codes_are_checked_by_shape() -> None:
    assert icd10cm_problem("E11.9") is None and icd10cm_problem("I10") is None
    assert icd10cm_problem("U07.1") is not None  # U is not a chapter of ICD-10-CM
    assert icd10cm_problem("e11.9") and icd10cm_problem("E11.") and icd10cm_problem("E1")


def test_units_must_be_ucum_and_fit_the_code() -> None:
    assert unit_problem("mg/dL") is None and unit_problem("mm[Hg]", "8480-6") is None
    assert "mg/dL" in (unit_problem("mg/dl") or "")
    assert "mm[Hg]" in (unit_problem("mmHg") or "")
    assert unit_problem("beats per minute")
    assert unit_problem("mm[Hg", None)
    assert unit_problem("kg", "8867-4")


def test_a_medication_status_must_fit_its_kind() -> None:
    assert (
        rules.problems("medication", {"drug": "x", "kind": "statement", "status": "active"}) == []
    )
    assert rules.problems("medication", {"drug": "x", "kind": "statement", "status": "draft"})
    assert (
        rules.problems(
            "medication", {"drug": "x", "kind": "request", "status": "draft", "intent": "proposal"}
        )
        == []
    )


def test_acceptance_confirms_drafts_and_in_error_marks_the_right_field() -> None:
    assert rules.accepted("order", {"status": "draft"}) == {"status": "active", "intent": "order"}
    assert rules.accepted("medication", {"kind": "statement", "status": "active"}) == {}
    assert rules.accepted("consent", {"status": "proposed"}) == {"status": "active"}
    assert rules.in_error("allergy") == {"verification_status": "entered-in-error"}
    assert rules.in_error("observation") == {"status": "entered-in-error"}


def test_keys_ignore_case_order_and_dose() -> None:
    assert pair_key("drug-drug", "Warfarin", "ibuprofen") == "drug-drug:ibuprofen|warfarin"
    assert pair_key("drug-drug", "ibuprofen", "warfarin") == pair_key(
        "drug-drug", "WARFARIN", "ibuprofen"
    )
    assert drug_key("Metformin 500 mg") == drug_key("metformin") == "metformin"
    assert drug_key("Glucophage", "metformin") == "metformin"
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert observation_key("8867-4", "HR", when) == observation_key("8867-4", "Pulse", when)


def _facts(**kw: object) -> NoteFacts:
    base: dict[str, object] = {
        "note_id": "n1",
        "note_version": 2,
        "effective_at": datetime(2026, 3, 1, 9, tzinfo=UTC),
        "entities": [],
        "vitals": [],
        "problems": [],
        "sentences": [],
        "segment_starts": [0, 40],
        "segment_ids": [1, 2],
    }
    base.update(kw)
    return NoteFacts(**base)  # type: ignore[arg-type]


def _med(text: str, begin: int, traits: list[str] | None = None) -> Entity:
    return Entity(
        text=text,
        category="MEDICATION",
        type="GENERIC_NAME",
        begin=begin,
        end=begin + len(text),
        score=0.9,
        traits=traits or [],  # type: ignore[arg-type]
    )


def test_a_note_proposes_blood_pressure_as_two_coded_observations() -> None:
    bp = Vital(type="blood_pressure", systolic=150, diastolic=95, unit="mmHg", begin=45, end=50)
    found = from_note(_facts(vitals=[bp]), lambda _: None)
    assert [(p.values["code"], p.values["value_quantity"], p.values["unit"]) for p in found] == [
        ("8480-6", 150.0, "mm[Hg]"),
        ("8462-4", 95.0, "mm[Hg]"),
    ]
    assert found[0].sources == [
        {"kind": "note", "note_id": "n1", "note_version": 2, "segment_ids": [2]}
    ]


def test_negated_medications_are_not_proposed_and_repeats_merge() -> None:
    facts = _facts(
        entities=[_med("metformin", 3), _med("metformin", 44), _med("warfarin", 20, ["NEGATION"])]
    )
    found = from_note(facts, lambda name: name.split()[0].lower())
    assert [(p.values["drug"], p.sources[0]["segment_ids"]) for p in found] == [
        ("metformin", [1, 2])
    ]


def test_a_plan_sentence_that_starts_a_drug_proposes_a_draft_request_and_orders() -> None:
    plan = Sentence(
        "Start atorvastatin 20 mg. Order a lipid panel and an ECG.", "plan", ((1, 0, 40),)
    )
    found = from_note(_facts(entities=[_med("atorvastatin", 6)], sentences=[plan]), lambda n: n)
    kinds = {(p.resource, p.values.get("kind") or p.values.get("category")) for p in found}
    assert kinds == {("medication", "request"), ("order", "laboratory"), ("order", "procedure")}
    request = next(p for p in found if p.resource == "medication")
    assert (request.values["status"], request.values["intent"]) == ("draft", "proposal")


def test_no_known_allergies_proposes_nothing_and_named_ones_resolve() -> None:
    none = Sentence("No known drug allergies.", "allergies", ())
    some = Sentence("Allergic to penicillin and sulfa drugs.", "allergies", ((2, 0, 30),))
    table = {"penicillin and sulfa": "penicillins", "sulfa drugs": "sulfonamides"}
    found = from_note(_facts(sentences=[none, some]), lambda n: table.get(n.lower()))
    assert sorted(p.values["substance"] for p in found) == ["penicillins", "sulfonamides"]


def test_sources_of_one_note_version_join_and_others_are_added() -> None:
    sources = [{"kind": "note", "note_id": "n1", "note_version": 1, "segment_ids": [3]}]
    assert add_source(
        sources, {"kind": "note", "note_id": "n1", "note_version": 1, "segment_ids": [1]}
    )
    assert sources[0]["segment_ids"] == [1, 3]
    assert not add_source(
        sources, {"kind": "note", "note_id": "n1", "note_version": 1, "segment_ids": [1]}
    )
    assert add_source(sources, {"kind": "document", "document_id": "d", "page": 1})
    assert not add_source(sources, {"kind": "document", "document_id": "d", "page": 1})
    assert len(sources) == 2
    merged = merge([Proposal("condition", {}, "I10", []), Proposal("condition", {}, "I10", [])])
    assert len(merged) == 1
