"""The tenant's OpenEMR connection: sealed storage, status, schema drift, bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Tenant
from clinscribe.db.session import session_scope
from tests.integration.openemr.conftest import raw
from tests.support import TenantWorld

PATH = "/api/v1/tenant/openemr"


def test_connection_is_sealed_never_returned_and_checked(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    body = {"database_url": openemr_url, "write_back": "soap", "facility_id": 3}
    put = client.put(PATH, json=body, headers=tenant_a.auth("admin"))
    assert put.status_code == 200, put.text
    shown = client.get(PATH, headers=tenant_a.auth("admin")).json()
    database = openemr_url.rsplit("/", 1)[1]
    assert shown == {
        "configured": True,
        "host": "127.0.0.1",
        "port": 3306,
        "database": database,
        "write_back": "soap",
        "facility_id": 3,
        "write_lists": False,
        "role_map": {"authorized": "clinician", "default": "reviewer", "users": {}},
    }
    with session_scope(settings.resolved_database_url) as session:
        stored = session.execute(
            select(Tenant.openemr_url_encrypted).where(Tenant.id == tenant_a.id)
        ).scalar_one()
    assert stored and "root@" not in stored and database not in stored
    status = client.get(f"{PATH}/status", headers=tenant_a.auth("admin"))
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "ok"
    assert "MariaDB" in status.json()["server_version"]


def test_schema_drift_names_what_is_missing(
    client: TestClient, tenant_a: TenantWorld, openemr_url: str
) -> None:
    client.put(PATH, json={"database_url": openemr_url}, headers=tenant_a.auth("admin"))
    conn = raw(openemr_url)
    try:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE form_soap CHANGE `plan` `plan_text` text")
            cur.execute("RENAME TABLE sequences TO sequences_gone")
        status = client.get(f"{PATH}/status", headers=tenant_a.auth("admin"))
    finally:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE form_soap CHANGE `plan_text` `plan` text")
            cur.execute("RENAME TABLE sequences_gone TO sequences")
        conn.close()
    assert status.status_code == 409
    assert status.json()["error"] == "openemr_schema_drift"
    assert "form_soap.plan" in status.json()["detail"]
    assert "sequences" in status.json()["detail"]


def test_unreachable_and_denied_are_clear_errors(
    client: TestClient, tenant_a: TenantWorld, openemr_url: str
) -> None:
    admin = tenant_a.auth("admin")
    client.put(PATH, json={"database_url": "mysql://root@127.0.0.1:1/x"}, headers=admin)
    down = client.get(f"{PATH}/status", headers=admin)
    assert (down.status_code, down.json()["error"]) == (502, "openemr_unavailable")
    wrong = openemr_url.replace("root@", "nobody_here:wrong@")
    client.put(PATH, json={"database_url": wrong}, headers=admin)
    denied = client.get(f"{PATH}/status", headers=admin)
    assert (denied.status_code, denied.json()["error"]) == (502, "openemr_access_denied")
    assert "wrong" not in denied.text


def test_bad_input_and_permissions(client: TestClient, tenant_a: TenantWorld) -> None:
    admin = tenant_a.auth("admin")
    for url in ("postgresql://h/db", "mysql://host-only", "not a url", ""):
        r = client.put(PATH, json={"database_url": url}, headers=admin)
        assert r.status_code == 422, (url, r.text)
    r = client.put(PATH, json={"database_url": "mysql://h/db", "write_back": "fax"}, headers=admin)
    assert r.status_code == 422
    assert client.get(PATH, headers=admin).json() == {
        "configured": False,
        "host": None,
        "port": None,
        "database": None,
        "write_back": "none",
        "facility_id": None,
        "write_lists": False,
        "role_map": {"authorized": "clinician", "default": "reviewer", "users": {}},
    }
    nope = client.get(f"{PATH}/status", headers=admin)
    assert (nope.status_code, nope.json()["error"]) == (404, "openemr_not_configured")
    clinician = client.put(
        PATH, json={"database_url": "mysql://h/db"}, headers=tenant_a.auth("clinician")
    )
    assert clinician.status_code == 403
