"""Two-step verification in the browser: enrol from the QR page, sign in with a code, step up."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from clinscribe.config import Settings
from clinscribe.security import tokens
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import sign_in, world  # noqa: F401  (fixture)
from tests.mfa_support import code
from tests.support import PASSWORD, TenantWorld

Page = Any


@pytest.mark.timeout(120)
def test_an_admin_enrols_signs_in_with_a_code_and_steps_up_for_a_sensitive_change(
    server: str,
    settings: Settings,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    email = world.emails["admin"]
    sign_in(page, server, email, at="#/mfa")
    page.get_by_role("button", name="Set up").click()
    qr = page.locator("#mfa-qr")
    expect(qr).to_be_visible()
    assert (
        page.evaluate("() => document.getElementById('mfa-qr').naturalWidth") > 0
    )  # CSP lets it in
    secret = page.locator("#mfa-secret").inner_text()
    page.get_by_label("Code from the app").fill(code(secret, -1))
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("button", name="I have saved them").click()
    page.get_by_role("heading", name="Patients").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()

    # Signing in now asks for the second step.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Two-step verification").wait_for()
    page.get_by_label("Authentication code").fill(code(secret, 0))
    page.get_by_role("button", name="Verify").click()
    page.locator("#who").get_by_text(email).wait_for()

    # A session whose second factor is not current (as after a long day): a sensitive change
    # asks for a code in a dialog, then goes through.
    stale, _ = tokens.issue(
        settings,
        subject=world.users["admin"],
        tenant_id=world.id,
        role="admin",
        token_type="access",
        amr=("pwd",),
        auth_time=int(time.time()) - 3600,
    )
    page.evaluate(
        """(token) => {
          const s = JSON.parse(sessionStorage.getItem('clinscribe.session'));
          s.access = token;
          sessionStorage.setItem('clinscribe.session', JSON.stringify(s));
        }""",
        stale,
    )
    page.goto(f"{server}/#/admin/security")
    page.get_by_label("Minutes a code stays fresh for sensitive actions").fill("10")
    page.get_by_role("button", name="Save policy").click()
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    dialog.get_by_label("Authentication code").fill(code(secret, 1))
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Security policy saved.")).to_be_visible()
    expect(dialog).to_have_count(0)
    stored = json.loads(page.evaluate("() => sessionStorage.getItem('clinscribe.session')"))
    assert stored["access"] != stale  # the step-up's fresh session replaced it
    # The refused (401 mfa_required) attempt is the only console error.
    assert all("401" in e for e in watch.errors), watch.errors
    assert not watch.remote, watch.remote
