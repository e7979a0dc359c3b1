"""An expired session that cannot be refreshed returns the user to sign-in, saying why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any
EXPIRE = """() => {
  const s = JSON.parse(sessionStorage.getItem('clinscribe.session'));
  s.access = 'expired-token';
  s.refresh = 'revoked-refresh-token';
  sessionStorage.setItem('clinscribe.session', JSON.stringify(s));
}"""


@pytest.mark.timeout(60)
def test_an_unrefreshable_session_ends_at_the_sign_in_page(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    sign_in(page, server, world.emails["reviewer"])
    page.evaluate(EXPIRE)
    page.goto(f"{server}/#/patients/{world.patient_id}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Your session has ended; please sign in again.")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('clinscribe.session')") is None
    # The 401s themselves are console errors here; nothing may leave the machine.
    assert all("401" in e for e in watch.errors), watch.errors
    assert not watch.remote, watch.remote
