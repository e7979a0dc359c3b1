"""The extraction job: a stored document's pages, lab results and letter facts, all or nothing.

Extraction runs outside any transaction (OCR can take minutes); its results are written in one
transaction, replacing whatever an earlier attempt left, so a redelivered job is idempotent and
a failed one leaves no half-ingested pages. A document the extractor refuses (damaged,
encrypted, too many pages) is a permanent failure; the document is marked failed with the
reason, which names the problem and never the document's content.
"""

from __future__ import annotations

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Document, Job
from clinscribe.db.session import session_scope
from clinscribe.documents import pipeline, service
from clinscribe.documents.core.errors import DocumentError
from clinscribe.jobs.tasks import PermanentJobError, task
from clinscribe.storage.blobs import BlobStore


def _mark_failed(settings: Settings, job: Job) -> None:
    """The job died: the document says why, and holds no derived rows."""
    with session_scope(settings.resolved_database_url) as session:
        document = session.get(Document, job.subject_id)
        if document is None:
            return
        service.clear_derived(session, document.id)
        document.status = "failed"
        document.error = (job.last_error or "extraction failed")[:500]
        audit.record(
            session,
            action="document.extract",
            tenant_id=document.tenant_id,
            actor_type="system",
            object_type="document",
            object_id=document.id,
            outcome="failure",
        )


@task(service.EXTRACT_KIND, on_dead=_mark_failed)
def extract_document(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    url = settings.resolved_database_url
    with session_scope(url) as session:
        document = session.get(Document, job.subject_id)
        if document is None or document.blob_key is None:
            raise PermanentJobError("document no longer exists")
        if document.status == "ready":
            return "document", document.id
        document.status = "processing"
        document_id, blob_key = document.id, document.blob_key
    try:
        with blobs.open(blob_key, whole=True) as stored:
            data = stored.read()
    except FileNotFoundError as exc:
        raise PermanentJobError("the document's stored file is missing") from exc
    try:
        result = pipeline.run(data, settings, document_id=document_id)
    except DocumentError as exc:
        if exc.status_code >= 500:  # e.g. OCR engine unavailable: worth retrying
            raise
        raise PermanentJobError(f"{exc.code}: {exc.message}") from exc
    with session_scope(url) as session:
        row = session.get(Document, document_id)
        if row is None:
            raise PermanentJobError("document was deleted during extraction")
        service.store_extraction(session=session, document=row, result=result)
        audit.record(
            session,
            action="document.extract",
            tenant_id=row.tenant_id,
            actor_type="system",
            object_type="document",
            object_id=row.id,
        )
    return "document", document_id
