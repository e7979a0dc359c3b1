"""One document through the pure stages: pages, then lab results and letter facts.

No database, broker or audit here, so the offline CLI (`clinscribe ingest`) and the extraction
job run exactly the same code. This is the one place that knows the shapes of the pure
extractors' results; everything above reads the plain rows below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from clinscribe.config import Settings
from clinscribe.documents import intake
from clinscribe.documents.core import extract, labs, letters
from clinscribe.documents.core.pages import PageText

# A letter is recognised by its facts; a page of lab rows by its results.
LAB_REPORT, LETTER, OTHER = "lab_report", "letter", "other"


@dataclass(frozen=True)
class LabRow:
    page: int
    begin: int
    end: int
    analyte_printed: str
    canonical: str | None
    loinc: str | None
    value: float | None
    value_printed: str
    unit: str | None
    ucum: str | None
    ref_low: float | None
    ref_high: float | None
    ref_printed: str | None
    flag: str | None
    effective_date: date | None
    low_confidence: bool


@dataclass(frozen=True)
class FactRow:
    kind: str  # medication | problem | allergy
    page: int
    begin: int
    end: int
    text: str
    code_system: str | None = None
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Extracted:
    media_type: str
    kind: str
    pages: list[PageText]
    labs: list[LabRow]
    facts: list[FactRow]

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pages": len(self.pages),
            "labs": len(self.labs),
            "flagged": sum(1 for lab in self.labs if lab.flag),
            "low_confidence": sum(1 for lab in self.labs if lab.low_confidence),
            "facts": {k: sum(1 for f in self.facts if f.kind == k) for k in FACT_KINDS},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type,
            **self.summary(),
            "page_text": [
                {"number": p.number, "source": p.source, "text": p.text} for p in self.pages
            ],
            "lab_results": [_jsonable(asdict(lab)) for lab in self.labs],
            "facts_found": [_jsonable(asdict(fact)) for fact in self.facts],
        }


FACT_KINDS = ("medication", "problem", "allergy")


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def _lab_row(result: labs.LabResult) -> LabRow:
    cite = result.citation
    return LabRow(
        page=cite.page,
        begin=cite.begin,
        end=cite.end,
        analyte_printed=result.analyte,
        canonical=result.canonical,
        loinc=result.loinc,
        value=result.value,
        value_printed=result.value_text,
        unit=result.unit,
        ucum=result.ucum,
        ref_low=result.ref_low,
        ref_high=result.ref_high,
        ref_printed=result.ref_text,
        flag=result.flag,
        effective_date=result.collected,
        low_confidence=result.low_confidence,
    )


def _fact_row(fact: letters.LetterFact) -> FactRow:
    cite = fact.citation
    return FactRow(
        kind=fact.kind,
        page=cite.page,
        begin=cite.begin,
        end=cite.end,
        text=fact.text,
        code_system=fact.code_system,
        code=fact.code,
        details=dict(fact.details),
    )


def run(data: bytes, settings: Settings, *, document_id: str = "") -> Extracted:
    """Extract a whole document; raises the extractor's typed DocumentError on bad input."""
    media_type = extract.sniff_media_type(data)
    pages = extract.extract_pages(data, media_type, limits=intake.limits(settings))
    lab_rows = [_lab_row(r) for r in labs.parse_labs(pages, document_id=document_id)]
    fact_rows = [_fact_row(f) for f in letters.extract_facts(pages, document_id=document_id)]
    kind = LAB_REPORT if lab_rows else LETTER if fact_rows else OTHER
    return Extracted(
        media_type=media_type, kind=kind, pages=pages, labs=lab_rows, facts=fact_rows
    )
