"""Lab tables -> `LabResult`: analyte, value, unit, reference range, flag, date, citation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from clinscribe.documents.core.pages import Citation, PageText

Flag = Literal["H", "L"]


@dataclass(frozen=True)
class LabResult:
    """One printed lab result, normalised, and the span of the page it was read from."""

    analyte: str  # as printed ("HAEMOGLOBIN", "T4, FREE")
    canonical: str | None  # from the curated LOINC table; None when the name is unknown
    loinc: str | None
    value: float
    value_as_printed: str
    unit: str | None  # as printed ("x10E9/L", "mg/dL (calc)")
    ucum: str | None  # UCUM code of the unit ("10*9/L", "mg/dL")
    ref_low: float | None
    ref_high: float | None
    ref_as_printed: str | None
    flag: Flag | None  # H/L as printed, else derived from the reference range
    collected: date | None  # the specimen date the document gives for this result
    citation: Citation
    # True when any character of the value, unit or name came from a low-confidence OCR word:
    # such a number must be reviewed before it is trusted.
    low_confidence: bool = False
    section: str | None = None  # the panel heading it is printed under
    comparator: str | None = None  # "<" or ">" for values printed as "<0.05"


def parse_labs(
    pages: Sequence[PageText], *, document_id: str = "", document_date: date | None = None
) -> list[LabResult]:
    """Every lab result printed in the pages (tables, slips, or values quoted in a letter)."""
    raise NotImplementedError
