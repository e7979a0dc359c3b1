"""Accepting and removing extracted facts in the note editor survives a reload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any
VISIT = (
    "[doctor] What brings you in today?\n"
    "[patient] My blood pressure has been high.\n"
    "[doctor] Your blood pressure is 150 over 95 and heart rate 88.\n"
    "[doctor] You take lisinopril 10 mg daily. Start amlodipine 5 mg once daily.\n"
    "[doctor] Assessment: essential hypertension, uncontrolled.\n"
)


def drafted_note(base: str, owner: TenantWorld) -> str:
    headers = owner.auth("clinician")
    encounter = f"{base}/api/v1/encounters/{owner.encounter_id}"
    assert httpx.post(f"{encounter}/text", json={"text": VISIT}, headers=headers).is_success
    note = httpx.post(f"{encounter}/notes", json={"template": "soap"}, headers=headers, timeout=60)
    assert note.status_code == 201, note.text
    return str(note.json()["id"])


@pytest.mark.timeout(120)
def test_accepted_and_removed_facts_are_kept_with_the_note(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    note_id = drafted_note(server, world)
    sign_in(page, server, world.emails["clinician"], f"#/notes/{note_id}")
    facts = page.locator("#entities")
    expect(facts.get_by_role("heading", name="Medications")).to_be_visible()

    facts.get_by_role("button", name=re.compile("^Accept lisinopril")).click()
    expect(page.get_by_role("heading", name=re.compile("version 2"))).to_be_visible()
    facts.get_by_role("button", name=re.compile("^Remove amlodipine")).click()
    expect(page.get_by_role("heading", name=re.compile("version 3"))).to_be_visible()
    # Keyboard too: Tab to a vital's Remove button and press Enter.
    remove_pulse = facts.get_by_role("button", name=re.compile("^Remove Heart rate"))
    remove_pulse.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("version 4"))).to_be_visible()

    page.reload()
    lisinopril = facts.locator("li", has_text="lisinopril")
    amlodipine = facts.locator("li", has_text="amlodipine")
    expect(lisinopril).to_have_attribute("data-decision", "accepted")
    expect(lisinopril).to_contain_text("✓ accepted")
    expect(amlodipine).to_have_attribute("data-decision", "removed")
    expect(amlodipine).to_contain_text("✗ removed")
    expect(facts.locator("li", has_text="Heart rate")).to_have_attribute("data-decision", "removed")
    expect(facts.get_by_role("button", name=re.compile("^Restore amlodipine"))).to_be_enabled()
    versions = page.get_by_role("table", name="Note versions")
    expect(versions).to_contain_text("accepted medication lisinopril")
    expect(versions).to_contain_text("removed medication amlodipine")
    shot(page, artifacts, "facts-reviewed")

    # A restored fact is accepted again, and stays so.
    facts.get_by_role("button", name=re.compile("^Restore amlodipine")).click()
    expect(page.get_by_role("heading", name=re.compile("version 5"))).to_be_visible()
    page.reload()
    expect(amlodipine).to_have_attribute("data-decision", "accepted")

    print(f"screenshots in {artifacts}")
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
