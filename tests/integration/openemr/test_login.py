"""Signing in with OpenEMR accounts: each hash kind, refusals, linking, auditing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, User
from clinscribe.db.session import session_scope
from tests.conftest import make_settings
from tests.integration.openemr.conftest import PASSWORDS
from tests.support import TenantWorld

LOGIN = "/api/v1/auth/openemr/login"


def _connect(client: TestClient, world: TenantWorld, url: str) -> None:
    r = client.put(
        "/api/v1/tenant/openemr", json={"database_url": url}, headers=world.auth("admin")
    )
    assert r.status_code == 200, r.text


def _login(client: TestClient, world: TenantWorld, username: str, password: str) -> object:
    body = {"tenant_id": world.id, "username": username, "password": password}
    return client.post(LOGIN, json=body)


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("physician", "clinician"),
        ("admin", "clinician"),
        ("legacybf", "clinician"),
        ("oldmd5", "reviewer"),
    ],
)
def test_each_verifiable_hash_kind_signs_in_and_provisions_once(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    openemr_url: str,
    username: str,
    role: str,
) -> None:
    _connect(client, tenant_a, openemr_url)
    first = _login(client, tenant_a, username, PASSWORDS[username])
    assert first.status_code == 200, first.text
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["role"] == role
    again = _login(client, tenant_a, username, PASSWORDS[username])
    assert again.status_code == 200
    with session_scope(settings.resolved_database_url) as session:
        linked = session.scalars(select(User).where(User.openemr_user_id.is_not(None))).all()
    assert len(linked) == 1 and linked[0].id == me.json()["id"]


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("physician", "wrong-password", "bad_password"),
        ("Physician", PASSWORDS["physician"], "unknown_user"),  # OpenEMR compares BINARY
        ("nobody", "whatever", "unknown_user"),
        ("retired", PASSWORDS["retired"], "inactive"),
        ("legacy", PASSWORDS["legacy"], "unverifiable_hash"),  # salt dropped by OpenEMR 6
    ],
)
def test_refusals_are_one_generic_401_and_audited(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    openemr_url: str,
    username: str,
    password: str,
    reason: str,
) -> None:
    _connect(client, tenant_a, openemr_url)
    r = _login(client, tenant_a, username, password)
    assert (r.status_code, r.json()) == (
        401,
        {"error": "unauthorized", "detail": "invalid OpenEMR username or password"},
    )
    with session_scope(settings.resolved_database_url) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == f"auth.openemr.{reason}")
        ).all()
        assert [e.outcome for e in events] == ["denied"]
        assert events[0].tenant_id == tenant_a.id
        assert session.scalars(select(User).where(User.openemr_user_id.is_not(None))).all() == []
    assert password not in r.text


def test_unconfigured_or_unknown_tenant_and_bad_bodies(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld, openemr_url: str
) -> None:
    _connect(client, tenant_a, openemr_url)
    assert _login(client, tenant_b, "physician", PASSWORDS["physician"]).status_code == 401
    body = {"tenant_id": "no-such-tenant", "username": "physician", "password": "x"}
    assert client.post(LOGIN, json=body).status_code == 401
    for bad in (
        {},
        {"tenant_id": tenant_a.id, "username": "", "password": "x"},
        {"tenant_id": tenant_a.id, "username": "a", "password": "x", "extra": 1},
    ):
        assert client.post(LOGIN, json=bad).status_code == 422


def test_a_disabled_local_user_stays_out(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    _connect(client, tenant_a, openemr_url)
    assert _login(client, tenant_a, "physician", PASSWORDS["physician"]).status_code == 200
    with session_scope(settings.resolved_database_url) as session:
        user = session.scalars(select(User).where(User.openemr_user_id == 2)).one()
        user.is_active = False
    assert _login(client, tenant_a, "physician", PASSWORDS["physician"]).status_code == 401


def test_openemr_down_is_a_clear_502(client: TestClient, tenant_a: TenantWorld) -> None:
    _connect(client, tenant_a, "mysql://root@127.0.0.1:1/openemr")
    r = _login(client, tenant_a, "physician", PASSWORDS["physician"])
    assert (r.status_code, r.json()["error"]) == (502, "openemr_unavailable")


def test_openemr_sign_in_shares_the_per_address_rate_limit(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    limited = make_settings(settings.data_dir, rate_limit_ip_per_minute=3)
    with TestClient(create_app(limited, start_worker=False), raise_server_exceptions=False) as c:
        body = {"tenant_id": tenant_a.id, "username": "physician", "password": "wrong"}
        codes = [c.post(LOGIN, json=body).status_code for _ in range(3)]
        local = c.post("/api/v1/auth/login", json={"email": "a@example.org", "password": "x"})
    assert codes == [401, 401, 401]
    assert local.status_code == 429  # the same bucket as local sign-in
