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
from clinscribe.documents.core import extract
from clinscribe.documents.core.facts import analyse_document
from clinscribe.documents.core.labs import LabResult
from clinscribe.documents.core.letters import LetterFacts
from clinscribe.documents.core.pages import Citation, PageText


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
    kind: str  # medication | problem | allergy | follow_up
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
    document_date: date | None
    pages: list[PageText]
    labs: list[LabRow]
    facts: list[FactRow]

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "date": self.document_date.isoformat() if self.document_date else None,
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


FACT_KINDS = ("medication", "problem", "allergy", "follow_up")


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def _lab_row(result: LabResult, fallback: date | None) -> LabRow:
    cite = result.citation
    return LabRow(
        page=cite.page,
        begin=cite.begin,
        end=cite.end,
        analyte_printed=result.analyte,
        canonical=result.canonical,
        loinc=result.loinc,
        value=result.value,
        value_printed=result.value_as_printed,
        unit=result.unit,
        ucum=result.ucum,
        ref_low=result.ref_low,
        ref_high=result.ref_high,
        ref_printed=result.ref_as_printed,
        flag=result.flag,
        effective_date=result.collected or fallback,
        low_confidence=result.low_confidence,
    )


def _cited(kind: str, text: str, cite: Citation, **details: Any) -> FactRow:
    kept = {k: v for k, v in details.items() if v not in (None, "")}
    return FactRow(
        kind=kind, page=cite.page, begin=cite.begin, end=cite.end, text=text, details=kept
    )


def _fact_rows(letter: LetterFacts | None) -> list[FactRow]:
    if letter is None:
        return []
    rows = [
        _cited(
            "medication",
            m.name,
            m.citation,
            dose=m.dose,
            frequency=m.frequency,
            route=m.route,
            status=m.status,
            as_printed=m.as_printed,
            previous_dose=m.previous_dose,
            previous_frequency=m.previous_frequency,
            reason=m.reason,
            low_confidence=m.low_confidence or None,
        )
        for m in letter.medications
    ]
    rows += [_cited("problem", p.text, p.citation, status=p.status) for p in letter.problems]
    rows += [
        _cited("allergy", a.substance, a.citation, reaction=a.reaction) for a in letter.allergies
    ]
    if letter.follow_up is not None:
        f = letter.follow_up
        rows.append(
            _cited("follow_up", f.text, f.citation, date=f.date.isoformat() if f.date else None)
        )
    return rows


def analyse(pages: list[PageText], media_type: str, *, document_id: str = "") -> Extracted:
    """Lab results and letter facts of already-extracted pages."""
    found = analyse_document(pages, document_id=document_id)
    # A letter's quoted values are already the document's labs; count each citation once.
    labs = list(
        {
            r.citation: r for r in [*found.labs, *(found.letter.labs if found.letter else [])]
        }.values()
    )
    return Extracted(
        media_type=media_type,
        kind=found.kind,
        document_date=found.date,
        pages=pages,
        labs=[_lab_row(r, found.date) for r in labs],
        facts=_fact_rows(found.letter),
    )


def run(data: bytes, settings: Settings, *, document_id: str = "") -> Extracted:
    """Extract a whole document; raises the extractor's typed DocumentError on bad input."""
    media_type = extract.sniff_media_type(data)
    pages = extract.extract_pages(data, media_type, limits=intake.limits(settings))
    return analyse(pages, media_type, document_id=document_id)
