"""Search a patient's records, draft a Client Health Report, and follow a sentence to its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.e2e.test_records import _report
from tests.support import TenantWorld

Page = Any


@pytest.mark.timeout(300)
def test_a_clinician_searches_records_and_drafts_a_cited_health_report(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    sign_in(page, server, world.emails["clinician"], f"#/patients/{world.patient_id}")
    page.get_by_role("heading", name="Records", exact=True).wait_for()
    for name, collected, glucose in (
        ("march.pdf", "2025-03-04", "7.9"),
        ("june.pdf", "2025-06-10", "6.4"),
    ):
        page.get_by_label("Document file").set_input_files(
            str(_report(tmp_path, name, collected, glucose))
        )
        page.get_by_role("button", name="Upload document").click()
        expect(page.locator("#doc-status")).to_have_text("Document ready.", timeout=60_000)

    # Search: the top chunks come back with a link to the page they were cut from.
    page.get_by_label("Search this patient's documents").fill("glucose")
    page.locator("#search").get_by_role("button", name="Search").click()
    hits = page.locator("#search-results ol.search-hits li")
    expect(hits.first).to_be_visible(timeout=30_000)
    expect(hits.first).to_contain_text("lucose")
    expect(hits.first.locator("a.source")).to_have_text("p. 1")
    shot(page, artifacts, "records-search")

    # Draft a CHR: it opens in the note editor, every sentence cites a document page.
    page.get_by_role("button", name="Draft Client Health Report").click()
    page.wait_for_url("**#/notes/**", timeout=60_000)
    sentences = page.locator("button.sentence")
    expect(sentences.first).to_be_visible(timeout=30_000)
    trend = sentences.filter(has_text="6.4")
    expect(trend.first).to_be_visible()
    trend.first.click()
    # A trend sentence cites the reports it was drawn from, oldest first.
    sources = page.locator("#sentence-sources li a.source")
    expect(sources.first).to_be_visible()
    assert sources.count() >= 2
    shot(page, artifacts, "records-report")
    sources.first.click()
    cited = page.locator("#page-text mark.cited")
    expect(cited).to_have_count(1, timeout=20_000)
    expect(cited).to_contain_text("Glucose 7.9")
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
