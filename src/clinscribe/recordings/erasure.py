"""Erasure: a patient or an encounter goes with everything captured in it, audio files included.

Rows are deleted in the caller's transaction; the audio files only once it has committed, so a
rolled-back delete never loses audio.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.db.models import Encounter, Job, Recording
from clinscribe.db.session import after_commit
from clinscribe.records import encounters
from clinscribe.security.principal import Principal
from clinscribe.storage.blobs import BlobStore


def _blob_keys(session: Session, tenant_id: str, encounter_ids: list[str]) -> list[str]:
    if not encounter_ids:
        return []
    return [
        key
        for key in session.execute(
            select(Recording.blob_key).where(
                Recording.tenant_id == tenant_id, Recording.encounter_id.in_(encounter_ids)
            )
        ).scalars()
        if key
    ]


def _purge_jobs(session: Session, tenant_id: str, encounter_ids: list[str]) -> None:
    """Job rows point at their subjects by id only, so they go explicitly."""
    from sqlalchemy import delete

    from clinscribe.db.models import Delivery, Note, Transcript

    if not encounter_ids:
        return
    subjects = [
        *session.execute(
            select(Recording.id).where(Recording.encounter_id.in_(encounter_ids))
        ).scalars(),
        *session.execute(
            select(Transcript.id).where(Transcript.encounter_id.in_(encounter_ids))
        ).scalars(),
        *session.execute(
            select(Delivery.id)
            .join(Note, Note.id == Delivery.note_id)
            .where(Note.encounter_id.in_(encounter_ids))
        ).scalars(),
    ]
    if subjects:
        session.execute(delete(Job).where(Job.tenant_id == tenant_id, Job.subject_id.in_(subjects)))


def _forget_blobs(session: Session, blobs: BlobStore, keys: list[str]) -> None:
    # The rows go with the transaction; the files only once it has committed.
    def remove() -> None:
        for key in keys:
            blobs.delete(key)

    after_commit(session, remove)


def delete_patient(
    *, session: Session, principal: Principal, blobs: BlobStore, patient_id: str
) -> None:
    """Delete a patient with their encounters, recordings, transcripts, notes and audio files."""
    principal.require("patients:delete")
    from clinscribe.records import patients

    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    encounter_ids = list(
        session.execute(
            select(Encounter.id).where(
                Encounter.tenant_id == principal.tenant_id, Encounter.patient_id == patient_id
            )
        ).scalars()
    )
    keys = _blob_keys(session, principal.tenant_id, encounter_ids)
    _purge_jobs(session, principal.tenant_id, encounter_ids)
    patients.delete(session=session, principal=principal, patient_id=patient_id)
    _forget_blobs(session, blobs, keys)


def delete_encounter(
    *, session: Session, principal: Principal, blobs: BlobStore, encounter_id: str
) -> None:
    """Delete an encounter with everything captured in it, audio files included."""
    principal.require("encounters:delete")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    keys = _blob_keys(session, principal.tenant_id, [encounter_id])
    _purge_jobs(session, principal.tenant_id, [encounter_id])
    encounters.delete(session=session, principal=principal, encounter_id=encounter_id)
    _forget_blobs(session, blobs, keys)
