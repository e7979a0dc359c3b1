"""The clinical record on the real PostgreSQL (and migration 0015 on MariaDB too)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pymysql
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import get_engine, session_scope
from tests.integration.conftest import PG_ADMIN_URL
from tests.integration.openemr.conftest import MARIADB
from tests.support import TenantWorld, add_record_entry

RECORD_TABLES = {
    "record_observations",
    "record_medications",
    "record_orders",
    "record_allergies",
    "record_conditions",
    "record_care_plans",
    "record_consents",
    "record_revisions",
    "interaction_acknowledgements",
}
BP = {
    "category": "vital-signs",
    "code": "8480-6",
    "value_quantity": 128,
    "unit": "mm[Hg]",
    "effective_at": "2026-03-01T09:30:00Z",
}


def _down_and_up(url: str) -> None:
    migrate.upgrade(url)
    assert set(inspect(get_engine(url)).get_table_names()) >= RECORD_TABLES
    migrate.downgrade(url, "0014")
    assert not set(inspect(get_engine(url)).get_table_names()) & RECORD_TABLES
    migrate.upgrade(url, "0015")
    assert migrate.current(url) == "0015"
    migrate.upgrade(url)


def test_migration_0015_goes_down_and_up_on_postgres() -> None:
    name = f"clinscribe_rec_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        _down_and_up(url)
    finally:
        get_engine(url).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_0015_goes_down_and_up_on_mariadb() -> None:
    name = f"clinscribe_rec_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(MARIADB)
    conn = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        url = f"mysql+pymysql://{parts.netloc}/{name}"
        try:
            _down_and_up(url)
        finally:
            get_engine(url).dispose()
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def test_the_record_round_trips_sealed_and_versioned_on_postgres(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld, pg_b: TenantWorld
) -> None:
    clinician = pg_a.auth("clinician")
    base = f"/api/v1/patients/{pg_a.patient_id}"
    obs = pg_client.post(
        f"{base}/observations", json={**BP, "value_text": "left arm, seated"}, headers=clinician
    ).json()
    edit = pg_client.patch(
        f"{base}/observations/{obs['id']}",
        json={"value_quantity": 131},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert (edit.status_code, edit.json()["version"]) == (200, 2)
    stale = pg_client.patch(
        f"{base}/observations/{obs['id']}",
        json={"value_quantity": 1, "version": 1},
        headers=clinician,
    )
    assert stale.status_code == 409
    with session_scope(pg_settings.resolved_database_url) as session:
        stored = session.execute(
            text("SELECT value_text FROM record_observations WHERE id = :id"), {"id": obs["id"]}
        ).scalar_one()
        assert "left arm" not in stored
        snapshot = session.execute(
            text("SELECT snapshot FROM record_revisions WHERE resource_id = :id"), {"id": obs["id"]}
        ).scalar_one()
        assert "128" not in snapshot
    assert (
        pg_client.get(
            f"{base}/observations/{obs['id']}", headers=pg_b.auth("clinician")
        ).status_code
        == 404
    )
    page = pg_client.get(
        f"{base}/observations?code=8480-6&date_from=2026-03-01&date_to=2026-03-01",
        headers=pg_a.auth("reviewer"),
    ).json()
    assert page["total"] == 1 and page["items"][0]["value_text"] == "left arm, seated"


def test_concurrent_edits_of_one_version_give_one_winner_on_postgres(
    pg_client: TestClient, pg_a: TenantWorld
) -> None:
    clinician = pg_a.auth("clinician")
    base = f"/api/v1/patients/{pg_a.patient_id}/medications"
    med = pg_client.post(base, json={"drug": "metformin"}, headers=clinician).json()

    def edit(dose: str) -> int:
        return pg_client.patch(
            f"{base}/{med['id']}", json={"dose": dose, "version": 1}, headers=clinician
        ).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(edit, ["250 mg", "500 mg", "750 mg", "1000 mg"]))
    assert codes.count(200) == 1 and set(codes) <= {200, 409}
    assert pg_client.get(f"{base}/{med['id']}", headers=clinician).json()["version"] == 2


def test_the_summary_and_alerts_on_postgres(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld
) -> None:
    pid = pg_a.patient_id
    for drug in ("warfarin", "ibuprofen"):
        add_record_entry(pg_settings, pg_a, pid, "medication", state="active", drug=drug)
    add_record_entry(pg_settings, pg_a, pid, "observation", state="active")
    summary = pg_client.get(f"/api/v1/patients/{pid}/summary", headers=pg_a.auth("clinician"))
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert [v["code"] for v in body["latest_vitals"]] == ["8867-4"]
    assert [a["pair_key"] for a in body["alerts"]] == ["drug-drug:ibuprofen|warfarin"]
    ack = pg_client.post(
        f"/api/v1/patients/{pid}/interactions/acknowledge",
        json={"pair_key": "drug-drug:ibuprofen|warfarin", "reason": "Short course, INR checked."},
        headers=pg_a.auth("clinician"),
    )
    assert ack.status_code == 200 and ack.json()["acknowledged"] is True
