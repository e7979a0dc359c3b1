"""OpenEMR in the browser: the admin screen, a SMART launch from the chart, where a note landed.

Runs against the real MariaDB (an OpenEMR-shaped database per module) and the local test EHR.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Encounter, User
from clinscribe.db.session import session_scope
from clinscribe.openemr.core.schema import REQUIRED
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in
from tests.integration.openemr.conftest import PASSWORDS, openemr_url, raw
from tests.oidc_provider import CLIENT_SECRET, SMART_CLIENT_ID, OidcTestProvider
from tests.support import TenantWorld, add_note, build_tenant

__all__ = ["openemr_url"]  # the module-scoped OpenEMR database fixture, used here too

Page = Any
PHYSICIAN = str(uuid.uuid4())


@pytest.fixture
def world(settings: Settings) -> TenantWorld:
    return build_tenant(settings)


@pytest.fixture
def ehr() -> Iterator[OidcTestProvider]:
    with OidcTestProvider() as idp:
        idp.sign_in_as_practitioner(PHYSICIAN)
        yield idp


def _api(server: str, world: TenantWorld, who: str = "admin") -> httpx.Client:
    return httpx.Client(base_url=f"{server}/api/v1", headers=world.auth(who), timeout=30)


def _console_errors(watch: Watch) -> list[str]:
    # A 4xx the page shows on purpose (schema drift, a refused launch) is logged by Chromium
    # as a failed resource; anything else is a real error.
    return [e for e in watch.errors if "Failed to load resource" not in e]


@pytest.mark.timeout(180)
def test_the_admin_screen_shows_status_drift_and_syncs(
    server: str,
    world: TenantWorld,
    openemr_url: str,
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    with _api(server, world) as api:
        body = {"database_url": openemr_url, "write_back": "none", "facility_id": 3}
        assert api.put("/tenant/openemr", json=body).status_code == 200
    sign_in(page, server, world.emails["admin"], at="#/admin/openemr")
    expect(page.locator("#openemr-status")).to_contain_text(f"all {len(REQUIRED)} tables")
    expect(page.locator("#openemr-last-sync")).to_have_text("never")
    expect(page.locator("#openemr-patients")).to_have_text("0")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#openemr-patients")).to_have_text("3")
    expect(page.locator("#openemr-encounters")).to_have_text("2")
    expect(page.locator("#openemr-sync-result")).to_contain_text("Patients: 3 new")
    expect(page.locator("#openemr-last-sync")).not_to_have_text("never")
    shot(page, artifacts, "openemr-admin")

    page.get_by_label("Write signed notes back").select_option("soap")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#openemr-target")).to_contain_text("write-back on (SOAP form)")

    db = raw(openemr_url)
    with db.cursor() as cur:
        cur.execute("ALTER TABLE form_soap CHANGE `plan` `plan_renamed` longtext")
    try:
        page.reload()
        expect(page.locator("#openemr-status")).to_contain_text("form_soap.plan")
        expect(page.locator("#openemr-status")).to_have_attribute(
            "data-state", "openemr_schema_drift"
        )
        shot(page, artifacts, "openemr-drift")
    finally:
        with db.cursor() as cur:
            cur.execute("ALTER TABLE form_soap CHANGE `plan_renamed` `plan` longtext")
        db.close()
    assert not _console_errors(watch), watch.errors
    assert not watch.remote, watch.remote


def _signed_note(server: str, settings: Settings, world: TenantWorld) -> tuple[str, str]:
    """A SOAP note signed by the OpenEMR physician on OpenEMR encounter 2: (note, encounter)."""
    login = httpx.post(
        f"{server}/api/v1/auth/openemr/login",
        json={"tenant_id": world.id, "username": "physician", "password": PASSWORDS["physician"]},
    )
    assert login.status_code == 200, login.text
    with session_scope(settings.resolved_database_url) as session:
        physician = session.scalars(select(User).where(User.openemr_user_id == 2)).one()
        encounter = session.scalars(select(Encounter).where(Encounter.openemr_encounter == 2)).one()
        encounter.clinician_id = physician.id
        ids = (physician.id, encounter.id)
    doctor = dataclasses.replace(
        world,
        users={**world.users, "clinician": ids[0]},
        tokens={**world.tokens, "clinician": login.json()["access_token"]},
    )
    note_id, _ = add_note(settings, doctor, ids[1], "draft")
    sections = {"assessment": "Acute bronchitis.", "plan": "Fluids and rest."}
    with _api(server, doctor, "clinician") as api:
        assert api.patch(f"/notes/{note_id}", json={"sections": sections}).status_code == 200
        assert api.post(f"/notes/{note_id}/submit").status_code == 200
        with _api(server, doctor, "reviewer") as reviewer:
            assert reviewer.post(f"/notes/{note_id}/approve").status_code == 200
        assert api.post(f"/notes/{note_id}/sign").status_code == 200
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            placed = api.get(f"/notes/{note_id}/openemr").json()
            if placed["versions"] and placed["versions"][0]["status"] == "written":
                break
            time.sleep(0.5)
        assert placed["versions"][0]["status"] == "written", placed
    return note_id, ids[1]


@pytest.mark.timeout(240)
def test_a_launch_from_the_chart_opens_the_encounter_and_the_note_shows_its_openemr_form(
    server: str,
    settings: Settings,
    world: TenantWorld,
    openemr_url: str,
    ehr: OidcTestProvider,
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    db = raw(openemr_url)
    with db.cursor() as cur:
        cur.execute("UPDATE users SET uuid = %s WHERE id = 2", (uuid.UUID(PHYSICIAN).bytes,))
        cur.execute("SELECT uuid FROM patient_data WHERE pid = 1")
        patient = str(uuid.UUID(bytes=cur.fetchone()[0]))
        cur.execute("SELECT uuid FROM form_encounter WHERE encounter = 2")
        encounter = str(uuid.UUID(bytes=cur.fetchone()[0]))
    db.close()
    ehr.redirect_uris.add(f"{server}/smart/callback")
    with _api(server, world) as api:
        body = {"database_url": openemr_url, "write_back": "soap", "facility_id": 3}
        assert api.put("/tenant/openemr", json=body).status_code == 200
        assert api.post("/openemr/sync").status_code == 200
        smart = {
            "iss": ehr.fhir_base,
            "client_id": SMART_CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "allow_loopback": True,
        }
        assert api.put("/tenant/smart", json=smart).status_code == 200
    note_id, encounter_id = _signed_note(server, settings, world)

    launch = ehr.launch_context(patient=patient, encounter=encounter)
    page.goto(f"{server}/smart/launch?" + urlencode({"iss": ehr.fhir_base, "launch": launch}))
    page.wait_for_url(f"**/#/encounters/{encounter_id}")
    page.get_by_role("button", name="Sign out").wait_for()
    expect(page.locator("#who")).to_contain_text("(clinician)")
    shot(page, artifacts, "smart-landed")

    page.goto(f"{server}/#/notes/{note_id}")
    placement = page.locator("#openemr-placement")
    expect(placement).to_contain_text("written")
    expect(page.locator("#openemr-where")).to_contain_text("encounter 2")
    form_id = str(
        httpx.get(f"{server}/api/v1/notes/{note_id}/openemr", headers=world.auth("admin")).json()[
            "versions"
        ][0]["form_id"]
    )
    expect(placement.locator("td").nth(3)).to_have_text(form_id)
    shot(page, artifacts, "note-in-openemr")

    page.goto(
        f"{server}/smart/launch?" + urlencode({"iss": "https://evil.example/fhir", "launch": "x"})
    )
    expect(page.get_by_role("heading", name="Clinscribe could not open this chart")).to_be_visible()
    expect(page.locator("#smart-error")).to_have_attribute("data-reason", "unknown_iss")
    assert not _console_errors(watch), watch.errors
    assert not watch.remote, watch.remote
