"""An admin sets the IP allowlist (and is warned before locking themselves out), gives an API
key its own limit and reads and exports the PHI egress log, in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clinscribe.audit import egress
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any


@pytest.mark.timeout(120)
def test_an_admin_manages_network_access_key_limits_and_the_egress_log(
    server: str,
    settings: Settings,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    with session_scope(settings.resolved_database_url) as session:
        egress.record(
            session,
            tenant_id=world.id,
            processor="ehr_fhir",
            destination_url="https://ehr.example.org/fhir?secret=1",
            purpose="note_delivery",
            object_type="note",
            object_ids=["note-1"],
            byte_count=2048,
            outcome="sent",
            actor_type="system",
        )
    page, watch = browser_page
    sign_in(page, server, world.emails["admin"], "#/admin/network")
    expect(page.locator("#allowlist-you")).to_contain_text("127.0.0.1")
    networks = page.get_by_label("Allowed networks (CIDR, IPv4 or IPv6; one per line)")
    networks.fill("203.0.113.0/24")
    page.get_by_role("button", name="Save allowlist").click()
    # A list without this browser's address is not saved until the admin insists.
    expect(page.locator("#allowlist-confirm")).to_contain_text("does not include your address")
    expect(page.get_by_role("button", name="Save anyway and lock me out")).to_be_visible()
    networks.fill("127.0.0.0/8\n2001:db8::/32")
    page.get_by_role("button", name="Save allowlist").click()
    expect(page.locator("#flash")).to_have_text("IP allowlist saved.")
    expect(page.locator("#allowlist-you")).to_contain_text("which the list allows")

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name", exact=True).fill("ehr-sync")
    page.get_by_label("Requests a minute", exact=True).fill("30")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_label("Requests a minute for ehr-sync")).to_have_value("30")

    page.get_by_role("link", name="PHI egress").click()
    row = page.get_by_role("row").filter(has_text="ehr.example.org")
    expect(row).to_contain_text("note_delivery")
    expect(row).to_contain_text("2048")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    exported = artifacts / "egress.csv"
    download_info.value.save_as(exported)
    text = exported.read_text()
    assert text.startswith("id,occurred_at,") and "ehr.example.org" in text
    assert "secret" not in text
    # The one console error is the refused first save (409), which the page turned into the
    # confirmation; nothing left the machine.
    assert [e for e in watch.errors if "409" not in e] == [] and len(watch.errors) == 1
    assert not watch.remote, watch.remote
