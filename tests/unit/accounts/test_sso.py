"""Browser single sign-on against a real (test) OIDC provider: the good path and bad answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, User
from clinscribe.db.session import session_scope
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcTestProvider
from tests.support import TenantWorld, build_tenant, unique

BASE = "http://testserver"
CALLBACK = f"{BASE}/api/v1/auth/oidc/callback"


@pytest.fixture
def provider() -> Iterator[OidcTestProvider]:
    with OidcTestProvider() as idp:
        idp.redirect_uris.add(CALLBACK)
        yield idp


@pytest.fixture
def sso_settings(settings: Settings, provider: OidcTestProvider) -> Settings:
    return settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_redirect_base": BASE,
        }
    )


@pytest.fixture
def world(sso_settings: Settings, provider: OidcTestProvider) -> TenantWorld:
    world = build_tenant(sso_settings)
    provider.sign_in_as(
        sub=unique("kc-"),
        email=f"{unique('sso')}@example.org",
        roles=["clinician"],
        tenant=world.id,
    )
    return world


@pytest.fixture
def web(sso_settings: Settings) -> Iterator[TestClient]:
    app = create_app(sso_settings, start_worker=False)
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        yield client


def leave_for_provider(web: TestClient) -> str:
    response = web.get("/api/v1/auth/oidc/login", follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def provider_answer(authorize_url: str) -> str:
    response = httpx.get(authorize_url, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def come_back(web: TestClient, callback_url: str) -> str:
    """Follow the callback; the sign-in page's error reason, or '' on success."""
    response = web.get(callback_url, follow_redirects=False)
    assert response.status_code == 303, response.text  # never a 500, never JSON
    location = response.headers["location"]
    if location == "/#/sso":
        return ""
    assert location.startswith("/#/signin?sso_error="), location
    return location.split("=", 1)[1]


def sso_audit(settings: Settings) -> list[tuple[str, str]]:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.outcome).where(AuditEvent.action.like("auth.%"))
        ).all()
        return [(a, o) for a, o in rows]


def test_single_sign_on_opens_the_same_session_a_password_would(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider, sso_settings: Settings
) -> None:
    authorize = leave_for_provider(web)
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert authorize.startswith(provider.discovery()["authorization_endpoint"])
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == CALLBACK
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "openid" in query["scope"].split()

    assert come_back(web, provider_answer(authorize)) == ""
    exchange = provider.token_requests[-1]
    assert exchange["form"]["code_verifier"] and "client_secret" not in exchange["form"]

    pair = web.post("/api/v1/auth/oidc/session")
    assert pair.status_code == 200, pair.text
    tokens = pair.json()
    assert {"access_token", "refresh_token", "expires_in"} <= set(tokens)
    me = web.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == provider.user["email"] and me.json()["role"] == "clinician"
    assert me.json()["tenant_id"] == world.id
    # The session refreshes like a password one, and the hand-over cookie is spent.
    again = web.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 200
    assert web.post("/api/v1/auth/oidc/session").status_code == 401
    assert ("auth.login", "success") in sso_audit(sso_settings)

    # A second sign-in finds the same local user; the provider's role change applies.
    provider.user["realm_access"] = {"roles": ["reviewer"]}
    assert come_back(web, provider_answer(leave_for_provider(web))) == ""
    second = web.post("/api/v1/auth/oidc/session").json()
    me2 = web.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me2.json()["id"] == me.json()["id"] and me2.json()["role"] == "reviewer"


def test_a_forged_missing_or_stale_state_is_refused_and_audited(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider, sso_settings: Settings
) -> None:
    answer = provider_answer(leave_for_provider(web))
    forged = answer.replace("state=", "state=x")
    assert come_back(web, forged) == "state"
    # The pending sign-in is gone after any answer: the genuine one now finds nothing.
    assert come_back(web, answer) == "expired"
    # Login CSRF: an attacker's answer followed by a victim's browser is refused, whether
    # the victim has no sign-in pending or one of their own.
    attackers = provider_answer(leave_for_provider(web))
    web.cookies.clear()
    assert come_back(web, attackers) == "expired"
    leave_for_provider(web)
    assert come_back(web, attackers) == "state"
    # A tampered pending cookie does not decrypt.
    answer = provider_answer(leave_for_provider(web))
    sealed = web.cookies.get("clinscribe_sso_pending")
    assert sealed
    web.cookies.clear()
    web.cookies.set(
        "clinscribe_sso_pending", sealed[:-6] + "AAAAAA", path="/api/v1/auth/oidc/callback"
    )
    assert come_back(web, answer) == "expired"
    audit = sso_audit(sso_settings)
    assert ("auth.sso.state", "denied") in audit and ("auth.sso.expired", "denied") in audit
    with session_scope(sso_settings.resolved_database_url) as session:
        assert session.execute(select(User).where(User.oidc_subject.is_not(None))).first() is None


def test_a_replayed_code_is_refused_by_the_provider(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider
) -> None:
    authorize = leave_for_provider(web)
    sealed = web.cookies.get("clinscribe_sso_pending")
    answer = provider_answer(authorize)
    assert come_back(web, answer) == ""
    # An attacker holding both the answer and the pending cookie still cannot use the code.
    web.cookies.clear()
    web.cookies.set("clinscribe_sso_pending", str(sealed), path="/api/v1/auth/oidc/callback")
    assert come_back(web, answer) == "exchange"


@pytest.mark.parametrize(
    ("knob", "reason"),
    [
        ({"nonce": "someone-elses-nonce"}, "nonce"),
        ({"id_claims": {"aud": "another-client"}}, "id_token"),
        ({"id_claims": {"iss": "https://evil.example.test"}}, "id_token"),
        ({"id_claims": {"exp": 1_000_000}}, "id_token"),
        ({"other_key": True}, "id_token"),
        ({"id_claims": {"realm_access": {"roles": ["nurse"]}}}, "account"),
        ({"id_claims": {"tenant": "no-such-tenant"}}, "account"),
        ({"deny": "access_denied"}, "denied"),
    ],
)
def test_bad_answers_from_the_provider_end_on_the_sign_in_page(
    web: TestClient,
    world: TenantWorld,
    provider: OidcTestProvider,
    sso_settings: Settings,
    knob: dict[str, object],
    reason: str,
) -> None:
    for name, value in knob.items():
        setattr(provider.knobs, name, value)
    assert come_back(web, provider_answer(leave_for_provider(web))) == reason
    assert web.post("/api/v1/auth/oidc/session").status_code == 401
    assert (f"auth.sso.{reason}", "denied") in sso_audit(sso_settings)


def test_roles_only_in_the_access_token_are_used_when_it_is_the_same_person(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider
) -> None:
    provider.knobs.roles_in_access_token = True
    assert come_back(web, provider_answer(leave_for_provider(web))) == ""
    tokens = web.post("/api/v1/auth/oidc/session").json()
    me = web.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["role"] == "clinician" and me.json()["tenant_id"] == world.id
    # Someone else's access token next to this person's ID token maps to nobody.
    real = provider.access_token
    provider.access_token = lambda grant: real(  # type: ignore[method-assign]
        replace(grant, claims={**grant.claims, "sub": "someone-else"})
    )
    assert come_back(web, provider_answer(leave_for_provider(web))) == "account"


def test_an_email_already_used_locally_is_not_taken_over(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider
) -> None:
    provider.user["email"] = world.emails["admin"]
    provider.user["realm_access"] = {"roles": ["admin"]}
    assert come_back(web, provider_answer(leave_for_provider(web))) == "account"


def test_a_provider_that_is_down_is_reported_not_a_server_error(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider, sso_settings: Settings
) -> None:
    answer = provider_answer(leave_for_provider(web))  # discovery is cached from here on
    provider.stop()
    assert come_back(web, answer) == "unavailable"
    assert ("auth.sso.unavailable", "error") in sso_audit(sso_settings)

    with OidcTestProvider() as gone:
        issuer = gone.issuer
    cold = sso_settings.model_copy(update={"oidc_issuer": issuer})
    with TestClient(create_app(cold, start_worker=False), base_url=BASE) as client:
        response = client.get("/api/v1/auth/oidc/login", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/#/signin?sso_error=unavailable"


def test_without_a_client_id_there_is_no_browser_sign_in(settings: Settings) -> None:
    with TestClient(create_app(settings, start_worker=False), base_url=BASE) as client:
        login = client.get("/api/v1/auth/oidc/login", follow_redirects=False)
        assert login.headers["location"] == "/#/signin?sso_error=not_configured"
        back = client.get("/api/v1/auth/oidc/callback?code=x&state=y", follow_redirects=False)
        assert back.headers["location"] == "/#/signin?sso_error=not_configured"
        assert client.post("/api/v1/auth/oidc/session").status_code == 401
        assert 'data-sso="off"' in client.get("/").text


def test_oversized_callback_parameters_are_a_client_error(web: TestClient) -> None:
    response = web.get(f"/api/v1/auth/oidc/callback?code={'x' * 5000}", follow_redirects=False)
    assert response.status_code == 422


def test_prod_needs_https_for_single_sign_on(settings: Settings) -> None:
    prod = settings.model_copy(
        update={
            "profile": "prod",
            "oidc_issuer": "http://idp.example.test/realms/x",
            "oidc_client_id": CLIENT_ID,
        }
    )
    problems = " ".join(prod.prod_problems())
    assert "CLINSCRIBE_OIDC_REDIRECT_BASE" in problems and "CLINSCRIBE_OIDC_ISSUER" in problems
    fine = prod.model_copy(
        update={
            "oidc_issuer": "https://idp.example.test/realms/x",
            "oidc_redirect_base": "https://scribe.example.test",
        }
    )
    assert not any("OIDC" in p for p in fine.prod_problems())


def test_the_providers_second_factor_satisfies_mandatory_mfa_and_step_up(
    web: TestClient, world: TenantWorld, provider: OidcTestProvider
) -> None:
    policy = {"mfa_required_roles": ["admin"], "step_up_minutes": 5}
    assert web.put("/api/v1/tenant/security", headers=world.auth("admin"), json=policy).is_success
    for amr, expected in ((["pwd", "otp"], 200), (["pwd"], 403)):
        provider.sign_in_as(
            sub=unique("kc-"),
            email=f"{unique('sso')}@example.org",
            roles=["admin"],
            tenant=world.id,
            amr=amr,
        )
        assert come_back(web, provider_answer(leave_for_provider(web))) == ""
        access = web.post("/api/v1/auth/oidc/session").json()["access_token"]
        # A sensitive action (it needs a recent second factor): the provider's counts.
        response = web.put(
            "/api/v1/tenant/retention",
            headers={"Authorization": f"Bearer {access}"},
            json={"retention_days": 3650},
        )
        assert response.status_code == expected, (amr, response.text)
        if expected == 403:  # without one, this MFA-mandatory role may only enrol
            assert response.json()["error"] == "mfa_enrolment_required"
