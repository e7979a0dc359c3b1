"""Lab results read from a document enter the chart as proposed entries whose source opens the
page with the result's span highlighted."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinscribe.config import Settings
from clinscribe.db.models import LabObservation
from clinscribe.db.session import session_scope
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import LAB_TEXT, TenantWorld, add_document

Page = Any


def stored_lab(settings: Settings, owner: TenantWorld) -> str:
    """A document of the patient with one glucose result read from its first page."""
    document_id, _ = add_document(settings, owner, owner.patient_id)
    begin = LAB_TEXT.index("Glucose")
    with session_scope(settings.resolved_database_url) as session:
        session.add(
            LabObservation(
                tenant_id=owner.id,
                patient_id=owner.patient_id,
                document_id=document_id,
                page=1,
                span_begin=begin,
                span_end=begin + len("Glucose 7.9 mmol/L (3.9-5.5) H"),
                analyte_printed="Glucose",
                canonical="Glucose",
                loinc="2345-7",
                value=7.9,
                value_printed="7.9",
                unit="mmol/L",
                ucum="mmol/L",
                ref_low=3.9,
                ref_high=5.5,
                flag="H",
                effective_date=date(2025, 3, 4),
                low_confidence=False,
            )
        )
    return document_id


@pytest.mark.timeout(180)
def test_document_results_are_proposed_and_cite_their_page(
    server: str,
    settings: Settings,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    document_id = stored_lab(settings, world)
    sign_in(page, server, world.emails["clinician"], f"#/patients/{world.patient_id}/chart/vitals")
    page.get_by_role("button", name="Propose results from documents").click()
    expect(page.locator("#flash")).to_have_text(
        "Proposed 1 entry from documents for your review.", timeout=30_000
    )
    glucose = page.locator("#observations-proposed tbody tr", has_text="Glucose")
    expect(glucose).to_contain_text("7.9 mmol/L")
    expect(glucose.locator(".badge.flag-H")).to_be_visible()
    # Proposed results are not charted until accepted.
    expect(page.locator("#trend-charts figure")).to_have_count(0)
    shot(page, artifacts, "chart-document-proposed")
    # A second import finds nothing new.
    page.get_by_role("button", name="Propose results from documents").click()
    expect(page.locator("#flash")).to_have_text("Nothing new in the documents.")

    glucose.get_by_role("link", name="document p. 1").click()
    expect(page).to_have_url(re.compile(f"#/documents/{document_id}/pages/1\\?begin="))
    expect(page.locator("#page-text mark.cited")).to_contain_text("Glucose 7.9")
    page.go_back()
    page.get_by_role("button", name=re.compile("^Accept Glucose")).click()
    expect(page.locator("#observations-active tbody tr", has_text="Glucose")).to_have_count(1)
    expect(page.locator("#trend-charts figure[data-code='2345-7'] circle")).to_have_count(1)

    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
