"""The tenant's retention period over HTTP: admins set it, with bounds; everyone can read it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, Tenant
from clinscribe.db.session import session_scope
from tests.support import TenantWorld

URL = "/api/v1/tenant/retention"


def test_an_admin_sets_reads_and_clears_the_retention_period(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    assert client.get(URL, headers=admin).json() == {"retention_days": None}
    response = client.put(URL, headers=admin, json={"retention_days": 3650})
    assert response.status_code == 200, response.text
    assert response.json() == {"retention_days": 3650}
    assert client.get(URL, headers=tenant_a.auth("clinician")).json() == {"retention_days": 3650}
    assert client.get(URL, headers=tenant_b.auth("admin")).json() == {"retention_days": None}
    # The tenant's own settings show the period too.
    assert client.get("/api/v1/tenant", headers=admin).json()["retention_days"] == 3650
    assert client.put(URL, headers=admin, json={"retention_days": None}).json() == {
        "retention_days": None
    }
    with session_scope(settings.resolved_database_url) as session:
        tenant = session.get(Tenant, tenant_a.id)
        assert tenant is not None and tenant.retention_days is None
        actions = session.execute(
            select(AuditEvent.action).where(
                AuditEvent.tenant_id == tenant_a.id, AuditEvent.object_id == tenant_a.id
            )
        ).scalars()
        assert list(actions).count("tenant.retention_update") == 2


@pytest.mark.parametrize(
    "body",
    [
        {"retention_days": 0},
        {"retention_days": -1},
        {"retention_days": 36501},
        {"retention_days": "30"},
        {"retention_days": 30.5},
        {"retention_days": True},
        {},
        {"retention_days": 30, "extra": 1},
    ],
    ids=["zero", "negative", "over-100-years", "string", "fraction", "bool", "missing", "extra"],
)
def test_a_retention_period_out_of_bounds_is_a_422(
    client: TestClient, tenant_a: TenantWorld, body: dict[str, object]
) -> None:
    response = client.put(URL, headers=tenant_a.auth("admin"), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert client.get(URL, headers=tenant_a.auth("admin")).json() == {"retention_days": None}


def test_the_bounds_themselves_are_accepted(client: TestClient, tenant_a: TenantWorld) -> None:
    for days in (1, 36500):
        response = client.put(URL, headers=tenant_a.auth("admin"), json={"retention_days": days})
        assert response.status_code == 200 and response.json() == {"retention_days": days}


def test_only_admins_change_it(client: TestClient, tenant_a: TenantWorld) -> None:
    for who in ("clinician", "reviewer", "key_write"):
        response = client.put(URL, headers=tenant_a.auth(who), json={"retention_days": 30})
        assert response.status_code == 403, who
