"""Check a medication list (and allergies) against one interaction source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

from clinscribe.interactions.core.model import (
    CheckResult,
    Finding,
    FindingKind,
    InteractionSource,
    Pair,
    ResolvedName,
)
from clinscribe.interactions.core.names import NameResolver

MAX_ITEMS = 200  # a medication list beyond this is an input error, not a patient


class InteractionChecker:
    """Every pair of a medication list, every allergy against every drug, one source."""

    def __init__(self, source: InteractionSource, resolver: NameResolver) -> None:
        self.source = source
        self._resolver = resolver

    def check(self, medications: Iterable[object], allergies: Iterable[object] = ()) -> CheckResult:
        """Findings sorted most severe first; names that resolve to nothing are listed."""
        result = CheckResult()
        drugs = self._resolve(medications, result)
        allergens = self._resolve(allergies, result)
        generics = list(dict.fromkeys(d.generic for d in drugs))  # one drug twice is one drug
        pairs: list[Pair] = []
        for a, b in combinations(generics, 2):
            pairs.append(Pair(FindingKind.DRUG_DRUG, a, b))
            pairs.append(Pair(FindingKind.DUPLICATE_THERAPY, a, b))
        for allergen in dict.fromkeys(a.generic for a in allergens):
            pairs.extend(Pair(FindingKind.DRUG_ALLERGY, allergen, drug) for drug in generics)
        result.pairs_checked = len(pairs)
        result.findings = _ordered(self.source.findings(pairs))
        return result

    def _resolve(self, names: Iterable[object], result: CheckResult) -> list[ResolvedName]:
        out: list[ResolvedName] = []
        for index, written in enumerate(names):
            if index >= MAX_ITEMS:
                raise ValueError(f"at most {MAX_ITEMS} names per check")
            text = written if isinstance(written, str) else ""
            resolved = self._resolver.resolve(text)
            if resolved is None and text.strip() and self.source.knows(text.strip().lower()):
                resolved = ResolvedName(written=text, generic=text.strip().lower())
            if resolved is None:
                result.unresolved.append(text if isinstance(written, str) else repr(written))
            else:
                result.resolved.append(resolved)
                out.append(resolved)
        return out


def _ordered(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity, f.kind.value, f.drug_a, f.drug_b))
