"""Hostile and edge input on the documents API: always a clear 4xx, never a 500."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from fpdf import FPDF
from PIL import Image

from clinscribe.config import Settings
from clinscribe.documents import chart
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
