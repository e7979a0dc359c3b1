"""The extraction job: all or nothing, idempotent, failures explained on the document."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from clinscribe.config import Settings
from clinscribe.db.models import (
    AuditEvent,
    Document,
    DocumentFact,
    DocumentPage,
    Job,
    LabObservation,
)
from clinscribe.db.session import session_scope
from clinscribe.documents.service import EXTRACT_KIND
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.tasks import setup_jobs
from tests.support import TenantWorld
from tests.unit.documents import samples


def _accept(client: TestClient, world: TenantWorld, data: bytes, name: str) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/api/v1/patients/{world.patient_id}/documents",
        headers=world.auth("clinician"),
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def _counts(settings: Settings, document_id: str) -> tuple[int, int, int]:
    with session_scope(settings.resolved_database_url) as session:
        return tuple(  # type: ignore[return-value]
            session.execute(
                select(func.count()).select_from(model).where(model.document_id == document_id)
            ).scalar_one()
            for model in (DocumentPage, LabObservation, DocumentFact)
        )


def test_a_document_that_fails_extraction_is_marked_failed_with_nothing_ingested(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    accepted = _accept(client, tenant_a, samples.text_pdf([samples.LAB_LINES]), "r.pdf")
    doc_id = accepted["document"]["id"]
    # The stored file is damaged after it was accepted (a bad disk, a broken restore).
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Document, doc_id)
        assert row is not None and row.blob_key is not None
        key = row.blob_key
    blobs = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    blobs.put(key, io.BytesIO(samples.corrupt_pdf()), max_bytes=10**6)
    setup_jobs(settings).run(EXTRACT_KIND, accepted["job"]["id"])
    detail = client.get(f"/api/v1/documents/{doc_id}", headers=tenant_a.auth("clinician")).json()
    assert detail["document"]["status"] == "failed"
    assert "document_corrupt" in detail["document"]["error"]
    assert detail["job"]["status"] == "dead" and detail["job"]["attempts"] == 1
    assert detail["pages"] == [] and detail["summary"] is None
    assert _counts(settings, doc_id) == (0, 0, 0)
    with session_scope(settings.resolved_database_url) as session:
        outcome = session.execute(
            select(AuditEvent.outcome).where(
                AuditEvent.object_id == doc_id, AuditEvent.action == "document.extract"
            )
        ).scalar_one()
    assert outcome == "failure"


def test_a_redelivered_extraction_replaces_rather_than_duplicates(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    accepted = _accept(
        client, tenant_a, samples.text_pdf([samples.LAB_LINES, ["Page two"]]), "r.pdf"
    )
    doc_id, job_id = accepted["document"]["id"], accepted["job"]["id"]
    runtime = setup_jobs(settings)
    runtime.run(EXTRACT_KIND, job_id)
    first = _counts(settings, doc_id)
    assert first[0] == 2 and first[1] >= 4
    # The worker died after storing, before the job was marked done: the message comes again.
    with session_scope(settings.resolved_database_url) as session:
        session.execute(update(Job).where(Job.id == job_id).values(status="queued"))
        session.execute(update(Document).where(Document.id == doc_id).values(status="processing"))
    runtime.run(EXTRACT_KIND, job_id)
    assert _counts(settings, doc_id) == first


def test_a_letters_medications_problems_and_allergies_are_stored_with_citations(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    accepted = _accept(client, tenant_a, samples.LETTER.encode(), "letter.txt")
    setup_jobs(settings).run(EXTRACT_KIND, accepted["job"]["id"])
    headers = tenant_a.auth("clinician")
    detail = client.get(f"/api/v1/documents/{accepted['document']['id']}", headers=headers).json()
    assert detail["document"]["kind"] == "clinic_letter"
    assert detail["document"]["document_date"] == "2025-06-12"
    assert detail["summary"]["facts"]["medication"] == 2
    assert detail["summary"]["facts"]["allergy"] >= 1
    facts = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/documents/facts", headers=headers
    ).json()
    meds = {f["text"]: f for f in facts if f["kind"] == "medication"}
    assert set(meds) == {"furosemide", "metformin"}
    assert meds["furosemide"]["details"]["status"] == "changed"
    cited = samples.LETTER[meds["metformin"]["span_begin"] : meds["metformin"]["span_end"]]
    assert "Metformin" in cited
    problems = [f["text"] for f in facts if f["kind"] == "problem"]
    assert "Type 2 diabetes mellitus" in problems
