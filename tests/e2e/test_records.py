"""A patient's chart: documents uploaded with progress, lab trends and flags, the cited span."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld
from tests.unit.documents import samples

Page = Any


def _report(tmp: Path, name: str, collected: str, glucose: str) -> Path:
    lines = [
        line.replace("2025-03-04", collected).replace("7.9 ", f"{glucose} ")
        for line in samples.LAB_LINES
    ]
    path = tmp / name
    path.write_bytes(samples.text_pdf([lines]))
    return path


@pytest.mark.timeout(240)
def test_a_clinician_uploads_records_and_follows_a_result_to_its_page(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    first = _report(tmp_path, "march.pdf", "2025-03-04", "7.9")
    second = _report(tmp_path, "june.pdf", "2025-06-10", "6.4")
    sign_in(page, server, world.emails["clinician"], f"#/patients/{world.patient_id}")
    page.get_by_role("heading", name="Records", exact=True).wait_for()
    for report in (first, second):
        page.get_by_label("Document file").set_input_files(str(report))
        page.get_by_role("button", name="Upload document").click()
        expect(page.locator("#doc-status")).to_have_text("Document ready.", timeout=60_000)
        assert page.locator("#doc-progress").get_attribute("value") == "1"
    documents = page.locator("#documents-table tbody tr")
    expect(documents).to_have_count(2)
    expect(documents.first).to_contain_text("ready")
    glucose = page.locator("#labs-table tbody tr", has_text="6.4")
    expect(glucose).to_have_count(1)
    expect(glucose.locator(".badge")).to_have_text("H")
    # The trend holds both reports' values, oldest first.
    expect(glucose.locator("svg.sparkline circle")).to_have_count(2)
    assert glucose.locator("svg.sparkline").get_attribute("aria-label") == "trend: 7.9, 6.4"
    shot(page, artifacts, "records-chart")
    glucose.get_by_role("link", name="p. 1").click()
    cited = page.locator("#page-text mark.cited")
    expect(cited).to_have_count(1)
    expect(cited).to_contain_text("6.4")
    expect(page.locator("#page-image")).to_be_visible(timeout=20_000)
    shot(page, artifacts, "records-page")
    page.get_by_role("link", name="← Patient").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#documents-table tbody tr", has_text="march.pdf").get_by_role(
        "button", name="Delete"
    ).click()
    expect(page.locator("#documents-table tbody tr")).to_have_count(1)
    expect(page.locator("#labs-table svg.sparkline circle").first).to_be_visible()
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote


@pytest.mark.timeout(240)
def test_a_cited_result_on_a_scanned_page_is_highlighted_on_the_page_image(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    slip = tmp_path / "slip.png"
    slip.write_bytes(samples.scanned_slip())
    sign_in(page, server, world.emails["clinician"], f"#/patients/{world.patient_id}")
    page.get_by_role("heading", name="Records", exact=True).wait_for()
    page.get_by_label("Document file").set_input_files(str(slip))
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator("#doc-status")).to_have_text("Document ready.", timeout=90_000)
    sodium = page.locator("#labs-table tbody tr", has_text="139")
    expect(sodium).to_have_count(1)
    sodium.get_by_role("link", name="p. 1").click()
    expect(page.locator("#page-text mark.cited")).to_contain_text("139")
    # The OCR boxes of the cited words are drawn onto the page image as well.
    image = page.locator("#page-image")
    expect(image).to_be_visible(timeout=20_000)
    expect(image).to_have_attribute("aria-label", "Page image, cited words highlighted")
    assert int(image.get_attribute("data-highlights") or "0") >= 1
    shot(page, artifacts, "records-scan-highlight")
    assert not watch.errors, watch.errors
