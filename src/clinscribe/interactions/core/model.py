"""The shapes every interaction source speaks: pairs in, findings out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Protocol, runtime_checkable


class Severity(IntEnum):
    """Clinical severity; a higher value is more serious, so findings sort by it."""

    MINOR = 1
    MODERATE = 2
    MAJOR = 3
    CONTRAINDICATED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class FindingKind(StrEnum):
    """What was compared: two drugs, an allergy and a drug, or two drugs of one class."""

    DRUG_DRUG = "drug-drug"
    DRUG_ALLERGY = "drug-allergy"
    DUPLICATE_THERAPY = "duplicate-therapy"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where findings come from, shown beside every finding."""

    name: str
    licence: str
    version: str


@dataclass(frozen=True, slots=True)
class Pair:
    """One comparison asked of a source; names are already normalised generic names.

    For ``DRUG_ALLERGY`` ``a`` is the allergen (a substance or a class such as "penicillins").
    """

    kind: FindingKind
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One flagged pair, with enough context for a clinician to judge it."""

    kind: FindingKind
    drug_a: str
    drug_b: str
    severity: Severity
    mechanism: str
    source: SourceInfo
    reference: str = ""
    classes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "drug_a": self.drug_a,
            "drug_b": self.drug_b,
            "severity": self.severity.label,
            "mechanism": self.mechanism,
            "reference": self.reference,
            "classes": list(self.classes),
            "source": {
                "name": self.source.name,
                "licence": self.source.licence,
                "version": self.source.version,
            },
        }


@dataclass(frozen=True, slots=True)
class ResolvedName:
    """A name as written and the generic drug (or allergen class) it stands for."""

    written: str
    generic: str
    drugbank_id: str | None = None


@dataclass(slots=True)
class CheckResult:
    """Everything one check found, plus the names it could not resolve (never silently lost)."""

    findings: list[Finding] = field(default_factory=list)
    resolved: list[ResolvedName] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    pairs_checked: int = 0

    @property
    def highest(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


@runtime_checkable
class InteractionSource(Protocol):
    """A knowledge base that judges pairs. Sites register their own under a name."""

    @property
    def info(self) -> SourceInfo: ...

    def knows(self, generic: str) -> bool:
        """Whether the source has any data on this generic name (drug or allergen class)."""
        ...

    def findings(self, pairs: Sequence[Pair]) -> list[Finding]:
        """Judge every pair; pairs with nothing to report give no finding."""
        ...
