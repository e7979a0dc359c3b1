"""The one cascade erase: an encounter or a patient goes with everything hanging off it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from clinscribe.config import Settings
from clinscribe.db.base import Base, utcnow
from clinscribe.db.models import (
    AuditEvent,
    Delivery,
    Encounter,
    ExtractionRecord,
    Job,
    Note,
    NoteVersion,
    Patient,
    Recording,
    StreamSession,
    Transcript,
)
from clinscribe.db.session import session_scope
from clinscribe.errors import NotFound
from clinscribe.records import erase
from clinscribe.streaming import service as streams
from tests.support import TenantWorld, add_note, add_patient_and_encounter, add_recording, unique
from tests.unit.retention.common import blob_store, queue_delivery


def _captured(settings: Settings, world: TenantWorld, encounter_id: str) -> dict[str, str]:
    """Audio with its job, a transcript with its extraction, a signed note with a pending
    delivery and its job, and a live-session record: one of everything under an encounter."""
    recording_id, job_id = add_recording(settings, world, encounter_id)
    note_id, transcript_id = add_note(settings, world, encounter_id, "signed")
    queue_delivery(settings, world, note_id)
    stream_id = unique("s")
    with session_scope(settings.resolved_database_url) as session:
        streams.create_session(
            session=session,
            session_id=stream_id,
            principal=world.principal("clinician"),
            encounter_id=encounter_id,
            mode="dictation",
            encoding="pcm_s16le",
            sample_rate=16_000,
            spool_path=f"streams/{stream_id}",
            node="test",
            resume_until=utcnow(),
        )
        recording = session.get(Recording, recording_id)
        assert recording is not None and recording.blob_key
        return {
            "encounter": encounter_id,
            "recording": recording_id,
            "job": job_id,
            "note": note_id,
            "transcript": transcript_id,
            "stream": stream_id,
            "blob": recording.blob_key,
        }


def _count(settings: Settings, model: type[Base], **where: Any) -> int:
    with session_scope(settings.resolved_database_url) as session:
        stmt = select(func.count()).select_from(model).filter_by(**where)
        return int(session.execute(stmt).scalar_one())


def _remaining(settings: Settings, ids: dict[str, str]) -> dict[str, int]:
    """How many rows of each kind under the encounter are still there."""
    with session_scope(settings.resolved_database_url) as session:
        delivery_ids = list(
            session.execute(select(Delivery.id).where(Delivery.note_id == ids["note"])).scalars()
        )
    subjects = [ids["recording"], ids["transcript"], *delivery_ids]
    with session_scope(settings.resolved_database_url) as session:
        jobs = session.execute(
            select(func.count()).select_from(Job).where(Job.subject_id.in_(subjects))
        ).scalar_one()
    return {
        "encounter": _count(settings, Encounter, id=ids["encounter"]),
        "recording": _count(settings, Recording, id=ids["recording"]),
        "transcript": _count(settings, Transcript, id=ids["transcript"]),
        "extraction": _count(settings, ExtractionRecord, transcript_id=ids["transcript"]),
        "note": _count(settings, Note, id=ids["note"]),
        "versions": _count(settings, NoteVersion, note_id=ids["note"]),
        "deliveries": _count(settings, Delivery, note_id=ids["note"]),
        "jobs": int(jobs),
        "stream": _count(settings, StreamSession, id=ids["stream"]),
    }


def test_erasing_an_encounter_removes_everything_under_it_and_its_audio(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    _, encounter_id = add_patient_and_encounter(settings, tenant_a)
    ids = _captured(settings, tenant_a, encounter_id)
    kept = _captured(settings, tenant_a, tenant_a.encounter_id)
    before = _remaining(settings, ids)
    assert all(before.values()), before
    assert before["jobs"] >= 3  # transcription, extraction's transcript, delivery

    with session_scope(settings.resolved_database_url) as session:
        erase.erase_encounter(
            session=session,
            principal=tenant_a.principal("admin"),
            blobs=blob_store(settings),
            encounter_id=encounter_id,
        )
        # Files go only once the rows are gone for good.
        assert blob_store(settings).exists(ids["blob"])

    assert set(_remaining(settings, ids).values()) == {0}
    assert not blob_store(settings).exists(ids["blob"])
    assert all(_remaining(settings, kept).values())
    assert blob_store(settings).exists(kept["blob"])
    assert _count(settings, AuditEvent, action="encounter.delete", object_id=encounter_id) == 1


def test_a_rolled_back_erase_keeps_rows_and_audio(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    ids = _captured(settings, tenant_a, tenant_a.encounter_id)
    before = _remaining(settings, ids)
    with (
        pytest.raises(RuntimeError),
        session_scope(settings.resolved_database_url) as session,
    ):
        erase.erase_encounter(
            session=session,
            principal=tenant_a.principal("admin"),
            blobs=blob_store(settings),
            encounter_id=tenant_a.encounter_id,
        )
        raise RuntimeError("the request failed after the erase")
    assert _remaining(settings, ids) == before
    assert blob_store(settings).exists(ids["blob"])


def test_another_tenants_encounter_and_patient_cannot_be_erased(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    ids = _captured(settings, tenant_a, tenant_a.encounter_id)
    before = _remaining(settings, ids)
    outsider = tenant_b.principal("admin")
    with session_scope(settings.resolved_database_url) as session:
        with pytest.raises(NotFound):
            erase.erase_encounter(
                session=session,
                principal=outsider,
                blobs=blob_store(settings),
                encounter_id=tenant_a.encounter_id,
            )
        with pytest.raises(NotFound):
            erase.erase_patient(
                session=session,
                principal=outsider,
                blobs=blob_store(settings),
                patient_id=tenant_a.patient_id,
            )
        # The system path erases only what the named tenant owns.
        erase.purge_encounters(
            session=session,
            blobs=blob_store(settings),
            tenant_id=tenant_b.id,
            encounter_ids=[tenant_a.encounter_id],
            actor_id="system:test",
        )
    assert _remaining(settings, ids) == before
    assert blob_store(settings).exists(ids["blob"])


def test_erasing_a_patient_removes_all_their_encounters(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    first = _captured(settings, tenant_a, tenant_a.encounter_id)
    with session_scope(settings.resolved_database_url) as session:
        patient = session.get(Patient, tenant_a.patient_id)
        assert patient is not None
        second_encounter = Encounter(
            tenant_id=tenant_a.id,
            patient_id=patient.id,
            clinician_id=tenant_a.users["clinician"],
        )
        session.add(second_encounter)
    second = _captured(settings, tenant_a, second_encounter.id)

    with session_scope(settings.resolved_database_url) as session:
        erase.erase_patient(
            session=session,
            principal=tenant_a.principal("admin"),
            blobs=blob_store(settings),
            patient_id=tenant_a.patient_id,
        )

    for ids in (first, second):
        assert set(_remaining(settings, ids).values()) == {0}
        assert not blob_store(settings).exists(ids["blob"])
    assert _count(settings, Patient, id=tenant_a.patient_id) == 0
    assert _count(settings, AuditEvent, action="patient.delete") == 1


def test_the_purge_erases_as_the_system_without_a_principal(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    ids = _captured(settings, tenant_a, tenant_a.encounter_id)
    with session_scope(settings.resolved_database_url) as session:
        erase.purge_encounters(
            session=session,
            blobs=blob_store(settings),
            tenant_id=tenant_a.id,
            encounter_ids=[tenant_a.encounter_id],
            actor_id="system:test",
        )
    assert set(_remaining(settings, ids).values()) == {0}
    assert not blob_store(settings).exists(ids["blob"])
    with session_scope(settings.resolved_database_url) as session:
        rows = list(
            session.execute(
                select(AuditEvent).where(AuditEvent.object_id == tenant_a.encounter_id)
            ).scalars()
        )
        trail = [(r.action, r.actor_type, r.actor_id, r.tenant_id) for r in rows]
    assert ("encounter.purge", "system", "system:test", tenant_a.id) in trail
    # No one posed as an administrator to do it.
    assert not [t for t in trail if t[0] == "encounter.delete"]
