"""A patient's documents: accept (store sealed, probe, queue extraction), read, erase.

The bytes are stored encrypted before any job runs, under a key of tenant/patient/document; the
row, its job and its audit record commit together, and a stored blob whose row never commits is
removed. Page text, lab results and letter facts are written by the extraction job
(`documents.tasks`) in one transaction through `store_extraction`, so a document is either fully
ingested or not at all. Erasing a document is `erase` (rows, blobs, and the retrieval index).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Integer, cast, delete, func, select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.clinical import handover
from clinscribe.config import Settings
from clinscribe.db.base import new_id
from clinscribe.db.models import (
    FACT_KINDS,
    Document,
    DocumentFact,
    DocumentPage,
    Job,
    LabObservation,
)
from clinscribe.db.session import after_commit, after_rollback
from clinscribe.documents import intake
from clinscribe.documents.core.errors import DocumentTooLargeError
from clinscribe.documents.core.pages import PageText
from clinscribe.documents.pipeline import Extracted
from clinscribe.errors import Conflict, NotFound
from clinscribe.jobs import queue as workqueue
from clinscribe.records import patients
from clinscribe.retrieval import service as search_index
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable
from clinscribe.storage.blobs import BlobStore

EXTRACT_KIND = "extract_document"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-]+")


def _clean_filename(name: str | None) -> str | None:
    if not name:
        return None
    return _SAFE_NAME.sub("_", Path(name).name)[:200] or None


def _read_limited(data: BinaryIO, limit: int) -> bytes:
    body = data.read(limit + 1)
    if len(body) > limit:
        raise DocumentTooLargeError(f"the document exceeds {limit} bytes")
    return body


class NotRetryableError(Conflict):
    """Only a document whose extraction failed can be queued again."""

    status_code = 409
    code = "document_not_failed"


def writable_patient(*, session: Session, principal: Principal, patient_id: str) -> None:
    """The caller may add documents to this patient (403), who is theirs to see (404)."""
    principal.require("patients:write")
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)


def accept(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    patient_id: str,
    data: BinaryIO,
    filename: str | None,
    source: str = "upload",
) -> tuple[Document, Job]:
    """Probe the bytes (4xx when unreadable), store them sealed, and queue the extraction."""
    writable_patient(session=session, principal=principal, patient_id=patient_id)
    workqueue.check_capacity(session=session, max_depth=settings.max_queue_depth)
    body = _read_limited(data, settings.document_max_bytes)
    probe = intake.probe(body, settings)
    document_id = new_id()
    key = f"{principal.tenant_id}/documents/{patient_id}/{document_id}"
    sha256, size = blobs.put(key, io.BytesIO(body), max_bytes=settings.document_max_bytes)
    # The blob is written before its row commits; if the row never lands, neither does it.
    after_rollback(session, lambda: blobs.delete(key))
    document = Document(
        id=document_id,
        tenant_id=principal.tenant_id,
        patient_id=patient_id,
        created_by=principal.actor_id,
        source=source,
        filename=_clean_filename(filename) or f"document.{intake.extension(probe.media_type)}",
        media_type=probe.media_type,
        size_bytes=size,
        sha256=sha256,
        blob_key=key,
        status="stored",
        page_count=probe.pages,
    )
    session.add(document)
    session.flush()
    job = workqueue.create(
        session=session,
        tenant_id=principal.tenant_id,
        kind=EXTRACT_KIND,
        subject_type="document",
        subject_id=document.id,
        max_attempts=settings.job_max_attempts,
    )
    audit.record(
        session,
        action="document.create",
        principal=principal,
        object_type="document",
        object_id=document.id,
    )
    return document, job


def get(*, session: Session, principal: Principal, document_id: str) -> Document:
    """A document of the caller's tenant, or NotFound (another tenant's looks absent)."""
    principal.require("patients:read")
    return get_readable(session, Document, document_id, principal, what="document")


def list_for_patient(*, session: Session, principal: Principal, patient_id: str) -> list[Document]:
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    return list(
        session.execute(
            readable(Document, principal)
            .where(Document.patient_id == patient_id)
            .order_by(Document.created_at)
        ).scalars()
    )


def job_for(*, session: Session, document_id: str) -> Job | None:
    return session.execute(
        select(Job)
        .where(Job.subject_type == "document", Job.subject_id == document_id)
        .order_by(Job.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def summary(*, session: Session, document: Document) -> dict[str, Any]:
    """What extraction found: lab results (and how many flagged H/L or uncertain), facts."""
    labs = session.execute(
        select(
            func.count(),
            func.count(LabObservation.flag),
            func.coalesce(func.sum(cast(LabObservation.low_confidence, Integer)), 0),
        ).where(LabObservation.document_id == document.id)
    ).one()
    rows = session.execute(
        select(DocumentFact.kind, func.count())
        .where(DocumentFact.document_id == document.id)
        .group_by(DocumentFact.kind)
    ).all()
    facts = {str(kind): int(count) for kind, count in rows}
    return {
        "labs": int(labs[0]),
        "flagged": int(labs[1]),
        "low_confidence": int(labs[2]),
        "facts": {k: int(facts.get(k, 0)) for k in FACT_KINDS},
    }


def detail(*, session: Session, document: Document) -> dict[str, Any]:
    """The document with its latest job, its pages and (once ready) what extraction found."""
    pages = session.execute(
        select(DocumentPage.number, DocumentPage.source, DocumentPage.confidence)
        .where(DocumentPage.document_id == document.id)
        .order_by(DocumentPage.number)
    ).all()
    return {
        "document": document,
        "job": job_for(session=session, document_id=document.id),
        "pages": [{"number": n, "source": src, "confidence": c} for n, src, c in pages],
        "summary": summary(session=session, document=document) if pages else None,
    }


def page(
    *, session: Session, principal: Principal, document_id: str, number: int
) -> tuple[Document, DocumentPage]:
    """One page's text (a PHI read: audited)."""
    document = get(session=session, principal=principal, document_id=document_id)
    row = session.execute(
        select(DocumentPage).where(
            DocumentPage.document_id == document.id, DocumentPage.number == number
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"page {number} not found")
    audit.record(
        session,
        action="document.page.read",
        principal=principal,
        object_type="document",
        object_id=document.id,
    )
    return document, row


def _words_json(page_: PageText) -> str:
    return json.dumps(
        [
            [w.text, w.begin, w.end, w.confidence, list(w.bbox) if w.bbox else None]
            for w in page_.words
        ],
        separators=(",", ":"),
    )


def _mean_confidence(page_: PageText) -> float | None:
    scores = [w.confidence for w in page_.words if w.confidence is not None]
    return round(sum(scores) / len(scores), 1) if scores else None


def clear_derived(session: Session, document_id: str) -> None:
    for model in (DocumentFact, LabObservation, DocumentPage):
        session.execute(delete(model).where(model.document_id == document_id))


def store_extraction(*, session: Session, document: Document, result: Extracted) -> None:
    """Replace the document's pages, lab results and facts with `result`, and mark it ready."""
    clear_derived(session, document.id)
    common = {"tenant_id": document.tenant_id, "document_id": document.id}
    for p in result.pages:
        session.add(
            DocumentPage(
                **common,
                number=p.number,
                source=p.source,
                confidence=_mean_confidence(p),
                text=p.text,
                words_json=_words_json(p),
                image_width=p.image_size[0] if p.image_size else None,
                image_height=p.image_size[1] if p.image_size else None,
            )
        )
    owner = {**common, "patient_id": document.patient_id}
    for lab in result.labs:
        session.add(
            LabObservation(
                **owner,
                page=lab.page,
                span_begin=lab.begin,
                span_end=lab.end,
                analyte_printed=lab.analyte_printed,
                canonical=lab.canonical,
                loinc=lab.loinc,
                value=lab.value,
                value_printed=lab.value_printed,
                unit=lab.unit,
                ucum=lab.ucum,
                ref_low=lab.ref_low,
                ref_high=lab.ref_high,
                ref_printed=lab.ref_printed,
                flag=lab.flag,
                effective_date=lab.effective_date,
                low_confidence=lab.low_confidence,
            )
        )
    for fact in result.facts:
        session.add(
            DocumentFact(
                **owner,
                kind=fact.kind,
                page=fact.page,
                span_begin=fact.begin,
                span_end=fact.end,
                code_system=fact.code_system,
                code=fact.code,
                text=fact.text,
                details_json=json.dumps(fact.details, default=str),
            )
        )
    document.kind = result.kind
    document.document_date = result.document_date
    document.page_count = len(result.pages)
    document.status = "ready"
    document.error = None
    session.flush()
    search_index.index_document(session, document.id, result.pages)
    # Its labs and letter facts are proposed for the patient's record (a clinician decides).
    handover.propose_from_document(session=session, document=document)


def _remove_from_index(session: Session, document: Document) -> None:
    """Retrieval chunks and vectors of the document (the retrieval service owns them)."""
    # The one call site for the retrieval index: its service removes the chunks and vectors
    # of this document here, inside the same transaction as the rows below.
    search_index.forget_document(session, document.id)


def erase(*, session: Session, principal: Principal, blobs: BlobStore, document_id: str) -> None:
    """Delete a document, everything derived from it, its jobs, and (after commit) its blobs."""
    principal.require("patients:write")
    document = get(session=session, principal=principal, document_id=document_id)
    keys = [document.blob_key] if document.blob_key else []
    keys += [
        k
        for k in session.execute(
            select(DocumentPage.image_blob_key).where(DocumentPage.document_id == document.id)
        ).scalars()
        if k
    ]
    _remove_from_index(session, document)
    clear_derived(session, document.id)
    session.execute(
        delete(Job).where(Job.subject_type == "document", Job.subject_id == document.id)
    )
    session.execute(delete(Document).where(Document.id == document.id))
    audit.record(
        session,
        action="document.delete",
        principal=principal,
        object_type="document",
        object_id=document.id,
    )

    def remove() -> None:
        for key in keys:
            blobs.delete(key)

    after_commit(session, remove)


def retry(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    document_id: str,
) -> tuple[Document, Job]:
    """Queue a failed document's extraction again from its kept file (409 unless failed)."""
    principal.require("patients:write")
    document = get(session=session, principal=principal, document_id=document_id)
    if document.status != "failed":
        raise NotRetryableError(f"the document is {document.status}; only a failed one is retried")
    if document.blob_key is None or not blobs.exists(document.blob_key):
        raise NotFound("this document has no stored file to retry; upload it again")
    workqueue.check_capacity(session=session, max_depth=settings.max_queue_depth)
    document.status = "stored"
    document.error = None
    job = workqueue.create(
        session=session,
        tenant_id=principal.tenant_id,
        kind=EXTRACT_KIND,
        subject_type="document",
        subject_id=document.id,
        max_attempts=settings.job_max_attempts,
    )
    audit.record(
        session,
        action="document.retry",
        principal=principal,
        object_type="document",
        object_id=document.id,
    )
    return document, job


def open_file(
    *, session: Session, principal: Principal, blobs: BlobStore, document: Document
) -> BinaryIO:
    """The stored file, decrypted (a PHI read: audited)."""
    if document.blob_key is None or not blobs.exists(document.blob_key):
        raise NotFound("this document has no stored file")
    audit.record(
        session,
        action="document.download",
        principal=principal,
        object_type="document",
        object_id=document.id,
    )
    return blobs.open(document.blob_key)
