"""Speech the engine could not recognise is shown to the reviewer: in the transcript and draft."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from clinscribe.asr.core.coverage import gap_segment
from clinscribe.config import Settings
from clinscribe.db.models import Transcript
from clinscribe.db.session import session_scope
from clinscribe.recordings import service as recordings
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any
VISIT = (
    "[doctor] What medicines are you taking at the moment?\n"
    "[patient] I take lisinopril ten milligrams every morning.\n"
    "[doctor] Your blood pressure today is one forty two over eighty eight.\n"
)
MARKER = "[speech not recognised 4.2\u20137.9 s]"


def transcript_with_a_gap(settings: Settings, owner: TenantWorld) -> str:
    """A typed visit's transcript with a gap after the patient's answer, as the engine marks it."""
    with session_scope(settings.resolved_database_url) as session:
        _, transcript_id = recordings.from_text(
            session=session,
            settings=settings,
            principal=owner.principal("clinician"),
            encounter_id=owner.encounter_id,
            text=VISIT,
            mode=None,
        )
        row = session.get(Transcript, transcript_id)
        assert row is not None
        segments = json.loads(row.segments_json)
        gap = gap_segment(4.2, 7.9).model_dump(mode="json")
        segments.insert(2, gap)
        for i, segment in enumerate(segments):
            segment["id"] = i
        row.segments_json = json.dumps(segments)
        return transcript_id


@pytest.mark.timeout(120)
def test_a_gap_is_shown_in_the_transcript_and_the_draft(
    server: str,
    settings: Settings,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, _ = browser_page
    transcript_id = transcript_with_a_gap(settings, world)
    encounter = f"{server}/api/v1/encounters/{world.encounter_id}"
    note = httpx.post(
        f"{encounter}/notes",
        json={"template": "soap", "transcript_id": transcript_id},
        headers=world.auth("clinician"),
        timeout=60,
    )
    assert note.status_code == 201, note.text
    assert MARKER in note.json()["content"]["text"]

    sign_in(page, server, world.emails["clinician"], f"#/notes/{note.json()['id']}")
    expect(page.locator(".transcript mark.gap")).to_have_text(MARKER)
    expect(page.locator(".transcript .gap-warning")).to_contain_text("1 stretch of speech")
    expect(page.locator(".note-section", has_text=MARKER)).to_have_count(1)
    shot(page, artifacts, "speech-gap")
