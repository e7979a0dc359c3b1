"""The documents API: upload, extraction job, pages, bad input, tenancy, audit, at-rest sealing."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, Document, DocumentPage, Job, LabObservation
from clinscribe.db.session import session_scope
from clinscribe.documents.service import EXTRACT_KIND
from clinscribe.tasks import setup_jobs
from tests.support import TenantWorld
from tests.unit.documents import samples


def upload(
    client: TestClient,
    world: TenantWorld,
    data: bytes,
    name: str = "report.pdf",
    ctype: str = "application/pdf",
    patient_id: str | None = None,
) -> object:
    return client.post(
        f"/api/v1/patients/{patient_id or world.patient_id}/documents",
        headers=world.auth("clinician"),
        files={"file": (name, data, ctype)},
    )


def run_job(settings: Settings, job_id: str) -> None:
    setup_jobs(settings).run(EXTRACT_KIND, job_id)


def ingest(client: TestClient, settings: Settings, world: TenantWorld, data: bytes) -> str:
    response = upload(client, world, data)
    assert response.status_code == 202, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    run_job(settings, body["job"]["id"])
    return str(body["document"]["id"])


def actions(settings: Settings, object_id: str) -> list[str]:
    with session_scope(settings.resolved_database_url) as session:
        return list(
            session.execute(
                select(AuditEvent.action)
                .where(AuditEvent.object_id == object_id)
                .order_by(AuditEvent.id)
            ).scalars()
        )


def test_a_text_layer_pdf_is_accepted_extracted_and_read_back(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    pdf = samples.text_pdf([samples.LAB_LINES])
    response = upload(client, tenant_a, pdf)
    assert response.status_code == 202  # type: ignore[attr-defined]
    accepted = response.json()  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/api/v1/jobs/{accepted['job']['id']}"  # type: ignore[attr-defined]
    assert accepted["document"]["status"] == "stored"
    assert accepted["document"]["media_type"] == "application/pdf"
    run_job(settings, accepted["job"]["id"])
    headers = tenant_a.auth("clinician")
    doc_id = accepted["document"]["id"]
    detail = client.get(f"/api/v1/documents/{doc_id}", headers=headers).json()
    assert detail["document"]["status"] == "ready", detail
    assert detail["job"]["status"] == "succeeded"
    assert detail["pages"] == [{"number": 1, "source": "text_layer", "confidence": None}]
    assert detail["summary"]["labs"] >= 4 and detail["summary"]["flagged"] >= 2
    page = client.get(f"/api/v1/documents/{doc_id}/pages/1", headers=headers).json()
    assert "Glucose" in page["text"] and page["source"] == "text_layer"
    for word in page["words"]:
        assert page["text"][word["begin"] : word["end"]] == word["text"]
    assert page["low_confidence_spans"] == []
    image = client.get(f"/api/v1/documents/{doc_id}/pages/1?format=png", headers=headers)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client.get(f"/api/v1/documents/{doc_id}/pages/2", headers=headers).status_code == 404
    listed = client.get(f"/api/v1/patients/{tenant_a.patient_id}/documents", headers=headers)
    assert [d["id"] for d in listed.json()] == [doc_id]
    labs = client.get(f"/api/v1/patients/{tenant_a.patient_id}/documents/labs", headers=headers)
    glucose = [o for o in labs.json()["observations"] if o["value"] == 7.9]
    assert glucose and glucose[0]["flag"] == "H" and glucose[0]["page"] == 1
    cited = page["text"][glucose[0]["span_begin"] : glucose[0]["span_end"]]
    assert "7.9" in cited


def test_a_multipage_tiff_and_a_text_file_keep_their_pages(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    note = "Clinic letter.\fSecond page: sodium 139 mmol/L.\n"
    doc = upload(client, tenant_a, note.encode(), "letter.txt", "text/plain").json()  # type: ignore[attr-defined]
    run_job(settings, doc["job"]["id"])
    detail = client.get(f"/api/v1/documents/{doc['document']['id']}", headers=headers).json()
    assert [p["source"] for p in detail["pages"]] == ["plain_text", "plain_text"]
    png = client.get(
        f"/api/v1/documents/{doc['document']['id']}/pages/1?format=png", headers=headers
    )
    assert png.status_code == 404  # plain text has no page image
    scan = upload(client, tenant_a, samples.tiff(3), "scan.tif", "image/tiff").json()  # type: ignore[attr-defined]
    assert scan["document"]["page_count"] == 3
    image = client.get(
        f"/api/v1/documents/{scan['document']['id']}/pages/3?format=png", headers=headers
    )
    # Pages exist only once extracted; before that the page is not there yet.
    assert image.status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        (
            "tool.pdf",
            b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4,
            415,
            "document_unsupported_type",
        ),
        ("empty.pdf", b"", 400, "document_empty"),
        ("broken.pdf", samples.corrupt_pdf(), 422, "document_corrupt"),
        ("locked.pdf", samples.encrypted_pdf(), 422, "document_encrypted"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_clear_4xx_and_nothing_stored(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    name: str,
    data: bytes,
    status: int,
    code: str,
) -> None:
    response = upload(client, tenant_a, data, name)
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.json()["error"] == code  # type: ignore[attr-defined]
    with session_scope(settings.resolved_database_url) as session:
        assert session.execute(select(Document)).first() is None
    assert not list((settings.blob_dir).rglob("documents/*/*"))


def test_size_and_page_limits_and_unknown_patients(
    tmp_path: Path, settings: Settings, tenant_a: TenantWorld
) -> None:
    from clinscribe.api.app import create_app

    small = settings.model_copy(update={"document_max_bytes": 4096})
    with TestClient(create_app(small, start_worker=False), raise_server_exceptions=False) as c:
        big = upload(c, tenant_a, b"sodium 139 mmol/L\n" * 400, "big.txt", "text/plain")
        assert big.status_code == 413 and big.json()["error"] == "document_too_large"  # type: ignore[attr-defined]
    few = settings.model_copy(update={"document_max_pages": 2})
    with TestClient(create_app(few, start_worker=False), raise_server_exceptions=False) as c:
        pages = upload(c, tenant_a, samples.tiff(3), "scan.tif", "image/tiff")
        assert pages.status_code == 413 and pages.json()["error"] == "document_too_many_pages"  # type: ignore[attr-defined]
        nobody = upload(c, tenant_a, b"Sodium 139\n", "a.txt", "text/plain", patient_id="nope")
        assert nobody.status_code == 404  # type: ignore[attr-defined]
        assert nobody.json()["error"] == "not_found"  # type: ignore[attr-defined]


def test_another_tenants_documents_look_absent(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    doc_id = ingest(client, settings, tenant_a, b"Sodium 139 mmol/L (135-145)\n")
    other = tenant_b.auth("admin")
    for method, url in [
        ("GET", f"/api/v1/documents/{doc_id}"),
        ("GET", f"/api/v1/documents/{doc_id}/pages/1"),
        ("GET", f"/api/v1/documents/{doc_id}/pages/1?format=png"),
        ("GET", f"/api/v1/documents/{doc_id}/download-url"),
        ("DELETE", f"/api/v1/documents/{doc_id}"),
        ("GET", f"/api/v1/patients/{tenant_a.patient_id}/documents"),
        ("GET", f"/api/v1/patients/{tenant_a.patient_id}/documents/labs"),
        ("POST", f"/api/v1/patients/{tenant_a.patient_id}/documents/upload-url"),
    ]:
        response = client.request(method, url, headers=other)
        assert response.status_code == 404, (method, url, response.status_code)
    stolen = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/documents",
        headers=other,
        files={"file": ("a.txt", b"Sodium 139\n", "text/plain")},
    )
    assert stolen.status_code == 404
    assert (
        client.get(f"/api/v1/documents/{doc_id}", headers=tenant_a.auth("reviewer")).status_code
        == 200
    )


def test_files_and_page_text_are_encrypted_at_rest(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    doc_id = ingest(client, settings, tenant_a, samples.text_pdf([samples.LAB_LINES]))
    stored = [p for p in settings.blob_dir.rglob("*") if p.is_file() and doc_id in p.as_posix()]
    assert len(stored) == 1
    raw = stored[0].read_bytes()
    assert b"Glucose" not in raw and b"%PDF" not in raw
    with session_scope(settings.resolved_database_url) as session:
        page_text = session.execute(text("SELECT text, words_json FROM document_pages")).one()
        assert "Glucose" not in page_text[0] and "Glucose" not in page_text[1]
        filename = session.execute(text("SELECT filename FROM documents")).scalar_one()
        assert "report" not in filename
        values = session.execute(text("SELECT value, analyte_printed FROM lab_observations")).all()
        assert values and all(v != "7.9" and "Glucose" not in a for v, a in values)
        # Through the model the same rows read back as plaintext.
        page = session.execute(select(DocumentPage)).scalar_one()
        assert "Glucose" in page.text
        assert any(o.value == 7.9 for o in session.execute(select(LabObservation)).scalars())


def test_delete_removes_the_file_pages_results_and_jobs_and_is_audited(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    doc_id = ingest(client, settings, tenant_a, samples.text_pdf([samples.LAB_LINES]))
    assert client.get(f"/api/v1/documents/{doc_id}/pages/1", headers=headers).status_code == 200
    assert (
        client.delete(f"/api/v1/documents/{doc_id}", headers=tenant_a.auth("reviewer")).status_code
        == 403
    )
    assert client.delete(f"/api/v1/documents/{doc_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/documents/{doc_id}", headers=headers).status_code == 404
    assert not [p for p in settings.blob_dir.rglob("*") if doc_id in p.as_posix()]
    with session_scope(settings.resolved_database_url) as session:
        for table in ("documents", "document_pages", "lab_observations", "document_facts"):
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
        assert session.execute(select(Job).where(Job.subject_id == doc_id)).first() is None
    trail = actions(settings, doc_id)
    assert "DELETE /api/v1/documents/{document_id}" in trail  # the reviewer's denied attempt
    assert [a for a in trail if a.startswith("document.")] == [
        "document.create",
        "document.extract",
        "document.page.read",
        "document.delete",
    ]


def test_a_finished_tus_upload_naming_a_patient_becomes_a_document(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    body = samples.text_pdf([samples.LAB_LINES])

    def meta(patient_id: str) -> str:
        values = {"patient_id": patient_id, "filename": "r.pdf", "filetype": "application/pdf"}
        return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())

    tus = {**tenant_a.auth("clinician"), "Tus-Resumable": "1.0.0"}
    created = client.post(
        "/api/v1/uploads",
        headers={
            **tus,
            "Upload-Length": str(len(body)),
            "Upload-Metadata": meta(tenant_a.patient_id),
        },
    )
    assert created.status_code == 201, created.text
    patched = client.patch(
        created.headers["location"],
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=body,
    )
    assert patched.status_code == 204, patched.text
    docs = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/documents", headers=tenant_a.auth("clinician")
    ).json()
    assert [(d["source"], d["media_type"], d["page_count"]) for d in docs] == [
        ("tus", "application/pdf", 1)
    ]
    foreign = client.post(
        "/api/v1/uploads",
        headers={
            **tus,
            "Upload-Length": "10",
            "Upload-Metadata": meta("nope"),
        },
    )
    assert foreign.status_code == 404


def test_erasing_a_patient_erases_their_documents_and_files(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    doc_id = ingest(client, settings, tenant_a, samples.text_pdf([samples.LAB_LINES]))
    assert [p for p in settings.blob_dir.rglob("*") if doc_id in p.as_posix()]
    erased = client.delete(
        f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("admin")
    )
    assert erased.status_code == 204, erased.text
    assert not [p for p in settings.blob_dir.rglob("*") if doc_id in p.as_posix()]
    with session_scope(settings.resolved_database_url) as session:
        for table in ("documents", "document_pages", "lab_observations", "document_facts"):
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
        assert session.execute(select(Job).where(Job.subject_id == doc_id)).first() is None


def test_an_image_is_read_by_ocr_with_word_confidences_and_its_page_rendered(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    accepted = upload(client, tenant_a, samples.scanned_slip(), "slip.png", "image/png").json()  # type: ignore[attr-defined]
    assert accepted["document"]["media_type"] == "image/png"
    run_job(settings, accepted["job"]["id"])
    doc_id = accepted["document"]["id"]
    page = client.get(f"/api/v1/documents/{doc_id}/pages/1", headers=headers).json()
    assert page["source"] == "ocr" and "Sodium" in page["text"]
    assert page["words"] and all(w["confidence"] is not None for w in page["words"])
    low = [w for w in page["words"] if w["confidence"] < 80]
    assert [(s["begin"], s["end"]) for s in page["low_confidence_spans"]] == [
        (w["begin"], w["end"]) for w in low
    ]
    assert page["image_url"] == f"/api/v1/documents/{doc_id}/pages/1?format=png"
    image = client.get(page["image_url"], headers=headers)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    # Every word has its box, in the pixels of the image OCR read (the slip is 1400 x 500),
    # so a viewer can draw a cited span onto the rendered page.
    assert page["image_size"] == [1400, 500]
    sodium = next(w for w in page["words"] if w["text"] == "Sodium")
    left, top, right, bottom = sodium["bbox"]
    assert 0 <= left < right <= 1400 and 0 <= top < bottom <= 500
    # Second line of the slip, drawn at x=60, y=200 in 44-pixel type.
    assert 30 < left < 120 and 170 < top < 260 and bottom - top < 80
    assert page["text"][sodium["begin"] : sodium["end"]] == "Sodium"
