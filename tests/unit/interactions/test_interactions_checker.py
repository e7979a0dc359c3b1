"""Drug-drug, drug-allergy and duplicate-therapy checks over the open curated source."""

from __future__ import annotations

import pytest

from clinscribe.interactions.core.checker import MAX_ITEMS, InteractionChecker
from clinscribe.interactions.core.classes import CLASSES
from clinscribe.interactions.core.curated import example_pairs
from clinscribe.interactions.core.model import FindingKind, Severity
from clinscribe.interactions.core.names import NameResolver
from clinscribe.interactions.core.rules import RULES
from clinscribe.interactions.core.rules_more import MORE_RULES
from clinscribe.nlp.core.drugs import load_drug_lexicon


def _drug_drug(checker: InteractionChecker, *names: str) -> list[tuple[str, str, Severity]]:
    result = checker.check(list(names))
    return [
        (f.drug_a, f.drug_b, f.severity) for f in result.findings if f.kind is FindingKind.DRUG_DRUG
    ]


@pytest.mark.parametrize(
    ("a", "b", "severity"),
    [
        ("warfarin", "ibuprofen", Severity.MAJOR),
        ("simvastatin", "clarithromycin", Severity.CONTRAINDICATED),
        ("atorvastatin", "clarithromycin", Severity.MAJOR),
        ("sertraline", "tramadol", Severity.MAJOR),
        ("lisinopril", "spironolactone", Severity.MAJOR),
        ("sildenafil", "nitroglycerin", Severity.CONTRAINDICATED),
        ("fluoxetine", "phenelzine", Severity.CONTRAINDICATED),
        ("metformin", "iohexol", Severity.MODERATE),
    ],
)
def test_known_pair_found_with_severity(
    checker: InteractionChecker, a: str, b: str, severity: Severity
) -> None:
    found = _drug_drug(checker, a, b)
    assert found, (a, b)
    assert max(s for _, _, s in found) is severity
    # The order of the list does not change the verdict.
    assert max(s for _, _, s in _drug_drug(checker, b, a)) is severity


def test_finding_carries_mechanism_source_and_classes(checker: InteractionChecker) -> None:
    finding = checker.check(["warfarin", "naproxen"]).findings[0]
    assert "bleeding" in finding.mechanism.lower()
    assert finding.source.name == "clinscribe-curated"
    assert finding.source.licence.startswith("Apache-2.0")
    assert finding.source.version
    assert "nsaids" in finding.classes
    shaped = finding.as_dict()
    assert shaped["severity"] == "major"
    assert shaped["kind"] == "drug-drug"


def test_non_interacting_pair_gives_nothing(checker: InteractionChecker) -> None:
    result = checker.check(["levothyroxine", "amoxicillin"])
    assert result.findings == []
    assert result.unresolved == []
    assert result.pairs_checked == 2  # one drug-drug and one duplicate-therapy comparison


def test_brand_names_and_doses_resolve_to_generics(checker: InteractionChecker) -> None:
    result = checker.check(["Coumadin 5 mg tablet", "Advil 200mg", "Zocor", "Biaxin"])
    generics = {r.written: r.generic for r in result.resolved}
    assert generics["Coumadin 5 mg tablet"] == "warfarin"
    assert generics["Advil 200mg"] == "ibuprofen"
    assert generics["Zocor"] == "simvastatin"
    pairs = {(f.drug_a, f.drug_b) for f in result.findings}
    assert ("warfarin", "ibuprofen") in pairs
    assert ("simvastatin", "clarithromycin") in pairs
    assert next(r for r in result.resolved if r.generic == "warfarin").drugbank_id == "DB00682"


def test_same_drug_twice_is_no_self_pair(checker: InteractionChecker) -> None:
    result = checker.check(["warfarin", "Warfarin", "Coumadin 5 mg"])
    assert result.findings == []
    assert result.pairs_checked == 0
    # Two members of one QT class are a pair, but one member alone never pairs with itself.
    assert checker.check(["citalopram", "citalopram"]).findings == []


def test_unknown_drugs_are_listed_not_dropped(checker: InteractionChecker) -> None:
    result = checker.check(["warfarin", "xyzzy-not-a-drug", "aspirin"])
    assert result.unresolved == ["xyzzy-not-a-drug"]
    assert [(f.drug_a, f.drug_b) for f in result.findings] == [("warfarin", "aspirin")]


@pytest.mark.parametrize(
    "bad",
    [[], [""], ["   "], [None], [42], ["x" * 10_000], ["\x00\x01"], ["🙂", "warfarin"]],
)
def test_bad_inputs_give_a_clear_empty_result(
    checker: InteractionChecker, bad: list[object]
) -> None:
    result = checker.check(bad)
    assert result.findings == []
    assert result.highest is None
    assert len(result.unresolved) == len([b for b in bad if b != "warfarin"])


def test_too_many_names_is_a_clear_error(checker: InteractionChecker) -> None:
    with pytest.raises(ValueError, match="at most"):
        checker.check(["warfarin"] * (MAX_ITEMS + 1))


def test_allergy_to_class_flags_member(checker: InteractionChecker) -> None:
    result = checker.check(["Augmentin", "levothyroxine"], allergies=["penicillin"])
    allergy = [f for f in result.findings if f.kind is FindingKind.DRUG_ALLERGY]
    assert [(f.drug_a, f.drug_b, f.severity) for f in allergy] == [
        ("penicillins", "amoxicillin", Severity.CONTRAINDICATED)
    ]


def test_allergy_cross_reactivity_and_same_substance(checker: InteractionChecker) -> None:
    result = checker.check(
        ["cephalexin", "naproxen", "Bactrim"], ["amoxicillin", "aspirin", "sulfa"]
    )
    got = {
        (f.drug_a, f.drug_b): f.severity
        for f in result.findings
        if f.kind is FindingKind.DRUG_ALLERGY
    }
    assert got[("amoxicillin", "cephalexin")] is Severity.MODERATE
    assert got[("aspirin", "naproxen")] is Severity.MAJOR
    assert got[("sulfonamide antibiotics", "trimethoprim/sulfamethoxazole")] is (
        Severity.CONTRAINDICATED
    )
    same = checker.check(["ibuprofen"], ["Motrin"]).findings
    assert [(f.kind, f.severity) for f in same] == [
        (FindingKind.DRUG_ALLERGY, Severity.CONTRAINDICATED)
    ]


def test_allergy_without_relation_is_silent(checker: InteractionChecker) -> None:
    assert checker.check(["metformin", "lisinopril"], ["penicillin"]).findings == []


def test_duplicate_therapy_by_class(checker: InteractionChecker) -> None:
    result = checker.check(["ibuprofen", "naproxen", "omeprazole", "pantoprazole", "metformin"])
    dup = {
        (f.drug_a, f.drug_b): (f.severity, f.classes)
        for f in result.findings
        if f.kind is FindingKind.DUPLICATE_THERAPY
    }
    assert dup == {
        ("ibuprofen", "naproxen"): (Severity.MAJOR, ("nsaids",)),
        ("omeprazole", "pantoprazole"): (Severity.MODERATE, ("ppis",)),
    }


def test_findings_are_ordered_most_severe_first(checker: InteractionChecker) -> None:
    result = checker.check(["simvastatin", "clarithromycin", "warfarin", "sertraline"])
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, reverse=True)
    assert result.highest is Severity.CONTRAINDICATED


def test_every_rule_names_a_class_or_a_resolvable_drug(checker: InteractionChecker) -> None:
    resolver = NameResolver(load_drug_lexicon())
    for rule in (*RULES, *MORE_RULES):
        Severity[rule.severity.upper()]  # a typo in a severity fails here
        for side in (rule.a, rule.b):
            if side in CLASSES or any(side in members for members in CLASSES.values()):
                continue  # a class, or a member (members are checked below)
            resolved = resolver.resolve(side)
            assert resolved is not None and resolved.generic == side, side
    for members in CLASSES.values():
        for member in members:
            # A member spelled unlike the resolver's generic must have that generic beside it.
            resolved = resolver.resolve(member)
            assert resolved is None or resolved.generic in members, (member, resolved)


def test_list_entries_naming_a_class_are_checked_as_that_class(
    checker: InteractionChecker,
) -> None:
    result = checker.check(["SSRI", "tramadol", "oral contraceptive", "rifampicin"])
    generics = [r.generic for r in result.resolved]
    assert generics == ["ssris", "tramadol", "hormonal contraceptives", "rifampin"]
    got = {(f.drug_a, f.drug_b): f.severity for f in result.findings}
    assert got[("ssris", "tramadol")] is Severity.MAJOR
    assert got[("hormonal contraceptives", "rifampin")] is Severity.MAJOR


def test_every_rule_of_the_table_is_found_for_a_concrete_pair(
    checker: InteractionChecker,
) -> None:
    missed = []
    for a, b, rule in example_pairs():
        result = checker.check([a, b])
        if not any(
            f.mechanism == rule.mechanism and f.severity.label == rule.severity
            for f in result.findings
        ):
            missed.append((a, b, rule.a, rule.b, result.unresolved))
    assert missed == []
