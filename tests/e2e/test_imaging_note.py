"""Imaging in the note editor: the patient's study is attached with one click, then shows as a
link with the sentence that mentions it, and the link draws the study's first image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld
from tests.unit.imaging.dicom_samples import ct

Page = Any


def drafted_note(base: str, owner: TenantWorld) -> str:
    """A note drafted from one short dictated line (drafting a long visit costs seconds)."""
    headers = owner.auth("clinician")
    encounter = f"{base}/api/v1/encounters/{owner.encounter_id}"
    text = {"text": "Cough for three days. Chest film reviewed."}
    assert httpx.post(f"{encounter}/text", json=text, headers=headers).is_success
    note = httpx.post(f"{encounter}/notes", json={"template": "soap"}, headers=headers, timeout=90)
    assert note.status_code == 201, note.text
    return str(note.json()["id"])


@pytest.mark.timeout(240)
def test_a_study_is_attached_in_the_note_editor_and_previewed_from_its_link(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, _ = browser_page
    headers = world.auth("clinician")
    note_id = drafted_note(server, world)
    edited = httpx.patch(
        f"{server}/api/v1/notes/{note_id}",
        json={"sections": {"objective": "The chest film shows no consolidation."}},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    uploaded = httpx.post(
        f"{server}/api/v1/patients/{world.patient_id}/studies",
        files=[("files", ("ct.dcm", ct(), "application/dicom"))],
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    sign_in(page, server, world.emails["clinician"], f"#/notes/{note_id}")
    card = page.locator("#note-studies")
    expect(card.get_by_role("heading", name="Imaging")).to_be_visible()
    card.locator("#available-studies").get_by_role("button", name="Attach").click()
    attached = page.locator("#attached-studies li")
    expect(attached).to_have_count(1)
    expect(attached).to_contain_text("CT chest")
    expect(attached).to_contain_text("The chest film shows no consolidation.")
    attached.locator("a.study-link").click()
    expect(attached.locator("canvas.study-preview")).to_be_visible()
    shot(page, artifacts, "note-imaging")
