"""A patient's chart from their documents: lab results over time, letter facts, page images."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageSequence
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import Document, DocumentFact, DocumentPage, LabObservation
from clinscribe.documents import intake
from clinscribe.documents.core.pages import PageText, PageWord
from clinscribe.errors import NotFound
from clinscribe.records import patients
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable
from clinscribe.storage.blobs import BlobStore

# Pages are rendered for the viewer at screen resolution, not OCR resolution.
RENDER_DPI = 110
# The viewer never needs more than a large screen's worth of pixels. The upload limit
# (`document_max_pixels`, tens of megapixels) is far too generous for a render any reader can
# request again and again, so the render is capped separately (an A4 page at 110 dpi is ~1.2 MP).
RENDER_MAX_PIXELS = 4_000_000


def labs_for_patient(
    *, session: Session, principal: Principal, patient_id: str
) -> list[LabObservation]:
    """Every lab result of the patient's documents, oldest first (a PHI read: audited)."""
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    rows = list(
        session.execute(
            readable(LabObservation, principal).where(LabObservation.patient_id == patient_id)
        ).scalars()
    )
    audit.record(
        session,
        action="document.labs.read",
        principal=principal,
        object_type="patient",
        object_id=patient_id,
    )
    return sorted(rows, key=lambda r: (r.effective_date or r.created_at.date(), r.page))


def facts_for_patient(
    *, session: Session, principal: Principal, patient_id: str
) -> list[DocumentFact]:
    """Medications, problems, allergies and follow-up read from letters (a PHI read: audited)."""
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    rows = list(
        session.execute(
            readable(DocumentFact, principal)
            .where(DocumentFact.patient_id == patient_id)
            .order_by(DocumentFact.created_at, DocumentFact.page, DocumentFact.span_begin)
        ).scalars()
    )
    audit.record(
        session,
        action="document.facts.read",
        principal=principal,
        object_type="patient",
        object_id=patient_id,
    )
    return rows


def fact_json(row: DocumentFact) -> dict[str, Any]:
    return {
        "id": row.id,
        "document_id": row.document_id,
        "kind": row.kind,
        "page": row.page,
        "span_begin": row.span_begin,
        "span_end": row.span_end,
        "text": row.text,
        "code_system": row.code_system,
        "code": row.code,
        "details": json.loads(row.details_json),
    }


def trends(rows: list[LabObservation]) -> dict[str, list[dict[str, Any]]]:
    """Values per analyte (LOINC, else canonical name) in date order, for sparklines."""
    series: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.value is None:
            continue
        key = row.loinc or row.canonical or row.analyte_printed
        series.setdefault(key, []).append(
            {
                "date": row.effective_date.isoformat() if row.effective_date else None,
                "value": row.value,
                "flag": row.flag,
            }
        )
    return series


def render_page(data: bytes, media_type: str, number: int, max_pixels: int) -> bytes:
    """Page `number` (1-based) of a stored PDF or image as PNG, at most RENDER_MAX_PIXELS."""
    max_pixels = min(max_pixels, RENDER_MAX_PIXELS)
    if media_type == "application/pdf":
        pdf = pdfium.PdfDocument(data)
        try:
            if not 1 <= number <= len(pdf):
                raise NotFound(f"page {number} not found")
            page = pdf[number - 1]
            try:
                width, height = page.get_size()
                scale = RENDER_DPI / 72
                # A page of absurd size is drawn smaller rather than blowing up memory.
                scale = min(scale, (max_pixels / max(1.0, width * height)) ** 0.5)
                image = page.render(scale=scale).to_pil()
            finally:
                page.close()
        finally:
            pdf.close()
    elif media_type in intake.IMAGE_TYPES:
        # Checked against the pixel limit at upload; Pillow's own bomb guard stays as it is.
        with Image.open(io.BytesIO(data)) as source:
            frames = ImageSequence.Iterator(source)
            try:
                image = frames[number - 1].copy()
            except IndexError as exc:
                raise NotFound(f"page {number} not found") from exc
        if image.width * image.height > max_pixels:
            shrink = (max_pixels / (image.width * image.height)) ** 0.5
            size = (max(1, int(image.width * shrink)), max(1, int(image.height * shrink)))
            image.thumbnail(size)
        if image.mode not in ("RGB", "L", "RGBA"):
            image = image.convert("RGB")
    else:
        raise NotFound("a plain-text document has no page images")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def page_image(*, blobs: BlobStore, document: Document, number: int, max_pixels: int) -> bytes:
    """The rendered page of a document the caller already read (the page read is audited)."""
    if document.blob_key is None or not blobs.exists(document.blob_key):
        raise NotFound("this document has no stored file")
    with blobs.open(document.blob_key) as stored:
        data = stored.read()
    return render_page(data, document.media_type, number, max_pixels)


def page_words(row: DocumentPage) -> list[PageWord]:
    words = []
    for text, begin, end, confidence, bbox in json.loads(row.words_json):
        words.append(
            PageWord(
                text=text,
                begin=begin,
                end=end,
                confidence=confidence,
                bbox=tuple(bbox) if bbox else None,
            )
        )
    return words


def page_text(row: DocumentPage) -> PageText:
    return PageText(
        number=row.number,
        text=row.text,
        source=row.source,  # type: ignore[arg-type]  # stored from a PageSource
        words=tuple(page_words(row)),
        image_size=(
            (row.image_width, row.image_height) if row.image_width and row.image_height else None
        ),
    )


def page_json(document: Document, row: DocumentPage, *, image_path: str) -> dict[str, Any]:
    """A page as the API shows it: text, words with offsets, and the spans OCR was unsure of."""
    text = page_text(row)
    has_image = document.media_type != "text/plain"
    return {
        "document_id": document.id,
        "number": row.number,
        "source": row.source,
        "text": text.text,
        "words": [
            {
                "text": w.text,
                "begin": w.begin,
                "end": w.end,
                "confidence": w.confidence,
                "bbox": list(w.bbox) if w.bbox else None,
            }
            for w in text.words
        ],
        "low_confidence_spans": [{"begin": b, "end": e} for b, e in text.low_confidence_spans()],
        "image_url": f"{image_path}?format=png" if has_image else None,
        # The pixel space of the word boxes, so a viewer scales them onto its rendering.
        "image_size": list(text.image_size) if has_image and text.image_size else None,
    }
