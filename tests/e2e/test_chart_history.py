"""A long lab history: the vitals tab loads every page of it for the trend and lists the newest
200 in its table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clinscribe.config import Settings
from clinscribe.db.models import ClinicalObservation
from clinscribe.db.session import session_scope
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any
COUNT = 450  # three pages of the API's 200


def long_history(settings: Settings, owner: TenantWorld) -> None:
    start = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    with session_scope(settings.resolved_database_url) as session:
        for i in range(COUNT):
            session.add(
                ClinicalObservation(
                    tenant_id=owner.id,
                    patient_id=owner.patient_id,
                    state="active",
                    sources=[{"kind": "device"}],
                    category="laboratory",
                    code="2345-7",
                    display="Glucose",
                    value_quantity=80 + i % 40,
                    unit="mg/dL",
                    effective_at=start + timedelta(hours=12 * i),
                    source="device",
                )
            )


@pytest.mark.timeout(180)
def test_every_page_of_a_long_history_reaches_the_trend(
    server: str,
    settings: Settings,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    long_history(settings, world)
    sign_in(page, server, world.emails["clinician"], f"#/patients/{world.patient_id}/chart/vitals")
    chart = page.locator("#trend-charts figure[data-code='2345-7']")
    expect(chart.locator("circle")).to_have_count(COUNT, timeout=30_000)
    expect(chart).to_contain_text(f"({COUNT} values)")
    expect(page.locator("#observations-active tbody tr")).to_have_count(200)
    expect(page.get_by_text(f"Showing the newest 200 of {COUNT}")).to_be_visible()
    # Newest first: the last value seeded heads the table.
    last = 80 + (COUNT - 1) % 40
    expect(page.locator("#observations-active tbody tr").first).to_contain_text(f"{last} mg/dL")
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
