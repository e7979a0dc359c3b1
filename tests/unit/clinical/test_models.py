"""The record tables: migration 0015 down and up, sealed text, tenant-scoped reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from clinscribe.clinical import queries
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.models import CarePlan, ClinicalObservation, MedicationEntry
from clinscribe.db.session import get_engine, session_scope
from tests.support import TenantWorld

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


def test_migration_0015_goes_down_and_up_again_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url)
    assert set(inspect(get_engine(url)).get_table_names()) >= RECORD_TABLES
    migrate.downgrade(url, "0014")
    assert not RECORD_TABLES & set(inspect(get_engine(url)).get_table_names())
    migrate.upgrade(url, "0015")
    assert migrate.current(url) == "0015"
    migrate.upgrade(url)
    get_engine(url).dispose()


def test_free_text_is_sealed_and_reads_are_scoped_to_the_tenant_and_state(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    url = settings.resolved_database_url
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with session_scope(url) as session:
        obs = ClinicalObservation(
            tenant_id=tenant_a.id,
            patient_id=tenant_a.patient_id,
            category="vital-signs",
            code="8867-4",
            value_quantity=72.0,
            value_text="regular, strong",
            unit="/min",
            effective_at=when,
            state="active",
            sources=[{"kind": "manual"}],
        )
        plan = CarePlan(
            tenant_id=tenant_a.id,
            patient_id=tenant_a.patient_id,
            title="Diabetes",
            goals=[{"description": "HbA1c below 7", "measure": "4548-4"}],
            state="active",
        )
        proposed = MedicationEntry(
            tenant_id=tenant_a.id, patient_id=tenant_a.patient_id, drug="metformin"
        )
        session.add_all([obs, plan, proposed])
    with session_scope(url) as session:
        stored = session.execute(
            text("SELECT value_text, goals FROM record_observations, record_care_plans")
        ).one()
        assert "regular" not in stored[0] and "HbA1c" not in stored[1]
        rows = queries.list_observations(session, tenant_a.id, patient_id=tenant_a.patient_id)
        assert [(r.value_text, r.effective_at, r.sources) for r in rows] == [
            ("regular, strong", when, [{"kind": "manual"}])
        ]
        assert queries.list_care_plans(session, tenant_a.id)[0].goals[0]["measure"] == "4548-4"
        assert queries.list_observations(session, tenant_b.id) == []
        assert queries.list_medications(session, tenant_a.id) == []
        assert len(queries.list_medications(session, tenant_a.id, states=None)) == 1
        assert queries.get_entry(session, ClinicalObservation, tenant_b.id, obs.id) is None


def test_erasing_a_patient_erases_their_record_and_its_history(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    base = f"/api/v1/patients/{tenant_a.patient_id}"
    clinician = tenant_a.auth("clinician")
    made = client.post(f"{base}/allergies", json={"substance": "latex"}, headers=clinician)
    edit = client.patch(
        f"{base}/allergies/{made.json()['id']}",
        json={"version": 1, "reaction": "hives"},
        headers=clinician,
    )
    assert edit.status_code == 200
    assert client.delete(base, headers=tenant_a.auth("admin")).status_code == 204
    with session_scope(settings.resolved_database_url) as session:
        for table in ("record_allergies", "record_revisions"):
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_key_rotation_reseals_the_record_tables() -> None:
    from clinscribe.maintenance.rotation import SEALED_MODELS

    # Conditions hold codes and their displays only: nothing sealed to rotate.
    assert {m.__tablename__ for m in SEALED_MODELS} >= RECORD_TABLES - {"record_conditions"}
