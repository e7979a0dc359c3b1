"""The API, tenancy, authorization and audit chain on the real PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import get_engine, session_scope
from tests.authz_matrix import check_matrix
from tests.integration.conftest import PG_ADMIN_URL
from tests.support import TenantWorld


def test_migrations_run_down_and_up_on_a_fresh_database() -> None:
    name = f"clinscribe_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        tables = set(inspect(get_engine(url)).get_table_names())
        assert {"tenants", "users", "patients", "encounters", "audit_events", "api_keys"} <= tables
        migrate.downgrade(url, "base")
        assert set(inspect(get_engine(url)).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
    finally:
        get_engine(url).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_route_enforces_roles_scopes_and_tenancy_on_postgres(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld, pg_b: TenantWorld
) -> None:
    assert check_matrix(pg_client, pg_settings, pg_a, pg_b) > 100


def test_patient_and_encounter_round_trip_on_postgres(
    pg_client: TestClient, pg_a: TenantWorld
) -> None:
    clin = pg_a.auth("clinician")
    patient = pg_client.post(
        "/api/v1/patients",
        json={
            "mrn": f"PG-{uuid.uuid4().hex[:6]}",
            "given_name": "Lena",
            "family_name": "Ostrowska",
            "birth_date": "1981-02-03",
        },
        headers=clin,
    ).json()
    encounter = pg_client.post(
        "/api/v1/encounters",
        json={
            "patient_id": patient["id"],
            "started_at": "2026-11-01T08:15:00-05:00",
            "type": "telehealth",
        },
        headers=clin,
    )
    assert encounter.status_code == 201
    fetched = pg_client.get(f"/api/v1/encounters/{encounter.json()['id']}", headers=clin).json()
    assert fetched["started_at"].startswith("2026-11-01T13:15:00")
    listed = pg_client.get(
        "/api/v1/encounters", params={"patient_id": patient["id"]}, headers=clin
    ).json()
    assert listed["total"] == 1


def test_concurrent_requests_keep_the_audit_chain_linear(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld
) -> None:
    headers = pg_a.auth("reviewer")

    def read(_: int) -> int:
        return pg_client.get(f"/api/v1/patients/{pg_a.patient_id}", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(read, range(64))) == {200}
    with session_scope(pg_settings.resolved_database_url) as session:
        result = audit.verify(session)
    assert result.ok, result.problem
    assert result.checked >= 64


def test_concurrent_duplicate_mrns_give_one_201_and_the_rest_409(
    pg_client: TestClient, pg_a: TenantWorld
) -> None:
    body = {"mrn": f"RACE-{uuid.uuid4().hex[:6]}", "given_name": "R", "family_name": "Ace"}

    def create(_: int) -> int:
        return pg_client.post(
            "/api/v1/patients", json=body, headers=pg_a.auth("clinician")
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(create, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409]


def test_tampering_is_detected_on_postgres(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld
) -> None:
    pg_client.get(f"/api/v1/patients/{pg_a.patient_id}", headers=pg_a.auth("admin"))
    engine = get_engine(pg_settings.resolved_database_url)
    with engine.begin() as conn:
        target = conn.execute(text("SELECT max(id) - 3 FROM audit_events")).scalar_one()
        original = conn.execute(
            text("SELECT action FROM audit_events WHERE id = :i"), {"i": target}
        ).scalar_one()
        conn.execute(text("UPDATE audit_events SET action = 'forged' WHERE id = :i"), {"i": target})
    try:
        with session_scope(pg_settings.resolved_database_url) as session:
            result = audit.verify(session)
        assert not result.ok and result.first_bad_id == target
        assert result.problem == f"audit row {target} was modified"
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_events SET action = :a WHERE id = :i"),
                {"a": original, "i": target},
            )
    with session_scope(pg_settings.resolved_database_url) as session:
        assert audit.verify(session).ok
