"""Document shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from clinscribe.jobs.schemas import JobRead


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    patient_id: str
    source: str
    filename: str | None
    media_type: str
    size_bytes: int
    sha256: str | None
    status: str
    kind: str
    document_date: date | None
    page_count: int
    error: str | None
    created_at: datetime
    updated_at: datetime


class FactCounts(BaseModel):
    medication: int = 0
    problem: int = 0
    allergy: int = 0
    follow_up: int = 0


class ExtractionSummary(BaseModel):
    labs: int
    flagged: int
    low_confidence: int
    facts: FactCounts


class PageRef(BaseModel):
    number: int
    source: str
    confidence: float | None


class DocumentDetail(BaseModel):
    document: DocumentRead
    job: JobRead | None = None
    pages: list[PageRef] = []
    summary: ExtractionSummary | None = None


class DocumentAccepted(BaseModel):
    document: DocumentRead
    job: JobRead


class Span(BaseModel):
    begin: int
    end: int


class WordRead(BaseModel):
    text: str
    begin: int
    end: int
    confidence: float | None = None
    bbox: list[int] | None = None


class PageRead(BaseModel):
    document_id: str
    number: int
    source: str
    text: str
    words: list[WordRead]
    low_confidence_spans: list[Span]
    image_url: str | None = None
    # [width, height] of the image the words' `bbox` values are in (OCR pages only).
    image_size: list[int] | None = None


class SignedLink(BaseModel):
    url: str
    method: str
    expires_at: datetime


class LabObservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    document_id: str
    page: int
    span_begin: int
    span_end: int
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


class FactRead(BaseModel):
    id: str
    document_id: str
    kind: str
    page: int
    span_begin: int
    span_end: int
    text: str
    code_system: str | None
    code: str | None
    details: dict[str, object]
