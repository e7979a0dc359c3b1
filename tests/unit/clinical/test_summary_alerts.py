"""The patient summary and interaction alerts, with the clinician's acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, InteractionAcknowledgement
from clinscribe.db.session import session_scope
from tests.support import TenantWorld, add_record_entry


def url(world: TenantWorld, tail: str) -> str:
    return f"/api/v1/patients/{world.patient_id}/{tail}"


def _vital(
    settings: Settings, world: TenantWorld, code: str, value: float, hours: int, **kw: object
) -> str:
    when = datetime(2026, 3, 1, 8, tzinfo=UTC) + timedelta(hours=hours)
    unit = {"8867-4": "/min", "8480-6": "mm[Hg]"}[code]
    kw.setdefault("state", "active")
    return add_record_entry(
        settings,
        world,
        world.patient_id,
        "observation",
        code=code,
        value_quantity=value,
        unit=unit,
        effective_at=when,
        **kw,
    )


def test_the_summary_shows_the_latest_active_vital_per_code_and_the_active_lists(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    pid = tenant_a.patient_id
    _vital(settings, tenant_a, "8867-4", 70, 0)
    _vital(settings, tenant_a, "8867-4", 88, 5)
    _vital(settings, tenant_a, "8867-4", 99, 9, status="entered-in-error")
    _vital(settings, tenant_a, "8867-4", 120, 12, state="proposed")
    _vital(settings, tenant_a, "8480-6", 131, 1)
    add_record_entry(settings, tenant_a, pid, "condition", state="active")
    add_record_entry(
        settings, tenant_a, pid, "condition", state="active", clinical_status="resolved"
    )
    add_record_entry(settings, tenant_a, pid, "medication", state="active", drug="warfarin")
    add_record_entry(settings, tenant_a, pid, "medication", state="active", drug="ibuprofen 400 mg")
    add_record_entry(
        settings, tenant_a, pid, "medication", state="active", drug="aspirin", status="stopped"
    )
    add_record_entry(settings, tenant_a, pid, "allergy", state="active", substance="penicillin")
    add_record_entry(settings, tenant_a, pid, "order", state="active", status="active")
    add_record_entry(settings, tenant_a, pid, "order", state="active", status="completed")
    add_record_entry(settings, tenant_a, pid, "medication")  # proposed: waits for review
    r = client.get(url(tenant_a, "summary"), headers=tenant_a.auth("reviewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert {v["code"]: v["value_quantity"] for v in body["latest_vitals"]} == {
        "8480-6": 131,
        "8867-4": 88,
    }
    assert [p["code"] for p in body["active_problems"]] == ["I10"]
    meds = {m["drug"]: m for m in body["active_medications"]}
    assert set(meds) == {"warfarin", "ibuprofen 400 mg"}
    assert [a["pair_key"] for a in meds["warfarin"]["alerts"]] == ["drug-drug:ibuprofen|warfarin"]
    assert meds["warfarin"]["alerts"][0]["severity"] in ("major", "contraindicated")
    assert [a["substance"] for a in body["allergies"]] == ["penicillin"]
    assert [o["status"] for o in body["open_orders"]] == ["active"]
    assert body["pending_review"] == 2  # the proposed heart rate and medication
    with session_scope(settings.resolved_database_url) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "record.summary.read" in actions


def test_alerts_cover_drug_allergy_and_duplicate_therapy_and_follow_the_list(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    pid = tenant_a.patient_id
    add_record_entry(
        settings, tenant_a, pid, "medication", state="active", drug="amoxicillin 500 mg"
    )
    add_record_entry(settings, tenant_a, pid, "allergy", state="active", substance="penicillin")
    add_record_entry(settings, tenant_a, pid, "medication", state="active", drug="sertraline")
    reader = tenant_a.auth("reviewer")
    body = client.get(url(tenant_a, "interactions"), headers=reader).json()
    kinds = {a["kind"] for a in body["alerts"]}
    assert "drug-allergy" in kinds
    clinician = tenant_a.auth("clinician")
    created = client.post(
        url(tenant_a, "medications"), json={"drug": "fluoxetine"}, headers=clinician
    )
    assert created.status_code == 201
    body = client.get(url(tenant_a, "interactions"), headers=reader).json()
    keys = {a["pair_key"]: a for a in body["alerts"]}
    assert "duplicate-therapy:fluoxetine|sertraline" in keys
    assert keys["duplicate-therapy:fluoxetine|sertraline"]["source"]["name"]
    assert keys["duplicate-therapy:fluoxetine|sertraline"]["mechanism"]
    # Marked in error, the drug leaves the list and its alerts go with it.
    client.post(
        url(tenant_a, f"medications/{created.json()['id']}/entered-in-error"), headers=clinician
    )
    body = client.get(url(tenant_a, "interactions"), headers=reader).json()
    assert not any("fluoxetine" in a["pair_key"] for a in body["alerts"])


def test_a_clinician_acknowledges_an_alert_with_a_reason_and_it_is_audited(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    pid = tenant_a.patient_id
    add_record_entry(settings, tenant_a, pid, "medication", state="active", drug="simvastatin")
    add_record_entry(settings, tenant_a, pid, "medication", state="active", drug="clarithromycin")
    clinician = tenant_a.auth("clinician")
    alerts = client.get(url(tenant_a, "interactions"), headers=clinician).json()["alerts"]
    key = "drug-drug:clarithromycin|simvastatin"
    assert [a["acknowledged"] for a in alerts if a["pair_key"] == key] == [False]
    path = url(tenant_a, "interactions/acknowledge")
    for bad in (
        {"pair_key": key},
        {"pair_key": key, "reason": ""},
        {"pair_key": key, "reason": "  "},
    ):
        assert client.post(path, json=bad, headers=clinician).status_code == 422
    unknown = client.post(
        path, json={"pair_key": "drug-drug:a|b", "reason": "x"}, headers=clinician
    )
    assert (unknown.status_code, unknown.json()["error"]) == (422, "unknown_alert")
    assert (
        client.post(
            path, json={"pair_key": key, "reason": "x"}, headers=tenant_a.auth("reviewer")
        ).status_code
        == 403
    )
    assert (
        client.post(
            path, json={"pair_key": key, "reason": "x"}, headers=tenant_b.auth("clinician")
        ).status_code
        == 404
    )
    r = client.post(
        path, json={"pair_key": key, "reason": "Statin paused for the course."}, headers=clinician
    )
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged"] is True
    again = client.post(path, json={"pair_key": key, "reason": "Still paused."}, headers=clinician)
    assert again.status_code == 200
    alerts = client.get(url(tenant_a, "interactions"), headers=clinician).json()["alerts"]
    assert [a["acknowledged"] for a in alerts if a["pair_key"] == key] == [True]
    summary = client.get(url(tenant_a, "summary"), headers=clinician).json()
    assert [a["acknowledged"] for a in summary["alerts"] if a["pair_key"] == key] == [True]
    with session_scope(settings.resolved_database_url) as session:
        acks = session.scalars(select(InteractionAcknowledgement)).all()
        assert [(a.reason, a.acknowledged_by) for a in acks] == [
            ("Still paused.", tenant_a.users["clinician"])
        ]
        actions = session.scalars(select(AuditEvent.action)).all()
        assert actions.count("record.interaction.acknowledge") == 2
