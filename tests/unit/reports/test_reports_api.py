from __future__ import annotations

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.db.models.documents import Document
from clinscribe.db.session import session_scope
from tests.support import TenantWorld
from tests.unit.reports.conftest import store_records


def _draft(client: TestClient, world: TenantWorld, who: str = "clinician") -> object:
    return client.post(f"/api/v1/patients/{world.patient_id}/reports", headers=world.auth(who))


def test_a_chr_is_drafted_reviewed_signed_and_exported(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    ids = store_records(settings, tenant_a)
    clin, rev = tenant_a.auth("clinician"), tenant_a.auth("reviewer")
    r = _draft(client, tenant_a)
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["template"] == "client_health_report" and note["status"] == "draft"
    content = note["content"]
    assert content["faithfulness"]["share"] == 1.0
    labs = next(s for s in content["sections"] if s["key"] == "labs")
    cited = {ev["document_id"] for s in labs["sentences"] for ev in s["evidence"]}
    assert cited == {ids["lab-1"], ids["lab-2"]}
    assert "155 umol/L (high) on 20 Apr 2025" in content["text"]
    url = f"/api/v1/notes/{note['id']}"
    # Re-drafting adds a version to the open CHR rather than a second report.
    again = _draft(client, tenant_a).json()
    assert again["id"] == note["id"] and again["version"] == 2
    edited = client.patch(
        url, json={"sections": {"summary": "Reviewed by the clinician."}}, headers=clin
    )
    assert edited.status_code == 200 and edited.json()["version"] == 3
    assert client.post(f"{url}/submit", headers=clin).json()["status"] == "in_review"
    assert client.post(f"{url}/approve", headers=rev).json()["status"] == "approved"
    signed = client.post(f"{url}/sign", headers=clin).json()
    assert signed["status"] == "signed" and len(signed["signed_sha256"]) == 64
    bundle = client.get(f"{url}/fhir", headers=clin).json()
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert "Composition" in kinds
    composition = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Composition"
    )
    assert composition["type"]["coding"][0]["code"] == "60591-5"
    deliveries = client.get(f"{url}/deliveries", headers=clin).json()
    assert len(deliveries) == 1  # queued through the outbox at signing
    pdf = client.get(f"{url}/pdf", headers=clin)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    listed = client.get(f"/api/v1/patients/{tenant_a.patient_id}/reports", headers=clin).json()
    assert [n["id"] for n in listed] == [note["id"]]


def test_a_patient_without_ready_documents_gets_a_409_saying_there_is_nothing_to_report(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    r = _draft(client, tenant_a)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "report_no_ready_documents"
    assert "no ready documents" in r.json()["detail"]
    # A document still being read (or one that failed) is not a source either.
    with session_scope(settings.resolved_database_url) as session:
        for status in ("processing", "failed"):
            session.add(
                Document(
                    tenant_id=tenant_a.id,
                    patient_id=tenant_a.patient_id,
                    media_type="application/pdf",
                    status=status,
                )
            )
    r = _draft(client, tenant_a)
    assert r.status_code == 409 and r.json()["error"] == "report_no_ready_documents"
    assert "1 document(s) are still being read" in r.json()["detail"]
    # Nothing was created: no report, no review encounter.
    listed = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/reports", headers=tenant_a.auth("clinician")
    )
    assert listed.json() == []
    store_records(settings, tenant_a)
    assert _draft(client, tenant_a).status_code == 201


def test_only_clinicians_of_the_tenant_draft(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    store_records(settings, tenant_a)
    assert _draft(client, tenant_a, "reviewer").status_code == 403
    r = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/reports", headers=tenant_b.auth("clinician")
    )
    assert r.status_code == 404
    r = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/reports", headers=tenant_b.auth("clinician")
    )
    assert r.status_code == 404
    assert client.post(f"/api/v1/patients/{tenant_a.patient_id}/reports").status_code == 401
    assert (
        client.get("/api/v1/notes/nope/pdf", headers=tenant_a.auth("clinician")).status_code == 404
    )
