"""The open curated source: class-membership rules, allergy classes and duplicate therapy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from clinscribe.interactions.core.classes import (
    ALLERGY_CLASSES,
    CLASS_ALIASES,
    CLASSES,
    CROSS_REACTIVE,
    DUPLICATE_CLASSES,
    classes_of,
)
from clinscribe.interactions.core.model import (
    Finding,
    FindingKind,
    Pair,
    Severity,
    SourceInfo,
)
from clinscribe.interactions.core.rules import RULES, Rule
from clinscribe.interactions.core.rules_more import MORE_RULES

CURATED_INFO: Final = SourceInfo(
    name="clinscribe-curated",
    licence="Apache-2.0 (project table written from public references)",
    version="2026.12",
)
_REFERENCE_DUP = "Therapeutic class duplication (curated classes)"
_REFERENCE_ALLERGY = "Allergy class membership (curated classes)"


def _severity(name: str) -> Severity:
    return Severity[name.upper()]


class CuratedSource:
    """Judges pairs by the groups (the drug itself and its classes) each side belongs to."""

    def __init__(self) -> None:
        # (group, group) -> rules, both orders, so a pair lookup is a few dict probes.
        self._rules: dict[tuple[str, str], list[tuple[Rule, bool]]] = {}
        for rule in (*RULES, *MORE_RULES):
            self._rules.setdefault((rule.a, rule.b), []).append((rule, False))
            if rule.a != rule.b:
                self._rules.setdefault((rule.b, rule.a), []).append((rule, True))
        self._known = frozenset(
            set().union(*CLASSES.values()) | {g for r in (*RULES, *MORE_RULES) for g in (r.a, r.b)}
        )

    @property
    def info(self) -> SourceInfo:
        return CURATED_INFO

    def knows(self, generic: str) -> bool:
        return generic in self._known or generic in CLASS_ALIASES

    def findings(self, pairs: Sequence[Pair]) -> list[Finding]:
        out: list[Finding] = []
        for pair in pairs:
            if pair.kind is FindingKind.DRUG_DRUG:
                out.extend(self._drug_drug(pair.a, pair.b))
            elif pair.kind is FindingKind.DUPLICATE_THERAPY:
                out.extend(self._duplicate(pair.a, pair.b))
            else:
                out.extend(self._allergy(pair.a, pair.b))
        return out

    def _drug_drug(self, a: str, b: str) -> list[Finding]:
        if a == b:
            return []
        groups_a = (a, *classes_of(a))
        groups_b = (b, *classes_of(b))
        seen: set[Rule] = set()
        out: list[Finding] = []
        for ga in groups_a:
            for gb in groups_b:
                for rule, _swapped in self._rules.get((ga, gb), ()):
                    if rule in seen:
                        continue
                    seen.add(rule)
                    out.append(
                        Finding(
                            kind=FindingKind.DRUG_DRUG,
                            drug_a=a,
                            drug_b=b,
                            severity=_severity(rule.severity),
                            mechanism=rule.mechanism,
                            source=CURATED_INFO,
                            reference=rule.reference,
                            classes=tuple(g for g in (ga, gb) if g in CLASSES),
                        )
                    )
        return out

    def _duplicate(self, a: str, b: str) -> list[Finding]:
        if a == b:
            return []
        shared = sorted(classes_of(a) & classes_of(b) & DUPLICATE_CLASSES.keys())
        return [
            Finding(
                kind=FindingKind.DUPLICATE_THERAPY,
                drug_a=a,
                drug_b=b,
                severity=_severity(DUPLICATE_CLASSES[cls]),
                mechanism=f"Two {cls} at once: duplicate therapy, additive adverse effects.",
                source=CURATED_INFO,
                reference=_REFERENCE_DUP,
                classes=(cls,),
            )
            for cls in shared
        ]

    def _allergy(self, allergen: str, drug: str) -> list[Finding]:
        allergy_classes = _allergy_classes(allergen)
        drug_classes = classes_of(drug)
        if allergen == drug:
            return [self._allergy_finding(allergen, drug, Severity.CONTRAINDICATED, "", ())]
        out: list[Finding] = []
        for cls in sorted(allergy_classes & drug_classes):
            why = f"Allergy to {allergen} and {drug} is in the same class ({cls})."
            out.append(self._allergy_finding(allergen, drug, Severity.CONTRAINDICATED, why, (cls,)))
        if out:
            return out
        for allergy_cls, drug_cls, severity, why in CROSS_REACTIVE:
            if allergy_cls in {allergen, *allergy_classes} and drug_cls in drug_classes:
                text = f"Allergy to {allergen}; {drug} is in {drug_cls}: {why}."
                out.append(
                    self._allergy_finding(
                        allergen, drug, _severity(severity), text, (allergy_cls, drug_cls)
                    )
                )
        return out

    @staticmethod
    def _allergy_finding(
        allergen: str, drug: str, severity: Severity, why: str, classes: tuple[str, ...]
    ) -> Finding:
        return Finding(
            kind=FindingKind.DRUG_ALLERGY,
            drug_a=allergen,
            drug_b=drug,
            severity=severity,
            mechanism=why or f"Documented allergy to {allergen}; {drug} is that substance.",
            source=CURATED_INFO,
            reference=_REFERENCE_ALLERGY,
            classes=classes,
        )


def _allergy_classes(allergen: str) -> frozenset[str]:
    """The allergy classes an allergen stands for: the class itself, or a member's classes."""
    alias = CLASS_ALIASES.get(allergen)
    if alias is not None:
        return frozenset({alias})
    if allergen in ALLERGY_CLASSES:
        return frozenset({allergen})
    return frozenset(c for c in classes_of(allergen) if c in ALLERGY_CLASSES)


def example_pairs() -> list[tuple[str, str, Rule]]:
    """One concrete drug pair per rule (first members by name), to prove every rule fires."""
    out: list[tuple[str, str, Rule]] = []
    for rule in (*RULES, *MORE_RULES):
        side_a = sorted(CLASSES.get(rule.a, {rule.a}))
        side_b = sorted(CLASSES.get(rule.b, {rule.b}) - {side_a[0]})
        out.append((side_a[0], side_b[0], rule))
    return out
