"""The API, tenancy, authorization and audit chain on each server database (PostgreSQL,
MariaDB)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from clinscribe.api.app import create_app
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import get_engine, session_scope
from tests.authz_matrix import check_matrix
from tests.integration.conftest import SERVERS, throwaway_database
from tests.support import TenantWorld


@pytest.mark.parametrize("server", SERVERS)
def test_migrations_run_down_and_up_on_a_fresh_database(server: str) -> None:
    with throwaway_database(server, "clinscribe_mig") as url:
        migrate.upgrade(url)
        tables = set(inspect(get_engine(url)).get_table_names())
        assert {"tenants", "users", "patients", "encounters", "audit_events", "api_keys"} <= tables
        migrate.downgrade(url, "base")
        assert set(inspect(get_engine(url)).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        assert migrate.current(url) is not None


def test_every_route_enforces_roles_scopes_and_tenancy(
    db_settings: Settings, db_a: TenantWorld, db_b: TenantWorld
) -> None:
    # Over a thousand requests from a handful of credentials and one address: with the rate
    # limits on (tested on their own) the policy would be answered by 429s.
    unlimited = db_settings.model_copy(
        update={"rate_limit_per_minute": 0, "rate_limit_ip_per_minute": 0}
    )
    with TestClient(
        create_app(unlimited, start_worker=False), raise_server_exceptions=False
    ) as client:
        assert check_matrix(client, unlimited, db_a, db_b) > 100


def test_patient_and_encounter_round_trip(db_client: TestClient, db_a: TenantWorld) -> None:
    clin = db_a.auth("clinician")
    patient = db_client.post(
        "/api/v1/patients",
        json={
            "mrn": f"DB-{uuid.uuid4().hex[:6]}",
            "given_name": "Lena",
            "family_name": "Ostrowska",
            "birth_date": "1981-02-03",
        },
        headers=clin,
    ).json()
    encounter = db_client.post(
        "/api/v1/encounters",
        json={
            "patient_id": patient["id"],
            "started_at": "2026-11-01T08:15:00-05:00",
            "type": "telehealth",
        },
        headers=clin,
    )
    assert encounter.status_code == 201
    fetched = db_client.get(f"/api/v1/encounters/{encounter.json()['id']}", headers=clin).json()
    assert fetched["started_at"].startswith("2026-11-01T13:15:00")
    listed = db_client.get(
        "/api/v1/encounters", params={"patient_id": patient["id"]}, headers=clin
    ).json()
    assert listed["total"] == 1


def test_concurrent_requests_keep_the_audit_chain_linear(
    db_client: TestClient, db_settings: Settings, db_a: TenantWorld
) -> None:
    headers = db_a.auth("reviewer")

    def read(_: int) -> int:
        return db_client.get(f"/api/v1/patients/{db_a.patient_id}", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(read, range(64))) == {200}
    with session_scope(db_settings.resolved_database_url) as session:
        result = audit.verify(session)
    assert result.ok, result.problem
    assert result.checked >= 64


def test_concurrent_duplicate_mrns_give_one_201_and_the_rest_409(
    db_client: TestClient, db_a: TenantWorld
) -> None:
    body = {"mrn": f"RACE-{uuid.uuid4().hex[:6]}", "given_name": "R", "family_name": "Ace"}

    def create(_: int) -> int:
        return db_client.post(
            "/api/v1/patients", json=body, headers=db_a.auth("clinician")
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(create, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409]


def test_tampering_with_an_audit_row_is_detected(
    db_client: TestClient, db_settings: Settings, db_a: TenantWorld
) -> None:
    db_client.get(f"/api/v1/patients/{db_a.patient_id}", headers=db_a.auth("admin"))
    engine = get_engine(db_settings.resolved_database_url)
    with engine.begin() as conn:
        target = conn.execute(text("SELECT max(id) - 3 FROM audit_events")).scalar_one()
        original = conn.execute(
            text("SELECT action FROM audit_events WHERE id = :i"), {"i": target}
        ).scalar_one()
        conn.execute(text("UPDATE audit_events SET action = 'forged' WHERE id = :i"), {"i": target})
    try:
        with session_scope(db_settings.resolved_database_url) as session:
            result = audit.verify(session)
        assert not result.ok and result.first_bad_id == target
        assert result.problem == f"audit row {target} was modified"
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_events SET action = :a WHERE id = :i"),
                {"a": original, "i": target},
            )
    with session_scope(db_settings.resolved_database_url) as session:
        assert audit.verify(session).ok


def test_mrns_are_case_sensitive_and_emails_case_insensitive_on_every_database(
    db_client: TestClient, db_a: TenantWorld
) -> None:
    clin, admin = db_a.auth("clinician"), db_a.auth("admin")
    mrn = f"ab-{uuid.uuid4().hex[:6]}"

    def patient(value: str) -> int:
        body = {"mrn": value, "given_name": "Cas", "family_name": "Ing"}
        return db_client.post("/api/v1/patients", json=body, headers=clin).status_code

    # An MRN is an exact identifier: another case is another patient, as on PostgreSQL.
    assert [patient(mrn), patient(mrn.upper()), patient(mrn)] == [201, 201, 409]
    found = db_client.get("/api/v1/patients", params={"mrn": mrn.upper()}, headers=clin).json()
    assert found["total"] == 1

    # An email address is compared without case (the service lowercases it before storing).
    email = f"Case.{uuid.uuid4().hex[:6]}@Example.org"

    def user(value: str) -> int:
        body = {"email": value, "role": "reviewer"}
        return db_client.post("/api/v1/users", json=body, headers=admin).status_code

    assert [user(email), user(email.lower()), user(email.upper())] == [201, 409, 409]
