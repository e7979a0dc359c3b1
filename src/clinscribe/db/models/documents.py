"""Documents: a patient's outside records, their page text, lab observations and letter facts.

Everything a clinician could read off a page (file name, page text, word boxes, printed values,
fact text) is sealed like transcripts; what the service filters or sorts on (status, kind, LOINC,
UCUM unit, flag, dates, page numbers and spans) stays in the clear, since it names no one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin
from clinscribe.db.sealed import Sealed

DOCUMENT_STATUSES = ("stored", "processing", "ready", "failed")
DOCUMENT_KINDS = (
    "unknown",
    "lab_report",
    "clinic_letter",
    "discharge_summary",
    "lab_slip",
    "other",
)
PAGE_SOURCES = ("text_layer", "ocr", "plain_text")
FACT_KINDS = ("medication", "problem", "allergy", "follow_up")


def _opt_float(value: str) -> float | None:
    return None if value == "" else float(value)


class Document(IdMixin, TimestampMixin, Base):
    """One uploaded file of a patient; the blob is stored (sealed) before extraction runs."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_tenant_patient", "tenant_id", "patient_id"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="upload")  # upload | tus | signed | cli
    # Client file names often carry a patient's name.
    filename_sealed: Mapped[str | None] = mapped_column("filename", Text)
    filename = Sealed[str | None]("filename_sealed")
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    blob_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="stored")
    kind: Mapped[str] = mapped_column(String(32), default="unknown")
    # The date the document gives (collection date of a report, date of a letter).
    document_date: Mapped[date | None] = mapped_column(Date)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    # A fixed, PHI-free message (error code + detail written by us, never document text).
    error: Mapped[str | None] = mapped_column(Text)


class DocumentPage(IdMixin, TimestampMixin, Base):
    """The text of one page, with word offsets/confidences, and for images the page image."""

    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # text_layer | ocr | plain_text
    confidence: Mapped[float | None] = mapped_column()  # mean OCR word confidence, 0-100
    text_sealed: Mapped[str] = mapped_column("text", Text)
    text = Sealed[str]("text_sealed")
    # [[text, begin, end, confidence|null, [l, t, r, b]|null], ...]
    words_json_sealed: Mapped[str] = mapped_column("words_json", Text)
    words_json = Sealed[str]("words_json_sealed")
    image_blob_key: Mapped[str | None] = mapped_column(String(255))
    # OCR pages: the size in pixels of the image the word boxes refer to (None otherwise).
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)


class LabObservation(IdMixin, TimestampMixin, Base):
    """One lab result read off a page, with the span it was read from."""

    __tablename__ = "lab_observations"
    __table_args__ = (
        Index("ix_lab_observations_tenant_patient", "tenant_id", "patient_id"),
        Index("ix_lab_observations_document", "document_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    span_begin: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    analyte_printed_sealed: Mapped[str] = mapped_column("analyte_printed", Text)
    analyte_printed = Sealed[str]("analyte_printed_sealed")
    canonical: Mapped[str | None] = mapped_column(String(120))
    loinc: Mapped[str | None] = mapped_column(String(16))
    value_sealed: Mapped[str | None] = mapped_column("value", Text)
    value = Sealed[float | None]("value_sealed", load=_opt_float)
    value_printed_sealed: Mapped[str] = mapped_column("value_printed", Text)
    value_printed = Sealed[str]("value_printed_sealed")
    unit: Mapped[str | None] = mapped_column(String(40))  # as printed
    ucum: Mapped[str | None] = mapped_column(String(40))
    ref_low_sealed: Mapped[str | None] = mapped_column("ref_low", Text)
    ref_low = Sealed[float | None]("ref_low_sealed", load=_opt_float)
    ref_high_sealed: Mapped[str | None] = mapped_column("ref_high", Text)
    ref_high = Sealed[float | None]("ref_high_sealed", load=_opt_float)
    ref_printed_sealed: Mapped[str | None] = mapped_column("ref_printed", Text)
    ref_printed = Sealed[str | None]("ref_printed_sealed")
    flag: Mapped[str | None] = mapped_column(String(4))  # H | L | None
    effective_date: Mapped[date | None] = mapped_column(Date)
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=False)


class DocumentFact(IdMixin, TimestampMixin, Base):
    """A medication, problem or allergy stated in a letter, with its citation."""

    __tablename__ = "document_facts"
    __table_args__ = (
        Index("ix_document_facts_tenant_patient", "tenant_id", "patient_id"),
        Index("ix_document_facts_document", "document_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # medication | problem | allergy | follow_up
    page: Mapped[int] = mapped_column(Integer)
    span_begin: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    code_system: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str | None] = mapped_column(String(40))
    text_sealed: Mapped[str] = mapped_column("text", Text)
    text = Sealed[str]("text_sealed")
    # Kind-specific detail (dose/frequency, status, reaction...) as JSON.
    details_json_sealed: Mapped[str] = mapped_column("details_json", Text)
    details_json = Sealed[str]("details_json_sealed")
