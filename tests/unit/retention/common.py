"""Shared steps for the retention tests: old encounters with something in each table."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Delivery, Encounter, Note, Tenant
from clinscribe.db.session import session_scope
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from tests.support import TenantWorld, add_note, add_patient_and_encounter, add_recording


def blob_store(settings: Settings) -> LocalBlobStore:
    return LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))


def set_retention(settings: Settings, world: TenantWorld, days: int | None) -> None:
    with session_scope(settings.resolved_database_url) as session:
        session.execute(update(Tenant).where(Tenant.id == world.id).values(retention_days=days))


def age(
    settings: Settings, encounter_id: str, *, ended_days: int | None, created_days: int
) -> None:
    """Move an encounter into the past (ended_days None: it never ended)."""
    now = utcnow()
    ended = None if ended_days is None else now - timedelta(days=ended_days)
    with session_scope(settings.resolved_database_url) as session:
        session.execute(
            update(Encounter)
            .where(Encounter.id == encounter_id)
            .values(ended_at=ended, created_at=now - timedelta(days=created_days))
        )


def queue_delivery(settings: Settings, world: TenantWorld, note_id: str) -> None:
    """Write the signed note's outbox row, as signing through the API does (still pending)."""
    from clinscribe.fhir import service as delivery

    with session_scope(settings.resolved_database_url) as session:
        note = session.get(Note, note_id)
        assert note is not None
        queued = delivery.queue(
            session=session, settings=settings, principal=world.principal("clinician"), note=note
        )
        assert queued is not None and queued.status == "pending"


def mark_delivered(settings: Settings, note_id: str) -> None:
    with session_scope(settings.resolved_database_url) as session:
        done = session.execute(
            update(Delivery)
            .where(Delivery.note_id == note_id)
            .values(status="delivered", delivered_at=utcnow())
        )
        assert done.rowcount == 1  # type: ignore[attr-defined]


def full_encounter(
    settings: Settings, world: TenantWorld, note_state: str = "draft"
) -> dict[str, str]:
    """An encounter with audio, a typed transcript with its extraction, and a note."""
    _, encounter_id = add_patient_and_encounter(settings, world)
    recording_id, job_id = add_recording(settings, world, encounter_id)
    note_id, transcript_id = add_note(settings, world, encounter_id, note_state)
    return {
        "encounter": encounter_id,
        "recording": recording_id,
        "job": job_id,
        "note": note_id,
        "transcript": transcript_id,
    }
