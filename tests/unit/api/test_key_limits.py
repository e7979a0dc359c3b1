"""Each API key's own requests-per-minute limit, apart from the global per-client one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.support import TenantWorld

MID_MINUTE = 1_800_000_030.0  # a pinned clock: the window has 30 s left


def pinned() -> float:
    return MID_MINUTE


def test_a_key_over_its_own_limit_gets_429_and_an_edit_applies_at_once(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    app = create_app(settings, start_worker=False, clock=pinned)
    client = TestClient(app, raise_server_exceptions=False)
    admin = tenant_a.auth("admin")
    created = client.post(
        "/api/v1/api-keys",
        json={"name": "ehr-sync", "scopes": ["read"], "rate_limit_per_minute": 2},
        headers=admin,
    )
    assert created.status_code == 201 and created.json()["rate_limit_per_minute"] == 2
    key = {"X-API-Key": created.json()["key"]}
    first, second, third = (client.get("/api/v1/tenant", headers=key) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    # The tighter of the two windows is shown: the key's own.
    assert (
        first.headers["x-ratelimit-limit"] == "2" and first.headers["x-ratelimit-remaining"] == "1"
    )
    assert third.json()["error"] == "rate_limited"
    assert third.headers["retry-after"] == "31" and third.headers["x-ratelimit-remaining"] == "0"
    # Other keys and users keep their own budgets (the global default is 600 a minute).
    other = client.get("/api/v1/tenant", headers=tenant_a.auth("key_read"))
    assert other.status_code == 200 and other.headers["x-ratelimit-limit"] == "600"

    key_id = created.json()["id"]
    raised = client.patch(
        f"/api/v1/api-keys/{key_id}", json={"rate_limit_per_minute": 5}, headers=admin
    )
    assert raised.status_code == 200 and raised.json()["rate_limit_per_minute"] == 5
    again = client.get("/api/v1/tenant", headers=key)
    assert again.status_code == 200 and again.headers["x-ratelimit-limit"] == "5"
    cleared = client.patch(
        f"/api/v1/api-keys/{key_id}", json={"rate_limit_per_minute": None}, headers=admin
    )
    assert cleared.json()["rate_limit_per_minute"] is None
    assert client.get("/api/v1/tenant", headers=key).headers["x-ratelimit-limit"] == "600"
    listed = client.get("/api/v1/api-keys", headers=admin).json()["items"]
    assert {k["id"]: k["rate_limit_per_minute"] for k in listed}[key_id] is None

    # Bad limits, another tenant's key, a revoked key.
    for body in ({"rate_limit_per_minute": 0}, {"rate_limit_per_minute": "fast"}, {}):
        bad = client.patch(f"/api/v1/api-keys/{key_id}", json=body, headers=admin)
        assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
    bad_create = client.post(
        "/api/v1/api-keys",
        json={"name": "x", "scopes": ["read"], "rate_limit_per_minute": -3},
        headers=admin,
    )
    assert bad_create.status_code == 422
    foreign = client.patch(
        f"/api/v1/api-keys/{key_id}",
        json={"rate_limit_per_minute": 9},
        headers=tenant_b.auth("admin"),
    )
    assert foreign.status_code == 404
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=admin).status_code == 200
    revoked = client.patch(
        f"/api/v1/api-keys/{key_id}", json={"rate_limit_per_minute": 9}, headers=admin
    )
    assert revoked.status_code == 409
