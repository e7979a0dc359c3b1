"""The hash chain: every PHI read and change is recorded; tampering is named by row."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from clinscribe.cli import main
from clinscribe.config import Settings, get_settings
from clinscribe.db.session import get_engine
from tests.support import TenantWorld


def _run_verify(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("CLINSCRIBE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CLINSCRIBE_JWT_SECRET", settings.jwt_signing_secret())
    get_settings.cache_clear()
    try:
        code = main(["admin", "verify-audit"])
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _exec(settings: Settings, sql: str) -> None:
    with get_engine(settings.resolved_database_url).begin() as conn:
        conn.execute(text(sql))


def _ids(settings: Settings) -> list[int]:
    with get_engine(settings.resolved_database_url).connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT id FROM audit_events ORDER BY id"))]


@pytest.fixture
def activity(client: TestClient, tenant_a: TenantWorld) -> TenantWorld:
    headers = tenant_a.auth("clinician")
    for _ in range(3):
        client.get(f"/api/v1/patients/{tenant_a.patient_id}", headers=headers)
    client.get(f"/api/v1/encounters/{tenant_a.encounter_id}", headers=headers)
    return tenant_a


def test_reads_and_changes_are_audited_with_actor_request_and_outcome(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    response = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}",
        headers={**tenant_a.auth("reviewer"), "X-Request-ID": "req-audit-1"},
    )
    assert response.status_code == 200
    events = client.get(
        "/api/v1/audit", params={"object_id": tenant_a.patient_id}, headers=tenant_a.auth("admin")
    ).json()["items"]
    read = next(e for e in events if e["action"] == "patient.read")
    assert read["actor_id"] == tenant_a.users["reviewer"] and read["actor_type"] == "user"
    assert read["request_id"] == "req-audit-1" and read["outcome"] == "success"
    assert any(e["action"] == "patient.create" for e in events)


def test_denied_and_rejected_attempts_are_audited(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    client.delete(f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("clinician"))
    client.get("/api/v1/patients", headers={"Authorization": "Bearer forged.token.value"})
    events = client.get(
        "/api/v1/audit", headers=tenant_a.auth("admin"), params={"limit": 200}
    ).json()["items"]
    assert any(e["outcome"] == "denied" and e["object_id"] == tenant_a.patient_id for e in events)


def test_an_untouched_chain_verifies(
    settings: Settings,
    activity: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _run_verify(settings, monkeypatch, capsys)
    assert code == 0, out
    assert "intact" in out


def test_a_modified_row_is_named(
    settings: Settings,
    activity: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = _ids(settings)[5]
    _exec(settings, f"UPDATE audit_events SET action = 'patient.list' WHERE id = {target}")
    code, out = _run_verify(settings, monkeypatch, capsys)
    assert code == 1
    assert f"audit row {target} was modified" in out
    assert len(out.strip().splitlines()) == 1


def test_a_deleted_row_is_named(
    settings: Settings,
    activity: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _ids(settings)
    _exec(settings, f"DELETE FROM audit_events WHERE id = {ids[4]}")
    code, out = _run_verify(settings, monkeypatch, capsys)
    assert code == 1
    assert f"a row before audit row {ids[5]} was deleted" in out


def test_rows_deleted_from_the_end_are_detected(
    settings: Settings,
    activity: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _ids(settings)
    _exec(settings, f"DELETE FROM audit_events WHERE id >= {ids[-2]}")
    code, out = _run_verify(settings, monkeypatch, capsys)
    assert code == 1
    assert f"audit rows after {ids[-3]} were deleted" in out


def test_reordered_rows_are_named(
    settings: Settings,
    activity: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _ids(settings)
    first, second = ids[3], ids[4]
    _exec(settings, f"UPDATE audit_events SET id = -1 WHERE id = {first}")
    _exec(settings, f"UPDATE audit_events SET id = {first} WHERE id = {second}")
    _exec(settings, f"UPDATE audit_events SET id = {second} WHERE id = -1")
    code, out = _run_verify(settings, monkeypatch, capsys)
    assert code == 1
    assert f"audit row {first} is out of order" in out


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_row(
    settings: Settings,
    activity: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from clinscribe.audit.service import row_hash
    from clinscribe.db.models import AuditEvent
    from clinscribe.db.session import session_scope

    target = _ids(settings)[2]
    with session_scope(settings.resolved_database_url) as session:
        event = session.get(AuditEvent, target)
        assert event is not None
        event.outcome = "success-forged"
        event.hash = row_hash(
            prev_hash=event.prev_hash,
            occurred_at=event.occurred_at,
            tenant_id=event.tenant_id,
            actor_type=event.actor_type,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            request_id=event.request_id,
            outcome=event.outcome,
        )
    code, out = _run_verify(settings, monkeypatch, capsys)
    assert code == 1
    assert f"audit row {_ids(settings)[3]} is out of order" in out


def test_the_audit_table_holds_no_patient_names(
    settings: Settings, client: TestClient, tenant_a: TenantWorld
) -> None:
    client.post(
        "/api/v1/patients",
        json={"mrn": "CANARY-1", "given_name": "Zebulonqx", "family_name": "Quillfeatherz"},
        headers=tenant_a.auth("clinician"),
    )
    with get_engine(settings.resolved_database_url).connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events")).fetchall()
    dump = repr(rows)
    assert "Zebulonqx" not in dump and "Quillfeatherz" not in dump and "CANARY-1" not in dump
    assert Path(settings.data_dir).exists()
