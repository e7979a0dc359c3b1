"""Delivery paths that mutation testing found untested (docs/mutation.md): refusals with their
details, the outbox rows a dead job leaves, dead letters and their replay. No worker runs here:
signing writes the outbox row and its job, and the tests move them by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Delivery, Job
from clinscribe.db.session import session_scope
from clinscribe.fhir import service as delivery_service
from clinscribe.fhir.core import document_identifier
from clinscribe.fhir.core.retry import parse_retry_after
from clinscribe.fhir.tasks import mark_dead
from tests.support import TenantWorld, add_note, configure_ehr

NOWHERE = "http://127.0.0.1:9/fhir"  # nothing listens there, and no worker sends anyway


def test_a_retry_after_date_without_a_zone_is_read_as_utc() -> None:
    now = datetime(2015, 10, 21, 7, 27, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=now) == 60.0


def audit_events(client: TestClient, world: TenantWorld, object_id: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/audit", params={"object_id": object_id, "limit": 50}, headers=world.auth("admin")
    )
    return response.json()["items"]  # type: ignore[no-any-return]


def test_unsigned_notes_and_tenants_without_an_ehr_are_refused_with_reasons(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    note_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id, "approved")
    bundle = client.get(f"/api/v1/notes/{note_id}/fhir", headers=tenant_a.auth("reviewer"))
    assert bundle.status_code == 409
    assert bundle.json()["detail"] == "the note is not signed yet"
    assert client.post(
        f"/api/v1/notes/{note_id}/sign", headers=tenant_a.auth("clinician")
    ).is_success
    with session_scope(settings.resolved_database_url) as session:
        endpoint = delivery_service.get_endpoint(session=session, tenant_id=tenant_a.id)
        assert endpoint is not None  # every test tenant starts with one
        session.delete(endpoint)
    for role in ("admin", "reviewer"):
        sent = client.post(f"/api/v1/notes/{note_id}/deliver", headers=tenant_a.auth(role))
        assert sent.status_code == 409, role
        assert sent.json()["detail"] == "the tenant has no EHR endpoint configured"


def signed_with_outbox(
    client: TestClient, settings: Settings, world: TenantWorld
) -> tuple[str, str, str]:
    """A signed note queued for delivery: (note id, delivery id, job id)."""
    configure_ehr(settings, world, NOWHERE)
    note_id, _ = add_note(settings, world, world.encounter_id, "approved")
    assert client.post(f"/api/v1/notes/{note_id}/sign", headers=world.auth("clinician")).is_success
    with session_scope(settings.resolved_database_url) as session:
        delivery = session.execute(select(Delivery).where(Delivery.note_id == note_id)).scalar_one()
        job = session.execute(select(Job).where(Job.subject_id == delivery.id)).scalar_one()
        return note_id, delivery.id, job.id


def delivery_status(settings: Settings, delivery_id: str) -> str:
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row.status


def test_a_dead_job_kills_its_delivery_unless_it_got_through(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    note_id, delivery_id, job_id = signed_with_outbox(client, settings, tenant_a)
    listed = client.get(f"/api/v1/notes/{note_id}/deliveries", headers=tenant_a.auth("admin"))
    assert [d["status"] for d in listed.json()] == ["pending"]
    # Listing deliveries is not a read of the note itself.
    assert "note.read" not in {e["action"] for e in audit_events(client, tenant_a, note_id)}
    with session_scope(settings.resolved_database_url) as session:
        job = session.get(Job, job_id)
    assert job is not None
    mark_dead(settings, job)
    assert delivery_status(settings, delivery_id) == "dead"
    # Resending a dead delivery queues it again, under the configured attempt limit.
    resent = client.post(f"/api/v1/notes/{note_id}/deliver", headers=tenant_a.auth("reviewer"))
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    with session_scope(settings.resolved_database_url) as session:
        jobs = session.execute(select(Job).where(Job.subject_id == delivery_id)).scalars().all()
        assert [j.max_attempts for j in jobs] == [settings.delivery_max_attempts] * 2
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.status = "delivered"
    mark_dead(settings, job)
    assert delivery_status(settings, delivery_id) == "delivered"


def test_dead_letters_name_their_note_and_a_replay_is_audited(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    note_id, delivery_id, job_id = signed_with_outbox(client, settings, tenant_a)
    _, _, other_job = signed_with_outbox(client, settings, tenant_b)
    with session_scope(settings.resolved_database_url) as session:
        for dead in (job_id, other_job):
            job = session.get(Job, dead)
            assert job is not None
            job.status, job.finished_at = "dead", datetime.now(UTC)
    letters = client.get("/api/v1/admin/dead-letters", headers=tenant_a.auth("admin")).json()
    assert [(x["job_id"], x["delivery"]["note_id"]) for x in letters] == [(job_id, note_id)]
    # The operator (no principal) sees every tenant's.
    with session_scope(settings.resolved_database_url) as session:
        every = delivery_service.dead_letters(session=session, principal=None)
    assert {x["job_id"] for x in every} >= {job_id, other_job}

    replayed = client.post(
        f"/api/v1/admin/dead-letters/{job_id}/replay", headers=tenant_a.auth("admin")
    )
    assert replayed.status_code == 200
    assert delivery_status(settings, delivery_id) == "pending"
    replays = [e for e in audit_events(client, tenant_a, job_id) if e["object_type"] == "job"]
    assert [e["action"] for e in replays] == ["dead_letter.replay"]


def test_an_amended_notes_bundle_replaces_the_signed_document(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin, rev = tenant_a.auth("clinician"), tenant_a.auth("reviewer")
    note_id = signed_via_api(client, tenant_a)
    url = f"/api/v1/notes/{note_id}"
    amended = client.post(
        f"{url}/amend",
        json={"sections": {"plan": "Recheck in a week."}, "reason": "late result"},
        headers=clin,
    )
    assert amended.status_code == 200, amended.text
    for step, who in (("submit", clin), ("approve", rev), ("sign", clin)):
        assert client.post(f"{url}/{step}", headers=who).status_code == 200, step
    bundle = client.get(f"{url}/fhir", headers=rev).json()
    documents = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    replaced = document_identifier(note_id, 1).model_dump()
    assert documents[0]["relatesTo"] == [
        {"code": "replaces", "target": {"type": "DocumentReference", "identifier": replaced}}
    ]


def signed_via_api(client: TestClient, world: TenantWorld) -> str:
    """A note drafted, approved and signed (version 1) through the API: its id."""
    clin = world.auth("clinician")
    base = f"/api/v1/encounters/{world.encounter_id}"
    text = "[doctor] Any cough?\n[patient] Yes, for two days."
    assert client.post(f"{base}/text", json={"text": text}, headers=clin).status_code == 201
    note = client.post(f"{base}/notes", json={"template": "soap"}, headers=clin).json()
    url = f"/api/v1/notes/{note['id']}"
    for step, who in (("submit", clin), ("approve", world.auth("reviewer")), ("sign", clin)):
        assert client.post(f"{url}/{step}", headers=who).status_code == 200, step
    return str(note["id"])
