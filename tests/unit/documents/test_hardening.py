"""Hostile and edge input on the documents API: always a clear 4xx, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.support import TenantWorld
from tests.unit.documents import samples
from tests.unit.documents.test_api import ingest


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
