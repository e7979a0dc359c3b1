"""Hostile and edge input on the documents API: always a clear 4xx, never a 500."""

from __future__ import annotations

import base64
import io

from fastapi.testclient import TestClient
from fpdf import FPDF
from PIL import Image

from clinscribe.config import Settings
from clinscribe.db.models import Document
from clinscribe.db.session import session_scope
from clinscribe.documents import chart
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from tests.support import TenantWorld
from tests.unit.documents import samples
from tests.unit.documents.test_api import actions, ingest, run_job, upload


def test_a_page_number_out_of_range_or_not_an_integer_is_a_4xx(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    doc_id = ingest(client, settings, tenant_a, samples.text_pdf([samples.LAB_LINES]))
    headers = tenant_a.auth("clinician")
    base = f"/api/v1/documents/{doc_id}/pages"
    assert client.get(f"{base}/1", headers=headers).status_code == 200
    # Past the last page of this document: not found.
    assert client.get(f"{base}/2", headers=headers).status_code == 404
    for number in ("0", "-1", "abc", "1.5", "99999999999999999999999", str(2**63)):
        for fmt in ("json", "png"):
            response = client.get(f"{base}/{number}?format={fmt}", headers=headers)
            assert response.status_code == 422, (number, fmt, response.text)
            assert response.json()["error"] == "validation_error"


def _pixels(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.size


def test_a_page_image_is_never_rendered_larger_than_the_viewer_cap(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    # The largest page PDF allows (200 x 200 inches): at 110 dpi that would be ~480 MP.
    pdf = FPDF(unit="pt", format=(14400, 14400))
    pdf.add_page()
    pdf.set_font("Helvetica", size=40)
    pdf.cell(0, 50, "Sodium 139 mmol/L")
    doc_id = ingest(client, settings, tenant_a, bytes(pdf.output()))
    response = client.get(
        f"/api/v1/documents/{doc_id}/pages/1?format=png", headers=tenant_a.auth("clinician")
    )
    assert response.status_code == 200
    width, height = _pixels(response.content)
    assert width * height <= chart.RENDER_MAX_PIXELS * 1.01
    assert width > 1000  # shrunk to the cap, not to a thumbnail
    # A large photo (within the upload limit) is shrunk the same way, keeping its shape.
    photo = io.BytesIO()
    Image.new("L", (4000, 3000), 255).save(photo, format="PNG")
    width, height = _pixels(
        chart.render_page(photo.getvalue(), "image/png", 1, settings.document_max_pixels)
    )
    assert width * height <= chart.RENDER_MAX_PIXELS and abs(width / height - 4 / 3) < 0.01
    # An ordinary page is untouched: 110 dpi of A4.
    normal = chart.render_page(
        samples.text_pdf([samples.LAB_LINES]), "application/pdf", 1, settings.document_max_pixels
    )
    width, height = _pixels(normal)
    assert abs(width - 210 / 25.4 * chart.RENDER_DPI) < 2


def _blob_key(settings: Settings, document_id: str) -> str:
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Document, document_id)
        assert row is not None and row.blob_key is not None
        return row.blob_key


def test_a_failed_extraction_keeps_the_file_and_can_be_retried(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    good = samples.text_pdf([samples.LAB_LINES])
    accepted = upload(client, tenant_a, good).json()  # type: ignore[attr-defined]
    doc_id = accepted["document"]["id"]
    headers = tenant_a.auth("clinician")
    retry_url = f"/api/v1/documents/{doc_id}/retry"
    # Only a failed document is retried: a queued one is not.
    conflict = client.post(retry_url, headers=headers)
    assert conflict.status_code == 409 and conflict.json()["error"] == "document_not_failed"
    # The stored file is damaged after acceptance, so extraction fails for good.
    blobs = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    key = _blob_key(settings, doc_id)
    blobs.put(key, io.BytesIO(samples.corrupt_pdf()), max_bytes=10**6)
    run_job(settings, accepted["job"]["id"])
    detail = client.get(f"/api/v1/documents/{doc_id}", headers=headers).json()
    assert detail["document"]["status"] == "failed" and detail["pages"] == []
    # The file is kept: it can still be downloaded, and retried.
    link = client.get(f"/api/v1/documents/{doc_id}/download-url", headers=headers).json()
    assert client.get(link["url"]).content == samples.corrupt_pdf()
    assert client.post(retry_url, headers=tenant_b.auth("clinician")).status_code == 404
    assert client.post(retry_url, headers=tenant_a.auth("reviewer")).status_code == 403
    blobs.put(key, io.BytesIO(good), max_bytes=10**6)  # the file is restored
    retried = client.post(retry_url, headers=headers)
    assert retried.status_code == 202, retried.text
    job_id = retried.json()["job"]["id"]
    assert job_id != accepted["job"]["id"] and retried.json()["document"]["status"] == "stored"
    assert retried.headers["location"] == f"/api/v1/jobs/{job_id}"
    run_job(settings, job_id)
    detail = client.get(f"/api/v1/documents/{doc_id}", headers=headers).json()
    assert detail["document"]["status"] == "ready" and detail["document"]["error"] is None
    assert detail["job"]["id"] == job_id and detail["summary"]["labs"] >= 4
    assert client.post(retry_url, headers=headers).status_code == 409
    assert "document.retry" in actions(settings, doc_id)


def test_a_failed_document_whose_file_is_gone_is_not_retried(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    accepted = upload(client, tenant_a, samples.text_pdf([samples.LAB_LINES])).json()  # type: ignore[attr-defined]
    doc_id = accepted["document"]["id"]
    blobs = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    blobs.delete(_blob_key(settings, doc_id))
    run_job(settings, accepted["job"]["id"])
    headers = tenant_a.auth("clinician")
    assert (
        client.get(f"/api/v1/documents/{doc_id}", headers=headers).json()["document"]["status"]
        == "failed"
    )
    response = client.post(f"/api/v1/documents/{doc_id}/retry", headers=headers)
    assert response.status_code == 404 and "upload it again" in response.json()["detail"]


def test_plain_text_in_utf16_or_latin1_is_read_not_refused(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    lines = "\n".join(samples.LAB_LINES) + "\nComment: prélèvement reçu, créatinine en µmol/L\n"
    headers = tenant_a.auth("clinician")
    for encoded in (lines.encode("utf-16"), lines.encode("latin-1"), lines.encode("cp1252")):
        doc_id = ingest(client, settings, tenant_a, encoded)
        page = client.get(f"/api/v1/documents/{doc_id}/pages/1", headers=headers).json()
        assert page["text"] == lines
        labs = client.get(
            f"/api/v1/patients/{tenant_a.patient_id}/documents/labs", headers=headers
        ).json()["observations"]
        sodium = [o for o in labs if o["document_id"] == doc_id and o["canonical"] == "Sodium"]
        assert [o["value"] for o in sodium] == [139.0]
    # Bytes that are not text in any of these encodings are still refused.
    for binary in (bytes(range(256)) * 4, b"abc\x00def" * 10):
        response = upload(client, tenant_a, binary, "notes.txt", "text/plain")
        assert response.status_code == 415  # type: ignore[attr-defined]


def test_an_empty_resumable_upload_for_a_patient_is_refused_as_empty(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    meta = f"patient_id {base64.b64encode(tenant_a.patient_id.encode()).decode()}"
    response = client.post(
        "/api/v1/uploads",
        headers={
            **tenant_a.auth("clinician"),
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "0",
            "Upload-Metadata": meta,
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "document_empty"
    documents = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/documents", headers=tenant_a.auth("clinician")
    )
    assert documents.json() == []
