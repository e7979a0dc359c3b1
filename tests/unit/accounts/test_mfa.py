"""TOTP second factor: enrolment, sign-in with a code, recovery codes, replay, removal."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, MfaRecoveryCode, UserMfa
from clinscribe.db.session import session_scope
from clinscribe.security import tokens
from tests.mfa_support import MFA, code, enrol, sign_in
from tests.support import TenantWorld

VERIFY = f"{MFA}/verify"


def test_enrolment_shows_a_qr_code_seals_the_secret_and_confirming_gives_recovery_codes(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    started = client.post(f"{MFA}/enrol", headers=tenant_a.auth("clinician")).json()
    uri = urlsplit(started["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [started["secret"]]
    assert started["qr_code"].startswith("data:image/svg+xml")
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(UserMfa, tenant_a.users["clinician"])
        assert row is not None and row.confirmed_at is None
        assert started["secret"] not in row.secret_encrypted
    # Not active until confirmed: the password alone still signs in.
    assert "access_token" in sign_in(client, tenant_a.emails["clinician"])

    enrolled = enrol(client, tenant_a.auth("clinician"))  # a new secret replaces the pending one
    assert enrolled.secret != started["secret"]
    assert len(set(enrolled.recovery_codes)) == 10
    with session_scope(settings.resolved_database_url) as session:
        hashes = session.scalars(
            select(MfaRecoveryCode.code_hash).where(
                MfaRecoveryCode.user_id == tenant_a.users["clinician"]
            )
        ).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2id") for h in hashes)
    assert not set(enrolled.recovery_codes) & set(hashes)
    again = client.post(
        f"{MFA}/confirm", headers=tenant_a.auth("clinician"), json={"code": "123456"}
    )
    assert again.json()["error"] == "mfa_already_enrolled"
    status = client.get(MFA, headers=enrolled.bearer()).json()
    assert status == {"enrolled": True, "required": False}


def test_password_sign_in_then_a_code_opens_a_session_and_the_code_cannot_be_replayed(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    enrolled = enrol(client, tenant_a.auth("clinician"))
    challenge = sign_in(client, tenant_a.emails["clinician"])
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    # The ticket opens nothing but the second step.
    as_bearer = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {challenge['mfa_token']}"}
    )
    assert as_bearer.status_code == 401
    now = code(enrolled.secret, 0)
    done = client.post(VERIFY, json={"mfa_token": challenge["mfa_token"], "code": now})
    assert done.status_code == 200, done.text
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {done.json()['access_token']}"}
    )
    assert me.json()["id"] == tenant_a.users["clinician"]
    replay = client.post(VERIFY, json={"mfa_token": challenge["mfa_token"], "code": now})
    assert (replay.status_code, replay.json()["error"]) == (401, "invalid_mfa_code")
    # The confirmation's (earlier) step is refused too: steps only move forward.
    older = client.post(
        VERIFY, json={"mfa_token": challenge["mfa_token"], "code": code(enrolled.secret, -1)}
    )
    assert older.status_code == 401


def test_a_recovery_code_works_once(client: TestClient, tenant_a: TenantWorld) -> None:
    enrolled = enrol(client, tenant_a.auth("reviewer"))
    spare = enrolled.recovery_codes[3]
    first = sign_in(client, tenant_a.emails["reviewer"])
    used = client.post(
        VERIFY, json={"mfa_token": first["mfa_token"], "recovery_code": spare.upper()}
    )
    assert used.status_code == 200, used.text
    second = sign_in(client, tenant_a.emails["reviewer"])
    again = client.post(VERIFY, json={"mfa_token": second["mfa_token"], "recovery_code": spare})
    assert (again.status_code, again.json()["error"]) == (401, "invalid_mfa_code")


def test_bad_inputs_are_clear_4xx(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    enrolled = enrol(client, tenant_a.auth("admin"))
    ticket = sign_in(client, tenant_a.emails["admin"])["mfa_token"]
    for body in (
        {"mfa_token": ticket, "code": "12345"},  # too short
        {"mfa_token": ticket, "code": "abcdef"},  # not digits
        {"mfa_token": ticket},  # neither code nor recovery code
        {"mfa_token": ticket, "code": code(enrolled.secret), "recovery_code": "aaaaa-bbbbb"},
        {"mfa_token": ticket, "code": "123456", "extra": 1},
    ):
        response = client.post(VERIFY, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"
    expired, _ = tokens.issue(
        settings.model_copy(update={"mfa_token_minutes": 1}),
        subject=tenant_a.users["admin"],
        tenant_id=tenant_a.id,
        role="admin",
        token_type="mfa",
        now=datetime(2020, 1, 1, tzinfo=UTC),
    )
    access = tenant_a.tokens["admin"]  # an access token is not a second-step ticket
    for wrong in (expired, access, "not-a-token-at-all"):
        response = client.post(VERIFY, json={"mfa_token": wrong, "code": code(enrolled.secret)})
        assert (response.status_code, response.json()["error"]) == (401, "unauthorized"), wrong
    assert (
        client.post(
            f"{MFA}/confirm", headers=tenant_a.auth("clinician"), json={"code": "1"}
        ).status_code
        == 422
    )
    not_enrolled = client.post(
        f"{MFA}/confirm", headers=tenant_a.auth("clinician"), json={"code": "123456"}
    )
    assert (not_enrolled.status_code, not_enrolled.json()["error"]) == (409, "mfa_not_enrolled")
    api_key = client.post(f"{MFA}/enrol", headers=tenant_a.auth("key_admin"))
    assert api_key.status_code == 403


def test_removing_the_factor_needs_a_fresh_code_and_is_audited(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    enrolled = enrol(client, tenant_a.auth("clinician"))
    headers = enrolled.bearer()
    wrong = client.request("DELETE", MFA, headers=headers, json={"code": "000000"})
    assert wrong.status_code == 401
    removed = client.request("DELETE", MFA, headers=headers, json={"code": code(enrolled.secret)})
    assert removed.status_code == 204, removed.text
    assert "access_token" in sign_in(client, tenant_a.emails["clinician"])
    with session_scope(settings.resolved_database_url) as session:
        actions = set(session.scalars(select(AuditEvent.action)).all())
    assert {"mfa.enrol", "mfa.confirm", "mfa.remove", "auth.mfa.bad_code"} <= actions
