"""Single sign-on in the browser against a local OIDC provider: success and clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from clinscribe.accounts import sso
from clinscribe.config import Settings
from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_out
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcTestProvider
from tests.support import TenantWorld, build_tenant, unique

Page = Any


@pytest.fixture
def provider() -> Iterator[OidcTestProvider]:
    with OidcTestProvider() as idp:
        yield idp


@pytest.fixture
def settings(settings: Settings, provider: OidcTestProvider) -> Settings:
    """The app of this module trusts the test provider (the server fixture uses these)."""
    return settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
        }
    )


@pytest.fixture
def world(settings: Settings) -> TenantWorld:
    return build_tenant(settings)


def sign_in_with_sso(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign in with your organisation").click()


@pytest.mark.timeout(120)
def test_a_clinician_signs_in_through_the_organisations_provider(
    server: str,
    world: TenantWorld,
    provider: OidcTestProvider,
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    provider.redirect_uris.add(f"{server}/api/v1/auth/oidc/callback")
    email = f"{unique('sso')}@example.org"
    provider.sign_in_as(sub=unique("kc-"), email=email, roles=["clinician"], tenant=world.id)

    # Sign in: off to the provider, back through the callback, into the app.
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", name="Single sign-on")).to_be_visible()
    shot(page, artifacts, "sso-sign-in")
    sign_in_with_sso(page, server)
    expect(page.locator("#who")).to_have_text(f"{email} (clinician)")
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    assert "#/patients" in page.url
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('clinscribe.session'))")
    assert stored["access"] and stored["refresh"]  # a full session, refreshable
    shot(page, artifacts, "sso-signed-in")
    used_answer = provider.last_redirect
    assert used_answer and "code=" in used_answer
    sign_out(page)

    # The provider's answer followed again (a replay) ends on the sign-in page, explained.
    page.goto(used_answer)
    expect(page.locator("#sso-error")).to_contain_text("took too long or was already used")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()

    # A token minted for another sign-in (wrong nonce) is refused.
    provider.knobs.nonce = "not-this-sign-in"
    sign_in_with_sso(page, server)
    expect(page.locator("#sso-error")).to_contain_text("was not for this sign-in")
    shot(page, artifacts, "sso-refused")
    provider.knobs.nonce = None

    # No Clinscribe role at the provider: told so, not signed in.
    provider.user["realm_access"] = {"roles": ["nurse"]}
    sign_in_with_sso(page, server)
    expect(page.locator("#sso-error")).to_contain_text("not set up for Clinscribe")

    # The provider is down: the app says so instead of failing.
    provider.stop()
    sso._discovered.clear()  # the app would otherwise still know the endpoints
    sign_in_with_sso(page, server)
    expect(page.locator("#sso-error")).to_contain_text("cannot be reached")
    expect(page.get_by_label("Email")).to_be_visible()  # password sign-in still offered
    shot(page, artifacts, "sso-unavailable")

    print(f"screenshots in {artifacts}")
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
