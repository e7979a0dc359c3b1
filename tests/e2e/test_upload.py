"""A recording uploaded through the resumable (tus) path is transcribed and can be played."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any


@pytest.mark.timeout(180)
def test_an_uploaded_recording_shows_progress_then_a_playable_transcript(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    dictation_wav: Path,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    sign_in(page, server, world.emails["clinician"], f"#/encounters/{world.encounter_id}")
    # A small file goes up in one multipart request.
    page.get_by_label("Audio file").set_input_files(str(dictation_wav))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-status")).to_have_text("Transcript ready.", timeout=120_000)
    expect(page.get_by_label("Transcript", exact=True).locator("option")).to_have_count(1)
    # Lower the threshold so the same file goes through tus (create, PATCH, complete).
    page.evaluate("() => localStorage.setItem('clinscribe.tusThreshold', '1024')")
    page.reload()
    page.get_by_role("heading", name="Capture").wait_for()
    page.get_by_label("Audio file").set_input_files(str(dictation_wav))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-status")).to_have_text("Transcript ready.", timeout=120_000)
    expect(page.get_by_label("Transcript", exact=True).locator("option")).to_have_count(2)
    assert page.locator("#upload-progress").get_attribute("value") == "1"
    segments = page.locator("#transcript-view .segment")
    expect(segments.first).to_be_visible()
    assert "chest pain" in page.locator("#transcript-view").inner_text().lower()
    # "lisinopril" is misheard by the model and corrected; the mark says what was heard.
    corrected = page.locator("#transcript-view mark.corrected").first
    expect(corrected).to_have_attribute("title", re.compile("heard"))
    segments.nth(1).get_by_role("button", name="Play from").click()
    expect(page.locator(".play-status")).to_contain_text("Playing from 0:0", timeout=20_000)
    shot(page, artifacts, "upload-transcript")
    page.get_by_role("button", name="Stop audio").click()
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
