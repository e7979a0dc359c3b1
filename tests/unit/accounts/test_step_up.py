"""Step-up for sensitive actions, MFA-mandatory roles, and the lockout on second-factor codes."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent
from clinscribe.db.session import session_scope
from clinscribe.security import tokens
from tests.conftest import make_settings
from tests.mfa_support import MFA, code, enrol, sign_in
from tests.support import TenantWorld, unique

KEYS = "/api/v1/api-keys"


def _key(client: TestClient, headers: dict[str, str]) -> object:
    return client.post(KEYS, headers=headers, json={"name": unique("k"), "scopes": ["read"]})


def test_sensitive_actions_need_a_recent_second_factor_from_enrolled_users(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    password_only = tenant_a.auth("admin")
    assert _key(client, password_only).status_code == 201  # not enrolled, not mandatory
    enrolled = enrol(client, password_only)
    refused = _key(client, password_only)
    assert refused.status_code == 401
    assert refused.json()["error"] == "mfa_required" and set(refused.json()) == {"error", "detail"}
    assert _key(client, enrolled.bearer()).status_code == 201  # confirming just now counts
    # A second factor older than the tenant's window does not.
    stale, _ = tokens.issue(
        settings,
        subject=tenant_a.users["admin"],
        tenant_id=tenant_a.id,
        role="admin",
        token_type="access",
        amr=("pwd", "otp"),
        auth_time=int(time.time()) - 16 * 60,
    )
    assert _key(client, {"Authorization": f"Bearer {stale}"}).json()["error"] == "mfa_required"
    wrong = client.post(f"{MFA}/step-up", headers=password_only, json={"code": "000000"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_mfa_code")
    stepped = client.post(
        f"{MFA}/step-up", headers=password_only, json={"code": code(enrolled.secret)}
    )
    assert stepped.status_code == 200, stepped.text
    fresh = {"Authorization": f"Bearer {stepped.json()['access_token']}"}
    assert _key(client, fresh).status_code == 201
    # ... and it survives a refresh, which keeps the sign-in's time rather than renewing it.
    renewed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": stepped.json()["refresh_token"]}
    )
    assert (
        _key(client, {"Authorization": f"Bearer {renewed.json()['access_token']}"}).status_code
        == 201
    )
    # API keys are machine credentials: never asked to step up.
    assert _key(client, tenant_a.auth("key_admin")).status_code == 201


def test_a_mandatory_role_without_a_factor_may_only_enrol(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    for bad in (
        {"mfa_required_roles": ["superuser"], "step_up_minutes": 5},
        {"mfa_required_roles": [], "step_up_minutes": 0},
        {"mfa_required_roles": ["clinician"]},
    ):
        assert client.put("/api/v1/tenant/security", headers=admin, json=bad).status_code == 422
    policy = {"mfa_required_roles": ["clinician"], "step_up_minutes": 5}
    reviewer = client.put("/api/v1/tenant/security", headers=tenant_a.auth("reviewer"), json=policy)
    assert reviewer.status_code == 403
    assert client.put("/api/v1/tenant/security", headers=admin, json=policy).json() == policy
    # The clinician's password still signs in, but that session opens only enrolment.
    session = sign_in(client, tenant_a.emails["clinician"])
    limited = {"Authorization": f"Bearer {session['access_token']}"}
    blocked = client.get("/api/v1/patients", headers=limited)
    assert (blocked.status_code, blocked.json()["error"]) == (403, "mfa_enrolment_required")
    assert client.get("/api/v1/me", headers=limited).status_code == 200
    assert client.get(MFA, headers=limited).json() == {"enrolled": False, "required": True}
    enrolled = enrol(client, limited)
    assert client.get("/api/v1/patients", headers=enrolled.bearer()).status_code == 200
    assert client.get("/api/v1/patients", headers=tenant_a.auth("reviewer")).status_code == 200


def test_wrong_codes_lock_the_second_step_on_every_node_until_an_admin_unlocks(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    shared = make_settings(settings.data_dir, signin_lockout_attempts=3)
    with (
        TestClient(create_app(shared, start_worker=False)) as one,
        TestClient(create_app(shared, start_worker=False)) as two,
    ):
        enrolled = enrol(one, tenant_a.auth("reviewer"))
        ticket = sign_in(two, tenant_a.emails["reviewer"])["mfa_token"]
        verify = f"{MFA}/verify"
        for node in (one, two, one):
            assert (
                node.post(verify, json={"mfa_token": ticket, "code": "000000"}).status_code == 401
            )
        locked = two.post(verify, json={"mfa_token": ticket, "code": code(enrolled.secret)})
        assert (locked.status_code, locked.json()["error"]) == (429, "sign_in_locked")
        user = tenant_a.users["reviewer"]
        assert one.post(f"/api/v1/users/{user}/unlock", headers=tenant_a.auth("admin")).is_success
        opened = two.post(verify, json={"mfa_token": ticket, "code": code(enrolled.secret)})
        assert opened.status_code == 200, opened.text
    with session_scope(settings.resolved_database_url) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == tenant_a.users["reviewer"])
        ).all()
    assert actions.count("auth.mfa.bad_code") == 3
    assert "auth.lockout.lock" in actions and "user.unlock" in actions


def test_exports_and_purges_need_a_recent_second_factor_too(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    from tests.support import add_study

    admin = tenant_a.auth("admin")
    study_id, _ = add_study(settings, tenant_a, tenant_a.patient_id)
    enrolled = enrol(client, admin)
    gated = [
        ("GET", f"/api/v1/studies/{study_id}/export?deidentify=true"),
        ("GET", "/api/v1/admin/egress?format=csv"),
        ("DELETE", f"/api/v1/encounters/{tenant_a.encounter_id}"),
        ("DELETE", f"/api/v1/patients/{tenant_a.patient_id}"),
    ]
    for method, url in gated:
        refused = client.request(method, url, headers=admin)
        assert (refused.status_code, refused.json()["error"]) == (401, "mfa_required"), url
    fresh = enrolled.bearer()
    for method, url in gated:
        done = client.request(method, url, headers=fresh)
        assert done.status_code in (200, 204), (url, done.text)
