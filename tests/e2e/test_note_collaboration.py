"""Two clinicians on one note in two browsers: each sees the other, the second one's stale save
is refused and merged, and the note ends up with both edits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from clinscribe.config import Settings
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld, add_co_clinician, add_note

Page = Any
MINE_A = "Rapid strep test today."
MINE_B = "Benzonatate 100 mg three times a day."


@pytest.mark.timeout(240)
def test_two_clinicians_see_each_other_and_a_stale_save_is_merged_not_lost(
    server: str,
    settings: Settings,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page_a, watch = browser_page
    add_co_clinician(settings, world, "Dr Second")
    note_id, _ = add_note(settings, world, world.encounter_id)
    context_b = page_a.context.browser.new_context(viewport={"width": 1280, "height": 900})
    page_b = context_b.new_page()
    page_b.set_default_timeout(20_000)
    page_b.on("pageerror", watch.page_error)
    try:
        sign_in(page_a, server, world.emails["clinician"], f"#/notes/{note_id}")
        sign_in(page_b, server, world.emails["co_clinician"], f"#/notes/{note_id}")
        presence_a, presence_b = page_a.locator("#note-presence"), page_b.locator("#note-presence")
        expect(presence_a).to_contain_text("Dr Second")
        expect(presence_a).to_contain_text("(clinician)")
        expect(presence_b).to_contain_text(world.emails["clinician"])

        # Both open the editor on version 1; each sees the other editing it.
        page_a.get_by_role("button", name="Edit", exact=True).click()
        page_b.get_by_role("button", name="Edit", exact=True).click()
        expect(presence_a.locator(".editing-marker")).to_have_text("editing v1")
        expect(presence_b.locator(".editing-marker")).to_have_text("editing v1")
        shot(page_a, artifacts, "collab-both-editing")

        # A saves first.
        page_a.get_by_label("Plan", exact=True).fill(MINE_A)
        page_a.get_by_role("button", name="Save changes").click()
        expect(page_a.get_by_role("heading", name=re.compile("version 2"))).to_be_visible()
        banner = page_b.locator("#note-banner")
        expect(banner).to_contain_text(world.emails["clinician"])
        expect(banner).to_contain_text("saved version 2 (changed: plan)")

        # B's save, made on version 1, is refused and offered as a merge.
        page_b.get_by_label("Plan", exact=True).fill(MINE_B)
        page_b.get_by_role("button", name="Save changes").click()
        merge = page_b.locator("#note-merge")
        expect(merge).to_contain_text("Version 2 was saved while you edited")
        expect(merge.locator("pre.theirs")).to_have_text(MINE_A)
        expect(merge.locator("pre.mine")).to_have_text(MINE_B)
        combined = merge.get_by_label("Combined Plan")
        expect(combined).to_have_value(MINE_B)
        merge.get_by_role("button", name="Take theirs (Plan)").click()
        expect(combined).to_have_value(MINE_A)
        combined.fill(f"{MINE_A} {MINE_B}")
        shot(page_b, artifacts, "collab-merge")
        merge.get_by_role("button", name="Save merged version").click()
        expect(page_b.get_by_role("heading", name=re.compile("version 3"))).to_be_visible()
        # A, still on version 2, is told of version 3 by B.
        expect(page_a.locator("#note-banner")).to_contain_text("Dr Second saved version 3")
    finally:
        context_b.close()

    note = httpx.get(f"{server}/api/v1/notes/{note_id}", headers=world.auth("clinician")).json()
    plan = next(s["text"] for s in note["content"]["sections"] if s["key"] == "plan")
    assert note["version"] == 3 and plan == f"{MINE_A} {MINE_B}"
    assert not [e for e in watch.errors if "409" not in e], watch.errors
    assert watch.remote == []
