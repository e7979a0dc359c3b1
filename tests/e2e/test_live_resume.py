"""A live dictation survives a dropped connection: the UI says so, resumes, and finishes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any


@pytest.mark.timeout(120)
def test_a_dropped_live_connection_resumes_and_the_transcript_is_complete(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    links: list[tuple[Any, Any]] = []

    def proxy(ws: Any) -> None:  # pass frames through, keeping both ends to cut later
        links.append((ws, ws.connect_to_server()))

    page.route_web_socket(re.compile(r"/api/v1/stream"), proxy)
    sign_in(page, server, world.emails["clinician"], f"#/encounters/{world.encounter_id}")
    page.get_by_role("button", name="● Record").click()
    state = page.locator("#live-state")
    expect(state).to_have_attribute("data-state", "live", timeout=30_000)
    expect(page.locator("#live-partial")).not_to_be_empty(timeout=60_000)

    # Drop the page's end only: the proxy then closes the server end itself, after the frames
    # already on their way. Closing the server end first from here races the proxy, which
    # would forward an in-flight frame into its own closing socket (a harness artefact, not
    # the client's: the client never sends on a socket that is not open).
    page_side, _server_side = links[0]
    page_side.close(code=4000, reason="network blip")
    expect(state).to_have_attribute("data-state", re.compile("disconnected|reconnecting"))
    expect(state).to_have_text(re.compile(r"Recording — live \(resumed\)"), timeout=30_000)
    assert len(links) >= 2

    expect(page.locator("#live-finals")).to_contain_text(
        re.compile(r"(three|3) months", re.IGNORECASE), timeout=90_000
    )
    page.get_by_role("button", name="Stop").click()
    expect(state).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#transcript-view .segment").first).to_be_visible()
    assert "chest pain" in page.locator("#transcript-view").inner_text().lower()
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
