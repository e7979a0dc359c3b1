"""Letters and discharge summaries -> medications, problems, allergies and follow-up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from clinscribe.documents.core.labs import LabResult
from clinscribe.documents.core.pages import Citation, PageText

MedicationStatus = Literal["new", "changed", "continued", "stopped"]
ProblemStatus = Literal["active", "resolved"]


@dataclass(frozen=True)
class MedicationFact:
    """A medication as the letter states it."""

    name: str  # generic name, lower case ("furosemide", "budesonide/formoterol")
    dose: str | None  # "40 mg", "160/4.5 mcg, 2 puffs"
    frequency: str | None  # "twice daily", "every 4-6 hours as needed"
    route: str | None  # "oral", "inhaled", "subcutaneous"...
    status: MedicationStatus
    as_printed: str
    citation: Citation
    previous_dose: str | None = None  # for a change: the dose before
    previous_frequency: str | None = None
    reason: str | None = None
    low_confidence: bool = False


@dataclass(frozen=True)
class ProblemFact:
    """A problem or diagnosis listed in the letter."""

    text: str
    status: ProblemStatus
    citation: Citation


@dataclass(frozen=True)
class AllergyFact:
    """An allergy or adverse reaction: substance, and the reaction when given."""

    substance: str
    reaction: str | None
    citation: Citation


@dataclass(frozen=True)
class FollowUp:
    """The follow-up plan, and its first dated appointment when the letter gives one."""

    text: str
    date: date | None
    citation: Citation


@dataclass(frozen=True)
class LetterFacts:
    """Everything read from one letter."""

    medications: list[MedicationFact] = field(default_factory=list)
    problems: list[ProblemFact] = field(default_factory=list)
    allergies: list[AllergyFact] = field(default_factory=list)
    follow_up: FollowUp | None = None
    labs: list[LabResult] = field(default_factory=list)  # values quoted in the text


def parse_letter(
    pages: Sequence[PageText], *, document_id: str = "", document_date: date | None = None
) -> LetterFacts:
    """The medications, problems, allergies, follow-up and quoted labs of a letter."""
    raise NotImplementedError
