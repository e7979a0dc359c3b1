"""Importing OpenEMR patients and encounters: idempotent, linked by OpenEMR ids, filterable."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinscribe.cli import main
from clinscribe.config import Settings, get_settings
from clinscribe.db.models import Encounter, Patient
from clinscribe.db.session import session_scope
from tests.conftest import TEST_SECRET
from tests.integration.openemr.conftest import raw
from tests.support import TenantWorld


def _connect(client: TestClient, world: TenantWorld, url: str) -> None:
    body = {"database_url": url, "facility_id": 3}
    r = client.put("/api/v1/tenant/openemr", json=body, headers=world.auth("admin"))
    assert r.status_code == 200, r.text


def _counts(settings: Settings) -> tuple[int, int]:
    with session_scope(settings.resolved_database_url) as session:
        patients = session.execute(
            select(func.count()).where(Patient.openemr_pid.is_not(None))
        ).scalar_one()
        encounters = session.execute(
            select(func.count()).where(Encounter.openemr_encounter.is_not(None))
        ).scalar_one()
    return int(patients), int(encounters)


def test_sync_twice_creates_nothing_twice_and_keeps_openemr_ids(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    _connect(client, tenant_a, openemr_url)
    admin = tenant_a.auth("admin")
    first = client.post("/api/v1/openemr/sync", headers=admin)
    assert first.status_code == 200, first.text
    assert first.json()["patients_created"] == 3
    assert first.json()["encounters_created"] == 2
    second = client.post("/api/v1/openemr/sync", headers=admin).json()
    assert second["patients_created"] == second["encounters_created"] == 0
    assert second["patients_updated"] == second["encounters_updated"] == 0
    assert _counts(settings) == (3, 2)

    found = client.get("/api/v1/patients", params={"openemr_pid": 3}, headers=admin).json()
    assert found["total"] == 1
    kit = found["items"][0]
    assert kit["external_ids"] == {"openemr_pid": 3}
    assert (kit["mrn"], kit["given_name"], kit["family_name"]) == ("3", "Kit", "Sorensen")
    assert (kit["birth_date"], kit["sex"]) == ("2001-07-09", "unknown")
    omar = client.get("/api/v1/patients", params={"openemr_pid": 2}, headers=admin).json()
    assert omar["items"][0]["mrn"] == "MRN-1002" and omar["items"][0]["given_name"] == "Omar J"
    encounters = client.get(
        "/api/v1/encounters", params={"patient_id": omar["items"][0]["id"]}, headers=admin
    ).json()["items"]
    assert [e["external_ids"] for e in encounters] == [{"openemr_encounter": 3}]
    assert encounters[0]["reason"] == "Knee pain" and encounters[0]["status"] == "finished"


def test_changes_in_openemr_are_updated_not_duplicated(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    _connect(client, tenant_a, openemr_url)
    admin = tenant_a.auth("admin")
    client.post("/api/v1/openemr/sync", headers=admin)
    conn = raw(openemr_url)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE patient_data SET lname = 'Harlow-Reyes' WHERE pid = 1")
            cur.execute("UPDATE patient_data SET DOB = '0000-00-00' WHERE pid = 2")
            result = client.post("/api/v1/openemr/sync", headers=admin).json()
            cur.execute("UPDATE patient_data SET lname = 'Harlow' WHERE pid = 1")
            cur.execute("UPDATE patient_data SET DOB = '1978-11-23' WHERE pid = 2")
    finally:
        conn.close()
    assert result["patients_updated"] == 2 and result["patients_created"] == 0
    with session_scope(settings.resolved_database_url) as session:
        ivy = session.scalars(select(Patient).where(Patient.openemr_pid == 1)).one()
        omar = session.scalars(select(Patient).where(Patient.openemr_pid == 2)).one()
        assert ivy.family_name == "Harlow-Reyes"
        assert omar.birth_date is None  # a zero date is no date
    assert _counts(settings) == (3, 2)


def test_an_existing_chart_with_the_same_mrn_is_linked(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    _connect(client, tenant_a, openemr_url)
    admin = tenant_a.auth("admin")
    made = client.post(
        "/api/v1/patients",
        json={"mrn": "MRN-1001", "given_name": "Ivy", "family_name": "Harlow"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    result = client.post("/api/v1/openemr/sync", headers=admin).json()
    assert (result["patients_linked"], result["patients_created"]) == (1, 2)
    found = client.get("/api/v1/patients", params={"openemr_pid": 1}, headers=admin).json()
    assert found["items"][0]["id"] == made.json()["id"]
    assert found["items"][0]["birth_date"] == str(date(1961, 4, 2))


def test_cli_sync_and_listings(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    openemr_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _connect(client, tenant_a, openemr_url)
    admin = tenant_a.auth("admin")
    facilities = client.get("/api/v1/openemr/facilities", headers=admin)
    assert facilities.json() == [
        {"id": 3, "name": "Riverside Clinic", "city": "Ely", "state": "NV"}
    ]
    providers = client.get("/api/v1/openemr/providers", headers=tenant_a.auth("clinician"))
    assert [p["username"] for p in providers.json()] == ["admin", "physician", "legacybf"]

    monkeypatch.setenv("CLINSCRIBE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CLINSCRIBE_JWT_SECRET", TEST_SECRET)
    monkeypatch.setenv("CLINSCRIBE_API_KEY_PEPPER", TEST_SECRET + "-pepper")
    get_settings.cache_clear()
    try:
        assert main(["openemr", "sync", "--tenant", tenant_a.id, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["patients_created"] == 3
        assert main(["openemr", "sync", "--tenant", tenant_a.id, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["patients_created"] == 0
        assert _counts(settings) == (3, 2)
        assert main(["openemr", "sync", "--tenant", "nope"]) != 0
        assert capsys.readouterr().err.startswith("clinscribe: error: no such tenant")
    finally:
        get_settings.cache_clear()


def test_sync_needs_admin_and_a_connection(client: TestClient, tenant_a: TenantWorld) -> None:
    assert (
        client.post("/api/v1/openemr/sync", headers=tenant_a.auth("clinician")).status_code == 403
    )
    r = client.post("/api/v1/openemr/sync", headers=tenant_a.auth("admin"))
    assert (r.status_code, r.json()["error"]) == (404, "openemr_not_configured")
    assert (
        client.get("/api/v1/patients?openemr_pid=0", headers=tenant_a.auth("admin")).status_code
        == 422
    )
    assert (
        client.get("/api/v1/patients?openemr_pid=x", headers=tenant_a.auth("admin")).status_code
        == 422
    )
