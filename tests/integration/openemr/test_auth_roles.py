"""OpenEMR sign-in: the tenant's role map, linking, role changes, refusals and the lockout."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, User
from clinscribe.db.session import session_scope
from clinscribe.openemr.core.hashes import openemr_bcrypt
from tests.conftest import make_settings
from tests.integration.openemr.conftest import raw
from tests.support import TenantWorld

LOGIN = "/api/v1/auth/openemr/login"
PATH = "/api/v1/tenant/openemr"
PASSWORD = "Openemr-Pass-42"
_ids = itertools.count(100)


def _account(url: str, *, authorized: int = 1, email: str | None = None) -> str:
    """A fresh OpenEMR account in the module's database; its user name."""
    uid = next(_ids)
    name = f"user{uid}"
    db = raw(url)
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO users (id, username, password, authorized, fname, lname, facility_id, "
            "active, email) VALUES (%s, %s, 'NoLongerUsed', %s, 'Test', 'User', 3, 1, %s)",
            (uid, name, authorized, email),
        )
        cur.execute(
            "INSERT INTO users_secure (id, username, password) VALUES (%s, %s, %s)",
            (uid, name, openemr_bcrypt(PASSWORD, rounds=4)),
        )
    db.close()
    return name


def _set(url: str, username: str, column: str, value: object) -> None:
    assert column in ("authorized", "active", "email")
    db = raw(url)
    with db.cursor() as cur:
        cur.execute(f"UPDATE users SET {column} = %s WHERE username = %s", (value, username))
    db.close()


def _connect(client: TestClient, world: TenantWorld, url: str, **extra: Any) -> None:
    r = client.put(PATH, json={"database_url": url, **extra}, headers=world.auth("admin"))
    assert r.status_code == 200, r.text


def _login(client: TestClient, world: TenantWorld, username: str, password: str = PASSWORD) -> Any:
    body = {"tenant_id": world.id, "username": username, "password": password}
    return client.post(LOGIN, json=body)


def _role(client: TestClient, response: Any) -> str:
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return str(me.json()["role"])


def _actions(settings: Settings, prefix: str) -> list[tuple[str, str]]:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix)))
        return [(e.action, e.outcome) for e in rows]


def test_the_tenant_role_map_decides_the_role_by_name_then_by_authorized(
    client: TestClient, tenant_a: TenantWorld, openemr_url: str
) -> None:
    provider, clerk, boss = (_account(openemr_url, authorized=a) for a in (1, 0, 1))
    role_map = {"authorized": "reviewer", "default": "clinician", "users": {boss: "admin"}}
    _connect(client, tenant_a, openemr_url, role_map=role_map)
    shown = client.get(PATH, headers=tenant_a.auth("admin")).json()
    assert shown["role_map"] == role_map
    assert _role(client, _login(client, tenant_a, provider)) == "reviewer"
    assert _role(client, _login(client, tenant_a, clerk)) == "clinician"
    assert _role(client, _login(client, tenant_a, boss)) == "admin"


def test_a_role_change_in_openemr_or_in_the_map_applies_at_the_next_sign_in(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    name = _account(openemr_url, authorized=1)
    _connect(client, tenant_a, openemr_url)
    assert _role(client, _login(client, tenant_a, name)) == "clinician"
    _set(openemr_url, name, "authorized", 0)
    assert _role(client, _login(client, tenant_a, name)) == "reviewer"
    patch = client.patch(
        PATH, json={"role_map": {"default": "admin"}}, headers=tenant_a.auth("admin")
    )
    assert patch.status_code == 200 and patch.json()["role_map"]["default"] == "admin"
    assert patch.json()["host"] == "127.0.0.1"  # the URL is kept
    assert _role(client, _login(client, tenant_a, name)) == "admin"
    assert _actions(settings, "user.role.openemr") == [("user.role.openemr", "success")] * 2
    with session_scope(settings.resolved_database_url) as session:
        assert (
            len(session.scalars(select(User).where(User.openemr_user_id.is_not(None))).all()) == 1
        )


def test_first_sign_in_links_the_local_account_with_the_same_email_in_this_tenant_only(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    openemr_url: str,
) -> None:
    mine = _account(openemr_url, authorized=1, email=tenant_a.emails["reviewer"].upper())
    theirs = _account(openemr_url, authorized=1, email=tenant_b.emails["clinician"])
    _connect(client, tenant_a, openemr_url)
    linked = _login(client, tenant_a, mine)
    assert _role(client, linked) == "clinician"  # the map, not the local role, decides
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {linked.json()['access_token']}"}
    )
    assert me.json()["id"] == tenant_a.users["reviewer"]
    other = _login(client, tenant_a, theirs)
    assert other.status_code == 200
    with session_scope(settings.resolved_database_url) as session:
        b_user = session.get(User, tenant_b.users["clinician"])
        assert b_user is not None and b_user.openemr_user_id is None  # never across tenants
        new = session.scalars(
            select(User).where(User.tenant_id == tenant_a.id, User.email.endswith(".invalid"))
        ).one()
        assert new.openemr_user_id is not None
    assert [a for a, _ in _actions(settings, "user.")].count("user.link") == 1


def test_an_account_deactivated_in_openemr_after_linking_is_refused_and_audited(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    name = _account(openemr_url)
    _connect(client, tenant_a, openemr_url)
    assert _login(client, tenant_a, name).status_code == 200
    _set(openemr_url, name, "active", 0)
    refused = _login(client, tenant_a, name)
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    assert ("auth.openemr.inactive", "denied") in _actions(settings, "auth.openemr.")


@pytest.fixture
def strict_client(settings: Settings) -> Any:
    locked = make_settings(settings.data_dir, signin_lockout_attempts=3)
    with TestClient(create_app(locked, start_worker=False), raise_server_exceptions=False) as c:
        yield c


def test_failed_openemr_sign_ins_lock_the_name_like_password_sign_in(
    strict_client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    client = strict_client
    name, bystander = _account(openemr_url), _account(openemr_url)
    _connect(client, tenant_a, openemr_url)
    assert [_login(client, tenant_a, name, "wrong").status_code for _ in range(3)] == [401] * 3
    locked = _login(client, tenant_a, name)  # the right password, but locked now
    assert (locked.status_code, locked.json()["error"]) == (429, "sign_in_locked")
    assert PASSWORD not in locked.text
    assert _login(client, tenant_a, bystander).status_code == 200  # other names unaffected
    ghosts = [_login(client, tenant_a, "ghost", "x").status_code for _ in range(4)]
    assert ghosts == [401, 401, 401, 429]  # unknown names lock alike: nothing to enumerate
    events = _actions(settings, "auth.openemr.")
    assert events.count(("auth.openemr.bad_password", "denied")) == 3
    assert events.count(("auth.openemr.locked", "denied")) == 2
    local = client.post(
        "/api/v1/auth/login", json={"email": tenant_a.emails["admin"], "password": "no"}
    )
    assert local.status_code == 401  # the local name has its own count


def test_bad_role_maps_and_patches_are_4xx(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld, openemr_url: str
) -> None:
    admin = tenant_a.auth("admin")
    for bad in (
        {"authorized": "superuser"},
        {"users": {"x": "root"}},
        {"users": {" padded": "admin"}},
        {"users": {"": "admin"}},
        {"extra": 1},
        "clinician",
    ):
        r = client.put(PATH, json={"database_url": openemr_url, "role_map": bad}, headers=admin)
        assert r.status_code == 422, (bad, r.text)
    patch = client.patch(PATH, json={"write_back": "soap"}, headers=tenant_b.auth("admin"))
    assert (patch.status_code, patch.json()["error"]) == (404, "openemr_not_configured")
    _connect(client, tenant_a, openemr_url)
    assert client.patch(PATH, json={"write_back": "fax"}, headers=admin).status_code == 422
    assert client.patch(PATH, json={"url": "x"}, headers=admin).status_code == 422
    assert client.patch(PATH, json={}, headers=tenant_a.auth("clinician")).status_code == 403
    ok = client.patch(PATH, json={"write_back": "soap", "facility_id": 3}, headers=admin)
    assert (ok.json()["write_back"], ok.json()["facility_id"]) == ("soap", 3)
