"""From the visit to the record in the browser: the note review lists what signing will add,
and after signing the chart shows those entries proposed until the clinician accepts them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld
from tests.unit.clinical.test_record_preview import VISIT

Page = Any


def drafted_note(base: str, owner: TenantWorld) -> str:
    headers = owner.auth("clinician")
    encounter = f"{base}/api/v1/encounters/{owner.encounter_id}"
    assert httpx.post(f"{encounter}/text", json={"text": VISIT}, headers=headers).is_success
    note = httpx.post(f"{encounter}/notes", json={"template": "soap"}, headers=headers, timeout=90)
    assert note.status_code == 201, note.text
    return str(note.json()["id"])


@pytest.mark.timeout(240)
def test_the_note_review_lists_what_signing_adds_and_the_chart_holds_it_proposed(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    note_id = drafted_note(server, world)
    taking = httpx.post(
        f"{server}/api/v1/patients/{world.patient_id}/medications",
        json={"drug": "simvastatin", "dose": "40 mg", "frequency": "nightly"},
        headers=world.auth("clinician"),
    )
    assert taking.status_code == 201, taking.text
    sign_in(page, server, world.emails["clinician"], f"#/notes/{note_id}")
    card = page.locator("#record-preview")
    expect(card.get_by_role("heading", name="Will be added to the record")).to_be_visible()
    group = {
        name: card.locator(f".entity-group[data-resource='{name}']")
        for name in ("medication", "condition", "observation", "allergy", "order")
    }
    expect(group["medication"]).to_contain_text("lisinopril — 10 mg, daily")
    expect(group["medication"]).to_contain_text(
        "amlodipine — 5 mg, once daily (draft prescription)"
    )
    expect(group["condition"]).to_contain_text("Essential (primary) hypertension (I10)")
    expect(group["observation"].locator("li")).to_have_count(3)
    expect(group["observation"]).to_contain_text("Systolic blood pressure 150 mmHg")
    expect(group["allergy"]).to_contain_text("penicillins")
    expect(group["order"]).to_contain_text("Hemoglobin A1c — laboratory")
    expect(group["order"]).to_contain_text("Lipid panel — laboratory")
    # The note's new prescription is checked against what the patient already takes.
    alerts = card.locator("#record-preview-alerts li")
    expect(alerts).to_have_count(1)
    expect(alerts).to_contain_text("amlodipine")
    expect(alerts).to_contain_text("simvastatin")
    expect(alerts.locator(".badge")).to_have_text("moderate")
    shot(page, artifacts, "note-will-be-added")

    # A fact the clinician removes leaves the list.
    page.locator("#entities").get_by_role("button", name=re.compile("^Remove lisinopril")).click()
    expect(page.get_by_role("heading", name=re.compile("version 2"))).to_be_visible()
    expect(group["medication"]).not_to_contain_text("lisinopril")
    expect(group["medication"]).to_contain_text("amlodipine")

    # Review and sign: the card then says what went to the record.
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#note-status")).to_have_text("In review")
    approved = httpx.post(
        f"{server}/api/v1/notes/{note_id}/approve", headers=world.auth("reviewer"), timeout=30
    )
    assert approved.status_code == 200, approved.text
    page.reload()
    expect(page.locator("#note-status")).to_have_text("Approved")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#note-status")).to_have_text("Signed")
    expect(card.get_by_role("heading", name="Sent to the record")).to_be_visible()

    # In the chart, every entry waits for a decision, with the note as its source.
    card.get_by_role("link", name="Open the clinical record").click()
    expect(page.locator("#chart-header #pending-review")).to_contain_text(
        "8 proposed entries await", timeout=60_000
    )
    amlodipine = page.locator("#medications-proposed tbody tr", has_text="amlodipine")
    expect(amlodipine).to_contain_text("order (proposal)")
    expect(amlodipine.get_by_role("link", name="note v2")).to_have_attribute(
        "href", f"#/notes/{note_id}"
    )
    expect(page.locator("#medications-active tbody tr")).to_have_count(1)  # simvastatin
    shot(page, artifacts, "chart-from-note")
    amlodipine.get_by_role("button", name=re.compile("^Accept amlodipine")).click()
    expect(
        page.locator("#medications-active tbody tr", has_text=re.compile("^amlodipine"))
    ).to_contain_text("In record")
    header_amlodipine = page.locator(
        "#chart-header #summary-medications li", has_text=re.compile("^amlodipine")
    )
    expect(header_amlodipine.locator(".badge.interaction")).to_contain_text("moderate interaction")
    tabs = page.get_by_role("navigation", name="Clinical record")
    tabs.get_by_role("link", name="Orders").click()
    orders = page.locator("#orders-proposed tbody tr")
    expect(orders).to_have_count(2)
    expect(orders.first).to_contain_text("draft")
    # Accept all takes the rest in one decision (after a confirmation).
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept all 7").click()
    expect(page.locator("#flash")).to_contain_text("Accepted 7 entries")
    expect(page.locator("#orders-active tbody tr")).to_have_count(2)
    expect(page.locator("#pending-review")).to_have_count(0)
    # Systolic and diastolic read as one blood pressure in the header.
    expect(page.locator("#summary-vitals")).to_contain_text("Blood pressure 150/95 mmHg")
    tabs.get_by_role("link", name="Vitals & labs").click()
    expect(page.locator("#observations-active tbody tr")).to_have_count(3)

    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
