"""What a Client Health Report is drafted from: the patient's pages, lab results and letter facts.

These are plain shapes a service fills from its stored rows (or a bench from extraction
output); every fact carries the `Citation` of the page span it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from clinscribe.documents.core.pages import Citation

FactKind = Literal["medication", "problem", "allergy", "follow_up"]


@dataclass(frozen=True)
class SourcePage:
    document_id: str
    page: int
    text: str
    kind: str = "unknown"  # lab_report | letter | other | unknown
    date: date | None = None  # the document's date when known


@dataclass(frozen=True)
class LabEntry:
    """One lab result as read off a page (values as printed are what a sentence quotes)."""

    analyte: str
    value_printed: str
    citation: Citation
    value: float | None = None
    unit: str | None = None
    canonical: str | None = None
    loinc: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    ref_printed: str | None = None
    flag: str | None = None
    date: date | None = None
    low_confidence: bool = False

    @property
    def out_of_range(self) -> bool:
        """Flagged by the laboratory, or outside the printed limits."""
        if self.flag and self.flag.strip().upper().startswith(("H", "L", "A", "C")):
            return True
        if self.value is None:
            return False
        return (self.ref_low is not None and self.value < self.ref_low) or (
            self.ref_high is not None and self.value > self.ref_high
        )

    @property
    def direction(self) -> str:
        flag = (self.flag or "").strip().upper()
        if flag.startswith("L") or (
            not flag
            and self.value is not None
            and self.ref_low is not None
            and self.value < self.ref_low
        ):
            return "low"
        return "high"

    @property
    def group(self) -> str:
        """Results of the same analyte across reports share this key."""
        if self.loinc:
            return f"loinc:{self.loinc}"
        name = self.canonical or self.analyte
        return "name:" + re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class LetterEntry:
    """A medication, problem or allergy stated in a letter."""

    kind: FactKind
    text: str
    citation: Citation
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass
class ReportSources:
    """Everything a report may cite."""

    pages: list[SourcePage]
    labs: list[LabEntry] = field(default_factory=list)
    facts: list[LetterEntry] = field(default_factory=list)

    def page(self, document_id: str, number: int) -> SourcePage | None:
        for p in self.pages:
            if p.document_id == document_id and p.page == number:
                return p
        return None
